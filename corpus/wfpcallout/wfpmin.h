/* The part of fwpmk.h, fwpsk.h, fwpmtypes.h and ndis.h (Windows Driver Kit) this driver uses:
 * the mingw-w64 DDK headers have neither the filtering platform's kernel API nor NDIS 6 net
 * buffers. Declarations follow the WDK's; the static_asserts pin the offsets the emulator
 * uses (hle/src/wfp/layout.rs, hle/src/layout/structs.rs). */
#ifndef WFPMIN_H
#define WFPMIN_H

#include <ntddk.h>
#include <stddef.h>

#ifdef _WIN64
#define PICK(x86, x64) (x64)
#else
#define PICK(x86, x64) (x86)
#endif
#define MEMORY_ALIGNED __attribute__((aligned(2 * sizeof(void *))))

/* fwptypes.h / fwpmtypes.h */
typedef struct FWP_BYTE_BLOB_ { ULONG size; UCHAR *data; } FWP_BYTE_BLOB;
typedef struct FWP_VALUE0_ {
    ULONG type;
    union { UCHAR uint8; USHORT uint16; ULONG uint32; ULONG64 *uint64; void *pointer; };
} FWP_VALUE0, FWP_CONDITION_VALUE0;
typedef struct FWPM_DISPLAY_DATA0_ { WCHAR *name; WCHAR *description; } FWPM_DISPLAY_DATA0;
typedef struct FWPM_SESSION0_ {
    GUID sessionKey;
    FWPM_DISPLAY_DATA0 displayData;
    ULONG flags;
    ULONG txnWaitTimeoutInMSec;
    ULONG processId;
    PSID sid;
    WCHAR *username;
    LONG kernelMode; /* BOOL */
} FWPM_SESSION0;
typedef struct FWPM_SUBLAYER0_ {
    GUID subLayerKey;
    FWPM_DISPLAY_DATA0 displayData;
    USHORT flags;
    GUID *providerKey;
    FWP_BYTE_BLOB providerData;
    USHORT weight;
} FWPM_SUBLAYER0;
typedef struct FWPM_CALLOUT0_ {
    GUID calloutKey;
    FWPM_DISPLAY_DATA0 displayData;
    ULONG flags;
    GUID *providerKey;
    FWP_BYTE_BLOB providerData;
    GUID applicableLayer;
    ULONG calloutId;
} FWPM_CALLOUT0;
typedef struct FWPM_FILTER_CONDITION0_ {
    GUID fieldKey;
    ULONG matchType;
    FWP_CONDITION_VALUE0 conditionValue;
} FWPM_FILTER_CONDITION0;
typedef struct FWPM_ACTION0_ { ULONG type; GUID calloutKey; } FWPM_ACTION0;
typedef struct FWPM_FILTER0_ {
    GUID filterKey;
    FWPM_DISPLAY_DATA0 displayData;
    ULONG flags;
    GUID *providerKey;
    FWP_BYTE_BLOB providerData;
    GUID layerKey;
    GUID subLayerKey;
    FWP_VALUE0 weight;
    ULONG numFilterConditions;
    FWPM_FILTER_CONDITION0 *filterCondition;
    FWPM_ACTION0 action;
    union { ULONG64 rawContext; GUID providerContextKey; };
    GUID *reserved;
    ULONG64 filterId;
    FWP_VALUE0 effectiveWeight;
} FWPM_FILTER0;

_Static_assert(sizeof(FWPM_SUBLAYER0) == PICK(0x2c, 0x48), "FWPM_SUBLAYER0");
_Static_assert(offsetof(FWPM_SUBLAYER0, weight) == PICK(0x28, 0x40), "FWPM_SUBLAYER0.weight");
_Static_assert(offsetof(FWPM_CALLOUT0, applicableLayer) == PICK(0x28, 0x40), "FWPM_CALLOUT0.applicableLayer");
_Static_assert(offsetof(FWPM_CALLOUT0, calloutId) == PICK(0x38, 0x50), "FWPM_CALLOUT0.calloutId");
_Static_assert(offsetof(FWPM_FILTER0, layerKey) == PICK(0x28, 0x40), "FWPM_FILTER0.layerKey");
_Static_assert(offsetof(FWPM_FILTER0, numFilterConditions) == PICK(0x50, 0x70), "FWPM_FILTER0.num");
_Static_assert(offsetof(FWPM_FILTER0, action) == PICK(0x58, 0x80), "FWPM_FILTER0.action");
_Static_assert(offsetof(FWPM_FILTER0, filterId) == PICK(0x88, 0xb0), "FWPM_FILTER0.filterId");
_Static_assert(sizeof(FWPM_FILTER_CONDITION0) == PICK(0x1c, 0x28), "FWPM_FILTER_CONDITION0");

