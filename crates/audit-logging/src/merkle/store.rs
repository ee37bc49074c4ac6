//! A store of perfect subtree roots, so that proofs in a large tree cost O(log n) lookups plus
//! a read of at most two chunks of leaf hashes.
//!
//! # Memory and time
//!
//! Proof generation from a plain list of leaf hashes rehashes the whole tree, about `n` node
//! hashes per proof. Keeping every level instead makes a proof O(log n) lookups but costs about
//! `2n` hashes of memory: 640 MB for 10 million leaves.
//!
//! [`TreeStore`] keeps the middle ground. It stores the root of every complete, aligned perfect
//! subtree of at least `2^chunk_level` leaves (a chunk), which is fewer than
//! `2n / 2^chunk_level` hashes. With the default chunk level 10, a tree of 10 million leaves
//! keeps fewer than 19,532 hashes, about 625 KB (vector growth can add up to as much again).
//! Subtrees below the chunk level are rebuilt on demand from the chunk's leaf hashes, which the
//! caller supplies through a closure. An inclusion or consistency proof reads at most two
//! chunks: the one at the leaf or the old tree's edge, and the tree's last one when the size is
//! not a multiple of the chunk size. At the default level that is at most 2048 leaf hashes and
//! about 2046 node hashes.
//!
//! Chunk level 0 stores every leaf hash and every interior node, and never calls the closure.

use std::fmt;
use std::ops::Range;

use super::consistency::generate_consistency_proof;
use super::error::MerkleError;
use super::frontier::Frontier;
use super::hash::{empty_root, node_hash};
use super::inclusion::generate_inclusion_proof;
use super::index::{LeafIndex, TreeSize};
use super::subtree::{fold_from_right, SubtreeSource};
use crate::format::Hash;

/// Chunk level of [`TreeStore::new`]: subtrees of 1024 leaves and larger are stored.
pub const DEFAULT_CHUNK_LEVEL: u32 = 10;

/// Largest chunk level [`TreeStore::with_chunk_level`] accepts: a chunk of 2^20 leaf hashes is
/// 32 MiB, and each proof would read up to two of them.
pub const MAX_CHUNK_LEVEL: u32 = 20;

/// An append-only Merkle tree that keeps the roots of its perfect subtrees of `2^chunk_level`
/// leaves and larger, for fast inclusion and consistency proofs against any size up to its own.
///
/// Appending costs one node hash per leaf on average. Proof methods take a closure that returns
/// the leaf hashes of a range of leaf indices, such as `|range| log.leaf_hashes(range)`. The
/// store checks every chunk it reads against the roots it computed when the leaves were
/// pushed, and fails with [`MerkleError::StoredSubtreeMismatch`] if they differ. The module
/// documentation gives the memory and time costs.
#[derive(Clone, PartialEq, Eq)]
pub struct TreeStore {
    chunk_level: u32,
    frontier: Frontier,
    /// `levels[j][i]` is the root of leaves `i * 2^(chunk_level + j)` up to the next multiple of
    /// `2^(chunk_level + j)`. Only complete subtrees are stored.
    levels: Vec<Vec<Hash>>,
}

impl Default for TreeStore {
    fn default() -> Self {
        TreeStore { chunk_level: DEFAULT_CHUNK_LEVEL, frontier: Frontier::new(), levels: Vec::new() }
    }
}

impl fmt::Debug for TreeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeStore")
            .field("chunk_level", &self.chunk_level)
            .field("size", &self.frontier.size().get())
            .field("stored_hashes", &self.stored_hash_count())
            .finish_non_exhaustive()
    }
}

impl TreeStore {
    /// Creates an empty store with the [`DEFAULT_CHUNK_LEVEL`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty store that keeps subtrees of `2^chunk_level` leaves and larger.
    ///
    /// Fails with [`MerkleError::ChunkLevelTooLarge`] above [`MAX_CHUNK_LEVEL`].
    pub fn with_chunk_level(chunk_level: u32) -> Result<Self, MerkleError> {
        if chunk_level > MAX_CHUNK_LEVEL {
            return Err(MerkleError::ChunkLevelTooLarge { level: chunk_level, max: MAX_CHUNK_LEVEL });
        }
        Ok(TreeStore { chunk_level, ..Self::default() })
    }

