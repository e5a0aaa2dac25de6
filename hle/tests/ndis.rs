//! ndis.sys's library routines through the real stubs, both architectures: memory, spin
//! locks (the IRQL they raise to and restore), events and timed waits, the processor count,
//! routine lookup.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const N: Dll = Dll::Ndis;
const NT: Dll = Dll::Ntoskrnl;

fn irql(fx: &mut Fx) -> u64 {
    if fx.arch == Arch::X86 {
        fx.call(Dll::Hal, "KeGetCurrentIrql", &[]).unwrap() & 0xFF
    } else {
        fx.call(NT, "KeGetCurrentIrql", &[]).unwrap() & 0xFF
    }
}

#[test]
fn memory_and_spin_locks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        assert_eq!(fx.call(N, "NdisAllocateMemoryWithTag", &[out, 64, tag(b"Nds1")]).unwrap(), 0, "{arch:?}");
        let p = fx.read_ptr(out);
        assert!(fx.k.ext().pool.block(p).is_some(), "{arch:?}");
        fx.call(N, "NdisFreeMemory", &[p, 64, 0]).unwrap();
        assert!(fx.k.ext().pool.block(p).is_none(), "{arch:?}: freed");
        let lock = fx.alloc(16);
        fx.call(N, "NdisAllocateSpinLock", &[lock]).unwrap();
        assert_eq!(irql(&mut fx), 0);
        fx.call(N, "NdisAcquireSpinLock", &[lock]).unwrap();
        assert_eq!(irql(&mut fx), 2, "{arch:?}: DISPATCH_LEVEL");
        assert_ne!(fx.read_ptr(lock), 0, "{arch:?}: held");
        fx.call(N, "NdisReleaseSpinLock", &[lock]).unwrap();
        assert_eq!((irql(&mut fx), fx.read_ptr(lock)), (0, 0), "{arch:?}: back to PASSIVE_LEVEL, free");
        fx.call(N, "NdisFreeSpinLock", &[lock]).unwrap();
    }
}

#[test]
fn events_wait_with_a_limit_and_the_system_is_described() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let event = fx.alloc(32);
        fx.call(N, "NdisInitializeEvent", &[event]).unwrap();
        assert_eq!(fx.call(N, "NdisWaitEvent", &[event, 10]).unwrap() & 0xFF, 0, "{arch:?}: not signaled: timed out");
        fx.call(N, "NdisSetEvent", &[event]).unwrap();
        assert_eq!(fx.call(N, "NdisWaitEvent", &[event, 0]).unwrap() & 0xFF, 1, "{arch:?}");
        assert_eq!(
            fx.call(N, "NdisWaitEvent", &[event, 10]).unwrap() & 0xFF,
            1,
            "{arch:?}: a notification event stays set"
        );
        fx.call(N, "NdisResetEvent", &[event]).unwrap();
        assert_eq!(fx.call(N, "NdisWaitEvent", &[event, 10]).unwrap() & 0xFF, 0, "{arch:?}");
        assert_eq!(fx.call(N, "NdisSystemProcessorCount", &[]).unwrap() & 0xFF, 2);
        let name = fx.ustr("NdisSetEvent");
        assert_eq!(fx.call(N, "NdisGetRoutineAddress", &[name]).unwrap(), fx.stub(N, "NdisSetEvent"), "{arch:?}");
        let name = fx.ustr("NdisNoSuchRoutine");
        assert_eq!(fx.call(N, "NdisGetRoutineAddress", &[name]).unwrap(), 0);
    }
}

/// NET_BUFFER_LIST_POOL_PARAMETERS, revision 1.
fn nbl_pool_parameters(fx: &mut Fx, header: [u8; 4], context_size: u16, pool_tag: &[u8; 4], data_size: u32) -> u64 {
    let mut b = header.to_vec();
    b.extend([0, 1]); // ProtocolId NDIS_PROTOCOL_ID_DEFAULT, fAllocateNetBuffer TRUE
    b.extend(context_size.to_le_bytes());
    b.extend(pool_tag);
    b.extend(data_size.to_le_bytes());
    fx.put(&b)
}

