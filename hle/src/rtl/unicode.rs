//! Counted strings: UNICODE_STRING and ANSI_STRING.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, ANSI_STRING, UNICODE_STRING};
use crate::types::{PUnicodeString, Ptr, PCSTR, PCWSTR};

const MAXUSHORT: u64 = 0xFFFF;
/// The longest UNICODE_STRING RtlInitUnicodeString builds: MaximumLength is an even USHORT
/// (0xFFFE) that still holds the terminator, so Length stops at 0xFFFC.
const MAX_USTRING_LENGTH: u64 = (MAXUSHORT & !1) - 2;
/// The longest ANSI_STRING RtlInitAnsiString builds: Length 0xFFFE, MaximumLength 0xFFFF.
const MAX_ASTRING_LENGTH: u64 = MAXUSHORT - 1;

/// Counts the units of a NUL-terminated string, stopping where a USHORT length would overflow.
fn units(k: &Kx, at: u64, unit: u64, limit: u64) -> KResult<u64> {
    let mut n = 0u64;
    loop {
        let v = if unit == 2 { k.mem().read_u16(at + n * 2)? as u64 } else { k.mem().read_u8(at + n)? as u64 };
        if v == 0 || n * unit >= limit {
            return Ok(n);
        }
        n += 1;
    }
}

/// VOID RtlInitUnicodeString(PUNICODE_STRING Dest, PCWSTR Source) (Dest is output only, so it
/// is traced as a pointer): points Dest at Source (no copy). A NULL source gives an empty
/// string with a NULL buffer. Longer sources are cut to Length 0xFFFC, MaximumLength 0xFFFE
/// (ReactOS and Wine cap the same way; Length must stay even and leave room for the NUL).
pub fn RtlInitUnicodeString(k: &mut Kx, dest: Ptr, source: PCWSTR) -> KResult<()> {
    let (len, max) = if source.0 == 0 {
        (0, 0)
    } else {
        let bytes = (units(k, source.0, 2, MAX_USTRING_LENGTH)? * 2).min(MAX_USTRING_LENGTH);
        (bytes, bytes + 2)
    };
    let mem = k.mem_mut();
    mem.set(dest.0, UNICODE_STRING::Length, len)?;
    mem.set(dest.0, UNICODE_STRING::MaximumLength, max)?;
    mem.set(dest.0, UNICODE_STRING::Buffer, source.0)?;
    Ok(())
}

/// VOID RtlInitAnsiString(PANSI_STRING Dest, PCSZ Source): as RtlInitUnicodeString, for bytes
/// (capped at Length 0xFFFE, MaximumLength 0xFFFF).
pub fn RtlInitAnsiString(k: &mut Kx, dest: Ptr, source: PCSTR) -> KResult<()> {
    let (len, max) = if source.0 == 0 {
        (0, 0)
    } else {
        let bytes = units(k, source.0, 1, MAX_ASTRING_LENGTH)?.min(MAX_ASTRING_LENGTH);
        (bytes, bytes + 1)
    };
    let mem = k.mem_mut();
    mem.set(dest.0, ANSI_STRING::Length, len)?;
    mem.set(dest.0, ANSI_STRING::MaximumLength, max)?;
    mem.set(dest.0, ANSI_STRING::Buffer, source.0)?;
    Ok(())
}

/// VOID RtlCopyUnicodeString(PUNICODE_STRING Dest, PCUNICODE_STRING Source): copies
/// min(Source->Length, Dest->MaximumLength) bytes (as documented: no rounding), sets
/// Dest->Length to that, and NUL-terminates when Length + 2 still fits in MaximumLength. A NULL
/// Source empties Dest. MaximumLength and Buffer are never changed.
pub fn RtlCopyUnicodeString(k: &mut Kx, dest: Ptr, source: PUnicodeString) -> KResult<()> {
    if source.0 == 0 {
        k.mem_mut().set(dest.0, UNICODE_STRING::Length, 0)?;
        return Ok(());
    }
    let mem = k.mem();
    let src_len = mem.get(source.0, UNICODE_STRING::Length)?;
    let src_buf = mem.get(source.0, UNICODE_STRING::Buffer)?;
    let dst_max = mem.get(dest.0, UNICODE_STRING::MaximumLength)?;
    let dst_buf = mem.get(dest.0, UNICODE_STRING::Buffer)?;
    let n = src_len.min(dst_max);
    let bytes = crate::rtl::string::read_counted(mem, src_buf, n as usize)?;
    let mem = k.mem_mut();
    mem.write(dst_buf, &bytes)?;
    mem.set(dest.0, UNICODE_STRING::Length, n)?;
    if n + 2 <= dst_max {
        // Buffer[Length / sizeof(WCHAR)]: the unit after the last whole character.
        mem.write_u16(dst_buf.wrapping_add(n & !1), 0)?;
    }
    Ok(())
}

/// The text of a UNICODE_STRING in guest memory (for the kernel's own use: object names).
pub fn read_unicode_string(k: &Kx, at: u64) -> KResult<String> {
    let mem = k.mem();
    let len = mem.get(at, UNICODE_STRING::Length)?;
    let buf = mem.get(at, UNICODE_STRING::Buffer)?;
    if buf == 0 {
        return Ok(String::new());
    }
    let bytes = crate::rtl::string::read_counted(mem, buf, (len & !1) as usize)?;
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    Ok(String::from_utf16_lossy(&units))
}
