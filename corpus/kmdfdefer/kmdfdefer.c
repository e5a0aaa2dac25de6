/*
 * kmdfdefer - a KMDF control device whose requests are finished by deferred work, and whose
 * settings come from its Parameters key through the framework's registry objects.
 *
 * DriverEntry opens the Parameters key (WdfDriverOpenParametersRegistryKey) and reads:
 *   DelayMs  REG_DWORD     WdfRegistryQueryULong (missing: 10)
 *   Tag      REG_SZ        WdfRegistryQueryString into a WDFSTRING, and again with
 *                          WdfRegistryQueryUnicodeString into a buffer of its own
 *   Names    REG_MULTI_SZ  WdfRegistryQueryMultiString into a WDFCOLLECTION of WDFSTRINGs
 *   Blob     any type      WdfRegistryQueryValue (length and type) and WdfRegistryQueryMemory
 * then closes it. The device \Device\KmdfDefer (link \DosDevices\KmdfDefer) owns a WDFDPC,
 * a one-shot WDFTIMER, a WDFWORKITEM, a WDFSPINLOCK and a WDFWAITLOCK.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x900 SETTINGS code 0x80002400: ULONG[6] = DelayMs, the number of Names, the Tag's
 *                  length in bytes (WdfStringGetUnicodeString), the UnicodeString copy's
 *                  length, the Blob's length and type; then the Tag's text and the first
 *                  name's (UTF-16, each NUL-terminated). Information: all of it.
 *   0x901 DEFER    code 0x80002404: the request waits in a manual queue; the DPC (queued
 *                  here) counts under the spin lock and starts the timer for DelayMs; the
 *                  timer's callback queues the work item, which takes the wait lock and
 *                  completes the request with ULONG[4] = DPC runs, timer runs, work item
 *                  runs, and whether each object names the device as its parent (7).
 *   0x902 TRYLOCK  code 0x80002408: the wait lock taken, then tried again with a zero
 *                  timeout: ULONG[2] = both statuses (0, STATUS_TIMEOUT 0x102); released.
 *   0x903 FLUSH    code 0x8000240C: the work item queued and flushed: ULONG = its runs.
 * Unload deletes the device: the framework runs its DPC, timer and work item down.
 */
#include "corpus.h"
#include "kmdf.h"

#define IOCTL_SETTINGS CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_DEFER CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_TRYLOCK CORPUS_IOCTL(0x902, METHOD_BUFFERED)
#define IOCTL_FLUSH CORPUS_IOCTL(0x903, METHOD_BUFFERED)

/* A framework call by name: WDF(WdfDpcEnqueue, BOOLEAN, (WDFDPC))(dpc). */
#define WDF(name, ret, params) ((ret(NTAPI *) params)WdfFunctions[name##TableIndex])
#define G PWDF_DRIVER_GLOBALS

typedef struct {
    WDFQUEUE Waiting;
    WDFDPC Dpc;
    WDFTIMER Timer;
    WDFWORKITEM Work;
    WDFSPINLOCK Lock;
    WDFWAITLOCK WaitLock;
    ULONG DpcRuns, TimerRuns, WorkRuns;
} DEVICE_CONTEXT;
KMDF_CONTEXT_TYPE(DEVICE_CONTEXT, DeviceContext)

static WDFDEVICE Device;
static ULONG DelayMs = 10, NameCount, TagBytes, TagCopyBytes, BlobLength, BlobType;
static WCHAR TagText[32], FirstName[32];

static VOID Complete(WDFREQUEST r, NTSTATUS status, ULONG_PTR information)
{
    WDF(WdfRequestCompleteWithInformation, VOID, (G, WDFREQUEST, NTSTATUS, ULONG_PTR))(WdfDriverGlobals, r, status,
                                                                                     information);
}

static NTSTATUS Output(WDFREQUEST r, SIZE_T min, PVOID *buf)
{
    SIZE_T len;
    return WDF(WdfRequestRetrieveOutputBuffer, NTSTATUS, (G, WDFREQUEST, SIZE_T, PVOID *, SIZE_T *))(
        WdfDriverGlobals, r, min, buf, &len);
}

