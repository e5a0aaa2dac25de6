/*
 * wfpcallout: a Windows Filtering Platform callout driver. DriverEntry registers a callout
 * (FwpsCalloutRegister1), then, in one transaction of a dynamic session, adds a sublayer, the
 * callout at the outbound IPv4 packet layer and a filter (its key from ExUuidCreate) that
 * sends packets to 10.0.0.2 to the callout; a second add of the callout must fail with
 * STATUS_FWP_ALREADY_EXISTS. It makes a network injection handle and a NET_BUFFER_LIST pool.
 *
 * IOCTL_WFPC_INJECT: the input is an IPv4 packet. The driver copies it into a net buffer
 * list, reads its header through NdisGetDataBuffer, prepends and strips an 8-byte header
 * (NdisRetreatNetBufferDataStart, which has to give the net buffer an MDL of its own, then
 * NdisAdvanceNetBufferDataStart with FreeMdl), checks the list is not yet injected, and
 * injects it (FwpsInjectNetworkSendAsync0). The completion function notes the list's status
 * and its injection state, and frees it. Output: ULONG[5] = { inject status, completions,
 * status at completion, state at completion (1: injected by self), data length after the
 * retreat and advance }.
 *
 * IOCTL_WFPC_IDS: ULONG[3] = { callout id, filter id (low part), filter id (high part) }.
 *
 * The classify function (packets the engine classifies at the outbound IPv4 packet layer for
 * 10.0.0.2) blocks UDP, clearing the write right, and permits the rest, reading the protocol
 * from the packet in the layer data while it holds a reference on the list; it acquires and
 * releases a classify handle. IOCTL_WFPC_STATS: ULONG[7] = { classified, blocked, permitted,
 * the last remote address (incoming value), the last layer id, the classify handle's status,
 * whether FWPS_FILTER0 named the filter, callout, action and context }.
 *
 * Two more callouts follow a TCP connection (no conditions): at ALE_FLOW_ESTABLISHED_V4 one
 * associates a context (pool) with the new flow for the stream layer, through the flow
 * handle of its metadata; at STREAM_V4 the other gets that context as its flowContext and
 * the FWPS_STREAM_CALLOUT_IO_PACKET0 of the stream data: under 5 bytes it asks for more
 * (countBytesRequired), data holding "BAD" drops the connection, else it permits the
 * first 4 bytes only (countBytesEnforced) and the rest comes round again. The flowDeleteFn
 * frees the context. IOCTL_WFPC_FLOWS: ULONG[8] = { contexts associated, stream
 * classifications, bytes permitted, flow deletions, whether every stream classification
 * had the flow's context and send flags, last stream data (first 4 bytes, as a ULONG),
 * FwpsFlowRemoveContext0 of a flow the engine does not know, unregistering the stream
 * callout while a flow holds its context (STATUS_DEVICE_BUSY) }.
 *
 * Received stream data holding "WAIT" the stream callout defers (FWPS_STREAM_ACTION_DEFER),
 * as a driver waiting for a verdict from user mode does, until IOCTL_WFPC_CONTINUE gives the
 * verdict and resumes the flow's inbound stream (FwpsStreamContinue0): the engine presents
 * the deferred data, and what arrived meanwhile, again, and the callout permits it all.
 * Output: ULONG[8] = { FwpsStreamContinue0 naming the IPv6 stream layer for the IPv4 flow
 * (STATUS_INVALID_PARAMETER), the resumption, a second one with nothing deferred
 * (STATUS_FWP_NOT_FOUND), inbound classifications (with the flow's context and receive
 * flags), deferrals, inbound bytes permitted, the last inbound data (first 4 bytes),
 * FwpsStreamContinue0 from within the classifyFn (STATUS_INVALID_DEVICE_STATE) }.
 *
 * Unload takes everything away in reverse order.
 */
#include "corpus.h"
#include "wfpmin.h"

