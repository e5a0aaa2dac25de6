//! KMDF: binding through wdfldr.sys and the framework's function table, called through its
//! real entries on both architectures (guest-memory fixture), and requests end to end
//! through the I/O manager.

#[allow(unused_imports)]
mod common;

use common::fx::Fx;
use common::guest::{routine, Asm, Param, K};
use common::{both, request, status, Arch, KernelStop, OutBuffer, Stop};
use portcullis_emu::CallConv;
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_OBJECT, IRP};
use portcullis_hle::wdf::layout::{
    WDF_DPC_CONFIG, WDF_DRIVER_CONFIG, WDF_DRIVER_GLOBALS, WDF_FILEOBJECT_CONFIG, WDF_IO_QUEUE_CONFIG,
    WDF_OBJECT_ATTRIBUTES, WDF_OBJECT_CONTEXT_TYPE_INFO, WDF_PNPPOWER_EVENT_CALLBACKS, WDF_TIMER_CONFIG,
};
use portcullis_hle::wdf::names::NAMES;

/// A driver bound to the framework: its globals and its copy of `WdfFunctions`.
struct Bound {
    fx: Fx,
    driver_object: u64,
    registry: u64,
    globals: u64,
    /// Where `WdfFunctions` points (the table entries).
    table: u64,
}

fn index(name: &str) -> u64 {
    NAMES.iter().position(|n| *n == name).unwrap_or_else(|| panic!("{name} is not a WDF function")) as u64
}

fn bind_info(fx: &mut Fx, count: u32, func_table: u64) -> u64 {
    let ps = fx.arch.ptr_size();
    let info = fx.alloc(0x30);
    let component = fx.wstr("KmdfLibrary");
    let m = fx.k.mem_mut();
    m.write_u32(info, if ps == 8 { 0x30 } else { 0x20 }).unwrap();
    m.write_ptr(info + ps, component).unwrap();
    m.write_u32(info + 2 * ps, 1).unwrap();
    m.write_u32(info + 2 * ps + 4, 15).unwrap();
    m.write_u32(info + 2 * ps + 8, 0).unwrap();
    m.write_u32(info + 2 * ps + 12, count).unwrap();
    m.write_ptr(info + 2 * ps + 16, func_table).unwrap();
    info
}

fn bind(arch: Arch, count: u32) -> Bound {
    let (mut fx, driver_object) = Fx::with_driver(arch);
    let ps = arch.ptr_size();
    let functions = fx.alloc(count as u64 * ps);
    let info = bind_info(&mut fx, count, functions);
    let registry = fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\KmdfTest");
    let out = fx.alloc(8);
    let st = fx.call(Dll::Wdfldr, "WdfVersionBind", &[driver_object, registry, info, out]).unwrap();
    assert_eq!(st, 0, "WdfVersionBind on {arch:?}");
    let globals = fx.read_ptr(out);
    let table = if count <= 438 { functions } else { fx.read_ptr(functions) };
    Bound { fx, driver_object, registry, globals, table }
}

impl Bound {
    fn entry(&self, name: &str) -> u64 {
        self.fx.read_ptr(self.table + index(name) * self.fx.arch.ptr_size())
    }

    fn wdf(&mut self, name: &str, args: &[u64]) -> Result<u64, Stop<KernelStop>> {
        let at = self.entry(name);
        let mut all = vec![self.globals];
        all.extend_from_slice(args);
        // wdfobject.h declares the two context lookups FASTCALL; everything else is stdcall.
        let fastcall = matches!(name, "WdfObjectGetTypedContextWorker" | "WdfObjectContextGetObject");
        let conv = if fastcall { CallConv::Fastcall } else { CallConv::Stdcall };
        let (r, popped) = self.fx.call_at(at, conv.for_arch(self.fx.arch), &all)?;
        if self.fx.arch == Arch::X86 {
            let on_stack = if fastcall { all.len().saturating_sub(2) } else { all.len() };
            assert_eq!(popped, on_stack as u64 * 4, "{name} pops its stack arguments");
        }
        Ok(r)
    }

    fn ok(&mut self, name: &str, args: &[u64]) -> u64 {
        self.wdf(name, args).unwrap_or_else(|e| panic!("{name}: {e:?}"))
    }

    fn attributes(&mut self, type_info: u64) -> u64 {
        let a = self.fx.alloc(0x38);
        let m = self.fx.k.mem_mut();
        m.write_u32(a, WDF_OBJECT_ATTRIBUTES::STRUCT.size(self.fx.arch) as u32).unwrap();
        m.set(a, WDF_OBJECT_ATTRIBUTES::ContextTypeInfo, type_info).unwrap();
        a
    }

    fn type_info(&mut self, size: u64) -> u64 {
        let t = self.fx.alloc(0x28);
        let name = self.fx.cstr("CONTEXT");
        let m = self.fx.k.mem_mut();
        m.write_u32(t, WDF_OBJECT_CONTEXT_TYPE_INFO::STRUCT.size(self.fx.arch) as u32).unwrap();
        m.set(t, WDF_OBJECT_CONTEXT_TYPE_INFO::ContextName, name).unwrap();
        m.set(t, WDF_OBJECT_CONTEXT_TYPE_INFO::ContextSize, size).unwrap();
        m.set(t, WDF_OBJECT_CONTEXT_TYPE_INFO::UniqueType, t).unwrap();
        t
    }

    /// WdfDriverCreate for a non-PnP driver: the WDFDRIVER.
    fn driver(&mut self) -> u64 {
        let config = self.fx.alloc(0x20);
        let ps = self.fx.arch.ptr_size();
        self.fx.k.mem_mut().write_u32(config, if ps == 8 { 0x20 } else { 0x14 }).unwrap();
        self.fx.k.mem_mut().write_u32(config + 3 * ps, 1).unwrap(); // WdfDriverInitNonPnpDriver
        let out = self.fx.alloc(8);
        let (d, r) = (self.driver_object, self.registry);
        assert_eq!(self.ok("WdfDriverCreate", &[d, r, 0, config, out]), 0);
        self.fx.read_ptr(out)
    }

    /// A named control device: (WDFDEVICE, DEVICE_OBJECT).
    fn control_device(&mut self, driver: u64, name: &str) -> (u64, u64) {
        let sddl = self.fx.ustr("D:P(A;;GA;;;SY)(A;;GA;;;BA)");
        let init = self.ok("WdfControlDeviceInitAllocate", &[driver, sddl]);
        assert_ne!(init, 0);
        let n = self.fx.ustr(name);
        assert_eq!(self.ok("WdfDeviceInitAssignName", &[init, n]), 0);
        self.ok("WdfDeviceInitSetDeviceType", &[init, 0x8000]);
        self.ok("WdfDeviceInitSetIoType", &[init, 2]);
        self.ok("WdfDeviceInitSetExclusive", &[init, 0]);
        self.ok("WdfDeviceInitSetCharacteristics", &[init, 0x100, 1]);
        let pinit = self.fx.alloc(8);
        self.fx.k.mem_mut().write_ptr(pinit, init).unwrap();
        let out = self.fx.alloc(8);
        assert_eq!(self.ok("WdfDeviceCreate", &[pinit, 0, out]), 0);
        assert_eq!(self.fx.read_ptr(pinit), 0, "the framework takes the DeviceInit");
        let device = self.fx.read_ptr(out);
        let wdm = self.ok("WdfDeviceWdmGetDeviceObject", &[device]);
        (device, wdm)
    }

    fn queue(&mut self, device: u64, dispatch: u32, default: bool) -> u64 {
        let c = self.fx.alloc(0x60);
        let m = self.fx.k.mem_mut();
        m.write_u32(c, WDF_IO_QUEUE_CONFIG::STRUCT.size(self.fx.arch) as u32).unwrap();
        m.set(c, WDF_IO_QUEUE_CONFIG::DispatchType, dispatch as u64).unwrap();
        m.set(c, WDF_IO_QUEUE_CONFIG::DefaultQueue, default as u64).unwrap();
        let out = self.fx.alloc(8);
        assert_eq!(self.ok("WdfIoQueueCreate", &[device, c, 0, out]), 0);
        self.fx.read_ptr(out)
    }

    fn violation(&mut self, name: &str, args: &[u64]) -> [u64; 4] {
        match self.wdf(name, args) {
            Err(Stop::Host(KernelStop::Bugcheck(b))) => {
                assert_eq!((b.code, b.name), (0x10D, "WDF_VIOLATION"), "{name}: {}", b.reason);
                b.params
            }
            other => panic!("{name}: expected WDF_VIOLATION, got {other:?}"),
        }
    }
}

#[test]
fn binding_points_the_driver_at_the_table_and_fills_its_globals() {
    for arch in both() {
        let b = bind(arch, 444);
        let calls = &b.fx.k.ext().calls;
        for (i, name) in NAMES.iter().enumerate().take(444) {
            let at = b.fx.read_ptr(b.table + i as u64 * arch.ptr_size());
            assert_eq!(calls.routine_at(at).map(|r| r.1), Some(*name), "entry {i} on {arch:?}");
        }
        let m = b.fx.k.mem();
        let name_at = WDF_DRIVER_GLOBALS::DriverName.at(arch, b.globals);
        assert_eq!(b.fx.read(name_at, 9), b"KmdfTest\0");
        assert_eq!(m.get(b.globals, WDF_DRIVER_GLOBALS::DriverTag).unwrap(), u32::from_le_bytes(*b"Kmdf") as u64);
        assert_eq!(m.get(b.globals, WDF_DRIVER_GLOBALS::DisplaceDriverUnload).unwrap(), 1);
    }
}

#[test]
fn drivers_built_for_kmdf_1_13_and_older_get_a_copy_of_the_table() {
    for arch in both() {
        let b = bind(arch, 396);
        assert_eq!(b.fx.k.ext().calls.routine_at(b.entry("WdfDriverCreate")).map(|r| r.1), Some("WdfDriverCreate"));
        assert_eq!(b.fx.k.ext().calls.routine_at(b.entry("WdfWorkItemCreate")).map(|r| r.1), Some("WdfWorkItemCreate"));
    }
}

#[test]
fn binding_refuses_other_major_versions_and_newer_tables() {
    for arch in both() {
        let (mut fx, d) = Fx::with_driver(arch);
        let table = fx.alloc(8);
        let registry = fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\X");
        let out = fx.alloc(8);
        let info = bind_info(&mut fx, 2000, table);
        assert_eq!(fx.call(Dll::Wdfldr, "WdfVersionBind", &[d, registry, info, out]).unwrap(), 0xC000_0002);
        let info = bind_info(&mut fx, 444, table);
        fx.k.mem_mut().write_u32(info + 2 * arch.ptr_size(), 2).unwrap();
        assert_eq!(fx.call(Dll::Wdfldr, "WdfVersionBind", &[d, registry, info, out]).unwrap(), 0xC000_0024);
        // No class extension is installed.
        let class = fx.alloc(0x40);
        let cname = fx.wstr("Hid");
        fx.k.mem_mut().write_ptr(class + arch.ptr_size(), cname).unwrap();
        assert_eq!(fx.call(Dll::Wdfldr, "WdfVersionBindClass", &[registry, info, class]).unwrap(), 0xC000_0135);
        fx.call(Dll::Wdfldr, "WdfVersionUnbindClass", &[registry, info, class]).unwrap();
    }
}

#[test]
fn an_unimplemented_table_entry_ends_the_run_naming_the_function() {
    for arch in both() {
        let mut b = bind(arch, 444);
        match b.wdf("WdfDmaEnablerCreate", &[0, 0, 0, 0]) {
            Err(Stop::Host(KernelStop::Unimplemented { routine, .. })) => {
                assert_eq!(routine, "wdf!WdfDmaEnablerCreate")
            }
            other => panic!("expected a named unimplemented stop on {arch:?}, got {other:?}"),
        }
    }
}

