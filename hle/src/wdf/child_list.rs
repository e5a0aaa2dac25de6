//! Dynamic enumeration (`wdfchildlist.h`, `wdffdo.h`): a bus driver's WDFCHILDLISTs — the
//! FDO's default list (WdfFdoInitSetDefaultChildListConfig, WdfFdoGetDefaultChildList) and
//! lists of its own (WdfChildListCreate) — hold child *descriptions*: an identification
//! description (the driver's structure, led by WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER)
//! and an optional address description. The framework keeps its own copies (the config's
//! Duplicate/Copy callbacks, else a byte copy; compared with its Compare callback, else
//! byte-wise; freed with the Cleanup callbacks) in kernel memory.
//!
//! A description reported present outside a scan joins the list at once and the parent's
//! relations are invalidated; inside a scan (WdfChildListBeginScan .. EndScan, or an
//! iteration, which locks the list the same way) additions wait as pending modifications
//! and removals as queued ones until the last scan or iteration ends. WdfChildListBeginScan
//! marks every present description not found; WdfChildListEndScan marks those the scan did
//! not report again not present. When the parent FDO answers BusRelations, a present
//! description without a device gets one from EvtChildListCreateDevice (a PDO DeviceInit
//! the driver fills and hands to WdfDeviceCreate; STATUS_RETRY asks for another
//! enumeration, a failure drops the description); descriptions with a device are reported;
//! not-present ones are left out, now reported missing: the PnP manager removes their PDO,
//! the framework calls EvtDeviceReportedMissing and deletes it with its description. The
//! framework calls EvtChildListScanForChildren as the parent enters D0 (its start).
#![allow(non_snake_case)]

use super::device::{self, Device};
use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KError, KResult, Kx};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// STATUS_RETRY, STATUS_INVALID_DEVICE_OBJECT_PARAMETER, STATUS_INVALID_DEVICE_STATE.
const RETRY: NtStatus = NtStatus(0xC000_022D);
const INVALID_DEVICE_OBJECT_PARAMETER: NtStatus = NtStatus(0xC000_0369);
const INVALID_DEVICE_STATE: NtStatus = NtStatus(0xC000_0184);
/// WDF_RETRIEVE_CHILD_FLAGS.
const PRESENT: u32 = 1;
const MISSING: u32 = 2;
const PENDING: u32 = 4;
/// WDF_CHILD_LIST_RETRIEVE_DEVICE_STATUS.
const RETRIEVE_SUCCESS: u32 = 1;
const RETRIEVE_NOT_YET_CREATED: u32 = 2;
const RETRIEVE_NO_SUCH_DEVICE: u32 = 3;

/// What WDF_CHILD_LIST_CONFIG said.
#[derive(Clone, Copy, Debug, Default)]
pub struct Config {
    pub id_size: u32,
    pub address_size: u32,
    pub create_device: u64,
    pub scan_for_children: u64,
    pub id_copy: u64,
    pub id_duplicate: u64,
    pub id_cleanup: u64,
    pub id_compare: u64,
    pub address_copy: u64,
    pub address_duplicate: u64,
    pub address_cleanup: u64,
}

/// Where a description is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Present, no device yet: the next BusRelations creates it.
    NeedsDevice,
    /// Present with its PDO.
    HasDevice,
    /// No longer present; the next BusRelations reports it missing.
    NotPresent,
    /// Left out of a BusRelations: the PnP manager removes its PDO.
    ReportedMissing,
}

/// One child description: the framework's copies (kernel memory) and its PDO.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub id: u64,
    /// 0 without an address description.
    pub address: u64,
    pub state: State,
    /// The WDFDEVICE of its PDO, once created.
    pub pdo: u64,
    pub found: bool,
}

/// A change made during a scan or iteration, applied when the last one ends.
#[derive(Clone, Copy, Debug)]
pub enum Modification {
    Insert(Entry),
    /// The description (by its `id` copy) is no longer present.
    Remove(u64),
}

/// A WDFCHILDLIST.
#[derive(Clone, Debug, Default)]
pub struct ChildList {
    /// The parent FDO (WDFDEVICE).
    pub device: u64,
    pub config: Config,
    pub entries: Vec<Entry>,
    pub modifications: Vec<Modification>,
    /// Scans and iterations in progress, and whether one of them is a scan.
    pub scans: u32,
    pub scanned: bool,
}

/// Reads a WDF_CHILD_LIST_CONFIG: None for a wrong Size, no EvtChildListCreateDevice or no
/// identification description size (the framework refuses those).
fn read_config(k: &Kx, at: u64) -> KResult<Option<Config>> {
    let ps = k.arch().ptr_size();
    let m = k.mem();
    let size = m.read_u32(at)? as u64;
    let first = if ps == 8 { 16 } else { 12 };
    if size != first + 10 * ps {
        return Ok(None);
    }
    let p = |i: u64| m.read_ptr(at + first + i * ps);
    let c = Config {
        id_size: m.read_u32(at + 4)?,
        address_size: m.read_u32(at + 8)?,
        create_device: p(0)?,
        scan_for_children: p(1)?,
        id_copy: p(2)?,
        id_duplicate: p(3)?,
        id_cleanup: p(4)?,
        id_compare: p(5)?,
        address_copy: p(6)?,
        address_duplicate: p(7)?,
        address_cleanup: p(8)?,
    };
    if c.create_device == 0 || c.id_size < 4 {
        return Ok(None);
    }
    Ok(Some(c))
}

