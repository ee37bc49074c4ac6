//! Errors from building trees, generating proofs and verifying them.

/// An error from building a Merkle tree, generating a proof or verifying one.
///
/// Verification failures ([`RootMismatch`](Self::RootMismatch),
/// [`OldRootMismatch`](Self::OldRootMismatch), [`NewRootMismatch`](Self::NewRootMismatch)) mean
/// that the proof, the leaf or the roots were tampered with or do not belong together. The
/// other variants mean that the request itself was malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is out of range for a tree of size {tree_size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size it was checked against.
        tree_size: u64,
    },

    /// The requested tree size is larger than the number of leaves the caller or the store has.
    #[error("tree size {tree_size} exceeds the {available} leaves available")]
    TreeSizeTooLarge {
        /// The requested tree size.
        tree_size: u64,
        /// The number of leaves available.
        available: u64,
    },

    /// A consistency proof was requested or checked from a larger tree to a smaller one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeExceedsNewSize {
        /// The old tree size.
        old_size: u64,
        /// The new tree size.
        new_size: u64,
    },

    /// The proof has the wrong number of hashes for the given index and sizes.
    #[error("proof has {found} hashes, but these sizes require exactly {expected}")]
    ProofLength {
        /// The number of hashes the index and sizes require.
        expected: usize,
        /// The number of hashes in the proof.
        found: usize,
    },

    /// The inclusion proof and the leaf hash do not produce the expected root.
    #[error("inclusion proof of leaf {index} does not produce the expected root of the tree of size {tree_size}")]
    RootMismatch {
        /// The leaf index that was checked.
        index: u64,
        /// The tree size that was checked.
        tree_size: u64,
    },

    /// The consistency proof does not produce the old root.
    #[error("consistency proof does not produce the expected root of the old tree of size {old_size}")]
    OldRootMismatch {
        /// The old tree size.
        old_size: u64,
    },

    /// The consistency proof does not produce the new root.
    #[error("consistency proof does not produce the expected root of the new tree of size {new_size}")]
    NewRootMismatch {
        /// The new tree size.
        new_size: u64,
    },

    /// A frontier encoding does not contain one hash per set bit of its tree size.
    #[error("frontier of tree size {tree_size} must contain {expected} hashes, found {found}")]
    FrontierHashCount {
        /// The tree size stored in the encoding.
        tree_size: u64,
        /// The number of set bits in the tree size.
        expected: u32,
        /// The number of hashes stored.
        found: usize,
    },

    /// A frontier byte encoding is not an 8-byte tree size followed by whole 32-byte hashes.
    #[error("frontier encoding of {length} bytes is invalid: expected an 8-byte tree size followed by 32-byte hashes")]
    FrontierEncodingLength {
        /// The length of the rejected encoding, in bytes.
        length: usize,
    },

    /// The tree already has 2^64 - 1 leaves, so its size cannot grow.
    #[error("tree is full: it already has the maximum of 2^64 - 1 leaves")]
    TreeFull,

    /// A leaf source returned a different number of leaf hashes than the range asked for.
    #[error("leaf source returned {found} leaf hashes for leaves {start}..{end}")]
    LeafCountMismatch {
        /// First leaf index of the requested range.
        start: u64,
        /// End of the requested range, exclusive.
        end: u64,
        /// The number of hashes returned.
        found: usize,
    },

    /// Leaf hashes from a leaf source do not reproduce a subtree root that the store computed
    /// when the leaves were pushed, so the source and the store describe different logs.
    #[error("leaf hashes for leaves {start}..{end} do not match the subtree root stored for them")]
    StoredSubtreeMismatch {
        /// First leaf index of the subtree.
        start: u64,
        /// End of the subtree, exclusive.
        end: u64,
    },

    /// The level of the smallest stored subtree is above the supported maximum.
    #[error("chunk level {level} is above the maximum of {max}")]
    ChunkLevelTooLarge {
        /// The requested level.
        level: u32,
        /// The largest supported level.
        max: u32,
    },
    /// A subtree was appended at a position that is not a multiple of its width.
    #[error("cannot append a subtree of 2^{level} leaves at tree size {tree_size}: not aligned")]
    UnalignedSubtree {
        /// The tree size before the append.
        tree_size: u64,
        /// The subtree's level.
        level: u32,
    },
}
