//! The Merkle tree module against known-answer vectors, tampered proofs and random sizes.
//!
//! `vectors/rfc6962-tlog.json` was computed with Go's `golang.org/x/mod/sumdb/tlog`, an
//! independent RFC 6962 implementation. Its leaves are the ASCII strings `leaf-0` to `leaf-69`.

use std::cell::Cell;
use std::ops::Range;
use std::time::{Duration, Instant};

use audit_logging::format::Hash;
use audit_logging::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, tree_root, verify_consistency, verify_inclusion,
    Frontier, LeafIndex, MerkleError, TreeSize, TreeStore,
};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    empty_root: Hash,
    roots: Vec<RootVector>,
    inclusion: Vec<InclusionVector>,
    consistency: Vec<ConsistencyVector>,
}

#[derive(Deserialize)]
struct RootVector {
    tree_size: u64,
    root: Hash,
}

#[derive(Deserialize)]
struct InclusionVector {
    tree_size: u64,
    index: u64,
    leaf_data: String,
    leaf_hash: Hash,
    root: Hash,
    audit_path: Vec<Hash>,
}

#[derive(Deserialize)]
struct ConsistencyVector {
    old_size: u64,
    new_size: u64,
    old_root: Hash,
    new_root: Hash,
    proof: Vec<Hash>,
}

/// Number of leaves in the vectors file.
const VECTOR_LEAVES: u64 = 70;

fn vectors() -> Vectors {
    let text = include_str!("vectors/rfc6962-tlog.json");
    serde_json::from_str(text).expect("vectors file should parse")
}

fn vector_leaves() -> Vec<Hash> {
    (0..VECTOR_LEAVES).map(|i| leaf_hash(format!("leaf-{i}").as_bytes())).collect()
}

fn store_of(leaf_hashes: &[Hash], chunk_level: u32) -> TreeStore {
    let mut store = TreeStore::with_chunk_level(chunk_level).unwrap();
    for leaf in leaf_hashes {
        store.push(*leaf).unwrap();
    }
    store
}

/// Returns the leaf hashes of `range` from an in-memory list, as a log reader would.
fn read_from(leaf_hashes: &[Hash]) -> impl Fn(Range<u64>) -> Result<Vec<Hash>, MerkleError> + '_ {
    move |range| Ok(leaf_hashes[range.start as usize..range.end as usize].to_vec())
}

/// Returns `hash` with one bit inverted.
fn flip_bit(hash: &Hash, bit: usize) -> Hash {
    let mut bytes = hash.0;
    bytes[bit / 8] ^= 1 << (bit % 8);
    Hash(bytes)
}

// ---- Known-answer vectors ----

#[test]
fn empty_root_matches_vector() {
    let vectors = vectors();
    assert_eq!(empty_root(), vectors.empty_root);
    assert_eq!(Frontier::new().root(), vectors.empty_root);
    assert_eq!(TreeStore::new().root(), vectors.empty_root);
    assert_eq!(tree_root(&[]), vectors.empty_root);
}

#[test]
fn roots_match_vectors() {
    let vectors = vectors();
    assert_eq!(vectors.roots.len() as u64, VECTOR_LEAVES);
    let leaf_hashes = vector_leaves();

    let mut frontier = Frontier::new();
    let mut store = TreeStore::with_chunk_level(2).unwrap();
    for (expected, leaf) in vectors.roots.iter().zip(&leaf_hashes) {
        frontier.push(*leaf).unwrap();
        store.push(*leaf).unwrap();
        let size = expected.tree_size;
        assert_eq!(frontier.size(), TreeSize(size));
        assert_eq!(frontier.root(), expected.root, "frontier root of size {size}");
        assert_eq!(store.root(), expected.root, "store root of size {size}");
        assert_eq!(tree_root(&leaf_hashes[..size as usize]), expected.root, "slice root of size {size}");
    }

    for expected in &vectors.roots {
        let root = store.root_at(TreeSize(expected.tree_size), read_from(&leaf_hashes));
        assert_eq!(root, Ok(expected.root), "store root at size {}", expected.tree_size);
    }
}

