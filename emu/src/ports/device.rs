//! What a device on the port bus implements.

use serde::Serialize;

use super::context::BusContext;

/// Width of one port access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Width {
    #[serde(rename = "1")]
    Byte = 1,
    #[serde(rename = "2")]
    Word = 2,
    #[serde(rename = "4")]
    Dword = 4,
}

impl Width {
    #[inline]
    pub fn bytes(self) -> u16 {
        self as u16
    }

    #[inline]
    pub fn from_bytes(n: usize) -> Option<Width> {
        match n {
            1 => Some(Width::Byte),
            2 => Some(Width::Word),
            4 => Some(Width::Dword),
            _ => None,
        }
    }

    /// All-ones for this width: what a read with nobody answering returns.
    #[inline]
    pub fn all_ones(self) -> u32 {
        match self {
            Width::Byte => 0xFF,
            Width::Word => 0xFFFF,
            Width::Dword => 0xFFFF_FFFF,
        }
    }

    /// The next narrower width, if any.
    pub fn narrower(self) -> Option<Width> {
        match self {
            Width::Dword => Some(Width::Word),
            Width::Word => Some(Width::Byte),
            Width::Byte => None,
        }
    }
}

/// The set of access widths a device implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widths(u8);

impl Widths {
    pub const BYTE: Widths = Widths(1);
    pub const WORD: Widths = Widths(2);
    pub const DWORD: Widths = Widths(4);
    pub const ALL: Widths = Widths(7);
    pub const BYTE_WORD: Widths = Widths(3);

    #[inline]
    pub fn contains(self, w: Width) -> bool {
        self.0 & (w as u8) != 0
    }
}

/// A device model attached to a range of I/O ports.
///
/// The device sees the offset of the access from the start of its range, never the absolute
/// port, so one model can be placed anywhere. Accesses arrive only in widths the device lists
/// in [`PortDevice::widths`]; the bus splits or answers the others (see `bus.rs`). The
/// context gives the virtual time, the device's interrupt lines and its timer: a device that
/// schedules a callback has [`PortDevice::timer`] run once the clock reaches it.
pub trait PortDevice {
    /// A short name for traces and reports ("pit", "uart", ...).
    fn name(&self) -> &str;

    /// Widths this device implements; the default is all three.
    fn widths(&self) -> Widths {
        Widths::ALL
    }

    /// A read of `width` at `offset`; the value occupies the low `width` bytes.
    fn read(&mut self, offset: u16, width: Width, ctx: &mut BusContext) -> u32;

    /// A write of `width` at `offset`; only the low `width` bytes of `value` are meaningful.
    fn write(&mut self, offset: u16, width: Width, value: u32, ctx: &mut BusContext);

    /// The callback the device scheduled with [`BusContext::schedule_at`] is due.
    fn timer(&mut self, _ctx: &mut BusContext) {}
}
