//! hal.dll: every export the kernel implements, one line each (see ntoskrnl.rs for the form).

use crate::exports::{Dll, ExportDef};
use crate::hal::{beep, bus, firmware, ports, resources, translate};
use crate::types::*;
use crate::{ex, ke};

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Hal,
    data: [],
    functions:
    stdcall fn READ_PORT_UCHAR(Port: Ptr) -> u8 = ports::READ_PORT_UCHAR;
    stdcall fn READ_PORT_USHORT(Port: Ptr) -> u16 = ports::READ_PORT_USHORT;
    stdcall fn READ_PORT_ULONG(Port: Ptr) -> u32 = ports::READ_PORT_ULONG;
    stdcall fn WRITE_PORT_UCHAR(Port: Ptr, Value: u8) -> () = ports::WRITE_PORT_UCHAR;
    stdcall fn WRITE_PORT_USHORT(Port: Ptr, Value: u16) -> () = ports::WRITE_PORT_USHORT;
    stdcall fn WRITE_PORT_ULONG(Port: Ptr, Value: u32) -> () = ports::WRITE_PORT_ULONG;
    stdcall fn READ_PORT_BUFFER_UCHAR(Port: Ptr, Buffer: Ptr, Count: u32) -> () = ports::READ_PORT_BUFFER_UCHAR;
    stdcall fn READ_PORT_BUFFER_USHORT(Port: Ptr, Buffer: Ptr, Count: u32) -> () = ports::READ_PORT_BUFFER_USHORT;
    stdcall fn READ_PORT_BUFFER_ULONG(Port: Ptr, Buffer: Ptr, Count: u32) -> () = ports::READ_PORT_BUFFER_ULONG;
    stdcall fn WRITE_PORT_BUFFER_UCHAR(Port: Ptr, Buffer: Ptr, Count: u32) -> () = ports::WRITE_PORT_BUFFER_UCHAR;
    stdcall fn WRITE_PORT_BUFFER_USHORT(Port: Ptr, Buffer: Ptr, Count: u32) -> () = ports::WRITE_PORT_BUFFER_USHORT;
    stdcall fn WRITE_PORT_BUFFER_ULONG(Port: Ptr, Buffer: Ptr, Count: u32) -> () = ports::WRITE_PORT_BUFFER_ULONG;
    stdcall fn KeStallExecutionProcessor(MicroSeconds: u32) -> () = ke::stall::KeStallExecutionProcessor;
    stdcall fn HalReturnToFirmware(Routine: u32) -> () = firmware::HalReturnToFirmware;
    #[x86] stdcall fn KeGetCurrentIrql() -> u8 = ke::irql::KeGetCurrentIrql;
    #[x86] fastcall fn KfRaiseIrql(NewIrql: u8) -> u8 = ke::irql::KfRaiseIrql;
    #[x86] fastcall fn KfLowerIrql(NewIrql: u8) -> () = ke::irql::KfLowerIrql;
    #[x86] stdcall fn KeRaiseIrqlToDpcLevel() -> u8 = ke::irql::KeRaiseIrqlToDpcLevel;
    #[x86] stdcall fn KeRaiseIrqlToSynchLevel() -> u8 = ke::irql::KeRaiseIrqlToSynchLevel;
    #[x86] stdcall fn KeLowerIrql(NewIrql: u8) -> () = ke::irql::KeLowerIrql;
    #[x86] stdcall fn KeRaiseIrql(NewIrql: u8, OldIrql: Ptr) -> () = ke::irql::KeRaiseIrql;
    #[x86] fastcall fn KfAcquireSpinLock(SpinLock: Ptr) -> u8 = ke::spinlock::KfAcquireSpinLock;
    #[x86] fastcall fn KfReleaseSpinLock(SpinLock: Ptr, NewIrql: u8) -> () = ke::spinlock::KfReleaseSpinLock;
    #[x86] stdcall fn KeAcquireSpinLock(SpinLock: Ptr, OldIrql: Ptr) -> () = ke::spinlock::KeAcquireSpinLock;
    #[x86] stdcall fn KeReleaseSpinLock(SpinLock: Ptr, NewIrql: u8) -> () = ke::spinlock::KeReleaseSpinLock;
    #[x86] fastcall fn KeAcquireSpinLockRaiseToSynch(SpinLock: Ptr) -> u8 = ke::spinlock::KeAcquireSpinLockRaiseToSynch;
    #[x86] fastcall fn KeAcquireInStackQueuedSpinLock(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLock;
    #[x86] fastcall fn KeReleaseInStackQueuedSpinLock(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLock;
    #[x86] fastcall fn ExAcquireFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutex;
    #[x86] fastcall fn ExReleaseFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutex;
    #[x86] fastcall fn ExTryToAcquireFastMutex(FastMutex: Ptr) -> Boolean = ex::fast_mutex::ExTryToAcquireFastMutex;
    stdcall fn KeQueryPerformanceCounter(PerformanceFrequency: Ptr) -> u64 = ke::time::KeQueryPerformanceCounter;
    // Bus data, translation, resources, the speaker (hal/bus.rs, translate.rs, resources.rs, beep.rs).
    stdcall fn HalGetBusData(BusDataType: u32, BusNumber: u32, SlotNumber: u32, Buffer: Ptr, Length: u32) -> u32 = bus::HalGetBusData;
    stdcall fn HalGetBusDataByOffset(BusDataType: u32, BusNumber: u32, SlotNumber: u32, Buffer: Ptr, Offset: u32, Length: u32) -> u32 = bus::HalGetBusDataByOffset;
    stdcall fn HalSetBusData(BusDataType: u32, BusNumber: u32, SlotNumber: u32, Buffer: Ptr, Length: u32) -> u32 = bus::HalSetBusData;
    stdcall fn HalSetBusDataByOffset(BusDataType: u32, BusNumber: u32, SlotNumber: u32, Buffer: Ptr, Offset: u32, Length: u32) -> u32 = bus::HalSetBusDataByOffset;
    stdcall fn HalTranslateBusAddress(InterfaceType: u32, BusNumber: u32, BusAddress: u64, AddressSpace: Ptr, TranslatedAddress: Ptr) -> Boolean = translate::HalTranslateBusAddress;
    stdcall fn HalGetInterruptVector(InterfaceType: u32, BusNumber: u32, BusInterruptLevel: u32, BusInterruptVector: u32, Irql: Ptr, Affinity: Ptr) -> u32 = translate::HalGetInterruptVector;
    stdcall fn HalAssignSlotResources(RegistryPath: PUnicodeString, DriverClassName: PUnicodeString, DriverObject: Ptr, DeviceObject: Ptr, BusType: u32, BusNumber: u32, SlotNumber: u32, AllocatedResources: Ptr) -> NtStatus = resources::HalAssignSlotResources;
    stdcall fn HalMakeBeep(Frequency: u32) -> Boolean = beep::HalMakeBeep;
};