#[test]
fn inclusion_proofs_match_vectors() {
    let vectors = vectors();
    let leaf_hashes = vector_leaves();
    let stores: Vec<TreeStore> = [0, 2, 10].iter().map(|&level| store_of(&leaf_hashes, level)).collect();

    for case in &vectors.inclusion {
        let (index, size) = (LeafIndex(case.index), TreeSize(case.tree_size));
        let name = format!("leaf {index} in tree of size {size}");
        assert_eq!(leaf_hash(case.leaf_data.as_bytes()), case.leaf_hash, "{name}");
        assert_eq!(leaf_hashes[case.index as usize], case.leaf_hash, "{name}");

        assert_eq!(inclusion_proof(&leaf_hashes, index, size), Ok(case.audit_path.clone()), "slice, {name}");
        for store in &stores {
            let proof = store.inclusion_proof(index, size, read_from(&leaf_hashes));
            assert_eq!(proof, Ok(case.audit_path.clone()), "chunk level {}, {name}", store.chunk_level());
        }

        let outcome = verify_inclusion(&case.leaf_hash, index, size, &case.audit_path, &case.root);
        assert_eq!(outcome, Ok(()), "{name}");
    }
}

#[test]
fn consistency_proofs_match_vectors() {
    let vectors = vectors();
    let leaf_hashes = vector_leaves();
    let stores: Vec<TreeStore> = [0, 2, 10].iter().map(|&level| store_of(&leaf_hashes, level)).collect();

    for case in &vectors.consistency {
        let (old, new) = (TreeSize(case.old_size), TreeSize(case.new_size));
        let name = format!("{old} -> {new}");
        assert_eq!(tree_root(&leaf_hashes[..case.old_size as usize]), case.old_root, "{name}");
        assert_eq!(tree_root(&leaf_hashes[..case.new_size as usize]), case.new_root, "{name}");

        assert_eq!(consistency_proof(&leaf_hashes, old, new), Ok(case.proof.clone()), "slice, {name}");
        for store in &stores {
            let proof = store.consistency_proof(old, new, read_from(&leaf_hashes));
            assert_eq!(proof, Ok(case.proof.clone()), "chunk level {}, {name}", store.chunk_level());
        }

        let outcome = verify_consistency(old, new, &case.old_root, &case.new_root, &case.proof);
        assert_eq!(outcome, Ok(()), "{name}");
    }
}

// ---- Tampered inclusion proofs ----

#[test]
fn inclusion_rejects_flipped_bits() {
    for case in &vectors().inclusion {
        let (index, size) = (LeafIndex(case.index), TreeSize(case.tree_size));
        for position in 0..case.audit_path.len() {
            for bit in [0, 131, 255] {
                let mut proof = case.audit_path.clone();
                proof[position] = flip_bit(&proof[position], bit);
                let outcome = verify_inclusion(&case.leaf_hash, index, size, &proof, &case.root);
                let expected = MerkleError::RootMismatch { index: case.index, tree_size: case.tree_size };
                assert_eq!(outcome, Err(expected), "leaf {index} in {size}, hash {position}, bit {bit}");
            }
        }
    }
}

#[test]
fn inclusion_rejects_flipped_leaf_and_root() {
    for case in &vectors().inclusion {
        let (index, size) = (LeafIndex(case.index), TreeSize(case.tree_size));
        let expected = Err(MerkleError::RootMismatch { index: case.index, tree_size: case.tree_size });
        let wrong_leaf = flip_bit(&case.leaf_hash, 7);
        assert_eq!(verify_inclusion(&wrong_leaf, index, size, &case.audit_path, &case.root), expected);
        let wrong_root = flip_bit(&case.root, 200);
        assert_eq!(verify_inclusion(&case.leaf_hash, index, size, &case.audit_path, &wrong_root), expected);
    }
}