fn call(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<u64> {
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, routine, args, conv).map_err(KError::Stop)
}

/// A new list of `device` (a child object of it).
fn create(k: &mut Kx, binding: usize, device_h: u64, config: Config, a: &object::Attributes) -> KResult<u64> {
    let h = object::create(k, binding, ObjectKind::ChildList, a, Some(device_h))?;
    k.ext_mut().wdf.child_lists.insert(h, ChildList { device: device_h, config, ..Default::default() });
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h) {
        d.child_lists.push(h);
    }
    Ok(h)
}

/// WdfDeviceCreate of an FDO whose DeviceInit had WdfFdoInitSetDefaultChildListConfig.
pub(crate) fn create_default(
    k: &mut Kx,
    binding: usize,
    device_h: u64,
    d: &(Config, object::Attributes),
) -> KResult<()> {
    let h = create(k, binding, device_h, d.0, &d.1)?;
    if let Some(dev) = k.ext_mut().wdf.devices.get_mut(&device_h) {
        dev.default_child_list = h;
    }
    Ok(())
}

fn list(k: &mut Kx, function: &str, handle: u64) -> KResult<ChildList> {
    object::expect(k, function, handle, ObjectKind::ChildList)?;
    Ok(k.ext().wdf.child_lists.get(&handle).cloned().unwrap_or_default())
}

fn store(k: &mut Kx, handle: u64, l: ChildList) {
    if let Some(x) = k.ext_mut().wdf.child_lists.get_mut(&handle) {
        *x = l;
    }
}

/// VOID WdfFdoInitSetDefaultChildListConfig(PWDFDEVICE_INIT DeviceInit, PWDF_CHILD_LIST_CONFIG
/// Config, PWDF_OBJECT_ATTRIBUTES DefaultChildListAttributes): the FDO WdfDeviceCreate makes
/// gets a default child list; a config the framework refuses is ignored.
pub fn WdfFdoInitSetDefaultChildListConfig(
    k: &mut Kx,
    _globals: Ptr,
    init: Ptr,
    config: Ptr,
    attributes: Ptr,
) -> KResult<()> {
    device::init_of(k, "WdfFdoInitSetDefaultChildListConfig", init.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfFdoInitSetDefaultChildListConfig", "Config"));
    }
    let Some(c) = read_config(k, config.0)? else { return Ok(()) };
    let a = object::read_attributes(k, attributes.0)?;
    device::update(k, "WdfFdoInitSetDefaultChildListConfig", init, |i| i.default_child_list = Some((c, a)))
}

/// WDFCHILDLIST WdfFdoGetDefaultChildList(WDFDEVICE Fdo): NULL without one.
pub fn WdfFdoGetDefaultChildList(k: &mut Kx, _globals: Ptr, fdo: Ptr) -> KResult<Ptr> {
    Ok(Ptr(device::device(k, "WdfFdoGetDefaultChildList", fdo.0)?.default_child_list))
}

