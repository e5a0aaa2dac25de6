//! IOCTLs from the fuzzer through the `Sandbox` API to the corpus drivers: control codes with
//! every transfer method, input bytes and output lengths chosen by the fuzzer, and for
//! METHOD_NEITHER raw user pointers (into mapped and unmapped memory) too. Whatever the
//! driver does with them, the host must not panic or hang, and the report must build.
//!
//! One sandbox per driver lives across inputs (a machine takes milliseconds to start); when a
//! run ends it (a fault, a bugcheck, a limit), the next input gets a fresh one.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use portcullis::{Handle, Sandbox};

/// The drivers and the device each opens.
const DRIVERS: [(&str, &str); 4] = [
    ("methods/methods.x64.sys", "\\\\.\\Methods"),
    ("methods/methods.x86.sys", "\\\\.\\Methods"),
    ("halports/halports.x64.sys", "\\\\.\\HalPorts"),
    ("nullderef/nullderef.x86.sys", "\\\\.\\NullDeref"),
];

thread_local! {
    static SANDBOXES: RefCell<Vec<Option<(Sandbox, Handle)>>> = RefCell::new((0..DRIVERS.len()).map(|_| None).collect());
}

fn start(i: usize) -> Option<(Sandbox, Handle)> {
    let (file, device) = DRIVERS[i];
    let path = format!("{}/../corpus/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut sb = Sandbox::builder().max_instructions(2_000_000).load_driver(path).ok()?;
    sb.driver_entry().ok()?;
    let h = sb.open(device).ok()?;
    Some((sb, h))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let which = data[0] as usize % DRIVERS.len();
    let code = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let output = u16::from_le_bytes([data[5], data[6]]) as usize;
    let internal = data[7] & 1 == 1;
    let input = &data[8..];
    SANDBOXES.with(|s| {
        let mut s = s.borrow_mut();
        if s[which].is_none() {
            s[which] = start(which);
        }
        let Some((sb, h)) = s[which].as_mut() else { return };
        if data[7] & 2 != 0 && code & 3 == 3 && input.len() >= 16 {
            let at = |i: usize| u64::from_le_bytes(input[i..i + 8].try_into().expect("8 bytes"));
            let _ = sb.ioctl_raw(*h, code, (at(0), input.len() as u64), (at(8), output as u64), internal);
        } else {
            let out = portcullis::hle::io::request::OutBuffer::zeroed(output as u64);
            let _ = sb.ioctl_with(*h, code, input, out, internal);
        }
        if sb.stopped().is_some() {
            let _ = sb.report();
            s[which] = None;
        }
    });
});
