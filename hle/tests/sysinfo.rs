//! System and process information: the kernel's mapped images and the module lists, the
//! ZwQuerySystemInformation classes and their lengths, process and thread information, and
//! process virtual memory; both architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, LDR_DATA_TABLE_ENTRY, LIST_ENTRY, OBJECT_ATTRIBUTES};

const NT: Dll = Dll::Ntoskrnl;
const STATUS_INVALID_INFO_CLASS: u64 = 0xC000_0003;
const STATUS_INFO_LENGTH_MISMATCH: u64 = 0xC000_0004;
const STATUS_INVALID_CID: u64 = 0xC000_000B;
const STATUS_BUFFER_TOO_SMALL: u64 = 0xC000_0023;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_CONFLICTING_ADDRESSES: u64 = 0xC000_0018;
const STATUS_NOT_COMMITTED: u64 = 0xC000_002D;
const STATUS_FREE_VM_NOT_AT_BASE: u64 = 0xC000_009F;

fn u32_at(fx: &Fx, at: u64) -> u32 {
    u32::from_le_bytes(fx.read(at, 4).try_into().unwrap())
}

fn u16_at(fx: &Fx, at: u64) -> u16 {
    u16::from_le_bytes(fx.read(at, 2).try_into().unwrap())
}

fn cstr_at(fx: &Fx, at: u64) -> String {
    let b: Vec<u8> = (0..256).map(|i| fx.k.mem().read_u8(at + i).unwrap()).take_while(|c| *c != 0).collect();
    String::from_utf8_lossy(&b).into_owned()
}

/// ZwQuerySystemInformation into a fresh buffer: (status, ReturnLength, buffer).
fn query(fx: &mut Fx, class: u64, len: u64) -> (u64, u32, u64) {
    let buf = fx.alloc(len.max(1));
    let rl = fx.alloc(4);
    let st = fx.call(NT, "ZwQuerySystemInformation", &[class, buf, len, rl]).unwrap();
    (st, u32_at(fx, rl), buf)
}

/// The address an image at `base` exports `name` at, read from its headers.
fn export(fx: &Fx, base: u64, name: &str) -> Option<u64> {
    assert_eq!(fx.read(base, 2), b"MZ");
    let nt = base + u32_at(fx, base + 0x3C) as u64;
    assert_eq!(fx.read(nt, 4), b"PE\0\0");
    let optional = nt + 24;
    let dir_at = optional + if u16_at(fx, optional) == 0x20B { 112 } else { 96 };
    let dir = base + u32_at(fx, dir_at) as u64;
    let n = u32_at(fx, dir + 24) as u64;
    let (functions, names, ordinals) =
        (base + u32_at(fx, dir + 28) as u64, base + u32_at(fx, dir + 32) as u64, base + u32_at(fx, dir + 36) as u64);
    let mut previous = String::new();
    let mut found = None;
    for i in 0..n {
        let s = cstr_at(fx, base + u32_at(fx, names + 4 * i) as u64);
        assert!(s > previous, "names are sorted: {previous} then {s}");
        if s == name {
            let ordinal = u16_at(fx, ordinals + 2 * i) as u64;
            found = Some(base + u32_at(fx, functions + 4 * ordinal) as u64);
        }
        previous = s;
    }
    found
}

