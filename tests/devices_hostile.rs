//! A hostile driver against the default machine's chips: every chip port, every width,
//! pseudo-random values, through the rawio corpus driver's IN/OUT instructions. The run
//! never panics or hangs; it goes on, or, when a value happens to reset the machine, ends as
//! a reset (and a new machine takes the rest of the sequence).

use portcullis::Sandbox;

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn random_values_on_every_chip_port_end_cleanly() {
    let ports: Vec<u16> = [0x20u16, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x60, 0x64, 0x70, 0x71, 0x80, 0x87]
        .into_iter()
        .chain(0x3F8..0x400)
        .chain(0x2F8..0x300)
        .chain(0x378..0x380)
        .chain(0x778..0x77B)
        .chain(0x3BC..0x3BF)
        .collect();
    for (arch, seed) in [("x86", 0x1234_5678u32), ("x64", 0x9E37_79B9)] {
        let boot = || {
            let mut sb = Sandbox::builder().max_instructions(50_000_000).load_driver(corpus("rawio", arch)).unwrap();
            sb.driver_entry().unwrap();
            let h = sb.open(r"\\.\RawIo").unwrap();
            (sb, h)
        };
        let (mut sb, mut h) = boot();
        let mut x = seed;
        let (mut done, mut resets) = (0, 0);
        while done < 3000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let port = ports[x as usize % ports.len()];
            let width = [1u16, 1, 1, 2, 4][(x >> 8) as usize % 5];
            let mut input = port.to_le_bytes().to_vec();
            input.extend_from_slice(&width.to_le_bytes());
            input.extend_from_slice(&x.rotate_left(7).to_le_bytes());
            let r = if x & 0x10000 != 0 {
                sb.ioctl(h, 0x8000_2004, &input, 0).map(|_| ())
            } else {
                sb.ioctl(h, 0x8000_2000, &input[..4], 4).map(|_| ())
            };
            done += 1;
            match r {
                Ok(()) => {}
                Err(portcullis::sandbox::RunError::Reset(_)) => {
                    resets += 1;
                    (sb, h) = boot();
                }
                Err(e) => panic!("{arch}: the run ended with {e} after {done} accesses"),
            }
        }
        assert!(resets < 300, "{arch}: {resets} resets");
        assert!(sb.report().counts.port_io > 0);
    }
}