#[test]
fn inclusion_rejects_wrong_index() {
    for case in vectors().inclusion.iter().filter(|case| case.tree_size > 1) {
        let size = TreeSize(case.tree_size);
        let other = if case.index + 1 < case.tree_size { case.index + 1 } else { case.index - 1 };
        let outcome = verify_inclusion(&case.leaf_hash, LeafIndex(other), size, &case.audit_path, &case.root);
        assert!(
            matches!(outcome, Err(MerkleError::RootMismatch { .. } | MerkleError::ProofLength { .. })),
            "leaf {} claimed at {other} in {size}: {outcome:?}",
            case.index
        );
    }
}

#[test]
fn inclusion_rejects_index_at_or_past_size() {
    let case = vectors().inclusion.into_iter().find(|case| case.tree_size == 70).unwrap();
    for index in [70, 71, u64::MAX] {
        let outcome = verify_inclusion(&case.leaf_hash, LeafIndex(index), TreeSize(70), &case.audit_path, &case.root);
        assert_eq!(outcome, Err(MerkleError::IndexOutOfRange { index, tree_size: 70 }));
    }
}

/// Returns the root of the vector tree of `size` leaves.
fn vector_root(vectors: &Vectors, size: u64) -> Hash {
    if size == 0 {
        return vectors.empty_root;
    }
    vectors.roots.iter().find(|root| root.tree_size == size).map(|root| root.root).unwrap()
}

// An RFC 6962 proof does not encode the tree size: the signed root does. A proof replayed
// against the root of another size must fail. The same root claimed with another size can
// pass when both sizes give the path the same shape, which is why verifiers take the size
// and the root from one signed tree head.
#[test]
fn inclusion_rejects_other_tree_size() {
    let vectors = vectors();
    for case in &vectors.inclusion {
        let index = LeafIndex(case.index);
        for size in [case.tree_size - 1, case.tree_size + 1] {
            if size <= case.index || size > VECTOR_LEAVES {
                continue;
            }
            let root = vector_root(&vectors, size);
            let outcome = verify_inclusion(&case.leaf_hash, index, TreeSize(size), &case.audit_path, &root);
            assert!(
                matches!(outcome, Err(MerkleError::RootMismatch { .. } | MerkleError::ProofLength { .. })),
                "proof of leaf {index} in {} accepted for size {size}: {outcome:?}",
                case.tree_size
            );
        }
    }
}

#[test]
fn inclusion_rejects_truncated_and_extended_proofs() {
    for case in vectors().inclusion.iter().filter(|case| !case.audit_path.is_empty()) {
        let (index, size) = (LeafIndex(case.index), TreeSize(case.tree_size));
        let expected = case.audit_path.len();

        let truncated = &case.audit_path[..expected - 1];
        let outcome = verify_inclusion(&case.leaf_hash, index, size, truncated, &case.root);
        assert_eq!(outcome, Err(MerkleError::ProofLength { expected, found: expected - 1 }), "leaf {index} in {size}");

        let mut extended = case.audit_path.clone();
        extended.push(case.root);
        let outcome = verify_inclusion(&case.leaf_hash, index, size, &extended, &case.root);
        assert_eq!(outcome, Err(MerkleError::ProofLength { expected, found: expected + 1 }), "leaf {index} in {size}");
    }
}

// ---- Tampered consistency proofs ----

#[test]
fn consistency_rejects_flipped_bits() {
    for case in &vectors().consistency {
        let (old, new) = (TreeSize(case.old_size), TreeSize(case.new_size));
        for position in 0..case.proof.len() {
            for bit in [0, 131, 255] {
                let mut proof = case.proof.clone();
                proof[position] = flip_bit(&proof[position], bit);
                let outcome = verify_consistency(old, new, &case.old_root, &case.new_root, &proof);
                assert!(
                    matches!(outcome, Err(MerkleError::OldRootMismatch { .. } | MerkleError::NewRootMismatch { .. })),
                    "{old} -> {new}, hash {position}, bit {bit}: {outcome:?}"
                );
            }
        }
    }
}

