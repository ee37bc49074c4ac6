//! The incremental tree state: the roots of the perfect subtrees that cover all leaves.
//!
//! A tree of size `n` splits into one perfect subtree per set bit of `n`, largest first. For
//! `n = 13 = 0b1101` they cover leaves `0..8`, `8..12` and `12..13`. RFC 6962 §2.1 defines the
//! root of any tree in terms of these subtrees. Their roots (the "frontier", also called a
//! compact range) are all that appending needs, so the state takes `popcount(n) <= 64` hashes.

use serde::{Deserialize, Serialize};

use super::error::MerkleError;
use super::hash::node_hash;
use super::index::TreeSize;
use super::subtree::fold_from_right;
use crate::format::Hash;

/// Length of the tree size at the start of [`Frontier::to_bytes`], in bytes.
const SIZE_BYTES: usize = 8;

/// Length of one hash in [`Frontier::to_bytes`], in bytes.
const HASH_BYTES: usize = 32;

/// Incremental state of an append-only Merkle tree: its size and the roots of the perfect
/// subtrees that cover its leaves, so appending and computing the root need no earlier leaf.
///
/// Memory is O(log n): at most 64 hashes. It serialises to bytes ([`to_bytes`](Self::to_bytes))
/// and to JSON (through serde, as `{"tree_size": N, "hashes": ["hex", ...]}`). Both decoders
/// reject a hash count that differs from the number of set bits of the size.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "FrontierParts", into = "FrontierParts")]
pub struct Frontier {
    size: u64,
    /// Roots of the perfect subtrees, leftmost (largest) first. Entry `j` belongs to the `j`-th
    /// set bit of `size`, counting from the most significant.
    hashes: Vec<Hash>,
}

/// The serde form of a [`Frontier`], checked on the way in.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontierParts {
    tree_size: u64,
    hashes: Vec<Hash>,
}

impl TryFrom<FrontierParts> for Frontier {
    type Error = MerkleError;

    fn try_from(parts: FrontierParts) -> Result<Self, Self::Error> {
        Frontier::from_parts(TreeSize(parts.tree_size), parts.hashes)
    }
}

impl From<Frontier> for FrontierParts {
    fn from(frontier: Frontier) -> Self {
        FrontierParts { tree_size: frontier.size, hashes: frontier.hashes }
    }
}

impl Frontier {
    /// Creates the state of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a state from its size and subtree roots, leftmost (largest subtree) first.
    ///
    /// Fails with [`MerkleError::FrontierHashCount`] unless there is exactly one hash per set
    /// bit of `size`. The hashes themselves cannot be checked without the leaves.
    pub fn from_parts(size: TreeSize, hashes: Vec<Hash>) -> Result<Self, MerkleError> {
        let expected = size.get().count_ones();
        // `expected` is at most 64, so widening it to usize is lossless.
        if hashes.len() != expected as usize {
            return Err(MerkleError::FrontierHashCount { tree_size: size.get(), expected, found: hashes.len() });
        }
        Ok(Frontier { size: size.get(), hashes })
    }

    /// Returns the number of leaves appended so far.
    pub fn size(&self) -> TreeSize {
        TreeSize(self.size)
    }

    /// Returns the roots of the perfect subtrees covering the leaves, leftmost (largest) first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf, given its [`leaf_hash`](super::leaf_hash). Costs one interior node hash
    /// per trailing 1 bit of the old size, which is one on average.
    ///
    /// Fails with [`MerkleError::TreeFull`] when the size is already `u64::MAX`.
    pub fn push(&mut self, leaf_hash: Hash) -> Result<(), MerkleError> {
        self.push_reporting(leaf_hash, |_, _| {})
    }

