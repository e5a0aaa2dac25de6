//! System time (100-ns intervals since 1601-01-01 UTC) and its conversions: calendar fields
//! (RtlTimeToTimeFields, RtlTimeFieldsToTime, elapsed fields), seconds since 1970 and 1980,
//! and local time (ExSystemTimeToLocalTime and friends) in the time zone the run configures
//! (its bias: UTC = local time + bias; no daylight saving).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, TIME_FIELDS};
use crate::types::{status, Boolean, NtStatus, Ptr};

pub const TICKS_PER_SECOND: u64 = 10_000_000;
pub const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SECOND;
/// 1970-01-01 and 1980-01-01 as system times.
pub const EPOCH_1970: u64 = 116_444_736_000_000_000;
pub const EPOCH_1980: u64 = 119_600_064_000_000_000;

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_in_year(year: u64) -> u64 {
    if is_leap(year) {
        366
    } else {
        365
    }
}

/// Whole days before `year` since 1601-01-01.
fn days_before_year(year: u64) -> u64 {
    let y = year - 1601;
    y * 365 + y / 4 - y / 100 + y / 400
}

/// The calendar fields of a system time: (year, month, day, hour, minute, second, ms, weekday
/// with Sunday 0).
pub fn fields(time: u64) -> [u64; 8] {
    let days = time / TICKS_PER_DAY;
    let rest = time % TICKS_PER_DAY;
    // 1601-01-01 was a Monday.
    let weekday = (days + 1) % 7;
    // Whole 400-year cycles first, then years.
    let mut year = 1601 + days / 146_097 * 400;
    let mut left = days % 146_097;
    while left >= days_in_year(year) {
        left -= days_in_year(year);
        year += 1;
    }
    let mut month = 1;
    while left >= days_in_month(year, month) {
        left -= days_in_month(year, month);
        month += 1;
    }
    let ms = rest / 10_000;
    [year, month, left + 1, ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000, weekday]
}

/// VOID RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields)
pub fn RtlTimeToTimeFields(k: &mut Kx, time: Ptr, out: Ptr) -> KResult<()> {
    let t = k.mem().read_u64(time.0)?;
    let f = fields(t);
    let names = [
        TIME_FIELDS::Year,
        TIME_FIELDS::Month,
        TIME_FIELDS::Day,
        TIME_FIELDS::Hour,
        TIME_FIELDS::Minute,
        TIME_FIELDS::Second,
        TIME_FIELDS::Milliseconds,
        TIME_FIELDS::Weekday,
    ];
    for (field, value) in names.into_iter().zip(f) {
        k.mem_mut().set(out.0, field, value)?;
    }
    Ok(())
}

/// BOOLEAN RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time): FALSE (Time
/// untouched) unless every field is in range and the year is 1601 or later; Weekday is
/// ignored.
pub fn RtlTimeFieldsToTime(k: &mut Kx, input: Ptr, time: Ptr) -> KResult<Boolean> {
    let get = |f| k.mem().get(input.0, f).map(|v| i64::from(v as u16 as i16));
    let (year, month, day) = (get(TIME_FIELDS::Year)?, get(TIME_FIELDS::Month)?, get(TIME_FIELDS::Day)?);
    let (hour, minute, second, ms) = (
        get(TIME_FIELDS::Hour)?,
        get(TIME_FIELDS::Minute)?,
        get(TIME_FIELDS::Second)?,
        get(TIME_FIELDS::Milliseconds)?,
    );
    let valid = year >= 1601
        && (1..=12).contains(&month)
        && day >= 1
        && (day as u64) <= days_in_month(year as u64, month as u64)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second)
        && (0..1000).contains(&ms);
    if !valid {
        return Ok(Boolean(false));
    }
    let (y, m) = (year as u64, month as u64);
    let days = days_before_year(y) + (1..m).map(|mm| days_in_month(y, mm)).sum::<u64>() + day as u64 - 1;
    let ms_of_day = ((hour * 60 + minute) * 60 + second) as u64 * 1000 + ms as u64;
    k.mem_mut().write_u64(time.0, days * TICKS_PER_DAY + ms_of_day * 10_000)?;
    Ok(Boolean(true))
}