/// NTSTATUS WdfChildListCreate(WDFDEVICE Device, PWDF_CHILD_LIST_CONFIG Config,
/// PWDF_OBJECT_ATTRIBUTES ChildListAttributes, WDFCHILDLIST *ChildList): another list of
/// the FDO's, reported in its BusRelations with the default one.
pub fn WdfChildListCreate(
    k: &mut Kx,
    _globals: Ptr,
    device_h: Ptr,
    config: Ptr,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let d = device::device(k, "WdfChildListCreate", device_h.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfChildListCreate", "Config"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfChildListCreate", "ChildList"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let ps = k.arch().ptr_size();
    let first = if ps == 8 { 16 } else { 12 };
    if k.mem().read_u32(config.0)? as u64 != first + 10 * ps {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let Some(c) = read_config(k, config.0)? else { return Ok(status::INVALID_PARAMETER) };
    if d.control || d.child.is_some() || d.lower == 0 {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let a = object::read_attributes(k, attributes.0)?;
    let b = object::expect(k, "WdfChildListCreate", device_h.0, ObjectKind::Device)?.binding;
    let h = create(k, b, device_h.0, c, &a)?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// WDFDEVICE WdfChildListGetDevice(WDFCHILDLIST ChildList): the parent FDO.
pub fn WdfChildListGetDevice(k: &mut Kx, _globals: Ptr, child_list: Ptr) -> KResult<Ptr> {
    Ok(Ptr(list(k, "WdfChildListGetDevice", child_list.0)?.device))
}

/// The header's size field must be the list's description size.
fn check_header(k: &Kx, at: u64, size: u32) -> KResult<bool> {
    Ok(k.mem().read_u32(at)? == size)
}

/// Whether the identification descriptions at `a` and `b` match (the list's Compare
/// callback, else their bytes).
fn same_id(k: &mut Kx, handle: u64, c: &Config, a: u64, b: u64) -> KResult<bool> {
    if c.id_compare != 0 {
        return Ok(call(k, c.id_compare, &[handle, a, b])? as u8 != 0);
    }
    let mut x = vec![0; c.id_size as usize];
    let mut y = vec![0; c.id_size as usize];
    k.mem().read(a, &mut x)?;
    k.mem().read(b, &mut y)?;
    Ok(x == y)
}

/// Copies a description from `src` to `dst` with `copy` (VOID (list, src, dst)), else bytes.
fn copy(k: &mut Kx, handle: u64, routine: u64, src: u64, dst: u64, size: u32) -> KResult<()> {
    if routine != 0 {
        call(k, routine, &[handle, src, dst])?;
        return Ok(());
    }
    let mut bytes = vec![0; size as usize];
    k.mem().read(src, &mut bytes)?;
    Ok(k.mem_mut().write(dst, &bytes)?)
}

/// The framework's copy of a description: `duplicate` (NTSTATUS (list, src, dst)), else
/// `copy`. None when the driver's Duplicate failed.
fn duplicate(k: &mut Kx, handle: u64, dup: u64, cp: u64, src: u64, size: u32) -> KResult<Option<u64>> {
    let at = crate::ob::body::alloc(k, size as u64)?;
    k.mem_mut().write_u32(at, size)?;
    if dup != 0 {
        let st = NtStatus(call(k, dup, &[handle, src, at])? as u32);
        if !st.is_success() {
            crate::ob::body::free(k, at);
            return Ok(None);
        }
    } else {
        copy(k, handle, cp, src, at, size)?;
    }
    Ok(Some(at))
}

/// A description goes: the Cleanup callbacks, then the framework's copies.
fn free_entry(k: &mut Kx, handle: u64, c: &Config, e: &Entry) -> KResult<()> {
    if c.id_cleanup != 0 {
        call(k, c.id_cleanup, &[handle, e.id])?;
    }
    if e.address != 0 && c.address_cleanup != 0 {
        call(k, c.address_cleanup, &[handle, e.address])?;
    }
    crate::ob::body::free(k, e.id);
    if e.address != 0 {
        crate::ob::body::free(k, e.address);
    }
    Ok(())
}

fn is_present(s: State) -> bool {
    matches!(s, State::NeedsDevice | State::HasDevice)
}

/// The parent's relations are queried again (once it has started).
fn invalidate(k: &mut Kx, l: &ChildList) -> KResult<()> {
    let parent = k.ext().wdf.devices.get(&l.device).cloned();
    match parent {
        Some(p) => super::pdo::invalidate(k, &p),
        None => Ok(()),
    }
}

/// `id` is no longer present: a description without a device goes at once, one with a
/// device waits for the next BusRelations. Whether anything changed.
fn mark_not_present(k: &mut Kx, handle: u64, l: &mut ChildList, i: usize) -> KResult<bool> {
    let e = l.entries[i];
    if !is_present(e.state) {
        return Ok(false);
    }
    if e.state == State::NeedsDevice {
        l.entries.remove(i);
        let c = l.config;
        free_entry(k, handle, &c, &e)?;
    } else {
        l.entries[i].state = State::NotPresent;
    }
    Ok(true)
}

/// Applies what waited for the last scan or iteration; invalidates the relations if the
/// list changed.
fn end_scans(k: &mut Kx, handle: u64, l: &mut ChildList, scanned: bool) -> KResult<()> {
    let mut changed = false;
    let mods = std::mem::take(&mut l.modifications);
    let c = l.config;
    for m in mods {
        match m {
            Modification::Insert(e) if scanned && !e.found => free_entry(k, handle, &c, &e)?,
            Modification::Insert(e) => {
                l.entries.push(Entry { state: State::NeedsDevice, ..e });
                changed = true;
            }
            Modification::Remove(id) => {
                if let Some(i) = l.entries.iter().position(|e| e.id == id) {
                    changed |= mark_not_present(k, handle, l, i)?;
                }
            }
        }
    }
    if scanned {
        let mut i = 0;
        while i < l.entries.len() {
            let e = l.entries[i];
            if is_present(e.state) && !e.found {
                let before = l.entries.len();
                changed |= mark_not_present(k, handle, l, i)?;
                if l.entries.len() < before {
                    continue;
                }
            }
            i += 1;
        }
    }
    for e in l.entries.iter_mut() {
        e.found = true;
    }
    if changed {
        invalidate(k, l)?;
    }
    Ok(())
}

/// VOID WdfChildListBeginScan(WDFCHILDLIST ChildList): every present description is
/// marked not found; changes wait for the end of the scan.
pub fn WdfChildListBeginScan(k: &mut Kx, _globals: Ptr, child_list: Ptr) -> KResult<()> {
    let mut l = list(k, "WdfChildListBeginScan", child_list.0)?;
    l.scans += 1;
    for e in l.entries.iter_mut() {
        e.found = false;
    }
    for m in l.modifications.iter_mut() {
        if let Modification::Insert(e) = m {
            e.found = false;
        }
    }
    l.scanned = true;
    store(k, child_list.0, l);
    Ok(())
}

/// The end of a scan or an iteration (they nest).
fn end(k: &mut Kx, function: &str, handle: u64) -> KResult<()> {
    let mut l = list(k, function, handle)?;
    if l.scans == 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, handle, 0, 0],
            at,
            format!("{function} without a scan or iteration in progress"),
        ));
    }
    l.scans -= 1;
    if l.scans == 0 {
        let scanned = std::mem::take(&mut l.scanned);
        end_scans(k, handle, &mut l, scanned)?;
    }
    store(k, handle, l);
    Ok(())
}

