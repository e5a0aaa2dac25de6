//! The system service descriptor tables of x86 Windows: KeServiceDescriptorTable (exported)
//! and its shadow (win32k's tables too; not exported), four KSERVICE_TABLE_DESCRIPTORs each
//! (Base, Count, Limit, Number), and KeAddSystemServiceTable.
//!
//! The first descriptor describes the kernel's services of the emulated Windows in
//! service-number order (`hle/data/services-6.1.7601-x86.txt`, Windows 7 SP1): each entry of
//! the service table points at the kernel's routine for that service (its `Nt` or `Zw` export
//! with the same number of arguments) or, for a service the kernel does not implement, at
//! `KiServiceNotImplemented`, which ends the run naming the table; the argument table holds
//! each service's argument bytes. For other emulated versions the list of services is not
//! known: the descriptor is empty (Base NULL, Limit 0).
//!
//! Windows's KeAddSystemServiceTable checks and fills descriptor `Index` of both tables, so
//! its code holds the shadow table's address (`lea ecx, KeServiceDescriptorTableShadow[eax]`).
//! Drivers that hook win32k's services find the unexported shadow table that way: they scan
//! the routine's first bytes for a pointer to 16 valid bytes equal to KeServiceDescriptorTable's
//! first descriptor that is not KeServiceDescriptorTable itself. Here the routine is a
//! host-call slot whose one instruction is its `ret 14h`; the slot's next bytes, never
//! executed, are that `lea` ([`reference_shadow`]), so such a scan finds the shadow table.
//!
//! Drivers that hook services write the service table (or the descriptor). The kernel looks
//! at both after each entry point and scenario step ([`watch`]) and reports each change as a
//! notice: a hook is seen, not prevented.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, Stop};

use crate::events::{push, Notice, SystemEvent};
use crate::exports::Dll;
use crate::kernel::{caller, KError, KResult, KernelStop, Kx};
use crate::types::{Boolean, Ptr};

/// NUMBER_SERVICE_TABLES.
pub const TABLES: u64 = 4;
/// sizeof(KSERVICE_TABLE_DESCRIPTOR) on x86.
const DESCRIPTOR: u64 = 16;

const SERVICES_7601: &str = include_str!("../../data/services-6.1.7601-x86.txt");

/// The descriptor tables' addresses and what the first service table held at boot.
#[derive(Debug, Default)]
pub struct ServiceTables {
    pub table: u64,
    pub shadow: u64,
    /// The service table of descriptor 0 and the entries as the kernel wrote them.
    pub services: u64,
    pub names: Vec<&'static str>,
    /// The value of each entry last seen (a change is reported once).
    pub seen: Vec<u64>,
    /// Descriptor 0's Base last seen.
    pub base_seen: u64,
}

/// The services of the emulated Windows, (name without `Nt`, argument count), if known.
fn services(k: &Kx) -> Vec<(&'static str, u32)> {
    let v = k.ext().options.version;
    if (v.major, v.minor, v.build) != (6, 1, 7601) {
        return Vec::new();
    }
    SERVICES_7601
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, args) = l.split_once(' ')?;
            Some((name, args.trim().parse().ok()?))
        })
        .collect()
}

/// Places the tables (x86 only; x64 Windows exports neither).
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    if k.arch() != Arch::X86 {
        return Ok(());
    }
    let table = crate::loader::system::variable(k, Dll::Ntoskrnl, "KeServiceDescriptorTable", TABLES * DESCRIPTOR)?;
    let shadow = crate::loader::system::data_block(k, Dll::Ntoskrnl, TABLES * DESCRIPTOR)?;
    let list = services(k);
    let n = list.len() as u64;
    let mut st = ServiceTables { table, shadow, ..Default::default() };
    if n > 0 {
        let base = crate::loader::system::data_block(k, Dll::Ntoskrnl, 4 * n)?;
        let number = crate::loader::system::data_block(k, Dll::Ntoskrnl, n)?;
        let fallback = crate::exports::internal::address(k, "KiServiceNotImplemented").unwrap_or(0);
        let exports = crate::exports::for_arch(Arch::X86);
        for (i, (name, args)) in list.iter().enumerate() {
            let routine = ["Nt", "Zw"]
                .iter()
                .filter_map(|p| exports.slot(Dll::Ntoskrnl, &format!("{p}{name}")))
                .find(|s| exports.functions[*s as usize].slots(Arch::X86) == *args as usize)
                .map(|s| k.ext().calls.address(s))
                .unwrap_or(fallback);
            k.mem_mut().write_u32(base + 4 * i as u64, routine as u32)?;
            k.mem_mut().write_u8(number + i as u64, (4 * args) as u8)?;
            st.seen.push(routine);
            st.names.push(name);
        }
        for at in [table, shadow] {
            k.mem_mut().write_u32(at, base as u32)?;
            k.mem_mut().write_u32(at + 4, 0)?; // Count: free builds keep none
            k.mem_mut().write_u32(at + 8, n as u32)?;
            k.mem_mut().write_u32(at + 12, number as u32)?;
        }
        st.services = base;
        st.base_seen = base;
    }
    reference_shadow(k, shadow)?;
    k.ext_mut().service_tables = st;
    Ok(())
}

