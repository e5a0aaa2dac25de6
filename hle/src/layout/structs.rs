//! The structure declarations. Offsets are (x86, x64); `-` marks a field absent on that
//! architecture. Values were read from the mingw-w64 DDK headers (both triples) and are
//! re-checked on every corpus build through `corpus/layout/layout_check.c`.
#![allow(non_snake_case, non_upper_case_globals)]

use super::{Field, Kind, Struct};

macro_rules! off {
    (-) => {
        None
    };
    ($v:expr) => {
        Some($v)
    };
}

macro_rules! structure {
    ($(#[$doc:meta])* $module:ident = $cname:literal, size ($s86:expr, $s64:expr), checked: $checked:expr, {
        $( $const:ident = $path:literal : $kind:ident @ ($o86:tt, $o64:tt) ),* $(,)?
    }) => {
        $(#[$doc])*
        pub mod $module {
            use super::*;
            $(
                pub const $const: Field = Field { name: $path, x86: off!($o86), x64: off!($o64), kind: Kind::$kind };
            )*
            pub const STRUCT: Struct = Struct {
                name: $cname,
                size: [$s86, $s64],
                fields: &[$($const),*],
                checked: $checked,
            };
        }
    };
}

structure!(UNICODE_STRING = "UNICODE_STRING", size (0x8, 0x10), checked: true, {
    Length = "Length": U16 @ (0x0, 0x0),
    MaximumLength = "MaximumLength": U16 @ (0x2, 0x2),
    Buffer = "Buffer": Ptr @ (0x4, 0x8),
});

structure!(ANSI_STRING = "ANSI_STRING", size (0x8, 0x10), checked: true, {
    Length = "Length": U16 @ (0x0, 0x0),
    MaximumLength = "MaximumLength": U16 @ (0x2, 0x2),
    Buffer = "Buffer": Ptr @ (0x4, 0x8),
});

structure!(LIST_ENTRY = "LIST_ENTRY", size (0x8, 0x10), checked: true, {
    Flink = "Flink": Ptr @ (0x0, 0x0),
    Blink = "Blink": Ptr @ (0x4, 0x8),
});

structure!(IO_STATUS_BLOCK = "IO_STATUS_BLOCK", size (0x8, 0x10), checked: true, {
    Status = "Status": U32 @ (0x0, 0x0),
    Information = "Information": Ptr @ (0x4, 0x8),
});

structure!(DISPATCHER_HEADER = "DISPATCHER_HEADER", size (0x10, 0x18), checked: true, {
    Type = "Type": U8 @ (0x0, 0x0),
    SignalState = "SignalState": U32 @ (0x4, 0x4),
    WaitListHead = "WaitListHead": Inline @ (0x8, 0x8),
});

structure!(KEVENT = "KEVENT", size (0x10, 0x18), checked: true, {
    Header = "Header": Inline @ (0x0, 0x0),
});

structure!(KDPC = "KDPC", size (0x20, 0x40), checked: true, {
    Type = "Type": U8 @ (0x0, 0x0),
    Importance = "Importance": U8 @ (0x1, 0x1),
    Number = "Number": U16 @ (0x2, 0x2),
    DpcListEntry = "DpcListEntry": Inline @ (0x4, 0x8),
    DeferredRoutine = "DeferredRoutine": Ptr @ (0xc, 0x18),
    DeferredContext = "DeferredContext": Ptr @ (0x10, 0x20),
    SystemArgument1 = "SystemArgument1": Ptr @ (0x14, 0x28),
    SystemArgument2 = "SystemArgument2": Ptr @ (0x18, 0x30),
    DpcData = "DpcData": Ptr @ (0x1c, 0x38),
});

structure!(KAPC = "KAPC", size (0x30, 0x58), checked: true, {
    Type = "Type": U8 @ (0x0, 0x0),
    Size = "Size": U8 @ (0x2, 0x2),
    Thread = "Thread": Ptr @ (0x8, 0x8),
    ApcListEntry = "ApcListEntry": Inline @ (0xc, 0x10),
    KernelRoutine = "KernelRoutine": Ptr @ (0x14, 0x20),
    RundownRoutine = "RundownRoutine": Ptr @ (0x18, 0x28),
    NormalRoutine = "NormalRoutine": Ptr @ (0x1c, 0x30),
    NormalContext = "NormalContext": Ptr @ (0x20, 0x38),
    SystemArgument1 = "SystemArgument1": Ptr @ (0x24, 0x40),
    SystemArgument2 = "SystemArgument2": Ptr @ (0x28, 0x48),
    ApcStateIndex = "ApcStateIndex": U8 @ (0x2c, 0x50),
    ApcMode = "ApcMode": U8 @ (0x2d, 0x51),
    Inserted = "Inserted": U8 @ (0x2e, 0x52),
});

structure!(
    /// ndis/nblapi.h (NDIS 6); not in the mingw-w64 headers. Revision 1 ends after DataSize.
    NET_BUFFER_LIST_POOL_PARAMETERS = "NET_BUFFER_LIST_POOL_PARAMETERS", size (0x10, 0x10), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    ProtocolId = "ProtocolId": U8 @ (0x4, 0x4),
    fAllocateNetBuffer = "fAllocateNetBuffer": U8 @ (0x5, 0x5),
    ContextSize = "ContextSize": U16 @ (0x6, 0x6),
    PoolTag = "PoolTag": U32 @ (0x8, 0x8),
    DataSize = "DataSize": U32 @ (0xc, 0xc),
});

structure!(
    /// ndis/nblapi.h (NDIS 6); not in the mingw-w64 headers. Revision 1.
    NET_BUFFER_POOL_PARAMETERS = "NET_BUFFER_POOL_PARAMETERS", size (0xc, 0xc), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    PoolTag = "PoolTag": U32 @ (0x4, 0x4),
    DataSize = "DataSize": U32 @ (0x8, 0x8),
});

structure!(
    /// ndis/nbl.h (NDIS 6.20, Windows 7); not in the mingw-w64 headers. The header fields
    /// (Next .. DataOffset) are the NET_BUFFER_DATA every NET_BUFFER_* macro reads.
    NET_BUFFER = "NET_BUFFER", size (0x60, 0xb0), checked: false, {
    Next = "Next": Ptr @ (0x0, 0x0),
    CurrentMdl = "CurrentMdl": Ptr @ (0x4, 0x8),
    CurrentMdlOffset = "CurrentMdlOffset": U32 @ (0x8, 0x10),
    DataLength = "DataLength": U32 @ (0xc, 0x18),
    MdlChain = "MdlChain": Ptr @ (0x10, 0x20),
    DataOffset = "DataOffset": U32 @ (0x14, 0x28),
    ChecksumBias = "ChecksumBias": U16 @ (0x18, 0x30),
    NdisPoolHandle = "NdisPoolHandle": Ptr @ (0x1c, 0x38),
});

structure!(
    /// ndis/nbl.h (NDIS 6.20, Windows 7: 19 NetBufferListInfo entries); not in the mingw-w64
    /// headers. The reserved arrays are MEMORY_ALLOCATION_ALIGNMENT-aligned.
    NET_BUFFER_LIST = "NET_BUFFER_LIST", size (0xa0, 0x130), checked: false, {
    Next = "Next": Ptr @ (0x0, 0x0),
    FirstNetBuffer = "FirstNetBuffer": Ptr @ (0x4, 0x8),
    Context = "Context": Ptr @ (0x8, 0x10),
    ParentNetBufferList = "ParentNetBufferList": Ptr @ (0xc, 0x18),
    NdisPoolHandle = "NdisPoolHandle": Ptr @ (0x10, 0x20),
    Scratch = "Scratch": Ptr @ (0x38, 0x70),
    SourceHandle = "SourceHandle": Ptr @ (0x3c, 0x78),
    NblFlags = "NblFlags": U32 @ (0x40, 0x80),
    ChildRefCount = "ChildRefCount": U32 @ (0x44, 0x84),
    Flags = "Flags": U32 @ (0x48, 0x88),
    Status = "Status": U32 @ (0x4c, 0x8c),
    NetBufferListInfo = "NetBufferListInfo": Inline @ (0x50, 0x90),
});

structure!(
    /// ndis/filter.h (NDIS 6.0-6.80); not in the mingw-w64 headers. Revision 1 (NDIS 6.0)
    /// ends after StatusHandler, revision 2 (6.1) after CancelDirectOidRequestHandler,
    /// revision 3 (6.80) after SynchronousOidRequestCompleteHandler.
    NDIS_FILTER_DRIVER_CHARACTERISTICS = "NDIS_FILTER_DRIVER_CHARACTERISTICS", size (0x7c, 0xf0), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    MajorNdisVersion = "MajorNdisVersion": U8 @ (0x4, 0x4),
    MinorNdisVersion = "MinorNdisVersion": U8 @ (0x5, 0x5),
    MajorDriverVersion = "MajorDriverVersion": U8 @ (0x6, 0x6),
    MinorDriverVersion = "MinorDriverVersion": U8 @ (0x7, 0x7),
    Flags = "Flags": U32 @ (0x8, 0x8),
    FriendlyName = "FriendlyName": Inline @ (0xc, 0x10),
    UniqueName = "UniqueName": Inline @ (0x14, 0x20),
    ServiceName = "ServiceName": Inline @ (0x1c, 0x30),
    SetOptionsHandler = "SetOptionsHandler": Ptr @ (0x24, 0x40),
    SetFilterModuleOptionsHandler = "SetFilterModuleOptionsHandler": Ptr @ (0x28, 0x48),
    AttachHandler = "AttachHandler": Ptr @ (0x2c, 0x50),
    DetachHandler = "DetachHandler": Ptr @ (0x30, 0x58),
    RestartHandler = "RestartHandler": Ptr @ (0x34, 0x60),
    PauseHandler = "PauseHandler": Ptr @ (0x38, 0x68),
    SendNetBufferListsHandler = "SendNetBufferListsHandler": Ptr @ (0x3c, 0x70),
    SendNetBufferListsCompleteHandler = "SendNetBufferListsCompleteHandler": Ptr @ (0x40, 0x78),
    CancelSendNetBufferListsHandler = "CancelSendNetBufferListsHandler": Ptr @ (0x44, 0x80),
    ReceiveNetBufferListsHandler = "ReceiveNetBufferListsHandler": Ptr @ (0x48, 0x88),
    ReturnNetBufferListsHandler = "ReturnNetBufferListsHandler": Ptr @ (0x4c, 0x90),
    OidRequestHandler = "OidRequestHandler": Ptr @ (0x50, 0x98),
    OidRequestCompleteHandler = "OidRequestCompleteHandler": Ptr @ (0x54, 0xa0),
    CancelOidRequestHandler = "CancelOidRequestHandler": Ptr @ (0x58, 0xa8),
    DevicePnPEventNotifyHandler = "DevicePnPEventNotifyHandler": Ptr @ (0x5c, 0xb0),
    NetPnPEventHandler = "NetPnPEventHandler": Ptr @ (0x60, 0xb8),
    StatusHandler = "StatusHandler": Ptr @ (0x64, 0xc0),
    DirectOidRequestHandler = "DirectOidRequestHandler": Ptr @ (0x68, 0xc8),
    DirectOidRequestCompleteHandler = "DirectOidRequestCompleteHandler": Ptr @ (0x6c, 0xd0),
    CancelDirectOidRequestHandler = "CancelDirectOidRequestHandler": Ptr @ (0x70, 0xd8),
});

