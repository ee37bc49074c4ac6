//! Consistency proofs between two sizes of one append-only tree: generation per RFC 6962
//! §2.1.2 and verification per RFC 9162 §2.1.4.2.
//!
//! A consistency proof from size `m` to size `n` lists the fewest subtree roots from which a
//! verifier can compute both the root of the first `m` leaves and the root of all `n`. Both
//! roots coming from the same hashes shows that the larger tree only appended leaves.

use super::error::MerkleError;
use super::hash::{empty_root, node_hash};
use super::inclusion::inclusion_proof_len;
use super::index::{LeafIndex, TreeSize};
use super::subtree::{split_point, SliceSource, SubtreeSource};
use crate::format::Hash;

/// Generates the consistency proof from the tree of the first `old_size` entries of
/// `leaf_hashes` to the tree of the first `new_size` entries, RFC 6962 §2.1.2.
///
/// The proof is empty when `old_size` is 0 or equal to `new_size`. RFC 6962 leaves the proof
/// from the empty tree undefined, and every tree extends the empty one.
///
/// Hashes every leaf of the new tree once, so it costs about `new_size` node hashes. For large
/// trees use [`TreeStore::consistency_proof`](super::TreeStore::consistency_proof).
///
/// Fails if `old_size > new_size` or `new_size > leaf_hashes.len()`.
pub fn consistency_proof(
    leaf_hashes: &[Hash],
    old_size: TreeSize,
    new_size: TreeSize,
) -> Result<Vec<Hash>, MerkleError> {
    let available = leaf_hashes.len() as u64;
    if new_size.get() > available {
        return Err(MerkleError::TreeSizeTooLarge { tree_size: new_size.get(), available });
    }
    generate_consistency_proof(&mut SliceSource { leaf_hashes }, old_size, new_size)
}

/// Generates a consistency proof from any source of subtree roots, RFC 6962 §2.1.2.
///
/// The caller has checked that the source covers `new_size` leaves.
pub(crate) fn generate_consistency_proof<S: SubtreeSource>(
    source: &mut S,
    old_size: TreeSize,
    new_size: TreeSize,
) -> Result<Vec<Hash>, S::Error> {
    if old_size > new_size {
        return Err(MerkleError::OldSizeExceedsNewSize { old_size: old_size.get(), new_size: new_size.get() }.into());
    }
    if old_size.is_empty() || old_size == new_size {
        return Ok(Vec::new());
    }

    // SUBPROOF(m, D[start..start+len], whole) descends towards the right edge of the old tree
    // and records the root of the half it leaves. `whole` stays true while the subtree is a
    // prefix of the old tree (always the left half), whose root the verifier already has. The
    // recursion yields the recorded roots after the final one, bottom-up, so they are reversed.
    let mut recorded = Vec::new();
    let (mut start, mut len, mut old_len, mut whole) = (0u64, new_size.get(), old_size.get(), true);
    while old_len < len {
        let k = split_point(len);
        if old_len <= k {
            recorded.push(source.subtree_root(start + k, len - k)?);
            len = k;
        } else {
            recorded.push(source.subtree_root(start, k)?);
            start += k;
            len -= k;
            old_len -= k;
            whole = false;
        }
    }

    // Here the subtree is exactly the old tree's last part. SUBPROOF(m, D[m], true) is empty,
    // and SUBPROOF(m, D[m], false) is that part's root.
    let mut proof = Vec::with_capacity(recorded.len() + 1);
    if !whole {
        proof.push(source.subtree_root(start, len)?);
    }
    proof.extend(recorded.into_iter().rev());
    Ok(proof)
}

