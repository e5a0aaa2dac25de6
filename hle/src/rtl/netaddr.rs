//! IPv4 addresses as text: RtlIpv4StringToAddress(Ex)(A/W) and RtlIpv4AddressToString(Ex)(A/W).
//!
//! Parsing follows Windows (whose behaviour Wine's tests record): Strict accepts exactly four
//! decimal parts of 0-255; otherwise one to four parts in decimal, octal (`0` prefix) or hex
//! (`0x`), the last part filling the remaining bytes (`10.1` is 10.0.0.1). The Ex forms also
//! take a `:port` (1-65535) and refuse anything after the address; the plain forms report
//! where parsing stopped in *Terminator. Addresses and ports are in network byte order. The
//! ANSI parsers see at most the first 31 characters, as Windows' do.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, Ptr, PCSTR, PCWSTR};

use super::string::{read_cstr, read_wstr, write_units};

/// One part of a dotted address: (value, characters used), or `Err(characters used)`.
fn component(s: &[u16], strict: bool) -> Result<(u32, usize), usize> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if at(0) == u16::from(b'.') {
        return Err(1);
    }
    let (mut i, base) = match (at(0), at(1)) {
        (0x30, 0x78 | 0x58) => (2, 16),
        (0x30, 0x30..=0x39) => (1, 8),
        _ => (0, 10),
    };
    if strict && base != 10 {
        return Err(i);
    }
    let start = i;
    let mut value: u32 = 0;
    while let Some(d) = char::from_u32(at(i).into()).and_then(|c| c.to_digit(base)).filter(|_| at(i) != 0) {
        value = value.checked_mul(base).and_then(|v| v.checked_add(d)).ok_or(i)?;
        i += 1;
    }
    if i == start {
        return Err(i);
    }
    Ok((value, i))
}

/// Parses an address and an optional `:port` (which must end the string): the four bytes and
/// the port in network order, and where parsing stopped (after the port only when
/// `want_port`, as the Ex forms report it; before the `:` otherwise).
fn parse(s: &[u16], strict: bool, want_port: bool) -> (Option<([u8; 4], u16)>, usize) {
    let mut fields = Vec::new();
    let mut at = 0;
    loop {
        match component(&s[at..], strict) {
            Ok((v, used)) => {
                fields.push(v);
                at += used;
            }
            Err(used) => return (None, at + used),
        }
        if s.get(at) != Some(&u16::from(b'.')) {
            break;
        }
        if fields.len() == 4 {
            return (None, at);
        }
        at += 1;
    }
    if strict && fields.len() < 4 {
        return (None, at);
    }
    let f = &fields;
    let bytes = match f.len() {
        4 if f.iter().all(|&v| v <= 0xFF) => [f[0] as u8, f[1] as u8, f[2] as u8, f[3] as u8],
        3 if f[0] <= 0xFF && f[1] <= 0xFF && f[2] <= 0xFFFF => [f[0] as u8, f[1] as u8, (f[2] >> 8) as u8, f[2] as u8],
        2 if f[0] <= 0xFF && f[1] <= 0xFF_FFFF => [f[0] as u8, (f[1] >> 16) as u8, (f[1] >> 8) as u8, f[1] as u8],
        1 => f[0].to_be_bytes(),
        _ => return (None, at),
    };
    let mut port = 0u16;
    if s.get(at) == Some(&u16::from(b':')) {
        match component(&s[at + 1..], false) {
            Ok((p, used)) if (1..=0xFFFF).contains(&p) && at + 1 + used == s.len() => {
                if want_port {
                    port = (p as u16).to_be();
                    at += 1 + used;
                }
            }
            Ok((_, used)) | Err(used) => return (None, at + 1 + used),
        }
    }
    (Some((bytes, port)), at)
}

/// The ANSI text of an address string, as the wide parser sees it (31 characters at most).
fn ansi(k: &Kx, s: PCSTR) -> KResult<Vec<u16>> {
    Ok(read_cstr(k.mem(), s.0, 31)?.into_iter().map(|b| super::nls::CodePage::Ansi.to_unicode(b)).collect())
}

fn wide(k: &Kx, s: PCWSTR) -> KResult<Vec<u16>> {
    Ok(read_wstr(k.mem(), s.0, 0x1000)?)
}

/// The plain forms: the address in *Addr, where parsing stopped in *Terminator.
fn to_address(
    k: &mut Kx,
    text: &[u16],
    strict: Boolean,
    start: u64,
    unit: u64,
    terminator: Ptr,
    addr: Ptr,
) -> KResult<NtStatus> {
    let (parsed, stop) = parse(text, strict.0, false);
    if !terminator.is_null() {
        k.mem_mut().write_ptr(terminator.0, start + stop as u64 * unit)?;
    } else if parsed.is_some() && stop < text.len() {
        return Ok(status::INVALID_PARAMETER);
    }
    match parsed {
        Some((bytes, _)) => {
            k.mem_mut().write(addr.0, &bytes)?;
            Ok(status::SUCCESS)
        }
        None => Ok(status::INVALID_PARAMETER),
    }
}

/// NTSTATUS RtlIpv4StringToAddressA(PCSTR S, BOOLEAN Strict, PCSTR *Terminator, struct
/// in_addr *Addr)
pub fn RtlIpv4StringToAddressA(k: &mut Kx, s: PCSTR, strict: Boolean, terminator: Ptr, addr: Ptr) -> KResult<NtStatus> {
    let text = ansi(k, s)?;
    to_address(k, &text, strict, s.0, 1, terminator, addr)
}

