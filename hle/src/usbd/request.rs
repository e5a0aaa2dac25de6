//! `USBD_CreateConfigurationRequestEx`: the URB_FUNCTION_SELECT_CONFIGURATION request for a
//! configuration and the interfaces a driver chose, in nonpaged pool the driver frees.
//!
//! The URB is a _URB_SELECT_CONFIGURATION whose USBD_INTERFACE_INFORMATION array holds one
//! entry per chosen interface, each sized for its endpoints
//! (GET_USBD_INTERFACE_SIZE: the structure with its one pipe, plus a USBD_PIPE_INFORMATION
//! per further endpoint, minus the one for none). The routine fills what the caller's request
//! says (header, the configuration, each interface's number, alternate setting and pipe
//! count, each pipe's default maximum transfer size) and points every list entry's Interface
//! at its information; the bus driver fills the rest (handles, classes, pipe details) when the
//! request is sent.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{
    FieldAccess, URB_HEADER, URB_SELECT_CONFIGURATION, USBD_INTERFACE_INFORMATION, USBD_INTERFACE_LIST_ENTRY,
    USBD_PIPE_INFORMATION, USB_INTERFACE_DESCRIPTOR,
};
use crate::types::Ptr;

/// URB_FUNCTION_SELECT_CONFIGURATION.
pub const URB_FUNCTION_SELECT_CONFIGURATION: u64 = 0;
/// USBD_DEFAULT_MAXIMUM_TRANSFER_SIZE (usb.h).
const DEFAULT_MAXIMUM_TRANSFER_SIZE: u64 = 0xFFFF_FFFF;
/// The pool tag usbd.sys allocates with ('USBD' in memory).
const TAG: &[u8; 4] = b"USBD";
/// More list entries than any configuration has interfaces and alternate settings (the
/// list must end with a NULL descriptor; one that does not, within this, is refused).
const MAX_INTERFACES: u64 = 0x1000;

/// Bytes of one interface's information with `pipes` endpoints.
fn interface_size(k: &Kx, pipes: u64) -> u64 {
    let arch = k.arch();
    let pipe = USBD_PIPE_INFORMATION::STRUCT.size(arch);
    USBD_INTERFACE_INFORMATION::STRUCT.size(arch) + pipe * pipes - pipe
}

/// PURB USBD_CreateConfigurationRequestEx(PUSB_CONFIGURATION_DESCRIPTOR ConfigurationDescriptor,
/// PUSBD_INTERFACE_LIST_ENTRY InterfaceList): the select-configuration URB for the interfaces
/// of the list (up to the entry whose InterfaceDescriptor is NULL), or NULL when it cannot be
/// allocated (or the list never ends).
pub fn USBD_CreateConfigurationRequestEx(k: &mut Kx, config: Ptr, list: Ptr) -> KResult<Ptr> {
    let arch = k.arch();
    let entry = USBD_INTERFACE_LIST_ENTRY::STRUCT.size(arch);
    let mut interfaces = Vec::new();
    loop {
        if interfaces.len() as u64 == MAX_INTERFACES {
            return Ok(Ptr(0));
        }
        let at = list.0 + interfaces.len() as u64 * entry;
        let d = k.mem().get(at, USBD_INTERFACE_LIST_ENTRY::InterfaceDescriptor)?;
        if d == 0 {
            break;
        }
        let m = k.mem();
        let number = m.get(d, USB_INTERFACE_DESCRIPTOR::bInterfaceNumber)?;
        let alternate = m.get(d, USB_INTERFACE_DESCRIPTOR::bAlternateSetting)?;
        let pipes = m.get(d, USB_INTERFACE_DESCRIPTOR::bNumEndpoints)?;
        interfaces.push((at, number, alternate, pipes));
    }
    let first = URB_SELECT_CONFIGURATION::Interface.offset(arch);
    let size = first + interfaces.iter().map(|i| interface_size(k, i.3)).sum::<u64>();
    // Without interfaces the URB still holds the structure (it deconfigures nothing: a
    // NULL configuration is how a driver asks for that).
    let size = size.max(URB_SELECT_CONFIGURATION::STRUCT.size(arch));
    let pool = crate::ex::pool::NON_PAGED_POOL;
    let Some(urb) = crate::ex::pool::allocate_for_caller(k, pool, size, u32::from_le_bytes(*TAG))? else {
        return Ok(Ptr(0));
    };
    crate::ex::pool::zero(k, urb, size)?;
    let mem = k.mem_mut();
    mem.set(urb, URB_HEADER::Length, size)?;
    mem.set(urb, URB_HEADER::Function, URB_FUNCTION_SELECT_CONFIGURATION)?;
    mem.set(urb, URB_SELECT_CONFIGURATION::ConfigurationDescriptor, config.0)?;
    let mut info = urb + first;
    for (at, number, alternate, pipes) in interfaces {
        let length = interface_size(k, pipes);
        let mem = k.mem_mut();
        mem.set(at, USBD_INTERFACE_LIST_ENTRY::Interface, info)?;
        mem.set(info, USBD_INTERFACE_INFORMATION::Length, length)?;
        mem.set(info, USBD_INTERFACE_INFORMATION::InterfaceNumber, number)?;
        mem.set(info, USBD_INTERFACE_INFORMATION::AlternateSetting, alternate)?;
        mem.set(info, USBD_INTERFACE_INFORMATION::NumberOfPipes, pipes)?;
        let pipe_size = USBD_PIPE_INFORMATION::STRUCT.size(arch);
        for p in 0..pipes {
            let pipe = USBD_INTERFACE_INFORMATION::Pipes.at(arch, info) + p * pipe_size;
            mem.set(pipe, USBD_PIPE_INFORMATION::MaximumTransferSize, DEFAULT_MAXIMUM_TRANSFER_SIZE)?;
        }
        info += length;
    }
    Ok(Ptr(urb))
}