    /// Returns the level of the smallest stored subtrees: they have `2^chunk_level` leaves.
    pub fn chunk_level(&self) -> u32 {
        self.chunk_level
    }

    /// Returns the number of leaves pushed so far.
    pub fn size(&self) -> TreeSize {
        self.frontier.size()
    }

    /// Computes the root of the whole tree, without reading leaves.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Returns the incremental state of the whole tree.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Returns the number of subtree roots stored, not counting the frontier's at most 64.
    pub fn stored_hash_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Appends a leaf, given its [`leaf_hash`](super::leaf_hash).
    ///
    /// Fails with [`MerkleError::TreeFull`] when the size is already `u64::MAX`.
    pub fn push(&mut self, leaf_hash: Hash) -> Result<(), MerkleError> {
        let chunk_level = self.chunk_level;
        let levels = &mut self.levels;
        self.frontier.push_reporting(leaf_hash, |level, root| {
            let Some(stored_level) = level.checked_sub(chunk_level) else { return };
            // Levels up to 64 fit usize on every supported target.
            let stored_level = stored_level as usize;
            // Subtrees complete bottom-up, so a level's first subtree arrives right after the
            // level below it exists, and one new vector is enough.
            if levels.len() == stored_level {
                levels.push(Vec::new());
            }
            if let Some(roots) = levels.get_mut(stored_level) {
                roots.push(*root);
            }
        })
    }

    /// Computes the root of the tree of the first `tree_size` leaves. Reads no leaves when
    /// `tree_size` is 0 or the store's size, and otherwise at most one chunk.
    ///
    /// Fails with [`MerkleError::TreeSizeTooLarge`] if `tree_size` exceeds the store's size, and
    /// with the closure's error or a check of its output.
    pub fn root_at<F, E>(&self, tree_size: TreeSize, read_leaves: F) -> Result<Hash, E>
    where
        F: FnMut(Range<u64>) -> Result<Vec<Hash>, E>,
        E: From<MerkleError>,
    {
        self.check_size(tree_size)?;
        if tree_size.is_empty() {
            return Ok(empty_root());
        }
        if tree_size == self.size() {
            return Ok(self.root());
        }
        StoreSource::new(self, read_leaves).subtree_root(0, tree_size.get())
    }

    /// Generates the audit path of leaf `index` in the tree of the first `tree_size` leaves,
    /// RFC 6962 §2.1.1. `read_leaves(range)` must return the leaf hashes of that range.
    ///
    /// Fails if `index >= tree_size` or `tree_size` exceeds the store's size, and with the
    /// closure's error or a check of its output.
    pub fn inclusion_proof<F, E>(&self, index: LeafIndex, tree_size: TreeSize, read_leaves: F) -> Result<Vec<Hash>, E>
    where
        F: FnMut(Range<u64>) -> Result<Vec<Hash>, E>,
        E: From<MerkleError>,
    {
        self.check_size(tree_size)?;
        generate_inclusion_proof(&mut StoreSource::new(self, read_leaves), index, tree_size)
    }

    /// Generates the consistency proof from the tree of the first `old_size` leaves to the tree
    /// of the first `new_size` leaves, RFC 6962 §2.1.2. `read_leaves(range)` must return the
    /// leaf hashes of that range. The proof is empty when `old_size` is 0 or equal to
    /// `new_size`.
    ///
    /// Fails if `old_size > new_size` or `new_size` exceeds the store's size, and with the
    /// closure's error or a check of its output.
    pub fn consistency_proof<F, E>(
        &self,
        old_size: TreeSize,
        new_size: TreeSize,
        read_leaves: F,
    ) -> Result<Vec<Hash>, E>
    where
        F: FnMut(Range<u64>) -> Result<Vec<Hash>, E>,
        E: From<MerkleError>,
    {
        self.check_size(new_size)?;
        generate_consistency_proof(&mut StoreSource::new(self, read_leaves), old_size, new_size)
    }