structure!(
    /// ndis/filter.h; not in the mingw-w64 headers. Revision 3 (NDIS 6.20): revision 1 ends
    /// after Flags (0x8c, 0xa4), revision 2 after HDSplitCurrentConfig.
    NDIS_FILTER_ATTACH_PARAMETERS = "NDIS_FILTER_ATTACH_PARAMETERS", size (0x9c, 0xc8), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    IfIndex = "IfIndex": U32 @ (0x4, 0x4),
    NetLuid = "NetLuid": U64 @ (0x8, 0x8),
    FilterModuleGuidName = "FilterModuleGuidName": Ptr @ (0x10, 0x10),
    BaseMiniportIfIndex = "BaseMiniportIfIndex": U32 @ (0x14, 0x18),
    BaseMiniportInstanceName = "BaseMiniportInstanceName": Ptr @ (0x18, 0x20),
    BaseMiniportName = "BaseMiniportName": Ptr @ (0x1c, 0x28),
    MediaConnectState = "MediaConnectState": U32 @ (0x20, 0x30),
    MediaDuplexState = "MediaDuplexState": U32 @ (0x24, 0x34),
    XmitLinkSpeed = "XmitLinkSpeed": U64 @ (0x28, 0x38),
    RcvLinkSpeed = "RcvLinkSpeed": U64 @ (0x30, 0x40),
    MiniportMediaType = "MiniportMediaType": U32 @ (0x38, 0x48),
    MiniportPhysicalMediaType = "MiniportPhysicalMediaType": U32 @ (0x3c, 0x4c),
    MiniportMediaSpecificAttributes = "MiniportMediaSpecificAttributes": Ptr @ (0x40, 0x50),
    DefaultOffloadConfiguration = "DefaultOffloadConfiguration": Ptr @ (0x44, 0x58),
    MacAddressLength = "MacAddressLength": U16 @ (0x48, 0x60),
    CurrentMacAddress = "CurrentMacAddress": Inline @ (0x4a, 0x62),
    BaseMiniportNetLuid = "BaseMiniportNetLuid": U64 @ (0x70, 0x88),
    LowerIfIndex = "LowerIfIndex": U32 @ (0x78, 0x90),
    LowerIfNetLuid = "LowerIfNetLuid": U64 @ (0x80, 0x98),
    Flags = "Flags": U32 @ (0x88, 0xa0),
    HDSplitCurrentConfig = "HDSplitCurrentConfig": Ptr @ (0x8c, 0xa8),
    ReceiveFilterCapabilities = "ReceiveFilterCapabilities": Ptr @ (0x90, 0xb0),
    MiniportPhysicalDeviceObject = "MiniportPhysicalDeviceObject": Ptr @ (0x94, 0xb8),
    NicSwitchCapabilities = "NicSwitchCapabilities": Ptr @ (0x98, 0xc0),
});

structure!(
    /// ndis/filter.h; not in the mingw-w64 headers. Revision 1.
    NDIS_FILTER_RESTART_PARAMETERS = "NDIS_FILTER_RESTART_PARAMETERS", size (0x20, 0x28), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    MiniportMediaType = "MiniportMediaType": U32 @ (0x4, 0x4),
    RestartAttributes = "RestartAttributes": Ptr @ (0x8, 0x8),
    LowerIfIndex = "LowerIfIndex": U32 @ (0xc, 0x10),
    LowerIfNetLuid = "LowerIfNetLuid": U64 @ (0x10, 0x18),
    Flags = "Flags": U32 @ (0x18, 0x20),
});

structure!(
    /// ndis/filter.h; not in the mingw-w64 headers. Revision 1.
    NDIS_FILTER_PAUSE_PARAMETERS = "NDIS_FILTER_PAUSE_PARAMETERS", size (0xc, 0xc), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    Flags = "Flags": U32 @ (0x4, 0x4),
    PauseReason = "PauseReason": U32 @ (0x8, 0x8),
});

structure!(
    /// ndis/filter.h; not in the mingw-w64 headers. Revision 1.
    NDIS_FILTER_ATTRIBUTES = "NDIS_FILTER_ATTRIBUTES", size (0x8, 0x8), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    Flags = "Flags": U32 @ (0x4, 0x4),
});

structure!(
    /// ndis/oidrequest.h; not in the mingw-w64 headers. Revision 1 (NDIS 6.0) ends after
    /// Reserved2; DATA is a union whose QUERY_INFORMATION, SET_INFORMATION and
    /// METHOD_INFORMATION members share Oid and InformationBuffer (BytesRead of a set sits
    /// where BytesWritten of a query does).
    NDIS_OID_REQUEST = "NDIS_OID_REQUEST", size (0x8c, 0xf0), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    RequestType = "RequestType": U32 @ (0x4, 0x4),
    PortNumber = "PortNumber": U32 @ (0x8, 0x8),
    Timeout = "Timeout": U32 @ (0xc, 0xc),
    RequestId = "RequestId": Ptr @ (0x10, 0x10),
    RequestHandle = "RequestHandle": Ptr @ (0x14, 0x18),
    Oid = "DATA.QUERY_INFORMATION.Oid": U32 @ (0x18, 0x20),
    InformationBuffer = "DATA.QUERY_INFORMATION.InformationBuffer": Ptr @ (0x1c, 0x28),
    InformationBufferLength = "DATA.QUERY_INFORMATION.InformationBufferLength": U32 @ (0x20, 0x30),
    BytesWritten = "DATA.QUERY_INFORMATION.BytesWritten": U32 @ (0x24, 0x34),
    BytesNeeded = "DATA.QUERY_INFORMATION.BytesNeeded": U32 @ (0x28, 0x38),
    NdisReserved = "NdisReserved": Inline @ (0x38, 0x48),
    SupportedRevision = "SupportedRevision": U8 @ (0x88, 0xe8),
});

structure!(
    /// ndis/status.h; not in the mingw-w64 headers. Revision 1.
    NDIS_STATUS_INDICATION = "NDIS_STATUS_INDICATION", size (0x44, 0x70), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    SourceHandle = "SourceHandle": Ptr @ (0x4, 0x8),
    PortNumber = "PortNumber": U32 @ (0x8, 0x10),
    StatusCode = "StatusCode": U32 @ (0xc, 0x14),
    Flags = "Flags": U32 @ (0x10, 0x18),
    DestinationHandle = "DestinationHandle": Ptr @ (0x14, 0x20),
    RequestId = "RequestId": Ptr @ (0x18, 0x28),
    StatusBuffer = "StatusBuffer": Ptr @ (0x1c, 0x30),
    StatusBufferSize = "StatusBufferSize": U32 @ (0x20, 0x38),
    Guid = "Guid": Inline @ (0x24, 0x3c),
});

structure!(
    /// ndis/protocol.h; not in the mingw-w64 headers. Revision 1 (NDIS 6.0) ends after
    /// SendNetBufferListsCompleteHandler, revision 2 (6.1) after
    /// DirectOidRequestCompleteHandler.
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = "NDIS_PROTOCOL_DRIVER_CHARACTERISTICS", size (0x44, 0x80), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    MajorNdisVersion = "MajorNdisVersion": U8 @ (0x4, 0x4),
    MinorNdisVersion = "MinorNdisVersion": U8 @ (0x5, 0x5),
    Name = "Name": Inline @ (0xc, 0x10),
    SetOptionsHandler = "SetOptionsHandler": Ptr @ (0x14, 0x20),
    BindAdapterHandlerEx = "BindAdapterHandlerEx": Ptr @ (0x18, 0x28),
    UnbindAdapterHandlerEx = "UnbindAdapterHandlerEx": Ptr @ (0x1c, 0x30),
    OpenAdapterCompleteHandlerEx = "OpenAdapterCompleteHandlerEx": Ptr @ (0x20, 0x38),
    CloseAdapterCompleteHandlerEx = "CloseAdapterCompleteHandlerEx": Ptr @ (0x24, 0x40),
    NetPnPEventHandler = "NetPnPEventHandler": Ptr @ (0x28, 0x48),
    UninstallHandler = "UninstallHandler": Ptr @ (0x2c, 0x50),
    OidRequestCompleteHandler = "OidRequestCompleteHandler": Ptr @ (0x30, 0x58),
    StatusHandlerEx = "StatusHandlerEx": Ptr @ (0x34, 0x60),
    ReceiveNetBufferListsHandler = "ReceiveNetBufferListsHandler": Ptr @ (0x38, 0x68),
    SendNetBufferListsCompleteHandler = "SendNetBufferListsCompleteHandler": Ptr @ (0x3c, 0x70),
});

structure!(
    /// ndis/protocol.h; not in the mingw-w64 headers. Revision 2 (NDIS 6.1); revision 1 ends
    /// after BoundAdapterName.
    NDIS_BIND_PARAMETERS = "NDIS_BIND_PARAMETERS", size (0xd0, 0x100), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    ProtocolSection = "ProtocolSection": Ptr @ (0x4, 0x8),
    AdapterName = "AdapterName": Ptr @ (0x8, 0x10),
    PhysicalDeviceObject = "PhysicalDeviceObject": Ptr @ (0xc, 0x18),
    MediaType = "MediaType": U32 @ (0x10, 0x20),
    MtuSize = "MtuSize": U32 @ (0x14, 0x24),
    MaxXmitLinkSpeed = "MaxXmitLinkSpeed": U64 @ (0x18, 0x28),
    XmitLinkSpeed = "XmitLinkSpeed": U64 @ (0x20, 0x30),
    MaxRcvLinkSpeed = "MaxRcvLinkSpeed": U64 @ (0x28, 0x38),
    RcvLinkSpeed = "RcvLinkSpeed": U64 @ (0x30, 0x40),
    MediaConnectState = "MediaConnectState": U32 @ (0x38, 0x48),
    MediaDuplexState = "MediaDuplexState": U32 @ (0x3c, 0x4c),
    LookaheadSize = "LookaheadSize": U32 @ (0x40, 0x50),
    SupportedPacketFilters = "SupportedPacketFilters": U32 @ (0x48, 0x60),
    MaxMulticastListSize = "MaxMulticastListSize": U32 @ (0x4c, 0x64),
    MacAddressLength = "MacAddressLength": U16 @ (0x50, 0x68),
    CurrentMacAddress = "CurrentMacAddress": Inline @ (0x52, 0x6a),
    PhysicalMediumType = "PhysicalMediumType": U32 @ (0x74, 0x8c),
    BoundIfNetluid = "BoundIfNetluid": U64 @ (0x80, 0x98),
    BoundIfIndex = "BoundIfIndex": U32 @ (0x88, 0xa0),
    LowestIfNetluid = "LowestIfNetluid": U64 @ (0x90, 0xa8),
    LowestIfIndex = "LowestIfIndex": U32 @ (0x98, 0xb0),
    AccessType = "AccessType": U32 @ (0x9c, 0xb4),
    DirectionType = "DirectionType": U32 @ (0xa0, 0xb8),
    ConnectionType = "ConnectionType": U32 @ (0xa4, 0xbc),
    IfType = "IfType": U16 @ (0xa8, 0xc0),
    IfConnectorPresent = "IfConnectorPresent": U8 @ (0xaa, 0xc2),
    MacOptions = "MacOptions": U32 @ (0xb8, 0xd8),
    BoundAdapterName = "BoundAdapterName": Ptr @ (0xc8, 0xf0),
});

