//! Device relations and ejection: IoInvalidateDeviceRelations and IoRequestDeviceEject.
//!
//! Both only queue work for the PnP manager, which does it later on a worker thread; here
//! the queue is drained at the end of each PnP sequence and after each scenario step
//! ([`enumerate_pending`]). BusRelations: IRP_MN_QUERY_DEVICE_RELATIONS to the top of the
//! device's stack; each new PDO in the answer becomes a child (DO_BUS_ENUMERATED_DEVICE,
//! then IRP_MN_QUERY_ID for its device, hardware and instance IDs and
//! IRP_MN_QUERY_CAPABILITIES; no driver is installed for it, so it is not started), each
//! child no longer reported gets IRP_MN_REMOVE_DEVICE. Eject: IRP_MN_QUERY_CAPABILITIES,
//! IRP_MN_QUERY_REMOVE_DEVICE (IRP_MN_CANCEL_REMOVE_DEVICE when refused), the children's
//! removal, IRP_MN_REMOVE_DEVICE, then IRP_MN_EJECT when the capabilities say
//! EjectSupported.
#![allow(non_snake_case)]

use super::{minor, send, sent, Sent};
use crate::ex::pool;
use crate::io::major;
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION};
use crate::types::Ptr;

/// DEVICE_RELATION_TYPE.
const BUS_RELATIONS: u32 = 0;
const POWER_RELATIONS: u32 = 2;
const SINGLE_BUS_RELATIONS: u32 = 5;
/// DO_BUS_ENUMERATED_DEVICE.
const BUS_ENUMERATED: u64 = 0x1000;
/// DEVICE_CAPABILITIES' RawDeviceOK (bit 8 of the flags after Size and Version).
const RAW_DEVICE_OK: u32 = 1 << 8;
/// At most this many entries of a DEVICE_RELATIONS are read.
const MAX_RELATIONS: u64 = 256;

/// Work queued for the PnP manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    Relations { pdo: u64, kind: u32 },
    Eject { pdo: u64 },
}

/// A PDO a bus driver reported in its BusRelations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Child {
    pub parent: u64,
    pub pdo: u64,
    /// Its IDs as IRP_MN_QUERY_ID answered (device ID, then hardware IDs).
    pub ids: Vec<String>,
    /// Its description (IRP_MN_QUERY_DEVICE_TEXT, US English).
    pub description: Option<String>,
    /// Started raw.
    pub started: bool,
    pub removed: bool,
}

/// Whether `device` is a PDO the PnP manager knows: the bus's or an enumerated child.
pub fn is_known_pdo(k: &Kx, device: u64) -> bool {
    super::is_pdo(k, device) || k.ext().pnp.children.iter().any(|c| c.pdo == device && !c.removed)
}

/// PNP_DETECTED_FATAL_ERROR (0xCA) 2: a routine that wants a PDO got something else.
fn invalid_pdo(k: &mut Kx, device: u64, routine: &str) -> KError {
    let b = Bugcheck {
        code: 0xCA,
        name: "PNP_DETECTED_FATAL_ERROR",
        params: [2, device, 0, 0],
        caller: caller(k),
        reason: format!("{routine} on {device:#x}, which is not a physical device object"),
    };
    KError::Stop(bugcheck_stop(k, b))
}

/// VOID IoInvalidateDeviceRelations(PDEVICE_OBJECT DeviceObject, DEVICE_RELATION_TYPE Type)
pub fn IoInvalidateDeviceRelations(k: &mut Kx, device: Ptr, kind: u32) -> KResult<()> {
    if !is_known_pdo(k, device.0) {
        return Err(invalid_pdo(k, device.0, "IoInvalidateDeviceRelations"));
    }
    let p = Pending::Relations { pdo: device.0, kind };
    if !k.ext().pnp.pending.contains(&p) {
        k.ext_mut().pnp.pending.push(p);
    }
    Ok(())
}