    /// Appends a whole chunk of `2^chunk_level` leaves, given the chunk's root, without its
    /// leaf hashes: for rebuilding a store from saved chunk roots.
    ///
    /// Fails with [`MerkleError::UnalignedSubtree`] unless the size is a multiple of the chunk
    /// size.
    pub fn push_chunk(&mut self, chunk_root: Hash) -> Result<(), MerkleError> {
        let chunk_level = self.chunk_level;
        let levels = &mut self.levels;
        let mut store = |level: u32, root: &Hash| {
            let Some(stored_level) = level.checked_sub(chunk_level) else { return };
            // Levels up to 64 fit usize on every supported target.
            let stored_level = stored_level as usize;
            if levels.len() == stored_level {
                levels.push(Vec::new());
            }
            if let Some(roots) = levels.get_mut(stored_level) {
                roots.push(*root);
            }
        };
        // The chunk's own root is stored at level 0 of `levels`, then every subtree it completes.
        let aligned = self.frontier.size().get().is_multiple_of(1u64 << chunk_level);
        if aligned {
            store(chunk_level, &chunk_root);
        }
        self.frontier.push_subtree_reporting(chunk_level, chunk_root, &mut store)
    }

    fn check_size(&self, tree_size: TreeSize) -> Result<(), MerkleError> {
        let available = self.size().get();
        if tree_size.get() > available {
            return Err(MerkleError::TreeSizeTooLarge { tree_size: tree_size.get(), available });
        }
        Ok(())
    }

    /// Returns the stored roots of the aligned perfect subtrees that cover the `len` leaves of
    /// chunk `chunk_index` that exist, largest first. A complete chunk has one stored root,
    /// and a partial chunk can only be the last one, whose subtrees are in the frontier.
    fn stored_chunk_roots(&self, chunk_index: u64, len: u64) -> Option<&[Hash]> {
        if len == 1 << self.chunk_level {
            let position = usize::try_from(chunk_index).ok()?;
            let root = self.levels.first()?.get(position)?;
            return Some(std::slice::from_ref(root));
        }
        let hashes = self.frontier.hashes();
        // `len.count_ones()` is at most 64, so widening it to usize is lossless.
        let first = hashes.len().checked_sub(len.count_ones() as usize)?;
        hashes.get(first..)
    }
}

/// Leaf hashes of one chunk and every complete level of subtree roots above them.
struct Chunk {
    index: u64,
    /// `levels[0]` are the leaf hashes and `levels[j][i]` the root of leaves `i * 2^j` up to
    /// the next multiple of `2^j`, counted from the chunk's first leaf.
    levels: Vec<Vec<Hash>>,
}

impl Chunk {
    fn build(index: u64, leaf_hashes: Vec<Hash>) -> Chunk {
        let mut levels = vec![leaf_hashes];
        while let Some(below) = levels.last().filter(|below| below.len() >= 2) {
            let (pairs, _) = below.as_chunks::<2>();
            let above = pairs.iter().map(|[left, right]| node_hash(left, right)).collect();
            levels.push(above);
        }
        Chunk { index, levels }
    }

    /// Returns the roots of the aligned perfect subtrees covering all of the chunk's leaves,
    /// largest first.
    fn cover_roots(&self) -> Vec<Hash> {
        let len = self.levels.first().map_or(0, Vec::len);
        let mut roots = Vec::new();
        let mut offset = 0;
        for level in (0..usize::BITS).rev() {
            if (len >> level) & 1 == 1 {
                if let Some(root) = self.levels.get(level as usize).and_then(|roots| roots.get(offset >> level)) {
                    roots.push(*root);
                }
                offset += 1 << level;
            }
        }
        roots
    }
}

/// The [`SubtreeSource`] of a [`TreeStore`], with the chunks read so far for one proof.
struct StoreSource<'a, F> {
    store: &'a TreeStore,
    read_leaves: F,
    chunks: Vec<Chunk>,
}