#define FWP_EMPTY 0
#define FWP_UINT32 3
#define FWP_MATCH_EQUAL 0
#define FWP_ACTION_CALLOUT_TERMINATING 0x5003
#define FWP_ACTION_BLOCK 0x1001
#define FWPM_SESSION_FLAG_DYNAMIC 0x1
#define RPC_C_AUTHN_WINNT 10
#define FWPS_INJECTION_TYPE_NETWORK 0x4
#define AF_INET 2

/* fwpsk.h: the classify data a callout gets. */
typedef struct FWPS_INCOMING_VALUE0_ { FWP_VALUE0 value; } FWPS_INCOMING_VALUE0;
typedef struct FWPS_INCOMING_VALUES0_ {
    USHORT layerId;
    ULONG valueCount;
    FWPS_INCOMING_VALUE0 *incomingValue;
} FWPS_INCOMING_VALUES0;
typedef struct FWPS_ACTION0_ { ULONG type; ULONG calloutId; } FWPS_ACTION0;
typedef struct FWPS_FILTER0_ {
    ULONG64 filterId;
    FWP_VALUE0 weight;
    USHORT subLayerWeight;
    USHORT flags;
    ULONG numFilterConditions;
    void *filterCondition;
    FWPS_ACTION0 action;
    ULONG64 context;
    void *providerContext;
} FWPS_FILTER0;
typedef struct FWPS_CLASSIFY_OUT0_ {
    ULONG actionType;
    ULONG64 outContext;
    ULONG64 filterId;
    ULONG rights;
    ULONG flags;
    ULONG reserved;
} FWPS_CLASSIFY_OUT0;
_Static_assert(sizeof(FWPS_INCOMING_VALUE0) == PICK(8, 16), "FWPS_INCOMING_VALUE0");
_Static_assert(offsetof(FWPS_FILTER0, action) == PICK(28, 40), "FWPS_FILTER0.action");
_Static_assert(offsetof(FWPS_FILTER0, context) == PICK(40, 48), "FWPS_FILTER0.context");
_Static_assert(offsetof(FWPS_CLASSIFY_OUT0, rights) == 24, "FWPS_CLASSIFY_OUT0.rights");
#define FWP_ACTION_PERMIT 0x1002
#define FWPS_RIGHT_ACTION_WRITE 0x1
#define FWPS_FIELD_OUTBOUND_IPPACKET_V4_IP_REMOTE_ADDRESS 2

typedef VOID(NTAPI *FWPS_CALLOUT_CLASSIFY_FN1)(const void *inFixedValues, const void *inMetaValues,
    void *layerData, const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut);
typedef NTSTATUS(NTAPI *FWPS_CALLOUT_NOTIFY_FN1)(ULONG notifyType, const GUID *filterKey, void *filter);
typedef VOID(NTAPI *FWPS_CALLOUT_FLOW_DELETE_NOTIFY_FN0)(USHORT layerId, ULONG calloutId, ULONG64 flowContext);
typedef struct FWPS_CALLOUT1_ {
    GUID calloutKey;
    ULONG flags;
    FWPS_CALLOUT_CLASSIFY_FN1 classifyFn;
    FWPS_CALLOUT_NOTIFY_FN1 notifyFn;
    FWPS_CALLOUT_FLOW_DELETE_NOTIFY_FN0 flowDeleteFn;
} FWPS_CALLOUT1;
_Static_assert(offsetof(FWPS_CALLOUT1, classifyFn) == PICK(0x14, 0x18), "FWPS_CALLOUT1.classifyFn");

