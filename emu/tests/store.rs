//! The stores the kernel completes for a driver (`Machine::emulate_store`): `mov`, `or`,
//! `and` and `xor` of a register or an immediate into memory, computed from the registers
//! and the old value without running the instruction; anything else is named.
mod common;
use common::*;

use portcullis_emu::{Arch, Prot, Reg, RegionKind};

#[test]
fn logic_and_moves_into_memory_are_computed() {
    for arch in both() {
        let mut m = machine(arch);
        let data = m.mem_mut().alloc(RegionKind::Pool, "data", 0x1000, Prot::RW).unwrap();
        m.mem_mut().write_u64(data, 0xF0F0_0000_1234_5678).unwrap();
        let at = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.xor(qword_ptr(rcx), rax).unwrap();
                a.and(qword_ptr(rcx + 8), -3).unwrap();
                a.or(byte_ptr(rcx), 2).unwrap();
                a.mov(dword_ptr(rcx + 4), edx).unwrap();
            }
            Arch::X86 => {
                a.xor(dword_ptr(ecx), eax).unwrap();
                a.and(dword_ptr(ecx + 8), -3).unwrap();
                a.or(byte_ptr(ecx), 2).unwrap();
                a.mov(dword_ptr(ecx + 4), edx).unwrap();
            }
        });
        m.set_reg(Reg::Cx, data);
        m.set_reg(Reg::Ax, 0x5678);
        m.set_reg(Reg::Dx, 0xDEAD_BEEF);
        let wide = arch == Arch::X64;
        let old = if wide { 0xF0F0_0000_1234_5678u64 } else { 0x1234_5678 };
        let mut pc = at;
        let s = m.emulate_store(pc).unwrap();
        assert_eq!((s.address, s.size, s.value), (data, if wide { 8 } else { 4 }, old ^ 0x5678), "{arch:?}");
        assert_eq!(s.flags & 0x40, 0, "{arch:?}: ZF clear");
        pc += s.len;
        let s = m.emulate_store(pc).unwrap();
        assert_eq!((s.address, s.value), (data + 8, 0), "{arch:?}: and of zero");
        assert_eq!(s.flags & 0x40, 0x40, "{arch:?}: ZF set");
        pc += s.len;
        let s = m.emulate_store(pc).unwrap();
        assert_eq!((s.size, s.value), (1, 0x7A), "{arch:?}: a byte");
        pc += s.len;
        let s = m.emulate_store(pc).unwrap();
        assert_eq!((s.address, s.size, s.value), (data + 4, 4, 0xDEAD_BEEF), "{arch:?}");
        // An addition, and a load, are not stores the kernel completes.
        let add = load(&mut m, |a| match arch {
            Arch::X64 => a.add(qword_ptr(rcx), rax).unwrap(),
            Arch::X86 => a.add(dword_ptr(ecx), eax).unwrap(),
        });
        let e = m.emulate_store(add).unwrap_err();
        assert!(e.contains("add") && e.contains("cannot complete"), "{arch:?}: {e}");
        let read = load(&mut m, |a| match arch {
            Arch::X64 => a.xor(rax, qword_ptr(rcx)).unwrap(),
            Arch::X86 => a.xor(eax, dword_ptr(ecx)).unwrap(),
        });
        assert!(m.emulate_store(read).is_err(), "{arch:?}");
        // Memory is unchanged: nothing ran.
        assert_eq!(m.mem().read_u64(data).unwrap(), 0xF0F0_0000_1234_5678, "{arch:?}");
    }
}
