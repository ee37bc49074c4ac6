//! Types shared by several events: who acted, on what, and how it ended.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// The principal that performed an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorInfo {
    /// Stable identifier of the user or service account.
    pub user_id: String,
    /// Address the request came from, when known.
    pub ip: Option<IpAddr>,
    /// How the actor authenticated.
    pub auth_method: AuthMethod,
    /// Session identifier, when the actor has one.
    pub session_id: Option<String>,
}

/// Authentication mechanism, stored in snake_case (`bearer_token`, `api_key`, `m_tls`, `internal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// An `Authorization: Bearer` token.
    BearerToken,
    /// A static API key.
    ApiKey,
    /// A client certificate checked by mutual TLS.
    MTls,
    /// A call from inside the system, or a mechanism outside this list (for example PAM).
    Internal,
}

/// The object an action applied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceInfo {
    /// Kind of resource, such as `pool` or `model`.
    pub resource_type: String,
    /// Identifier of the resource.
    pub resource_id: String,
    /// Identifier of the containing resource, if any.
    pub parent_id: Option<String>,
}

/// Outcome of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum AuditResult {
    /// The operation completed.
    Success,
    /// The operation failed.
    Failure {
        /// Why it failed.
        reason: String,
    },
    /// Part of the operation completed.
    PartialSuccess {
        /// What completed and what did not.
        details: String,
    },
}
