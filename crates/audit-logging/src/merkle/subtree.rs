//! Subtree roots: the RFC 6962 §2.1 tree hash of a slice, and the trait through which proof
//! generation requests the root of any subtree.

use super::error::MerkleError;
use super::hash::{empty_root, node_hash};
use crate::format::Hash;

/// Supplies subtree roots to proof generation, so that one implementation of the RFC 6962
/// proof algorithms serves both a slice of leaf hashes and a [`TreeStore`](super::TreeStore).
pub(crate) trait SubtreeSource {
    /// The error of a failed lookup. Invalid requests are reported as [`MerkleError`].
    type Error: From<MerkleError>;

    /// Returns the tree hash of leaves `start..start + len`, where `len >= 1`.
    ///
    /// Proof generation only requests subtrees of the RFC 6962 §2.1 split, and those are
    /// aligned: `start` is a multiple of the smallest power of two at least `len`. The range
    /// therefore splits into one aligned perfect subtree per set bit of `len`, largest first.
    fn subtree_root(&mut self, start: u64, len: u64) -> Result<Hash, Self::Error>;
}

/// Returns the split point of a tree of `size >= 2` leaves: the largest power of two strictly
/// below `size` (the `k` of RFC 6962 §2.1).
pub(crate) fn split_point(size: u64) -> u64 {
    // For size >= 2, `size - 1 >= 1` has at least one set bit, so the shift is at most 63.
    1 << (u64::BITS - 1 - (size - 1).leading_zeros())
}

/// Computes the Merkle tree hash (MTH) of a list of leaf hashes, RFC 6962 §2.1.
///
/// Costs `len - 1` interior node hashes. The empty list has the empty tree's root.
pub fn tree_root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes {
        [] => empty_root(),
        [single] => *single,
        _ => {
            // The slice has at least 2 entries, so the split point is within it (and the
            // usize value fits u64 on every supported target).
            let k = split_point(leaf_hashes.len() as u64) as usize;
            let (left, right) = leaf_hashes.split_at(k);
            node_hash(&tree_root(left), &tree_root(right))
        }
    }
}

/// Folds the roots of the perfect subtrees covering a range, largest (leftmost) first, into the
/// range's tree hash. RFC 6962 §2.1 nests the split from the right.
pub(crate) fn fold_from_right(roots: &[Hash]) -> Hash {
    let mut from_right = roots.iter().rev();
    match from_right.next() {
        None => empty_root(),
        Some(last) => from_right.fold(*last, |right, left| node_hash(left, &right)),
    }
}

/// A [`SubtreeSource`] over all leaf hashes in memory. Each lookup hashes the whole range.
pub(crate) struct SliceSource<'a> {
    pub(crate) leaf_hashes: &'a [Hash],
}

impl SubtreeSource for SliceSource<'_> {
    type Error = MerkleError;

    fn subtree_root(&mut self, start: u64, len: u64) -> Result<Hash, MerkleError> {
        let available = self.leaf_hashes.len() as u64;
        let out_of_range = MerkleError::TreeSizeTooLarge { tree_size: start.saturating_add(len), available };
        let end = start.checked_add(len).ok_or(out_of_range.clone())?;
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return Err(out_of_range);
        };
        let range = self.leaf_hashes.get(start..end).ok_or(out_of_range)?;
        Ok(tree_root(range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::hash::leaf_hash;

    #[test]
    fn split_point_is_largest_power_below() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (70, 64), (u64::MAX, 1 << 63)];
        for (size, expected) in cases {
            assert_eq!(split_point(size), expected, "size {size}");
        }
    }

    #[test]
    fn tree_root_of_five_leaves() {
        let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        let left = node_hash(&node_hash(&leaves[0], &leaves[1]), &node_hash(&leaves[2], &leaves[3]));
        assert_eq!(tree_root(&leaves), node_hash(&left, &leaves[4]));
    }

    #[test]
    fn fold_matches_tree_root() {
        let leaves: Vec<Hash> = (0..13u8).map(|i| leaf_hash(&[i])).collect();
        let parts = [tree_root(&leaves[0..8]), tree_root(&leaves[8..12]), leaves[12]];
        assert_eq!(fold_from_right(&parts), tree_root(&leaves));
    }

    #[test]
    fn slice_source_rejects_range_past_end() {
        let leaves: Vec<Hash> = (0..4u8).map(|i| leaf_hash(&[i])).collect();
        let mut source = SliceSource { leaf_hashes: &leaves };
        let expected = MerkleError::TreeSizeTooLarge { tree_size: 6, available: 4 };
        assert_eq!(source.subtree_root(2, 4), Err(expected));
    }
}