/// VOID IoRequestDeviceEject(PDEVICE_OBJECT PhysicalDeviceObject)
pub fn IoRequestDeviceEject(k: &mut Kx, pdo: Ptr) -> KResult<()> {
    if !is_known_pdo(k, pdo.0) {
        return Err(invalid_pdo(k, pdo.0, "IoRequestDeviceEject"));
    }
    let p = Pending::Eject { pdo: pdo.0 };
    if !k.ext().pnp.pending.contains(&p) {
        k.ext_mut().pnp.pending.push(p);
    }
    Ok(())
}

/// Does the work drivers queued, in order (work queued meanwhile included).
pub fn enumerate_pending(k: &mut Kx) -> KResult<Vec<Sent>> {
    let mut out = Vec::new();
    // Each round can queue more; a driver that invalidates on every query stops here.
    for _ in 0..64 {
        if k.ext().pnp.pending.is_empty() {
            break;
        }
        let p = k.ext_mut().pnp.pending.remove(0);
        match p {
            Pending::Relations { pdo, kind } => relations(k, pdo, kind, &mut out)?,
            Pending::Eject { pdo } => eject(k, pdo, &mut out)?,
        }
    }
    Ok(out)
}

fn query_relations(k: &mut Kx, pdo: u64, kind: u32, out: &mut Vec<Sent>) -> KResult<Vec<u64>> {
    let s = send(k, pdo, major::PNP, minor::QUERY_DEVICE_RELATIONS, &move |k, loc| {
        Ok(k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, kind as u64)?)
    })?;
    let mut objects = Vec::new();
    if s.1.is_some_and(|st| st.is_success()) && s.2 != 0 && k.ext().pool.block(s.2).is_some() {
        let list = s.2;
        let ps = k.arch().ptr_size();
        let n = (k.mem().read_u32(list)? as u64).min(MAX_RELATIONS);
        for i in 0..n {
            objects.push(k.mem().read_ptr(list + ps + i * ps)?);
        }
        pool::free(k, list, None, 0)?;
    }
    out.push(sent(k, minor::name(minor::QUERY_DEVICE_RELATIONS), pdo, s));
    Ok(objects)
}

fn dereference(k: &mut Kx, object: u64) {
    if let Some(info) = k.ext_mut().objects.get_mut(object) {
        info.references = info.references.saturating_sub(1);
    }
}

