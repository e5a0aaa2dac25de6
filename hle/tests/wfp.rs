//! fwpkclnt.sys through the real stubs, both architectures: engine sessions and
//! transactions, the engine's sublayers, callouts and filters with the checks the engine
//! makes, callout registration, flow contexts, injection handles and injected packets (their
//! completion function called, their injection state), NBLs over NDIS's pools, and the
//! trace events that say what a driver registered. Also ExUuidCreate.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Prot, RegionKind};
use portcullis_hle::events::SystemEvent;
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelEvent;
use portcullis_hle::layout::{Field, FieldAccess, NET_BUFFER_LIST as NBL};
use portcullis_hle::wfp::events::WfpChange;
use portcullis_hle::wfp::layout::{
    FWPM_CALLOUT0 as CO, FWPM_DISPLAY_DATA0 as DD, FWPM_FILTER0 as FI, FWPM_SESSION0 as SE, FWPM_SUBLAYER0 as SL,
    FWPS_CALLOUT as RC,
};

const W: Dll = Dll::Fwpkclnt;

const SUCCESS: u64 = 0;
const CALLOUT_NOT_FOUND: u64 = 0xC022_0001;
const FILTER_NOT_FOUND: u64 = 0xC022_0003;
const LAYER_NOT_FOUND: u64 = 0xC022_0004;
const SUBLAYER_NOT_FOUND: u64 = 0xC022_0007;
const NOT_FOUND: u64 = 0xC022_0008;
const ALREADY_EXISTS: u64 = 0xC022_0009;
const IN_USE: u64 = 0xC022_000A;
const NO_TXN: u64 = 0xC022_000D;
const TXN_IN_PROGRESS: u64 = 0xC022_000E;
const INCOMPATIBLE_TXN: u64 = 0xC022_0011;
const INCOMPATIBLE_LAYER: u64 = 0xC022_0014;
const BUILTIN_OBJECT: u64 = 0xC022_0017;
const NULL_POINTER: u64 = 0xC022_001C;
const INVALID_ACTION_TYPE: u64 = 0xC022_0024;
const INVALID_PARAMETER: u64 = 0xC022_0035;
const INVALID_HANDLE: u64 = 0xC000_0008;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;

const OUTBOUND_IPPACKET_V4: &str = "1e5c9fae-8a84-4135-a331-950b54229ecd";
const INBOUND_IPPACKET_V4: &str = "c86fd1bf-21cd-497e-a0bb-17425c885c58";
const UNIVERSAL: &str = "eebecc03-ced4-4380-819a-2734397b2b74";
const SUBLAYER: &str = "11111111-2222-3333-4444-555555555555";
const CALLOUT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const FILTER: &str = "12345678-9abc-def0-1234-56789abcdef0";

fn st(r: u64) -> u64 {
    r & 0xFFFF_FFFF
}

fn guid(s: &str) -> [u8; 16] {
    portcullis_hle::etw::parse_guid(s).unwrap()
}

/// A zeroed structure of `size` bytes.
fn block(fx: &mut Fx, size: u64) -> u64 {
    fx.put(&vec![0; size as usize])
}

fn set_guid(fx: &mut Fx, base: u64, f: Field, g: &str) {
    let at = f.at(fx.arch, base);
    fx.k.mem_mut().write(at, &guid(g)).unwrap();
}

fn set(fx: &mut Fx, base: u64, f: Field, v: u64) {
    fx.k.mem_mut().set(base, f, v).unwrap();
}

fn set_name(fx: &mut Fx, base: u64, display: Field, name: &str) {
    let s = fx.wstr(name);
    let at = display.at(fx.arch, base);
    set(fx, at, DD::name, s);
}

fn open(fx: &mut Fx, session: u64) -> u64 {
    let out = fx.alloc(8);
    assert_eq!(st(fx.call(W, "FwpmEngineOpen0", &[0, 10, 0, session, out]).unwrap()), SUCCESS);
    fx.read_ptr(out)
}

fn sublayer(fx: &mut Fx, key: &str) -> u64 {
    let s = block(fx, 0x48);
    set_guid(fx, s, SL::subLayerKey, key);
    set_name(fx, s, SL::displayData, "Test sublayer");
    set(fx, s, SL::weight, 5);
    s
}

fn callout(fx: &mut Fx, key: &str, layer: &str) -> u64 {
    let c = block(fx, 0x58);
    set_guid(fx, c, CO::calloutKey, key);
    set_guid(fx, c, CO::applicableLayer, layer);
    set_name(fx, c, CO::displayData, "Test callout");
    c
}

fn filter(fx: &mut Fx, key: &str, layer: &str, sublayer: &str, action: u64, callout: &str) -> u64 {
    let f = block(fx, 0xc8);
    set_guid(fx, f, FI::filterKey, key);
    set_guid(fx, f, FI::layerKey, layer);
    set_guid(fx, f, FI::subLayerKey, sublayer);
    set(fx, f, FI::actionType, action);
    set_guid(fx, f, FI::actionKey, callout);
    set_name(fx, f, FI::displayData, "Test filter");
    f
}

fn wfp_events(fx: &Fx) -> Vec<WfpChange> {
    kernel_events(&fx.k, |e| match e {
        KernelEvent::System(SystemEvent::Wfp(w)) => Some(w.change.clone()),
        _ => None,
    })
}

