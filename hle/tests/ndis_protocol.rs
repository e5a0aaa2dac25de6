//! NDIS 6 protocol drivers over the emulated adapter, through the real stubs, both
//! architectures: the characteristics checked, the bind NDIS makes at registration (bind
//! parameters; the protocol opens the adapter from it, picking 802.3 among its media), the
//! unbind at deregistration (the protocol closes it), sends completed by SourceHandle,
//! received frames and their return, OID requests, the adapter's instance name, partial
//! cancel ids; configuration read from the registry; timer objects; net buffer copies.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::ndis::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{
    FieldAccess, NDIS_BIND_PARAMETERS as BP, NDIS_OID_REQUEST as R, NDIS_OPEN_PARAMETERS as OP,
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS as C, NET_BUFFER as NB, NET_BUFFER_LIST as NBL,
};
use portcullis_hle::ndis::adapter;
use portcullis_hle::ndis::events::NdisChange;

const N: Dll = Dll::Ndis;
const PROTOCOL_CONTEXT: u64 = 0x6161;
const BAD_CHARACTERISTICS: u64 = 0xC001_0005;
const ADAPTER_NOT_FOUND: u32 = 0xC001_0006;
const FAILURE: u32 = 0xC000_0001;

struct Protocol {
    chars: u64,
    other: u64,
    handle_at: u64,
    binding_at: u64,
    open: u64,
    selected: u64,
    bind: u64,
    unbind: u64,
    receive: u64,
    send_complete: u64,
}

/// Revision-1 characteristics (NDIS 6.0) of protocol "testproto", opening with media
/// { 802.5, 802.3 }.
fn protocol(fx: &mut Fx) -> Protocol {
    let arch = fx.arch;
    let chars = fx.alloc(C::STRUCT.size(arch));
    let (handle_at, binding_at, selected) = (fx.alloc(8), fx.alloc(8), fx.alloc(8));
    let media = fx.put(&[1, 0, 0, 0, 0, 0, 0, 0]);
    let open = fx.alloc(OP::STRUCT.size(arch));
    let name = fx.ustr(&adapter::device_name());
    let mem = fx.k.mem_mut();
    mem.set(open, OP::HeaderType, 0x87).unwrap();
    mem.set(open, OP::HeaderRevision, 1).unwrap();
    mem.set(open, OP::HeaderSize, OP::STRUCT.size(arch)).unwrap();
    mem.set(open, OP::AdapterName, name).unwrap();
    mem.set(open, OP::MediumArray, media).unwrap();
    mem.set(open, OP::MediumArraySize, 2).unwrap();
    mem.set(open, OP::SelectedMediumIndex, selected).unwrap();
    let mut slots = [0u64; 5];
    for s in &mut slots {
        *s = fx.alloc(40);
    }
    let [bind, unbind, receive, send_complete, other] = slots;
    let handlers = [
        (C::BindAdapterHandlerEx, bind_handler(fx, bind, handle_at, open, binding_at)),
        (C::UnbindAdapterHandlerEx, unbind_handler(fx, unbind, binding_at)),
        (C::OpenAdapterCompleteHandlerEx, recorder(fx, other, 2, 0)),
        (C::CloseAdapterCompleteHandlerEx, recorder(fx, other, 2, 0)),
        (C::NetPnPEventHandler, recorder(fx, other, 2, 0)),
        (C::OidRequestCompleteHandler, recorder(fx, other, 3, 0)),
        (C::StatusHandlerEx, recorder(fx, other, 2, 0)),
        (C::ReceiveNetBufferListsHandler, recorder(fx, receive, 5, 0)),
        (C::SendNetBufferListsCompleteHandler, recorder(fx, send_complete, 3, 0)),
    ];
    let mem = fx.k.mem_mut();
    mem.set(chars, C::HeaderType, 0x95).unwrap();
    mem.set(chars, C::HeaderRevision, 1).unwrap();
    mem.set(chars, C::HeaderSize, C::SendNetBufferListsCompleteHandler.offset(arch) + arch.ptr_size()).unwrap();
    mem.set(chars, C::MajorNdisVersion, 6).unwrap();
    for (f, at) in handlers {
        mem.set(chars, f, at).unwrap();
    }
    set_ustr(fx, C::Name.at(arch, chars), "testproto");
    Protocol { chars, other, handle_at, binding_at, open, selected, bind, unbind, receive, send_complete }
}

