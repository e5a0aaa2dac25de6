//! OID requests (NDIS_OID_REQUEST) the emulated adapter answers: the common general and
//! 802.3 objects a filter or protocol asks for (addresses, frame sizes, link, medium,
//! packet filter, lookahead, multicast list, counters). The adapter answers at once, so a
//! request never pends and nothing is left to cancel. Clones of a request
//! (NdisAllocateCloneOidRequest) are kernel blocks of NDIS's.
#![allow(non_snake_case)]

use super::adapter::{self, Adapter};
use super::events::NdisChange;
use super::st;
use crate::events::hex_bytes;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, NDIS_OID_REQUEST as R};
use crate::types::{NtStatus, PoolTag, Ptr};

/// NDIS_REQUEST_TYPE values.
const QUERY_INFORMATION: u64 = 0;
const SET_INFORMATION: u64 = 1;
const QUERY_STATISTICS: u64 = 2;
const METHOD: u64 = 12;
/// NDIS_OBJECT_TYPE_OID_REQUEST.
const NDIS_OBJECT_TYPE_OID_REQUEST: u64 = 0x96;

pub const OID_GEN_SUPPORTED_LIST: u32 = 0x0001_0101;
pub const OID_GEN_HARDWARE_STATUS: u32 = 0x0001_0102;
pub const OID_GEN_MEDIA_SUPPORTED: u32 = 0x0001_0103;
pub const OID_GEN_MEDIA_IN_USE: u32 = 0x0001_0104;
pub const OID_GEN_MAXIMUM_LOOKAHEAD: u32 = 0x0001_0105;
pub const OID_GEN_MAXIMUM_FRAME_SIZE: u32 = 0x0001_0106;
pub const OID_GEN_LINK_SPEED: u32 = 0x0001_0107;
pub const OID_GEN_VENDOR_DESCRIPTION: u32 = 0x0001_010D;
pub const OID_GEN_CURRENT_PACKET_FILTER: u32 = 0x0001_010E;
pub const OID_GEN_CURRENT_LOOKAHEAD: u32 = 0x0001_010F;
pub const OID_GEN_MAXIMUM_TOTAL_SIZE: u32 = 0x0001_0111;
pub const OID_GEN_MEDIA_CONNECT_STATUS: u32 = 0x0001_0114;
pub const OID_GEN_PHYSICAL_MEDIUM: u32 = 0x0001_0202;
pub const OID_GEN_XMIT_OK: u32 = 0x0002_0101;
pub const OID_GEN_RCV_OK: u32 = 0x0002_0102;
pub const OID_802_3_PERMANENT_ADDRESS: u32 = 0x0101_0101;
pub const OID_802_3_CURRENT_ADDRESS: u32 = 0x0101_0102;
pub const OID_802_3_MULTICAST_LIST: u32 = 0x0101_0103;
pub const OID_802_3_MAXIMUM_LIST_SIZE: u32 = 0x0101_0104;

const SUPPORTED: [u32; 19] = [
    OID_GEN_SUPPORTED_LIST,
    OID_GEN_HARDWARE_STATUS,
    OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,
    OID_GEN_MAXIMUM_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_LINK_SPEED,
    OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
];

