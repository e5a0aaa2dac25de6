//! Small guest routines for scheduler tests: thread start routines, DPC, work and notify
//! routines that call exports through their real stubs, count, loop and return.
//!
//! A routine is a frame (EBP/RBP) with its parameters reachable as [`Arg::Param`] (on x64
//! the four register parameters are stored to their home slots first), a sequence of steps,
//! and a return that pops what its convention says (`ret n` on x86).
#![allow(dead_code)]

use portcullis_emu::{Arch, CallConv, Prot, RegionKind, Stop};
use portcullis_hle::exports::{Dll, ExportDef};
use portcullis_hle::kernel::KernelStop;

use super::fx::Fx;

/// An argument of a call a routine makes.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    /// A constant.
    K(u64),
    /// The routine's own parameter `i` (0-based).
    Param(usize),
}

pub use Arg::{Param, K};

pub struct Asm {
    arch: Arch,
    code: Vec<u8>,
}

impl Asm {
    pub fn new(arch: Arch) -> Asm {
        let code = match arch {
            Arch::X86 => vec![0x55, 0x89, 0xE5], // push ebp; mov ebp, esp
            Arch::X64 => vec![
                0x55, 0x48, 0x89, 0xE5, // push rbp; mov rbp, rsp
                0x48, 0x89, 0x4D, 0x10, // mov [rbp+0x10], rcx
                0x48, 0x89, 0x55, 0x18, // mov [rbp+0x18], rdx
                0x4C, 0x89, 0x45, 0x20, // mov [rbp+0x20], r8
                0x4C, 0x89, 0x4D, 0x28, // mov [rbp+0x28], r9
                0x48, 0x83, 0xEC, 0x40, // sub rsp, 0x40: shadow space and four stack arguments
            ],
        };
        Asm { arch, code }
    }

    /// Where parameter `i` lives relative to the frame pointer.
    fn param_disp(&self, i: usize) -> u8 {
        match self.arch {
            Arch::X86 => (8 + 4 * i) as u8,
            Arch::X64 => (0x10 + 8 * i) as u8,
        }
    }

    /// Calls `stub` with `args` in the places `conv` puts them.
    pub fn call(&mut self, stub: u64, conv: CallConv, args: &[Arg]) -> &mut Asm {
        match self.arch {
            Arch::X86 => {
                let in_regs = if conv == CallConv::Fastcall { args.len().min(2) } else { 0 };
                for a in args[in_regs..].iter().rev() {
                    match *a {
                        K(v) => {
                            self.code.push(0x68); // push imm32
                            self.code.extend((v as u32).to_le_bytes());
                        }
                        Param(i) => {
                            let d = self.param_disp(i);
                            self.code.extend([0xFF, 0x75, d]); // push dword [ebp+d]
                        }
                    }
                }
                for (i, a) in args[..in_regs].iter().enumerate() {
                    let (imm, load) = if i == 0 { (0xB9, 0x4D) } else { (0xBA, 0x55) }; // ecx, edx
                    match *a {
                        K(v) => {
                            self.code.push(imm);
                            self.code.extend((v as u32).to_le_bytes());
                        }
                        Param(p) => {
                            let d = self.param_disp(p);
                            self.code.extend([0x8B, load, d]);
                        }
                    }
                }
                self.code.push(0xB8); // mov eax, stub
                self.code.extend((stub as u32).to_le_bytes());
                self.code.extend([0xFF, 0xD0]); // call eax
                if conv == CallConv::Cdecl && args.len() > in_regs {
                    self.code.extend([0x81, 0xC4]); // add esp, imm32
                    self.code.extend((4 * (args.len() - in_regs) as u32).to_le_bytes());
                }
            }
            Arch::X64 => {
                for (i, a) in args.iter().enumerate().skip(4) {
                    self.load_rax(*a);
                    // mov [rsp+0x20+8*(i-4)], rax
                    self.code.extend([0x48, 0x89, 0x44, 0x24, (0x20 + 8 * (i - 4)) as u8]);
                }
                let regs: [([u8; 2], [u8; 3]); 4] = [
                    ([0x48, 0xB9], [0x48, 0x8B, 0x4D]), // rcx
                    ([0x48, 0xBA], [0x48, 0x8B, 0x55]), // rdx
                    ([0x49, 0xB8], [0x4C, 0x8B, 0x45]), // r8
                    ([0x49, 0xB9], [0x4C, 0x8B, 0x4D]), // r9
                ];
                for (a, (imm, load)) in args.iter().zip(regs) {
                    match *a {
                        K(v) => {
                            self.code.extend(imm);
                            self.code.extend(v.to_le_bytes());
                        }
                        Param(p) => {
                            let d = self.param_disp(p);
                            self.code.extend(load);
                            self.code.push(d);
                        }
                    }
                }
                self.code.extend([0x48, 0xB8]); // mov rax, stub
                self.code.extend(stub.to_le_bytes());
                self.code.extend([0xFF, 0xD0]); // call rax
            }
        }
        self
    }