/// VOID WdfChildListEndScan(WDFCHILDLIST ChildList): descriptions the scan did not report
/// are no longer present; the PnP manager is told of the changes.
pub fn WdfChildListEndScan(k: &mut Kx, _globals: Ptr, child_list: Ptr) -> KResult<()> {
    end(k, "WdfChildListEndScan", child_list.0)
}

/// VOID WdfChildListUpdateAllChildDescriptionsAsPresent(WDFCHILDLIST ChildList): inside a
/// scan, every description counts as reported again.
pub fn WdfChildListUpdateAllChildDescriptionsAsPresent(k: &mut Kx, _globals: Ptr, child_list: Ptr) -> KResult<()> {
    let mut l = list(k, "WdfChildListUpdateAllChildDescriptionsAsPresent", child_list.0)?;
    for e in l.entries.iter_mut().filter(|e| is_present(e.state)) {
        e.found = true;
    }
    for m in l.modifications.iter_mut() {
        if let Modification::Insert(e) = m {
            e.found = true;
        }
    }
    store(k, child_list.0, l);
    Ok(())
}

/// NTSTATUS WdfChildListAddOrUpdateChildDescriptionAsPresent(WDFCHILDLIST ChildList,
/// PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER IdentificationDescription,
/// PWDF_CHILD_ADDRESS_DESCRIPTION_HEADER AddressDescription): a known present child gets
/// the new address description (STATUS_OBJECT_NAME_EXISTS); otherwise a new description.
/// A header of the wrong size is STATUS_INVALID_DEVICE_REQUEST.
pub fn WdfChildListAddOrUpdateChildDescriptionAsPresent(
    k: &mut Kx,
    _globals: Ptr,
    child_list: Ptr,
    id: Ptr,
    address: Ptr,
) -> KResult<NtStatus> {
    const F: &str = "WdfChildListAddOrUpdateChildDescriptionAsPresent";
    let mut l = list(k, F, child_list.0)?;
    if id.0 == 0 {
        return Err(violation::null_parameter(k, F, "IdentificationDescription"));
    }
    let c = l.config;
    if !check_header(k, id.0, c.id_size)? {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    if address.0 != 0 && (c.address_size == 0 || !check_header(k, address.0, c.address_size)?) {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let h = child_list.0;
    // A pending addition (latest first), then a present description.
    for i in (0..l.modifications.len()).rev() {
        let Modification::Insert(e) = l.modifications[i] else { continue };
        if same_id(k, h, &c, e.id, id.0)? {
            if address.0 != 0 && e.address != 0 {
                copy(k, h, c.address_copy, address.0, e.address, c.address_size)?;
            }
            if let Modification::Insert(e) = &mut l.modifications[i] {
                e.found = true;
            }
            store(k, h, l);
            return Ok(status::OBJECT_NAME_EXISTS);
        }
    }
    for i in 0..l.entries.len() {
        let e = l.entries[i];
        if !is_present(e.state) || !same_id(k, h, &c, e.id, id.0)? {
            continue;
        }
        if address.0 != 0 && e.address != 0 {
            copy(k, h, c.address_copy, address.0, e.address, c.address_size)?;
        }
        l.entries[i].found = true;
        // A removal queued in this scan is undone.
        l.modifications.retain(|m| !matches!(m, Modification::Remove(x) if *x == e.id));
        store(k, h, l);
        return Ok(status::OBJECT_NAME_EXISTS);
    }
    let Some(id_copy) = duplicate(k, h, c.id_duplicate, c.id_copy, id.0, c.id_size)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    let mut address_copy = 0;
    if c.address_size != 0 {
        let src = address.0;
        if src != 0 {
            match duplicate(k, h, c.address_duplicate, c.address_copy, src, c.address_size)? {
                Some(a) => address_copy = a,
                None => {
                    crate::ob::body::free(k, id_copy);
                    return Ok(status::INSUFFICIENT_RESOURCES);
                }
            }
        } else {
            address_copy = crate::ob::body::alloc(k, c.address_size as u64)?;
            k.mem_mut().write_u32(address_copy, c.address_size)?;
        }
    }
    let e = Entry { id: id_copy, address: address_copy, state: State::NeedsDevice, pdo: 0, found: true };
    if l.scans > 0 {
        l.modifications.push(Modification::Insert(e));
        store(k, h, l);
    } else {
        l.entries.push(e);
        store(k, h, l.clone());
        invalidate(k, &l)?;
    }
    Ok(status::SUCCESS)
}

/// The index of the present description matching `id`.
fn find_present(k: &mut Kx, h: u64, l: &ChildList, id: u64) -> KResult<Option<usize>> {
    for (i, e) in l.entries.iter().enumerate() {
        if is_present(e.state) && same_id(k, h, &l.config, e.id, id)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Marks the present description of entry `i` (or the pending addition) missing, now or at
/// the end of the scan in progress.
pub(crate) fn update_missing(k: &mut Kx, h: u64, mut l: ChildList, i: usize) -> KResult<()> {
    if l.scans > 0 {
        let id = l.entries[i].id;
        l.entries[i].found = false;
        l.modifications.push(Modification::Remove(id));
        store(k, h, l);
    } else {
        let changed = mark_not_present(k, h, &mut l, i)?;
        store(k, h, l.clone());
        if changed {
            invalidate(k, &l)?;
        }
    }
    Ok(())
}

/// NTSTATUS WdfChildListUpdateChildDescriptionAsMissing(WDFCHILDLIST ChildList,
/// PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER IdentificationDescription):
/// STATUS_NO_SUCH_DEVICE for a child not present.
pub fn WdfChildListUpdateChildDescriptionAsMissing(
    k: &mut Kx,
    _globals: Ptr,
    child_list: Ptr,
    id: Ptr,
) -> KResult<NtStatus> {
    const F: &str = "WdfChildListUpdateChildDescriptionAsMissing";
    let mut l = list(k, F, child_list.0)?;
    if id.0 == 0 {
        return Err(violation::null_parameter(k, F, "IdentificationDescription"));
    }
    let h = child_list.0;
    let c = l.config;
    if !check_header(k, id.0, c.id_size)? {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    for i in (0..l.modifications.len()).rev() {
        let Modification::Insert(e) = l.modifications[i] else { continue };
        if same_id(k, h, &c, e.id, id.0)? {
            l.modifications.remove(i);
            store(k, h, l);
            free_entry(k, h, &c, &e)?;
            return Ok(status::SUCCESS);
        }
    }
    match find_present(k, h, &l, id.0)? {
        Some(i) => {
            update_missing(k, h, l, i)?;
            Ok(status::SUCCESS)
        }
        None => Ok(status::NO_SUCH_DEVICE),
    }
}

/// The WDF_CHILD_RETRIEVE_INFO fields: (IdentificationDescription, AddressDescription,
/// Status offset, EvtChildListIdentificationDescriptionCompare), after checking its Size.
fn retrieve_info(k: &Kx, at: u64) -> KResult<Option<(u64, u64, u64, u64)>> {
    let ps = k.arch().ptr_size();
    let m = k.mem();
    if m.read_u32(at)? as u64 != 5 * ps {
        return Ok(None);
    }
    Ok(Some((m.read_ptr(at + ps)?, m.read_ptr(at + 2 * ps)?, at + 3 * ps, m.read_ptr(at + 4 * ps)?)))
}

/// Copies an entry's descriptions out to the caller's (the list's Copy callbacks).
fn copy_out(k: &mut Kx, h: u64, c: &Config, e: &Entry, id: u64, address: u64) -> KResult<()> {
    if id != 0 {
        copy(k, h, c.id_copy, e.id, id, c.id_size)?;
    }
    if address != 0 && e.address != 0 {
        copy(k, h, c.address_copy, e.address, address, c.address_size)?;
    }
    Ok(())
}

/// WDFDEVICE WdfChildListRetrievePdo(WDFCHILDLIST ChildList, PWDF_CHILD_RETRIEVE_INFO
/// RetrieveInfo): the PDO of the present child the info's identification description
/// names (Status WdfChildListRetrieveDeviceSuccess, its address description copied out);
/// NULL with ...NotYetCreated for one without a device yet, ...NoSuchDevice for none.
pub fn WdfChildListRetrievePdo(k: &mut Kx, _globals: Ptr, child_list: Ptr, info: Ptr) -> KResult<Ptr> {
    const F: &str = "WdfChildListRetrievePdo";
    let l = list(k, F, child_list.0)?;
    if info.0 == 0 {
        return Err(violation::null_parameter(k, F, "RetrieveInfo"));
    }
    let Some((id, address, status_at, compare)) = retrieve_info(k, info.0)? else {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, info.0, 0, 0],
            at,
            format!("{F}: WDF_CHILD_RETRIEVE_INFO of the wrong Size"),
        ));
    };
    if id == 0 {
        return Err(violation::null_parameter(k, F, "RetrieveInfo->IdentificationDescription"));
    }
    let h = child_list.0;
    let c = l.config;
    let matches = |k: &mut Kx, e: &Entry| -> KResult<bool> {
        if compare != 0 {
            Ok(call(k, compare, &[h, id, e.id])? as u8 != 0)
        } else {
            same_id(k, h, &c, id, e.id)
        }
    };
    let mut found = None;
    for e in l.entries.iter().filter(|e| is_present(e.state)) {
        if matches(k, e)? {
            found = Some(*e);
            break;
        }
    }
    if found.is_none() {
        for m in &l.modifications {
            if let Modification::Insert(e) = m {
                if matches(k, e)? {
                    found = Some(*e);
                    break;
                }
            }
        }
    }
    let (st, pdo) = match found {
        Some(e) => {
            copy_out(k, h, &c, &e, 0, address)?;
            let alive = e.pdo != 0 && k.ext().wdf.devices.contains_key(&e.pdo);
            if alive {
                (RETRIEVE_SUCCESS, e.pdo)
            } else {
                (RETRIEVE_NOT_YET_CREATED, 0)
            }
        }
        None => (RETRIEVE_NO_SUCH_DEVICE, 0),
    };
    k.mem_mut().write_u32(status_at, st)?;
    Ok(Ptr(pdo))
}

/// WDF_CHILD_LIST_ITERATOR: Size, Flags, Reserved[4] (pointer-aligned).
fn iterator(k: &mut Kx, function: &str, at: u64) -> KResult<(u32, u64)> {
    if at == 0 {
        return Err(violation::null_parameter(k, function, "Iterator"));
    }
    let ps = k.arch().ptr_size();
    let size = k.mem().read_u32(at)? as u64;
    let flags = k.mem().read_u32(at + 4)?;
    if size != 8 + 4 * ps || flags == 0 || flags & !7 != 0 {
        let caller = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, at, flags as u64, 0],
            caller,
            format!("{function}: a WDF_CHILD_LIST_ITERATOR of the wrong Size or Flags"),
        ));
    }
    Ok((flags, at + 8))
}