/// NDIS_PACKET_TYPE_DIRECTED, _MULTICAST, _ALL_MULTICAST, _BROADCAST, _PROMISCUOUS: the
/// receive filters an Ethernet adapter has.
const PACKET_TYPES: u32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x20;

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// What a query returns, or None for an OID the adapter does not have. Counters are
/// 64-bit, or 32-bit into a 4-byte buffer (as the documentation has miniports do).
fn query(a: &Adapter, oid: u32, room: u32) -> Option<Vec<u8>> {
    let counter = |v: u64| if room == 4 { (v as u32).to_le_bytes().to_vec() } else { v.to_le_bytes().to_vec() };
    Some(match oid {
        OID_GEN_SUPPORTED_LIST => u32s(&SUPPORTED),
        // NdisHardwareStatusReady.
        OID_GEN_HARDWARE_STATUS => u32s(&[0]),
        OID_GEN_MEDIA_SUPPORTED | OID_GEN_MEDIA_IN_USE => u32s(&[adapter::MEDIUM_802_3]),
        OID_GEN_MAXIMUM_LOOKAHEAD => u32s(&[adapter::MAX_TOTAL_SIZE]),
        OID_GEN_MAXIMUM_FRAME_SIZE => u32s(&[adapter::MTU]),
        // In units of 100 bit/s.
        OID_GEN_LINK_SPEED => u32s(&[(adapter::LINK_SPEED / 100) as u32]),
        OID_GEN_VENDOR_DESCRIPTION => format!("{}\0", adapter::INSTANCE_NAME).into_bytes(),
        OID_GEN_CURRENT_PACKET_FILTER => u32s(&[a.packet_filter]),
        OID_GEN_CURRENT_LOOKAHEAD => u32s(&[a.lookahead()]),
        OID_GEN_MAXIMUM_TOTAL_SIZE => u32s(&[adapter::MAX_TOTAL_SIZE]),
        // NdisMediaStateConnected.
        OID_GEN_MEDIA_CONNECT_STATUS => u32s(&[0]),
        OID_GEN_PHYSICAL_MEDIUM => u32s(&[adapter::PHYSICAL_MEDIUM_802_3]),
        OID_GEN_XMIT_OK => counter(a.frames_sent),
        OID_GEN_RCV_OK => counter(a.frames_received),
        OID_802_3_PERMANENT_ADDRESS | OID_802_3_CURRENT_ADDRESS => adapter::MAC.to_vec(),
        OID_802_3_MULTICAST_LIST => a.multicast.concat(),
        OID_802_3_MAXIMUM_LIST_SIZE => u32s(&[adapter::MULTICAST_LIST_SIZE]),
        _ => return None,
    })
}

/// Applies a set; the status and how many bytes it read.
fn set(a: &mut Adapter, oid: u32, data: &[u8]) -> (NtStatus, u32) {
    let word = |d: &[u8]| d.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match oid {
        OID_GEN_CURRENT_PACKET_FILTER => match word(data) {
            None => (st::INVALID_LENGTH, 0),
            Some(f) if f & !PACKET_TYPES != 0 => (st::NOT_SUPPORTED, 0),
            Some(f) => {
                a.packet_filter = f;
                (st::SUCCESS, 4)
            }
        },
        OID_GEN_CURRENT_LOOKAHEAD => match word(data) {
            None => (st::INVALID_LENGTH, 0),
            Some(l) if l > adapter::MAX_TOTAL_SIZE => (st::INVALID_DATA, 0),
            Some(l) => {
                a.lookahead = l;
                (st::SUCCESS, 4)
            }
        },
        OID_802_3_MULTICAST_LIST => {
            if !data.len().is_multiple_of(6) {
                return (st::INVALID_LENGTH, 0);
            }
            if data.len() / 6 > adapter::MULTICAST_LIST_SIZE as usize {
                return (st::MULTICAST_FULL, 0);
            }
            a.multicast = data.chunks(6).map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]]).collect();
            (st::SUCCESS, data.len() as u32)
        }
        _ => (st::NOT_SUPPORTED, 0),
    }
}

/// Answers the request at `req` for the filter module (or open) `from`, filling in
/// InformationBuffer, BytesWritten/BytesRead and BytesNeeded as a miniport does.
pub(crate) fn answer(k: &mut Kx, req: u64, from: u64) -> KResult<NtStatus> {
    let mem = k.mem();
    if mem.get(req, R::HeaderType)? != NDIS_OBJECT_TYPE_OID_REQUEST {
        return Ok(st::INVALID_PARAMETER);
    }
    let kind = mem.get(req, R::RequestType)?;
    let oid = mem.get(req, R::Oid)? as u32;
    let buffer = mem.get(req, R::InformationBuffer)?;
    let room = mem.get(req, R::InformationBufferLength)? as u32;
    let Some((status, written, needed)) = answer_oid(k, kind, oid, buffer, room, from)? else {
        return Ok(st::INVALID_PARAMETER);
    };
    if let Some(w) = written {
        k.mem_mut().set(req, R::BytesWritten, w as u64)?;
    }
    if let Some(n) = needed {
        k.mem_mut().set(req, R::BytesNeeded, n as u64)?;
    }
    Ok(status)
}

