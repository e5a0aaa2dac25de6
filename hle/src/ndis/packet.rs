//! NDIS 5 packet descriptors: pools (NdisAllocatePacketPool, NdisFreePacketPool), packets
//! drawn from them (NdisAllocatePacket, NdisFreePacket) and their buffer chains
//! (NdisUnchainBufferAtFront). A pool is a block of the calling driver's that holds at most
//! NumberOfDescriptors packets at a time; a packet is a block of the driver's with the
//! descriptor, the protocol's reserved area, the out-of-band data (NdisPacketOobOffset
//! says where) and the per-packet information after it, as NDIS lays them out.
#![allow(non_snake_case)]

use super::st;
use crate::ex::pool;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, MDL, NDIS_PACKET as P};
use crate::types::Ptr;

/// fPACKET_ALLOCATED_BY_NDIS.
const ALLOCATED_BY_NDIS: u64 = 0x80;
/// NDIS_PACKET_OOB_DATA's size, and the NDIS_PACKET_EXTENSION's per-packet pointers.
const OOB_SIZE: [u64; 2] = [0x20, 0x28];
const PER_PACKET_INFO: u64 = 16;

/// A packet pool: its size, the reserved area of its packets, the packets out of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketPool {
    pub descriptors: u32,
    pub protocol_reserved: u32,
    pub packets: std::collections::BTreeSet<u64>,
}

/// VOID NdisAllocatePacketPool(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT
/// NumberOfDescriptors, UINT ProtocolReservedLength)
pub fn NdisAllocatePacketPool(k: &mut Kx, status: Ptr, out: Ptr, descriptors: u32, reserved: u32) -> KResult<()> {
    let Some(handle) = pool::allocate_for_caller(k, 0, 16, u32::from_le_bytes(*b"NdPP"))? else {
        k.mem_mut().write_u32(status.0, st::RESOURCES.0)?;
        return Ok(());
    };
    pool::zero(k, handle, 16)?;
    let p = PacketPool { descriptors, protocol_reserved: reserved, packets: Default::default() };
    k.ext_mut().ndis.packet_pools.insert(handle, p);
    k.mem_mut().write_ptr(out.0, handle)?;
    k.mem_mut().write_u32(status.0, st::SUCCESS.0)?;
    Ok(())
}

/// VOID NdisFreePacketPool(NDIS_HANDLE PoolHandle): a handle that is no pool goes to the
/// pool allocator as NDIS would send it (which bugchecks for what is no pool block).
pub fn NdisFreePacketPool(k: &mut Kx, handle: Ptr) -> KResult<()> {
    let at = caller(k);
    k.ext_mut().ndis.packet_pools.remove(&handle.0);
    pool::free(k, handle.0, None, at)
}

/// VOID NdisAllocatePacket(PNDIS_STATUS Status, PNDIS_PACKET *Packet, NDIS_HANDLE
/// PoolHandle): NDIS_STATUS_RESOURCES when the pool's descriptors are all out (or the
/// handle is no pool).
pub fn NdisAllocatePacket(k: &mut Kx, status: Ptr, out: Ptr, handle: Ptr) -> KResult<()> {
    let Some(p) = k.ext().ndis.packet_pools.get(&handle.0).cloned() else {
        k.mem_mut().write_u32(status.0, st::RESOURCES.0)?;
        return Ok(());
    };
    if p.packets.len() as u64 >= p.descriptors as u64 {
        k.mem_mut().write_u32(status.0, st::RESOURCES.0)?;
        return Ok(());
    }
    let arch = k.arch();
    let ps = arch.ptr_size();
    let oob = (P::ProtocolReserved.offset(arch) + p.protocol_reserved as u64 + 7) & !7;
    let size = oob + OOB_SIZE[(ps == 8) as usize] + PER_PACKET_INFO * ps;
    let Some(packet) = pool::allocate_for_caller(k, 0, size, u32::from_le_bytes(*b"NdPk"))? else {
        k.mem_mut().write_u32(status.0, st::RESOURCES.0)?;
        return Ok(());
    };
    pool::zero(k, packet, size)?;
    let mem = k.mem_mut();
    mem.set(packet, P::Pool, handle.0)?;
    mem.set(packet, P::NdisPacketFlags, ALLOCATED_BY_NDIS)?;
    mem.set(packet, P::NdisPacketOobOffset, oob)?;
    if let Some(p) = k.ext_mut().ndis.packet_pools.get_mut(&handle.0) {
        p.packets.insert(packet);
    }
    k.mem_mut().write_ptr(out.0, packet)?;
    k.mem_mut().write_u32(status.0, st::SUCCESS.0)?;
    Ok(())
}

/// VOID NdisFreePacket(PNDIS_PACKET Packet): back to its pool (its buffers stay the
/// caller's).
pub fn NdisFreePacket(k: &mut Kx, packet: Ptr) -> KResult<()> {
    let at = caller(k);
    let pool_handle = k.mem().get(packet.0, P::Pool)?;
    if let Some(p) = k.ext_mut().ndis.packet_pools.get_mut(&pool_handle) {
        p.packets.remove(&packet.0);
    }
    pool::free(k, packet.0, None, at)
}

/// VOID NdisUnchainBufferAtFront(PNDIS_PACKET Packet, PNDIS_BUFFER *Buffer): takes the
/// first buffer (an MDL) off the packet's chain (NULL when it has none); the packet's
/// counts are to be recomputed.
pub fn NdisUnchainBufferAtFront(k: &mut Kx, packet: Ptr, out: Ptr) -> KResult<()> {
    let head = k.mem().get(packet.0, P::Head)?;
    k.mem_mut().write_ptr(out.0, head)?;
    if head == 0 {
        return Ok(());
    }
    let next = k.mem().get(head, MDL::Next)?;
    let mem = k.mem_mut();
    mem.set(packet.0, P::Head, next)?;
    if next == 0 {
        mem.set(packet.0, P::Tail, 0)?;
    }
    mem.set(head, MDL::Next, 0)?;
    mem.set(packet.0, P::ValidCounts, 0)?;
    Ok(())
}