fn register(fx: &mut Fx, p: &Protocol) -> u64 {
    let st = fx.call(N, "NdisRegisterProtocolDriver", &[PROTOCOL_CONTEXT, p.chars, p.handle_at]).unwrap();
    assert_eq!(st & 0xFFFF_FFFF, 0, "{:?}", fx.arch);
    fx.read_ptr(p.handle_at)
}

#[test]
fn a_protocol_binds_opens_and_is_unbound() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = protocol(&mut fx);
        let receive = fx.k.mem().get(p.chars, C::ReceiveNetBufferListsHandler).unwrap();
        fx.k.mem_mut().set(p.chars, C::ReceiveNetBufferListsHandler, 0).unwrap();
        let reg = |fx: &mut Fx| fx.call(N, "NdisRegisterProtocolDriver", &[0, p.chars, p.handle_at]).unwrap();
        assert_eq!(reg(&mut fx), BAD_CHARACTERISTICS, "{arch:?}: a receive handler is required");
        fx.k.mem_mut().set(p.chars, C::ReceiveNetBufferListsHandler, receive).unwrap();
        fx.k.mem_mut().set(p.chars, C::HeaderType, 0x8B).unwrap();
        assert_eq!(reg(&mut fx), BAD_CHARACTERISTICS);
        fx.k.mem_mut().set(p.chars, C::HeaderType, 0x95).unwrap();

        let handle = register(&mut fx, &p);
        // ProtocolBindAdapterEx(ProtocolDriverContext, BindContext, BindParameters).
        assert_eq!(slot(&fx, p.bind, 0), PROTOCOL_CONTEXT, "{arch:?}");
        let params = slot(&fx, p.bind, 2);
        let mem = fx.k.mem();
        assert_eq!(mem.get(params, BP::HeaderType).unwrap(), 0x86);
        assert_eq!(mem.get(params, BP::MtuSize).unwrap(), 1500);
        assert_eq!(mem.get(params, BP::MacAddressLength).unwrap(), 6);
        assert_eq!(fx.read(BP::CurrentMacAddress.at(arch, params), 6), adapter::MAC, "{arch:?}");
        assert_eq!(mem.get(params, BP::BoundIfNetluid).unwrap(), adapter::NET_LUID, "{arch:?}");
        // 802.3 is the second medium offered.
        assert_eq!(fx.k.mem().read_u32(p.selected).unwrap(), 1, "{arch:?}");
        let binding = fx.read_ptr(p.binding_at);
        assert_ne!(binding, 0);
        let ev = ndis_events(&fx);
        assert!(
            matches!(&ev[0], NdisChange::ProtocolRegistered { name, callbacks, .. } if name == "testproto" && callbacks.len() == 9)
        );
        assert!(
            matches!(&ev[1], NdisChange::Binding { operation: "open", status: 0, binding: b, .. } if *b == binding)
        );
        assert!(
            matches!(&ev[2], NdisChange::Binding { operation: "bind", status: 0, protocol, .. } if *protocol == handle)
        );

        fx.call(N, "NdisDeregisterProtocolDriver", &[handle]).unwrap();
        assert_eq!(slot(&fx, p.unbind, 1), BINDING_CONTEXT, "{arch:?}: unbind(UnbindContext, ProtocolBindingContext)");
        let ops: Vec<String> = ndis_events(&fx)[3..]
            .iter()
            .map(|e| match e {
                NdisChange::Binding { operation, .. } => operation.to_string(),
                other => format!("{other:?}").split_whitespace().next().unwrap().to_string(),
            })
            .collect();
        assert_eq!(ops, ["close", "unbind", "ProtocolDeregistered"], "{arch:?}");
        assert!(fx.k.ext().ndis.bindings.is_empty() && fx.k.ext().ndis.protocols.is_empty());
    }
}

