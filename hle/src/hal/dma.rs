//! DMA adapters: IoGetDmaAdapter and the DMA_OPERATIONS routines a driver calls through the
//! adapter it gets.
//!
//! The machine has no IOMMU and no map registers: a bus-master device addresses RAM by its
//! physical address, so a logical address is the physical one and every transfer maps in
//! place (the HAL's answer for a master that can reach all of RAM). An adapter is given to
//! bus masters whose addressing reaches all of RAM (64-bit, 32-bit or, for ISA masters, 24-bit
//! against the machine's RAM end); system DMA (Master FALSE, the 8237 controller's channels)
//! is not emulated, nor are bounce buffers for a master that cannot reach all of RAM: for
//! those IoGetDmaAdapter returns NULL, as the HAL does for a description it cannot serve.
//!
//! The DMA_OPERATIONS table (Windows 7's, 15 routines) holds: PutDmaAdapter,
//! AllocateCommonBuffer and FreeCommonBuffer (physically contiguous memory below the
//! adapter's limit), AllocateAdapterChannel (the execution routine runs at once: no map
//! registers to wait for), FlushAdapterBuffers (nothing is buffered: TRUE),
//! FreeAdapterChannel, FreeMapRegisters (nothing held), MapTransfer (the physical address of
//! the current position and the length physically contiguous from it), GetDmaAlignment (1:
//! coherent caches), GetScatterGatherList and PutScatterGatherList (a SCATTER_GATHER_LIST of
//! the MDL chain's physical runs). ReadDmaCounter (system DMA only),
//! CalculateScatterGatherList, BuildScatterGatherList and BuildMdlFromScatterGatherList are
//! not implemented: NULL in the table.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::{CallConv, PAGE_SIZE};

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, MDL};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr};

/// The routines of the table, in DMA_OPERATIONS order (internal routines; None: NULL).
const OPERATIONS: [Option<&str>; 15] = [
    Some("HalpDmaPutAdapter"),
    Some("HalpDmaAllocateCommonBuffer"),
    Some("HalpDmaFreeCommonBuffer"),
    Some("HalpDmaAllocateAdapterChannel"),
    Some("HalpDmaFlushAdapterBuffers"),
    Some("HalpDmaFreeAdapterChannel"),
    Some("HalpDmaFreeMapRegisters"),
    Some("HalpDmaMapTransfer"),
    Some("HalpDmaGetAlignment"),
    None, // ReadDmaCounter
    Some("HalpDmaGetScatterGatherList"),
    Some("HalpDmaPutScatterGatherList"),
    None, // CalculateScatterGatherList
    None, // BuildScatterGatherList
    None, // BuildMdlFromScatterGatherList
];

/// INTERFACE_TYPE Isa.
const ISA: u32 = 1;
/// IO_ALLOCATION_ACTION KeepObject.
const KEEP_OBJECT: u32 = 1;

/// One adapter a driver holds.
#[derive(Clone, Debug)]
pub struct Adapter {
    /// The highest physical address the device reaches.
    pub limit: u64,
    /// The map registers it was given (the pages of its largest transfer, plus one).
    pub map_registers: u32,
    /// Whether an execution routine kept the adapter (KeepObject) until FreeAdapterChannel.
    pub channel_held: bool,
    /// Scatter/gather lists handed out and not yet put back.
    pub lists: Vec<u64>,
}

/// The adapters handed out, by DMA_ADAPTER address.
#[derive(Default, Debug)]
pub struct Dma {
    pub adapters: BTreeMap<u64, Adapter>,
}

/// Bytes of the DMA_ADAPTER header (Version, Size, DmaOperations) before the table.
fn header_size(k: &Kx) -> u64 {
    2 * k.arch().ptr_size()
}

/// PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject, PDEVICE_DESCRIPTION
/// DeviceDescription, PULONG NumberOfMapRegisters)
pub fn IoGetDmaAdapter(k: &mut Kx, pdo: Ptr, description: Ptr, map_registers: Ptr) -> KResult<Ptr> {
    if pdo.0 != 0 && k.ext().objects.get(pdo.0).map(|o| o.kind) != Some(ObjectKind::Device) {
        return Err(crate::ob::bad_reference(k, pdo.0, "IoGetDmaAdapter"));
    }
    let d = k.mem().read_vec(description.0, 40)?;
    let word = |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
    let (version, master, dma32, dma64) = (word(0), d[4] != 0, d[8] != 0, d[11] != 0);
    let (interface, maximum_length) = (word(20), word(32));
    if version > 3 || !master {
        return Ok(Ptr::NULL);
    }
    let limit = if dma64 {
        u64::MAX
    } else if dma32 || interface != ISA {
        0xFFFF_FFFF
    } else {
        0xFF_FFFF
    };
    if k.mem().physical().ram_end().saturating_sub(1) > limit {
        // Part of RAM is out of the device's reach: that takes map registers.
        return Ok(Ptr::NULL);
    }
    let count = (maximum_length as u64).div_ceil(PAGE_SIZE) as u32 + 1;
    let ps = k.arch().ptr_size();
    let header = header_size(k);
    let table_size = ps + OPERATIONS.len() as u64 * ps;
    let adapter = pool::kernel_alloc(k, header + table_size, b"Adap")?;
    let table = adapter + header;
    k.mem_mut().write_u16(adapter, 1)?; // Version
    k.mem_mut().write_u16(adapter + 2, header as u16)?; // Size
    k.mem_mut().write_ptr(adapter + ps, table)?;
    k.mem_mut().write_u32(table, table_size as u32)?;
    for (i, name) in OPERATIONS.iter().enumerate() {
        let at = name.and_then(|n| crate::exports::internal::address(k, n)).unwrap_or(0);
        k.mem_mut().write_ptr(table + ps + i as u64 * ps, at)?;
    }
    k.mem_mut().write_u32(map_registers.0, count)?;
    let a = Adapter { limit, map_registers: count, channel_held: false, lists: vec![] };
    k.ext_mut().hal.dma.adapters.insert(adapter, a);
    Ok(Ptr(adapter))
}

/// The adapter `at` names; anything else is a bad reference (a driver's own bug).
fn adapter(k: &mut Kx, at: u64, what: &str) -> KResult<Adapter> {
    match k.ext().hal.dma.adapters.get(&at) {
        Some(a) => Ok(a.clone()),
        None => Err(crate::ob::bad_reference(k, at, what)),
    }
}

/// VOID PutDmaAdapter(PDMA_ADAPTER DmaAdapter): the adapter goes, with the lists still out.
pub fn HalpDmaPutAdapter(k: &mut Kx, dma: Ptr) -> KResult<()> {
    let a = adapter(k, dma.0, "PutDmaAdapter")?;
    for list in a.lists {
        pool::free(k, list, None, 0)?;
    }
    k.ext_mut().hal.dma.adapters.remove(&dma.0);
    pool::free(k, dma.0, None, 0)
}

/// PVOID AllocateCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS
/// LogicalAddress, BOOLEAN CacheEnabled): physically contiguous memory the device reaches;
/// its logical (physical) address in *LogicalAddress. NULL when there is none.
pub fn HalpDmaAllocateCommonBuffer(
    k: &mut Kx,
    dma: Ptr,
    length: u32,
    logical: Ptr,
    cache_enabled: Boolean,
) -> KResult<Ptr> {
    let a = adapter(k, dma.0, "AllocateCommonBuffer")?;
    let cache = if cache_enabled.0 { 1 } else { 0 };
    let va = crate::mm::contiguous::allocate_for(k, length as u64, (0, a.limit), cache)?;
    if va.0 != 0 {
        let pa = k.mem().translate(va.0).expect("just allocated");
        k.mem_mut().write_u64(logical.0, pa)?;
    }
    Ok(va)
}

/// VOID FreeCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS
/// LogicalAddress, PVOID VirtualAddress, BOOLEAN CacheEnabled)
pub fn HalpDmaFreeCommonBuffer(
    k: &mut Kx,
    dma: Ptr,
    _length: u32,
    _logical: u64,
    va: Ptr,
    _cache_enabled: Boolean,
) -> KResult<()> {
    adapter(k, dma.0, "FreeCommonBuffer")?;
    crate::mm::contiguous::MmFreeContiguousMemory(k, va)
}