#define IOCTL_WFPC_INJECT CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_WFPC_IDS CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_WFPC_STATS CORPUS_IOCTL(0x902, METHOD_BUFFERED)
#define IOCTL_WFPC_FLOWS CORPUS_IOCTL(0x903, METHOD_BUFFERED)
#define IOCTL_WFPC_CONTINUE CORPUS_IOCTL(0x904, METHOD_BUFFERED)

/* {6a2b7f10-5c3e-4f0a-9d61-2e8f4c1b7a01} */
static const GUID CALLOUT_KEY = {0x6a2b7f10, 0x5c3e, 0x4f0a, {0x9d, 0x61, 0x2e, 0x8f, 0x4c, 0x1b, 0x7a, 0x01}};
/* {6a2b7f10-5c3e-4f0a-9d61-2e8f4c1b7a02} */
static const GUID SUBLAYER_KEY = {0x6a2b7f10, 0x5c3e, 0x4f0a, {0x9d, 0x61, 0x2e, 0x8f, 0x4c, 0x1b, 0x7a, 0x02}};
/* {6a2b7f10-5c3e-4f0a-9d61-2e8f4c1b7a03}, {...7a04}: the flow and stream callouts */
static const GUID FLOW_KEY = {0x6a2b7f10, 0x5c3e, 0x4f0a, {0x9d, 0x61, 0x2e, 0x8f, 0x4c, 0x1b, 0x7a, 0x03}};
static const GUID STREAM_KEY = {0x6a2b7f10, 0x5c3e, 0x4f0a, {0x9d, 0x61, 0x2e, 0x8f, 0x4c, 0x1b, 0x7a, 0x04}};
/* FWPM_LAYER_ALE_FLOW_ESTABLISHED_V4, FWPM_LAYER_STREAM_V4 */
static const GUID LAYER_FLOW_ESTABLISHED_V4 = {0xaf80470a, 0x5596, 0x4c13, {0x99, 0x92, 0x53, 0x9e, 0x6f, 0xe5, 0x79, 0x67}};
static const GUID LAYER_STREAM_V4 = {0x3b89653c, 0xc170, 0x49e4, {0xb1, 0xcd, 0xe0, 0xee, 0xee, 0xe1, 0x9a, 0x3e}};
/* FWPM_LAYER_OUTBOUND_IPPACKET_V4 */
static const GUID LAYER_OUTBOUND_IPPACKET_V4 = {0x1e5c9fae, 0x8a84, 0x4135, {0xa3, 0x31, 0x95, 0x0b, 0x54, 0x22, 0x9e, 0xcd}};
/* FWPM_CONDITION_IP_REMOTE_ADDRESS */
static const GUID CONDITION_IP_REMOTE_ADDRESS = {0xb235ae9a, 0x1d64, 0x49b8, {0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45}};

static PDEVICE_OBJECT g_device;
static HANDLE g_engine;
static HANDLE g_injection;
static void *g_pool;
static ULONG g_callout_id;
static ULONG64 g_filter_id;
static ULONG g_completions;
static NTSTATUS g_completed_status;
static int g_completed_state;

/* What the classify function saw: IOCTL_WFPC_STATS. */
static ULONG g_classified, g_blocked, g_permitted, g_last_remote, g_last_layer, g_handle_status, g_filter_ok;

/* The flow and stream callouts: IOCTL_WFPC_FLOWS. */
static ULONG g_flow_id, g_stream_id;
static ULONG64 g_flow_filter, g_stream_filter;
static ULONG g_associated, g_streamed, g_stream_permitted, g_deleted, g_stream_ok = 1, g_last_data;
static ULONG g_remove_unknown, g_unregister_busy;

/* Received data deferred until a verdict: IOCTL_WFPC_CONTINUE. */
static ULONG64 g_deferred_flow;
static ULONG g_deferred_flags, g_verdict, g_received, g_deferrals, g_received_permitted, g_last_received;
static ULONG g_continue_inside;

