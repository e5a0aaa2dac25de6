//! Bitmaps (RTL_BITMAP): a SizeOfBitMap-bit array in the caller's ULONG buffer, bit 0 the
//! lowest bit of the first byte. Set, clear, test, count, and find bits and runs of them.
//!
//! Searches read the buffer a page at a time as they go (a header may describe a bitmap far
//! larger than the memory behind it; Windows reads only what its search reaches too) and
//! skip whole bytes that cannot hold a match. Results follow Windows': 0xFFFFFFFF when a
//! search finds nothing, RtlFindClearBits' wrap-around from its hint, a zero-length request
//! finding nothing, and bits past SizeOfBitMap in the last byte never counting.
#![allow(non_snake_case)]

use std::collections::HashMap;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, RTL_BITMAP, RTL_BITMAP_RUN};
use crate::types::{Boolean, Ptr, SizeT};

/// What the searches return when they find nothing.
pub const NOT_FOUND: u32 = 0xFFFF_FFFF;

const CHUNK: u64 = 0x1000;

/// A bitmap read lazily from guest memory.
struct Bits<'a> {
    k: &'a Kx,
    size: u32,
    buffer: u64,
    chunks: HashMap<u64, Vec<u8>>,
}

impl<'a> Bits<'a> {
    fn new(k: &'a Kx, header: Ptr) -> KResult<Bits<'a>> {
        let mem = k.mem();
        let size = mem.get(header.0, RTL_BITMAP::SizeOfBitMap)? as u32;
        let buffer = mem.get(header.0, RTL_BITMAP::Buffer)?;
        Ok(Bits { k, size, buffer, chunks: HashMap::new() })
    }

    fn byte(&mut self, i: u64) -> KResult<u8> {
        let chunk = i / CHUNK;
        if !self.chunks.contains_key(&chunk) {
            let bytes_total = u64::from(self.size).div_ceil(8);
            let len = (bytes_total - chunk * CHUNK).min(CHUNK) as usize;
            let mut buf = vec![0u8; len];
            self.k.mem().read(self.buffer.wrapping_add(chunk * CHUNK), &mut buf)?;
            self.chunks.insert(chunk, buf);
        }
        Ok(self.chunks[&chunk][(i % CHUNK) as usize])
    }

    fn bit(&mut self, i: u32) -> KResult<bool> {
        Ok(self.byte(u64::from(i / 8))? >> (i % 8) & 1 != 0)
    }

    /// The first index at or after `from` (below `end`) whose bit is `value`.
    fn next(&mut self, mut from: u32, end: u32, value: bool) -> KResult<Option<u32>> {
        let skip = if value { 0x00 } else { 0xFF };
        while from < end {
            if from.is_multiple_of(8) && end - from >= 8 && self.byte(u64::from(from / 8))? == skip {
                from += 8;
                continue;
            }
            if self.bit(from)? == value {
                return Ok(Some(from));
            }
            from += 1;
        }
        Ok(None)
    }

    /// How many bits from `from` on (at most up to `end`) equal `value`.
    fn run(&mut self, from: u32, end: u32, value: bool) -> KResult<u32> {
        Ok(self.next(from, end, !value)?.unwrap_or(end) - from)
    }

    /// The next run of `value` bits at or after `from`: (start, length).
    fn next_run(&mut self, from: u32, value: bool) -> KResult<Option<(u32, u32)>> {
        let size = self.size;
        match self.next(from, size, value)? {
            Some(start) => Ok(Some((start, self.run(start, size, value)?))),
            None => Ok(None),
        }
    }

    fn count(&mut self, value: bool) -> KResult<u32> {
        let mut set = 0u32;
        let full = self.size / 8;
        for i in 0..full {
            set += self.byte(u64::from(i))?.count_ones();
        }
        for i in full * 8..self.size {
            set += u32::from(self.bit(i)?);
        }
        Ok(if value { set } else { self.size - set })
    }

    /// Whether `length` bits from `start` all equal `value` (FALSE for an empty or
    /// out-of-range request, as Windows answers).
    fn all(&mut self, start: u32, length: u32, value: bool) -> KResult<bool> {
        let Some(end) = start.checked_add(length).filter(|&e| e > start && e <= self.size) else {
            return Ok(false);
        };
        Ok(self.run(start, end, value)? == length)
    }

    /// RtlFindClearBits' search: from the hint to the end, then from the start up to the hint
    /// (a hint that leaves no room for the range counts as 0).
    fn find(&mut self, count: u32, hint: u32, value: bool) -> KResult<u32> {
        if count == 0 || count > self.size {
            return Ok(NOT_FOUND);
        }
        let last = self.size - count;
        let hint = if hint > last { 0 } else { hint };
        if let Some(at) = self.find_in(hint, last, count, value)? {
            return Ok(at);
        }
        if hint > 0 {
            if let Some(at) = self.find_in(0, hint - 1, count, value)? {
                return Ok(at);
            }
        }
        Ok(NOT_FOUND)
    }

    /// The first start in `first..=last` of `count` bits equal to `value`.
    fn find_in(&mut self, first: u32, last: u32, count: u32, value: bool) -> KResult<Option<u32>> {
        let mut at = first;
        while at <= last {
            let Some(start) = self.next(at, last + 1, value)? else { return Ok(None) };
            let run = self.run(start, start + count, value)?;
            if run == count {
                return Ok(Some(start));
            }
            // The bit after the run differs: no range can start before it.
            at = start + run + 1;
        }
        Ok(None)
    }
}

/// Sets or clears `count` bits from `start`, a byte at a time where it can.
fn write_bits(k: &mut Kx, header: Ptr, start: u32, count: u32, value: bool) -> KResult<()> {
    let buffer = k.mem().get(header.0, RTL_BITMAP::Buffer)?;
    let end = u64::from(start) + u64::from(count);
    let mut i = u64::from(start);
    while i < end {
        let byte_at = buffer.wrapping_add(i / 8);
        if i % 8 == 0 && end - i >= 8 {
            let whole = ((end - i) / 8).min(CHUNK);
            super::memory::fill_pattern(k, byte_at, whole, &[if value { 0xFF } else { 0 }])?;
            i += whole * 8;
            continue;
        }
        let mut b = k.mem().read_u8(byte_at)?;
        let mask = 1u8 << (i % 8);
        b = if value { b | mask } else { b & !mask };
        k.mem_mut().write_u8(byte_at, b)?;
        i += 1;
    }
    Ok(())
}

/// VOID RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap)
pub fn RtlInitializeBitMap(k: &mut Kx, header: Ptr, buffer: Ptr, size: u32) -> KResult<()> {
    k.mem_mut().set(header.0, RTL_BITMAP::SizeOfBitMap, size.into())?;
    k.mem_mut().set(header.0, RTL_BITMAP::Buffer, buffer.0)?;
    Ok(())
}

/// The whole ULONGs the bitmap's buffer spans.
fn whole_ulongs(k: &Kx, header: Ptr) -> KResult<(u64, u64)> {
    let size = k.mem().get(header.0, RTL_BITMAP::SizeOfBitMap)?;
    let buffer = k.mem().get(header.0, RTL_BITMAP::Buffer)?;
    Ok((buffer, size.div_ceil(32) * 4))
}

/// VOID RtlClearAllBits(PRTL_BITMAP BitMapHeader): zeroes every ULONG of the buffer.
pub fn RtlClearAllBits(k: &mut Kx, header: Ptr) -> KResult<()> {
    let (buffer, bytes) = whole_ulongs(k, header)?;
    super::memory::fill_pattern(k, buffer, bytes, &[0])
}

/// VOID RtlSetAllBits(PRTL_BITMAP BitMapHeader): sets every bit of every ULONG of the buffer.
pub fn RtlSetAllBits(k: &mut Kx, header: Ptr) -> KResult<()> {
    let (buffer, bytes) = whole_ulongs(k, header)?;
    super::memory::fill_pattern(k, buffer, bytes, &[0xFF])
}

/// VOID RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)
pub fn RtlClearBit(k: &mut Kx, header: Ptr, bit: u32) -> KResult<()> {
    write_bits(k, header, bit, 1, false)
}

/// VOID RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)
pub fn RtlSetBit(k: &mut Kx, header: Ptr, bit: u32) -> KResult<()> {
    write_bits(k, header, bit, 1, true)
}

/// BOOLEAN RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)
pub fn RtlTestBit(k: &mut Kx, header: Ptr, bit: u32) -> KResult<Boolean> {
    let buffer = k.mem().get(header.0, RTL_BITMAP::Buffer)?;
    Ok(Boolean(k.mem().read_u8(buffer.wrapping_add(u64::from(bit / 8)))? >> (bit % 8) & 1 != 0))
}

/// VOID RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear)
pub fn RtlClearBits(k: &mut Kx, header: Ptr, start: u32, count: u32) -> KResult<()> {
    write_bits(k, header, start, count, false)
}

/// VOID RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet)
pub fn RtlSetBits(k: &mut Kx, header: Ptr, start: u32, count: u32) -> KResult<()> {
    write_bits(k, header, start, count, true)
}

/// BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)
pub fn RtlAreBitsClear(k: &mut Kx, header: Ptr, start: u32, length: u32) -> KResult<Boolean> {
    Ok(Boolean(Bits::new(k, header)?.all(start, length, false)?))
}

/// BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)
pub fn RtlAreBitsSet(k: &mut Kx, header: Ptr, start: u32, length: u32) -> KResult<Boolean> {
    Ok(Boolean(Bits::new(k, header)?.all(start, length, true)?))
}

/// ULONG RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader)
pub fn RtlNumberOfClearBits(k: &mut Kx, header: Ptr) -> KResult<u32> {
    Bits::new(k, header)?.count(false)
}

/// ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader)
pub fn RtlNumberOfSetBits(k: &mut Kx, header: Ptr) -> KResult<u32> {
    Bits::new(k, header)?.count(true)
}

/// ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex): the
/// first index of NumberToFind clear bits, searching from the hint (from 0 when the hint
/// leaves no room) to the end and then from the start up to the hint; 0xFFFFFFFF if none.
pub fn RtlFindClearBits(k: &mut Kx, header: Ptr, count: u32, hint: u32) -> KResult<u32> {
    Bits::new(k, header)?.find(count, hint, false)
}

/// ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
pub fn RtlFindSetBits(k: &mut Kx, header: Ptr, count: u32, hint: u32) -> KResult<u32> {
    Bits::new(k, header)?.find(count, hint, true)
}

/// ULONG RtlFindClearBitsAndSet(...): RtlFindClearBits, then sets the range found.
pub fn RtlFindClearBitsAndSet(k: &mut Kx, header: Ptr, count: u32, hint: u32) -> KResult<u32> {
    let at = RtlFindClearBits(k, header, count, hint)?;
    if at != NOT_FOUND {
        write_bits(k, header, at, count, true)?;
    }
    Ok(at)
}

/// ULONG RtlFindSetBitsAndClear(...): RtlFindSetBits, then clears the range found.
pub fn RtlFindSetBitsAndClear(k: &mut Kx, header: Ptr, count: u32, hint: u32) -> KResult<u32> {
    let at = RtlFindSetBits(k, header, count, hint)?;
    if at != NOT_FOUND {
        write_bits(k, header, at, count, false)?;
    }
    Ok(at)
}

/// ULONG RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG
/// StartingRunIndex): the length of the first clear run at or after FromIndex, its start in
/// *StartingRunIndex (0xFFFFFFFF and a length of 0 when there is none).
pub fn RtlFindNextForwardRunClear(k: &mut Kx, header: Ptr, from: u32, start: Ptr) -> KResult<u32> {
    let mut bits = Bits::new(k, header)?;
    if from >= bits.size || start.is_null() {
        return Ok(0);
    }
    let (at, len) = bits.next_run(from, false)?.unwrap_or((NOT_FOUND, 0));
    k.mem_mut().write_u32(start.0, at)?;
    Ok(len)
}

/// ULONG RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)
pub fn RtlFindFirstRunClear(k: &mut Kx, header: Ptr, start: Ptr) -> KResult<u32> {
    RtlFindNextForwardRunClear(k, header, 0, start)
}

/// ULONG RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG
/// StartingRunIndex): the clear run that ends at the last clear bit at or before FromIndex;
/// its start in *StartingRunIndex and its length returned (0xFFFFFFFF and 0 when none).
pub fn RtlFindLastBackwardRunClear(k: &mut Kx, header: Ptr, from: u32, start: Ptr) -> KResult<u32> {
    let mut bits = Bits::new(k, header)?;
    if bits.size == 0 || start.is_null() {
        return Ok(0);
    }
    let mut end = from.min(bits.size - 1);
    // Back over set bits to the last clear one.
    loop {
        if !bits.bit(end)? {
            break;
        }
        if end == 0 {
            k.mem_mut().write_u32(start.0, NOT_FOUND)?;
            return Ok(0);
        }
        end -= 1;
    }
    let mut first = end;
    while first > 0 && !bits.bit(first - 1)? {
        first -= 1;
    }
    k.mem_mut().write_u32(start.0, first)?;
    Ok(end - first + 1)
}

/// Every clear run of the bitmap, in order.
fn clear_runs(bits: &mut Bits, limit: Option<usize>) -> KResult<Vec<(u32, u32)>> {
    let mut runs = Vec::new();
    let mut at = 0;
    while let Some((start, len)) = bits.next_run(at, false)? {
        runs.push((start, len));
        if limit.is_some_and(|l| runs.len() >= l) {
            break;
        }
        at = start + len;
    }
    Ok(runs)
}

/// ULONG RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex): the longest
/// clear run (the first of equal ones); 0 and StartingIndex untouched when there is none.
pub fn RtlFindLongestRunClear(k: &mut Kx, header: Ptr, start: Ptr) -> KResult<u32> {
    let mut bits = Bits::new(k, header)?;
    let runs = clear_runs(&mut bits, None)?;
    let Some(&(at, len)) = runs.iter().rev().max_by_key(|(_, len)| *len) else { return Ok(0) };
    if !start.is_null() {
        k.mem_mut().write_u32(start.0, at)?;
    }
    Ok(len)
}

/// ULONG RtlFindClearRuns(PRTL_BITMAP BitMapHeader, PRTL_BITMAP_RUN RunArray, ULONG
/// SizeOfRunArray, BOOLEAN LocateLongestRuns): the first SizeOfRunArray clear runs, or with
/// LocateLongestRuns the longest ones (longest first; equal ones in bitmap order). Returns
/// how many were stored.
pub fn RtlFindClearRuns(k: &mut Kx, header: Ptr, array: Ptr, max: u32, longest: Boolean) -> KResult<u32> {
    if max == 0 {
        return Ok(NOT_FOUND);
    }
    let mut bits = Bits::new(k, header)?;
    let mut runs = clear_runs(&mut bits, (!longest.0).then_some(max as usize))?;
    if longest.0 {
        runs.sort_by_key(|&(start, len)| (std::cmp::Reverse(len), start));
        runs.truncate(max as usize);
    }
    let size = RTL_BITMAP_RUN::STRUCT.size(k.arch());
    for (i, &(start, len)) in runs.iter().enumerate() {
        let at = array.0.wrapping_add(i as u64 * size);
        k.mem_mut().set(at, RTL_BITMAP_RUN::StartingIndex, start.into())?;
        k.mem_mut().set(at, RTL_BITMAP_RUN::NumberOfBits, len.into())?;
    }
    Ok(runs.len() as u32)
}

/// CCHAR RtlFindLeastSignificantBit(ULONGLONG Set): the lowest set bit's index, -1 for 0.
pub fn RtlFindLeastSignificantBit(_k: &mut Kx, set: u64) -> KResult<i32> {
    Ok(if set == 0 { -1 } else { set.trailing_zeros() as i32 })
}

/// CCHAR RtlFindMostSignificantBit(ULONGLONG Set): the highest set bit's index, -1 for 0.
pub fn RtlFindMostSignificantBit(_k: &mut Kx, set: u64) -> KResult<i32> {
    Ok(if set == 0 { -1 } else { 63 - set.leading_zeros() as i32 })
}

/// ULONG RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target)
pub fn RtlNumberOfSetBitsUlongPtr(_k: &mut Kx, target: SizeT) -> KResult<u32> {
    Ok(target.0.count_ones())
}
