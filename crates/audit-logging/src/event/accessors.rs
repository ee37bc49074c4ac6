//! Per-variant facts used by the writer (criticality) and by queries (type, actor, resource).

use chrono::{DateTime, Utc};

use super::AuditEvent;

impl AuditEvent {
    /// Returns the snake_case name stored in the record's `event_type` field.
    pub fn event_type(&self) -> &'static str {
        use AuditEvent::*;
        match self {
            AuthSuccess { .. } => "auth_success",
            AuthFailure { .. } => "auth_failure",
            TokenCreated { .. } => "token_created",
            TokenRevoked { .. } => "token_revoked",
            AuthorizationGranted { .. } => "authorization_granted",
            AuthorizationDenied { .. } => "authorization_denied",
            PermissionChanged { .. } => "permission_changed",
            PoolCreated { .. } => "pool_created",
            PoolDeleted { .. } => "pool_deleted",
            PoolModified { .. } => "pool_modified",
            NodeRegistered { .. } => "node_registered",
            NodeDeregistered { .. } => "node_deregistered",
            TaskSubmitted { .. } => "task_submitted",
            TaskCompleted { .. } => "task_completed",
            TaskCanceled { .. } => "task_canceled",
            VramSealed { .. } => "vram_sealed",
            SealVerified { .. } => "seal_verified",
            SealVerificationFailed { .. } => "seal_verification_failed",
            VramAllocated { .. } => "vram_allocated",
            VramAllocationFailed { .. } => "vram_allocation_failed",
            VramDeallocated { .. } => "vram_deallocated",
            RateLimitExceeded { .. } => "rate_limit_exceeded",
            PathTraversalAttempt { .. } => "path_traversal_attempt",
            InvalidTokenUsed { .. } => "invalid_token_used",
            PolicyViolation { .. } => "policy_violation",
            SuspiciousActivity { .. } => "suspicious_activity",
            IntegrityViolation { .. } => "integrity_violation",
            MalformedModelRejected { .. } => "malformed_model_rejected",
            ResourceLimitViolation { .. } => "resource_limit_violation",
            InferenceExecuted { .. } => "inference_executed",
            ModelAccessed { .. } => "model_accessed",
            DataDeleted { .. } => "data_deleted",
            GdprDataAccessRequest { .. } => "gdpr_data_access_request",
            GdprDataExport { .. } => "gdpr_data_export",
            GdprRightToErasure { .. } => "gdpr_right_to_erasure",
            External { .. } => "external",
        }
    }

    /// Returns true for the events that `FlushMode::Hybrid` makes durable at once.
    pub fn is_critical(&self) -> bool {
        use AuditEvent::*;
        matches!(
            self,
            AuthFailure { .. }
                | TokenRevoked { .. }
                | PolicyViolation { .. }
                | SealVerificationFailed { .. }
                | PathTraversalAttempt { .. }
                | InvalidTokenUsed { .. }
                | SuspiciousActivity { .. }
                | IntegrityViolation { .. }
                | MalformedModelRejected { .. }
                | ResourceLimitViolation { .. }
        )
    }

    /// Returns the time the event happened, as given by the caller.
    pub fn timestamp(&self) -> DateTime<Utc> {
        use AuditEvent::*;
        match self {
            AuthSuccess { timestamp, .. }
            | AuthFailure { timestamp, .. }
            | TokenCreated { timestamp, .. }
            | TokenRevoked { timestamp, .. }
            | AuthorizationGranted { timestamp, .. }
            | AuthorizationDenied { timestamp, .. }
            | PermissionChanged { timestamp, .. }
            | PoolCreated { timestamp, .. }
            | PoolDeleted { timestamp, .. }
            | PoolModified { timestamp, .. }
            | NodeRegistered { timestamp, .. }
            | NodeDeregistered { timestamp, .. }
            | TaskSubmitted { timestamp, .. }
            | TaskCompleted { timestamp, .. }
            | TaskCanceled { timestamp, .. }
            | VramSealed { timestamp, .. }
            | SealVerified { timestamp, .. }
            | SealVerificationFailed { timestamp, .. }
            | VramAllocated { timestamp, .. }
            | VramAllocationFailed { timestamp, .. }
            | VramDeallocated { timestamp, .. }
            | RateLimitExceeded { timestamp, .. }
            | PathTraversalAttempt { timestamp, .. }
            | InvalidTokenUsed { timestamp, .. }
            | PolicyViolation { timestamp, .. }
            | SuspiciousActivity { timestamp, .. }
            | IntegrityViolation { timestamp, .. }
            | MalformedModelRejected { timestamp, .. }
            | ResourceLimitViolation { timestamp, .. }
            | InferenceExecuted { timestamp, .. }
            | ModelAccessed { timestamp, .. }
            | DataDeleted { timestamp, .. }
            | GdprDataAccessRequest { timestamp, .. }
            | GdprDataExport { timestamp, .. }
            | GdprRightToErasure { timestamp, .. }
            | External { timestamp, .. } => *timestamp,
        }
    }

    /// Returns the identifier of whoever acted, where the event names one.
    ///
    /// This is `actor.user_id` for events with an [`ActorInfo`](super::ActorInfo), the attempted
    /// user of an `AuthFailure`, the customer or requester of data-access and compliance events,
    /// the worker for worker-side events, and `actor` for `External`.
    pub fn actor_id(&self) -> Option<&str> {
        use AuditEvent::*;
        match self {
            AuthSuccess { actor, .. }
            | TokenCreated { actor, .. }
            | TokenRevoked { actor, .. }
            | AuthorizationGranted { actor, .. }
            | AuthorizationDenied { actor, .. }
            | PermissionChanged { actor, .. }
            | PoolCreated { actor, .. }
            | PoolDeleted { actor, .. }
            | PoolModified { actor, .. }
            | NodeRegistered { actor, .. }
            | NodeDeregistered { actor, .. }
            | TaskSubmitted { actor, .. }
            | TaskCanceled { actor, .. }
            | PathTraversalAttempt { actor, .. }
            | SuspiciousActivity { actor, .. } => Some(&actor.user_id),
            AuthFailure { attempted_user, .. } => attempted_user.as_deref(),
            TaskCompleted { worker_id, .. }
            | VramSealed { worker_id, .. }
            | SealVerified { worker_id, .. }
            | SealVerificationFailed { worker_id, .. }
            | VramAllocated { worker_id, .. }
            | VramAllocationFailed { worker_id, .. }
            | VramDeallocated { worker_id, .. }
            | PolicyViolation { worker_id, .. } => Some(worker_id),
            IntegrityViolation { worker_id, .. }
            | MalformedModelRejected { worker_id, .. }
            | ResourceLimitViolation { worker_id, .. } => worker_id.as_deref(),
            InferenceExecuted { customer_id, .. }
            | ModelAccessed { customer_id, .. }
            | DataDeleted { customer_id, .. }
            | GdprDataExport { customer_id, .. }
            | GdprRightToErasure { customer_id, .. } => Some(customer_id),
            GdprDataAccessRequest { requester, .. } => Some(requester),
            External { actor, .. } => Some(actor),
            RateLimitExceeded { .. } | InvalidTokenUsed { .. } => None,
        }
    }

    /// Returns the identifier of the resource acted on, where the event names one.
    pub fn resource_id(&self) -> Option<&str> {
        use AuditEvent::*;
        match self {
            AuthorizationGranted { resource, .. } | AuthorizationDenied { resource, .. } => {
                Some(&resource.resource_id)
            }
            TokenCreated { token_fingerprint, .. } | TokenRevoked { token_fingerprint, .. } => {
                Some(token_fingerprint)
            }
            PermissionChanged { subject, .. } => Some(subject),
            PoolCreated { pool_id, .. } | PoolDeleted { pool_id, .. } | PoolModified { pool_id, .. } => {
                Some(pool_id)
            }
            NodeRegistered { node_id, .. } | NodeDeregistered { node_id, .. } => Some(node_id),
            TaskSubmitted { task_id, .. } | TaskCompleted { task_id, .. } | TaskCanceled { task_id, .. } => {
                Some(task_id)
            }
            VramSealed { shard_id, .. }
            | SealVerified { shard_id, .. }
            | SealVerificationFailed { shard_id, .. }
            | VramDeallocated { shard_id, .. } => Some(shard_id),
            IntegrityViolation { resource_id, .. } => Some(resource_id),
            MalformedModelRejected { model_ref, .. } | ModelAccessed { model_ref, .. } => Some(model_ref),
            InferenceExecuted { job_id, .. } => Some(job_id),
            PathTraversalAttempt { attempted_path, .. } => Some(attempted_path),
            RateLimitExceeded { endpoint, .. } | InvalidTokenUsed { endpoint, .. } => Some(endpoint),
            AuthSuccess { path, .. } | AuthFailure { path, .. } => Some(path),
            PolicyViolation { policy, .. } => Some(policy),
            External { target, .. } => (!target.is_empty()).then_some(target.as_str()),
            DataDeleted { customer_id, .. }
            | GdprDataAccessRequest { customer_id, .. }
            | GdprDataExport { customer_id, .. }
            | GdprRightToErasure { customer_id, .. } => Some(customer_id),
            SuspiciousActivity { .. }
            | VramAllocated { .. }
            | VramAllocationFailed { .. }
            | ResourceLimitViolation { .. } => None,
        }
    }
}
