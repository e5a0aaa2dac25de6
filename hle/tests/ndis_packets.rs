//! NDIS 5 packet descriptors through the real stubs, both architectures: a pool of two
//! descriptors, packets drawn from it until it runs out, their layout (pool, flags, where
//! the out-of-band data is), buffers taken off a packet's chain, and freeing.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, MDL, NDIS_PACKET as P};

const N: Dll = Dll::Ndis;
const NT: Dll = Dll::Ntoskrnl;
const RESOURCES: u32 = 0xC000_009A;

#[test]
fn packets_come_from_their_pool_and_lose_buffers_at_the_front() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (status, out) = (fx.alloc(4), fx.alloc(8));
        fx.call(N, "NdisAllocatePacketPool", &[status, out, 2, 16]).unwrap();
        assert_eq!(fx.k.mem().read_u32(status).unwrap(), 0, "{arch:?}");
        let pool = fx.read_ptr(out);
        assert!(fx.k.ext().pool.block(pool).is_some(), "the driver's block");
        let mut packets = Vec::new();
        for _ in 0..2 {
            fx.call(N, "NdisAllocatePacket", &[status, out, pool]).unwrap();
            assert_eq!(fx.k.mem().read_u32(status).unwrap(), 0);
            packets.push(fx.read_ptr(out));
        }
        fx.call(N, "NdisAllocatePacket", &[status, out, pool]).unwrap();
        assert_eq!(fx.k.mem().read_u32(status).unwrap(), RESOURCES, "{arch:?}: two descriptors");
        let p = packets[0];
        let mem = fx.k.mem();
        assert_eq!(mem.get(p, P::Pool).unwrap(), pool);
        assert_eq!(mem.get(p, P::NdisPacketFlags).unwrap(), 0x80, "fPACKET_ALLOCATED_BY_NDIS");
        let oob = mem.get(p, P::NdisPacketOobOffset).unwrap();
        assert!(oob >= P::ProtocolReserved.offset(arch) + 16, "{arch:?}: past the reserved area");
        assert!(fx.k.ext().pool.block(p).unwrap().size > oob, "the OOB data is in the block");

        // A chain of two buffers: the front one comes off, then the other, then none.
        let buf = fx.alloc(64);
        let (m1, m2) = (
            fx.call(NT, "IoAllocateMdl", &[buf, 32, 0, 0, 0]).unwrap(),
            fx.call(NT, "IoAllocateMdl", &[buf + 32, 32, 0, 0, 0]).unwrap(),
        );
        let mem = fx.k.mem_mut();
        mem.set(m1, MDL::Next, m2).unwrap();
        mem.set(p, P::Head, m1).unwrap();
        mem.set(p, P::Tail, m2).unwrap();
        mem.set(p, P::ValidCounts, 1).unwrap();
        fx.call(N, "NdisUnchainBufferAtFront", &[p, out]).unwrap();
        assert_eq!(fx.read_ptr(out), m1);
        assert_eq!(fx.k.mem().get(m1, MDL::Next).unwrap(), 0, "{arch:?}: unlinked");
        assert_eq!(fx.k.mem().get(p, P::Head).unwrap(), m2);
        assert_eq!(fx.k.mem().get(p, P::ValidCounts).unwrap(), 0);
        fx.call(N, "NdisUnchainBufferAtFront", &[p, out]).unwrap();
        assert_eq!(fx.read_ptr(out), m2);
        assert_eq!((fx.k.mem().get(p, P::Head).unwrap(), fx.k.mem().get(p, P::Tail).unwrap()), (0, 0));
        fx.call(N, "NdisUnchainBufferAtFront", &[p, out]).unwrap();
        assert_eq!(fx.read_ptr(out), 0, "{arch:?}: nothing left");

        // A packet freed makes room for another.
        fx.call(N, "NdisFreePacket", &[p]).unwrap();
        assert!(fx.k.ext().pool.block(p).is_none());
        fx.call(N, "NdisAllocatePacket", &[status, out, pool]).unwrap();
        assert_eq!(fx.k.mem().read_u32(status).unwrap(), 0, "{arch:?}");
        fx.call(N, "NdisFreePacket", &[fx.read_ptr(out)]).unwrap();
        fx.call(N, "NdisFreePacket", &[packets[1]]).unwrap();
        fx.call(N, "NdisFreePacketPool", &[pool]).unwrap();
        assert!(fx.k.ext().pool.block(pool).is_none());
        assert!(fx.k.ext().ndis.packet_pools.is_empty());
    }
}
