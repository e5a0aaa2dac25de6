//! Guest faults as typed values: what went wrong, where, and the state around it.

use serde::Serialize;

/// The exception a guest instruction raised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// #DE
    DivideError,
    /// #DB
    Debug,
    /// #BP: an `int3` (or `int 3`) in the guest.
    Breakpoint,
    /// #OF
    Overflow,
    /// #BR
    BoundRange,
    /// #UD
    InvalidOpcode,
    /// #NM
    DeviceNotAvailable,
    /// #DF
    DoubleFault,
    /// #TS, #NP, #SS
    Segment { vector: u8 },
    /// #GP, with the reason the machine knows (a denied port, an unknown MSR, ...).
    GeneralProtection,
    /// #PF at `address` (CR2).
    PageFault { address: u64 },
    /// #MF, #XM
    FloatingPoint { vector: u8 },
    /// #AC
    AlignmentCheck,
    /// #MC
    MachineCheck,
    /// `int N` for a vector no handler serves (0x29 fast-fail, 0x2C assertion, ...).
    SoftwareInterrupt { vector: u8 },
}

impl FaultKind {
    pub fn from_vector(vector: u32, cr2: u64) -> FaultKind {
        match vector {
            0 => FaultKind::DivideError,
            1 => FaultKind::Debug,
            3 => FaultKind::Breakpoint,
            4 => FaultKind::Overflow,
            5 => FaultKind::BoundRange,
            6 => FaultKind::InvalidOpcode,
            7 => FaultKind::DeviceNotAvailable,
            8 => FaultKind::DoubleFault,
            10..=12 => FaultKind::Segment { vector: vector as u8 },
            13 => FaultKind::GeneralProtection,
            14 => FaultKind::PageFault { address: cr2 },
            16 | 19 => FaultKind::FloatingPoint { vector: vector as u8 },
            17 => FaultKind::AlignmentCheck,
            18 => FaultKind::MachineCheck,
            v => FaultKind::SoftwareInterrupt { vector: v as u8 },
        }
    }

    /// The architectural mnemonic ("#GP", "#PF", "int 0x2c").
    pub fn mnemonic(&self) -> String {
        match self {
            FaultKind::DivideError => "#DE".into(),
            FaultKind::Debug => "#DB".into(),
            FaultKind::Breakpoint => "#BP".into(),
            FaultKind::Overflow => "#OF".into(),
            FaultKind::BoundRange => "#BR".into(),
            FaultKind::InvalidOpcode => "#UD".into(),
            FaultKind::DeviceNotAvailable => "#NM".into(),
            FaultKind::DoubleFault => "#DF".into(),
            FaultKind::Segment { vector: 10 } => "#TS".into(),
            FaultKind::Segment { vector: 11 } => "#NP".into(),
            FaultKind::Segment { .. } => "#SS".into(),
            FaultKind::GeneralProtection => "#GP".into(),
            FaultKind::PageFault { .. } => "#PF".into(),
            FaultKind::FloatingPoint { vector: 16 } => "#MF".into(),
            FaultKind::FloatingPoint { .. } => "#XM".into(),
            FaultKind::AlignmentCheck => "#AC".into(),
            FaultKind::MachineCheck => "#MC".into(),
            FaultKind::SoftwareInterrupt { vector } => format!("int {vector:#x}"),
        }
    }

    /// What the fault means, for a fault the machine knows no more about.
    pub fn describe(&self) -> String {
        match self {
            FaultKind::DivideError => "division by zero or a quotient too large".into(),
            FaultKind::Debug => "debug exception (single step or hardware breakpoint)".into(),
            FaultKind::Breakpoint => "breakpoint (int3)".into(),
            FaultKind::Overflow => "overflow (into)".into(),
            FaultKind::BoundRange => "index out of bounds (bound)".into(),
            FaultKind::InvalidOpcode => "invalid or undefined instruction".into(),
            FaultKind::DeviceNotAvailable => "FPU not available".into(),
            FaultKind::DoubleFault => "a fault while delivering a fault".into(),
            FaultKind::Segment { .. } => "bad segment, task state or stack".into(),
            FaultKind::GeneralProtection => "general protection fault".into(),
            FaultKind::PageFault { address } => format!("access to unmapped or protected memory at {address:#x}"),
            FaultKind::FloatingPoint { .. } => "floating-point exception".into(),
            FaultKind::AlignmentCheck => "misaligned access with alignment checking on".into(),
            FaultKind::MachineCheck => "machine check".into(),
            FaultKind::SoftwareInterrupt { vector } => format!("software interrupt {vector:#x} that no handler serves"),
        }
    }
}

/// A register and its value at the fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegValue {
    pub name: &'static str,
    pub value: u64,
}

/// A fault in guest code, with enough context to read it without a debugger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GuestFault {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Address of the faulting instruction.
    pub pc: u64,
    /// Disassembly of the faulting instruction, when its bytes were readable.
    pub instruction: Option<String>,
    /// What the machine knows beyond the vector ("port 0x64 denied by policy").
    pub reason: String,
    pub registers: Vec<RegValue>,
    /// The pointer-sized words at the stack pointer.
    pub stack: Vec<u64>,
    /// The privilege the guest ran at (0: driver code).
    pub cpl: u8,
    /// The named memory region holding `pc` ("image:giveio.sys+0x1234"), when known.
    pub location: Option<String>,
}

impl std::fmt::Display for GuestFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {:#x}", self.kind.mnemonic(), self.pc)?;
        if let Some(loc) = &self.location {
            write!(f, " ({loc})")?;
        }
        if let Some(insn) = &self.instruction {
            write!(f, ": {insn}")?;
        }
        if let FaultKind::PageFault { address } = self.kind {
            write!(f, " touching {address:#x}")?;
        }
        if !self.reason.is_empty() {
            write!(f, " - {}", self.reason)?;
        }
        Ok(())
    }
}