/// VOID RtlTimeToElapsedTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields): a duration
/// as days, hours, minutes, seconds and milliseconds (Year, Month and Weekday 0).
pub fn RtlTimeToElapsedTimeFields(k: &mut Kx, time: Ptr, out: Ptr) -> KResult<()> {
    let t = k.mem().read_u64(time.0)?;
    let ms = t % TICKS_PER_DAY / 10_000;
    let values = [
        (TIME_FIELDS::Year, 0),
        (TIME_FIELDS::Month, 0),
        (TIME_FIELDS::Day, t / TICKS_PER_DAY),
        (TIME_FIELDS::Hour, ms / 3_600_000),
        (TIME_FIELDS::Minute, ms / 60_000 % 60),
        (TIME_FIELDS::Second, ms / 1000 % 60),
        (TIME_FIELDS::Milliseconds, ms % 1000),
        (TIME_FIELDS::Weekday, 0),
    ];
    for (field, value) in values {
        k.mem_mut().set(out.0, field, value)?;
    }
    Ok(())
}

/// Seconds from `epoch` to the time at `time`, if they fit a ULONG.
fn seconds_since(k: &mut Kx, time: Ptr, out: Ptr, epoch: u64) -> KResult<Boolean> {
    let t = k.mem().read_u64(time.0)?;
    let Some(secs) = t.checked_sub(epoch).map(|d| d / TICKS_PER_SECOND).filter(|s| *s <= u64::from(u32::MAX)) else {
        return Ok(Boolean(false));
    };
    k.mem_mut().write_u32(out.0, secs as u32)?;
    Ok(Boolean(true))
}

/// BOOLEAN RtlTimeToSecondsSince1970(PLARGE_INTEGER Time, PULONG ElapsedSeconds): FALSE for
/// a time before 1970 or after 2106-02-07 06:28:15.
pub fn RtlTimeToSecondsSince1970(k: &mut Kx, time: Ptr, out: Ptr) -> KResult<Boolean> {
    seconds_since(k, time, out, EPOCH_1970)
}

/// BOOLEAN RtlTimeToSecondsSince1980(PLARGE_INTEGER Time, PULONG ElapsedSeconds)
pub fn RtlTimeToSecondsSince1980(k: &mut Kx, time: Ptr, out: Ptr) -> KResult<Boolean> {
    seconds_since(k, time, out, EPOCH_1980)
}

/// VOID RtlSecondsSince1970ToTime(ULONG ElapsedSeconds, PLARGE_INTEGER Time)
pub fn RtlSecondsSince1970ToTime(k: &mut Kx, secs: u32, time: Ptr) -> KResult<()> {
    k.mem_mut().write_u64(time.0, EPOCH_1970 + u64::from(secs) * TICKS_PER_SECOND)?;
    Ok(())
}

/// VOID RtlSecondsSince1980ToTime(ULONG ElapsedSeconds, PLARGE_INTEGER Time)
pub fn RtlSecondsSince1980ToTime(k: &mut Kx, secs: u32, time: Ptr) -> KResult<()> {
    k.mem_mut().write_u64(time.0, EPOCH_1980 + u64::from(secs) * TICKS_PER_SECOND)?;
    Ok(())
}

/// The configured zone's bias in 100-ns units.
fn bias(k: &Kx) -> i64 {
    i64::from(k.ext().options.time_zone_bias) * 60 * TICKS_PER_SECOND as i64
}

/// Copies the time at `from` to `to`, shifted by `delta` 100-ns units.
fn shift(k: &mut Kx, from: Ptr, to: Ptr, delta: i64) -> KResult<()> {
    let t = k.mem().read_u64(from.0)?;
    k.mem_mut().write_u64(to.0, t.wrapping_add_signed(delta))?;
    Ok(())
}

/// VOID ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime)
pub fn ExSystemTimeToLocalTime(k: &mut Kx, system: Ptr, local: Ptr) -> KResult<()> {
    let b = bias(k);
    shift(k, system, local, -b)
}

/// VOID ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime)
pub fn ExLocalTimeToSystemTime(k: &mut Kx, local: Ptr, system: Ptr) -> KResult<()> {
    let b = bias(k);
    shift(k, local, system, b)
}

/// NTSTATUS RtlSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime)
pub fn RtlSystemTimeToLocalTime(k: &mut Kx, system: Ptr, local: Ptr) -> KResult<NtStatus> {
    ExSystemTimeToLocalTime(k, system, local)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime)
pub fn RtlLocalTimeToSystemTime(k: &mut Kx, local: Ptr, system: Ptr) -> KResult<NtStatus> {
    ExLocalTimeToSystemTime(k, local, system)?;
    Ok(status::SUCCESS)
}