structure!(
    /// ndis/protocol.h; not in the mingw-w64 headers. Revision 1.
    NDIS_OPEN_PARAMETERS = "NDIS_OPEN_PARAMETERS", size (0x1c, 0x34), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    AdapterName = "AdapterName": Ptr @ (0x4, 0x8),
    MediumArray = "MediumArray": Ptr @ (0x8, 0x10),
    MediumArraySize = "MediumArraySize": U32 @ (0xc, 0x18),
    SelectedMediumIndex = "SelectedMediumIndex": Ptr @ (0x10, 0x20),
    FrameTypeArray = "FrameTypeArray": Ptr @ (0x14, 0x28),
    FrameTypeArraySize = "FrameTypeArraySize": U32 @ (0x18, 0x30),
});

structure!(
    /// ndis/ndis.h (NDIS 6); not in the mingw-w64 headers. Revision 1.
    NDIS_CONFIGURATION_OBJECT = "NDIS_CONFIGURATION_OBJECT", size (0xc, 0x14), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    NdisHandle = "NdisHandle": Ptr @ (0x4, 0x8),
    Flags = "Flags": U32 @ (0x8, 0x10),
});

structure!(
    /// ndis.h: a value NdisReadConfiguration returns; the union holds IntegerData, a
    /// StringData NDIS_STRING or a BinaryData (USHORT Length, PVOID Buffer).
    NDIS_CONFIGURATION_PARAMETER = "NDIS_CONFIGURATION_PARAMETER", size (0xc, 0x18), checked: false, {
    ParameterType = "ParameterType": U32 @ (0x0, 0x0),
    IntegerData = "ParameterData.IntegerData": U32 @ (0x4, 0x8),
    StringData = "ParameterData.StringData": Inline @ (0x4, 0x8),
});

structure!(
    /// ndis/timer.h (NDIS 6); not in the mingw-w64 headers. Revision 1.
    NDIS_TIMER_CHARACTERISTICS = "NDIS_TIMER_CHARACTERISTICS", size (0x10, 0x18), checked: false, {
    HeaderType = "Header.Type": U8 @ (0x0, 0x0),
    HeaderRevision = "Header.Revision": U8 @ (0x1, 0x1),
    HeaderSize = "Header.Size": U16 @ (0x2, 0x2),
    AllocationTag = "AllocationTag": U32 @ (0x4, 0x4),
    TimerFunction = "TimerFunction": Ptr @ (0x8, 0x8),
    FunctionContext = "FunctionContext": Ptr @ (0xc, 0x10),
});

structure!(
    /// ndis.h (NDIS 5): a packet descriptor, its NDIS_PACKET_PRIVATE header first;
    /// ProtocolReserved is the start of the protocol's area.
    NDIS_PACKET = "NDIS_PACKET", size (0x39, 0x61), checked: false, {
    PhysicalCount = "Private.PhysicalCount": U32 @ (0x0, 0x0),
    TotalLength = "Private.TotalLength": U32 @ (0x4, 0x4),
    Head = "Private.Head": Ptr @ (0x8, 0x8),
    Tail = "Private.Tail": Ptr @ (0xc, 0x10),
    Pool = "Private.Pool": Ptr @ (0x10, 0x18),
    Count = "Private.Count": U32 @ (0x14, 0x20),
    Flags = "Private.Flags": U32 @ (0x18, 0x24),
    ValidCounts = "Private.ValidCounts": U8 @ (0x1c, 0x28),
    NdisPacketFlags = "Private.NdisPacketFlags": U8 @ (0x1d, 0x29),
    NdisPacketOobOffset = "Private.NdisPacketOobOffset": U16 @ (0x1e, 0x2a),
    ProtocolReserved = "ProtocolReserved": Inline @ (0x38, 0x60),
});

structure!(
    /// ndis/nbl.h: the header of a NET_BUFFER_LIST's context block; ContextData follows at
    /// MEMORY_ALLOCATION_ALIGNMENT.
    NET_BUFFER_LIST_CONTEXT = "NET_BUFFER_LIST_CONTEXT", size (0x8, 0x10), checked: false, {
    Next = "Next": Ptr @ (0x0, 0x0),
    Size = "Size": U16 @ (0x4, 0x8),
    Offset = "Offset": U16 @ (0x6, 0xa),
});

structure!(
    /// The I/O manager's per-device timer (opaque to drivers, which see only its address in
    /// DEVICE_OBJECT.Timer; laid out as ReactOS's). This kernel puts a KDPC and a KTIMER
    /// after it (`io/timer.rs`).
    IO_TIMER = "IO_TIMER", size (0x18, 0x30), checked: false, {
    Type = "Type": U16 @ (0x0, 0x0),
    TimerEnabled = "TimerEnabled": U16 @ (0x2, 0x2),
    IoTimerList = "IoTimerList": Inline @ (0x4, 0x8),
    TimerRoutine = "TimerRoutine": Ptr @ (0xc, 0x18),
    Context = "Context": Ptr @ (0x10, 0x20),
    DeviceObject = "DeviceObject": Ptr @ (0x14, 0x28),
});

structure!(
    /// wdm.h: a bugcheck callback's registration, caller-allocated.
    KBUGCHECK_CALLBACK_RECORD = "KBUGCHECK_CALLBACK_RECORD", size (0x20, 0x40), checked: true, {
    Entry = "Entry": Inline @ (0x0, 0x0),
    CallbackRoutine = "CallbackRoutine": Ptr @ (0x8, 0x10),
    Buffer = "Buffer": Ptr @ (0xc, 0x18),
    Length = "Length": U32 @ (0x10, 0x20),
    Component = "Component": Ptr @ (0x14, 0x28),
    Checksum = "Checksum": Ptr @ (0x18, 0x30),
    State = "State": U8 @ (0x1c, 0x38),
});

structure!(KTIMER = "KTIMER", size (0x28, 0x40), checked: true, {
    Header = "Header": Inline @ (0x0, 0x0),
    DueTime = "DueTime": U64 @ (0x10, 0x18),
    TimerListEntry = "TimerListEntry": Inline @ (0x18, 0x20),
    Dpc = "Dpc": Ptr @ (0x20, 0x30),
    Processor = "Processor": U32 @ (-, 0x38),
    Period = "Period": U32 @ (0x24, 0x3c),
});

structure!(KMUTANT = "KMUTANT", size (0x20, 0x38), checked: true, {
    Header = "Header": Inline @ (0x0, 0x0),
    MutantListEntry = "MutantListEntry": Inline @ (0x10, 0x18),
    OwnerThread = "OwnerThread": Ptr @ (0x18, 0x28),
    Abandoned = "Abandoned": U8 @ (0x1c, 0x30),
    ApcDisable = "ApcDisable": U8 @ (0x1d, 0x31),
});

structure!(KSEMAPHORE = "KSEMAPHORE", size (0x14, 0x20), checked: true, {
    Header = "Header": Inline @ (0x0, 0x0),
    Limit = "Limit": U32 @ (0x10, 0x18),
});

structure!(FAST_MUTEX = "FAST_MUTEX", size (0x20, 0x38), checked: true, {
    Count = "Count": U32 @ (0x0, 0x0),
    Owner = "Owner": Ptr @ (0x4, 0x8),
    Contention = "Contention": U32 @ (0x8, 0x10),
    Event = "Event": Inline @ (0xc, 0x18),
    OldIrql = "OldIrql": U32 @ (0x1c, 0x30),
});

structure!(KGUARDED_MUTEX = "KGUARDED_MUTEX", size (0x20, 0x38), checked: true, {
    Count = "Count": U32 @ (0x0, 0x0),
    Owner = "Owner": Ptr @ (0x4, 0x8),
    Contention = "Contention": U32 @ (0x8, 0x10),
    Gate = "Gate": Inline @ (0xc, 0x18),
    KernelApcDisable = "KernelApcDisable": U16 @ (0x1c, 0x30),
});

structure!(ERESOURCE = "ERESOURCE", size (0x38, 0x68), checked: true, {
    SystemResourcesList = "SystemResourcesList": Inline @ (0x0, 0x0),
    OwnerTable = "OwnerTable": Ptr @ (0x8, 0x10),
    ActiveCount = "ActiveCount": U16 @ (0xc, 0x18),
    Flag = "Flag": U16 @ (0xe, 0x1a),
    SharedWaiters = "SharedWaiters": Ptr @ (0x10, 0x20),
    ExclusiveWaiters = "ExclusiveWaiters": Ptr @ (0x14, 0x28),
    OwnerEntry = "OwnerEntry": Inline @ (0x18, 0x30),
    ActiveEntries = "ActiveEntries": U32 @ (0x20, 0x40),
    ContentionCount = "ContentionCount": U32 @ (0x24, 0x44),
    NumberOfSharedWaiters = "NumberOfSharedWaiters": U32 @ (0x28, 0x48),
    NumberOfExclusiveWaiters = "NumberOfExclusiveWaiters": U32 @ (0x2c, 0x4c),
    SpinLock = "SpinLock": Ptr @ (0x34, 0x60),
});

structure!(OWNER_ENTRY = "OWNER_ENTRY", size (0x8, 0x10), checked: true, {
    OwnerThread = "OwnerThread": Ptr @ (0x0, 0x0),
    TableSize = "TableSize": U32 @ (0x4, 0x8),
});

structure!(
    /// Opaque in the DDK headers that define it (ntifs.h); the layout is the documented one.
    KAPC_STATE = "KAPC_STATE", size (0x18, 0x30), checked: false, {
    ApcListHead = "ApcListHead": Inline @ (0x0, 0x0),
    Process = "Process": Ptr @ (0x10, 0x20),
    KernelApcInProgress = "KernelApcInProgress": U8 @ (0x14, 0x28),
    KernelApcPending = "KernelApcPending": U8 @ (0x15, 0x29),
    UserApcPending = "UserApcPending": U8 @ (0x16, 0x2a),
});

structure!(WORK_QUEUE_ITEM = "WORK_QUEUE_ITEM", size (0x10, 0x20), checked: true, {
    List = "List": Inline @ (0x0, 0x0),
    WorkerRoutine = "WorkerRoutine": Ptr @ (0x8, 0x10),
    Parameter = "Parameter": Ptr @ (0xc, 0x18),
});

structure!(
    /// The lookaside list proper; Windows' copy is cache-aligned (0x80 bytes on both
    /// architectures), mingw-w64's x86 one is not: the fields agree.
    GENERAL_LOOKASIDE = "GENERAL_LOOKASIDE", size (0x48, 0x80), checked: true, {
    ListHead = "ListHead": Inline @ (0x0, 0x0),
    Depth = "Depth": U16 @ (0x8, 0x10),
    MaximumDepth = "MaximumDepth": U16 @ (0xa, 0x12),
    TotalAllocates = "TotalAllocates": U32 @ (0xc, 0x14),
    AllocateMisses = "AllocateMisses": U32 @ (0x10, 0x18),
    TotalFrees = "TotalFrees": U32 @ (0x14, 0x1c),
    FreeMisses = "FreeMisses": U32 @ (0x18, 0x20),
    Type = "Type": U32 @ (0x1c, 0x24),
    Tag = "Tag": U32 @ (0x20, 0x28),
    Size = "Size": U32 @ (0x24, 0x2c),
    Allocate = "Allocate": Ptr @ (0x28, 0x30),
    Free = "Free": Ptr @ (0x2c, 0x38),
    ListEntry = "ListEntry": Inline @ (0x30, 0x40),
    LastTotalAllocates = "LastTotalAllocates": U32 @ (0x38, 0x50),
    LastAllocateMisses = "LastAllocateMisses": U32 @ (0x3c, 0x54),
});

