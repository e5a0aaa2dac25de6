//! NDIS 6 filter drivers over the emulated adapter, through the real stubs, both
//! architectures: the characteristics checked as NDIS checks them, a module attached
//! (FilterAttach with the adapter's parameters, NdisFSetAttributes) and restarted, OID
//! requests the adapter answers (and clones of them), frames sent to the wire and completed,
//! frames received, passed up and returned, status and PnP indications, and deregistration
//! (pause, then detach). Callbacks are small pieces of guest code that keep their arguments.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::ndis::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{
    FieldAccess, NDIS_FILTER_ATTACH_PARAMETERS as AP, NDIS_FILTER_DRIVER_CHARACTERISTICS as C, NDIS_OID_REQUEST as R,
    NET_BUFFER as NB, NET_BUFFER_LIST as NBL,
};
use portcullis_hle::ndis::adapter;
use portcullis_hle::ndis::events::NdisChange;

const N: Dll = Dll::Ndis;
/// The filter module context the attach handler gives NdisFSetAttributes.
const MODULE_CONTEXT: u64 = 0x5151;
const DRIVER_CONTEXT: u64 = 0x7777;

const BAD_VERSION: u64 = 0xC001_0004;
const BAD_CHARACTERISTICS: u64 = 0xC001_0005;
const NOT_SUPPORTED: u64 = 0xC000_00BB;
const BUFFER_TOO_SHORT: u64 = 0xC001_0016;
const FAILURE: u32 = 0xC000_0001;

/// Slots of each callback the filter has.
struct Filter {
    chars: u64,
    attach: u64,
    restart: u64,
    pause: u64,
    detach: u64,
    send_complete: u64,
    receive: u64,
    returned: u64,
}

/// Revision-1 characteristics (NDIS 6.0) with every handler the tests look at.
fn filter(fx: &mut Fx) -> Filter {
    let arch = fx.arch;
    let chars = fx.alloc(C::STRUCT.size(arch));
    let size = C::StatusHandler.offset(arch) + arch.ptr_size();
    let attributes = fx.put(&[0x8D, 1, 8, 0, 0, 0, 0, 0]);
    let mut slots = [0u64; 7];
    for s in &mut slots {
        *s = fx.alloc(40);
    }
    let [attach, restart, pause, detach, send_complete, receive, returned] = slots;
    let handlers = [
        (C::AttachHandler, attach_handler(fx, attach, MODULE_CONTEXT, attributes)),
        (C::RestartHandler, recorder(fx, restart, 2, 0)),
        (C::PauseHandler, recorder(fx, pause, 2, 0)),
        (C::DetachHandler, recorder(fx, detach, 1, 0)),
        (C::SendNetBufferListsCompleteHandler, recorder(fx, send_complete, 3, 0)),
        (C::ReceiveNetBufferListsHandler, recorder(fx, receive, 5, 0)),
        (C::ReturnNetBufferListsHandler, recorder(fx, returned, 3, 0)),
    ];
    let mem = fx.k.mem_mut();
    mem.set(chars, C::HeaderType, 0x8B).unwrap();
    mem.set(chars, C::HeaderRevision, 1).unwrap();
    mem.set(chars, C::HeaderSize, size).unwrap();
    mem.set(chars, C::MajorNdisVersion, 6).unwrap();
    mem.set(chars, C::MinorNdisVersion, 20).unwrap();
    for (f, at) in handlers {
        mem.set(chars, f, at).unwrap();
    }
    set_ustr(fx, C::FriendlyName.at(arch, chars), "Test Filter");
    set_ustr(fx, C::UniqueName.at(arch, chars), "{11112222-3333-4444-5555-666677778888}");
    set_ustr(fx, C::ServiceName.at(arch, chars), "testflt");
    Filter { chars, attach, restart, pause, detach, send_complete, receive, returned }
}

/// Registers the filter; its driver handle and its module's NdisFilterHandle.
fn register(fx: &mut Fx, f: &Filter) -> (u64, u64) {
    let out = fx.alloc(8);
    assert_eq!(fx.call(N, "NdisFRegisterFilterDriver", &[0, DRIVER_CONTEXT, f.chars, out]).unwrap() & 0xFFFF_FFFF, 0);
    (fx.read_ptr(out), slot(fx, f.attach, 0))
}

