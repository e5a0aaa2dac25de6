//! `make bench`: one figure a line, `name: value unit`. Figures, not pass/fail: machines are noisy.
//!
//! Each figure runs long enough (>= 0.3 s) to swamp start-up costs, and the best of three
//! rounds is reported.

use std::time::{Duration, Instant};

use iced_x86::code_asm::*;
use portcullis::Sandbox;
use portcullis_emu::ports::{PortDevice, Width};
use portcullis_emu::*;
use portcullis_hle::kernel::{Kernel, KernelOptions};
use unicorn_engine::unicorn_const::{Arch as UcArch, Mode, Prot as UcProt};

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    if want("machine_setup_us") {
        figure("machine_setup_us", machine_setup_us(), "us");
    }
    if want("port_ops") {
        let (untraced, traced, raw) = port_ops_per_s(PortShape::Polling);
        figure("port_ops_per_s", untraced, "ops/s");
        figure("port_ops_traced_per_s", traced, "ops/s");
        figure("port_ops_raw_unicorn_per_s", raw, "ops/s");
        let (untraced, traced, raw) = port_ops_per_s(PortShape::DenseBlock);
        figure("port_ops_dense_block_per_s", untraced, "ops/s");
        figure("port_ops_dense_block_traced_per_s", traced, "ops/s");
        figure("port_ops_dense_block_raw_unicorn_per_s", raw, "ops/s");
        figure("port_ops_default_machine_per_s", default_machine_port_ops_per_s(0x80), "ops/s");
        figure("port_ops_pit_per_s", default_machine_port_ops_per_s(0x61), "ops/s");
    }
    if want("user_port_ops") {
        figure("user_port_ops_per_s", user_port_ops_per_s(), "ops/s");
    }
    if want("vcd_overhead") {
        figure("vcd_overhead_pct", vcd_overhead_cli_pct(), "%");
        figure("vcd_overhead_polling_loop_pct", vcd_overhead_pct(false), "%");
        figure("vcd_overhead_every_access_changes_pct", vcd_overhead_pct(true), "%");
    }
    if want("mmio_ops") {
        let (untraced, traced) = mmio_ops_per_s();
        figure("mmio_ops_per_s", untraced, "ops/s");
        figure("mmio_ops_traced_per_s", traced, "ops/s");
    }
    if want("pci_config") {
        figure("pci_config_reads_per_s", pci_config_reads_per_s(), "reads/s");
    }
    if want("hle_calls") {
        figure("hle_calls_per_s", hle_calls_per_s(false), "calls/s");
        figure("hle_calls_traced_per_s", hle_calls_per_s(true), "calls/s");
    }
    if want("ioctl") {
        figure("ioctl_round_trips_per_s", ioctl_round_trips_per_s(), "ioctls/s");
    }
    if want("win32_ioctl") {
        figure("win32_ioctl_round_trips_per_s", win32_ioctl_round_trips_per_s(), "ioctls/s");
    }
    if want("thread_switches") {
        figure("thread_switches_per_s", thread_switches_per_s(), "switches/s");
    }
    if want("dpc_round_trips") {
        figure("dpc_round_trips_per_s", dpc_round_trips_per_s(), "round trips/s");
    }
    if want("exceptions_handled_per_s") {
        figure("exceptions_handled_per_s", exceptions_handled_per_s("x64"), "exceptions/s");
    }
    if want("exceptions_handled_x86_per_s") {
        figure("exceptions_handled_x86_per_s", exceptions_handled_per_s("x86"), "exceptions/s");
    }
    if want("load") {
        figure("load_and_driver_entry_us", load_and_driver_entry_us(), "us");
    }
    if want("cli_run") {
        figure("cli_run_ms", cli_run_ms(), "ms");
    }
    if want("cli_info") {
        figure("cli_info_ms", cli_info_ms(), "ms");
    }
    if want("cli_run_real") {
        figure("cli_run_real_ms", cli_run_real_ms(), "ms");
    }
    if want("corpus") {
        figure("corpus_drivers_per_s", corpus_drivers_per_s(), "jobs/s");
    }
    if want("survey") {
        figure("survey_drivers_per_s", survey_drivers_per_s(Population::Corpus), "drivers/s");
        figure("survey_refused_drivers_per_s", survey_drivers_per_s(Population::Refused), "drivers/s");
        figure("survey_running_drivers_per_s", survey_drivers_per_s(Population::Running), "drivers/s");
    }
    if want("guest_insns") {
        let (ours, raw) = guest_insns_per_s();
        figure("guest_insns_per_s", ours, "insns/s");
        figure("guest_insns_raw_unicorn_per_s", raw, "insns/s");
        figure("guest_insns_vs_raw_unicorn", ours / raw * 100.0, "%");
    }
    if want("budget") {
        for (shape, name) in [
            (LoopShape::Alu, "alu"),
            (LoopShape::Spin(Arch::X64), "spin_x64"),
            (LoopShape::Spin(Arch::X86), "spin_x86"),
        ] {
            let (free, budgeted) = budget_cost(shape);
            figure(&format!("guest_insns_{name}_per_s"), free, "insns/s");
            figure(&format!("guest_insns_{name}_budgeted_per_s"), budgeted, "insns/s");
        }
    }
}