#[test]
fn the_kernel_images_have_headers_and_export_directories_that_agree_with_imports() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let (st, need, _) = query(&mut fx, 11, 0);
        assert_eq!(st, STATUS_INFO_LENGTH_MISMATCH, "{arch:?}");
        let (st, _, buf) = query(&mut fx, 11, need as u64);
        assert_eq!(st, 0);
        // ntoskrnl, hal, the other libraries the kernel implements exports of, the driver.
        let libraries =
            Dll::ALL.iter().filter(|d| !matches!(d, Dll::Ntoskrnl | Dll::Hal) && !d.table().is_empty()).count() as u64;
        let count = u32_at(&fx, buf) as u64;
        assert_eq!(count, 3 + libraries, "{arch:?}: ntoskrnl, hal, the libraries, the driver");
        let driver = count - 1;
        let (first, entry) = match arch {
            Arch::X86 => (buf + 4, 0x11C),
            Arch::X64 => (buf + 8, 0x128),
        };
        let ps = arch.ptr_size();
        let base_of = |fx: &Fx, i: u64| fx.read_ptr(first + i * entry + 2 * ps);
        let name_of = |fx: &Fx, i: u64| cstr_at(fx, first + i * entry + if arch == Arch::X64 { 0x28 } else { 0x1C });
        assert_eq!(name_of(&fx, 0), "\\SystemRoot\\system32\\ntoskrnl.exe");
        assert_eq!(name_of(&fx, 1), "\\SystemRoot\\system32\\hal.dll");
        assert_eq!(name_of(&fx, driver), "\\SystemRoot\\system32\\drivers\\kapi.sys");
        let (nt, hal) = (base_of(&fx, 0), base_of(&fx, 1));
        assert_eq!(base_of(&fx, driver), fx.k.ext().drivers()[0].image.base);

        // The export directory gives the addresses imports bind to, routines and variables.
        for name in ["IoCreateDevice", "ZwClose", "NtBuildNumber", "PsLoadedModuleList", "ExEventObjectType"] {
            assert_eq!(export(&fx, nt, name), fx.k.ext().resolve(NT, name), "{arch:?} {name}");
        }
        let build = export(&fx, nt, "NtBuildNumber").unwrap();
        assert_eq!(u32_at(&fx, build) & 0xFFFF, 7601);
        assert_eq!(export(&fx, nt, "NoSuchRoutine"), None);
        assert_eq!(
            export(&fx, hal, "KeStallExecutionProcessor"),
            fx.k.ext().resolve(Dll::Hal, "KeStallExecutionProcessor"),
            "{arch:?}"
        );
        let wdfldr = (2..driver)
            .map(|i| base_of(&fx, i))
            .zip((2..driver).map(|i| name_of(&fx, i)))
            .find(|(_, n)| n.ends_with("\\wdfldr.sys"))
            .map(|(b, _)| b)
            .expect("wdfldr.sys is in the module list");
        assert_eq!(
            export(&fx, wdfldr, "WdfVersionBind"),
            fx.k.ext().resolve(Dll::Wdfldr, "WdfVersionBind"),
            "{arch:?}"
        );

        // PsLoadedModuleList: ntoskrnl, hal, the libraries, then the driver.
        let head = fx.k.ext().resolve(NT, "PsLoadedModuleList").unwrap();
        let mut bases = Vec::new();
        let mut at = fx.k.mem().get(head, LIST_ENTRY::Flink).unwrap();
        while at != head && bases.len() < 64 {
            bases.push(fx.k.mem().get(at, LDR_DATA_TABLE_ENTRY::DllBase).unwrap());
            at = fx.k.mem().get(at, LIST_ENTRY::Flink).unwrap();
        }
        let all: Vec<u64> = (0..count).map(|i| base_of(&fx, i)).collect();
        assert_eq!((bases[0], bases[1]), (nt, hal), "{arch:?}");
        assert_eq!(bases, all, "{arch:?}");
    }
}

