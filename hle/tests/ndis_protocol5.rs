//! NDIS 5 protocol routines through the real stubs on both architectures, where a handle or
//! pointer is not what it should be (the whole path: corpus/ndisproto5).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::ok;
use common::*;

use portcullis_hle::exports::Dll;

#[test]
fn handles_that_are_no_protocol_or_binding_fail_with_a_status() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let status = fx.alloc(4);
        let bogus = fx.alloc(64);
        let status_of = |fx: &Fx| fx.k.mem().read_u32(status).unwrap();
        ok(&mut fx, "NdisRequest", &[status, bogus, bogus]);
        assert_eq!(status_of(&fx), 0xC000_000D, "{arch:?}: NDIS_STATUS_INVALID_PARAMETER");
        ok(&mut fx, "NdisCloseAdapter", &[status, bogus]);
        assert_eq!(status_of(&fx), 0xC000_0001, "{arch:?}: NDIS_STATUS_FAILURE");
        ok(&mut fx, "NdisDeregisterProtocol", &[status, bogus]);
        assert_eq!(status_of(&fx), 0xC000_0001, "{arch:?}");
        let (handle, selected, media, name) = (fx.alloc(8), fx.alloc(4), fx.alloc(4), fx.ustr("\\DEVICE\\X"));
        let args = [status, status, handle, selected, media, 1, bogus, 0, name, 0, 0];
        ok(&mut fx, "NdisOpenAdapter", &args);
        assert_eq!(status_of(&fx), 0xC000_000D, "{arch:?}: not a registered protocol");
    }
}

#[test]
fn registration_reads_the_characteristics_it_is_given() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (status, handle) = (fx.alloc(4), fx.alloc(8));
        let b = bugcheck(fx.call(Dll::Ndis, "NdisRegisterProtocol", &[status, handle, 0, 108]));
        assert_eq!(b.code, 0x1E, "{arch:?}: NULL characteristics fault");
        let mut fx = Fx::new(arch);
        let (status, handle, chars) = (fx.alloc(4), fx.alloc(8), fx.alloc(256));
        fx.k.mem_mut().write(chars, &[5, 2]).unwrap();
        ok(&mut fx, "NdisRegisterProtocol", &[status, handle, chars, 256]);
        assert_eq!(fx.k.mem().read_u32(status).unwrap(), 0xC001_0004, "{arch:?}: NDIS 5.2 is no version");
        fx.k.mem_mut().write(chars, &[5, 1]).unwrap();
        ok(&mut fx, "NdisRegisterProtocol", &[status, handle, chars, 256]);
        assert_eq!(fx.k.mem().read_u32(status).unwrap(), 0xC001_0005, "{arch:?}: no handlers");
    }
}
