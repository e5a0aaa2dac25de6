//! ndis.sys: the library routines NDIS drivers use for memory, spin locks, events and the
//! system's shape, over the executive and kernel ones NDIS itself builds on, and pools of
//! net buffer lists (nbl_pool.rs) and net buffers (nb_pool.rs), the lists drawn from them
//! (nbl.rs), the data of a net buffer (net_buffer.rs, nb_copy.rs), MDLs (mdl.rs), generic
//! objects (generic_object.rs), NDIS 5 packets (packet.rs); one emulated Ethernet adapter
//! (adapter.rs) answering OID requests (oid.rs), with NDIS 6 filter drivers attached over it
//! (filter.rs) and NDIS 6 protocol drivers bound to it (protocol.rs), their send and receive
//! paths (receive.rs: frames from the wire), configuration from the registry (config.rs) and
//! timer objects (timer.rs); all of it recorded in the trace (events.rs). Miniport
//! registration and the NDIS 5 protocol surface are not here yet.
#![allow(non_snake_case)]

pub mod adapter;
pub mod config;
pub mod events;
pub mod filter;
pub mod generic_object;
pub mod mdl;
pub mod nb_copy;
pub mod nb_pool;
pub mod nbl;
pub mod nbl_pool;
pub mod net_buffer;
pub mod oid;
pub mod packet;
pub mod protocol;
pub mod protocol5;
pub mod receive;
pub mod timer;

pub use config::{NdisCloseConfiguration, NdisOpenConfigurationEx, NdisReadConfiguration};
pub use events::NdisEvent;
pub use filter::{
    receive_frame, NdisFCancelOidRequest, NdisFCancelSendNetBufferLists, NdisFDeregisterFilterDriver,
    NdisFDevicePnPEventNotify, NdisFIndicateReceiveNetBufferLists, NdisFIndicateStatus, NdisFNetPnPEvent,
    NdisFOidRequest, NdisFOidRequestComplete, NdisFRegisterFilterDriver, NdisFReturnNetBufferLists,
    NdisFSendNetBufferLists, NdisFSendNetBufferListsComplete, NdisFSetAttributes,
};
pub use generic_object::{NdisAllocateGenericObject, NdisFreeGenericObject};
pub use mdl::{NdisAllocateMdl, NdisFreeMdl};
pub use nb_copy::NdisCopyFromNetBufferToNetBuffer;
pub use nb_pool::{NdisAllocateNetBuffer, NdisAllocateNetBufferPool, NdisFreeNetBuffer, NdisFreeNetBufferPool};
pub use nbl::{
    NdisAllocateNetBufferAndNetBufferList, NdisAllocateNetBufferList, NdisFreeNetBufferList, NdisGetPoolFromNetBuffer,
    NdisGetPoolFromNetBufferList,
};
pub use nbl_pool::{NdisAllocateNetBufferListPool, NdisFreeNetBufferListPool};
pub use net_buffer::{NdisAdvanceNetBufferDataStart, NdisGetDataBuffer, NdisRetreatNetBufferDataStart};
pub use oid::{NdisAllocateCloneOidRequest, NdisFreeCloneOidRequest};
pub use packet::{
    NdisAllocatePacket, NdisAllocatePacketPool, NdisFreePacket, NdisFreePacketPool, NdisUnchainBufferAtFront,
};
pub use protocol::{
    NdisCancelSendNetBufferLists, NdisCloseAdapterEx, NdisDeregisterProtocolDriver, NdisGeneratePartialCancelId,
    NdisOidRequest, NdisOpenAdapterEx, NdisQueryAdapterInstanceName, NdisRegisterProtocolDriver,
    NdisReturnNetBufferLists, NdisSendNetBufferLists,
};
pub use protocol5::{NdisCloseAdapter, NdisDeregisterProtocol, NdisOpenAdapter, NdisRegisterProtocol, NdisRequest};
pub use timer::{NdisAllocateTimerObject, NdisCancelTimerObject, NdisFreeTimerObject, NdisSetTimerObject};