#[test]
fn a_control_device_with_a_name_a_link_and_the_framework_dispatch() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        assert_eq!(b.fx.k.mem().get(b.globals, WDF_DRIVER_GLOBALS::Driver).unwrap(), driver);
        assert_eq!(b.ok("WdfDriverWdmGetDriverObject", &[driver]), b.driver_object);
        assert_eq!(b.ok("WdfWdmDriverGetWdfDriverHandle", &[b.driver_object]), driver);
        let path = b.ok("WdfDriverGetRegistryPath", &[driver]);
        let want: Vec<u8> = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\KmdfTest\0"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(b.fx.read(path, want.len()), want);
        // Every major function goes to the framework; a non-PnP driver without
        // EvtDriverUnload gets no unload routine.
        let major0 = b.fx.read_ptr(DRIVER_OBJECT::MajorFunction.at(arch, b.driver_object));
        assert_eq!(b.fx.k.ext().calls.routine_at(major0).map(|r| r.1), Some("FxDispatch"));
        let (device, wdm) = b.control_device(driver, "\\Device\\KmdfTest");
        let m = b.fx.k.mem();
        assert_eq!(m.get(wdm, DEVICE_OBJECT::DeviceType).unwrap(), 0x8000);
        assert_eq!(m.get(wdm, DEVICE_OBJECT::Characteristics).unwrap(), 0x100);
        assert_ne!(m.get(wdm, DEVICE_OBJECT::Flags).unwrap() & 0x4, 0, "DO_BUFFERED_IO");
        assert_ne!(m.get(wdm, DEVICE_OBJECT::Flags).unwrap() & 0x80, 0, "still initializing");
        assert_eq!(b.ok("WdfWdmDeviceGetWdfDeviceHandle", &[wdm]), device);
        assert_eq!(b.ok("WdfDeviceGetDriver", &[device]), driver);
        let link = b.fx.ustr("\\DosDevices\\KmdfTest");
        assert_eq!(b.ok("WdfDeviceCreateSymbolicLink", &[device, link]), 0);
        b.ok("WdfControlFinishInitializing", &[device]);
        assert_eq!(b.fx.k.mem().get(wdm, DEVICE_OBJECT::Flags).unwrap() & 0x80, 0);
        assert!(
            b.fx.k.ext().objects.lookup("\\GLOBAL??\\KmdfTest").is_some()
                || b.fx.k.ext().objects.lookup("\\??\\KmdfTest").is_some()
        );
        let q = b.queue(device, 3, true);
        assert_eq!(b.ok("WdfDeviceGetDefaultQueue", &[device]), q);
        assert_eq!(b.ok("WdfIoQueueGetDevice", &[q]), device);
        // Unbinding deletes the driver and, with it, the device and its link.
        let (r, g) = (b.registry, b.globals);
        assert_eq!(b.fx.call(Dll::Wdfldr, "WdfVersionUnbind", &[r, 0, g]).unwrap(), 0);
        assert!(b.fx.k.ext().objects.get(wdm).is_none(), "the device object is gone on {arch:?}");
        assert!(b.fx.k.ext().wdf.objects.is_empty(), "no framework object is left on {arch:?}");
    }
}

#[test]
fn typed_contexts_belong_to_their_object() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let t1 = b.type_info(24);
        let t2 = b.type_info(8);
        let attrs = b.attributes(t1);
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfObjectCreate", &[attrs, out]), 0);
        let obj = b.fx.read_ptr(out);
        let ctx = b.ok("WdfObjectGetTypedContextWorker", &[obj, t1]);
        assert_ne!(ctx, 0);
        assert_eq!(b.fx.read(ctx, 24), vec![0; 24], "contexts start zeroed");
        assert_eq!(b.ok("WdfObjectContextGetObject", &[ctx]), obj);
        assert_eq!(b.ok("WdfObjectGetTypedContextWorker", &[obj, t2]), 0, "no context of another type");
        let attrs2 = b.attributes(t2);
        let pctx = b.fx.alloc(8);
        assert_eq!(b.ok("WdfObjectAllocateContext", &[obj, attrs2, pctx]), 0);
        let ctx2 = b.fx.read_ptr(pctx);
        assert_eq!(b.ok("WdfObjectGetTypedContextWorker", &[obj, t2]), ctx2);
        assert_eq!(b.ok("WdfObjectAllocateContext", &[obj, attrs2, pctx]), 0x4000_0000, "already has one");
        // A reference keeps a deleted object until it is dropped.
        b.ok("WdfObjectReferenceActual", &[obj, 0, 0, 0]);
        b.ok("WdfObjectDelete", &[obj]);
        assert!(b.fx.k.ext().wdf.objects.contains_key(&obj));
        b.ok("WdfObjectDereferenceActual", &[obj, 0, 0, 0]);
        assert!(!b.fx.k.ext().wdf.objects.contains_key(&obj));
        let p = b.violation("WdfObjectGetTypedContextWorker", &[obj, t1]);
        assert_eq!((p[0], p[1]), (5, obj), "a deleted handle is WDF_INVALID_HANDLE");
    }
}

#[test]
fn null_handles_are_wdf_violations() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let p = b.violation("WdfDeviceWdmGetDeviceObject", &[0]);
        assert_eq!(p[0], 4, "WDF_REQUIRED_PARAMETER_IS_NULL");
        assert_eq!(p[1], b.fx.site, "Parameter 2 is the caller");
    }
}

#[test]
fn requests_reach_a_manual_queue_and_complete_once() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        let (device, _) = b.control_device(driver, "\\Device\\KmdfReq");
        let link = b.fx.ustr("\\DosDevices\\KmdfReq");
        b.ok("WdfDeviceCreateSymbolicLink", &[device, link]);
        b.ok("WdfControlFinishInitializing", &[device]);
        let q = b.queue(device, 3, true);
        let (h, _) = request::open(&mut b.fx.k, "\\\\.\\KmdfReq").unwrap();
        let h = h.expect("the open succeeds: the framework completes creates");
        let io = request::device_control(&mut b.fx.k, h, 0x8000_2000, b"abc", &OutBuffer::zeroed(8), false).unwrap();
        assert_eq!(io.returned, status::PENDING, "a manual queue keeps the request");
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0);
        let r = b.fx.read_ptr(out);
        assert_eq!(b.ok("WdfRequestGetIoQueue", &[r]), q);
        assert_ne!(b.ok("WdfRequestWdmGetIrp", &[r]), 0);
        let (buf, len) = (b.fx.alloc(8), b.fx.alloc(8));
        assert_eq!(b.ok("WdfRequestRetrieveInputBuffer", &[r, 3, buf, len]), 0);
        let input = b.fx.read_ptr(buf);
        assert_eq!(b.fx.read(input, 3), b"abc");
        assert_eq!(b.ok("WdfRequestRetrieveOutputBuffer", &[r, 9, buf, len]), status::BUFFER_TOO_SMALL.0 as u64);
        assert_eq!(b.ok("WdfRequestRetrieveOutputBuffer", &[r, 8, buf, len]), 0);
        let output = b.fx.read_ptr(buf);
        b.fx.k.mem_mut().write(output, b"xyz").unwrap();
        b.ok("WdfRequestSetInformation", &[r, 3]);
        assert_eq!(b.ok("WdfRequestGetInformation", &[r]), 3);
        assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0x8000_001A, "nothing else waits");
        b.ok("WdfRequestComplete", &[r, 0]);
        let done = request::take_completion(&mut b.fx.k, io.id).expect("completed");
        assert_eq!((done.status, done.information), (status::SUCCESS, 3));
        assert_eq!(&done.output[..3], b"xyz");
        let p = b.violation("WdfRequestCompleteWithInformation", &[r, 0, 0]);
        assert_eq!((p[0], p[1]), (5, r), "completing twice is WDF_INVALID_HANDLE on {arch:?}");
    }
}

#[test]
fn objects_alive_after_unbinding_are_leaks() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfObjectCreate", &[0, out]), 0);
        let obj = b.fx.read_ptr(out);
        b.ok("WdfObjectReferenceActual", &[obj, 0, 0, 0]);
        let (r, g) = (b.registry, b.globals);
        assert_eq!(b.fx.call(Dll::Wdfldr, "WdfVersionUnbind", &[r, 0, g]).unwrap(), 0);
        let leaks = portcullis_hle::driver::leaks(&b.fx.k, 0);
        assert_eq!(leaks.wdf_objects.len(), 1, "{arch:?}");
        let l = &leaks.wdf_objects[0];
        assert_eq!((l.handle, l.kind, l.references, l.deleted), (obj, "WDFOBJECT", 1, true));
    }
}

impl Bound {
    /// Guest code calling framework entry `name` with the globals first.
    fn call_wdf(&self, a: &mut Asm, name: &str, args: &[common::guest::Arg]) {
        let mut all = vec![K(self.globals)];
        all.extend_from_slice(args);
        a.call(self.entry(name), CallConv::Stdcall.for_arch(self.fx.arch), &all);
    }

    /// A stdcall callback of `params` parameters that records, in `slot`, the order it ran
    /// in (the counter's value before it adds one), its first parameter in `slot + 8`
    /// and its second in `slot + 16`, and returns STATUS_SUCCESS.
    fn recorder(&mut self, params: u16, counter: u64, lock: u64, slot: u64) -> u64 {
        routine(&mut self.fx, params, |a, r| {
            let (add, c) = r("ExInterlockedAddUlong");
            a.call(add, c, &[K(counter), K(1), K(lock)]).store(slot);
            a.store_param(0, slot + 8);
            if params > 1 {
                a.store_param(1, slot + 16);
            }
            a.value(0);
        })
    }
}

/// A PnP driver whose EvtDriverDeviceAdd registers PnP/power callbacks (each recording into
/// its slot of `log`: PrepareHardware, D0Entry, D0Exit, ReleaseHardware) and creates the
/// device, a filter when `filter`.
fn pnp_driver(b: &mut Bound, log: u64, prepare: Option<u64>, filter: bool) -> u64 {
    let arch = b.fx.arch;
    let (counter, lock) = (b.fx.alloc(8), b.fx.alloc(8));
    b.fx.k.mem_mut().write_u32(counter, 1).unwrap();
    let callbacks = b.fx.alloc(0x90);
    let size = WDF_PNPPOWER_EVENT_CALLBACKS::STRUCT.size(arch);
    b.fx.k.mem_mut().write_u32(callbacks, size as u32).unwrap();
    for (i, (field, params)) in [
        (WDF_PNPPOWER_EVENT_CALLBACKS::EvtDevicePrepareHardware, 3),
        (WDF_PNPPOWER_EVENT_CALLBACKS::EvtDeviceD0Entry, 2),
        (WDF_PNPPOWER_EVENT_CALLBACKS::EvtDeviceD0Exit, 2),
        (WDF_PNPPOWER_EVENT_CALLBACKS::EvtDeviceReleaseHardware, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = b.recorder(params, counter, lock, log + i as u64 * 0x18);
        if i == 0 {
            r = prepare.unwrap_or(r);
        }
        b.fx.k.mem_mut().set(callbacks, field, r).unwrap();
    }
    let (pinit, out) = (b.fx.alloc(8), b.fx.alloc(8));
    let mut a = Asm::new(arch);
    a.store_param(1, pinit);
    if filter {
        b.call_wdf(&mut a, "WdfFdoInitSetFilter", &[Param(1)]);
    }
    b.call_wdf(&mut a, "WdfDeviceInitSetPnpPowerEventCallbacks", &[Param(1), K(callbacks)]);
    b.call_wdf(&mut a, "WdfDeviceCreate", &[K(pinit), K(0), K(out)]);
    let add = common::guest::place(&mut b.fx, &a.ret(2));
    let config = b.fx.alloc(0x20);
    let m = b.fx.k.mem_mut();
    m.write_u32(config, WDF_DRIVER_CONFIG::STRUCT.size(arch) as u32).unwrap();
    m.set(config, WDF_DRIVER_CONFIG::EvtDriverDeviceAdd, add).unwrap();
    let driver_out = b.fx.alloc(8);
    let (d, r) = (b.driver_object, b.registry);
    assert_eq!(b.ok("WdfDriverCreate", &[d, r, 0, config, driver_out]), 0);
    out
}

#[test]
fn the_pnp_start_prepares_the_hardware_then_enters_d0_and_remove_undoes_both() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let out = pnp_driver(&mut b, log, None, false);
        let sent = portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        assert_eq!(sent[0].status, Some(status::SUCCESS), "AddDevice on {arch:?}");
        assert_eq!(sent[1].what, "IRP_MN_START_DEVICE");
        assert_eq!(sent[1].status, Some(status::SUCCESS), "the start on {arch:?}");
        let device = b.fx.read_ptr(out);
        let slot = |b: &Bound, i: u64, f: u64| {
            let v = b.fx.read_ptr(log + i * 0x18 + f * 8);
            if f == 0 {
                v & 0xffff_ffff
            } else {
                v
            }
        };
        // PrepareHardware ran first, for the device, then D0Entry from WdfPowerDeviceD3Final.
        assert_eq!((slot(&b, 0, 0), slot(&b, 0, 1)), (1, device), "PrepareHardware on {arch:?}");
        let raw = slot(&b, 0, 2);
        assert_eq!(b.fx.k.ext().wdf.objects.get(&raw).map(|o| o.kind.name()), Some("WDFCMRESLIST"));
        assert_eq!((slot(&b, 1, 0), slot(&b, 1, 1), slot(&b, 1, 2)), (2, device, 5), "D0Entry on {arch:?}");
        assert_eq!(slot(&b, 2, 0) & 0xffff_ffff, 0, "no D0Exit yet");
        let wdm = b.ok("WdfDeviceWdmGetDeviceObject", &[device]);
        let removed = portcullis_hle::pnp::remove(&mut b.fx.k, 0).unwrap();
        assert_eq!(removed.last().map(|s| s.status), Some(Some(status::SUCCESS)));
        assert_eq!((slot(&b, 2, 0), slot(&b, 2, 1), slot(&b, 2, 2)), (3, device, 5), "D0Exit to D3Final on {arch:?}");
        assert_eq!((slot(&b, 3, 0), slot(&b, 3, 1)), (4, device), "ReleaseHardware on {arch:?}");
        assert!(!b.fx.k.ext().wdf.devices.contains_key(&device), "the WDFDEVICE goes with the remove");
        assert!(b.fx.k.ext().objects.get(wdm).is_none(), "and its device object on {arch:?}");
    }
}

