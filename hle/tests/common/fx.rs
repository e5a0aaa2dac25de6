//! The export-call fixture: a booted kernel with a scratch heap and a calling thunk that calls
//! an export through its real stub from guest code.
//!
//! Each call goes through the export's real stub (the host-call slot an import binds to),
//! made by a few instructions of guest code written for the call (`Fx::call`): it loads the
//! arguments where the export's declared convention puts them (the stack right to left on
//! x86, ECX/EDX first for fastcall; RCX, RDX, R8, R9 and then the stack above 32 bytes of
//! shadow space on x64), poisons every argument place the convention does not use, keeps the
//! stack pointer from just before the `call` in a callee-saved register (EBX/RBX), and after
//! the return stores how far the stack pointer moved. That distance is exactly what the callee
//! popped.
#![allow(dead_code)] // not every test file uses every helper

use portcullis_emu::{Arch, CallConv, Prot, RegionKind, Stop};
use portcullis_hle::exports::{ArgValue, Dll, ExportDef};
use portcullis_hle::kernel::{ApiCall, Bugcheck, DebugOutput, KernelEvent, KernelStop, Kx};
use portcullis_hle::layout::{FieldAccess, UNICODE_STRING};
use portcullis_hle::loader;

use super::{boot, calls, corpus_bytes, kernel_events};

/// Size of the scratch region inputs and outputs live in.
pub const HEAP: u64 = 0x80000;
/// What the calling thunk leaves in argument places the convention does not use.
pub const POISON: u64 = 0xDEAD_BEEF_DEAD_BEEF;
/// An address below every arena on both architectures: never mapped.
pub const UNMAPPED: u64 = 0x0BAD_0000;

pub fn tag(t: &[u8; 4]) -> u64 {
    u32::from_le_bytes(*t) as u64
}

/// A booted kernel with a scratch heap and a calling thunk.
pub struct Fx {
    pub k: Kx,
    pub arch: Arch,
    pub heap: u64,
    pub used: u64,
    pub thunk: u64,
    /// The return address of the thunk's last call: where the export was called from.
    pub site: u64,
}

impl Fx {
    pub fn new(arch: Arch) -> Fx {
        Fx::with(boot(arch))
    }

    pub fn with(mut k: Kx) -> Fx {
        let arch = k.arch();
        let heap = k.mem_mut().alloc(RegionKind::System, "test heap", HEAP, Prot::RW).unwrap();
        let thunk = k.mem_mut().alloc(RegionKind::System, "test caller", 0x1000, Prot::RWX).unwrap();
        // The first 16 bytes of the heap receive what the thunk measures.
        Fx { k, arch, heap, used: 16, thunk, site: 0 }
    }

    /// Boots, loads the kapi corpus driver (without running it) for its driver object.
    pub fn with_driver(arch: Arch) -> (Fx, u64) {
        let mut k = boot(arch);
        let d = loader::load(&mut k, "kapi", &corpus_bytes("kapi", arch)).unwrap();
        let drv = k.ext().drivers()[d].driver_object;
        (Fx::with(k), drv)
    }

    pub fn alloc(&mut self, n: u64) -> u64 {
        let at = self.heap + self.used;
        self.used = (self.used + n.max(1) + 15) & !15;
        assert!(self.used <= HEAP, "test heap exhausted");
        at
    }

    pub fn put(&mut self, bytes: &[u8]) -> u64 {
        let at = self.alloc(bytes.len() as u64);
        self.k.mem_mut().write(at, bytes).unwrap();
        at
    }

    pub fn wstr(&mut self, s: &str) -> u64 {
        let b: Vec<u8> = s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect();
        self.put(&b)
    }

    pub fn cstr(&mut self, s: &str) -> u64 {
        let b: Vec<u8> = s.bytes().chain([0]).collect();
        self.put(&b)
    }

    /// A UNICODE_STRING header with the given fields.
    pub fn ustring(&mut self, len: u64, max: u64, buffer: u64) -> u64 {
        let at = self.alloc(UNICODE_STRING::STRUCT.size(self.arch));
        let mem = self.k.mem_mut();
        mem.set(at, UNICODE_STRING::Length, len).unwrap();
        mem.set(at, UNICODE_STRING::MaximumLength, max).unwrap();
        mem.set(at, UNICODE_STRING::Buffer, buffer).unwrap();
        at
    }

    /// A UNICODE_STRING describing `s` (NUL-terminated buffer).
    pub fn ustr(&mut self, s: &str) -> u64 {
        let units = s.encode_utf16().count() as u64;
        let buf = self.wstr(s);
        self.ustring(units * 2, units * 2 + 2, buf)
    }

