//! Files on disk: the log directory, segment files, recovery at open.

mod dir;
mod io;
mod lines;
mod log_files;
mod recovery;
mod segment;
mod space;

pub(crate) use dir::{create_private_dir, list_segments, write_durably, SegmentFile};
pub(crate) use io::FileOps;
pub(crate) use lines::LineReader;
pub(crate) use log_files::{Appended, LogFiles, RecordLocation, Rotation, SEQ_LIMIT};
pub(crate) use space::available_bytes;