fn figure(name: &str, value: f64, unit: &str) {
    if value >= 1000.0 {
        println!("{name}: {value:.0} {unit}");
    } else {
        println!("{name}: {value:.2} {unit}");
    }
}

/// Best of three rounds of `f`, which returns (work units, elapsed).
fn best(mut f: impl FnMut() -> (f64, Duration)) -> f64 {
    (0..3).map(|_| f()).map(|(n, t)| n / t.as_secs_f64()).fold(0.0, f64::max)
}

fn machine_setup_us() -> f64 {
    let n = 300;
    let per_s = best(|| {
        let t = Instant::now();
        for i in 0..n {
            let arch = if i % 2 == 0 { Arch::X64 } else { Arch::X86 };
            let m: Machine = Machine::new(MachineConfig::new(arch), ()).unwrap();
            std::hint::black_box(&m);
        }
        (n as f64, t.elapsed())
    });
    1e6 / per_s
}

struct Nop;
impl PortDevice for Nop {
    fn name(&self) -> &str {
        "nop"
    }
    fn read(&mut self, _: u16, _: Width, _: &mut portcullis_emu::ports::BusContext) -> u32 {
        0
    }
    fn write(&mut self, _: u16, _: Width, _: u32, _: &mut portcullis_emu::ports::BusContext) {}
}

fn load(m: &mut Machine, f: impl FnOnce(&mut CodeAssembler)) -> u64 {
    let base = m.mem_mut().alloc(RegionKind::Image, "bench", 0x10000, Prot::RX).unwrap();
    let mut a = CodeAssembler::new(if m.arch() == Arch::X64 { 64 } else { 32 }).unwrap();
    f(&mut a);
    let code = a.assemble(base).unwrap();
    m.mem_mut().write_unchecked(base, &code).unwrap();
    base
}

#[derive(Clone, Copy)]
enum PortShape {
    /// `out dx, al; in al, dx; dec; jnz`: one block per pair of accesses, like a driver's
    /// polling loop or the per-element re-entry of `rep ins/outs`.
    Polling,
    /// 16 accesses of mixed widths in one block. Unicorn 2.1.5 recovers the exact PC of every
    /// access by walking the block's instruction table from its start, so each access costs
    /// more the later it sits in a long block.
    DenseBlock,
}

fn port_loop(a: &mut CodeAssembler, shape: PortShape, iterations: u32) -> f64 {
    a.mov(r8d, iterations).unwrap();
    a.mov(edx, 0x80).unwrap();
    let mut top = a.create_label();
    a.set_label(&mut top).unwrap();
    let pairs = match shape {
        PortShape::Polling => 1,
        PortShape::DenseBlock => 8,
    };
    for i in 0..pairs {
        match i % 3 {
            0 => {
                a.out(dx, al).unwrap();
                a.in_(al, dx).unwrap();
            }
            1 => {
                a.out(dx, ax).unwrap();
                a.in_(ax, dx).unwrap();
            }
            _ => {
                a.out(dx, eax).unwrap();
                a.in_(eax, dx).unwrap();
            }
        }
    }
    a.dec(r8d).unwrap();
    a.jnz(top).unwrap();
    a.ret().unwrap();
    iterations as f64 * 2.0 * pairs as f64
}