#[test]
fn registration_checks_the_characteristics_then_attaches_and_restarts_a_module() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let f = filter(&mut fx);
        let out = fx.alloc(8);
        let reg = |fx: &mut Fx| fx.call(N, "NdisFRegisterFilterDriver", &[0, DRIVER_CONTEXT, f.chars, out]).unwrap();
        fx.k.mem_mut().set(f.chars, C::HeaderType, 0x80).unwrap();
        assert_eq!(reg(&mut fx), BAD_CHARACTERISTICS, "{arch:?}: the wrong object type");
        fx.k.mem_mut().set(f.chars, C::HeaderType, 0x8B).unwrap();
        fx.k.mem_mut().set(f.chars, C::HeaderSize, 0x20).unwrap();
        assert_eq!(reg(&mut fx), BAD_CHARACTERISTICS, "{arch:?}: too small for revision 1");
        fx.k.mem_mut().set(f.chars, C::HeaderSize, C::STRUCT.size(arch)).unwrap();
        fx.k.mem_mut().set(f.chars, C::MajorNdisVersion, 5).unwrap();
        assert_eq!(reg(&mut fx), BAD_VERSION, "{arch:?}");
        fx.k.mem_mut().set(f.chars, C::MajorNdisVersion, 6).unwrap();
        let pause = fx.k.mem().get(f.chars, C::PauseHandler).unwrap();
        fx.k.mem_mut().set(f.chars, C::PauseHandler, 0).unwrap();
        assert_eq!(reg(&mut fx), BAD_CHARACTERISTICS, "{arch:?}: FilterPause is required");
        fx.k.mem_mut().set(f.chars, C::PauseHandler, pause).unwrap();
        assert!(ndis_events(&fx).is_empty());

        let (driver, module) = register(&mut fx, &f);
        assert_ne!(driver, 0);
        assert_ne!(module, 0);
        // FilterAttach(NdisFilterHandle, FilterDriverContext, AttachParameters).
        assert_eq!(slot(&fx, f.attach, 1), DRIVER_CONTEXT, "{arch:?}");
        let p = slot(&fx, f.attach, 2);
        let mem = fx.k.mem();
        assert_eq!(mem.get(p, AP::HeaderType).unwrap(), 0x99);
        assert_eq!(mem.get(p, AP::HeaderSize).unwrap(), AP::STRUCT.size(arch));
        assert_eq!(mem.get(p, AP::MacAddressLength).unwrap(), 6);
        assert_eq!(fx.read(AP::CurrentMacAddress.at(arch, p), 6), adapter::MAC);
        assert_eq!(mem.get(p, AP::XmitLinkSpeed).unwrap(), adapter::LINK_SPEED);
        assert_eq!(mem.get(p, AP::MediaConnectState).unwrap(), 1);
        assert_eq!(mem.get(p, AP::NetLuid).unwrap(), adapter::NET_LUID, "{arch:?}");
        let name = mem.get(p, AP::BaseMiniportName).unwrap();
        let (len, _, buf) = fx.counted(name);
        let units: Vec<u16> = fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16(&units).unwrap(), adapter::device_name(), "{arch:?}");
        // FilterRestart(FilterModuleContext, RestartParameters).
        assert_eq!(slot(&fx, f.restart, 0), MODULE_CONTEXT, "{arch:?}");
        assert_eq!(fx.k.mem().read_u8(slot(&fx, f.restart, 1)).unwrap(), 0x9B);
        let ev = ndis_events(&fx);
        assert!(
            matches!(&ev[0], NdisChange::FilterRegistered { handle, unique_name, ndis_version, callbacks, .. }
            if *handle == driver && unique_name == "{11112222-3333-4444-5555-666677778888}" && ndis_version == "6.20"
               && callbacks.len() == 7),
            "{arch:?}: {ev:?}"
        );
        assert!(matches!(&ev[1], NdisChange::Module { operation: "attach", status: 0, module: m, .. } if *m == module));
        assert!(matches!(&ev[2], NdisChange::Module { operation: "restart", status: 0, .. }));

        // NdisFSetAttributes is for FilterAttach only.
        let attrs = fx.put(&[0x8D, 1, 8, 0, 0, 0, 0, 0]);
        assert_eq!(fx.call(N, "NdisFSetAttributes", &[module, 1, attrs]).unwrap() & 0xFFFF_FFFF, FAILURE as u64);

        // Deregistration pauses, then detaches.
        fx.call(N, "NdisFDeregisterFilterDriver", &[driver]).unwrap();
        assert_eq!(slot(&fx, f.pause, 0), MODULE_CONTEXT);
        assert_eq!(fx.k.mem().read_u8(slot(&fx, f.pause, 1)).unwrap(), 0x9A);
        assert_eq!(slot(&fx, f.detach, 0), MODULE_CONTEXT, "{arch:?}");
        let ev = ndis_events(&fx);
        let ops: Vec<&str> = ev[3..]
            .iter()
            .map(|e| match e {
                NdisChange::Module { operation, .. } => operation,
                NdisChange::FilterDeregistered { .. } => "deregistered",
                _ => "other",
            })
            .collect();
        assert_eq!(ops, ["pause", "detach", "deregistered"], "{arch:?}");
        assert!(fx.k.ext().ndis.filter_modules.is_empty());
        assert!(fx.k.ext().ndis.filter_drivers.is_empty());
    }
}

