//! RFC 6962 Merkle trees over the log's records.
//!
//! The tree hashes leaves and interior nodes with SHA-256 and the domain-separation prefixes of
//! RFC 6962 §2.1 ([`leaf_hash`], [`node_hash`]). Its parts:
//!
//! - [`Frontier`]: the O(log n) incremental state of a tree, enough to append and to compute
//!   the root. It serialises to bytes and JSON so a writer can persist it.
//! - [`inclusion_proof`] and [`consistency_proof`]: proofs generated from a list of all leaf
//!   hashes, RFC 6962 §2.1.1 and §2.1.2. Each costs about one node hash per leaf.
//! - [`TreeStore`]: stored subtree roots that make proofs in large trees cost O(log n)
//!   lookups plus reading a few chunks of leaf hashes. Its module documentation compares
//!   memory and time.
//! - [`verify_inclusion`] and [`verify_consistency`]: verification without the tree,
//!   following RFC 9162 §2.1.3.2 and §2.1.4.2.
//!
//! Proofs are lists of 32-byte hashes in RFC 6962 order, from the leaf (or the old tree's
//! edge) upwards.
//!
//! ```
//! use audit_logging::merkle::{leaf_hash, verify_inclusion, Frontier, LeafIndex, TreeStore, TreeSize};
//! use audit_logging::merkle::MerkleError;
//!
//! # fn main() -> Result<(), MerkleError> {
//! let leaves: Vec<_> = (0..10).map(|i| leaf_hash(format!("record {i}").as_bytes())).collect();
//! let mut store = TreeStore::new();
//! for leaf in &leaves {
//!     store.push(*leaf)?;
//! }
//! let read_leaves = |range: std::ops::Range<u64>| Ok::<_, MerkleError>(leaves[range.start as usize..range.end as usize].to_vec());
//! let proof = store.inclusion_proof(LeafIndex(3), store.size(), read_leaves)?;
//! verify_inclusion(&leaves[3], LeafIndex(3), store.size(), &proof, &store.root())?;
//!
//! let state = Frontier::from_bytes(&store.frontier().to_bytes())?;
//! assert_eq!(state.root(), store.root());
//! assert_eq!(state.size(), TreeSize(10));
//! # Ok(())
//! # }
//! ```

mod consistency;
mod error;
mod frontier;
mod hash;
mod inclusion;
mod index;
mod store;
mod subtree;

pub use consistency::{consistency_proof, verify_consistency};
pub use error::MerkleError;
pub use frontier::Frontier;
pub use hash::{empty_root, leaf_hash, node_hash, LEAF_PREFIX, NODE_PREFIX};
pub use inclusion::{inclusion_proof, verify_inclusion};
pub use index::{LeafIndex, TreeSize};
pub use store::{TreeStore, DEFAULT_CHUNK_LEVEL, MAX_CHUNK_LEVEL};
pub use subtree::tree_root;