#[test]
fn information_classes_answer_with_their_sizes() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let basic = if arch == Arch::X64 { 0x40 } else { 0x2C };
        assert_eq!(query(&mut fx, 0, basic - 4).0, STATUS_INFO_LENGTH_MISMATCH);
        let (st, rl, buf) = query(&mut fx, 0, basic);
        assert_eq!((st, rl as u64), (0, basic), "{arch:?}");
        assert_eq!(u32_at(&fx, buf + 8), 0x1000, "{arch:?}: PageSize");
        // The fixture's two processors: their mask, then their count.
        let count_at = buf + basic - if arch == Arch::X64 { 8 } else { 4 };
        assert_eq!(fx.read_ptr(count_at - arch.ptr_size()), 3, "{arch:?}: active processors");
        assert_eq!(fx.read(count_at, 1), [2], "{arch:?}: two processors");
        // Processor times: one entry (0x30 bytes) per processor.
        let (st, rl, _) = query(&mut fx, 8, 0x100);
        assert_eq!((st, rl), (0, 0x60), "{arch:?}");
        // Time of day: any length up to the whole.
        let (st, rl, _) = query(&mut fx, 3, 8);
        assert_eq!((st, rl), (0, 8));
        assert_eq!(query(&mut fx, 3, 0x31).0, STATUS_INFO_LENGTH_MISMATCH);
        // Processes: the System process and the user program, each with a thread.
        let (st, need, _) = query(&mut fx, 5, 16);
        assert_eq!(st, STATUS_INFO_LENGTH_MISMATCH);
        let (st, _, buf) = query(&mut fx, 5, need as u64);
        assert_eq!(st, 0);
        let next = u32_at(&fx, buf) as u64;
        let pid_at = if arch == Arch::X64 { 0x50 } else { 0x44 };
        assert_eq!((fx.read_ptr(buf + pid_at), fx.read_ptr(buf + next + pid_at)), (4, 0x1F4), "{arch:?}");
        assert_eq!(u32_at(&fx, buf + next), 0, "{arch:?}: the last entry");
        let name = buf + next + 0x38;
        let (len, _, ptr) = fx.counted(name);
        assert_eq!(len, 28);
        assert_eq!(fx.read(ptr, 4), [b'p', 0, b'o', 0], "{arch:?}: a name inside the buffer");
        // Others.
        let (st, _, buf) = query(&mut fx, 35, 2);
        assert_eq!((st, fx.read(buf, 2)), (0, vec![0, 1]), "{arch:?}: no kernel debugger");
        let ci = fx.put(&[8, 0, 0, 0, 0, 0, 0, 0]);
        let rl = fx.alloc(4);
        assert_eq!(fx.call(NT, "ZwQuerySystemInformation", &[103, ci, 8, rl]).unwrap(), 0);
        assert_eq!(u32_at(&fx, ci + 4), if arch == Arch::X64 { 1 } else { 0 });
        assert_eq!(query(&mut fx, 0x9999, 16).0, STATUS_INVALID_INFO_CLASS);
        let (st, _, buf) = query(&mut fx, 16, 0x1000);
        assert_eq!((st, u32_at(&fx, buf)), (0, 0), "{arch:?}: no handles open");
    }
}

