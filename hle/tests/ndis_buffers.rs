//! NDIS net buffers through the real stubs, both architectures: NET_BUFFER_LISTs with their
//! net buffer drawn from a pool, the data window over an MDL chain (NdisGetDataBuffer, an
//! advance across MDLs, a retreat into the unused space and past it, where NDIS prepends an
//! MDL of its own that a later advance with FreeMdl gives back), contexts, and NET_BUFFER
//! pools.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, NET_BUFFER as NB, NET_BUFFER_LIST as NBL, NET_BUFFER_LIST_CONTEXT as CTX};

const N: Dll = Dll::Ndis;
const NT: Dll = Dll::Ntoskrnl;

/// A NET_BUFFER_LIST pool (revision 1) allocating net buffers.
fn nbl_pool(fx: &mut Fx) -> u64 {
    let mut b = vec![0x80, 1, 0x10, 0, 0, 1, 0, 0];
    b.extend(b"NbT1");
    b.extend(0u32.to_le_bytes());
    let params = fx.put(&b);
    let pool = fx.call(N, "NdisAllocateNetBufferListPool", &[0, params]).unwrap();
    assert_ne!(pool, 0);
    pool
}

/// An MDL over `len` bytes at `va` (IoAllocateMdl).
fn mdl(fx: &mut Fx, va: u64, len: u64) -> u64 {
    let m = fx.call(NT, "IoAllocateMdl", &[va, len, 0, 0, 0]).unwrap();
    assert_ne!(m, 0);
    m
}

fn nb_fields(fx: &Fx, nb: u64) -> (u64, u64, u64, u64, u64) {
    let mem = fx.k.mem();
    (
        mem.get(nb, NB::MdlChain).unwrap(),
        mem.get(nb, NB::DataOffset).unwrap(),
        mem.get(nb, NB::DataLength).unwrap(),
        mem.get(nb, NB::CurrentMdl).unwrap(),
        mem.get(nb, NB::CurrentMdlOffset).unwrap(),
    )
}