#[test]
fn an_open_of_another_adapter_fails() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = protocol(&mut fx);
        let other = fx.ustr("\\DEVICE\\{00000000-0000-0000-0000-000000000000}");
        fx.k.mem_mut().set(p.open, OP::AdapterName, other).unwrap();
        register(&mut fx, &p);
        let ev = ndis_events(&fx);
        assert!(matches!(&ev[1], NdisChange::Binding { operation: "open", status: ADAPTER_NOT_FOUND, .. }), "{ev:?}");
        assert!(matches!(&ev[2], NdisChange::Binding { operation: "bind", status: ADAPTER_NOT_FOUND, .. }));
        assert!(fx.k.ext().ndis.bindings.is_empty(), "{arch:?}");
    }
}

#[test]
fn a_binding_sends_receives_and_asks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = protocol(&mut fx);
        register(&mut fx, &p);
        let binding = fx.read_ptr(p.binding_at);
        let frame: Vec<u8> = (0..20u8).collect();
        let nbl = nbl_with(&mut fx, &frame);
        fx.call(N, "NdisSendNetBufferLists", &[binding, nbl, 0, 0]).unwrap();
        assert_eq!(fx.k.mem().get(nbl, NBL::SourceHandle).unwrap(), binding);
        assert_eq!([0, 1].map(|i| slot(&fx, p.send_complete, i)), [BINDING_CONTEXT, nbl], "{arch:?}");
        assert!(ndis_events(&fx)
            .iter()
            .any(|e| matches!(e, NdisChange::FrameSent { module, length: 20, .. } if *module == binding)));
        fx.call(N, "NdisCancelSendNetBufferLists", &[binding, 0x11]).unwrap();

        let wire: Vec<u8> = adapter::MAC.into_iter().chain([2, 0, 0, 0, 0, 1, 0x08, 0x00]).collect();
        portcullis_hle::ndis::receive_frame(&mut fx.k, &wire).unwrap();
        let got = slot(&fx, p.receive, 1);
        assert_eq!([0, 3].map(|i| slot(&fx, p.receive, i)), [BINDING_CONTEXT, 1], "{arch:?}");
        let nb = fx.k.mem().get(got, NBL::FirstNetBuffer).unwrap();
        assert_eq!(fx.k.mem().get(nb, NB::DataLength).unwrap(), 14);
        fx.call(N, "NdisReturnNetBufferLists", &[binding, got, 0]).unwrap();
        assert!(fx.k.ext().ndis.received.is_empty(), "{arch:?}");

        // OID_802_3_CURRENT_ADDRESS through the binding.
        let req = fx.alloc(R::STRUCT.size(arch) + 16);
        let buf = fx.alloc(8);
        let mem = fx.k.mem_mut();
        mem.set(req, R::HeaderType, 0x96).unwrap();
        mem.set(req, R::Oid, 0x0101_0102).unwrap();
        mem.set(req, R::InformationBuffer, buf).unwrap();
        mem.set(req, R::InformationBufferLength, 8).unwrap();
        assert_eq!(fx.call(N, "NdisOidRequest", &[binding, req]).unwrap() & 0xFFFF_FFFF, 0);
        assert_eq!(fx.read(buf, 6), adapter::MAC, "{arch:?}");

        let name = fx.alloc(16);
        assert_eq!(fx.call(N, "NdisQueryAdapterInstanceName", &[name, binding]).unwrap() & 0xFFFF_FFFF, 0);
        let (len, _, text) = fx.counted(name);
        let units: Vec<u16> = fx.read(text, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16(&units).unwrap(), adapter::INSTANCE_NAME);
        assert!(fx.k.ext().pool.block(text).is_some(), "{arch:?}: the caller's to free");
        fx.call(N, "NdisFreeMemory", &[text, 0, 0]).unwrap();

        let ids: Vec<u64> = (0..2).map(|_| fx.call(N, "NdisGeneratePartialCancelId", &[]).unwrap() & 0xFF).collect();
        assert_eq!(ids, [1, 2], "{arch:?}");
    }
}