#[test]
fn net_buffer_list_pools_are_the_drivers_blocks() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let good = [0x80, 1, 0x10, 0]; // NDIS_OBJECT_TYPE_DEFAULT, revision 1, size 0x10
        let params = nbl_pool_parameters(&mut fx, good, 16, b"Nbl1", 1500);
        let pool = fx.call(N, "NdisAllocateNetBufferListPool", &[0, params]).unwrap();
        assert_ne!(pool, 0, "{arch:?}");
        let block = fx.k.ext().pool.block(pool).cloned().expect("a pool block");
        assert_eq!(block.tag, u32::from_le_bytes(*b"Nbl1"), "{arch:?}: the caller's tag");
        let kept = fx.k.ext().ndis.nbl_pools.get(&pool).cloned().unwrap();
        assert_eq!((kept.context_size, kept.data_size, kept.allocate_net_buffer), (16, 1500, true));
        // A second pool is another one.
        let other = fx.call(N, "NdisAllocateNetBufferListPool", &[0, params]).unwrap();
        assert!(other != 0 && other != pool);

        // Parameters NDIS refuses: wrong type, revision 0, a size short of DataSize, a
        // context size that is no multiple of MEMORY_ALLOCATION_ALIGNMENT.
        for (header, context) in [([0x81, 1, 0x10, 0], 0), ([0x80, 0, 0x10, 0], 0), ([0x80, 1, 0x0C, 0], 0), (good, 4)]
        {
            let bad = nbl_pool_parameters(&mut fx, header, context, b"Nbl2", 0);
            assert_eq!(
                fx.call(N, "NdisAllocateNetBufferListPool", &[0, bad]).unwrap(),
                0,
                "{arch:?} {header:?} {context}"
            );
        }
        // 8 is aligned on x86 only.
        let eight = nbl_pool_parameters(&mut fx, good, 8, b"Nbl3", 0);
        let p8 = fx.call(N, "NdisAllocateNetBufferListPool", &[0, eight]).unwrap();
        assert_eq!(p8 != 0, arch == Arch::X86, "{arch:?}");
        if p8 != 0 {
            fx.call(N, "NdisFreeNetBufferListPool", &[p8]).unwrap();
        }

        fx.call(N, "NdisFreeNetBufferListPool", &[pool]).unwrap();
        fx.call(N, "NdisFreeNetBufferListPool", &[other]).unwrap();
        assert!(fx.k.ext().pool.block(pool).is_none() && fx.k.ext().ndis.nbl_pools.is_empty(), "{arch:?}: freed");
        // Freeing it again is a double free.
        let b = bugcheck(fx.call(N, "NdisFreeNetBufferListPool", &[pool]));
        assert_eq!((b.code, b.params[0]), (0xC2, 0x07), "{arch:?}: BAD_POOL_CALLER, double free");
    }
}

#[test]
fn generic_objects_carry_their_header_and_driver_and_go_back_to_the_pool() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ptr = if arch == Arch::X64 { 8 } else { 4 };
        let driver = 0x1234_5000;
        let o = fx.call(N, "NdisAllocateGenericObject", &[driver, tag(b"GoOb"), 40]).unwrap();
        assert_ne!(o, 0, "{arch:?}");
        let block = fx.k.ext().pool.block(o).unwrap().clone();
        assert_eq!((block.tag, block.pool_type), (tag(b"GoOb") as u32, 0), "{arch:?}: nonpaged, the caller's tag");
        assert_eq!(block.size, 4 * ptr + 40, "{arch:?}: the object, then the caller's bytes");
        let header = fx.read(o, 4);
        assert_eq!(
            header,
            vec![0x82, 1, (4 * ptr) as u8, 0],
            "{arch:?}: type, revision 1, sizeof(NDIS_GENERIC_OBJECT)"
        );
        assert_eq!(fx.read_ptr(o + ptr), fx.site, "{arch:?}: Caller");
        assert_eq!(fx.read_ptr(o + 3 * ptr), driver, "{arch:?}: DriverObject");
        assert!(fx.read(o + 4 * ptr, 40).iter().all(|&b| b == 0), "{arch:?}: the caller's part is zeroed");
        // No driver object is allowed.
        let bare = fx.call(N, "NdisAllocateGenericObject", &[0, tag(b"GoOb"), 0]).unwrap();
        assert_eq!(fx.read_ptr(bare + 3 * ptr), 0);
        assert_eq!(fx.k.ext().ndis.generic_objects.len(), 2);
        fx.call(N, "NdisFreeGenericObject", &[o]).unwrap();
        fx.call(N, "NdisFreeGenericObject", &[bare]).unwrap();
        assert!(fx.k.ext().pool.block(o).is_none() && fx.k.ext().pool.block(bare).is_none(), "{arch:?}");
        assert!(fx.k.ext().ndis.generic_objects.is_empty());
        // Freeing it twice is the pool's bugcheck.
        let b = bugcheck(fx.call(N, "NdisFreeGenericObject", &[o]));
        assert_eq!(b.name, "BAD_POOL_CALLER", "{arch:?}");
    }
}
