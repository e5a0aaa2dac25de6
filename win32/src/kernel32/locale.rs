//! The locale: which one this system has (English, United States: LCID 0x0409, ANSI code
//! page 1252, OEM 437) and what it says of itself: GetUserDefaultLCID and its kin,
//! IsValidLocale, GetLocaleInfoA/W.
//!
//! One locale is installed. The identifiers that mean "the default" (LOCALE_USER_DEFAULT,
//! LOCALE_SYSTEM_DEFAULT, 0 and the custom defaults) name it; any other LCID is not valid
//! here (IsValidLocale FALSE, the other functions ERROR_INVALID_PARAMETER), as on a system
//! without that language's support. The values GetLocaleInfo returns are Windows 7's for
//! en-US; an LCTYPE it does not hold is ERROR_INVALID_FLAGS.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::Ptr;

use crate::error::{ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FLAGS, ERROR_INVALID_PARAMETER};
use crate::kernel32::text::{from_wide, page_of, CP_ACP};
use crate::kernel32::thread::set_last_error;
use crate::table::BOOL;

/// English (United States).
pub const LCID_EN_US: u32 = 0x0409;
const LOCALE_SYSTEM_DEFAULT: u32 = 0x0800;
const LOCALE_USER_DEFAULT: u32 = 0x0400;
const LOCALE_CUSTOM_DEFAULT: u32 = 0x0C00;
const LOCALE_CUSTOM_UNSPECIFIED: u32 = 0x1000;
const LOCALE_CUSTOM_UI_DEFAULT: u32 = 0x1400;

/// IsValidLocale's flags.
const LCID_INSTALLED: u32 = 1;
const LCID_SUPPORTED: u32 = 2;

/// GetLocaleInfo's flags (the rest of LCType is the LCTYPE).
const LOCALE_NOUSEROVERRIDE: u32 = 0x8000_0000;
const LOCALE_USE_CP_ACP: u32 = 0x4000_0000;
const LOCALE_RETURN_NUMBER: u32 = 0x2000_0000;

/// The installed locale `lcid` names, if it names one: Ok(LCID_EN_US).
pub(crate) fn resolve(lcid: u32) -> Option<u32> {
    matches!(
        lcid,
        0 | LCID_EN_US
            | LOCALE_USER_DEFAULT
            | LOCALE_SYSTEM_DEFAULT
            | LOCALE_CUSTOM_DEFAULT
            | LOCALE_CUSTOM_UNSPECIFIED
            | LOCALE_CUSTOM_UI_DEFAULT
    )
    .then_some(LCID_EN_US)
}

/// LCID GetUserDefaultLCID(void), GetSystemDefaultLCID, GetThreadLocale
pub fn GetUserDefaultLCID(_k: &mut Kx) -> KResult<u32> {
    Ok(LCID_EN_US)
}

/// LANGID GetUserDefaultLangID(void), GetSystemDefaultLangID, GetUserDefaultUILanguage
pub fn GetUserDefaultLangID(_k: &mut Kx) -> KResult<u16> {
    Ok(LCID_EN_US as u16)
}

/// BOOL IsValidLocale(LCID Locale, DWORD dwFlags): whether the locale is installed
/// (LCID_INSTALLED) or supported (LCID_SUPPORTED): en-US only. The default identifiers are
/// no locale's own LCID, as on Windows.
pub fn IsValidLocale(k: &mut Kx, lcid: u32, flags: u32) -> KResult<BOOL> {
    if flags != LCID_INSTALLED && flags != LCID_SUPPORTED {
        set_last_error(k, ERROR_INVALID_FLAGS)?;
        return Ok(BOOL(false));
    }
    Ok(BOOL(lcid == LCID_EN_US))
}