#[test]
fn configuration_reads_the_protocols_parameters() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = protocol(&mut fx);
        let handle = register(&mut fx, &p);
        let key = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\testproto\\Parameters";
        let sz = |s: &str| s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>();
        assert!(portcullis_hle::cm::seed_value(&mut fx.k, key, Some(("Count", 4, 7u32.to_le_bytes().to_vec()))));
        assert!(portcullis_hle::cm::seed_value(&mut fx.k, key, Some(("Mask", 1, sz("1f")))));
        assert!(portcullis_hle::cm::seed_value(&mut fx.k, key, Some(("Label", 1, sz("abc")))));
        let object = fx.alloc(0x20);
        let size = portcullis_hle::layout::NDIS_CONFIGURATION_OBJECT::STRUCT.size(arch);
        fx.k.mem_mut().write(object, &[0xA9, 1, size as u8, 0]).unwrap();
        fx.k.mem_mut().write_ptr(object + arch.ptr_size(), handle).unwrap();
        let out = fx.alloc(8);
        assert_eq!(fx.call(N, "NdisOpenConfigurationEx", &[object, out]).unwrap() & 0xFFFF_FFFF, 0, "{arch:?}");
        let config = fx.read_ptr(out);
        let (status, value) = (fx.alloc(8), fx.alloc(8));
        let read = |fx: &mut Fx, name: &str, ty: u64| {
            let kw = fx.ustr(name);
            fx.call(N, "NdisReadConfiguration", &[status, value, config, kw, ty]).unwrap();
            (fx.k.mem().read_u32(status).unwrap(), fx.read_ptr(value))
        };
        let int_at = if arch == Arch::X86 { 4 } else { 8 };
        let (s, v) = read(&mut fx, "Count", 0);
        assert_eq!((s, fx.k.mem().read_u32(v).unwrap(), fx.k.mem().read_u32(v + int_at).unwrap()), (0, 0, 7));
        let (s, v) = read(&mut fx, "Mask", 1);
        assert_eq!((s, fx.k.mem().read_u32(v + int_at).unwrap()), (0, 0x1f), "{arch:?}: hex from a string");
        let (s, v) = read(&mut fx, "Label", 2);
        assert_eq!((s, fx.k.mem().read_u32(v).unwrap()), (0, 2));
        let (len, _, buf) = fx.counted(v + int_at);
        assert_eq!(fx.read(buf, len as usize), [b'a', 0, b'b', 0, b'c', 0], "{arch:?}");
        assert_eq!(read(&mut fx, "Missing", 0).0, FAILURE);
        assert_eq!(read(&mut fx, "Label", 0).0, FAILURE, "not a number");
        fx.call(N, "NdisCloseConfiguration", &[config]).unwrap();
        assert!(fx.k.ext().ndis.configs.is_empty());
        assert!(fx.k.ext().pool.block(v).is_none(), "{arch:?}: values go with the handle");
    }
}

#[test]
fn timer_objects_fire_their_function() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let slots = fx.alloc(40);
        let function = recorder(&mut fx, slots, 4, 0);
        let chars = fx.alloc(0x18);
        let size = portcullis_hle::layout::NDIS_TIMER_CHARACTERISTICS::STRUCT.size(arch);
        fx.k.mem_mut().write(chars, &[0x97, 1, size as u8, 0]).unwrap();
        fx.k.mem_mut().write(chars + 4, b"NdTm").unwrap();
        fx.k.mem_mut().write_ptr(chars + 8, function).unwrap();
        fx.k.mem_mut().write_ptr(chars + 8 + arch.ptr_size(), 0x33).unwrap();
        let out = fx.alloc(8);
        assert_eq!(fx.call(N, "NdisAllocateTimerObject", &[0, chars, out]).unwrap() & 0xFFFF_FFFF, 0, "{arch:?}");
        let timer = fx.read_ptr(out);
        assert_eq!(fx.k.ext().pool.block(timer).map(|b| b.tag), Some(tag(b"NdTm") as u32));
        // 10 ms from now; a LARGE_INTEGER by value is two stack slots on x86.
        let due = (-100_000i64) as u64;
        let set = |fx: &mut Fx, context: u64| {
            let args = match arch {
                Arch::X86 => vec![timer, due & 0xFFFF_FFFF, due >> 32, 0, context],
                Arch::X64 => vec![timer, due, 0, context],
            };
            fx.call(N, "NdisSetTimerObject", &args).unwrap() & 0xFF
        };
        assert_eq!(set(&mut fx, 0), 0);
        assert_eq!(fx.call(N, "NdisCancelTimerObject", &[timer]).unwrap() & 0xFF, 1, "{arch:?}: it was set");
        assert_eq!(fx.call(N, "NdisCancelTimerObject", &[timer]).unwrap() & 0xFF, 0);
        // Set again with a context of its own; time passes and the function runs.
        assert_eq!(set(&mut fx, 0x44), 0);
        portcullis_hle::ke::scheduler::advance(&mut fx.k, 20_000_000).unwrap();
        assert_eq!(slot(&fx, slots, 1), 0x44, "{arch:?}: TimerFunction(_, FunctionContext, ...)");
        fx.call(N, "NdisFreeTimerObject", &[timer]).unwrap();
        assert!(fx.k.ext().pool.block(timer).is_none());
    }
}