#[test]
fn consistency_rejects_flipped_roots() {
    for case in &vectors().consistency {
        let (old, new) = (TreeSize(case.old_size), TreeSize(case.new_size));
        let wrong_new = flip_bit(&case.new_root, 9);
        let outcome = verify_consistency(old, new, &case.old_root, &wrong_new, &case.proof);
        assert_eq!(outcome, Err(MerkleError::NewRootMismatch { new_size: case.new_size }), "{old} -> {new}");

        let wrong_old = flip_bit(&case.old_root, 9);
        let outcome = verify_consistency(old, new, &wrong_old, &case.new_root, &case.proof);
        assert!(
            matches!(outcome, Err(MerkleError::OldRootMismatch { .. } | MerkleError::NewRootMismatch { .. })),
            "{old} -> {new}: {outcome:?}"
        );
    }
}

#[test]
fn consistency_rejects_truncated_proofs() {
    for case in vectors().consistency.iter().filter(|case| !case.proof.is_empty()) {
        let (old, new) = (TreeSize(case.old_size), TreeSize(case.new_size));
        let expected = case.proof.len();
        let truncated = &case.proof[..expected - 1];
        let outcome = verify_consistency(old, new, &case.old_root, &case.new_root, truncated);
        assert_eq!(outcome, Err(MerkleError::ProofLength { expected, found: expected - 1 }), "{old} -> {new}");
    }
}

#[test]
fn consistency_rejects_other_tree_sizes() {
    let vectors = vectors();
    for case in &vectors.consistency {
        let other_sizes = [
            (case.old_size + 1, case.new_size),
            (case.old_size - 1, case.new_size),
            (case.old_size, case.new_size + 1),
            (case.old_size, case.new_size - 1),
        ];
        for (old, new) in other_sizes {
            if old == 0 || old >= new || new > VECTOR_LEAVES {
                continue;
            }
            let (old_root, new_root) = (vector_root(&vectors, old), vector_root(&vectors, new));
            let outcome = verify_consistency(TreeSize(old), TreeSize(new), &old_root, &new_root, &case.proof);
            assert!(outcome.is_err(), "proof {} -> {} accepted for {old} -> {new}", case.old_size, case.new_size);
        }
    }
}

#[test]
fn consistency_rejects_shrinking_tree() {
    let case = &vectors().consistency[2];
    let outcome = verify_consistency(TreeSize(5), TreeSize(2), &case.new_root, &case.old_root, &case.proof);
    assert_eq!(outcome, Err(MerkleError::OldSizeExceedsNewSize { old_size: 5, new_size: 2 }));
}

// ---- Random sizes ----