/// The NDIS library's state.
#[derive(Default, Debug)]
pub struct NdisState {
    /// NET_BUFFER_LIST pools allocated and not freed, by handle.
    pub nbl_pools: std::collections::BTreeMap<u64, nbl_pool::NblPool>,
    /// NET_BUFFER pools allocated and not freed, by handle.
    pub nb_pools: std::collections::BTreeMap<u64, nb_pool::NbPool>,
    /// NET_BUFFER_LISTs allocated with their net buffer and not freed.
    pub nbls: std::collections::BTreeMap<u64, nbl::Nbl>,
    /// NET_BUFFERs NdisAllocateNetBuffer returned and not freed.
    pub net_buffers: std::collections::BTreeSet<u64>,
    /// MDLs a retreat prepended to a chain, with the pool buffer behind each (0 when the
    /// driver's allocate handler made it).
    pub retreat_mdls: std::collections::BTreeMap<u64, u64>,
    /// NDIS_GENERIC_OBJECTs allocated and not freed.
    pub generic_objects: std::collections::BTreeSet<u64>,
    /// The emulated adapter's settings and counters.
    pub adapter: adapter::Adapter,
    /// Filter drivers registered, by NdisFilterDriverHandle.
    pub filter_drivers: std::collections::BTreeMap<u64, filter::FilterDriver>,
    /// Filter modules over the adapter, by NdisFilterHandle.
    pub filter_modules: std::collections::BTreeMap<u64, filter::FilterModule>,
    /// The modules in stack order, nearest the adapter first.
    pub filter_stack: Vec<u64>,
    /// OID request clones allocated and not freed.
    pub clone_requests: std::collections::BTreeSet<u64>,
    /// Protocol drivers registered, by NdisProtocolHandle.
    pub protocols: std::collections::BTreeMap<u64, protocol::ProtocolDriver>,
    /// BindContexts of binds in progress, with their protocol.
    pub bind_contexts: std::collections::BTreeMap<u64, u64>,
    /// Open bindings, by NdisBindingHandle.
    pub bindings: std::collections::BTreeMap<u64, protocol::Binding>,
    /// NDIS 5 protocols registered, by NdisProtocolHandle, and their open bindings.
    pub legacy_protocols: std::collections::BTreeMap<u64, protocol5::LegacyProtocol>,
    pub legacy_bindings: std::collections::BTreeMap<u64, protocol5::LegacyBinding>,
    /// OID requests a module's handler pended, with who asked.
    pub pending_oids: std::collections::BTreeMap<u64, filter::OidOrigin>,
    /// Configuration handles open.
    pub configs: std::collections::BTreeMap<u64, config::Config>,
    /// Timer objects allocated and not freed.
    pub timers: std::collections::BTreeSet<u64>,
    /// NDIS 5 packet pools, by handle.
    pub packet_pools: std::collections::BTreeMap<u64, packet::PacketPool>,
    /// The last NdisGeneratePartialCancelId value.
    pub partial_cancel_id: u8,
    /// Lists of received frames the adapter indicated and has not got back.
    pub received: std::collections::BTreeMap<u64, receive::Received>,
}

/// NDIS_STATUS values.
pub mod st {
    use crate::types::NtStatus;
    pub const SUCCESS: NtStatus = NtStatus(0);
    pub const PENDING: NtStatus = NtStatus(0x103);
    pub const FAILURE: NtStatus = NtStatus(0xC000_0001);
    pub const INVALID_PARAMETER: NtStatus = NtStatus(0xC000_000D);
    pub const RESOURCES: NtStatus = NtStatus(0xC000_009A);
    pub const NOT_SUPPORTED: NtStatus = NtStatus(0xC000_00BB);
    pub const BAD_VERSION: NtStatus = NtStatus(0xC001_0004);
    pub const BAD_CHARACTERISTICS: NtStatus = NtStatus(0xC001_0005);
    pub const MULTICAST_FULL: NtStatus = NtStatus(0xC001_0009);
    pub const INVALID_LENGTH: NtStatus = NtStatus(0xC001_0014);
    pub const INVALID_DATA: NtStatus = NtStatus(0xC001_0015);
    pub const BUFFER_TOO_SHORT: NtStatus = NtStatus(0xC001_0016);
    pub const PAUSED: NtStatus = NtStatus(0xC023_002A);
}

use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr};

/// A pool handle: a block of the calling driver's `pool_type` pool holding a copy of the
/// `size`-byte parameters at `at` (what NDIS keeps of a pool's parameters); `None` when the
/// pool is out of memory.
pub(crate) fn pool_handle(k: &mut Kx, at: u64, size: u64, pool_type: u32, tag: u32) -> KResult<Option<u64>> {
    let Some(handle) = crate::ex::pool::allocate_for_caller(k, pool_type, size, tag)? else { return Ok(None) };
    let copy = k.mem().read_vec(at, size)?;
    k.mem_mut().write(handle, &copy)?;
    Ok(Some(handle))
}

/// NDIS_STATUS_FAILURE.
const NDIS_STATUS_FAILURE: NtStatus = NtStatus(0xC000_0001);
const NON_PAGED_POOL: u32 = 0;