#[test]
fn net_buffers_copy_between_windows() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let src = nbl_with(&mut fx, &(0..32u8).collect::<Vec<_>>());
        let dst = nbl_with(&mut fx, &[0u8; 16]);
        let (src_nb, dst_nb) =
            (fx.k.mem().get(src, NBL::FirstNetBuffer).unwrap(), fx.k.mem().get(dst, NBL::FirstNetBuffer).unwrap());
        let copied = fx.alloc(4);
        let st = fx.call(N, "NdisCopyFromNetBufferToNetBuffer", &[dst_nb, 4, 100, src_nb, 10, copied]).unwrap();
        assert_eq!(st & 0xFFFF_FFFF, 0, "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(copied).unwrap(), 12, "the destination's room");
        let mdl = fx.k.mem().get(dst_nb, NB::MdlChain).unwrap();
        let va = fx.k.mem().get(mdl, portcullis_hle::layout::MDL::StartVa).unwrap()
            + fx.k.mem().get(mdl, portcullis_hle::layout::MDL::ByteOffset).unwrap();
        let want: Vec<u8> = [0u8; 4].into_iter().chain(10..22).collect();
        assert_eq!(fx.read(va, 16), want, "{arch:?}");
        let st = fx.call(N, "NdisCopyFromNetBufferToNetBuffer", &[dst_nb, 17, 1, src_nb, 0, copied]).unwrap();
        assert_eq!(st & 0xFFFF_FFFF, FAILURE as u64);
    }
}

