//! IoQueryDeviceDescription: the buses, controllers and peripherals the firmware described
//! under `\Registry\Machine\HARDWARE\DESCRIPTION\System`, handed to the caller's routine.
//!
//! The walk is the I/O manager's (ReactOS documents it): below the System key, keys named
//! MultifunctionAdapter, EisaAdapter or TcAdapter hold numbered bus keys; a bus whose
//! `Configuration Data` (a CM_FULL_RESOURCE_DESCRIPTOR) has the asked-for InterfaceType is
//! the next bus of that type (numbered from 0 in the order met), and buses nest below buses.
//! For a matching bus the callout gets the bus, or with a ControllerType each numbered key of
//! `<bus>\<controller type name>` (and with a PeripheralType each of `<controller>\<peripheral
//! type name>`), with the `Identifier`, `Configuration Data` and `Component Information` of
//! each level as KEY_VALUE_FULL_INFORMATION blocks (NULL for a value the key lacks). A
//! callout's failure ends the walk with its status; a bus without the controllers asked for
//! is passed over. When the walk runs out of keys the
//! status is the enumeration's end, STATUS_NO_MORE_ENTRIES, as when nothing matched: our
//! machine's firmware (ACPI, no ARC tree) describes no adapter, so that is what a driver
//! gets unless a scenario seeds the keys.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::cm::info::{value_info, KEY_VALUE_FULL_INFORMATION};
use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

const SYSTEM: &str = "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\System";
const ADAPTERS: [&str; 3] = ["MultifunctionAdapter", "EisaAdapter", "TcAdapter"];
const VALUES: [&str; 3] = ["Identifier", "Configuration Data", "Component Information"];
/// The key names of CONFIGURATION_TYPE values.
const CONFIGURATION_TYPES: [&str; 41] = [
    "System",
    "CentralProcessor",
    "FloatingPointProcessor",
    "PrimaryICache",
    "PrimaryDCache",
    "SecondaryICache",
    "SecondaryDCache",
    "SecondaryCache",
    "EisaAdapter",
    "TcAdapter",
    "ScsiAdapter",
    "DtiAdapter",
    "MultifunctionAdapter",
    "DiskController",
    "TapeController",
    "CdRomController",
    "WormController",
    "SerialController",
    "NetworkController",
    "DisplayController",
    "ParallelController",
    "PointerController",
    "KeyboardController",
    "AudioController",
    "OtherController",
    "DiskPeripheral",
    "FloppyDiskPeripheral",
    "TapePeripheral",
    "ModemPeripheral",
    "MonitorPeripheral",
    "PrinterPeripheral",
    "PointerPeripheral",
    "KeyboardPeripheral",
    "TerminalPeripheral",
    "OtherPeripheral",
    "LinePeripheral",
    "NetworkPeripheral",
    "SystemMemory",
    "DockingInformation",
    "RealModeIrqRoutingTable",
    "RealModePCIEnumeration",
];

/// What the caller asked for (the optional numbers and types read once).
struct Query {
    bus_type: u32,
    bus_number: Option<u32>,
    controller: Option<(u32, Option<u32>)>,
    peripheral: Option<(u32, Option<u32>)>,
    callout: u64,
    context: u64,
}

/// One level's three values, as KEY_VALUE_FULL_INFORMATION blocks in pool, and the array of
/// three pointers the callout gets.
struct Level {
    blocks: Vec<u64>,
    array: u64,
}

impl Level {
    fn of(k: &mut Kx, node: usize) -> KResult<Level> {
        let ps = k.arch().ptr_size();
        let array = pool::kernel_alloc(k, 3 * ps, b"IoQd")?;
        let mut blocks = Vec::new();
        for (i, name) in VALUES.iter().enumerate() {
            let info = k.ext().registry.value(node, name).and_then(|v| value_info(v, KEY_VALUE_FULL_INFORMATION));
            let at = match info {
                Some(info) => {
                    let b = pool::kernel_alloc(k, info.bytes.len() as u64, b"IoQd")?;
                    k.mem_mut().write(b, &info.bytes)?;
                    blocks.push(b);
                    b
                }
                None => 0,
            };
            k.mem_mut().write_ptr(array + i as u64 * ps, at)?;
        }
        Ok(Level { blocks, array })
    }