structure!(KLOCK_QUEUE_HANDLE = "KLOCK_QUEUE_HANDLE", size (0xc, 0x18), checked: true, {
    LockQueueNext = "LockQueue.Next": Ptr @ (0x0, 0x0),
    LockQueueLock = "LockQueue.Lock": Ptr @ (0x4, 0x8),
    OldIrql = "OldIrql": U8 @ (0x8, 0x10),
});

structure!(PROCESSOR_NUMBER = "PROCESSOR_NUMBER", size (0x4, 0x4), checked: true, {
    Group = "Group": U16 @ (0x0, 0x0),
    Number = "Number": U8 @ (0x2, 0x2),
    Reserved = "Reserved": U8 @ (0x3, 0x3),
});

structure!(GROUP_AFFINITY = "GROUP_AFFINITY", size (0xc, 0x10), checked: true, {
    Mask = "Mask": Ptr @ (0x0, 0x0),
    Group = "Group": U16 @ (0x4, 0x8),
});

structure!(PS_CREATE_NOTIFY_INFO = "PS_CREATE_NOTIFY_INFO", size (0x24, 0x48), checked: true, {
    Size = "Size": Ptr @ (0x0, 0x0),
    Flags = "Flags": U32 @ (0x4, 0x8),
    ParentProcessId = "ParentProcessId": Ptr @ (0x8, 0x10),
    CreatingThreadId = "CreatingThreadId": Inline @ (0xc, 0x18),
    FileObject = "FileObject": Ptr @ (0x14, 0x28),
    ImageFileName = "ImageFileName": Ptr @ (0x18, 0x30),
    CommandLine = "CommandLine": Ptr @ (0x1c, 0x38),
    CreationStatus = "CreationStatus": U32 @ (0x20, 0x40),
});

structure!(CLIENT_ID = "CLIENT_ID", size (0x8, 0x10), checked: true, {
    UniqueProcess = "UniqueProcess": Ptr @ (0x0, 0x0),
    UniqueThread = "UniqueThread": Ptr @ (0x4, 0x8),
});

structure!(IMAGE_INFO = "IMAGE_INFO", size (0x14, 0x28), checked: true, {
    Properties = "Properties": U32 @ (0x0, 0x0),
    ImageBase = "ImageBase": Ptr @ (0x4, 0x8),
    ImageSelector = "ImageSelector": U32 @ (0x8, 0x10),
    ImageSize = "ImageSize": Ptr @ (0xc, 0x18),
    ImageSectionNumber = "ImageSectionNumber": U32 @ (0x10, 0x20),
});

structure!(DRIVER_OBJECT = "DRIVER_OBJECT", size (0xa8, 0x150), checked: true, {
    Type = "Type": U16 @ (0x0, 0x0),
    Size = "Size": U16 @ (0x2, 0x2),
    DeviceObject = "DeviceObject": Ptr @ (0x4, 0x8),
    Flags = "Flags": U32 @ (0x8, 0x10),
    DriverStart = "DriverStart": Ptr @ (0xc, 0x18),
    DriverSize = "DriverSize": U32 @ (0x10, 0x20),
    DriverSection = "DriverSection": Ptr @ (0x14, 0x28),
    DriverExtension = "DriverExtension": Ptr @ (0x18, 0x30),
    DriverName = "DriverName": Inline @ (0x1c, 0x38),
    HardwareDatabase = "HardwareDatabase": Ptr @ (0x24, 0x48),
    FastIoDispatch = "FastIoDispatch": Ptr @ (0x28, 0x50),
    DriverInit = "DriverInit": Ptr @ (0x2c, 0x58),
    DriverStartIo = "DriverStartIo": Ptr @ (0x30, 0x60),
    DriverUnload = "DriverUnload": Ptr @ (0x34, 0x68),
    MajorFunction = "MajorFunction": Inline @ (0x38, 0x70),
});

structure!(DRIVER_EXTENSION = "DRIVER_EXTENSION", size (0x14, 0x28), checked: true, {
    DriverObject = "DriverObject": Ptr @ (0x0, 0x0),
    AddDevice = "AddDevice": Ptr @ (0x4, 0x8),
    Count = "Count": U32 @ (0x8, 0x10),
    ServiceKeyName = "ServiceKeyName": Inline @ (0xc, 0x18),
});

structure!(DEVICE_OBJECT = "DEVICE_OBJECT", size (0xb8, 0x148), checked: true, {
    Type = "Type": U16 @ (0x0, 0x0),
    Size = "Size": U16 @ (0x2, 0x2),
    ReferenceCount = "ReferenceCount": U32 @ (0x4, 0x4),
    DriverObject = "DriverObject": Ptr @ (0x8, 0x8),
    NextDevice = "NextDevice": Ptr @ (0xc, 0x10),
    AttachedDevice = "AttachedDevice": Ptr @ (0x10, 0x18),
    CurrentIrp = "CurrentIrp": Ptr @ (0x14, 0x20),
    Timer = "Timer": Ptr @ (0x18, 0x28),
    Flags = "Flags": U32 @ (0x1c, 0x30),
    Characteristics = "Characteristics": U32 @ (0x20, 0x34),
    Vpb = "Vpb": Ptr @ (0x24, 0x38),
    DeviceExtension = "DeviceExtension": Ptr @ (0x28, 0x40),
    DeviceType = "DeviceType": U32 @ (0x2c, 0x48),
    StackSize = "StackSize": U8 @ (0x30, 0x4c),
    Queue = "Queue": Inline @ (0x34, 0x50),
    AlignmentRequirement = "AlignmentRequirement": U32 @ (0x5c, 0x98),
    DeviceQueue = "DeviceQueue": Inline @ (0x60, 0xa0),
    Dpc = "Dpc": Inline @ (0x74, 0xc8),
    ActiveThreadCount = "ActiveThreadCount": U32 @ (0x94, 0x108),
    SecurityDescriptor = "SecurityDescriptor": Ptr @ (0x98, 0x110),
    DeviceLock = "DeviceLock": Inline @ (0x9c, 0x118),
    SectorSize = "SectorSize": U16 @ (0xac, 0x130),
    Spare1 = "Spare1": U16 @ (0xae, 0x132),
    DeviceObjectExtension = "DeviceObjectExtension": Ptr @ (0xb0, 0x138),
    Reserved = "Reserved": Ptr @ (0xb4, 0x140),
});

structure!(FILE_OBJECT = "FILE_OBJECT", size (0x80, 0xd8), checked: true, {
    Type = "Type": U16 @ (0x0, 0x0),
    Size = "Size": U16 @ (0x2, 0x2),
    DeviceObject = "DeviceObject": Ptr @ (0x4, 0x8),
    Vpb = "Vpb": Ptr @ (0x8, 0x10),
    FsContext = "FsContext": Ptr @ (0xc, 0x18),
    FsContext2 = "FsContext2": Ptr @ (0x10, 0x20),
    FinalStatus = "FinalStatus": U32 @ (0x1c, 0x38),
    RelatedFileObject = "RelatedFileObject": Ptr @ (0x20, 0x40),
    DeletePending = "DeletePending": U8 @ (0x25, 0x49),
    ReadAccess = "ReadAccess": U8 @ (0x26, 0x4a),
    WriteAccess = "WriteAccess": U8 @ (0x27, 0x4b),
    DeleteAccess = "DeleteAccess": U8 @ (0x28, 0x4c),
    SharedRead = "SharedRead": U8 @ (0x29, 0x4d),
    SharedWrite = "SharedWrite": U8 @ (0x2a, 0x4e),
    SharedDelete = "SharedDelete": U8 @ (0x2b, 0x4f),
    Flags = "Flags": U32 @ (0x2c, 0x50),
    FileName = "FileName": Inline @ (0x30, 0x58),
    CurrentByteOffset = "CurrentByteOffset": U64 @ (0x38, 0x68),
    Event = "Event": Inline @ (0x5c, 0x98),
});

structure!(IRP = "IRP", size (0x70, 0xd0), checked: true, {
    Type = "Type": U16 @ (0x0, 0x0),
    Size = "Size": U16 @ (0x2, 0x2),
    MdlAddress = "MdlAddress": Ptr @ (0x4, 0x8),
    Flags = "Flags": U32 @ (0x8, 0x10),
    SystemBuffer = "AssociatedIrp.SystemBuffer": Ptr @ (0xc, 0x18),
    ThreadListEntry = "ThreadListEntry": Inline @ (0x10, 0x20),
    IoStatus = "IoStatus": Inline @ (0x18, 0x30),
    RequestorMode = "RequestorMode": U8 @ (0x20, 0x40),
    PendingReturned = "PendingReturned": U8 @ (0x21, 0x41),
    StackCount = "StackCount": U8 @ (0x22, 0x42),
    CurrentLocation = "CurrentLocation": U8 @ (0x23, 0x43),
    Cancel = "Cancel": U8 @ (0x24, 0x44),
    CancelIrql = "CancelIrql": U8 @ (0x25, 0x45),
    ApcEnvironment = "ApcEnvironment": U8 @ (0x26, 0x46),
    AllocationFlags = "AllocationFlags": U8 @ (0x27, 0x47),
    UserIosb = "UserIosb": Ptr @ (0x28, 0x48),
    UserEvent = "UserEvent": Ptr @ (0x2c, 0x50),
    CancelRoutine = "CancelRoutine": Ptr @ (0x38, 0x68),
    UserBuffer = "UserBuffer": Ptr @ (0x3c, 0x70),
    DeviceQueueEntry = "Tail.Overlay.DeviceQueueEntry": Inline @ (0x40, 0x78),
    Thread = "Tail.Overlay.Thread": Ptr @ (0x50, 0x98),
    AuxiliaryBuffer = "Tail.Overlay.AuxiliaryBuffer": Ptr @ (0x54, 0xa0),
    ListEntry = "Tail.Overlay.ListEntry": Inline @ (0x58, 0xa8),
    CurrentStackLocation = "Tail.Overlay.CurrentStackLocation": Ptr @ (0x60, 0xb8),
    OriginalFileObject = "Tail.Overlay.OriginalFileObject": Ptr @ (0x64, 0xc0),
});

