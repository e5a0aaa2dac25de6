/*
 * ndisfilter: an NDIS 6 filter driver. DriverEntry registers the filter
 * (NdisFRegisterFilterDriver, NDIS 6.0 characteristics) and a NET_BUFFER_LIST pool; NDIS
 * attaches a module of it to the adapter, whose FilterAttach keeps the MAC address of the
 * attach parameters and sets its context (NdisFSetAttributes). FilterRestart asks the
 * adapter for its current address and frame size (NdisFOidRequest queries) and sets the
 * packet filter to directed and broadcast frames.
 *
 * IOCTL_NDISF_SEND: the input is an Ethernet frame; the driver copies it into a net buffer
 * list and sends it (NdisFSendNetBufferLists). FilterSendNetBufferListsComplete counts it,
 * keeps its status and frees it.
 *
 * Received frames (FilterReceiveNetBufferLists): a frame of EtherType 0x88B5 (the IEEE's
 * local experimental type) is dropped, returned at once (NdisFReturnNetBufferLists); the
 * others are passed up (NdisFIndicateReceiveNetBufferLists) and, when NDIS gives them back
 * (FilterReturnNetBufferLists), returned down.
 *
 * The receive counts are kept under an NDIS spin lock (NdisAllocateSpinLock): the receive
 * handler runs at DISPATCH_LEVEL (raising there itself when NDIS indicates at PASSIVE_LEVEL,
 * NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL clear) and takes it with NdisDprAcquireSpinLock and
 * NdisDprReleaseSpinLock, which hold and free the lock without changing the IRQL; the stats
 * request reads them under NdisAcquireSpinLock, which raises to DISPATCH_LEVEL until
 * NdisReleaseSpinLock restores the IRQL it came from.
 *
 * IOCTL_NDISF_STATS: ULONG[11] = { attaches, restarts, the queried address matches the
 * attach parameters' (1), frame size, packet filter set status, sends completed, status of
 * the last send, frames passed up, frames dropped, lock checks made, lock checks failed }.
 *
 * Unload deregisters the filter (NDIS pauses and detaches the module) and frees the pool.
 */
#include "corpus.h"
#include "ndisfiltermin.h"

#define IOCTL_NDISF_SEND CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_NDISF_STATS CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define DROPPED_ETHERTYPE 0x88B5

static PDEVICE_OBJECT g_device;
static NDIS_HANDLE g_driver_handle;
static NDIS_HANDLE g_filter_handle;
static NDIS_HANDLE g_pool;
static UCHAR g_attach_mac[6];
static ULONG g_stats[11];
static NDIS_SPIN_LOCK g_lock;

/* A lock check: g_stats[9] counts them, g_stats[10] those that failed. */
static void LockCheck(BOOLEAN ok)
{
    g_stats[9]++;
    if (!ok)
        g_stats[10]++;
}
static ULONG g_detached;

/* The module's context: what NdisFSetAttributes registers. */
static struct { ULONG signature; } g_module = {'mFdN'};

static NDIS_STATUS NTAPI FilterAttach(NDIS_HANDLE ndis_handle, NDIS_HANDLE driver_context,
    PNDIS_FILTER_ATTACH_PARAMETERS params)
{
    NDIS_FILTER_ATTRIBUTES attributes;
    if (driver_context != (NDIS_HANDLE)&g_module || params->MacAddressLength != 6)
        return NDIS_STATUS_FAILURE;
    RtlCopyMemory(g_attach_mac, params->CurrentMacAddress, 6);
    RtlZeroMemory(&attributes, sizeof(attributes));
    attributes.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES;
    attributes.Header.Revision = 1;
    attributes.Header.Size = sizeof(attributes);
    g_filter_handle = ndis_handle;
    g_stats[0]++;
    return NdisFSetAttributes(ndis_handle, &g_module, &attributes);
}

static VOID NTAPI FilterDetach(NDIS_HANDLE context)
{
    if (context == &g_module)
        g_detached++;
    g_filter_handle = NULL;
}

/* One OID request to the adapter: a query or a set of `length` bytes at `buffer`. */
static NDIS_STATUS Oid(NDIS_REQUEST_TYPE type, ULONG oid, void *buffer, ULONG length)
{
    NDIS_OID_REQUEST request;
    RtlZeroMemory(&request, sizeof(request));
    request.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    request.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    request.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    request.RequestType = type;
    request.DATA.QUERY_INFORMATION.Oid = oid;
    request.DATA.QUERY_INFORMATION.InformationBuffer = buffer;
    request.DATA.QUERY_INFORMATION.InformationBufferLength = length;
    return NdisFOidRequest(g_filter_handle, &request);
}