/// NTSTATUS RtlIpv4StringToAddressW(PCWSTR S, BOOLEAN Strict, PCWSTR *Terminator, struct
/// in_addr *Addr)
pub fn RtlIpv4StringToAddressW(
    k: &mut Kx,
    s: PCWSTR,
    strict: Boolean,
    terminator: Ptr,
    addr: Ptr,
) -> KResult<NtStatus> {
    let text = wide(k, s)?;
    to_address(k, &text, strict, s.0, 2, terminator, addr)
}

/// The Ex forms: the whole string must be an address with an optional port.
fn to_address_ex(k: &mut Kx, text: Option<Vec<u16>>, strict: Boolean, addr: Ptr, port: Ptr) -> KResult<NtStatus> {
    let Some(text) = text.filter(|_| !addr.is_null() && !port.is_null()) else { return Ok(status::INVALID_PARAMETER) };
    match parse(&text, strict.0, true) {
        (Some((bytes, p)), stop) if stop == text.len() => {
            k.mem_mut().write(addr.0, &bytes)?;
            k.mem_mut().write_u16(port.0, p)?;
            Ok(status::SUCCESS)
        }
        _ => Ok(status::INVALID_PARAMETER),
    }
}

/// NTSTATUS RtlIpv4StringToAddressExA(PCSTR AddressString, BOOLEAN Strict, struct in_addr
/// *Address, PUSHORT Port)
pub fn RtlIpv4StringToAddressExA(k: &mut Kx, s: PCSTR, strict: Boolean, addr: Ptr, port: Ptr) -> KResult<NtStatus> {
    let text = if s.0 == 0 { None } else { Some(ansi(k, s)?) };
    to_address_ex(k, text, strict, addr, port)
}

/// NTSTATUS RtlIpv4StringToAddressExW(PCWSTR AddressString, BOOLEAN Strict, struct in_addr
/// *Address, PUSHORT Port)
pub fn RtlIpv4StringToAddressExW(k: &mut Kx, s: PCWSTR, strict: Boolean, addr: Ptr, port: Ptr) -> KResult<NtStatus> {
    let text = if s.0 == 0 { None } else { Some(wide(k, s)?) };
    to_address_ex(k, text, strict, addr, port)
}

/// The dotted text of an address, with `:port` when the port is not 0.
fn text_of(k: &Kx, addr: Ptr, port: u16) -> KResult<String> {
    let mut b = [0u8; 4];
    k.mem().read(addr.0, &mut b)?;
    let mut t = format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
    if port != 0 {
        t.push_str(&format!(":{}", u16::from_be(port)));
    }
    Ok(t)
}

/// Writes `text` and its terminator as ANSI (`wide` false) or UTF-16 characters.
fn put_text(k: &mut Kx, at: u64, text: &str, wide: bool) -> KResult<()> {
    let mut units: Vec<u16> = text.encode_utf16().collect();
    units.push(0);
    if wide {
        write_units(k.mem_mut(), at, &units)?;
    } else {
        k.mem_mut().write(at, &units.iter().map(|&u| u as u8).collect::<Vec<u8>>())?;
    }
    Ok(())
}

/// The Ex forms: *AddressStringLength is the room in characters on entry and the characters
/// needed (terminator included) on return; too little room is STATUS_INVALID_PARAMETER.
fn to_string_ex(k: &mut Kx, addr: Ptr, port: u16, out: Ptr, length: Ptr, wide: bool) -> KResult<NtStatus> {
    if addr.is_null() || out.is_null() || length.is_null() {
        return Ok(status::INVALID_PARAMETER);
    }
    let text = text_of(k, addr, port)?;
    let room = k.mem().read_u32(length.0)?;
    let needed = text.len() as u32 + 1;
    k.mem_mut().write_u32(length.0, needed)?;
    if room < needed {
        return Ok(status::INVALID_PARAMETER);
    }
    put_text(k, out.0, &text, wide)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlIpv4AddressToStringExA(const struct in_addr *Address, USHORT Port, PSTR
/// AddressString, PULONG AddressStringLength)
pub fn RtlIpv4AddressToStringExA(k: &mut Kx, addr: Ptr, port: u16, out: Ptr, length: Ptr) -> KResult<NtStatus> {
    to_string_ex(k, addr, port, out, length, false)
}

/// NTSTATUS RtlIpv4AddressToStringExW(const struct in_addr *Address, USHORT Port, PWSTR
/// AddressString, PULONG AddressStringLength)
pub fn RtlIpv4AddressToStringExW(k: &mut Kx, addr: Ptr, port: u16, out: Ptr, length: Ptr) -> KResult<NtStatus> {
    to_string_ex(k, addr, port, out, length, true)
}

/// PSTR RtlIpv4AddressToStringA(const struct in_addr *Addr, PSTR S): writes the dotted form
/// (S holds 16 characters) and returns the address of its terminator.
pub fn RtlIpv4AddressToStringA(k: &mut Kx, addr: Ptr, out: Ptr) -> KResult<Ptr> {
    let text = text_of(k, addr, 0)?;
    put_text(k, out.0, &text, false)?;
    Ok(Ptr(out.0 + text.len() as u64))
}

/// PWSTR RtlIpv4AddressToStringW(const struct in_addr *Addr, PWSTR S)
pub fn RtlIpv4AddressToStringW(k: &mut Kx, addr: Ptr, out: Ptr) -> KResult<Ptr> {
    let text = text_of(k, addr, 0)?;
    put_text(k, out.0, &text, true)?;
    Ok(Ptr(out.0 + text.len() as u64 * 2))
}