/// What en-US says for `lctype` (Windows 7's values).
fn info(lctype: u32) -> Option<&'static str> {
    const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ABBREV_MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    Some(match lctype {
        0x01 => "0409",                                         // LOCALE_ILANGUAGE
        0x02 => "English (United States)",                      // LOCALE_SLANGUAGE
        0x03 => "ENU",                                          // LOCALE_SABBREVLANGNAME
        0x04 => "English",                                      // LOCALE_SNATIVELANGNAME
        0x05 => "1",                                            // LOCALE_ICOUNTRY
        0x06 => "United States",                                // LOCALE_SCOUNTRY
        0x07 => "USA",                                          // LOCALE_SABBREVCTRYNAME
        0x08 => "United States",                                // LOCALE_SNATIVECTRYNAME
        0x09 => "0409",                                         // LOCALE_IDEFAULTLANGUAGE
        0x0A => "1",                                            // LOCALE_IDEFAULTCOUNTRY
        0x0B => "437",                                          // LOCALE_IDEFAULTCODEPAGE
        0x0C => ",",                                            // LOCALE_SLIST
        0x0D => "1",                                            // LOCALE_IMEASURE (U.S.)
        0x0E => ".",                                            // LOCALE_SDECIMAL
        0x0F => ",",                                            // LOCALE_STHOUSAND
        0x10 => "3;0",                                          // LOCALE_SGROUPING
        0x11 => "2",                                            // LOCALE_IDIGITS
        0x12 => "1",                                            // LOCALE_ILZERO
        0x13 => "0123456789",                                   // LOCALE_SNATIVEDIGITS
        0x14 => "$",                                            // LOCALE_SCURRENCY
        0x15 => "USD",                                          // LOCALE_SINTLSYMBOL
        0x16 => ".",                                            // LOCALE_SMONDECIMALSEP
        0x17 => ",",                                            // LOCALE_SMONTHOUSANDSEP
        0x18 => "3;0",                                          // LOCALE_SMONGROUPING
        0x19 => "2",                                            // LOCALE_ICURRDIGITS
        0x1A => "2",                                            // LOCALE_IINTLCURRDIGITS
        0x1B => "0",                                            // LOCALE_ICURRENCY
        0x1C => "0",                                            // LOCALE_INEGCURR
        0x1D => "/",                                            // LOCALE_SDATE
        0x1E => ":",                                            // LOCALE_STIME
        0x1F => "M/d/yyyy",                                     // LOCALE_SSHORTDATE
        0x20 => "dddd, MMMM dd, yyyy",                          // LOCALE_SLONGDATE
        0x21 => "0",                                            // LOCALE_IDATE
        0x22 => "0",                                            // LOCALE_ILDATE
        0x23 => "0",                                            // LOCALE_ITIME
        0x24 => "1",                                            // LOCALE_ICENTURY
        0x25 => "0",                                            // LOCALE_ITLZERO
        0x26 => "0",                                            // LOCALE_IDAYLZERO
        0x27 => "0",                                            // LOCALE_IMONLZERO
        0x28 => "AM",                                           // LOCALE_S1159
        0x29 => "PM",                                           // LOCALE_S2359
        0x2A..=0x30 => DAYS[(lctype - 0x2A) as usize],          // LOCALE_SDAYNAME1..7
        0x31..=0x37 => &DAYS[(lctype - 0x31) as usize][..3],    // LOCALE_SABBREVDAYNAME1..7
        0x38..=0x43 => MONTHS[(lctype - 0x38) as usize],        // LOCALE_SMONTHNAME1..12
        0x44..=0x4F => ABBREV_MONTHS[(lctype - 0x44) as usize], // LOCALE_SABBREVMONTHNAME1..12
        0x50 => "",                                             // LOCALE_SPOSITIVESIGN
        0x51 => "-",                                            // LOCALE_SNEGATIVESIGN
        0x52 => "3",                                            // LOCALE_IPOSSIGNPOSN
        0x53 => "0",                                            // LOCALE_INEGSIGNPOSN
        0x54 => "1",                                            // LOCALE_IPOSSYMPRECEDES
        0x55 => "0",                                            // LOCALE_IPOSSEPBYSPACE
        0x56 => "1",                                            // LOCALE_INEGSYMPRECEDES
        0x57 => "0",                                            // LOCALE_INEGSEPBYSPACE
        0x59 => "en",                                           // LOCALE_SISO639LANGNAME
        0x5A => "US",                                           // LOCALE_SISO3166CTRYNAME
        0x5C => "en-US",                                        // LOCALE_SNAME
        0x1001 => "English",                                    // LOCALE_SENGLANGUAGE
        0x1002 => "United States",                              // LOCALE_SENGCOUNTRY
        0x1003 => "h:mm:ss tt",                                 // LOCALE_STIMEFORMAT
        0x1004 => "1252",                                       // LOCALE_IDEFAULTANSICODEPAGE
        0x1006 => "MMMM, yyyy",                                 // LOCALE_SYEARMONTH
        0x1009 => "1",                                          // LOCALE_ICALENDARTYPE (Gregorian)
        0x100A => "1",                                          // LOCALE_IPAPERSIZE (letter)
        0x100C => "6",                                          // LOCALE_IFIRSTDAYOFWEEK (Sunday)
        0x100D => "0",                                          // LOCALE_IFIRSTWEEKOFYEAR
        0x1011 => "10000",                                      // LOCALE_IDEFAULTMACCODEPAGE
        0x1014 => "1",                                          // LOCALE_IDIGITSUBSTITUTION
        _ => return None,
    })
}