#[test]
fn a_failed_prepare_hardware_fails_the_start_without_entering_d0() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let mut a = Asm::new(arch);
        a.value(0xC000_009A); // STATUS_INSUFFICIENT_RESOURCES
        let failing = common::guest::place(&mut b.fx, &a.ret(3));
        pnp_driver(&mut b, log, Some(failing), false);
        let sent = portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        assert_eq!(sent[1].status.map(|s| s.0), Some(0xC000_009A), "the start fails on {arch:?}");
        assert_eq!(sent[2].what, "IRP_MN_REMOVE_DEVICE", "and the PnP manager removes the device");
        assert_eq!(b.fx.read_ptr(log + 0x18) & 0xffff_ffff, 0, "D0Entry never ran on {arch:?}");
        assert_eq!(b.fx.read_ptr(log + 0x30) & 0xffff_ffff, 0, "nor D0Exit on {arch:?}");
        assert!(b.fx.k.ext().wdf.devices.is_empty(), "the device went with the remove on {arch:?}");
    }
}

#[test]
fn file_objects_reach_the_create_cleanup_and_close_callbacks() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        let sddl = b.fx.ustr("D:P(A;;GA;;;SY)");
        let init = b.ok("WdfControlDeviceInitAllocate", &[driver, sddl]);
        let name = b.fx.ustr("\\Device\\KmdfFile");
        b.ok("WdfDeviceInitAssignName", &[init, name]);
        // EvtDeviceFileCreate(Device, Request, FileObject): records the file object it got
        // and WdfRequestGetFileObject's, then completes the request.
        let log = b.fx.alloc(0x40);
        let mut a = Asm::new(arch);
        a.store_param(2, log);
        b.call_wdf(&mut a, "WdfRequestGetFileObject", &[Param(1)]);
        a.store(log + 8);
        b.call_wdf(&mut a, "WdfRequestComplete", &[Param(1), K(0)]);
        let create = common::guest::place(&mut b.fx, &a.ret(3));
        let mut a = Asm::new(arch);
        a.store_param(0, log + 0x10);
        let cleanup = common::guest::place(&mut b.fx, &a.ret(1));
        let mut a = Asm::new(arch);
        a.store_param(0, log + 0x18);
        let close = common::guest::place(&mut b.fx, &a.ret(1));
        let config = b.fx.alloc(0x28);
        let m = b.fx.k.mem_mut();
        m.write_u32(config, WDF_FILEOBJECT_CONFIG::STRUCT.size(arch) as u32).unwrap();
        m.set(config, WDF_FILEOBJECT_CONFIG::EvtDeviceFileCreate, create).unwrap();
        m.set(config, WDF_FILEOBJECT_CONFIG::EvtFileCleanup, cleanup).unwrap();
        m.set(config, WDF_FILEOBJECT_CONFIG::EvtFileClose, close).unwrap();
        m.set(config, WDF_FILEOBJECT_CONFIG::FileObjectClass, 4).unwrap(); // WdfFileObjectWdfCannotUseFsContexts
        b.ok("WdfDeviceInitSetFileObjectConfig", &[init, config, 0]);
        let (pinit, out) = (b.fx.alloc(8), b.fx.alloc(8));
        b.fx.k.mem_mut().write_ptr(pinit, init).unwrap();
        assert_eq!(b.ok("WdfDeviceCreate", &[pinit, 0, out]), 0);
        let device = b.fx.read_ptr(out);
        let link = b.fx.ustr("\\DosDevices\\KmdfFile");
        b.ok("WdfDeviceCreateSymbolicLink", &[device, link]);
        b.ok("WdfControlFinishInitializing", &[device]);
        let (h, _) = request::open(&mut b.fx.k, "\\\\.\\KmdfFile\\pipe0").unwrap();
        let h = h.expect("EvtDeviceFileCreate completed the create with success");
        let fo = b.fx.read_ptr(log);
        assert_ne!(fo, 0, "the callback got a WDFFILEOBJECT on {arch:?}");
        assert_eq!(b.fx.read_ptr(log + 8), fo, "WdfRequestGetFileObject names it on {arch:?}");
        assert_eq!(b.ok("WdfFileObjectGetDevice", &[fo]), device);
        let wdm = b.ok("WdfFileObjectWdmGetFileObject", &[fo]);
        assert_eq!(b.fx.k.ext().objects.get(wdm).map(|o| o.kind), Some(portcullis_hle::ob::ObjectKind::File));
        let name = b.ok("WdfFileObjectGetFileName", &[fo]);
        let (len, _, buf) = b.fx.counted(name);
        let want: Vec<u8> = "\\pipe0".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(b.fx.read(buf, len as usize), want, "the name after the device's on {arch:?}");
        request::close(&mut b.fx.k, h).unwrap();
        assert_eq!(b.fx.read_ptr(log + 0x10), fo, "EvtFileCleanup on {arch:?}");
        assert_eq!(b.fx.read_ptr(log + 0x18), fo, "EvtFileClose on {arch:?}");
        let p = b.violation("WdfFileObjectGetDevice", &[fo]);
        assert_eq!((p[0], p[1]), (5, fo), "the WDFFILEOBJECT is gone after the close on {arch:?}");
    }
}

#[test]
fn a_filter_passes_down_what_it_has_no_queue_for() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let out = pnp_driver(&mut b, log, None, true);
        let sent = portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        assert_eq!(sent[1].status, Some(status::SUCCESS), "{arch:?}");
        let device = b.fx.read_ptr(out);
        let wdm = b.ok("WdfDeviceWdmGetDeviceObject", &[device]);
        let lower = b.fx.k.ext().wdf.devices[&device].lower;
        assert_eq!(
            b.fx.k.mem().get(wdm, DEVICE_OBJECT::DeviceType).unwrap(),
            b.fx.k.mem().get(lower, DEVICE_OBJECT::DeviceType).unwrap(),
            "a filter takes the device type of the device below"
        );
        // A read the filter has no queue for goes to the PDO below; a function driver
        // without a queue fails it itself.
        let pdo = portcullis_hle::pnp::started_pdos(&b.fx.k, 0)[0];
        assert_eq!(read_reaches(&mut b, wdm), pdo, "passed down on {arch:?}");
        assert!(b.fx.k.ext().wdf.requests.is_empty(), "no WDFREQUEST for what passed down");
        let mut f = bind(arch, 444);
        let log = f.fx.alloc(0x60);
        let out = pnp_driver(&mut f, log, None, false);
        portcullis_hle::pnp::start(&mut f.fx.k, 0).unwrap();
        let device = f.fx.read_ptr(out);
        let wdm = f.ok("WdfDeviceWdmGetDeviceObject", &[device]);
        assert_eq!(read_reaches(&mut f, wdm), wdm, "a function driver keeps it on {arch:?}");
    }
}

/// Sends an IRP_MJ_READ of two stack locations (IoInitializeIrp on memory of the test's) to
/// `top`: the last device its stack location reached.
fn read_reaches(b: &mut Bound, top: u64) -> u64 {
    use portcullis_hle::layout::{IO_STACK_LOCATION, IRP};
    let arch = b.fx.arch;
    let (irp_size, loc_size) = (IRP::STRUCT.size(arch), IO_STACK_LOCATION::STRUCT.size(arch));
    let size = irp_size + 2 * loc_size;
    let irp = b.fx.alloc(size);
    b.fx.call(Dll::Ntoskrnl, "IoInitializeIrp", &[irp, size, 2]).unwrap();
    let top_loc = irp + irp_size + loc_size;
    b.fx.k.mem_mut().set(top_loc, IO_STACK_LOCATION::MajorFunction, 3).unwrap();
    let st = b.fx.call(Dll::Ntoskrnl, "IofCallDriver", &[top, irp]).unwrap();
    assert_eq!(st as u32, status::INVALID_DEVICE_REQUEST.0, "nobody serves reads");
    // IoSkipCurrentIrpStackLocation: the device below takes over the same location.
    b.fx.k.mem().get(top_loc, IO_STACK_LOCATION::DeviceObject).unwrap()
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
}

#[test]
fn device_properties_come_from_the_pdo_alone_or_in_framework_memory() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let out = pnp_driver(&mut b, log, None, false);
        portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        let device = b.fx.read_ptr(out);
        let want = utf16z("Portcullis");
        let (buf, len) = (b.fx.alloc(64), b.fx.alloc(8));
        // DevicePropertyManufacturer (8): too small, then whole.
        assert_eq!(b.ok("WdfDeviceQueryProperty", &[device, 8, 2, buf, len]) as u32, status::BUFFER_TOO_SMALL.0);
        assert_eq!(b.fx.read(len, 4), (want.len() as u32).to_le_bytes());
        assert_eq!(b.ok("WdfDeviceQueryProperty", &[device, 8, 64, buf, len]), 0);
        assert_eq!(b.fx.read(buf, want.len()), want);
        let mem = b.fx.alloc(8);
        assert_eq!(b.ok("WdfDeviceAllocAndQueryProperty", &[device, 8, 0, 0, mem]), 0, "{arch:?}");
        let memory = b.fx.read_ptr(mem);
        let size = b.fx.alloc(8);
        let at = b.ok("WdfMemoryGetBuffer", &[memory, size]);
        assert_eq!(b.fx.read_ptr(size), want.len() as u64);
        assert_eq!(b.fx.read(at, want.len()), want, "{arch:?}");
        assert_eq!(b.fx.k.ext().wdf.objects[&memory].parent, Some(device), "the device owns the memory");
        // FriendlyName (9) is not set: the failure leaves no memory.
        assert_eq!(b.ok("WdfDeviceAllocAndQueryProperty", &[device, 9, 0, 0, mem]) as u32, 0xC000_0034);
        assert_eq!(b.fx.read_ptr(mem), 0);
        // The device's removal deletes its memory and frees the buffer.
        portcullis_hle::pnp::remove(&mut b.fx.k, 0).unwrap();
        assert!(b.fx.k.ext().wdf.memories.is_empty(), "{arch:?}");
        assert!(b.fx.k.ext().pool.block(at).is_none(), "the buffer is back in the pool on {arch:?}");
    }
}