typedef struct FLOW_CONTEXT { ULONG magic; ULONG64 flow; } FLOW_CONTEXT;

static VOID NTAPI FlowClassify(const void *inFixedValues, const void *inMetaValues, void *layerData,
    const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut)
{
    const FWPS_INCOMING_VALUES0 *values = inFixedValues;
    const FWPS_INCOMING_METADATA_VALUES0 *meta = inMetaValues;
    FWPS_CLASSIFY_OUT0 *out = classifyOut;
    FLOW_CONTEXT *ctx;
    (void)layerData, (void)classifyContext, (void)filter, (void)flowContext;

    out->actionType = FWP_ACTION_PERMIT;
    if (values->layerId != FWPS_LAYER_ALE_FLOW_ESTABLISHED_V4 || !(meta->currentMetadataValues & FWPS_METADATA_FIELD_FLOW_HANDLE))
        return;
    ctx = ExAllocatePoolWithTag(NonPagedPool, sizeof(*ctx), 'xtCF');
    if (!ctx)
        return;
    ctx->magic = 0xF10F;
    ctx->flow = meta->flowHandle;
    if (FwpsFlowAssociateContext0(meta->flowHandle, FWPS_LAYER_STREAM_V4, g_stream_id, (ULONG64)(ULONG_PTR)ctx) != STATUS_SUCCESS) {
        ExFreePoolWithTag(ctx, 'xtCF');
        return;
    }
    /* A second context for the same flow, layer and callout is refused. */
    if (FwpsFlowAssociateContext0(meta->flowHandle, FWPS_LAYER_STREAM_V4, g_stream_id, 1) == STATUS_OBJECT_NAME_EXISTS)
        g_associated++;
}

static int HasBad(const UCHAR *data, SIZE_T n)
{
    SIZE_T i;
    for (i = 0; i + 3 <= n; i++)
        if (data[i] == 'B' && data[i + 1] == 'A' && data[i + 2] == 'D')
            return 1;
    return 0;
}

static int HasWait(const UCHAR *data, SIZE_T n)
{
    SIZE_T i;
    for (i = 0; i + 4 <= n; i++)
        if (data[i] == 'W' && data[i + 1] == 'A' && data[i + 2] == 'I' && data[i + 3] == 'T')
            return 1;
    return 0;
}

/* Received data: "WAIT" is deferred until IOCTL_WFPC_CONTINUE gives the verdict, the rest
 * (and, after the verdict, everything) permitted whole. */
static VOID Receive(const FWPS_INCOMING_METADATA_VALUES0 *meta, FWPS_STREAM_CALLOUT_IO_PACKET0 *io,
    FWPS_CLASSIFY_OUT0 *out, const FLOW_CONTEXT *ctx)
{
    UCHAR data[16] = {0};
    SIZE_T copied = 0;

    if (ctx && ctx->magic == 0xF10F && ctx->flow == meta->flowHandle)
        g_received++;
    FwpsCopyStreamDataToBuffer0(io->streamData, data, sizeof(data), &copied);
    RtlCopyMemory(&g_last_received, data, sizeof(g_last_received));
    if (!g_verdict && HasWait(data, copied)) {
        g_deferrals++;
        g_deferred_flow = meta->flowHandle;
        g_deferred_flags = io->streamData->flags;
        /* Not from here: the engine refuses it within a classifyFn. */
        g_continue_inside = FwpsStreamContinue0(meta->flowHandle, g_stream_id, FWPS_LAYER_STREAM_V4, g_deferred_flags);
        io->streamAction = FWPS_STREAM_ACTION_DEFER;
        out->actionType = FWP_ACTION_NONE;
        return;
    }
    io->streamAction = FWPS_STREAM_ACTION_NONE;
    io->countBytesEnforced = 0;
    out->actionType = FWP_ACTION_PERMIT;
    g_received_permitted += (ULONG)io->streamData->dataLength;
}

