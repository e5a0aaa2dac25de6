//! The kernel's `printf` engine: Microsoft C runtime format semantics over guest arguments.
//!
//! This is what `DbgPrint`, `DbgPrintEx`, `vDbgPrintEx` (and the `RtlStringCbPrintf*`,
//! `_snprintf`, `swprintf` family) format with: the format string's arguments come from the
//! guest's variadic argument area one pointer-sized slot at a time ([`VarArgs`]), and string
//! arguments are read from guest memory with checked reads, so a bad guest pointer is a
//! [`MemError`], never a host fault.
//!
//! Behaviour follows the Microsoft CRT that ntoskrnl's `_vsnprintf` is built from, with these
//! choices where Windows is ambiguous, undocumented or unsafe to copy:
//!
//! * The result is a host `String`. ANSI bytes (the format string's literal text, `%s`, `%c`,
//!   `%Z`) are decoded as Windows-1252 (0x80-0x9F per the code page; its five undefined bytes
//!   map to the C1 control of the same value, as Windows does; 0xA0-0xFF are Latin-1). Wide
//!   text (`%ws`, `%wc`, `%wZ`) is decoded from UTF-16 directly, unpaired surrogates becoming
//!   U+FFFD, rather than being squeezed through the ANSI code page as the kernel would.
//! * Field widths count source characters (bytes of ANSI text, UTF-16 units of wide text), as
//!   the CRT does, not bytes of UTF-8 output.
//! * Widths and numeric precisions are clamped to [`FIELD_CAP`]; a string precision is
//!   clamped to [`STRING_CAP`], which also caps a string read without a precision. Output
//!   stops at [`OUTPUT_CAP`] bytes (whole characters only); formatting stops there too, so a
//!   bad pointer after the cap is not reported.
//! * `%n` never writes guest memory (Windows kernels disable it): its pointer slot is consumed
//!   and nothing is printed.
//! * The `0` flag zero-pads every conversion except integers with a precision and inf/nan,
//!   including `%s` and `%c`, as the Microsoft CRT does (`%05s` of `ab` is `000ab`).
//! * NULL `%s`/`%ws` print `(null)`, cut by the precision as the CRT does (`%.3s` gives `(nu`);
//!   `%Z`/`%wZ` ignore the precision entirely, as the CRT does, and print exactly `Length`
//!   bytes (`Length / 2` units for `%wZ`), embedded NULs included. `Length` is unsigned.
//!   Only `w` makes `%Z` wide (`%lZ` is an ANSI_STRING), as in the CRT.
//! * `%s`/`%c`: `l` or `w` means wide and wins over `h`; `%S`/`%C` are wide unless `h`
//!   is given. `ll` does not make a string wide (it is `long long`, not `long`).
//! * Size prefixes: the last one given decides an integer's size. `hh` is `char` (C99/UCRT),
//!   `h` short, `l`/`I32` 32 bits, `ll`/`I64`/`j` 64 bits, `I`/`z`/`t` pointer-sized; `L` and
//!   `w` leave integers alone. `%p` is pointer-sized unless `ll`/`I64`/`j` say 64 bits, and
//!   prints uppercase hex padded to 8 (x86) or 16 (x64) digits whatever the precision;
//!   `%#p` adds `0X`.
//! * Floating point follows the UCRT (VS2015+): two-digit exponents (`1.000000e+00`), `inf`
//!   and `nan` (`-nan` when the sign bit is set; uppercase for `F E G A`), and `%a` with all
//!   13 hex digits unless a precision says otherwise (`0x1.0000000000000p+0`).
//! * An unknown conversion prints its whole specification as written (`%5y` prints `%5y`)
//!   and consumes no argument, not even for a `*` in it. `%%` (also `%5%`) prints `%`. A
//!   specification cut short by the end of the format string (`%`, `%5`, `%l`) prints nothing.

use portcullis_emu::{Arch, GuestMemory, MemError, PAGE_SIZE};

/// Largest output, in bytes of UTF-8, that one call produces.
pub const OUTPUT_CAP: usize = 64 * 1024;
/// Most characters read for one string argument.
pub const STRING_CAP: usize = 64 * 1024;
/// Largest field width or numeric precision honoured.
pub const FIELD_CAP: usize = 4096;

/// Where variadic arguments come from: successive pointer-sized slots
/// (4 bytes on x86, 8 on x64), as the calling convention laid them out.
pub trait VarArgs {
    /// The next slot, zero-extended to 64 bits.
    fn next_slot(&mut self) -> Result<u64, MemError>;
}

/// A [`VarArgs`] over a plain list of slot values (for tests and host-side callers).
///
/// Running past the end yields zeros.
#[derive(Clone, Debug, Default)]
pub struct SlotList {
    slots: Vec<u64>,
    next: usize,
}

impl SlotList {
    pub fn new(slots: Vec<u64>) -> Self {
        SlotList { slots, next: 0 }
    }
}

impl VarArgs for SlotList {
    fn next_slot(&mut self) -> Result<u64, MemError> {
        let v = self.slots.get(self.next).copied().unwrap_or(0);
        self.next = self.next.saturating_add(1);
        Ok(v)
    }
}

/// Reads a NUL-terminated ANSI string at `va`, at most `max` bytes (no NUL needed at the cap).
pub fn read_cstr(mem: &GuestMemory, va: u64, max: usize) -> Result<Vec<u8>, MemError> {
    let mut out = Vec::new();
    let mut buf = [0u8; PAGE_SIZE as usize];
    let mut addr = va;
    while out.len() < max {
        // Never read past the page holding the terminator: the next one may be unmapped.
        let n = page_left(addr).min(max - out.len());
        let chunk = &mut buf[..n];
        mem.read(addr, chunk)?;
        if let Some(end) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..end]);
            return Ok(out);
        }
        out.extend_from_slice(chunk);
        addr = addr.wrapping_add(n as u64);
    }
    Ok(out)
}

/// Reads a NUL-terminated UTF-16LE string at `va`, at most `max` code units.
pub fn read_wstr(mem: &GuestMemory, va: u64, max: usize) -> Result<Vec<u16>, MemError> {
    let mut out = Vec::new();
    let mut buf = [0u8; PAGE_SIZE as usize];
    let mut addr = va;
    // The low byte of a unit that straddles a page boundary (odd `va`).
    let mut low: Option<u8> = None;
    while out.len() < max {
        let want = (max - out.len()).saturating_mul(2) - usize::from(low.is_some());
        let n = page_left(addr).min(want);
        let chunk = &mut buf[..n];
        mem.read(addr, chunk)?;
        for &b in chunk.iter() {
            match low.take() {
                None => low = Some(b),
                Some(lo) => {
                    let unit = u16::from_le_bytes([lo, b]);
                    if unit == 0 {
                        return Ok(out);
                    }
                    out.push(unit);
                }
            }
        }
        addr = addr.wrapping_add(n as u64);
    }
    Ok(out)
}

/// Bytes from `addr` to the end of its page (1..=PAGE_SIZE).
fn page_left(addr: u64) -> usize {
    (PAGE_SIZE - addr % PAGE_SIZE) as usize
}

/// Which family a format string belongs to: the narrow (`printf`, `DbgPrint`) or the wide
/// (`swprintf`) one. They differ in what the format string's units are and in which string
/// and character conversions are wide by default: `%s`/`%c` take wide arguments in the wide
/// family and `%S`/`%C` narrow ones, the other way round from the narrow family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Narrow,
    Wide,
}

/// Formats `format` (bytes of an ANSI format string, without its NUL) with arguments from
/// `args`, reading strings from `mem`. `arch` decides argument sizes.
///
/// A guest pointer that cannot be read makes the whole call fail with that [`MemError`]
/// (the kernel's `DbgPrint` catches this and returns `STATUS_ACCESS_VIOLATION`).
pub fn format(format: &[u8], args: &mut dyn VarArgs, mem: &GuestMemory, arch: Arch) -> Result<String, MemError> {
    let units: Vec<u16> = format.iter().map(|&b| u16::from(b)).collect();
    format_units(&units, Flavor::Narrow, args, mem, arch)
}

/// Formats a wide (UTF-16) format string with the wide family's rules.
pub fn format_wide(format: &[u16], args: &mut dyn VarArgs, mem: &GuestMemory, arch: Arch) -> Result<String, MemError> {
    format_units(format, Flavor::Wide, args, mem, arch)
}

