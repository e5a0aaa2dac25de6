//! File-name helpers of the file system run-time library: wildcard matching
//! (FsRtlIsNameInExpression, FsRtlIsDbcsInExpression), wildcard detection, splitting a path at
//! its first component (FsRtlDissectName, FsRtlDissectDbcs), name comparison
//! (FsRtlAreNamesEqual), and RtlIsNameLegalDOS8Dot3.
//!
//! The wildcards are Windows': `*` matches any run of characters, `?` exactly one; the DOS
//! forms `<` (DOS_STAR) match any run that does not pass the name's last `.`, `>` (DOS_QM)
//! one character other than `.`, or nothing before a `.` or the end, and `"` (DOS_DOT) a `.`
//! or nothing at the end. An empty expression matches only an empty name, and an empty name
//! only an empty expression. With IgnoreCase the name is upcased (through the caller's
//! upcase table when given, else Unicode's) and the expression is taken to be upcased
//! already, as documented.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, PAnsiString, PUnicodeString, Ptr, StringByValue};

use super::nls::{upcase, CodePage};
use super::string::Counted;

const STAR: u16 = b'*' as u16;
const QM: u16 = b'?' as u16;
const DOS_STAR: u16 = b'<' as u16;
const DOS_QM: u16 = b'>' as u16;
const DOS_DOT: u16 = b'"' as u16;
const DOT: u16 = b'.' as u16;

/// Whether a character is one of the five wildcards.
pub fn is_wild(c: u16) -> bool {
    matches!(c, STAR | QM | DOS_STAR | DOS_QM | DOS_DOT)
}

/// Matches `name` against `expr` (both already cased as they should be compared), by
/// following every position the expression can be at after each character of the name.
pub fn matches(expr: &[u16], name: &[u16]) -> bool {
    if expr.is_empty() || name.is_empty() {
        return expr.is_empty() && name.is_empty();
    }
    let last_dot = name.iter().rposition(|&c| c == DOT);
    let n = expr.len();
    // Positions reachable without consuming a character, at name position `at`.
    let close = |states: &mut Vec<bool>, at: usize| {
        let mut i = 0;
        while i < n {
            if states[i] {
                let zero_width = match expr[i] {
                    STAR | DOS_STAR => true,
                    DOS_QM => at == name.len() || name[at] == DOT,
                    DOS_DOT => at == name.len(),
                    _ => false,
                };
                if zero_width {
                    // Zero-width steps only go forward: one pass reaches every position.
                    states[i + 1] = true;
                }
            }
            i += 1;
        }
    };
    let mut states = vec![false; n + 1];
    states[0] = true;
    close(&mut states, 0);
    for (at, &c) in name.iter().enumerate() {
        let mut next = vec![false; n + 1];
        for i in (0..n).filter(|&i| states[i]) {
            match expr[i] {
                STAR => next[i] = true,
                DOS_STAR => {
                    if !(c == DOT && Some(at) == last_dot) {
                        next[i] = true;
                    }
                }
                QM => next[i + 1] = true,
                DOS_QM => {
                    if c != DOT {
                        next[i + 1] = true;
                    }
                }
                DOS_DOT => {
                    if c == DOT {
                        next[i + 1] = true;
                    }
                }
                e => {
                    if e == c {
                        next[i + 1] = true;
                    }
                }
            }
        }
        close(&mut next, at + 1);
        if !next.iter().any(|&s| s) {
            return false;
        }
        states = next;
    }
    states[n]
}

/// A name upcased the way FsRtl does it: through the caller's 64K-entry table, or Unicode's.
fn upcased(k: &Kx, units: &[u16], table: u64) -> KResult<Vec<u16>> {
    units
        .iter()
        .map(|&c| if table == 0 { Ok(upcase(c)) } else { Ok(k.mem().read_u16(table + u64::from(c) * 2)?) })
        .collect()
}

