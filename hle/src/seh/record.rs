//! EXCEPTION_RECORD: what an exception is, as handlers read it from guest memory.

use portcullis_emu::{Arch, GuestMemory, MemError};

use crate::layout::{FieldAccess, EXCEPTION_RECORD};
use crate::seh::codes::EXCEPTION_MAXIMUM_PARAMETERS;

/// An exception record, host side.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ExceptionRecord {
    pub code: u32,
    pub flags: u32,
    /// The record this one was raised about (a nested exception's cause), as a guest pointer.
    pub chained: u64,
    pub address: u64,
    /// At most 15 parameters.
    pub params: Vec<u64>,
}

impl ExceptionRecord {
    pub fn new(code: u32, flags: u32, address: u64, params: &[u64]) -> ExceptionRecord {
        let params = params.iter().copied().take(EXCEPTION_MAXIMUM_PARAMETERS).collect();
        ExceptionRecord { code, flags, chained: 0, address, params }
    }

    /// Bytes the record takes in guest memory.
    pub fn size(arch: Arch) -> u64 {
        EXCEPTION_RECORD::STRUCT.size(arch)
    }

    /// Reads the record at `at`; a NumberParameters beyond 15 is read as 15, as Windows
    /// copies at most that many.
    pub fn read(mem: &GuestMemory, at: u64) -> Result<ExceptionRecord, MemError> {
        let arch = mem.arch();
        let n = (mem.get(at, EXCEPTION_RECORD::NumberParameters)? as usize).min(EXCEPTION_MAXIMUM_PARAMETERS);
        let info = EXCEPTION_RECORD::ExceptionInformation.at(arch, at);
        let params = (0..n as u64).map(|i| mem.read_ptr(info + i * arch.ptr_size())).collect::<Result<_, _>>()?;
        Ok(ExceptionRecord {
            code: mem.get(at, EXCEPTION_RECORD::ExceptionCode)? as u32,
            flags: mem.get(at, EXCEPTION_RECORD::ExceptionFlags)? as u32,
            chained: mem.get(at, EXCEPTION_RECORD::ExceptionRecord)?,
            address: mem.get(at, EXCEPTION_RECORD::ExceptionAddress)?,
            params,
        })
    }

    /// Writes the whole record at `at` (unused parameter slots zeroed).
    pub fn write(&self, mem: &mut GuestMemory, at: u64) -> Result<(), MemError> {
        let arch = mem.arch();
        let mut bytes = vec![0u8; Self::size(arch) as usize];
        let ps = arch.ptr_size() as usize;
        let put = |b: &mut Vec<u8>, off: u64, v: u64, width: usize| {
            b[off as usize..off as usize + width].copy_from_slice(&v.to_le_bytes()[..width]);
        };
        put(&mut bytes, EXCEPTION_RECORD::ExceptionCode.offset(arch), self.code as u64, 4);
        put(&mut bytes, EXCEPTION_RECORD::ExceptionFlags.offset(arch), self.flags as u64, 4);
        put(&mut bytes, EXCEPTION_RECORD::ExceptionRecord.offset(arch), self.chained, ps);
        put(&mut bytes, EXCEPTION_RECORD::ExceptionAddress.offset(arch), self.address, ps);
        let n = self.params.len().min(EXCEPTION_MAXIMUM_PARAMETERS);
        put(&mut bytes, EXCEPTION_RECORD::NumberParameters.offset(arch), n as u64, 4);
        let info = EXCEPTION_RECORD::ExceptionInformation.offset(arch);
        for (i, p) in self.params.iter().take(n).enumerate() {
            put(&mut bytes, info + (i * ps) as u64, *p, ps);
        }
        mem.write(at, &bytes)
    }

    /// Updates only the flags of the record at `at` (what the dispatcher changes between
    /// handler calls).
    pub fn write_flags(mem: &mut GuestMemory, at: u64, flags: u32) -> Result<(), MemError> {
        mem.set(at, EXCEPTION_RECORD::ExceptionFlags, flags as u64)
    }
}
