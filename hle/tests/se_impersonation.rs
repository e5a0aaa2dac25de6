//! Impersonation: PsImpersonateClient/PsRevertToSelf, SeCreateClientSecurity capturing a
//! client thread's token as the quality of service asks, SeImpersonateClient(Ex), and what
//! PsReferenceImpersonationToken, SeCaptureSubjectContext and ZwOpenThreadToken report; both
//! architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

const STATUS_NO_TOKEN: u32 = 0xC000_007C;
const STATUS_BAD_IMPERSONATION_LEVEL: u32 = 0xC000_00A5;
const STATUS_BAD_TOKEN_TYPE: u32 = 0xC000_00A8;
const IDENTIFICATION: u64 = 1;
const IMPERSONATION: u64 = 2;
const CURRENT_THREAD: u64 = u64::MAX - 1;

/// SECURITY_QUALITY_OF_SERVICE { Length, ImpersonationLevel, ContextTrackingMode, EffectiveOnly }.
fn qos(fx: &mut Fx, level: u32, dynamic: bool) -> u64 {
    let mut b = vec![12, 0, 0, 0];
    b.extend(level.to_le_bytes());
    b.extend([dynamic as u8, 0, 0, 0]);
    fx.put(&b)
}

/// (ClientToken, DirectlyAccessClientToken) of a SECURITY_CLIENT_CONTEXT.
fn context(fx: &Fx, ctx: u64) -> (u64, u8) {
    let (token_at, direct_at) = if fx.arch == Arch::X86 { (0xc, 0x10) } else { (0x10, 0x18) };
    (fx.read_ptr(ctx + token_at), fx.read(ctx + direct_at, 1)[0])
}

/// A kernel handle to `object`.
fn open_kernel(fx: &mut Fx, object: u64) -> u64 {
    let out = fx.alloc(8);
    assert_eq!(ok32(fx, "ObOpenObjectByPointer", &[object, 0x200, 0, 0x4, 0, 0, out]), 0);
    fx.read_ptr(out)
}

fn impersonated(fx: &mut Fx, thread: u64) -> (u64, [u8; 2], u32) {
    let (c, e, l) = (fx.alloc(1), fx.alloc(1), fx.alloc(4));
    let t = ok(fx, "PsReferenceImpersonationToken", &[thread, c, e, l]);
    if t != 0 {
        ok(fx, "PsDereferenceImpersonationToken", &[t]);
    }
    (t, [fx.read(c, 1)[0], fx.read(e, 1)[0]], fx.k.mem().read_u32(l).unwrap())
}

#[test]
fn a_thread_impersonates_until_it_reverts() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let user = fx.k.ext().system.user_process;
        let token = ok(&mut fx, "PsReferencePrimaryToken", &[user]);
        assert_eq!(impersonated(&mut fx, me).0, 0);
        assert_eq!(ok32(&mut fx, "PsImpersonateClient", &[me, token, 1, 0, IMPERSONATION]), 0);
        assert_eq!(impersonated(&mut fx, me), (token, [1, 0], 2));
        // The subject context carries the client token and its level.
        let ctx = fx.alloc(32);
        ok(&mut fx, "SeCaptureSubjectContext", &[ctx]);
        assert_eq!(fx.read_ptr(ctx), token);
        assert_eq!(fx.k.mem().read_u32(ctx + arch.ptr_size()).unwrap(), 2);
        ok(&mut fx, "SeReleaseSubjectContext", &[ctx]);
        // ZwOpenThreadToken opens it.
        let out = fx.alloc(8);
        let current = arch.mask(CURRENT_THREAD);
        assert_eq!(ok32(&mut fx, "ZwOpenThreadToken", &[current, 0x8, 1, out]), 0);
        let h = fx.read_ptr(out);
        let object = portcullis_hle::ob::handles::lookup(&fx.k, h, portcullis_hle::ob::handles::Mode::Kernel).unwrap();
        assert_eq!(object.map(|o| o.0), Some(token));
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        ok(&mut fx, "PsRevertToSelf", &[]);
        assert_eq!(impersonated(&mut fx, me).0, 0);
        assert_eq!(ok32(&mut fx, "ZwOpenThreadToken", &[current, 0x8, 1, out]), STATUS_NO_TOKEN);
        ok(&mut fx, "SeCaptureSubjectContext", &[ctx]);
        assert_eq!(fx.read_ptr(ctx), 0, "no client token");
        ok(&mut fx, "SeReleaseSubjectContext", &[ctx]);
        ok(&mut fx, "PsDereferencePrimaryToken", &[token]);
    }
}

