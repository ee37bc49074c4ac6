//! Files on disk: the log directory, segment files, recovery at open.

mod dir;
mod lines;
mod log_files;
mod recovery;
mod segment;

pub(crate) use dir::{list_segments, SegmentFile};
pub(crate) use lines::LineReader;
pub(crate) use log_files::{LogFiles, Rotation, SEQ_LIMIT};
