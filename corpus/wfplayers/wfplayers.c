/*
 * wfplayers: one WFP callout on each of fourteen filtering layers: ALE_CONNECT_REDIRECT_V6,
 * DATAGRAM_DATA_V4/V6, INBOUND_ICMP_ERROR_V4/V6, OUTBOUND_ICMP_ERROR_V4/V6,
 * ALE_AUTH_LISTEN_V4/V6, IPFORWARD_V4/V6, INBOUND_IPPACKET_V4/V6 and INBOUND_TRANSPORT_V4
 * (the last three with no condition). DriverEntry registers the callouts
 * (FwpsCalloutRegister1) and, in one transaction of a dynamic session, adds them with a
 * filter each (some with a condition on a field only that layer has).
 *
 * The one classify function reads two incoming values of its layer (by the layer's
 * FWPS_FIELDS_* indexes), the first byte of the layer data and where the net buffer's data
 * starts in it (NdisGetDataBuffer, DataOffset: "Data offset positions"), and decides:
 *   - ALE_CONNECT_REDIRECT_V6: the connect request's endpoints are SOCKADDR_IN6; the callout
 *     redirects the connection to [2001:db8::9]:8080 (writable copy, applied) and permits;
 *   - DATAGRAM_DATA: blocks datagrams coming in (the direction field), permits those going out;
 *   - ICMP errors: permit;
 *   - ALE_AUTH_LISTEN (a filter on local port 23): block the listen (no layer data);
 *   - IPFORWARD: blocks the packet in transit;
 *   - INBOUND_IPPACKET, INBOUND_TRANSPORT: permit.
 *
 * IOCTL_WFPL_STATS: ULONG[5 * 14]: per layer, in the order above: { classifications, first
 * value, second value, first byte of the layer data (0xFFFFFFFF: none), data offset }.
 *
 * The headers a packet coming in has passed: where the layer's data starts past them (the
 * inbound IP packet layer: at the transport header; the inbound transport layer and
 * datagram data coming in: at the data, for ICMP at its header; an ICMP error coming in: at
 * the IP header of the packet it carries), the callout retreats the net buffer over them by
 * the sizes the incoming metadata gives (ipHeaderSize, and transportHeaderSize where the
 * metadata has it and the data is past that header: FWPS_METADATA_FIELD_IP_HEADER_SIZE,
 * _TRANSPORT_HEADER_SIZE), reads the IP header's version
 * and protocol (IPv6: the next header after the fixed header), and advances back, as callouts
 * that look at or clone the whole packet do. The headers are there: the retreat needs no new
 * MDL. IOCTL_WFPL_HEADERS: ULONG[7 * 14]: per layer { the two metadata bits present,
 * ipHeaderSize, transportHeaderSize, the retreat's status (0xFFFFFFFF: none), the IP version
 * and protocol seen, whether the retreat kept the MDL chain and the advance gave back the
 * data offset and the first byte }.
 *
 * Unload takes everything away.
 */
#include "corpus.h"
#include "../wfpcallout/wfpmin.h"

#define IOCTL_WFPL_STATS CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_WFPL_HEADERS CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define FWP_BYTE_ARRAY16_TYPE 11
#define AF_INET6_ 23
#define NLAYERS 14

/* A layer: its FWPM_LAYER_ key, run-time identifier and the two fields the callout reads. */
struct Layer {
    GUID key;
    USHORT id;
    UCHAR first, second;
};

