//! The interface and class identifiers portcls knows (portcls.h, unknwn.h).

pub type Guid = [u8; 16];

/// A GUID's bytes in memory (Data1..3 little-endian, Data4 as written).
const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]]
}

/// The B4C90Axx-5791-11d0-86f9-00a0c911b544 family of portcls.h.
const fn port_family(d1: u32) -> Guid {
    guid(d1, 0x5791, 0x11d0, [0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44])
}

/// The 22C6AC6x-851B-11D0-9A7F-00AA0038ACFE family.
const fn support_family(d1: u32) -> Guid {
    guid(d1, 0x851B, 0x11D0, [0x9A, 0x7F, 0x00, 0xAA, 0x00, 0x38, 0xAC, 0xFE])
}

pub const IID_IUNKNOWN: Guid = guid(0, 0, 0, [0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
pub const IID_IPORT: Guid = port_family(0xb4c90a25);
pub const IID_IPORT_TOPOLOGY: Guid = port_family(0xb4c90a30);
pub const CLSID_PORT_TOPOLOGY: Guid = port_family(0xb4c90a32);
pub const IID_IMINIPORT_TOPOLOGY: Guid = port_family(0xb4c90a31);
pub const IID_IPORT_WAVE_CYCLIC: Guid = port_family(0xb4c90a26);
pub const CLSID_PORT_WAVE_CYCLIC: Guid = port_family(0xb4c90a2a);
pub const IID_IMINIPORT_WAVE_CYCLIC: Guid = port_family(0xb4c90a27);
pub const IID_IRESOURCE_LIST: Guid = support_family(0x22C6AC60);
pub const IID_ISERVICE_SINK: Guid = support_family(0x22C6AC64);
pub const IID_ISERVICE_GROUP: Guid = support_family(0x22C6AC65);
pub const IID_IADAPTER_POWER_MANAGEMENT: Guid =
    guid(0x793417D0, 0x35FE, 0x11D1, [0xAD, 0x08, 0x00, 0xA0, 0xC9, 0x0A, 0xB1, 0xB0]);

/// The other port classes PcNewPort knows on Windows and does not make here.
pub const CLSID_PORT_MIDI: Guid = port_family(0xb4c90a43);
pub const CLSID_PORT_WAVE_PCI: Guid = port_family(0xb4c90a54);
pub const CLSID_PORT_DMUS: Guid = guid(0xb7902fe9, 0xfb0a, 0x11d1, [0x81, 0xb0, 0x00, 0x60, 0x08, 0x33, 0x16, 0xc1]);
pub const CLSID_PORT_WAVE_RT: Guid = guid(0xcc9be57a, 0xeb9e, 0x42b4, [0x94, 0xfc, 0x0c, 0xad, 0x3d, 0xbc, 0xe7, 0xfa]);
