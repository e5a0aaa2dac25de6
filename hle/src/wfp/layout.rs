//! The Windows Filtering Platform structures drivers hand in (fwpmtypes.h, fwptypes.h and
//! the kernel's fwpsk.h; offsets measured from the mingw-w64 headers for both triples, whose
//! user-mode declarations are the kernel's, and fwpsk.h's FWPS_CALLOUT0..2 from the WDK).
#![allow(non_snake_case, non_upper_case_globals)]

use crate::layout::{Field, Kind};

macro_rules! fields {
    ($($name:ident = $kind:ident @ ($x86:expr, $x64:expr)),* $(,)?) => {
        $(pub const $name: Field = Field { name: stringify!($name), x86: Some($x86), x64: Some($x64), kind: Kind::$kind };)*
    };
}

/// FWPM_DISPLAY_DATA0 { wchar_t *name; wchar_t *description; }, inline in the objects.
pub mod FWPM_DISPLAY_DATA0 {
    use super::*;
    fields! { name = Ptr @ (0, 0), description = Ptr @ (4, 8) }
}

pub mod FWPM_SESSION0 {
    use super::*;
    fields! { sessionKey = Inline @ (0, 0), displayData = Inline @ (0x10, 0x10), flags = U32 @ (0x18, 0x20) }
}

pub mod FWPM_SUBLAYER0 {
    use super::*;
    fields! {
        subLayerKey = Inline @ (0, 0),
        displayData = Inline @ (0x10, 0x10),
        flags = U16 @ (0x18, 0x20),
        providerKey = Ptr @ (0x1c, 0x28),
        weight = U16 @ (0x28, 0x40),
    }
}

pub mod FWPM_CALLOUT0 {
    use super::*;
    fields! {
        calloutKey = Inline @ (0, 0),
        displayData = Inline @ (0x10, 0x10),
        flags = U32 @ (0x18, 0x20),
        providerKey = Ptr @ (0x1c, 0x28),
        applicableLayer = Inline @ (0x28, 0x40),
        calloutId = U32 @ (0x38, 0x50),
    }
    pub const SIZE: (u64, u64) = (0x3c, 0x58);
}

pub mod FWPM_FILTER0 {
    use super::*;
    fields! {
        filterKey = Inline @ (0, 0),
        displayData = Inline @ (0x10, 0x10),
        flags = U32 @ (0x18, 0x20),
        providerKey = Ptr @ (0x1c, 0x28),
        layerKey = Inline @ (0x28, 0x40),
        subLayerKey = Inline @ (0x38, 0x50),
        weight = Inline @ (0x48, 0x60),
        numFilterConditions = U32 @ (0x50, 0x70),
        filterCondition = Ptr @ (0x54, 0x78),
        actionType = U32 @ (0x58, 0x80),
        actionKey = Inline @ (0x5c, 0x84),
        rawContext = U64 @ (0x70, 0x98),
        filterId = U64 @ (0x88, 0xb0),
    }
}

/// FWP_VALUE0 { FWP_DATA_TYPE type; union { UINT8 uint8; ... UINT64 *uint64; ... } }.
pub mod FWP_VALUE0 {
    use super::*;
    fields! { type_ = U32 @ (0, 0), value = Ptr @ (4, 8) }
}

/// FWPM_FILTER_CONDITION0 { GUID fieldKey; FWP_MATCH_TYPE matchType; FWP_CONDITION_VALUE0 }.
pub mod FWPM_FILTER_CONDITION0 {
    use super::*;
    fields! { fieldKey = Inline @ (0, 0), matchType = U32 @ (0x10, 0x10), conditionValue = Inline @ (0x14, 0x18) }
    pub const SIZE: (u64, u64) = (0x1c, 0x28);
}

/// FWPS_CALLOUT0/1/2 { GUID calloutKey; UINT32 flags; classifyFn; notifyFn; flowDeleteFn; }
/// (the versions differ in the callbacks' signatures, not in the layout).
pub mod FWPS_CALLOUT {
    use super::*;
    fields! {
        calloutKey = Inline @ (0, 0),
        flags = U32 @ (0x10, 0x10),
        classifyFn = Ptr @ (0x14, 0x18),
        notifyFn = Ptr @ (0x18, 0x20),
        flowDeleteFn = Ptr @ (0x1c, 0x28),
    }
}