    /// An OBJECT_ATTRIBUTES naming `s`, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE.
    pub fn object_attributes(&mut self, s: &str) -> u64 {
        use portcullis_hle::layout::{FieldAccess, OBJECT_ATTRIBUTES as OA};
        let size = OA::STRUCT.size(self.k.arch());
        let name = self.ustr(s);
        let oa = self.alloc(size);
        let mem = self.k.mem_mut();
        mem.set(oa, OA::Length, size).unwrap();
        mem.set(oa, OA::ObjectName, name).unwrap();
        mem.set(oa, OA::Attributes, 0x240).unwrap();
        oa
    }

    /// (Length, MaximumLength, Buffer) of the counted string at `at`.
    pub fn counted(&self, at: u64) -> (u64, u64, u64) {
        let mem = self.k.mem();
        (
            mem.get(at, UNICODE_STRING::Length).unwrap(),
            mem.get(at, UNICODE_STRING::MaximumLength).unwrap(),
            mem.get(at, UNICODE_STRING::Buffer).unwrap(),
        )
    }

    pub fn read(&self, at: u64, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        self.k.mem().read(at, &mut b).unwrap();
        b
    }

    pub fn read_ptr(&self, at: u64) -> u64 {
        self.k.mem().read_ptr(at).unwrap()
    }

    pub fn stub(&self, dll: Dll, name: &str) -> u64 {
        self.k.ext().resolve(dll, name).unwrap_or_else(|| panic!("{name} is not exported on {:?}", self.arch))
    }

