//! Guest code and helpers the NDIS tests share: callbacks that keep their arguments (and
//! call back into NDIS where a callback must), slots, the NDIS trace events, net buffers.
use portcullis_emu::{Arch, Prot, RegionKind};
use portcullis_hle::events::SystemEvent;
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelEvent;
use portcullis_hle::layout::{FieldAccess, UNICODE_STRING};
use portcullis_hle::ndis::events::NdisChange;

use super::fx::Fx;
use super::kernel_events;

const N: Dll = Dll::Ndis;
const NT: Dll = Dll::Ntoskrnl;
/// ProtocolBindingContext the bind handler gives NdisOpenAdapterEx.
pub const BINDING_CONTEXT: u64 = 0x4242;

pub fn code(fx: &mut Fx, c: &[u8]) -> u64 {
    let at = fx.k.mem_mut().alloc(RegionKind::System, "test callback", 0x1000, Prot::RWX).unwrap();
    fx.k.mem_mut().write(at, c).unwrap();
    at
}

pub fn imm64(c: &mut Vec<u8>, prefix: &[u8], v: u64) {
    c.extend(prefix);
    c.extend(v.to_le_bytes());
}

pub fn imm32(c: &mut Vec<u8>, prefix: &[u8], v: u64) {
    c.extend(prefix);
    c.extend((v as u32).to_le_bytes());
}

/// Keeps the first `n` (up to 5) arguments in 8-byte slots at `slots` (guest code).
pub fn store_args(fx: &Fx, c: &mut Vec<u8>, slots: u64, n: u8) {
    match fx.arch {
        Arch::X64 => {
            imm64(c, &[0x48, 0xB8], slots);
            c.extend([0x48, 0x89, 0x08, 0x48, 0x89, 0x50, 0x08, 0x4C, 0x89, 0x40, 0x10, 0x4C, 0x89, 0x48, 0x18]);
            c.extend([0x48, 0x8B, 0x4C, 0x24, 0x28, 0x48, 0x89, 0x48, 0x20]);
        }
        Arch::X86 => {
            imm32(c, &[0xB8], slots);
            for i in 0..n.min(5) {
                c.extend([0x8B, 0x4C, 0x24, 4 + 4 * i, 0x89, 0x48, 8 * i]);
            }
        }
    }
}

/// A stdcall callback of `n` arguments that keeps them and returns `ret`.
pub fn recorder(fx: &mut Fx, slots: u64, n: u8, ret: u32) -> u64 {
    let mut c = Vec::new();
    store_args(fx, &mut c, slots, n);
    c.push(0xB8);
    c.extend(ret.to_le_bytes());
    match fx.arch {
        Arch::X64 => c.push(0xC3),
        Arch::X86 => c.extend([0xC2, 4 * n, 0]),
    }
    code(fx, &c)
}

/// ProtocolBindAdapterEx: keeps its arguments, then NdisOpenAdapterEx(*handle_at,
/// BINDING_CONTEXT, open, BindContext, binding_at) and returns what it returned.
pub fn bind_handler(fx: &mut Fx, slots: u64, handle_at: u64, open: u64, binding_at: u64) -> u64 {
    let stub = fx.stub(N, "NdisOpenAdapterEx");
    let mut c = Vec::new();
    store_args(fx, &mut c, slots, 3);
    match fx.arch {
        Arch::X64 => {
            c.extend([0x48, 0x83, 0xEC, 0x38]); // sub rsp, 0x38
            c.extend([0x4C, 0x8B, 0x08]); // mov r9, [rax] ... replaced below
            c.truncate(c.len() - 3);
            imm64(&mut c, &[0x49, 0xB9], slots + 8); // mov r9, &slot[1]
            c.extend([0x4D, 0x8B, 0x09]); // mov r9, [r9]: BindContext
            imm64(&mut c, &[0x48, 0xB9], handle_at);
            c.extend([0x48, 0x8B, 0x09]); // mov rcx, [rcx]
            imm64(&mut c, &[0x48, 0xBA], BINDING_CONTEXT);
            imm64(&mut c, &[0x49, 0xB8], open);
            imm64(&mut c, &[0x48, 0xB8], binding_at);
            c.extend([0x48, 0x89, 0x44, 0x24, 0x20]); // mov [rsp+0x20], rax
            imm64(&mut c, &[0x48, 0xB8], stub);
            c.extend([0xFF, 0xD0, 0x48, 0x83, 0xC4, 0x38, 0xC3]);
        }
        Arch::X86 => {
            imm32(&mut c, &[0x68], binding_at);
            c.extend([0xFF, 0x74, 0x24, 0x0C]); // push BindContext
            imm32(&mut c, &[0x68], open);
            imm32(&mut c, &[0x68], BINDING_CONTEXT);
            imm32(&mut c, &[0xFF, 0x35], handle_at); // push dword [handle_at]
            imm32(&mut c, &[0xB8], stub);
            c.extend([0xFF, 0xD0, 0xC2, 12, 0]);
        }
    }
    code(fx, &c)
}

