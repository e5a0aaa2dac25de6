//! The TOML form of a scenario, and the value syntaxes it accepts (port ranges, byte
//! strings, statuses, control codes, sizes). Every parse error carries the span of the
//! offending value, so the message can name its line.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    /// "ok" (default), "fault", "bugcheck", "limit", "halted".
    pub(crate) expect_outcome: Option<Spanned<String>>,
    /// The status DriverEntry must return (default STATUS_SUCCESS).
    pub(crate) expect_entry: Option<StatusValue>,
    /// Unload at the end when no step did (default true).
    pub(crate) unload_at_end: Option<bool>,
    /// "error" (default: refuse to load) or "stub" for imports the kernel lacks.
    pub(crate) missing_imports: Option<MissingImportsKind>,
    /// The Windows the kernel presents: "7" (default, SP1), "10", "11", or "10.0.BUILD".
    pub(crate) windows: Option<Spanned<String>>,
    /// The local time zone as an offset from UTC: "+01:00", "-05:30" (default "+00:00").
    pub(crate) utc_offset: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) limits: Option<Limits>,
    #[serde(default)]
    pub(crate) devices: Vec<Spanned<super::devices::Device>>,
    /// "pc" (default: the PC's chips at their usual ports) or "bare" (an empty bus).
    pub(crate) machine: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) ports: Vec<Spanned<PortPolicy>>,
    #[serde(default)]
    pub(crate) steps: Vec<Spanned<Step>>,
    /// Keys and values the registry starts with.
    #[serde(default)]
    pub(crate) registry: super::registry::Seeds,
    /// Files the C: volume starts with.
    #[serde(default)]
    pub(crate) files: super::files::Files,
    /// The user program's account and enabled privileges.
    #[serde(default)]
    pub(crate) security: super::security::Security,
    /// The ETW providers trace sessions enable.
    #[serde(default)]
    pub(crate) tracing: super::tracing::Tracing,
    /// A kernel debugger, and what DbgPrompt reads.
    #[serde(default)]
    pub(crate) debugger: super::tracing::Debugger,
    /// The device the emulated bus has for a PnP driver.
    #[serde(default)]
    pub(crate) pnp: super::pnp::Pnp,
    /// Virtual processors (default 2).
    pub(crate) processors: Option<Spanned<u32>>,
    /// Processes that exist from the start.
    #[serde(default)]
    pub(crate) processes: Vec<Spanned<ProcessSpec>>,
    /// User programs run after the steps (scenario/programs.rs).
    #[serde(default)]
    pub(crate) programs: Vec<Spanned<super::programs::ProgramSpec>>,
    /// The physical machine (scenario/physical.rs).
    #[serde(default)]
    pub(crate) memory: Vec<Spanned<super::physical::MemoryRaw>>,
    #[serde(default)]
    pub(crate) pci: Vec<Spanned<super::physical::PciRaw>>,
}

/// A process: `{ name = "notepad.exe", pid = 0x600, parent = 0x1F4 }`.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProcessSpec {
    pub(crate) name: String,
    pub(crate) pid: u64,
    #[serde(default)]
    pub(crate) parent: u64,
}

/// A packet a scenario puts on the wire: `{ layer = "ethernet", bytes = "ff ff ..." }`, or
/// classifies at a filtering layer: `{ layer = "OUTBOUND_TRANSPORT_V4", bytes = "45 00 ...",
/// verdict = "blocked" }` (the verdict expected, one of `classify::VERDICTS`: "permitted",
/// "blocked", "absorbed"; at a stream layer "dropped", "held", "deferred"). At
/// DATAGRAM_DATA, which sees datagrams both ways, `direction = "inbound"` or `"outbound"`
/// says which way this one goes.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PacketSpec {
    pub(crate) layer: String,
    pub(crate) bytes: Bytes,
    #[serde(default)]
    pub(crate) verdict: Option<String>,
    #[serde(default)]
    pub(crate) direction: Option<String>,
}

/// `wait_idle = true`, or the most virtual time it may let pass: `wait_idle = "10s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitIdle {
    Yes(bool),
    Cap(std::time::Duration),
}

