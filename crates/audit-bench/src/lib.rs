//! Benchmarks of `audit-logging`, shared by the criterion bench (`benches/emit.rs`) and the
//! harness binary (`src/main.rs`).
//!
//! - [`workload`]: the event every measurement writes, and the JSON line a `tracing` user would
//!   format for the same event.
//! - [`targets`]: the three things whose caller cost is compared (the audit logger's `emit`,
//!   `tracing-appender`'s non-blocking writer, a bare crossbeam channel) and the burst runner
//!   that times them.
//! - [`gate`]: a fault injector that never fails an operation, counts writes and fsyncs, and
//!   can block one kind of them until opened again (for at most two minutes).
//! - [`sections`]: one function per harness measurement; [`report`] prints their results.
//! - [`system`]: readings from `/proc`: thread CPU time, peak memory, the machine.

pub mod gate;
pub mod report;
pub mod sections;
pub mod stats;
pub mod system;
pub mod targets;
pub mod workload;