static VOID NTAPI StreamClassify(const void *inFixedValues, const void *inMetaValues, void *layerData,
    const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut)
{
    const FWPS_INCOMING_VALUES0 *values = inFixedValues;
    const FWPS_INCOMING_METADATA_VALUES0 *meta = inMetaValues;
    FWPS_STREAM_CALLOUT_IO_PACKET0 *io = layerData;
    FWPS_CLASSIFY_OUT0 *out = classifyOut;
    FLOW_CONTEXT *ctx = (FLOW_CONTEXT *)(ULONG_PTR)flowContext;
    UCHAR data[16] = {0};
    SIZE_T copied = 0, length;
    (void)classifyContext, (void)filter;

    if (io->streamData->flags & FWPS_STREAM_FLAG_RECEIVE) {
        Receive(meta, io, out, ctx);
        return;
    }
    /* While the flow holds its context the stream callout cannot go. */
    if (++g_streamed == 1 && FwpsCalloutUnregisterById0(g_stream_id) == STATUS_DEVICE_BUSY)
        g_unregister_busy = 1;
    if (values->layerId != FWPS_LAYER_STREAM_V4 || !ctx || ctx->magic != 0xF10F || ctx->flow != meta->flowHandle
        || !(io->streamData->flags & FWPS_STREAM_FLAG_SEND))
        g_stream_ok = 0;
    length = io->streamData->dataLength;
    FwpsCopyStreamDataToBuffer0(io->streamData, data, sizeof(data), &copied);
    if (copied != (length < sizeof(data) ? length : sizeof(data)))
        g_stream_ok = 0;
    RtlCopyMemory(&g_last_data, data, sizeof(g_last_data));
    if (length < 5) {
        io->streamAction = FWPS_STREAM_ACTION_NEED_MORE_DATA;
        io->countBytesRequired = (ULONG)(5 - length);
        out->actionType = FWP_ACTION_NONE;
    } else if (HasBad(data, copied)) {
        io->streamAction = FWPS_STREAM_ACTION_DROP_CONNECTION;
        out->actionType = FWP_ACTION_NONE;
    } else {
        io->streamAction = FWPS_STREAM_ACTION_NONE;
        io->countBytesEnforced = 4;
        out->actionType = FWP_ACTION_PERMIT;
        g_stream_permitted += 4;
    }
}

static VOID NTAPI FlowDelete(USHORT layerId, ULONG calloutId, ULONG64 flowContext)
{
    FLOW_CONTEXT *ctx = (FLOW_CONTEXT *)(ULONG_PTR)flowContext;
    if (layerId == FWPS_LAYER_STREAM_V4 && calloutId == g_stream_id && ctx && ctx->magic == 0xF10F) {
        g_deleted++;
        ctx->magic = 0;
        ExFreePoolWithTag(ctx, 'xtCF');
    }
}

