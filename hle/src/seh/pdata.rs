//! x64 function tables: each loaded image's exception directory (`.pdata`, an array of
//! RUNTIME_FUNCTION sorted by address), and `RtlLookupFunctionEntry`.
//!
//! Windows ignores the directory when it loads an image and reads it only when an exception
//! is dispatched, so a damaged one never stops a driver from loading. Here too: a table is
//! read from the mapped image the first time it is needed, and entries that cannot be right
//! (an empty or reversed range, offsets outside the image) are left out, as if absent.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, GuestMemory};

use crate::kernel::{KResult, Kx};
use crate::seh::unwind_info::RuntimeFunction;
use crate::types::Ptr;

/// Most entries a table is read with (a real driver has a few thousand at most).
const MAX_ENTRIES: u64 = 1 << 20;
/// RUNTIME_FUNCTION_INDIRECT: the entry's UnwindData points at another entry.
const INDIRECT: u32 = 1;

/// One image's function table.
#[derive(Clone, Debug, Default)]
pub struct FunctionTable {
    pub base: u64,
    pub size: u64,
    /// Usable entries, sorted by begin address.
    entries: Vec<RuntimeFunction>,
}

impl FunctionTable {
    /// Reads the exception directory `(rva, len)` of the image at `base` (`size` bytes).
    pub fn read(mem: &GuestMemory, base: u64, size: u64, directory: Option<(u32, u32)>) -> FunctionTable {
        let mut entries = Vec::new();
        if let Some((rva, len)) = directory {
            let rva = rva as u64;
            let len = (len as u64).min(size.saturating_sub(rva)) / 12;
            for i in 0..len.min(MAX_ENTRIES) {
                let at = base + rva + 12 * i;
                let mut e = [0u8; 12];
                if mem.read(at, &mut e).is_err() {
                    break;
                }
                let word = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes"));
                let f = RuntimeFunction { begin: word(0), end: word(4), unwind: word(8), at };
                if f.begin < f.end && f.end as u64 <= size && ((f.unwind & !INDIRECT) as u64) < size {
                    entries.push(f);
                }
            }
        }
        entries.sort_by_key(|f| (f.begin, f.at));
        entries.dedup_by_key(|f| f.begin);
        FunctionTable { base, size, entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry covering image offset `rva`, with an indirect entry followed to the one it
    /// names.
    pub fn lookup(&self, mem: &GuestMemory, rva: u32) -> Option<RuntimeFunction> {
        let i = self.entries.partition_point(|f| f.begin <= rva).checked_sub(1)?;
        let f = self.entries[i];
        if rva >= f.end {
            return None;
        }
        if f.unwind & INDIRECT == 0 {
            return Some(f);
        }
        let at = self.base + (f.unwind & !INDIRECT) as u64;
        let mut e = [0u8; 12];
        mem.read(at, &mut e).ok()?;
        let word = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes"));
        let target = RuntimeFunction { begin: word(0), end: word(4), unwind: word(8), at };
        (target.begin < target.end && (target.unwind as u64) < self.size && target.unwind & INDIRECT == 0)
            .then_some(target)
    }
}

/// Reads the function table of the image holding `pc` if that has not been done yet.
/// Returns the image's base.
pub(crate) fn ensure(k: &mut Kx, pc: u64) -> Option<u64> {
    if k.arch() != Arch::X64 {
        return None;
    }
    let (base, size, directory) = match k.ext().driver_at(pc) {
        Some(d) => {
            let image = &k.ext().drivers()[d].image;
            (image.base, image.size, image.exception_directory)
        }
        None => {
            let image = crate::seh::user::image_at(k, pc)?;
            (image.base, image.size, image.exception_directory)
        }
    };
    if !k.ext().seh.tables.iter().any(|t| t.base == base) {
        let table = FunctionTable::read(k.mem(), base, size, directory);
        k.ext_mut().seh.tables.push(table);
    }
    Some(base)
}

/// The function entry covering `pc` in a table already read (see [`ensure`]), with the base
/// of its image.
pub(crate) fn lookup_loaded(k: &Kx, pc: u64) -> Option<(u64, RuntimeFunction)> {
    let table = k.ext().seh.tables.iter().find(|t| pc >= t.base && pc - t.base < t.size)?;
    let rva = u32::try_from(pc - table.base).ok()?;
    Some((table.base, table.lookup(k.mem(), rva)?))
}

/// The function entry covering `pc` and the base of its image, for code in a loaded image
/// with a usable exception directory.
pub fn lookup(k: &mut Kx, pc: u64) -> Option<(u64, RuntimeFunction)> {
    ensure(k, pc)?;
    lookup_loaded(k, pc)
}

/// The size of the image at `base` (for bounds on its unwind information).
pub(crate) fn image_size(k: &Kx, base: u64) -> Option<u64> {
    k.ext().seh.tables.iter().find(|t| t.base == base).map(|t| t.size)
}

/// PRUNTIME_FUNCTION RtlLookupFunctionEntry(DWORD64 ControlPc, PDWORD64 ImageBase,
/// PUNWIND_HISTORY_TABLE HistoryTable) (x64)
///
/// The history table is a cache the caller may pass; this lookup needs none and leaves it
/// as it is.
pub fn RtlLookupFunctionEntry(k: &mut Kx, pc: u64, image_base: Ptr, _history: Ptr) -> KResult<Ptr> {
    match lookup(k, pc) {
        Some((base, f)) => {
            if image_base.0 != 0 {
                k.mem_mut().write_u64(image_base.0, base)?;
            }
            Ok(Ptr(f.at))
        }
        None => Ok(Ptr(0)),
    }
}