    fn free(self, k: &mut Kx) -> KResult<()> {
        for b in self.blocks.into_iter().chain([self.array]) {
            pool::free(k, b, None, 0)?;
        }
        Ok(())
    }
}

/// Calls the callout with the key path `path` and the levels' information.
#[allow(clippy::too_many_arguments)]
fn callout(
    k: &mut Kx,
    q: &Query,
    path: &str,
    bus: u32,
    bus_info: u64,
    controller: (u32, u32, u64),
    peripheral: (u32, u32, u64),
) -> KResult<NtStatus> {
    let units: Vec<u16> = path.encode_utf16().collect();
    let bytes = units.len() as u64 * 2;
    let ps = k.arch().ptr_size();
    let us = pool::kernel_alloc(k, 2 * ps + bytes + 2, b"IoQd")?;
    let buffer = us + 2 * ps;
    let mut text: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    text.extend([0, 0]);
    k.mem_mut().write(buffer, &text)?;
    k.mem_mut().write_u16(us, bytes as u16)?;
    k.mem_mut().write_u16(us + 2, bytes as u16 + 2)?;
    k.mem_mut().write_ptr(us + ps, buffer)?;
    let args = [
        q.context,
        us,
        q.bus_type as u64,
        bus as u64,
        bus_info,
        controller.0 as u64,
        controller.1 as u64,
        controller.2,
        peripheral.0 as u64,
        peripheral.1 as u64,
        peripheral.2,
    ];
    let r = k.call(q.callout, &args, CallConv::Stdcall.for_arch(k.arch()));
    pool::free(k, us, None, 0)?;
    Ok(NtStatus(r? as u32))
}

/// The numbered subkeys `first..` of `node`'s child `name` (all, or only `number`).
fn numbered(k: &Kx, node: usize, name: &str, number: Option<u32>) -> Vec<(u32, usize)> {
    let reg = &k.ext().registry;
    let Some(parent) = reg.child(node, name) else { return vec![] };
    match number {
        Some(n) => reg.child(parent, &n.to_string()).map(|c| vec![(n, c)]).unwrap_or_default(),
        None => (0..reg.subkeys(parent).len() as u32)
            .map_while(|n| reg.child(parent, &n.to_string()).map(|c| (n, c)))
            .collect(),
    }
}

fn type_name(t: u32) -> Option<&'static str> {
    CONFIGURATION_TYPES.get(t as usize).copied()
}

/// The controllers (and peripherals) of a matching bus.
fn devices(k: &mut Kx, q: &Query, bus_node: usize, bus_path: &str, bus: u32, bus_info: u64) -> KResult<NtStatus> {
    let Some((ctype, cnumber)) = q.controller else { return Ok(status::SUCCESS) };
    let Some(cname) = type_name(ctype) else { return Ok(status::SUCCESS) };
    let controllers = numbered(k, bus_node, cname, cnumber);
    let mut st = status::SUCCESS;
    for (cn, cnode) in controllers {
        let cpath = format!("{bus_path}\\{cname}\\{cn}");
        let clevel = Level::of(k, cnode)?;
        st = match q.peripheral {
            None => callout(k, q, &cpath, bus, bus_info, (ctype, cn, clevel.array), (0, 0, 0))?,
            Some((ptype, pnumber)) => {
                let mut st = status::SUCCESS;
                if let Some(pname) = type_name(ptype) {
                    for (pn, pnode) in numbered(k, cnode, pname, pnumber) {
                        let plevel = Level::of(k, pnode)?;
                        let ppath = format!("{cpath}\\{pname}\\{pn}");
                        st =
                            callout(k, q, &ppath, bus, bus_info, (ctype, cn, clevel.array), (ptype, pn, plevel.array))?;
                        plevel.free(k)?;
                        if !st.is_success() {
                            break;
                        }
                    }
                }
                st
            }
        };
        clevel.free(k)?;
        if !st.is_success() {
            break;
        }
    }
    Ok(st)
}

