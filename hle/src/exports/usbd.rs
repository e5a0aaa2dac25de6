//! usbd.sys: the USB driver library (see ntoskrnl.rs for the form of a line; the routines
//! are in `crate::usbd`). x86 usbd.sys also exports two routines under their decorated
//! names, which drivers built against its old import library import.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::usbd;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Usbd,
    data: [],
    functions:
    stdcall fn USBD_GetUSBDIVersion(VersionInformation: Ptr) -> () = usbd::USBD_GetUSBDIVersion;
    stdcall fn USBD_ParseDescriptors(DescriptorBuffer: Ptr, TotalLength: u32, StartPosition: Ptr, DescriptorType: i32) -> Ptr = usbd::descriptors::USBD_ParseDescriptors;
    stdcall fn USBD_ParseConfigurationDescriptor(ConfigurationDescriptor: Ptr, InterfaceNumber: u8, AlternateSetting: u8) -> Ptr = usbd::descriptors::USBD_ParseConfigurationDescriptor;
    stdcall fn USBD_ParseConfigurationDescriptorEx(ConfigurationDescriptor: Ptr, StartPosition: Ptr, InterfaceNumber: i32, AlternateSetting: i32, InterfaceClass: i32, InterfaceSubClass: i32, InterfaceProtocol: i32) -> Ptr = usbd::descriptors::USBD_ParseConfigurationDescriptorEx;
    #[x86] stdcall fn USBD_ParseConfigurationDescriptorEx as "_USBD_ParseConfigurationDescriptorEx@28"(ConfigurationDescriptor: Ptr, StartPosition: Ptr, InterfaceNumber: i32, AlternateSetting: i32, InterfaceClass: i32, InterfaceSubClass: i32, InterfaceProtocol: i32) -> Ptr = usbd::descriptors::USBD_ParseConfigurationDescriptorEx;
    stdcall fn USBD_GetInterfaceLength(InterfaceDescriptor: Ptr, BufferEnd: Ptr) -> u32 = usbd::descriptors::USBD_GetInterfaceLength;
    stdcall fn USBD_CreateConfigurationRequestEx(ConfigurationDescriptor: Ptr, InterfaceList: Ptr) -> Ptr = usbd::request::USBD_CreateConfigurationRequestEx;
    #[x86] stdcall fn USBD_CreateConfigurationRequestEx as "_USBD_CreateConfigurationRequestEx@8"(ConfigurationDescriptor: Ptr, InterfaceList: Ptr) -> Ptr = usbd::request::USBD_CreateConfigurationRequestEx;
};
