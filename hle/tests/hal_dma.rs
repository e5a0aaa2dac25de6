//! IoGetDmaAdapter and the DMA_OPERATIONS routines through the real stubs on both
//! architectures: the table (NULL where a routine is not implemented), common buffers at
//! their physical addresses, MapTransfer's physically contiguous runs, AllocateAdapterChannel
//! and GetScatterGatherList calling the driver's execution routines, and the descriptions no
//! adapter serves (system DMA).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{large, ok, ok32, routine};
use common::*;

use portcullis_emu::CallConv;

const PCI: u32 = 5;
const INSUFFICIENT_RESOURCES: u64 = 0xC000_009A;

/// A DEVICE_DESCRIPTION (version 2) of a 32-bit PCI bus master.
fn description(fx: &mut Fx, master: bool, max_length: u32) -> u64 {
    let mut d = vec![0u8; 40];
    d[0..4].copy_from_slice(&2u32.to_le_bytes());
    d[4] = master as u8; // Master
    d[5] = 1; // ScatterGather
    d[8] = 1; // Dma32BitAddresses
    d[20..24].copy_from_slice(&PCI.to_le_bytes());
    d[32..36].copy_from_slice(&max_length.to_le_bytes());
    fx.put(&d)
}

/// The table entry `i` (after Size) of the adapter's DMA_OPERATIONS.
fn entry(fx: &Fx, adapter: u64, i: u64) -> u64 {
    let ps = fx.arch.ptr_size();
    let table = fx.read_ptr(adapter + ps);
    fx.read_ptr(table + ps + i * ps)
}

fn op(fx: &mut Fx, adapter: u64, i: u64, args: &[u64]) -> u64 {
    let at = entry(fx, adapter, i);
    let conv = CallConv::Stdcall;
    fx.call_at(at, conv, args).unwrap().0
}

/// The expected run of physically contiguous bytes from `va` (at most `len`).
fn contiguous(fx: &Fx, va: u64, len: u64) -> u64 {
    let mem = fx.k.mem();
    let mut end = (va & !0xFFF) + 0x1000;
    while end < va + len && mem.translate(end) == mem.translate(end - 0x1000).map(|p| p + 0x1000) {
        end += 0x1000;
    }
    end.min(va + len) - va
}