/// NDIS_STATUS NdisAllocateMemoryWithTag(PVOID *VirtualAddress, UINT Length, ULONG Tag):
/// nonpaged pool for the calling driver.
pub fn NdisAllocateMemoryWithTag(k: &mut Kx, out: Ptr, length: u32, tag: u32) -> KResult<NtStatus> {
    let p = crate::ex::pool::allocate_for_caller(k, NON_PAGED_POOL, length as u64, tag)?;
    k.mem_mut().write_ptr(out.0, p.unwrap_or(0))?;
    Ok(if p.is_some() { status::SUCCESS } else { NDIS_STATUS_FAILURE })
}

/// VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
pub fn NdisFreeMemory(k: &mut Kx, address: Ptr, _length: u32, _flags: u32) -> KResult<()> {
    crate::ex::pool::ExFreePool(k, address)
}

/// NDIS_SPIN_LOCK: the KSPIN_LOCK, then the IRQL to go back to.
fn old_irql(k: &Kx, lock: Ptr) -> u64 {
    lock.0 + k.arch().ptr_size()
}

/// VOID NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock)
pub fn NdisAllocateSpinLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    crate::ke::spinlock::KeInitializeSpinLock(k, lock)?;
    let at = old_irql(k, lock);
    k.mem_mut().write_u8(at, 0)?;
    Ok(())
}

/// VOID NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock): a spin lock holds nothing to free.
pub fn NdisFreeSpinLock(_k: &mut Kx, _lock: Ptr) -> KResult<()> {
    Ok(())
}

/// VOID NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock): raises to DISPATCH_LEVEL and keeps
/// the IRQL it came from in the lock.
pub fn NdisAcquireSpinLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    let old = crate::ke::spinlock::KeAcquireSpinLockRaiseToDpc(k, lock)?;
    let at = old_irql(k, lock);
    k.mem_mut().write_u8(at, old)?;
    Ok(())
}

/// VOID NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
pub fn NdisReleaseSpinLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    let mut old = [0u8];
    k.mem().read(old_irql(k, lock), &mut old)?;
    crate::ke::spinlock::KeReleaseSpinLock(k, lock, old[0])
}

/// VOID NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock): at DISPATCH_LEVEL already.
pub fn NdisDprAcquireSpinLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    crate::ke::spinlock::KeAcquireSpinLockAtDpcLevel(k, lock)
}

/// VOID NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
pub fn NdisDprReleaseSpinLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    crate::ke::spinlock::KeReleaseSpinLockFromDpcLevel(k, lock)
}

/// VOID NdisInitializeEvent(PNDIS_EVENT Event): a notification event, not signaled.
pub fn NdisInitializeEvent(k: &mut Kx, event: Ptr) -> KResult<()> {
    crate::ke::event::KeInitializeEvent(k, event, 0, Boolean(false))
}

/// VOID NdisSetEvent(PNDIS_EVENT Event)
pub fn NdisSetEvent(k: &mut Kx, event: Ptr) -> KResult<()> {
    crate::ke::event::KeSetEvent(k, event, 0, Boolean(false)).map(|_| ())
}

/// VOID NdisResetEvent(PNDIS_EVENT Event)
pub fn NdisResetEvent(k: &mut Kx, event: Ptr) -> KResult<()> {
    crate::ke::event::KeResetEvent(k, event).map(|_| ())
}

/// BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait): waits for the event, at most
/// MsToWait milliseconds (0: without limit); TRUE if it was signaled.
pub fn NdisWaitEvent(k: &mut Kx, event: Ptr, ms: u32) -> KResult<Boolean> {
    let timeout = if ms == 0 {
        0
    } else {
        let t = crate::ex::pool::kernel_alloc(k, 8, b"NdsT")?;
        k.mem_mut().write_u64(t, (-(ms as i64) * 10_000) as u64)?;
        t
    };
    let st = crate::ke::wait::KeWaitForSingleObject(k, event, 0, 0, Boolean(false), Ptr(timeout));
    if timeout != 0 {
        crate::ex::pool::free(k, timeout, None, 0)?;
    }
    Ok(Boolean(st? == status::SUCCESS))
}

/// CCHAR NdisSystemProcessorCount(void)
pub fn NdisSystemProcessorCount(k: &mut Kx) -> KResult<u8> {
    Ok(k.ext().options.processors as u8)
}

/// PVOID NdisGetRoutineAddress(PNDIS_STRING NdisRoutineName): a routine of ndis.sys the
/// kernel implements, or NULL.
pub fn NdisGetRoutineAddress(k: &mut Kx, name: PUnicodeString) -> KResult<Ptr> {
    let name = crate::rtl::unicode::read_unicode_string(k, name.0)?;
    let calls = &k.ext().calls;
    Ok(Ptr(calls.functions.slot(crate::exports::Dll::Ndis, &name).map(|s| calls.address(s)).unwrap_or(0)))
}
