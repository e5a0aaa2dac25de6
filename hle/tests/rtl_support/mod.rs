//! Helpers shared by the run-time library's test files (`rtl_*.rs`, `crt.rs`): calling
//! exports with 64-bit arguments and results on both architectures, and reading strings back.
#![allow(dead_code)] // not every test file uses every helper

use portcullis_emu::{Arch, Reg};
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, UNICODE_STRING};

use crate::common::fx::Fx;

pub const NT: Dll = Dll::Ntoskrnl;

/// The argument slots of a 64-bit value passed by value: two on x86 (low half first), one on
/// x64.
pub fn wide(arch: Arch, v: u64) -> Vec<u64> {
    match arch {
        Arch::X86 => vec![v & 0xFFFF_FFFF, v >> 32],
        Arch::X64 => vec![v],
    }
}

/// Calls an ntoskrnl export, expecting it to return.
pub fn call(fx: &mut Fx, name: &str, args: &[u64]) -> u64 {
    fx.call(NT, name, args).unwrap_or_else(|e| panic!("{name} on {:?}: {e:?}", fx.arch))
}

/// Calls an export returning an NTSTATUS.
pub fn st(fx: &mut Fx, name: &str, args: &[u64]) -> u32 {
    call(fx, name, args) as u32
}

/// Calls an export returning a 64-bit value (EDX:EAX on x86).
pub fn call64(fx: &mut Fx, name: &str, args: &[u64]) -> u64 {
    let lo = call(fx, name, args);
    match fx.arch {
        Arch::X86 => (lo & 0xFFFF_FFFF) | fx.k.reg(Reg::Dx) << 32,
        Arch::X64 => lo,
    }
}

/// Calls an export returning a 32-bit signed value (LONG, int).
pub fn call_i32(fx: &mut Fx, name: &str, args: &[u64]) -> i32 {
    call(fx, name, args) as u32 as i32
}

/// Calls an export returning BOOLEAN.
pub fn call_bool(fx: &mut Fx, name: &str, args: &[u64]) -> bool {
    call(fx, name, args) as u8 != 0
}

/// `n` UTF-16 units at `at`, as text.
pub fn wide_at(fx: &Fx, at: u64, n: usize) -> String {
    let b = fx.read(at, n * 2);
    String::from_utf16_lossy(&b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>())
}

/// The NUL-terminated wide string at `at`.
pub fn wstr_at(fx: &Fx, at: u64) -> String {
    let mut units = Vec::new();
    while let Ok(u) = fx.k.mem().read_u16(at + units.len() as u64 * 2) {
        if u == 0 {
            break;
        }
        units.push(u);
    }
    String::from_utf16_lossy(&units)
}

/// The NUL-terminated byte string at `at`.
pub fn cstr_at(fx: &Fx, at: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(b) = fx.k.mem().read_u8(at + out.len() as u64) {
        if b == 0 {
            break;
        }
        out.push(b);
    }
    out
}

/// The text a UNICODE_STRING at `at` describes (Length / 2 units).
pub fn ustring_text(fx: &Fx, at: u64) -> String {
    let (len, _, buf) = fx.counted(at);
    wide_at(fx, buf, (len / 2) as usize)
}

/// The bytes an ANSI_STRING at `at` describes.
pub fn astring_bytes(fx: &Fx, at: u64) -> Vec<u8> {
    let (len, _, buf) = fx.counted(at);
    fx.read(buf, len as usize)
}

/// An ANSI_STRING describing `bytes` (with a NUL after them in the buffer), MaximumLength
/// `max`.
pub fn astr_max(fx: &mut Fx, bytes: &[u8], max: u64) -> u64 {
    let mut b = bytes.to_vec();
    b.resize((max as usize).max(bytes.len() + 1), 0);
    let buf = fx.put(&b);
    fx.ustring(bytes.len() as u64, max, buf)
}

/// An ANSI_STRING describing `bytes` exactly (MaximumLength = Length + 1).
pub fn astr(fx: &mut Fx, bytes: &[u8]) -> u64 {
    astr_max(fx, bytes, bytes.len() as u64 + 1)
}

/// An empty UNICODE_STRING over a buffer of `max` bytes filled with 0xEE (and 4 more bytes
/// of 0xEE after it, to see that nothing is written past MaximumLength).
pub fn ubuf(fx: &mut Fx, max: u64) -> u64 {
    let buf = fx.put(&vec![0xEEu8; max as usize + 4]);
    fx.ustring(0, max, buf)
}

/// The UNICODE_STRING header fields at `at`.
pub fn header(fx: &Fx, at: u64) -> (u64, u64, u64) {
    fx.counted(at)
}

/// Writes a header (Length, MaximumLength, Buffer) at `at`.
pub fn set_header(fx: &mut Fx, at: u64, len: u64, max: u64, buf: u64) {
    let mem = fx.k.mem_mut();
    mem.set(at, UNICODE_STRING::Length, len).unwrap();
    mem.set(at, UNICODE_STRING::MaximumLength, max).unwrap();
    mem.set(at, UNICODE_STRING::Buffer, buf).unwrap();
}

/// Whether the kernel's pool holds a live block at `at`.
pub fn pool_block(fx: &Fx, at: u64) -> Option<u32> {
    fx.k.ext().pool.block(at).map(|b| b.tag)
}

/// Status values the tests compare with.
pub mod st {
    pub const SUCCESS: u32 = 0;
    pub const BUFFER_OVERFLOW: u32 = 0x8000_0005;
    pub const INVALID_PARAMETER: u32 = 0xC000_000D;
    pub const NO_MEMORY: u32 = 0xC000_0017;
    pub const BUFFER_TOO_SMALL: u32 = 0xC000_0023;
    pub const INVALID_PARAMETER_2: u32 = 0xC000_00F0;
    pub const INVALID_PARAMETER_4: u32 = 0xC000_00F2;
    pub const INVALID_PARAMETER_5: u32 = 0xC000_00F3;
    pub const NAME_TOO_LONG: u32 = 0xC000_0106;
    pub const UNMAPPABLE_CHARACTER: u32 = 0xC000_0162;
    pub const SOME_NOT_MAPPED: u32 = 0x0000_0107;
    pub const ACCESS_VIOLATION: u32 = 0xC000_0005;
    pub const REVISION_MISMATCH: u32 = 0xC000_0059;
    pub const NOT_FOUND: u32 = 0xC000_0225;
}