structure!(IO_STACK_LOCATION = "IO_STACK_LOCATION", size (0x24, 0x48), checked: true, {
    MajorFunction = "MajorFunction": U8 @ (0x0, 0x0),
    MinorFunction = "MinorFunction": U8 @ (0x1, 0x1),
    Flags = "Flags": U8 @ (0x2, 0x2),
    Control = "Control": U8 @ (0x3, 0x3),
    CreateSecurityContext = "Parameters.Create.SecurityContext": Ptr @ (0x4, 0x8),
    CreateOptions = "Parameters.Create.Options": U32 @ (0x8, 0x10),
    CreateFileAttributes = "Parameters.Create.FileAttributes": U16 @ (0xc, 0x18),
    CreateShareAccess = "Parameters.Create.ShareAccess": U16 @ (0xe, 0x1a),
    CreateEaLength = "Parameters.Create.EaLength": U32 @ (0x10, 0x20),
    ReadLength = "Parameters.Read.Length": U32 @ (0x4, 0x8),
    ReadKey = "Parameters.Read.Key": U32 @ (0x8, 0x10),
    ReadByteOffset = "Parameters.Read.ByteOffset": U64 @ (0xc, 0x18),
    WriteLength = "Parameters.Write.Length": U32 @ (0x4, 0x8),
    WriteByteOffset = "Parameters.Write.ByteOffset": U64 @ (0xc, 0x18),
    OutputBufferLength = "Parameters.DeviceIoControl.OutputBufferLength": U32 @ (0x4, 0x8),
    InputBufferLength = "Parameters.DeviceIoControl.InputBufferLength": U32 @ (0x8, 0x10),
    IoControlCode = "Parameters.DeviceIoControl.IoControlCode": U32 @ (0xc, 0x18),
    Type3InputBuffer = "Parameters.DeviceIoControl.Type3InputBuffer": Ptr @ (0x10, 0x20),
    Argument1 = "Parameters.Others.Argument1": Ptr @ (0x4, 0x8),
    Argument2 = "Parameters.Others.Argument2": Ptr @ (0x8, 0x10),
    Argument3 = "Parameters.Others.Argument3": Ptr @ (0xc, 0x18),
    Argument4 = "Parameters.Others.Argument4": Ptr @ (0x10, 0x20),
    PowerSystemContext = "Parameters.Power.SystemContext": U32 @ (0x4, 0x8),
    PowerType = "Parameters.Power.Type": U32 @ (0x8, 0x10),
    PowerState = "Parameters.Power.State": U32 @ (0xc, 0x18),
    PowerShutdownType = "Parameters.Power.ShutdownType": U32 @ (0x10, 0x20),
    DeviceObject = "DeviceObject": Ptr @ (0x14, 0x28),
    FileObject = "FileObject": Ptr @ (0x18, 0x30),
    CompletionRoutine = "CompletionRoutine": Ptr @ (0x1c, 0x38),
    Context = "Context": Ptr @ (0x20, 0x40),
});

structure!(MDL = "MDL", size (0x1c, 0x30), checked: true, {
    Next = "Next": Ptr @ (0x0, 0x0),
    Size = "Size": U16 @ (0x4, 0x8),
    MdlFlags = "MdlFlags": U16 @ (0x6, 0xa),
    Process = "Process": Ptr @ (0x8, 0x10),
    MappedSystemVa = "MappedSystemVa": Ptr @ (0xc, 0x18),
    StartVa = "StartVa": Ptr @ (0x10, 0x20),
    ByteCount = "ByteCount": U32 @ (0x14, 0x28),
    ByteOffset = "ByteOffset": U32 @ (0x18, 0x2c),
});

structure!(KSYSTEM_TIME = "KSYSTEM_TIME", size (0xc, 0xc), checked: true, {
    LowPart = "LowPart": U32 @ (0x0, 0x0),
    High1Time = "High1Time": U32 @ (0x4, 0x4),
    High2Time = "High2Time": U32 @ (0x8, 0x8),
});

structure!(KUSER_SHARED_DATA = "KUSER_SHARED_DATA", size (0x5f0, 0x5f0), checked: true, {
    TickCountLowDeprecated = "TickCountLowDeprecated": U32 @ (0x0, 0x0),
    TickCountMultiplier = "TickCountMultiplier": U32 @ (0x4, 0x4),
    InterruptTime = "InterruptTime": Inline @ (0x8, 0x8),
    SystemTime = "SystemTime": Inline @ (0x14, 0x14),
    TimeZoneBias = "TimeZoneBias": Inline @ (0x20, 0x20),
    ImageNumberLow = "ImageNumberLow": U16 @ (0x2c, 0x2c),
    ImageNumberHigh = "ImageNumberHigh": U16 @ (0x2e, 0x2e),
    NtSystemRoot = "NtSystemRoot": Inline @ (0x30, 0x30),
    TimeZoneId = "TimeZoneId": U32 @ (0x240, 0x240),
    // Windows 10 named this reserved word NtBuildNumber (the build, without flags).
    NtBuildNumber = "Reserved2[6]": U32 @ (0x260, 0x260),
    NtProductType = "NtProductType": U32 @ (0x264, 0x264),
    ProductTypeIsValid = "ProductTypeIsValid": U8 @ (0x268, 0x268),
    NtMajorVersion = "NtMajorVersion": U32 @ (0x26c, 0x26c),
    NtMinorVersion = "NtMinorVersion": U32 @ (0x270, 0x270),
    ProcessorFeatures = "ProcessorFeatures": Inline @ (0x274, 0x274),
    KdDebuggerEnabled = "KdDebuggerEnabled": U8 @ (0x2d4, 0x2d4),
    NXSupportPolicy = "NXSupportPolicy": U8 @ (0x2d5, 0x2d5),
    NumberOfPhysicalPages = "NumberOfPhysicalPages": U32 @ (0x2e8, 0x2e8),
    SafeBootMode = "SafeBootMode": U8 @ (0x2ec, 0x2ec),
    TickCount = "TickCount": Inline @ (0x320, 0x320),
    Cookie = "Cookie": U32 @ (0x330, 0x330),
    ActiveProcessorCount = "ActiveProcessorCount": U8 @ (0x3c0, 0x3c0),
    ActiveGroupCount = "ActiveGroupCount": U16 @ (0x3c4, 0x3c4),
});

structure!(OBJECT_ATTRIBUTES = "OBJECT_ATTRIBUTES", size (0x18, 0x30), checked: true, {
    Length = "Length": U32 @ (0x0, 0x0),
    RootDirectory = "RootDirectory": Ptr @ (0x4, 0x8),
    ObjectName = "ObjectName": Ptr @ (0x8, 0x10),
    Attributes = "Attributes": U32 @ (0xc, 0x18),
    SecurityDescriptor = "SecurityDescriptor": Ptr @ (0x10, 0x20),
    SecurityQualityOfService = "SecurityQualityOfService": Ptr @ (0x14, 0x28),
});

structure!(
    /// The processor control region (its public part; the KPRCB follows at 0x120 / 0x180).
    /// Field names differ between the two architectures' headers; each is present on the one
    /// that has it.
    KPCR = "KPCR", size (0xd4, 0x178), checked: true, {
    SelfPcr = "SelfPcr": Ptr @ (0x1c, -),
    Prcb = "Prcb": Ptr @ (0x20, -),
    IrqlX86 = "Irql": U8 @ (0x24, -),
    Idt = "IDT": Ptr @ (0x38, -),
    Gdt = "GDT": Ptr @ (0x3c, -),
    Tss = "TSS": Ptr @ (0x40, -),
    MajorVersionX86 = "MajorVersion": U16 @ (0x44, -),
    MinorVersionX86 = "MinorVersion": U16 @ (0x46, -),
    SetMember = "SetMember": Ptr @ (0x48, -),
    Number = "Number": U8 @ (0x51, -),
    GdtBase = "GdtBase": Ptr @ (-, 0x0),
    TssBase = "TssBase": Ptr @ (-, 0x8),
    UserRsp = "UserRsp": U64 @ (-, 0x10),
    Self_ = "Self": Ptr @ (-, 0x18),
    CurrentPrcb = "CurrentPrcb": Ptr @ (-, 0x20),
    IdtBase = "IdtBase": Ptr @ (-, 0x38),
    IrqlX64 = "Irql": U8 @ (-, 0x50),
    MajorVersionX64 = "MajorVersion": U16 @ (-, 0x60),
    MinorVersionX64 = "MinorVersion": U16 @ (-, 0x62),
});

structure!(
    /// The processor block, at KPCR + 0x120 (x86) / + 0x180 (x64). Not in the DDK headers:
    /// the offsets are the ones drivers hard-code (`fs:[0x124]`, `gs:[0x188]`).
    KPRCB = "KPRCB", size (0x3808, 0x4d00), checked: false, {
    MinorVersion = "MinorVersion": U16 @ (0x0, 0x0),
    MajorVersion = "MajorVersion": U16 @ (0x2, 0x2),
    CurrentThread = "CurrentThread": Ptr @ (0x4, 0x8),
    NextThread = "NextThread": Ptr @ (0x8, 0x10),
    IdleThread = "IdleThread": Ptr @ (0xc, 0x18),
    NumberX64 = "Number": U32 @ (-, 0x4),
    NumberX86 = "Number": U8 @ (0x10, -),
});

structure!(
    /// Windows 7 SP1 offsets; opaque in the DDK headers.
    EPROCESS = "EPROCESS", size (0x2c0, 0x4d0), checked: false, {
    HeaderType = "Pcb.Header.Type": U8 @ (0x0, 0x0),
    DirectoryTableBase = "Pcb.DirectoryTableBase": Ptr @ (0x18, 0x28),
    CreateTime = "CreateTime": U64 @ (0xa0, 0x168),
    UniqueProcessId = "UniqueProcessId": Ptr @ (0xb4, 0x180),
    ActiveProcessLinks = "ActiveProcessLinks": Inline @ (0xb8, 0x188),
    ObjectTable = "ObjectTable": Ptr @ (0xf4, 0x200),
    SectionBaseAddress = "SectionBaseAddress": Ptr @ (0x12c, 0x270),
    InheritedFromUniqueProcessId = "InheritedFromUniqueProcessId": Ptr @ (0x140, 0x290),
    ImageFileName = "ImageFileName": Inline @ (0x16c, 0x2e0),
    Peb = "Peb": Ptr @ (0x1a8, 0x338),
});

structure!(
    /// A process's handle table as Windows 7 SP1 lays it out (EPROCESS.ObjectTable points at
    /// it); opaque in the DDK headers. TableCode is the top table's address with the number
    /// of levels above the entry pages in its low two bits.
    HANDLE_TABLE = "HANDLE_TABLE", size (0x3c, 0x68), checked: false, {
    TableCode = "TableCode": Ptr @ (0x0, 0x0),
    QuotaProcess = "QuotaProcess": Ptr @ (0x4, 0x8),
    UniqueProcessId = "UniqueProcessId": Ptr @ (0x8, 0x10),
    HandleLock = "HandleLock": Ptr @ (0xc, 0x18),
    HandleTableList = "HandleTableList": Inline @ (0x10, 0x20),
    Flags = "Flags": U32 @ (0x24, 0x44),
    HandleCount = "HandleCount": U32 @ (0x30, 0x58),
    NextHandleNeedingPool = "NextHandleNeedingPool": U32 @ (0x34, 0x5c),
    HandleCountHighWatermark = "HandleCountHighWatermark": U32 @ (0x38, 0x60),
});

structure!(
    /// One handle's entry (Windows 7 SP1): Object is the OBJECT_HEADER's address with the
    /// entry's lock bit (bit 0, set while unlocked) and the OBJ_INHERIT and
    /// OBJ_AUDIT_OBJECT_CLOSE attributes in its low bits; GrantedAccess carries
    /// MAXIMUM_ALLOWED for a handle protected from close.
    HANDLE_TABLE_ENTRY = "HANDLE_TABLE_ENTRY", size (0x8, 0x10), checked: false, {
    Object = "Object": Ptr @ (0x0, 0x0),
    GrantedAccess = "GrantedAccess": U32 @ (0x4, 0x8),
});