fn relations(k: &mut Kx, pdo: u64, kind: u32, out: &mut Vec<Sent>) -> KResult<()> {
    if !is_known_pdo(k, pdo) {
        return Ok(()); // removed since
    }
    match kind {
        BUS_RELATIONS | SINGLE_BUS_RELATIONS => {}
        POWER_RELATIONS => {
            for o in query_relations(k, pdo, kind, out)? {
                dereference(k, o);
            }
            return Ok(());
        }
        _ => return Ok(()),
    }
    let reported = query_relations(k, pdo, BUS_RELATIONS, out)?;
    let mut valid = Vec::new();
    for o in reported {
        let is_device = k.ext().objects.get(o).is_some_and(|i| i.kind == crate::ob::ObjectKind::Device);
        if !is_device || valid.contains(&o) {
            continue;
        }
        valid.push(o);
    }
    // Children no longer reported: removed.
    let gone: Vec<u64> = k
        .ext()
        .pnp
        .children
        .iter()
        .filter(|c| c.parent == pdo && !c.removed && !valid.contains(&c.pdo))
        .map(|c| c.pdo)
        .collect();
    for child in gone {
        remove_child(k, child, out)?;
    }
    for o in valid {
        if k.ext().pnp.children.iter().any(|c| c.pdo == o && !c.removed) {
            dereference(k, o); // known: the PnP manager keeps only its first reference
            continue;
        }
        let flags = k.mem().get(o, DEVICE_OBJECT::Flags)?;
        k.mem_mut().set(o, DEVICE_OBJECT::Flags, flags | BUS_ENUMERATED)?;
        k.ext_mut().pnp.children.push(Child {
            parent: pdo,
            pdo: o,
            ids: Vec::new(),
            description: None,
            started: false,
            removed: false,
        });
        let mut ids = Vec::new();
        for (ty, what) in [(0u64, "DeviceID"), (1, "HardwareIDs"), (3, "InstanceID")] {
            let s = send(k, o, major::PNP, minor::QUERY_ID, &move |k, loc| {
                Ok(k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, ty)?)
            })?;
            if s.1.is_some_and(|st| st.is_success()) && s.2 != 0 && k.ext().pool.block(s.2).is_some() {
                if ty != 3 {
                    ids.extend(multi_string(k, s.2)?);
                }
                pool::free(k, s.2, None, 0)?;
            }
            out.push(sent(k, &format!("{} {what}", minor::name(minor::QUERY_ID)), o, s));
        }
        let description = device_text(k, o, out)?;
        let caps = super::capabilities(k)?;
        let s = send(k, o, major::PNP, minor::QUERY_CAPABILITIES, &move |k, loc| {
            Ok(k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, caps)?)
        })?;
        let raw = s.1.is_some_and(|st| st.is_success()) && k.mem().read_u32(caps + 4)? & RAW_DEVICE_OK != 0;
        pool::free(k, caps, None, 0)?;
        out.push(sent(k, minor::name(minor::QUERY_CAPABILITIES), o, s));
        if let Some(c) = k.ext_mut().pnp.children.iter_mut().find(|c| c.pdo == o && !c.removed) {
            c.ids = ids;
            c.description = description;
        }
        if raw {
            start_raw(k, o, out)?;
        }
    }
    Ok(())
}

/// BusRelations of `pdo`: its children enumerated, new raw ones started.
pub(crate) fn bus_relations(k: &mut Kx, pdo: u64, out: &mut Vec<Sent>) -> KResult<()> {
    relations(k, pdo, BUS_RELATIONS, out)
}

/// IRP_MN_QUERY_DEVICE_TEXT DeviceTextDescription for US English (0x409).
fn device_text(k: &mut Kx, o: u64, out: &mut Vec<Sent>) -> KResult<Option<String>> {
    let s = send(k, o, major::PNP, minor::QUERY_DEVICE_TEXT, &|k, loc| {
        k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, 0)?;
        Ok(k.mem_mut().set(loc, IO_STACK_LOCATION::Argument2, 0x409)?)
    })?;
    let mut text = None;
    if s.1.is_some_and(|st| st.is_success()) && s.2 != 0 && k.ext().pool.block(s.2).is_some() {
        text = multi_string(k, s.2)?.into_iter().next();
        pool::free(k, s.2, None, 0)?;
    }
    out.push(sent(k, minor::name(minor::QUERY_DEVICE_TEXT), o, s));
    Ok(text)
}

/// A raw child: IRP_MN_START_DEVICE to its own stack with no resources; a failed start
/// is followed by IRP_MN_REMOVE_DEVICE, as for any device.
fn start_raw(k: &mut Kx, o: u64, out: &mut Vec<Sent>) -> KResult<()> {
    let s = send(k, o, major::PNP, minor::START_DEVICE, &|_, _| Ok(()))?;
    let ok = s.1.is_some_and(|st| st.is_success());
    out.push(sent(k, minor::name(minor::START_DEVICE), o, s));
    if ok {
        if let Some(c) = k.ext_mut().pnp.children.iter_mut().find(|c| c.pdo == o && !c.removed) {
            c.started = true;
        }
    } else {
        let r = send(k, o, major::PNP, minor::REMOVE_DEVICE, &|_, _| Ok(()))?;
        out.push(sent(k, minor::name(minor::REMOVE_DEVICE), o, r));
    }
    Ok(())
}