/// The default machine's chips on the bus (PIT, PIC, CMOS, UARTs, ...), untraced: the
/// polling loop on port `port` (0x80: the no-op device over the POST port, the cost of the
/// chips being there; 0x61: a chip model answering, the PIT's port B).
fn default_machine_port_ops_per_s(port: u16) -> f64 {
    let iterations = 4_000_000u32;
    let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
    let mut devices = portcullis_devices::Devices::default();
    devices.install_defaults(&mut m.guest_mut().ports, &Default::default());
    if port == 0x80 {
        m.guest_mut().ports.add_device(0x80, 0x83, Box::new(Nop)).unwrap();
    }
    m.guest_mut().trace.record_ports = false;
    let mut ops = 0.0;
    let f = load(&mut m, |a| {
        ops = port_loop(a, PortShape::Polling, iterations);
    });
    if port != 0x80 {
        // The loop's port: patch `mov edx, 0x80` (BA imm32) to the port asked for.
        let code = m.mem().read_partial(f, 16);
        let at = code.windows(5).position(|w| w == [0xBA, 0x80, 0, 0, 0]).expect("mov edx, 0x80");
        m.mem_mut().write_unchecked(f + at as u64 + 1, &(port as u32).to_le_bytes()).unwrap();
    }
    best(|| {
        let t = Instant::now();
        m.call(f, &[], CallConv::Win64).unwrap();
        (ops, t.elapsed())
    })
}

/// A user process whose I/O permission map grants the port polling it (the polling loop on
/// port 0x80, untraced, at CPL3 under the user view): every access checked against IOPL and
/// the map the TSS's IoMapBase selects.
fn user_port_ops_per_s() -> f64 {
    let iterations = 4_000_000u32;
    let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
    m.guest_mut().ports.add_device(0x80, 0x83, Box::new(Nop)).unwrap();
    m.guest_mut().trace.record_ports = false;
    let mut map = portcullis_emu::ports::iopm::deny_all().to_vec();
    map[0x80 / 8] &= !(1 << (0x80 % 8));
    m.set_io_permission_map(&map).unwrap();
    m.set_io_map_base(0x68).unwrap();
    let code = m.mem_mut().alloc(RegionKind::User, "user code", 0x1000, Prot::RX).unwrap();
    let mut a = CodeAssembler::new(64).unwrap();
    let ops = port_loop(&mut a, PortShape::Polling, iterations);
    m.mem_mut().write_unchecked(code, &a.assemble(code).unwrap()).unwrap();
    let stack = m.mem_mut().alloc(RegionKind::User, "user stack", 0x4000, Prot::RW).unwrap();
    let teb = m.mem_mut().alloc(RegionKind::User, "teb", 0x1000, Prot::RW).unwrap();
    best(|| {
        let ret = m.return_address();
        m.prepare_call(&[], CallConv::Win64, stack + 0x4000, ret).unwrap();
        m.switch_to_user(teb).unwrap();
        let t = Instant::now();
        let exit = m.run_at(code, false).unwrap();
        let elapsed = t.elapsed();
        m.switch_to_kernel(0).unwrap();
        assert!(matches!(exit, Exit::Returned(_)), "{exit:?}");
        (ops, elapsed)
    })
}

/// `--vcd` on a traced run, as the command line does it: the rawio corpus driver writing
/// 4 KiB of changing bytes to the parallel port's data register (`rep outsb`) 50 times, every
/// event streamed as JSON Lines (`--trace`, to a sink), with the waveform kept and written
/// (to a sink) vs without.
fn vcd_overhead_cli_pct() -> f64 {
    let driver = format!("{}/corpus/rawio/rawio.x64.sys", env!("CARGO_MANIFEST_DIR"));
    let mut input = Vec::new();
    input.extend_from_slice(&0x378u16.to_le_bytes());
    input.extend_from_slice(&1u16.to_le_bytes());
    input.extend_from_slice(&4096u32.to_le_bytes());
    input.extend((0..4096u32).map(|i| (i * 7) as u8));
    let time = |vcd: bool| {
        let t = Instant::now();
        let mut sb = Sandbox::builder().trace(Box::new(std::io::sink())).timed_ports(vcd).load_driver(&driver).unwrap();
        sb.driver_entry().unwrap();
        let h = sb.open(r"\\.\RawIo").unwrap();
        for _ in 0..50 {
            sb.ioctl(h, 0x8000_2008, &input, 0).unwrap();
        }
        let report = sb.report();
        std::hint::black_box(report);
        if vcd {
            let activity = portcullis::waveform::Activity::take(&mut sb);
            portcullis::waveform::write_vcd(&activity, std::io::BufWriter::new(std::io::sink())).unwrap();
        }
        t.elapsed()
    };
    // The two runs alternate, so that both see the same machine; the best of each counts.
    let (mut plain, mut with) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        plain = plain.min(time(false));
        with = with.min(time(true));
    }
    (with.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
}