#[test]
fn framework_memory_is_pool_the_object_owns() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let (out, buf) = (b.fx.alloc(8), b.fx.alloc(8));
        assert_eq!(b.ok("WdfMemoryCreate", &[0, 0, 0, 0, out, buf]) as u32, status::INVALID_PARAMETER.0);
        assert_eq!(b.ok("WdfMemoryCreate", &[0, 0, u32::from_le_bytes(*b"Test") as u64, 100, out, buf]), 0);
        let (memory, at) = (b.fx.read_ptr(out), b.fx.read_ptr(buf));
        let block = b.fx.k.ext().pool.block(at).expect("a pool block");
        assert_eq!(block.tag, u32::from_le_bytes(*b"Test"), "{arch:?}");
        assert_eq!(b.ok("WdfMemoryGetBuffer", &[memory, 0]), at);
        b.ok("WdfObjectDelete", &[memory]);
        assert!(b.fx.k.ext().pool.block(at).is_none(), "freed with its object on {arch:?}");
        let p = b.violation("WdfMemoryGetBuffer", &[memory, 0]);
        assert_eq!((p[0], p[1]), (5, memory));
        let p = b.violation("WdfMemoryCreate", &[0, 0, 0, 8, 0, 0]);
        assert_eq!(p[0], 4, "a NULL Memory is WDF_REQUIRED_PARAMETER_IS_NULL");
    }
}

#[test]
fn power_policy_callbacks_are_kept_with_the_device() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        let sddl = b.fx.ustr("D:P(A;;GA;;;SY)");
        let init = b.ok("WdfControlDeviceInitAllocate", &[driver, sddl]);
        let p = b.violation("WdfDeviceInitSetPowerPolicyEventCallbacks", &[init, 0]);
        assert_eq!(p[0], 4);
        let callbacks = b.fx.alloc(0x40);
        let ps = arch.ptr_size();
        b.fx.k.mem_mut().write_u32(callbacks, if ps == 8 { 0x40 } else { 0x20 }).unwrap();
        b.fx.k.mem_mut().write_ptr(callbacks + ps, 0x1234).unwrap(); // EvtDeviceArmWakeFromS0
        b.fx.k.mem_mut().write_ptr(callbacks + 4 * ps, 0x5678).unwrap(); // EvtDeviceArmWakeFromSx
        b.ok("WdfDeviceInitSetPowerPolicyEventCallbacks", &[init, callbacks]);
        let (pinit, out) = (b.fx.alloc(8), b.fx.alloc(8));
        b.fx.k.mem_mut().write_ptr(pinit, init).unwrap();
        // A security descriptor needs a named device object: STATUS_INVALID_SECURITY_DESCR.
        assert_eq!(b.ok("WdfDeviceCreate", &[pinit, 0, out]), 0xC000_0079, "{arch:?}");
        let name = b.fx.ustr("\\Device\\KmdfPolicy");
        assert_eq!(b.ok("WdfDeviceInitAssignName", &[init, name]), 0);
        assert_eq!(b.ok("WdfDeviceCreate", &[pinit, 0, out]), 0);
        let device = b.fx.read_ptr(out);
        let policy = b.fx.k.ext().wdf.devices[&device].power_policy;
        assert_eq!((policy.arm_wake_from_s0, policy.arm_wake_from_sx), (0x1234, 0x5678), "{arch:?}");
    }
}

#[test]
fn collections_hold_references_on_their_items() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfCollectionCreate", &[0, out]), 0);
        let c = b.fx.read_ptr(out);
        assert_eq!(b.ok("WdfCollectionGetFirstItem", &[c]), 0, "empty");
        let mut objs = vec![];
        for _ in 0..3 {
            assert_eq!(b.ok("WdfObjectCreate", &[0, out]), 0);
            let o = b.fx.read_ptr(out);
            assert_eq!(b.ok("WdfCollectionAdd", &[c, o]), 0);
            objs.push(o);
        }
        assert_eq!(b.ok("WdfCollectionGetCount", &[c]), 3);
        assert_eq!(b.ok("WdfCollectionGetItem", &[c, 1]), objs[1]);
        assert_eq!(b.ok("WdfCollectionGetItem", &[c, 3]), 0, "past the end");
        assert_eq!(b.ok("WdfCollectionGetFirstItem", &[c]), objs[0]);
        assert_eq!(b.ok("WdfCollectionGetLastItem", &[c]), objs[2]);
        // Deleted while in the collection: it stays until it leaves.
        b.ok("WdfObjectDelete", &[objs[1]]);
        assert!(b.fx.k.ext().wdf.objects.contains_key(&objs[1]), "{arch:?}");
        b.ok("WdfCollectionRemove", &[c, objs[1]]);
        assert!(!b.fx.k.ext().wdf.objects.contains_key(&objs[1]), "gone with its last reference on {arch:?}");
        b.ok("WdfCollectionRemoveItem", &[c, 0]);
        assert_eq!(b.ok("WdfCollectionGetFirstItem", &[c]), objs[2]);
        assert_eq!(b.fx.k.ext().wdf.objects[&objs[0]].references, 0, "the reference went with the item");
        let p = b.violation("WdfCollectionRemoveItem", &[c, 5]);
        assert_eq!((p[1], p[2]), (c, 5), "{arch:?}");
    }
}

#[test]
fn a_pnp_device_names_its_stack() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let out = pnp_driver(&mut b, log, None, false);
        portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        let device = b.fx.read_ptr(out);
        let pdo = portcullis_hle::pnp::started_pdos(&b.fx.k, 0)[0];
        assert_eq!(b.ok("WdfDeviceWdmGetPhysicalDevice", &[device]), pdo, "{arch:?}");
        assert_eq!(b.ok("WdfDeviceWdmGetAttachedDevice", &[device]), pdo, "attached right above the PDO");
        let info: Vec<u8> = (1..=24).collect();
        let at = b.fx.put(&info);
        b.ok("WdfDeviceSetBusInformationForChildren", &[device, at]);
        let kept = b.fx.k.ext().wdf.devices[&device].bus_information_for_children.clone();
        assert_eq!(kept, Some(info), "a copy for the children on {arch:?}");
        let p = b.violation("WdfDeviceSetBusInformationForChildren", &[device, 0]);
        assert_eq!(p[0], 4);
        let driver = b.ok("WdfDeviceGetDriver", &[device]);
        let (control, _) = b.control_device(driver, "\\Device\\KmdfCtl");
        assert_eq!(b.ok("WdfDeviceWdmGetPhysicalDevice", &[control]), 0, "a control device has none");
        assert_eq!(b.ok("WdfDeviceWdmGetAttachedDevice", &[control]), 0);
    }
}

#[test]
fn the_parameters_key_is_a_wdfkey_over_a_kernel_handle() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        let out = b.fx.alloc(8);
        // The service's key is missing: so is the Parameters key's parent.
        assert_eq!(b.ok("WdfDriverOpenParametersRegistryKey", &[driver, 0xF003F, 0, out]) as u32, 0xC000_0034);
        assert_eq!(b.fx.read_ptr(out), 0);
        portcullis_hle::cm::service_key(&mut b.fx.k, "KmdfTest");
        assert_eq!(b.ok("WdfDriverOpenParametersRegistryKey", &[driver, 0xF003F, 0, out]), 0, "{arch:?}");
        let key = b.fx.read_ptr(out);
        let handle = b.ok("WdfRegistryWdmGetHandle", &[key]);
        assert_ne!(handle, 0);
        let (name, data) = (b.fx.ustr("Level"), b.fx.put(&7u32.to_le_bytes()));
        let st = b.fx.call(Dll::Ntoskrnl, "ZwSetValueKey", &[handle, name, 0, 4, data, 4]).unwrap();
        assert_eq!(st, 0, "the handle writes the key on {arch:?}");
        let path = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\KmdfTest\\Parameters";
        let values = portcullis_hle::cm::dump(&b.fx.k, path);
        assert!(values.iter().any(|(_, v)| v.name == "Level" && v.data == [7, 0, 0, 0]), "{values:?}");
        b.ok("WdfRegistryClose", &[key]);
        let closed = common::fx::bugcheck(b.fx.call(Dll::Ntoskrnl, "ZwClose", &[handle]));
        assert_eq!(closed.name, "INVALID_KERNEL_HANDLE", "the handle closed with the key on {arch:?}");
        let mut b = bind(arch, 444);
        let driver = b.driver();
        portcullis_hle::cm::service_key(&mut b.fx.k, "KmdfTest");
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfDriverOpenParametersRegistryKey", &[driver, 0xF003F, 0, out]), 0);
        let key = b.fx.read_ptr(out);
        b.ok("WdfRegistryClose", &[key]);
        let p = b.violation("WdfRegistryWdmGetHandle", &[key]);
        assert_eq!((p[0], p[1]), (5, key));
    }
}

#[test]
fn s0_idle_settings_belong_to_the_power_policy_owner() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let out = pnp_driver(&mut b, log, None, false);
        portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        let device = b.fx.read_ptr(out);
        let s = b.fx.alloc(0x24);
        // WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS_INIT(IdleCannotWakeFromS0): D3 (Maximum),
        // 5 s, WdfUseDefault.
        for (i, v) in [0x24u32, 1, 5, 5000, 0, 2, 0, 0, 2].into_iter().enumerate() {
            b.fx.k.mem_mut().write_u32(s + 4 * i as u64, v).unwrap();
        }
        assert_eq!(b.ok("WdfDeviceAssignS0IdleSettings", &[device, s]), 0, "{arch:?}");
        let kept = b.fx.k.ext().wdf.devices[&device].s0_idle.unwrap();
        assert_eq!((kept.idle_caps, kept.dx_state, kept.idle_timeout_ms), (1, 5, 5000));
        b.fx.k.mem_mut().write_u32(s + 8, 1).unwrap(); // PowerDeviceD0 is no idle state
        assert_eq!(b.ok("WdfDeviceAssignS0IdleSettings", &[device, s]) as u32, status::INVALID_PARAMETER.0);
        b.fx.k.mem_mut().write_u32(s + 8, 5).unwrap();
        // The older layouts (KMDF 1.7: 0x18 bytes, 1.9: 0x1C) are accepted; no other size.
        for (size, st) in [(0x18, 0), (0x1C, 0), (0x20, 0xC000_0004), (0x28, 0xC000_0004)] {
            b.fx.k.mem_mut().write_u32(s, size).unwrap();
            assert_eq!(b.ok("WdfDeviceAssignS0IdleSettings", &[device, s]) as u32, st, "size {size:#x} on {arch:?}");
        }
        let driver = b.ok("WdfDeviceGetDriver", &[device]);
        let (control, _) = b.control_device(driver, "\\Device\\KmdfIdle");
        b.fx.k.mem_mut().write_u32(s, 0x24).unwrap();
        let st = b.ok("WdfDeviceAssignS0IdleSettings", &[control, s]) as u32;
        assert_eq!(st, status::INVALID_DEVICE_REQUEST.0, "a control device owns no power policy on {arch:?}");
    }
}

fn utf16_text(bytes: &[u8]) -> String {
    String::from_utf16_lossy(&bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>())
}

impl Bound {
    /// The text of a WDFSTRING, through WdfStringGetUnicodeString.
    fn string_text(&mut self, string: u64) -> String {
        let u = self.fx.ustring(0, 0, 0);
        self.ok("WdfStringGetUnicodeString", &[string, u]);
        let (len, max, buffer) = self.fx.counted(u);
        assert_eq!(len, max, "the framework's copy is exactly as long as the text");
        utf16_text(&self.fx.read(buffer, len as usize))
    }

    /// The driver's Parameters key, with values seeded: (WDFDRIVER, WDFKEY).
    fn parameters(&mut self, values: &[(&str, u32, Vec<u8>)]) -> (u64, u64) {
        let driver = self.driver();
        portcullis_hle::cm::service_key(&mut self.fx.k, "KmdfTest");
        let path = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\KmdfTest\\Parameters";
        for (name, ty, data) in values {
            assert!(portcullis_hle::cm::seed_value(&mut self.fx.k, path, Some((name, *ty, data.clone()))));
        }
        let out = self.fx.alloc(8);
        assert_eq!(self.ok("WdfDriverOpenParametersRegistryKey", &[driver, 0x20019, 0, out]), 0);
        (driver, self.fx.read_ptr(out))
    }
}