#[test]
fn an_attach_without_attributes_fails() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let f = filter(&mut fx);
        let plain = recorder(&mut fx, f.attach, 3, 0);
        fx.k.mem_mut().set(f.chars, C::AttachHandler, plain).unwrap();
        let out = fx.alloc(8);
        assert_eq!(fx.call(N, "NdisFRegisterFilterDriver", &[0, 0, f.chars, out]).unwrap() & 0xFFFF_FFFF, 0);
        let ev = ndis_events(&fx);
        assert!(matches!(&ev[1], NdisChange::Module { operation: "attach", status: FAILURE, .. }), "{arch:?}: {ev:?}");
        assert_eq!(ev.len(), 2, "no restart");
        assert!(fx.k.ext().ndis.filter_modules.is_empty());
    }
}

/// A query (type 0) or set (1) request for `oid` over a buffer of `len` bytes.
fn oid_request(fx: &mut Fx, kind: u64, oid: u32, len: u64) -> (u64, u64) {
    let req = fx.alloc(R::STRUCT.size(fx.arch) + 16);
    let buf = fx.alloc(len.max(1));
    let mem = fx.k.mem_mut();
    mem.set(req, R::HeaderType, 0x96).unwrap();
    mem.set(req, R::HeaderRevision, 1).unwrap();
    mem.set(req, R::HeaderSize, R::STRUCT.size(fx.arch)).unwrap();
    mem.set(req, R::RequestType, kind).unwrap();
    mem.set(req, R::Oid, oid as u64).unwrap();
    mem.set(req, R::InformationBuffer, buf).unwrap();
    mem.set(req, R::InformationBufferLength, len).unwrap();
    (req, buf)
}

