//! The Filter Manager through the real stubs, both architectures: registration (versions,
//! the altitude from the service key), instances and their setup and teardown, pre-operation
//! callbacks deciding file opens on the volume, contexts, file names and communication ports.
//! The callbacks are a few bytes of guest code each.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Prot, RegionKind};
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, DRIVER_OBJECT, IO_STATUS_BLOCK, MDL, OBJECT_ATTRIBUTES, UNICODE_STRING};

const F: Dll = Dll::Fltmgr;
const NT: Dll = Dll::Ntoskrnl;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_ACCESS_DENIED: u64 = 0xC000_0022;
const STATUS_OBJECT_NAME_NOT_FOUND: u64 = 0xC000_0034;
const STATUS_NOT_FOUND: u64 = 0xC000_0225;
const STATUS_INVALID_DEVICE_STATE: u64 = 0xC000_0184;
const STATUS_FLT_DO_NOT_ATTACH: u64 = 0xC01C_000F;
const STATUS_FLT_CONTEXT_ALREADY_DEFINED: u64 = 0xC01C_0002;
const STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND: u64 = 0xC01C_0016;
const STATUS_CONNECTION_COUNT_LIMIT: u32 = 0xC000_0246;
const FLT_PREOP_SUCCESS_NO_CALLBACK: u32 = 1;
const FLT_STREAM_CONTEXT: u64 = 8;

/// Guest code for callbacks.
struct Code {
    at: u64,
    used: u64,
}

impl Code {
    fn new(fx: &mut Fx) -> Code {
        let at = fx.k.mem_mut().alloc(RegionKind::System, "callbacks", 0x1000, Prot::RWX).unwrap();
        Code { at, used: 0 }
    }

    fn put(&mut self, fx: &mut Fx, bytes: &[u8]) -> u64 {
        let a = self.at + self.used;
        fx.k.mem_mut().write(a, bytes).unwrap();
        self.used += (bytes.len() as u64 + 15) & !15;
        a
    }

    fn ret(fx: &Fx, args: u16) -> Vec<u8> {
        if fx.arch == Arch::X86 {
            let n = (args * 4).to_le_bytes();
            vec![0xC2, n[0], n[1]]
        } else {
            vec![0xC3]
        }
    }

    /// Returns `value`; a stdcall routine of `args` arguments.
    fn returns(&mut self, fx: &mut Fx, value: u32, args: u16) -> u64 {
        let mut b = vec![0xB8];
        b.extend(value.to_le_bytes());
        b.extend(Code::ret(fx, args));
        self.put(fx, &b)
    }

    /// Adds one to the u32 at `counter`, returns 0.
    fn counts(&mut self, fx: &mut Fx, counter: u64, args: u16) -> u64 {
        let mut b = if fx.arch == Arch::X64 { vec![0x48, 0xB8] } else { vec![0xB8] };
        b.extend(if fx.arch == Arch::X64 {
            counter.to_le_bytes().to_vec()
        } else {
            (counter as u32).to_le_bytes().to_vec()
        });
        b.extend([0xFF, 0x00, 0x31, 0xC0]); // inc dword [rax]; xor eax, eax
        b.extend(Code::ret(fx, args));
        self.put(fx, &b)
    }

    /// A pre-operation callback completing the operation with STATUS_ACCESS_DENIED.
    fn denies(&mut self, fx: &mut Fx) -> u64 {
        let mut b = if fx.arch == Arch::X64 {
            vec![0xC7, 0x41, 0x18] // mov dword [rcx+24], imm32 (Data->IoStatus.Status)
        } else {
            vec![0x8B, 0x4C, 0x24, 0x04, 0xC7, 0x41, 0x0C] // mov ecx, [esp+4]; mov dword [ecx+12], imm32
        };
        b.extend(0xC000_0022u32.to_le_bytes());
        b.extend([0xB8, 4, 0, 0, 0]); // FLT_PREOP_COMPLETE
        b.extend(Code::ret(fx, 3));
        self.put(fx, &b)
    }
}

/// An FLT_REGISTRATION of `version` with one IRP_MJ_CREATE registration and a stream
/// context of 16 bytes; the callbacks given.
struct Reg {
    version: u16,
    /// (major, pre-operation, post-operation) after IRP_MJ_CREATE's.
    more: Vec<(u8, u64, u64)>,
    pre_create: u64,
    unload: u64,
    setup: u64,
    teardown_start: u64,
    teardown_complete: u64,
    context_cleanup: u64,
}

fn registration(fx: &mut Fx, r: &Reg) -> u64 {
    let x64 = fx.arch == Arch::X64;
    let p = |v: u64| if x64 { v.to_le_bytes().to_vec() } else { (v as u32).to_le_bytes().to_vec() };
    // FLT_OPERATION_REGISTRATION[2]: CREATE, then IRP_MJ_OPERATION_END.
    let op_size = if x64 { 32 } else { 20 };
    let (pre_at, post_at) = if x64 { (8, 16) } else { (8, 12) };
    let list: Vec<(u8, u64, u64)> = [(0u8, r.pre_create, 0u64)].into_iter().chain(r.more.iter().copied()).collect();
    let mut ops = vec![0u8; (list.len() + 1) * op_size];
    for (n, (major, pre, post)) in list.iter().enumerate() {
        let e = n * op_size;
        ops[e] = *major;
        ops[e + pre_at..e + pre_at + p(0).len()].copy_from_slice(&p(*pre));
        ops[e + post_at..e + post_at + p(0).len()].copy_from_slice(&p(*post));
    }
    ops[list.len() * op_size] = 0x80;
    let ops = fx.put(&ops);
    // FLT_CONTEXT_REGISTRATION[2]: a stream context of 16 bytes, then FLT_CONTEXT_END.
    let cr_size = if x64 { 56 } else { 28 };
    let mut ctx = vec![0u8; 2 * cr_size];
    ctx[0..2].copy_from_slice(&8u16.to_le_bytes());
    let (cleanup_at, size_at) = if x64 { (8, 16) } else { (4, 8) };
    ctx[cleanup_at..cleanup_at + p(0).len()].copy_from_slice(&p(r.context_cleanup));
    ctx[size_at..size_at + p(0).len()].copy_from_slice(&p(16));
    ctx[cr_size..cr_size + 2].copy_from_slice(&0xFFFFu16.to_le_bytes());
    let ctx = fx.put(&ctx);
    let size: u16 = match (x64, r.version) {
        (true, 0x0203) => 112,
        (true, _) => 104,
        (false, 0x0203) => 60,
        (false, _) => 56,
    };
    let mut b = Vec::new();
    b.extend(size.to_le_bytes());
    b.extend(r.version.to_le_bytes());
    b.extend(0u32.to_le_bytes());
    for v in [ctx, ops, r.unload, r.setup, 0, r.teardown_start, r.teardown_complete, 0, 0, 0, 0, 0, 0] {
        b.extend(p(v));
    }
    b.resize(size as usize, 0);
    fx.put(&b)
}

fn simple(pre_create: u64) -> Reg {
    Reg {
        version: 0x0202,
        more: vec![],
        pre_create,
        unload: 0,
        setup: 0,
        teardown_start: 0,
        teardown_complete: 0,
        context_cleanup: 0,
    }
}

