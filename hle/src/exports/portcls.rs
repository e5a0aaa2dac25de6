//! portcls.sys: the audio port class driver (see ntoskrnl.rs for the form of a line; the
//! routines are in `crate::portcls`).

use crate::exports::{Dll, ExportDef};
use crate::portcls;
use crate::types::*;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Portcls,
    data: [],
    functions:
    stdcall fn PcInitializeAdapterDriver(DriverObject: Ptr, RegistryPathName: Ptr, AddDevice: Ptr) -> NtStatus = portcls::PcInitializeAdapterDriver;
    stdcall fn PcAddAdapterDevice(DriverObject: Ptr, PhysicalDeviceObject: Ptr, StartDevice: Ptr, MaxObjects: u32, DeviceExtensionSize: u32) -> NtStatus = portcls::PcAddAdapterDevice;
    stdcall fn PcDispatchIrp(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = portcls::PcDispatchIrp;
    stdcall fn PcNewPort(OutPort: Ptr, ClassId: Ptr) -> NtStatus = portcls::PcNewPort;
    stdcall fn PcNewServiceGroup(OutServiceGroup: Ptr, OuterUnknown: Ptr) -> NtStatus = portcls::PcNewServiceGroup;
    stdcall fn PcRegisterSubdevice(DeviceObject: Ptr, Name: PCWSTR, Unknown: Ptr) -> NtStatus = portcls::PcRegisterSubdevice;
    stdcall fn PcRegisterPhysicalConnection(DeviceObject: Ptr, FromUnknown: Ptr, FromPin: u32, ToUnknown: Ptr, ToPin: u32) -> NtStatus = portcls::PcRegisterPhysicalConnection;
    stdcall fn PcRegisterAdapterPowerManagement(Unknown: Ptr, pvContext1: Ptr) -> NtStatus = portcls::PcRegisterAdapterPowerManagement;
};