static VOID NTAPI EvtWork(WDFWORKITEM Work)
{
    WDFDEVICE device = WDF(WdfWorkItemGetParentObject, WDFOBJECT, (G, WDFWORKITEM))(WdfDriverGlobals, Work);
    DEVICE_CONTEXT *ctx = DeviceContext(device);
    WDFREQUEST request;
    ULONG *out;

    WDF(WdfWaitLockAcquire, NTSTATUS, (G, WDFWAITLOCK, PLONGLONG))(WdfDriverGlobals, ctx->WaitLock, NULL);
    ctx->WorkRuns++;
    if (NT_SUCCESS(WDF(WdfIoQueueRetrieveNextRequest, NTSTATUS, (G, WDFQUEUE, WDFREQUEST *))(WdfDriverGlobals,
                                                                                         ctx->Waiting, &request))) {
        if (NT_SUCCESS(Output(request, 4 * sizeof(ULONG), (PVOID *)&out))) {
            out[0] = ctx->DpcRuns;
            out[1] = ctx->TimerRuns;
            out[2] = ctx->WorkRuns;
            out[3] = (WDF(WdfDpcGetParentObject, WDFOBJECT, (G, WDFDPC))(WdfDriverGlobals, ctx->Dpc) == device) |
                     (WDF(WdfTimerGetParentObject, WDFOBJECT, (G, WDFTIMER))(WdfDriverGlobals, ctx->Timer) == device) << 1 |
                     (WDF(WdfWorkItemGetParentObject, WDFOBJECT, (G, WDFWORKITEM))(WdfDriverGlobals, Work) == device) << 2;
            Complete(request, STATUS_SUCCESS, 4 * sizeof(ULONG));
        } else {
            Complete(request, STATUS_BUFFER_TOO_SMALL, 0);
        }
    }
    WDF(WdfWaitLockRelease, VOID, (G, WDFWAITLOCK))(WdfDriverGlobals, ctx->WaitLock);
}

static VOID NTAPI EvtTimer(WDFTIMER Timer)
{
    DEVICE_CONTEXT *ctx =
        DeviceContext(WDF(WdfTimerGetParentObject, WDFOBJECT, (G, WDFTIMER))(WdfDriverGlobals, Timer));
    ctx->TimerRuns++;
    WDF(WdfWorkItemEnqueue, VOID, (G, WDFWORKITEM))(WdfDriverGlobals, ctx->Work);
}

static VOID NTAPI EvtDpc(WDFDPC Dpc)
{
    DEVICE_CONTEXT *ctx = DeviceContext(WDF(WdfDpcGetParentObject, WDFOBJECT, (G, WDFDPC))(WdfDriverGlobals, Dpc));
    WDF(WdfSpinLockAcquire, VOID, (G, WDFSPINLOCK))(WdfDriverGlobals, ctx->Lock);
    ctx->DpcRuns++;
    WDF(WdfSpinLockRelease, VOID, (G, WDFSPINLOCK))(WdfDriverGlobals, ctx->Lock);
    WDF(WdfTimerStart, BOOLEAN, (G, WDFTIMER, LONGLONG))(WdfDriverGlobals, ctx->Timer, KMDF_REL_MS(DelayMs));
}