/// A loaded driver (kapi) installed as a minifilter.
fn driver(arch: Arch) -> (Fx, u64, Code) {
    let (mut fx, driver) = Fx::with_driver(arch);
    portcullis_hle::flt::registration::install(&mut fx.k, "kapi");
    let code = Code::new(&mut fx);
    (fx, driver, code)
}

fn register(fx: &mut Fx, driver: u64, r: &Reg) -> u64 {
    let reg = registration(fx, r);
    let out = fx.alloc(8);
    assert_eq!(fx.call(F, "FltRegisterFilter", &[driver, reg, out]).unwrap(), 0, "{:?}", fx.arch);
    fx.read_ptr(out)
}

/// ZwCreateFile of `path` for reading (FILE_OPEN): (status, handle).
fn open(fx: &mut Fx, path: &str) -> (u64, u64) {
    let name = fx.ustr(path);
    let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let iosb = fx.alloc(16);
    let mem = fx.k.mem_mut();
    mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
    let out = fx.alloc(8);
    let st = fx.call(NT, "ZwCreateFile", &[out, 0x8000_0000, oa, iosb, 0, 0x80, 7, 1, 0x20, 0, 0]).unwrap();
    (st, fx.read_ptr(out))
}

/// The file object the volume has open (the only one).
fn file_object(fx: &Fx) -> u64 {
    let opens = fx.k.ext().volume.open_files();
    assert_eq!(opens.len(), 1);
    opens[0]
}

fn instance(fx: &Fx) -> u64 {
    fx.k.ext().flt.instances.first().expect("an instance").address
}

#[test]
fn registration_needs_a_known_version_and_an_altitude_in_the_service_key() {
    for arch in both() {
        let (mut fx, driver) = Fx::with_driver(arch);
        let mut code = Code::new(&mut fx);
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let out = fx.alloc(8);
        let reg = registration(&mut fx, &simple(pre));
        // No Instances key (the INF's AddRegistry section never ran).
        assert_eq!(fx.call(F, "FltRegisterFilter", &[driver, reg, out]).unwrap(), STATUS_OBJECT_NAME_NOT_FOUND);
        portcullis_hle::flt::registration::install(&mut fx.k, "kapi");
        let bad = registration(&mut fx, &Reg { version: 0x0300, ..simple(pre) });
        assert_eq!(fx.call(F, "FltRegisterFilter", &[driver, bad, out]).unwrap(), STATUS_INVALID_PARAMETER);
        assert_eq!(fx.call(F, "FltRegisterFilter", &[0x1234, reg, out]).unwrap(), STATUS_INVALID_PARAMETER);
        for version in [0x0202u16, 0x0203] {
            let unload = code.returns(&mut fx, 0, 1);
            let reg = registration(&mut fx, &Reg { version, unload, ..simple(pre) });
            assert_eq!(fx.call(F, "FltRegisterFilter", &[driver, reg, out]).unwrap(), 0, "{arch:?} {version:#x}");
            let filter = fx.read_ptr(out);
            let f = fx.k.ext().flt.filters.get(&filter).expect("registered").clone();
            assert_eq!((f.altitude.as_str(), f.operations.len(), f.contexts.len()), ("370030", 1, 1));
            // The Filter Manager's routine is the driver's unload routine now.
            let routine = fx.k.mem().get(driver, DRIVER_OBJECT::DriverUnload).unwrap();
            assert_eq!(Some(routine), portcullis_hle::exports::internal::address(&fx.k, "FltpMiniFilterDriverUnload"));
            fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
        }
        assert!(fx.k.ext().flt.filters.is_empty());
    }
}

#[test]
fn start_filtering_attaches_an_instance_its_setup_routine_may_decline() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let declines = code.returns(&mut fx, STATUS_FLT_DO_NOT_ATTACH as u32, 4);
        let filter = register(&mut fx, driver, &Reg { setup: declines, ..simple(pre) });
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        assert!(fx.k.ext().flt.instances.is_empty(), "{arch:?}: declined");
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), STATUS_INVALID_DEVICE_STATE);
        assert_eq!(fx.call(F, "FltStartFiltering", &[0x40]).unwrap(), STATUS_INVALID_PARAMETER);
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();

        let counter = fx.alloc(8);
        let setup = code.counts(&mut fx, counter, 4);
        let start = code.counts(&mut fx, counter + 4, 2);
        let complete = code.counts(&mut fx, counter + 4, 2);
        let reg = Reg { setup, teardown_start: start, teardown_complete: complete, ..simple(pre) };
        let filter = register(&mut fx, driver, &reg);
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        assert_eq!(fx.k.ext().flt.instances.len(), 1);
        assert_eq!(fx.read(counter, 4), 1u32.to_le_bytes(), "{arch:?}: setup ran once");
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
        assert_eq!(fx.read(counter + 4, 4), 2u32.to_le_bytes(), "{arch:?}: teardown start and complete, once");
        assert!(fx.k.ext().flt.instances.is_empty());
    }
}

#[test]
fn a_pre_create_callback_decides_opens_on_the_volume() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"data".to_vec()));
        let denies = code.denies(&mut fx);
        let filter = register(&mut fx, driver, &simple(denies));
        // Registered but not started: nothing is filtered yet.
        let (st, h) = open(&mut fx, "\\??\\C:\\Dir\\File.txt");
        assert_eq!(st, 0, "{arch:?}");
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        assert_eq!(open(&mut fx, "\\??\\C:\\Dir\\File.txt").0, STATUS_ACCESS_DENIED, "{arch:?}: FLT_PREOP_COMPLETE");
        assert!(fx.k.ext().volume.open_files().is_empty(), "{arch:?}: the volume never saw it");
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
        assert_eq!(open(&mut fx, "\\??\\C:\\Dir\\File.txt").0, 0, "{arch:?}: unregistered");
    }
}