#[test]
fn sessions_and_transactions() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        let server = fx.wstr("remote");
        assert_eq!(st(fx.call(W, "FwpmEngineOpen0", &[0, 10, 0, 0, 0]).unwrap()), NULL_POINTER);
        assert_eq!(st(fx.call(W, "FwpmEngineOpen0", &[server, 10, 0, 0, out]).unwrap()), INVALID_PARAMETER);
        assert_eq!(st(fx.call(W, "FwpmEngineOpen0", &[0, 9, 0, 0, out]).unwrap()), INVALID_PARAMETER);
        let session = block(&mut fx, 0x48);
        set_name(&mut fx, session, SE::displayData, "Test session");
        set(&mut fx, session, SE::flags, 1);
        let h = open(&mut fx, session);
        assert_ne!(h, 0, "{arch:?}");
        let s = fx.k.ext().wfp.sessions.get(&h).cloned().unwrap();
        assert_eq!((s.name.as_str(), s.dynamic), ("Test session", true));

        assert_eq!(st(fx.call(W, "FwpmTransactionCommit0", &[h]).unwrap()), NO_TXN);
        assert_eq!(st(fx.call(W, "FwpmTransactionBegin0", &[h, 2]).unwrap()), INVALID_PARAMETER, "unknown flag");
        assert_eq!(st(fx.call(W, "FwpmTransactionBegin0", &[h, 0]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpmTransactionBegin0", &[h, 0]).unwrap()), TXN_IN_PROGRESS);
        assert_eq!(st(fx.call(W, "FwpmTransactionCommit0", &[h]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpmTransactionAbort0", &[h]).unwrap()), NO_TXN);
        // A read-only transaction refuses changes.
        assert_eq!(st(fx.call(W, "FwpmTransactionBegin0", &[h, 1]).unwrap()), SUCCESS);
        let sl = sublayer(&mut fx, SUBLAYER);
        assert_eq!(st(fx.call(W, "FwpmSubLayerAdd0", &[h, sl, 0]).unwrap()), INCOMPATIBLE_TXN, "{arch:?}");
        assert_eq!(st(fx.call(W, "FwpmTransactionAbort0", &[h]).unwrap()), SUCCESS);

        assert_eq!(st(fx.call(W, "FwpmEngineClose0", &[h]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpmEngineClose0", &[h]).unwrap()), INVALID_HANDLE);
        assert_eq!(st(fx.call(W, "FwpmTransactionBegin0", &[h, 0]).unwrap()), INVALID_HANDLE);
        let ev = wfp_events(&fx);
        assert!(matches!(&ev[0], WfpChange::EngineOpened { session, dynamic: true, .. } if session == "Test session"));
        let ops: Vec<&str> = ev
            .iter()
            .filter_map(|e| match e {
                WfpChange::Transaction { operation, .. } => Some(*operation),
                _ => None,
            })
            .collect();
        assert_eq!(ops, ["begin", "commit", "begin_read_only", "abort"], "{arch:?}");
        assert!(matches!(ev.last(), Some(WfpChange::EngineClosed { handle }) if *handle == h));
    }
}

#[test]
fn the_engine_checks_objects_and_an_abort_undoes_them() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let h = open(&mut fx, 0);
        assert_eq!(st(fx.call(W, "FwpmTransactionBegin0", &[h, 0]).unwrap()), SUCCESS);
        let sl = sublayer(&mut fx, SUBLAYER);
        assert_eq!(st(fx.call(W, "FwpmSubLayerAdd0", &[h, sl, 0]).unwrap()), SUCCESS, "{arch:?}");
        assert_eq!(st(fx.call(W, "FwpmSubLayerAdd0", &[h, sl, 0]).unwrap()), ALREADY_EXISTS);
        assert_eq!(st(fx.call(W, "FwpmSubLayerAdd0", &[h, 0, 0]).unwrap()), NULL_POINTER);
        let bad_layer = callout(&mut fx, CALLOUT, SUBLAYER);
        let id_out = fx.alloc(8);
        assert_eq!(st(fx.call(W, "FwpmCalloutAdd0", &[h, bad_layer, 0, id_out]).unwrap()), LAYER_NOT_FOUND);
        let c = callout(&mut fx, CALLOUT, OUTBOUND_IPPACKET_V4);
        assert_eq!(st(fx.call(W, "FwpmCalloutAdd0", &[h, c, 0, id_out]).unwrap()), SUCCESS, "{arch:?}");
        let callout_id = fx.k.mem().read_u32(id_out).unwrap();
        assert!(callout_id >= 0x100);
        assert_eq!(st(fx.call(W, "FwpmCalloutAdd0", &[h, c, 0, 0]).unwrap()), ALREADY_EXISTS);

        // Filters: the callout's layer must be the filter's; sublayer, callout and action
        // must exist.
        let filter_id = fx.alloc(8);
        let wrong_layer = filter(&mut fx, FILTER, INBOUND_IPPACKET_V4, SUBLAYER, 0x5003, CALLOUT);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, wrong_layer, 0, filter_id]).unwrap()), INCOMPATIBLE_LAYER);
        let no_callout = filter(&mut fx, FILTER, OUTBOUND_IPPACKET_V4, SUBLAYER, 0x5003, FILTER);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, no_callout, 0, filter_id]).unwrap()), CALLOUT_NOT_FOUND);
        let no_sublayer = filter(&mut fx, FILTER, OUTBOUND_IPPACKET_V4, CALLOUT, 0x1001, CALLOUT);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, no_sublayer, 0, filter_id]).unwrap()), SUBLAYER_NOT_FOUND);
        let bad_action = filter(&mut fx, FILTER, OUTBOUND_IPPACKET_V4, SUBLAYER, 0x9999, CALLOUT);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, bad_action, 0, filter_id]).unwrap()), INVALID_ACTION_TYPE);
        let f = filter(&mut fx, FILTER, OUTBOUND_IPPACKET_V4, SUBLAYER, 0x5003, CALLOUT);
        // One condition, on a field key.
        let cond = block(&mut fx, 0x28);
        set_guid(&mut fx, cond, portcullis_hle::wfp::layout::FWPM_FILTER_CONDITION0::fieldKey, UNIVERSAL);
        set(&mut fx, f, FI::numFilterConditions, 1);
        set(&mut fx, f, FI::filterCondition, cond);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, f, 0, filter_id]).unwrap()), SUCCESS, "{arch:?}");
        let id = fx.k.mem().read_u64(filter_id).unwrap();
        assert!(id >= 0x1_0000);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, f, 0, 0]).unwrap()), ALREADY_EXISTS);
        // A block filter with no key and no sublayer: a new key, FWPM_SUBLAYER_UNIVERSAL.
        let plain = filter(
            &mut fx,
            "00000000-0000-0000-0000-000000000000",
            INBOUND_IPPACKET_V4,
            "00000000-0000-0000-0000-000000000000",
            0x1001,
            "00000000-0000-0000-0000-000000000000",
        );
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[h, plain, 0, 0]).unwrap()), SUCCESS);

        // In use: neither the callout nor the sublayer can go.
        let (ck, sk) = (fx.put(&guid(CALLOUT)), fx.put(&guid(SUBLAYER)));
        assert_eq!(st(fx.call(W, "FwpmCalloutDeleteByKey0", &[h, ck]).unwrap()), IN_USE);
        assert_eq!(st(fx.call(W, "FwpmSubLayerDeleteByKey0", &[h, sk]).unwrap()), IN_USE);
        let uk = fx.put(&guid(UNIVERSAL));
        assert_eq!(st(fx.call(W, "FwpmSubLayerDeleteByKey0", &[h, uk]).unwrap()), BUILTIN_OBJECT);
        {
            let store = &fx.k.ext().wfp.store;
            assert_eq!((store.sublayers.len(), store.callouts.len(), store.filters.len()), (1, 1, 2), "{arch:?}");
            let added = store.filters.values().find(|f| f.key != guid(FILTER)).unwrap();
            assert_eq!(added.sublayer, guid(UNIVERSAL));
            assert_ne!(added.key, [0; 16], "{arch:?}: a key was made");
        }
        let ev = wfp_events(&fx);
        let added = ev.iter().find_map(|e| match e {
            WfpChange::FilterAdded { layer, action, callout, conditions, sublayer, .. } if callout.is_some() => {
                Some((layer.clone(), action.clone(), sublayer.clone(), conditions.len()))
            }
            _ => None,
        });
        let expected =
            ("OUTBOUND_IPPACKET_V4".to_string(), "callout_terminating".to_string(), format!("{{{SUBLAYER}}}"), 1);
        assert_eq!(added, Some(expected), "{arch:?}");

        // The abort undoes all of it.
        assert_eq!(st(fx.call(W, "FwpmTransactionAbort0", &[h]).unwrap()), SUCCESS);
        let store = &fx.k.ext().wfp.store;
        assert!(store.sublayers.is_empty() && store.callouts.is_empty() && store.filters.is_empty(), "{arch:?}");

        // Outside a transaction they stay; deleted in order they go.
        for (name, args) in [
            ("FwpmSubLayerAdd0", vec![h, sl, 0]),
            ("FwpmCalloutAdd0", vec![h, c, 0, 0]),
            ("FwpmFilterAdd0", vec![h, f, 0, filter_id]),
        ] {
            assert_eq!(st(fx.call(W, name, &args).unwrap()), SUCCESS, "{arch:?} {name}");
        }
        let id = fx.k.mem().read_u64(filter_id).unwrap();
        let fk = fx.put(&guid(FILTER));
        let (lo, hi) = (id & 0xFFFF_FFFF, id >> 32);
        let by_id: Vec<u64> = if arch == Arch::X86 { vec![h, lo, hi] } else { vec![h, id] };
        assert_eq!(st(fx.call(W, "FwpmFilterDeleteById0", &by_id).unwrap()), SUCCESS, "{arch:?}");
        assert_eq!(st(fx.call(W, "FwpmFilterDeleteById0", &by_id).unwrap()), FILTER_NOT_FOUND);
        assert_eq!(st(fx.call(W, "FwpmFilterDeleteByKey0", &[h, fk]).unwrap()), FILTER_NOT_FOUND);
        assert_eq!(st(fx.call(W, "FwpmCalloutDeleteByKey0", &[h, ck]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpmCalloutDeleteByKey0", &[h, ck]).unwrap()), CALLOUT_NOT_FOUND);
        assert_eq!(st(fx.call(W, "FwpmSubLayerDeleteByKey0", &[h, sk]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpmSubLayerDeleteByKey0", &[h, sk]).unwrap()), SUBLAYER_NOT_FOUND);
        assert_eq!(st(fx.call(W, "FwpmEngineClose0", &[h]).unwrap()), SUCCESS);
    }
}

#[test]
fn a_dynamic_session_takes_its_objects_with_it() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let session = block(&mut fx, 0x48);
        set(&mut fx, session, SE::flags, 1);
        let dynamic = open(&mut fx, session);
        let lasting = open(&mut fx, 0);
        let sl = sublayer(&mut fx, SUBLAYER);
        assert_eq!(st(fx.call(W, "FwpmSubLayerAdd0", &[dynamic, sl, 0]).unwrap()), SUCCESS);
        let c = callout(&mut fx, CALLOUT, OUTBOUND_IPPACKET_V4);
        assert_eq!(st(fx.call(W, "FwpmCalloutAdd0", &[lasting, c, 0, 0]).unwrap()), SUCCESS);
        let f = filter(&mut fx, FILTER, OUTBOUND_IPPACKET_V4, SUBLAYER, 0x6004, CALLOUT);
        assert_eq!(st(fx.call(W, "FwpmFilterAdd0", &[dynamic, f, 0, 0]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpmEngineClose0", &[dynamic]).unwrap()), SUCCESS);
        let store = &fx.k.ext().wfp.store;
        assert!(store.sublayers.is_empty() && store.filters.is_empty(), "{arch:?}");
        assert_eq!(store.callouts.len(), 1, "{arch:?}: the other session's callout stays");
        let deleted = wfp_events(&fx)
            .iter()
            .filter(|e| matches!(e, WfpChange::FilterDeleted { .. } | WfpChange::SublayerDeleted { .. }))
            .count();
        assert_eq!(deleted, 2);
    }
}

/// Guest code for a callback taking three arguments that stores them at `slots` (and, for
/// a notify/classify function, returns 0).
fn recorder(fx: &mut Fx, slots: u64) -> u64 {
    let code = fx.k.mem_mut().alloc(RegionKind::System, "test callback", 0x1000, Prot::RWX).unwrap();
    let mut c = Vec::new();
    match fx.arch {
        Arch::X64 => {
            c.extend([0x48, 0xB8]); // mov rax, imm64
            c.extend(slots.to_le_bytes());
            c.extend([0x48, 0x89, 0x08, 0x48, 0x89, 0x50, 0x08, 0x4C, 0x89, 0x40, 0x10]); // mov [rax], rcx; [rax+8], rdx; [rax+16], r8
            c.extend([0x31, 0xC0, 0xC3]); // xor eax, eax; ret
        }
        Arch::X86 => {
            c.push(0xB8); // mov eax, imm32
            c.extend((slots as u32).to_le_bytes());
            for i in 0..3u8 {
                c.extend([0x8B, 0x4C, 0x24, 4 + 4 * i]); // mov ecx, [esp+4+4i]
                c.extend([0x89, 0x48, 8 * i]); // mov [eax+8i], ecx
            }
            c.extend([0x31, 0xC0, 0xC2, 12, 0]); // xor eax, eax; ret 12
        }
    }
    fx.k.mem_mut().write(code, &c).unwrap();
    code
}

#[test]
fn callouts_are_registered_by_key_and_share_their_identifier() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let slots = fx.alloc(24);
        let classify = recorder(&mut fx, slots);
        let r = block(&mut fx, 0x30);
        set_guid(&mut fx, r, RC::calloutKey, CALLOUT);
        set(&mut fx, r, RC::classifyFn, classify);
        set(&mut fx, r, RC::notifyFn, classify + 1);
        let id_out = fx.alloc(8);
        assert_eq!(st(fx.call(W, "FwpsCalloutRegister0", &[0x1234, r, id_out]).unwrap()), SUCCESS, "{arch:?}");
        let id = fx.k.mem().read_u32(id_out).unwrap() as u64;
        assert_eq!(st(fx.call(W, "FwpsCalloutRegister1", &[0x1234, r, id_out]).unwrap()), ALREADY_EXISTS);
        let reg = fx.k.ext().wfp.registered.get(&(id as u32)).cloned().unwrap();
        assert_eq!((reg.classify, reg.notify, reg.flow_delete, reg.version), (classify, classify + 1, 0, 0));
        // Adding the management object for the same key gives the same identifier.
        let h = open(&mut fx, 0);
        let c = callout(&mut fx, CALLOUT, OUTBOUND_IPPACKET_V4);
        let added = fx.alloc(8);
        assert_eq!(st(fx.call(W, "FwpmCalloutAdd0", &[h, c, 0, added]).unwrap()), SUCCESS);
        assert_eq!(fx.k.mem().read_u32(added).unwrap() as u64, id, "{arch:?}");
        // No classify function: refused.
        let none = block(&mut fx, 0x30);
        set_guid(&mut fx, none, RC::calloutKey, FILTER);
        assert_eq!(st(fx.call(W, "FwpsCalloutRegister1", &[0, none, 0]).unwrap()), STATUS_INVALID_PARAMETER);

        // Flow contexts: the callout must be registered, with a flowDeleteFn (this one has
        // none: STATUS_INVALID_PARAMETER); flow 7 does not exist.
        let flow = |fx: &mut Fx, name: &str, callout: u64| -> u64 {
            let args = match (fx.arch, name) {
                (Arch::X86, "FwpsFlowAssociateContext0") => vec![7, 0, 1, callout, 9, 0],
                (Arch::X86, _) => vec![7, 0, 1, callout],
                (_, "FwpsFlowAssociateContext0") => vec![7, 1, callout, 9],
                _ => vec![7, 1, callout],
            };
            st(fx.call(W, name, &args).unwrap())
        };
        assert_eq!(flow(&mut fx, "FwpsFlowAssociateContext0", id), STATUS_INVALID_PARAMETER, "{arch:?}");
        assert_eq!(flow(&mut fx, "FwpsFlowRemoveContext0", id), NOT_FOUND);
        assert_eq!(flow(&mut fx, "FwpsFlowAssociateContext0", id + 50), CALLOUT_NOT_FOUND);

        let key = fx.put(&guid(CALLOUT));
        assert_eq!(st(fx.call(W, "FwpsCalloutUnregisterByKey0", &[key]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpsCalloutUnregisterByKey0", &[key]).unwrap()), CALLOUT_NOT_FOUND);
        assert_eq!(st(fx.call(W, "FwpsCalloutUnregisterById0", &[id]).unwrap()), CALLOUT_NOT_FOUND);
        // Registered again (version 1), it keeps its identifier; then unregistered by it.
        assert_eq!(st(fx.call(W, "FwpsCalloutRegister1", &[0, r, id_out]).unwrap()), SUCCESS);
        assert_eq!(fx.k.mem().read_u32(id_out).unwrap() as u64, id);
        assert_eq!(st(fx.call(W, "FwpsCalloutUnregisterById0", &[id]).unwrap()), SUCCESS, "{arch:?}");
        let ev = wfp_events(&fx);
        let regs = ev.iter().filter(|e| matches!(e, WfpChange::CalloutRegistered { .. })).count();
        let unregs = ev.iter().filter(|e| matches!(e, WfpChange::CalloutUnregistered { .. })).count();
        assert_eq!((regs, unregs), (2, 2), "{arch:?}");
    }
}

#[test]
fn injected_packets_are_recorded_completed_and_known_as_injected() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleCreate0", &[5, 4, out]).unwrap()), STATUS_INVALID_PARAMETER);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleCreate0", &[2, 0x40, out]).unwrap()), STATUS_INVALID_PARAMETER);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleCreate0", &[2, 4, out]).unwrap()), SUCCESS, "{arch:?}");
        let network = fx.read_ptr(out);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleCreate0", &[0, 8, out]).unwrap()), SUCCESS);
        let forward = fx.read_ptr(out);

        // A list over an MDL of a 20-byte IPv4 header, from a pool.
        let params = fx.put(&[0x80, 1, 0x10, 0, 0, 1, 0, 0, b'W', b'f', b'p', b'1', 0, 0, 0, 0]);
        let pool = fx.call(Dll::Ndis, "NdisAllocateNetBufferListPool", &[0, params]).unwrap();
        let packet: Vec<u8> = [0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2].to_vec();
        let data = fx.put(&packet);
        let mdl = fx.call(Dll::Ntoskrnl, "IoAllocateMdl", &[data, 20, 0, 0, 0]).unwrap();
        let nbl_out = fx.alloc(8);
        assert_eq!(
            st(fx.call(W, "FwpsAllocateNetBufferAndNetBufferList0", &[pool + 8, 0, 0, mdl, 0, 20, nbl_out]).unwrap()),
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            st(fx.call(W, "FwpsAllocateNetBufferAndNetBufferList0", &[pool, 0, 0, mdl, 0, 20, nbl_out]).unwrap()),
            SUCCESS,
            "{arch:?}"
        );
        let nbl = fx.read_ptr(nbl_out);
        fx.k.mem_mut().set(nbl, NBL::Status, 0xC000_0001).unwrap();
        let ctx = fx.alloc(8);
        assert_eq!(
            fx.call(W, "FwpsQueryPacketInjectionState0", &[network, nbl, ctx]).unwrap() & 0xFFFF_FFFF,
            0,
            "not injected"
        );

        let slots = fx.alloc(24);
        let complete = recorder(&mut fx, slots);
        // The wrong kind of handle, no completion function.
        assert_eq!(
            st(fx.call(W, "FwpsInjectNetworkSendAsync0", &[forward, 0, 0, 1, nbl, complete, 0x77]).unwrap()),
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            st(fx.call(W, "FwpsInjectNetworkSendAsync0", &[network, 0, 0, 1, nbl, 0, 0x77]).unwrap()),
            NULL_POINTER
        );
        assert_eq!(
            st(fx.call(W, "FwpsInjectNetworkSendAsync0", &[network, 0x55, 0, 1, nbl, complete, 0x77]).unwrap()),
            SUCCESS,
            "{arch:?}"
        );
        // The recorder keeps each argument in an 8-byte slot (x86: the low 4 bytes).
        let got: Vec<u64> = (0..3)
            .map(|i| match arch {
                Arch::X86 => fx.k.mem().read_u32(slots + 8 * i).unwrap() as u64,
                Arch::X64 => fx.k.mem().read_u64(slots + 8 * i).unwrap(),
            })
            .collect();
        assert_eq!(got[..2], [0x77, nbl], "{arch:?}: completion(context, list, ...)");
        assert_eq!(got[2] & 0xFF, 0, "dispatchLevel FALSE");
        assert_eq!(fx.k.mem().get(nbl, NBL::Status).unwrap(), 0, "{arch:?}: the stack took it");
        assert_eq!(
            fx.call(W, "FwpsQueryPacketInjectionState0", &[network, nbl, ctx]).unwrap() & 0xFFFF_FFFF,
            1,
            "{arch:?}: by self"
        );
        assert_eq!(fx.read_ptr(ctx), 0x55);
        assert_eq!(
            fx.call(W, "FwpsQueryPacketInjectionState0", &[forward, nbl, 0]).unwrap() & 0xFFFF_FFFF,
            2,
            "by another"
        );
        // Receive and forward injections of the same list.
        assert_eq!(
            st(fx.call(W, "FwpsInjectNetworkReceiveAsync0", &[network, 0, 0, 1, 3, 0, nbl, complete, 0]).unwrap()),
            SUCCESS
        );
        assert_eq!(
            st(fx.call(W, "FwpsInjectForwardAsync0", &[forward, 0, 0, 7, 1, 3, nbl, complete, 0]).unwrap()),
            STATUS_INVALID_PARAMETER,
            "bad family"
        );
        assert_eq!(
            st(fx.call(W, "FwpsInjectForwardAsync0", &[forward, 0, 0, 2, 1, 3, nbl, complete, 0]).unwrap()),
            SUCCESS
        );
        let ev = wfp_events(&fx);
        let injected: Vec<(&str, u64, String)> = ev
            .iter()
            .filter_map(|e| match e {
                WfpChange::Injected { kind, length, bytes, .. } => Some((*kind, *length, bytes.clone())),
                _ => None,
            })
            .collect();
        let hex = packet.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        assert_eq!(injected.len(), 3, "{arch:?}");
        assert_eq!(injected[0], ("network_send", 20, hex), "{arch:?}");
        assert_eq!((injected[1].0, injected[2].0), ("network_receive", "forward"));

        // Freed, it is no longer injected; destroyed, the handle is gone.
        fx.call(W, "FwpsFreeNetBufferList0", &[nbl]).unwrap();
        assert!(fx.k.ext().wfp.injected.is_empty() && fx.k.ext().ndis.nbls.is_empty(), "{arch:?}");
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleDestroy0", &[network]).unwrap()), SUCCESS);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleDestroy0", &[network]).unwrap()), INVALID_HANDLE);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleDestroy0", &[forward]).unwrap()), SUCCESS);
    }
}