static VOID NTAPI EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T OutputBufferLength,
                                     SIZE_T InputBufferLength, ULONG IoControlCode)
{
    DEVICE_CONTEXT *ctx = DeviceContext(WDF(WdfIoQueueGetDevice, WDFDEVICE, (G, WDFQUEUE))(WdfDriverGlobals, Queue));
    ULONG *out;
    NTSTATUS status;
    (void)OutputBufferLength;
    (void)InputBufferLength;

    switch (IoControlCode) {
    case IOCTL_SETTINGS:
        status = Output(Request, 6 * sizeof(ULONG) + sizeof(TagText) + sizeof(FirstName), (PVOID *)&out);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        out[0] = DelayMs;
        out[1] = NameCount;
        out[2] = TagBytes;
        out[3] = TagCopyBytes;
        out[4] = BlobLength;
        out[5] = BlobType;
        RtlCopyMemory(out + 6, TagText, sizeof(TagText));
        RtlCopyMemory((PUCHAR)(out + 6) + sizeof(TagText), FirstName, sizeof(FirstName));
        Complete(Request, STATUS_SUCCESS, 6 * sizeof(ULONG) + sizeof(TagText) + sizeof(FirstName));
        return;
    case IOCTL_DEFER:
        status = WDF(WdfRequestForwardToIoQueue, NTSTATUS, (G, WDFREQUEST, WDFQUEUE))(WdfDriverGlobals, Request,
                                                                                  ctx->Waiting);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        WDF(WdfDpcEnqueue, BOOLEAN, (G, WDFDPC))(WdfDriverGlobals, ctx->Dpc);
        return;
    case IOCTL_TRYLOCK: {
        LONGLONG zero = 0;
        status = Output(Request, 2 * sizeof(ULONG), (PVOID *)&out);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        out[0] = WDF(WdfWaitLockAcquire, NTSTATUS, (G, WDFWAITLOCK, PLONGLONG))(WdfDriverGlobals, ctx->WaitLock, NULL);
        out[1] = WDF(WdfWaitLockAcquire, NTSTATUS, (G, WDFWAITLOCK, PLONGLONG))(WdfDriverGlobals, ctx->WaitLock, &zero);
        WDF(WdfWaitLockRelease, VOID, (G, WDFWAITLOCK))(WdfDriverGlobals, ctx->WaitLock);
        Complete(Request, STATUS_SUCCESS, 2 * sizeof(ULONG));
        return;
    }
    case IOCTL_FLUSH:
        status = Output(Request, sizeof(ULONG), (PVOID *)&out);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        WDF(WdfWorkItemEnqueue, VOID, (G, WDFWORKITEM))(WdfDriverGlobals, ctx->Work);
        WDF(WdfWorkItemFlush, VOID, (G, WDFWORKITEM))(WdfDriverGlobals, ctx->Work);
        *out = ctx->WorkRuns;
        Complete(Request, STATUS_SUCCESS, sizeof(ULONG));
        return;
    default:
        Complete(Request, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

/* Copies a counted string into a NUL-terminated buffer of 32 characters. */
static VOID CopyText(PWCHAR dest, PCUNICODE_STRING s)
{
    USHORT n = s->Length / sizeof(WCHAR);
    if (n > 31)
        n = 31;
    RtlCopyMemory(dest, s->Buffer, n * sizeof(WCHAR));
    dest[n] = 0;
}

static VOID ReadSettings(WDFDRIVER driver)
{
    UNICODE_STRING delay = RTL_CONSTANT_STRING(L"DelayMs"), tag = RTL_CONSTANT_STRING(L"Tag"),
                   names = RTL_CONSTANT_STRING(L"Names"), blob = RTL_CONSTANT_STRING(L"Blob"), text;
    WCHAR copy[32];
    UNICODE_STRING copied = {0, sizeof(copy), copy};
    WDFKEY key;
    WDFSTRING string;
    WDFCOLLECTION collection;
    WDFMEMORY memory;
    ULONG value;

    if (!NT_SUCCESS(WDF(WdfDriverOpenParametersRegistryKey, NTSTATUS,
                        (G, WDFDRIVER, ACCESS_MASK, PWDF_OBJECT_ATTRIBUTES, WDFKEY *))(WdfDriverGlobals, driver,
                                                                                      KEY_READ, NULL, &key)))
        return;
    if (NT_SUCCESS(WDF(WdfRegistryQueryULong, NTSTATUS, (G, WDFKEY, PCUNICODE_STRING, PULONG))(WdfDriverGlobals, key,
                                                                                           &delay, &value)))
        DelayMs = value;
    if (NT_SUCCESS(WDF(WdfStringCreate, NTSTATUS, (G, PCUNICODE_STRING, PWDF_OBJECT_ATTRIBUTES, WDFSTRING *))(
            WdfDriverGlobals, NULL, NULL, &string))) {
        if (NT_SUCCESS(WDF(WdfRegistryQueryString, NTSTATUS, (G, WDFKEY, PCUNICODE_STRING, WDFSTRING))(
                WdfDriverGlobals, key, &tag, string))) {
            WDF(WdfStringGetUnicodeString, VOID, (G, WDFSTRING, PUNICODE_STRING))(WdfDriverGlobals, string, &text);
            TagBytes = text.Length;
            CopyText(TagText, &text);
        }
        WDF(WdfObjectDelete, VOID, (G, WDFOBJECT))(WdfDriverGlobals, string);
    }
    if (NT_SUCCESS(WDF(WdfRegistryQueryUnicodeString, NTSTATUS,
                       (G, WDFKEY, PCUNICODE_STRING, PUSHORT, PUNICODE_STRING))(WdfDriverGlobals, key, &tag, NULL,
                                                                                &copied)))
        TagCopyBytes = copied.Length;
    if (NT_SUCCESS(WDF(WdfCollectionCreate, NTSTATUS, (G, PWDF_OBJECT_ATTRIBUTES, WDFCOLLECTION *))(
            WdfDriverGlobals, NULL, &collection))) {
        WDF_OBJECT_ATTRIBUTES attributes;
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = collection; /* the strings go with the collection */
        if (NT_SUCCESS(WDF(WdfRegistryQueryMultiString, NTSTATUS,
                           (G, WDFKEY, PCUNICODE_STRING, PWDF_OBJECT_ATTRIBUTES, WDFCOLLECTION))(
                WdfDriverGlobals, key, &names, &attributes, collection))) {
            NameCount = WDF(WdfCollectionGetCount, ULONG, (G, WDFCOLLECTION))(WdfDriverGlobals, collection);
            if (NameCount != 0) {
                string = WDF(WdfCollectionGetItem, WDFOBJECT, (G, WDFCOLLECTION, ULONG))(WdfDriverGlobals,
                                                                                        collection, 0);
                WDF(WdfStringGetUnicodeString, VOID, (G, WDFSTRING, PUNICODE_STRING))(WdfDriverGlobals, string,
                                                                                   &text);
                CopyText(FirstName, &text);
            }
        }
        WDF(WdfObjectDelete, VOID, (G, WDFOBJECT))(WdfDriverGlobals, collection);
    }
    WDF(WdfRegistryQueryValue, NTSTATUS, (G, WDFKEY, PCUNICODE_STRING, ULONG, PVOID, PULONG, PULONG))(
        WdfDriverGlobals, key, &blob, 0, NULL, &BlobLength, &BlobType);
    if (NT_SUCCESS(WDF(WdfRegistryQueryMemory, NTSTATUS,
                       (G, WDFKEY, PCUNICODE_STRING, POOL_TYPE, PWDF_OBJECT_ATTRIBUTES, WDFMEMORY *, PULONG))(
            WdfDriverGlobals, key, &blob, NonPagedPool, NULL, &memory, NULL))) {
        SIZE_T size = 0;
        WDF(WdfMemoryGetBuffer, PVOID, (G, WDFMEMORY, SIZE_T *))(WdfDriverGlobals, memory, &size);
        if (size != BlobLength)
            BlobLength = 0xFFFFFFFF;
        WDF(WdfObjectDelete, VOID, (G, WDFOBJECT))(WdfDriverGlobals, memory);
    }
    WDF(WdfRegistryClose, VOID, (G, WDFKEY))(WdfDriverGlobals, key);
}

/* The device's deferred-work objects, each a child of the device. */
static NTSTATUS CreateObjects(DEVICE_CONTEXT *ctx)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_DPC_CONFIG dpc = {sizeof(dpc), EvtDpc, FALSE};
    WDF_TIMER_CONFIG timer = {sizeof(timer), EvtTimer, 0, TRUE, 0, FALSE};
    WDF_WORKITEM_CONFIG work = {sizeof(work), EvtWork, TRUE};
    NTSTATUS status;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = Device;
    status = WDF(WdfDpcCreate, NTSTATUS, (G, WDF_DPC_CONFIG *, PWDF_OBJECT_ATTRIBUTES, WDFDPC *))(
        WdfDriverGlobals, &dpc, &attributes, &ctx->Dpc);
    if (NT_SUCCESS(status))
        status = WDF(WdfTimerCreate, NTSTATUS, (G, WDF_TIMER_CONFIG *, PWDF_OBJECT_ATTRIBUTES, WDFTIMER *))(
            WdfDriverGlobals, &timer, &attributes, &ctx->Timer);
    if (NT_SUCCESS(status))
        status = WDF(WdfWorkItemCreate, NTSTATUS, (G, WDF_WORKITEM_CONFIG *, PWDF_OBJECT_ATTRIBUTES, WDFWORKITEM *))(
            WdfDriverGlobals, &work, &attributes, &ctx->Work);
    if (NT_SUCCESS(status))
        status = WDF(WdfSpinLockCreate, NTSTATUS, (G, PWDF_OBJECT_ATTRIBUTES, WDFSPINLOCK *))(WdfDriverGlobals,
                                                                                          &attributes, &ctx->Lock);
    if (NT_SUCCESS(status))
        status = WDF(WdfWaitLockCreate, NTSTATUS, (G, PWDF_OBJECT_ATTRIBUTES, WDFWAITLOCK *))(
            WdfDriverGlobals, &attributes, &ctx->WaitLock);
    return status;
}

static NTSTATUS NTAPI KmdfDeferEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config = {sizeof(config), NULL, NULL, WdfDriverInitNonPnpDriver, 0};
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queue;
    WDFDRIVER driver;
    PWDFDEVICE_INIT init;
    DEVICE_CONTEXT *ctx;
    NTSTATUS status;
    UNICODE_STRING sddl = RTL_CONSTANT_STRING(L"D:P(A;;GA;;;SY)(A;;GA;;;BA)");
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\KmdfDefer");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\KmdfDefer");

    status = WDF(WdfDriverCreate, NTSTATUS,
                 (G, PDRIVER_OBJECT, PUNICODE_STRING, PWDF_OBJECT_ATTRIBUTES, PWDF_DRIVER_CONFIG, WDFDRIVER *))(
        WdfDriverGlobals, DriverObject, RegistryPath, NULL, &config, &driver);
    if (!NT_SUCCESS(status))
        return status;
    ReadSettings(driver);

    init = WDF(WdfControlDeviceInitAllocate, PWDFDEVICE_INIT, (G, WDFDRIVER, PUNICODE_STRING))(WdfDriverGlobals,
                                                                                             driver, &sddl);
    if (init == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    WDF(WdfDeviceInitSetDeviceType, VOID, (G, PWDFDEVICE_INIT, ULONG))(WdfDriverGlobals, init, CORPUS_DEVICE_TYPE);
    status = WDF(WdfDeviceInitAssignName, NTSTATUS, (G, PWDFDEVICE_INIT, PUNICODE_STRING))(WdfDriverGlobals, init,
                                                                                        &name);
    if (!NT_SUCCESS(status))
        return status;
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ContextTypeInfo = &DEVICE_CONTEXT_TYPE_INFO;
    status = WDF(WdfDeviceCreate, NTSTATUS, (G, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
        WdfDriverGlobals, &init, &attributes, &Device);
    if (!NT_SUCCESS(status))
        return status;
    status = WDF(WdfDeviceCreateSymbolicLink, NTSTATUS, (G, WDFDEVICE, PUNICODE_STRING))(WdfDriverGlobals, Device,
                                                                                       &link);
    if (!NT_SUCCESS(status))
        return status;
    ctx = DeviceContext(Device);

    RtlZeroMemory(&queue, sizeof(queue));
    queue.Size = sizeof(queue);
    queue.DispatchType = WdfIoQueueDispatchSequential;
    queue.PowerManaged = 2;
    queue.DefaultQueue = TRUE;
    queue.EvtIoDeviceControl = EvtIoDeviceControl;
    status = WDF(WdfIoQueueCreate, NTSTATUS, (G, WDFDEVICE, PWDF_IO_QUEUE_CONFIG, PWDF_OBJECT_ATTRIBUTES, WDFQUEUE *))(
        WdfDriverGlobals, Device, &queue, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(&queue, sizeof(queue));
    queue.Size = sizeof(queue);
    queue.DispatchType = WdfIoQueueDispatchManual;
    queue.PowerManaged = 2;
    status = WDF(WdfIoQueueCreate, NTSTATUS, (G, WDFDEVICE, PWDF_IO_QUEUE_CONFIG, PWDF_OBJECT_ATTRIBUTES, WDFQUEUE *))(
        WdfDriverGlobals, Device, &queue, NULL, &ctx->Waiting);
    if (!NT_SUCCESS(status))
        return status;
    status = CreateObjects(ctx);
    if (!NT_SUCCESS(status))
        return status;
    WDF(WdfControlFinishInitializing, VOID, (G, WDFDEVICE))(WdfDriverGlobals, Device);
    DbgPrint("kmdfdefer: ready, delay %lu ms, %lu names\n", DelayMs, NameCount);
    return STATUS_SUCCESS;
}

KMDF_DRIVER_ENTRY(KmdfDeferEntry)