/// Returns the number of hashes in the consistency proof from `old_size` to `new_size`, where
/// `0 < old_size < new_size`.
pub(crate) fn consistency_proof_len(old_size: TreeSize, new_size: TreeSize) -> usize {
    // The old tree's last perfect subtree is one node at level `level`. The proof is that
    // node's audit path in the new tree, seen from that level, plus the node itself unless the
    // old tree is that one perfect subtree, because then the verifier has its root already.
    let level = old_size.get().trailing_zeros();
    let node = LeafIndex((old_size.get() - 1) >> level);
    let nodes_on_level = TreeSize(((new_size.get() - 1) >> level) + 1);
    let seed = usize::from(!old_size.get().is_power_of_two());
    inclusion_proof_len(node, nodes_on_level) + seed
}

/// Verifies that `proof` shows the tree of size `new_size` with root `new_root` to extend the
/// tree of size `old_size` with root `old_root`, RFC 9162 §2.1.4.2.
///
/// When `old_size` is 0, the proof must be empty and `old_root` must be the empty tree's root.
/// When the sizes are equal, the proof must be empty and the roots equal. Root comparisons run
/// in constant time.
///
/// # Errors
///
/// [`MerkleError::OldSizeExceedsNewSize`] if `old_size > new_size`, [`MerkleError::ProofLength`]
/// if the proof has the wrong number of hashes for those sizes, and
/// [`MerkleError::OldRootMismatch`] or [`MerkleError::NewRootMismatch`] if the proof does not
/// produce that root. Equal sizes with different roots give [`MerkleError::NewRootMismatch`].
pub fn verify_consistency(
    old_size: TreeSize,
    new_size: TreeSize,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    let (old, new) = (old_size.get(), new_size.get());
    if old > new {
        return Err(MerkleError::OldSizeExceedsNewSize { old_size: old, new_size: new });
    }

    let expected = if old == 0 || old == new { 0 } else { consistency_proof_len(old_size, new_size) };
    if proof.len() != expected {
        return Err(MerkleError::ProofLength { expected, found: proof.len() });
    }

    if old == 0 {
        return if old_root.ct_eq(&empty_root()) {
            Ok(())
        } else {
            Err(MerkleError::OldRootMismatch { old_size: old })
        };
    }
    if old == new {
        return if old_root.ct_eq(new_root) { Ok(()) } else { Err(MerkleError::NewRootMismatch { new_size: new }) };
    }

    let (computed_old, computed_new) = roots_from_consistency_proof(old_size, new_size, old_root, proof)?;
    if !computed_old.ct_eq(old_root) {
        return Err(MerkleError::OldRootMismatch { old_size: old });
    }
    if !computed_new.ct_eq(new_root) {
        return Err(MerkleError::NewRootMismatch { new_size: new });
    }
    Ok(())
}

