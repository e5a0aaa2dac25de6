//! Reading an export's arguments, and showing them in the trace.

use portcullis_emu::{Arch, CallConv, GuestMemory, MemError, Reg};
use serde::Serialize;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, ANSI_STRING, UNICODE_STRING};
use crate::types::{Arg, ArgKind};

/// The argument slots of one call, read in order.
pub struct CallArgs {
    pub conv: CallConv,
    pub arch: Arch,
    next: usize,
    /// Slots are EAX, EDX, ECX rather than the convention's (`#[regs]` lines).
    in_registers: bool,
}

/// The slots of a register-based helper, in order.
const REGISTER_SLOTS: [Reg; 3] = [Reg::Ax, Reg::Dx, Reg::Cx];

impl CallArgs {
    pub fn new(conv: CallConv, arch: Arch) -> CallArgs {
        CallArgs { conv, arch, next: 0, in_registers: false }
    }

    /// The arguments of a register-based helper: EAX, EDX, ECX (a 64-bit value in EDX:EAX).
    pub fn registers(arch: Arch) -> CallArgs {
        CallArgs { conv: CallConv::Cdecl.for_arch(arch), arch, next: 0, in_registers: true }
    }

    /// The next raw slot.
    pub fn slot(&mut self, k: &Kx) -> Result<u64, MemError> {
        let v = if self.in_registers {
            REGISTER_SLOTS.get(self.next).map_or(0, |r| k.reg(*r))
        } else {
            k.arg(self.conv, self.next)?
        };
        self.next += 1;
        Ok(self.arch.mask(v))
    }

    /// The next argument, taking two slots on x86 when it is a 64-bit value.
    pub fn next<T: Arg>(&mut self, k: &Kx) -> KResult<T> {
        let raw = if T::WIDE && self.arch == Arch::X86 {
            let lo = self.slot(k)?;
            let hi = self.slot(k)?;
            lo | hi << 32
        } else {
            self.slot(k)?
        };
        Ok(T::from_raw(raw, self.arch))
    }
}

/// An argument as the trace shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ArgValue {
    Int(u64),
    Signed(i64),
    Bool(bool),
    /// Hex-formatted pointers, handles, codes and statuses ("0xfffff80100001000").
    Hex(String),
    /// A decoded string (or "(null)", or "<unreadable 0x...>").
    Text(String),
}

fn hex(v: u64) -> ArgValue {
    ArgValue::Hex(format!("{v:#x}"))
}

const MAX_TRACE_STRING: usize = 512;

/// Decodes raw slot values for the trace. String arguments are read now, before the call
/// can change them; a pointer that cannot be read is shown as such, never an error.
pub fn decode_args(mem: &GuestMemory, params: &[(ArgKind, u64)]) -> Vec<ArgValue> {
    params.iter().map(|&(kind, raw)| decode(mem, kind, raw)).collect()
}

pub(crate) fn decode(mem: &GuestMemory, kind: ArgKind, raw: u64) -> ArgValue {
    match kind {
        // A narrow argument is what the routine sees: the low bits of its slot. On x64 the rest
        // of a stack slot is whatever the caller left there (`mov [rsp+20h], edx`).
        ArgKind::U8 => ArgValue::Int(raw as u8 as u64),
        ArgKind::U16 => ArgValue::Int(raw as u16 as u64),
        ArgKind::U32 => ArgValue::Int(raw as u32 as u64),
        ArgKind::U64 | ArgKind::Size => ArgValue::Int(raw),
        ArgKind::I32 => ArgValue::Signed(raw as u32 as i32 as i64),
        ArgKind::I64 => ArgValue::Signed(raw as i64),
        ArgKind::Bool => ArgValue::Bool(raw as u8 != 0),
        ArgKind::Ptr | ArgKind::Handle => hex(raw),
        ArgKind::Code => hex(raw as u32 as u64),
        ArgKind::Status => ArgValue::Hex(format!("{:#010x}", raw as u32)),
        ArgKind::Tag => ArgValue::Text(tag_text(raw as u32)),
        ArgKind::UnicodeString => ArgValue::Text(counted_string(mem, raw, true)),
        ArgKind::AnsiString => ArgValue::Text(counted_string(mem, raw, false)),
        ArgKind::WStr => ArgValue::Text(if raw == 0 {
            "(null)".into()
        } else {
            match crate::rtl::string::read_wstr(mem, raw, MAX_TRACE_STRING) {
                Ok(w) => String::from_utf16_lossy(&w),
                Err(_) => format!("<unreadable {raw:#x}>"),
            }
        }),
        ArgKind::CStr => ArgValue::Text(if raw == 0 {
            "(null)".into()
        } else {
            match crate::rtl::string::read_cstr(mem, raw, MAX_TRACE_STRING) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(_) => format!("<unreadable {raw:#x}>"),
            }
        }),
    }
}

/// A pool tag as its four characters (tags are stored little-endian: 'kaeL' reads "Leak").
pub fn tag_text(tag: u32) -> String {
    tag.to_le_bytes().iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect()
}

fn counted_string(mem: &GuestMemory, ptr: u64, wide: bool) -> String {
    if ptr == 0 {
        return "(null)".into();
    }
    let (len_f, buf_f) = if wide {
        (UNICODE_STRING::Length, UNICODE_STRING::Buffer)
    } else {
        (ANSI_STRING::Length, ANSI_STRING::Buffer)
    };
    let (Ok(len), Ok(buf)) = (mem.get(ptr, len_f), mem.get(ptr, buf_f)) else {
        return format!("<unreadable {ptr:#x}>");
    };
    if buf == 0 {
        return "(null)".into();
    }
    let len = (len as usize).min(MAX_TRACE_STRING * 2);
    let mut bytes = vec![0u8; len];
    if mem.read(buf, &mut bytes).is_err() {
        return format!("<unreadable {buf:#x}>");
    }
    if wide {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
