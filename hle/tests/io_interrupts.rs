//! Interrupt objects: IoConnectInterrupt, KeSynchronizeExecution, IoDisconnectInterrupt, and
//! a PIT channel 0 interrupt delivered to a connected service routine while time passes.
#[allow(unused_imports)]
mod common;
use common::fx::Fx;
use common::*;
use portcullis_emu::ports::Width;
use portcullis_emu::{Arch, Prot, RegionKind};
use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;
const HAL: Dll = Dll::Hal;

/// A service routine (and synchronize routine) that increments the ULONG its context
/// points at and returns TRUE.
fn counting_routine(fx: &mut Fx, args: usize) -> u64 {
    let code: Vec<u8> = match fx.arch {
        // mov eax, [esp + 4 * args]; inc dword [eax]; mov al, 1; ret 4 * args
        Arch::X86 => vec![0x8B, 0x44, 0x24, 4 * args as u8, 0xFF, 0x00, 0xB0, 0x01, 0xC2, 4 * args as u8, 0x00],
        // inc dword [rdx or rcx]; mov al, 1; ret
        Arch::X64 => vec![0xFF, if args == 2 { 0x02 } else { 0x01 }, 0xB0, 0x01, 0xC3],
    };
    let at = fx.k.mem_mut().alloc(RegionKind::Image, "routine", 0x1000, Prot::RX).unwrap();
    fx.k.mem_mut().write_unchecked(at, &code).unwrap();
    at
}

fn machine(fx: &mut Fx) -> portcullis_devices::Devices {
    let mut d = portcullis_devices::Devices::default();
    d.install_defaults(&mut fx.k.guest_mut().ports, &Default::default());
    d
}

#[test]
fn pit_ticks_reach_a_connected_service_routine_until_it_is_disconnected() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let devices = machine(&mut fx);
        let irql = fx.alloc(1);
        let affinity = fx.alloc(8);
        let vector = fx.call(HAL, "HalGetInterruptVector", &[1, 0, 0, 0, irql, affinity]).unwrap() as u32;
        let level = fx.k.mem().read_u8(irql).unwrap() as u64;
        let isr = counting_routine(&mut fx, 2);
        let counter = fx.alloc(4);
        let object = fx.alloc(8);
        let args = [object, isr, counter, 0, vector as u64, level, level, 1, 0, 1, 0];
        assert_eq!(fx.call(NT, "IoConnectInterrupt", &args).unwrap() as u32, 0, "{arch:?}");
        assert_eq!(devices.pic.as_ref().unwrap().get().mask() & 1, 0, "IRQ 0 unmasked");
        // Channel 0 at 1 kHz (mode 2, count 1193).
        for (port, v) in [(0x43u16, 0x34u32), (0x40, 0xA9), (0x40, 0x04)] {
            fx.k.port_io(port, Width::Byte, Some(v), 0).unwrap();
        }
        for _ in 0..100 {
            fx.call(HAL, "KeStallExecutionProcessor", &[50]).unwrap();
        }
        let ticks = fx.k.mem().read_u32(counter).unwrap();
        assert!((4..=6).contains(&ticks), "{arch:?}: {ticks} ticks in 5 ms");
        // KeSynchronizeExecution runs the routine at the object's level.
        let sync = counting_routine(&mut fx, 1);
        let obj = fx.read_ptr(object);
        assert_eq!(fx.call(NT, "KeSynchronizeExecution", &[obj, sync, counter]).unwrap() as u8, 1);
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), ticks + 1);
        fx.call(NT, "IoDisconnectInterrupt", &[obj]).unwrap();
        assert_eq!(devices.pic.as_ref().unwrap().get().mask() & 1, 1, "masked again");
        for _ in 0..100 {
            fx.call(HAL, "KeStallExecutionProcessor", &[50]).unwrap();
        }
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), ticks + 1, "no more ticks");
        // A NULL object faults where Windows reads it (a driver disconnecting an interrupt
        // its start never connected), not in the pool.
        assert!(fx.call(NT, "IoDisconnectInterrupt", &[0]).is_err(), "{arch:?}");
    }
}