#[test]
fn stream_contexts_live_while_referenced_and_go_with_the_file() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"data".to_vec()));
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let counter = fx.alloc(4);
        let cleanup = code.counts(&mut fx, counter, 2);
        let filter = register(&mut fx, driver, &Reg { context_cleanup: cleanup, ..simple(pre) });
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let (st, h) = open(&mut fx, "\\??\\C:\\Dir\\File.txt");
        assert_eq!(st, 0);
        let (fo, inst) = (file_object(&fx), instance(&fx));
        let out = fx.alloc(8);
        let alloc =
            |fx: &mut Fx, size: u64| fx.call(F, "FltAllocateContext", &[filter, FLT_STREAM_CONTEXT, size, 0, out]);
        assert_eq!(alloc(&mut fx, 24).unwrap(), STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND, "{arch:?}: exact size");
        assert_eq!(alloc(&mut fx, 16).unwrap(), 0);
        let first = fx.read_ptr(out);
        assert_eq!(alloc(&mut fx, 16).unwrap(), 0);
        let second = fx.read_ptr(out);
        assert_eq!(fx.call(F, "FltGetStreamContext", &[inst, fo, out]).unwrap(), STATUS_NOT_FOUND);
        assert_eq!(fx.call(F, "FltSetStreamContext", &[inst, fo, 1, first, 0]).unwrap(), 0);
        let old = fx.alloc(8);
        assert_eq!(
            fx.call(F, "FltSetStreamContext", &[inst, fo, 1, second, old]).unwrap(),
            STATUS_FLT_CONTEXT_ALREADY_DEFINED
        );
        assert_eq!(fx.read_ptr(old), first, "{arch:?}: KEEP_IF_EXISTS returns the one there");
        fx.call(F, "FltReleaseContext", &[first]).unwrap(); // the reference `old` took
        fx.call(F, "FltReleaseContext", &[second]).unwrap(); // never attached: freed now
        assert_eq!(fx.read(counter, 4), 1u32.to_le_bytes(), "{arch:?}: cleanup of the unattached one");
        fx.call(F, "FltReleaseContext", &[first]).unwrap(); // the allocation's reference
        assert_eq!(fx.call(F, "FltGetStreamContext", &[inst, fo, out]).unwrap(), 0);
        assert_eq!(fx.read_ptr(out), first);
        fx.call(F, "FltReleaseContext", &[first]).unwrap();
        assert_eq!(fx.read(counter, 4), 1u32.to_le_bytes(), "{arch:?}: still attached");
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        assert_eq!(fx.read(counter, 4), 2u32.to_le_bytes(), "{arch:?}: the file's last close detached it");
        assert!(fx.k.ext().flt.contexts.is_empty());
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

#[test]
fn file_names_are_normalized_and_parse_into_their_parts() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.Txt", b"data".to_vec()));
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let filter = register(&mut fx, driver, &simple(pre));
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let (_, h) = open(&mut fx, "\\??\\C:\\dir\\file.txt");
        let (fo, inst) = (file_object(&fx), instance(&fx));
        let out = fx.alloc(8);
        let text = |fx: &Fx, at: u64| {
            let (len, _, buf) = fx.counted(at);
            String::from_utf16_lossy(
                &fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>(),
            )
        };
        let us = UNICODE_STRING::STRUCT.size(arch);
        // Name, Volume, Share, Extension, Stream, FinalComponent, ParentDir from offset 8.
        let field = |info: u64, i: u64| info + 8 + i * us;
        for (options, want) in
            [(0x101, "\\Device\\HarddiskVolume1\\Dir\\File.Txt"), (0x102, "\\Device\\HarddiskVolume1\\dir\\file.txt")]
        {
            assert_eq!(fx.call(F, "FltGetFileNameInformationUnsafe", &[fo, inst, options, out]).unwrap(), 0);
            let info = fx.read_ptr(out);
            assert_eq!(text(&fx, field(info, 0)), want, "{arch:?} {options:#x}");
            assert_eq!(text(&fx, field(info, 1)), "\\Device\\HarddiskVolume1");
            assert_eq!(fx.call(F, "FltParseFileNameInformation", &[info]).unwrap(), 0);
            let parts: Vec<String> = [3, 5, 6].iter().map(|i| text(&fx, field(info, *i))).collect();
            assert_eq!(parts[1], want.rsplit('\\').next().unwrap());
            assert_eq!(parts[0].to_ascii_lowercase(), "txt");
            assert_eq!(parts[2].to_ascii_lowercase(), "\\dir\\");
            fx.call(F, "FltReferenceFileNameInformation", &[info]).unwrap();
            fx.call(F, "FltReleaseFileNameInformation", &[info]).unwrap();
            assert_eq!(fx.k.ext().flt.names.len(), 1, "{arch:?}: one reference left");
            fx.call(F, "FltReleaseFileNameInformation", &[info]).unwrap();
            assert!(fx.k.ext().flt.names.is_empty());
        }
        assert_eq!(fx.call(F, "FltGetFileNameInformationUnsafe", &[fo, inst, 0x103, out]).unwrap(), 0);
        assert_eq!(text(&fx, field(fx.read_ptr(out), 0)), "FILE.TXT", "{arch:?}: short name");
        fx.call(F, "FltReleaseFileNameInformation", &[fx.read_ptr(out)]).unwrap();
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

#[test]
fn a_program_connects_to_a_port_within_its_limit_and_messages_reach_the_filter() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let filter = register(&mut fx, driver, &simple(pre));
        let sd = fx.alloc(8);
        assert_eq!(fx.call(F, "FltBuildDefaultSecurityDescriptor", &[sd, 0x1F_0001]).unwrap(), 0);
        let sd = fx.read_ptr(sd);
        assert_eq!(fx.call(NT, "RtlValidSecurityDescriptor", &[sd]).unwrap() & 0xFF, 1, "{arch:?}");
        let name = fx.ustr("\\TestPort");
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::SecurityDescriptor, sd).unwrap();
        let counter = fx.alloc(12);
        let connect = code.counts(&mut fx, counter, 5);
        let disconnect = code.counts(&mut fx, counter + 4, 1);
        let message = code.counts(&mut fx, counter + 8, 6);
        let port = fx.alloc(8);
        let args = [filter, port, oa, 0, connect, disconnect, message, 1];
        assert_eq!(fx.call(F, "FltCreateCommunicationPort", &args).unwrap(), 0);
        fx.call(F, "FltFreeSecurityDescriptor", &[sd]).unwrap();
        let server = fx.read_ptr(port);
        use portcullis_hle::flt::port;
        assert_eq!(
            port::connect(&mut fx.k, "\\NoSuchPort", &[], vec![]).unwrap(),
            Err(portcullis_hle::types::NtStatus(0xC000_0034))
        );
        let client = port::connect(&mut fx.k, "\\testport", b"ctx", b"ok".to_vec()).unwrap().expect("connected");
        assert_eq!(
            port::connect(&mut fx.k, "\\TestPort", &[], vec![]).unwrap(),
            Err(portcullis_hle::types::NtStatus(STATUS_CONNECTION_COUNT_LIMIT)),
            "{arch:?}: one connection"
        );
        let (st, out) = port::send(&mut fx.k, client, b"\x01", 8).unwrap();
        assert_eq!((st.0, out.len()), (0, 0));
        assert_eq!(fx.read(counter, 12), [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], "{arch:?}: connect and message");
        // The filter sends; the program's scripted reply comes back.
        let slot = fx.put(&client.to_le_bytes());
        let msg = fx.put(b"hi");
        let reply = fx.alloc(8);
        let reply_len = fx.put(&8u32.to_le_bytes());
        assert_eq!(fx.call(F, "FltSendMessage", &[filter, slot, msg, 2, reply, reply_len, 0]).unwrap(), 0);
        assert_eq!((fx.read(reply, 2), fx.read(reply_len, 4)), (b"ok".to_vec(), 2u32.to_le_bytes().to_vec()));
        assert_eq!(port::messages(&fx.k, client), vec![b"hi".to_vec()]);
        assert_eq!(port::disconnect(&mut fx.k, client).unwrap().0, 0);
        assert_eq!(fx.read(counter + 4, 4), 1u32.to_le_bytes(), "{arch:?}: disconnect notify");
        assert_eq!(
            fx.call(F, "FltSendMessage", &[filter, slot, msg, 2, 0, 0, 0]).unwrap(),
            0xC000_0037,
            "{arch:?}: disconnected"
        );
        fx.call(F, "FltCloseClientPort", &[filter, slot]).unwrap();
        assert_eq!(fx.read_ptr(slot), 0);
        fx.call(F, "FltCloseCommunicationPort", &[server]).unwrap();
        assert!(fx.k.ext().flt.ports.servers.is_empty() && fx.k.ext().flt.ports.clients.is_empty());
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

