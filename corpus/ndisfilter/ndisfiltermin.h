/* The part of ndis.h (Windows Driver Kit, NDIS 6.0) this filter uses: the mingw-w64 DDK
 * headers have no NDIS 6. Declarations follow the WDK's; the static_asserts pin the offsets
 * the emulator uses (hle/src/layout/structs.rs). */
#ifndef NDISFILTERMIN_H
#define NDISFILTERMIN_H

#include <ntddk.h>
#include <stddef.h>

#ifdef _WIN64
#define PICK(x86, x64) (x64)
#else
#define PICK(x86, x64) (x86)
#endif
#define MEMORY_ALIGNED __attribute__((aligned(2 * sizeof(void *))))

typedef int NDIS_STATUS;
typedef struct _NDIS_SPIN_LOCK {
    KSPIN_LOCK SpinLock;
    KIRQL OldIrql;
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;
typedef void *NDIS_HANDLE;
typedef ULONG NDIS_PORT_NUMBER;
#define NDIS_STATUS_SUCCESS 0
#define NDIS_STATUS_FAILURE ((NDIS_STATUS)0xC0000001)

typedef struct _NDIS_OBJECT_HEADER { UCHAR Type; UCHAR Revision; USHORT Size; } NDIS_OBJECT_HEADER;
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS 0x8B
#define NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES 0x8D
#define NDIS_OBJECT_TYPE_OID_REQUEST 0x96

/* nbl.h */
/* As far as this driver reads a net buffer. */
typedef struct _NET_BUFFER {
    struct _NET_BUFFER *Next;
    PMDL CurrentMdl;
    ULONG CurrentMdlOffset;
    union { ULONG DataLength; SIZE_T stDataLength; };
    PMDL MdlChain;
    ULONG DataOffset;
} NET_BUFFER, *PNET_BUFFER;
typedef struct _NET_BUFFER_LIST {
    struct _NET_BUFFER_LIST *Next;
    PNET_BUFFER FirstNetBuffer;
    void *Context;
    struct _NET_BUFFER_LIST *ParentNetBufferList;
    NDIS_HANDLE NdisPoolHandle;
    MEMORY_ALIGNED void *NdisReserved[2];
    MEMORY_ALIGNED void *ProtocolReserved[4];
    MEMORY_ALIGNED void *MiniportReserved[2];
    void *Scratch;
    NDIS_HANDLE SourceHandle;
    ULONG NblFlags;
    LONG ChildRefCount;
    ULONG Flags;
    NDIS_STATUS Status;
    void *NetBufferListInfo[19];
} NET_BUFFER_LIST, *PNET_BUFFER_LIST;
_Static_assert(offsetof(NET_BUFFER, DataLength) == PICK(0xc, 0x18), "NET_BUFFER.DataLength");
_Static_assert(offsetof(NET_BUFFER_LIST, Status) == PICK(0x4c, 0x8c), "NET_BUFFER_LIST.Status");

typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    UCHAR ProtocolId;
    BOOLEAN fAllocateNetBuffer;
    USHORT ContextSize;
    ULONG PoolTag;
    ULONG DataSize;
} NET_BUFFER_LIST_POOL_PARAMETERS;

/* oidrequest.h */
typedef enum _NDIS_REQUEST_TYPE { NdisRequestQueryInformation = 0, NdisRequestSetInformation = 1 } NDIS_REQUEST_TYPE;
typedef struct _NDIS_OID_REQUEST {
    NDIS_OBJECT_HEADER Header;
    NDIS_REQUEST_TYPE RequestType;
    NDIS_PORT_NUMBER PortNumber;
    ULONG Timeout;
    void *RequestId;
    NDIS_HANDLE RequestHandle;
    union {
        struct { ULONG Oid; void *InformationBuffer; ULONG InformationBufferLength; ULONG BytesWritten; ULONG BytesNeeded; }
            QUERY_INFORMATION;
        struct { ULONG Oid; void *InformationBuffer; ULONG InformationBufferLength; ULONG BytesRead; ULONG BytesNeeded; }
            SET_INFORMATION;
        struct {
            ULONG Oid; void *InformationBuffer; ULONG InputBufferLength; ULONG OutputBufferLength; ULONG MethodId;
            ULONG BytesWritten; ULONG BytesRead; ULONG BytesNeeded;
        } METHOD_INFORMATION;
    } DATA;
    UCHAR NdisReserved[16 * sizeof(void *)];
    UCHAR MiniportReserved[2 * sizeof(void *)];
    UCHAR SourceReserved[2 * sizeof(void *)];
    UCHAR SupportedRevision;
    UCHAR Reserved1;
    USHORT Reserved2;
} NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;
#define NDIS_OID_REQUEST_REVISION_1 1
#define NDIS_SIZEOF_OID_REQUEST_REVISION_1 (offsetof(NDIS_OID_REQUEST, Reserved2) + sizeof(USHORT))
_Static_assert(offsetof(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.BytesNeeded) == PICK(0x28, 0x38), "BytesNeeded");
_Static_assert(offsetof(NDIS_OID_REQUEST, NdisReserved) == PICK(0x38, 0x48), "NdisReserved");
_Static_assert(NDIS_SIZEOF_OID_REQUEST_REVISION_1 == PICK(0x8c, 0xec), "NDIS_OID_REQUEST revision 1");
#define OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106
#define OID_GEN_CURRENT_PACKET_FILTER 0x0001010E
#define OID_802_3_CURRENT_ADDRESS 0x01010102
#define NDIS_PACKET_TYPE_DIRECTED 0x1
#define NDIS_PACKET_TYPE_BROADCAST 0x8

