//! The physical machine in a scenario: `[[memory]]` ranges (RAM, ROM, MMIO device models or
//! policies), `[[pci]]` functions with their BARs, and the `expect_mmio`/`expect_pci` steps.
//! (docs/scenario.md, "The physical machine".)

use portcullis_emu::pci::{Bar, BarKind, Bdf, Capability, ConfigSpace, Identity};
use portcullis_emu::physical::mmio::MmioPolicy;
use serde::Deserialize;
use toml::Spanned;

use super::format::{Bytes, Direction, Size};
use super::ScenarioError;
use crate::devices::{Constant, Registers, Sequence};
use crate::physical::PciSpec;
use crate::sandbox::SandboxBuilder;
use portcullis_devices::hda::{Codec, HdAudio};

/// A model answering a range or a BAR: the same three kinds ports take (the keys of
/// `[[memory]]` and of a BAR that describe it).
#[derive(Debug, Clone)]
pub(crate) struct ModelRaw {
    /// registers, sequence, constant.
    pub(crate) device: Option<Spanned<String>>,
    pub(crate) initial: Option<Bytes>,
    pub(crate) values: Option<Vec<u32>>,
    pub(crate) then: Option<u32>,
    pub(crate) value: Option<u32>,
    /// The interrupt line (ISA IRQ) an `hda` controller drives.
    pub(crate) irq: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemoryRaw {
    pub(crate) base: u64,
    pub(crate) size: Size,
    /// ram, rom, mmio.
    pub(crate) kind: Spanned<String>,
    pub(crate) name: Option<String>,
    /// Initial content of RAM or ROM.
    pub(crate) content: Option<Bytes>,
    /// For mmio without a device: log or deny.
    pub(crate) policy: Option<Spanned<String>>,
    pub(crate) device: Option<Spanned<String>>,
    pub(crate) initial: Option<Bytes>,
    pub(crate) values: Option<Vec<u32>>,
    pub(crate) then: Option<u32>,
    pub(crate) value: Option<u32>,
    /// The interrupt line (ISA IRQ) an `hda` controller drives.
    pub(crate) irq: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BarRaw {
    pub(crate) index: usize,
    /// mmio, mmio64, io.
    pub(crate) kind: Spanned<String>,
    pub(crate) size: Size,
    pub(crate) address: u64,
    #[serde(default)]
    pub(crate) prefetchable: bool,
    pub(crate) name: Option<String>,
    pub(crate) device: Option<Spanned<String>>,
    pub(crate) initial: Option<Bytes>,
    pub(crate) values: Option<Vec<u32>>,
    pub(crate) then: Option<u32>,
    pub(crate) value: Option<u32>,
    /// The interrupt line (ISA IRQ) an `hda` controller drives.
    pub(crate) irq: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigRaw {
    pub(crate) offset: u16,
    pub(crate) bytes: Bytes,
    #[serde(default)]
    pub(crate) writable: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapabilityRaw {
    pub(crate) id: u8,
    #[serde(default)]
    pub(crate) bytes: Bytes,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PciRaw {
    /// "bus:device.function", hexadecimal as lspci writes it ("00:1f.3").
    pub(crate) slot: Spanned<String>,
    pub(crate) vendor_id: u16,
    pub(crate) device_id: u16,
    /// Class, subclass, programming interface: 0x0c0500 or [0x0c, 0x05, 0x00].
    pub(crate) class: Spanned<ClassRaw>,
    #[serde(default)]
    pub(crate) revision: u8,
    pub(crate) subsystem_vendor_id: Option<u16>,
    pub(crate) subsystem_id: Option<u16>,
    #[serde(default)]
    pub(crate) multifunction: bool,
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) bars: Vec<Spanned<BarRaw>>,
    #[serde(default)]
    pub(crate) capabilities: Vec<CapabilityRaw>,
    #[serde(default)]
    pub(crate) config: Vec<ConfigRaw>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum ClassRaw {
    Code(u32),
    Parts([u8; 3]),
}

/// `expect_mmio = { address = 0xfeb00010, dir = "write", width = 4, value = 1 }`.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct MmioExpectation {
    pub(crate) address: u64,
    pub(crate) dir: Option<MmioDirection>,
    pub(crate) width: Option<u16>,
    pub(crate) value: Option<u32>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MmioDirection {
    Read,
    Write,
}

/// `expect_pci = { slot = "00:1f.0", offset = 0xdc, dir = "out", value = 1 }`: a
/// configuration access by any mechanism (out: a write, in: a read).
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PciExpectation {
    pub(crate) slot: String,
    pub(crate) offset: u16,
    pub(crate) dir: Option<Direction>,
    pub(crate) width: Option<u16>,
    pub(crate) value: Option<u32>,
}

/// A checked model.
#[derive(Clone, Debug)]
enum Model {
    Registers(Vec<u8>),
    Sequence(Vec<u32>, u32),
    Constant(u32),
    /// An Intel HD Audio controller with one codec (`portcullis_devices::hda`) driving an
    /// interrupt line if given: memory only.
    HdAudio(Option<u8>),
}

impl Model {
    fn build(&self, name: &str, size: u64) -> Box<dyn portcullis_emu::physical::mmio::MmioDevice> {
        match self {
            Model::Registers(initial) => Box::new(Registers::new(name, size.min(1 << 20) as usize, initial)),
            Model::Sequence(values, then) => Box::new(Sequence::new(name, values.clone(), *then)),
            Model::Constant(v) => Box::new(Constant::new(name, *v)),
            Model::HdAudio(irq) => {
                let hda = HdAudio::new(name, Codec::default());
                Box::new(match irq {
                    Some(line) => hda.with_irq(*line),
                    None => hda,
                })
            }
        }
    }

    /// The model on ports; `None` for a memory-only model (refused on I/O BARs by `check`).
    fn build_port(&self, name: &str, size: u64) -> Option<Box<dyn portcullis_emu::ports::PortDevice>> {
        Some(match self {
            Model::Registers(initial) => Box::new(Registers::new(name, size as usize, initial)),
            Model::Sequence(values, then) => Box::new(Sequence::new(name, values.clone(), *then)),
            Model::Constant(v) => Box::new(Constant::new(name, *v)),
            Model::HdAudio(_) => return None,
        })
    }
}

#[derive(Clone, Debug)]
enum Item {
    Memory {
        base: u64,
        size: u64,
        name: String,
        content: Vec<u8>,
        writable: bool,
    },
    Device {
        base: u64,
        size: u64,
        name: String,
        model: Model,
    },
    Policy {
        base: u64,
        size: u64,
        name: String,
        policy: MmioPolicy,
    },
    Pci {
        bdf: Bdf,
        name: String,
        id: Identity,
        multifunction: bool,
        /// (index, BAR, model's name, model).
        bars: Vec<(usize, Bar, String, Option<Model>)>,
        caps: Vec<Capability>,
        config: Vec<(u16, Vec<u8>, bool)>,
    },
}

/// The physical machine a scenario describes, checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Physical {
    items: Vec<Item>,
}

type Err<'a> = &'a dyn Fn(usize, String) -> ScenarioError;

fn model(m: &ModelRaw, at: usize, err: Err) -> Result<Option<Model>, ScenarioError> {
    let Some(kind) = &m.device else {
        if m.initial.is_some() || m.values.is_some() || m.then.is_some() || m.value.is_some() || m.irq.is_some() {
            return Err(err(
                at,
                "`initial`, `values`, `then`, `value` and `irq` describe a `device`; none is given".into(),
            ));
        }
        return Ok(None);
    };
    let stray = |keys: &[(&str, bool)]| keys.iter().find(|(_, given)| *given).map(|(k, _)| k.to_string());
    let (m, stray) = match kind.get_ref().as_str() {
        "registers" => (
            Model::Registers(m.initial.clone().map(|b| b.0).unwrap_or_default()),
            stray(&[
                ("values", m.values.is_some()),
                ("then", m.then.is_some()),
                ("value", m.value.is_some()),
                ("irq", m.irq.is_some()),
            ]),
        ),
        "sequence" => (
            Model::Sequence(m.values.clone().unwrap_or_default(), m.then.unwrap_or(u32::MAX)),
            stray(&[("initial", m.initial.is_some()), ("value", m.value.is_some()), ("irq", m.irq.is_some())]),
        ),
        "constant" => match m.value {
            Some(v) => (
                Model::Constant(v),
                stray(&[("initial", m.initial.is_some()), ("values", m.values.is_some()), ("irq", m.irq.is_some())]),
            ),
            None => return Err(err(kind.span().start, "a `constant` device needs `value`".into())),
        },
        "hda" => {
            if m.irq.is_some_and(|l| l > 15) {
                return Err(err(kind.span().start, "`irq`: an ISA interrupt line, 0 to 15".into()));
            }
            (
                Model::HdAudio(m.irq),
                stray(&[
                    ("initial", m.initial.is_some()),
                    ("values", m.values.is_some()),
                    ("then", m.then.is_some()),
                    ("value", m.value.is_some()),
                ]),
            )
        }
        other => {
            return Err(err(
                kind.span().start,
                format!("device `{other}`: expected one of registers, sequence, constant, hda"),
            ))
        }
    };
    if let Some(key) = stray {
        return Err(err(kind.span().start, format!("`{key}` does not apply to a `{}` device", kind.get_ref())));
    }
    Ok(Some(m))
}

/// "00:1f.3" -> 00:1f.3.
pub(crate) fn parse_slot(s: &str) -> Option<Bdf> {
    let (bus, rest) = s.split_once(':')?;
    let (dev, func) = rest.split_once('.')?;
    let bdf = Bdf::new(u8::from_str_radix(bus, 16).ok()?, u8::from_str_radix(dev, 16).ok()?, func.parse::<u8>().ok()?);
    bdf.valid().then_some(bdf)
}

fn page_aligned(base: u64, size: u64) -> bool {
    base.is_multiple_of(0x1000) && size.is_multiple_of(0x1000) && size > 0
}

pub(crate) fn check(
    memory: &[Spanned<MemoryRaw>],
    pci: &[Spanned<PciRaw>],
    err: Err,
) -> Result<Physical, ScenarioError> {
    let mut items = Vec::new();
    for m in memory {
        let at = m.span().start;
        let m = m.get_ref();
        let size = m.size.0;
        if !page_aligned(m.base, size) {
            return Err(err(
                at,
                format!("memory at {:#x}, {size:#x} bytes: base and size must be whole pages", m.base),
            ));
        }
        let kind = m.kind.get_ref().as_str();
        let name = m.name.clone().unwrap_or_else(|| kind.to_string());
        let raw = ModelRaw {
            device: m.device.clone(),
            initial: m.initial.clone(),
            values: m.values.clone(),
            then: m.then,
            value: m.value,
            irq: m.irq,
        };
        let device = model(&raw, at, err)?;
        items.push(match kind {
            "ram" | "rom" => {
                if device.is_some() || m.policy.is_some() {
                    return Err(err(at, format!("`{kind}` memory takes `content`, not a device or policy")));
                }
                if size > 64 << 20 {
                    return Err(err(at, format!("`{kind}` memory of {size:#x} bytes: at most 64 MiB")));
                }
                Item::Memory {
                    base: m.base,
                    size,
                    name,
                    content: m.content.clone().map(|b| b.0).unwrap_or_default(),
                    writable: kind == "ram",
                }
            }
            "mmio" => match (device, &m.policy) {
                (Some(model), None) => Item::Device { base: m.base, size, name, model },
                (None, Some(p)) => {
                    let policy = match p.get_ref().as_str() {
                        "log" => MmioPolicy::Log,
                        "deny" => MmioPolicy::Deny,
                        other => return Err(err(p.span().start, format!("policy `{other}`: expected log or deny"))),
                    };
                    Item::Policy { base: m.base, size, name, policy }
                }
                _ => return Err(err(at, "`mmio` memory takes exactly one of `device` or `policy`".into())),
            },
            other => return Err(err(m.kind.span().start, format!("memory kind `{other}`: expected ram, rom or mmio"))),
        });
        if m.content.is_some() && !matches!(kind, "ram" | "rom") {
            return Err(err(at, "`content` applies to ram and rom memory".into()));
        }
    }
    for p in pci {
        let p = p.get_ref();
        let bdf = parse_slot(p.slot.get_ref()).ok_or_else(|| {
            err(
                p.slot.span().start,
                format!("slot `{}`: expected bus:device.function like \"00:1f.3\"", p.slot.get_ref()),
            )
        })?;
        let class = match p.class.get_ref() {
            ClassRaw::Code(c) if *c <= 0xFF_FFFF => ((c >> 16) as u8, (c >> 8) as u8, *c as u8),
            ClassRaw::Parts([a, b, c]) => (*a, *b, *c),
            ClassRaw::Code(_) => return Err(err(p.class.span().start, "class: a 24-bit class code".into())),
        };
        let id = Identity {
            vendor: p.vendor_id,
            device: p.device_id,
            revision: p.revision,
            class,
            subsystem_vendor: p.subsystem_vendor_id.unwrap_or(p.vendor_id),
            subsystem: p.subsystem_id.unwrap_or(0),
        };
        let mut bars = Vec::new();
        for b in &p.bars {
            let bat = b.span().start;
            let b = b.get_ref();
            let kind = match b.kind.get_ref().as_str() {
                "mmio" => BarKind::Memory32 { prefetchable: b.prefetchable },
                "mmio64" => BarKind::Memory64 { prefetchable: b.prefetchable },
                "io" => BarKind::Io,
                other => {
                    return Err(err(b.kind.span().start, format!("BAR kind `{other}`: expected mmio, mmio64 or io")))
                }
            };
            let bar = Bar { kind, size: b.size.0, address: b.address };
            // Check it against a blank header: index, size, alignment.
            let mut probe = ConfigSpace::endpoint(&id, false);
            if !probe.set_bar(b.index, bar) || b.address % b.size.0.max(1) != 0 {
                return Err(err(
                    bat,
                    format!("BAR {}: a power-of-two size, an address aligned to it, and a free index", b.index),
                ));
            }
            let raw = ModelRaw {
                device: b.device.clone(),
                initial: b.initial.clone(),
                values: b.values.clone(),
                then: b.then,
                value: b.value,
                irq: b.irq,
            };
            let m = model(&raw, bat, err)?;
            if kind == BarKind::Io && matches!(m, Some(Model::HdAudio(_))) {
                return Err(err(bat, format!("BAR {}: an `hda` controller answers memory BARs only", b.index)));
            }
            let owner = p.name.clone().unwrap_or_else(|| p.slot.get_ref().clone());
            let label = b.name.clone().unwrap_or_else(|| format!("{owner} BAR{}", b.index));
            bars.push((b.index, bar, label, m));
        }
        let caps =
            p.capabilities.iter().map(|c| Capability { id: c.id, body: c.bytes.0.clone(), writable: vec![] }).collect();
        let config = p.config.iter().map(|c| (c.offset, c.bytes.0.clone(), c.writable)).collect();
        let name = p.name.clone().unwrap_or_else(|| format!("{:04x}:{:04x}", p.vendor_id, p.device_id));
        items.push(Item::Pci { bdf, name, id, multifunction: p.multifunction, bars, caps, config });
    }
    Ok(Physical { items })
}

impl Physical {
    /// Adds the scenario's ranges and functions to a sandbox configuration.
    pub(crate) fn configure(&self, mut b: SandboxBuilder) -> SandboxBuilder {
        for item in &self.items {
            b = match item.clone() {
                Item::Memory { base, size, name, content, writable } => b.memory(base, size, name, content, writable),
                Item::Device { base, size, name, model } => b.mmio_device(base, size, model.build(&name, size)),
                Item::Policy { base, size, name, policy } => b.mmio_policy(base, size, name, policy),
                Item::Pci { bdf, name, id, multifunction, bars, caps, config } => {
                    let mut cs = ConfigSpace::endpoint(&id, multifunction);
                    let mut mmio = Vec::new();
                    let mut ports = Vec::new();
                    for (index, bar, label, model) in bars {
                        cs.set_bar(index, bar);
                        if let Some(m) = model {
                            if bar.kind == BarKind::Io {
                                let first = bar.address as u16;
                                if let Some(dev) = m.build_port(&label, bar.size) {
                                    ports.push((first, first.saturating_add(bar.size as u16 - 1), dev));
                                }
                            } else {
                                mmio.push((index, m.build(&label, bar.size)));
                            }
                        }
                    }
                    // Decoding on, as the firmware leaves an enumerated device.
                    cs.preset(0x04, &[0x07, 0x00], true);
                    cs.set_capabilities(0x40, &caps);
                    for (offset, bytes, writable) in config {
                        cs.preset(offset as usize, &bytes, writable);
                    }
                    b.pci_function(PciSpec { bdf, name, config: cs, mmio, ports })
                }
            };
        }
        b
    }
}

/// "a write to 0xfeb00010 (4 bytes) with value 0x1".
pub(crate) fn describe_mmio(c: &MmioExpectation) -> String {
    let dir = match c.dir {
        Some(MmioDirection::Write) => "a write to",
        Some(MmioDirection::Read) => "a read of",
        None => "an access to",
    };
    let mut s = format!("{dir} physical {:#x}", c.address);
    if let Some(w) = c.width {
        s.push_str(&format!(" ({w} bytes)"));
    }
    if let Some(v) = c.value {
        s.push_str(&format!(" with value {v:#x}"));
    }
    s
}

pub(crate) fn describe_pci(c: &PciExpectation) -> String {
    let dir = match c.dir {
        Some(Direction::Out) => "a configuration write to",
        Some(Direction::In) => "a configuration read of",
        None => "a configuration access to",
    };
    let mut s = format!("{dir} {} offset {:#x}", c.slot, c.offset);
    if let Some(w) = c.width {
        s.push_str(&format!(" ({w} bytes)"));
    }
    if let Some(v) = c.value {
        s.push_str(&format!(" with value {v:#x}"));
    }
    s
}

/// Whether a configuration access matching `c` happened, by any mechanism.
pub(crate) fn pci_seen(sb: &crate::Sandbox, c: &PciExpectation) -> bool {
    let Some(bdf) = parse_slot(&c.slot) else { return false };
    let pci = sb.kernel().mem().physical().pci.clone();
    let rows = pci.borrow().accesses();
    rows.iter().any(|r| {
        r.key.bdf == bdf
            && r.key.offset == c.offset
            && c.dir.is_none_or(|d| (d == Direction::Out) == r.key.write)
            && c.width.is_none_or(|w| w == r.key.width)
            && c.value.is_none_or(|v| v == r.key.value)
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Action, Scenario};

    fn parse(text: &str) -> Result<Scenario, super::ScenarioError> {
        Scenario::parse(text, "test.toml")
    }

    #[test]
    fn memory_pci_and_their_expectations_parse() {
        let s = parse(
            r#"
            [[memory]]
            base = 0xfeb00000
            size = "4KiB"
            kind = "mmio"
            device = "sequence"
            values = [1, 1, 0]
            then = 0
            [[memory]]
            base = 0xfeb10000
            size = 0x1000
            kind = "mmio"
            policy = "deny"
            [[memory]]
            base = 0xd0000
            size = "8KiB"
            kind = "rom"
            content = "55 aa 10"
            [[pci]]
            slot = "00:1c.0"
            vendor_id = 0x8086
            device_id = 0x1234
            class = 0x020000
            [[pci.bars]]
            index = 0
            kind = "mmio"
            size = "4KiB"
            address = 0xfea00000
            device = "registers"
            initial = { u32 = [0x12345678] }
            [[pci.bars]]
            index = 2
            kind = "io"
            size = 32
            address = 0xd000
            device = "constant"
            value = 0x5a
            [[steps]]
            expect_mmio = { address = 0xfeb00000, dir = "read", width = 4, value = 0 }
            [[steps]]
            expect_no_pci = { slot = "00:1c.0", offset = 0x10, dir = "out" }
            "#,
        )
        .unwrap();
        assert_eq!(s.physical.items.len(), 4);
        assert!(matches!(&s.steps[0].action, Action::ExpectMmio { happened: true, .. }));
        assert!(matches!(&s.steps[1].action, Action::ExpectPci { happened: false, .. }));
    }

    #[test]
    fn an_hd_audio_controller_answers_a_memory_range_or_a_memory_bar() {
        let s = parse(
            "[[memory]]\nbase = 0xfeb00000\nsize = \"16KiB\"\nkind = \"mmio\"\ndevice = \"hda\"\nirq = 5\n\
             [[pci]]\nslot = \"00:1b.0\"\nvendor_id = 0x8086\ndevice_id = 0x293e\nclass = 0x040300\n\
             [[pci.bars]]\nindex = 0\nkind = \"mmio64\"\nsize = \"16KiB\"\naddress = 0xfeb10000\ndevice = \"hda\"\n",
        )
        .unwrap();
        assert_eq!(s.physical.items.len(), 2);
        let e = parse(
            "[[pci]]\nslot = \"00:1b.0\"\nvendor_id = 1\ndevice_id = 2\nclass = 0x040300\n[[pci.bars]]\nindex = 0\nkind = \"io\"\nsize = 64\naddress = 0xd000\ndevice = \"hda\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("memory BARs only"), "{e}");
        let e = parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"mmio\"\ndevice = \"hda\"\nirq = 16\n")
            .unwrap_err();
        assert!(e.message.contains("0 to 15"), "{e}");
        let e = parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"mmio\"\ndevice = \"registers\"\nirq = 5\n")
            .unwrap_err();
        assert!(e.message.contains("`irq` does not apply"), "{e}");
        let e = parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"mmio\"\ndevice = \"hda\"\nvalue = 1\n")
            .unwrap_err();
        assert!(e.message.contains("`value` does not apply"), "{e}");
    }

    #[test]
    fn mistakes_name_their_line() {
        let e = parse("[[memory]]\nbase = 0x1001\nsize = 0x1000\nkind = \"ram\"\n").unwrap_err();
        assert!(e.message.contains("whole pages"), "{e}");
        let e = parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"mmio\"\n").unwrap_err();
        assert!(e.message.contains("exactly one of `device` or `policy`"), "{e}");
        let e =
            parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"mmio\"\ndevice = \"constant\"\n").unwrap_err();
        assert!(e.message.contains("needs `value`"), "{e}");
        let e = parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"mmio\"\ndevice = \"registers\"\nvalue = 1\n")
            .unwrap_err();
        assert!(e.message.contains("`value` does not apply"), "{e}");
        let e = parse("[[pci]]\nslot = \"00:32.0\"\nvendor_id = 1\ndevice_id = 2\nclass = 0\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse(
            "[[pci]]\nslot = \"00:01.0\"\nvendor_id = 1\ndevice_id = 2\nclass = 0\n[[pci.bars]]\nindex = 0\nkind = \"mmio\"\nsize = 0x1000\naddress = 0xfea00800\n",
        )
        .unwrap_err();
        assert!(e.message.contains("aligned"), "{e}");
        let e = parse("[[steps]]\nexpect_pci = { slot = \"nope\", offset = 0 }\n").unwrap_err();
        assert!(e.message.contains("bus:device.function"), "{e}");
        let e = parse("[[memory]]\nbase = 0x1000\nsize = 0x1000\nkind = \"ram\"\nbogus = 1\n").unwrap_err();
        assert!(e.message.contains("unknown field"), "{e}");
    }
}
