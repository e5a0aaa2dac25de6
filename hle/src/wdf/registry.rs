//! WDFKEY (`wdfregistry.h`): a registry key the framework opened, over the kernel's
//! registry; the object owns a kernel handle, closed when the object is deleted
//! (WdfRegistryClose) or with its parent.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::cm::key::{open_or_create, Request};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};
use crate::ob::handles::Mode;
use crate::ob::name::ObjectAttributes;
use crate::ob::{OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE};
use crate::types::{status, NtStatus, PUnicodeString, Ptr, HANDLE};

/// The object is deleted: its handle closes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    if let Some(h) = k.ext_mut().wdf.keys.remove(&handle) {
        crate::ob::handles::ZwClose(k, HANDLE(h))?;
    }
    Ok(())
}

/// NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
/// PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key): the service key's `Parameters`
/// subkey, created when missing (as the framework does), as a WDFKEY (a child of the
/// driver unless the attributes name a parent).
pub fn WdfDriverOpenParametersRegistryKey(
    k: &mut Kx,
    _globals: Ptr,
    driver: Ptr,
    access: u32,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let d = object::expect(k, "WdfDriverOpenParametersRegistryKey", driver.0, ObjectKind::Driver)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDriverOpenParametersRegistryKey", "Key"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let a = object::read_attributes(k, attributes.0)?;
    let path = format!("{}\\Parameters", k.ext().wdf.bindings[d.binding].config.registry);
    let req = Request {
        attrs: ObjectAttributes {
            name: Some(path),
            attributes: OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
            ..Default::default()
        },
        access,
        options: 0,
        create: Some(None),
        mode: Mode::Kernel,
        caller: crate::kernel::caller(k),
    };
    let handle = match open_or_create(k, &req)? {
        Ok((h, _)) => h,
        Err(st) => return Ok(st),
    };
    let parent = if a.parent != 0 { Some(a.parent) } else { Some(driver.0) };
    let h = object::create(k, d.binding, ObjectKind::Key, &a, parent)?;
    k.ext_mut().wdf.keys.insert(h, handle);
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// VOID WdfRegistryClose(WDFKEY Key): deletes the key object, closing its handle.
pub fn WdfRegistryClose(k: &mut Kx, _globals: Ptr, key: Ptr) -> KResult<()> {
    object::expect(k, "WdfRegistryClose", key.0, ObjectKind::Key)?;
    object::delete(k, key.0)
}

/// HANDLE WdfRegistryWdmGetHandle(WDFKEY Key): the kernel handle, for Zw* registry calls.
pub fn WdfRegistryWdmGetHandle(k: &mut Kx, _globals: Ptr, key: Ptr) -> KResult<Ptr> {
    object::expect(k, "WdfRegistryWdmGetHandle", key.0, ObjectKind::Key)?;
    Ok(Ptr(k.ext().wdf.keys.get(&key.0).copied().unwrap_or(0)))
}

/// KEY_VALUE_PARTIAL_INFORMATION: TitleIndex, Type, DataLength, then the data.
const PARTIAL_HEADER: u64 = 12;
/// REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD.
const REG_SZ: u32 = 1;
const REG_EXPAND_SZ: u32 = 2;
const REG_DWORD: u32 = 4;
const REG_MULTI_SZ: u32 = 7;

/// What a query of one value found: its type and (up to `capacity` bytes of) its data, its
/// whole length, and ZwQueryValueKey's status (STATUS_BUFFER_OVERFLOW when the data did not
/// fit). The framework queries through ZwQueryValueKey (KeyValuePartialInformation), so
/// registry callbacks see its queries as the driver's.
struct Queried {
    status: NtStatus,
    ty: u32,
    length: u32,
    data: Vec<u8>,
}

fn query(k: &mut Kx, key: u64, name: u64, capacity: u32) -> KResult<Queried> {
    let handle = k.ext().wdf.keys.get(&key).copied().unwrap_or(0);
    let size = PARTIAL_HEADER + capacity.max(4) as u64;
    let buffer = crate::ex::pool::kernel_alloc(k, size + 4, b"FxRg")?;
    let result = buffer + size;
    let st = crate::cm::value::ZwQueryValueKey(
        k,
        HANDLE(handle),
        crate::types::PUnicodeString(name),
        crate::cm::info::KEY_VALUE_PARTIAL_INFORMATION,
        Ptr(buffer),
        size as u32,
        Ptr(result),
    );
    let read = st.and_then(|st| {
        let m = k.mem();
        let (ty, length) = (m.read_u32(buffer + 4)?, m.read_u32(buffer + 8)?);
        let mut data = vec![0u8; length.min(capacity) as usize];
        if st.is_success() {
            m.read(buffer + PARTIAL_HEADER, &mut data)?;
        }
        Ok(Queried { status: st, ty, length, data })
    });
    crate::ex::pool::free(k, buffer, None, 0)?;
    read
}

/// Queries the whole of a value: a first query for its length, a second for the data.
fn query_all(k: &mut Kx, key: u64, name: u64) -> KResult<Queried> {
    let first = query(k, key, name, 0)?;
    if !first.status.is_success() && first.status != status::BUFFER_OVERFLOW {
        return Ok(first);
    }
    query(k, key, name, first.length)
}

fn key_and_name(k: &mut Kx, function: &str, key: Ptr, name: PUnicodeString) -> KResult<Option<NtStatus>> {
    object::expect(k, function, key.0, ObjectKind::Key)?;
    if name.0 == 0 {
        return Err(violation::null_parameter(k, function, "ValueName"));
    }
    let st = crate::rtl::unicode::RtlValidateUnicodeString(k, 0, name)?;
    Ok((!st.is_success()).then_some(st))
}

fn utf16(data: &[u8]) -> Vec<u16> {
    data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}

/// NTSTATUS WdfRegistryQueryValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength,
/// PVOID Value, PULONG ValueLengthQueried, PULONG ValueType): the data is copied only when
/// it fits (else STATUS_BUFFER_OVERFLOW); the length and type are reported either way.
#[allow(clippy::too_many_arguments)]
pub fn WdfRegistryQueryValue(
    k: &mut Kx,
    _globals: Ptr,
    key: Ptr,
    name: PUnicodeString,
    length: u32,
    value: Ptr,
    length_out: Ptr,
    type_out: Ptr,
) -> KResult<NtStatus> {
    if let Some(st) = key_and_name(k, "WdfRegistryQueryValue", key, name)? {
        return Ok(st);
    }
    let capacity = if value.0 == 0 { 0 } else { length };
    let q = query(k, key.0, name.0, capacity)?;
    if q.status.is_success() && value.0 != 0 && length >= q.length {
        k.mem_mut().write(value.0, &q.data)?;
    }
    if q.status.is_success() || q.status == status::BUFFER_OVERFLOW {
        if length_out.0 != 0 {
            k.mem_mut().write_u32(length_out.0, q.length)?;
        }
        if type_out.0 != 0 {
            k.mem_mut().write_u32(type_out.0, q.ty)?;
        }
    }
    Ok(q.status)
}

/// NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value): a
/// REG_DWORD value; another type is STATUS_OBJECT_TYPE_MISMATCH.
pub fn WdfRegistryQueryULong(
    k: &mut Kx,
    _globals: Ptr,
    key: Ptr,
    name: PUnicodeString,
    value: Ptr,
) -> KResult<NtStatus> {
    if value.0 == 0 {
        object::expect(k, "WdfRegistryQueryULong", key.0, ObjectKind::Key)?;
        return Err(violation::null_parameter(k, "WdfRegistryQueryULong", "Value"));
    }
    if let Some(st) = key_and_name(k, "WdfRegistryQueryULong", key, name)? {
        return Ok(st);
    }
    let q = query(k, key.0, name.0, 4)?;
    let found = q.status.is_success() || q.status == status::BUFFER_OVERFLOW;
    if found && q.ty != REG_DWORD {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    if q.status.is_success() {
        let mut d = [0u8; 4];
        d[..q.data.len().min(4)].copy_from_slice(&q.data[..q.data.len().min(4)]);
        k.mem_mut().write(value.0, &d)?;
    }
    Ok(q.status)
}

/// NTSTATUS WdfRegistryQueryMemory(WDFKEY Key, PCUNICODE_STRING ValueName, POOL_TYPE
/// PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, WDFMEMORY *Memory, PULONG ValueType):
/// the value's data in a new WDFMEMORY of its size.
#[allow(clippy::too_many_arguments)]
pub fn WdfRegistryQueryMemory(
    k: &mut Kx,
    globals: Ptr,
    key: Ptr,
    name: PUnicodeString,
    pool_type: u32,
    attributes: Ptr,
    out: Ptr,
    type_out: Ptr,
) -> KResult<NtStatus> {
    object::expect(k, "WdfRegistryQueryMemory", key.0, ObjectKind::Key)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfRegistryQueryMemory", "Memory"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    if let Some(st) = key_and_name(k, "WdfRegistryQueryMemory", key, name)? {
        return Ok(st);
    }
    let b = super::driver::binding(k, "WdfRegistryQueryMemory", globals.0)?;
    let q = query_all(k, key.0, name.0)?;
    if !q.status.is_success() {
        return Ok(q.status);
    }
    if type_out.0 != 0 {
        k.mem_mut().write_u32(type_out.0, q.ty)?;
    }
    if q.data.is_empty() {
        // A WDFMEMORY cannot be empty.
        return Ok(status::INVALID_PARAMETER);
    }
    match super::memory::create(k, b, attributes.0, pool_type, 0, q.data.len() as u64, None)? {
        Ok((h, buffer)) => {
            k.mem_mut().write(buffer, &q.data)?;
            k.mem_mut().write_ptr(out.0, h)?;
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}

/// A string value's text as the framework keeps it: without the final NUL, if there is one.
fn sz_text(data: &[u8]) -> Vec<u16> {
    let mut units = utf16(data);
    if units.last() == Some(&0) {
        units.pop();
    }
    units
}

/// NTSTATUS WdfRegistryQueryString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String):
/// a REG_SZ or REG_EXPAND_SZ value into the WDFSTRING.
pub fn WdfRegistryQueryString(
    k: &mut Kx,
    _globals: Ptr,
    key: Ptr,
    name: PUnicodeString,
    string: Ptr,
) -> KResult<NtStatus> {
    if string.0 == 0 {
        object::expect(k, "WdfRegistryQueryString", key.0, ObjectKind::Key)?;
        return Err(violation::null_parameter(k, "WdfRegistryQueryString", "String"));
    }
    if let Some(st) = key_and_name(k, "WdfRegistryQueryString", key, name)? {
        return Ok(st);
    }
    object::expect(k, "WdfRegistryQueryString", string.0, ObjectKind::String)?;
    let q = query_all(k, key.0, name.0)?;
    if !q.status.is_success() {
        return Ok(q.status);
    }
    if q.ty != REG_SZ && q.ty != REG_EXPAND_SZ {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    if q.data.len() > u16::MAX as usize {
        return Ok(NtStatus(0xC000_0206)); // STATUS_INVALID_BUFFER_SIZE
    }
    super::string::assign(k, string.0, &sz_text(&q.data))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfRegistryQueryUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PUSHORT
/// ValueByteLength, PUNICODE_STRING Value): a REG_SZ or REG_EXPAND_SZ value into the
/// caller's string (its MaximumLength bounds the data: STATUS_BUFFER_OVERFLOW past it);
/// Length leaves out a final NUL. ValueByteLength gets the data's length, NUL included.
pub fn WdfRegistryQueryUnicodeString(
    k: &mut Kx,
    _globals: Ptr,
    key: Ptr,
    name: PUnicodeString,
    byte_length: Ptr,
    value: PUnicodeString,
) -> KResult<NtStatus> {
    if let Some(st) = key_and_name(k, "WdfRegistryQueryUnicodeString", key, name)? {
        return Ok(st);
    }
    let capacity = if value.0 == 0 {
        0
    } else {
        let st = crate::rtl::unicode::RtlValidateUnicodeString(k, 0, value)?;
        if !st.is_success() {
            return Ok(st);
        }
        k.mem().get(value.0, UNICODE_STRING::MaximumLength)? as u32
    };
    let q = query(k, key.0, name.0, capacity)?;
    let mut st = q.status;
    if st.is_success() && q.ty != REG_SZ && q.ty != REG_EXPAND_SZ {
        st = status::OBJECT_TYPE_MISMATCH;
    }
    if (st.is_success() || st == status::BUFFER_OVERFLOW) && byte_length.0 != 0 {
        k.mem_mut().write_u16(byte_length.0, q.length as u16)?;
    }
    if st.is_success() && value.0 != 0 {
        let buffer = k.mem().get(value.0, UNICODE_STRING::Buffer)?;
        k.mem_mut().write(buffer, &q.data)?;
        let text = sz_text(&q.data);
        k.mem_mut().set(value.0, UNICODE_STRING::Length, text.len() as u64 * 2)?;
    }
    Ok(st)
}

/// NTSTATUS WdfRegistryQueryMultiString(WDFKEY Key, PCUNICODE_STRING ValueName,
/// PWDF_OBJECT_ATTRIBUTES StringsAttributes, WDFCOLLECTION Collection): a REG_MULTI_SZ value,
/// one new WDFSTRING per string appended to the collection (with the attributes given). Data
/// that is no well-formed multi-string (not ending in two NULs) is STATUS_INVALID_PARAMETER;
/// on failure the collection is left as it was.
pub fn WdfRegistryQueryMultiString(
    k: &mut Kx,
    globals: Ptr,
    key: Ptr,
    name: PUnicodeString,
    attributes: Ptr,
    collection: Ptr,
) -> KResult<NtStatus> {
    object::expect(k, "WdfRegistryQueryMultiString", key.0, ObjectKind::Key)?;
    if collection.0 == 0 {
        return Err(violation::null_parameter(k, "WdfRegistryQueryMultiString", "Collection"));
    }
    if let Some(st) = key_and_name(k, "WdfRegistryQueryMultiString", key, name)? {
        return Ok(st);
    }
    object::expect(k, "WdfRegistryQueryMultiString", collection.0, ObjectKind::Collection)?;
    let b = super::driver::binding(k, "WdfRegistryQueryMultiString", globals.0)?;
    let a = object::read_attributes(k, attributes.0)?;
    if a.parent != 0 {
        object::expect(k, "WdfRegistryQueryMultiString", a.parent, ObjectKind::Any)?;
    }
    let q = query_all(k, key.0, name.0)?;
    if !q.status.is_success() {
        return Ok(q.status);
    }
    if q.ty != REG_MULTI_SZ {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    let units = utf16(&q.data);
    // _VerifyMultiSzString: an even length, two NULs at the end (or a lone NUL: no strings).
    let well_formed =
        q.data.len() % 2 == 0 && (units == [0] || (units.len() >= 2 && units[units.len() - 2..] == [0, 0]));
    if !well_formed {
        return Ok(status::INVALID_PARAMETER);
    }
    for text in units.split(|u| *u == 0).take_while(|s| !s.is_empty()) {
        let h = super::string::create(k, b, &a)?;
        super::string::assign(k, h, text)?;
        super::collection::WdfCollectionAdd(k, globals, collection, Ptr(h))?;
    }
    Ok(status::SUCCESS)
}

/// Opens the hardware or software key of the device stack over `pdo`
/// (IoOpenDeviceRegistryKey) as a WDFKEY, a child of `parent` (its attributes may name no
/// other): `*out` is the key or NULL.
#[allow(clippy::too_many_arguments)]
fn open_device_key(
    k: &mut Kx,
    function: &str,
    binding: usize,
    pdo: u64,
    key_type: u32,
    access: u32,
    attributes: Ptr,
    parent: u64,
    out: Ptr,
) -> KResult<NtStatus> {
    if out.0 == 0 {
        return Err(violation::null_parameter(k, function, "Key"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let a = object::read_attributes(k, attributes.0)?;
    if a.parent != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if pdo == 0 {
        // A control device has no device stack, hence no device keys.
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let slot = crate::ob::body::alloc(k, 8)?;
    let st = crate::pnp::property::IoOpenDeviceRegistryKey(k, Ptr(pdo), key_type, access, Ptr(slot));
    let handle = k.mem().read_ptr(slot);
    crate::ob::body::free(k, slot);
    let (st, handle) = (st?, handle?);
    if !st.is_success() {
        return Ok(st);
    }
    let h = object::create(k, binding, ObjectKind::Key, &a, Some(parent))?;
    k.ext_mut().wdf.keys.insert(h, handle);
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfDeviceOpenRegistryKey(WDFDEVICE Device, ULONG DeviceInstanceKeyType,
/// ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key): the
/// device's hardware key (PLUGPLAY_REGKEY_DEVICE) or its driver's software key
/// (PLUGPLAY_REGKEY_DRIVER), optionally of the current hardware profile, as a child of the
/// device. The framework's own subkey flags (WDF_REGKEY_*_SUBKEY) are not supported here:
/// IoOpenDeviceRegistryKey refuses them with STATUS_INVALID_PARAMETER.
pub fn WdfDeviceOpenRegistryKey(
    k: &mut Kx,
    _globals: Ptr,
    device: Ptr,
    key_type: u32,
    access: u32,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let o = object::expect(k, "WdfDeviceOpenRegistryKey", device.0, ObjectKind::Device)?;
    let pdo = k.ext().wdf.devices.get(&device.0).map_or(0, |d| d.pdo);
    open_device_key(k, "WdfDeviceOpenRegistryKey", o.binding, pdo, key_type, access, attributes, device.0, out)
}

/// NTSTATUS WdfFdoInitOpenRegistryKey(PWDFDEVICE_INIT DeviceInit, ULONG DeviceInstanceKeyType,
/// ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key): the same
/// keys before the device exists, from EvtDriverDeviceAdd (a child of the driver); a control
/// device's DeviceInit is STATUS_INVALID_PARAMETER.
pub fn WdfFdoInitOpenRegistryKey(
    k: &mut Kx,
    _globals: Ptr,
    init: Ptr,
    key_type: u32,
    access: u32,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let i = super::device::init_of(k, "WdfFdoInitOpenRegistryKey", init.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfFdoInitOpenRegistryKey", "Key"));
    }
    if i.control {
        k.mem_mut().write_ptr(out.0, 0)?;
        return Ok(status::INVALID_PARAMETER);
    }
    let Some(driver) = k.ext().wdf.bindings[i.binding].wdf_driver else { return Ok(NtStatus(0xC000_0184)) }; // STATUS_INVALID_DEVICE_STATE
    open_device_key(k, "WdfFdoInitOpenRegistryKey", i.binding, i.pdo, key_type, access, attributes, driver, out)
}

/// Opens (or, with `create`, creates) `name` — relative to the WDFKEY `parent`, or a full
/// path — as a new WDFKEY, a child of the attributes' parent or of the driver.
#[allow(clippy::too_many_arguments)]
fn open_key(
    k: &mut Kx,
    function: &str,
    globals: Ptr,
    parent: Ptr,
    name: PUnicodeString,
    access: u32,
    create: Option<(u32, Ptr)>,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let b = super::driver::binding(k, function, globals.0)?;
    if name.0 == 0 {
        return Err(violation::null_parameter(k, function, "KeyName"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, function, "Key"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let root = if parent.0 == 0 {
        0
    } else {
        object::expect(k, function, parent.0, ObjectKind::Key)?;
        let handle = k.ext().wdf.keys.get(&parent.0).copied().unwrap_or(0);
        match crate::ob::handles::lookup(k, handle, Mode::Kernel)? {
            Some((object, _, _)) => object,
            None => return Ok(status::INVALID_HANDLE),
        }
    };
    let st = crate::rtl::unicode::RtlValidateUnicodeString(k, 0, name)?;
    if !st.is_success() {
        return Ok(st);
    }
    let a = object::read_attributes(k, attributes.0)?;
    if a.parent != 0 {
        object::expect(k, function, a.parent, ObjectKind::Any)?;
    }
    let text = crate::rtl::unicode::read_unicode_string(k, name.0)?;
    let req = Request {
        attrs: ObjectAttributes {
            root,
            root_kind: (root != 0).then_some(crate::ob::ObjectKind::Key),
            name: Some(text),
            attributes: OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
            ..Default::default()
        },
        access,
        options: create.map_or(0, |c| c.0),
        create: create.map(|_| None),
        mode: Mode::Kernel,
        caller: crate::kernel::caller(k),
    };
    let (handle, disposition) = match open_or_create(k, &req)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    if let Some((_, disposition_out)) = create {
        if disposition_out.0 != 0 {
            k.mem_mut().write_u32(disposition_out.0, disposition)?;
        }
    }
    let owner = if a.parent != 0 { Some(a.parent) } else { None };
    let h = object::create(k, b, ObjectKind::Key, &a, owner)?;
    k.ext_mut().wdf.keys.insert(h, handle);
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfRegistryOpenKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK
/// DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key): ZwOpenKey, relative to
/// the parent key when one is given.
pub fn WdfRegistryOpenKey(
    k: &mut Kx,
    globals: Ptr,
    parent: Ptr,
    name: PUnicodeString,
    access: u32,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    open_key(k, "WdfRegistryOpenKey", globals, parent, name, access, None, attributes, out)
}

/// NTSTATUS WdfRegistryCreateKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK
/// DesiredAccess, ULONG CreateOptions, PULONG CreateDisposition, PWDF_OBJECT_ATTRIBUTES
/// KeyAttributes, WDFKEY *Key): ZwCreateKey; the disposition says whether it was made.
#[allow(clippy::too_many_arguments)]
pub fn WdfRegistryCreateKey(
    k: &mut Kx,
    globals: Ptr,
    parent: Ptr,
    name: PUnicodeString,
    access: u32,
    options: u32,
    disposition: Ptr,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    open_key(k, "WdfRegistryCreateKey", globals, parent, name, access, Some((options, disposition)), attributes, out)
}
