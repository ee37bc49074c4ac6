//! File operations of the writer, with the fault-injection seam in between when the
//! `fault-injection` feature is on.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

#[cfg(feature = "fault-injection")]
use crate::faults::{Fault, FaultInjector, IoOperation};

/// Performs writes, fsyncs and creations, consulting the fault injector first if one is set.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileOps {
    #[cfg(feature = "fault-injection")]
    pub injector: Option<std::sync::Arc<dyn FaultInjector>>,
}

impl FileOps {
    pub(crate) fn write_all(&self, file: &mut File, path: &Path, bytes: &[u8]) -> io::Result<()> {
        #[cfg(feature = "fault-injection")]
        if let Some(fault) = self.fault(IoOperation::Write, path, bytes.len()) {
            return match fault {
                Fault::ShortWrite { written, error } => {
                    file.write_all(&bytes[..written.min(bytes.len())])?;
                    Err(error)
                }
                Fault::Fail(error) => Err(error),
            };
        }
        let _ = path;
        file.write_all(bytes)
    }

    pub(crate) fn sync_data(&self, file: &File, path: &Path) -> io::Result<()> {
        #[cfg(feature = "fault-injection")]
        if let Some(fault) = self.fault(IoOperation::Sync, path, 0) {
            return Err(fault.into_error());
        }
        let _ = path;
        file.sync_data()
    }

    pub(crate) fn before_create(&self, path: &Path) -> io::Result<()> {
        #[cfg(feature = "fault-injection")]
        if let Some(fault) = self.fault(IoOperation::Create, path, 0) {
            return Err(fault.into_error());
        }
        let _ = path;
        Ok(())
    }

    #[cfg(feature = "fault-injection")]
    fn fault(&self, operation: IoOperation, path: &Path, len: usize) -> Option<Fault> {
        self.injector.as_ref()?.inject(operation, path, len)
    }
}

#[cfg(feature = "fault-injection")]
impl Fault {
    fn into_error(self) -> io::Error {
        match self {
            Fault::Fail(error) | Fault::ShortWrite { error, .. } => error,
        }
    }
}