#[test]
fn uuids_are_time_based_distinct_and_the_same_in_every_run() {
    let make = |arch| {
        let mut fx = Fx::new(arch);
        let a = fx.alloc(16);
        let b = fx.alloc(16);
        assert_eq!(fx.call(Dll::Ntoskrnl, "ExUuidCreate", &[a]).unwrap() & 0xFFFF_FFFF, 0);
        assert_eq!(fx.call(Dll::Ntoskrnl, "ExUuidCreate", &[b]).unwrap() & 0xFFFF_FFFF, 0);
        (fx.read(a, 16), fx.read(b, 16))
    };
    for arch in both() {
        let (a, b) = make(arch);
        assert_ne!(a, b, "{arch:?}");
        assert_eq!(a[7] >> 4, 1, "{arch:?}: version 1");
        assert_eq!(a[8] & 0xC0, 0x80, "the RFC 4122 variant");
        assert_eq!(make(arch), (a, b), "{arch:?}: deterministic");
    }
}

#[test]
fn a_callout_is_read_back_by_key_into_memory_the_caller_frees() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let h = open(&mut fx, 0);
        let c = callout(&mut fx, CALLOUT, OUTBOUND_IPPACKET_V4);
        let id_out = fx.alloc(8);
        assert_eq!(st(fx.call(W, "FwpmCalloutAdd0", &[h, c, 0, id_out]).unwrap()), SUCCESS);
        let out = fx.alloc(8);
        let key = fx.put(&guid(CALLOUT));
        let other = fx.put(&guid(FILTER));
        assert_eq!(st(fx.call(W, "FwpmCalloutGetByKey0", &[h, other, out]).unwrap()), CALLOUT_NOT_FOUND);
        assert_eq!(st(fx.call(W, "FwpmCalloutGetByKey0", &[h + 1, key, out]).unwrap()), INVALID_HANDLE);
        assert_eq!(st(fx.call(W, "FwpmCalloutGetByKey0", &[h, key, out]).unwrap()), SUCCESS, "{arch:?}");
        let copy = fx.read_ptr(out);
        assert_eq!(fx.read(CO::calloutKey.at(arch, copy), 16), guid(CALLOUT).to_vec());
        assert_eq!(fx.read(CO::applicableLayer.at(arch, copy), 16), guid(OUTBOUND_IPPACKET_V4).to_vec());
        assert_eq!(fx.k.mem().get(copy, CO::calloutId).unwrap(), fx.k.mem().read_u32(id_out).unwrap() as u64);
        let name = fx.k.mem().get(CO::displayData.at(arch, copy), DD::name).unwrap();
        assert_eq!(fx.read(name, 26), "Test callout\0".encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<_>>());
        fx.call(W, "FwpmFreeMemory0", &[out]).unwrap();
        assert_eq!(fx.read_ptr(out), 0, "{arch:?}: the pointer is cleared");
        assert!(fx.k.ext().pool.block(copy).is_none(), "{arch:?}: freed");
        fx.call(W, "FwpmFreeMemory0", &[out]).unwrap(); // NULL: nothing
    }
}