static NDIS_STATUS NTAPI FilterRestart(NDIS_HANDLE context, NDIS_FILTER_RESTART_PARAMETERS *params)
{
    UCHAR mac[6];
    ULONG frame_size = 0, packet_filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    (void)params;
    if (context != &g_module)
        return NDIS_STATUS_FAILURE;
    g_stats[1]++;
    if (Oid(NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, sizeof(mac)) == NDIS_STATUS_SUCCESS)
        g_stats[2] = RtlCompareMemory(mac, g_attach_mac, 6) == 6;
    if (Oid(NdisRequestQueryInformation, OID_GEN_MAXIMUM_FRAME_SIZE, &frame_size, sizeof(frame_size)) ==
        NDIS_STATUS_SUCCESS)
        g_stats[3] = frame_size;
    g_stats[4] = Oid(NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &packet_filter, sizeof(packet_filter));
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS NTAPI FilterPause(NDIS_HANDLE context, NDIS_FILTER_PAUSE_PARAMETERS *params)
{
    (void)params;
    return context == &g_module ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

static VOID NTAPI FilterSendComplete(NDIS_HANDLE context, PNET_BUFFER_LIST lists, ULONG flags)
{
    (void)context, (void)flags;
    while (lists) {
        PNET_BUFFER_LIST next = lists->Next;
        PMDL mdl = lists->FirstNetBuffer->MdlChain;
        void *data = MmGetMdlVirtualAddress(mdl);
        g_stats[5]++;
        g_stats[6] = lists->Status;
        NdisFreeNetBufferList(lists);
        IoFreeMdl(mdl);
        ExFreePoolWithTag(data, 'xTdN');
        lists = next;
    }
}

static NTSTATUS Send(const UCHAR *frame, ULONG length)
{
    UCHAR *copy;
    PMDL mdl;
    PNET_BUFFER_LIST nbl;
    if (length < 14 || !g_filter_handle)
        return STATUS_INVALID_PARAMETER;
    copy = ExAllocatePoolWithTag(NonPagedPool, length, 'xTdN');
    if (!copy)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(copy, frame, length);
    mdl = IoAllocateMdl(copy, length, FALSE, FALSE, NULL);
    if (!mdl) {
        ExFreePoolWithTag(copy, 'xTdN');
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(mdl);
    nbl = NdisAllocateNetBufferAndNetBufferList(g_pool, 0, 0, mdl, 0, length);
    if (!nbl) {
        IoFreeMdl(mdl);
        ExFreePoolWithTag(copy, 'xTdN');
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    nbl->SourceHandle = g_filter_handle;
    NdisFSendNetBufferLists(g_filter_handle, nbl, 0, 0);
    return STATUS_SUCCESS;
}

/* Whether a received list's first frame is one to drop. */
static BOOLEAN Drop(PNET_BUFFER_LIST nbl)
{
    UCHAR storage[14];
    UCHAR *header = NdisGetDataBuffer(nbl->FirstNetBuffer, sizeof(storage), storage, 1, 0);
    return header && ((header[12] << 8) | header[13]) == DROPPED_ETHERTYPE;
}

/* Counts a received frame under the lock, at DISPATCH_LEVEL (raised to it here when NDIS
 * indicated at PASSIVE_LEVEL: NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL clear). */
static void Count(ULONG which, ULONG flags)
{
    KIRQL old = PASSIVE_LEVEL;
    BOOLEAN raise = !(flags & 1);
    if (raise)
        KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisDprAcquireSpinLock(&g_lock);
    LockCheck(g_lock.SpinLock != 0 && KeGetCurrentIrql() == DISPATCH_LEVEL);
    g_stats[which]++;
    NdisDprReleaseSpinLock(&g_lock);
    LockCheck(g_lock.SpinLock == 0 && KeGetCurrentIrql() == DISPATCH_LEVEL);
    if (raise)
        KeLowerIrql(old);
}

static VOID NTAPI FilterReceive(NDIS_HANDLE context, PNET_BUFFER_LIST lists, NDIS_PORT_NUMBER port, ULONG count,
    ULONG flags)
{
    (void)context, (void)count;
    while (lists) {
        PNET_BUFFER_LIST next = lists->Next;
        BOOLEAN drop = Drop(lists);
        lists->Next = NULL;
        Count(drop ? 8 : 7, flags);
        if (drop)
            NdisFReturnNetBufferLists(g_filter_handle, lists, flags & 1);
        else
            NdisFIndicateReceiveNetBufferLists(g_filter_handle, lists, port, 1, flags);
        lists = next;
    }
}

static VOID NTAPI FilterReturn(NDIS_HANDLE context, PNET_BUFFER_LIST lists, ULONG flags)
{
    (void)context;
    NdisFReturnNetBufferLists(g_filter_handle, lists, flags);
}

static NTSTATUS NTAPI DispatchIoctl(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    (void)device;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_NDISF_SEND: {
        UCHAR frame[128];
        ULONG len = CORPUS_IN_LEN(sp);
        if (len > sizeof(frame))
            return CorpusComplete(irp, STATUS_INVALID_PARAMETER, 0);
        RtlCopyMemory(frame, buffer, len);
        return CorpusComplete(irp, Send(frame, len), 0);
    }
    case IOCTL_NDISF_STATS:
        if (CORPUS_OUT_LEN(sp) < sizeof(g_stats))
            return CorpusComplete(irp, STATUS_BUFFER_TOO_SMALL, 0);
        NdisAcquireSpinLock(&g_lock);
        LockCheck(g_lock.SpinLock != 0 && KeGetCurrentIrql() == DISPATCH_LEVEL);
        RtlCopyMemory(buffer, g_stats, sizeof(g_stats));
        NdisReleaseSpinLock(&g_lock);
        LockCheck(g_lock.SpinLock == 0 && KeGetCurrentIrql() == PASSIVE_LEVEL);
        return CorpusComplete(irp, STATUS_SUCCESS, sizeof(g_stats));
    }
    return CorpusComplete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT driver)
{
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NdisFilter");
    (void)driver;
    NdisFDeregisterFilterDriver(g_driver_handle);
    if (g_detached != 1)
        DbgPrint("ndisfilter: the module was not detached\n");
    NdisFreeNetBufferListPool(g_pool);
    NdisFreeSpinLock(&g_lock);
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\NdisFilter");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NdisFilter");
    NDIS_FILTER_DRIVER_CHARACTERISTICS chars;
    NET_BUFFER_LIST_POOL_PARAMETERS pool;
    NTSTATUS status;
    (void)registry_path;

    status = IoCreateDevice(driver, 0, &name, CORPUS_DEVICE_TYPE, 0, FALSE, &g_device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status))
        goto no_link;
    driver->MajorFunction[IRP_MJ_CREATE] = CorpusDispatchSuccess;
    driver->MajorFunction[IRP_MJ_CLOSE] = CorpusDispatchSuccess;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchIoctl;
    NdisAllocateSpinLock(&g_lock);

    RtlZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = sizeof(chars);
    chars.MajorNdisVersion = 6;
    chars.MinorNdisVersion = 0;
    chars.MajorDriverVersion = 1;
    RtlInitUnicodeString(&chars.FriendlyName, L"Portcullis NDIS test filter");
    RtlInitUnicodeString(&chars.UniqueName, L"{0c1f7a52-6b3d-4e29-8a70-5d4c3b2a1f09}");
    RtlInitUnicodeString(&chars.ServiceName, L"ndisfilter");
    chars.AttachHandler = FilterAttach;
    chars.DetachHandler = FilterDetach;
    chars.RestartHandler = FilterRestart;
    chars.PauseHandler = FilterPause;
    chars.SendNetBufferListsCompleteHandler = FilterSendComplete;
    chars.ReceiveNetBufferListsHandler = FilterReceive;
    chars.ReturnNetBufferListsHandler = FilterReturn;
    status = NdisFRegisterFilterDriver(driver, &g_module, &chars, &g_driver_handle);
    if (status != NDIS_STATUS_SUCCESS)
        goto no_filter;

    RtlZeroMemory(&pool, sizeof(pool));
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = 1;
    pool.Header.Size = sizeof(pool);
    pool.fAllocateNetBuffer = TRUE;
    pool.PoolTag = 'lPdN';
    g_pool = NdisAllocateNetBufferListPool(g_driver_handle, &pool);
    if (!g_pool) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        NdisFDeregisterFilterDriver(g_driver_handle);
        goto no_filter;
    }
    driver->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;

no_filter:
    IoDeleteSymbolicLink(&link);
no_link:
    IoDeleteDevice(g_device);
    return status;
}