impl<'a, F, E> StoreSource<'a, F>
where
    F: FnMut(Range<u64>) -> Result<Vec<Hash>, E>,
    E: From<MerkleError>,
{
    fn new(store: &'a TreeStore, read_leaves: F) -> Self {
        StoreSource { store, read_leaves, chunks: Vec::new() }
    }

    /// Returns the root of the perfect subtree of `2^level` leaves starting at leaf
    /// `position * 2^level`, which lies within the store's leaves.
    fn perfect_root(&mut self, level: u32, position: u64) -> Result<Hash, E> {
        let chunk_level = self.store.chunk_level;
        let start = position << level;
        let missing = MerkleError::TreeSizeTooLarge {
            tree_size: start.saturating_add(1 << level),
            available: self.store.size().get(),
        };

        if let Some(stored_level) = level.checked_sub(chunk_level) {
            // Every complete subtree at or above the chunk level was stored by `push`, so the
            // lookup fails only for a subtree past the store's size, which callers exclude.
            let stored = usize::try_from(position)
                .ok()
                .and_then(|position| self.store.levels.get(stored_level as usize)?.get(position));
            return stored.copied().ok_or_else(|| missing.into());
        }

        let chunk_index = start >> chunk_level;
        let chunk = self.load_chunk(chunk_index)?;
        let position_in_chunk = position - (chunk_index << (chunk_level - level));
        let root = usize::try_from(position_in_chunk)
            .ok()
            .and_then(|position| chunk.levels.get(level as usize)?.get(position));
        root.copied().ok_or_else(|| missing.into())
    }

    /// Returns chunk `chunk_index`, reading its leaf hashes and checking them against the
    /// store on first use.
    fn load_chunk(&mut self, chunk_index: u64) -> Result<&Chunk, E> {
        let found = match self.chunks.iter().position(|chunk| chunk.index == chunk_index) {
            Some(found) => found,
            None => {
                let chunk = self.read_chunk(chunk_index)?;
                self.chunks.push(chunk);
                self.chunks.len() - 1
            }
        };
        // `found` is either a position that `iter().position` returned or the index of the
        // element just pushed, so it is in range.
        Ok(&self.chunks[found])
    }

    /// Reads the leaf hashes of chunk `chunk_index`, builds its levels and checks them against
    /// the roots that the store computed when the leaves were pushed.
    fn read_chunk(&mut self, chunk_index: u64) -> Result<Chunk, E> {
        let chunk_len = 1u64 << self.store.chunk_level;
        let start = chunk_index << self.store.chunk_level;
        let end = start.saturating_add(chunk_len).min(self.store.size().get());
        let leaf_hashes = (self.read_leaves)(start..end)?;
        if leaf_hashes.len() as u64 != end - start {
            return Err(MerkleError::LeafCountMismatch { start, end, found: leaf_hashes.len() }.into());
        }

        let chunk = Chunk::build(chunk_index, leaf_hashes);
        let computed = chunk.cover_roots();
        let stored = self.store.stored_chunk_roots(chunk_index, end - start).unwrap_or_default();
        let matches = computed.len() == stored.len() && computed.iter().zip(stored).all(|(a, b)| a.ct_eq(b));
        if !matches {
            return Err(MerkleError::StoredSubtreeMismatch { start, end }.into());
        }
        Ok(chunk)
    }
}