/* ndis.h (NDIS 6.20): net buffers and their lists, as far as this driver reads them. */
typedef struct _NET_BUFFER NET_BUFFER, *PNET_BUFFER;
struct _NET_BUFFER {
    PNET_BUFFER Next;
    PMDL CurrentMdl;
    ULONG CurrentMdlOffset;
    union { ULONG DataLength; SIZE_T stDataLength; };
    PMDL MdlChain;
    ULONG DataOffset;
};
typedef struct _NET_BUFFER_LIST {
    struct _NET_BUFFER_LIST *Next;
    PNET_BUFFER FirstNetBuffer;
    void *Context;
    struct _NET_BUFFER_LIST *ParentNetBufferList;
    void *NdisPoolHandle;
    MEMORY_ALIGNED void *NdisReserved[2];
    MEMORY_ALIGNED void *ProtocolReserved[4];
    MEMORY_ALIGNED void *MiniportReserved[2];
    void *Scratch;
    void *SourceHandle;
    ULONG NblFlags;
    LONG ChildRefCount;
    ULONG Flags;
    NTSTATUS Status;
    void *NetBufferListInfo[19];
} NET_BUFFER_LIST, *PNET_BUFFER_LIST;
_Static_assert(offsetof(NET_BUFFER, DataOffset) == PICK(0x14, 0x28), "NET_BUFFER.DataOffset");
_Static_assert(offsetof(NET_BUFFER_LIST, Status) == PICK(0x4c, 0x8c), "NET_BUFFER_LIST.Status");
_Static_assert(sizeof(NET_BUFFER_LIST) == PICK(0xa0, 0x130), "NET_BUFFER_LIST");

typedef struct _NDIS_OBJECT_HEADER { UCHAR Type; UCHAR Revision; USHORT Size; } NDIS_OBJECT_HEADER;
typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    UCHAR ProtocolId;
    BOOLEAN fAllocateNetBuffer;
    USHORT ContextSize;
    ULONG PoolTag;
    ULONG DataSize;
} NET_BUFFER_LIST_POOL_PARAMETERS;
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 1

NTSTATUS NTAPI FwpmEngineOpen0(const WCHAR *serverName, ULONG authnService, void *authIdentity,
    const FWPM_SESSION0 *session, HANDLE *engineHandle);
NTSTATUS NTAPI FwpmEngineClose0(HANDLE engineHandle);
NTSTATUS NTAPI FwpmTransactionBegin0(HANDLE engineHandle, ULONG flags);
NTSTATUS NTAPI FwpmTransactionCommit0(HANDLE engineHandle);
NTSTATUS NTAPI FwpmSubLayerAdd0(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer, PSECURITY_DESCRIPTOR sd);
NTSTATUS NTAPI FwpmSubLayerDeleteByKey0(HANDLE engineHandle, const GUID *key);
NTSTATUS NTAPI FwpmCalloutAdd0(HANDLE engineHandle, const FWPM_CALLOUT0 *callout, PSECURITY_DESCRIPTOR sd, ULONG *id);
NTSTATUS NTAPI FwpmCalloutDeleteByKey0(HANDLE engineHandle, const GUID *key);
NTSTATUS NTAPI FwpmFilterAdd0(HANDLE engineHandle, const FWPM_FILTER0 *filter, PSECURITY_DESCRIPTOR sd, ULONG64 *id);
NTSTATUS NTAPI FwpmFilterDeleteById0(HANDLE engineHandle, ULONG64 id);
NTSTATUS NTAPI FwpsCalloutRegister1(void *deviceObject, const FWPS_CALLOUT1 *callout, ULONG *calloutId);
NTSTATUS NTAPI FwpsCalloutUnregisterById0(const ULONG calloutId);
NTSTATUS NTAPI FwpsInjectionHandleCreate0(USHORT addressFamily, ULONG flags, HANDLE *injectionHandle);
NTSTATUS NTAPI FwpsInjectionHandleDestroy0(HANDLE injectionHandle);
int NTAPI FwpsQueryPacketInjectionState0(HANDLE injectionHandle, const NET_BUFFER_LIST *netBufferList,
    HANDLE *injectionContext);
