//! Section objects: `\Device\PhysicalMemory` (every physical address, as hardware-access
//! tools map it) and pagefile-backed sections (ZwCreateSection), views of them in a process
//! (ZwMapViewOfSection, ZwUnmapViewOfSection; MmCreateSection and MmMapViewOfSection with
//! objects for handles) or in system space (MmMapViewInSystemSpace, MmUnmapViewInSystemSpace).
//!
//! There is one address space: a view "in a process" (the caller's, or the System process's)
//! is placed in user space, where Windows puts such views, and is visible to the driver in
//! any context. Sections of files on the volume (data and SEC_IMAGE) are made in
//! mm/file_section.rs; their views are copies of the file's bytes (or of its image layout)
//! placed the same way.
#![allow(non_snake_case)]

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};

use super::{forget, record, MappingKind};
use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, OBJECT_ATTRIBUTES};
use crate::ob::handles::{self, Mode};
use crate::ob::{canonical, NameTarget, ObjectKind, Owner};
use crate::types::{status, NtStatus, Ptr, SizeT, HANDLE};

/// The name of the physical memory section.
pub const PHYSICAL_MEMORY: &str = "\\Device\\PhysicalMemory";

const STATUS_INVALID_VIEW_SIZE: NtStatus = NtStatus(0xC000_001F);
const STATUS_NOT_MAPPED_VIEW: NtStatus = NtStatus(0xC000_0019);
const STATUS_CONFLICTING_ADDRESSES: NtStatus = NtStatus(0xC000_0018);
const STATUS_INVALID_PAGE_PROTECTION: NtStatus = NtStatus(0xC000_0045);
const STATUS_SECTION_PROTECTION: NtStatus = NtStatus(0xC000_004E);
const STATUS_MAPPED_ALIGNMENT: NtStatus = NtStatus(0xC000_0220);
use super::file_section::{self, STATUS_IMAGE_NOT_AT_BASE, STATUS_SECTION_TOO_BIG};

/// Views start on multiples of the allocation granularity.
const GRANULARITY: u64 = 0x1_0000;
/// Largest view or pagefile-backed section.
const MOST_BYTES: u64 = 1 << 30;

/// SEC_* allocation attributes.
const SEC_RESERVE: u32 = 0x0400_0000;
const SEC_COMMIT: u32 = 0x0800_0000;

/// What a section holds.
#[derive(Clone, Debug)]
pub(crate) enum Backing {
    /// The whole physical address space.
    Physical,
    /// Pages of its own (frames of a kernel region).
    Pages(Vec<u64>),
    /// A file on the volume (its node), as data: a view shows the file's bytes as they are
    /// when it is mapped.
    File(usize),
    /// A PE file as an image, laid out when the section was made.
    Image(std::sync::Arc<file_section::ImageLayout>),
}

#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub(crate) backing: Backing,
    /// Bytes (for the physical memory section: up to the end of RAM).
    pub(crate) size: u64,
    /// Whether views may be written.
    pub(crate) writable: bool,
}

/// A section object: an opaque block of kernel pool, registered with the object manager.
fn create(k: &mut Kx, name: Option<&str>, section: Section) -> KResult<Result<u64, NtStatus>> {
    let object = pool::kernel_alloc(k, 0x40, b"Sect")?;
    if let Some(n) = name {
        if let Err(st) = k.ext_mut().objects.insert_name(n, NameTarget::Object(object), Owner::Kernel) {
            return Ok(Err(st));
        }
    }
    k.ext_mut().objects.register(object, ObjectKind::Section, name.map(str::to_string), Owner::Kernel);
    k.ext_mut().mm.sections.insert(object, section);
    Ok(Ok(object))
}

/// The object name in OBJECT_ATTRIBUTES (None when it has none), and the attributes.
fn object_name(k: &Kx, attributes: Ptr) -> KResult<(Option<String>, u32)> {
    if attributes.is_null() {
        return Ok((None, 0));
    }
    let name = k.mem().get(attributes.0, OBJECT_ATTRIBUTES::ObjectName)?;
    let attrs = k.mem().get(attributes.0, OBJECT_ATTRIBUTES::Attributes)? as u32;
    let text = if name == 0 { None } else { Some(crate::rtl::unicode::read_unicode_string(k, name)?) };
    Ok((text, attrs))
}