#[test]
fn push_locks_and_object_references() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let filter = register(&mut fx, driver, &simple(pre));
        let lock = fx.alloc(8);
        fx.call(F, "FltInitializePushLock", &[lock]).unwrap();
        fx.call(F, "FltAcquirePushLockExclusiveEx", &[lock, 0]).unwrap();
        assert_ne!(fx.read_ptr(lock), 0, "{arch:?}: held");
        fx.call(F, "FltReleasePushLockEx", &[lock, 0]).unwrap();
        assert_eq!(fx.read_ptr(lock), 0, "{arch:?}: released");
        fx.call(F, "FltAcquirePushLockSharedEx", &[lock, 0]).unwrap();
        fx.call(F, "FltReleasePushLockEx", &[lock, 0]).unwrap();
        fx.call(F, "FltDeletePushLock", &[lock]).unwrap();
        assert_eq!(fx.call(F, "FltObjectReference", &[filter]).unwrap(), 0);
        assert_eq!(fx.k.ext().flt.references.get(&filter), Some(&1));
        fx.call(F, "FltObjectDereference", &[filter]).unwrap();
        assert!(fx.k.ext().flt.references.is_empty());
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
        assert_eq!(fx.call(F, "FltObjectReference", &[filter]).unwrap(), 0xC01C_000B, "{arch:?}: gone");
    }
}

#[test]
fn filter_drivers_find_the_volume_under_a_file_and_its_drive_letter() {
    for arch in both() {
        let (mut fx, _driver, _code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"data".to_vec()));
        let (st, h) = open(&mut fx, "\\??\\C:\\Dir\\File.txt");
        assert_eq!(st, 0);
        let fo = file_object(&fx);
        let volume = fx.k.ext().volume.device_object();
        assert_eq!(fx.call(NT, "IoGetBaseFileSystemDeviceObject", &[fo]).unwrap(), volume, "{arch:?}");
        for name in ["IoVolumeDeviceToDosName", "RtlVolumeDeviceToDosName"] {
            let dos = fx.alloc(16);
            assert_eq!(fx.call(NT, name, &[volume, dos]).unwrap(), 0, "{arch:?} {name}");
            let (len, max, buf) = fx.counted(dos);
            assert_eq!((len, max), (4, 6));
            assert_eq!(fx.read(buf, 6), b"C\0:\0\0\0");
            assert_eq!(fx.call(NT, "ExFreePool", &[buf]).unwrap(), 0);
        }
        // A device that is no volume: what the mount manager's query answers.
        let dos = fx.alloc(16);
        let other = fx.k.ext().volume.device_object() ^ 0x1000;
        assert_eq!(fx.call(NT, "IoVolumeDeviceToDosName", &[other, dos]).unwrap(), 0xC000_0010);
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
    }
}

/// Opens `path` for reading and writing (FILE_OPEN_IF): (status, handle).
fn open_rw(fx: &mut Fx, path: &str) -> (u64, u64) {
    let name = fx.ustr(path);
    let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let iosb = fx.alloc(16);
    let mem = fx.k.mem_mut();
    mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
    let out = fx.alloc(8);
    let st = fx.call(NT, "ZwCreateFile", &[out, 0xC000_0000, oa, iosb, 0, 0x80, 7, 3, 0x20, 0, 0]).unwrap();
    (st, fx.read_ptr(out))
}