#[test]
fn strings_are_copies_the_framework_owns() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let src = b.fx.ustr("Hello");
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfStringCreate", &[src, 0, out]), 0);
        let s = b.fx.read_ptr(out);
        let text = b.fx.counted(src).2;
        b.fx.k.mem_mut().write(text, &[b'J', 0]).unwrap();
        assert_eq!(b.string_text(s), "Hello", "a copy, not the caller's buffer, on {arch:?}");
        assert_eq!(b.ok("WdfStringCreate", &[0, 0, out]), 0);
        let empty = b.fx.read_ptr(out);
        assert_eq!(b.string_text(empty), "");
        let odd = b.fx.ustring(3, 4, text);
        assert_eq!(b.ok("WdfStringCreate", &[odd, 0, out]) as u32, status::INVALID_PARAMETER.0);
        assert_eq!(b.fx.read_ptr(out), 0, "no string on failure");
        b.ok("WdfObjectDelete", &[s]);
        let p = b.violation("WdfStringGetUnicodeString", &[s, src]);
        assert_eq!((p[0], p[1]), (5, s), "a deleted string on {arch:?}");
        let p = b.violation("WdfStringCreate", &[0, 0, 0]);
        assert_eq!(p[0], 4);
    }
}

const REG_SZ: u32 = 1;
const REG_BINARY: u32 = 3;
const REG_DWORD: u32 = 4;
const REG_MULTI_SZ: u32 = 7;

#[test]
fn registry_values_are_queried_as_strings_numbers_and_bytes() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let (_, key) = b.parameters(&[
            ("Name", REG_SZ, utf16z("Portcullis")),
            ("Level", REG_DWORD, 7u32.to_le_bytes().to_vec()),
            ("Blob", REG_BINARY, vec![1, 2, 3, 4, 5]),
        ]);
        let (name, level, blob, none) = (b.fx.ustr("Name"), b.fx.ustr("Level"), b.fx.ustr("Blob"), b.fx.ustr("None"));
        // WdfRegistryQueryULong: REG_DWORD only.
        let v = b.fx.alloc(4);
        assert_eq!(b.ok("WdfRegistryQueryULong", &[key, level, v]), 0, "{arch:?}");
        assert_eq!(b.fx.read(v, 4), 7u32.to_le_bytes());
        assert_eq!(b.ok("WdfRegistryQueryULong", &[key, name, v]) as u32, 0xC000_0024, "a string is no ULONG");
        assert_eq!(b.ok("WdfRegistryQueryULong", &[key, none, v]) as u32, 0xC000_0034);
        // WdfRegistryQueryValue: the length and type even when the data does not fit.
        let (buf, len, ty) = (b.fx.alloc(16), b.fx.alloc(4), b.fx.alloc(4));
        assert_eq!(b.ok("WdfRegistryQueryValue", &[key, blob, 2, buf, len, ty]) as u32, 0x8000_0005);
        assert_eq!(
            (b.fx.read(len, 4), b.fx.read(ty, 4)),
            (5u32.to_le_bytes().to_vec(), REG_BINARY.to_le_bytes().to_vec())
        );
        assert_eq!(b.fx.read(buf, 2), [0, 0], "nothing copied");
        assert_eq!(b.ok("WdfRegistryQueryValue", &[key, blob, 16, buf, len, 0]), 0);
        assert_eq!(b.fx.read(buf, 5), [1, 2, 3, 4, 5]);
        // WdfRegistryQueryMemory: a WDFMEMORY of the value's size.
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfRegistryQueryMemory", &[key, blob, 0, 0, out, ty]), 0);
        let memory = b.fx.read_ptr(out);
        let size = b.fx.alloc(8);
        let data = b.ok("WdfMemoryGetBuffer", &[memory, size]);
        assert_eq!((b.fx.read_ptr(size), b.fx.read(data, 5)), (5, vec![1, 2, 3, 4, 5]));
        // WdfRegistryQueryString into a WDFSTRING; WdfRegistryQueryUnicodeString into the
        // caller's buffer, its Length without the NUL.
        assert_eq!(b.ok("WdfStringCreate", &[0, 0, out]), 0);
        let s = b.fx.read_ptr(out);
        assert_eq!(b.ok("WdfRegistryQueryString", &[key, name, s]), 0, "{arch:?}");
        assert_eq!(b.string_text(s), "Portcullis");
        assert_eq!(b.ok("WdfRegistryQueryString", &[key, level, s]) as u32, 0xC000_0024);
        let bytes = b.fx.alloc(2);
        let small = b.fx.alloc(8);
        let u = b.fx.ustring(0, 8, small);
        assert_eq!(b.ok("WdfRegistryQueryUnicodeString", &[key, name, bytes, u]) as u32, 0x8000_0005);
        assert_eq!(b.fx.read(bytes, 2), 22u16.to_le_bytes(), "the length it needs, NUL included");
        let big = b.fx.alloc(64);
        let u = b.fx.ustring(0, 64, big);
        assert_eq!(b.ok("WdfRegistryQueryUnicodeString", &[key, name, bytes, u]), 0);
        let (len, _, _) = b.fx.counted(u);
        assert_eq!((len, utf16_text(&b.fx.read(big, len as usize))), (20, "Portcullis".to_string()));
        b.ok("WdfRegistryClose", &[key]);
        let p = b.violation("WdfRegistryQueryULong", &[key, level, v]);
        assert_eq!((p[0], p[1]), (5, key), "a closed key on {arch:?}");
    }
}

#[test]
fn a_multi_string_value_becomes_strings_in_a_collection() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let multi: Vec<u8> = "HID\\VID_1\0HID\\VID_2\0\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let bad: Vec<u8> = "ONE\0TWO".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (_, key) =
            b.parameters(&[("Ids", REG_MULTI_SZ, multi), ("Bad", REG_MULTI_SZ, bad), ("Name", REG_SZ, utf16z("x"))]);
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfCollectionCreate", &[0, out]), 0);
        let c = b.fx.read_ptr(out);
        let ids = b.fx.ustr("Ids");
        assert_eq!(b.ok("WdfRegistryQueryMultiString", &[key, ids, 0, c]), 0, "{arch:?}");
        assert_eq!(b.ok("WdfCollectionGetCount", &[c]), 2);
        let first = b.ok("WdfCollectionGetItem", &[c, 0]);
        let second = b.ok("WdfCollectionGetItem", &[c, 1]);
        assert_eq!((b.string_text(first), b.string_text(second)), ("HID\\VID_1".into(), "HID\\VID_2".into()));
        let (bad, name) = (b.fx.ustr("Bad"), b.fx.ustr("Name"));
        assert_eq!(b.ok("WdfRegistryQueryMultiString", &[key, bad, 0, c]) as u32, status::INVALID_PARAMETER.0);
        assert_eq!(b.ok("WdfRegistryQueryMultiString", &[key, name, 0, c]) as u32, 0xC000_0024);
        assert_eq!(b.ok("WdfCollectionGetCount", &[c]), 2, "failures add nothing");
        // The strings live on in the collection after the driver deletes them.
        b.ok("WdfObjectDelete", &[first]);
        b.ok("WdfCollectionRemove", &[c, first]);
        assert!(!b.fx.k.ext().wdf.objects.contains_key(&first), "gone with the collection's reference");
        let p = b.violation("WdfRegistryQueryMultiString", &[key, ids, 0, 0]);
        assert_eq!(p[0], 4);
    }
}

#[test]
fn device_keys_open_on_the_device_stack() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let log = b.fx.alloc(0x60);
        let out = pnp_driver(&mut b, log, None, false);
        portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        let device = b.fx.read_ptr(out);
        let key = b.fx.alloc(8);
        assert_eq!(b.ok("WdfDeviceOpenRegistryKey", &[device, 1, 0x20019, 0, key]), 0, "{arch:?}");
        let k = b.fx.read_ptr(key);
        assert_eq!(b.fx.k.ext().wdf.objects[&k].parent, Some(device), "the device owns its key");
        let handle = b.ok("WdfRegistryWdmGetHandle", &[k]);
        assert_ne!(handle, 0);
        let driver = b.ok("WdfDeviceGetDriver", &[device]);
        let (control, _) = b.control_device(driver, "\\Device\\KmdfKeys");
        let st = b.ok("WdfDeviceOpenRegistryKey", &[control, 1, 0x20019, 0, key]) as u32;
        assert_eq!((st, b.fx.read_ptr(key)), (status::INVALID_DEVICE_REQUEST.0, 0), "no stack, no key");
        let sddl = b.fx.ustr("D:P");
        let init = b.ok("WdfControlDeviceInitAllocate", &[driver, sddl]);
        let st = b.ok("WdfFdoInitOpenRegistryKey", &[init, 1, 0x20019, 0, key]) as u32;
        assert_eq!(st, status::INVALID_PARAMETER.0, "a control device's DeviceInit on {arch:?}");
    }
}

impl Bound {
    /// An Evt*Func(WDFOBJECT) that counts its calls in `count` and keeps its object in `last`.
    fn counting_callback(&mut self, count: u64, last: u64) -> u64 {
        routine(&mut self.fx, 1, |a, _| {
            a.inc(count);
            a.store_param(0, last);
            a.value(0);
        })
    }

    /// WDF_OBJECT_ATTRIBUTES naming `parent`, with the execution level given.
    fn parented(&mut self, parent: u64, execution_level: u64) -> u64 {
        let a = self.attributes(0);
        self.fx.k.mem_mut().set(a, WDF_OBJECT_ATTRIBUTES::ParentObject, parent).unwrap();
        self.fx.k.mem_mut().set(a, WDF_OBJECT_ATTRIBUTES::ExecutionLevel, execution_level).unwrap();
        a
    }

    /// A WDF_DPC_CONFIG / WDF_WORKITEM_CONFIG (same layout) for `callback`.
    fn callback_config(&mut self, callback: u64) -> u64 {
        let c = self.fx.alloc(0x18);
        let m = self.fx.k.mem_mut();
        m.write_u32(c, WDF_DPC_CONFIG::STRUCT.size(self.fx.arch) as u32).unwrap();
        m.set(c, WDF_DPC_CONFIG::EvtDpcFunc, callback).unwrap();
        m.set(c, WDF_DPC_CONFIG::AutomaticSerialization, 1).unwrap();
        c
    }

    fn created(&mut self, name: &str, args: &[u64]) -> u64 {
        let out = *args.last().unwrap();
        assert_eq!(self.ok(name, args), 0, "{name} on {:?}", self.fx.arch);
        self.fx.read_ptr(out)
    }
}

/// A bound driver with a control device: (Bound, WDFDEVICE, call count, last object).
fn with_device(arch: Arch, name: &str) -> (Bound, u64, u64, u64) {
    let mut b = bind(arch, 444);
    let driver = b.driver();
    let (device, _) = b.control_device(driver, name);
    let (count, last) = (b.fx.alloc(8), b.fx.alloc(8));
    (b, device, count, last)
}