/// The strings of a REG_MULTI_SZ-style list (a single string reads as one), at most 16 of
/// 256 characters.
fn multi_string(k: &Kx, at: u64) -> KResult<Vec<String>> {
    let mut out = Vec::new();
    let mut p = at;
    for _ in 0..16 {
        let mut units = Vec::new();
        while units.len() < 256 {
            let u = k.mem().read_u16(p)?;
            p += 2;
            if u == 0 {
                break;
            }
            units.push(u);
        }
        if units.is_empty() {
            break;
        }
        out.push(String::from_utf16_lossy(&units));
    }
    Ok(out)
}

/// IRP_MN_REMOVE_DEVICE to a child that vanished (its own children first).
fn remove_child(k: &mut Kx, child: u64, out: &mut Vec<Sent>) -> KResult<()> {
    remove_children_of(k, child, out)?;
    if let Some(c) = k.ext_mut().pnp.children.iter_mut().find(|c| c.pdo == child && !c.removed) {
        c.removed = true;
    }
    let s = send(k, child, major::PNP, minor::REMOVE_DEVICE, &|_, _| Ok(()))?;
    out.push(sent(k, minor::name(minor::REMOVE_DEVICE), child, s));
    dereference(k, child);
    Ok(())
}

/// Removes the children of `parent` (before `parent` itself is removed).
pub(crate) fn remove_children_of(k: &mut Kx, parent: u64, out: &mut Vec<Sent>) -> KResult<()> {
    let kids: Vec<u64> =
        k.ext().pnp.children.iter().filter(|c| c.parent == parent && !c.removed).map(|c| c.pdo).collect();
    for c in kids {
        remove_child(k, c, out)?;
    }
    Ok(())
}

/// The eject sequence for `pdo`.
fn eject(k: &mut Kx, pdo: u64, out: &mut Vec<Sent>) -> KResult<()> {
    if !is_known_pdo(k, pdo) {
        return Ok(());
    }
    let caps = super::capabilities(k)?;
    let s = send(k, pdo, major::PNP, minor::QUERY_CAPABILITIES, &move |k, loc| {
        Ok(k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, caps)?)
    })?;
    // DEVICE_CAPABILITIES' bit field after Size and Version: DeviceD1, DeviceD2,
    // LockSupported, EjectSupported (bit 3)...
    let eject_supported = s.1.is_some_and(|st| st.is_success()) && k.mem().read_u32(caps + 4)? & 8 != 0;
    pool::free(k, caps, None, 0)?;
    out.push(sent(k, minor::name(minor::QUERY_CAPABILITIES), pdo, s));
    let q = send(k, pdo, major::PNP, minor::QUERY_REMOVE_DEVICE, &|_, _| Ok(()))?;
    let ok = q.1.is_some_and(|st| st.is_success());
    out.push(sent(k, minor::name(minor::QUERY_REMOVE_DEVICE), pdo, q));
    if !ok {
        let c = send(k, pdo, major::PNP, minor::CANCEL_REMOVE_DEVICE, &|_, _| Ok(()))?;
        out.push(sent(k, minor::name(minor::CANCEL_REMOVE_DEVICE), pdo, c));
        return Ok(());
    }
    remove_children_of(k, pdo, out)?;
    let r = send(k, pdo, major::PNP, minor::REMOVE_DEVICE, &|_, _| Ok(()))?;
    out.push(sent(k, minor::name(minor::REMOVE_DEVICE), pdo, r));
    if eject_supported {
        let e = send(k, pdo, major::PNP, minor::EJECT, &|_, _| Ok(()))?;
        out.push(sent(k, minor::name(minor::EJECT), pdo, e));
    }
    // The bus's own PDO goes; a child stays known until its bus stops reporting it, which
    // brings it a second IRP_MN_REMOVE_DEVICE (the one after which its bus deletes it).
    if super::is_pdo(k, pdo) {
        super::remove_pdo(k, pdo)?;
    }
    Ok(())
}