    /// The convention the export table declares for `name` on this architecture.
    pub fn conv(&self, dll: Dll, name: &str) -> CallConv {
        portcullis_hle::exports::all()
            .find_map(|e| match e {
                ExportDef::Function(f) if f.dll == dll && f.name == name && f.exists_on(self.arch) => {
                    Some(f.conv_on(self.arch))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name} is not a function export on {:?}", self.arch))
    }

    pub fn call(&mut self, dll: Dll, name: &str, args: &[u64]) -> Result<u64, Stop<KernelStop>> {
        self.call_popped(dll, name, args).map(|(r, _)| r)
    }

    /// Calls the export through its stub from guest code; returns EAX/RAX and the bytes the
    /// callee removed from the stack.
    pub fn call_popped(&mut self, dll: Dll, name: &str, args: &[u64]) -> Result<(u64, u64), Stop<KernelStop>> {
        let stub = self.stub(dll, name);
        let conv = self.conv(dll, name);
        self.call_at(stub, conv, args)
    }

    /// Calls the routine at `stub` (a host-call slot reached through a pointer, such as a
    /// framework function table entry) with `conv`; returns EAX/RAX and the bytes popped.
    pub fn call_at(&mut self, stub: u64, conv: CallConv, args: &[u64]) -> Result<(u64, u64), Stop<KernelStop>> {
        let result = self.heap;
        let (code, site) = match self.arch {
            Arch::X86 => thunk_x86(stub, args, conv, result),
            Arch::X64 => thunk_x64(stub, args, result),
        };
        self.k.mem_mut().write(self.thunk, &code).unwrap();
        self.site = self.thunk + site as u64;
        self.k.mem_mut().write_u64(result, POISON).unwrap();
        let r = self.k.call(self.thunk, &[], CallConv::Cdecl.for_arch(self.arch))?;
        let popped = match self.arch {
            Arch::X86 => self.k.mem().read_u32(result).unwrap() as u64,
            Arch::X64 => self.k.mem().read_u64(result).unwrap(),
        };
        Ok((r, popped))
    }

    /// The last export call the trace recorded.
    pub fn last_call(&self) -> ApiCall {
        calls(&self.k).pop().expect("a recorded call")
    }

    pub fn debug_events(&self) -> Vec<DebugOutput> {
        kernel_events(&self.k, |e| match e {
            KernelEvent::Debug(d) => Some(d.clone()),
            _ => None,
        })
    }

    pub fn traced_bugchecks(&self) -> Vec<Bugcheck> {
        kernel_events(&self.k, |e| match e {
            KernelEvent::Bugcheck(b) => Some(b.clone()),
            _ => None,
        })
    }
}

/// x86 caller: push the stack arguments right to left, ECX/EDX for fastcall (poison
/// otherwise), EBX = ESP before the call, `call eax`, then [result] = ESP - EBX.
pub fn thunk_x86(stub: u64, args: &[u64], conv: CallConv, result: u64) -> (Vec<u8>, usize) {
    let in_regs = if conv == CallConv::Fastcall { args.len().min(2) } else { 0 };
    let mut c = vec![0x55, 0x89, 0xE5, 0x53]; // push ebp; mov ebp, esp; push ebx
    for v in args[in_regs..].iter().rev() {
        c.push(0x68); // push imm32
        c.extend((*v as u32).to_le_bytes());
    }
    let ecx = if in_regs > 0 { args[0] } else { POISON };
    let edx = if in_regs > 1 { args[1] } else { POISON };
    c.push(0xB9); // mov ecx, imm32
    c.extend((ecx as u32).to_le_bytes());
    c.push(0xBA); // mov edx, imm32
    c.extend((edx as u32).to_le_bytes());
    c.extend([0x89, 0xE3]); // mov ebx, esp
    c.push(0xB8); // mov eax, stub
    c.extend((stub as u32).to_le_bytes());
    c.extend([0xFF, 0xD0]); // call eax
    let site = c.len();
    c.extend([0x89, 0xE1, 0x29, 0xD9, 0x89, 0x0D]); // mov ecx, esp; sub ecx, ebx; mov [result], ecx
    c.extend((result as u32).to_le_bytes());
    c.extend([0x8D, 0x65, 0xFC, 0x5B, 0x5D, 0xC3]); // lea esp, [ebp-4]; pop ebx; pop ebp; ret
    (c, site)
}

/// x64 caller: a frame of 32 bytes of (poisoned) shadow space plus the stack arguments, the
/// first four arguments in RCX, RDX, R8, R9 (poison when absent), RBX = RSP before the call,
/// `call rax`, then [result] = RSP - RBX.
pub fn thunk_x64(stub: u64, args: &[u64], result: u64) -> (Vec<u8>, usize) {
    let stack_args = args.len().saturating_sub(4) as u32;
    // Entry RSP is 8 mod 16; after two pushes it is 8 mod 16 again: the frame must be too.
    let mut frame = 0x20 + 8 * stack_args;
    if frame.is_multiple_of(16) {
        frame += 8;
    }
    let mut c = vec![0x55, 0x48, 0x89, 0xE5, 0x53, 0x48, 0x81, 0xEC]; // push rbp; mov rbp, rsp; push rbx; sub rsp, imm32
    c.extend(frame.to_le_bytes());
    c.extend([0x48, 0xB8]); // mov rax, POISON
    c.extend(POISON.to_le_bytes());
    for off in [0u8, 8, 0x10, 0x18] {
        c.extend([0x48, 0x89, 0x44, 0x24, off]); // mov [rsp+off], rax
    }
    for (i, v) in args.iter().enumerate().skip(4) {
        c.extend([0x48, 0xB8]); // mov rax, imm64
        c.extend(v.to_le_bytes());
        c.extend([0x48, 0x89, 0x84, 0x24]); // mov [rsp+disp32], rax
        c.extend((0x20 + 8 * (i as u32 - 4)).to_le_bytes());
    }
    for (i, op) in [[0x48, 0xB9], [0x48, 0xBA], [0x49, 0xB8], [0x49, 0xB9]].iter().enumerate() {
        c.extend(op); // mov rcx/rdx/r8/r9, imm64
        c.extend(args.get(i).copied().unwrap_or(POISON).to_le_bytes());
    }
    c.extend([0x48, 0x89, 0xE3]); // mov rbx, rsp
    c.extend([0x48, 0xB8]); // mov rax, stub
    c.extend(stub.to_le_bytes());
    c.extend([0xFF, 0xD0]); // call rax
    let site = c.len();
    c.extend([0x48, 0x89, 0xE1, 0x48, 0x29, 0xD9, 0x48, 0xBA]); // mov rcx, rsp; sub rcx, rbx; mov rdx, result
    c.extend(result.to_le_bytes());
    c.extend([0x48, 0x89, 0x0A, 0x48, 0x8D, 0x65, 0xF8, 0x5B, 0x5D, 0xC3]); // mov [rdx], rcx; lea rsp, [rbp-8]; pop rbx; pop rbp; ret
    (c, site)
}

pub fn bugcheck<T: std::fmt::Debug>(r: Result<T, Stop<KernelStop>>) -> Bugcheck {
    match r {
        Err(Stop::Host(KernelStop::Bugcheck(b))) => b,
        other => panic!("expected a bugcheck, got {other:?}"),
    }
}

pub fn arg<'a>(c: &'a ApiCall, name: &str) -> &'a ArgValue {
    &c.args.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("{} has no argument {name}", c.name)).1
}

pub fn text(s: &str) -> ArgValue {
    ArgValue::Text(s.to_string())
}