/// NTSTATUS ZwOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes)
///
/// Opens `\Device\PhysicalMemory` or a named section ZwCreateSection made.
pub fn ZwOpenSection(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr) -> KResult<NtStatus> {
    let (name, attrs) = object_name(k, attributes)?;
    let Some(name) = name.filter(|n| !n.is_empty()) else { return Ok(status::OBJECT_NAME_INVALID) };
    let object = match k.ext().objects.resolve(&name) {
        Some((o, rest)) if rest.is_empty() => o,
        Some(_) => return Ok(status::OBJECT_NAME_NOT_FOUND),
        None if canonical(&name) == canonical(PHYSICAL_MEMORY) => {
            let ram_end = k.mem().physical().ram_end();
            let s = Section { backing: Backing::Physical, size: ram_end, writable: true };
            match create(k, Some(PHYSICAL_MEMORY), s)? {
                Ok(o) => o,
                Err(st) => return Ok(st),
            }
        }
        None => return Ok(status::OBJECT_NAME_NOT_FOUND),
    };
    if !k.ext().mm.sections.contains_key(&object) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    let value = handles::open(k, object, access, attrs)?;
    k.mem_mut().write_ptr(handle.0, value)?;
    Ok(status::SUCCESS)
}

/// Whether `protect` (PAGE_*) is a protection a section or view may have, and whether it
/// lets the view be written.
pub(crate) fn protection(protect: u32) -> Option<bool> {
    let modifiers = 0x100 | 0x200 | 0x400; // guard, no-cache, write-combine
    match protect & !modifiers {
        0x02 | 0x10 | 0x20 => Some(false),
        0x04 | 0x08 | 0x40 | 0x80 => Some(true),
        _ => None,
    }
}

