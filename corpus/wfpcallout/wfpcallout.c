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
 * Unload takes everything away in reverse order.
 */
#include "corpus.h"
#include "wfpmin.h"

#define IOCTL_WFPC_INJECT CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_WFPC_IDS CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_WFPC_STATS CORPUS_IOCTL(0x902, METHOD_BUFFERED)

/* {6a2b7f10-5c3e-4f0a-9d61-2e8f4c1b7a01} */
static const GUID CALLOUT_KEY = {0x6a2b7f10, 0x5c3e, 0x4f0a, {0x9d, 0x61, 0x2e, 0x8f, 0x4c, 0x1b, 0x7a, 0x01}};
/* {6a2b7f10-5c3e-4f0a-9d61-2e8f4c1b7a02} */
static const GUID SUBLAYER_KEY = {0x6a2b7f10, 0x5c3e, 0x4f0a, {0x9d, 0x61, 0x2e, 0x8f, 0x4c, 0x1b, 0x7a, 0x02}};
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
    FwpsCalloutUnregisterById0(g_callout_id);
fail_link:
    IoDeleteSymbolicLink(&link);
fail_device:
    IoDeleteDevice(g_device);
    return status;
}