/// An MDL over `bytes` (copied into guest memory).
fn mdl_over(fx: &mut Fx, bytes: &[u8], next: u64) -> u64 {
    use portcullis_hle::layout::MDL;
    let data = fx.put(bytes);
    let mdl = fx.alloc(MDL::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(mdl, MDL::Next, next).unwrap();
    mem.set(mdl, MDL::StartVa, data & !0xFFF).unwrap();
    mem.set(mdl, MDL::ByteOffset, data & 0xFFF).unwrap();
    mem.set(mdl, MDL::ByteCount, bytes.len() as u64).unwrap();
    mdl
}

/// A NET_BUFFER_LIST with one NET_BUFFER of `length` bytes over the MDL chain `mdl` from
/// `mdl_offset` in it.
fn list_over(fx: &mut Fx, mdl: u64, mdl_offset: u64, length: u64, next: u64) -> u64 {
    use portcullis_hle::layout::NET_BUFFER as NB;
    let nb = fx.alloc(NB::STRUCT.size(fx.arch));
    let nbl = fx.alloc(NBL::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(nb, NB::MdlChain, mdl).unwrap();
    mem.set(nb, NB::CurrentMdl, mdl).unwrap();
    mem.set(nb, NB::CurrentMdlOffset, mdl_offset).unwrap();
    mem.set(nb, NB::DataOffset, mdl_offset).unwrap();
    mem.set(nb, NB::DataLength, length).unwrap();
    mem.set(nbl, NBL::FirstNetBuffer, nb).unwrap();
    mem.set(nbl, NBL::Next, next).unwrap();
    nbl
}

#[test]
fn stream_data_is_copied_across_mdls_net_buffers_and_lists() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let x64 = arch == Arch::X64;
        // List 2: "!!!?" of which 3 bytes are data. List 1: "..Hello " + "World", 11 bytes
        // from offset 2 of the first MDL.
        let tail = mdl_over(&mut fx, b"!!!?", 0);
        let second = list_over(&mut fx, tail, 0, 3, 0);
        let world = mdl_over(&mut fx, b"World", 0);
        let hello = mdl_over(&mut fx, b"..Hello ", world);
        let first = list_over(&mut fx, hello, 2, 11, second);
        let nb = |fx: &Fx, nbl: u64| fx.k.mem().get(nbl, NBL::FirstNetBuffer).unwrap();
        // FWPS_STREAM_DATA0 at (list, net buffer, MDL, MDL offset, net buffer offset).
        let stream = |fx: &mut Fx, at: (u64, u64, u64, u32, u32), length: u64| {
            let s = fx.alloc(64);
            let p = |fx: &mut Fx, o: u64, v: u64| fx.k.mem_mut().write_ptr(s + o, v).unwrap();
            let (o_nbl, o_nb, o_mdl, o_mo, o_nbo, o_len, o_chain) =
                if x64 { (8, 16, 24, 32, 36, 48, 56) } else { (4, 8, 12, 16, 20, 28, 32) };
            p(fx, o_nbl, at.0);
            p(fx, o_nb, at.1);
            p(fx, o_mdl, at.2);
            fx.k.mem_mut().write_u32(s + o_mo, at.3).unwrap();
            fx.k.mem_mut().write_u32(s + o_nbo, at.4).unwrap();
            p(fx, o_len, length);
            p(fx, o_chain, first);
            s
        };
        let buf = fx.alloc(64);
        let copied = fx.alloc(8);
        let copy = |fx: &mut Fx, s: u64, n: u64| {
            fx.call(Dll::Fwpkclnt, "FwpsCopyStreamDataToBuffer0", &[s, buf, n, copied]).unwrap();
            let n = fx.read_ptr(copied) & if x64 { u64::MAX } else { 0xFFFF_FFFF };
            fx.read(buf, n as usize)
        };
        let (nb1, nb2) = (nb(&fx, first), nb(&fx, second));
        let whole = stream(&mut fx, (first, nb1, hello, 2, 0), 14);
        assert_eq!(copy(&mut fx, whole, 64), b"Hello World!!!", "{arch:?}: capped by dataLength");
        assert_eq!(copy(&mut fx, whole, 8), b"Hello Wo");
        let before = fx.read(whole, 64);
        assert_eq!(copy(&mut fx, whole, 0), b"");
        assert_eq!(fx.read(whole, 64), before, "the stream data is left as it was");
        // From inside the second MDL ("World" at 2), 6 bytes of stream data left.
        let later = stream(&mut fx, (first, nb1, world, 2, 8), 6);
        assert_eq!(copy(&mut fx, later, 64), b"rld!!!", "{arch:?}");
        // The data ends before dataLength: what there is.
        let short = stream(&mut fx, (second, nb2, tail, 0, 0), 40);
        assert_eq!(copy(&mut fx, short, 64), b"!!!", "{arch:?}: the net buffer's DataLength");
    }
}

