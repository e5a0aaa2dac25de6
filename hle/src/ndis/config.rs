//! Configuration through NDIS (NdisOpenConfigurationEx, NdisReadConfiguration,
//! NdisCloseConfiguration): a handle names a registry key of the kernel's registry, chosen
//! by the NDIS handle it is opened for — a protocol driver's or a filter driver's
//! `Services\<name>\Parameters`, a binding's or a filter module's
//! `Services\<name>\Parameters\Adapters\<adapter GUID>`. A key that does not exist reads as
//! empty. Values read are NDIS_CONFIGURATION_PARAMETER blocks of NDIS's, freed at close.
#![allow(non_snake_case)]

use super::{adapter, st};
use crate::cm::{REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, NDIS_CONFIGURATION_OBJECT as CO, NDIS_CONFIGURATION_PARAMETER as P, UNICODE_STRING};
use crate::types::{NtStatus, PUnicodeString, Ptr};

const TYPE_CONFIGURATION_OBJECT: u64 = 0xA9;
/// NDIS_PARAMETER_TYPE.
const INTEGER: u32 = 0;
const HEX_INTEGER: u32 = 1;
const STRING: u32 = 2;
const MULTI_STRING: u32 = 3;
const BINARY: u32 = 4;
/// The most of a value a read returns.
const MAX_DATA: usize = 0x10000;

/// An open configuration handle: the key's path and the parameter blocks read through it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub path: String,
    pub parameters: Vec<u64>,
}

fn services(name: &str) -> String {
    format!("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\{name}\\Parameters")
}

/// The key an NDIS handle's configuration is in, if the handle is one NDIS gave out.
fn key_of(k: &Kx, handle: u64) -> Option<String> {
    let ndis = &k.ext().ndis;
    let per_adapter = |name: &str| format!("{}\\Adapters\\{}", services(name), adapter::GUID);
    if let Some(p) = ndis.protocols.get(&handle) {
        return Some(services(&p.name));
    }
    if let Some(b) = ndis.bindings.get(&handle) {
        return ndis.protocols.get(&b.protocol).map(|p| per_adapter(&p.name));
    }
    if let Some(f) = ndis.filter_drivers.get(&handle) {
        return Some(services(&f.service));
    }
    let m = ndis.filter_modules.get(&handle)?;
    ndis.filter_drivers.get(&m.driver).map(|f| per_adapter(&f.service))
}

/// NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
/// PNDIS_HANDLE ConfigurationHandle)
pub fn NdisOpenConfigurationEx(k: &mut Kx, object: Ptr, out: Ptr) -> KResult<NtStatus> {
    let mem = k.mem();
    if mem.get(object.0, CO::HeaderType)? != TYPE_CONFIGURATION_OBJECT
        || mem.get(object.0, CO::HeaderRevision)? < 1
        || mem.get(object.0, CO::HeaderSize)? < CO::STRUCT.size(k.arch())
    {
        return Ok(st::INVALID_PARAMETER);
    }
    let handle = mem.get(object.0, CO::NdisHandle)?;
    let Some(path) = key_of(k, handle) else { return Ok(st::FAILURE) };
    let h = crate::ex::pool::kernel_alloc(k, 16, b"NdCf")?;
    k.mem_mut().write_ptr(out.0, h)?;
    k.ext_mut().ndis.configs.insert(h, Config { path, parameters: Vec::new() });
    Ok(st::SUCCESS)
}

