//! Inclusion proofs (audit paths): generation per RFC 6962 §2.1.1 and verification per
//! RFC 9162 §2.1.3.2.
//!
//! An audit path for leaf `m` of a tree of size `n` lists the roots of the subtrees beside the
//! path from the leaf to the root, from the leaf upwards. It contains one hash per level where the
//! paths to leaf `m` and to the last leaf `n - 1` have split, plus one for each level above
//! that where leaf `m`'s ancestor is a right child.

use super::error::MerkleError;
use super::hash::node_hash;
use super::index::{LeafIndex, TreeSize};
use super::subtree::{split_point, SliceSource, SubtreeSource};
use crate::format::Hash;

/// Generates the audit path of leaf `index` in the tree made of the first `tree_size` entries
/// of `leaf_hashes`, RFC 6962 §2.1.1.
///
/// Hashes every leaf of the tree once, so it costs about `tree_size` node hashes. For large
/// trees use [`TreeStore::inclusion_proof`](super::TreeStore::inclusion_proof).
///
/// Fails if `index >= tree_size` or `tree_size > leaf_hashes.len()`.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: LeafIndex, tree_size: TreeSize) -> Result<Vec<Hash>, MerkleError> {
    let available = leaf_hashes.len() as u64;
    if tree_size.get() > available {
        return Err(MerkleError::TreeSizeTooLarge { tree_size: tree_size.get(), available });
    }
    generate_inclusion_proof(&mut SliceSource { leaf_hashes }, index, tree_size)
}

/// Generates an audit path from any source of subtree roots, RFC 6962 §2.1.1.
///
/// The caller has checked that the source covers `tree_size` leaves.
pub(crate) fn generate_inclusion_proof<S: SubtreeSource>(
    source: &mut S,
    index: LeafIndex,
    tree_size: TreeSize,
) -> Result<Vec<Hash>, S::Error> {
    if !tree_size.contains(index) {
        return Err(MerkleError::IndexOutOfRange { index: index.get(), tree_size: tree_size.get() }.into());
    }

    // PATH(m, D[start..start+len]) descends into the half that contains leaf m and records the
    // root of the other half. The recursion yields those roots bottom-up, so the siblings
    // collected top-down here are reversed at the end.
    let mut siblings = Vec::with_capacity(inclusion_proof_len(index, tree_size));
    let (mut start, mut len, mut offset) = (0u64, tree_size.get(), index.get());
    while len > 1 {
        let k = split_point(len);
        if offset < k {
            siblings.push(source.subtree_root(start + k, len - k)?);
            len = k;
        } else {
            siblings.push(source.subtree_root(start, k)?);
            start += k;
            len -= k;
            offset -= k;
        }
    }
    siblings.reverse();
    Ok(siblings)
}

/// Returns the number of hashes in the audit path of leaf `index` in a tree of `tree_size`
/// leaves. The caller has checked that `index < tree_size`.
pub(crate) fn inclusion_proof_len(index: LeafIndex, tree_size: TreeSize) -> usize {
    let (index, last) = (index.get(), tree_size.get().saturating_sub(1));

    // Below the level where the paths to `index` and to the last leaf split, every level has a
    // full sibling subtree. Above it, leaf `index` is on the right border of the tree and a
    // level contributes a sibling only where its ancestor is a right child (a set bit).
    let inner = u64::BITS - (index ^ last).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();

    // Both counts are at most 64, so the sum fits usize.
    (inner + border) as usize
}

/// Verifies that `proof` is the audit path of a leaf with hash `leaf_hash` at `index` in the
/// tree of size `tree_size` whose root is `root`, RFC 9162 §2.1.3.2.
///
/// The final root comparison runs in constant time.
///
/// # Errors
///
/// [`MerkleError::IndexOutOfRange`] if `index >= tree_size`, [`MerkleError::ProofLength`] if
/// the proof has the wrong number of hashes for that index and size, and
/// [`MerkleError::RootMismatch`] if the proof does not produce `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: LeafIndex,
    tree_size: TreeSize,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if !tree_size.contains(index) {
        return Err(MerkleError::IndexOutOfRange { index: index.get(), tree_size: tree_size.get() });
    }
    let expected = inclusion_proof_len(index, tree_size);
    if proof.len() != expected {
        return Err(MerkleError::ProofLength { expected, found: proof.len() });
    }

    let computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)?;
    if computed.ct_eq(root) {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch { index: index.get(), tree_size: tree_size.get() })
    }
}