#[test]
fn a_clone_describes_the_originals_data_and_counts_as_its_child() {
    use portcullis_hle::layout::NET_BUFFER as NB;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let world = mdl_over(&mut fx, b"World", 0);
        let hello = mdl_over(&mut fx, b"..Hello ", world);
        let original = list_over(&mut fx, hello, 2, 11, 0);
        // A second net buffer: "orl" of the second MDL.
        let nb1 = fx.k.mem().get(original, NBL::FirstNetBuffer).unwrap();
        let nb2 = fx.alloc(NB::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(nb2, NB::MdlChain, hello).unwrap();
        mem.set(nb2, NB::CurrentMdl, world).unwrap();
        mem.set(nb2, NB::CurrentMdlOffset, 1).unwrap();
        mem.set(nb2, NB::DataOffset, 9).unwrap();
        mem.set(nb2, NB::DataLength, 3).unwrap();
        mem.set(nb1, NB::Next, nb2).unwrap();
        let out = fx.alloc(8);
        let clone_of = |fx: &mut Fx, nbl_pool: u64, flags: u64| {
            fx.call(Dll::Fwpkclnt, "FwpsAllocateCloneNetBufferList0", &[original, nbl_pool, 0, flags, out]).unwrap()
        };
        assert_eq!(clone_of(&mut fx, 0, 0), 0, "{arch:?}");
        let clone = fx.read_ptr(out);
        let get = |fx: &Fx, at: u64, f: Field| fx.k.mem().get(at, f).unwrap();
        assert_eq!(get(&fx, clone, NBL::ParentNetBufferList), original);
        assert_eq!(get(&fx, original, NBL::ChildRefCount), 1);
        let c1 = get(&fx, clone, NBL::FirstNetBuffer);
        let c2 = get(&fx, c1, NB::Next);
        assert!(c1 != nb1 && c2 != nb2 && c2 != 0, "{arch:?}: net buffers of its own");
        assert_eq!(get(&fx, c2, NB::Next), 0);
        for (c, o) in [(c1, nb1), (c2, nb2)] {
            for f in [NB::MdlChain, NB::CurrentMdl, NB::CurrentMdlOffset, NB::DataOffset, NB::DataLength] {
                assert_eq!(get(&fx, c, f), get(&fx, o, f), "{arch:?}: {}", f.name);
            }
        }
        // A second clone; freeing them gives the children back.
        assert_eq!(clone_of(&mut fx, 0, 0), 0);
        let second = fx.read_ptr(out);
        assert_eq!(get(&fx, original, NBL::ChildRefCount), 2);
        fx.call(Dll::Fwpkclnt, "FwpsFreeCloneNetBufferList0", &[clone, 0]).unwrap();
        assert_eq!(get(&fx, original, NBL::ChildRefCount), 1);
        assert!(fx.k.ext().pool.block(c1).is_none() && fx.k.ext().pool.block(clone).is_none(), "{arch:?}: freed");
        fx.call(Dll::Fwpkclnt, "FwpsFreeCloneNetBufferList0", &[second, 0]).unwrap();
        assert_eq!(get(&fx, original, NBL::ChildRefCount), 0);
        // Reserved flags, a pool that is none.
        assert_eq!(clone_of(&mut fx, 0, 1), 0xC000_000D);
        assert_eq!(clone_of(&mut fx, 0x1234_5000, 0), 0xC000_000D, "{arch:?}");
        // Freeing what is no clone is the pool allocator's bugcheck.
        let b = bugcheck(fx.call(Dll::Fwpkclnt, "FwpsFreeCloneNetBufferList0", &[clone, 0]));
        assert_eq!(b.name, "BAD_POOL_CALLER", "{arch:?}");
    }
}

