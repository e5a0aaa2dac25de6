//! x64 unwind information (UNWIND_INFO and its unwind codes), read from an image in guest
//! memory. Everything in it is the driver's: offsets are checked against the image, counts
//! are what one byte can hold, and a bad structure is an error, never a panic.

use portcullis_emu::{GuestMemory, MemError};
use thiserror::Error;

/// Reads guest memory for the unwinder: the machine's memory, or in tests a plain buffer.
pub trait UnwindMemory {
    fn read(&self, va: u64, buf: &mut [u8]) -> Result<(), MemError>;

    fn read_u64(&self, va: u64) -> Result<u64, MemError> {
        let mut b = [0u8; 8];
        self.read(va, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn read_u32(&self, va: u64) -> Result<u32, MemError> {
        let mut b = [0u8; 4];
        self.read(va, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn read_u128(&self, va: u64) -> Result<u128, MemError> {
        let mut b = [0u8; 16];
        self.read(va, &mut b)?;
        Ok(u128::from_le_bytes(b))
    }
}

impl UnwindMemory for GuestMemory {
    fn read(&self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        GuestMemory::read(self, va, buf)
    }
}

/// Why unwind information could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum UnwindError {
    #[error("unwind information unreadable: {0}")]
    Memory(#[from] MemError),
    #[error("unwind information at {at:#x} has version {version} (only 1 and 2 exist)")]
    Version { at: u64, version: u8 },
    #[error("unwind information at {at:#x} lies outside its image")]
    OutsideImage { at: u64 },
    #[error("unwind code {op} at {at:#x} does not exist")]
    BadCode { at: u64, op: u8 },
    #[error("an unwind code at {at:#x} runs past the end of its array")]
    Truncated { at: u64 },
    #[error("more than {0} chained unwind entries")]
    ChainTooLong(u32),
}

/// UNW_FLAG_*: what follows the unwind codes.
pub mod unw {
    pub const EHANDLER: u8 = 0x1;
    pub const UHANDLER: u8 = 0x2;
    pub const CHAININFO: u8 = 0x4;
}

/// UWOP_* operation codes.
pub mod op {
    pub const PUSH_NONVOL: u8 = 0;
    pub const ALLOC_LARGE: u8 = 1;
    pub const ALLOC_SMALL: u8 = 2;
    pub const SET_FPREG: u8 = 3;
    pub const SAVE_NONVOL: u8 = 4;
    pub const SAVE_NONVOL_FAR: u8 = 5;
    /// Version 2: an epilogue descriptor (was UWOP_SAVE_XMM).
    pub const EPILOG: u8 = 6;
    /// Unused (was UWOP_SAVE_XMM_FAR).
    pub const SPARE: u8 = 7;
    pub const SAVE_XMM128: u8 = 8;
    pub const SAVE_XMM128_FAR: u8 = 9;
    pub const PUSH_MACHFRAME: u8 = 10;
}

/// Most chained entries one walk follows (Windows' UNWIND_CHAIN_LIMIT).
pub const CHAIN_LIMIT: u32 = 32;

/// A RUNTIME_FUNCTION: a function's extent and its unwind information, as image offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeFunction {
    pub begin: u32,
    pub end: u32,
    pub unwind: u32,
    /// Where the entry itself lies (what RtlLookupFunctionEntry returns), 0 when it is a
    /// copy held elsewhere.
    pub at: u64,
}

/// One unwind code slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub u16);

impl Code {
    /// Offset in the prologue of the end of the instruction this code undoes.
    pub fn offset(self) -> u8 {
        self.0 as u8
    }

    pub fn op(self) -> u8 {
        ((self.0 >> 8) & 0xF) as u8
    }

    pub fn info(self) -> u8 {
        (self.0 >> 12) as u8
    }

    /// The slots this operation takes, itself included (`None` for an undefined one).
    pub fn slots(self) -> Option<usize> {
        Some(match self.op() {
            op::PUSH_NONVOL | op::ALLOC_SMALL | op::SET_FPREG | op::PUSH_MACHFRAME => 1,
            op::ALLOC_LARGE => {
                if self.info() == 0 {
                    2
                } else {
                    3
                }
            }
            op::SAVE_NONVOL | op::EPILOG | op::SAVE_XMM128 => 2,
            op::SAVE_NONVOL_FAR | op::SPARE | op::SAVE_XMM128_FAR => 3,
            _ => return None,
        })
    }
}

/// An UNWIND_INFO, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnwindInfo {
    /// Where it lies.
    pub at: u64,
    pub version: u8,
    pub flags: u8,
    pub prolog_size: u8,
    pub frame_register: u8,
    /// Scaled by 16 when applied.
    pub frame_offset: u8,
    pub codes: Vec<Code>,
    /// The language handler's image offset and the address of its data, with EHANDLER or
    /// UHANDLER.
    pub handler: Option<(u32, u64)>,
    /// The parent entry, with CHAININFO.
    pub chained: Option<RuntimeFunction>,
}

impl UnwindInfo {
    /// Reads the UNWIND_INFO at image offset `rva` of the image at `base` (`size` bytes).
    pub fn read<M: UnwindMemory + ?Sized>(mem: &M, base: u64, size: u64, rva: u32) -> Result<UnwindInfo, UnwindError> {
        let at = base + rva as u64;
        let inside = |off: u64, len: u64| off.checked_add(len).is_some_and(|end| end <= size);
        if !inside(rva as u64, 4) {
            return Err(UnwindError::OutsideImage { at });
        }
        let mut head = [0u8; 4];
        mem.read(at, &mut head)?;
        let version = head[0] & 7;
        let flags = head[0] >> 3;
        if version != 1 && version != 2 {
            return Err(UnwindError::Version { at, version });
        }
        let count = head[2] as u64;
        if !inside(rva as u64 + 4, 2 * count) {
            return Err(UnwindError::OutsideImage { at });
        }
        let mut raw = vec![0u8; 2 * count as usize];
        mem.read(at + 4, &mut raw)?;
        let codes: Vec<Code> = raw.chunks_exact(2).map(|c| Code(u16::from_le_bytes([c[0], c[1]]))).collect();
        // What follows the codes starts at an even slot count.
        let tail = rva as u64 + 4 + 2 * (count + (count & 1));
        let mut info = UnwindInfo {
            at,
            version,
            flags,
            prolog_size: head[1],
            frame_register: head[3] & 0xF,
            frame_offset: head[3] >> 4,
            codes,
            handler: None,
            chained: None,
        };
        if flags & unw::CHAININFO != 0 {
            if !inside(tail, 12) {
                return Err(UnwindError::OutsideImage { at });
            }
            let mut e = [0u8; 12];
            mem.read(base + tail, &mut e)?;
            let word = |i: usize| u32::from_le_bytes(e[i..i + 4].try_into().expect("4 bytes"));
            info.chained = Some(RuntimeFunction { begin: word(0), end: word(4), unwind: word(8), at: base + tail });
        } else if flags & (unw::EHANDLER | unw::UHANDLER) != 0 {
            if !inside(tail, 4) {
                return Err(UnwindError::OutsideImage { at });
            }
            let handler = mem.read_u32(base + tail)?;
            info.handler = Some((handler, base + tail + 4));
        }
        Ok(info)
    }

    /// The code at slot `i` and the slots after it its operation uses, checked.
    pub fn operation(&self, i: usize) -> Result<(Code, &[Code]), UnwindError> {
        let code = self.codes[i];
        let n = code.slots().ok_or(UnwindError::BadCode { at: self.at, op: code.op() })?;
        let extra = self.codes.get(i + 1..i + n).ok_or(UnwindError::Truncated { at: self.at })?;
        Ok((code, extra))
    }
}