/// Runs the RFC 9162 §2.1.4.2 steps that compute the old and new roots from a consistency
/// proof. The caller has checked that `0 < old_size < new_size`.
fn roots_from_consistency_proof(
    old_size: TreeSize,
    new_size: TreeSize,
    old_root: &Hash,
    proof: &[Hash],
) -> Result<(Hash, Hash), MerkleError> {
    let wrong_length =
        || MerkleError::ProofLength { expected: consistency_proof_len(old_size, new_size), found: proof.len() };

    // When the old tree is a single perfect subtree, the proof omits its root because the
    // verifier has it; RFC 9162 prepends `old_root` to the path in that case.
    let (seed, path) = if old_size.get().is_power_of_two() {
        (old_root, proof)
    } else {
        proof.split_first().ok_or_else(wrong_length)?
    };

    // `node` is the position of the old tree's last node on the current level and `last` that
    // of the new tree's last node. The caller checked `0 < old_size < new_size`, so neither
    // subtraction underflows.
    let mut node = old_size.get() - 1;
    let mut last = new_size.get() - 1;
    // Trailing 1 bits of `node` are levels inside the old tree's last perfect subtree, whose
    // root is `seed`, so the computation starts above them.
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }

    let mut old_hash = *seed;
    let mut new_hash = *seed;
    for sibling in path {
        if last == 0 {
            return Err(wrong_length());
        }
        if node & 1 == 1 || node == last {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
            // A node that is the last on its level but a left child has no sibling, so it
            // moves up unchanged until it becomes a right child or reaches the left edge.
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            // A right sibling exists only in the new tree.
            new_hash = node_hash(&new_hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(wrong_length());
    }
    Ok((old_hash, new_hash))
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
    fn every_pair_of_small_sizes_verifies() {
        let leaf_hashes = leaves(40);
        for new in 0..=40u64 {
            let new_root = tree_root(&leaf_hashes[..new as usize]);
            for old in 0..=new {
                let old_root = tree_root(&leaf_hashes[..old as usize]);
                let proof = consistency_proof(&leaf_hashes, TreeSize(old), TreeSize(new)).unwrap();
                if old > 0 && old < new {
                    assert_eq!(proof.len(), consistency_proof_len(TreeSize(old), TreeSize(new)), "{old} -> {new}");
                }
                let outcome = verify_consistency(TreeSize(old), TreeSize(new), &old_root, &new_root, &proof);
                assert_eq!(outcome, Ok(()), "{old} -> {new}");
            }
        }
    }

    #[test]
    fn generation_rejects_shrinking() {
        let leaf_hashes = leaves(8);
        let expected = MerkleError::OldSizeExceedsNewSize { old_size: 5, new_size: 4 };
        assert_eq!(consistency_proof(&leaf_hashes, TreeSize(5), TreeSize(4)), Err(expected));
    }

    #[test]
    fn generation_rejects_size_past_leaves() {
        let leaf_hashes = leaves(8);
        let expected = MerkleError::TreeSizeTooLarge { tree_size: 9, available: 8 };
        assert_eq!(consistency_proof(&leaf_hashes, TreeSize(2), TreeSize(9)), Err(expected));
    }

    #[test]
    fn verification_rejects_shrinking() {
        let root = tree_root(&leaves(3));
        let expected = MerkleError::OldSizeExceedsNewSize { old_size: 3, new_size: 2 };
        assert_eq!(verify_consistency(TreeSize(3), TreeSize(2), &root, &root, &[]), Err(expected));
    }

    #[test]
    fn empty_old_tree_needs_empty_root() {
        let new_root = tree_root(&leaves(5));
        assert_eq!(verify_consistency(TreeSize(0), TreeSize(5), &empty_root(), &new_root, &[]), Ok(()));
        let expected = MerkleError::OldRootMismatch { old_size: 0 };
        assert_eq!(verify_consistency(TreeSize(0), TreeSize(5), &new_root, &new_root, &[]), Err(expected));
    }

    #[test]
    fn equal_sizes_need_equal_roots() {
        let leaf_hashes = leaves(5);
        let root = tree_root(&leaf_hashes);
        assert_eq!(verify_consistency(TreeSize(5), TreeSize(5), &root, &root, &[]), Ok(()));
        let other = tree_root(&leaf_hashes[..4]);
        let expected = MerkleError::NewRootMismatch { new_size: 5 };
        assert_eq!(verify_consistency(TreeSize(5), TreeSize(5), &root, &other, &[]), Err(expected));
    }

    #[test]
    fn equal_sizes_reject_nonempty_proof() {
        let root = tree_root(&leaves(5));
        let expected = MerkleError::ProofLength { expected: 0, found: 1 };
        assert_eq!(verify_consistency(TreeSize(5), TreeSize(5), &root, &root, &[root]), Err(expected));
    }

    #[test]
    fn swapped_roots_are_rejected() {
        let leaf_hashes = leaves(11);
        let old_root = tree_root(&leaf_hashes[..6]);
        let new_root = tree_root(&leaf_hashes);
        let proof = consistency_proof(&leaf_hashes, TreeSize(6), TreeSize(11)).unwrap();
        let outcome = verify_consistency(TreeSize(6), TreeSize(11), &new_root, &old_root, &proof);
        assert_eq!(outcome, Err(MerkleError::OldRootMismatch { old_size: 6 }));
    }
}