#[test]
fn a_filters_own_io_goes_only_below_its_instance() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"0123456789".to_vec()));
        let counter = fx.alloc(12);
        let pre_create = code.counts(&mut fx, counter, 3); // returns 0: SUCCESS_WITH_CALLBACK
        let pre_read = code.counts(&mut fx, counter + 4, 3);
        let (closes, pre_cleanup) = (fx.alloc(8), code.counts(&mut fx, counter + 8, 3));
        let pre_close = code.counts(&mut fx, closes, 3);
        let reg = Reg {
            more: vec![(3, pre_read, 0), (4, pre_read, 0), (0x12, pre_cleanup, 0), (2, pre_close, 0)],
            ..simple(pre_create)
        };
        let filter = register(&mut fx, driver, &reg);
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let (st, h) = open_rw(&mut fx, "\\??\\C:\\Dir\\File.txt");
        assert_eq!(st, 0);
        assert_eq!(fx.read(counter, 8), [1, 0, 0, 0, 0, 0, 0, 0], "{arch:?}: the open was seen");
        let (fo, inst) = (file_object(&fx), instance(&fx));
        let buf = fx.alloc(16);
        let n = fx.alloc(4);
        let at = fx.put(&2u64.to_le_bytes());
        assert_eq!(fx.call(F, "FltReadFile", &[inst, fo, at, 4, buf, 0, n, 0, 0]).unwrap(), 0, "{arch:?}");
        assert_eq!((fx.read(buf, 4), fx.read(n, 4)), (b"2345".to_vec(), 4u32.to_le_bytes().to_vec()));
        assert_eq!(fx.read(counter + 4, 4), [0, 0, 0, 0], "{arch:?}: the filter's own read skips it");
        // Asynchronous I/O is not offered.
        assert_eq!(fx.call(F, "FltReadFile", &[inst, fo, at, 4, buf, 0, n, 0x1234, 0]).unwrap(), 0xC000_00BB);
        let data = fx.put(b"AB");
        assert_eq!(fx.call(F, "FltWriteFile", &[inst, fo, at, 2, data, 4, n, 0, 0]).unwrap(), 0);
        // FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET: the position stays after the read
        // (at 6), and a read without ByteOffset starts there.
        assert_eq!(fx.call(F, "FltReadFile", &[inst, fo, 0, 10, buf, 0, n, 0, 0]).unwrap(), 0);
        assert_eq!(fx.read(buf, 4), b"6789", "{arch:?}");
        let start = fx.put(&0u64.to_le_bytes());
        assert_eq!(fx.call(F, "FltReadFile", &[inst, fo, start, 10, buf, 0, n, 0, 0]).unwrap(), 0);
        assert_eq!(fx.read(buf, 10), b"01AB456789", "{arch:?}");
        // FileStandardInformation: AllocationSize, EndOfFile, links, delete pending, directory.
        let info = fx.alloc(24);
        let len = fx.alloc(4);
        assert_eq!(fx.call(F, "FltQueryInformationFile", &[inst, fo, info, 24, 5, len]).unwrap(), 0);
        assert_eq!(
            (fx.read(info + 8, 8), fx.read(len, 4)),
            (10u64.to_le_bytes().to_vec(), 24u32.to_le_bytes().to_vec())
        );
        let eof = fx.put(&4u64.to_le_bytes());
        assert_eq!(
            fx.call(F, "FltSetInformationFile", &[inst, fo, eof, 8, 20]).unwrap(),
            0,
            "{arch:?}: FileEndOfFileInformation"
        );
        assert_eq!(fx.k.ext().volume.node(fx.k.ext().volume.find("\\Dir\\File.txt").unwrap()).data, b"01AB");
        let dir = fx.alloc(1);
        assert_eq!(fx.call(F, "FltIsDirectory", &[fo, inst, dir]).unwrap(), 0);
        assert_eq!(fx.read(dir, 1), [0]);
        assert_eq!(fx.call(F, "FltFlushBuffers", &[inst, fo]).unwrap(), 0);
        // Callback data the filter fills: a read of 2 bytes at 1.
        let out = fx.alloc(8);
        assert_eq!(fx.call(F, "FltAllocateCallbackData", &[inst, fo, out]).unwrap(), 0);
        let cbd = fx.read_ptr(out);
        let x64 = arch == Arch::X64;
        let iopb = fx.read_ptr(cbd + if x64 { 16 } else { 8 });
        let params = iopb + if x64 { 24 } else { 16 };
        fx.k.mem_mut().write(iopb + 4, &[3]).unwrap();
        fx.k.mem_mut().write_u32(params, 2).unwrap();
        fx.k.mem_mut().write_u64(params + if x64 { 16 } else { 8 }, 1).unwrap();
        fx.k.mem_mut().write_ptr(params + if x64 { 24 } else { 16 }, buf).unwrap();
        fx.call(F, "FltPerformSynchronousIo", &[cbd]).unwrap();
        let io = cbd + if x64 { 24 } else { 12 };
        assert_eq!((fx.read(io, 4), fx.read(buf, 2)), (vec![0, 0, 0, 0], b"1A".to_vec()), "{arch:?}");
        fx.call(F, "FltFreeCallbackData", &[cbd]).unwrap();
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        assert_eq!(fx.read(counter + 4, 4), [0, 0, 0, 0]);
        let cleanups_closes = |fx: &Fx| (fx.read(counter + 8, 4), fx.read(closes, 4));
        assert_eq!(cleanups_closes(&fx), (vec![1, 0, 0, 0], vec![1, 0, 0, 0]), "{arch:?}: the program's close");
        // FltCreateFile with an instance: the filter's pre-create does not see it.
        let name = fx.ustr("\\??\\C:\\Dir\\File.txt");
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
        let iosb = fx.alloc(16);
        let (hout, foout) = (fx.alloc(8), fx.alloc(8));
        let args = [filter, inst, hout, foout, 0x8000_0000, oa, iosb, 0, 0x80, 7, 1, 0x20, 0, 0, 0];
        assert_eq!(fx.call(F, "FltCreateFileEx", &args).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read(counter, 4), 1u32.to_le_bytes(), "{arch:?}: below the instance");
        assert_eq!(fx.read_ptr(foout), file_object(&fx));
        let refs = |fx: &Fx| fx.k.ext().objects.get(fx.read_ptr(foout)).map(|o| o.references);
        let before = refs(&fx).expect("the file object");
        fx.call(NT, "ObfDereferenceObject", &[fx.read_ptr(foout)]).unwrap();
        assert_eq!(refs(&fx), Some(before - 1), "{arch:?}: FltCreateFileEx referenced it");
        assert_eq!(fx.call(F, "FltClose", &[fx.read_ptr(hout)]).unwrap(), 0);
        // Its cleanup and close went below the instance too.
        assert_eq!(cleanups_closes(&fx), (vec![1, 0, 0, 0], vec![1, 0, 0, 0]), "{arch:?}: targeted file object");
        let args = [filter, 0, hout, 0x8000_0000, oa, iosb, 0, 0x80, 7, 1, 0x20, 0, 0, 0];
        assert_eq!(fx.call(F, "FltCreateFile", &args).unwrap(), 0);
        assert_eq!(fx.read(counter, 4), 2u32.to_le_bytes(), "{arch:?}: no instance: every filter sees it");
        assert_eq!(fx.call(F, "FltClose", &[fx.read_ptr(hout)]).unwrap(), 0);
        assert_eq!(cleanups_closes(&fx), (vec![2, 0, 0, 0], vec![2, 0, 0, 0]), "{arch:?}: and its close");
        // Extended attributes: checked first (a malformed list: its bad entry's offset), then
        // refused by the volume, which keeps none; no filter sees either create.
        let mut list = vec![12, 0, 0, 0, 0, 1, 1, 0, b'A', 0, 7, 0, 0, 0, 0, 0, 0, 1, 0, 0, b'B', 0];
        let ea = fx.put(&list);
        let args = [filter, 0, hout, 0x8000_0000, oa, iosb, 0, 0x80, 7, 1, 0x20, ea, list.len() as u64, 0];
        assert_eq!(fx.call(F, "FltCreateFile", &args).unwrap(), 0xC000_004F, "{arch:?}: STATUS_EAS_NOT_SUPPORTED");
        list[21] = b'x'; // the second name's NUL
        let ea = fx.put(&list);
        let args = [filter, 0, hout, 0x8000_0000, oa, iosb, 0, 0x80, 7, 1, 0x20, ea, list.len() as u64, 0];
        assert_eq!(fx.call(F, "FltCreateFile", &args).unwrap(), 0x8000_0014, "{arch:?}: STATUS_EA_LIST_INCONSISTENT");
        assert_eq!(fx.k.mem().get(iosb, IO_STATUS_BLOCK::Information).unwrap(), 12, "{arch:?}: the second entry");
        assert_eq!(fx.read(counter, 4), 2u32.to_le_bytes(), "{arch:?}: no filter saw them");
        assert!(fx.k.ext().volume.open_files().is_empty());
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

