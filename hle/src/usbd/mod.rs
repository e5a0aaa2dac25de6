//! usbd.sys: the USB driver library's routines that USB client drivers still link since
//! Windows XP (the rest of usbd.sys became stubs there). Every one is a pure function over
//! descriptors and URBs in the caller's memory: walking a configuration descriptor
//! ([`descriptors`]), building the select-configuration URB for chosen interfaces
//! ([`request`]), and the USBDI version.
#![allow(non_snake_case)]

pub mod descriptors;
pub mod request;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, USBD_VERSION_INFORMATION};
use crate::types::Ptr;

/// USBDI_VERSION of Windows 7's usb.h: USBDI 6.0.
const USBDI_VERSION: u64 = 0x600;
/// The USB specification the bus supports, in BCD: USB 2.0 (Windows 7 has no inbox USB 3.0
/// stack).
const SUPPORTED_USB_VERSION: u64 = 0x200;

/// VOID USBD_GetUSBDIVersion(PUSBD_VERSION_INFORMATION VersionInformation): the USBDI
/// interface version and the highest USB version supported (Windows 7's). A NULL pointer is
/// allowed and ignored, as usbd.sys does.
pub fn USBD_GetUSBDIVersion(k: &mut Kx, info: Ptr) -> KResult<()> {
    if info.is_null() {
        return Ok(());
    }
    let mem = k.mem_mut();
    mem.set(info.0, USBD_VERSION_INFORMATION::USBDI_Version, USBDI_VERSION)?;
    mem.set(info.0, USBD_VERSION_INFORMATION::Supported_USB_Version, SUPPORTED_USB_VERSION)?;
    Ok(())
}
