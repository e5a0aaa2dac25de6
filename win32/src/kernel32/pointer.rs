//! EncodePointer and DecodePointer: a pointer kept encoded with a secret of the process, so
//! that one an attacker overwrites decodes to nonsense (the C runtime keeps its exit and
//! signal handlers so). Windows' encoding: XOR with the process's cookie, then a rotation
//! right by the cookie's low bits (5 on x86, 6 on x64). The cookie is the process's own,
//! derived from its id: deterministic, as every run here is.
#![allow(non_snake_case)]

use portcullis_emu::Arch;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::Ptr;

use crate::kernel32::thread::me;

/// The process's cookie, and the rotation it gives, on `arch`.
fn cookie(k: &mut Kx) -> KResult<(u64, u32)> {
    let arch = k.arch();
    let pid = me(k)?.pid;
    let cookie = arch.mask(pid.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EC0_0C1E_5EC0_0C1E);
    let bits = match arch {
        Arch::X86 => 32,
        Arch::X64 => 64,
    };
    Ok((cookie, (cookie % bits as u64) as u32))
}

fn rotate_right(arch: Arch, v: u64, n: u32) -> u64 {
    match arch {
        Arch::X86 => (v as u32).rotate_right(n) as u64,
        Arch::X64 => v.rotate_right(n),
    }
}

fn rotate_left(arch: Arch, v: u64, n: u32) -> u64 {
    match arch {
        Arch::X86 => (v as u32).rotate_left(n) as u64,
        Arch::X64 => v.rotate_left(n),
    }
}

/// PVOID EncodePointer(PVOID Ptr)
pub fn EncodePointer(k: &mut Kx, p: Ptr) -> KResult<Ptr> {
    let (cookie, n) = cookie(k)?;
    Ok(Ptr(rotate_right(k.arch(), p.0 ^ cookie, n)))
}

/// PVOID DecodePointer(PVOID Ptr)
pub fn DecodePointer(k: &mut Kx, p: Ptr) -> KResult<Ptr> {
    let (cookie, n) = cookie(k)?;
    Ok(Ptr(rotate_left(k.arch(), p.0, n) ^ cookie))
}