/// VOID WdfChildListBeginIteration(WDFCHILDLIST ChildList, PWDF_CHILD_LIST_ITERATOR
/// Iterator): locks the list as a scan does (without marking anything).
pub fn WdfChildListBeginIteration(k: &mut Kx, _globals: Ptr, child_list: Ptr, it: Ptr) -> KResult<()> {
    let mut l = list(k, "WdfChildListBeginIteration", child_list.0)?;
    let (flags, reserved) = iterator(k, "WdfChildListBeginIteration", it.0)?;
    let ps = k.arch().ptr_size();
    // Reserved[0]: 1 + the next description to look at (0: done); Reserved[1]: 1 + the
    // next pending addition (0: none wanted or done).
    k.mem_mut().write_ptr(reserved, 1)?;
    k.mem_mut().write_ptr(reserved + ps, u64::from(flags & PENDING != 0))?;
    l.scans += 1;
    store(k, child_list.0, l);
    Ok(())
}

/// VOID WdfChildListEndIteration(WDFCHILDLIST ChildList, PWDF_CHILD_LIST_ITERATOR Iterator)
pub fn WdfChildListEndIteration(k: &mut Kx, _globals: Ptr, child_list: Ptr, it: Ptr) -> KResult<()> {
    let (_, reserved) = iterator(k, "WdfChildListEndIteration", it.0)?;
    end(k, "WdfChildListEndIteration", child_list.0)?;
    let ps = k.arch().ptr_size();
    Ok(k.mem_mut().write(reserved, &vec![0; 4 * ps as usize])?)
}

