//! String arguments as the user-mode libraries read them from a program's memory.

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::printf::{read_cstr, read_wstr};

/// The NUL-terminated string at `p` (NULL: None), wide (UTF-16) or ANSI, of at most `max`
/// characters. The ANSI code page is Windows-1252 here; names are ASCII in practice.
pub(crate) fn string_arg(k: &Kx, p: u64, wide: bool, max: usize) -> KResult<Option<String>> {
    if p == 0 {
        return Ok(None);
    }
    Ok(Some(if wide {
        String::from_utf16_lossy(&read_wstr(k.mem(), p, max)?)
    } else {
        read_cstr(k.mem(), p, max)?.iter().map(|&b| b as char).collect()
    }))
}