#[test]
fn a_server_impersonates_a_captured_client() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let (client, user) = (fx.k.ext().system.user_thread, fx.k.ext().system.user_process);
        let primary = ok(&mut fx, "PsReferencePrimaryToken", &[user]);
        // Dynamic tracking, local: the client's own (primary) token.
        let ctx = fx.alloc(0x48);
        let q = qos(&mut fx, IMPERSONATION as u32, true);
        assert_eq!(ok32(&mut fx, "SeCreateClientSecurity", &[client, q, 0, ctx]), 0);
        assert_eq!(context(&fx, ctx), (primary, 1));
        assert_eq!(ok32(&mut fx, "SeImpersonateClientEx", &[ctx, 0]), 0);
        assert_eq!(impersonated(&mut fx, me), (primary, [1, 0], 2));
        ok(&mut fx, "PsRevertToSelf", &[]);
        // Static tracking: a copy, an impersonation token, that SeImpersonateClient uses.
        let ctx2 = fx.alloc(0x48);
        let q = qos(&mut fx, IMPERSONATION as u32, false);
        assert_eq!(ok32(&mut fx, "SeCreateClientSecurity", &[client, q, 0, ctx2]), 0);
        let (copy, direct) = context(&fx, ctx2);
        assert!(copy != primary && direct == 0);
        assert_eq!(ok32(&mut fx, "SeTokenType", &[copy]), 2, "TokenImpersonation");
        assert_eq!(ok32(&mut fx, "SeTokenType", &[primary]), 1);
        assert_eq!(
            ok(&mut fx, "SeTokenIsAdmin", &[copy]),
            ok(&mut fx, "SeTokenIsAdmin", &[primary]),
            "the client's identity"
        );
        ok(&mut fx, "SeImpersonateClient", &[ctx2, me]);
        assert_eq!(impersonated(&mut fx, me).0, copy);
        ok(&mut fx, "PsRevertToSelf", &[]);
        // By handle: an impersonation token is assigned at its level, a primary one refused.
        let (hc, hp) = (open_kernel(&mut fx, copy), open_kernel(&mut fx, primary));
        assert_eq!(ok32(&mut fx, "PsAssignImpersonationToken", &[me, hc]), 0);
        assert_eq!(impersonated(&mut fx, me), (copy, [0, 0], 2));
        assert_eq!(ok32(&mut fx, "PsAssignImpersonationToken", &[me, hp]), STATUS_BAD_TOKEN_TYPE);
        assert_eq!(ok32(&mut fx, "PsAssignImpersonationToken", &[me, 0]), 0);
        assert_eq!(impersonated(&mut fx, me).0, 0);
        for h in [hc, hp] {
            assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        }
        // A client impersonating at a lower level than asked for cannot be captured.
        assert_eq!(ok32(&mut fx, "PsImpersonateClient", &[client, primary, 0, 0, IDENTIFICATION]), 0);
        let q = qos(&mut fx, IMPERSONATION as u32, true);
        let refused = fx.alloc(0x48);
        assert_eq!(ok32(&mut fx, "SeCreateClientSecurity", &[client, q, 0, refused]), STATUS_BAD_IMPERSONATION_LEVEL);
        let q = qos(&mut fx, IDENTIFICATION as u32, true);
        let ctx3 = fx.alloc(0x48);
        assert_eq!(ok32(&mut fx, "SeCreateClientSecurity", &[client, q, 0, ctx3]), 0);
        assert_eq!(context(&fx, ctx3).0, primary, "what the client impersonates");
        ok(&mut fx, "PsDereferencePrimaryToken", &[primary]);
    }
}