#[test]
fn the_volume_its_disk_and_instances_are_found_and_referenced() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"x".to_vec()));
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let filter = register(&mut fx, driver, &simple(pre));
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let (_, h) = open(&mut fx, "\\??\\C:\\Dir\\File.txt");
        let (fo, inst) = (file_object(&fx), instance(&fx));
        let out = fx.alloc(8);
        assert_eq!(fx.call(F, "FltGetVolumeFromFileObject", &[filter, fo, out]).unwrap(), 0);
        let volume = fx.read_ptr(out);
        assert_eq!(portcullis_hle::flt::volumes::references(&fx.k, volume), 1);
        fx.call(F, "FltObjectDereference", &[volume]).unwrap();
        let name = fx.ustr("C:");
        assert_eq!(fx.call(F, "FltGetVolumeFromName", &[filter, name, out]).unwrap(), 0);
        assert_eq!(fx.read_ptr(out), volume);
        fx.call(F, "FltObjectDereference", &[volume]).unwrap();
        assert_eq!(fx.call(F, "FltGetDeviceObject", &[volume, out]).unwrap(), 0);
        assert_eq!(fx.read_ptr(out), fx.k.ext().volume.device_object(), "{arch:?}");
        fx.call(NT, "ObfDereferenceObject", &[fx.read_ptr(out)]).unwrap();
        assert_eq!(fx.call(F, "FltGetDiskDeviceObject", &[volume, out]).unwrap(), 0);
        let disk = fx.read_ptr(out);
        let o = fx.k.ext().objects.get(disk).expect("an object").clone();
        assert_eq!(o.name.as_deref(), Some("\\Device\\Harddisk0\\DR0"), "{arch:?}");
        fx.call(NT, "ObfDereferenceObject", &[disk]).unwrap();
        let guid_buffer = fx.alloc(200);
        let guid = fx.ustring(0, 200, guid_buffer);
        let needed = fx.alloc(4);
        assert_eq!(fx.call(F, "FltGetVolumeGuidName", &[volume, guid, needed]).unwrap(), 0);
        assert_eq!(fx.read(needed, 4), (portcullis_hle::flt::volumes::VOLUME_GUID_NAME.len() as u32 * 2).to_le_bytes());
        assert_eq!(fx.call(F, "FltGetBottomInstance", &[volume, out]).unwrap(), 0);
        assert_eq!(fx.read_ptr(out), inst);
        fx.call(F, "FltObjectDereference", &[inst]).unwrap();
        let list = fx.alloc(16);
        let count = fx.alloc(4);
        assert_eq!(fx.call(F, "FltEnumerateInstances", &[volume, filter, list, 0, count]).unwrap(), 0xC000_0023);
        assert_eq!(fx.read(count, 4), 1u32.to_le_bytes(), "{arch:?}: the count needed");
        assert_eq!(fx.call(F, "FltEnumerateInstances", &[volume, filter, list, 2, count]).unwrap(), 0);
        assert_eq!(fx.read_ptr(list), inst);
        fx.call(F, "FltObjectDereference", &[inst]).unwrap();
        assert_eq!(fx.call(F, "FltEnumerateFilters", &[list, 2, count]).unwrap(), 0);
        assert_eq!((fx.read_ptr(list), fx.read(count, 4)), (filter, 1u32.to_le_bytes().to_vec()));
        fx.call(F, "FltObjectDereference", &[filter]).unwrap();
        assert!(fx.k.ext().flt.references.is_empty(), "{arch:?}: every reference dropped");
        // A rename target in the file's directory, and one off the volume.
        let target = fx.wstr("New.txt");
        assert_eq!(
            fx.call(F, "FltGetDestinationFileNameInformation", &[inst, fo, 0, target, 14, 0x101, out]).unwrap(),
            0
        );
        let info = fx.read_ptr(out);
        let (len, _, buf) = fx.counted(info + 8);
        let text: Vec<u16> = fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16_lossy(&text), "\\Device\\HarddiskVolume1\\Dir\\New.txt", "{arch:?}");
        fx.call(F, "FltReleaseFileNameInformation", &[info]).unwrap();
        let far = fx.wstr("\\??\\D:\\x");
        assert_eq!(
            fx.call(F, "FltGetDestinationFileNameInformation", &[inst, fo, 0, far, 14, 0x101, out]).unwrap(),
            0xC000_00D4
        );
        assert_eq!(fx.call(F, "FltGetTunneledName", &[0, 0, out]).unwrap(), 0);
        assert_eq!(fx.read_ptr(out), 0);
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

#[test]
fn unloading_asks_the_filter_which_may_refuse_and_stay_loaded() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let refuses = code.returns(&mut fx, 0xC000_0001, 1);
        let filter = register(&mut fx, driver, &Reg { unload: refuses, ..simple(pre) });
        let u = portcullis_hle::driver::unload(&mut fx.k, 0).unwrap();
        assert!(u.routine_called, "{arch:?}");
        assert_eq!(u.refused, Some(portcullis_hle::types::NtStatus(0xC000_0001)), "{arch:?}");
        assert!(!fx.k.ext().drivers()[0].unloaded, "{arch:?}: still loaded");
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
        // A filter whose unload routine agrees but never unregisters: the registration leaks.
        let counter = fx.alloc(4);
        let agrees = code.counts(&mut fx, counter, 1);
        register(&mut fx, driver, &Reg { unload: agrees, ..simple(pre) });
        let u = portcullis_hle::driver::unload(&mut fx.k, 0).unwrap();
        assert_eq!((u.refused, fx.read(counter, 4)), (None, 1u32.to_le_bytes().to_vec()), "{arch:?}");
        assert!(
            u.leaks.registrations.iter().any(|r| r.kind == "FltRegisterFilter"),
            "{arch:?}: {:?}",
            u.leaks.registrations
        );
    }
}

#[test]
fn set_information_goes_through_the_filters_too() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"0123456789".to_vec()));
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let denies = code.denies(&mut fx);
        let counter = fx.alloc(4);
        let post_query = code.counts(&mut fx, counter, 4);
        let reg = Reg { more: vec![(6, denies, 0), (5, 0, post_query)], ..simple(pre) };
        let filter = register(&mut fx, driver, &reg);
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let (_, h) = open_rw(&mut fx, "\\??\\C:\\Dir\\File.txt");
        let iosb = fx.alloc(16);
        let eof = fx.put(&4u64.to_le_bytes());
        // FileEndOfFileInformation: the pre-operation callback refuses it.
        assert_eq!(
            fx.call(NT, "ZwSetInformationFile", &[h, iosb, eof, 8, 20]).unwrap(),
            STATUS_ACCESS_DENIED,
            "{arch:?}"
        );
        assert_eq!(fx.read(iosb, 4), (STATUS_ACCESS_DENIED as u32).to_le_bytes());
        let node = fx.k.ext().volume.find("\\Dir\\File.txt").unwrap();
        assert_eq!(fx.k.ext().volume.node(node).data.len(), 10, "{arch:?}: unchanged");
        // FileStandardInformation: answered by the volume, seen by the post-operation callback.
        let info = fx.alloc(24);
        assert_eq!(fx.call(NT, "ZwQueryInformationFile", &[h, iosb, info, 24, 5]).unwrap(), 0);
        assert_eq!(fx.read(info + 8, 8), 10u64.to_le_bytes(), "{arch:?}");
        assert_eq!(fx.read(counter, 4), 1u32.to_le_bytes(), "{arch:?}: post-query ran");
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

