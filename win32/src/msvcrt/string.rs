//! The string and memory functions programs import from msvcrt: memcpy, memset, strlen,
//! wcslen, strchr, strcmp, strncmp, atoi, strerror. Pointers are the program's: one that cannot be
//! read or written is an access violation in the program, as in the real functions.

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::printf::{read_cstr, read_wstr};
use portcullis_hle::types::{Ptr, SizeT, PCSTR, PCWSTR};

/// Longest string these functions walk (the machine's memory is smaller).
const MAX: usize = 1 << 30;
/// Largest copy or fill done at once.
const CHUNK: u64 = 1 << 16;

/// void *memcpy(void *dest, const void *src, size_t count): `dest`. Overlapping ranges copy
/// as memmove does (msvcrt's memcpy is memmove).
pub fn memcpy(k: &mut Kx, dest: Ptr, src: Ptr, count: SizeT) -> KResult<Ptr> {
    // In chunks (a count the program makes up must not size a host buffer), from the end
    // when the destination overlaps the source's tail.
    let n = count.0;
    let backward = dest.0 > src.0 && dest.0 < src.0.wrapping_add(n);
    let mut done = 0;
    while done < n {
        let len = (n - done).min(CHUNK);
        let off = if backward { n - done - len } else { done };
        let data = k.mem().read_vec(src.0.wrapping_add(off), len)?;
        k.mem_mut().write(dest.0.wrapping_add(off), &data)?;
        done += len;
    }
    Ok(dest)
}

/// void *memset(void *dest, int c, size_t count): `dest`.
pub fn memset(k: &mut Kx, dest: Ptr, c: i32, count: SizeT) -> KResult<Ptr> {
    let fill = vec![c as u8; count.0.min(CHUNK) as usize];
    let mut done = 0;
    while done < count.0 {
        let n = (count.0 - done).min(CHUNK);
        k.mem_mut().write(dest.0.wrapping_add(done), &fill[..n as usize])?;
        done += n;
    }
    Ok(dest)
}

/// size_t strlen(const char *s)
pub fn strlen(k: &mut Kx, s: PCSTR) -> KResult<SizeT> {
    Ok(SizeT(read_cstr(k.mem(), s.0, MAX)?.len() as u64))
}

/// size_t wcslen(const wchar_t *s)
pub fn wcslen(k: &mut Kx, s: PCWSTR) -> KResult<SizeT> {
    Ok(SizeT(read_wstr(k.mem(), s.0, MAX)?.len() as u64))
}

/// char *strchr(const char *s, int c): the first `(char)c` in `s` (its NUL when `c` is 0),
/// or NULL.
pub fn strchr(k: &mut Kx, s: PCSTR, c: i32) -> KResult<Ptr> {
    let text = read_cstr(k.mem(), s.0, MAX)?;
    let c = c as u8;
    if c == 0 {
        return Ok(Ptr(s.0 + text.len() as u64));
    }
    Ok(Ptr(text.iter().position(|&b| b == c).map_or(0, |i| s.0 + i as u64)))
}

/// int strcmp(const char *a, const char *b): <0, 0, >0 comparing unsigned bytes.
pub fn strcmp(k: &mut Kx, a: PCSTR, b: PCSTR) -> KResult<i32> {
    strncmp(k, a, b, SizeT(MAX as u64))
}

/// int strncmp(const char *a, const char *b, size_t count): <0, 0, >0 comparing at most
/// `count` characters as unsigned bytes.
pub fn strncmp(k: &mut Kx, a: PCSTR, b: PCSTR, count: SizeT) -> KResult<i32> {
    let n = count.0.min(MAX as u64) as usize;
    let (x, y) = (read_cstr(k.mem(), a.0, n)?, read_cstr(k.mem(), b.0, n)?);
    let (x, y) = (&x[..x.len().min(n)], &y[..y.len().min(n)]);
    Ok(match x.cmp(y) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

/// int atoi(const char *s): leading blanks, a sign, decimal digits; what overflows wraps as
/// msvcrt's does (it accumulates in an int).
pub fn atoi(k: &mut Kx, s: PCSTR) -> KResult<i32> {
    let text = read_cstr(k.mem(), s.0, 4096)?;
    let mut i =
        text.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)).unwrap_or(text.len());
    let negative = text.get(i) == Some(&b'-');
    if matches!(text.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut v: i32 = 0;
    while let Some(d) = text.get(i).filter(|b| b.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add((d - b'0') as i32);
        i += 1;
    }
    Ok(if negative { v.wrapping_neg() } else { v })
}

/// msvcrt's messages for errno values (its _sys_errlist).
fn message(e: i32) -> &'static str {
    match e {
        0 => "No error",
        1 => "Operation not permitted",
        2 => "No such file or directory",
        3 => "No such process",
        4 => "Interrupted function call",
        5 => "Input/output error",
        6 => "No such device or address",
        7 => "Arg list too long",
        8 => "Exec format error",
        9 => "Bad file descriptor",
        10 => "No child processes",
        11 => "Resource temporarily unavailable",
        12 => "Not enough space",
        13 => "Permission denied",
        14 => "Bad address",
        16 => "Resource device",
        17 => "File exists",
        18 => "Improper link",
        19 => "No such device",
        20 => "Not a directory",
        21 => "Is a directory",
        22 => "Invalid argument",
        23 => "Too many open files in system",
        24 => "Too many open files",
        25 => "Inappropriate I/O control operation",
        27 => "File too large",
        28 => "No space left on device",
        29 => "Invalid seek",
        30 => "Read-only file system",
        31 => "Too many links",
        32 => "Broken pipe",
        33 => "Domain error",
        34 => "Result too large",
        36 => "Resource deadlock avoided",
        38 => "Filename too long",
        39 => "No locks available",
        40 => "Function not implemented",
        41 => "Directory not empty",
        42 => "Illegal byte sequence",
        _ => "Unknown error",
    }
}

/// char *strerror(int errnum): the message, in the runtime's buffer (overwritten by the
/// next call).
pub fn strerror(k: &mut Kx, errnum: i32) -> KResult<Ptr> {
    let at = crate::kernel32::thread::me(k)?.crt.data + super::at::STRERROR;
    let mut text = message(errnum).as_bytes().to_vec();
    text.push(0);
    k.mem_mut().write(at, &text)?;
    Ok(Ptr(at))
}
