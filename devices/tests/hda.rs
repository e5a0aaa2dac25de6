//! The HD Audio controller on a machine of each architecture: the reset handshake, the
//! command and response rings in guest RAM reached by DMA, the immediate command interface,
//! and ring addresses a hostile driver points at memory no device may reach.

use portcullis_devices::hda::{Codec, HdAudio, BAR_SIZE};
use portcullis_emu::pci::function::{COMMAND_BUS_MASTER, COMMAND_MEMORY};
use portcullis_emu::pci::{Bar, BarKind, Bdf, ConfigSpace, Identity, Mechanism};
use portcullis_emu::ports::Width;
use portcullis_emu::{Arch, Machine, MachineConfig, Prot, RegionKind};

const HDA: u64 = 0xFEB0_0000;

fn machine(arch: Arch) -> Machine {
    let mut m = Machine::new(MachineConfig::new(arch), ()).expect("machine");
    m.mem_mut().physical_mut().add_device(HDA, BAR_SIZE, Box::new(HdAudio::new("hda", Codec::default()))).unwrap();
    m
}

fn w(m: &mut Machine, off: u64, width: Width, v: u32) {
    m.mmio_io(HDA + off, width, Some(v), 0).expect("not denied");
}

fn r(m: &mut Machine, off: u64, width: Width) -> u32 {
    m.mmio_io(HDA + off, width, None, 0).expect("not denied")
}

/// Two pages of contiguous RAM: the CORB in the first, the RIRB in the second.
fn rings(m: &mut Machine) -> (u64, u64) {
    m.mem_mut().alloc_contiguous(RegionKind::Pool, "rings", 0x2000, (0, u64::MAX), 0, Prot::RW).unwrap()
}

/// Programs the CORB at `corb` and the RIRB at `rirb` (256 entries each) and starts both.
fn start_rings(m: &mut Machine, corb: u64, rirb: u64) {
    w(m, 0x40, Width::Dword, corb as u32);
    w(m, 0x44, Width::Dword, (corb >> 32) as u32);
    w(m, 0x4A, Width::Word, 0x8000); // CORBRP reset...
    assert_eq!(r(m, 0x4A, Width::Word), 0x8000, "...acknowledged");
    w(m, 0x4A, Width::Word, 0);
    assert_eq!(r(m, 0x4A, Width::Word), 0);
    w(m, 0x48, Width::Word, 0);
    w(m, 0x50, Width::Dword, rirb as u32);
    w(m, 0x54, Width::Dword, (rirb >> 32) as u32);
    w(m, 0x58, Width::Word, 0x8000); // RIRBWP reset
    w(m, 0x5A, Width::Word, 1);
    w(m, 0x5C, Width::Byte, 0x3); // RIRBDMAEN | RINTCTL
    w(m, 0x4C, Width::Byte, 0x3); // CORBRUN | CMEIE
}

#[test]
fn the_reset_handshake_brings_codec_0_up() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        assert_eq!(r(&mut m, 0, Width::Dword), 0x0100_4401, "GCAP, VMIN 0, VMAJ 1");
        w(&mut m, 0x0E, Width::Word, 1); // clear STATESTS
        w(&mut m, 0x40, Width::Dword, 0x1234_5680);
        w(&mut m, 0x08, Width::Dword, 0); // into reset
        assert_eq!(r(&mut m, 0x08, Width::Dword) & 1, 0);
        assert_eq!(r(&mut m, 0x40, Width::Dword), 0, "reset clears the CORB base");
        w(&mut m, 0x40, Width::Dword, 0x1000);
        assert_eq!(r(&mut m, 0x40, Width::Dword), 0, "writes are ignored in reset");
        assert_eq!(r(&mut m, 0x0E, Width::Word), 0);
        w(&mut m, 0x08, Width::Dword, 1); // out of reset
        assert_eq!(r(&mut m, 0x08, Width::Dword) & 1, 1);
        assert_eq!(r(&mut m, 0x0E, Width::Word), 1, "codec 0 present");
        assert_eq!(r(&mut m, 0x4E, Width::Byte), 0x72, "CORBSIZE: 2/16/256 capable, 256");
        // A wake enable for codec 0 makes its status change pending.
        w(&mut m, 0x0C, Width::Word, 1);
        assert_eq!(r(&mut m, 0x24, Width::Dword), 0xC000_0000, "GIS | CIS");
        w(&mut m, 0x0E, Width::Word, 1);
        assert_eq!(r(&mut m, 0x24, Width::Dword), 0);
        // The wall clock counts at 24 MHz of virtual time.
        let a = r(&mut m, 0x30, Width::Dword);
        let b = r(&mut m, 0x2030, Width::Dword);
        assert!(b > a, "{a} {b}");
    }
}