/// ProtocolUnbindAdapterEx: keeps its arguments, then NdisCloseAdapterEx(*binding_at).
pub fn unbind_handler(fx: &mut Fx, slots: u64, binding_at: u64) -> u64 {
    let stub = fx.stub(N, "NdisCloseAdapterEx");
    let mut c = Vec::new();
    store_args(fx, &mut c, slots, 2);
    match fx.arch {
        Arch::X64 => {
            c.extend([0x48, 0x83, 0xEC, 0x28]);
            imm64(&mut c, &[0x48, 0xB9], binding_at);
            c.extend([0x48, 0x8B, 0x09]);
            imm64(&mut c, &[0x48, 0xB8], stub);
            c.extend([0xFF, 0xD0, 0x48, 0x83, 0xC4, 0x28, 0xC3]);
        }
        Arch::X86 => {
            imm32(&mut c, &[0xFF, 0x35], binding_at);
            imm32(&mut c, &[0xB8], stub);
            c.extend([0xFF, 0xD0, 0xC2, 8, 0]);
        }
    }
    code(fx, &c)
}

pub fn slot(fx: &Fx, slots: u64, i: u64) -> u64 {
    match fx.arch {
        Arch::X86 => fx.k.mem().read_u32(slots + 8 * i).unwrap() as u64,
        Arch::X64 => fx.k.mem().read_u64(slots + 8 * i).unwrap(),
    }
}

pub fn ndis_events(fx: &Fx) -> Vec<NdisChange> {
    kernel_events(&fx.k, |e| match e {
        KernelEvent::System(SystemEvent::Ndis(n)) => Some(n.change.clone()),
        _ => None,
    })
}

pub fn set_ustr(fx: &mut Fx, at: u64, s: &str) {
    let u = fx.ustr(s);
    let (len, max, buf) = fx.counted(u);
    let mem = fx.k.mem_mut();
    mem.set(at, UNICODE_STRING::Length, len).unwrap();
    mem.set(at, UNICODE_STRING::MaximumLength, max).unwrap();
    mem.set(at, UNICODE_STRING::Buffer, buf).unwrap();
}

/// FilterAttach: keeps its three arguments at `slots`, then calls
/// NdisFSetAttributes(NdisFilterHandle, context, attributes) and returns its status.
pub fn attach_handler(fx: &mut Fx, slots: u64, context: u64, attributes: u64) -> u64 {
    let stub = fx.stub(Dll::Ndis, "NdisFSetAttributes");
    let mut c = Vec::new();
    store_args(fx, &mut c, slots, 3);
    match fx.arch {
        Arch::X64 => {
            imm64(&mut c, &[0x48, 0xBA], context);
            imm64(&mut c, &[0x49, 0xB8], attributes);
            c.extend([0x48, 0x8B, 0x08]); // mov rcx, [rax]: the handle kept in slot 0
            imm64(&mut c, &[0x48, 0xB8], stub);
            c.extend([0x48, 0x83, 0xEC, 0x28, 0xFF, 0xD0, 0x48, 0x83, 0xC4, 0x28, 0xC3]);
        }
        Arch::X86 => {
            imm32(&mut c, &[0x68], attributes);
            imm32(&mut c, &[0x68], context);
            c.extend([0xFF, 0x74, 0x24, 0x0C]); // push the handle
            imm32(&mut c, &[0xB8], stub);
            c.extend([0xFF, 0xD0, 0xC2, 12, 0]);
        }
    }
    code(fx, &c)
}

/// A NET_BUFFER_LIST with one net buffer holding `data`.
pub fn nbl_with(fx: &mut Fx, data: &[u8]) -> u64 {
    let mut b = vec![0x80, 1, 0x10, 0, 0, 1, 0, 0];
    b.extend(b"NbT1");
    b.extend(0u32.to_le_bytes());
    let params = fx.put(&b);
    let pool = fx.call(N, "NdisAllocateNetBufferListPool", &[0, params]).unwrap();
    let buf = fx.put(data);
    let mdl = fx.call(NT, "IoAllocateMdl", &[buf, data.len() as u64, 0, 0, 0]).unwrap();
    fx.call(N, "NdisAllocateNetBufferAndNetBufferList", &[pool, 0, 0, mdl, 0, data.len() as u64]).unwrap()
}