/* filter.h */
typedef struct _NDIS_FILTER_ATTACH_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG IfIndex;
    ULONG64 NetLuid;
    PUNICODE_STRING FilterModuleGuidName;
    ULONG BaseMiniportIfIndex;
    PUNICODE_STRING BaseMiniportInstanceName;
    PUNICODE_STRING BaseMiniportName;
    ULONG MediaConnectState;
    ULONG MediaDuplexState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    ULONG MiniportMediaType;
    ULONG MiniportPhysicalMediaType;
    NDIS_HANDLE MiniportMediaSpecificAttributes;
    void *DefaultOffloadConfiguration;
    USHORT MacAddressLength;
    UCHAR CurrentMacAddress[32];
    ULONG64 BaseMiniportNetLuid;
    ULONG LowerIfIndex;
    ULONG64 LowerIfNetLuid;
    ULONG Flags;
} NDIS_FILTER_ATTACH_PARAMETERS, *PNDIS_FILTER_ATTACH_PARAMETERS;
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, MacAddressLength) == PICK(0x48, 0x60), "MacAddressLength");
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, BaseMiniportNetLuid) == PICK(0x70, 0x88), "BaseMiniportNetLuid");
_Static_assert(offsetof(NDIS_FILTER_ATTACH_PARAMETERS, Flags) == PICK(0x88, 0xa0), "Flags");

typedef struct _NDIS_FILTER_ATTRIBUTES { NDIS_OBJECT_HEADER Header; ULONG Flags; } NDIS_FILTER_ATTRIBUTES;
typedef struct _NDIS_FILTER_RESTART_PARAMETERS NDIS_FILTER_RESTART_PARAMETERS;
typedef struct _NDIS_FILTER_PAUSE_PARAMETERS NDIS_FILTER_PAUSE_PARAMETERS;

typedef NDIS_STATUS(NTAPI *FILTER_ATTACH)(NDIS_HANDLE, NDIS_HANDLE, PNDIS_FILTER_ATTACH_PARAMETERS);
typedef VOID(NTAPI *FILTER_DETACH)(NDIS_HANDLE);
typedef NDIS_STATUS(NTAPI *FILTER_RESTART)(NDIS_HANDLE, NDIS_FILTER_RESTART_PARAMETERS *);
typedef NDIS_STATUS(NTAPI *FILTER_PAUSE)(NDIS_HANDLE, NDIS_FILTER_PAUSE_PARAMETERS *);
typedef VOID(NTAPI *FILTER_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG);
typedef VOID(NTAPI *FILTER_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE, PNET_BUFFER_LIST, NDIS_PORT_NUMBER, ULONG, ULONG);
typedef VOID(NTAPI *FILTER_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG);

typedef struct _NDIS_FILTER_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    UNICODE_STRING FriendlyName;
    UNICODE_STRING UniqueName;
    UNICODE_STRING ServiceName;
    void *SetOptionsHandler;
    void *SetFilterModuleOptionsHandler;
    FILTER_ATTACH AttachHandler;
    FILTER_DETACH DetachHandler;
    FILTER_RESTART RestartHandler;
    FILTER_PAUSE PauseHandler;
    void *SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE SendNetBufferListsCompleteHandler;
    void *CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS ReturnNetBufferListsHandler;
    void *OidRequestHandler;
    void *OidRequestCompleteHandler;
    void *CancelOidRequestHandler;
    void *DevicePnPEventNotifyHandler;
    void *NetPnPEventHandler;
    void *StatusHandler;
} NDIS_FILTER_DRIVER_CHARACTERISTICS;
#define NDIS_FILTER_CHARACTERISTICS_REVISION_1 1
_Static_assert(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, AttachHandler) == PICK(0x2c, 0x50), "AttachHandler");
_Static_assert(sizeof(NDIS_FILTER_DRIVER_CHARACTERISTICS) == PICK(0x68, 0xc8), "characteristics revision 1");

NDIS_STATUS NTAPI NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
    NDIS_FILTER_DRIVER_CHARACTERISTICS *Characteristics, NDIS_HANDLE *NdisFilterDriverHandle);
VOID NTAPI NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle);
NDIS_STATUS NTAPI NdisFSetAttributes(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterModuleContext,
    NDIS_FILTER_ATTRIBUTES *FilterAttributes);
NDIS_STATUS NTAPI NdisFOidRequest(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest);
VOID NTAPI NdisFSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferList,
    NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
VOID NTAPI NdisFIndicateReceiveNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferLists,
    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
VOID NTAPI NdisFReturnNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
NDIS_HANDLE NTAPI NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, NET_BUFFER_LIST_POOL_PARAMETERS *Parameters);
VOID NTAPI NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle);
PNET_BUFFER_LIST NTAPI NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
    USHORT ContextBackFill, PMDL MdlChain, ULONG DataOffset, SIZE_T DataLength);
VOID NTAPI NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList);
void *NTAPI NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, void *Storage, ULONG AlignMultiple,
    ULONG AlignOffset);

VOID NTAPI NdisAllocateSpinLock(PNDIS_SPIN_LOCK);
VOID NTAPI NdisFreeSpinLock(PNDIS_SPIN_LOCK);
VOID NTAPI NdisAcquireSpinLock(PNDIS_SPIN_LOCK);
VOID NTAPI NdisReleaseSpinLock(PNDIS_SPIN_LOCK);
VOID NTAPI NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK);
VOID NTAPI NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK);

#endif