#[test]
fn verbs_in_the_corb_are_answered_into_the_rirb() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        let (va, pa) = rings(&mut m);
        start_rings(&mut m, pa, pa + 0x1000);
        // Root: vendor id, node count; AFG: function group type; codec 2 (absent); AFG: a
        // parameter nobody has.
        let verbs = [0x000F_0000u32, 0x000F_0004, 0x001F_0005, 0x200F_0000, 0x001F_0012];
        for (i, v) in verbs.iter().enumerate() {
            m.mem_mut().write_u32(va + 4 * (i as u64 + 1), *v).unwrap();
        }
        w(&mut m, 0x48, Width::Word, verbs.len() as u32);
        assert_eq!(r(&mut m, 0x4A, Width::Word), 5, "CORBRP caught up");
        assert_eq!(r(&mut m, 0x58, Width::Word), 4, "four responses: codec 2 is absent");
        assert_eq!(r(&mut m, 0x5D, Width::Byte), 1, "RINTFL");
        assert_eq!(r(&mut m, 0x24, Width::Dword), 0xC000_0000);
        let entry = |m: &Machine, n: u64| {
            (m.mem().read_u32(va + 0x1000 + 8 * n).unwrap(), m.mem().read_u32(va + 0x1004 + 8 * n).unwrap())
        };
        assert_eq!(entry(&m, 1), (0x10EC_0887, 0));
        assert_eq!(entry(&m, 2), (0x0001_0001, 0));
        assert_eq!(entry(&m, 3), (0x0000_0001, 0));
        assert_eq!(entry(&m, 4), (0, 0));
        w(&mut m, 0x5D, Width::Byte, 1);
        assert_eq!(r(&mut m, 0x5D, Width::Byte), 0, "RINTFL is write-one-to-clear");
        // The rings wrap: 256 more verbs bring both pointers round.
        for i in 0..256u64 {
            m.mem_mut().write_u32(va + 4 * ((6 + i) % 256), 0x000F_0002).unwrap();
        }
        w(&mut m, 0x48, Width::Word, (5 + 255) % 256);
        assert_eq!(r(&mut m, 0x4A, Width::Word), 4);
        assert_eq!(r(&mut m, 0x58, Width::Word), 3);
        assert_eq!(entry(&m, 3), (0x0010_0101, 0), "revision id");
    }
}

#[test]
fn the_immediate_command_interface_answers_at_once() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        w(&mut m, 0x60, Width::Dword, 0x001F_0005);
        w(&mut m, 0x68, Width::Word, 1);
        assert_eq!(r(&mut m, 0x68, Width::Word), 2, "not busy, result valid");
        assert_eq!(r(&mut m, 0x64, Width::Dword), 1);
        w(&mut m, 0x68, Width::Word, 2);
        assert_eq!(r(&mut m, 0x68, Width::Word), 0);
    }
}