structure!(
    /// Windows 7 SP1 offsets; opaque in the DDK headers.
    ETHREAD = "ETHREAD", size (0x2b8, 0x498), checked: false, {
    HeaderType = "Tcb.Header.Type": U8 @ (0x0, 0x0),
    InitialStack = "Tcb.InitialStack": Ptr @ (0x28, 0x28),
    StackLimit = "Tcb.StackLimit": Ptr @ (0x2c, 0x30),
    ApcStateProcess = "Tcb.ApcState.Process": Ptr @ (0x50, 0x70),
    UserApcPending = "Tcb.ApcState.UserApcPending": U8 @ (0x56, 0x7a),
    Teb = "Tcb.Teb": Ptr @ (0x88, 0xb8),
    PreviousMode = "Tcb.PreviousMode": U8 @ (0x13a, 0x1f6),
    Process = "Tcb.Process": Ptr @ (0x150, 0x210),
    UniqueProcess = "Cid.UniqueProcess": Ptr @ (0x22c, 0x3b0),
    UniqueThread = "Cid.UniqueThread": Ptr @ (0x230, 0x3b8),
    CrossThreadFlags = "CrossThreadFlags": U32 @ (0x268, 0x448),
});

structure!(
    /// The loader's module entry; not in the DDK headers (stable since Windows 2000).
    LDR_DATA_TABLE_ENTRY = "LDR_DATA_TABLE_ENTRY", size (0x78, 0xe0), checked: false, {
    InLoadOrderLinks = "InLoadOrderLinks": Inline @ (0x0, 0x0),
    InMemoryOrderLinks = "InMemoryOrderLinks": Inline @ (0x8, 0x10),
    InInitializationOrderLinks = "InInitializationOrderLinks": Inline @ (0x10, 0x20),
    DllBase = "DllBase": Ptr @ (0x18, 0x30),
    EntryPoint = "EntryPoint": Ptr @ (0x1c, 0x38),
    SizeOfImage = "SizeOfImage": U32 @ (0x20, 0x40),
    FullDllName = "FullDllName": Inline @ (0x24, 0x48),
    BaseDllName = "BaseDllName": Inline @ (0x2c, 0x58),
    Flags = "Flags": U32 @ (0x34, 0x68),
    LoadCount = "LoadCount": U16 @ (0x38, 0x6c),
});

structure!(OB_CALLBACK_REGISTRATION = "OB_CALLBACK_REGISTRATION", size (0x14, 0x28), checked: true, {
    Version = "Version": U16 @ (0x0, 0x0),
    OperationRegistrationCount = "OperationRegistrationCount": U16 @ (0x2, 0x2),
    Altitude = "Altitude": Inline @ (0x4, 0x8),
    RegistrationContext = "RegistrationContext": Ptr @ (0xc, 0x18),
    OperationRegistration = "OperationRegistration": Ptr @ (0x10, 0x20),
});

structure!(OB_OPERATION_REGISTRATION = "OB_OPERATION_REGISTRATION", size (0x10, 0x20), checked: true, {
    ObjectType = "ObjectType": Ptr @ (0x0, 0x0),
    Operations = "Operations": U32 @ (0x4, 0x8),
    PreOperation = "PreOperation": Ptr @ (0x8, 0x10),
    PostOperation = "PostOperation": Ptr @ (0xc, 0x18),
});

structure!(OB_PRE_OPERATION_INFORMATION = "OB_PRE_OPERATION_INFORMATION", size (0x18, 0x28), checked: true, {
    Operation = "Operation": U32 @ (0x0, 0x0),
    Flags = "Flags": U32 @ (0x4, 0x4),
    Object = "Object": Ptr @ (0x8, 0x8),
    ObjectType = "ObjectType": Ptr @ (0xc, 0x10),
    CallContext = "CallContext": Ptr @ (0x10, 0x18),
    Parameters = "Parameters": Ptr @ (0x14, 0x20),
});

structure!(
    /// The union of OB_PRE_CREATE_HANDLE_INFORMATION and OB_PRE_DUPLICATE_HANDLE_INFORMATION.
    OB_PRE_DUPLICATE_HANDLE_INFORMATION = "OB_PRE_DUPLICATE_HANDLE_INFORMATION", size (0x10, 0x18), checked: true, {
    DesiredAccess = "DesiredAccess": U32 @ (0x0, 0x0),
    OriginalDesiredAccess = "OriginalDesiredAccess": U32 @ (0x4, 0x4),
    SourceProcess = "SourceProcess": Ptr @ (0x8, 0x8),
    TargetProcess = "TargetProcess": Ptr @ (0xc, 0x10),
});

structure!(OB_POST_OPERATION_INFORMATION = "OB_POST_OPERATION_INFORMATION", size (0x1c, 0x30), checked: true, {
    Operation = "Operation": U32 @ (0x0, 0x0),
    Flags = "Flags": U32 @ (0x4, 0x4),
    Object = "Object": Ptr @ (0x8, 0x8),
    ObjectType = "ObjectType": Ptr @ (0xc, 0x10),
    CallContext = "CallContext": Ptr @ (0x10, 0x18),
    ReturnStatus = "ReturnStatus": U32 @ (0x14, 0x20),
    Parameters = "Parameters": Ptr @ (0x18, 0x28),
});

structure!(RTL_QUERY_REGISTRY_TABLE = "RTL_QUERY_REGISTRY_TABLE", size (0x1c, 0x38), checked: true, {
    QueryRoutine = "QueryRoutine": Ptr @ (0x0, 0x0),
    Flags = "Flags": U32 @ (0x4, 0x8),
    Name = "Name": Ptr @ (0x8, 0x10),
    EntryContext = "EntryContext": Ptr @ (0xc, 0x18),
    DefaultType = "DefaultType": U32 @ (0x10, 0x20),
    DefaultData = "DefaultData": Ptr @ (0x14, 0x28),
    DefaultLength = "DefaultLength": U32 @ (0x18, 0x30),
});

structure!(
    /// What a registry callback gets for RegNtPreCreateKeyEx / RegNtPreOpenKeyEx.
    REG_CREATE_KEY_INFORMATION = "REG_CREATE_KEY_INFORMATION", size (0x3c, 0x70), checked: true, {
    CompleteName = "CompleteName": Ptr @ (0x0, 0x0),
    RootObject = "RootObject": Ptr @ (0x4, 0x8),
    ObjectType = "ObjectType": Ptr @ (0x8, 0x10),
    CreateOptions = "CreateOptions": U32 @ (0xc, 0x18),
    Class = "Class": Ptr @ (0x10, 0x20),
    DesiredAccess = "DesiredAccess": U32 @ (0x1c, 0x38),
    GrantedAccess = "GrantedAccess": U32 @ (0x20, 0x3c),
    Disposition = "Disposition": Ptr @ (0x24, 0x40),
    ResultObject = "ResultObject": Ptr @ (0x28, 0x48),
    CallContext = "CallContext": Ptr @ (0x2c, 0x50),
    RootObjectContext = "RootObjectContext": Ptr @ (0x30, 0x58),
});

structure!(REG_POST_OPERATION_INFORMATION = "REG_POST_OPERATION_INFORMATION", size (0x1c, 0x38), checked: true, {
    Object = "Object": Ptr @ (0x0, 0x0),
    Status = "Status": U32 @ (0x4, 0x8),
    PreInformation = "PreInformation": Ptr @ (0x8, 0x10),
    ReturnStatus = "ReturnStatus": U32 @ (0xc, 0x18),
    CallContext = "CallContext": Ptr @ (0x10, 0x20),
    ObjectContext = "ObjectContext": Ptr @ (0x14, 0x28),
});

structure!(REG_SET_VALUE_KEY_INFORMATION = "REG_SET_VALUE_KEY_INFORMATION", size (0x24, 0x40), checked: true, {
    Object = "Object": Ptr @ (0x0, 0x0),
    ValueName = "ValueName": Ptr @ (0x4, 0x8),
    TitleIndex = "TitleIndex": U32 @ (0x8, 0x10),
    Type = "Type": U32 @ (0xc, 0x14),
    Data = "Data": Ptr @ (0x10, 0x18),
    DataSize = "DataSize": U32 @ (0x14, 0x20),
    CallContext = "CallContext": Ptr @ (0x18, 0x28),
});

structure!(REG_DELETE_KEY_INFORMATION = "REG_DELETE_KEY_INFORMATION", size (0x10, 0x20), checked: true, {
    Object = "Object": Ptr @ (0x0, 0x0),
    CallContext = "CallContext": Ptr @ (0x4, 0x8),
});

structure!(REG_DELETE_VALUE_KEY_INFORMATION = "REG_DELETE_VALUE_KEY_INFORMATION", size (0x14, 0x28), checked: true, {
    Object = "Object": Ptr @ (0x0, 0x0),
    ValueName = "ValueName": Ptr @ (0x4, 0x8),
    CallContext = "CallContext": Ptr @ (0x8, 0x10),
});

structure!(REG_QUERY_VALUE_KEY_INFORMATION = "REG_QUERY_VALUE_KEY_INFORMATION", size (0x24, 0x48), checked: true, {
    Object = "Object": Ptr @ (0x0, 0x0),
    ValueName = "ValueName": Ptr @ (0x4, 0x8),
    KeyValueInformationClass = "KeyValueInformationClass": U32 @ (0x8, 0x10),
    KeyValueInformation = "KeyValueInformation": Ptr @ (0xc, 0x18),
    Length = "Length": U32 @ (0x10, 0x20),
    ResultLength = "ResultLength": Ptr @ (0x14, 0x28),
    CallContext = "CallContext": Ptr @ (0x18, 0x30),
});

structure!(KDEVICE_QUEUE = "KDEVICE_QUEUE", size (0x14, 0x28), checked: true, {
    Type = "Type": U16 @ (0x0, 0x0),
    Size = "Size": U16 @ (0x2, 0x2),
    DeviceListHead = "DeviceListHead": Inline @ (0x4, 0x8),
    Lock = "Lock": Ptr @ (0xc, 0x18),
    Busy = "Busy": U8 @ (0x10, 0x20),
});

structure!(KDEVICE_QUEUE_ENTRY = "KDEVICE_QUEUE_ENTRY", size (0x10, 0x18), checked: true, {
    DeviceListEntry = "DeviceListEntry": Inline @ (0x0, 0x0),
    SortKey = "SortKey": U32 @ (0x8, 0x10),
    Inserted = "Inserted": U8 @ (0xc, 0x14),
});

structure!(IO_CSQ = "IO_CSQ", size (0x20, 0x40), checked: true, {
    Type = "Type": U32 @ (0x0, 0x0),
    CsqInsertIrp = "CsqInsertIrp": Ptr @ (0x4, 0x8),
    CsqRemoveIrp = "CsqRemoveIrp": Ptr @ (0x8, 0x10),
    CsqPeekNextIrp = "CsqPeekNextIrp": Ptr @ (0xc, 0x18),
    CsqAcquireLock = "CsqAcquireLock": Ptr @ (0x10, 0x20),
    CsqReleaseLock = "CsqReleaseLock": Ptr @ (0x14, 0x28),
    CsqCompleteCanceledIrp = "CsqCompleteCanceledIrp": Ptr @ (0x18, 0x30),
    ReservePointer = "ReservePointer": Ptr @ (0x1c, 0x38),
});