/// How much longer a traced run with `--vcd` takes than the same traced run without: the
/// polling loop (the status it reads does not change: `changing` false) or a loop writing
/// a new value each access (`changing`: every access is a change to dump), with the changes
/// kept with their times plus writing the VCD (to a sink), vs the loop traced alone.
fn vcd_overhead_pct(changing: bool) -> f64 {
    let iterations = 400_000u32;
    let time = |vcd: bool| {
        let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
        m.guest_mut().ports.add_device(0x80, 0x83, Box::new(Nop)).unwrap();
        m.guest_mut().trace.record_ports = true;
        m.guest_mut().trace.set_sink(4096, |batch| {
            std::hint::black_box(batch);
        });
        let mut ops = 0.0;
        let f = load(&mut m, |a| {
            if changing {
                // inc al; out dx, al; in al, dx: the next write differs again.
                a.mov(r8d, iterations).unwrap();
                a.mov(edx, 0x80).unwrap();
                let mut top = a.create_label();
                a.set_label(&mut top).unwrap();
                a.inc(al).unwrap();
                a.out(dx, al).unwrap();
                a.mov(cl, al).unwrap();
                a.in_(al, dx).unwrap();
                a.mov(al, cl).unwrap();
                a.dec(r8d).unwrap();
                a.jnz(top).unwrap();
                a.ret().unwrap();
                ops = iterations as f64 * 2.0;
            } else {
                ops = port_loop(a, PortShape::Polling, iterations);
            }
        });
        let rate = best(|| {
            m.guest_mut().ports.record_timed(vcd);
            let t = Instant::now();
            m.call(f, &[], CallConv::Win64).unwrap();
            if vcd {
                let activity = portcullis::waveform::Activity {
                    accesses: m.guest().ports.timed_accesses(),
                    mmio: Vec::new(),
                    tones: Vec::new(),
                    end_ns: m.guest().cpu.clock.now_ns(),
                };
                portcullis::waveform::write_vcd(&activity, std::io::BufWriter::new(std::io::sink())).unwrap();
            }
            (ops, t.elapsed())
        });
        1.0 / rate
    };
    let plain = time(false);
    let with = time(true);
    (with / plain - 1.0) * 100.0
}

/// (untraced, traced, bare Unicorn hooks) port accesses per second for one loop shape.
fn port_ops_per_s(shape: PortShape) -> (f64, f64, f64) {
    let iterations = match shape {
        PortShape::Polling => 4_000_000u32,
        PortShape::DenseBlock => 400_000,
    };
    let rate = |traced: bool| {
        let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
        m.guest_mut().ports.add_device(0x80, 0x83, Box::new(Nop)).unwrap();
        m.guest_mut().trace.record_ports = traced;
        if traced {
            // Events stream out in batches, as the CLI's --trace does; memory stays bounded.
            m.guest_mut().trace.set_sink(4096, |batch| {
                std::hint::black_box(batch);
            });
        }
        let mut ops = 0.0;
        let f = load(&mut m, |a| ops = port_loop(a, shape, iterations));
        best(|| {
            let t = Instant::now();
            m.call(f, &[], CallConv::Win64).unwrap();
            (ops, t.elapsed())
        })
    };
    let untraced = rate(false);
    let traced = rate(true);

    // The same loop with hooks that do nothing, on a bare engine.
    let mut uc = unicorn_engine::Unicorn::new_with_data(UcArch::X86, Mode::MODE_64, 0u64).unwrap();
    let base = 0x10_0000u64;
    uc.mem_map(base, 0x10000, UcProt::ALL).unwrap();
    uc.mem_map(0x20_0000, 0x10000, UcProt::ALL).unwrap();
    let mut a = CodeAssembler::new(64).unwrap();
    let ops = port_loop(&mut a, shape, iterations);
    let code = a.assemble(base).unwrap();
    uc.mem_write(base, &code).unwrap();
    uc.add_insn_in_hook(|uc, _, _| {
        *uc.get_data_mut() += 1;
        0
    })
    .unwrap();
    uc.add_insn_out_hook(|uc, _, _, _| *uc.get_data_mut() += 1).unwrap();
    let ret = base + code.len() as u64 - 1;
    let raw = best(|| {
        let t = Instant::now();
        uc.reg_write(unicorn_engine::RegisterX86::RSP, 0x20_8000).unwrap();
        uc.emu_start(base, ret, 0, 0).unwrap();
        (ops, t.elapsed())
    });
    (untraced, traced, raw)
}

struct NopRegister;
impl portcullis_emu::physical::mmio::MmioDevice for NopRegister {
    fn name(&self) -> &str {
        "nop"
    }
    fn read(&mut self, _: u64, _: Width, _: &mut portcullis_emu::physical::mmio::DeviceContext) -> u32 {
        1
    }
    fn write(&mut self, _: u64, _: Width, _: u32, _: &mut portcullis_emu::physical::mmio::DeviceContext) {}
}