/// NTSTATUS WdfChildListRetrieveNextDevice(WDFCHILDLIST ChildList, PWDF_CHILD_LIST_ITERATOR
/// Iterator, WDFDEVICE *Device, PWDF_CHILD_RETRIEVE_INFO Info): the next description in a
/// state the iterator's flags select (present, missing; then the pending additions), its
/// PDO in `*Device` (NULL and Status ...NotYetCreated without one), the descriptions
/// copied out to Info's; STATUS_NO_MORE_ENTRIES at the end, STATUS_INVALID_DEVICE_STATE
/// outside an iteration.
pub fn WdfChildListRetrieveNextDevice(
    k: &mut Kx,
    _globals: Ptr,
    child_list: Ptr,
    it: Ptr,
    out: Ptr,
    info: Ptr,
) -> KResult<NtStatus> {
    const F: &str = "WdfChildListRetrieveNextDevice";
    let l = list(k, F, child_list.0)?;
    let (flags, reserved) = iterator(k, F, it.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, F, "Device"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let info = if info.0 == 0 {
        None
    } else {
        match retrieve_info(k, info.0)? {
            Some(i) => Some(i),
            None => return Ok(status::INFO_LENGTH_MISMATCH),
        }
    };
    if l.scans == 0 {
        return Ok(INVALID_DEVICE_STATE);
    }
    let h = child_list.0;
    let c = l.config;
    let ps = k.arch().ptr_size();
    let refine = |k: &mut Kx, e: &Entry| -> KResult<bool> {
        match info {
            Some((id, _, _, compare)) if compare != 0 => Ok(call(k, compare, &[h, id, e.id])? as u8 != 0),
            _ => Ok(true),
        }
    };
    let wanted = |s: State| match s {
        State::NeedsDevice | State::HasDevice => flags & PRESENT != 0,
        State::NotPresent | State::ReportedMissing => flags & MISSING != 0,
    };
    let report = |k: &mut Kx, e: &Entry, st: u32| -> KResult<()> {
        if let Some((id, address, status_at, _)) = info {
            copy_out(k, h, &c, e, id, address)?;
            k.mem_mut().write_u32(status_at, st)?;
        }
        Ok(())
    };
    let next = k.mem().read_ptr(reserved)?;
    if next != 0 {
        let start = (next - 1) as usize;
        for i in start.min(l.entries.len())..l.entries.len() {
            let e = l.entries[i];
            if !wanted(e.state) || !refine(k, &e)? {
                continue;
            }
            k.mem_mut().write_ptr(reserved, i as u64 + 2)?;
            let alive = e.pdo != 0 && k.ext().wdf.devices.contains_key(&e.pdo);
            if alive {
                k.mem_mut().write_ptr(out.0, e.pdo)?;
            }
            report(k, &e, if alive { RETRIEVE_SUCCESS } else { RETRIEVE_NOT_YET_CREATED })?;
            return Ok(status::SUCCESS);
        }
        k.mem_mut().write_ptr(reserved, 0)?;
    }
    let pending = k.mem().read_ptr(reserved + ps)?;
    if flags & PENDING != 0 && pending != 0 {
        let inserts: Vec<Entry> = l
            .modifications
            .iter()
            .filter_map(|m| match m {
                Modification::Insert(e) => Some(*e),
                _ => None,
            })
            .collect();
        for (i, e) in inserts.iter().enumerate().skip((pending - 1) as usize) {
            if !refine(k, e)? {
                continue;
            }
            k.mem_mut().write_ptr(reserved + ps, i as u64 + 2)?;
            report(k, e, RETRIEVE_NOT_YET_CREATED)?;
            return Ok(status::SUCCESS);
        }
        k.mem_mut().write_ptr(reserved + ps, 0)?;
    }
    Ok(status::NO_MORE_ENTRIES)
}

/// BOOLEAN WdfChildListRequestChildEject(WDFCHILDLIST ChildList,
/// PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER IdentificationDescription): the present
/// child's PDO is ejected (WdfPdoRequestEject); FALSE without one.
pub fn WdfChildListRequestChildEject(k: &mut Kx, _globals: Ptr, child_list: Ptr, id: Ptr) -> KResult<Boolean> {
    const F: &str = "WdfChildListRequestChildEject";
    let l = list(k, F, child_list.0)?;
    if id.0 == 0 {
        return Err(violation::null_parameter(k, F, "IdentificationDescription"));
    }
    let Some(i) = find_present(k, child_list.0, &l, id.0)? else { return Ok(Boolean(false)) };
    let pdo = l.entries[i].pdo;
    if pdo == 0 || !k.ext().wdf.devices.contains_key(&pdo) {
        return Ok(Boolean(false));
    }
    request_eject(k, pdo)?;
    Ok(Boolean(true))
}

/// IoRequestDeviceEject for the PDO `device_h`, once the PnP manager knows it.
fn request_eject(k: &mut Kx, device_h: u64) -> KResult<()> {
    let wdm = k.ext().wdf.devices.get(&device_h).map_or(0, |d| d.wdm);
    if wdm != 0 && crate::pnp::relations::is_known_pdo(k, wdm) {
        crate::pnp::relations::IoRequestDeviceEject(k, Ptr(wdm))?;
    }
    Ok(())
}

/// VOID WdfPdoRequestEject(WDFDEVICE Device): asks the PnP manager to eject the child (its
/// removal, then IRP_MN_EJECT and EvtDeviceEject; a successful eject marks the child
/// missing). A PDO not yet reported to the PnP manager is not ejected.
pub fn WdfPdoRequestEject(k: &mut Kx, _globals: Ptr, pdo: Ptr) -> KResult<()> {
    let d = device::device(k, "WdfPdoRequestEject", pdo.0)?;
    if d.child.is_none() {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, pdo.0, 0, 0],
            at,
            format!("WdfPdoRequestEject: {:#x} is not a PDO", pdo.0),
        ));
    }
    request_eject(k, pdo.0)
}