/// The engine: `format` holds bytes (narrow) or UTF-16 units (wide).
fn format_units(
    format: &[u16],
    flavor: Flavor,
    args: &mut dyn VarArgs,
    mem: &GuestMemory,
    arch: Arch,
) -> Result<String, MemError> {
    let mut out = Out::default();
    let mut args = Args { inner: args, arch };
    let percent = u16::from(b'%');
    let mut i = 0;
    while i < format.len() && !out.full {
        if format[i] != percent {
            let end = format[i..].iter().position(|&u| u == percent).map_or(format.len(), |p| i + p);
            push_literal(&mut out, &format[i..end], flavor);
            i = end;
            continue;
        }
        let Some((spec, end)) = parse_spec(format, i + 1) else {
            // The format string ends inside a specification: the CRT prints nothing more.
            break;
        };
        if !is_conversion(spec.conv) {
            push_literal(&mut out, &format[i..end], flavor);
        } else {
            convert(&mut out, &spec, flavor, &mut args, mem)?;
        }
        i = end;
    }
    Ok(out.s)
}

/// Literal text of the format string: ANSI bytes, or UTF-16 (pairs decoded together).
fn push_literal(out: &mut Out, units: &[u16], flavor: Flavor) {
    match flavor {
        Flavor::Narrow => units.iter().for_each(|&b| out.push(ansi_char(b as u8))),
        Flavor::Wide => out.push_str(&wide_text(units)),
    }
}

/// A field width or precision as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Count {
    Num(usize),
    Star,
}

/// The integer size the size prefixes ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IntSize {
    Char,
    Short,
    Int,
    Int64,
    Ptr,
}

/// One parsed `%` specification.
#[derive(Clone, Copy, Debug)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: Option<Count>,
    precision: Option<Count>,
    size: IntSize,
    /// `h` was given (ANSI for strings and characters).
    short_hint: bool,
    /// `l` or `w` was given (wide for strings and characters).
    wide_hint: bool,
    /// `w` was given (the only prefix that makes `%Z` wide).
    w: bool,
    conv: u8,
}

fn is_conversion(c: u8) -> bool {
    b"diuoxXcCsSZpneEfFgGaA%".contains(&c)
}

/// The format unit at `i` as an ASCII byte (anything else as 0xFF, which no part of a
/// specification uses), or `None` past the end.
fn unit(f: &[u16], i: usize) -> Option<u8> {
    f.get(i).map(|&u| if u < 0x80 { u as u8 } else { 0xFF })
}

/// Parses the specification starting after its `%` at `start`. Returns it and the index just
/// past its conversion character, or `None` if the format string ends first.
fn parse_spec(f: &[u16], start: usize) -> Option<(Spec, usize)> {
    let mut spec = Spec {
        left: false,
        plus: false,
        space: false,
        alt: false,
        zero: false,
        width: None,
        precision: None,
        size: IntSize::Int,
        short_hint: false,
        wide_hint: false,
        w: false,
        conv: 0,
    };
    let mut i = start;
    loop {
        match unit(f, i)? {
            b'-' => spec.left = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.alt = true,
            b'0' => spec.zero = true,
            _ => break,
        }
        i += 1;
    }
    if unit(f, i)? == b'*' {
        spec.width = Some(Count::Star);
        i += 1;
    } else if let Some((n, next)) = parse_number(f, i) {
        spec.width = Some(Count::Num(n));
        i = next;
    }
    if unit(f, i)? == b'.' {
        i += 1;
        if unit(f, i)? == b'*' {
            spec.precision = Some(Count::Star);
            i += 1;
        } else {
            let (n, next) = parse_number(f, i).unwrap_or((0, i));
            spec.precision = Some(Count::Num(n));
            i = next;
        }
    }
    loop {
        match unit(f, i)? {
            b'h' => {
                spec.short_hint = true;
                if unit(f, i + 1) == Some(b'h') {
                    spec.size = IntSize::Char;
                    i += 1;
                } else {
                    spec.size = IntSize::Short;
                }
            }
            b'l' => {
                if unit(f, i + 1) == Some(b'l') {
                    spec.size = IntSize::Int64;
                    i += 1;
                } else {
                    spec.size = IntSize::Int;
                    spec.wide_hint = true;
                }
            }
            b'w' => {
                spec.wide_hint = true;
                spec.w = true;
            }
            b'L' => {}
            b'I' => match (unit(f, i + 1), unit(f, i + 2)) {
                (Some(b'6'), Some(b'4')) => {
                    spec.size = IntSize::Int64;
                    i += 2;
                }
                (Some(b'3'), Some(b'2')) => {
                    spec.size = IntSize::Int;
                    i += 2;
                }
                _ => spec.size = IntSize::Ptr,
            },
            b'z' | b't' => spec.size = IntSize::Ptr,
            b'j' => spec.size = IntSize::Int64,
            _ => break,
        }
        i += 1;
    }
    spec.conv = unit(f, i)?;
    Some((spec, i + 1))
}

/// Decimal digits at `i`, saturating; `None` if there are none.
fn parse_number(f: &[u16], mut i: usize) -> Option<(usize, usize)> {
    let first = i;
    let mut n: usize = 0;
    while let Some(d) = unit(f, i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
        i += 1;
    }
    (i > first).then_some((n, i))
}

/// Argument slots, read by C type.
struct Args<'a> {
    inner: &'a mut dyn VarArgs,
    arch: Arch,
}

impl Args<'_> {
    fn slot(&mut self) -> Result<u64, MemError> {
        self.inner.next_slot()
    }

    /// An `int`-sized argument (the low 32 bits of its slot).
    fn int32(&mut self) -> Result<u32, MemError> {
        Ok(self.slot()? as u32)
    }

    /// A 64-bit argument: one slot on x64, two (low dword first) on x86.
    fn int64(&mut self) -> Result<u64, MemError> {
        match self.arch {
            Arch::X64 => self.slot(),
            Arch::X86 => {
                let lo = u64::from(self.int32()?);
                let hi = u64::from(self.int32()?);
                Ok(hi << 32 | lo)
            }
        }
    }

    fn ptr(&mut self) -> Result<u64, MemError> {
        Ok(self.arch.mask(self.slot()?))
    }

    fn double(&mut self) -> Result<f64, MemError> {
        Ok(f64::from_bits(self.int64()?))
    }
}

/// The output, capped at [`OUTPUT_CAP`] bytes.
#[derive(Default)]
struct Out {
    s: String,
    full: bool,
}

impl Out {
    fn push(&mut self, c: char) {
        if self.full {
            return;
        }
        if self.s.len() + c.len_utf8() > OUTPUT_CAP {
            self.full = true;
        } else {
            self.s.push(c);
        }
    }

    fn push_str(&mut self, t: &str) {
        if self.full {
            return;
        }
        if self.s.len() + t.len() <= OUTPUT_CAP {
            self.s.push_str(t);
        } else {
            for c in t.chars() {
                self.push(c);
                if self.full {
                    break;
                }
            }
        }
    }

    fn repeat(&mut self, c: char, n: usize) {
        for _ in 0..n {
            if self.full {
                break;
            }
            self.push(c);
        }
    }
}

/// Width and alignment resolved for one conversion.
struct Field {
    left: bool,
    zero: bool,
    width: usize,
}

impl Field {
    /// Writes `prefix` (sign, `0x`; ASCII) and `text` padded to the width; `units` is the
    /// length of `text` in source characters. Zero padding goes between prefix and text.
    fn emit(&self, out: &mut Out, prefix: &str, text: &str, units: usize, zero_ok: bool) {
        let pad = self.width.saturating_sub(prefix.len().saturating_add(units));
        let zero = zero_ok && self.zero && !self.left;
        if !self.left && !zero {
            out.repeat(' ', pad);
        }
        out.push_str(prefix);
        if zero {
            out.repeat('0', pad);
        }
        out.push_str(text);
        if self.left {
            out.repeat(' ', pad);
        }
    }
}