    /// Appends a leaf like [`push`](Self::push) and calls `on_complete(level, root)` for each
    /// perfect subtree that the leaf completes, from the leaf itself (level 0) upwards. The
    /// subtree at `level` covers the `2^level` leaves ending with the new one.
    pub(crate) fn push_reporting(
        &mut self,
        leaf_hash: Hash,
        mut on_complete: impl FnMut(u32, &Hash),
    ) -> Result<(), MerkleError> {
        let new_size = self.size.checked_add(1).ok_or(MerkleError::TreeFull)?;

        // Each trailing 1 bit of the old size is a perfect subtree of the same size as the one
        // being built, directly to its left, so the two merge into their parent.
        let merges = self.size.trailing_ones();
        let mut node = leaf_hash;
        on_complete(0, &node);
        for level in 1..=merges {
            // The frontier contains one hash per set bit of `size`, and `merges` counts some of
            // those bits, so the pop always finds a hash. The `else` branch is unreachable.
            let Some(left) = self.hashes.pop() else { break };
            node = node_hash(&left, &node);
            on_complete(level, &node);
        }

        self.hashes.push(node);
        self.size = new_size;
        Ok(())
    }

    /// Appends a whole perfect subtree of `2^level` leaves, given its root, and calls
    /// `on_complete` for each larger subtree it completes (as [`push_reporting`](Self::push_reporting)
    /// does from `level + 1` upwards).
    ///
    /// The size must be a multiple of `2^level`, so that the subtree is aligned; otherwise the
    /// tree would not be an RFC 6962 tree and [`MerkleError::UnalignedSubtree`] is returned.
    pub(crate) fn push_subtree_reporting(
        &mut self,
        level: u32,
        root: Hash,
        mut on_complete: impl FnMut(u32, &Hash),
    ) -> Result<(), MerkleError> {
        let width = 1u64.checked_shl(level).filter(|_| level < 64).ok_or(MerkleError::TreeFull)?;
        if !self.size.is_multiple_of(width) {
            return Err(MerkleError::UnalignedSubtree { tree_size: self.size, level });
        }
        let new_size = self.size.checked_add(width).ok_or(MerkleError::TreeFull)?;
        let merges = (self.size >> level).trailing_ones();
        let mut node = root;
        for above in 1..=merges {
            // As in `push_reporting`: one hash per set bit, and `merges` counts some of them.
            let Some(left) = self.hashes.pop() else { break };
            node = node_hash(&left, &node);
            on_complete(level + above, &node);
        }
        self.hashes.push(node);
        self.size = new_size;
        Ok(())
    }

    /// Computes the Merkle tree hash (root) of the leaves appended so far, RFC 6962 §2.1.
    ///
    /// The empty tree's root is SHA-256 of the empty string. Costs `popcount(size) - 1` hashes.
    pub fn root(&self) -> Hash {
        fold_from_right(&self.hashes)
    }

