/*
 * wfpredirect: a Windows Filtering Platform connect-redirect callout. DriverEntry registers a
 * callout (FwpsCalloutRegister1) and, in one transaction of a dynamic session, adds it at
 * FWPM_LAYER_ALE_CONNECT_REDIRECT_V4 with a filter on TCP connections to remote port 80.
 *
 * The classify function checks the read-only FWPS_CONNECT_REQUEST0 it gets as layer data
 * against the layer's incoming values, then redirects the connection to 10.0.0.9:8080 as
 * "Using Bind or Connect Redirection" describes: it acquires the classify handle, takes a
 * writable copy of the request (FwpsAcquireWritableLayerDataPointer0, which sets classifyOut
 * to block without the write right; a second copy is refused, as is one for a handle that was
 * never acquired), changes the remote address and port, applies the copy
 * (FwpsApplyModifiedLayerData0), permits, and releases the handle.
 *
 * IOCTL_WFPR_STATS: ULONG[10] = { classified, redirected, the last remote address and port
 * (incoming values), the last layer id, whether the layer data matched them, the status for
 * a handle never acquired, the status of the writable copy, whether the copy and classifyOut
 * were as documented (block, no write right, previousVersion, modifierFilterId, a second copy
 * refused) }.
 *
 * A second callout, at FWPM_LAYER_ALE_BIND_REDIRECT_V4 with a filter on local port 5000, moves
 * the bind to local port 6000 the same way (FWPS_BIND_REQUEST0); IOCTL_WFPR_STATS' tenth ULONG
 * counts the binds moved.
 *
 * Unload takes everything away in reverse order.
 */
#include "corpus.h"
#include "../wfpcallout/wfpmin.h"

#define IOCTL_WFPR_STATS CORPUS_IOCTL(0x900, METHOD_BUFFERED)

/* {5d1e4a20-7b3c-4e0f-8a52-1c9d6e2f3b01} */
static const GUID CALLOUT_KEY = {0x5d1e4a20, 0x7b3c, 0x4e0f, {0x8a, 0x52, 0x1c, 0x9d, 0x6e, 0x2f, 0x3b, 0x01}};
/* {5d1e4a20-7b3c-4e0f-8a52-1c9d6e2f3b02} */
static const GUID SUBLAYER_KEY = {0x5d1e4a20, 0x7b3c, 0x4e0f, {0x8a, 0x52, 0x1c, 0x9d, 0x6e, 0x2f, 0x3b, 0x02}};
/* {5d1e4a20-7b3c-4e0f-8a52-1c9d6e2f3b03} */
static const GUID BIND_CALLOUT_KEY = {0x5d1e4a20, 0x7b3c, 0x4e0f, {0x8a, 0x52, 0x1c, 0x9d, 0x6e, 0x2f, 0x3b, 0x03}};
/* FWPM_LAYER_ALE_BIND_REDIRECT_V4 */
static const GUID LAYER_BIND_REDIRECT_V4 = {0x66978cad, 0xc704, 0x42ac, {0x86, 0xac, 0x7c, 0x1a, 0x23, 0x1b, 0xd2, 0x53}};
/* FWPM_CONDITION_IP_LOCAL_PORT */
static const GUID CONDITION_IP_LOCAL_PORT = {0x0c1ba1af, 0x5765, 0x453f, {0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b}};
/* FWPM_LAYER_ALE_CONNECT_REDIRECT_V4 */
static const GUID LAYER_CONNECT_REDIRECT_V4 = {0xc6e63c8c, 0xb784, 0x4562, {0xaa, 0x7d, 0x0a, 0x67, 0xcf, 0xca, 0xf9, 0xa3}};
/* FWPM_CONDITION_IP_PROTOCOL */
static const GUID CONDITION_IP_PROTOCOL = {0x3971ef2b, 0x623e, 0x4f9a, {0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}};
/* FWPM_CONDITION_IP_REMOTE_PORT */
static const GUID CONDITION_IP_REMOTE_PORT = {0xc35a604d, 0xd22b, 0x4e1a, {0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}};

