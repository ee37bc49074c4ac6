//! The event every benchmark writes, and the logger configurations they use.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use audit_logging::{
    ActorInfo, AuditConfig, AuditEvent, AuditMode, AuthMethod, FlushMode, ResourceInfo, RetentionPolicy,
    RotationPolicy,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Service id written into every benchmark log.
pub const SERVICE_ID: &str = "bench-svc";

/// Builds the benchmark event number `index`: an `authorization_granted` event with an actor
/// and a resource. Its stored record is about 600 bytes, of which about 260 are the event.
///
/// The index varies the ids so that consecutive records differ, as in a real log. Addresses
/// come from the documentation range 192.0.2.0/24.
pub fn sample_event(index: u64) -> AuditEvent {
    let [.., high, low] = index.to_be_bytes();
    AuditEvent::AuthorizationGranted {
        timestamp: Utc::now(),
        actor: ActorInfo {
            user_id: format!("user-{:06}", index % 100_000),
            ip: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, low ^ high))),
            auth_method: AuthMethod::BearerToken,
            session_id: Some(format!("session-{index:016x}")),
        },
        resource: ResourceInfo {
            resource_type: "pool".into(),
            resource_id: format!("pool-{:04}", index % 1000),
            parent_id: None,
        },
        action: "pool.scale".into(),
    }
}

/// The JSON line that `tracing-subscriber`'s JSON formatter would write for the same event:
/// a timestamp taken by the caller, the level, the target and the event's fields.
#[derive(Debug, Serialize)]
pub struct TracingLine<'a> {
    /// When the caller logged the event.
    pub timestamp: DateTime<Utc>,
    /// Log level, always `INFO` here.
    pub level: &'static str,
    /// The `tracing` target.
    pub target: &'static str,
    /// The event's fields.
    pub fields: &'a AuditEvent,
}

impl TracingLine<'_> {
    /// Appends the line and its `\n` to `buffer`, as a `tracing` formatter does before it hands
    /// the buffer to the writer.
    pub fn format_into(event: &AuditEvent, buffer: &mut Vec<u8>) {
        let line = TracingLine { timestamp: Utc::now(), level: "INFO", target: "audit", fields: event };
        // serde_json fails only on I/O errors, maps with non-string keys and non-finite floats.
        // A Vec does no I/O, every map in `AuditEvent` has string keys, and it has no float
        // fields (a `serde_json::Value` cannot hold a non-finite float).
        serde_json::to_writer(&mut *buffer, &line).expect("tracing line serialises");
        buffer.push(b'\n');
    }
}

/// Returns the configuration of a local log in `dir` with `flush_mode`, daily rotation and the
/// benchmark service id.
pub fn local_config(dir: &Path, flush_mode: FlushMode) -> AuditConfig {
    AuditConfig {
        mode: AuditMode::Local { base_dir: dir.to_path_buf() },
        service_id: SERVICE_ID.into(),
        rotation_policy: RotationPolicy::Daily,
        retention_policy: RetentionPolicy::default(),
        flush_mode,
    }
}
