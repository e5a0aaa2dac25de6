//! x86 KeServiceDescriptorTable and KeAddSystemServiceTable through the real stubs: the first
//! descriptor describes Windows 7 SP1's services in service-number order, pointing at the
//! kernel's routines; descriptors are added only where free; writes to the service table
//! are reported.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::Arch;
use portcullis_hle::events::SystemEvent;
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelEvent;

const NT: Dll = Dll::Ntoskrnl;
/// NtClose's service number on Windows 7 SP1 x86, and NtWaitForSingleObject's.
const NT_CLOSE: u64 = 0x32;
const NT_WAIT_FOR_SINGLE_OBJECT: u64 = 0x187;

fn u32_at(fx: &Fx, at: u64) -> u64 {
    u32::from_le_bytes(fx.read(at, 4).try_into().unwrap()) as u64
}

#[test]
fn the_descriptor_describes_the_kernels_services() {
    let fx = Fx::new(Arch::X86);
    let table = fx.k.ext().resolve(NT, "KeServiceDescriptorTable").unwrap();
    let (base, count, limit, number) =
        (u32_at(&fx, table), u32_at(&fx, table + 4), u32_at(&fx, table + 8), u32_at(&fx, table + 12));
    assert_eq!((count, limit), (0, 401));
    assert_eq!(u32_at(&fx, base + 4 * NT_CLOSE), fx.k.ext().resolve(NT, "NtClose").unwrap());
    assert_eq!(fx.read(number + NT_CLOSE, 1), [4]);
    assert_eq!(
        u32_at(&fx, base + 4 * NT_WAIT_FOR_SINGLE_OBJECT),
        fx.k.ext().resolve(NT, "NtWaitForSingleObject").or(fx.k.ext().resolve(NT, "ZwWaitForSingleObject")).unwrap()
    );
    assert_eq!(fx.read(number + NT_WAIT_FOR_SINGLE_OBJECT, 1), [12]);
    // The other three descriptors are free.
    assert_eq!(fx.read(table + 16, 48), [0; 48]);
    // x64 Windows exports no descriptor table.
    assert!(Fx::new(Arch::X64).k.ext().resolve(NT, "KeServiceDescriptorTable").is_none());
}

#[test]
fn descriptors_are_added_where_free() {
    let mut fx = Fx::new(Arch::X86);
    let table = fx.k.ext().resolve(NT, "KeServiceDescriptorTable").unwrap();
    let (services, args) = (fx.alloc(8), fx.put(&[4, 8]));
    let add = |fx: &mut Fx, index: u64| {
        fx.call(NT, "KeAddSystemServiceTable", &[services, 0, 2, args, index]).unwrap() & 0xFF
    };
    assert_eq!(add(&mut fx, 0), 0, "the kernel's own");
    assert_eq!(add(&mut fx, 4), 0, "out of range");
    assert_eq!(add(&mut fx, 2), 1);
    assert_eq!((u32_at(&fx, table + 32), u32_at(&fx, table + 40), u32_at(&fx, table + 44)), (services, 2, args));
    assert_eq!(add(&mut fx, 2), 0, "taken");
    // Index 1 is win32k's: only the shadow table gets it, and then it is taken.
    assert_eq!(add(&mut fx, 1), 1);
    assert_eq!(u32_at(&fx, table + 16), 0);
    assert_eq!(add(&mut fx, 1), 0);
}

#[test]
fn a_hooked_service_is_reported() {
    let mut fx = Fx::new(Arch::X86);
    let table = fx.k.ext().resolve(NT, "KeServiceDescriptorTable").unwrap();
    let base = u32_at(&fx, table);
    let hook = fx.thunk;
    fx.k.mem_mut().write_u32(base + 4 * NT_CLOSE, hook as u32).unwrap();
    portcullis_hle::ke::service_table::watch(&mut fx.k).unwrap();
    portcullis_hle::ke::service_table::watch(&mut fx.k).unwrap(); // reported once
    let notices: Vec<_> = kernel_events(&fx.k, |e| match e {
        KernelEvent::System(SystemEvent::Notice(n)) => Some(n.clone()),
        _ => None,
    });
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].kind, "service_table_write");
    assert!(notices[0].detail.contains("service 0x32 (NtClose)"), "{}", notices[0].detail);
    assert!(notices[0].detail.contains("was ntoskrnl.exe!NtClose"), "{}", notices[0].detail);
}

/// What drivers that hook win32k's services do to find the unexported shadow table: scan the
/// first bytes of KeAddSystemServiceTable for a pointer to a copy of KeServiceDescriptorTable's
/// first descriptor that is not KeServiceDescriptorTable itself.
#[test]
fn the_shadow_table_is_found_through_ke_add_system_service_table() {
    let mut fx = Fx::new(Arch::X86);
    let table = fx.k.ext().resolve(NT, "KeServiceDescriptorTable").unwrap();
    let routine = fx.k.ext().resolve(NT, "KeAddSystemServiceTable").unwrap();
    let code = fx.read(routine, 16);
    assert_eq!(code[..3], [0xC2, 0x14, 0x00], "the routine's instruction is its ret 14h");
    let descriptor = fx.read(table, 16);
    let found: Vec<u64> = (0..code.len() - 3)
        .map(|i| u32::from_le_bytes(code[i..i + 4].try_into().unwrap()) as u64)
        .filter(|&p| p != table && fx.k.mem().translate(p).is_some() && fx.read(p, 16) == descriptor)
        .collect();
    assert_eq!(found.len(), 1, "{code:02x?}");
    let shadow = found[0];
    assert_eq!(code[3..5], [0x8D, 0x88], "lea ecx, [eax + shadow]");
    // It is the table KeAddSystemServiceTable fills: win32k's index 1 goes there alone.
    let (services, args) = (fx.alloc(8), fx.put(&[4, 8]));
    assert_eq!(fx.call(NT, "KeAddSystemServiceTable", &[services, 0, 2, args, 1]).unwrap() & 0xFF, 1);
    assert_eq!((u32_at(&fx, shadow + 16), u32_at(&fx, shadow + 24)), (services, 2));
    assert_eq!(u32_at(&fx, table + 16), 0);
}