#[test]
fn a_dpc_runs_its_callback_with_its_handle_and_belongs_to_a_device() {
    for arch in both() {
        let (mut b, device, count, last) = with_device(arch, "\\Device\\KmdfDpc");
        let cb = b.counting_callback(count, last);
        let config = b.callback_config(cb);
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfDpcCreate", &[config, 0, out]) as u32, 0xC020_0212, "no parent on {arch:?}");
        let driver = b.ok("WdfDeviceGetDriver", &[device]);
        let under_driver = b.parented(driver, 1);
        assert_eq!(b.ok("WdfDpcCreate", &[config, under_driver, out]) as u32, status::INVALID_DEVICE_REQUEST.0);
        let attributes = b.parented(device, 1);
        let dpc = b.created("WdfDpcCreate", &[config, attributes, out]);
        assert_eq!(b.ok("WdfDpcGetParentObject", &[dpc]), device);
        let kdpc = b.ok("WdfDpcWdmGetDpc", &[dpc]);
        assert_ne!(kdpc, 0);
        // Queued below DISPATCH_LEVEL, it runs as the call returns.
        assert_eq!(b.ok("WdfDpcEnqueue", &[dpc]) & 0xFF, 1, "{arch:?}");
        assert_eq!((b.fx.read(count, 4), b.fx.read_ptr(last)), (1u32.to_le_bytes().to_vec(), dpc));
        // At DISPATCH_LEVEL it waits: a second enqueue finds it queued, a cancel removes it.
        portcullis_hle::ke::irql::set(&mut b.fx.k, 2).unwrap();
        assert_eq!(b.ok("WdfDpcEnqueue", &[dpc]) & 0xFF, 1);
        assert_eq!(b.ok("WdfDpcEnqueue", &[dpc]) & 0xFF, 0, "queued already on {arch:?}");
        assert_eq!(b.ok("WdfDpcCancel", &[dpc, 0]) & 0xFF, 1);
        assert_eq!(b.ok("WdfDpcCancel", &[dpc, 0]) & 0xFF, 0, "nothing left to cancel");
        portcullis_hle::ke::irql::set(&mut b.fx.k, 0).unwrap();
        portcullis_hle::ke::scheduler::settle(&mut b.fx.k).unwrap();
        assert_eq!(b.fx.read(count, 4), 1u32.to_le_bytes(), "the cancelled DPC never ran on {arch:?}");
        // Deleting the device deletes its DPC.
        b.ok("WdfObjectDelete", &[device]);
        assert!(!b.fx.k.ext().wdf.objects.contains_key(&dpc), "{arch:?}");
        let p = b.violation("WdfDpcEnqueue", &[dpc]);
        assert_eq!((p[0], p[1]), (5, dpc));
    }
}

#[test]
fn timers_expire_on_the_virtual_clock_and_stop_when_deleted() {
    use portcullis_hle::ke::scheduler::advance;
    for arch in both() {
        let (mut b, device, count, last) = with_device(arch, "\\Device\\KmdfTimer");
        let cb = b.counting_callback(count, last);
        let config = b.fx.alloc(0x20);
        let m = b.fx.k.mem_mut();
        m.write_u32(config, WDF_TIMER_CONFIG::STRUCT.size(arch) as u32).unwrap();
        m.set(config, WDF_TIMER_CONFIG::EvtTimerFunc, cb).unwrap();
        m.set(config, WDF_TIMER_CONFIG::AutomaticSerialization, 1).unwrap();
        let attributes = b.parented(device, 1);
        let out = b.fx.alloc(8);
        let once = b.created("WdfTimerCreate", &[config, attributes, out]);
        assert_eq!(b.ok("WdfTimerGetParentObject", &[once]), device);
        let due = common::guest::large(arch, common::guest::rel_ms(10));
        let start = |b: &mut Bound, t: u64| b.ok("WdfTimerStart", &[&[t][..], &due].concat()) & 0xFF;
        assert_eq!(start(&mut b, once), 0, "not armed before on {arch:?}");
        assert_eq!(start(&mut b, once), 1, "re-armed");
        advance(&mut b.fx.k, 9_999_999).unwrap();
        assert_eq!(b.fx.read(count, 4), 0u32.to_le_bytes(), "not yet on {arch:?}");
        advance(&mut b.fx.k, 1).unwrap();
        assert_eq!((b.fx.read(count, 4), b.fx.read_ptr(last)), (1u32.to_le_bytes().to_vec(), once));
        // A periodic timer: every 5 ms after the first 10, until stopped.
        b.fx.k.mem_mut().set(config, WDF_TIMER_CONFIG::Period, 5).unwrap();
        let periodic = b.created("WdfTimerCreate", &[config, attributes, out]);
        assert_eq!(start(&mut b, periodic), 0);
        advance(&mut b.fx.k, 21_000_000).unwrap();
        assert_eq!(b.fx.read(count, 4), 4u32.to_le_bytes(), "10, 15 and 20 ms on {arch:?}");
        assert_eq!(b.ok("WdfTimerStop", &[periodic, 1]) & 0xFF, 1, "it was armed");
        assert_eq!(b.ok("WdfTimerStop", &[periodic, 0]) & 0xFF, 0, "not any more");
        advance(&mut b.fx.k, 20_000_000).unwrap();
        assert_eq!(b.fx.read(count, 4), 4u32.to_le_bytes(), "stopped on {arch:?}");
        // Deleting an armed timer cancels it.
        start(&mut b, once);
        b.ok("WdfObjectDelete", &[once]);
        advance(&mut b.fx.k, 20_000_000).unwrap();
        assert_eq!(b.fx.read(count, 4), 4u32.to_le_bytes(), "deleted, never fired on {arch:?}");
        // A timer at PASSIVE_LEVEL is not built: the run ends naming it.
        let passive = b.parented(device, 2);
        match b.wdf("WdfTimerCreate", &[config, passive, out]) {
            Err(Stop::Host(KernelStop::Unimplemented { routine, .. })) => assert!(routine.contains("WdfTimerCreate")),
            other => panic!("a passive-level timer on {arch:?}: {other:?}"),
        }
    }
}

#[test]
fn work_items_run_once_per_enqueue_and_flush_waits_for_them() {
    use portcullis_hle::ke::scheduler::settle;
    for arch in both() {
        let (mut b, device, count, last) = with_device(arch, "\\Device\\KmdfWork");
        let cb = b.counting_callback(count, last);
        let config = b.callback_config(cb);
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfWorkItemCreate", &[config, 0, out]) as u32, 0xC020_0212);
        let attributes = b.parented(device, 1);
        let item = b.created("WdfWorkItemCreate", &[config, attributes, out]);
        assert_eq!(b.ok("WdfWorkItemGetParentObject", &[item]), device);
        b.ok("WdfWorkItemFlush", &[item]); // idle: returns at once
        b.ok("WdfWorkItemEnqueue", &[item]);
        b.ok("WdfWorkItemEnqueue", &[item]); // still waiting to run: nothing more
        settle(&mut b.fx.k).unwrap();
        assert_eq!((b.fx.read(count, 4), b.fx.read_ptr(last)), (1u32.to_le_bytes().to_vec(), item), "{arch:?}");
        b.ok("WdfWorkItemEnqueue", &[item]);
        b.ok("WdfWorkItemFlush", &[item]);
        assert_eq!(b.fx.read(count, 4), 2u32.to_le_bytes(), "flushed on {arch:?}");
        // Deleting a queued item waits for its callback.
        b.ok("WdfWorkItemEnqueue", &[item]);
        b.ok("WdfObjectDelete", &[item]);
        assert_eq!(b.fx.read(count, 4), 3u32.to_le_bytes(), "ran before the item went on {arch:?}");
        assert!(!b.fx.k.ext().wdf.objects.contains_key(&item));
    }
}

#[test]
fn spin_locks_raise_to_dispatch_level_and_restore_the_irql() {
    use portcullis_hle::ke::irql;
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let out = b.fx.alloc(8);
        let lock = b.created("WdfSpinLockCreate", &[0, out]);
        b.ok("WdfSpinLockAcquire", &[lock]);
        assert_eq!(irql::current(&b.fx.k).unwrap(), 2, "{arch:?}");
        b.ok("WdfSpinLockRelease", &[lock]);
        assert_eq!(irql::current(&b.fx.k).unwrap(), 0);
        let released = common::fx::bugcheck(b.wdf("WdfSpinLockRelease", &[lock]));
        assert_eq!(released.name, "SPIN_LOCK_NOT_OWNED", "{arch:?}");
        let mut b = bind(arch, 444);
        b.driver();
        let lock = b.created("WdfSpinLockCreate", &[0, out]);
        b.ok("WdfSpinLockAcquire", &[lock]);
        match b.wdf("WdfSpinLockAcquire", &[lock]) {
            Err(Stop::Host(KernelStop::Deadlock(_))) => {}
            other => panic!("a second acquire on {arch:?}: {other:?}"),
        }
    }
}

#[test]
fn wait_locks_are_taken_with_a_timeout_and_released_once() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let out = b.fx.alloc(8);
        let lock = b.created("WdfWaitLockCreate", &[0, out]);
        assert_eq!(b.ok("WdfWaitLockAcquire", &[lock, 0]), 0, "free: taken at once on {arch:?}");
        let zero = b.fx.put(&0i64.to_le_bytes());
        assert_eq!(b.ok("WdfWaitLockAcquire", &[lock, zero]), 0x102, "held: a try times out");
        let before = b.fx.k.guest().cpu.clock.now_ns();
        let ms = b.fx.put(&common::guest::rel_ms(3).to_le_bytes());
        assert_eq!(b.ok("WdfWaitLockAcquire", &[lock, ms]), 0x102, "held: a wait times out on {arch:?}");
        assert!(b.fx.k.guest().cpu.clock.now_ns() - before >= 3_000_000, "after 3 ms of virtual time");
        b.ok("WdfWaitLockRelease", &[lock]);
        assert_eq!(b.ok("WdfWaitLockAcquire", &[lock, zero]), 0, "free again");
        b.ok("WdfWaitLockRelease", &[lock]);
        let p = b.violation("WdfWaitLockRelease", &[lock]);
        assert_eq!(p[..3], [0xB, lock, 1], "released twice on {arch:?}");
    }
}

#[test]
fn the_start_resources_are_copies_the_resource_lists_hand_out() {
    use portcullis_hle::pnp::Resource;
    for arch in both() {
        let mut b = bind(arch, 444);
        let resources = vec![Resource::Port { start: 0x378, length: 8 }, Resource::Interrupt { irq: 7 }];
        let config = portcullis_hle::pnp::DeviceConfig { resources, ..Default::default() };
        portcullis_hle::pnp::configure(&mut b.fx.k, config);
        let log = b.fx.alloc(0x60);
        pnp_driver(&mut b, log, None, false);
        portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        let device = b.fx.read_ptr(log + 8);
        let (raw, translated) = b.fx.k.ext().wdf.devices[&device].resources.unwrap();
        assert_eq!(b.fx.read_ptr(log + 16), raw, "EvtDevicePrepareHardware got the raw list");
        assert_eq!(b.ok("WdfCmResourceListGetCount", &[raw]), 2, "{arch:?}");
        assert_eq!(b.ok("WdfCmResourceListGetCount", &[translated]), 2);
        let port = b.ok("WdfCmResourceListGetDescriptor", &[raw, 0]);
        assert_eq!(b.fx.read(port, 1)[0], 1, "CmResourceTypePort");
        assert_eq!(b.fx.k.mem().read_u64(port + 4).unwrap(), 0x378);
        assert_eq!(b.fx.k.mem().read_u32(port + 12).unwrap(), 8);
        let irq = b.ok("WdfCmResourceListGetDescriptor", &[translated, 1]);
        assert_eq!(b.fx.read(irq, 1)[0], 2, "CmResourceTypeInterrupt on {arch:?}");
        assert_eq!(b.fx.k.mem().read_u32(irq + 8).unwrap(), 0x57, "the translated vector (HalGetInterruptVector's)");
        // The clone is refreshed at each call.
        b.fx.k.mem_mut().write(port, &[9]).unwrap();
        assert_eq!(b.ok("WdfCmResourceListGetDescriptor", &[raw, 0]), port);
        assert_eq!(b.fx.read(port, 1)[0], 1, "a driver's write does not stick on {arch:?}");
        assert_eq!(b.ok("WdfCmResourceListGetDescriptor", &[raw, 2]), 0, "past the end");
    }
}