/// (untraced, traced) MMIO accesses per second: a driver polling a device register through a
/// kernel mapping of it (`mov eax, [rbx]; dec; jnz`, one access per iteration), the traced
/// run with exact pcs (a block hook, as an instruction budget gives).
fn mmio_ops_per_s() -> (f64, f64) {
    let iterations = 4_000_000u32;
    let rate = |traced: bool| {
        let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
        m.mem_mut().physical_mut().add_device(0xFEB0_0000, 0x1000, Box::new(NopRegister)).unwrap();
        let va = m.mem_mut().map_frames(RegionKind::IoSpace, "register", &[0xFEB0_0000], Prot::RW).unwrap();
        m.guest_mut().trace.record_mmio = traced;
        if traced {
            m.attribute_mmio_pcs();
            m.guest_mut().trace.set_sink(4096, |batch| {
                std::hint::black_box(batch);
            });
        }
        let f = load(&mut m, |a| {
            a.mov(r8d, iterations).unwrap();
            a.mov(rbx, va).unwrap();
            let mut top = a.create_label();
            a.set_label(&mut top).unwrap();
            a.mov(eax, dword_ptr(rbx + 4)).unwrap();
            a.dec(r8d).unwrap();
            a.jnz(top).unwrap();
            a.ret().unwrap();
        });
        best(|| {
            let t = Instant::now();
            m.call(f, &[], CallConv::Win64).unwrap();
            (iterations as f64, t.elapsed())
        })
    };
    (rate(false), rate(true))
}

/// PCI configuration reads per second through ports 0xCF8/0xCFC (an `out` of the address and
/// an `in` of the data per read), untraced.
fn pci_config_reads_per_s() -> f64 {
    let iterations = 2_000_000u32;
    let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
    m.guest_mut().trace.record_ports = false;
    m.mem().physical().pci.borrow_mut().record = false;
    let f = load(&mut m, |a| {
        a.mov(r8d, iterations).unwrap();
        let mut top = a.create_label();
        a.set_label(&mut top).unwrap();
        a.mov(edx, 0xCF8).unwrap();
        a.mov(eax, 0x8000_FB08u32).unwrap();
        a.out(dx, eax).unwrap();
        a.mov(edx, 0xCFC).unwrap();
        a.in_(eax, dx).unwrap();
        a.dec(r8d).unwrap();
        a.jnz(top).unwrap();
        a.ret().unwrap();
    });
    best(|| {
        let t = Instant::now();
        m.call(f, &[], CallConv::Win64).unwrap();
        (iterations as f64, t.elapsed())
    })
}

/// Straight-line ALU code: 20 instructions per iteration including the loop branch.
fn alu_loop(a: &mut CodeAssembler, iterations: u32) {
    a.mov(r8d, iterations).unwrap();
    let mut top = a.create_label();
    a.set_label(&mut top).unwrap();
    for _ in 0..6 {
        a.add(eax, ebx).unwrap();
        a.xor(edx, eax).unwrap();
        a.lea(ebx, dword_ptr(rbx + rdx * 2 + 3)).unwrap();
    }
    a.dec(r8d).unwrap();
    a.jnz(top).unwrap();
    a.ret().unwrap();
}

fn guest_insns_per_s() -> (f64, f64) {
    let iterations = 20_000_000u32;
    let insns = iterations as f64 * 20.0;
    let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
    let f = load(&mut m, |a| alu_loop(a, iterations));

    // The same code on a bare engine: no hooks, no paging, CPL0.
    let mut uc = unicorn_engine::Unicorn::new(UcArch::X86, Mode::MODE_64).unwrap();
    let base = 0x10_0000u64;
    uc.mem_map(base, 0x10000, UcProt::ALL).unwrap();
    uc.mem_map(0x20_0000, 0x10000, UcProt::ALL).unwrap();
    let mut a = CodeAssembler::new(64).unwrap();
    alu_loop(&mut a, iterations);
    let code = a.assemble(base).unwrap();
    uc.mem_write(base, &code).unwrap();
    let ret = base + code.len() as u64 - 1;

    let mut ours = 0.0f64;
    let mut raw = 0.0f64;
    // Interleave the two so drift in machine speed hits both alike.
    for _ in 0..3 {
        let t = Instant::now();
        m.call(f, &[], CallConv::Win64).unwrap();
        ours = ours.max(insns / t.elapsed().as_secs_f64());
        let t = Instant::now();
        uc.reg_write(unicorn_engine::RegisterX86::RSP, 0x20_8000).unwrap();
        uc.emu_start(base, ret, 0, 0).unwrap();
        raw = raw.max(insns / t.elapsed().as_secs_f64());
    }
    (ours, raw)
}