    /// Encodes the state as the tree size (8 bytes, big-endian) followed by the subtree roots
    /// (32 bytes each, leftmost first).
    ///
    /// This layout is this crate's own, because RFC 6962 and RFC 9162 define no format for
    /// tree state.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIZE_BYTES + HASH_BYTES * self.hashes.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for hash in &self.hashes {
            out.extend_from_slice(&hash.0);
        }
        out
    }

    /// Decodes the output of [`to_bytes`](Self::to_bytes).
    ///
    /// Fails with [`MerkleError::FrontierEncodingLength`] unless the input is 8 bytes plus a
    /// whole number of 32-byte hashes, and with [`MerkleError::FrontierHashCount`] unless the
    /// number of hashes equals the number of set bits of the size.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MerkleError> {
        let invalid_length = MerkleError::FrontierEncodingLength { length: bytes.len() };
        let Some((size_bytes, hash_bytes)) = bytes.split_first_chunk::<SIZE_BYTES>() else {
            return Err(invalid_length);
        };
        let (chunks, rest) = hash_bytes.as_chunks::<HASH_BYTES>();
        if !rest.is_empty() {
            return Err(invalid_length);
        }

        let size = u64::from_be_bytes(*size_bytes);
        let hashes = chunks.iter().map(|chunk| Hash(*chunk)).collect();
        Frontier::from_parts(TreeSize(size), hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::hash::{empty_root, leaf_hash};

    fn frontier_of(count: u64) -> Frontier {
        let mut frontier = Frontier::new();
        for i in 0..count {
            frontier.push(leaf_hash(format!("leaf-{i}").as_bytes())).unwrap();
        }
        frontier
    }

    #[test]
    fn empty_frontier_has_empty_root() {
        let frontier = Frontier::new();
        assert_eq!(frontier.size(), TreeSize(0));
        assert_eq!(frontier.root(), empty_root());
        assert!(frontier.hashes().is_empty());
    }

    #[test]
    fn one_leaf_root_is_leaf_hash() {
        let frontier = frontier_of(1);
        assert_eq!(frontier.root(), leaf_hash(b"leaf-0"));
    }

    #[test]
    fn three_leaves_nest_from_right() {
        let leaves: Vec<Hash> = (0..3).map(|i| leaf_hash(format!("leaf-{i}").as_bytes())).collect();
        let expected = node_hash(&node_hash(&leaves[0], &leaves[1]), &leaves[2]);
        assert_eq!(frontier_of(3).root(), expected);
    }

    #[test]
    fn hash_count_is_popcount() {
        for count in 0..200u64 {
            let frontier = frontier_of(count);
            assert_eq!(frontier.hashes().len(), count.count_ones() as usize, "size {count}");
        }
    }

    #[test]
    fn push_reports_completed_subtrees() {
        let mut frontier = frontier_of(7);
        let mut reported = Vec::new();
        frontier.push_reporting(leaf_hash(b"leaf-7"), |level, _| reported.push(level)).unwrap();
        assert_eq!(reported, vec![0, 1, 2, 3]);
        assert_eq!(frontier.hashes().len(), 1);
    }

    #[test]
    fn push_rejects_full_tree() {
        let hashes = vec![Hash([7; 32]); 64];
        let mut frontier = Frontier::from_parts(TreeSize(u64::MAX), hashes).unwrap();
        assert_eq!(frontier.push(Hash([1; 32])), Err(MerkleError::TreeFull));
        assert_eq!(frontier.size(), TreeSize(u64::MAX));
    }

    #[test]
    fn bytes_round_trip() {
        for count in [0, 1, 2, 13, 64, 70] {
            let frontier = frontier_of(count);
            let bytes = frontier.to_bytes();
            assert_eq!(bytes.len(), 8 + 32 * count.count_ones() as usize);
            assert_eq!(Frontier::from_bytes(&bytes), Ok(frontier));
        }
    }

    #[test]
    fn bytes_reject_wrong_hash_count() {
        let mut bytes = frontier_of(13).to_bytes();
        bytes.extend_from_slice(&[0; 32]);
        let expected = MerkleError::FrontierHashCount { tree_size: 13, expected: 3, found: 4 };
        assert_eq!(Frontier::from_bytes(&bytes), Err(expected));
    }

    #[test]
    fn bytes_reject_partial_hash() {
        let mut bytes = frontier_of(13).to_bytes();
        bytes.pop();
        let length = bytes.len();
        assert_eq!(Frontier::from_bytes(&bytes), Err(MerkleError::FrontierEncodingLength { length }));
    }

    #[test]
    fn bytes_reject_short_size() {
        assert_eq!(Frontier::from_bytes(&[0; 7]), Err(MerkleError::FrontierEncodingLength { length: 7 }));
    }

    #[test]
    fn json_round_trip() {
        let frontier = frontier_of(13);
        let json = serde_json::to_string(&frontier).unwrap();
        assert!(json.starts_with("{\"tree_size\":13,\"hashes\":[\""), "{json}");
        let decoded: Frontier = serde_json::from_str(&json).unwrap();
        assert_eq!(decoded, frontier);
    }

    #[test]
    fn json_rejects_wrong_hash_count() {
        let json = format!("{{\"tree_size\":3,\"hashes\":[\"{}\"]}}", Hash([0; 32]).to_hex());
        let error = serde_json::from_str::<Frontier>(&json).unwrap_err();
        assert!(error.to_string().contains("must contain 2 hashes, found 1"), "{error}");
    }
}