#[test]
fn keys_open_and_are_created_relative_to_a_parent_key() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let (_, parameters) = b.parameters(&[]);
        let out = b.fx.alloc(8);
        let disposition = b.fx.alloc(4);
        let sub = b.fx.ustr("Sub");
        let missing = b.wdf("WdfRegistryOpenKey", &[parameters, sub, 0xF003F, 0, out]).unwrap();
        assert_eq!((missing as u32, b.fx.read_ptr(out)), (0xC000_0034, 0), "{arch:?}");
        let created = b.ok("WdfRegistryCreateKey", &[parameters, sub, 0xF003F, 0, disposition, 0, out]);
        assert_eq!((created, b.fx.read(disposition, 4)), (0, 1u32.to_le_bytes().to_vec()), "REG_CREATED_NEW_KEY");
        let key = b.fx.read_ptr(out);
        let level = b.fx.ustr("Level");
        let data = b.fx.put(&5u32.to_le_bytes());
        let handle = b.ok("WdfRegistryWdmGetHandle", &[key]);
        assert_eq!(
            b.fx.call(Dll::Ntoskrnl, "ZwSetValueKey", &[handle, level, 0, REG_DWORD as u64, data, 4]).unwrap(),
            0
        );
        b.ok("WdfRegistryClose", &[key]);
        let again = b.ok("WdfRegistryCreateKey", &[parameters, sub, 0xF003F, 0, disposition, 0, out]);
        assert_eq!((again, b.fx.read(disposition, 4)), (0, 2u32.to_le_bytes().to_vec()), "REG_OPENED_EXISTING_KEY");
        b.ok("WdfRegistryClose", &[b.fx.read_ptr(out)]);
        let full = b.fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\KmdfTest\\Parameters\\Sub");
        assert_eq!(b.ok("WdfRegistryOpenKey", &[0, full, 0x20019, 0, out]), 0, "a full path on {arch:?}");
        let key = b.fx.read_ptr(out);
        let v = b.fx.alloc(4);
        assert_eq!(b.ok("WdfRegistryQueryULong", &[key, level, v]), 0);
        assert_eq!(b.fx.read(v, 4), 5u32.to_le_bytes());
    }
}

#[test]
fn an_interrupt_connects_in_d0_and_its_isr_queues_its_dpc() {
    use portcullis_hle::pnp::Resource;
    for arch in both() {
        let mut b = bind(arch, 444);
        let config =
            portcullis_hle::pnp::DeviceConfig { resources: vec![Resource::Interrupt { irq: 5 }], ..Default::default() };
        portcullis_hle::pnp::configure(&mut b.fx.k, config);
        let mut devices = portcullis_devices::Devices::default();
        devices.install_defaults(&mut b.fx.k.guest_mut().ports, &Default::default());
        let counts = b.fx.alloc(0x40); // ISR, DPC, enable, disable
        let (last, out) = (b.fx.alloc(8), b.fx.alloc(8));
        // EvtInterruptIsr: counts, queues the DPC, claims the interrupt.
        let mut a = Asm::new(arch);
        a.inc(counts);
        b.call_wdf(&mut a, "WdfInterruptQueueDpcForIsr", &[Param(0)]);
        a.value(1);
        let isr = common::guest::place(&mut b.fx, &a.ret(2));
        let dpc = routine(&mut b.fx, 2, |a, _| {
            a.inc(counts + 4).store_param(1, last).value(0);
        });
        let enable = routine(&mut b.fx, 2, |a, _| {
            a.inc(counts + 8).value(0);
        });
        let disable = routine(&mut b.fx, 2, |a, _| {
            a.inc(counts + 12).value(0);
        });
        // WDF_INTERRUPT_CONFIG (KMDF 1.13), its translated resource filled in by the callback.
        let (size, isr_at, translated_at) = match arch {
            Arch::X86 => (0x3c, 0x10, 0x28),
            Arch::X64 => (0x68, 0x18, 0x48),
        };
        let ps = arch.ptr_size();
        let cfg = b.fx.alloc(0x68);
        b.fx.k.mem_mut().write_u32(cfg, size).unwrap();
        b.fx.k.mem_mut().write_u32(cfg + 2 * ps, 2).unwrap(); // ShareVector: WdfUseDefault
        for (i, f) in [isr, dpc, enable, disable].into_iter().enumerate() {
            b.fx.k.mem_mut().write_ptr(cfg + isr_at + i as u64 * ps, f).unwrap();
        }
        // EvtDevicePrepareHardware creates it with the start's interrupt descriptor.
        let mut a = Asm::new(arch);
        b.call_wdf(&mut a, "WdfCmResourceListGetDescriptor", &[Param(2), K(0)]);
        a.store(cfg + translated_at);
        b.call_wdf(&mut a, "WdfInterruptCreate", &[Param(0), K(cfg), K(0), K(out)]);
        let prepare = common::guest::place(&mut b.fx, &a.ret(3));
        let log = b.fx.alloc(0x60);
        let device_out = pnp_driver(&mut b, log, Some(prepare), false);
        let sent = portcullis_hle::pnp::start(&mut b.fx.k, 0).unwrap();
        assert_eq!(sent[1].status, Some(status::SUCCESS), "the start on {arch:?}");
        let (device, interrupt) = (b.fx.read_ptr(device_out), b.fx.read_ptr(out));
        let count = |b: &Bound, i: u64| b.fx.k.mem().read_u32(counts + 4 * i).unwrap();
        assert_eq!(count(&b, 2), 1, "EvtInterruptEnable after D0Entry on {arch:?}");
        assert_eq!(b.ok("WdfInterruptGetDevice", &[interrupt]), device);
        let kinterrupt = b.ok("WdfInterruptWdmGetInterrupt", &[interrupt]);
        let connected = &b.fx.k.ext().io.interrupts.connected;
        assert_eq!(connected.get(&kinterrupt).map(|c| (c.vector, c.irql, c.irq)), Some((0x55, 5, 5)), "{arch:?}");
        // The line rises: the ISR runs, its DPC follows with the device.
        b.fx.k.guest_mut().cpu.interrupts_enabled = true;
        let ctl = b.fx.k.guest_mut().ports.interrupt_controller().expect("an interrupt controller");
        ctl.set_line(5, true, true);
        portcullis_hle::io::interrupt::deliver(&mut b.fx.k).unwrap();
        let ctl = b.fx.k.guest_mut().ports.interrupt_controller().expect("an interrupt controller");
        ctl.set_line(5, false, false);
        portcullis_hle::ke::scheduler::settle(&mut b.fx.k).unwrap();
        assert_eq!((count(&b, 0), count(&b, 1)), (1, 1), "ISR then DPC on {arch:?}");
        assert_eq!(b.fx.read_ptr(last), device, "EvtInterruptDpc's associated object");
        // Synchronized code and the lock run at the interrupt's IRQL.
        let sync = routine(&mut b.fx, 2, |a, _| {
            a.inc(counts + 16).value(1);
        });
        assert_eq!(b.ok("WdfInterruptSynchronize", &[interrupt, sync, 0]) & 0xFF, 1);
        b.ok("WdfInterruptAcquireLock", &[interrupt]);
        assert_eq!(portcullis_hle::ke::irql::current(&b.fx.k).unwrap(), 5, "{arch:?}");
        b.ok("WdfInterruptReleaseLock", &[interrupt]);
        assert_eq!(portcullis_hle::ke::irql::current(&b.fx.k).unwrap(), 0);
        assert_eq!(b.ok("WdfInterruptDisable", &[interrupt]) & 0xFF, 1);
        assert_eq!(b.ok("WdfInterruptEnable", &[interrupt]) & 0xFF, 1);
        assert_eq!((count(&b, 2), count(&b, 3)), (2, 1));
        // Remove: EvtInterruptDisable, then the kernel's object goes.
        portcullis_hle::pnp::remove(&mut b.fx.k, 0).unwrap();
        assert_eq!(count(&b, 3), 2, "EvtInterruptDisable before D0Exit on {arch:?}");
        assert!(b.fx.k.ext().io.interrupts.connected.is_empty(), "disconnected on {arch:?}");
        assert!(!b.fx.k.ext().wdf.interrupts.contains_key(&interrupt), "gone with its device");
        drop(devices);
    }
}

/// A control device `name` whose EvtIoInCallerContext records the request it got in `log`
/// and WdfDeviceEnqueueRequest's status in `log + 8`: (WDFDEVICE, log).
fn caller_context_device(b: &mut Bound, name: &str) -> (u64, u64) {
    let arch = b.fx.arch;
    let driver = b.driver();
    let sddl = b.fx.ustr("D:P(A;;GA;;;SY)(A;;GA;;;BA)");
    let init = b.ok("WdfControlDeviceInitAllocate", &[driver, sddl]);
    let n = b.fx.ustr(&format!("\\Device\\{name}"));
    b.ok("WdfDeviceInitAssignName", &[init, n]);
    let log = b.fx.alloc(0x20);
    let mut a = Asm::new(arch);
    a.store_param(1, log);
    b.call_wdf(&mut a, "WdfDeviceEnqueueRequest", &[Param(0), Param(1)]);
    a.store(log + 8);
    let callback = common::guest::place(&mut b.fx, &a.ret(2));
    b.ok("WdfDeviceInitSetIoInCallerContextCallback", &[init, callback]);
    let (pinit, out) = (b.fx.alloc(8), b.fx.alloc(8));
    b.fx.k.mem_mut().write_ptr(pinit, init).unwrap();
    assert_eq!(b.ok("WdfDeviceCreate", &[pinit, 0, out]), 0);
    let device = b.fx.read_ptr(out);
    let link = b.fx.ustr(&format!("\\DosDevices\\{name}"));
    b.ok("WdfDeviceCreateSymbolicLink", &[device, link]);
    b.ok("WdfControlFinishInitializing", &[device]);
    (device, log)
}

#[test]
fn requests_reach_the_caller_context_callback_before_their_queue() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let (device, log) = caller_context_device(&mut b, "KmdfCaller");
        let q = b.queue(device, 3, true);
        let (h, _) = request::open(&mut b.fx.k, "\\\\.\\KmdfCaller").unwrap();
        let h = h.expect("creates do not go through EvtIoInCallerContext");
        let io = request::device_control(&mut b.fx.k, h, 0x8000_2000, b"abc", &OutBuffer::zeroed(8), false).unwrap();
        assert_eq!(io.returned, status::PENDING, "enqueued on a manual queue on {arch:?}");
        let r = b.fx.read_ptr(log);
        assert_ne!(r, 0, "the callback got the request on {arch:?}");
        assert_eq!(b.fx.read(log + 8, 4), [0; 4], "WdfDeviceEnqueueRequest succeeded on {arch:?}");
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0);
        assert_eq!(b.fx.read_ptr(out), r, "the same request, now on the default queue");
        assert_eq!(b.ok("WdfRequestGetIoQueue", &[r]), q);
        let st = b.ok("WdfDeviceEnqueueRequest", &[device, r]);
        assert_eq!(st as u32, status::INVALID_DEVICE_REQUEST.0, "only from EvtIoInCallerContext");
        b.ok("WdfRequestCompleteWithInformation", &[r, 0, 2]);
        let done = request::take_completion(&mut b.fx.k, io.id).expect("completed");
        assert_eq!((done.status, done.information), (status::SUCCESS, 2), "{arch:?}");
    }
}

#[test]
fn a_request_with_no_queue_for_its_type_stays_the_callers_to_complete() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let (_, log) = caller_context_device(&mut b, "KmdfNoQueue");
        let (h, _) = request::open(&mut b.fx.k, "\\\\.\\KmdfNoQueue").unwrap();
        let h = h.expect("open");
        let io = request::device_control(&mut b.fx.k, h, 0x8000_2000, b"abc", &OutBuffer::zeroed(8), false).unwrap();
        assert_eq!(io.returned, status::PENDING, "the driver holds it on {arch:?}");
        assert_eq!(b.fx.read(log + 8, 4), status::INVALID_DEVICE_REQUEST.0.to_le_bytes(), "no queue on {arch:?}");
        let r = b.fx.read_ptr(log);
        assert_eq!(b.ok("WdfRequestGetIoQueue", &[r]), 0, "on no queue");
        b.ok("WdfRequestComplete", &[r, status::INVALID_DEVICE_REQUEST.0 as u64]);
        let done = request::take_completion(&mut b.fx.k, io.id).expect("completed");
        assert_eq!(done.status, status::INVALID_DEVICE_REQUEST, "{arch:?}");
    }
}