#[test]
fn the_adapter_answers_oid_requests() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let f = filter(&mut fx);
        let (_, module) = register(&mut fx, &f);
        let (req, buf) = oid_request(&mut fx, 0, 0x0101_0102, 6);
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap() & 0xFFFF_FFFF, 0, "{arch:?}");
        assert_eq!(fx.read(buf, 6), adapter::MAC);
        assert_eq!(fx.k.mem().get(req, R::BytesWritten).unwrap(), 6);
        let (req, _) = oid_request(&mut fx, 0, 0x0001_0106, 2);
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap(), BUFFER_TOO_SHORT);
        assert_eq!(fx.k.mem().get(req, R::BytesNeeded).unwrap(), 4);
        let (req, buf) = oid_request(&mut fx, 0, 0x0001_0106, 4);
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap() & 0xFFFF_FFFF, 0);
        assert_eq!(fx.k.mem().read_u32(buf).unwrap(), 1500, "{arch:?}: the MTU");
        // The packet filter: set, then read back; a filter type Ethernet lacks is refused.
        let (req, buf) = oid_request(&mut fx, 1, 0x0001_010E, 4);
        fx.k.mem_mut().write_u32(buf, 0x21).unwrap();
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap() & 0xFFFF_FFFF, 0);
        assert_eq!(fx.k.mem().get(req, R::BytesWritten).unwrap(), 4, "BytesRead");
        fx.k.mem_mut().write_u32(buf, 0x1000).unwrap();
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap(), NOT_SUPPORTED);
        let (req, buf) = oid_request(&mut fx, 0, 0x0001_010E, 4);
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap() & 0xFFFF_FFFF, 0);
        assert_eq!(fx.k.mem().read_u32(buf).unwrap(), 0x21, "{arch:?}");
        let (req, _) = oid_request(&mut fx, 0, 0x0F00_0001, 4);
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, req]).unwrap(), NOT_SUPPORTED);
        let oids = ndis_events(&fx).iter().filter(|e| matches!(e, NdisChange::OidRequest { .. })).count();
        assert_eq!(oids, 7, "{arch:?}");

        // A clone copies the request, for the caller to free.
        let out = fx.alloc(8);
        let (req, buf) = oid_request(&mut fx, 0, 0x0101_0101, 6);
        assert_eq!(
            fx.call(N, "NdisAllocateCloneOidRequest", &[module, req, tag(b"Cln1"), out]).unwrap() & 0xFFFF_FFFF,
            0
        );
        let clone = fx.read_ptr(out);
        assert_ne!(clone, req);
        assert_eq!(fx.k.mem().get(clone, R::Oid).unwrap(), 0x0101_0101);
        assert_eq!(fx.k.mem().get(clone, R::InformationBuffer).unwrap(), buf);
        assert_eq!(fx.k.ext().pool.block(clone).map(|b| b.tag), Some(tag(b"Cln1") as u32), "{arch:?}");
        assert_eq!(fx.call(N, "NdisFOidRequest", &[module, clone]).unwrap() & 0xFFFF_FFFF, 0);
        assert_eq!(fx.read(buf, 6), adapter::MAC, "the permanent address");
        fx.call(N, "NdisFreeCloneOidRequest", &[module, clone]).unwrap();
        assert!(fx.k.ext().pool.block(clone).is_none(), "{arch:?}");

        // Completing a request from above: none came, so the completion only shows.
        fx.call(N, "NdisFOidRequestComplete", &[module, req, 0]).unwrap();
        assert!(matches!(ndis_events(&fx).last(), Some(NdisChange::OidRequest { kind: "complete", .. })));
    }
}

#[test]
fn frames_go_to_the_wire_and_come_from_it() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let f = filter(&mut fx);
        let (driver, module) = register(&mut fx, &f);
        let frame: Vec<u8> = (0..60u8).collect();
        let nbl = nbl_with(&mut fx, &frame);
        fx.k.mem_mut().set(nbl, NBL::Status, 0xC000_0001).unwrap();
        fx.call(N, "NdisFSendNetBufferLists", &[module, nbl, 0, 0]).unwrap();
        assert_eq!(fx.k.mem().get(nbl, NBL::Status).unwrap(), 0, "{arch:?}: sent");
        // FilterSendNetBufferListsComplete(FilterModuleContext, NetBufferList, flags).
        assert_eq!([0, 1, 2].map(|i| slot(&fx, f.send_complete, i)), [MODULE_CONTEXT, nbl, 0], "{arch:?}");
        let sent: Vec<_> = ndis_events(&fx)
            .into_iter()
            .filter_map(|e| match e {
                NdisChange::FrameSent { module: m, length, bytes } => Some((m, length, bytes)),
                _ => None,
            })
            .collect();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, module);
        assert_eq!(sent[0].1, 60);
        assert!(sent[0].2.starts_with("00 01 02 03"), "{arch:?}: {}", sent[0].2);
        assert_eq!(fx.k.ext().ndis.adapter.frames_sent, 1);
        // A completion from the top module goes nowhere: nothing is above it.
        fx.k.mem_mut().write_u64(f.send_complete, 0).unwrap();
        fx.call(N, "NdisFSendNetBufferListsComplete", &[module, nbl, 0]).unwrap();
        assert_eq!(slot(&fx, f.send_complete, 0), 0);
        // Nothing pends, so nothing is cancelled.
        fx.call(N, "NdisFCancelSendNetBufferLists", &[module, 0x99]).unwrap();
        fx.call(N, "NdisFCancelOidRequest", &[module, 0x99]).unwrap();

        // A frame from the wire reaches FilterReceiveNetBufferLists(context, lists, port,
        // count, flags); the module gives it back.
        let wire: Vec<u8> = vec![0xff; 6].into_iter().chain(adapter::MAC).chain([0x08, 0x06]).collect();
        portcullis_hle::ndis::receive_frame(&mut fx.k, &wire).unwrap();
        let got = slot(&fx, f.receive, 1);
        assert_eq!([0, 2, 3, 4].map(|i| slot(&fx, f.receive, i)), [MODULE_CONTEXT, 0, 1, 0], "{arch:?}");
        let nb = fx.k.mem().get(got, NBL::FirstNetBuffer).unwrap();
        assert_eq!(fx.k.mem().get(nb, NB::DataLength).unwrap(), 14);
        let data_out = fx.alloc(16);
        let at = fx.call(N, "NdisGetDataBuffer", &[nb, 14, data_out, 1, 0]).unwrap();
        assert_eq!(fx.read(at, 14), wire, "{arch:?}");
        fx.call(N, "NdisFReturnNetBufferLists", &[module, got, 0]).unwrap();
        assert!(fx.k.ext().ndis.received.is_empty(), "{arch:?}: back at the adapter");

        // Passed up instead: no protocol is bound, so it comes straight back to the module
        // (FilterReturnNetBufferLists), which returns it to the adapter.
        portcullis_hle::ndis::receive_frame(&mut fx.k, &wire).unwrap();
        let got = slot(&fx, f.receive, 1);
        fx.call(N, "NdisFIndicateReceiveNetBufferLists", &[module, got, 0, 1, 0]).unwrap();
        assert_eq!([0, 1].map(|i| slot(&fx, f.returned, i)), [MODULE_CONTEXT, got], "{arch:?}");
        assert_eq!(fx.k.ext().ndis.received.len(), 1);
        fx.call(N, "NdisFReturnNetBufferLists", &[module, got, 0]).unwrap();
        assert!(fx.k.ext().ndis.received.is_empty());
        let ev = ndis_events(&fx);
        let received = ev.iter().filter(|e| matches!(e, NdisChange::FrameReceived { length: 14, .. })).count();
        let returned = ev.iter().filter(|e| matches!(e, NdisChange::FramesReturned { count: 1 })).count();
        let to_none = ev.iter().filter(|e| matches!(e, NdisChange::IndicatedToNoProtocol { count: 1, .. })).count();
        assert_eq!((received, returned, to_none), (2, 2, 1), "{arch:?}");
        fx.call(N, "NdisFDeregisterFilterDriver", &[driver]).unwrap();
    }
}