/// BOOLEAN FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name, BOOLEAN
/// IgnoreCase, PWCH UpcaseTable)
pub fn FsRtlIsNameInExpression(
    k: &mut Kx,
    expression: PUnicodeString,
    name: PUnicodeString,
    ci: Boolean,
    table: Ptr,
) -> KResult<Boolean> {
    let mem = k.mem();
    let expr = Counted::read(mem, expression.0)?.units(mem)?;
    let mut name = Counted::read(mem, name.0)?.units(mem)?;
    if ci.0 {
        name = upcased(k, &name, table.0)?;
    }
    Ok(Boolean(matches(&expr, &name)))
}

/// BOOLEAN FsRtlIsDbcsInExpression(PANSI_STRING Expression, PANSI_STRING Name): byte names,
/// compared exactly.
pub fn FsRtlIsDbcsInExpression(k: &mut Kx, expression: PAnsiString, name: PAnsiString) -> KResult<Boolean> {
    let mem = k.mem();
    let widen = |b: Vec<u8>| -> Vec<u16> { b.into_iter().map(u16::from).collect() };
    let expr = widen(Counted::read(mem, expression.0)?.bytes(mem)?);
    let name = widen(Counted::read(mem, name.0)?.bytes(mem)?);
    Ok(Boolean(matches(&expr, &name)))
}

/// BOOLEAN FsRtlDoesNameContainWildCards(PUNICODE_STRING Name)
pub fn FsRtlDoesNameContainWildCards(k: &mut Kx, name: PUnicodeString) -> KResult<Boolean> {
    let units = Counted::read(k.mem(), name.0)?.units(k.mem())?;
    Ok(Boolean(units.into_iter().any(is_wild)))
}

/// BOOLEAN FsRtlDoesDbcsContainWildCards(PANSI_STRING Name)
pub fn FsRtlDoesDbcsContainWildCards(k: &mut Kx, name: PAnsiString) -> KResult<Boolean> {
    let bytes = Counted::read(k.mem(), name.0)?.bytes(k.mem())?;
    Ok(Boolean(bytes.into_iter().any(|b| is_wild(b.into()))))
}

/// The header of a counted string passed by value.
fn by_value(k: &Kx, s: StringByValue) -> KResult<Counted> {
    Ok(match k.arch() {
        Arch::X86 => Counted { length: s.0 as u16, maximum: (s.0 >> 16) as u16, buffer: s.0 >> 32 },
        Arch::X64 => Counted::read(k.mem(), s.0)?,
    })
}

/// Splits a path (`size` bytes per character) at its first component: a leading backslash is
/// skipped; FirstName is up to the next backslash; RemainingName what follows it. Both empty
/// for an empty path.
fn dissect(k: &mut Kx, path: Counted, size: u64, first: Ptr, rest: Ptr) -> KResult<()> {
    let empty = Counted { length: 0, maximum: 0, buffer: 0 };
    empty.write(k.mem_mut(), first.0)?;
    empty.write(k.mem_mut(), rest.0)?;
    let chars = u64::from(path.length) / size;
    if chars == 0 {
        return Ok(());
    }
    let unit = |i: u64| -> KResult<u16> {
        Ok(if size == 2 { k.mem().read_u16(path.buffer + i * 2)? } else { k.mem().read_u8(path.buffer + i)?.into() })
    };
    let backslash = u16::from(b'\\');
    let start = u64::from(unit(0)? == backslash);
    let mut end = start;
    while end < chars && unit(end)? != backslash {
        end += 1;
    }
    let first_len = ((end - start) * size) as u16;
    Counted { length: first_len, maximum: first_len, buffer: path.buffer + start * size }
        .write(k.mem_mut(), first.0)?;
    if end < chars {
        let rest_len = ((chars - end - 1) * size) as u16;
        Counted { length: rest_len, maximum: rest_len, buffer: path.buffer + (end + 1) * size }
            .write(k.mem_mut(), rest.0)?;
    }
    Ok(())
}

/// VOID FsRtlDissectName(UNICODE_STRING Path, PUNICODE_STRING FirstName, PUNICODE_STRING
/// RemainingName): both results point into Path's buffer.
pub fn FsRtlDissectName(k: &mut Kx, path: StringByValue, first: Ptr, rest: Ptr) -> KResult<()> {
    let p = by_value(k, path)?;
    dissect(k, p, 2, first, rest)
}