proptest! {
    #[test]
    fn random_proofs_verify(
        new_size in 1u64..300,
        index_seed in any::<u64>(),
        old_seed in any::<u64>(),
        chunk_level in 0u32..6,
    ) {
        let leaf_hashes: Vec<Hash> = (0..new_size).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let store = store_of(&leaf_hashes, chunk_level);
        let root = tree_root(&leaf_hashes);
        prop_assert_eq!(store.root(), root);

        let index = LeafIndex(index_seed % new_size);
        let size = TreeSize(new_size);
        let proof = store.inclusion_proof(index, size, read_from(&leaf_hashes)).unwrap();
        prop_assert_eq!(&proof, &inclusion_proof(&leaf_hashes, index, size).unwrap());
        prop_assert_eq!(verify_inclusion(&leaf_hashes[index.get() as usize], index, size, &proof, &root), Ok(()));

        let old_size = TreeSize(old_seed % (new_size + 1));
        let old_root = tree_root(&leaf_hashes[..old_size.get() as usize]);
        let proof = store.consistency_proof(old_size, size, read_from(&leaf_hashes)).unwrap();
        prop_assert_eq!(&proof, &consistency_proof(&leaf_hashes, old_size, size).unwrap());
        prop_assert_eq!(verify_consistency(old_size, size, &old_root, &root, &proof), Ok(()));
        prop_assert_eq!(store.root_at(old_size, read_from(&leaf_hashes)), Ok(old_root));
    }

    #[test]
    fn frontier_round_trips(size in 0u64..300) {
        let mut frontier = Frontier::new();
        for i in 0..size {
            frontier.push(leaf_hash(&i.to_le_bytes())).unwrap();
        }

        let from_bytes = Frontier::from_bytes(&frontier.to_bytes()).unwrap();
        prop_assert_eq!(&from_bytes, &frontier);

        let json = serde_json::to_string(&frontier).unwrap();
        let from_json: Frontier = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&from_json, &frontier);

        // A restored state must keep growing like the original.
        let mut restored = from_bytes;
        frontier.push(leaf_hash(b"next")).unwrap();
        restored.push(leaf_hash(b"next")).unwrap();
        prop_assert_eq!(restored.root(), frontier.root());
    }
}

// ---- Large trees ----

/// Builds `count` distinct leaf hashes and a store of them with the default chunk level.
///
/// The tree treats leaf hashes as opaque, so each one is its index padded to 32 bytes rather
/// than a SHA-256 output. That halves the hashing, which matters in debug builds.
fn build_large(count: u64) -> (Vec<Hash>, TreeStore) {
    let leaf_hashes: Vec<Hash> = (0..count)
        .map(|i| {
            let mut bytes = [0xab; 32];
            bytes[..8].copy_from_slice(&i.to_be_bytes());
            Hash(bytes)
        })
        .collect();
    let store = store_of(&leaf_hashes, audit_logging::merkle::DEFAULT_CHUNK_LEVEL);
    (leaf_hashes, store)
}

#[test]
fn million_leaf_tree_proofs() {
    const LEAVES: u64 = 1 << 20;
    let (leaf_hashes, store) = build_large(LEAVES);
    assert_eq!(store.size(), TreeSize(LEAVES));
    // Levels 10 to 20 of a perfect tree of 2^20 leaves: 1024 + 512 + ... + 1 roots.
    assert_eq!(store.stored_hash_count(), 2047);

    let leaf_reads = Cell::new(0u64);
    let counting_reader = |range: Range<u64>| {
        leaf_reads.set(leaf_reads.get() + (range.end - range.start));
        read_from(&leaf_hashes)(range)
    };

    let root = store.root();
    for index in [0, 1, 1023, 1024, 524_287, 524_288, LEAVES - 1] {
        leaf_reads.set(0);
        let proof = store.inclusion_proof(LeafIndex(index), TreeSize(LEAVES), counting_reader).unwrap();
        assert_eq!(proof.len(), 20, "leaf {index}");
        assert_eq!(leaf_reads.get(), 1024, "leaf {index}");
        let leaf = &leaf_hashes[index as usize];
        assert_eq!(verify_inclusion(leaf, LeafIndex(index), TreeSize(LEAVES), &proof, &root), Ok(()), "leaf {index}");
    }

    // Older sizes whose last chunk is partial need a second chunk read.
    for (index, size) in [(0, 1_000_000), (999_999, 1_000_000), (123_456, 777_777)] {
        leaf_reads.set(0);
        let proof = store.inclusion_proof(LeafIndex(index), TreeSize(size), counting_reader).unwrap();
        assert!(leaf_reads.get() <= 2048, "leaf {index} in {size} read {} leaves", leaf_reads.get());
        let old_root = store.root_at(TreeSize(size), counting_reader).unwrap();
        let leaf = &leaf_hashes[index as usize];
        assert_eq!(verify_inclusion(leaf, LeafIndex(index), TreeSize(size), &proof, &old_root), Ok(()));
    }

    for (old, new) in [(1, LEAVES), (1000, 1_000_000), (524_288, LEAVES), (777_777, LEAVES - 3)] {
        let (old, new) = (TreeSize(old), TreeSize(new));
        let proof = store.consistency_proof(old, new, counting_reader).unwrap();
        let old_root = store.root_at(old, counting_reader).unwrap();
        let new_root = store.root_at(new, counting_reader).unwrap();
        assert_eq!(verify_consistency(old, new, &old_root, &new_root, &proof), Ok(()), "{old} -> {new}");
    }
}

