//! Time, all from the kernel's virtual clock (deterministic): GetTickCount64,
//! QueryPerformanceCounter, QueryPerformanceFrequency, GetSystemTime,
//! GetSystemTimeAsFileTime, GetLocalTime. The performance counter is the HAL's
//! (KeQueryPerformanceCounter: 10 MHz, each read moves the clock a quantum so polling loops
//! end); local time is system time less the run's time-zone bias, as the kernel keeps it.
#![allow(non_snake_case)]

use portcullis_hle::ke::time::{system_time, KeQueryPerformanceCounter, PERFORMANCE_FREQUENCY};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::time::{fields, TICKS_PER_SECOND};
use portcullis_hle::types::Ptr;

use crate::error::ERROR_NOACCESS;
use crate::kernel32::thread::set_last_error;
use crate::table::BOOL;

/// ULONGLONG GetTickCount64(void): milliseconds since boot.
pub fn GetTickCount64(k: &mut Kx) -> KResult<u64> {
    Ok(k.guest().cpu.clock.now_ns() / 1_000_000)
}

/// BOOL QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)
pub fn QueryPerformanceCounter(k: &mut Kx, count: Ptr) -> KResult<BOOL> {
    if count.is_null() {
        set_last_error(k, ERROR_NOACCESS)?;
        return Ok(BOOL(false));
    }
    let c = KeQueryPerformanceCounter(k, Ptr(0))?;
    k.mem_mut().write_u64(count.0, c)?;
    Ok(BOOL(true))
}

/// BOOL QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency): 10 MHz.
pub fn QueryPerformanceFrequency(k: &mut Kx, frequency: Ptr) -> KResult<BOOL> {
    if frequency.is_null() {
        set_last_error(k, ERROR_NOACCESS)?;
        return Ok(BOOL(false));
    }
    k.mem_mut().write_u64(frequency.0, PERFORMANCE_FREQUENCY)?;
    Ok(BOOL(true))
}

/// VOID GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime): 100 ns units since
/// 1601, UTC.
pub fn GetSystemTimeAsFileTime(k: &mut Kx, out: Ptr) -> KResult<()> {
    let t = system_time(k);
    Ok(k.mem_mut().write_u64(out.0, t)?)
}

/// The SYSTEMTIME of a system time: wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute,
/// wSecond, wMilliseconds.
pub(crate) fn systemtime_bytes(time: u64) -> [u8; 16] {
    let [year, month, day, hour, minute, second, ms, weekday] = fields(time);
    let mut out = [0u8; 16];
    for (i, v) in [year, month, weekday, day, hour, minute, second, ms].into_iter().enumerate() {
        out[i * 2..i * 2 + 2].copy_from_slice(&(v as u16).to_le_bytes());
    }
    out
}

/// VOID GetSystemTime(LPSYSTEMTIME lpSystemTime): UTC.
pub fn GetSystemTime(k: &mut Kx, out: Ptr) -> KResult<()> {
    let bytes = systemtime_bytes(system_time(k));
    Ok(k.mem_mut().write(out.0, &bytes)?)
}

/// VOID GetLocalTime(LPSYSTEMTIME lpSystemTime): in the run's time zone (UTC = local +
/// bias; no daylight saving).
pub fn GetLocalTime(k: &mut Kx, out: Ptr) -> KResult<()> {
    let bias = i64::from(k.ext().options.time_zone_bias) * 60 * TICKS_PER_SECOND as i64;
    let local = system_time(k).wrapping_add_signed(-bias);
    let bytes = systemtime_bytes(local);
    Ok(k.mem_mut().write(out.0, &bytes)?)
}

/// GetTimeZoneInformation's answer when the zone has no daylight saving time.
const TIME_ZONE_ID_UNKNOWN: u32 = 0;

/// DWORD GetTimeZoneInformation(LPTIME_ZONE_INFORMATION): the run's time zone (its bias:
/// UTC = local + bias, in minutes), which has no daylight saving time
/// (TIME_ZONE_ID_UNKNOWN, the transition dates zero). A zero bias is Windows' "Coordinated
/// Universal Time" zone; another bias has no zone name.
pub fn GetTimeZoneInformation(k: &mut Kx, out: Ptr) -> KResult<u32> {
    let bias = k.ext().options.time_zone_bias;
    let name: Vec<u16> = if bias == 0 { "Coordinated Universal Time".encode_utf16().collect() } else { Vec::new() };
    // Bias, StandardName[32], StandardDate, StandardBias, DaylightName[32], DaylightDate,
    // DaylightBias: 172 bytes.
    let mut tzi = vec![0u8; 172];
    tzi[..4].copy_from_slice(&bias.to_le_bytes());
    for start in [4usize, 88] {
        for (i, u) in name.iter().take(31).enumerate() {
            tzi[start + 2 * i..start + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
    }
    k.mem_mut().write(out.0, &tzi)?;
    Ok(TIME_ZONE_ID_UNKNOWN)
}