#[test]
fn firmware_tables_are_the_machines_own_smbios_and_acpi_tables() {
    use portcullis_emu::firmware::smbios;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.alloc(0x2000);
        let rl = fx.alloc(4);
        let ask = |fx: &mut Fx, provider: &[u8; 4], action: u32, id: u32, len: u64| {
            let mut h = u32::from_be_bytes(*provider).to_le_bytes().to_vec();
            h.extend(action.to_le_bytes());
            h.extend(id.to_le_bytes());
            h.extend([0; 4]);
            fx.k.mem_mut().write(buf, &h).unwrap();
            fx.call(NT, "ZwQuerySystemInformation", &[76, buf, len, rl]).unwrap()
        };
        assert_eq!(ask(&mut fx, b"RSMB", 1, 0, 16), STATUS_BUFFER_TOO_SMALL, "{arch:?}");
        let need = u32_at(&fx, rl) as u64;
        assert_eq!(u32_at(&fx, buf + 12) as u64, need - 16, "{arch:?}: TableBufferLength");
        assert_eq!(ask(&mut fx, b"RSMB", 1, 0, 0x2000), 0);
        let data = fx.read(buf + 16, (need - 16) as usize);
        assert_eq!(&data[..3], &[0, 2, 7], "{arch:?}: SMBIOS 2.7");
        assert_eq!(data[8], 0, "{arch:?}: the BIOS structure first");
        // The same structures a driver finds in the BIOS ROM through the entry point.
        let physical = fx.k.mem().physical();
        let (table, _) = smbios::structure_table(physical.description());
        assert_eq!(&data[8..], &table[..], "{arch:?}: RSMB is the ROM's structure table");
        let rom = &physical.images().bios;
        let at = (smbios::TABLE - portcullis_emu::firmware::BIOS_BASE) as usize;
        assert_eq!(&rom[at..at + table.len()], &table[..], "{arch:?}");

        // 'ACPI' lists the XSDT's tables and the DSDT, and gives each by signature.
        assert_eq!(ask(&mut fx, b"ACPI", 0, 0, 0x2000), 0);
        let n = u32_at(&fx, buf + 12) as usize;
        let ids = fx.read(buf + 16, n);
        let sigs: Vec<&[u8]> = ids.chunks(4).collect();
        assert_eq!(sigs, [&b"FACP"[..], b"APIC", b"MCFG", b"HPET", b"DSDT"], "{arch:?}");
        assert_eq!(ask(&mut fx, b"ACPI", 1, u32::from_le_bytes(*b"APIC"), 0x2000), 0);
        let len = u32_at(&fx, buf + 12) as usize;
        let madt = fx.read(buf + 16, len);
        assert_eq!(&madt[..4], b"APIC");
        assert_eq!(u32::from_le_bytes(madt[4..8].try_into().unwrap()) as usize, len);
        assert!(portcullis_emu::firmware::checksum_ok(&madt), "{arch:?}: MADT checksum");
        assert_eq!(ask(&mut fx, b"ACPI", 1, u32::from_le_bytes(*b"SSDT"), 0x2000), 0xC000_0225, "not found");
        assert_eq!(ask(&mut fx, b"XXXX", 0, 0, 0x400), 0xC000_00AF);
    }
}