/* Blocks UDP, permits the rest (the protocol from the packet's header in the layer data). */
static VOID NTAPI Classify(const void *inFixedValues, const void *inMetaValues, void *layerData,
    const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut)
{
    const FWPS_INCOMING_VALUES0 *values = inFixedValues;
    const FWPS_FILTER0 *f = filter;
    FWPS_CLASSIFY_OUT0 *out = classifyOut;
    NET_BUFFER_LIST *nbl = layerData;
    const FWP_VALUE0 *remote;
    UCHAR header[20];
    const UCHAR *ip;
    ULONG64 handle;
    (void)inMetaValues, (void)flowContext;

    g_classified++;
    g_last_layer = values->layerId;
    remote = &values->incomingValue[FWPS_FIELD_OUTBOUND_IPPACKET_V4_IP_REMOTE_ADDRESS].value;
    g_last_remote = remote->type == FWP_UINT32 ? remote->uint32 : 0;
    g_filter_ok = f->filterId == g_filter_id && f->action.calloutId == g_callout_id
        && f->action.type == FWP_ACTION_CALLOUT_TERMINATING && f->context == 0x5EED;
    /* A classify handle is to be had during the classification, once. */
    g_handle_status = FwpsAcquireClassifyHandle0((void *)classifyContext, 0, &handle);
    if (NT_SUCCESS(g_handle_status)) {
        if (FwpsAcquireClassifyHandle0((void *)classifyContext, 0, &handle) == STATUS_SUCCESS)
            g_handle_status = STATUS_UNSUCCESSFUL;
        FwpsReleaseClassifyHandle0(handle);
    }
    if (!(out->rights & FWPS_RIGHT_ACTION_WRITE))
        return;
    /* The list stays the driver's while it holds a reference. */
    FwpsReferenceNetBufferList0(nbl, FALSE);
    ip = NdisGetDataBuffer(nbl->FirstNetBuffer, sizeof(header), header, 1, 0);
    if (ip && ip[9] == 17) {
        out->actionType = FWP_ACTION_BLOCK;
        out->rights &= ~FWPS_RIGHT_ACTION_WRITE;
        g_blocked++;
    } else {
        out->actionType = FWP_ACTION_PERMIT;
        g_permitted++;
    }
    FwpsDereferenceNetBufferList0(nbl, FALSE);
}

static NTSTATUS NTAPI Notify(ULONG notifyType, const GUID *filterKey, void *filter)
{
    (void)notifyType, (void)filterKey, (void)filter;
    return STATUS_SUCCESS;
}

static VOID NTAPI InjectComplete(void *context, NET_BUFFER_LIST *nbl, BOOLEAN dispatchLevel)
{
    PMDL mdl = nbl->FirstNetBuffer->MdlChain;
    (void)dispatchLevel;
    g_completions++;
    g_completed_status = nbl->Status;
    g_completed_state = FwpsQueryPacketInjectionState0(g_injection, nbl, NULL);
    FwpsFreeNetBufferList0(nbl);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(context, 'tkpW');
}