#[test]
fn stream_data_is_injected_by_a_registered_callout_at_a_stream_layer() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleCreate0", &[2, 1, out]).unwrap()), SUCCESS, "{arch:?}");
        let stream = fx.read_ptr(out);
        assert_eq!(st(fx.call(W, "FwpsInjectionHandleCreate0", &[2, 4, out]).unwrap()), SUCCESS);
        let network = fx.read_ptr(out);
        let slots = fx.alloc(24);
        let complete = recorder(&mut fx, slots);
        // A registered callout (its classify function: any code).
        let c = block(&mut fx, 0x30);
        set_guid(&mut fx, c, RC::calloutKey, CALLOUT);
        set(&mut fx, c, RC::classifyFn, complete);
        let id_out = fx.alloc(4);
        assert_eq!(st(fx.call(W, "FwpsCalloutRegister0", &[0, c, id_out]).unwrap()), SUCCESS);
        let callout = fx.k.mem().read_u32(id_out).unwrap() as u64;

        let params = fx.put(&[0x80, 1, 0x10, 0, 0, 1, 0, 0, b'W', b'f', b'p', b'1', 0, 0, 0, 0]);
        let pool = fx.call(Dll::Ndis, "NdisAllocateNetBufferListPool", &[0, params]).unwrap();
        let data = fx.put(b"GET / HTTP/1.0\r\n");
        let mdl = fx.call(Dll::Ntoskrnl, "IoAllocateMdl", &[data, 16, 0, 0, 0]).unwrap();
        let nbl_out = fx.alloc(8);
        let r = fx.call(W, "FwpsAllocateNetBufferAndNetBufferList0", &[pool, 0, 0, mdl, 0, 16, nbl_out]).unwrap();
        assert_eq!(st(r), SUCCESS);
        let nbl = fx.read_ptr(nbl_out);
        let args = |h: u64, callout: u64, layer: u64| match arch {
            Arch::X86 => vec![h, 0x33, 0, 9, 0, callout, layer, 0, nbl, 16, complete, 0x44],
            Arch::X64 => vec![h, 0x33, 0, 9, callout, layer, 0, nbl, 16, complete, 0x44],
        };
        let call = |fx: &mut Fx, a: Vec<u64>| st(fx.call(W, "FwpsStreamInjectAsync0", &a).unwrap());
        assert_eq!(call(&mut fx, args(stream, callout, 12)), STATUS_INVALID_PARAMETER, "not a stream layer");
        assert_eq!(call(&mut fx, args(stream, callout + 1, 20)), STATUS_INVALID_PARAMETER, "no such callout");
        assert_eq!(call(&mut fx, args(network, callout, 20)), STATUS_INVALID_PARAMETER, "not a stream handle");
        assert!(wfp_events(&fx).iter().all(|e| !matches!(e, WfpChange::Injected { .. })));
        assert_eq!(call(&mut fx, args(stream, callout, 20)), SUCCESS, "{arch:?}");
        let first = match arch {
            Arch::X86 => fx.k.mem().read_u32(slots).unwrap() as u64,
            Arch::X64 => fx.k.mem().read_u64(slots).unwrap(),
        };
        assert_eq!(first, 0x44, "{arch:?}: completion(context, ...)");
        let injected: Vec<(&str, u64)> = wfp_events(&fx)
            .iter()
            .filter_map(|e| match e {
                WfpChange::Injected { kind, length, .. } => Some((*kind, *length)),
                _ => None,
            })
            .collect();
        assert_eq!(injected, [("stream", 16)], "{arch:?}");
        let ctx = fx.alloc(8);
        assert_eq!(fx.call(W, "FwpsQueryPacketInjectionState0", &[stream, nbl, ctx]).unwrap() & 0xFFFF_FFFF, 1);
        assert_eq!(fx.read_ptr(ctx), 0x33);
    }
}

