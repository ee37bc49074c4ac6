//! Importers behind the `audit-log` command-line tool, usable from other programs too.
#![forbid(unsafe_code)]

pub mod import;
