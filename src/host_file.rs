//! Reading the files a user names (driver images, scenarios, files for the guest's volume):
//! only regular files, only up to a cap, and never blocking on a FIFO or a device.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The largest driver image Portcullis reads (the largest real driver seen is a few MiB).
pub const MAX_IMAGE_BYTES: u64 = 256 << 20;

/// The largest scenario file, or file given to the guest's volume.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Reads `path` whole if it is a regular file of at most `cap` bytes.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    // Non-blocking, so that opening a FIFO with no writer returns at once; the type is then
    // checked on the open file (not the path, which could change between the two).
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    if meta.len() > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} bytes, over the {} MiB this reads", meta.len(), cap >> 20),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows while it is read is still cut at the cap.
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("over the {} MiB this reads", cap >> 20),
        ));
    }
    Ok(bytes)
}

/// `read_capped` as text.
pub fn read_text_capped(path: &Path, cap: u64) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, cap)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_fifos_directories_and_oversized_files() {
        let dir = std::env::temp_dir().join(format!("portcullis-host-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read_capped(&fifo, 10).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(read_capped(&dir, 10).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
        let big = dir.join("big");
        std::fs::write(&big, [0u8; 11]).unwrap();
        assert_eq!(read_capped(&big, 10).unwrap_err().kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(read_capped(&big, 11).unwrap().len(), 11);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