fn locale_info(k: &mut Kx, lcid: u32, lctype: u32, out: Ptr, capacity: i32, wide: bool) -> KResult<i32> {
    let fail = |k: &mut Kx, e| set_last_error(k, e).map(|_| 0);
    if resolve(lcid).is_none() || capacity < 0 || (capacity > 0 && out.is_null()) {
        return fail(k, ERROR_INVALID_PARAMETER);
    }
    let number = lctype & LOCALE_RETURN_NUMBER != 0;
    let kind = lctype & !(LOCALE_NOUSEROVERRIDE | LOCALE_USE_CP_ACP | LOCALE_RETURN_NUMBER);
    let Some(text) = info(kind) else { return fail(k, ERROR_INVALID_FLAGS) };
    // LOCALE_RETURN_NUMBER: the value as a DWORD, for the numeric (I*) types only.
    let bytes: Vec<u8> = if number {
        let Ok(n) = text.parse::<u32>() else { return fail(k, ERROR_INVALID_FLAGS) };
        n.to_le_bytes().to_vec()
    } else if wide {
        text.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
    } else {
        let units: Vec<u16> = text.encode_utf16().chain([0]).collect();
        let page = page_of(CP_ACP).expect("the ANSI code page converts");
        from_wide(page, &units, b'?', false).map(|r| r.0).unwrap_or_default()
    };
    let unit = if wide { 2 } else { 1 };
    let count = (bytes.len() / unit) as i32;
    if capacity == 0 {
        return Ok(count);
    }
    if capacity < count {
        return fail(k, ERROR_INSUFFICIENT_BUFFER);
    }
    k.mem_mut().write(out.0, &bytes)?;
    Ok(count)
}

/// int GetLocaleInfoW(LCID Locale, LCTYPE LCType, LPWSTR lpLCData, int cchData): the value
/// with its NUL, in characters (cchData 0 asks for the size; too small a buffer is
/// ERROR_INSUFFICIENT_BUFFER). LOCALE_RETURN_NUMBER gives a numeric type's value as a DWORD
/// (2 WCHARs).
pub fn GetLocaleInfoW(k: &mut Kx, lcid: u32, lctype: u32, out: Ptr, capacity: i32) -> KResult<i32> {
    locale_info(k, lcid, lctype, out, capacity, true)
}

/// int GetLocaleInfoA(LCID Locale, LCTYPE LCType, LPSTR lpLCData, int cchData): in the ANSI
/// code page (a DWORD is 4 bytes).
pub fn GetLocaleInfoA(k: &mut Kx, lcid: u32, lctype: u32, out: Ptr, capacity: i32) -> KResult<i32> {
    locale_info(k, lcid, lctype, out, capacity, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_is_english_united_states() {
        assert_eq!(resolve(LOCALE_USER_DEFAULT), Some(LCID_EN_US));
        assert_eq!(resolve(0x0407), None);
        assert_eq!(info(0x1004), Some("1252"));
        assert_eq!(info(0x2A), Some("Monday"));
        assert_eq!(info(0x37), Some("Sun"));
        assert_eq!(info(0x4F), Some("Dec"));
        assert_eq!(info(0x58), None);
    }
}