#[test]
fn filter_information_and_volume_properties() {
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        let pre = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let filter = register(&mut fx, driver, &simple(pre));
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let name: Vec<u8> = fx.k.ext().flt.filters[&filter].name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let (buf, ret) = (fx.alloc(0x100), fx.alloc(4));
        // FilterFullInformation: NextEntryOffset, FrameID, NumberOfInstances, the name.
        assert_eq!(fx.call(F, "FltGetFilterInformation", &[filter, 0, buf, 4, ret]).unwrap(), 0xC000_0023);
        let need = 14 + name.len();
        assert_eq!(fx.read(ret, 4), (need as u32).to_le_bytes(), "{arch:?}");
        assert_eq!(fx.call(F, "FltGetFilterInformation", &[filter, 0, buf, 0x100, ret]).unwrap(), 0);
        assert_eq!(fx.read(buf + 8, 4), [1, 0, 0, 0], "one instance");
        assert_eq!(fx.read(buf + 12, 2), (name.len() as u16).to_le_bytes());
        assert_eq!(fx.read(buf + 14, name.len()), name);
        // FilterAggregateBasicInformation: the altitude after the name, by offsets.
        assert_eq!(fx.call(F, "FltGetFilterInformation", &[filter, 1, buf, 0x100, ret]).unwrap(), 0);
        assert_eq!(fx.read(buf + 4, 4), [1, 0, 0, 0], "FLTFL_IASI_IS_MINIFILTER");
        let word = |fx: &Fx, at: u64| u16::from_le_bytes(fx.read(at, 2).try_into().unwrap()) as u64;
        let (alt_len, alt_at) = (word(&fx, buf + 20), word(&fx, buf + 22));
        assert_eq!(fx.read(buf + alt_at, alt_len as usize), b"3\x007\x000\x000\x003\x000\x00");
        assert_eq!(
            fx.call(F, "FltGetFilterInformation", &[filter, 7, buf, 0x100, ret]).unwrap(),
            STATUS_INVALID_PARAMETER
        );

        // FltGetVolumeProperties: the disk's type, then the names after the structure.
        let (volume_out, h) = (fx.alloc(8), fx.ustr("C:"));
        assert_eq!(fx.call(F, "FltGetVolumeFromName", &[filter, h, volume_out]).unwrap(), 0);
        let volume = fx.read_ptr(volume_out);
        let props = fx.alloc(0x200);
        assert_eq!(fx.call(F, "FltGetVolumeProperties", &[volume, props, 8, ret]).unwrap(), 0xC000_0023);
        let fixed: u64 = if arch == Arch::X86 { 44 } else { 72 };
        let names = ["\\FileSystem\\Ntfs", "\\Ntfs", "\\Device\\HarddiskVolume1"];
        let total = fixed + names.iter().map(|n| 2 * n.len() as u64).sum::<u64>();
        assert_eq!(fx.read(ret, 4), (total as u32).to_le_bytes(), "{arch:?}");
        assert_eq!(fx.call(F, "FltGetVolumeProperties", &[volume, props, fixed + 40, ret]).unwrap(), 0x8000_0005);
        assert_eq!(fx.call(F, "FltGetVolumeProperties", &[volume, props, 0x200, ret]).unwrap(), 0);
        assert_eq!(fx.read(props, 4), [7, 0, 0, 0], "FILE_DEVICE_DISK");
        assert_eq!(fx.read(props + 16, 2), 512u16.to_le_bytes());
        let us = if arch == Arch::X86 { 8 } else { 16 };
        let (len, _, buffer) = fx.counted(props + fixed - us);
        assert_eq!(
            fx.read(buffer, len as usize),
            names[2].encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<_>>()
        );
        assert_eq!(
            fx.call(F, "FltGetVolumeProperties", &[filter, props, 0x200, ret]).unwrap(),
            STATUS_INVALID_PARAMETER
        );
        fx.call(F, "FltObjectDereference", &[volume]).unwrap();
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}

/// Callback data of a read of `length` bytes into `buffer`, filled as a filter fills what
/// FltAllocateCallbackData gave: (callback data, its FLT_PARAMETERS).
fn read_data(fx: &mut Fx, inst: u64, fo: u64, major: u8, length: u32, buffer: u64) -> (u64, u64) {
    let out = fx.alloc(8);
    assert_eq!(fx.call(F, "FltAllocateCallbackData", &[inst, fo, out]).unwrap(), 0);
    let cbd = fx.read_ptr(out);
    let x64 = fx.arch == Arch::X64;
    let iopb = fx.read_ptr(cbd + if x64 { 16 } else { 8 });
    let params = iopb + if x64 { 24 } else { 16 };
    fx.k.mem_mut().write(iopb + 4, &[major]).unwrap();
    fx.k.mem_mut().write_u32(params, length).unwrap();
    fx.k.mem_mut().write_ptr(params + if x64 { 24 } else { 16 }, buffer).unwrap();
    (cbd, params)
}

#[test]
fn a_user_buffer_is_locked_in_an_mdl_the_filter_manager_frees() {
    const STATUS_ACCESS_VIOLATION: u64 = 0xC000_0005;
    const STATUS_INSUFFICIENT_RESOURCES: u64 = 0xC000_009A;
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"0123456789".to_vec()));
        let pre_create = code.returns(&mut fx, FLT_PREOP_SUCCESS_NO_CALLBACK, 3);
        let filter = register(&mut fx, driver, &simple(pre_create));
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let (st, h) = open(&mut fx, "\\??\\C:\\Dir\\File.txt");
        assert_eq!(st, 0);
        let (fo, inst) = (file_object(&fx), instance(&fx));
        let x64 = arch == Arch::X64;
        let mdl_at = |params: u64| params + if x64 { 32 } else { 20 };
        let buf = fx.alloc(0x2000);
        let (cbd, params) = read_data(&mut fx, inst, fo, 3, 0x1800, buf + 0x10);
        assert_eq!(fx.call(F, "FltLockUserBuffer", &[cbd]).unwrap(), 0, "{arch:?}");
        let mdl = fx.read_ptr(mdl_at(params));
        assert_ne!(mdl, 0);
        assert_eq!(fx.call(F, "FltLockUserBuffer", &[cbd]).unwrap(), 0, "already locked");
        assert_eq!(fx.read_ptr(mdl_at(params)), mdl, "the same MDL");
        assert_eq!(fx.k.mem().get(mdl, MDL::ByteCount).unwrap(), 0x1800);
        assert_eq!(fx.k.mem().get(mdl, MDL::MdlFlags).unwrap() & 0x2, 0x2, "MDL_PAGES_LOCKED");
        // Mapped to system space, it is the buffer.
        let va = fx.call(NT, "MmMapLockedPagesSpecifyCache", &[mdl, 0, 1, 0, 0, 16]).unwrap();
        assert_ne!(va, 0, "{arch:?}");
        fx.k.mem_mut().write(va + 0x7F0, b"via the MDL").unwrap();
        assert_eq!(fx.read(buf + 0x800, 11), b"via the MDL");
        fx.call(F, "FltFreeCallbackData", &[cbd]).unwrap();
        assert!(fx.k.ext().flt.locked_buffers.is_empty(), "{arch:?}: freed with the callback data");

        // What cannot be locked.
        let ro = fx.k.mem_mut().alloc(RegionKind::System, "read-only", 0x1000, Prot::R).unwrap();
        let cases = [
            (3, 16, ro, STATUS_ACCESS_VIOLATION, "a read into read-only pages"),
            (4, 16, ro, 0, "a write from them"),
            (3, 16, 0x1000, STATUS_ACCESS_VIOLATION, "unmapped"),
            (3, 0, buf, STATUS_INSUFFICIENT_RESOURCES, "nothing to describe"),
            (0, 16, buf, STATUS_INVALID_PARAMETER, "a create has no buffer"),
        ];
        for (major, len, at, want, why) in cases {
            let (cbd, _) = read_data(&mut fx, inst, fo, major, len, at);
            assert_eq!(fx.call(F, "FltLockUserBuffer", &[cbd]).unwrap(), want, "{arch:?}: {why}");
            fx.call(F, "FltFreeCallbackData", &[cbd]).unwrap();
        }
        // A user-mode request's buffer must be in user space.
        let (cbd, _) = read_data(&mut fx, inst, fo, 3, 16, buf);
        fx.k.mem_mut().write(cbd + if x64 { 80 } else { 40 }, &[1]).unwrap();
        assert_eq!(fx.call(F, "FltLockUserBuffer", &[cbd]).unwrap(), STATUS_ACCESS_VIOLATION, "{arch:?}");
        fx.call(F, "FltFreeCallbackData", &[cbd]).unwrap();
        assert!(fx.k.ext().flt.locked_buffers.is_empty());
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
    }
}