/// VOID FsRtlDissectDbcs(ANSI_STRING Path, PANSI_STRING FirstName, PANSI_STRING RemainingName)
pub fn FsRtlDissectDbcs(k: &mut Kx, path: StringByValue, first: Ptr, rest: Ptr) -> KResult<()> {
    let p = by_value(k, path)?;
    dissect(k, p, 1, first, rest)
}

/// BOOLEAN FsRtlAreNamesEqual(PCUNICODE_STRING ConstantNameA, PCUNICODE_STRING ConstantNameB,
/// BOOLEAN IgnoreCase, PCWCH UpcaseTable): equal lengths and characters, both upcased first
/// when IgnoreCase.
pub fn FsRtlAreNamesEqual(
    k: &mut Kx,
    a: PUnicodeString,
    b: PUnicodeString,
    ci: Boolean,
    table: Ptr,
) -> KResult<Boolean> {
    let mem = k.mem();
    let (x, y) = (Counted::read(mem, a.0)?, Counted::read(mem, b.0)?);
    if x.length != y.length {
        return Ok(Boolean(false));
    }
    let (mut p, mut q) = (x.units(mem)?, y.units(mem)?);
    if ci.0 {
        p = upcased(k, &p, table.0)?;
        q = upcased(k, &q, table.0)?;
    }
    Ok(Boolean(p == q))
}

/// Characters an 8.3 name may not hold (in the OEM code page; 0xE5 marks a deleted FAT entry).
const ILLEGAL_83: &[u8] = b"*?<>|\"+=,;[]:/\\\xe5";

/// BOOLEAN RtlIsNameLegalDOS8Dot3(PCUNICODE_STRING Name, POEM_STRING OemName, PBOOLEAN
/// NameContainsSpaces): whether the upcased OEM form of Name is a valid 8.3 name (`.` and
/// `..` are). When OemName is given it receives that form (as
/// RtlUpcaseUnicodeStringToCountedOemString fills it); NameContainsSpaces says whether the name
/// has inner spaces.
pub fn RtlIsNameLegalDOS8Dot3(k: &mut Kx, name: PUnicodeString, oem: Ptr, spaces: Ptr) -> KResult<Boolean> {
    let units = Counted::read(k.mem(), name.0)?.units(k.mem())?;
    let up: Vec<u16> = units.iter().map(|&c| upcase(c)).collect();
    let Some(bytes) = up.iter().map(|&c| CodePage::Oem.from_unicode(c)).collect::<Option<Vec<u8>>>() else {
        return Ok(Boolean(false));
    };
    if oem.is_null() {
        if bytes.len() > 12 {
            return Ok(Boolean(false));
        }
    } else {
        let st =
            super::transcode::RtlUpcaseUnicodeStringToCountedOemString(k, PAnsiString(oem.0), name, Boolean(false))?;
        if st != status::SUCCESS {
            return Ok(Boolean(false));
        }
    }
    let legal = legal_83(&bytes);
    if let Some(has_spaces) = legal {
        if !spaces.is_null() {
            k.mem_mut().write_u8(spaces.0, has_spaces.into())?;
        }
    }
    Ok(Boolean(legal.is_some()))
}

/// Whether OEM bytes form a legal 8.3 name: `Some(has inner spaces)` when they do.
fn legal_83(b: &[u8]) -> Option<bool> {
    if b.len() > 12 {
        return None;
    }
    if b.first() == Some(&b'.') {
        return (b == b"." || b == b"..").then_some(false);
    }
    let mut dot = None;
    let mut spaces = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b' ' => {
                // Not leading, trailing, or right before the dot.
                if i == 0 || i == b.len() - 1 || b[i + 1] == b'.' {
                    return None;
                }
                spaces = true;
            }
            b'.' => {
                if dot.is_some() {
                    return None;
                }
                dot = Some(i);
            }
            _ if ILLEGAL_83.contains(&c) => return None,
            _ => {}
        }
    }
    match dot {
        None if b.len() > 8 => None,
        Some(d) if d > 8 || b.len() - d > 4 || d == b.len() - 1 => None,
        _ => Some(spaces),
    }
}