/// `lea ecx, [eax + disp32]`: the instruction of Windows's KeAddSystemServiceTable that
/// addresses the shadow table's descriptor `Index` (eax = Index * 16).
const LEA_ECX_EAX_DISP32: [u8; 2] = [0x8D, 0x88];

/// Writes the shadow table's address into KeAddSystemServiceTable's code, after the slot's
/// `ret 14h`, as the operand of the `lea` Windows's routine addresses it with. Before
/// [`crate::loader::system::finish`] makes `.text` read-only.
fn reference_shadow(k: &mut Kx, shadow: u64) -> KResult<()> {
    let Some(routine) = k.ext().resolve(Dll::Ntoskrnl, "KeAddSystemServiceTable") else { return Ok(()) };
    let ret = crate::exports::for_arch(Arch::X86)
        .slot(Dll::Ntoskrnl, "KeAddSystemServiceTable")
        .map_or(3, |s| crate::exports::for_arch(Arch::X86).bodies[s as usize].len() as u64);
    let mut code = LEA_ECX_EAX_DISP32.to_vec();
    code.extend_from_slice(&(shadow as u32).to_le_bytes());
    k.mem_mut().write(routine + ret, &code)?;
    Ok(())
}

/// BOOLEAN KeAddSystemServiceTable(PULONG_PTR Base, PULONG Count, ULONG Limit, PUCHAR Number,
/// ULONG Index): fills descriptor `Index` of the shadow table and, except for win32k's
/// index 1, of KeServiceDescriptorTable; FALSE when the index is out of range or taken in
/// either.
pub fn KeAddSystemServiceTable(
    k: &mut Kx,
    base: Ptr,
    count: Ptr,
    limit: u32,
    number: Ptr,
    index: u32,
) -> KResult<Boolean> {
    let (table, shadow) = (k.ext().service_tables.table, k.ext().service_tables.shadow);
    let index = index as u64;
    if index >= TABLES || table == 0 {
        return Ok(Boolean(false));
    }
    let (t, s) = (table + index * DESCRIPTOR, shadow + index * DESCRIPTOR);
    if k.mem().read_u32(t)? != 0 || k.mem().read_u32(s)? != 0 {
        return Ok(Boolean(false));
    }
    let targets: &[u64] = if index == 1 { &[s] } else { &[s, t] };
    for &at in targets {
        k.mem_mut().write_u32(at, base.0 as u32)?;
        k.mem_mut().write_u32(at + 4, count.0 as u32)?;
        k.mem_mut().write_u32(at + 8, limit)?;
        k.mem_mut().write_u32(at + 12, number.0 as u32)?;
    }
    let at = caller(k);
    let detail = format!("descriptor {index}: {limit} services at {:#x}", base.0);
    push(k, SystemEvent::Notice(Notice { kind: "service_table_added", detail, caller: at }));
    Ok(Boolean(true))
}

/// Reports each change to KeServiceDescriptorTable's first descriptor or to its service
/// table since the last look.
pub fn watch(k: &mut Kx) -> KResult<()> {
    let st = &k.ext().service_tables;
    if st.table == 0 || st.services == 0 {
        return Ok(());
    }
    let (table, services, base_seen) = (st.table, st.services, st.base_seen);
    let base = k.mem().read_u32(table)? as u64;
    if base != base_seen {
        k.ext_mut().service_tables.base_seen = base;
        let detail = format!("KeServiceDescriptorTable's service table moved from {base_seen:#x} to {base:#x}");
        push(k, SystemEvent::Notice(Notice { kind: "service_table_write", detail, caller: 0 }));
    }
    let n = k.ext().service_tables.seen.len();
    for i in 0..n {
        let now = k.mem().read_u32(services + 4 * i as u64)? as u64;
        let was = k.ext().service_tables.seen[i];
        if now == was {
            continue;
        }
        k.ext_mut().service_tables.seen[i] = now;
        let name = k.ext().service_tables.names[i];
        let (target, before) = (crate::seh::frames::describe(k, now), crate::seh::frames::describe(k, was));
        let detail = format!("service {i:#x} (Nt{name}) now points at {target}, was {before}");
        push(k, SystemEvent::Notice(Notice { kind: "service_table_write", detail, caller: 0 }));
    }
    Ok(())
}

/// The routine every service the kernel does not implement points at.
pub fn KiServiceNotImplemented(k: &mut Kx) -> KResult<()> {
    let caller = caller(k);
    Err(KError::Stop(Stop::Host(KernelStop::Unimplemented {
        routine: "a system service the kernel does not implement, through KeServiceDescriptorTable".into(),
        caller,
    })))
}