#[test]
fn invalid_vectors_and_levels_are_refused() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        machine(&mut fx);
        let isr = counting_routine(&mut fx, 2);
        let object = fx.alloc(8);
        let c = |fx: &mut Fx, vector: u64, irql: u64, sync: u64, share: u64| {
            fx.call(NT, "IoConnectInterrupt", &[object, isr, 0, 0, vector, irql, sync, 1, share, 1, 0]).unwrap() as u32
        };
        assert_eq!(c(&mut fx, 0x10, 5, 5, 0), 0xC000_000D, "not a vector of the machine");
        assert_eq!(c(&mut fx, 0x51, 6, 5, 0), 0xC000_000D, "SynchronizeIrql below Irql");
        assert_eq!(c(&mut fx, 0x51, 5, 5, 0), 0);
        assert_eq!(c(&mut fx, 0x51, 5, 5, 1), 0xC000_000D, "the vector is taken, unshared");
    }
}

#[test]
fn the_ex_routines_connect_fully_specified_interrupts() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let devices = machine(&mut fx);
        let isr = counting_routine(&mut fx, 2);
        let counter = fx.alloc(4);
        let object = fx.alloc(8);
        let p = fx.arch.ptr_size();
        // IO_CONNECT_INTERRUPT_PARAMETERS, CONNECT_FULLY_SPECIFIED (offsets as the DDK's).
        let params = fx.alloc(0x60);
        let f = |i: u64| params + p * (i + 1);
        let mem = fx.k.mem_mut();
        mem.write_u32(params, 1).unwrap();
        mem.write_ptr(f(1), object).unwrap();
        mem.write_ptr(f(2), isr).unwrap();
        mem.write_ptr(f(3), counter).unwrap();
        mem.write_u8(f(5), 5).unwrap(); // SynchronizeIrql
        mem.write_u32(f(5) + 4, 0x52).unwrap(); // Vector: IRQ 0
        mem.write_u8(f(5) + 8, 5).unwrap(); // Irql
        mem.write_u32(f(5) + 12, 1).unwrap(); // Latched
        mem.write_u32(f(5) + 16, 1).unwrap(); // ProcessorEnableMask
        assert_eq!(fx.call(NT, "IoConnectInterruptEx", &[params]).unwrap() as u32, 0, "{arch:?}");
        for (port, v) in [(0x43u16, 0x34u32), (0x40, 0xA9), (0x40, 0x04)] {
            fx.k.port_io(port, Width::Byte, Some(v), 0).unwrap();
        }
        for _ in 0..50 {
            fx.call(HAL, "KeStallExecutionProcessor", &[50]).unwrap();
        }
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), 2, "2.5 ms at 1 kHz");
        let disconnect = fx.alloc(16);
        fx.k.mem_mut().write_u32(disconnect, 1).unwrap();
        let obj = fx.read_ptr(object);
        fx.k.mem_mut().write_ptr(disconnect + p, obj).unwrap();
        fx.call(NT, "IoDisconnectInterruptEx", &[disconnect]).unwrap();
        assert_eq!(devices.pic.as_ref().unwrap().get().mask() & 1, 1);
        // Line- and message-based connections need PnP-assigned resources nobody has here.
        fx.k.mem_mut().write_u32(params, 2).unwrap();
        assert_eq!(fx.call(NT, "IoConnectInterruptEx", &[params]).unwrap() as u32, 0xC000_0010);
    }
}

#[test]
fn the_interrupt_spin_lock_holds_interrupts_back_until_it_is_released() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        machine(&mut fx);
        let irql = fx.alloc(1);
        let affinity = fx.alloc(8);
        let vector = fx.call(HAL, "HalGetInterruptVector", &[1, 0, 0, 0, irql, affinity]).unwrap() as u32;
        let level = fx.k.mem().read_u8(irql).unwrap() as u64;
        let isr = counting_routine(&mut fx, 2);
        let counter = fx.alloc(4);
        let object = fx.alloc(8);
        // The driver's own spin lock this time.
        let lock = fx.alloc(8);
        let args = [object, isr, counter, lock, vector as u64, level, level, 1, 0, 1, 0];
        assert_eq!(fx.call(NT, "IoConnectInterrupt", &args).unwrap() as u32, 0, "{arch:?}");
        let obj = fx.read_ptr(object);
        let old = fx.call(NT, "KeAcquireInterruptSpinLock", &[obj]).unwrap() as u8;
        assert_eq!(old, 0, "{arch:?}: acquired from PASSIVE_LEVEL");
        let irql_dll = if arch == Arch::X86 { HAL } else { NT };
        assert_eq!(fx.call(irql_dll, "KeGetCurrentIrql", &[]).unwrap() as u8 as u64, level, "at the object's level");
        assert_ne!(fx.read_ptr(lock), 0, "the driver's lock is held");
        for (port, v) in [(0x43u16, 0x34u32), (0x40, 0xA9), (0x40, 0x04)] {
            fx.k.port_io(port, Width::Byte, Some(v), 0).unwrap();
        }
        for _ in 0..100 {
            fx.call(HAL, "KeStallExecutionProcessor", &[50]).unwrap();
        }
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), 0, "{arch:?}: no interrupt while the lock is held");
        // Releasing lowers the IRQL: the held-back request is taken then.
        fx.call(NT, "KeReleaseInterruptSpinLock", &[obj, 0]).unwrap();
        assert_eq!(fx.read_ptr(lock), 0);
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), 1, "{arch:?}: the pending tick, once");
        // Releasing it again is SPIN_LOCK_NOT_OWNED.
        assert!(fx.call(NT, "KeReleaseInterruptSpinLock", &[obj, 0]).is_err());
    }
}