fn convert(out: &mut Out, spec: &Spec, flavor: Flavor, args: &mut Args, mem: &GuestMemory) -> Result<(), MemError> {
    if spec.conv == b'%' {
        out.push('%');
        return Ok(());
    }
    // Arguments for `*` come first, width before precision.
    let mut field = Field { left: spec.left, zero: spec.zero, width: 0 };
    match spec.width {
        None => {}
        Some(Count::Num(n)) => field.width = n.min(FIELD_CAP),
        Some(Count::Star) => {
            let w = args.int32()? as i32;
            if w < 0 {
                field.left = true;
            }
            field.width = (w.unsigned_abs() as usize).min(FIELD_CAP);
        }
    }
    let precision = match spec.precision {
        None => None,
        Some(Count::Num(n)) => Some(n),
        Some(Count::Star) => usize::try_from(args.int32()? as i32).ok(),
    };
    match spec.conv {
        b'd' | b'i' | b'u' | b'o' | b'x' | b'X' => format_int(out, spec, &field, precision, args),
        b'p' => format_ptr(out, spec, &field, args),
        b'c' | b'C' => {
            let v = args.slot()?;
            let c = if is_wide(spec, flavor) {
                char::decode_utf16([v as u16]).next().and_then(Result::ok).unwrap_or(char::REPLACEMENT_CHARACTER)
            } else {
                ansi_char(v as u8)
            };
            let mut buf = [0u8; 4];
            field.emit(out, "", c.encode_utf8(&mut buf), 1, true);
            Ok(())
        }
        b's' | b'S' => {
            let va = args.ptr()?;
            let limit = precision.map_or(STRING_CAP, |p| p.min(STRING_CAP));
            let (text, units) = if va == 0 {
                let null = &"(null)"[..limit.min(6)];
                (null.to_string(), null.len())
            } else if is_wide(spec, flavor) {
                let w = read_wstr(mem, va, limit)?;
                (wide_text(&w), w.len())
            } else {
                let a = read_cstr(mem, va, limit)?;
                (ansi_text(&a), a.len())
            };
            field.emit(out, "", &text, units, true);
            Ok(())
        }
        b'Z' => {
            let (text, units) = counted_string(spec.w, args, mem)?;
            field.emit(out, "", &text, units, true);
            Ok(())
        }
        b'n' => {
            // Never writes: Windows kernels disable %n. Its pointer is consumed.
            args.ptr()?;
            Ok(())
        }
        _ => {
            let v = args.double()?;
            format_float(out, spec, &field, precision, v);
            Ok(())
        }
    }
}

/// Whether a `c`/`C`/`s`/`S` conversion takes wide characters: `l`/`w` always, `h` never,
/// and otherwise the family's default (wide for `%S` in the narrow family and for `%s` in the
/// wide one).
fn is_wide(spec: &Spec, flavor: Flavor) -> bool {
    let default_wide = spec.conv.is_ascii_uppercase() != (flavor == Flavor::Wide);
    spec.wide_hint || (default_wide && !spec.short_hint)
}

/// `%Z` / `%wZ`: an ANSI_STRING or UNICODE_STRING, as text and its length in source units.
fn counted_string(wide: bool, args: &mut Args, mem: &GuestMemory) -> Result<(String, usize), MemError> {
    let va = args.ptr()?;
    let null = || ("(null)".to_string(), 6);
    if va == 0 {
        return Ok(null());
    }
    let length = mem.read_u16(va)?;
    let buffer = match args.arch {
        Arch::X86 => u64::from(mem.read_u32(va.wrapping_add(4))?),
        Arch::X64 => mem.read_u64(va.wrapping_add(8))?,
    };
    if buffer == 0 {
        return Ok(null());
    }
    if wide {
        let mut bytes = vec![0u8; usize::from(length / 2) * 2];
        mem.read(buffer, &mut bytes)?;
        let units: Vec<u16> = bytes.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
        Ok((wide_text(&units), units.len()))
    } else {
        let mut bytes = vec![0u8; usize::from(length)];
        mem.read(buffer, &mut bytes)?;
        Ok((ansi_text(&bytes), bytes.len()))
    }
}

fn format_int(
    out: &mut Out,
    spec: &Spec,
    field: &Field,
    precision: Option<usize>,
    args: &mut Args,
) -> Result<(), MemError> {
    let bits = match spec.size {
        IntSize::Char => 8,
        IntSize::Short => 16,
        IntSize::Int => 32,
        IntSize::Int64 => 64,
        IntSize::Ptr => args.arch.ptr_size() * 8,
    };
    let raw = if bits == 64 { args.int64()? } else { args.slot()? };
    let signed = matches!(spec.conv, b'd' | b'i');
    let (negative, magnitude) = if signed {
        let v = match bits {
            8 => i64::from(raw as i8),
            16 => i64::from(raw as i16),
            32 => i64::from(raw as i32),
            _ => raw as i64,
        };
        (v < 0, v.unsigned_abs())
    } else {
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        (false, raw & mask)
    };
    let mut digits = match (precision, magnitude) {
        // A zero precision with a zero value prints no digits at all.
        (Some(0), 0) => String::new(),
        _ => match spec.conv {
            b'o' => format!("{magnitude:o}"),
            b'x' => format!("{magnitude:x}"),
            b'X' => format!("{magnitude:X}"),
            _ => magnitude.to_string(),
        },
    };
    if let Some(p) = precision.map(|p| p.min(FIELD_CAP)) {
        if digits.len() < p {
            digits.insert_str(0, &"0".repeat(p - digits.len()));
        }
    }
    if spec.conv == b'o' && spec.alt && !digits.starts_with('0') {
        digits.insert(0, '0');
    }
    let prefix = if signed {
        sign_prefix(spec, negative)
    } else if spec.alt && magnitude != 0 && spec.conv == b'x' {
        "0x"
    } else if spec.alt && magnitude != 0 && spec.conv == b'X' {
        "0X"
    } else {
        ""
    };
    // A precision turns the 0 flag off.
    field.emit(out, prefix, &digits, digits.len(), precision.is_none());
    Ok(())
}

fn format_ptr(out: &mut Out, spec: &Spec, field: &Field, args: &mut Args) -> Result<(), MemError> {
    let value = if spec.size == IntSize::Int64 { args.int64()? } else { args.ptr()? };
    let digits = args.arch.ptr_size() as usize * 2;
    let text = format!("{value:0digits$X}");
    let prefix = if spec.alt && value != 0 { "0X" } else { "" };
    // %p always has a precision, so the 0 flag never applies.
    field.emit(out, prefix, &text, text.len(), false);
    Ok(())
}

fn sign_prefix(spec: &Spec, negative: bool) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn format_float(out: &mut Out, spec: &Spec, field: &Field, precision: Option<usize>, v: f64) {
    let upper = spec.conv.is_ascii_uppercase();
    let sign = sign_prefix(spec, v.is_sign_negative());
    if !v.is_finite() {
        let text = match (v.is_nan(), upper) {
            (true, false) => "nan",
            (true, true) => "NAN",
            (false, false) => "inf",
            (false, true) => "INF",
        };
        field.emit(out, sign, text, text.len(), false);
        return;
    }
    let a = v.abs();
    let precision = precision.map(|p| p.min(FIELD_CAP));
    let mut prefix = sign.to_string();
    let body = match spec.conv.to_ascii_lowercase() {
        b'f' => fixed(a, precision.unwrap_or(6), spec.alt),
        b'e' => exponent(a, precision.unwrap_or(6), spec.alt, upper),
        b'g' => general(a, precision.unwrap_or(6), spec.alt, upper),
        _ => {
            prefix.push_str(if upper { "0X" } else { "0x" });
            hex_float(a, precision, spec.alt, upper)
        }
    };
    field.emit(out, &prefix, &body, body.len(), true);
}

/// `%f` of a non-negative finite value.
fn fixed(a: f64, precision: usize, alt: bool) -> String {
    let mut s = format!("{a:.precision$}");
    if precision == 0 && alt {
        s.push('.');
    }
    s
}

/// Splits Rust's `{:.Ne}` output into mantissa and decimal exponent.
fn rust_exponent(a: f64, precision: usize) -> (String, i32) {
    let s = format!("{a:.precision$e}");
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

fn exponent_suffix(exp: i32, upper: bool) -> String {
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{e}{sign}{:02}", exp.unsigned_abs())
}

/// `%e` of a non-negative finite value.
fn exponent(a: f64, precision: usize, alt: bool, upper: bool) -> String {
    let (mut m, exp) = rust_exponent(a, precision);
    if precision == 0 && alt {
        m.push('.');
    }
    m + &exponent_suffix(exp, upper)
}

/// `%g` of a non-negative finite value.
fn general(a: f64, precision: usize, alt: bool, upper: bool) -> String {
    let p = precision.max(1);
    // The exponent %e would print at precision p - 1, rounding included.
    let (_, x) = if a == 0.0 { (String::new(), 0) } else { rust_exponent(a, p - 1) };
    let p = i64::try_from(p).unwrap_or(i64::MAX);
    let x = i64::from(x);
    let (mut mantissa, suffix) = if x >= -4 && x < p {
        let decimals = usize::try_from(p - 1 - x).unwrap_or(0);
        (format!("{a:.decimals$}"), String::new())
    } else {
        let decimals = usize::try_from(p - 1).unwrap_or(0);
        let (m, e) = rust_exponent(a, decimals);
        (m, exponent_suffix(e, upper))
    };
    if alt {
        if !mantissa.contains('.') {
            mantissa.push('.');
        }
    } else if mantissa.contains('.') {
        let trimmed = mantissa.trim_end_matches('0').trim_end_matches('.').len();
        mantissa.truncate(trimmed);
    }
    mantissa + &suffix
}

/// `%a` of a non-negative finite value, without the `0x` prefix.
fn hex_float(a: f64, precision: Option<usize>, alt: bool, upper: bool) -> String {
    const MANT_DIGITS: usize = 13;
    let bits = a.to_bits();
    let biased = (bits >> 52) & 0x7FF;
    let mut mant = bits & ((1u64 << 52) - 1);
    let (mut lead, exp) = match (biased, mant) {
        (0, 0) => (0u64, 0i64),
        (0, _) => (0, -1022),
        _ => (1, biased as i64 - 1023),
    };
    let p = precision.unwrap_or(MANT_DIGITS);
    let mut digits = if p < MANT_DIGITS {
        // Round to nearest, ties to even, on the dropped bits.
        let shift = (MANT_DIGITS - p) * 4;
        let rem = mant & ((1u64 << shift) - 1);
        let half = 1u64 << (shift - 1);
        mant >>= shift;
        if rem > half || (rem == half && mant & 1 == 1) {
            mant += 1;
        }
        let keep = p * 4;
        if mant >> keep != 0 {
            lead += 1;
            mant &= (1u64 << keep) - 1;
        }
        if p == 0 {
            String::new()
        } else {
            format!("{mant:0p$x}")
        }
    } else {
        let mut d = format!("{mant:013x}");
        d.push_str(&"0".repeat(p - MANT_DIGITS));
        d
    };
    if upper {
        digits.make_ascii_uppercase();
    }
    let point = if p > 0 || alt { "." } else { "" };
    let pchar = if upper { 'P' } else { 'p' };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{lead}{point}{digits}{pchar}{esign}{}", exp.unsigned_abs())
}

use super::nls::ansi_char;

fn ansi_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| ansi_char(b)).collect()
}