#[test]
fn the_data_window_moves_over_the_mdl_chain() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let pool = nbl_pool(&mut fx);
        let data: Vec<u8> = (0..64u8).collect();
        let buf = fx.put(&data);
        let (m1, m2) = (mdl(&mut fx, buf, 20), mdl(&mut fx, buf + 20, 44));
        fx.k.mem_mut().write_ptr(m1, m2).unwrap(); // MDL.Next
        let nbl = fx.call(N, "NdisAllocateNetBufferAndNetBufferList", &[pool, 0, 0, m1, 4, 50]).unwrap();
        assert_ne!(nbl, 0, "{arch:?}");
        let nb = fx.k.mem().get(nbl, NBL::FirstNetBuffer).unwrap();
        assert_eq!(fx.k.mem().get(nbl, NBL::NdisPoolHandle).unwrap(), pool);
        assert_eq!(fx.k.mem().get(nbl, NBL::Context).unwrap(), 0);
        assert_eq!(nb_fields(&fx, nb), (m1, 4, 50, m1, 4), "{arch:?}");

        // Contiguous in the current MDL: a pointer into the data; aligned as asked or not.
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 10, 0, 1, 0]).unwrap(), buf + 4, "{arch:?}");
        let (mult, off) = (8, (buf + 4) % 8);
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 10, 0, mult, off]).unwrap(), buf + 4);
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 10, 0, mult, (off + 1) % 8]).unwrap(), 0, "misaligned");
        // Across two MDLs: NULL without storage, a copy with it.
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 20, 0, 1, 0]).unwrap(), 0);
        let storage = fx.alloc(64);
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 20, storage, 1, 0]).unwrap(), storage);
        assert_eq!(fx.read(storage, 20), data[4..24].to_vec(), "{arch:?}");
        // More than the net buffer holds.
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 51, storage, 1, 0]).unwrap(), 0);

        // Advance into the second MDL.
        fx.call(N, "NdisAdvanceNetBufferDataStart", &[nb, 18, 0, 0]).unwrap();
        assert_eq!(nb_fields(&fx, nb), (m1, 22, 32, m2, 2), "{arch:?}");
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 4, 0, 1, 0]).unwrap(), buf + 22);
        // Retreat inside the unused space.
        assert_eq!(fx.call(N, "NdisRetreatNetBufferDataStart", &[nb, 10, 0, 0]).unwrap(), 0);
        assert_eq!(nb_fields(&fx, nb), (m1, 12, 42, m1, 12), "{arch:?}");
        // Retreat past it: 8 bytes lacking, 8 of backfill: NDIS prepends a 16-byte MDL.
        assert_eq!(fx.call(N, "NdisRetreatNetBufferDataStart", &[nb, 20, 8, 0]).unwrap(), 0);
        let (chain, offset, length, current, within) = nb_fields(&fx, nb);
        assert!(chain != m1 && current == chain, "{arch:?}: a new head");
        assert_eq!((offset, length, within), (8, 62, 8), "{arch:?}");
        assert_eq!(fx.read_ptr(chain), m1, "{arch:?}: chained before the driver's");
        assert_eq!(fx.k.ext().ndis.retreat_mdls.len(), 1);
        // The data runs on across the MDLs.
        let head = fx.call(N, "NdisGetDataBuffer", &[nb, 16, storage, 1, 0]).unwrap();
        assert_eq!(head, storage);
        assert_eq!(fx.read(storage + 8, 8), data[0..8].to_vec(), "{arch:?}");
        let (&prepended, &buffer) = fx.k.ext().ndis.retreat_mdls.iter().next().unwrap();
        assert_eq!(prepended, chain);
        // Advancing past the prepended MDL with FreeMdl gives it back.
        fx.call(N, "NdisAdvanceNetBufferDataStart", &[nb, 30, 1, 0]).unwrap();
        assert_eq!(nb_fields(&fx, nb), (m1, 22, 32, m2, 2), "{arch:?}");
        assert!(fx.k.ext().ndis.retreat_mdls.is_empty());
        let pool_of = &fx.k.ext().pool;
        assert!(pool_of.block(prepended).is_none() && pool_of.block(buffer).is_none(), "{arch:?}: MDL and buffer");
        // An advance past the end stops at the end.
        fx.call(N, "NdisAdvanceNetBufferDataStart", &[nb, 100, 0, 0]).unwrap();
        assert_eq!(nb_fields(&fx, nb), (m1, 54, 0, m2, 34), "{arch:?}");

        fx.call(N, "NdisFreeNetBufferList", &[nbl]).unwrap();
        assert!(fx.k.ext().pool.block(nbl).is_none() && fx.k.ext().ndis.nbls.is_empty(), "{arch:?}");
        let b = bugcheck(fx.call(N, "NdisFreeNetBufferList", &[nbl]));
        assert_eq!((b.code, b.params[0]), (0xC2, 0x07), "{arch:?}: a double free");
    }
}