fn attrs(fx: &mut Fx) -> u64 {
    let at = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    fx.k.mem_mut().set(at, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    fx.k.mem_mut().set(at, OBJECT_ATTRIBUTES::Attributes, 0x200).unwrap();
    at
}

#[test]
fn processes_and_threads_open_by_id_and_answer_their_classes() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let oa = attrs(&mut fx);
        let cid = fx.alloc(2 * ps);
        let out = fx.alloc(8);
        fx.k.mem_mut().write_ptr(cid, 0x1F4).unwrap();
        assert_eq!(fx.call(NT, "ZwOpenProcess", &[out, 0x1F_FFFF, oa, cid]).unwrap(), 0, "{arch:?}");
        let h = fx.read_ptr(out);
        let info = fx.alloc(0x100);
        let rl = fx.alloc(4);
        let pbi = if arch == Arch::X64 { 0x30 } else { 0x18 };
        assert_eq!(
            fx.call(NT, "ZwQueryInformationProcess", &[h, 0, info, pbi - 1, rl]).unwrap(),
            STATUS_INFO_LENGTH_MISMATCH
        );
        assert_eq!(fx.call(NT, "ZwQueryInformationProcess", &[h, 0, info, pbi, rl]).unwrap(), 0);
        assert_eq!(u32_at(&fx, info), 0x103, "{arch:?}: STATUS_PENDING while it runs");
        assert_eq!(fx.read_ptr(info + 4 * ps), 0x1F4, "{arch:?}: UniqueProcessId");
        assert_eq!(
            fx.call(NT, "ZwQueryInformationProcess", &[h, 27, info, 8, rl]).unwrap(),
            STATUS_INFO_LENGTH_MISMATCH
        );
        assert_eq!(fx.call(NT, "ZwQueryInformationProcess", &[h, 27, info, 0x100, rl]).unwrap(), 0);
        let (len, _, buf) = fx.counted(info);
        let image: Vec<u16> = fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16_lossy(&image), "\\Device\\HarddiskVolume1\\Windows\\portcullis.exe");
        assert_eq!(fx.call(NT, "ZwTerminateProcess", &[h, 0x1234]).unwrap(), 0);
        fx.call(NT, "ZwQueryInformationProcess", &[h, 0, info, pbi, rl]).unwrap();
        assert_eq!(u32_at(&fx, info), 0x1234, "{arch:?}: the exit status");
        fx.call(NT, "ZwClose", &[h]).unwrap();
        fx.k.mem_mut().write_ptr(cid, 0x77).unwrap();
        assert_eq!(fx.call(NT, "ZwOpenProcess", &[out, 0x1F_FFFF, oa, cid]).unwrap(), STATUS_INVALID_CID);
        let me = arch.mask(u64::MAX);
        assert_eq!(fx.call(NT, "ZwTerminateProcess", &[me, 0]).unwrap(), 0xC000_0022, "{arch:?}: not System");

        // Threads: the System thread by id; its settings come back.
        fx.k.mem_mut().write_ptr(cid, 0).unwrap();
        fx.k.mem_mut().write_ptr(cid + ps, 8).unwrap();
        assert_eq!(fx.call(NT, "ZwOpenThread", &[out, 0x1F_FFFF, oa, cid]).unwrap(), 0);
        let t = fx.read_ptr(out);
        let prio = fx.put(&40u32.to_le_bytes());
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[t, 2, prio, 4]).unwrap(), STATUS_INVALID_PARAMETER);
        fx.k.mem_mut().write_u32(prio, 12).unwrap();
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[t, 2, prio, 4]).unwrap(), 0);
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[t, 17, 0, 0]).unwrap(), 0, "{arch:?}: hidden");
        assert_eq!(fx.call(NT, "ZwQueryInformationThread", &[t, 17, info, 1, rl]).unwrap(), 0);
        assert_eq!(fx.read(info, 1), [1]);
        let tbi = if arch == Arch::X64 { 0x30 } else { 0x1C };
        assert_eq!(fx.call(NT, "ZwQueryInformationThread", &[t, 0, info, tbi, rl]).unwrap(), 0);
        assert_eq!((fx.read_ptr(info + 2 * ps), fx.read_ptr(info + 3 * ps)), (4, 8), "{arch:?}: ClientId");
        assert_eq!(u32_at(&fx, info + 5 * ps), 12, "{arch:?}: Priority");
        fx.call(NT, "ZwClose", &[t]).unwrap();
    }
}

