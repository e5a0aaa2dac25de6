//! What the memory manager answers a file system about a file's sections:
//! `MmFlushImageSection`, `MmForceSectionClosed`, `MmCanFileBeTruncated`.
//!
//! A file's SECTION_OBJECT_POINTERS (DataSectionObject, SharedCacheMap, ImageSectionObject)
//! name the sections Mm made for it. This kernel makes none: sections are pagefile-backed or
//! physical memory (mm/section.rs), no file is mapped as data or as an image. So every file
//! has no section to flush, close or keep from truncation, and the answers are the ones
//! Windows gives for a file without sections. Windows reads the structure: an unreadable
//! pointer faults; what the fields hold is not consulted, since only Mm may set them and
//! this Mm has set none (a value a driver wrote there names no section of this kernel).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr};

/// Reads the SECTION_OBJECT_POINTERS at `sop` as Windows does before it looks at its sections.
pub(crate) fn touch_section_pointers(k: &Kx, sop: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let mut b = vec![0u8; 3 * ps as usize];
    k.mem().read(sop.0, &mut b)?;
    Ok(())
}

/// BOOLEAN MmFlushImageSection(PSECTION_OBJECT_POINTERS SectionObjectPointer,
/// MMFLUSH_TYPE FlushType): TRUE when the file has no image section or it was flushed; no
/// file has one here.
pub fn MmFlushImageSection(k: &mut Kx, sop: Ptr, _flush_type: u32) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    Ok(Boolean(true))
}

/// BOOLEAN MmForceSectionClosed(PSECTION_OBJECT_POINTERS SectionObjectPointer,
/// BOOLEAN DelayClose): TRUE when the file's data and image sections were deleted or do not
/// exist; they do not exist here.
pub fn MmForceSectionClosed(k: &mut Kx, sop: Ptr, _delay_close: Boolean) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    Ok(Boolean(true))
}

/// BOOLEAN MmCanFileBeTruncated(PSECTION_OBJECT_POINTERS SectionPointer,
/// PLARGE_INTEGER NewFileSize): FALSE only when an image section or a mapped view of the
/// data section would lose pages; with no section, any size is allowed (NewFileSize, when
/// given, is read as Windows reads it).
pub fn MmCanFileBeTruncated(k: &mut Kx, sop: Ptr, new_size: Ptr) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    if !new_size.is_null() {
        k.mem().read_u64(new_size.0)?;
    }
    Ok(Boolean(true))
}
