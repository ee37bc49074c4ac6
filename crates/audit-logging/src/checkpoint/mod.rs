//! Signed checkpoints of the Merkle tree.
