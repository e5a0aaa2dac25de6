//! The one network adapter the machine has: an Ethernet miniport with a fixed name, MAC
//! address, MTU and link (connected, full duplex, 1 Gbit/s), the same on every run. It
//! answers the common OID requests (oid.rs) and counts the frames it sends and receives;
//! what it sends goes "to the wire", which is the trace.

/// The adapter's interface GUID, as NDIS names its device.
pub const GUID: &str = "{5C4B3A29-1D0E-4F7A-9B6C-2E8D7F1A0B3C}";
/// `\DEVICE\{GUID}`: the miniport's name filters and protocols see.
pub fn device_name() -> String {
    format!("\\DEVICE\\{GUID}")
}
/// The miniport's instance name (its friendly name).
pub const INSTANCE_NAME: &str = "Portcullis Ethernet Adapter";
/// A locally administered unicast address.
pub const MAC: [u8; 6] = [0x02, 0x50, 0x43, 0x55, 0x4C, 0x01];
/// The MTU: the largest frame payload (OID_GEN_MAXIMUM_FRAME_SIZE).
pub const MTU: u32 = 1500;
/// The largest frame with its 14-byte Ethernet header (OID_GEN_MAXIMUM_TOTAL_SIZE).
pub const MAX_TOTAL_SIZE: u32 = MTU + 14;
/// 1 Gbit/s, in bits per second.
pub const LINK_SPEED: u64 = 1_000_000_000;
/// The interface index and NET_LUID (IF_TYPE_ETHERNET_CSMACD, net luid index 1).
pub const IF_INDEX: u32 = 7;
pub const NET_LUID: u64 = (6 << 48) | (1 << 24);
/// NdisMedium802_3, NdisPhysicalMedium802_3.
pub const MEDIUM_802_3: u32 = 0;
pub const PHYSICAL_MEDIUM_802_3: u32 = 14;
/// MediaConnectStateConnected, MediaDuplexStateFull.
pub const CONNECTED: u32 = 1;
pub const DUPLEX_FULL: u32 = 2;
/// How many multicast addresses the adapter filters on (OID_802_3_MAXIMUM_LIST_SIZE).
pub const MULTICAST_LIST_SIZE: u32 = 32;

/// What the adapter's driver changes or counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adapter {
    /// NDIS_PACKET_TYPE_* bits (OID_GEN_CURRENT_PACKET_FILTER); 0 until a set.
    pub packet_filter: u32,
    /// OID_GEN_CURRENT_LOOKAHEAD.
    pub lookahead: u32,
    /// OID_802_3_MULTICAST_LIST.
    pub multicast: Vec<[u8; 6]>,
    pub frames_sent: u64,
    pub frames_received: u64,
}

impl Adapter {
    /// The lookahead a fresh adapter has: the whole frame.
    pub fn lookahead(&self) -> u32 {
        if self.lookahead == 0 {
            MAX_TOTAL_SIZE
        } else {
            self.lookahead
        }
    }
}
