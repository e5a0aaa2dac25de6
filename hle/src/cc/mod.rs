//! The cache manager as far as a file system asks it about a file's cache: `CcFlushCache`,
//! `CcPurgeCacheSection`.
//!
//! A file is cached once its file system calls CcInitializeCacheMap, which this kernel does not
//! export: no file has a shared cache map (the volume's files are read and written directly,
//! fs/rw.rs). Flushing a file without a cache map writes nothing and succeeds; purging it has
//! nothing to discard and succeeds, as Windows answers for an uncached file. The
//! SECTION_OBJECT_POINTERS are read as Windows reads them (an unreadable pointer faults).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::mm::file_section::touch_section_pointers;
use crate::types::{status, Boolean, Ptr};

/// VOID CcFlushCache(PSECTION_OBJECT_POINTERS SectionObjectPointer, PLARGE_INTEGER
/// FileOffset, ULONG Length, PIO_STATUS_BLOCK IoStatus): no dirty cached byte to write:
/// IoStatus (optional) is STATUS_SUCCESS with 0 bytes flushed.
pub fn CcFlushCache(k: &mut Kx, sop: Ptr, offset: Ptr, _length: u32, iosb: Ptr) -> KResult<()> {
    touch_section_pointers(k, sop)?;
    if !offset.is_null() {
        k.mem().read_u64(offset.0)?;
    }
    if !iosb.is_null() {
        crate::fs::open::io_status(k, iosb, status::SUCCESS, 0)?;
    }
    Ok(())
}

/// BOOLEAN CcPurgeCacheSection(PSECTION_OBJECT_POINTERS SectionObjectPointer,
/// PLARGE_INTEGER FileOffset, ULONG Length, ULONG Flags): FALSE only when a mapped view
/// keeps cached pages; nothing is cached, so the purge succeeds.
pub fn CcPurgeCacheSection(k: &mut Kx, sop: Ptr, offset: Ptr, _length: u32, _flags: u32) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    if !offset.is_null() {
        k.mem().read_u64(offset.0)?;
    }
    Ok(Boolean(true))
}