#[derive(Clone, Copy)]
enum LoopShape {
    /// 20 instructions per block (`alu_loop`, x64).
    Alu,
    /// 5 instructions per block: a counter in memory incremented in a loop, as corpus/spin
    /// does (the worst case for a per-block count).
    Spin(Arch),
}

/// Guest instructions per second without and with an instruction budget (the block hook
/// that counts them exists only when one is set): what the default budget costs.
fn budget_cost(shape: LoopShape) -> (f64, f64) {
    let arch = match shape {
        LoopShape::Alu => Arch::X64,
        LoopShape::Spin(arch) => arch,
    };
    let rate = |budget: Option<u64>| {
        let mut config = MachineConfig::new(arch);
        config.limits.max_instructions = budget;
        let mut m: Machine = Machine::new(config, ()).unwrap();
        let counter = m.mem_mut().alloc(RegionKind::Pool, "counter", 0x1000, Prot::RW).unwrap();
        let (insns, f) = match shape {
            LoopShape::Alu => {
                let iterations = 10_000_000;
                (iterations as f64 * 20.0, load(&mut m, |a| alu_loop(a, iterations)))
            }
            LoopShape::Spin(arch) => {
                let iterations = if arch == Arch::X64 { 40_000_000 } else { 10_000_000 };
                (iterations as f64 * 5.0, load(&mut m, |a| spin_loop(a, arch, counter, iterations)))
            }
        };
        let conv = if arch == Arch::X64 { CallConv::Win64 } else { CallConv::Cdecl };
        best(|| {
            let t = Instant::now();
            m.call(f, &[], conv).unwrap();
            (insns, t.elapsed())
        })
    };
    (rate(None), rate(Some(u64::MAX / 2)))
}

/// `mov esi, n; mov ecx, counter; top: mov eax, [ecx]; add eax, 1; mov [ecx], eax; dec esi;
/// jnz top; ret` (rcx on x64).
fn spin_loop(a: &mut CodeAssembler, arch: Arch, counter: u64, iterations: u32) {
    a.mov(esi, iterations).unwrap();
    let at = match arch {
        Arch::X64 => {
            a.mov(rcx, counter).unwrap();
            dword_ptr(rcx)
        }
        Arch::X86 => {
            a.mov(ecx, counter as u32).unwrap();
            dword_ptr(ecx)
        }
    };
    let mut top = a.create_label();
    a.set_label(&mut top).unwrap();
    a.mov(eax, at).unwrap();
    a.add(eax, 1).unwrap();
    a.mov(at, eax).unwrap();
    a.dec(esi).unwrap();
    a.jnz(top).unwrap();
    a.ret().unwrap();
}