impl<F, E> SubtreeSource for StoreSource<'_, F>
where
    F: FnMut(Range<u64>) -> Result<Vec<Hash>, E>,
    E: From<MerkleError>,
{
    type Error = E;

    fn subtree_root(&mut self, start: u64, len: u64) -> Result<Hash, E> {
        // The range is aligned (see the trait), so it splits into one aligned perfect subtree
        // per set bit of `len`. `offset` never exceeds `start + len`, which is at most the tree
        // size, so adding to it cannot overflow.
        let mut roots = Vec::with_capacity(len.count_ones() as usize);
        let mut offset = start;
        for level in (0..u64::BITS).rev() {
            if (len >> level) & 1 == 1 {
                roots.push(self.perfect_root(level, offset >> level)?);
                offset += 1 << level;
            }
        }
        Ok(fold_from_right(&roots))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::merkle::consistency::consistency_proof;
    use crate::merkle::hash::leaf_hash;
    use crate::merkle::inclusion::inclusion_proof;
    use crate::merkle::subtree::tree_root;

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn store_of(leaf_hashes: &[Hash], chunk_level: u32) -> TreeStore {
        let mut store = TreeStore::with_chunk_level(chunk_level).unwrap();
        for leaf in leaf_hashes {
            store.push(*leaf).unwrap();
        }
        store
    }

    /// Returns a leaf reader over `leaf_hashes` that records every range it is asked for.
    fn reader<'a>(
        leaf_hashes: &'a [Hash],
        reads: &'a RefCell<Vec<Range<u64>>>,
    ) -> impl FnMut(Range<u64>) -> Result<Vec<Hash>, MerkleError> + 'a {
        move |range| {
            reads.borrow_mut().push(range.clone());
            Ok(leaf_hashes[range.start as usize..range.end as usize].to_vec())
        }
    }

    #[test]
    fn proofs_match_slice_generation() {
        let leaf_hashes = leaves(45);
        for chunk_level in 0..=4 {
            let store = store_of(&leaf_hashes, chunk_level);
            let reads = RefCell::new(Vec::new());
            for size in 0..=45u64 {
                for index in 0..size {
                    let from_store =
                        store.inclusion_proof(LeafIndex(index), TreeSize(size), reader(&leaf_hashes, &reads));
                    let from_slice = inclusion_proof(&leaf_hashes, LeafIndex(index), TreeSize(size));
                    assert_eq!(from_store, from_slice, "inclusion {index} in {size}, chunk level {chunk_level}");
                }
                for old in 0..=size {
                    let from_store =
                        store.consistency_proof(TreeSize(old), TreeSize(size), reader(&leaf_hashes, &reads));
                    let from_slice = consistency_proof(&leaf_hashes, TreeSize(old), TreeSize(size));
                    assert_eq!(from_store, from_slice, "consistency {old} -> {size}, chunk level {chunk_level}");
                }
                let root = store.root_at(TreeSize(size), reader(&leaf_hashes, &reads));
                assert_eq!(root, Ok(tree_root(&leaf_hashes[..size as usize])), "root of {size}");
            }
            if chunk_level == 0 {
                assert!(reads.borrow().is_empty(), "chunk level 0 read leaves: {:?}", reads.borrow());
            }
        }
    }

    #[test]
    fn inclusion_reads_at_most_two_chunks() {
        let leaf_hashes = leaves(1000);
        let store = store_of(&leaf_hashes, 4);
        for (index, size) in [(0, 1000), (517, 1000), (999, 1000), (3, 37), (36, 37), (100, 512)] {
            let reads = RefCell::new(Vec::new());
            store.inclusion_proof(LeafIndex(index), TreeSize(size), reader(&leaf_hashes, &reads)).unwrap();
            let reads = reads.into_inner();
            assert!(reads.len() <= 2, "leaf {index} in {size} read {reads:?}");
            assert!(reads.iter().all(|range| range.end - range.start <= 16), "leaf {index} in {size} read {reads:?}");
        }
    }

    #[test]
    fn every_proof_reads_at_most_two_chunks() {
        let leaf_hashes = leaves(100);
        for chunk_level in [2, 3] {
            let store = store_of(&leaf_hashes, chunk_level);
            for new in 0..=100u64 {
                for old in 0..=new {
                    let reads = RefCell::new(Vec::new());
                    store.consistency_proof(TreeSize(old), TreeSize(new), reader(&leaf_hashes, &reads)).unwrap();
                    let reads = reads.into_inner();
                    assert!(reads.len() <= 2, "consistency {old} -> {new} read {reads:?}");

                    let reads = RefCell::new(Vec::new());
                    if old < new {
                        store.inclusion_proof(LeafIndex(old), TreeSize(new), reader(&leaf_hashes, &reads)).unwrap();
                    }
                    let reads = reads.into_inner();
                    assert!(reads.len() <= 2, "leaf {old} in {new} read {reads:?}");
                }

                let reads = RefCell::new(Vec::new());
                store.root_at(TreeSize(new), reader(&leaf_hashes, &reads)).unwrap();
                let reads = reads.into_inner();
                assert!(reads.len() <= 1, "root at {new} read {reads:?}");
            }
        }
    }

    #[test]
    fn stored_hash_count_stays_below_bound() {
        let store = store_of(&leaves(1000), 4);
        assert!(store.stored_hash_count() < 2 * 1000 / 16, "{store:?}");
        assert_eq!(store.levels[0].len(), 1000 / 16);
    }

    #[test]
    fn tampered_leaf_is_detected() {
        let leaf_hashes = leaves(100);
        let store = store_of(&leaf_hashes, 3);
        let mut tampered = leaf_hashes.clone();
        tampered[42] = leaf_hash(b"forged");
        let reads = RefCell::new(Vec::new());
        let outcome = store.inclusion_proof(LeafIndex(41), TreeSize(100), reader(&tampered, &reads));
        assert_eq!(outcome, Err(MerkleError::StoredSubtreeMismatch { start: 40, end: 48 }));
    }

    #[test]
    fn tampered_leaf_in_last_chunk_is_detected() {
        let leaf_hashes = leaves(100);
        let store = store_of(&leaf_hashes, 3);
        let mut tampered = leaf_hashes.clone();
        tampered[98] = leaf_hash(b"forged");
        let reads = RefCell::new(Vec::new());
        let outcome = store.inclusion_proof(LeafIndex(97), TreeSize(100), reader(&tampered, &reads));
        assert_eq!(outcome, Err(MerkleError::StoredSubtreeMismatch { start: 96, end: 100 }));
    }

    #[test]
    fn short_leaf_read_is_rejected() {
        let leaf_hashes = leaves(100);
        let store = store_of(&leaf_hashes, 3);
        let outcome =
            store.inclusion_proof(LeafIndex(5), TreeSize(100), |_| Ok::<_, MerkleError>(vec![leaf_hashes[0]]));
        // Generation reads the last, partial chunk first, because it visits siblings top-down.
        assert_eq!(outcome, Err(MerkleError::LeafCountMismatch { start: 96, end: 100, found: 1 }));
    }

    #[test]
    fn reader_error_is_returned() {
        #[derive(Debug, PartialEq)]
        enum ReadError {
            Disk,
            Merkle(MerkleError),
        }
        impl From<MerkleError> for ReadError {
            fn from(error: MerkleError) -> Self {
                ReadError::Merkle(error)
            }
        }

        let store = store_of(&leaves(100), 3);
        let outcome = store.inclusion_proof(LeafIndex(5), TreeSize(100), |_| Err(ReadError::Disk));
        assert_eq!(outcome, Err(ReadError::Disk));
        let outcome = store.inclusion_proof(LeafIndex(5), TreeSize(101), |_| Err(ReadError::Disk));
        assert_eq!(outcome, Err(ReadError::Merkle(MerkleError::TreeSizeTooLarge { tree_size: 101, available: 100 })));
    }

    #[test]
    fn requests_past_size_are_rejected() {
        let leaf_hashes = leaves(10);
        let store = store_of(&leaf_hashes, 2);
        let reads = RefCell::new(Vec::new());
        let too_large = MerkleError::TreeSizeTooLarge { tree_size: 11, available: 10 };
        assert_eq!(store.root_at(TreeSize(11), reader(&leaf_hashes, &reads)), Err(too_large.clone()));
        assert_eq!(
            store.inclusion_proof(LeafIndex(0), TreeSize(11), reader(&leaf_hashes, &reads)),
            Err(too_large.clone())
        );
        assert_eq!(store.consistency_proof(TreeSize(1), TreeSize(11), reader(&leaf_hashes, &reads)), Err(too_large));
        let out_of_range = MerkleError::IndexOutOfRange { index: 10, tree_size: 10 };
        assert_eq!(store.inclusion_proof(LeafIndex(10), TreeSize(10), reader(&leaf_hashes, &reads)), Err(out_of_range));
        let shrinking = MerkleError::OldSizeExceedsNewSize { old_size: 9, new_size: 8 };
        assert_eq!(store.consistency_proof(TreeSize(9), TreeSize(8), reader(&leaf_hashes, &reads)), Err(shrinking));
        assert!(reads.borrow().is_empty());
    }

    #[test]
    fn chunk_level_above_maximum_is_rejected() {
        let expected = MerkleError::ChunkLevelTooLarge { level: 21, max: MAX_CHUNK_LEVEL };
        assert_eq!(TreeStore::with_chunk_level(21), Err(expected));
        assert_eq!(TreeStore::with_chunk_level(MAX_CHUNK_LEVEL).map(|store| store.chunk_level()), Ok(20));
    }

    #[test]
    fn root_matches_frontier() {
        let leaf_hashes = leaves(77);
        let store = store_of(&leaf_hashes, 3);
        assert_eq!(store.root(), tree_root(&leaf_hashes));
        assert_eq!(store.frontier().root(), store.root());
        assert_eq!(store.size(), TreeSize(77));
    }
}