#[test]
fn lists_get_contexts_and_net_buffer_pools_hand_out_net_buffers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let pool = nbl_pool(&mut fx);
        let nbl = fx.call(N, "NdisAllocateNetBufferAndNetBufferList", &[pool, 16, 32, 0, 0, 0]).unwrap();
        let ctx = fx.k.mem().get(nbl, NBL::Context).unwrap();
        assert_ne!(ctx, 0, "{arch:?}");
        assert_eq!((fx.k.mem().get(ctx, CTX::Size).unwrap(), fx.k.mem().get(ctx, CTX::Offset).unwrap()), (48, 32));
        let nb = fx.k.mem().get(nbl, NBL::FirstNetBuffer).unwrap();
        assert_eq!(nb_fields(&fx, nb), (0, 0, 0, 0, 0), "{arch:?}: no MDL chain");
        assert_eq!(fx.call(N, "NdisGetDataBuffer", &[nb, 1, 0, 1, 0]).unwrap(), 0);
        fx.call(N, "NdisFreeNetBufferList", &[nbl]).unwrap();
        assert!(fx.k.ext().pool.block(ctx).is_none(), "{arch:?}: the context went with it");
        // A context size that is no multiple of MEMORY_ALLOCATION_ALIGNMENT (8 is on x86).
        let eight = fx.call(N, "NdisAllocateNetBufferAndNetBufferList", &[pool, 8, 0, 0, 0, 0]).unwrap();
        assert_eq!(eight != 0, arch == Arch::X86, "{arch:?}");
        // Not a pool.
        assert_eq!(fx.call(N, "NdisAllocateNetBufferAndNetBufferList", &[pool + 8, 0, 0, 0, 0, 0]).unwrap(), 0);

        let params = fx.put(&[0x80, 1, 0x0C, 0, b'N', b'b', b'P', b'1', 0, 0, 0, 0]);
        let nb_pool = fx.call(N, "NdisAllocateNetBufferPool", &[0, params]).unwrap();
        assert_ne!(nb_pool, 0, "{arch:?}");
        assert_eq!(fx.k.ext().pool.block(nb_pool).unwrap().tag as u64, tag(b"NbP1"));
        let bad = fx.put(&[0x80, 1, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(fx.call(N, "NdisAllocateNetBufferPool", &[0, bad]).unwrap(), 0, "{arch:?}: too small");
        let buf = fx.put(&[7; 32]);
        let m = mdl(&mut fx, buf, 32);
        let nb = fx.call(N, "NdisAllocateNetBuffer", &[nb_pool, m, 30, 2]).unwrap();
        assert_eq!(nb_fields(&fx, nb), (m, 30, 2, m, 30), "{arch:?}");
        assert_eq!(fx.k.mem().get(nb, NB::NdisPoolHandle).unwrap(), nb_pool);
        let other = nbl_pool(&mut fx);
        assert_eq!(fx.call(N, "NdisAllocateNetBuffer", &[other, m, 0, 0]).unwrap(), 0, "not a net buffer pool");
        fx.call(N, "NdisFreeNetBuffer", &[nb]).unwrap();
        fx.call(N, "NdisFreeNetBufferPool", &[nb_pool]).unwrap();
        assert!(fx.k.ext().ndis.nb_pools.is_empty() && fx.k.ext().ndis.net_buffers.is_empty());
        assert!(fx.k.ext().pool.block(nb).is_none() && fx.k.ext().pool.block(nb_pool).is_none(), "{arch:?}");
    }
}

#[test]
fn lists_without_a_net_buffer_their_pools_and_ndis_mdls() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let pool = nbl_pool(&mut fx);
        let nbl = fx.call(N, "NdisAllocateNetBufferList", &[pool, 0, 0]).unwrap();
        assert_ne!(nbl, 0, "{arch:?}");
        assert_eq!(fx.k.mem().get(nbl, NBL::FirstNetBuffer).unwrap(), 0, "{arch:?}: no net buffer");
        assert_eq!(fx.call(N, "NdisGetPoolFromNetBufferList", &[nbl]).unwrap(), pool);
        assert_eq!(fx.call(N, "NdisAllocateNetBufferList", &[pool + 8, 0, 0]).unwrap(), 0, "not a pool");
        let with = fx.call(N, "NdisAllocateNetBufferAndNetBufferList", &[pool, 0, 0, 0, 0, 0]).unwrap();
        let nb = fx.k.mem().get(with, NBL::FirstNetBuffer).unwrap();
        assert_eq!(fx.call(N, "NdisGetPoolFromNetBuffer", &[nb]).unwrap(), pool, "{arch:?}");
        fx.call(N, "NdisFreeNetBufferList", &[nbl]).unwrap();
        fx.call(N, "NdisFreeNetBufferList", &[with]).unwrap();
        assert!(fx.k.ext().ndis.nbls.is_empty());

        // An NDIS MDL describes a nonpaged buffer at its own address.
        let buf = fx.put(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let m = fx.call(N, "NdisAllocateMdl", &[0, buf, 8]).unwrap();
        assert_ne!(m, 0, "{arch:?}");
        let mem = fx.k.mem();
        let flags = mem.get(m, portcullis_hle::layout::MDL::MdlFlags).unwrap();
        assert_ne!(flags & 0x4, 0, "{arch:?}: MDL_SOURCE_IS_NONPAGED_POOL");
        assert_eq!(mem.get(m, portcullis_hle::layout::MDL::MappedSystemVa).unwrap(), buf);
        assert_eq!(fx.call(N, "NdisAllocateMdl", &[0, buf, 0]).unwrap(), 0, "zero length");
        fx.call(N, "NdisFreeMdl", &[m]).unwrap();
        assert!(fx.k.ext().pool.block(m).is_none(), "{arch:?}: freed");
    }
}