typedef VOID(NTAPI *FWPS_INJECT_COMPLETE0)(void *context, NET_BUFFER_LIST *netBufferList, BOOLEAN dispatchLevel);
NTSTATUS NTAPI FwpsInjectNetworkSendAsync0(HANDLE injectionHandle, HANDLE injectionContext, ULONG flags,
    ULONG compartmentId, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NTSTATUS NTAPI FwpsAllocateNetBufferAndNetBufferList0(void *poolHandle, USHORT contextSize, USHORT contextBackFill,
    MDL *mdlChain, ULONG dataOffset, SIZE_T dataLength, NET_BUFFER_LIST **netBufferList);
VOID NTAPI FwpsFreeNetBufferList0(NET_BUFFER_LIST *netBufferList);
NTSTATUS NTAPI FwpsAcquireClassifyHandle0(void *classifyContext, ULONG reserved, ULONG64 *classifyHandle);
VOID NTAPI FwpsReleaseClassifyHandle0(ULONG64 classifyHandle);
VOID NTAPI FwpsReferenceNetBufferList0(NET_BUFFER_LIST *netBufferList, BOOLEAN intendToModify);
VOID NTAPI FwpsDereferenceNetBufferList0(NET_BUFFER_LIST *netBufferList, BOOLEAN dispatchLevel);

void *NTAPI NdisAllocateNetBufferListPool(void *NdisHandle, NET_BUFFER_LIST_POOL_PARAMETERS *Parameters);
VOID NTAPI NdisFreeNetBufferListPool(void *PoolHandle);
void *NTAPI NdisGetDataBuffer(NET_BUFFER *NetBuffer, ULONG BytesNeeded, void *Storage, ULONG AlignMultiple,
    ULONG AlignOffset);
NTSTATUS NTAPI NdisRetreatNetBufferDataStart(NET_BUFFER *NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
    void *AllocateMdlHandler);
VOID NTAPI NdisAdvanceNetBufferDataStart(NET_BUFFER *NetBuffer, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
    void *FreeMdlHandler);

/* fwpsk.h: the redirect layers' layer data (Windows 7; the last three members from Windows 8).
 * ws2def.h's SOCKADDR_STORAGE: 128 bytes, 8-aligned. */
typedef struct WFP_SOCKADDR_IN_ { USHORT sin_family; USHORT sin_port; ULONG sin_addr; CHAR sin_zero[8]; } WFP_SOCKADDR_IN;
typedef struct WFP_SOCKADDR_STORAGE_ {
    USHORT ss_family;
    CHAR ss_pad1[6];
    LONGLONG ss_align;
    CHAR ss_pad2[112];
} WFP_SOCKADDR_STORAGE;
typedef struct FWPS_CONNECT_REQUEST0_ {
    WFP_SOCKADDR_STORAGE localAddressAndPort;
    WFP_SOCKADDR_STORAGE remoteAddressAndPort;
    ULONG64 portReservationToken;
    ULONG localRedirectTargetPID;
    struct FWPS_CONNECT_REQUEST0_ *previousVersion;
    ULONG64 modifierFilterId;
    HANDLE localRedirectHandle;
    void *localRedirectContext;
    SIZE_T localRedirectContextSize;
} FWPS_CONNECT_REQUEST0;
typedef struct FWPS_BIND_REQUEST0_ {
    WFP_SOCKADDR_STORAGE localAddressAndPort;
    ULONG64 portReservationToken;
    struct FWPS_BIND_REQUEST0_ *previousVersion;
    ULONG64 modifierFilterId;
} FWPS_BIND_REQUEST0;
_Static_assert(sizeof(WFP_SOCKADDR_STORAGE) == 128, "SOCKADDR_STORAGE");
_Static_assert(offsetof(FWPS_CONNECT_REQUEST0, remoteAddressAndPort) == 128, "FWPS_CONNECT_REQUEST0.remote");
_Static_assert(offsetof(FWPS_CONNECT_REQUEST0, localRedirectTargetPID) == 264, "FWPS_CONNECT_REQUEST0.pid");
_Static_assert(offsetof(FWPS_CONNECT_REQUEST0, previousVersion) == PICK(268, 272), "FWPS_CONNECT_REQUEST0.previousVersion");
_Static_assert(offsetof(FWPS_CONNECT_REQUEST0, modifierFilterId) == PICK(272, 280), "FWPS_CONNECT_REQUEST0.modifierFilterId");
_Static_assert(offsetof(FWPS_CONNECT_REQUEST0, localRedirectContextSize) == PICK(288, 304), "FWPS_CONNECT_REQUEST0.size");
_Static_assert(sizeof(FWPS_CONNECT_REQUEST0) == PICK(296, 312), "FWPS_CONNECT_REQUEST0");
_Static_assert(offsetof(FWPS_BIND_REQUEST0, previousVersion) == 136, "FWPS_BIND_REQUEST0.previousVersion");
_Static_assert(offsetof(FWPS_BIND_REQUEST0, modifierFilterId) == 144, "FWPS_BIND_REQUEST0.modifierFilterId");
_Static_assert(sizeof(FWPS_BIND_REQUEST0) == 152, "FWPS_BIND_REQUEST0");

#define FWP_UINT8 1
#define FWP_UINT16 2
#define FWP_ACTION_CONTINUE 0x2006
#define FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_PROTOCOL 5
#define FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_REMOTE_ADDRESS 6
#define FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_REMOTE_PORT 8
NTSTATUS NTAPI FwpsAcquireWritableLayerDataPointer0(ULONG64 classifyHandle, ULONG64 filterId, ULONG flags,
    void **writableLayerData, FWPS_CLASSIFY_OUT0 *classifyOut);
VOID NTAPI FwpsApplyModifiedLayerData0(ULONG64 classifyHandle, void *modifiedLayerData, ULONG flags);

/* fwpsk.h (Windows 7): flows and the stream layer. */
typedef struct FWPS_INCOMING_METADATA_VALUES0_ {
    ULONG currentMetadataValues;
    ULONG flags;
    ULONG64 reserved;
    ULONG discardModule;
    ULONG discardReason;
    ULONG64 discardFilterId;
    ULONG64 flowHandle;
    ULONG ipHeaderSize;
    ULONG transportHeaderSize;
} FWPS_INCOMING_METADATA_VALUES0;
_Static_assert(offsetof(FWPS_INCOMING_METADATA_VALUES0, flowHandle) == 32, "FWPS_INCOMING_METADATA_VALUES0.flowHandle");
_Static_assert(offsetof(FWPS_INCOMING_METADATA_VALUES0, ipHeaderSize) == 40, "FWPS_INCOMING_METADATA_VALUES0.ipHeaderSize");
_Static_assert(offsetof(FWPS_INCOMING_METADATA_VALUES0, transportHeaderSize) == 44,
    "FWPS_INCOMING_METADATA_VALUES0.transportHeaderSize");
#define FWPS_METADATA_FIELD_FLOW_HANDLE 0x2
#define FWPS_METADATA_FIELD_IP_HEADER_SIZE 0x4
#define FWPS_METADATA_FIELD_TRANSPORT_HEADER_SIZE 0x400
typedef struct FWPS_STREAM_DATA_OFFSET0_ {
    NET_BUFFER_LIST *netBufferList;
    NET_BUFFER *netBuffer;
    PMDL mdl;
    ULONG mdlOffset;
    ULONG netBufferOffset;
    SIZE_T streamDataOffset;
} FWPS_STREAM_DATA_OFFSET0;
typedef struct FWPS_STREAM_DATA0_ {
    ULONG flags;
    FWPS_STREAM_DATA_OFFSET0 dataOffset;
    SIZE_T dataLength;
    NET_BUFFER_LIST *netBufferListChain;
} FWPS_STREAM_DATA0;
typedef struct FWPS_STREAM_CALLOUT_IO_PACKET0_ {
    FWPS_STREAM_DATA0 *streamData;
    SIZE_T missedBytes;
    ULONG countBytesRequired;
    SIZE_T countBytesEnforced;
    int streamAction; /* FWPS_STREAM_ACTION_TYPE */
} FWPS_STREAM_CALLOUT_IO_PACKET0;
_Static_assert(offsetof(FWPS_STREAM_DATA0, dataLength) == PICK(28, 48), "FWPS_STREAM_DATA0.dataLength");
_Static_assert(sizeof(FWPS_STREAM_DATA0) == PICK(36, 64), "FWPS_STREAM_DATA0");
_Static_assert(offsetof(FWPS_STREAM_CALLOUT_IO_PACKET0, countBytesEnforced) == PICK(12, 24), "IO_PACKET0.enforced");
_Static_assert(offsetof(FWPS_STREAM_CALLOUT_IO_PACKET0, streamAction) == PICK(16, 32), "IO_PACKET0.streamAction");
#define FWPS_STREAM_ACTION_NONE 0
#define FWPS_STREAM_ACTION_NEED_MORE_DATA 1
#define FWPS_STREAM_ACTION_DROP_CONNECTION 2
#define FWPS_STREAM_ACTION_DEFER 3
#define FWPS_STREAM_FLAG_RECEIVE 0x00000001
#define FWPS_STREAM_FLAG_SEND 0x00010000
#define FWPS_LAYER_STREAM_V4 20
#define FWPS_LAYER_STREAM_V6 22
#define FWPS_LAYER_ALE_FLOW_ESTABLISHED_V4 52
#define FWP_ACTION_NONE 0x7
NTSTATUS NTAPI FwpsFlowAssociateContext0(ULONG64 flowId, USHORT layerId, ULONG calloutId, ULONG64 flowContext);
NTSTATUS NTAPI FwpsFlowRemoveContext0(ULONG64 flowId, USHORT layerId, ULONG calloutId);
NTSTATUS NTAPI FwpsStreamContinue0(ULONG64 flowId, ULONG calloutId, USHORT layerId, ULONG streamFlags);
VOID NTAPI FwpsCopyStreamDataToBuffer0(const FWPS_STREAM_DATA0 *calloutStreamData, void *buffer, SIZE_T bytesToCopy,
    SIZE_T *bytesCopied);

#endif