#define FWPS_LAYER_ALE_CONNECT_REDIRECT_V4 66
#define FWPS_LAYER_ALE_BIND_REDIRECT_V4 68
#define AF_INET_ 2
/* The proxy: 10.0.0.9:8080. */
#define PROXY_ADDRESS 0x0A000009
#define PROXY_PORT 8080

static PDEVICE_OBJECT g_device;
static HANDLE g_engine;
static ULONG g_callout_id, g_bind_callout_id;
static ULONG64 g_filter_id, g_bind_filter_id;

/* What the classify function saw: IOCTL_WFPR_STATS. */
static ULONG g_classified, g_redirected, g_last_remote, g_last_port, g_last_layer, g_request_ok;
static NTSTATUS g_stranger_status = STATUS_PENDING, g_copy_status = STATUS_PENDING;
static ULONG g_copy_ok, g_bound;

static USHORT Swap16(USHORT v) { return (USHORT)((v >> 8) | (v << 8)); }
static ULONG Swap32(ULONG v)
{
    return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

/* Redirects TCP connections to remote port 80 to the proxy. */
static VOID NTAPI Classify(const void *inFixedValues, const void *inMetaValues, void *layerData,
    const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut)
{
    const FWPS_INCOMING_VALUES0 *values = inFixedValues;
    const FWPS_FILTER0 *f = filter;
    FWPS_CLASSIFY_OUT0 *out = classifyOut;
    const FWPS_CONNECT_REQUEST0 *request = layerData;
    const WFP_SOCKADDR_IN *remote;
    FWPS_CONNECT_REQUEST0 *copy = NULL;
    WFP_SOCKADDR_IN *target;
    void *second = NULL;
    ULONG64 handle;
    (void)inMetaValues, (void)flowContext;

    g_classified++;
    g_last_layer = values->layerId;
    g_last_remote = values->incomingValue[FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_REMOTE_ADDRESS].value.uint32;
    g_last_port = values->incomingValue[FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_REMOTE_PORT].value.uint16;
    remote = (const WFP_SOCKADDR_IN *)&request->remoteAddressAndPort;
    g_request_ok = request && values->layerId == FWPS_LAYER_ALE_CONNECT_REDIRECT_V4
        && remote->sin_family == AF_INET_ && Swap32(remote->sin_addr) == g_last_remote
        && Swap16(remote->sin_port) == g_last_port && request->previousVersion == NULL;
    if (!(out->rights & FWPS_RIGHT_ACTION_WRITE))
        return;

    /* No copy for a handle that was never acquired (and classifyOut is left alone). */
    g_stranger_status = FwpsAcquireWritableLayerDataPointer0(0x1234, f->filterId, 0, (void **)&copy, out);
    if (out->actionType != FWP_ACTION_CONTINUE || copy != NULL)
        g_stranger_status = STATUS_UNSUCCESSFUL;

    if (!NT_SUCCESS(FwpsAcquireClassifyHandle0((void *)classifyContext, 0, &handle)))
        return;
    g_copy_status = FwpsAcquireWritableLayerDataPointer0(handle, f->filterId, 0, (void **)&copy, out);
    if (NT_SUCCESS(g_copy_status)) {
        g_copy_ok = copy != request && out->actionType == FWP_ACTION_BLOCK
            && !(out->rights & FWPS_RIGHT_ACTION_WRITE) && copy->previousVersion == request
            && copy->modifierFilterId == f->filterId
            && !NT_SUCCESS(FwpsAcquireWritableLayerDataPointer0(handle, f->filterId, 0, &second, out));
        target = (WFP_SOCKADDR_IN *)&copy->remoteAddressAndPort;
        target->sin_addr = Swap32(PROXY_ADDRESS);
        target->sin_port = Swap16(PROXY_PORT);
        FwpsApplyModifiedLayerData0(handle, copy, 0);
        out->actionType = FWP_ACTION_PERMIT;
        g_redirected++;
    }
    FwpsReleaseClassifyHandle0(handle);
}

/* Moves binds to local port 5000 to port 6000. */
static VOID NTAPI ClassifyBind(const void *inFixedValues, const void *inMetaValues, void *layerData,
    const void *classifyContext, const void *filter, ULONG64 flowContext, void *classifyOut)
{
    const FWPS_INCOMING_VALUES0 *values = inFixedValues;
    const FWPS_FILTER0 *f = filter;
    FWPS_CLASSIFY_OUT0 *out = classifyOut;
    FWPS_BIND_REQUEST0 *copy = NULL;
    ULONG64 handle;
    (void)inMetaValues, (void)flowContext;

    if (values->layerId != FWPS_LAYER_ALE_BIND_REDIRECT_V4 || !layerData || !(out->rights & FWPS_RIGHT_ACTION_WRITE))
        return;
    if (!NT_SUCCESS(FwpsAcquireClassifyHandle0((void *)classifyContext, 0, &handle)))
        return;
    if (NT_SUCCESS(FwpsAcquireWritableLayerDataPointer0(handle, f->filterId, 0, (void **)&copy, out))
        && copy->previousVersion == layerData) {
        ((WFP_SOCKADDR_IN *)&copy->localAddressAndPort)->sin_port = Swap16(6000);
        FwpsApplyModifiedLayerData0(handle, copy, 0);
        out->actionType = FWP_ACTION_PERMIT;
        g_bound++;
    }
    FwpsReleaseClassifyHandle0(handle);
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
    ULONG *out = irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    ULONG_PTR info = 0;
    (void)device;

    if (CORPUS_CODE(sp) == IOCTL_WFPR_STATS) {
        if (CORPUS_OUT_LEN(sp) < 10 * sizeof(ULONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
        } else {
            out[0] = g_classified;
            out[1] = g_redirected;
            out[2] = g_last_remote;
            out[3] = g_last_port;
            out[4] = g_last_layer;
            out[5] = g_request_ok;
            out[6] = g_stranger_status;
            out[7] = g_copy_status;
            out[8] = g_copy_ok;
            out[9] = g_bound;
            status = STATUS_SUCCESS;
            info = 10 * sizeof(ULONG);
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
    (void)driver;
    FwpsCalloutUnregisterById0(g_bind_callout_id);
    FwpsCalloutUnregisterById0(g_callout_id);
    FwpmFilterDeleteById0(g_engine, g_bind_filter_id);
    FwpmFilterDeleteById0(g_engine, g_filter_id);
    FwpmCalloutDeleteByKey0(g_engine, &BIND_CALLOUT_KEY);
    FwpmCalloutDeleteByKey0(g_engine, &CALLOUT_KEY);
    FwpmSubLayerDeleteByKey0(g_engine, &SUBLAYER_KEY);
    FwpmEngineClose0(g_engine);
    RtlInitUnicodeString(&link, L"\\DosDevices\\WfpRedirect");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_device);
}

/* The sublayer, the callouts and their filters, in one transaction. */
static NTSTATUS AddObjects(void)
{
    FWPM_SESSION0 session = {0};
    FWPM_SUBLAYER0 sublayer = {0};
    FWPM_CALLOUT0 callout = {0};
    FWPM_FILTER0 filter = {0};
    FWPM_FILTER_CONDITION0 conditions[2] = {{{0}}};
    NTSTATUS status;

    session.displayData.name = L"wfpredirect session";
    session.flags = FWPM_SESSION_FLAG_DYNAMIC;
    status = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &session, &g_engine);
    if (!NT_SUCCESS(status))
        return status;
    status = FwpmTransactionBegin0(g_engine, 0);
    if (!NT_SUCCESS(status))
        return status;

    sublayer.subLayerKey = SUBLAYER_KEY;
    sublayer.displayData.name = L"wfpredirect sublayer";
    sublayer.weight = 0x100;
    status = FwpmSubLayerAdd0(g_engine, &sublayer, NULL);
    if (!NT_SUCCESS(status))
        return status;

    callout.calloutKey = CALLOUT_KEY;
    callout.displayData.name = L"wfpredirect: to the proxy";
    callout.applicableLayer = LAYER_CONNECT_REDIRECT_V4;
    status = FwpmCalloutAdd0(g_engine, &callout, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;

    filter.displayData.name = L"wfpredirect: TCP to port 80";
    filter.layerKey = LAYER_CONNECT_REDIRECT_V4;
    filter.subLayerKey = SUBLAYER_KEY;
    filter.weight.type = FWP_EMPTY;
    filter.action.type = FWP_ACTION_CALLOUT_TERMINATING;
    filter.action.calloutKey = CALLOUT_KEY;
    conditions[0].fieldKey = CONDITION_IP_PROTOCOL;
    conditions[0].matchType = FWP_MATCH_EQUAL;
    conditions[0].conditionValue.type = FWP_UINT8;
    conditions[0].conditionValue.uint8 = 6;
    conditions[1].fieldKey = CONDITION_IP_REMOTE_PORT;
    conditions[1].matchType = FWP_MATCH_EQUAL;
    conditions[1].conditionValue.type = FWP_UINT16;
    conditions[1].conditionValue.uint16 = 80;
    filter.numFilterConditions = 2;
    filter.filterCondition = conditions;
    status = FwpmFilterAdd0(g_engine, &filter, NULL, &g_filter_id);
    if (!NT_SUCCESS(status))
        return status;

    callout.calloutKey = BIND_CALLOUT_KEY;
    callout.displayData.name = L"wfpredirect: binds to port 6000";
    callout.applicableLayer = LAYER_BIND_REDIRECT_V4;
    status = FwpmCalloutAdd0(g_engine, &callout, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    filter.displayData.name = L"wfpredirect: binds to local port 5000";
    filter.layerKey = LAYER_BIND_REDIRECT_V4;
    filter.action.calloutKey = BIND_CALLOUT_KEY;
    conditions[0].fieldKey = CONDITION_IP_LOCAL_PORT;
    conditions[0].conditionValue.type = FWP_UINT16;
    conditions[0].conditionValue.uint16 = 5000;
    filter.numFilterConditions = 1;
    status = FwpmFilterAdd0(g_engine, &filter, NULL, &g_bind_filter_id);
    if (!NT_SUCCESS(status))
        return status;
    return FwpmTransactionCommit0(g_engine);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
    UNICODE_STRING name, link;
    FWPS_CALLOUT1 callout = {0};
    NTSTATUS status;
    (void)registry;

    RtlInitUnicodeString(&name, L"\\Device\\WfpRedirect");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_NETWORK, 0, FALSE, &g_device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\WfpRedirect");
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
    callout.calloutKey = BIND_CALLOUT_KEY;
    callout.classifyFn = ClassifyBind;
    status = FwpsCalloutRegister1(g_device, &callout, &g_bind_callout_id);
    if (!NT_SUCCESS(status))
        goto fail_engine;
    status = AddObjects();
    if (!NT_SUCCESS(status))
        goto fail_engine;
    return STATUS_SUCCESS;

fail_engine:
    if (g_engine)
        FwpmEngineClose0(g_engine); /* dynamic: what it added goes with it */
    FwpsCalloutUnregisterById0(g_bind_callout_id);
    FwpsCalloutUnregisterById0(g_callout_id);
fail_link:
    IoDeleteSymbolicLink(&link);
fail_device:
    IoDeleteDevice(g_device);
    return status;
}