fn corpus_file(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

/// Guest code calling KeGetCurrentIrql (an export whose body is one CR8 read) in a loop:
/// the cost of the call path itself (slot, hook, dispatch, marshalling, return).
fn hle_calls_per_s(traced: bool) -> f64 {
    let options = KernelOptions { record_calls: traced, ..Default::default() };
    let mut k = Kernel::boot(MachineConfig::new(Arch::X64), options).unwrap();
    if traced {
        k.guest_mut().trace.set_sink(4096, |b| {
            std::hint::black_box(b);
        });
    }
    let stub = k.ext().resolve(portcullis_hle::exports::Dll::Ntoskrnl, "KeGetCurrentIrql").unwrap();
    let iterations = 2_000_000u32;
    let base = k.mem_mut().alloc(RegionKind::Image, "bench", 0x1000, Prot::RX).unwrap();
    let mut a = CodeAssembler::new(64).unwrap();
    a.sub(rsp, 0x28).unwrap();
    a.mov(ebx, iterations).unwrap();
    a.mov(rsi, stub).unwrap();
    let mut top = a.create_label();
    a.set_label(&mut top).unwrap();
    a.call(rsi).unwrap();
    a.dec(ebx).unwrap();
    a.jnz(top).unwrap();
    a.add(rsp, 0x28).unwrap();
    a.ret().unwrap();
    let code = a.assemble(base).unwrap();
    k.mem_mut().write_unchecked(base, &code).unwrap();
    best(|| {
        let t = Instant::now();
        k.call(base, &[], CallConv::Win64).unwrap();
        (iterations as f64, t.elapsed())
    })
}

/// A trivial METHOD_BUFFERED IOCTL (methods' REVERSE of 4 bytes), whole round trip: user
/// buffers, IRP, dispatch, IofCompleteRequest, copy-back, recording.
fn ioctl_round_trips_per_s() -> f64 {
    let mut sb = Sandbox::builder().load_driver(corpus_file("methods", "x64")).unwrap();
    sb.driver_entry().unwrap();
    let h = sb.open(r"\\.\Methods").unwrap();
    let n = 20_000;
    best(|| {
        let t = Instant::now();
        for _ in 0..n {
            let r = sb.ioctl(h, 0x8000_2400, b"abcd", 4).unwrap();
            std::hint::black_box(r);
        }
        (n as f64, t.elapsed())
    })
}

/// DeviceIoControl from a user program: corpus/methods/reverse_loop.x64.exe sends the methods
/// driver's REVERSE 20000 times (kernel32's DeviceIoControl, the switch to the kernel and
/// back, the IRP, the dispatch, the copy-back), checking every answer; the program's whole
/// run, load and exit included.
fn win32_ioctl_round_trips_per_s() -> f64 {
    let program = std::fs::read(format!("{}/corpus/methods/reverse_loop.x64.exe", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut sb = Sandbox::builder().record_calls(false).load_driver(corpus_file("methods", "x64")).unwrap();
    sb.driver_entry().unwrap();
    best(|| {
        let t = Instant::now();
        let run = sb.run_program("reverse_loop.exe", &program, &[]).unwrap();
        let elapsed = t.elapsed();
        assert_eq!(run.exit_code, 0, "{}", String::from_utf8_lossy(&run.console));
        (20_000.0, elapsed)
    })
}

/// The pingpong driver, started, with its device open, recording nothing (the scheduler's
/// events and calls cost what tracing costs elsewhere).
fn pingpong() -> (Sandbox, portcullis::Handle) {
    let mut sb =
        Sandbox::builder().record_calls(false).record_ports(false).load_driver(corpus_file("pingpong", "x64")).unwrap();
    sb.driver_entry().unwrap();
    let h = sb.open(r"\\.\PingPong").unwrap();
    (sb, h)
}

/// Two guest threads handing over through two synchronization events (pingpong THREADS):
/// each round is two switches (each side waits, the other runs).
fn thread_switches_per_s() -> f64 {
    let (mut sb, h) = pingpong();
    let rounds = 100_000u32;
    best(|| {
        let t = Instant::now();
        let r = sb.ioctl(h, 0x8000_2000, &rounds.to_le_bytes(), 8).unwrap();
        assert_eq!(r.output(), [rounds.to_le_bytes(), rounds.to_le_bytes()].concat());
        (2.0 * rounds as f64, t.elapsed())
    })
}

/// An IOCTL queuing a DPC that sets an event, then waiting on the event (pingpong DPCS):
/// each round trip is an insert, a DPC run on its own context, a wait satisfied.
fn dpc_round_trips_per_s() -> f64 {
    let (mut sb, h) = pingpong();
    let rounds = 100_000u32;
    best(|| {
        let t = Instant::now();
        let r = sb.ioctl(h, 0x8000_2004, &rounds.to_le_bytes(), 4).unwrap();
        assert_eq!(r.output(), rounds.to_le_bytes());
        (rounds as f64, t.elapsed())
    })
}

/// An IOCTL whose handler catches a page fault: the seh driver's READ of address 0x10 inside
/// __try (the #PF, the dispatch through the function table or the fs:[0] chain, the filter,
/// the unwind to the __except block), as a whole round trip.
fn exceptions_handled_per_s(arch: &str) -> f64 {
    let mut sb = Sandbox::builder().load_driver(corpus_file("seh", arch)).unwrap();
    sb.driver_entry().unwrap();
    let h = sb.open(r"\\.\Seh").unwrap();
    let n = 5_000;
    best(|| {
        let t = Instant::now();
        for _ in 0..n {
            let r = sb.ioctl(h, 0x8000_2000, &0x10u32.to_le_bytes(), 64).unwrap();
            debug_assert_eq!(&r.output()[..4], &1u32.to_le_bytes());
            std::hint::black_box(r);
        }
        (n as f64, t.elapsed())
    })
}

/// Fresh machine, kernel, load (relocation, imports), DriverEntry of a small driver.
fn load_and_driver_entry_us() -> f64 {
    let bytes = std::fs::read(corpus_file("halports", "x64")).unwrap();
    let n = 200;
    let per_s = best(|| {
        let t = Instant::now();
        for _ in 0..n {
            let mut sb = Sandbox::builder().load_driver_bytes("halports.x64.sys", &bytes).unwrap();
            sb.driver_entry().unwrap();
        }
        (n as f64, t.elapsed())
    });
    1e6 / per_s
}

/// The release CLI, built (or found up to date) first.
fn cli() -> String {
    let ok = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "--bin", "portcullis"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "building the CLI failed");
    format!("{}/target/release/portcullis", env!("CARGO_MANIFEST_DIR"))
}

/// `portcullis corpus run` over the bundled corpus (every driver, scenario and architecture,
/// compared with its golden trace), as a whole process with its default worker count.
fn corpus_drivers_per_s() -> f64 {
    let exe = cli();
    let dir = format!("{}/corpus", env!("CARGO_MANIFEST_DIR"));
    best(|| {
        let t = Instant::now();
        let out = std::process::Command::new(&exe).args(["corpus", "run", &dir]).output().unwrap();
        let elapsed = t.elapsed();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        let summary = String::from_utf8_lossy(&out.stdout);
        let jobs: f64 = summary.lines().last().and_then(|l| l.split(' ').next()).unwrap().parse().unwrap();
        (jobs, elapsed)
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Population {
    /// The bundled corpus as it is (18 drivers: 14 run, 2 refused at load, 2 spin until
    /// the default instruction budget ends them).
    Corpus,
    /// 600 copies of corpus/missing (both architectures): every one refused at load.
    Refused,
    /// 280 copies of the corpus drivers whose DriverEntry returns (both architectures).
    Running,
}

/// `portcullis survey` over a population of drivers, as a whole process with its default
/// worker count and limits.
fn survey_drivers_per_s(population: Population) -> f64 {
    let exe = cli();
    let corpus = format!("{}/corpus", env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("portcullis-bench-survey-{}", std::process::id()));
    let copies: &[(&str, usize)] = match population {
        Population::Corpus => &[],
        Population::Refused => &[("missing", 300)],
        Population::Running => &[
            ("beeper", 20),
            ("halports", 20),
            ("kapi", 20),
            ("leaky", 20),
            ("methods", 20),
            ("nullderef", 20),
            ("rawio", 20),
        ],
    };
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    for (name, n) in copies {
        for i in 0..*n {
            for arch in ["x86", "x64"] {
                std::fs::copy(corpus_file(name, arch), tmp.join(format!("{name}{i}.{arch}.sys"))).unwrap();
            }
        }
    }
    let dir = if population == Population::Corpus { corpus } else { tmp.display().to_string() };
    let rate = best(|| {
        let t = Instant::now();
        let out = std::process::Command::new(&exe).args(["survey", &dir]).output().unwrap();
        let elapsed = t.elapsed();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let summary = String::from_utf8_lossy(&out.stdout);
        let drivers: f64 = summary.lines().last().and_then(|l| l.split(' ').next()).unwrap().parse().unwrap();
        (drivers, elapsed)
    });
    let _ = std::fs::remove_dir_all(&tmp);
    rate
}

/// `portcullis run` of a small driver with its default scenario, as a whole process.
fn cli_run_ms() -> f64 {
    let driver = corpus_file("halports", "x64");
    cli_process_ms(&["run", "-q", &driver], 0, 50)
}

/// Wall time of one whole `portcullis ARGS` process (start-up and exit included), which must
/// exit with `code`: best of three rounds of `n`.
fn cli_process_ms(args: &[&str], code: i32, n: u32) -> f64 {
    let exe = cli();
    let per_s = best(|| {
        let t = Instant::now();
        for _ in 0..n {
            let out = std::process::Command::new(&exe).args(args).output().unwrap();
            assert_eq!(out.status.code(), Some(code), "{}", String::from_utf8_lossy(&out.stderr));
        }
        (n as f64, t.elapsed())
    });
    1e3 / per_s
}

/// The driver of the whole-process figures: kapi.x64.sys, 13 KB, the largest of our corpus
/// drivers and the size of a typical port/MSR-access driver (those in the analysts' sets are
/// 8-20 KB, 3-10 KB of code). Its default scenario runs DriverEntry (11 kernel calls), opens
/// and closes its device, and unloads it.
fn whole_process_driver() -> String {
    corpus_file("kapi", "x64")
}

/// `portcullis info DRIVER --format json`: start-up, image, imports, the instruction census.
fn cli_info_ms() -> f64 {
    let driver = whole_process_driver();
    cli_process_ms(&["info", &driver, "--format", "json"], 0, 100)
}

/// `portcullis run DRIVER --format json` with the default scenario: start-up, machine and
/// kernel set-up, load, DriverEntry, open/close, unload, the JSON report.
fn cli_run_real_ms() -> f64 {
    let driver = whole_process_driver();
    cli_process_ms(&["run", &driver, "--format", "json"], 0, 100)
}
