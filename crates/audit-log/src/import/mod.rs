//! Readers that turn other systems' audit trails into [`audit_logging::AuditEvent`] values.

pub mod auditd;