#[test]
fn a_filter_sits_between_the_protocol_and_the_adapter() {
    use portcullis_hle::layout::NDIS_FILTER_DRIVER_CHARACTERISTICS as F;
    const MODULE_CONTEXT: u64 = 0x5151;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let chars = fx.alloc(F::STRUCT.size(arch));
        let attributes = fx.put(&[0x8D, 1, 8, 0, 0, 0, 0, 0]);
        let mut slots = [0u64; 6];
        for s in &mut slots {
            *s = fx.alloc(40);
        }
        let [attach, lifecycle, send, send_complete, receive, oid] = slots;
        let handlers = [
            (F::AttachHandler, attach_handler(&mut fx, attach, MODULE_CONTEXT, attributes)),
            (F::DetachHandler, recorder(&mut fx, lifecycle, 1, 0)),
            (F::RestartHandler, recorder(&mut fx, lifecycle, 2, 0)),
            (F::PauseHandler, recorder(&mut fx, lifecycle, 2, 0)),
            (F::SendNetBufferListsHandler, recorder(&mut fx, send, 4, 0)),
            (F::SendNetBufferListsCompleteHandler, recorder(&mut fx, send_complete, 3, 0)),
            (F::ReceiveNetBufferListsHandler, recorder(&mut fx, receive, 5, 0)),
            (F::ReturnNetBufferListsHandler, recorder(&mut fx, lifecycle, 3, 0)),
            // Every request pends.
            (F::OidRequestHandler, recorder(&mut fx, oid, 2, 0x103)),
        ];
        let mem = fx.k.mem_mut();
        mem.set(chars, F::HeaderType, 0x8B).unwrap();
        mem.set(chars, F::HeaderRevision, 1).unwrap();
        mem.set(chars, F::HeaderSize, F::StatusHandler.offset(arch) + arch.ptr_size()).unwrap();
        mem.set(chars, F::MajorNdisVersion, 6).unwrap();
        for (f, at) in handlers {
            mem.set(chars, f, at).unwrap();
        }
        let out = fx.alloc(8);
        assert_eq!(fx.call(N, "NdisFRegisterFilterDriver", &[0, 0, chars, out]).unwrap() & 0xFFFF_FFFF, 0);
        let module = slot(&fx, attach, 0);
        let p = protocol(&mut fx);
        register(&mut fx, &p);
        let binding = fx.read_ptr(p.binding_at);

        // The protocol's send reaches the filter, which sends it on and completes it up.
        let nbl = nbl_with(&mut fx, &[0xAB; 20]);
        fx.call(N, "NdisSendNetBufferLists", &[binding, nbl, 0, 0]).unwrap();
        assert_eq!([0, 1].map(|i| slot(&fx, send, i)), [MODULE_CONTEXT, nbl], "{arch:?}");
        let sent = |fx: &Fx| ndis_events(fx).iter().filter(|e| matches!(e, NdisChange::FrameSent { .. })).count();
        assert_eq!(sent(&fx), 0, "not on the wire yet");
        fx.call(N, "NdisFSendNetBufferLists", &[module, nbl, 0, 0]).unwrap();
        assert_eq!(sent(&fx), 1);
        assert_eq!([0, 1].map(|i| slot(&fx, send_complete, i)), [MODULE_CONTEXT, nbl], "{arch:?}");
        fx.call(N, "NdisFSendNetBufferListsComplete", &[module, nbl, 0]).unwrap();
        assert_eq!([0, 1].map(|i| slot(&fx, p.send_complete, i)), [BINDING_CONTEXT, nbl], "{arch:?}");

        // A received frame: the filter first, then the protocol, then back down.
        portcullis_hle::ndis::receive_frame(&mut fx.k, &[0xFF; 14]).unwrap();
        let got = slot(&fx, receive, 1);
        fx.call(N, "NdisFIndicateReceiveNetBufferLists", &[module, got, 0, 1, 0]).unwrap();
        assert_eq!([0, 1].map(|i| slot(&fx, p.receive, i)), [BINDING_CONTEXT, got], "{arch:?}");
        fx.call(N, "NdisReturnNetBufferLists", &[binding, got, 0]).unwrap();
        assert_eq!([0, 1].map(|i| slot(&fx, lifecycle, i)), [MODULE_CONTEXT, got], "FilterReturnNetBufferLists");
        assert_eq!(fx.k.ext().ndis.received.len(), 1);
        fx.call(N, "NdisFReturnNetBufferLists", &[module, got, 0]).unwrap();
        assert!(fx.k.ext().ndis.received.is_empty(), "{arch:?}");

        // The protocol's request pends in the filter; its completion reaches the protocol.
        let req = fx.alloc(0x100);
        fx.k.mem_mut().write(req, &[0x96, 1, 0, 0]).unwrap();
        assert_eq!(fx.call(N, "NdisOidRequest", &[binding, req]).unwrap() & 0xFFFF_FFFF, 0x103, "{arch:?}");
        assert_eq!([0, 1].map(|i| slot(&fx, oid, i)), [MODULE_CONTEXT, req]);
        fx.call(N, "NdisFOidRequestComplete", &[module, req, 0]).unwrap();
        assert_eq!([0, 1, 2].map(|i| slot(&fx, p.other, i)), [BINDING_CONTEXT, req, 0], "{arch:?}");
        assert!(fx.k.ext().ndis.pending_oids.is_empty());

        // A status the filter passes up reaches the protocol.
        let ind = fx.alloc(0x70);
        fx.k.mem_mut().write(ind, &[0x98, 1, 0, 0]).unwrap();
        fx.call(N, "NdisFIndicateStatus", &[module, ind]).unwrap();
        assert_eq!([0, 1].map(|i| slot(&fx, p.other, i)), [BINDING_CONTEXT, ind], "{arch:?}");
    }
}