/// Runs the RFC 9162 §2.1.3.2 steps that compute a root from a leaf hash and an audit path.
/// The caller has checked that `index < tree_size`.
fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: LeafIndex,
    tree_size: TreeSize,
    proof: &[Hash],
) -> Result<Hash, MerkleError> {
    let wrong_length =
        || MerkleError::ProofLength { expected: inclusion_proof_len(index, tree_size), found: proof.len() };

    // `node` is the position of the current node on its level and `last` that of the level's
    // last node. Both shift right as the computation climbs one level.
    let mut node = index.get();
    // The caller checked `index < tree_size`, so `tree_size >= 1` and this cannot underflow.
    let mut last = tree_size.get() - 1;
    let mut hash = *leaf_hash;
    for sibling in proof {
        if last == 0 {
            return Err(wrong_length());
        }
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            // A node that is the last on its level but a left child has no sibling, so it
            // moves up unchanged until it becomes a right child or reaches the left edge.
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(wrong_length());
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::hash::leaf_hash;
    use crate::merkle::subtree::tree_root;

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_leaf_of_small_trees_verifies() {
        for size in 1..=40u64 {
            let leaf_hashes = leaves(size);
            let root = tree_root(&leaf_hashes);
            for index in 0..size {
                let proof = inclusion_proof(&leaf_hashes, LeafIndex(index), TreeSize(size)).unwrap();
                assert_eq!(
                    proof.len(),
                    inclusion_proof_len(LeafIndex(index), TreeSize(size)),
                    "index {index} size {size}"
                );
                let leaf = &leaf_hashes[index as usize];
                assert_eq!(verify_inclusion(leaf, LeafIndex(index), TreeSize(size), &proof, &root), Ok(()));
            }
        }
    }

    #[test]
    fn proof_for_older_size_uses_prefix() {
        let leaf_hashes = leaves(20);
        let proof = inclusion_proof(&leaf_hashes, LeafIndex(3), TreeSize(11)).unwrap();
        let root = tree_root(&leaf_hashes[..11]);
        assert_eq!(verify_inclusion(&leaf_hashes[3], LeafIndex(3), TreeSize(11), &proof, &root), Ok(()));
    }

    #[test]
    fn generation_rejects_index_at_size() {
        let leaf_hashes = leaves(5);
        let expected = MerkleError::IndexOutOfRange { index: 5, tree_size: 5 };
        assert_eq!(inclusion_proof(&leaf_hashes, LeafIndex(5), TreeSize(5)), Err(expected));
    }

    #[test]
    fn generation_rejects_size_past_leaves() {
        let leaf_hashes = leaves(5);
        let expected = MerkleError::TreeSizeTooLarge { tree_size: 6, available: 5 };
        assert_eq!(inclusion_proof(&leaf_hashes, LeafIndex(0), TreeSize(6)), Err(expected));
    }

    #[test]
    fn verification_rejects_empty_tree() {
        let root = tree_root(&[]);
        let expected = MerkleError::IndexOutOfRange { index: 0, tree_size: 0 };
        assert_eq!(verify_inclusion(&root, LeafIndex(0), TreeSize(0), &[], &root), Err(expected));
    }

    #[test]
    fn verification_rejects_extra_hash() {
        let leaf_hashes = leaves(6);
        let root = tree_root(&leaf_hashes);
        let mut proof = inclusion_proof(&leaf_hashes, LeafIndex(2), TreeSize(6)).unwrap();
        proof.push(root);
        let expected = MerkleError::ProofLength { expected: 3, found: 4 };
        assert_eq!(verify_inclusion(&leaf_hashes[2], LeafIndex(2), TreeSize(6), &proof, &root), Err(expected));
    }

    #[test]
    fn length_formula_matches_largest_indices() {
        assert_eq!(inclusion_proof_len(LeafIndex(0), TreeSize(1)), 0);
        assert_eq!(inclusion_proof_len(LeafIndex(u64::MAX - 1), TreeSize(u64::MAX)), 63);
        assert_eq!(inclusion_proof_len(LeafIndex(0), TreeSize(u64::MAX)), 64);
        assert_eq!(inclusion_proof_len(LeafIndex(1 << 63), TreeSize(u64::MAX)), 64);
    }
}
