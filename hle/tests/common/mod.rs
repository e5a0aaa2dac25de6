//! Helpers for kernel tests: boot a kernel, load corpus drivers, inspect the trace.
#![allow(dead_code)]

pub mod fx;
pub mod guest;
pub mod ndis;

use std::cell::RefCell;
use std::rc::Rc;

pub use portcullis_emu::ports::{Outcome, PortDevice, Width};
pub use portcullis_emu::{Arch, Event, FaultKind, LimitHit, MachineConfig, PortEvent, Stop};
pub use portcullis_hle::driver;
pub use portcullis_hle::exports::ArgValue;
pub use portcullis_hle::io::request::{self, OutBuffer};
pub use portcullis_hle::kernel::{ApiCall, Kernel, KernelEvent, KernelOptions, KernelStop, Kx, MissingImports};
pub use portcullis_hle::loader;
pub use portcullis_hle::types::status;

pub fn both() -> [Arch; 2] {
    [Arch::X86, Arch::X64]
}

pub fn boot(arch: Arch) -> Kx {
    Kernel::boot(MachineConfig::new(arch), KernelOptions::default()).expect("boot")
}

pub fn corpus_bytes(name: &str, arch: Arch) -> Vec<u8> {
    let path = format!("{}/../corpus/{name}/{name}.{}.sys", env!("CARGO_MANIFEST_DIR"), arch.name());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Boots, loads `name` and runs DriverEntry, which must succeed.
pub fn started(name: &str, arch: Arch) -> (Kx, usize) {
    let mut k = boot(arch);
    let d = loader::load(&mut k, name, &corpus_bytes(name, arch)).expect("load");
    let st = driver::call_entry(&mut k, d).expect("DriverEntry runs");
    assert_eq!(st, status::SUCCESS, "DriverEntry of {name} on {arch:?}");
    (k, d)
}

pub fn open(k: &mut Kx, path: &str) -> request::FileHandle {
    let (h, _) = request::open(k, path).expect("open runs");
    h.unwrap_or_else(|s| panic!("open {path}: {s:?}"))
}

/// CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS), as the corpus drivers define codes.
pub fn ctl(function: u32, method: u32) -> u32 {
    (0x8000 << 16) | (function << 2) | method
}

pub fn ioctl(k: &mut Kx, h: request::FileHandle, code: u32, input: &[u8], out_len: u64) -> request::IoResult {
    request::device_control(k, h, code, input, &OutBuffer::zeroed(out_len), false).expect("ioctl runs")
}

/// The kernel events `pick` selects from the trace, in order.
pub fn kernel_events<T>(k: &Kx, pick: impl Fn(&KernelEvent) -> Option<T>) -> Vec<T> {
    k.guest()
        .trace
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Ext(ke) => pick(ke),
            _ => None,
        })
        .collect()
}

/// The exceptions dispatched so far, in order.
pub fn exceptions(k: &Kx) -> Vec<portcullis_hle::seh::events::ExceptionEvent> {
    kernel_events(k, |e| match e {
        KernelEvent::Exception(x) => Some((**x).clone()),
        _ => None,
    })
}

/// An NTSTATUS as a bugcheck parameter: sign-extended to the pointer width.
pub fn status_param(arch: Arch, code: u32) -> u64 {
    match arch {
        Arch::X86 => code as u64,
        Arch::X64 => code as i32 as i64 as u64,
    }
}

/// The bugcheck a request ended in.
pub fn bugcheck_of<T: std::fmt::Debug>(
    r: Result<T, portcullis_hle::kernel::KError>,
) -> portcullis_hle::kernel::Bugcheck {
    match r {
        Err(portcullis_hle::kernel::KError::Stop(Stop::Host(KernelStop::Bugcheck(b)))) => b,
        other => panic!("expected a bugcheck, got {other:?}"),
    }
}

pub fn calls(k: &Kx) -> Vec<ApiCall> {
    kernel_events(k, |e| match e {
        KernelEvent::Call(c) => Some(c.clone()),
        _ => None,
    })
}

pub fn debug_lines(k: &Kx) -> Vec<String> {
    kernel_events(k, |e| match e {
        KernelEvent::Debug(d) => Some(d.text.clone()),
        _ => None,
    })
}

pub fn ports(k: &Kx) -> Vec<PortEvent> {
    k.guest().trace.ports().copied().collect()
}

/// (port, write, value) of each port event.
pub fn port_log(k: &Kx) -> Vec<(u16, bool, u32)> {
    ports(k).iter().map(|p| (p.port, p.write, p.value)).collect()
}

pub fn clear_trace(k: &mut Kx) {
    k.guest_mut().trace.drain();
}

pub fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// One access a test device saw: offset, width, whether it was a write, value written.
pub type Access = (u16, Width, bool, u32);

/// A device of 8 byte registers shared with the test, recording accesses.
#[derive(Clone, Default)]
pub struct Regs {
    pub regs: Rc<RefCell<[u8; 8]>>,
    pub log: Rc<RefCell<Vec<Access>>>,
}

impl PortDevice for Regs {
    fn name(&self) -> &str {
        "test registers"
    }
    fn read(&mut self, offset: u16, width: Width, _: &mut portcullis_emu::ports::BusContext) -> u32 {
        self.log.borrow_mut().push((offset, width, false, 0));
        let r = self.regs.borrow();
        (0..width.bytes()).map(|i| (r[((offset + i) % 8) as usize] as u32) << (8 * i)).fold(0, |a, b| a | b)
    }
    fn write(&mut self, offset: u16, width: Width, value: u32, _: &mut portcullis_emu::ports::BusContext) {
        self.log.borrow_mut().push((offset, width, true, value));
        let mut r = self.regs.borrow_mut();
        for i in 0..width.bytes() {
            r[((offset + i) % 8) as usize] = (value >> (8 * i)) as u8;
        }
    }
}

pub fn attach(k: &mut Kx, base: u16) -> Regs {
    let dev = Regs::default();
    k.guest_mut().ports.add_device(base, base + 7, Box::new(dev.clone())).unwrap();
    dev
}