/// The FDO entered D0 (its start): each list's EvtChildListScanForChildren.
pub(crate) fn scan_at_d0(k: &mut Kx, dev: &Device) -> KResult<()> {
    for h in dev.child_lists.clone() {
        let scan = k.ext().wdf.child_lists.get(&h).map_or(0, |l| l.config.scan_for_children);
        if scan != 0 {
            call(k, scan, &[h])?;
        }
    }
    Ok(())
}

/// The list a dynamic PDO's description is in, and its index.
pub(crate) fn entry_of(k: &Kx, device_h: u64) -> Option<(u64, usize)> {
    let d = k.ext().wdf.devices.get(&device_h)?;
    let list = d.child.as_ref()?.child_list;
    let l = k.ext().wdf.child_lists.get(&list)?;
    l.entries.iter().position(|e| e.pdo == device_h).map(|i| (list, i))
}

/// Whether the dynamic PDO `device_h` was reported missing (or is no longer present).
pub(crate) fn reported_missing(k: &Kx, device_h: u64) -> bool {
    entry_of(k, device_h).is_some_and(|(l, i)| !is_present(k.ext().wdf.child_lists[&l].entries[i].state))
}

/// A successful eject of a dynamic PDO: its description is missing.
pub(crate) fn ejected(k: &mut Kx, device_h: u64) -> KResult<()> {
    let Some((h, i)) = entry_of(k, device_h) else { return Ok(()) };
    let l = k.ext().wdf.child_lists[&h].clone();
    if is_present(l.entries[i].state) {
        update_missing(k, h, l, i)?;
    }
    Ok(())
}