/// Measures proof generation in a tree of 10 million leaves. Prints timings and asserts no
/// timing, because test machines differ. Run it in release mode:
/// `cargo test --release -p audit-logging --test merkle_vectors -- --ignored --nocapture`.
#[test]
#[ignore = "builds 10 million leaves; run in release mode"]
fn ten_million_leaf_proof_time() {
    const LEAVES: u64 = 10_000_000;
    const PROOFS: u64 = 1000;

    let started = Instant::now();
    let (leaf_hashes, store) = build_large(LEAVES);
    let build_time = started.elapsed();
    eprintln!(
        "built {LEAVES} leaves in {build_time:?}; store keeps {} hashes ({} bytes)",
        store.stored_hash_count(),
        store.stored_hash_count() * 32
    );

    let root = store.root();
    let size = TreeSize(LEAVES);
    let mut times = Vec::with_capacity(PROOFS as usize);
    for step in 0..PROOFS {
        // Spread the indices over the whole tree, including both ends.
        let index = LeafIndex(step * (LEAVES - 1) / (PROOFS - 1));
        let started = Instant::now();
        let proof = store.inclusion_proof(index, size, read_from(&leaf_hashes)).unwrap();
        times.push(started.elapsed());
        let leaf = &leaf_hashes[index.get() as usize];
        assert_eq!(verify_inclusion(leaf, index, size, &proof, &root), Ok(()), "leaf {index}");
    }
    report("inclusion proof", &mut times);

    let mut times = Vec::with_capacity(PROOFS as usize);
    for step in 1..=PROOFS {
        let old = TreeSize(step * (LEAVES - 1) / PROOFS);
        let started = Instant::now();
        let proof = store.consistency_proof(old, size, read_from(&leaf_hashes)).unwrap();
        times.push(started.elapsed());
        let old_root = store.root_at(old, read_from(&leaf_hashes)).unwrap();
        assert_eq!(verify_consistency(old, size, &old_root, &root, &proof), Ok(()), "{old} -> {size}");
    }
    report("consistency proof", &mut times);
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let total: Duration = times.iter().sum();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    eprintln!("{label}: {} runs, mean {:?}, median {median:?}, max {max:?}", times.len(), total / times.len() as u32);
}

#[test]
fn store_rebuilt_from_chunk_roots_equals_store_built_from_leaves() {
    use audit_logging::merkle::{leaf_hash, tree_root, TreeStore};
    let leaves: Vec<_> = (0..5000u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut from_leaves = TreeStore::new();
    for leaf in &leaves {
        from_leaves.push(*leaf).unwrap();
    }
    let mut from_chunks = TreeStore::new();
    for chunk in leaves.chunks(1024).take(4) {
        from_chunks.push_chunk(tree_root(chunk)).unwrap();
    }
    for leaf in &leaves[4096..] {
        from_chunks.push(*leaf).unwrap();
    }

    assert_eq!(from_chunks.root(), from_leaves.root());
    assert_eq!(from_chunks, from_leaves);
    let mut unaligned = TreeStore::new();
    unaligned.push(leaves[0]).unwrap();
    assert!(unaligned.push_chunk(tree_root(&leaves[..1024])).is_err());
}