static const struct Layer LAYERS[NLAYERS] = {
    /* ALE_CONNECT_REDIRECT_V6: IP_REMOTE_PORT, IP_REMOTE_ADDRESS */
    {{0x587e54a7, 0x8046, 0x42ba, {0xa0, 0xaa, 0xb7, 0x16, 0x25, 0x0f, 0xc7, 0xfd}}, 67, 8, 6},
    /* DATAGRAM_DATA_V4: DIRECTION, IP_REMOTE_PORT */
    {{0x3d08bf4e, 0x45f6, 0x4930, {0xa9, 0x22, 0x41, 0x70, 0x98, 0xe2, 0x00, 0x27}}, 24, 9, 5},
    /* DATAGRAM_DATA_V6 */
    {{0xfa45fe2f, 0x3cba, 0x4427, {0x87, 0xfc, 0x57, 0xb9, 0xa4, 0xb1, 0x0d, 0x00}}, 26, 9, 5},
    /* INBOUND_ICMP_ERROR_V4: EMBEDDED_REMOTE_PORT, EMBEDDED_REMOTE_ADDRESS */
    {{0x61499990, 0x3cb6, 0x4e84, {0xb9, 0x50, 0x53, 0xb9, 0x4b, 0x69, 0x64, 0xf3}}, 28, 6, 3},
    /* INBOUND_ICMP_ERROR_V6 */
    {{0x65f9bdff, 0x3b2d, 0x4e5d, {0xb8, 0xc6, 0xc7, 0x20, 0x65, 0x1f, 0xe8, 0x98}}, 30, 6, 3},
    /* OUTBOUND_ICMP_ERROR_V4: ICMP_TYPE, ICMP_CODE */
    {{0x41390100, 0x564c, 0x4b32, {0xbc, 0x1d, 0x71, 0x80, 0x48, 0x35, 0x4d, 0x7c}}, 32, 4, 5},
    /* OUTBOUND_ICMP_ERROR_V6 */
    {{0x7fb03b60, 0x7b8d, 0x4dfa, {0xba, 0xdd, 0x98, 0x01, 0x76, 0xfc, 0x4e, 0x12}}, 34, 4, 5},
    /* ALE_AUTH_LISTEN_V4: IP_LOCAL_PORT, IP_LOCAL_ADDRESS */
    {{0x88bb5dad, 0x76d7, 0x4227, {0x9c, 0x71, 0xdf, 0x0a, 0x3e, 0xd7, 0xbe, 0x7e}}, 40, 4, 2},
    /* ALE_AUTH_LISTEN_V6 */
    {{0x7ac9de24, 0x17dd, 0x4814, {0xb4, 0xbd, 0xa9, 0xfb, 0xc9, 0x5a, 0x32, 0x1b}}, 42, 4, 2},
    /* IPFORWARD_V4: IP_SOURCE_ADDRESS, IP_DESTINATION_ADDRESS */
    {{0xa82acc24, 0x4ee1, 0x4ee1, {0xb4, 0x65, 0xfd, 0x1d, 0x25, 0xcb, 0x10, 0xa4}}, 8, 0, 1},
    /* IPFORWARD_V6 */
    {{0x7b964818, 0x19c7, 0x493a, {0xb7, 0x1f, 0x83, 0x2c, 0x36, 0x84, 0xd2, 0x8c}}, 10, 0, 1},
    /* INBOUND_IPPACKET_V4: IP_REMOTE_ADDRESS, IP_LOCAL_ADDRESS */
    {{0xc86fd1bf, 0x21cd, 0x497e, {0xa0, 0xbb, 0x17, 0x42, 0x5c, 0x88, 0x5c, 0x58}}, 0, 1, 0},
    /* INBOUND_IPPACKET_V6 */
    {{0xf52032cb, 0x991c, 0x46e7, {0x97, 0x1d, 0x26, 0x01, 0x45, 0x9a, 0x91, 0xca}}, 2, 1, 0},
    /* INBOUND_TRANSPORT_V4: IP_PROTOCOL, IP_REMOTE_PORT */
    {{0x5926dfc8, 0xe3cf, 0x4426, {0xa2, 0x83, 0xdc, 0x39, 0x3f, 0x5d, 0x0f, 0x9d}}, 12, 0, 5},
};

/* {6a0c1f52-2d4e-4b7a-9c13-5e8f0a7b3c00} + layer index: the callouts; ...f0: the sublayer. */
#define KEY(n) {0x6a0c1f52, 0x2d4e, 0x4b7a, {0x9c, 0x13, 0x5e, 0x8f, 0x0a, 0x7b, 0x3c, (n)}}
static const GUID SUBLAYER_KEY = KEY(0xf0);
/* FWPM_CONDITION_IP_REMOTE_PORT, _IP_PROTOCOL, _EMBEDDED_PROTOCOL, _ICMP_TYPE (= IP_LOCAL_PORT),
 * _IP_DESTINATION_ADDRESS */
static const GUID CONDITION_IP_REMOTE_PORT = {0xc35a604d, 0xd22b, 0x4e1a, {0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}};
static const GUID CONDITION_IP_PROTOCOL = {0x3971ef2b, 0x623e, 0x4f9a, {0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}};
static const GUID CONDITION_EMBEDDED_PROTOCOL = {0x07784107, 0xa29e, 0x4c7b, {0x9e, 0xc7, 0x29, 0xc4, 0x4a, 0xfa, 0xfd, 0xbc}};
static const GUID CONDITION_IP_LOCAL_PORT = {0x0c1ba1af, 0x5765, 0x453f, {0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b}};
static const GUID CONDITION_IP_DESTINATION_ADDRESS = {0x2d79133b, 0xb390, 0x45c6, {0x86, 0x99, 0xac, 0xac, 0xea, 0xaf, 0xed, 0x33}};