fn wide_text(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_emu::{Machine, MachineConfig, Prot, RegionKind};

    fn machine(arch: Arch) -> Machine {
        Machine::new(MachineConfig::new(arch), ()).unwrap()
    }

    /// Places `bytes` at the start of a fresh region (followed by an unmapped guard page).
    fn put(m: &mut Machine, bytes: &[u8]) -> u64 {
        let size = (bytes.len() as u64).max(1);
        let va = m.mem_mut().alloc(RegionKind::Pool, "test", size, Prot::RW).unwrap();
        m.mem_mut().write(va, bytes).unwrap();
        va
    }

    /// Places `bytes` so that they end exactly at the guard page after their region.
    fn put_at_end(m: &mut Machine, bytes: &[u8]) -> u64 {
        let va = m.mem_mut().alloc(RegionKind::Pool, "test", 0x1000, Prot::RW).unwrap();
        let at = va + 0x1000 - bytes.len() as u64;
        m.mem_mut().write(at, bytes).unwrap();
        at
    }

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
    }

    fn run(m: &Machine, arch: Arch, f: &str, slots: &[u64]) -> Result<String, MemError> {
        format(f.as_bytes(), &mut SlotList::new(slots.to_vec()), m.mem(), arch)
    }

    /// Formats on a fresh machine of `arch`, expecting success.
    fn fmt(arch: Arch, f: &str, slots: &[u64]) -> String {
        let m = machine(arch);
        run(&m, arch, f, slots).unwrap()
    }

    fn fmt64(f: &str, slots: &[u64]) -> String {
        fmt(Arch::X64, f, slots)
    }

    fn fmt32(f: &str, slots: &[u64]) -> String {
        fmt(Arch::X86, f, slots)
    }

    /// Both halves of a double for x86's two slots.
    fn dbl32(v: f64) -> [u64; 2] {
        let b = v.to_bits();
        [b & 0xFFFF_FFFF, b >> 32]
    }

    #[test]
    fn kapi_example_both_archs() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let s = put(&mut m, b"answer\0");
            let w = put(&mut m, &utf16z("wide"));
            let out =
                run(&m, arch, "kapi: %s=%d hex=%08x char=%c wide=%ws\n", &[s, 42, 0xbeef, u64::from(b'Z'), w]).unwrap();
            assert_eq!(out, "kapi: answer=42 hex=0000beef char=Z wide=wide\n", "{arch:?}");
        }
    }

    #[test]
    fn plain_text_and_percent() {
        assert_eq!(fmt64("hello", &[]), "hello");
        assert_eq!(fmt64("100%% sure", &[]), "100% sure");
        assert_eq!(fmt64("%5%|", &[]), "%|");
        assert_eq!(fmt64("", &[]), "");
    }

    #[test]
    fn trailing_and_incomplete_specs_print_nothing() {
        assert_eq!(fmt64("100%", &[1]), "100");
        assert_eq!(fmt64("a%5", &[1]), "a");
        assert_eq!(fmt64("a%-08.3l", &[1]), "a");
        assert_eq!(fmt64("a%I", &[1]), "a");
        assert_eq!(fmt64("a%hh", &[1]), "a");
        assert_eq!(fmt64("a%*", &[1]), "a");
        assert_eq!(fmt64("a%.", &[1]), "a");
    }

    #[test]
    fn unknown_conversions_print_as_written_and_consume_nothing() {
        assert_eq!(fmt64("%y %d", &[7]), "%y 7");
        assert_eq!(fmt64("%-5y|%d", &[7]), "%-5y|7");
        assert_eq!(fmt64("%*.*y %d", &[7]), "%*.*y 7");
        assert_eq!(fmt64("%I6d", &[7]), "%I6d");
        assert_eq!(fmt64("%lq%d", &[7]), "%lq7");
        assert_eq!(fmt64("%\u{e9}", &[]), "%\u{c3}\u{a9}");
    }

    #[test]
    fn signed_and_unsigned_decimal() {
        assert_eq!(fmt64("%d", &[42]), "42");
        assert_eq!(fmt64("%i", &[0xFFFF_FFFF]), "-1");
        assert_eq!(fmt64("%d", &[0x8000_0000]), "-2147483648");
        assert_eq!(fmt64("%u", &[0xFFFF_FFFF]), "4294967295");
        // int takes the low 32 bits of its slot only.
        assert_eq!(fmt64("%d", &[0xFFFF_FFFF_0000_0005]), "5");
        assert_eq!(fmt64("%u", &[0x1_0000_0000]), "0");
    }

    #[test]
    fn octal_and_hex() {
        assert_eq!(fmt64("%o", &[8]), "10");
        assert_eq!(fmt64("%x", &[0xbeef]), "beef");
        assert_eq!(fmt64("%X", &[0xbeef]), "BEEF");
        assert_eq!(fmt64("%x", &[0xFFFF_FFFF_FFFF_FFFF]), "ffffffff");
        assert_eq!(fmt64("%#x", &[255]), "0xff");
        assert_eq!(fmt64("%#X", &[255]), "0XFF");
        assert_eq!(fmt64("%#x", &[0]), "0");
        assert_eq!(fmt64("%#o", &[8]), "010");
        assert_eq!(fmt64("%#o", &[0]), "0");
        assert_eq!(fmt64("%#.0o", &[0]), "0");
        assert_eq!(fmt64("%#.5o", &[8]), "00010");
        assert_eq!(fmt64("%#010x", &[0xbeef]), "0x0000beef");
        assert_eq!(fmt64("%#10x|", &[0xbeef]), "    0xbeef|");
        assert_eq!(fmt64("%-#10x|", &[0xbeef]), "0xbeef    |");
    }

    #[test]
    fn integer_flags_width_precision() {
        assert_eq!(fmt64("%+d", &[5]), "+5");
        assert_eq!(fmt64("%+d", &[0xFFFF_FFFB]), "-5");
        assert_eq!(fmt64("% d", &[5]), " 5");
        assert_eq!(fmt64("%+ d", &[5]), "+5");
        assert_eq!(fmt64("%+u", &[5]), "5");
        assert_eq!(fmt64("%+x", &[5]), "5");
        assert_eq!(fmt64("%5d|", &[42]), "   42|");
        assert_eq!(fmt64("%-5d|", &[42]), "42   |");
        assert_eq!(fmt64("%05d", &[42]), "00042");
        assert_eq!(fmt64("%05d", &[0xFFFF_FFD6]), "-0042");
        assert_eq!(fmt64("%+05d", &[42]), "+0042");
        assert_eq!(fmt64("%-05d|", &[42]), "42   |");
        assert_eq!(fmt64("%.3d", &[7]), "007");
        assert_eq!(fmt64("%.3d", &[0xFFFF_FFF9]), "-007");
        assert_eq!(fmt64("%08.3d|", &[42]), "     042|");
        assert_eq!(fmt64("%.0d|", &[0]), "|");
        assert_eq!(fmt64("%5.0d|", &[0]), "     |");
        assert_eq!(fmt64("%.0x|", &[1]), "1|");
        assert_eq!(fmt64("%.d|", &[0]), "|");
        assert_eq!(fmt64("%2d", &[12345]), "12345");
    }

    #[test]
    fn star_width_and_precision() {
        assert_eq!(fmt64("%*d|", &[5, 42]), "   42|");
        assert_eq!(fmt64("%*d|", &[0xFFFF_FFFB, 42]), "42   |");
        assert_eq!(fmt64("%-*d|", &[5, 42]), "42   |");
        assert_eq!(fmt64("%.*d", &[3, 7]), "007");
        assert_eq!(fmt64("%.*d|", &[0xFFFF_FFFF, 0]), "0|");
        assert_eq!(fmt64("%0*.*d|", &[6, 0xFFFF_FFFF, 42]), "000042|");
        assert_eq!(fmt64("%*.*d|", &[6, 3, 42]), "   042|");
        // Only the low 32 bits of a * slot count.
        assert_eq!(fmt64("%*d|", &[0xFFFF_FFFF_0000_0003, 1]), "  1|");
        assert_eq!(fmt32("%*d|", &[3, 1]), "  1|");
    }

    #[test]
    fn short_and_char_sizes() {
        assert_eq!(fmt64("%hd", &[0x18000]), "-32768");
        assert_eq!(fmt64("%hu", &[0x12345]), "9029");
        assert_eq!(fmt64("%hx", &[0xFFFF_FFFF]), "ffff");
        assert_eq!(fmt64("%hhd", &[0x1FF]), "-1");
        assert_eq!(fmt64("%hhu", &[0x1FF]), "255");
        assert_eq!(fmt64("%hhx", &[0x1234]), "34");
        assert_eq!(fmt64("%ld", &[0xFFFF_FFFF]), "-1");
        assert_eq!(fmt64("%lu", &[0xFFFF_FFFF_FFFF_FFFF]), "4294967295");
        assert_eq!(fmt64("%lx %d", &[0x1_0000_0001, 2]), "1 2");
        assert_eq!(fmt64("%wd %Ld", &[3, 4]), "3 4");
        // The last prefix wins.
        assert_eq!(fmt64("%lhd", &[0x18000]), "-32768");
        assert_eq!(fmt64("%hld", &[0x18000]), "98304");
    }

    #[test]
    fn sixty_four_bit_takes_two_slots_on_x86() {
        let slots = [0x5566_7788, 0x1122_3344, 7];
        assert_eq!(fmt32("%I64x %d", &slots), "1122334455667788 7");
        assert_eq!(fmt32("%llx %d", &slots), "1122334455667788 7");
        assert_eq!(fmt32("%jx %d", &slots), "1122334455667788 7");
        assert_eq!(fmt32("%I64X %d", &slots), "1122334455667788 7");
        assert_eq!(fmt32("%lld", &[0xFFFF_FFFF, 0xFFFF_FFFF]), "-1");
        assert_eq!(fmt32("%I64u", &[0xFFFF_FFFF, 0xFFFF_FFFF]), "18446744073709551615");
        assert_eq!(fmt32("%I64d", &[0, 0x8000_0000]), "-9223372036854775808");
        // Upper halves of x86 slots are ignored.
        assert_eq!(fmt32("%I64x", &[0xAAAA_0000_0001, 0xBBBB_0000_0002]), "200000001");
        // Pointer-sized prefixes are 32-bit on x86: one slot each.
        assert_eq!(fmt32("%Ix %d", &[0xFFFF_FFFF, 3]), "ffffffff 3");
        assert_eq!(fmt32("%zu %d", &[0xFFFF_FFFF, 3]), "4294967295 3");
        assert_eq!(fmt32("%td %d", &[0xFFFF_FFFF, 3]), "-1 3");
        assert_eq!(fmt32("%Id %d", &[0xFFFF_FFFE, 3]), "-2 3");
        assert_eq!(fmt32("%I32x %d", &[0xFFFF_FFFF, 3]), "ffffffff 3");
    }

    #[test]
    fn sixty_four_bit_takes_one_slot_on_x64() {
        let slots = [0x1122_3344_5566_7788, 7];
        assert_eq!(fmt64("%I64x %d", &slots), "1122334455667788 7");
        assert_eq!(fmt64("%llx %d", &slots), "1122334455667788 7");
        assert_eq!(fmt64("%jx %d", &slots), "1122334455667788 7");
        assert_eq!(fmt64("%Ix %d", &slots), "1122334455667788 7");
        assert_eq!(fmt64("%zx %d", &slots), "1122334455667788 7");
        assert_eq!(fmt64("%tx %d", &slots), "1122334455667788 7");
        assert_eq!(fmt64("%lld", &[u64::MAX]), "-1");
        assert_eq!(fmt64("%I64d", &[0x8000_0000_0000_0000]), "-9223372036854775808");
        assert_eq!(fmt64("%Iu", &[u64::MAX]), "18446744073709551615");
        assert_eq!(fmt64("%Id", &[u64::MAX]), "-1");
        assert_eq!(fmt64("%I32d %d", &[u64::MAX, 3]), "-1 3");
        assert_eq!(fmt64("%I64o", &[u64::MAX]), "1777777777777777777777");
        assert_eq!(fmt64("%020I64d", &[u64::MAX]), "-0000000000000000001");
    }

    #[test]
    fn pointers() {
        assert_eq!(fmt64("%p", &[0x1234]), "0000000000001234");
        assert_eq!(fmt64("%p", &[0xFFFF_F800_0000_ABCD]), "FFFFF8000000ABCD");
        assert_eq!(fmt32("%p", &[0x1234]), "00001234");
        assert_eq!(fmt32("%p %d", &[0xFFFF_FFFF_8000_ABCD, 5]), "8000ABCD 5");
        assert_eq!(fmt64("%#p", &[0x1234]), "0X0000000000001234");
        assert_eq!(fmt64("%#p", &[0]), "0000000000000000");
        assert_eq!(fmt32("%20p|", &[0x1234]), "            00001234|");
        assert_eq!(fmt32("%-12p|", &[0x1234]), "00001234    |");
        assert_eq!(fmt32("%012p|", &[0x1234]), "    00001234|");
        assert_eq!(fmt32("%.2p", &[0x1234]), "00001234");
        assert_eq!(fmt32("%I64p %d", &[1, 2, 3]), "200000001 3");
        assert_eq!(fmt64("%Ip %hp", &[1, 2]), "0000000000000001 0000000000000002");
    }

    #[test]
    fn characters() {
        assert_eq!(fmt64("%c", &[u64::from(b'A')]), "A");
        assert_eq!(fmt64("%c", &[0x141]), "A");
        assert_eq!(fmt64("%hc", &[u64::from(b'B')]), "B");
        assert_eq!(fmt64("%c", &[0x80]), "\u{20AC}");
        assert_eq!(fmt64("%c", &[0xE9]), "\u{e9}");
        assert_eq!(fmt64("%c", &[0]), "\0");
        assert_eq!(fmt64("%C", &[0x20AC]), "\u{20AC}");
        assert_eq!(fmt64("%wc", &[0x00E9]), "\u{e9}");
        assert_eq!(fmt64("%lc", &[0x4E2D]), "\u{4E2D}");
        assert_eq!(fmt64("%lc", &[0x1_0041]), "A");
        assert_eq!(fmt64("%hC", &[0x80]), "\u{20AC}");
        assert_eq!(fmt64("%wc", &[0xD800]), "\u{FFFD}");
        assert_eq!(fmt64("%3c|", &[u64::from(b'x')]), "  x|");
        assert_eq!(fmt64("%-3c|", &[u64::from(b'x')]), "x  |");
        assert_eq!(fmt64("%03c|", &[u64::from(b'x')]), "00x|");
        assert_eq!(fmt64("%3C|", &[0x20AC]), "  \u{20AC}|");
        assert_eq!(fmt64("%c%c", &[u64::from(b'o'), u64::from(b'k')]), "ok");
    }

    #[test]
    fn ansi_strings() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let s = put(&mut m, b"hello\0");
            assert_eq!(run(&m, arch, "%s", &[s]).unwrap(), "hello");
            assert_eq!(run(&m, arch, "%hs", &[s]).unwrap(), "hello");
            assert_eq!(run(&m, arch, "%hS", &[s]).unwrap(), "hello");
            assert_eq!(run(&m, arch, "%.3s", &[s]).unwrap(), "hel");
            assert_eq!(run(&m, arch, "%.0s|", &[s]).unwrap(), "|");
            assert_eq!(run(&m, arch, "%.10s", &[s]).unwrap(), "hello");
            assert_eq!(run(&m, arch, "%8s|", &[s]).unwrap(), "   hello|");
            assert_eq!(run(&m, arch, "%-8s|", &[s]).unwrap(), "hello   |");
            assert_eq!(run(&m, arch, "%08s|", &[s]).unwrap(), "000hello|");
            assert_eq!(run(&m, arch, "%8.2s|", &[s]).unwrap(), "      he|");
            assert_eq!(run(&m, arch, "%*s|", &[7, s]).unwrap(), "  hello|");
            assert_eq!(run(&m, arch, "%*s|", &[0xFFFF_FFF9, s]).unwrap(), "hello  |");
            assert_eq!(run(&m, arch, "%.*s|", &[2, s]).unwrap(), "he|");
            assert_eq!(run(&m, arch, "%.*s|", &[0xFFFF_FFFF, s]).unwrap(), "hello|");
            assert_eq!(run(&m, arch, "%s %s", &[s, s]).unwrap(), "hello hello");
        }
    }

    #[test]
    fn ansi_string_pointer_upper_bits_ignored_on_x86() {
        let mut m = machine(Arch::X86);
        let s = put(&mut m, b"hi\0");
        assert_eq!(run(&m, Arch::X86, "%s", &[0xDEAD_0000_0000_0000 | s]).unwrap(), "hi");
    }

    #[test]
    fn ansi_high_bytes_are_windows_1252() {
        let mut m = machine(Arch::X64);
        let s = put(&mut m, b"caf\xe9 \x80 \x93q\x94 \x81\0");
        assert_eq!(run(&m, Arch::X64, "%s", &[s]).unwrap(), "caf\u{e9} \u{20AC} \u{201C}q\u{201D} \u{81}");
        // Width counts bytes of the source, not bytes of UTF-8.
        assert_eq!(run(&m, Arch::X64, "%6.4s|", &[s]).unwrap(), "  caf\u{e9}|");
        // Literal text of the format string is ANSI too.
        let out = format(b"\x80%d\xff", &mut SlotList::new(vec![1]), m.mem(), Arch::X64).unwrap();
        assert_eq!(out, "\u{20AC}1\u{ff}");
    }

    #[test]
    fn wide_strings() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let w = put(&mut m, &utf16z("w\u{e9}de \u{4E2D}\u{1F600}"));
            for f in ["%ws", "%S", "%ls", "%wS", "%lS", "%hws"] {
                assert_eq!(run(&m, arch, f, &[w]).unwrap(), "w\u{e9}de \u{4E2D}\u{1F600}", "{f}");
            }
            assert_eq!(run(&m, arch, "%.3ws|", &[w]).unwrap(), "w\u{e9}d|");
            assert_eq!(run(&m, arch, "%8.3S|", &[w]).unwrap(), "     w\u{e9}d|");
            assert_eq!(run(&m, arch, "%-6.4ls|", &[w]).unwrap(), "w\u{e9}de  |");
            // Width counts UTF-16 units: the emoji is two.
            assert_eq!(run(&m, arch, "%9ws|", &[w]).unwrap(), " w\u{e9}de \u{4E2D}\u{1F600}|");
            // A precision that splits a surrogate pair leaves a replacement character.
            assert_eq!(run(&m, arch, "%.7ws|", &[w]).unwrap(), "w\u{e9}de \u{4E2D}\u{FFFD}|");
        }
    }

    #[test]
    fn wide_string_unpaired_surrogate_is_replaced() {
        let mut m = machine(Arch::X64);
        let bytes: Vec<u8> = [0x61u16, 0xDC00, 0x62, 0].iter().flat_map(|u| u.to_le_bytes()).collect();
        let w = put(&mut m, &bytes);
        assert_eq!(run(&m, Arch::X64, "%ws", &[w]).unwrap(), "a\u{FFFD}b");
    }

    #[test]
    fn null_strings() {
        for arch in [Arch::X86, Arch::X64] {
            for f in ["%s", "%hs", "%S", "%ws", "%ls", "%Z", "%wZ"] {
                assert_eq!(fmt(arch, f, &[0]), "(null)", "{f}");
            }
            assert_eq!(fmt(arch, "%.3s", &[0]), "(nu");
            assert_eq!(fmt(arch, "%.3ws", &[0]), "(nu");
            assert_eq!(fmt(arch, "%8s|", &[0]), "  (null)|");
            assert_eq!(fmt(arch, "%-8ws|", &[0]), "(null)  |");
            // %Z ignores the precision, as the CRT does.
            assert_eq!(fmt(arch, "%.3Z", &[0]), "(null)");
        }
    }

    #[test]
    fn precision_never_reads_past_it() {
        let mut m = machine(Arch::X64);
        // No NUL before the guard page.
        let s = put_at_end(&mut m, b"abcdef");
        assert_eq!(run(&m, Arch::X64, "%.6s|", &[s]).unwrap(), "abcdef|");
        assert_eq!(run(&m, Arch::X64, "%.3s|", &[s]).unwrap(), "abc|");
        assert!(matches!(run(&m, Arch::X64, "%.7s", &[s]), Err(MemError::Unmapped { .. })));
        assert!(matches!(run(&m, Arch::X64, "%s", &[s]), Err(MemError::Unmapped { .. })));
        let wbytes: Vec<u8> = "wxyz".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let w = put_at_end(&mut m, &wbytes);
        assert_eq!(run(&m, Arch::X64, "%.4ws|", &[w]).unwrap(), "wxyz|");
        assert_eq!(run(&m, Arch::X64, "%.2ws|", &[w]).unwrap(), "wx|");
        assert!(matches!(run(&m, Arch::X64, "%ws", &[w]), Err(MemError::Unmapped { .. })));
        // A string whose NUL is the last byte before the guard page is fine.
        let z = put_at_end(&mut m, b"end\0");
        assert_eq!(run(&m, Arch::X64, "%s", &[z]).unwrap(), "end");
        let wz = put_at_end(&mut m, &utf16z("end"));
        assert_eq!(run(&m, Arch::X64, "%ws", &[wz]).unwrap(), "end");
    }

    #[test]
    fn bad_pointers_fail_the_call() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let region = put(&mut m, b"x\0");
            let bad = region + 0x1000; // The guard page.
            for f in ["%s", "%ws", "%S", "%Z", "%wZ"] {
                assert_eq!(run(&m, arch, f, &[bad]), Err(MemError::Unmapped { addr: bad }), "{arch:?} {f}");
            }
            assert_eq!(run(&m, arch, "ok %d %s", &[1, bad + 3]), Err(MemError::Unmapped { addr: bad + 3 }));
            // A zero precision never dereferences.
            assert_eq!(run(&m, arch, "%.0s|", &[bad]).unwrap(), "|");
        }
    }

    /// Lays out an ANSI_STRING/UNICODE_STRING for `arch` pointing at `buffer`.
    fn counted(m: &mut Machine, arch: Arch, length: u16, max: u16, buffer: u64) -> u64 {
        let mut s = Vec::new();
        s.extend_from_slice(&length.to_le_bytes());
        s.extend_from_slice(&max.to_le_bytes());
        match arch {
            Arch::X86 => s.extend_from_slice(&(buffer as u32).to_le_bytes()),
            Arch::X64 => {
                s.extend_from_slice(&[0; 4]);
                s.extend_from_slice(&buffer.to_le_bytes());
            }
        }
        put(m, &s)
    }

    #[test]
    fn ansi_string_struct() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let buf = put(&mut m, b"counted string\0");
            let full = counted(&mut m, arch, 14, 15, buf);
            let short = counted(&mut m, arch, 7, 15, buf);
            let empty = counted(&mut m, arch, 0, 15, buf);
            let nullbuf = counted(&mut m, arch, 5, 5, 0);
            assert_eq!(run(&m, arch, "%Z|", &[full]).unwrap(), "counted string|", "{arch:?}");
            assert_eq!(run(&m, arch, "%Z|", &[short]).unwrap(), "counted|");
            assert_eq!(run(&m, arch, "%Z|", &[empty]).unwrap(), "|");
            assert_eq!(run(&m, arch, "%Z|", &[nullbuf]).unwrap(), "(null)|");
            assert_eq!(run(&m, arch, "%10Z|", &[short]).unwrap(), "   counted|");
            assert_eq!(run(&m, arch, "%-10Z|", &[short]).unwrap(), "counted   |");
            assert_eq!(run(&m, arch, "%.3Z|", &[short]).unwrap(), "counted|");
            assert_eq!(run(&m, arch, "%hZ %lZ", &[short, short]).unwrap(), "counted counted");
            assert_eq!(run(&m, arch, "%Z %d", &[short, 9]).unwrap(), "counted 9");
            // Length is exact: no NUL needed, embedded NULs printed.
            let raw = put_at_end(&mut m, b"ab\0c");
            let s = counted(&mut m, arch, 4, 4, raw);
            assert_eq!(run(&m, arch, "%Z", &[s]).unwrap(), "ab\0c");
            // A Buffer that cannot be read fails.
            let bad = counted(&mut m, arch, 4, 4, raw + 4);
            assert_eq!(run(&m, arch, "%Z", &[bad]), Err(MemError::Unmapped { addr: raw + 4 }));
            // A zero Length never touches the Buffer.
            let bad0 = counted(&mut m, arch, 0, 4, raw + 4);
            assert_eq!(run(&m, arch, "%Z|", &[bad0]).unwrap(), "|");
        }
    }

    #[test]
    fn unicode_string_struct() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let buf = put(&mut m, &utf16z("\\Device\\Beeper"));
            let full = counted(&mut m, arch, 28, 30, buf);
            let short = counted(&mut m, arch, 14, 30, buf);
            let odd = counted(&mut m, arch, 5, 30, buf);
            let nullbuf = counted(&mut m, arch, 4, 4, 0);
            assert_eq!(run(&m, arch, "%wZ|", &[full]).unwrap(), "\\Device\\Beeper|", "{arch:?}");
            assert_eq!(run(&m, arch, "%wZ|", &[short]).unwrap(), "\\Device|");
            assert_eq!(run(&m, arch, "%wZ|", &[odd]).unwrap(), "\\D|");
            assert_eq!(run(&m, arch, "%wZ|", &[nullbuf]).unwrap(), "(null)|");
            assert_eq!(run(&m, arch, "%10wZ|", &[short]).unwrap(), "   \\Device|");
            assert_eq!(run(&m, arch, "%-10wZ|", &[short]).unwrap(), "\\Device   |");
            assert_eq!(run(&m, arch, "%wZ %d", &[short, 9]).unwrap(), "\\Device 9");
            let nonascii = put(&mut m, &utf16z("\u{e9}\u{4E2D}"));
            let s = counted(&mut m, arch, 4, 6, nonascii);
            assert_eq!(run(&m, arch, "%wZ", &[s]).unwrap(), "\u{e9}\u{4E2D}");
        }
    }

    #[test]
    fn percent_n_writes_nothing() {
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let target = put(&mut m, &[0xAA; 8]);
            assert_eq!(run(&m, arch, "ab%ncd %d", &[target, 5]).unwrap(), "abcd 5");
            assert_eq!(run(&m, arch, "%hn%lln%d", &[target, target, 6]).unwrap(), "6");
            let mut back = [0u8; 8];
            m.mem().read(target, &mut back).unwrap();
            assert_eq!(back, [0xAA; 8]);
        }
        // Even a bad pointer is harmless.
        assert_eq!(fmt64("%n%d", &[0xdead_0000, 1]), "1");
    }

    #[test]
    fn floats_fixed() {
        let v = |x: f64| x.to_bits();
        assert_eq!(fmt64("%f", &[v(1.23456)]), "1.234560");
        assert_eq!(fmt64("%.2f", &[v(1.23456)]), "1.23");
        assert_eq!(fmt64("%.0f", &[v(3.7)]), "4");
        assert_eq!(fmt64("%#.0f", &[v(3.0)]), "3.");
        assert_eq!(fmt64("%f", &[v(-0.5)]), "-0.500000");
        assert_eq!(fmt64("%f", &[v(-0.0)]), "-0.000000");
        assert_eq!(fmt64("%+.1f", &[v(2.25)]), "+2.2");
        assert_eq!(fmt64("% .1f", &[v(1.0)]), " 1.0");
        assert_eq!(fmt64("%08.2f", &[v(-1.23456)]), "-0001.23");
        assert_eq!(fmt64("%-8.2f|", &[v(1.23456)]), "1.23    |");
        assert_eq!(fmt64("%8.2F|", &[v(1.23456)]), "    1.23|");
        assert_eq!(fmt64("%lf %Lf", &[v(1.5), v(2.5)]), "1.500000 2.500000");
        assert_eq!(fmt64("%f", &[v(1e20)]), "100000000000000000000.000000");
        assert_eq!(fmt64("%.3f", &[v(0.0005)]), "0.001");
        assert_eq!(fmt64("%*.*f|", &[7, 1, v(2.0)]), "    2.0|");
    }

    #[test]
    fn floats_exponent_and_general() {
        let v = |x: f64| x.to_bits();
        assert_eq!(fmt64("%e", &[v(12345.678)]), "1.234568e+04");
        assert_eq!(fmt64("%E", &[v(12345.678)]), "1.234568E+04");
        assert_eq!(fmt64("%.0e", &[v(12345.678)]), "1e+04");
        assert_eq!(fmt64("%#.0e", &[v(12345.678)]), "1.e+04");
        assert_eq!(fmt64("%e", &[v(0.0)]), "0.000000e+00");
        assert_eq!(fmt64("%.2e", &[v(1.5e-300)]), "1.50e-300");
        assert_eq!(fmt64("%e", &[v(-9.9999999)]), "-1.000000e+01");
        assert_eq!(fmt64("%g", &[v(0.0001)]), "0.0001");
        assert_eq!(fmt64("%g", &[v(0.00001)]), "1e-05");
        assert_eq!(fmt64("%g", &[v(100000.0)]), "100000");
        assert_eq!(fmt64("%g", &[v(1000000.0)]), "1e+06");
        assert_eq!(fmt64("%g", &[v(999999.5)]), "1e+06");
        assert_eq!(fmt64("%g", &[v(1.5)]), "1.5");
        assert_eq!(fmt64("%g", &[v(0.0)]), "0");
        assert_eq!(fmt64("%g", &[v(1.23456789)]), "1.23457");
        assert_eq!(fmt64("%#g", &[v(1.5)]), "1.50000");
        assert_eq!(fmt64("%#g", &[v(100000.0)]), "100000.");
        assert_eq!(fmt64("%G", &[v(1e-10)]), "1E-10");
        assert_eq!(fmt64("%.0g", &[v(26.0)]), "3e+01");
        assert_eq!(fmt64("%.3g", &[v(1234.0)]), "1.23e+03");
        assert_eq!(fmt64("%10.3g|", &[v(0.000123456)]), "  0.000123|");
        assert_eq!(fmt64("%g", &[v(123456789.0)]), "1.23457e+08");
    }

    #[test]
    fn floats_special_values() {
        let v = |x: f64| x.to_bits();
        assert_eq!(fmt64("%f", &[v(f64::INFINITY)]), "inf");
        assert_eq!(fmt64("%f", &[v(f64::NEG_INFINITY)]), "-inf");
        assert_eq!(fmt64("%+e", &[v(f64::INFINITY)]), "+inf");
        assert_eq!(fmt64("%F", &[v(f64::INFINITY)]), "INF");
        assert_eq!(fmt64("%G", &[v(f64::INFINITY)]), "INF");
        assert_eq!(fmt64("%g", &[v(f64::NAN)]), "nan");
        assert_eq!(fmt64("%E", &[v(f64::NAN)]), "NAN");
        assert_eq!(fmt64("%f", &[v(-f64::NAN)]), "-nan");
        assert_eq!(fmt64("%06f|", &[v(f64::INFINITY)]), "   inf|");
        assert_eq!(fmt64("%-6a|", &[v(f64::INFINITY)]), "inf   |");
    }

    #[test]
    fn floats_hex() {
        let v = |x: f64| x.to_bits();
        assert_eq!(fmt64("%a", &[v(1.0)]), "0x1.0000000000000p+0");
        assert_eq!(fmt64("%A", &[v(1.0)]), "0X1.0000000000000P+0");
        assert_eq!(fmt64("%a", &[v(-2.5)]), "-0x1.4000000000000p+1");
        assert_eq!(fmt64("%a", &[v(0.0)]), "0x0.0000000000000p+0");
        assert_eq!(fmt64("%a", &[v(0.1)]), "0x1.999999999999ap-4");
        assert_eq!(fmt64("%A", &[v(0.1)]), "0X1.999999999999AP-4");
        assert_eq!(fmt64("%a", &[v(f64::from_bits(1))]), "0x0.0000000000001p-1022");
        assert_eq!(fmt64("%.1a", &[v(1.0)]), "0x1.0p+0");
        assert_eq!(fmt64("%.0a", &[v(1.0)]), "0x1p+0");
        assert_eq!(fmt64("%#.0a", &[v(1.0)]), "0x1.p+0");
        assert_eq!(fmt64("%.1a", &[v(1.96875)]), "0x2.0p+0");
        assert_eq!(fmt64("%.2a", &[v(0.1)]), "0x1.9ap-4");
        assert_eq!(fmt64("%.15a", &[v(1.0)]), "0x1.000000000000000p+0");
        assert_eq!(fmt64("%012.1a|", &[v(1.0)]), "0x00001.0p+0|");
    }

    #[test]
    fn doubles_take_two_slots_on_x86() {
        let [lo, hi] = dbl32(1.5);
        assert_eq!(fmt32("%f %d", &[lo, hi, 9]), "1.500000 9");
        let [lo2, hi2] = dbl32(-2.0e10);
        assert_eq!(fmt32("%e|%g|%d", &[lo2, hi2, lo, hi, 3]), "-2.000000e+10|1.5|3");
        assert_eq!(fmt64("%f %d", &[1.5f64.to_bits(), 9]), "1.500000 9");
    }

    #[test]
    fn missing_arguments_read_as_zero() {
        assert_eq!(fmt64("%d %d %s", &[1]), "1 0 (null)");
        let mut list = SlotList::new(vec![5]);
        assert_eq!(list.next_slot(), Ok(5));
        assert_eq!(list.next_slot(), Ok(0));
        assert_eq!(list.next_slot(), Ok(0));
    }

    #[test]
    fn slots_consumed_match_the_format() {
        let cases: [(Arch, &str, usize); 14] = [
            (Arch::X86, "%d%u%x%c%s%p%n", 7),
            (Arch::X86, "%I64d%lld%jd", 6),
            (Arch::X86, "%Id%zd%td%I32d", 4),
            (Arch::X86, "%f%e%g%a", 8),
            (Arch::X86, "%*.*d", 3),
            (Arch::X86, "%*.*y%%", 0),
            (Arch::X86, "%I64p", 2),
            (Arch::X64, "%d%u%x%c%s%p%n", 7),
            (Arch::X64, "%I64d%lld%jd", 3),
            (Arch::X64, "%Id%zd%td%I32d", 4),
            (Arch::X64, "%f%e%g%a", 4),
            (Arch::X64, "%*.*d", 3),
            (Arch::X64, "%wZ%Z", 2),
            (Arch::X64, "%hhd%hd%ld%Ld", 4),
        ];
        for (arch, f, n) in cases {
            let m = machine(arch);
            let mut list = SlotList::new(vec![]);
            format(f.as_bytes(), &mut list, m.mem(), arch).unwrap();
            assert_eq!(list.next, n, "{arch:?} {f}");
        }
    }

    #[test]
    fn huge_widths_and_precisions_are_clamped() {
        let out = fmt64("%999999999d", &[42]);
        assert_eq!(out.len(), FIELD_CAP);
        assert!(out.ends_with(" 42"));
        let out = fmt64("%-99999999999999999999999999d|", &[42]);
        assert_eq!(out.len(), FIELD_CAP + 1);
        let out = fmt64("%.999999999d", &[42]);
        assert_eq!(out.len(), FIELD_CAP);
        assert!(out.ends_with("042"));
        let out = fmt64("%*d", &[0x8000_0000, 1]);
        assert_eq!(out.len(), FIELD_CAP);
        assert!(out.starts_with('1'));
        let out = fmt64("%.*f", &[0x7FFF_FFFF, 1.0f64.to_bits()]);
        assert_eq!(out.len(), 2 + FIELD_CAP);
        let out = fmt64("%.999999e", &[1.0f64.to_bits()]);
        assert_eq!(out.len(), 2 + FIELD_CAP + 4);
        let out = fmt64("%.99999g", &[f64::MAX.to_bits()]);
        assert!(out.len() <= FIELD_CAP + 8);
        let out = fmt64("%.99999a", &[1.0f64.to_bits()]);
        assert_eq!(out.len(), 7 + FIELD_CAP);
        let out = fmt64("%f", &[f64::MAX.to_bits()]);
        assert_eq!(out.len(), 309 + 7);
    }

    #[test]
    fn output_is_capped() {
        let m = machine(Arch::X64);
        let long = vec![b'a'; OUTPUT_CAP + 100];
        let out = format(&long, &mut SlotList::new(vec![]), m.mem(), Arch::X64).unwrap();
        assert_eq!(out.len(), OUTPUT_CAP);
        // Two-byte characters never split at the cap.
        let mut f = vec![b'a'];
        f.extend(std::iter::repeat_n(0xE9u8, 40000));
        let out = format(&f, &mut SlotList::new(vec![]), m.mem(), Arch::X64).unwrap();
        assert_eq!(out.len(), OUTPUT_CAP - 1);
        // Many wide fields stop at the cap too, and nothing past it is evaluated.
        let f = "%4000d".repeat(20) + "%s";
        let out = run(&m, Arch::X64, &f, &[0xdead_0000; 21]).unwrap();
        assert_eq!(out.len(), OUTPUT_CAP);
    }

    #[test]
    fn long_strings_are_capped() {
        let mut m = machine(Arch::X64);
        let big = vec![b'x'; STRING_CAP + 0x2000];
        let va = put(&mut m, &big);
        let out = run(&m, Arch::X64, "%s", &[va]).unwrap();
        assert_eq!(out.len(), STRING_CAP);
        assert_eq!(read_cstr(m.mem(), va, STRING_CAP).unwrap().len(), STRING_CAP);
    }

    #[test]
    fn read_cstr_and_read_wstr() {
        let mut m = machine(Arch::X64);
        let s = put(&mut m, b"abc\0def");
        assert_eq!(read_cstr(m.mem(), s, 100).unwrap(), b"abc");
        assert_eq!(read_cstr(m.mem(), s, 2).unwrap(), b"ab");
        assert_eq!(read_cstr(m.mem(), s, 0).unwrap(), b"");
        assert_eq!(read_cstr(m.mem(), s + 4, 100).unwrap(), b"def");
        assert!(read_cstr(m.mem(), 0, 10).is_err());
        // A string crossing a page boundary.
        let va = m.mem_mut().alloc(RegionKind::Pool, "two", 0x2000, Prot::RW).unwrap();
        m.mem_mut().write(va + 0xFFE, b"cross\0").unwrap();
        assert_eq!(read_cstr(m.mem(), va + 0xFFE, 100).unwrap(), b"cross");
        // Wide, at an odd address straddling the page boundary.
        m.mem_mut().write(va + 0x1FF0, &[0; 16]).unwrap();
        m.mem_mut().write(va + 0xFFD, &utf16z("odd")).unwrap();
        assert_eq!(read_wstr(m.mem(), va + 0xFFD, 100).unwrap(), "odd".encode_utf16().collect::<Vec<_>>());
        assert_eq!(read_wstr(m.mem(), va + 0xFFD, 2).unwrap(), "od".encode_utf16().collect::<Vec<_>>());
        assert_eq!(read_wstr(m.mem(), va + 0xFFD, 0).unwrap(), Vec::<u16>::new());
        m.mem_mut().write(va + 0xFFF, &utf16z("x")).unwrap();
        assert_eq!(read_wstr(m.mem(), va + 0xFFF, 100).unwrap(), vec![u16::from(b'x')]);
        // A wide NUL half on the last byte before the guard page: the read must fail.
        m.mem_mut().write(va + 0x1FFD, &[b'a', 0, 0]).unwrap();
        assert_eq!(read_wstr(m.mem(), va + 0x1FFD, 100), Err(MemError::Unmapped { addr: va + 0x2000 }));
        assert_eq!(read_wstr(m.mem(), va + 0x1FFD, 1).unwrap(), vec![u16::from(b'a')]);
    }

    /// Random format strings and arguments never panic the host.
    #[test]
    fn random_formats_never_panic() {
        const ALPHABET: &[u8] = b"%%%%%-+ #0123456789*.*hhlllLwIIzjt6432diuoxXcCsSZpneEfFgGaAy\x80\xff\0";
        for arch in [Arch::X86, Arch::X64] {
            let mut m = machine(arch);
            let text = put(&mut m, b"text\0");
            let wide = put(&mut m, &utf16z("wide"));
            let us = counted(&mut m, arch, 8, 10, wide);
            let edge = put_at_end(&mut m, b"xy");
            let pool = [
                0,
                1,
                text,
                wide,
                us,
                edge,
                0xFFFF_FFFF,
                0x8000_0000,
                u64::MAX,
                0x7FF0_0000_0000_0000,
                f64::MIN_POSITIVE.to_bits(),
                0x7FFF_FFFF,
            ];
            let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
            let mut next = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            for _ in 0..3000 {
                let len = (next() % 24) as usize;
                let f: Vec<u8> = (0..len).map(|_| ALPHABET[(next() as usize) % ALPHABET.len()]).collect();
                let slots: Vec<u64> = (0..12).map(|_| pool[(next() as usize) % pool.len()]).collect();
                if let Ok(out) = format(&f, &mut SlotList::new(slots), m.mem(), arch) {
                    assert!(out.len() <= OUTPUT_CAP);
                }
            }
        }
    }
}
