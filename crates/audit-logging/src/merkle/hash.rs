//! Leaf and interior node hashes with RFC 6962 domain separation.
//!
//! RFC 6962 §2.1 prefixes a leaf's data with the byte 0x00 and the concatenation of two child
//! hashes with the byte 0x01 before hashing. The prefixes keep a leaf hash from being passed off
//! as an interior node hash (a second-preimage attack on the tree). The hash function is SHA-256.

use sha2::{Digest, Sha256};

use crate::format::Hash;

/// Prefix byte of a leaf hash input (RFC 6962 §2.1).
pub const LEAF_PREFIX: u8 = 0x00;

/// Prefix byte of an interior node hash input (RFC 6962 §2.1).
pub const NODE_PREFIX: u8 = 0x01;

/// Computes the hash of a leaf: SHA-256(0x00 || `data`), RFC 6962 §2.1.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// Computes the hash of an interior node: SHA-256(0x01 || `left` || `right`), RFC 6962 §2.1.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_PREFIX]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// Returns the root hash of the empty tree: SHA-256 of the empty string, RFC 6962 §2.1.
pub fn empty_root() -> Hash {
    Hash::of(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let expected = Hash::from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(Some(empty_root()), expected);
    }

    #[test]
    fn leaf_hash_prefixes_zero_byte() {
        assert_eq!(leaf_hash(b"abc"), Hash::of(b"\x00abc"));
    }

    #[test]
    fn node_hash_prefixes_one_byte() {
        let left = Hash([0x11; 32]);
        let right = Hash([0x22; 32]);
        let mut input = vec![0x01];
        input.extend_from_slice(&[0x11; 32]);
        input.extend_from_slice(&[0x22; 32]);
        assert_eq!(node_hash(&left, &right), Hash::of(&input));
    }

    #[test]
    fn leaf_and_node_domains_differ() {
        let left = Hash([0x11; 32]);
        let right = Hash([0x22; 32]);
        let mut concatenated = Vec::new();
        concatenated.extend_from_slice(&left.0);
        concatenated.extend_from_slice(&right.0);
        assert_ne!(leaf_hash(&concatenated), node_hash(&left, &right));
    }
}