#[test]
fn virtual_memory_is_reserved_committed_protected_and_released() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = arch.mask(u64::MAX);
        let base = fx.alloc(8);
        let size = fx.alloc(8);
        let set = |fx: &mut Fx, b: u64, s: u64| {
            fx.k.mem_mut().write_ptr(base, b).unwrap();
            fx.k.mem_mut().write_ptr(size, s).unwrap();
        };
        // Reserve only: nothing is mapped.
        set(&mut fx, 0, 0x3000);
        assert_eq!(fx.call(NT, "ZwAllocateVirtualMemory", &[me, base, 0, size, 0x2000, 4]).unwrap(), 0, "{arch:?}");
        let r = fx.read_ptr(base);
        assert_eq!(r % 0x10000, 0);
        assert!(fx.k.mem().read_u8(r).is_err(), "{arch:?}: reserved pages fault");
        // Commit all three, write, decommit the middle one: the others keep their contents.
        set(&mut fx, r, 0x3000);
        assert_eq!(fx.call(NT, "ZwAllocateVirtualMemory", &[me, base, 0, size, 0x1000, 4]).unwrap(), 0);
        fx.k.mem_mut().write(r, b"first").unwrap();
        fx.k.mem_mut().write(r + 0x2000, b"third").unwrap();
        set(&mut fx, r + 0x1000, 0x1000);
        assert_eq!(fx.call(NT, "ZwFreeVirtualMemory", &[me, base, size, 0x4000]).unwrap(), 0, "{arch:?}");
        assert!(fx.k.mem().read_u8(r + 0x1000).is_err());
        assert_eq!((fx.read(r, 5), fx.read(r + 0x2000, 5)), (b"first".to_vec(), b"third".to_vec()), "{arch:?}");
        // Query: a committed run, then the reserved page.
        let mbi = fx.alloc(0x30);
        let rl = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwQueryVirtualMemory", &[me, r, 0, mbi, 0x30, rl]).unwrap(), 0);
        let ps = arch.ptr_size();
        let (region, state) = if arch == Arch::X64 { (0x18, 0x20) } else { (0xC, 0x10) };
        assert_eq!((fx.read_ptr(mbi + region), u32_at(&fx, mbi + state)), (0x1000, 0x1000), "{arch:?}");
        fx.call(NT, "ZwQueryVirtualMemory", &[me, r + 0x1000, 0, mbi, 0x30, rl]).unwrap();
        assert_eq!(u32_at(&fx, mbi + state), 0x2000, "{arch:?}: MEM_RESERVE");
        assert_eq!(fx.read_ptr(mbi + ps), r, "{arch:?}: AllocationBase");
        // Protection: not on the decommitted page; read-only on the first.
        let old = fx.alloc(4);
        set(&mut fx, r, 0x2000);
        assert_eq!(fx.call(NT, "ZwProtectVirtualMemory", &[me, base, size, 2, old]).unwrap(), STATUS_NOT_COMMITTED);
        set(&mut fx, r, 0x1000);
        assert_eq!(fx.call(NT, "ZwProtectVirtualMemory", &[me, base, size, 2, old]).unwrap(), 0);
        assert_eq!(u32_at(&fx, old), 4);
        assert!(fx.k.mem_mut().write(r, b"x").is_err(), "{arch:?}: read-only now");
        assert_eq!(fx.read(r, 5), b"first");
        // Release: only at the base, with size 0.
        set(&mut fx, r + 0x1000, 0);
        assert_eq!(fx.call(NT, "ZwFreeVirtualMemory", &[me, base, size, 0x8000]).unwrap(), STATUS_FREE_VM_NOT_AT_BASE);
        set(&mut fx, r, 0);
        assert_eq!(fx.call(NT, "ZwFreeVirtualMemory", &[me, base, size, 0x8000]).unwrap(), 0);
        assert_eq!(fx.read_ptr(size), 0x3000, "{arch:?}");
        assert!(fx.k.mem().read_u8(r + 0x2000).is_err());
        // A chosen address below the user arena; one inside it conflicts.
        set(&mut fx, 0x40_0000, 0x1000);
        assert_eq!(fx.call(NT, "ZwAllocateVirtualMemory", &[me, base, 0, size, 0x3000, 0x40]).unwrap(), 0);
        assert_eq!(fx.read_ptr(base), 0x40_0000);
        set(&mut fx, 0x40_0000, 0x1000);
        assert_eq!(
            fx.call(NT, "ZwAllocateVirtualMemory", &[me, base, 0, size, 0x3000, 4]).unwrap(),
            STATUS_CONFLICTING_ADDRESSES
        );
        set(&mut fx, 0x1000_0000, 0x1000);
        assert_eq!(
            fx.call(NT, "ZwAllocateVirtualMemory", &[me, base, 0, size, 0x3000, 4]).unwrap(),
            STATUS_CONFLICTING_ADDRESSES,
            "{arch:?}: the kernel's user arena"
        );
    }
}