#[test]
fn rings_pointed_outside_reachable_ram_move_nothing() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        let (va, pa) = rings(&mut m);
        let root = m.mem().page_table_root();
        let before = m.mem().read_physical(root, &mut [0u8; 64]).map(|_| ());
        assert!(before.is_ok());
        // The CORB in a page table, in ROM, beyond RAM: a memory error, the ring stops.
        for bad in [root, 0xF_0000, 0xFEE0_0000, 0x7_0000_0000, !0x7Fu64] {
            start_rings(&mut m, bad, pa + 0x1000);
            w(&mut m, 0x48, Width::Word, 1);
            assert_eq!(r(&mut m, 0x4D, Width::Byte), 1, "CMEI for {bad:#x}");
            assert_eq!(r(&mut m, 0x4C, Width::Byte) & 2, 0, "CORBRUN cleared");
            assert_eq!(r(&mut m, 0x4A, Width::Word), 0);
            w(&mut m, 0x4D, Width::Byte, 1);
        }
        // The RIRB in the page tables: the response is lost, the tables unchanged.
        let mut table = [0u8; 16];
        m.mem().read_physical(root, &mut table).unwrap();
        m.mem_mut().write_u32(va + 4, 0x000F_0000).unwrap();
        start_rings(&mut m, pa, root);
        w(&mut m, 0x48, Width::Word, 1);
        assert_eq!(r(&mut m, 0x4A, Width::Word), 1, "fetched");
        assert_eq!(r(&mut m, 0x58, Width::Word), 0, "not written");
        assert_eq!(r(&mut m, 0x5D, Width::Byte), 4, "RIRBOIS");
        let mut after = [0u8; 16];
        m.mem().read_physical(root, &mut after).unwrap();
        assert_eq!(table, after);
    }
}

#[test]
fn a_pci_function_reaches_memory_only_as_a_bus_master() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = Machine::new(MachineConfig::new(arch), ()).expect("machine");
        let bdf = Bdf::new(0, 0x1B, 0);
        let id = Identity {
            vendor: 0x8086,
            device: 0x293E,
            revision: 2,
            class: (4, 3, 0),
            subsystem_vendor: 0,
            subsystem: 0,
        };
        let mut config = ConfigSpace::endpoint(&id, false);
        config.set_bar(0, Bar { kind: BarKind::Memory64 { prefetchable: false }, size: BAR_SIZE, address: HDA });
        {
            let pci = m.mem().physical().pci.clone();
            let mut bus = pci.borrow_mut();
            bus.insert(bdf, "hd audio", config).unwrap();
            bus.back_bar(bdf, 0, Box::new(HdAudio::new("hda", Codec::default()))).unwrap();
        }
        let command = |m: &mut Machine, v: u16| {
            let pci = m.mem().physical().pci.clone();
            pci.borrow_mut().write(bdf, 0x04, Width::Word, v as u32, Mechanism::Hal);
        };
        command(&mut m, COMMAND_MEMORY);
        let (va, pa) = rings(&mut m);
        m.mem_mut().write_u32(va + 4, 0x000F_0000).unwrap();
        start_rings(&mut m, pa, pa + 0x1000);
        w(&mut m, 0x48, Width::Word, 1);
        assert_eq!(r(&mut m, 0x4D, Width::Byte), 1, "no bus mastering: a memory error");
        w(&mut m, 0x4D, Width::Byte, 1);
        command(&mut m, COMMAND_MEMORY | COMMAND_BUS_MASTER);
        start_rings(&mut m, pa, pa + 0x1000);
        w(&mut m, 0x48, Width::Word, 1);
        assert_eq!(r(&mut m, 0x58, Width::Word), 1);
        assert_eq!(m.mem().read_u32(va + 0x1008).unwrap(), 0x10EC_0887);
    }
}

#[test]
fn any_access_anywhere_in_the_block_is_answered() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        let mut x = 0x1234_5678u32;
        for width in [Width::Byte, Width::Word, Width::Dword] {
            for off in 0..BAR_SIZE {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                w(&mut m, off, width, x);
                r(&mut m, off, width);
            }
        }
        // Stream descriptors: SRST reads back; in reset the rest is cleared.
        w(&mut m, 0x08, Width::Dword, 1);
        w(&mut m, 0x88, Width::Dword, 0x1000);
        assert_eq!(r(&mut m, 0x88, Width::Dword), 0x1000, "SD0CBL");
        w(&mut m, 0x80, Width::Byte, 1);
        assert_eq!(r(&mut m, 0x80, Width::Byte), 1);
        assert_eq!(r(&mut m, 0x88, Width::Dword), 0, "cleared by the stream reset");
        w(&mut m, 0x80, Width::Byte, 0);
        assert_eq!(r(&mut m, 0x80, Width::Byte), 0);
    }
}