/// A memory-mapped controller (the HD Audio model, on IRQ 5) raises its line on a register
/// write; a wait that begins with the request pending takes it before time passes.
#[test]
fn a_memory_mapped_device_interrupt_is_taken_by_the_next_wait() {
    use portcullis_devices::hda::{Codec, HdAudio, BAR_SIZE};
    for arch in both() {
        let mut fx = Fx::new(arch);
        let devices = machine(&mut fx);
        let hda = HdAudio::new("hda", Codec::default()).with_irq(5);
        fx.k.mem_mut().physical_mut().add_device(0xFEB0_0000, BAR_SIZE, Box::new(hda)).unwrap();
        let irql = fx.alloc(1);
        let affinity = fx.alloc(8);
        let vector = fx.call(HAL, "HalGetInterruptVector", &[1, 0, 5, 5, irql, affinity]).unwrap() as u32;
        let level = fx.k.mem().read_u8(irql).unwrap() as u64;
        let isr = counting_routine(&mut fx, 2);
        let counter = fx.alloc(4);
        let object = fx.alloc(8);
        let args = [object, isr, counter, 0, vector as u64, level, level, 0, 1, 1, 0];
        assert_eq!(fx.call(NT, "IoConnectInterrupt", &args).unwrap() as u32, 0, "{arch:?}");
        assert_eq!(devices.pic.as_ref().unwrap().get().mask() & (1 << 5), 0, "IRQ 5 unmasked");
        // Codec 0's status change (STATESTS bit 0) with its wake enable and INTCTL's global
        // and controller enables: the line rises.
        fx.k.mmio_io(0xFEB0_0020, Width::Dword, Some(0xC000_0000), 0).unwrap();
        fx.k.mmio_io(0xFEB0_000C, Width::Word, Some(1), 0).unwrap();
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), 0, "not taken inside the access");
        let event = fx.alloc(0x20);
        fx.call(NT, "KeInitializeEvent", &[event, 0, 0]).unwrap();
        let timeout = fx.alloc(8);
        fx.k.mem_mut().write_u64(timeout, (-10_000i64) as u64).unwrap(); // 1 ms
        assert_eq!(fx.call(NT, "KeWaitForSingleObject", &[event, 0, 0, 0, timeout]).unwrap() as u32, 0x102);
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), 1, "{arch:?}: taken once (the line stays high)");
        // Clearing the cause lowers the line; a controller reset (which clears INTCTL) brings
        // the codec's status change back, and enabling it again raises the line again.
        fx.k.mmio_io(0xFEB0_000E, Width::Word, Some(1), 0).unwrap();
        fx.k.mmio_io(0xFEB0_0008, Width::Dword, Some(0), 0).unwrap();
        fx.k.mmio_io(0xFEB0_0008, Width::Dword, Some(1), 0).unwrap();
        fx.k.mmio_io(0xFEB0_0020, Width::Dword, Some(0xC000_0000), 0).unwrap();
        assert_eq!(fx.call(NT, "KeWaitForSingleObject", &[event, 0, 0, 0, timeout]).unwrap() as u32, 0x102);
        assert_eq!(fx.k.mem().read_u32(counter).unwrap(), 2, "{arch:?}");
    }
}
