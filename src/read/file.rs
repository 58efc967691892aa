//! Reading a spec file's bytes: a regular file only (a FIFO or device
//! would block the reader), and at most what one ConfigMap can carry.

use std::fs;
use std::io::Read;
use std::path::Path;

use crate::diagnostic::{Code, Diagnostic};

/// Largest spec file: what one ConfigMap can carry.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// Reads at most [`MAX_SPEC_BYTES`] (plus one, to notice a larger file) from `path`.
///
/// Only a regular file is read: what `path` names (following symlinks, as a
/// Kubernetes ConfigMap mount is one) is looked at before it is opened, so a
/// FIFO, socket or device is refused instead of blocking the reader, and the
/// file is opened without blocking and looked at again, so one swapped in
/// between the two cannot block either.
pub fn read_capped(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    let io_error = |e: std::io::Error| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::IsADirectory => "it is a directory, not a file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ if e.raw_os_error() == Some(40) => {
                "too many levels of symbolic links (a symlink loop?)".to_owned()
            }
            _ => e.to_string(),
        };
        Diagnostic::file(path, Code::Io, format!("cannot read the spec: {what}"))
    };
    let regular = |file_type: fs::FileType| match not_regular(file_type) {
        None => Ok(()),
        Some(what) => Err(Diagnostic::file(
            path,
            Code::Io,
            format!("cannot read the spec: it is {what}, not a regular file"),
        )
        .with_hint(
            "a spec is a regular file; remove this entry or replace it with the spec's file",
        )),
    };
    regular(fs::metadata(path).map_err(io_error)?.file_type())?;
    let file = open_nonblocking(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    regular(meta.file_type())?;
    let mut bytes =
        Vec::with_capacity(usize::try_from(meta.len().min(MAX_SPEC_BYTES)).unwrap_or(0) + 1);
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        let size = meta.len().max(bytes.len() as u64);
        return Err(too_large(path, size));
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, in words; `None` for a regular file.
pub fn not_regular(file_type: fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("a device");
        }
    }
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else {
        Some("neither a file nor a directory")
    }
}

/// Opens `path` for reading without waiting for a writer (a FIFO) or a device.
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

pub(super) fn too_large(path: &Path, size: u64) -> Diagnostic {
    #[allow(clippy::cast_precision_loss)]
    let mib = size as f64 / (1024.0 * 1024.0);
    Diagnostic::file(
        path,
        Code::TooLarge,
        format!("the file is {mib:.1} MiB; a spec may be at most 1 MiB"),
    )
    .with_hint("a spec is a few lines of YAML; is this the right file?")
}