#[test]
fn thread_information_is_the_schedulers() {
    use common::guest::*;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        // A system thread that waits on an event: SystemProcessInformation lists it under the
        // System process with its start routine, priority and wait.
        let e = fx.alloc(0x20);
        ok(&mut fx, "KeInitializeEvent", &[e, 0, 0]);
        let start = routine(&mut fx, 1, |a, r| {
            let (w, c) = r("KeWaitForSingleObject");
            a.call(w, c, &[K(e), K(0), K(0), K(0), K(0)]);
        });
        let h = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "PsCreateSystemThread", &[h, 0x1F_FFFF, 0, 0, 0, start, 0]), 0);
        let handle = fx.read_ptr(h);
        assert_eq!(ok32(&mut fx, "ZwYieldExecution", &[]), 0, "{arch:?}: it runs and waits");
        let (_, need, _) = query(&mut fx, 5, 16);
        let (st, _, buf) = query(&mut fx, 5, need as u64);
        assert_eq!(st, 0);
        let threads = u32_at(&fx, buf + 4);
        assert_eq!(threads, 2, "{arch:?}: the System thread and the new one");
        let header = if arch == Arch::X64 { 0x100 } else { 0xB8 };
        let size = if arch == Arch::X64 { 0x50 } else { 0x40 };
        let second = buf + header + size;
        let start_at = second + if arch == Arch::X64 { 0x20 } else { 0x1C };
        assert_eq!(fx.read_ptr(start_at), start, "{arch:?}: StartAddress");
        let after_cid = start_at + 3 * ps;
        assert_eq!((u32_at(&fx, after_cid), u32_at(&fx, after_cid + 4)), (8, 8), "{arch:?}: priorities");
        assert_eq!((u32_at(&fx, after_cid + 12), u32_at(&fx, after_cid + 16)), (5, 0), "{arch:?}: waiting, Executive");

        // Priorities set through ZwSetInformationThread are the scheduler's.
        let v = fx.put(&13u32.to_le_bytes());
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[handle, 2, v, 4]).unwrap(), 0);
        let thread_type = fx.read_ptr(fx.k.ext().resolve(NT, "PsThreadType").unwrap());
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[handle, 0, thread_type, 0, out, 0]), 0);
        let thread = fx.read_ptr(out);
        assert_eq!(ok32(&mut fx, "KeQueryPriorityThread", &[thread]), 13, "{arch:?}");
        fx.k.mem_mut().write_u32(v, (-2i32) as u32).unwrap();
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[handle, 3, v, 4]).unwrap(), 0);
        assert_eq!(ok32(&mut fx, "KeQueryPriorityThread", &[thread]), 6, "{arch:?}: base 8 - 2");
        // Affinity: active processors only.
        let mask = fx.put(&4u64.to_le_bytes());
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[handle, 4, mask, ps]).unwrap(), STATUS_INVALID_PARAMETER);
        fx.k.mem_mut().write_u64(mask, 2).unwrap();
        assert_eq!(fx.call(NT, "ZwSetInformationThread", &[handle, 4, mask, ps]).unwrap(), 0);
        let info = fx.alloc(0x40);
        let tbi = if arch == Arch::X64 { 0x30 } else { 0x1C };
        assert_eq!(fx.call(NT, "ZwQueryInformationThread", &[handle, 0, info, tbi, 0]).unwrap(), 0);
        assert_eq!(fx.read_ptr(info + 4 * ps), 2, "{arch:?}: AffinityMask");
        assert_eq!(u32_at(&fx, info + 5 * ps), 6, "{arch:?}: Priority");
        assert_eq!(u32_at(&fx, info + 5 * ps + 4) as i32, -2, "{arch:?}: BasePriority increment");
        assert_eq!(fx.call(NT, "ZwQueryInformationThread", &[handle, 9, info, ps, 0]).unwrap(), 0);
        assert_eq!(fx.read_ptr(info), start, "{arch:?}: Win32StartAddress");
        // It ends when its event is set.
        ok(&mut fx, "KeSetEvent", &[e, 0, 0]);
        assert_eq!(ok32(&mut fx, "KeWaitForSingleObject", &[thread, 0, 0, 0, 0]), 0);
        assert_eq!(fx.call(NT, "ZwQueryInformationThread", &[handle, 20, info, 4, 0]).unwrap(), 0);
        assert_eq!(u32_at(&fx, info), 1, "{arch:?}: ThreadIsTerminated");
        ok(&mut fx, "ObfDereferenceObject", &[thread]);
        assert_eq!(ok32(&mut fx, "ZwClose", &[handle]), 0);
    }
}