structure!(IO_CSQ_IRP_CONTEXT = "IO_CSQ_IRP_CONTEXT", size (0xc, 0x18), checked: true, {
    Type = "Type": U32 @ (0x0, 0x0),
    Irp = "Irp": Ptr @ (0x4, 0x8),
    Csq = "Csq": Ptr @ (0x8, 0x10),
});

structure!(IO_ERROR_LOG_PACKET = "IO_ERROR_LOG_PACKET", size (0x30, 0x30), checked: true, {
    MajorFunctionCode = "MajorFunctionCode": U8 @ (0x0, 0x0),
    RetryCount = "RetryCount": U8 @ (0x1, 0x1),
    DumpDataSize = "DumpDataSize": U16 @ (0x2, 0x2),
    NumberOfStrings = "NumberOfStrings": U16 @ (0x4, 0x4),
    StringOffset = "StringOffset": U16 @ (0x6, 0x6),
    EventCategory = "EventCategory": U16 @ (0x8, 0x8),
    ErrorCode = "ErrorCode": U32 @ (0xc, 0xc),
    UniqueErrorValue = "UniqueErrorValue": U32 @ (0x10, 0x10),
    FinalStatus = "FinalStatus": U32 @ (0x14, 0x14),
    SequenceNumber = "SequenceNumber": U32 @ (0x18, 0x18),
    IoControlCode = "IoControlCode": U32 @ (0x1c, 0x1c),
    DeviceOffset = "DeviceOffset": U64 @ (0x20, 0x20),
    DumpData = "DumpData": Inline @ (0x28, 0x28),
});

// Run-time library structures (rtl/).

structure!(RTL_OSVERSIONINFOEXW = "RTL_OSVERSIONINFOEXW", size (0x11c, 0x11c), checked: true, {
    dwOSVersionInfoSize = "dwOSVersionInfoSize": U32 @ (0x0, 0x0),
    dwMajorVersion = "dwMajorVersion": U32 @ (0x4, 0x4),
    dwMinorVersion = "dwMinorVersion": U32 @ (0x8, 0x8),
    dwBuildNumber = "dwBuildNumber": U32 @ (0xc, 0xc),
    dwPlatformId = "dwPlatformId": U32 @ (0x10, 0x10),
    szCSDVersion = "szCSDVersion": Inline @ (0x14, 0x14),
    wServicePackMajor = "wServicePackMajor": U16 @ (0x114, 0x114),
    wServicePackMinor = "wServicePackMinor": U16 @ (0x116, 0x116),
    wSuiteMask = "wSuiteMask": U16 @ (0x118, 0x118),
    wProductType = "wProductType": U8 @ (0x11a, 0x11a),
    wReserved = "wReserved": U8 @ (0x11b, 0x11b),
});

structure!(TIME_FIELDS = "TIME_FIELDS", size (0x10, 0x10), checked: true, {
    Year = "Year": U16 @ (0x0, 0x0),
    Month = "Month": U16 @ (0x2, 0x2),
    Day = "Day": U16 @ (0x4, 0x4),
    Hour = "Hour": U16 @ (0x6, 0x6),
    Minute = "Minute": U16 @ (0x8, 0x8),
    Second = "Second": U16 @ (0xa, 0xa),
    Milliseconds = "Milliseconds": U16 @ (0xc, 0xc),
    Weekday = "Weekday": U16 @ (0xe, 0xe),
});

structure!(RTL_BITMAP = "RTL_BITMAP", size (0x8, 0x10), checked: true, {
    SizeOfBitMap = "SizeOfBitMap": U32 @ (0x0, 0x0),
    Buffer = "Buffer": Ptr @ (0x4, 0x8),
});

structure!(RTL_BITMAP_RUN = "RTL_BITMAP_RUN", size (0x8, 0x8), checked: true, {
    StartingIndex = "StartingIndex": U32 @ (0x0, 0x0),
    NumberOfBits = "NumberOfBits": U32 @ (0x4, 0x4),
});

structure!(RTL_SPLAY_LINKS = "RTL_SPLAY_LINKS", size (0xc, 0x18), checked: true, {
    Parent = "Parent": Ptr @ (0x0, 0x0),
    LeftChild = "LeftChild": Ptr @ (0x4, 0x8),
    RightChild = "RightChild": Ptr @ (0x8, 0x10),
});

structure!(RTL_GENERIC_TABLE = "RTL_GENERIC_TABLE", size (0x28, 0x48), checked: true, {
    TableRoot = "TableRoot": Ptr @ (0x0, 0x0),
    InsertOrderList = "InsertOrderList": Inline @ (0x4, 0x8),
    OrderedPointer = "OrderedPointer": Ptr @ (0xc, 0x18),
    WhichOrderedElement = "WhichOrderedElement": U32 @ (0x10, 0x20),
    NumberGenericTableElements = "NumberGenericTableElements": U32 @ (0x14, 0x24),
    CompareRoutine = "CompareRoutine": Ptr @ (0x18, 0x28),
    AllocateRoutine = "AllocateRoutine": Ptr @ (0x1c, 0x30),
    FreeRoutine = "FreeRoutine": Ptr @ (0x20, 0x38),
    TableContext = "TableContext": Ptr @ (0x24, 0x40),
});

structure!(RTL_BALANCED_LINKS = "RTL_BALANCED_LINKS", size (0x10, 0x20), checked: true, {
    Parent = "Parent": Ptr @ (0x0, 0x0),
    LeftChild = "LeftChild": Ptr @ (0x4, 0x8),
    RightChild = "RightChild": Ptr @ (0x8, 0x10),
    Balance = "Balance": U8 @ (0xc, 0x18),
});

structure!(RTL_AVL_TABLE = "RTL_AVL_TABLE", size (0x38, 0x68), checked: true, {
    BalancedRoot = "BalancedRoot": Inline @ (0x0, 0x0),
    OrderedPointer = "OrderedPointer": Ptr @ (0x10, 0x20),
    WhichOrderedElement = "WhichOrderedElement": U32 @ (0x14, 0x28),
    NumberGenericTableElements = "NumberGenericTableElements": U32 @ (0x18, 0x2c),
    DepthOfTree = "DepthOfTree": U32 @ (0x1c, 0x30),
    RestartKey = "RestartKey": Ptr @ (0x20, 0x38),
    DeleteCount = "DeleteCount": U32 @ (0x24, 0x40),
    CompareRoutine = "CompareRoutine": Ptr @ (0x28, 0x48),
    AllocateRoutine = "AllocateRoutine": Ptr @ (0x2c, 0x50),
    FreeRoutine = "FreeRoutine": Ptr @ (0x30, 0x58),
    TableContext = "TableContext": Ptr @ (0x34, 0x60),
});

structure!(
    /// Exception records: what an exception is (code, flags, address, parameters).
    EXCEPTION_RECORD = "EXCEPTION_RECORD", size (0x50, 0x98), checked: true, {
    ExceptionCode = "ExceptionCode": U32 @ (0x0, 0x0),
    ExceptionFlags = "ExceptionFlags": U32 @ (0x4, 0x4),
    ExceptionRecord = "ExceptionRecord": Ptr @ (0x8, 0x8),
    ExceptionAddress = "ExceptionAddress": Ptr @ (0xc, 0x10),
    NumberParameters = "NumberParameters": U32 @ (0x10, 0x18),
    ExceptionInformation = "ExceptionInformation": Inline @ (0x14, 0x20),
});

structure!(
    /// A thread's register context. The two architectures share only the field names that
    /// mean the same thing; each has its own general-purpose register fields.
    CONTEXT = "CONTEXT", size (0x2cc, 0x4d0), checked: true, {
    ContextFlags = "ContextFlags": U32 @ (0x0, 0x30),
    MxCsr = "MxCsr": U32 @ (-, 0x34),
    SegCs = "SegCs": U32 @ (0xbc, -),
    SegCsX64 = "SegCs": U16 @ (-, 0x38),
    SegDs = "SegDs": U32 @ (0x98, -),
    SegDsX64 = "SegDs": U16 @ (-, 0x3a),
    SegEs = "SegEs": U32 @ (0x94, -),
    SegEsX64 = "SegEs": U16 @ (-, 0x3c),
    SegFs = "SegFs": U32 @ (0x90, -),
    SegFsX64 = "SegFs": U16 @ (-, 0x3e),
    SegGs = "SegGs": U32 @ (0x8c, -),
    SegGsX64 = "SegGs": U16 @ (-, 0x40),
    SegSs = "SegSs": U32 @ (0xc8, -),
    SegSsX64 = "SegSs": U16 @ (-, 0x42),
    EFlags = "EFlags": U32 @ (0xc0, 0x44),
    Dr0 = "Dr0": Ptr @ (0x4, 0x48),
    Dr7 = "Dr7": Ptr @ (0x18, 0x70),
    FloatSave = "FloatSave": Inline @ (0x1c, -),
    Edi = "Edi": U32 @ (0x9c, -),
    Esi = "Esi": U32 @ (0xa0, -),
    Ebx = "Ebx": U32 @ (0xa4, -),
    Edx = "Edx": U32 @ (0xa8, -),
    Ecx = "Ecx": U32 @ (0xac, -),
    Eax = "Eax": U32 @ (0xb0, -),
    Ebp = "Ebp": U32 @ (0xb4, -),
    Eip = "Eip": U32 @ (0xb8, -),
    Esp = "Esp": U32 @ (0xc4, -),
    ExtendedRegisters = "ExtendedRegisters": Inline @ (0xcc, -),
    Rax = "Rax": U64 @ (-, 0x78),
    Rsp = "Rsp": U64 @ (-, 0x98),
    R15 = "R15": U64 @ (-, 0xf0),
    Rip = "Rip": U64 @ (-, 0xf8),
    FltSave = "FltSave": Inline @ (-, 0x100),
    Xmm0 = "Xmm0": Inline @ (-, 0x1a0),
    Xmm15 = "Xmm15": Inline @ (-, 0x290),
    VectorRegister = "VectorRegister": Inline @ (-, 0x300),
    LastExceptionFromRip = "LastExceptionFromRip": U64 @ (-, 0x4c8),
});

structure!(
    /// x64 `DISPATCHER_CONTEXT`, what the dispatcher tells a language handler about the frame
    /// it handles (winnt.h; the DDK headers do not declare it). x86's is one pointer, the
    /// registration record.
    DISPATCHER_CONTEXT = "DISPATCHER_CONTEXT", size (0x4, 0x50), checked: false, {
    RegistrationPointer = "RegistrationPointer": Ptr @ (0x0, -),
    ControlPc = "ControlPc": U64 @ (-, 0x0),
    ImageBase = "ImageBase": U64 @ (-, 0x8),
    FunctionEntry = "FunctionEntry": Ptr @ (-, 0x10),
    EstablisherFrame = "EstablisherFrame": U64 @ (-, 0x18),
    TargetIp = "TargetIp": U64 @ (-, 0x20),
    ContextRecord = "ContextRecord": Ptr @ (-, 0x28),
    LanguageHandler = "LanguageHandler": Ptr @ (-, 0x30),
    HandlerData = "HandlerData": Ptr @ (-, 0x38),
    HistoryTable = "HistoryTable": Ptr @ (-, 0x40),
    ScopeIndex = "ScopeIndex": U32 @ (-, 0x48),
    Fill0 = "Fill0": U32 @ (-, 0x4c),
});