/// Walks the keys below `node` (`path`): adapters at the root, buses below them.
fn buses(k: &mut Kx, q: &Query, node: usize, path: &str, bus: &mut Option<u32>, root: bool) -> KResult<NtStatus> {
    let children = k.ext().registry.subkeys(node);
    for child in children {
        if q.bus_number.is_some() && q.bus_number == *bus {
            return Ok(status::SUCCESS);
        }
        let name = k.ext().registry.node(child).name.clone();
        if root && !ADAPTERS.iter().any(|a| a.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let child_path = format!("{path}\\{name}");
        if !root {
            let interface = k
                .ext()
                .registry
                .value(child, VALUES[1])
                .filter(|v| v.data.len() >= 4)
                .map(|v| u32::from_le_bytes([v.data[0], v.data[1], v.data[2], v.data[3]]));
            if interface == Some(q.bus_type) {
                let n = bus.map_or(0, |b| b + 1);
                *bus = Some(n);
                if q.bus_number.is_none_or(|want| want == n) {
                    let level = Level::of(k, child)?;
                    let st = match q.controller {
                        None => callout(k, q, &child_path, n, level.array, (0, 0, 0), (0, 0, 0))?,
                        Some(_) => devices(k, q, child, &child_path, n, level.array)?,
                    };
                    level.free(k)?;
                    if !st.is_success() {
                        return Ok(st);
                    }
                }
                if q.bus_number == Some(n) {
                    continue;
                }
            }
        }
        let st = buses(k, q, child, &child_path, bus, !root)?;
        if !st.is_success() && st != status::NO_MORE_ENTRIES {
            return Ok(st);
        }
    }
    // The bus asked for by number was found: the walk ends there.
    Ok(if q.bus_number.is_some() && q.bus_number == *bus { status::SUCCESS } else { status::NO_MORE_ENTRIES })
}

fn optional_u32(k: &Kx, at: Ptr) -> KResult<Option<u32>> {
    Ok(if at.0 == 0 { None } else { Some(k.mem().read_u32(at.0)?) })
}

/// NTSTATUS IoQueryDeviceDescription(PINTERFACE_TYPE BusType, PULONG BusNumber,
/// PCONFIGURATION_TYPE ControllerType, PULONG ControllerNumber, PCONFIGURATION_TYPE
/// PeripheralType, PULONG PeripheralNumber, PIO_QUERY_DEVICE_ROUTINE CalloutRoutine,
/// PVOID Context)
#[allow(clippy::too_many_arguments)]
pub fn IoQueryDeviceDescription(
    k: &mut Kx,
    bus_type: Ptr,
    bus_number: Ptr,
    controller_type: Ptr,
    controller_number: Ptr,
    peripheral_type: Ptr,
    peripheral_number: Ptr,
    callout_routine: Ptr,
    context: Ptr,
) -> KResult<NtStatus> {
    // A zero number (or type) means "every one", as a missing one does.
    let nonzero = |v: Option<u32>| v.filter(|n| *n != 0);
    let controller = optional_u32(k, controller_type)?;
    let peripheral = nonzero(optional_u32(k, peripheral_type)?);
    let q = Query {
        bus_type: k.mem().read_u32(bus_type.0)?,
        bus_number: optional_u32(k, bus_number)?,
        controller: match controller {
            Some(t) => Some((t, nonzero(optional_u32(k, controller_number)?))),
            None => None,
        },
        peripheral: match peripheral {
            Some(t) => Some((t, nonzero(optional_u32(k, peripheral_number)?))),
            None => None,
        },
        callout: callout_routine.0,
        context: context.0,
    };
    let Some(root) = k.ext().registry.find(SYSTEM) else { return Ok(status::OBJECT_NAME_NOT_FOUND) };
    let mut bus = None;
    buses(k, &q, root, SYSTEM, &mut bus, true)
}