/// The PnP manager removed a PDO reported missing: its description goes with it.
pub(crate) fn forget_pdo(k: &mut Kx, device_h: u64) -> KResult<()> {
    let Some((h, i)) = entry_of(k, device_h) else { return Ok(()) };
    let Some(l) = k.ext_mut().wdf.child_lists.get_mut(&h) else { return Ok(()) };
    let e = l.entries.remove(i);
    let c = l.config;
    free_entry(k, h, &c, &e)
}

/// BusRelations at the FDO: each list's present children, devices created for new ones
/// (EvtChildListCreateDevice); the not present ones are now reported missing. The PDOs to
/// report, each referenced for the PnP manager.
pub(crate) fn relations(k: &mut Kx, dev: &Device) -> KResult<Vec<u64>> {
    let mut objects = Vec::new();
    for h in dev.child_lists.clone() {
        let Some(mut l) = k.ext().wdf.child_lists.get(&h).cloned() else { continue };
        let mut retry = false;
        let mut i = 0;
        while i < l.entries.len() {
            let e = l.entries[i];
            match e.state {
                State::NeedsDevice => match create_device(k, h, &l, &e)? {
                    Ok(pdo) => {
                        l.entries[i].pdo = pdo;
                        l.entries[i].state = State::HasDevice;
                    }
                    Err(st) => {
                        if st == RETRY {
                            retry = true;
                        } else {
                            l.entries.remove(i);
                            let c = l.config;
                            free_entry(k, h, &c, &e)?;
                            continue;
                        }
                    }
                },
                State::NotPresent => l.entries[i].state = State::ReportedMissing,
                _ => {}
            }
            let e = l.entries[i];
            if e.state == State::HasDevice {
                if let Some(wdm) = k.ext().wdf.devices.get(&e.pdo).map(|d| d.wdm) {
                    if let Some(info) = k.ext_mut().objects.get_mut(wdm) {
                        info.references += 1;
                    }
                    objects.push(wdm);
                }
            }
            i += 1;
        }
        store(k, h, l.clone());
        if retry {
            invalidate(k, &l)?;
        }
    }
    Ok(objects)
}

/// EvtChildListCreateDevice for a description: the WDFDEVICE the driver created from the
/// PDO DeviceInit it was given, or why there is none (a success without a device is
/// STATUS_INVALID_DEVICE_OBJECT_PARAMETER; a device made before a failure is deleted).
fn create_device(k: &mut Kx, h: u64, l: &ChildList, e: &Entry) -> KResult<Result<u64, NtStatus>> {
    let b = object::expect(k, "EvtChildListCreateDevice", h, ObjectKind::ChildList)?.binding;
    let init = device::new_init(k, b, false, 0)?;
    if let Some(i) = k.ext_mut().wdf.device_inits.get_mut(&init) {
        i.child = Some(super::pdo::PdoIds { parent: l.device, child_list: h, description: e.id, ..Default::default() });
    }
    let st = NtStatus(call(k, l.config.create_device, &[h, e.id, init])? as u32);
    device::free_init(k, init);
    let created = k
        .ext()
        .wdf
        .devices
        .iter()
        .find(|(_, d)| d.child.as_ref().is_some_and(|c| c.child_list == h && c.description == e.id))
        .map(|(h, _)| *h);
    match (st.is_success(), created) {
        (true, Some(pdo)) => Ok(Ok(pdo)),
        (true, None) => Ok(Err(INVALID_DEVICE_OBJECT_PARAMETER)),
        (false, pdo) => {
            if let Some(pdo) = pdo {
                object::delete(k, pdo)?;
            }
            Ok(Err(st))
        }
    }
}

/// The list goes (with its FDO): its descriptions are freed.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(l) = k.ext_mut().wdf.child_lists.remove(&handle) else { return Ok(()) };
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&l.device) {
        d.child_lists.retain(|x| *x != handle);
        if d.default_child_list == handle {
            d.default_child_list = 0;
        }
    }
    let c = l.config;
    for e in &l.entries {
        free_entry(k, handle, &c, e)?;
    }
    for m in &l.modifications {
        if let Modification::Insert(e) = m {
            free_entry(k, handle, &c, e)?;
        }
    }
    Ok(())
}
