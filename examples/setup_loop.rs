//! Creates machines in a loop (for profiling machine set-up).
use portcullis_emu::{Arch, Machine, MachineConfig};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let t = std::time::Instant::now();
    for i in 0..n {
        let arch = if i % 2 == 0 { Arch::X64 } else { Arch::X86 };
        let m: Machine = Machine::new(MachineConfig::new(arch), ()).unwrap();
        std::hint::black_box(&m);
    }
    println!("{:.1} us/machine", t.elapsed().as_secs_f64() * 1e6 / n as f64);
}