/// FWPS_INCOMING_VALUES0 { UINT16 layerId; UINT32 valueCount; FWPS_INCOMING_VALUE0
/// *incomingValue; }, the values an array of FWP_VALUE0 (8 bytes on x86, 16 on x64).
pub mod FWPS_INCOMING_VALUES0 {
    use super::*;
    fields! { layerId = U16 @ (0, 0), valueCount = U32 @ (4, 4), incomingValue = Ptr @ (8, 8) }
    pub const SIZE: (u64, u64) = (12, 16);
    pub const VALUE_SIZE: (u64, u64) = (8, 16);
}

/// FWPS_FILTER0 { UINT64 filterId; FWP_VALUE0 weight; UINT16 subLayerWeight; UINT16 flags;
/// UINT32 numFilterConditions; FWPS_FILTER_CONDITION0 *filterCondition; FWPS_ACTION0 action
/// { type; calloutId; }; UINT64 context; FWPM_PROVIDER_CONTEXT0 *providerContext; } (the
/// later versions extend it at the end).
pub mod FWPS_FILTER0 {
    use super::*;
    fields! {
        filterId = U64 @ (0, 0),
        weight = Inline @ (8, 8),
        subLayerWeight = U16 @ (16, 24),
        flags = U16 @ (18, 26),
        numFilterConditions = U32 @ (20, 28),
        filterCondition = Ptr @ (24, 32),
        actionType = U32 @ (28, 40),
        calloutId = U32 @ (32, 44),
        context = U64 @ (40, 48),
        providerContext = Ptr @ (48, 56),
    }
    pub const SIZE: (u64, u64) = (56, 64);
}

/// FWPS_CLASSIFY_OUT0 { FWP_ACTION_TYPE actionType; UINT64 outContext; UINT64 filterId;
/// UINT32 rights; UINT32 flags; UINT32 reserved; }: the same on both.
pub mod FWPS_CLASSIFY_OUT0 {
    use super::*;
    fields! {
        actionType = U32 @ (0, 0),
        outContext = U64 @ (8, 8),
        filterId = U64 @ (16, 16),
        rights = U32 @ (24, 24),
        flags = U32 @ (28, 28),
    }
    pub const SIZE: (u64, u64) = (40, 40);
}

/// FWPS_CONNECT_REQUEST0 { SOCKADDR_STORAGE localAddressAndPort; SOCKADDR_STORAGE
/// remoteAddressAndPort; UINT64 portReservationToken; DWORD localRedirectTargetPID;
/// FWPS_CONNECT_REQUEST0 *previousVersion; UINT64 modifierFilterId; HANDLE
/// localRedirectHandle; void *localRedirectContext; SIZE_T localRedirectContextSize; }
/// (SOCKADDR_STORAGE: 128 bytes, 8-aligned; the last three from Windows 8).
pub mod FWPS_CONNECT_REQUEST0 {
    use super::*;
    fields! {
        localAddressAndPort = Inline @ (0, 0),
        remoteAddressAndPort = Inline @ (128, 128),
        portReservationToken = U64 @ (256, 256),
        localRedirectTargetPID = U32 @ (264, 264),
        previousVersion = Ptr @ (268, 272),
        modifierFilterId = U64 @ (272, 280),
        localRedirectHandle = Ptr @ (280, 288),
        localRedirectContext = Ptr @ (284, 296),
        localRedirectContextSize = Ptr @ (288, 304),
    }
    pub const SIZE: (u64, u64) = (296, 312);
}

/// FWPS_BIND_REQUEST0 { SOCKADDR_STORAGE localAddressAndPort; UINT64 portReservationToken;
/// FWPS_BIND_REQUEST0 *previousVersion; UINT64 modifierFilterId; }
pub mod FWPS_BIND_REQUEST0 {
    use super::*;
    fields! {
        localAddressAndPort = Inline @ (0, 0),
        portReservationToken = U64 @ (128, 128),
        previousVersion = Ptr @ (136, 136),
        modifierFilterId = U64 @ (144, 144),
    }
    pub const SIZE: (u64, u64) = (152, 152);
}