    fn load_rax(&mut self, a: Arg) {
        match a {
            K(v) => {
                self.code.extend([0x48, 0xB8]);
                self.code.extend(v.to_le_bytes());
            }
            Param(p) => {
                let d = self.param_disp(p);
                self.code.extend([0x48, 0x8B, 0x45, d]); // mov rax, [rbp+d]
            }
        }
    }

    /// Loads the address into EDX/RDX (x64 only), for the memory forms below.
    fn rdx(&mut self, addr: u64) {
        self.code.extend([0x48, 0xBA]);
        self.code.extend(addr.to_le_bytes());
    }

    /// [addr] = EAX (x86) / RAX (x64): what the last call returned.
    pub fn store(&mut self, addr: u64) -> &mut Asm {
        match self.arch {
            Arch::X86 => {
                self.code.push(0xA3);
                self.code.extend((addr as u32).to_le_bytes());
            }
            Arch::X64 => {
                self.rdx(addr);
                self.code.extend([0x48, 0x89, 0x02]); // mov [rdx], rax
            }
        }
        self
    }

    /// [addr] = parameter `i` (pointer-sized).
    pub fn store_param(&mut self, i: usize, addr: u64) -> &mut Asm {
        let d = self.param_disp(i);
        match self.arch {
            Arch::X86 => {
                self.code.extend([0x8B, 0x45, d]); // mov eax, [ebp+d]
                self.store(addr)
            }
            Arch::X64 => {
                self.code.extend([0x48, 0x8B, 0x45, d]);
                self.store(addr)
            }
        }
    }

    /// [addr] = the pointer-sized value parameter `i` points at.
    pub fn store_deref_param(&mut self, i: usize, addr: u64) -> &mut Asm {
        let d = self.param_disp(i);
        match self.arch {
            Arch::X86 => self.code.extend([0x8B, 0x45, d, 0x8B, 0x00]), // mov eax, [ebp+d]; mov eax, [eax]
            Arch::X64 => self.code.extend([0x48, 0x8B, 0x45, d, 0x48, 0x8B, 0x00]), // mov rax, [rbp+d]; mov rax, [rax]
        }
        self.store(addr)
    }

    /// inc dword [addr]
    pub fn inc(&mut self, addr: u64) -> &mut Asm {
        match self.arch {
            Arch::X86 => {
                self.code.extend([0xFF, 0x05]);
                self.code.extend((addr as u32).to_le_bytes());
            }
            Arch::X64 => {
                self.rdx(addr);
                self.code.extend([0xFF, 0x02]);
            }
        }
        self
    }

    /// If parameter `i` is not NULL: dword [param + offset] = value.
    pub fn if_param_set_field(&mut self, i: usize, offset: u8, value: u32) -> &mut Asm {
        let d = self.param_disp(i);
        match self.arch {
            Arch::X86 => self.code.extend([0x8B, 0x45, d, 0x85, 0xC0]), // mov eax, [ebp+d]; test eax, eax
            Arch::X64 => self.code.extend([0x48, 0x8B, 0x45, d, 0x48, 0x85, 0xC0]), // mov rax, [rbp+d]; test rax, rax
        }
        self.code.extend([0x74, 0x07, 0xC7, 0x40, offset]); // jz +7; mov dword [eax/rax+offset], imm32
        self.code.extend(value.to_le_bytes());
        self
    }

    /// The offset of the next instruction, for a loop.
    pub fn here(&self) -> usize {
        self.code.len()
    }

