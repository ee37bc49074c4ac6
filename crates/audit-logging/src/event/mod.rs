//! The catalogue of audit events a service can emit.
//!
//! Every variant starts with `timestamp`, the time the event happened according to the caller.
//! A stored record also carries the time the logger accepted it (see `docs/FORMAT.md`). Variant
//! names are stored in snake_case in the `event_type` field, for example `vram_sealed`.

mod accessors;
mod types;

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use types::{ActorInfo, AuditResult, AuthMethod, ResourceInfo};

/// One security-relevant event.
///
/// The enum is `#[non_exhaustive]`: new variants may be added, so a `match` on it needs a
/// wildcard arm. Constructing any variant is unaffected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditEvent {
    // Authentication
    /// A principal authenticated.
    AuthSuccess {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that authenticated.
        actor: ActorInfo,
        /// The mechanism used.
        method: AuthMethod,
        /// Request path or entry point.
        path: String,
        /// Service that performed the check.
        service_id: String,
    },
    /// An authentication attempt failed. Critical.
    AuthFailure {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// User name presented, if any.
        attempted_user: Option<String>,
        /// Reason for the failure.
        reason: String,
        /// Client address.
        ip: IpAddr,
        /// Request path or entry point.
        path: String,
        /// Service that performed the check.
        service_id: String,
    },
    /// An access token was issued.
    TokenCreated {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that created it.
        actor: ActorInfo,
        /// Fingerprint of the token (never the token).
        token_fingerprint: String,
        /// Granted scopes.
        scope: Vec<String>,
        /// Expiry, if any.
        expires_at: Option<DateTime<Utc>>,
    },
    /// An access token was revoked. Critical.
    TokenRevoked {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that revoked it.
        actor: ActorInfo,
        /// Fingerprint of the token.
        token_fingerprint: String,
        /// Reason for revoking.
        reason: String,
    },

    // Authorization
    /// An action on a resource was allowed.
    AuthorizationGranted {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that asked.
        actor: ActorInfo,
        /// The resource.
        resource: ResourceInfo,
        /// The action allowed.
        action: String,
    },
    /// An action on a resource was denied.
    AuthorizationDenied {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that asked.
        actor: ActorInfo,
        /// The resource.
        resource: ResourceInfo,
        /// The action denied.
        action: String,
        /// Reason for denying.
        reason: String,
    },
    /// A subject's permissions changed.
    PermissionChanged {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that changed them.
        actor: ActorInfo,
        /// Whose permissions changed.
        subject: String,
        /// Permissions before the change.
        old_permissions: Vec<String>,
        /// Permissions after the change.
        new_permissions: Vec<String>,
    },

    // Resource operations
    /// A pool was created.
    PoolCreated {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that created it.
        actor: ActorInfo,
        /// Pool identifier.
        pool_id: String,
        /// Model served by the pool.
        model_ref: String,
        /// Node hosting the pool.
        node_id: String,
        /// Number of replicas.
        replicas: u32,
        /// GPU device indexes used.
        gpu_devices: Vec<u32>,
    },
    /// A pool was deleted.
    PoolDeleted {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that deleted it.
        actor: ActorInfo,
        /// Pool identifier.
        pool_id: String,
        /// Model the pool served.
        model_ref: String,
        /// Node that hosted the pool.
        node_id: String,
        /// Reason for deleting.
        reason: String,
        /// Replicas stopped.
        replicas_terminated: u32,
    },
    /// A pool's settings changed.
    PoolModified {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that changed it.
        actor: ActorInfo,
        /// Pool identifier.
        pool_id: String,
        /// The changes, as JSON. Bounded in size and depth; every string in it is checked.
        changes: serde_json::Value,
    },
    /// A node joined.
    NodeRegistered {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that registered it.
        actor: ActorInfo,
        /// Node identifier.
        node_id: String,
        /// GPUs on the node.
        gpu_count: u32,
        /// Total VRAM in GB.
        total_vram_gb: u64,
        /// Declared capabilities.
        capabilities: Vec<String>,
    },
    /// A node left.
    NodeDeregistered {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that removed it.
        actor: ActorInfo,
        /// Node identifier.
        node_id: String,
        /// Reason for leaving.
        reason: String,
        /// Pools that lost capacity.
        pools_affected: Vec<String>,
    },
    /// An inference task was submitted.
    TaskSubmitted {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that submitted it.
        actor: ActorInfo,
        /// Task identifier.
        task_id: String,
        /// Model requested.
        model_ref: String,
        /// Prompt length in bytes.
        prompt_length: usize,
        /// Hash of the prompt (never the prompt).
        prompt_hash: String,
        /// Token limit.
        max_tokens: u32,
    },
    /// An inference task finished.
    TaskCompleted {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Task identifier.
        task_id: String,
        /// Worker that ran it.
        worker_id: String,
        /// Tokens produced.
        tokens_generated: u32,
        /// Run time in milliseconds.
        duration_ms: u64,
        /// Outcome.
        result: AuditResult,
    },
    /// An inference task was canceled.
    TaskCanceled {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that canceled it.
        actor: ActorInfo,
        /// Task identifier.
        task_id: String,
        /// Reason for canceling.
        reason: String,
    },

    // GPU memory (VRAM)
    /// A model shard was sealed in VRAM.
    VramSealed {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Shard identifier.
        shard_id: String,
        /// GPU device index.
        gpu_device: u32,
        /// Bytes sealed.
        vram_bytes: usize,
        /// Digest of the sealed bytes, hex.
        digest: String,
        /// Worker that sealed it.
        worker_id: String,
    },
    /// A seal was checked and matched.
    SealVerified {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Shard identifier.
        shard_id: String,
        /// Worker that checked it.
        worker_id: String,
    },
    /// A seal was checked and did not match. Critical.
    SealVerificationFailed {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Shard identifier.
        shard_id: String,
        /// Reason the check failed.
        reason: String,
        /// Digest recorded at sealing.
        expected_digest: String,
        /// Digest found now.
        actual_digest: String,
        /// Worker that checked it.
        worker_id: String,
        /// Severity label.
        severity: String,
    },
    /// VRAM was allocated.
    VramAllocated {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Bytes requested.
        requested_bytes: usize,
        /// Bytes granted.
        allocated_bytes: usize,
        /// Bytes free after the allocation.
        available_bytes: usize,
        /// Bytes in use after the allocation.
        used_bytes: usize,
        /// GPU device index.
        gpu_device: u32,
        /// Worker that allocated.
        worker_id: String,
    },
    /// A VRAM allocation failed.
    VramAllocationFailed {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Bytes requested.
        requested_bytes: usize,
        /// Bytes free at the time.
        available_bytes: usize,
        /// Reason for the failure.
        reason: String,
        /// GPU device index.
        gpu_device: u32,
        /// Worker that asked.
        worker_id: String,
    },
    /// VRAM was released.
    VramDeallocated {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Shard identifier.
        shard_id: String,
        /// Bytes released.
        freed_bytes: usize,
        /// Bytes still in use.
        remaining_used: usize,
        /// GPU device index.
        gpu_device: u32,
        /// Worker that released it.
        worker_id: String,
    },

    // Security incidents
    /// A client exceeded a rate limit.
    RateLimitExceeded {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Client address.
        ip: IpAddr,
        /// Endpoint called.
        endpoint: String,
        /// Allowed requests per window.
        limit: u32,
        /// Requests seen in the window.
        actual: u32,
        /// Window length in seconds.
        window_seconds: u32,
    },
    /// A path with traversal components was rejected. Critical.
    PathTraversalAttempt {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Actor that sent it.
        actor: ActorInfo,
        /// The path as received.
        attempted_path: String,
        /// Endpoint called.
        endpoint: String,
    },
    /// An invalid token was presented. Critical.
    InvalidTokenUsed {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Client address.
        ip: IpAddr,
        /// First characters of the token.
        token_prefix: String,
        /// Endpoint called.
        endpoint: String,
    },
    /// A policy was violated. Critical.
    PolicyViolation {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Policy name.
        policy: String,
        /// What was violated.
        violation: String,
        /// Further details.
        details: String,
        /// Severity label.
        severity: String,
        /// Worker that detected it.
        worker_id: String,
        /// Response taken.
        action_taken: String,
    },
    /// Behaviour flagged as suspicious. Critical.
    SuspiciousActivity {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// The actor.
        actor: ActorInfo,
        /// Kind of activity.
        activity_type: String,
        /// Further details.
        details: String,
        /// Risk score assigned by the detector.
        risk_score: u32,
    },
    /// A hash check on a resource failed. Critical.
    IntegrityViolation {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Kind of resource.
        resource_type: String,
        /// Resource identifier.
        resource_id: String,
        /// Hash expected.
        expected_hash: String,
        /// Hash found.
        actual_hash: String,
        /// Severity label.
        severity: String,
        /// Response taken.
        action_taken: String,
        /// Worker that detected it, if any.
        worker_id: Option<String>,
    },
    /// A model failed validation and was rejected. Critical.
    MalformedModelRejected {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Model reference.
        model_ref: String,
        /// What the validator reported.
        validation_error: String,
        /// Severity label.
        severity: String,
        /// Response taken.
        action_taken: String,
        /// Worker that rejected it, if any.
        worker_id: Option<String>,
    },
    /// A resource limit was exceeded. Critical.
    ResourceLimitViolation {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Kind of resource.
        resource_type: String,
        /// Which limit.
        limit_type: String,
        /// The limit.
        limit_value: u64,
        /// The value seen.
        actual_value: u64,
        /// Severity label.
        severity: String,
        /// Response taken.
        action_taken: String,
        /// Worker that detected it, if any.
        worker_id: Option<String>,
    },

    // Data access
    /// An inference ran on a customer's behalf.
    InferenceExecuted {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Customer identifier.
        customer_id: String,
        /// Job identifier.
        job_id: String,
        /// Model used.
        model_ref: String,
        /// Tokens processed.
        tokens_processed: u32,
        /// Provider, if any.
        provider_id: Option<String>,
        /// Outcome.
        result: AuditResult,
    },
    /// A model was read.
    ModelAccessed {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Customer identifier.
        customer_id: String,
        /// Model reference.
        model_ref: String,
        /// Kind of access.
        access_type: String,
        /// Provider, if any.
        provider_id: Option<String>,
    },
    /// Customer data was deleted.
    DataDeleted {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Customer identifier.
        customer_id: String,
        /// Kinds of data deleted.
        data_types: Vec<String>,
        /// Reason for deleting.
        reason: String,
    },

    // Compliance
    /// A GDPR data access request was received.
    GdprDataAccessRequest {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Customer identifier.
        customer_id: String,
        /// Actor that asked.
        requester: String,
        /// Data requested.
        scope: Vec<String>,
    },
    /// Customer data was exported under GDPR.
    GdprDataExport {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Customer identifier.
        customer_id: String,
        /// Kinds of data exported.
        data_types: Vec<String>,
        /// Export format.
        export_format: String,
        /// Hash of the exported file.
        file_hash: String,
    },
    /// A GDPR erasure request was completed.
    GdprRightToErasure {
        /// When it happened.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Customer identifier.
        customer_id: String,
        /// When erasure completed.
        completed_at: DateTime<Utc>,
        /// Kinds of data erased.
        data_types_deleted: Vec<String>,
    },

    // Records from other systems
    /// An event from a system outside this catalogue: an imported trail (Linux auditd, for
    /// example) or an application with its own vocabulary.
    External {
        /// When the event happened at its source.
        #[serde(serialize_with = "crate::format::serialize_rfc3339")]
        timestamp: DateTime<Utc>,
        /// Where it came from, such as `auditd` or an application name.
        source: String,
        /// Actor (user name, uid or service account), as the source names it.
        actor: String,
        /// What was done, as the source names it (`USER_LOGIN`, `execve`, `delete`).
        action: String,
        /// What it was done to (a path, an object id), empty when the source has none.
        target: String,
        /// Outcome.
        outcome: AuditResult,
        /// Further source fields; at most [`crate::limits::MAX_DETAILS`] entries.
        details: BTreeMap<String, String>,
    },
}