static PDEVICE_OBJECT g_device;
static HANDLE g_engine;
static ULONG g_callout_ids[NLAYERS];
static ULONG g_stats[NLAYERS][5];
static ULONG g_headers[NLAYERS][7];

typedef struct WFP_SOCKADDR_IN6_ {
    USHORT sin6_family;
    USHORT sin6_port;
    ULONG sin6_flowinfo;
    UCHAR sin6_addr[16];
    ULONG sin6_scope_id;
} WFP_SOCKADDR_IN6;

/* A value as a ULONG: an IPv6 address by its last byte. */
static ULONG Value(const FWP_VALUE0 *v)
{
    switch (v->type) {
    case FWP_UINT8: return v->uint8;
    case FWP_UINT16: return v->uint16;
    case FWP_UINT32: return v->uint32;
    case FWP_BYTE_ARRAY16_TYPE: return ((const UCHAR *)v->pointer)[15];
    default: return 0xEEEEEEEE;
    }
}

/* Redirects the connect to [2001:db8::9]:8080; whether it was. */
static ULONG Redirect(const void *classifyContext, const FWPS_FILTER0 *f, FWPS_CLASSIFY_OUT0 *out)
{
    static const UCHAR proxy[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    FWPS_CONNECT_REQUEST0 *copy = NULL;
    WFP_SOCKADDR_IN6 *target;
    ULONG64 handle;
    ULONG done = 0;

    if (!(out->rights & FWPS_RIGHT_ACTION_WRITE) || !NT_SUCCESS(FwpsAcquireClassifyHandle0((void *)classifyContext, 0, &handle)))
        return 0;
    if (NT_SUCCESS(FwpsAcquireWritableLayerDataPointer0(handle, f->filterId, 0, (void **)&copy, out))) {
        target = (WFP_SOCKADDR_IN6 *)&copy->remoteAddressAndPort;
        if (target->sin6_family == AF_INET6_) {
            RtlCopyMemory(target->sin6_addr, proxy, 16);
            target->sin6_port = (USHORT)((8080 >> 8) | ((8080 & 0xFF) << 8));
            done = 1;
        }
        FwpsApplyModifiedLayerData0(handle, copy, 0);
        out->actionType = FWP_ACTION_PERMIT;
    }
    FwpsReleaseClassifyHandle0(handle);
    return done;
}

/* Whether a packet at this layer came in (DATAGRAM_DATA: its direction field says). */
static int Inbound(const FWPS_INCOMING_VALUES0 *values)
{
    switch (values->layerId) {
    case 0:
    case 2:
    case 12:
    case 28:
    case 30:
        return 1;
    case 24:
    case 26:
        return values->incomingValue[9].value.uint32 == 1;
    default:
        return 0;
    }
}

/* The header sizes of the metadata; coming in, a look at the IP header behind the data. */
static VOID Headers(ULONG *h, const FWPS_INCOMING_VALUES0 *values, const FWPS_INCOMING_METADATA_VALUES0 *meta,
    NET_BUFFER_LIST *nbl)
{
    const ULONG bits = FWPS_METADATA_FIELD_IP_HEADER_SIZE | FWPS_METADATA_FIELD_TRANSPORT_HEADER_SIZE;
    UCHAR storage[16], *at, first;
    NET_BUFFER *nb;
    PMDL chain;
    ULONG back, offset, kept;

    h[0] = meta->currentMetadataValues & bits;
    h[1] = (h[0] & FWPS_METADATA_FIELD_IP_HEADER_SIZE) ? meta->ipHeaderSize : 0;
    h[2] = (h[0] & FWPS_METADATA_FIELD_TRANSPORT_HEADER_SIZE) ? meta->transportHeaderSize : 0;
    h[3] = 0xFFFFFFFF;
    h[4] = h[5] = h[6] = 0;
    if (!nbl || !Inbound(values) || !(h[0] & FWPS_METADATA_FIELD_IP_HEADER_SIZE))
        return;
    nb = nbl->FirstNetBuffer;
    back = h[1] + h[2];
    /* Where ICMP comes in at the transport and datagram layers, the data is at its header. */
    if ((values->layerId == 12 || values->layerId == 24 || values->layerId == 26)
        && (values->incomingValue[0].value.uint8 == 1 || values->incomingValue[0].value.uint8 == 58))
        back = h[1];
    chain = nb->MdlChain;
    offset = nb->DataOffset;
    at = NdisGetDataBuffer(nb, 1, storage, 1, 0);
    first = at ? *at : 0;
    h[3] = (ULONG)NdisRetreatNetBufferDataStart(nb, back, 0, NULL);
    if (h[3] != 0)
        return;
    kept = nb->MdlChain == chain && nb->DataOffset == offset - back;
    at = NdisGetDataBuffer(nb, 10, storage, 1, 0);
    if (at) {
        h[4] = at[0] >> 4;
        h[5] = h[4] == 6 ? at[6] : at[9];
    }
    NdisAdvanceNetBufferDataStart(nb, back, FALSE, NULL);
    at = NdisGetDataBuffer(nb, 1, storage, 1, 0);
    h[6] = kept && nb->DataOffset == offset && at && *at == first;
}

static VOID NTAPI Classify(const void *inFixedValues, const void *inMetaValues, void *layerData,
    const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut)
{
    const FWPS_INCOMING_VALUES0 *values = inFixedValues;
    const FWPS_FILTER0 *f = filter;
    FWPS_CLASSIFY_OUT0 *out = classifyOut;
    ULONG i, *s, direction;
    (void)flowContext;

    for (i = 0; i < NLAYERS && LAYERS[i].id != values->layerId; i++)
        ;
    if (i == NLAYERS || values->valueCount <= LAYERS[i].first || values->valueCount <= LAYERS[i].second)
        return;
    s = g_stats[i];
    s[0]++;
    s[1] = Value(&values->incomingValue[LAYERS[i].first].value);
    s[2] = Value(&values->incomingValue[LAYERS[i].second].value);
    s[3] = 0xFFFFFFFF;
    s[4] = 0;
    Headers(g_headers[i], values, inMetaValues, i == 0 ? NULL : layerData);
    if (i == 0) {
        /* The connect request: its remote endpoint's family, then the redirect. */
        const FWPS_CONNECT_REQUEST0 *request = layerData;
        s[3] = request ? ((const WFP_SOCKADDR_IN6 *)&request->remoteAddressAndPort)->sin6_family : 0;
        s[4] = Redirect(classifyContext, f, out);
        return;
    }
    if (layerData) {
        NET_BUFFER *nb = ((NET_BUFFER_LIST *)layerData)->FirstNetBuffer;
        UCHAR *at = nb->DataLength ? NdisGetDataBuffer(nb, 1, NULL, 1, 0) : NULL;
        s[3] = at ? *at : 0xFFFFFFFE;
        s[4] = nb->DataOffset;
    }
    if (!(out->rights & FWPS_RIGHT_ACTION_WRITE))
        return;
    switch (values->layerId) {
    case 24:
    case 26:
        direction = values->incomingValue[9].value.uint32;
        out->actionType = direction == 1 ? FWP_ACTION_BLOCK : FWP_ACTION_PERMIT;
        break;
    case 40:
    case 42:
    case 8:
    case 10:
        out->actionType = FWP_ACTION_BLOCK;
        break;
    default:
        out->actionType = FWP_ACTION_PERMIT;
    }
}

static NTSTATUS NTAPI Notify(ULONG notifyType, const GUID *filterKey, void *filter)
{
    (void)notifyType, (void)filterKey, (void)filter;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT device, PIRP irp)
{
    (void)device;
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DispatchIoctl(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    ULONG_PTR info = 0;
    (void)device;

    if (CORPUS_CODE(sp) == IOCTL_WFPL_STATS || CORPUS_CODE(sp) == IOCTL_WFPL_HEADERS) {
        const void *from = CORPUS_CODE(sp) == IOCTL_WFPL_STATS ? (const void *)g_stats : (const void *)g_headers;
        ULONG size = CORPUS_CODE(sp) == IOCTL_WFPL_STATS ? sizeof(g_stats) : sizeof(g_headers);
        if (CORPUS_OUT_LEN(sp) < size) {
            status = STATUS_BUFFER_TOO_SMALL;
        } else {
            RtlCopyMemory(irp->AssociatedIrp.SystemBuffer, from, size);
            status = STATUS_SUCCESS;
            info = size;
        }
    }
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT driver)
{
    UNICODE_STRING link;
    ULONG i;
    (void)driver;
    for (i = 0; i < NLAYERS; i++)
        FwpsCalloutUnregisterById0(g_callout_ids[i]);
    FwpmEngineClose0(g_engine); /* dynamic: the filters, callouts and sublayer go with it */
    RtlInitUnicodeString(&link, L"\\DosDevices\\WfpLayers");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_device);
}

/* The condition layer i's filter has, if any. */
static ULONG Condition(ULONG i, FWPM_FILTER_CONDITION0 *c)
{
    c->matchType = FWP_MATCH_EQUAL;
    switch (i) {
    case 0:
        c->fieldKey = CONDITION_IP_REMOTE_PORT;
        c->conditionValue.type = FWP_UINT16;
        c->conditionValue.uint16 = 80;
        return 1;
    case 1:
        c->fieldKey = CONDITION_IP_PROTOCOL;
        c->conditionValue.type = FWP_UINT8;
        c->conditionValue.uint8 = 17;
        return 1;
    case 3:
        c->fieldKey = CONDITION_EMBEDDED_PROTOCOL;
        c->conditionValue.type = FWP_UINT8;
        c->conditionValue.uint8 = 17;
        return 1;
    case 5:
        c->fieldKey = CONDITION_IP_LOCAL_PORT; /* FWPM_CONDITION_ICMP_TYPE: destination unreachable */
        c->conditionValue.type = FWP_UINT16;
        c->conditionValue.uint16 = 3;
        return 1;
    case 7:
    case 8:
        c->fieldKey = CONDITION_IP_LOCAL_PORT;
        c->conditionValue.type = FWP_UINT16;
        c->conditionValue.uint16 = 23;
        return 1;
    case 9:
        c->fieldKey = CONDITION_IP_DESTINATION_ADDRESS;
        c->conditionValue.type = FWP_UINT32;
        c->conditionValue.uint32 = 0xC0A80163; /* 192.168.1.99 */
        return 1;
    default:
        return 0;
    }
}

static NTSTATUS AddObjects(void)
{
    FWPM_SESSION0 session = {0};
    FWPM_SUBLAYER0 sublayer = {0};
    FWPM_CALLOUT0 callout = {0};
    FWPM_FILTER0 filter = {0};
    FWPM_FILTER_CONDITION0 condition = {{0}};
    NTSTATUS status;
    ULONG i;

    session.flags = FWPM_SESSION_FLAG_DYNAMIC;
    status = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &session, &g_engine);
    if (!NT_SUCCESS(status))
        return status;
    status = FwpmTransactionBegin0(g_engine, 0);
    if (!NT_SUCCESS(status))
        return status;
    sublayer.subLayerKey = SUBLAYER_KEY;
    sublayer.displayData.name = L"wfplayers sublayer";
    sublayer.weight = 0x200;
    status = FwpmSubLayerAdd0(g_engine, &sublayer, NULL);
    if (!NT_SUCCESS(status))
        return status;
    for (i = 0; i < NLAYERS; i++) {
        GUID key = KEY(0);
        key.Data4[7] = (UCHAR)i;
        callout.calloutKey = key;
        callout.displayData.name = L"wfplayers callout";
        callout.applicableLayer = LAYERS[i].key;
        status = FwpmCalloutAdd0(g_engine, &callout, NULL, NULL);
        if (!NT_SUCCESS(status))
            return status;
        filter.displayData.name = L"wfplayers filter";
        filter.layerKey = LAYERS[i].key;
        filter.subLayerKey = SUBLAYER_KEY;
        filter.weight.type = FWP_EMPTY;
        filter.action.type = FWP_ACTION_CALLOUT_TERMINATING;
        filter.action.calloutKey = key;
        filter.numFilterConditions = Condition(i, &condition);
        filter.filterCondition = filter.numFilterConditions ? &condition : NULL;
        status = FwpmFilterAdd0(g_engine, &filter, NULL, NULL);
        if (!NT_SUCCESS(status))
            return status;
    }
    return FwpmTransactionCommit0(g_engine);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
    UNICODE_STRING name, link;
    FWPS_CALLOUT1 callout = {0};
    NTSTATUS status;
    ULONG i;
    (void)registry;

    RtlInitUnicodeString(&name, L"\\Device\\WfpLayers");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_NETWORK, 0, FALSE, &g_device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\WfpLayers");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status))
        goto fail_device;
    driver->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchIoctl;
    driver->DriverUnload = DriverUnload;

    callout.classifyFn = Classify;
    callout.notifyFn = Notify;
    for (i = 0; i < NLAYERS; i++) {
        GUID key = KEY(0);
        key.Data4[7] = (UCHAR)i;
        callout.calloutKey = key;
        status = FwpsCalloutRegister1(g_device, &callout, &g_callout_ids[i]);
        if (!NT_SUCCESS(status))
            goto fail_callouts;
    }
    status = AddObjects();
    if (!NT_SUCCESS(status))
        goto fail_callouts;
    return STATUS_SUCCESS;

fail_callouts:
    if (g_engine)
        FwpmEngineClose0(g_engine);
    while (i-- > 0)
        FwpsCalloutUnregisterById0(g_callout_ids[i]);
    IoDeleteSymbolicLink(&link);
fail_device:
    IoDeleteDevice(g_device);
    return status;
}