#[test]
fn completion_processing_runs_at_once_when_safe_and_never_for_fast_io_or_draining() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let log = fx.alloc(64);
        let safe = common::guest::routine(&mut fx, 4, |a, _| {
            a.inc(log).store_param(0, log + 8).store_param(1, log + 16).store_param(2, log + 24);
            a.store_param(3, log + 32).value(0x0000_0001);
        });
        let x64 = arch == Arch::X64;
        let data = fx.alloc(if x64 { 88 } else { 44 });
        fx.k.mem_mut().write_u32(data, 0x1).unwrap(); // FLTFL_CALLBACK_DATA_IRP_OPERATION
        let ret = fx.alloc(4);
        let call = |fx: &mut Fx, flags: u64| {
            fx.k.mem_mut().write_u32(ret, 0xEEEE).unwrap();
            fx.call(F, "FltDoCompletionProcessingWhenSafe", &[data, 0x5150, 0xC0C0, flags, safe, ret]).unwrap() & 0xFF
        };
        assert_eq!(call(&mut fx, 0), 1, "{arch:?}: at PASSIVE_LEVEL it runs now");
        assert_eq!(fx.read(log, 4), 1u32.to_le_bytes());
        let p = |fx: &Fx, i: u64| fx.read_ptr(log + 8 * i) & if x64 { u64::MAX } else { 0xFFFF_FFFF };
        assert_eq!((p(&fx, 1), p(&fx, 2), p(&fx, 3), p(&fx, 4) & 0xFFFF_FFFF), (data, 0x5150, 0xC0C0, 0));
        assert_eq!(fx.read(ret, 4), 1u32.to_le_bytes(), "its status is returned");
        // Draining: not called, FLT_POSTOP_FINISHED_PROCESSING.
        assert_eq!(call(&mut fx, 1), 0);
        assert_eq!((fx.read(log, 4), fx.read(ret, 4)), (1u32.to_le_bytes().to_vec(), vec![0; 4]));
        // Above APC_LEVEL nothing is posted: FALSE.
        let old = common::guest::call(&mut fx, "KeRaiseIrqlToDpcLevel", &[]).unwrap();
        assert_eq!(call(&mut fx, 0), 0, "{arch:?}: at DISPATCH_LEVEL");
        common::guest::call(&mut fx, "KeLowerIrql", &[old]).unwrap();
        // Fast I/O is no IRP operation.
        fx.k.mem_mut().write_u32(data, 0x2).unwrap();
        assert_eq!(call(&mut fx, 0), 0);
        assert_eq!(fx.read(log, 4), 1u32.to_le_bytes(), "{arch:?}: called once in all");
    }
}

#[test]
fn a_name_control_grows_keeping_its_name() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let first = fx.put(&"\\Dir".encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>());
        let control = fx.ustring(8, 8, first);
        assert_eq!(fx.call(F, "FltCheckAndGrowNameControl", &[control, 8]).unwrap(), 0, "{arch:?}: big enough");
        assert_eq!(fx.counted(control), (8, 8, first));
        assert_eq!(fx.call(F, "FltCheckAndGrowNameControl", &[control, 64]).unwrap(), 0);
        let (len, max, grown) = fx.counted(control);
        assert_eq!((len, max), (8, 64), "{arch:?}");
        assert_ne!(grown, first);
        assert_eq!(fx.read(grown, 8), fx.read(first, 8), "the name kept");
        assert!(fx.k.ext().pool.block(grown).is_some(), "from pool");
        // Growing again frees the Filter Manager's own buffer, never the caller's.
        assert_eq!(fx.call(F, "FltCheckAndGrowNameControl", &[control, 200]).unwrap(), 0);
        let (len, max, again) = fx.counted(control);
        assert_eq!((len, max), (8, 200));
        assert_eq!(fx.read(again, 8), fx.read(first, 8), "{arch:?}");
        assert!(fx.k.ext().pool.block(grown).is_none(), "{arch:?}: the replaced buffer was freed");
    }
}

#[test]
fn the_requestor_of_a_programs_file_operation_is_the_programs_thread() {
    use portcullis_hle::io::request;
    for arch in both() {
        let (mut fx, driver, mut code) = driver(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "C:\\Dir\\File.txt", b"0123".to_vec()));
        // A pre-create and pre-write callback keeping Data->Thread.
        let slot = fx.alloc(8);
        let keeps = if arch == Arch::X64 {
            let mut b = vec![0x48, 0x8B, 0x41, 0x08, 0x49, 0xB8]; // mov rax, [rcx+8]; mov r8, imm64
            b.extend(slot.to_le_bytes());
            b.extend([0x49, 0x89, 0x00, 0x31, 0xC0, 0xC3]); // mov [r8], rax; xor eax, eax; ret
            b
        } else {
            let mut b = vec![0x8B, 0x4C, 0x24, 0x04, 0x8B, 0x41, 0x04, 0xA3]; // mov ecx, [esp+4]; mov eax, [ecx+4]; mov [imm32], eax
            b.extend((slot as u32).to_le_bytes());
            b.extend([0x31, 0xC0, 0xC2, 0x0C, 0x00]); // xor eax, eax; ret 12
            b
        };
        let keeps = code.put(&mut fx, &keeps);
        let reg = Reg { more: vec![(4, keeps, 0)], ..simple(keeps) };
        let filter = register(&mut fx, driver, &reg);
        assert_eq!(fx.call(F, "FltStartFiltering", &[filter]).unwrap(), 0);
        let program = fx.k.ext().system.user_thread;
        let (opened, _) = request::open_with(&mut fx.k, "C:\\Dir\\File.txt", 0xC000_0000).unwrap();
        let h = opened.expect("opened");
        assert_eq!(fx.read_ptr(slot), program, "{arch:?}: the open's requestor");
        fx.k.mem_mut().write_ptr(slot, 0).unwrap();
        request::write(&mut fx.k, h, b"ab", 0).unwrap();
        assert_eq!(fx.read_ptr(slot), program, "{arch:?}: the write's requestor");
        let process = fx.call(NT, "PsGetThreadProcess", &[program]).unwrap();
        assert_ne!(process, fx.call(NT, "PsGetCurrentProcess", &[]).unwrap(), "{arch:?}: not the system's");
        request::close(&mut fx.k, h).unwrap();
        fx.call(F, "FltUnregisterFilter", &[filter]).unwrap();
    }
}