    /// dec dword [addr]; jnz `target`.
    pub fn dec_jnz(&mut self, addr: u64, target: usize) -> &mut Asm {
        match self.arch {
            Arch::X86 => {
                self.code.extend([0xFF, 0x0D]);
                self.code.extend((addr as u32).to_le_bytes());
            }
            Arch::X64 => {
                self.rdx(addr);
                self.code.extend([0xFF, 0x0A]);
            }
        }
        let rel = target as i64 - (self.code.len() as i64 + 6);
        self.code.extend([0x0F, 0x85]);
        self.code.extend((rel as i32).to_le_bytes());
        self
    }

    /// EAX/RAX = v, the routine's return value.
    pub fn value(&mut self, v: u64) -> &mut Asm {
        match self.arch {
            Arch::X86 => {
                self.code.push(0xB8);
                self.code.extend((v as u32).to_le_bytes());
            }
            Arch::X64 => {
                self.code.extend([0x48, 0xB8]);
                self.code.extend(v.to_le_bytes());
            }
        }
        self
    }

    /// Ends the routine, popping `params` stack parameters on x86 (a stdcall routine).
    pub fn ret(&mut self, params: u16) -> Vec<u8> {
        let mut c = std::mem::take(&mut self.code);
        match self.arch {
            Arch::X86 => {
                c.extend([0x89, 0xEC, 0x5D]); // mov esp, ebp; pop ebp
                if params == 0 {
                    c.push(0xC3);
                } else {
                    c.push(0xC2);
                    c.extend((params * 4).to_le_bytes());
                }
            }
            Arch::X64 => c.extend([0x48, 0x89, 0xEC, 0x5D, 0xC3]), // mov rsp, rbp; pop rbp; ret
        }
        c
    }
}

/// Guest code of the tests' own, in a region of its own.
pub fn place(fx: &mut Fx, code: &[u8]) -> u64 {
    let at = fx.k.mem_mut().alloc(RegionKind::System, "test routine", 0x1000, Prot::RWX).unwrap();
    fx.k.mem_mut().write(at, code).unwrap();
    at
}

/// A routine calling exports: `build` gets the builder and a resolver for (dll, name) to
/// (stub, convention); the routine pops `params` parameters on x86.
pub fn routine(fx: &mut Fx, params: u16, build: impl FnOnce(&mut Asm, &dyn Fn(&str) -> (u64, CallConv))) -> u64 {
    let mut a = Asm::new(fx.arch);
    {
        let resolve = |name: &str| -> (u64, CallConv) {
            let dll = dll_of(fx.arch, name);
            (fx.stub(dll, name), fx.conv(dll, name).for_arch(fx.arch))
        };
        build(&mut a, &resolve);
    }
    let code = a.ret(params);
    place(fx, &code)
}

/// A LARGE_INTEGER by value: two stack slots on x86, one on x64.
pub fn large(arch: Arch, v: i64) -> Vec<u64> {
    match arch {
        Arch::X86 => vec![v as u64 & 0xFFFF_FFFF, (v as u64) >> 32],
        Arch::X64 => vec![v as u64],
    }
}

/// A relative timeout of `ms` milliseconds (negative 100 ns units).
pub fn rel_ms(ms: i64) -> i64 {
    -ms * 10_000
}

/// The DLL that exports function `name` on `arch`.
pub fn dll_of(arch: Arch, name: &str) -> Dll {
    portcullis_hle::exports::all()
        .find_map(|e| match e {
            ExportDef::Function(f) if f.name == name && f.exists_on(arch) => Some(f.dll),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{name} is not a function export on {arch:?}"))
}

/// Whether function `name` is exported on `arch`.
pub fn exported(arch: Arch, name: &str) -> bool {
    portcullis_hle::exports::all().any(|e| matches!(e, ExportDef::Function(f) if f.name == name && f.exists_on(arch)))
}

/// Calls an export of whichever DLL has it.
pub fn call(fx: &mut Fx, name: &str, args: &[u64]) -> Result<u64, Stop<KernelStop>> {
    let dll = dll_of(fx.arch, name);
    fx.call(dll, name, args)
}

/// Calls an export that must return normally; its EAX/RAX.
pub fn ok(fx: &mut Fx, name: &str, args: &[u64]) -> u64 {
    call(fx, name, args).unwrap_or_else(|e| panic!("{name} on {:?}: {e:?}", fx.arch))
}

/// Same, an NTSTATUS or a 32-bit value.
pub fn ok32(fx: &mut Fx, name: &str, args: &[u64]) -> u32 {
    ok(fx, name, args) as u32
}