/// NTSTATUS ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection,
/// ULONG AllocationAttributes, HANDLE FileHandle)
///
/// A pagefile-backed section of `MaximumSize` zeroed bytes (SEC_COMMIT or SEC_RESERVE), named
/// if the attributes name it; with a file handle, a section of that file on the volume: its
/// data (SEC_COMMIT; MaximumSize 0 for the whole file) or, with SEC_IMAGE, the PE file laid
/// out as an image (see mm/file_section.rs).
#[allow(clippy::too_many_arguments)]
pub fn ZwCreateSection(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    maximum_size: Ptr,
    protect: u32,
    allocation: u32,
    file: HANDLE,
) -> KResult<NtStatus> {
    let object = match create_section(k, attributes, maximum_size, protect, allocation, file.0, 0)? {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    let (_, attrs) = object_name(k, attributes)?;
    let value = handles::open(k, object, access, attrs)?;
    k.mem_mut().write_ptr(handle.0, value)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS MmCreateSection(PVOID *SectionObject, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PLARGE_INTEGER MaximumSize, ULONG
/// SectionPageProtection, ULONG AllocationAttributes, HANDLE FileHandle, PFILE_OBJECT
/// FileObject)
///
/// ZwCreateSection's section, handed out as a referenced object instead of a handle; the file
/// may be given as a file object instead of a handle.
#[allow(clippy::too_many_arguments)]
pub fn MmCreateSection(
    k: &mut Kx,
    section_object: Ptr,
    _access: u32,
    attributes: Ptr,
    maximum_size: Ptr,
    protect: u32,
    allocation: u32,
    file: HANDLE,
    file_object: Ptr,
) -> KResult<NtStatus> {
    let object = match create_section(k, attributes, maximum_size, protect, allocation, file.0, file_object.0)? {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    handles::reference(k, object);
    k.mem_mut().write_ptr(section_object.0, object)?;
    Ok(status::SUCCESS)
}

/// A pagefile-backed section of `MaximumSize` zeroed bytes (SEC_COMMIT or SEC_RESERVE),
/// or a section of the file the handle (else the file object) is open on, named if the
/// attributes name it.
fn create_section(
    k: &mut Kx,
    attributes: Ptr,
    maximum_size: Ptr,
    protect: u32,
    allocation: u32,
    file: u64,
    file_object: u64,
) -> KResult<Result<u64, NtStatus>> {
    let size = if maximum_size.is_null() { 0 } else { k.mem().read_u64(maximum_size.0)? };
    if file != 0 || file_object != 0 {
        let fo = if file != 0 {
            match handles::lookup(k, file, Mode::Kernel)? {
                Some((o, _, _)) => o,
                None => return Ok(Err(status::INVALID_HANDLE)),
            }
        } else {
            file_object
        };
        let section = match file_section::create(k, fo, size, protect, allocation)? {
            Ok(s) => s,
            Err(st) => return Ok(Err(st)),
        };
        let (name, _) = object_name(k, attributes)?;
        return create(k, name.as_deref().filter(|n| !n.is_empty()), section);
    }
    if size == 0 {
        return Ok(Err(status::INVALID_PARAMETER_4));
    }
    if size > MOST_BYTES {
        return Ok(Err(STATUS_SECTION_TOO_BIG));
    }
    let Some(writable) = protection(protect) else { return Ok(Err(STATUS_INVALID_PAGE_PROTECTION)) };
    if allocation & (SEC_COMMIT | SEC_RESERVE) == 0 || allocation & !(SEC_COMMIT | SEC_RESERVE | 0x1000_0000) != 0 {
        return Ok(Err(NtStatus(0xC000_00F4))); // STATUS_INVALID_PARAMETER_6
    }
    let (name, _) = object_name(k, attributes)?;
    let base = k.mem_mut().alloc(RegionKind::System, "section pages", size, Prot::RW)?;
    let frames: Vec<u64> =
        (0..size.div_ceil(PAGE_SIZE)).map(|i| k.mem().translate(base + i * PAGE_SIZE).expect("just mapped")).collect();
    let s = Section { backing: Backing::Pages(frames), size, writable };
    match create(k, name.as_deref().filter(|n| !n.is_empty()), s)? {
        Ok(o) => Ok(Ok(o)),
        Err(st) => {
            k.mem_mut().free(base)?;
            Ok(Err(st))
        }
    }
}

/// The section a handle names, for a kernel-mode caller.
fn section_of(k: &Kx, handle: u64) -> KResult<Result<(u64, Section), NtStatus>> {
    let Some((object, _, _)) = handles::lookup(k, handle, Mode::Kernel)? else {
        return Ok(Err(status::INVALID_HANDLE));
    };
    Ok(match k.ext().mm.sections.get(&object) {
        Some(s) => Ok((object, s.clone())),
        None => Err(status::OBJECT_TYPE_MISMATCH),
    })
}

/// Whether a process handle names a process.
fn check_process(k: &Kx, handle: u64) -> KResult<Option<NtStatus>> {
    Ok(match handles::lookup(k, handle, Mode::Kernel)? {
        None => Some(status::INVALID_HANDLE),
        Some((o, _, _)) => {
            let is_process = o == crate::ps::current_process(k)?
                || k.ext().objects.get(o).is_some_and(|i| i.kind == ObjectKind::Process);
            (!is_process).then_some(status::OBJECT_TYPE_MISMATCH)
        }
    })
}

/// The frames of `pages` pages of a section from page-aligned `offset`.
fn frames(section: &Section, offset: u64, pages: u64) -> Vec<u64> {
    match &section.backing {
        Backing::Physical => (0..pages).map(|i| offset + i * PAGE_SIZE).collect(),
        Backing::Pages(f) => f.iter().skip((offset / PAGE_SIZE) as usize).take(pages as usize).copied().collect(),
        Backing::File(_) | Backing::Image(_) => Vec::new(),
    }
}

/// The extent views of a section may cover: a pagefile-backed one's size; the physical
/// memory section reaches every address the processor does.
fn extent(k: &Kx, section: &Section) -> u64 {
    match section.backing {
        Backing::Physical => k.mem().physical().limit(),
        Backing::Pages(_) | Backing::File(_) | Backing::Image(_) => section.size,
    }
}

/// Maps `bytes` (a view of a file's section: a copy of its bytes) at `requested` (0:
/// anywhere in `kind`'s arena) with `prot`; Err(status) when it cannot be placed.
fn place_copy(
    k: &mut Kx,
    kind: RegionKind,
    requested: u64,
    bytes: &[u8],
    prot: Prot,
) -> KResult<Result<u64, NtStatus>> {
    let name = "section view";
    let size = (bytes.len() as u64).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let va = if requested == 0 {
        match k.mem_mut().alloc(kind, name, size, prot) {
            Ok(va) => va,
            Err(_) => return Ok(Err(status::NO_MEMORY)),
        }
    } else {
        let inside = k
            .mem()
            .arena_span(kind)
            .is_some_and(|(lo, hi)| requested >= lo && requested.checked_add(size).is_some_and(|e| e <= hi));
        if !inside || k.mem_mut().map_fixed(kind, name, requested, size, prot).is_err() {
            return Ok(Err(STATUS_CONFLICTING_ADDRESSES));
        }
        requested
    };
    k.mem_mut().write_unchecked(va, bytes)?;
    Ok(Ok(va))
}

/// Maps a view of an image section: the whole image (the offset and size asked are ignored,
/// as Windows ignores them for images), each part with its section's protection, at
/// `requested`, else at the image's ImageBase when that is free user space, else anywhere.
/// STATUS_IMAGE_NOT_AT_BASE (a success) when the view is not at ImageBase; relocations are
/// not applied (Windows leaves them to whoever maps the image, the loader).
#[allow(clippy::too_many_arguments)]
fn map_image_view(
    k: &mut Kx,
    object: u64,
    layout: &file_section::ImageLayout,
    kind: RegionKind,
    requested: u64,
    base_address: Ptr,
    section_offset: Ptr,
    view_size: Ptr,
) -> KResult<NtStatus> {
    let bytes = &layout.bytes;
    let size = bytes.len() as u64;
    let mut placed = None;
    if requested == 0
        && kind == RegionKind::User
        && layout.image_base.is_multiple_of(GRANULARITY)
        && layout.image_base != 0
    {
        if let Ok(va) = place_copy(k, kind, layout.image_base, bytes, Prot::RW)? {
            placed = Some(va);
        }
    }
    let va = match placed {
        Some(va) => va,
        None => match place_copy(k, kind, requested, bytes, Prot::RW)? {
            Ok(va) => va,
            Err(st) => return Ok(st),
        },
    };
    for (offset, len, prot) in &layout.protections {
        if *len > 0 {
            k.mem_mut().protect(va + offset, *len, *prot)?;
        }
    }
    k.mem_mut().write_ptr(base_address.0, va)?;
    k.mem_mut().write_ptr(view_size.0, size)?;
    if !section_offset.is_null() {
        k.mem_mut().write_u64(section_offset.0, 0)?;
    }
    let frame = k.mem().translate(va).unwrap_or(0);
    record(k, MappingKind::SectionView, va, frame, size, 1);
    k.ext_mut().mm.views.insert(va, (object, size));
    Ok(if va == layout.image_base { status::SUCCESS } else { STATUS_IMAGE_NOT_AT_BASE })
}

/// The cache type a view's protection asks for.
fn cache_of(protect: u32) -> u32 {
    match protect & (0x200 | 0x400) {
        0x200 => 0,
        0x400 => 2,
        _ => 1,
    }
}

/// NTSTATUS ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
/// ULONG_PTR ZeroBits, SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
/// SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect)
///
/// Maps a view into the process's (user) address space, at `*BaseAddress` when it is not
/// NULL (a multiple of 64 KiB). The offset is rounded down to 64 KiB and the size grows by
/// what the rounding added (both written back); a size of 0 maps to the section's end (for
/// `\Device\PhysicalMemory`, the end of RAM).
#[allow(clippy::too_many_arguments)]
pub fn ZwMapViewOfSection(
    k: &mut Kx,
    section: HANDLE,
    process: HANDLE,
    base_address: Ptr,
    _zero_bits: SizeT,
    _commit: SizeT,
    section_offset: Ptr,
    view_size: Ptr,
    _inherit: u32,
    _allocation_type: u32,
    protect: u32,
) -> KResult<NtStatus> {
    let (object, s) = match section_of(k, section.0)? {
        Ok(x) => x,
        Err(st) => return Ok(st),
    };
    if let Some(st) = check_process(k, process.0)? {
        return Ok(st);
    }
    map_view(k, object, &s, base_address, section_offset, view_size, protect)
}

/// NTSTATUS MmMapViewOfSection(PVOID SectionToMap, PEPROCESS Process, PVOID *CapturedBase,
/// ULONG_PTR ZeroBits, SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T
/// CapturedViewSize, SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG
/// Protect): ZwMapViewOfSection for a section object and a process object.
#[allow(clippy::too_many_arguments)]
pub fn MmMapViewOfSection(
    k: &mut Kx,
    section: Ptr,
    process: Ptr,
    base_address: Ptr,
    _zero_bits: SizeT,
    _commit: SizeT,
    section_offset: Ptr,
    view_size: Ptr,
    _inherit: u32,
    _allocation_type: u32,
    protect: u32,
) -> KResult<NtStatus> {
    let Some(s) = k.ext().mm.sections.get(&section.0).cloned() else {
        return Err(crate::ob::bad_reference(k, section.0, "MmMapViewOfSection"));
    };
    let is_process = process.0 == crate::ps::current_process(k)?
        || k.ext().objects.get(process.0).is_some_and(|o| o.kind == ObjectKind::Process);
    if !is_process {
        return Err(crate::ob::bad_reference(k, process.0, "MmMapViewOfSection"));
    }
    map_view(k, section.0, &s, base_address, section_offset, view_size, protect)
}

/// Maps a view of section `object` into the (one) user address space: see
/// ZwMapViewOfSection.
fn map_view(
    k: &mut Kx,
    object: u64,
    s: &Section,
    base_address: Ptr,
    section_offset: Ptr,
    view_size: Ptr,
    protect: u32,
) -> KResult<NtStatus> {
    let Some(write) = protection(protect) else { return Ok(STATUS_INVALID_PAGE_PROTECTION) };
    let requested = k.mem().read_ptr(base_address.0)?;
    if requested % GRANULARITY != 0 {
        return Ok(STATUS_MAPPED_ALIGNMENT);
    }
    if let Backing::Image(layout) = &s.backing {
        let layout = layout.clone();
        return map_image_view(
            k,
            object,
            &layout,
            RegionKind::User,
            requested,
            base_address,
            section_offset,
            view_size,
        );
    }
    // A file's data section is read-only or copy-on-write: a view may copy on write
    // (PAGE_WRITECOPY), not write to the file (PAGE_READWRITE).
    let shared_write = matches!(protect & 0xFF, 0x04 | 0x40);
    if write && (!s.writable || matches!(s.backing, Backing::File(_)) && shared_write) {
        return Ok(STATUS_SECTION_PROTECTION);
    }
    let offset = if section_offset.is_null() { 0 } else { k.mem().read_u64(section_offset.0)? };
    let rounded = offset & !(GRANULARITY - 1);
    let asked = k.mem().read_ptr(view_size.0)?;
    let end = extent(k, s);
    let size = if asked == 0 {
        let to = if matches!(s.backing, Backing::Physical) { k.mem().physical().ram_end() } else { end };
        // The rest of the section, in whole pages (a view's last page is whole).
        to.saturating_sub(rounded).div_ceil(PAGE_SIZE) * PAGE_SIZE
    } else {
        (asked + (offset - rounded)).div_ceil(PAGE_SIZE) * PAGE_SIZE
    };
    let end_page = end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    if size == 0 || rounded >= end || size > end_page - rounded || size > MOST_BYTES {
        return Ok(STATUS_INVALID_VIEW_SIZE);
    }
    let prot = if write { Prot::RW } else { Prot::R };
    if let Backing::File(node) = s.backing {
        let bytes = file_section::file_bytes(k, node, rounded, size);
        let va = match place_copy(k, RegionKind::User, requested, &bytes, prot)? {
            Ok(va) => va,
            Err(st) => return Ok(st),
        };
        return finish_view(k, object, va, size, base_address, view_size, section_offset, rounded, protect);
    }
    let frames = frames(s, rounded, size / PAGE_SIZE);
    let name = "section view";
    let mapped = if requested == 0 {
        k.mem_mut().map_frames(RegionKind::User, name, &frames, prot)
    } else {
        k.mem_mut().map_frames_at(RegionKind::User, name, requested, &frames, prot)
    };
    let va = match mapped {
        Ok(va) => va,
        Err(_) if requested != 0 => return Ok(STATUS_CONFLICTING_ADDRESSES),
        Err(_) => return Ok(status::NO_MEMORY),
    };
    finish_view(k, object, va, size, base_address, view_size, section_offset, rounded, protect)
}

/// Hands a mapped view back to the caller and remembers it.
#[allow(clippy::too_many_arguments)]
fn finish_view(
    k: &mut Kx,
    object: u64,
    va: u64,
    size: u64,
    base_address: Ptr,
    view_size: Ptr,
    section_offset: Ptr,
    rounded: u64,
    protect: u32,
) -> KResult<NtStatus> {
    k.mem_mut().write_ptr(base_address.0, va)?;
    k.mem_mut().write_ptr(view_size.0, size)?;
    if !section_offset.is_null() {
        k.mem_mut().write_u64(section_offset.0, rounded)?;
    }
    let frame = k.mem().translate(va).unwrap_or(0);
    record(k, MappingKind::SectionView, va, frame, size, cache_of(protect));
    k.ext_mut().mm.views.insert(va, (object, size));
    Ok(status::SUCCESS)
}

/// The view containing `va`: (base, size).
fn view_at(k: &Kx, va: u64) -> Option<(u64, u64)> {
    k.ext().mm.views.range(..=va).next_back().filter(|(b, (_, size))| va - **b < *size).map(|(b, (_, s))| (*b, *s))
}

fn unmap_view(k: &mut Kx, va: u64) -> KResult<NtStatus> {
    let Some((base, _)) = view_at(k, va) else { return Ok(STATUS_NOT_MAPPED_VIEW) };
    k.ext_mut().mm.views.remove(&base);
    k.mem_mut().free(base)?;
    forget(k, base);
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
///
/// Unmaps the view holding `BaseAddress` (any address in it);
/// STATUS_NOT_MAPPED_VIEW when none does.
pub fn ZwUnmapViewOfSection(k: &mut Kx, process: HANDLE, base: Ptr) -> KResult<NtStatus> {
    if let Some(st) = check_process(k, process.0)? {
        return Ok(st);
    }
    unmap_view(k, base.0)
}

/// NTSTATUS MmMapViewInSystemSpace(PVOID Section, PVOID *MappedBase, PSIZE_T ViewSize)
///
/// Maps the first `*ViewSize` bytes of a section (all of it for 0) into system space.
pub fn MmMapViewInSystemSpace(k: &mut Kx, section: Ptr, mapped_base: Ptr, view_size: Ptr) -> KResult<NtStatus> {
    let Some(s) = k.ext().mm.sections.get(&section.0).cloned() else { return Ok(status::OBJECT_TYPE_MISMATCH) };
    if let Backing::Image(layout) = &s.backing {
        let kind = RegionKind::IoSpace;
        let st = map_image_view(k, section.0, layout, kind, 0, mapped_base, Ptr::NULL, view_size)?;
        // A system-space view has no ImageBase to miss.
        return Ok(if st == STATUS_IMAGE_NOT_AT_BASE { status::SUCCESS } else { st });
    }
    let asked = k.mem().read_ptr(view_size.0)?;
    let end = extent(k, &s);
    let size = if asked == 0 { s.size } else { asked }.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    if size == 0 || size > end.div_ceil(PAGE_SIZE) * PAGE_SIZE || size > MOST_BYTES {
        return Ok(STATUS_INVALID_VIEW_SIZE);
    }
    let prot = if s.writable { Prot::RW } else { Prot::R };
    if let Backing::File(node) = s.backing {
        let bytes = file_section::file_bytes(k, node, 0, size);
        let va = match place_copy(k, RegionKind::IoSpace, 0, &bytes, prot)? {
            Ok(va) => va,
            Err(st) => return Ok(st),
        };
        return finish_view(k, section.0, va, size, mapped_base, view_size, Ptr::NULL, 0, 0);
    }
    let frames = frames(&s, 0, size / PAGE_SIZE);
    let Ok(va) = k.mem_mut().map_frames(RegionKind::IoSpace, "system view", &frames, prot) else {
        return Ok(status::NO_MEMORY);
    };
    k.mem_mut().write_ptr(mapped_base.0, va)?;
    k.mem_mut().write_ptr(view_size.0, size)?;
    record(k, MappingKind::SectionView, va, frames[0], size, 1);
    k.ext_mut().mm.views.insert(va, (section.0, size));
    Ok(status::SUCCESS)
}

/// NTSTATUS MmUnmapViewInSystemSpace(PVOID MappedBase)
pub fn MmUnmapViewInSystemSpace(k: &mut Kx, base: Ptr) -> KResult<NtStatus> {
    unmap_view(k, base.0)
}