/// What a registry value reads as, for the type asked: (type, integer, bytes of a string,
/// multi-string or binary), or None when it cannot be read as that.
fn convert(ty: u32, data: &[u8], wanted: u32) -> Option<(u32, u32, Vec<u8>)> {
    let text = || crate::cm::utf16_text(data);
    match (ty, wanted) {
        (REG_DWORD, _) if data.len() >= 4 => {
            Some((INTEGER, u32::from_le_bytes([data[0], data[1], data[2], data[3]]), Vec::new()))
        }
        (REG_SZ | REG_EXPAND_SZ, INTEGER) => text().trim().parse::<u32>().ok().map(|v| (INTEGER, v, Vec::new())),
        (REG_SZ | REG_EXPAND_SZ, HEX_INTEGER) => {
            let t = text();
            let t = t.trim();
            let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
            u32::from_str_radix(t, 16).ok().map(|v| (HEX_INTEGER, v, Vec::new()))
        }
        (REG_SZ | REG_EXPAND_SZ, _) => Some((STRING, 0, text().encode_utf16().flat_map(|u| u.to_le_bytes()).collect())),
        (REG_MULTI_SZ, _) => {
            // The strings with their terminators, without the list's final one.
            let mut d = data.to_vec();
            if d.ends_with(&[0, 0, 0, 0]) {
                d.truncate(d.len() - 2);
            }
            Some((MULTI_STRING, 0, d))
        }
        (REG_BINARY, _) => Some((BINARY, 0, data.to_vec())),
        _ => None,
    }
}

/// VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER
/// *ParameterValue, NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
/// NDIS_PARAMETER_TYPE ParameterType): NDIS_STATUS_FAILURE when the value is missing or
/// cannot be read as the type asked (a string is parsed for an integer: decimal, or hex
/// for NdisParameterHexInteger).
pub fn NdisReadConfiguration(
    k: &mut Kx,
    status: Ptr,
    out: Ptr,
    handle: Ptr,
    keyword: PUnicodeString,
    wanted: u32,
) -> KResult<()> {
    let name = crate::rtl::unicode::read_unicode_string(k, keyword.0)?;
    let found = k.ext().ndis.configs.get(&handle.0).and_then(|c| {
        let reg = &k.ext().registry;
        let key = reg.find(&c.path)?;
        let v = reg.value(key, &name)?;
        convert(v.ty, &v.data[..v.data.len().min(MAX_DATA)], wanted)
    });
    let Some((ty, integer, bytes)) = found else {
        k.mem_mut().write_u32(status.0, st::FAILURE.0)?;
        return Ok(());
    };
    let arch = k.arch();
    let size = P::STRUCT.size(arch);
    let block = crate::ex::pool::kernel_alloc(k, size + bytes.len() as u64 + 2, b"NdCp")?;
    crate::ex::pool::zero(k, block, size + bytes.len() as u64 + 2)?;
    let mem = k.mem_mut();
    mem.set(block, P::ParameterType, ty as u64)?;
    if ty == INTEGER || ty == HEX_INTEGER {
        mem.set(block, P::IntegerData, integer as u64)?;
    } else {
        // NDIS_STRING or BINARY_DATA: a USHORT length and the buffer at the pointer's place.
        let s = P::StringData.at(arch, block);
        mem.write(block + size, &bytes)?;
        mem.set(s, UNICODE_STRING::Length, bytes.len().min(u16::MAX as usize) as u64)?;
        if ty != BINARY {
            mem.set(s, UNICODE_STRING::MaximumLength, (bytes.len() + 2).min(u16::MAX as usize) as u64)?;
        }
        mem.set(s, UNICODE_STRING::Buffer, block + size)?;
    }
    if let Some(c) = k.ext_mut().ndis.configs.get_mut(&handle.0) {
        c.parameters.push(block);
    }
    k.mem_mut().write_ptr(out.0, block)?;
    k.mem_mut().write_u32(status.0, 0)?;
    Ok(())
}

/// VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle): frees the handle and the
/// values read through it.
pub fn NdisCloseConfiguration(k: &mut Kx, handle: Ptr) -> KResult<()> {
    let Some(c) = k.ext_mut().ndis.configs.remove(&handle.0) else { return Ok(()) };
    for p in c.parameters {
        crate::ex::pool::free(k, p, None, 0)?;
    }
    crate::ex::pool::free(k, handle.0, None, 0)
}