/// NTSTATUS AllocateAdapterChannel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, ULONG
/// NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine, PVOID Context): the execution
/// routine runs now, with the device's current IRP and no map register base (none are
/// needed); asking for more map registers than the adapter has is
/// STATUS_INSUFFICIENT_RESOURCES. A routine returning KeepObject keeps the adapter until
/// FreeAdapterChannel.
pub fn HalpDmaAllocateAdapterChannel(
    k: &mut Kx,
    dma: Ptr,
    device: Ptr,
    count: u32,
    routine: Ptr,
    context: Ptr,
) -> KResult<NtStatus> {
    let a = adapter(k, dma.0, "AllocateAdapterChannel")?;
    if count > a.map_registers {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    let irp = k.mem().get(device.0, DEVICE_OBJECT::CurrentIrp)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let action = k.call(routine.0, &[device.0, irp, 0, context.0], conv)? as u32;
    if let Some(a) = k.ext_mut().hal.dma.adapters.get_mut(&dma.0) {
        a.channel_held = action == KEEP_OBJECT;
    }
    Ok(status::SUCCESS)
}

/// BOOLEAN FlushAdapterBuffers(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID
/// CurrentVa, ULONG Length, BOOLEAN WriteToDevice): nothing is buffered between the device
/// and memory: TRUE.
pub fn HalpDmaFlushAdapterBuffers(
    k: &mut Kx,
    dma: Ptr,
    _mdl: Ptr,
    _map_register_base: Ptr,
    _current_va: Ptr,
    _length: u32,
    _write: Boolean,
) -> KResult<Boolean> {
    adapter(k, dma.0, "FlushAdapterBuffers")?;
    Ok(Boolean(true))
}

/// VOID FreeAdapterChannel(PDMA_ADAPTER DmaAdapter): gives back an adapter an execution
/// routine kept.
pub fn HalpDmaFreeAdapterChannel(k: &mut Kx, dma: Ptr) -> KResult<()> {
    adapter(k, dma.0, "FreeAdapterChannel")?;
    if let Some(a) = k.ext_mut().hal.dma.adapters.get_mut(&dma.0) {
        a.channel_held = false;
    }
    Ok(())
}

/// VOID FreeMapRegisters(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG
/// NumberOfMapRegisters): no map register is ever held.
pub fn HalpDmaFreeMapRegisters(k: &mut Kx, dma: Ptr, _base: Ptr, _count: u32) -> KResult<()> {
    adapter(k, dma.0, "FreeMapRegisters")?;
    Ok(())
}

/// The MDL's pages: (first byte's virtual address, byte count, PFN array address).
fn mdl_span(k: &Kx, mdl: u64) -> KResult<(u64, u64, u64)> {
    let mem = k.mem();
    let va = mem.get(mdl, MDL::StartVa)? + mem.get(mdl, MDL::ByteOffset)?;
    Ok((va, mem.get(mdl, MDL::ByteCount)?, mdl + MDL::STRUCT.size(k.arch())))
}

/// The physical run of one MDL from `at` for at most `length` bytes: (address, bytes).
fn run_in(k: &Kx, mdl: u64, at: u64, length: u64) -> KResult<Option<(u64, u64)>> {
    let (va, count, pfns) = mdl_span(k, mdl)?;
    if at < va || at >= va + count || length == 0 {
        return Ok(None);
    }
    let ps = k.arch().ptr_size();
    let start_page = va & !(PAGE_SIZE - 1);
    let mut index = (at - start_page) / PAGE_SIZE;
    let first = k.mem().read_ptr(pfns + index * ps)?;
    let address = first * PAGE_SIZE + at % PAGE_SIZE;
    let end = (va + count).min(at + length);
    let mut reach = (start_page + (index + 1) * PAGE_SIZE).min(end);
    let mut frame = first;
    while reach < end {
        index += 1;
        let next = k.mem().read_ptr(pfns + index * ps)?;
        if next != frame + 1 {
            break;
        }
        frame = next;
        reach = (reach + PAGE_SIZE).min(end);
    }
    Ok(Some((address, reach - at)))
}

/// PHYSICAL_ADDRESS MapTransfer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID
/// CurrentVa, PULONG Length, BOOLEAN WriteToDevice): the logical (physical) address of
/// CurrentVa in the MDL, and in *Length how much of the transfer is physically contiguous
/// from it. A CurrentVa outside the MDL maps nothing (0, length 0).
pub fn HalpDmaMapTransfer(
    k: &mut Kx,
    dma: Ptr,
    mdl: Ptr,
    _map_register_base: Ptr,
    current_va: Ptr,
    length: Ptr,
    _write: Boolean,
) -> KResult<u64> {
    adapter(k, dma.0, "MapTransfer")?;
    let asked = k.mem().read_u32(length.0)? as u64;
    let (address, n) = run_in(k, mdl.0, current_va.0, asked)?.unwrap_or((0, 0));
    k.mem_mut().write_u32(length.0, n as u32)?;
    Ok(address)
}

/// ULONG GetDmaAlignment(PDMA_ADAPTER DmaAdapter): caches are coherent with DMA: 1.
pub fn HalpDmaGetAlignment(k: &mut Kx, dma: Ptr) -> KResult<u32> {
    adapter(k, dma.0, "GetDmaAlignment")?;
    Ok(1)
}

/// NTSTATUS GetScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL
/// Mdl, PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
/// BOOLEAN WriteToDevice): the physical runs of `Length` bytes from CurrentVa along the MDL
/// chain, as a SCATTER_GATHER_LIST handed to the execution routine (with the device's
/// current IRP) until PutScatterGatherList. More bytes than the chain holds is
/// STATUS_BUFFER_TOO_SMALL; more pages than the adapter's map registers,
/// STATUS_INSUFFICIENT_RESOURCES.
#[allow(clippy::too_many_arguments)]
pub fn HalpDmaGetScatterGatherList(
    k: &mut Kx,
    dma: Ptr,
    device: Ptr,
    mdl: Ptr,
    current_va: Ptr,
    length: u32,
    routine: Ptr,
    context: Ptr,
    _write: Boolean,
) -> KResult<NtStatus> {
    let a = adapter(k, dma.0, "GetScatterGatherList")?;
    if (length as u64).div_ceil(PAGE_SIZE) + 1 > a.map_registers as u64 {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    let mut elements: Vec<(u64, u64)> = Vec::new();
    let (mut left, mut at, mut m) = (length as u64, current_va.0, mdl.0);
    while left > 0 {
        if m == 0 {
            return Ok(status::BUFFER_TOO_SMALL);
        }
        k.check_budget().map_err(crate::kernel::KError::Stop)?;
        match run_in(k, m, at, left)? {
            Some((address, n)) => {
                match elements.last_mut() {
                    Some((a, l)) if *a + *l == address => *l += n,
                    _ => elements.push((address, n)),
                }
                left -= n;
                at += n;
            }
            None => {
                // The next MDL of the chain, from its first byte.
                m = k.mem().get(m, MDL::Next)?;
                if m != 0 {
                    at = mdl_span(k, m)?.0;
                }
            }
        }
    }
    // SCATTER_GATHER_LIST: NumberOfElements, Reserved, then the elements (Address, Length,
    // Reserved), 8-aligned.
    let ps = k.arch().ptr_size();
    let (first, size) = (if ps == 8 { 16 } else { 8 }, if ps == 8 { 24 } else { 16 });
    let list = pool::kernel_alloc(k, first + size * elements.len().max(1) as u64, b"DmSg")?;
    k.mem_mut().write_u32(list, elements.len() as u32)?;
    for (i, (address, n)) in elements.iter().enumerate() {
        let e = list + first + i as u64 * size;
        k.mem_mut().write_u64(e, *address)?;
        k.mem_mut().write_u32(e + 8, *n as u32)?;
    }
    if let Some(a) = k.ext_mut().hal.dma.adapters.get_mut(&dma.0) {
        a.lists.push(list);
    }
    let irp = k.mem().get(device.0, DEVICE_OBJECT::CurrentIrp)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    k.call(routine.0, &[device.0, irp, list, context.0], conv)?;
    Ok(status::SUCCESS)
}

/// VOID PutScatterGatherList(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
/// BOOLEAN WriteToDevice): gives back a list GetScatterGatherList made.
pub fn HalpDmaPutScatterGatherList(k: &mut Kx, dma: Ptr, list: Ptr, _write: Boolean) -> KResult<()> {
    let a = adapter(k, dma.0, "PutScatterGatherList")?;
    if !a.lists.contains(&list.0) {
        return Err(crate::ob::bad_reference(k, list.0, "PutScatterGatherList"));
    }
    if let Some(a) = k.ext_mut().hal.dma.adapters.get_mut(&dma.0) {
        a.lists.retain(|l| *l != list.0);
    }
    pool::free(k, list.0, None, 0)
}

/// The routines of an adapter's table, in order (None: NULL).
pub fn operations() -> &'static [Option<&'static str>] {
    &OPERATIONS
}