#[test]
fn a_purge_cancels_what_waits_fails_what_comes_and_reports_when_the_driver_is_done() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        let (device, _) = b.control_device(driver, "\\Device\\KmdfPurge");
        let link = b.fx.ustr("\\DosDevices\\KmdfPurge");
        b.ok("WdfDeviceCreateSymbolicLink", &[device, link]);
        b.ok("WdfControlFinishInitializing", &[device]);
        let q = b.queue(device, 3, true);
        let (h, _) = request::open(&mut b.fx.k, "\\\\.\\KmdfPurge").unwrap();
        let h = h.expect("open");
        let ioctl = |b: &mut Bound| {
            request::device_control(&mut b.fx.k, h, 0x8000_2000, b"x", &OutBuffer::zeroed(4), false).unwrap()
        };
        let (held, waiting) = (ioctl(&mut b), ioctl(&mut b));
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0);
        let r = b.fx.read_ptr(out);
        // EvtIoQueueState(Queue, Context): records both.
        let log = b.fx.alloc(0x10);
        let mut a = Asm::new(arch);
        a.store_param(0, log);
        a.store_param(1, log + 8);
        let done = common::guest::place(&mut b.fx, &a.ret(2));
        b.ok("WdfIoQueuePurge", &[q, done, 0x1234]);
        let cancelled = request::take_completion(&mut b.fx.k, waiting.id).expect("the waiting one is cancelled");
        assert_eq!(cancelled.status, status::CANCELLED, "{arch:?}");
        assert_eq!(b.fx.read_ptr(log), 0, "the driver still holds a request on {arch:?}");
        let late = ioctl(&mut b);
        assert_eq!(late.returned.0, 0xC000_0184, "STATUS_INVALID_DEVICE_STATE after a purge on {arch:?}");
        b.ok("WdfRequestComplete", &[r, 0]);
        assert!(request::take_completion(&mut b.fx.k, held.id).is_some());
        assert_eq!((b.fx.read_ptr(log), b.fx.read_ptr(log + 8)), (q, 0x1234), "purge complete on {arch:?}");
        b.ok("WdfIoQueueStart", &[q]);
        assert_eq!(ioctl(&mut b).returned, status::PENDING, "accepted again on {arch:?}");
    }
}

#[test]
fn cleanup_and_destroy_callbacks_still_reach_the_context() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        let t = b.type_info(16);
        let attrs = b.attributes(t);
        let log = b.fx.alloc(0x10);
        // EvtCleanupCallback and EvtDestroyCallback(Object): each records the object's
        // context as WdfObjectGetTypedContextWorker (FASTCALL) finds it.
        let mut callbacks = [0u64; 2];
        for (i, slot) in callbacks.iter_mut().enumerate() {
            let mut a = Asm::new(arch);
            let worker = b.entry("WdfObjectGetTypedContextWorker");
            a.call(worker, CallConv::Fastcall.for_arch(arch), &[K(b.globals), Param(0), K(t)]);
            a.store(log + 8 * i as u64);
            *slot = common::guest::place(&mut b.fx, &a.ret(1));
        }
        let m = b.fx.k.mem_mut();
        m.set(attrs, WDF_OBJECT_ATTRIBUTES::EvtCleanupCallback, callbacks[0]).unwrap();
        m.set(attrs, WDF_OBJECT_ATTRIBUTES::EvtDestroyCallback, callbacks[1]).unwrap();
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfObjectCreate", &[attrs, out]), 0);
        let obj = b.fx.read_ptr(out);
        let ctx = b.ok("WdfObjectGetTypedContextWorker", &[obj, t]);
        b.ok("WdfObjectDelete", &[obj]);
        assert_eq!(b.fx.read_ptr(log), ctx, "in EvtCleanupCallback on {arch:?}");
        assert_eq!(b.fx.read_ptr(log + 8), ctx, "in EvtDestroyCallback on {arch:?}");
        assert!(!b.fx.k.ext().wdf.objects.contains_key(&obj), "gone after its destroy callback");
    }
}

/// A pending request on a manual queue of a fresh control device: (Bound, request, IRP,
/// completion id, EvtRequestCancel's call count and last argument, the callback).
fn pending_request(arch: Arch, name: &str) -> (Bound, u64, u64, portcullis_hle::io::RequestId, u64, u64, u64) {
    let (mut b, device, count, last) = with_device(arch, &format!("\\Device\\{name}"));
    let link = b.fx.ustr(&format!("\\DosDevices\\{name}"));
    b.ok("WdfDeviceCreateSymbolicLink", &[device, link]);
    b.ok("WdfControlFinishInitializing", &[device]);
    let q = b.queue(device, 3, true);
    let (h, _) = request::open(&mut b.fx.k, &format!("\\\\.\\{name}")).unwrap();
    let io = request::device_control(&mut b.fx.k, h.unwrap(), 0x8000_2000, b"", &OutBuffer::zeroed(0), false).unwrap();
    assert_eq!(io.returned, status::PENDING);
    let out = b.fx.alloc(8);
    assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0);
    let r = b.fx.read_ptr(out);
    let irp = b.ok("WdfRequestWdmGetIrp", &[r]);
    let evt = b.counting_callback(count, last);
    (b, r, irp, io.id, count, last, evt)
}

#[test]
fn a_cancelable_request_hears_of_the_io_managers_cancel() {
    for arch in both() {
        let (mut b, r, irp, id, count, last, evt) = pending_request(arch, "KmdfCancel");
        let cancel_routine = |b: &Bound| b.fx.k.mem().get(irp, IRP::CancelRoutine).unwrap();
        assert_eq!(b.ok("WdfRequestUnmarkCancelable", &[r]) as u32, status::INVALID_DEVICE_REQUEST.0, "never marked");
        b.ok("WdfRequestMarkCancelable", &[r, evt]);
        assert_ne!(cancel_routine(&b), 0, "{arch:?}: the IRP has the framework's cancel routine");
        assert_eq!(b.ok("WdfRequestUnmarkCancelable", &[r]), 0, "{arch:?}");
        assert_eq!(cancel_routine(&b), 0);
        b.ok("WdfRequestMarkCancelable", &[r, evt]);
        // The I/O manager cancels the IRP: the framework calls EvtRequestCancel(Request).
        assert_eq!(b.fx.call(Dll::Ntoskrnl, "IoCancelIrp", &[irp]).unwrap() & 0xFF, 1, "{arch:?}");
        assert_eq!((b.fx.read(count, 4), b.fx.read_ptr(last)), (1u32.to_le_bytes().to_vec(), r), "{arch:?}");
        // The cancel spin lock was released: it can be taken again.
        let irql = b.fx.alloc(8);
        b.fx.call(Dll::Ntoskrnl, "IoAcquireCancelSpinLock", &[irql]).expect("the cancel spin lock is free");
        let old = b.fx.read(irql, 1)[0] as u64;
        b.fx.call(Dll::Ntoskrnl, "IoReleaseCancelSpinLock", &[old]).unwrap();
        assert_eq!(b.ok("WdfRequestUnmarkCancelable", &[r]) as u32, status::CANCELLED.0, "the cancel has begun");
        b.ok("WdfRequestComplete", &[r, status::CANCELLED.0 as u64]);
        let done = request::take_completion(&mut b.fx.k, id).expect("completed");
        assert_eq!(done.status, status::CANCELLED, "{arch:?}");
        let p = b.violation("WdfRequestMarkCancelable", &[r, evt]);
        assert_eq!((p[0], p[1]), (5, r), "a completed request on {arch:?}");
    }
}

#[test]
fn a_request_cancelled_before_it_is_marked_is_cancelled_at_once() {
    for arch in both() {
        let (mut b, r, irp, _, count, _, evt) = pending_request(arch, "KmdfCancelEarly");
        assert_eq!(b.fx.call(Dll::Ntoskrnl, "IoCancelIrp", &[irp]).unwrap() & 0xFF, 0, "no cancel routine yet");
        assert_eq!(b.ok("WdfRequestMarkCancelableEx", &[r, evt]) as u32, status::CANCELLED.0, "{arch:?}");
        assert_eq!(b.fx.read(count, 4), 0u32.to_le_bytes(), "the Ex form does not call back");
        b.ok("WdfRequestMarkCancelable", &[r, evt]);
        assert_eq!(b.fx.read(count, 4), 1u32.to_le_bytes(), "{arch:?}: called before it returns");
        let p = b.violation("WdfRequestMarkCancelable", &[r, 0]);
        assert_eq!(p[0], 4, "a NULL EvtRequestCancel is WDF_REQUIRED_PARAMETER_IS_NULL on {arch:?}");
    }
}

#[test]
fn the_verifier_breaks_only_when_asked_and_bugchecks_on_request() {
    for arch in both() {
        let mut b = bind(arch, 444);
        b.driver();
        b.ok("WdfVerifierDbgBreakPoint", &[]);
        let path = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\KmdfTest\\Parameters\\Wdf";
        assert!(portcullis_hle::cm::seed_value(
            &mut b.fx.k,
            path,
            Some(("DbgBreakOnError", REG_DWORD, vec![1, 0, 0, 0]))
        ));
        match b.wdf("WdfVerifierDbgBreakPoint", &[]) {
            Err(Stop::Host(KernelStop::Bugcheck(x))) => assert_eq!((x.code, x.params[0]), (0x1E, 0x8000_0003)),
            other => panic!("{arch:?}: expected the breakpoint nothing handles, got {other:?}"),
        }
        let mut b = bind(arch, 444);
        match b.wdf("WdfVerifierKeBugCheck", &[0xE2, 1, 2, 3, 4]) {
            Err(Stop::Host(KernelStop::Bugcheck(x))) => {
                assert_eq!((x.code, x.params), (0xE2, [1, 2, 3, 4]), "{arch:?}")
            }
            other => panic!("{arch:?}: expected the bugcheck, got {other:?}"),
        }
    }
}

#[test]
fn a_request_waiting_on_a_queue_is_cancelled_by_the_framework() {
    for arch in both() {
        let mut b = bind(arch, 444);
        let driver = b.driver();
        let (device, _) = b.control_device(driver, "\\Device\\KmdfWaitCancel");
        let link = b.fx.ustr("\\DosDevices\\KmdfWaitCancel");
        b.ok("WdfDeviceCreateSymbolicLink", &[device, link]);
        b.ok("WdfControlFinishInitializing", &[device]);
        let q = b.queue(device, 3, true);
        let (h, _) = request::open(&mut b.fx.k, "\\\\.\\KmdfWaitCancel").unwrap();
        let h = h.unwrap();
        let first = request::device_control(&mut b.fx.k, h, 0x8000_2000, b"", &OutBuffer::zeroed(0), false).unwrap();
        let second = request::device_control(&mut b.fx.k, h, 0x8000_2004, b"", &OutBuffer::zeroed(0), false).unwrap();
        let waiting: Vec<(u64, u64)> =
            b.fx.k.ext().wdf.queues[&q].waiting.iter().map(|r| (*r, b.fx.k.ext().wdf.requests[r].irp)).collect();
        assert_eq!(waiting.len(), 2, "{arch:?}");
        let (_, irp) = waiting[0];
        assert_ne!(b.fx.k.mem().get(irp, IRP::CancelRoutine).unwrap(), 0, "a waiting request's IRP is cancelable");
        assert_eq!(b.fx.call(Dll::Ntoskrnl, "IoCancelIrp", &[irp]).unwrap() & 0xFF, 1, "{arch:?}");
        let done = request::take_completion(&mut b.fx.k, first.id).expect("the framework completed it");
        assert_eq!(done.status, status::CANCELLED, "{arch:?}");
        // The other one is still there, and leaves the queue no longer cancelable by it.
        let out = b.fx.alloc(8);
        assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0);
        let r = b.fx.read_ptr(out);
        assert_eq!(r, waiting[1].0, "{arch:?}");
        assert_eq!(b.fx.k.mem().get(waiting[1].1, IRP::CancelRoutine).unwrap(), 0);
        assert_eq!(b.ok("WdfIoQueueRetrieveNextRequest", &[q, out]), 0x8000_001A, "nothing else waits");
        b.ok("WdfRequestComplete", &[r, 0]);
        assert_eq!(request::take_completion(&mut b.fx.k, second.id).expect("completed").status, status::SUCCESS);
    }
}