impl<'de> Deserialize<'de> for WaitIdle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WaitIdle;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, or a duration like \"10s\" (the most virtual time to let pass)")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<WaitIdle, E> {
                Ok(WaitIdle::Yes(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WaitIdle, E> {
                humantime::parse_duration(v)
                    .map(WaitIdle::Cap)
                    .map_err(|e| E::custom(format!("`{v}` is not a duration like \"10s\": {e}")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Limits {
    pub(crate) max_instructions: Option<u64>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) memory: Option<Size>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortPolicy {
    pub(crate) range: PortRange,
    pub(crate) policy: PolicyKind,
    pub(crate) name: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MissingImportsKind {
    Error,
    Stub,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PolicyKind {
    Log,
    Deny,
    /// May go to the host's real ports, when the command line also asks for it
    /// (`--forward-ports`); otherwise logged.
    Forward,
}

/// One step. Exactly one of the action keys (open, ioctl, read, write, close, pending,
/// expect_port, expect_no_port, unload) must be present; the rest qualify it.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub(crate) open: Option<String>,
    pub(crate) ioctl: Option<Code>,
    pub(crate) read: Option<u64>,
    pub(crate) write: Option<Bytes>,
    pub(crate) close: Option<String>,
    pub(crate) pending: Option<String>,
    pub(crate) expect_port: Option<PortExpectation>,
    pub(crate) expect_no_port: Option<PortExpectation>,
    pub(crate) expect_mmio: Option<super::physical::MmioExpectation>,
    pub(crate) expect_no_mmio: Option<super::physical::MmioExpectation>,
    pub(crate) expect_pci: Option<super::physical::PciExpectation>,
    pub(crate) expect_no_pci: Option<super::physical::PciExpectation>,
    pub(crate) unload: Option<bool>,
    /// OpenProcess / OpenThread by id, as the user program (object callbacks see it).
    pub(crate) open_process: Option<u64>,
    pub(crate) open_thread: Option<u64>,
    /// Registry operations of the user program.
    pub(crate) set_value: Option<super::registry::SetValue>,
    pub(crate) delete_value: Option<super::registry::DeleteValue>,
    pub(crate) create_key: Option<String>,
    pub(crate) delete_key: Option<String>,
    /// `shutdown = true`: IRP_MJ_SHUTDOWN to the devices registered for it.
    pub(crate) shutdown: Option<bool>,
    /// `pnp_start = true`, `pnp_remove = true`: PnP sequences for the bus's device.
    pub(crate) pnp_start: Option<bool>,
    pub(crate) pnp_remove: Option<bool>,
    /// `power = "D3"` / `"S3"`: a power transition of the driver's devices.
    pub(crate) power: Option<String>,
    /// Let virtual time pass.
    pub(crate) advance: Option<Duration>,
    pub(crate) wait_idle: Option<WaitIdle>,
    pub(crate) process_start: Option<ProcessSpec>,
    /// The PID of the process to end.
    pub(crate) process_exit: Option<u64>,
    /// A minifilter's communication port: connect to it (FilterConnectCommunicationPort),
    /// send it a message (FilterSendMessage), close the connection.
    pub(crate) filter_connect: Option<String>,
    pub(crate) filter_send: Option<Bytes>,
    pub(crate) filter_disconnect: Option<String>,
    /// A frame the emulated adapter receives from the wire and indicates up the NDIS stack.
    pub(crate) packet: Option<PacketSpec>,
    /// For filter_connect: what the program answers the filter's messages with.
    pub(crate) reply: Option<Bytes>,
    /// A user program to run (scenario/programs.rs), with its arguments, standard input,
    /// DLLs, and the exit status and console text expected of it.
    pub(crate) program: Option<String>,
    pub(crate) args: Option<Vec<String>>,
    pub(crate) stdin: Option<String>,
    pub(crate) dlls: Option<Vec<String>>,
    pub(crate) expect_exit: Option<StatusValue>,
    pub(crate) expect_console: Option<String>,

    /// Name for the handle an open creates, or the request an ioctl starts.
    #[serde(rename = "as")]
    pub(crate) name: Option<String>,
    /// Which handle a request uses (default: the latest open).
    pub(crate) handle: Option<String>,
    pub(crate) input: Option<Bytes>,
    /// A METHOD_NEITHER input buffer at a raw address (passed to the driver unprobed).
    pub(crate) input_pointer: Option<RawPointer>,
    /// A METHOD_NEITHER output buffer at a raw address.
    pub(crate) output_pointer: Option<RawPointer>,
    /// Output buffer: a length, or its initial content.
    pub(crate) output: Option<Output>,
    pub(crate) offset: Option<u64>,
    pub(crate) internal: Option<bool>,

    pub(crate) expect_status: Option<StatusValue>,
    pub(crate) expect_output: Option<Bytes>,
    pub(crate) expect_information: Option<u64>,
    /// For an ioctl: it must (true) or must not (false) be left pending.
    pub(crate) expect_pending: Option<bool>,
    /// For unload: whether leaks are expected (false: none may remain).
    pub(crate) expect_leaks: Option<bool>,
    /// For open_process / open_thread: the access asked for, and the access that must be
    /// granted.
    pub(crate) access: Option<u32>,
    pub(crate) expect_access: Option<u32>,
    /// For process_exit: the exit status (default STATUS_SUCCESS).
    pub(crate) exit_status: Option<StatusValue>,
    /// For process_start: whether a notify routine must refuse it.
    pub(crate) expect_denied: Option<bool>,
}

/// `{ address = 0xFFFFF78000000000, length = 16 }`: a buffer the caller claims to have.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPointer {
    pub(crate) address: u64,
    pub(crate) length: u32,
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortExpectation {
    /// Unset: any port.
    pub(crate) port: Option<u16>,
    pub(crate) dir: Option<Direction>,
    pub(crate) width: Option<u16>,
    pub(crate) value: Option<u32>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Direction {
    In,
    Out,
}

/// `ports = "0x300-0x307"`, `"0x80"`, `0x80`, or `[0x300, 0x307]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PortRange {
    pub(crate) first: u16,
    pub(crate) last: u16,
}

/// Bytes: a hex string (`"de ad be ef"`), a byte list (`[0xde, 0xad]`), or little-endian
/// integers (`{ u32 = [0x301, 1] }`, also u8/u16/u64).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Output {
    Len(u64),
    Initial(Vec<u8>),
}

/// A status by name (`"STATUS_SUCCESS"`), hex string (`"0xC0000010"`) or number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusValue(pub(crate) u32);

/// A control code as a number, or its CTL_CODE parts:
/// `{ device_type = 0x8000, function = 0x800, method = "buffered", access = "any" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code(pub(crate) u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Duration(pub(crate) std::time::Duration);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size(pub(crate) u64);

fn parse_int(s: &str) -> Option<u64> {
    let s = s.trim().replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PortRange;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port or port range, like 0x80, \"0x300-0x307\" or [0x300, 0x307]")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortRange, E> {
                let p = u16::try_from(v).map_err(|_| E::custom(format!("port {v} is not in 0..=0xFFFF")))?;
                Ok(PortRange { first: p, last: p })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortRange, E> {
                let port = |s: &str| {
                    parse_int(s)
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or_else(|| E::custom(format!("`{s}` is not a port (0..=0xFFFF)")))
                };
                let (first, last) = match v.split_once('-') {
                    Some((a, b)) => (port(a)?, port(b)?),
                    None => (port(v)?, port(v)?),
                };
                if last < first {
                    return Err(E::custom(format!("the range `{v}` ends before it starts")));
                }
                Ok(PortRange { first, last })
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<PortRange, A::Error> {
                let first: u16 = seq.next_element()?.ok_or_else(|| de::Error::custom("expected [first, last]"))?;
                let last: u16 = seq.next_element()?.ok_or_else(|| de::Error::custom("expected [first, last]"))?;
                if seq.next_element::<u16>()?.is_some() || last < first {
                    return Err(de::Error::custom("expected [first, last] with first <= last"));
                }
                Ok(PortRange { first, last })
            }
        }
        d.deserialize_any(V)
    }
}

fn hex_bytes<E: de::Error>(v: &str) -> Result<Vec<u8>, E> {
    let digits: String = v.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != ':').collect();
    let digits = digits.strip_prefix("0x").unwrap_or(&digits);
    if !digits.len().is_multiple_of(2) {
        return Err(E::custom(format!("`{v}` has an odd number of hex digits")));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| E::custom(format!("`{v}` is not a hex byte string")))
        })
        .collect()
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("bytes: a hex string like \"01 02 ff\", a list like [1, 2, 0xff], or { u32 = [..] }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
                hex_bytes(v).map(Bytes)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<i64>()? {
                    out.push(u8::try_from(b).map_err(|_| de::Error::custom(format!("{b} is not a byte")))?);
                }
                Ok(Bytes(out))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let values: Vec<u64> = map.next_value()?;
                    let width = match key.as_str() {
                        "u8" => 1,
                        "u16" => 2,
                        "u32" => 4,
                        "u64" => 8,
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown integer width `{other}` (u8, u16, u32, u64)"
                            )))
                        }
                    };
                    for v in values {
                        if width < 8 && v >> (8 * width) != 0 {
                            return Err(de::Error::custom(format!("{v:#x} does not fit in {key}")));
                        }
                        out.extend_from_slice(&v.to_le_bytes()[..width]);
                    }
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Output {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Output;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an output length, or its initial content as bytes")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Output, E> {
                u64::try_from(v).map(Output::Len).map_err(|_| E::custom("a negative length"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Output, E> {
                hex_bytes(v).map(Output::Initial)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Output, A::Error> {
                Bytes::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(|b| Output::Initial(b.0))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Output, A::Error> {
                Bytes::deserialize(de::value::MapAccessDeserializer::new(map)).map(|b| Output::Initial(b.0))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for StatusValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an NTSTATUS: a name like \"STATUS_SUCCESS\", a hex string like \"0xC0000010\", or a number",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusValue, E> {
                u32::try_from(v).map(StatusValue).map_err(|_| E::custom(format!("{v} is not a 32-bit status")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusValue, E> {
                if let Some(s) = portcullis_hle::status_names::by_name(v) {
                    return Ok(StatusValue(s));
                }
                parse_int(v)
                    .and_then(|n| u32::try_from(n).ok())
                    .map(StatusValue)
                    .ok_or_else(|| E::custom(format!("`{v}` is not a known status name or a 32-bit number")))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Parts {
            device_type: u32,
            function: u32,
            method: String,
            #[serde(default)]
            access: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Code;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a control code: a number, or { device_type, function, method, access }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Code, E> {
                u32::try_from(v).map(Code).map_err(|_| E::custom(format!("{v} is not a 32-bit control code")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Code, E> {
                parse_int(v)
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Code)
                    .ok_or_else(|| E::custom(format!("`{v}` is not a 32-bit control code")))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Code, A::Error> {
                let p = Parts::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let method = match p.method.to_ascii_lowercase().trim_start_matches("method_") {
                    "buffered" => 0,
                    "in_direct" => 1,
                    "out_direct" => 2,
                    "neither" => 3,
                    other => {
                        return Err(de::Error::custom(format!(
                            "unknown method `{other}` (buffered, in_direct, out_direct, neither)"
                        )))
                    }
                };
                let access = match p.access.as_deref().map(|a| a.to_ascii_lowercase()).as_deref() {
                    None | Some("any") => 0,
                    Some("read") => 1,
                    Some("write") => 2,
                    Some("read_write") => 3,
                    Some(other) => {
                        return Err(de::Error::custom(format!(
                            "unknown access `{other}` (any, read, write, read_write)"
                        )))
                    }
                };
                if p.device_type > 0xFFFF || p.function > 0xFFF {
                    return Err(de::Error::custom("device_type must fit 16 bits and function 12 bits"));
                }
                Ok(Code((p.device_type << 16) | (access << 14) | (p.function << 2) | method))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s)
            .map(Duration)
            .map_err(|e| de::Error::custom(format!("`{s}` is not a duration like \"500ms\" or \"5s\": {e}")))
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size: bytes as a number, or \"64MiB\", \"1GiB\", \"512KiB\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v).map(Size).map_err(|_| E::custom("a negative size"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                let t = v.trim();
                let (num, mult) = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
                    .iter()
                    .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n, *m)))
                    .unwrap_or((t, 1));
                parse_int(num)
                    .and_then(|n| n.checked_mul(mult))
                    .map(Size)
                    .ok_or_else(|| E::custom(format!("`{v}` is not a size like \"64MiB\"")))
            }
        }
        d.deserialize_any(V)
    }
}