#[test]
fn status_and_pnp_indications_are_recorded() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let f = filter(&mut fx);
        let (_, module) = register(&mut fx, &f);
        let ind = fx.alloc(0x70);
        fx.k.mem_mut().write(ind, &[0x98, 1, 0x44, 0]).unwrap();
        fx.k.mem_mut().set(ind, portcullis_hle::layout::NDIS_STATUS_INDICATION::StatusCode, 0x4001_000B).unwrap();
        fx.call(N, "NdisFIndicateStatus", &[module, ind]).unwrap();
        let pnp = fx.alloc(0x40);
        fx.k.mem_mut().write_u32(pnp + 8, 2).unwrap();
        assert_eq!(fx.call(N, "NdisFNetPnPEvent", &[module, pnp]).unwrap() & 0xFFFF_FFFF, 0, "{arch:?}");
        fx.k.mem_mut().write_u32(pnp + 8, 1).unwrap();
        fx.call(N, "NdisFDevicePnPEventNotify", &[module, pnp]).unwrap();
        let got: Vec<_> = ndis_events(&fx)
            .into_iter()
            .filter_map(|e| match e {
                NdisChange::Indication { kind, module: m, code } => Some((kind, m, code)),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            [("status", module, 0x4001_000B), ("net_pnp", module, 2), ("device_pnp", module, 1)],
            "{arch:?}"
        );
    }
}

#[test]
fn the_registry_lists_the_adapter() {
    for arch in both() {
        let fx = Fx::new(arch);
        let reg = &fx.k.ext().registry;
        let linkage = reg.find("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Tcpip\\Linkage").unwrap();
        let bind = reg.value(linkage, "Bind").unwrap();
        assert_eq!(portcullis_hle::cm::multi_strings(&bind.data), [adapter::device_name()], "{arch:?}");
        let class = reg
            .find("\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}\\0000")
            .unwrap();
        let id = reg.value(class, "NetCfgInstanceId").unwrap();
        assert_eq!(portcullis_hle::cm::utf16_text(&id.data), adapter::GUID);
    }
}
