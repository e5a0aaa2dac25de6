//! Walking USB descriptors in guest memory: a chain of descriptors, each starting with
//! bLength and bDescriptorType, from a start position to the end of the buffer.
//! `USBD_ParseDescriptors`, `USBD_ParseConfigurationDescriptor(Ex)`, `USBD_GetInterfaceLength`.
//!
//! The guest's lengths are followed as Windows follows them; a descriptor of length 0 ends a
//! walk (it would never advance), and reads go through a window of guest memory so that a
//! long buffer is read a page group at a time, never byte by byte.

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, USB_CONFIGURATION_DESCRIPTOR, USB_INTERFACE_DESCRIPTOR};
use crate::types::Ptr;

/// bDescriptorType of an interface descriptor.
pub const USB_INTERFACE_DESCRIPTOR_TYPE: u8 = 4;
/// Bytes the walker reads at once.
const WINDOW: u64 = 0x10000;

/// Reads the descriptors of [start, end) through a window of guest memory.
struct Walker {
    end: u64,
    at: u64,
    bytes: Vec<u8>,
}

impl Walker {
    fn new(end: u64) -> Walker {
        Walker { end, at: 0, bytes: Vec::new() }
    }

    /// (bLength, bDescriptorType) of the descriptor at `p`, if its two header bytes lie
    /// before the end.
    fn header(&mut self, k: &Kx, p: u64) -> KResult<Option<(u8, u8)>> {
        if p.checked_add(2).is_none_or(|e| e > self.end) {
            return Ok(None);
        }
        if p < self.at || p + 2 > self.at + self.bytes.len() as u64 {
            let len = (self.end - p).min(WINDOW);
            let mut bytes = vec![0u8; len as usize];
            k.mem().read(p, &mut bytes)?;
            self.at = p;
            self.bytes = bytes;
        }
        let i = (p - self.at) as usize;
        Ok(Some((self.bytes[i], self.bytes[i + 1])))
    }
}

/// The first descriptor of `kind` at or after `start` inside [buffer, buffer + length).
pub fn find(k: &Kx, buffer: u64, length: u64, start: u64, kind: u8) -> KResult<Option<u64>> {
    let end = buffer.saturating_add(length);
    if start < buffer {
        return Ok(None);
    }
    let mut w = Walker::new(end);
    let mut p = start;
    while let Some((len, ty)) = w.header(k, p)? {
        if len == 0 {
            break;
        }
        if ty == kind {
            return Ok(Some(p));
        }
        p += len as u64;
    }
    Ok(None)
}

/// PUSB_COMMON_DESCRIPTOR USBD_ParseDescriptors(PVOID DescriptorBuffer, ULONG TotalLength,
/// PVOID StartPosition, LONG DescriptorType): the first descriptor of that type from the
/// start position within the buffer, or NULL.
pub fn USBD_ParseDescriptors(k: &mut Kx, buffer: Ptr, total: u32, start: Ptr, kind: i32) -> KResult<Ptr> {
    if !(0..=0xFF).contains(&kind) {
        return Ok(Ptr(0));
    }
    Ok(Ptr(find(k, buffer.0, total as u64, start.0, kind as u8)?.unwrap_or(0)))
}

/// PUSB_INTERFACE_DESCRIPTOR USBD_ParseConfigurationDescriptorEx(PUSB_CONFIGURATION_DESCRIPTOR
/// ConfigurationDescriptor, PVOID StartPosition, LONG InterfaceNumber, LONG AlternateSetting,
/// LONG InterfaceClass, LONG InterfaceSubClass, LONG InterfaceProtocol): the first interface
/// descriptor from the start position, within the configuration's wTotalLength, that
/// matches every criterion not -1; NULL if none does.
#[allow(clippy::too_many_arguments)]
pub fn USBD_ParseConfigurationDescriptorEx(
    k: &mut Kx,
    config: Ptr,
    start: Ptr,
    number: i32,
    alternate: i32,
    class: i32,
    subclass: i32,
    protocol: i32,
) -> KResult<Ptr> {
    let total = k.mem().get(config.0, USB_CONFIGURATION_DESCRIPTOR::wTotalLength)?;
    let wanted = [
        (USB_INTERFACE_DESCRIPTOR::bInterfaceNumber, number),
        (USB_INTERFACE_DESCRIPTOR::bAlternateSetting, alternate),
        (USB_INTERFACE_DESCRIPTOR::bInterfaceClass, class),
        (USB_INTERFACE_DESCRIPTOR::bInterfaceSubClass, subclass),
        (USB_INTERFACE_DESCRIPTOR::bInterfaceProtocol, protocol),
    ];
    let mut p = start.0;
    while let Some(d) = find(k, config.0, total, p, USB_INTERFACE_DESCRIPTOR_TYPE)? {
        let mut matches = true;
        for (field, want) in wanted {
            if want != -1 && k.mem().get(d, field)? != want as u32 as u64 {
                matches = false;
            }
        }
        if matches {
            return Ok(Ptr(d));
        }
        // find() stops at a zero length, so an interface descriptor has one.
        p = d + k.mem().get(d, USB_INTERFACE_DESCRIPTOR::bLength)?;
    }
    Ok(Ptr(0))
}

/// PUSB_INTERFACE_DESCRIPTOR USBD_ParseConfigurationDescriptor(PUSB_CONFIGURATION_DESCRIPTOR
/// ConfigurationDescriptor, UCHAR InterfaceNumber, UCHAR AlternateSetting): the Ex form from
/// the start of the configuration, any class.
pub fn USBD_ParseConfigurationDescriptor(k: &mut Kx, config: Ptr, number: u8, alternate: u8) -> KResult<Ptr> {
    USBD_ParseConfigurationDescriptorEx(k, config, config, number as i32, alternate as i32, -1, -1, -1)
}

/// ULONG USBD_GetInterfaceLength(PUSB_INTERFACE_DESCRIPTOR InterfaceDescriptor,
/// PUCHAR BufferEnd): the bytes of an interface descriptor and the descriptors that follow
/// it (endpoints, class descriptors) up to the next interface descriptor or the buffer's end.
pub fn USBD_GetInterfaceLength(k: &mut Kx, interface: Ptr, end: Ptr) -> KResult<u32> {
    let mut w = Walker::new(end.0);
    let mut p = interface.0;
    let mut length: u64 = 0;
    let mut first = true;
    while let Some((len, ty)) = w.header(k, p)? {
        if len == 0 || (ty == USB_INTERFACE_DESCRIPTOR_TYPE && !first) {
            break;
        }
        first = false;
        length += len as u64;
        p += len as u64;
    }
    Ok(length as u32)
}