#[test]
fn a_bus_master_gets_an_adapter_whose_routines_work_on_physical_memory() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]), 0);
        let device = fx.read_ptr(out);
        let d = description(&mut fx, true, 0x1_0000);
        let count = fx.alloc(4);
        let adapter = ok(&mut fx, "IoGetDmaAdapter", &[0, d, count]);
        assert_ne!(adapter, 0, "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(count).unwrap(), 17, "{arch:?}: 64 KiB in pages, plus one");
        let ps = arch.ptr_size();
        let table = fx.read_ptr(adapter + ps);
        assert_eq!(fx.k.mem().read_u32(table).unwrap() as u64, ps + 15 * ps, "{arch:?}: DMA_OPERATIONS.Size");
        for i in 0..15 {
            let absent = [9, 12, 13, 14].contains(&i);
            assert_eq!(entry(&fx, adapter, i) == 0, absent, "{arch:?}: entry {i}");
        }
        assert_eq!(op(&mut fx, adapter, 8, &[adapter]) as u32, 1, "{arch:?}: GetDmaAlignment");

        // A common buffer: its logical address is its physical one, below 4 GiB.
        let logical = fx.alloc(8);
        let va = op(&mut fx, adapter, 1, &[adapter, 0x2000, logical, 1]);
        let va = arch.mask(va);
        assert_ne!(va, 0, "{arch:?}");
        let pa = fx.k.mem().read_u64(logical).unwrap();
        assert_eq!(fx.k.mem().translate(va), Some(pa), "{arch:?}");
        assert_eq!(fx.k.mem().translate(va + 0x1000), Some(pa + 0x1000), "{arch:?}: contiguous");
        assert!(pa + 0x2000 <= 1 << 32, "{arch:?}");
        let mut args = vec![adapter, 0x2000];
        args.extend(large(arch, pa as i64));
        args.extend([va, 1]);
        op(&mut fx, adapter, 2, &args);
        assert!(fx.k.mem().translate(va).is_none(), "{arch:?}: freed");

        // MapTransfer over an MDL of two pages' worth of heap.
        let buffer = fx.alloc(0x3000);
        let start = (buffer + 0xFFF) & !0xFFF;
        let mdl = ok(&mut fx, "IoAllocateMdl", &[start + 0x800, 0x1800, 0, 0, 0]);
        ok(&mut fx, "MmBuildMdlForNonPagedPool", &[mdl]);
        let length = fx.put(&0x1800u32.to_le_bytes());
        let address = op(&mut fx, adapter, 7, &[adapter, mdl, 0, start + 0x800, length, 1]);
        let expected = fx.k.mem().translate(start + 0x800).unwrap();
        assert_eq!(address & 0xFFFF_FFFF, expected & 0xFFFF_FFFF, "{arch:?}");
        let n = fx.k.mem().read_u32(length).unwrap() as u64;
        assert_eq!(n, contiguous(&fx, start + 0x800, 0x1800), "{arch:?}");
        assert_eq!(op(&mut fx, adapter, 4, &[adapter, mdl, 0, start + 0x800, 0x1800, 1]) as u8, 1, "{arch:?}");

        // The execution routines: (DeviceObject, Irp, MapRegisterBase / ScatterGather, Context).
        let log = fx.alloc(64);
        let exec = routine(&mut fx, 4, |a, _| {
            a.inc(log)
                .store_param(0, log + 8)
                .store_param(1, log + 16)
                .store_param(2, log + 24)
                .store_param(3, log + 32);
            a.value(1); // KeepObject
        });
        assert_eq!(op(&mut fx, adapter, 3, &[adapter, device, 4, exec, 0x1234]), 0, "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(log).unwrap(), 1, "{arch:?}");
        assert_eq!((fx.read_ptr(log + 8), fx.read_ptr(log + 32)), (device, 0x1234), "{arch:?}");
        assert_eq!(op(&mut fx, adapter, 3, &[adapter, device, 18, exec, 0]), INSUFFICIENT_RESOURCES, "{arch:?}");
        op(&mut fx, adapter, 5, &[adapter]);
        op(&mut fx, adapter, 6, &[adapter, 0, 4]);

        // A scatter/gather list of the MDL: its elements cover the bytes asked for.
        assert_eq!(op(&mut fx, adapter, 10, &[adapter, device, mdl, start + 0x800, 0x1800, exec, 7, 1]), 0);
        let list = fx.read_ptr(log + 24);
        let elements = fx.k.mem().read_u32(list).unwrap() as u64;
        let (first, size) = if ps == 8 { (16, 24) } else { (8, 16) };
        let total: u64 = (0..elements).map(|i| fx.k.mem().read_u32(list + first + i * size + 8).unwrap() as u64).sum();
        assert_eq!(total, 0x1800, "{arch:?}");
        assert_eq!(fx.k.mem().read_u64(list + first).unwrap(), expected, "{arch:?}");
        // More than the MDL holds.
        assert_eq!(op(&mut fx, adapter, 10, &[adapter, device, mdl, start + 0x800, 0x2000, exec, 7, 1]), 0xC000_0023);
        op(&mut fx, adapter, 11, &[adapter, list, 1]);
        ok(&mut fx, "IoFreeMdl", &[mdl]);
        op(&mut fx, adapter, 0, &[adapter]);
        assert!(fx.k.ext().hal.dma.adapters.is_empty(), "{arch:?}: put back");

        // System DMA (not a bus master): no adapter.
        let slave = description(&mut fx, false, 0x1000);
        assert_eq!(ok(&mut fx, "IoGetDmaAdapter", &[0, slave, count]), 0, "{arch:?}");
        ok(&mut fx, "IoDeleteDevice", &[device]);
    }
}