static NTSTATUS Inject(const UCHAR *packet, ULONG length, ULONG *out)
{
    UCHAR header[20];
    UCHAR *copy, *front;
    PMDL mdl;
    NET_BUFFER_LIST *nbl;
    NET_BUFFER *nb;
    NTSTATUS status;

    if (length < sizeof(header))
        return STATUS_INVALID_PARAMETER;
    copy = ExAllocatePoolWithTag(NonPagedPool, length, 'tkpW');
    if (!copy)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(copy, packet, length);
    mdl = IoAllocateMdl(copy, length, FALSE, FALSE, NULL);
    if (!mdl) {
        ExFreePoolWithTag(copy, 'tkpW');
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(mdl);
    status = FwpsAllocateNetBufferAndNetBufferList0(g_pool, 0, 0, mdl, 0, length, &nbl);
    if (!NT_SUCCESS(status))
        goto fail;
    nb = nbl->FirstNetBuffer;

    /* The IPv4 header, in place (one MDL: contiguous). */
    front = NdisGetDataBuffer(nb, sizeof(header), header, 1, 0);
    if (front != copy || (front[0] >> 4) != 4) {
        status = STATUS_INVALID_PARAMETER;
        goto free_nbl;
    }
    /* Room for an 8-byte header in front: none is unused, so NDIS prepends an MDL. */
    status = NdisRetreatNetBufferDataStart(nb, 8, 0, NULL);
    if (!NT_SUCCESS(status))
        goto free_nbl;
    front = NdisGetDataBuffer(nb, 8, NULL, 1, 0);
    if (!front || nb->MdlChain == mdl) {
        status = STATUS_UNSUCCESSFUL;
        goto free_nbl;
    }
    RtlFillMemory(front, 8, 0xEE);
    /* ...taken off again, with the MDL NDIS made. */
    NdisAdvanceNetBufferDataStart(nb, 8, TRUE, NULL);
    out[4] = nb->DataLength;
    if (nb->MdlChain != mdl || NdisGetDataBuffer(nb, 1, NULL, 1, 0) != copy) {
        status = STATUS_UNSUCCESSFUL;
        goto free_nbl;
    }

    if (FwpsQueryPacketInjectionState0(g_injection, nbl, NULL) != 0) {
        status = STATUS_UNSUCCESSFUL;
        goto free_nbl;
    }
    status = FwpsInjectNetworkSendAsync0(g_injection, NULL, 0, 0, nbl, InjectComplete, copy);
    if (!NT_SUCCESS(status))
        goto free_nbl;
    return status;

free_nbl:
    FwpsFreeNetBufferList0(nbl);
fail:
    IoFreeMdl(mdl);
    ExFreePoolWithTag(copy, 'tkpW');
    return status;
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
    ULONG *out = irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    ULONG_PTR info = 0;
    (void)device;

    switch (CORPUS_CODE(sp)) {
    case IOCTL_WFPC_INJECT: {
        ULONG len = CORPUS_IN_LEN(sp);
        UCHAR packet[64];
        if (len > sizeof(packet) || CORPUS_OUT_LEN(sp) < 5 * sizeof(ULONG)) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        RtlCopyMemory(packet, irp->AssociatedIrp.SystemBuffer, len);
        out[4] = 0;
        out[0] = Inject(packet, len, out);
        out[1] = g_completions;
        out[2] = g_completed_status;
        out[3] = g_completed_state;
        status = STATUS_SUCCESS;
        info = 5 * sizeof(ULONG);
        break;
    }
    case IOCTL_WFPC_IDS:
        if (CORPUS_OUT_LEN(sp) < 3 * sizeof(ULONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        out[0] = g_callout_id;
        out[1] = (ULONG)g_filter_id;
        out[2] = (ULONG)(g_filter_id >> 32);
        status = STATUS_SUCCESS;
        info = 3 * sizeof(ULONG);
        break;
    case IOCTL_WFPC_FLOWS:
        if (CORPUS_OUT_LEN(sp) < 8 * sizeof(ULONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        out[0] = g_associated;
        out[1] = g_streamed;
        out[2] = g_stream_permitted;
        out[3] = g_deleted;
        out[4] = g_stream_ok;
        out[5] = g_last_data;
        out[6] = g_remove_unknown;
        out[7] = g_unregister_busy;
        status = STATUS_SUCCESS;
        info = 8 * sizeof(ULONG);
        break;
    case IOCTL_WFPC_CONTINUE:
        if (CORPUS_OUT_LEN(sp) < 8 * sizeof(ULONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        out[0] = FwpsStreamContinue0(g_deferred_flow, g_stream_id, FWPS_LAYER_STREAM_V6, g_deferred_flags);
        g_verdict = 1;
        out[1] = FwpsStreamContinue0(g_deferred_flow, g_stream_id, FWPS_LAYER_STREAM_V4, g_deferred_flags);
        out[2] = FwpsStreamContinue0(g_deferred_flow, g_stream_id, FWPS_LAYER_STREAM_V4, g_deferred_flags);
        out[3] = g_received;
        out[4] = g_deferrals;
        out[5] = g_received_permitted;
        out[6] = g_last_received;
        out[7] = g_continue_inside;
        status = STATUS_SUCCESS;
        info = 8 * sizeof(ULONG);
        break;
    case IOCTL_WFPC_STATS:
        if (CORPUS_OUT_LEN(sp) < 7 * sizeof(ULONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        out[0] = g_classified;
        out[1] = g_blocked;
        out[2] = g_permitted;
        out[3] = g_last_remote;
        out[4] = g_last_layer;
        out[5] = g_handle_status;
        out[6] = g_filter_ok;
        status = STATUS_SUCCESS;
        info = 7 * sizeof(ULONG);
        break;
    }
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT driver)
{
    UNICODE_STRING link;
    (void)driver;
    FwpsCalloutUnregisterById0(g_callout_id);
    FwpsCalloutUnregisterById0(g_flow_id);
    FwpsCalloutUnregisterById0(g_stream_id);
    FwpmFilterDeleteById0(g_engine, g_stream_filter);
    FwpmFilterDeleteById0(g_engine, g_flow_filter);
    FwpmCalloutDeleteByKey0(g_engine, &STREAM_KEY);
    FwpmCalloutDeleteByKey0(g_engine, &FLOW_KEY);
    FwpmFilterDeleteById0(g_engine, g_filter_id);
    FwpmCalloutDeleteByKey0(g_engine, &CALLOUT_KEY);
    FwpmSubLayerDeleteByKey0(g_engine, &SUBLAYER_KEY);
    FwpmEngineClose0(g_engine);
    FwpsInjectionHandleDestroy0(g_injection);
    NdisFreeNetBufferListPool(g_pool);
    RtlInitUnicodeString(&link, L"\\DosDevices\\WfpCallout");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_device);
}

/* The objects, added in one transaction. */
static NTSTATUS AddObjects(void)
{
    FWPM_SESSION0 session = {0};
    FWPM_SUBLAYER0 sublayer = {0};
    FWPM_CALLOUT0 callout = {0};
    FWPM_FILTER0 filter = {0};
    FWPM_FILTER_CONDITION0 condition = {0};
    NTSTATUS status;

    session.displayData.name = L"wfpcallout session";
    session.flags = FWPM_SESSION_FLAG_DYNAMIC;
    status = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &session, &g_engine);
    if (!NT_SUCCESS(status))
        return status;
    status = FwpmTransactionBegin0(g_engine, 0);
    if (!NT_SUCCESS(status))
        return status;

    sublayer.subLayerKey = SUBLAYER_KEY;
    sublayer.displayData.name = L"wfpcallout sublayer";
    sublayer.weight = 0x100;
    status = FwpmSubLayerAdd0(g_engine, &sublayer, NULL);
    if (!NT_SUCCESS(status))
        return status;

    callout.calloutKey = CALLOUT_KEY;
    callout.displayData.name = L"wfpcallout blocker";
    callout.applicableLayer = LAYER_OUTBOUND_IPPACKET_V4;
    status = FwpmCalloutAdd0(g_engine, &callout, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (FwpmCalloutAdd0(g_engine, &callout, NULL, NULL) != STATUS_FWP_ALREADY_EXISTS)
        return STATUS_UNSUCCESSFUL;

    status = ExUuidCreate(&filter.filterKey);
    if (!NT_SUCCESS(status))
        return status;
    filter.displayData.name = L"wfpcallout: packets to 10.0.0.2";
    filter.layerKey = LAYER_OUTBOUND_IPPACKET_V4;
    filter.subLayerKey = SUBLAYER_KEY;
    filter.weight.type = FWP_EMPTY;
    filter.action.type = FWP_ACTION_CALLOUT_TERMINATING;
    filter.action.calloutKey = CALLOUT_KEY;
    filter.rawContext = 0x5EED;
    condition.fieldKey = CONDITION_IP_REMOTE_ADDRESS;
    condition.matchType = FWP_MATCH_EQUAL;
    condition.conditionValue.type = FWP_UINT32;
    condition.conditionValue.uint32 = 0x0A000002;
    filter.numFilterConditions = 1;
    filter.filterCondition = &condition;
    status = FwpmFilterAdd0(g_engine, &filter, NULL, &g_filter_id);
    if (!NT_SUCCESS(status))
        return status;

    /* The flow and stream callouts, each called by a filter without conditions. */
    callout.calloutKey = FLOW_KEY;
    callout.displayData.name = L"wfpcallout flows";
    callout.applicableLayer = LAYER_FLOW_ESTABLISHED_V4;
    status = FwpmCalloutAdd0(g_engine, &callout, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    callout.calloutKey = STREAM_KEY;
    callout.displayData.name = L"wfpcallout stream";
    callout.applicableLayer = LAYER_STREAM_V4;
    status = FwpmCalloutAdd0(g_engine, &callout, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(&filter, sizeof(filter));
    filter.displayData.name = L"wfpcallout: connections";
    filter.layerKey = LAYER_FLOW_ESTABLISHED_V4;
    filter.subLayerKey = SUBLAYER_KEY;
    filter.action.type = FWP_ACTION_CALLOUT_TERMINATING;
    filter.action.calloutKey = FLOW_KEY;
    status = FwpmFilterAdd0(g_engine, &filter, NULL, &g_flow_filter);
    if (!NT_SUCCESS(status))
        return status;
    filter.displayData.name = L"wfpcallout: stream data";
    filter.layerKey = LAYER_STREAM_V4;
    filter.action.calloutKey = STREAM_KEY;
    status = FwpmFilterAdd0(g_engine, &filter, NULL, &g_stream_filter);
    if (!NT_SUCCESS(status))
        return status;
    return FwpmTransactionCommit0(g_engine);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
    UNICODE_STRING name, link;
    FWPS_CALLOUT1 callout = {0};
    NET_BUFFER_LIST_POOL_PARAMETERS pool = {{0}};
    NTSTATUS status;
    (void)registry;

    RtlInitUnicodeString(&name, L"\\Device\\WfpCallout");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_NETWORK, 0, FALSE, &g_device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\WfpCallout");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status))
        goto fail_device;
    driver->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchIoctl;
    driver->DriverUnload = DriverUnload;

    callout.calloutKey = CALLOUT_KEY;
    callout.classifyFn = Classify;
    callout.notifyFn = Notify;
    status = FwpsCalloutRegister1(g_device, &callout, &g_callout_id);
    if (!NT_SUCCESS(status))
        goto fail_link;
    callout.calloutKey = FLOW_KEY;
    callout.classifyFn = FlowClassify;
    status = FwpsCalloutRegister1(g_device, &callout, &g_flow_id);
    if (!NT_SUCCESS(status))
        goto fail_engine;
    callout.calloutKey = STREAM_KEY;
    callout.classifyFn = StreamClassify;
    callout.flowDeleteFn = FlowDelete;
    status = FwpsCalloutRegister1(g_device, &callout, &g_stream_id);
    if (!NT_SUCCESS(status))
        goto fail_engine;
    /* No such flow. */
    g_remove_unknown = FwpsFlowRemoveContext0(0x1234, FWPS_LAYER_STREAM_V4, g_stream_id);
    status = AddObjects();
    if (!NT_SUCCESS(status))
        goto fail_engine;
    status = FwpsInjectionHandleCreate0(AF_INET, FWPS_INJECTION_TYPE_NETWORK, &g_injection);
    if (!NT_SUCCESS(status))
        goto fail_engine;
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = sizeof(pool);
    pool.fAllocateNetBuffer = TRUE;
    pool.PoolTag = 'lbNW';
    g_pool = NdisAllocateNetBufferListPool(NULL, &pool);
    if (!g_pool) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto fail_injection;
    }
    return STATUS_SUCCESS;

fail_injection:
    FwpsInjectionHandleDestroy0(g_injection);
fail_engine:
    if (g_engine)
        FwpmEngineClose0(g_engine); /* dynamic: what it added goes with it */
    FwpsCalloutUnregisterById0(g_stream_id);
    FwpsCalloutUnregisterById0(g_flow_id);
    FwpsCalloutUnregisterById0(g_callout_id);
fail_link:
    IoDeleteSymbolicLink(&link);
fail_device:
    IoDeleteDevice(g_device);
    return status;
}
