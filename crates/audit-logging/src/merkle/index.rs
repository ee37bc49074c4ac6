//! Leaf indices and tree sizes as distinct types, so that one cannot be passed for the other.

use std::fmt;

/// The 0-based position of a leaf in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LeafIndex(pub u64);

/// The number of leaves in a tree. A tree of size `n` contains leaves `0..n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TreeSize(pub u64);

impl LeafIndex {
    /// Returns the index as a number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl TreeSize {
    /// Returns the size as a number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Returns `true` if the tree has no leaves.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Returns `true` if `index` names a leaf of a tree of this size.
    pub const fn contains(self, index: LeafIndex) -> bool {
        index.0 < self.0
    }
}

impl From<u64> for LeafIndex {
    fn from(value: u64) -> Self {
        LeafIndex(value)
    }
}

impl From<u64> for TreeSize {
    fn from(value: u64) -> Self {
        TreeSize(value)
    }
}

impl fmt::Display for LeafIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for TreeSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