structure!(
    /// x86 `EXCEPTION_REGISTRATION_RECORD`, one link of the `fs:[0]` handler chain (winnt.h).
    EXCEPTION_REGISTRATION_RECORD = "EXCEPTION_REGISTRATION_RECORD", size (0x8, 0x10), checked: false, {
    Next = "Next": Ptr @ (0x0, 0x0),
    Handler = "Handler": Ptr @ (0x4, 0x8),
});

structure!(CONFIGURATION_INFORMATION = "CONFIGURATION_INFORMATION", size (0x28, 0x28), checked: true, {
    DiskCount = "DiskCount": U32 @ (0x0, 0x0),
    FloppyCount = "FloppyCount": U32 @ (0x4, 0x4),
    CdRomCount = "CdRomCount": U32 @ (0x8, 0x8),
    TapeCount = "TapeCount": U32 @ (0xc, 0xc),
    ScsiPortCount = "ScsiPortCount": U32 @ (0x10, 0x10),
    SerialCount = "SerialCount": U32 @ (0x14, 0x14),
    ParallelCount = "ParallelCount": U32 @ (0x18, 0x18),
    Version = "Version": U32 @ (0x20, 0x20),
    MediumChangerCount = "MediumChangerCount": U32 @ (0x24, 0x24),
});

structure!(USB_CONFIGURATION_DESCRIPTOR = "USB_CONFIGURATION_DESCRIPTOR", size (0x9, 0x9), checked: true, {
    bLength = "bLength": U8 @ (0x0, 0x0),
    bDescriptorType = "bDescriptorType": U8 @ (0x1, 0x1),
    wTotalLength = "wTotalLength": U16 @ (0x2, 0x2),
    bNumInterfaces = "bNumInterfaces": U8 @ (0x4, 0x4),
});

structure!(USB_INTERFACE_DESCRIPTOR = "USB_INTERFACE_DESCRIPTOR", size (0x9, 0x9), checked: true, {
    bLength = "bLength": U8 @ (0x0, 0x0),
    bDescriptorType = "bDescriptorType": U8 @ (0x1, 0x1),
    bInterfaceNumber = "bInterfaceNumber": U8 @ (0x2, 0x2),
    bAlternateSetting = "bAlternateSetting": U8 @ (0x3, 0x3),
    bNumEndpoints = "bNumEndpoints": U8 @ (0x4, 0x4),
    bInterfaceClass = "bInterfaceClass": U8 @ (0x5, 0x5),
    bInterfaceSubClass = "bInterfaceSubClass": U8 @ (0x6, 0x6),
    bInterfaceProtocol = "bInterfaceProtocol": U8 @ (0x7, 0x7),
});

structure!(URB_HEADER = "struct _URB_HEADER", size (0x10, 0x18), checked: true, {
    Length = "Length": U16 @ (0x0, 0x0),
    Function = "Function": U16 @ (0x2, 0x2),
    Status = "Status": U32 @ (0x4, 0x4),
    UsbdDeviceHandle = "UsbdDeviceHandle": Ptr @ (0x8, 0x8),
    UsbdFlags = "UsbdFlags": U32 @ (0xc, 0x10),
});

structure!(URB_SELECT_CONFIGURATION = "struct _URB_SELECT_CONFIGURATION", size (0x3c, 0x58), checked: true, {
    ConfigurationDescriptor = "ConfigurationDescriptor": Ptr @ (0x10, 0x18),
    ConfigurationHandle = "ConfigurationHandle": Ptr @ (0x14, 0x20),
    Interface = "Interface": Inline @ (0x18, 0x28),
});

structure!(USBD_INTERFACE_INFORMATION = "USBD_INTERFACE_INFORMATION", size (0x24, 0x30), checked: true, {
    Length = "Length": U16 @ (0x0, 0x0),
    InterfaceNumber = "InterfaceNumber": U8 @ (0x2, 0x2),
    AlternateSetting = "AlternateSetting": U8 @ (0x3, 0x3),
    Class = "Class": U8 @ (0x4, 0x4),
    SubClass = "SubClass": U8 @ (0x5, 0x5),
    Protocol = "Protocol": U8 @ (0x6, 0x6),
    InterfaceHandle = "InterfaceHandle": Ptr @ (0x8, 0x8),
    NumberOfPipes = "NumberOfPipes": U32 @ (0xc, 0x10),
    Pipes = "Pipes": Inline @ (0x10, 0x18),
});

structure!(USBD_PIPE_INFORMATION = "USBD_PIPE_INFORMATION", size (0x14, 0x18), checked: true, {
    MaximumPacketSize = "MaximumPacketSize": U16 @ (0x0, 0x0),
    EndpointAddress = "EndpointAddress": U8 @ (0x2, 0x2),
    Interval = "Interval": U8 @ (0x3, 0x3),
    PipeType = "PipeType": U32 @ (0x4, 0x4),
    PipeHandle = "PipeHandle": Ptr @ (0x8, 0x8),
    MaximumTransferSize = "MaximumTransferSize": U32 @ (0xc, 0x10),
    PipeFlags = "PipeFlags": U32 @ (0x10, 0x14),
});

structure!(USBD_INTERFACE_LIST_ENTRY = "USBD_INTERFACE_LIST_ENTRY", size (0x8, 0x10), checked: true, {
    InterfaceDescriptor = "InterfaceDescriptor": Ptr @ (0x0, 0x0),
    Interface = "Interface": Ptr @ (0x4, 0x8),
});

structure!(USBD_VERSION_INFORMATION = "USBD_VERSION_INFORMATION", size (0x8, 0x8), checked: true, {
    USBDI_Version = "USBDI_Version": U32 @ (0x0, 0x0),
    Supported_USB_Version = "Supported_USB_Version": U32 @ (0x4, 0x4),
});

/// Every declared structure.
pub const ALL_STRUCTS: &[Struct] = &[
    UNICODE_STRING::STRUCT,
    ANSI_STRING::STRUCT,
    LIST_ENTRY::STRUCT,
    IO_STATUS_BLOCK::STRUCT,
    DISPATCHER_HEADER::STRUCT,
    KEVENT::STRUCT,
    KDPC::STRUCT,
    KAPC::STRUCT,
    NET_BUFFER_LIST_POOL_PARAMETERS::STRUCT,
    NET_BUFFER_POOL_PARAMETERS::STRUCT,
    NET_BUFFER::STRUCT,
    NET_BUFFER_LIST::STRUCT,
    NET_BUFFER_LIST_CONTEXT::STRUCT,
    NDIS_FILTER_DRIVER_CHARACTERISTICS::STRUCT,
    NDIS_FILTER_ATTACH_PARAMETERS::STRUCT,
    NDIS_FILTER_RESTART_PARAMETERS::STRUCT,
    NDIS_FILTER_PAUSE_PARAMETERS::STRUCT,
    NDIS_FILTER_ATTRIBUTES::STRUCT,
    NDIS_OID_REQUEST::STRUCT,
    NDIS_STATUS_INDICATION::STRUCT,
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS::STRUCT,
    NDIS_BIND_PARAMETERS::STRUCT,
    NDIS_OPEN_PARAMETERS::STRUCT,
    NDIS_CONFIGURATION_OBJECT::STRUCT,
    NDIS_CONFIGURATION_PARAMETER::STRUCT,
    NDIS_TIMER_CHARACTERISTICS::STRUCT,
    NDIS_PACKET::STRUCT,
    IO_TIMER::STRUCT,
    KBUGCHECK_CALLBACK_RECORD::STRUCT,
    KTIMER::STRUCT,
    KMUTANT::STRUCT,
    KSEMAPHORE::STRUCT,
    FAST_MUTEX::STRUCT,
    KGUARDED_MUTEX::STRUCT,
    ERESOURCE::STRUCT,
    OWNER_ENTRY::STRUCT,
    KAPC_STATE::STRUCT,
    WORK_QUEUE_ITEM::STRUCT,
    GENERAL_LOOKASIDE::STRUCT,
    KLOCK_QUEUE_HANDLE::STRUCT,
    PROCESSOR_NUMBER::STRUCT,
    GROUP_AFFINITY::STRUCT,
    PS_CREATE_NOTIFY_INFO::STRUCT,
    IMAGE_INFO::STRUCT,
    CLIENT_ID::STRUCT,
    DRIVER_OBJECT::STRUCT,
    DRIVER_EXTENSION::STRUCT,
    DEVICE_OBJECT::STRUCT,
    FILE_OBJECT::STRUCT,
    IRP::STRUCT,
    IO_STACK_LOCATION::STRUCT,
    MDL::STRUCT,
    KSYSTEM_TIME::STRUCT,
    KUSER_SHARED_DATA::STRUCT,
    OBJECT_ATTRIBUTES::STRUCT,
    KPCR::STRUCT,
    KPRCB::STRUCT,
    EPROCESS::STRUCT,
    HANDLE_TABLE::STRUCT,
    HANDLE_TABLE_ENTRY::STRUCT,
    ETHREAD::STRUCT,
    LDR_DATA_TABLE_ENTRY::STRUCT,
    OB_CALLBACK_REGISTRATION::STRUCT,
    OB_OPERATION_REGISTRATION::STRUCT,
    OB_PRE_OPERATION_INFORMATION::STRUCT,
    OB_PRE_DUPLICATE_HANDLE_INFORMATION::STRUCT,
    OB_POST_OPERATION_INFORMATION::STRUCT,
    RTL_QUERY_REGISTRY_TABLE::STRUCT,
    REG_CREATE_KEY_INFORMATION::STRUCT,
    REG_POST_OPERATION_INFORMATION::STRUCT,
    REG_SET_VALUE_KEY_INFORMATION::STRUCT,
    REG_DELETE_KEY_INFORMATION::STRUCT,
    REG_DELETE_VALUE_KEY_INFORMATION::STRUCT,
    REG_QUERY_VALUE_KEY_INFORMATION::STRUCT,
    KDEVICE_QUEUE::STRUCT,
    KDEVICE_QUEUE_ENTRY::STRUCT,
    IO_CSQ::STRUCT,
    IO_CSQ_IRP_CONTEXT::STRUCT,
    IO_ERROR_LOG_PACKET::STRUCT,
    RTL_OSVERSIONINFOEXW::STRUCT,
    TIME_FIELDS::STRUCT,
    RTL_BITMAP::STRUCT,
    RTL_BITMAP_RUN::STRUCT,
    RTL_SPLAY_LINKS::STRUCT,
    RTL_GENERIC_TABLE::STRUCT,
    RTL_BALANCED_LINKS::STRUCT,
    RTL_AVL_TABLE::STRUCT,
    EXCEPTION_RECORD::STRUCT,
    CONTEXT::STRUCT,
    DISPATCHER_CONTEXT::STRUCT,
    EXCEPTION_REGISTRATION_RECORD::STRUCT,
    CONFIGURATION_INFORMATION::STRUCT,
    USB_CONFIGURATION_DESCRIPTOR::STRUCT,
    USB_INTERFACE_DESCRIPTOR::STRUCT,
    URB_HEADER::STRUCT,
    URB_SELECT_CONFIGURATION::STRUCT,
    USBD_INTERFACE_INFORMATION::STRUCT,
    USBD_PIPE_INFORMATION::STRUCT,
    USBD_INTERFACE_LIST_ENTRY::STRUCT,
    USBD_VERSION_INFORMATION::STRUCT,
];