#[test]
fn references_keep_count_and_classify_handles_need_a_classification() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let nbl = fx.alloc(0x40);
        fx.call(W, "FwpsReferenceNetBufferList0", &[nbl, 0]).unwrap();
        fx.call(W, "FwpsReferenceNetBufferList0", &[nbl, 1]).unwrap();
        assert_eq!(fx.k.ext().wfp.nbl_references.get(&nbl), Some(&2), "{arch:?}");
        fx.call(W, "FwpsDereferenceNetBufferList0", &[nbl, 0]).unwrap();
        assert_eq!(fx.k.ext().wfp.nbl_references.get(&nbl), Some(&1));
        fx.call(W, "FwpsDereferenceNetBufferList0", &[nbl, 0]).unwrap();
        assert!(fx.k.ext().wfp.nbl_references.is_empty());
        // One more dereference than references: left alone.
        fx.call(W, "FwpsDereferenceNetBufferList0", &[nbl, 0]).unwrap();
        assert!(fx.k.ext().wfp.nbl_references.is_empty());

        // No classification runs: no classify handle, and releasing a stranger does nothing.
        let context = fx.alloc(16);
        let out = fx.alloc(8);
        let r = fx.call(W, "FwpsAcquireClassifyHandle0", &[context, 0, out]).unwrap();
        assert_eq!(st(r), STATUS_INVALID_PARAMETER, "{arch:?}");
        let release: Vec<u64> = match arch {
            Arch::X86 => vec![context, 0],
            Arch::X64 => vec![context],
        };
        fx.call(W, "FwpsReleaseClassifyHandle0", &release).unwrap();
        assert!(fx.k.ext().wfp.classify_handles.is_empty());
        assert!(wfp_events(&fx).is_empty(), "{arch:?}");
    }
}