/// An answer: its status, then BytesWritten (BytesRead for a set) and BytesNeeded, each None
/// when the request leaves the field as it is.
pub(crate) type Answer = (NtStatus, Option<u32>, Option<u32>);

/// The adapter's answer to a request of `kind` for `oid` with `room` bytes at `buffer`, made
/// by `from` (recorded); None for a request type NDIS does not know.
pub(crate) fn answer_oid(
    k: &mut Kx,
    kind: u64,
    oid: u32,
    buffer: u64,
    room: u32,
    from: u64,
) -> KResult<Option<Answer>> {
    let (status, written, needed, shown, kind_name) = match kind {
        QUERY_INFORMATION | QUERY_STATISTICS => {
            let (status, written, needed, data) = match query(&k.ext().ndis.adapter, oid, room) {
                None => (st::NOT_SUPPORTED, None, None, Vec::new()),
                Some(d) if d.len() as u64 > room as u64 => {
                    (st::BUFFER_TOO_SHORT, Some(0), Some(d.len() as u32), Vec::new())
                }
                Some(d) => {
                    k.mem_mut().write(buffer, &d)?;
                    (st::SUCCESS, Some(d.len() as u32), Some(0), d)
                }
            };
            (status, written, needed, data, "query")
        }
        SET_INFORMATION => {
            let data = k.mem().read_vec(buffer, room.min(4096) as u64)?;
            let (status, read) = set(&mut k.ext_mut().ndis.adapter, oid, &data);
            let needed = if status == st::INVALID_LENGTH { 4 } else { 0 };
            (status, Some(read), Some(needed), data, "set")
        }
        METHOD => (st::NOT_SUPPORTED, None, None, Vec::new(), "method"),
        _ => return Ok(None),
    };
    let data = hex_bytes(&shown[..shown.len().min(64)]);
    super::events::record(k, NdisChange::OidRequest { module: from, kind: kind_name, oid, status: status.0, data });
    Ok(Some((status, written, needed)))
}

/// How many bytes of a request a clone copies: its header's size, within revision 1's and
/// the largest revision's (which adds SwitchId, VPortId and Flags).
fn request_size(k: &Kx, req: u64) -> KResult<u64> {
    let least = R::STRUCT.size(k.arch());
    let most = least + 12;
    Ok(k.mem().get(req, R::HeaderSize)?.clamp(least, most))
}

/// NDIS_STATUS NdisAllocateCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST
/// OidRequest, UINT PoolTag, PNDIS_OID_REQUEST *CloneOidRequest): a copy of the request
/// (its data and buffer pointers; NDIS's reserved area cleared) to pass down; the caller
/// keeps the original to complete.
pub fn NdisAllocateCloneOidRequest(k: &mut Kx, _source: Ptr, req: Ptr, tag: PoolTag, out: Ptr) -> KResult<NtStatus> {
    let size = request_size(k, req.0)?;
    let least = R::STRUCT.size(k.arch());
    let copy = k.mem().read_vec(req.0, size)?;
    let Some(clone) = crate::ex::pool::allocate_for_caller(k, crate::ex::pool::NON_PAGED_POOL_NX, least + 12, tag.0)?
    else {
        k.mem_mut().write_ptr(out.0, 0)?;
        return Ok(st::RESOURCES);
    };
    crate::ex::pool::zero(k, clone, least + 12)?;
    k.mem_mut().write(clone, &copy)?;
    let reserved = R::NdisReserved.offset(k.arch());
    let reserved_len = 16 * k.arch().ptr_size();
    k.mem_mut().write(clone + reserved, &vec![0; reserved_len as usize])?;
    k.mem_mut().write_ptr(out.0, clone)?;
    k.ext_mut().ndis.clone_requests.insert(clone);
    Ok(st::SUCCESS)
}

/// VOID NdisFreeCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST Request): a
/// request that is no clone goes to the pool allocator as NDIS would send it (which
/// bugchecks for what is no pool block).
pub fn NdisFreeCloneOidRequest(k: &mut Kx, _source: Ptr, req: Ptr) -> KResult<()> {
    let at = crate::kernel::caller(k);
    k.ext_mut().ndis.clone_requests.remove(&req.0);
    crate::ex::pool::free(k, req.0, None, at)
}