#[test]
fn writable_layer_data_needs_a_running_redirect_classification() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // A classifyOut as the engine hands it: continue, with the write right.
        let out = block(&mut fx, 40);
        fx.k.mem_mut().write_u32(out, 0x2006).unwrap();
        fx.k.mem_mut().write_u32(out + 24, 1).unwrap();
        let data = fx.alloc(8);
        // UINT64 arguments take two stack slots on x86.
        let wide = |v: u64| -> Vec<u64> {
            match arch {
                Arch::X86 => vec![v & 0xFFFF_FFFF, v >> 32],
                Arch::X64 => vec![v],
            }
        };
        let mut args = wide(0x1234);
        args.extend(wide(65536));
        args.extend([0, data, out]);
        let r = fx.call(W, "FwpsAcquireWritableLayerDataPointer0", &args).unwrap();
        assert_eq!(st(r), STATUS_INVALID_PARAMETER, "{arch:?}: no classification runs");
        assert_eq!(fx.read_ptr(data), 0);
        assert_eq!((fx.k.mem().read_u32(out).unwrap(), fx.k.mem().read_u32(out + 24).unwrap()), (0x2006, 1));
        // NULL out pointers are refused too.
        let mut args = wide(0x1234);
        args.extend(wide(65536));
        args.extend([0, 0, 0]);
        assert_eq!(st(fx.call(W, "FwpsAcquireWritableLayerDataPointer0", &args).unwrap()), STATUS_INVALID_PARAMETER);
        // Applying what was never handed out changes nothing.
        let mut args = wide(0x1234);
        args.extend([data, 0]);
        fx.call(W, "FwpsApplyModifiedLayerData0", &args).unwrap();
        assert!(fx.k.ext().wfp.request.is_none(), "{arch:?}");
        assert!(wfp_events(&fx).is_empty(), "{arch:?}");
    }
}
