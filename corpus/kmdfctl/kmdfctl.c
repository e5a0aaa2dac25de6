/*
 * kmdfctl - a KMDF control-device driver: bound to the framework by its own FxDriverEntry
 * equivalent (include/kmdf.h), it creates a non-PnP WDFDRIVER, a control device with a
 * name, a symbolic link and a typed context, a sequential default queue serving buffered
 * IOCTLs and a manual queue requests are parked on.
 *
 * Device \Device\KmdfCtl, link \DosDevices\KmdfCtl. DriverEntry prints
 * "kmdfctl: ready, device object found". Unload prints "kmdfctl: EvtDriverUnload" and, from the
 * driver's EvtCleanupCallback, "kmdfctl: driver cleanup"; the framework deletes the device
 * and the link, and the stub unbinds.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x900 REVERSE   code 0x80002400: the input bytes reversed into the output
 *                   (WdfRequestRetrieveInputBuffer/OutputBuffer, at least 1 byte each;
 *                   output at least as long as the input, else STATUS_BUFFER_TOO_SMALL),
 *                   Information = input length.
 *   0x901 COUNT     code 0x80002404: the device context's counter, incremented, as a ULONG
 *                   (the device from WdfIoQueueGetDevice, its context by type).
 *   0x902 PARK      code 0x80002408: the request is forwarded to the manual queue and stays
 *                   pending.
 *   0x903 RELEASE   code 0x8000240C: the oldest parked request is retrieved and completed
 *                   with ULONG 0xC0FFEE in its output, Information 4; then RELEASE completes
 *                   with STATUS_SUCCESS, or STATUS_NOT_FOUND when nothing was parked.
 *   0x904 SEEN      code 0x80002410: served in EvtIoInCallerContext without any queue: the
 *                   number of requests the callback has seen, this one included, as a ULONG.
 *   0x905 MEMORY    code 0x80002414: the request's buffers as WDFMEMORY objects
 *                   (WdfRequestRetrieveInputMemory/OutputMemory): ULONG[6] written into the
 *                   output memory with WdfMemoryCopyFromBuffer = the input memory's size
 *                   (WdfMemoryGetBuffer), the sum of its bytes (read with
 *                   WdfMemoryCopyToBuffer), WdfMemoryCopyToBuffer of one byte more than it holds
 *                   (STATUS_BUFFER_TOO_SMALL), WdfMemoryCopyFromBuffer at an offset past the
 *                   output (STATUS_INVALID_BUFFER_SIZE), whether a second
 *                   WdfRequestRetrieveInputMemory gives the same handle, and whether the output
 *                   memory's buffer is WdfRequestRetrieveOutputBuffer's. Information 24.
 *   0x906 PARAMS    code 0x80002418: ULONG[14] = WdfRequestGetParameters of this request (Type,
 *                   MinorFunction, OutputBufferLength, InputBufferLength, IoControlCode), the
 *                   Type a call with a wrong Size left alone (0x55), WdfDeviceCreateDeviceInterface's
 *                   status on the control device, WdfDeviceConfigureRequestDispatching's
 *                   statuses (the write queue, the same type again, IRP_MJ_CLOSE), and the last
 *                   write's Type, Length and DeviceOffset (WdfRequestGetParameters) and its first
 *                   four bytes (WdfRequestRetrieveInputMemory, WdfMemoryCopyToBuffer). Completed
 *                   with WdfRequestSetInformation(56) and WdfRequestCompleteWithPriorityBoost.
 *   other codes:    STATUS_INVALID_DEVICE_REQUEST.
 *
 * Writes go to a parallel queue of their own (WdfDeviceConfigureRequestDispatching,
 * WdfRequestTypeWrite): EvtIoWrite keeps the write's parameters and first bytes and
 * completes it with WdfRequestSetInformation(length) and WdfRequestCompleteWithPriorityBoost.
 *
 * Every IOCTL passes EvtIoInCallerContext first, which counts it and (but SEEN) gives it back
 * to the framework with WdfDeviceEnqueueRequest; it reaches the default queue from there.
 */
#include "corpus.h"
#include "kmdf.h"

#define IOCTL_REVERSE CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_COUNT CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_PARK CORPUS_IOCTL(0x902, METHOD_BUFFERED)
#define IOCTL_RELEASE CORPUS_IOCTL(0x903, METHOD_BUFFERED)
#define IOCTL_SEEN CORPUS_IOCTL(0x904, METHOD_BUFFERED)
#define IOCTL_MEMORY CORPUS_IOCTL(0x905, METHOD_BUFFERED)
#define IOCTL_PARAMS CORPUS_IOCTL(0x906, METHOD_BUFFERED)

/* A framework call by name: WDF(WdfRequestGetParameters, VOID, (G, WDFREQUEST, ...))(g, ...). */
#define WDF(name, ret, params) ((ret(NTAPI *) params)WdfFunctions[name##TableIndex])
#define G PWDF_DRIVER_GLOBALS

static const GUID CtlInterfaceClass = {0x2b9e61c4, 0x5d7a, 0x4e3f, {0xa1, 0x0c, 0x6d, 0x2e, 0x8f, 0x41, 0x93, 0x57}};
/* What DriverEntry saw, and the last write (EvtIoWrite). */
static ULONG InterfaceStatus, DispatchStatus[3], WriteType, WriteLength, WriteOffset, WriteHead;

typedef struct {
    ULONG Count;
    WDFQUEUE Parked;
    ULONG Seen;
} DEVICE_CONTEXT;
KMDF_CONTEXT_TYPE(DEVICE_CONTEXT, DeviceContext)

static NTSTATUS RetrieveBuffer(ULONG index, WDFREQUEST r, SIZE_T min, PVOID *buf, SIZE_T *len)
{
    return WDFCALL(index, NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFREQUEST, SIZE_T, PVOID *, SIZE_T *))(
        WdfDriverGlobals, r, min, buf, len);
}

static VOID Complete(WDFREQUEST r, NTSTATUS status, ULONG_PTR information)
{
    WDFCALL(WdfRequestCompleteWithInformationTableIndex,
            VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFREQUEST, NTSTATUS, ULONG_PTR))(WdfDriverGlobals, r, status,
                                                                              information);
}

static VOID CompleteBoosted(WDFREQUEST r, NTSTATUS status, ULONG_PTR information)
{
    WDF(WdfRequestSetInformation, VOID, (G, WDFREQUEST, ULONG_PTR))(WdfDriverGlobals, r, information);
    WDF(WdfRequestCompleteWithPriorityBoost, VOID, (G, WDFREQUEST, NTSTATUS, CCHAR))(WdfDriverGlobals, r, status,
                                                                                  IO_NO_INCREMENT);
}

static VOID GetParameters(WDFREQUEST r, WDF_REQUEST_PARAMETERS *p)
{
    RtlZeroMemory(p, sizeof(*p));
    p->Size = sizeof(*p);
    WDF(WdfRequestGetParameters, VOID, (G, WDFREQUEST, WDF_REQUEST_PARAMETERS *))(WdfDriverGlobals, r, p);
}

static VOID NTAPI EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T Length)
{
    WDF_REQUEST_PARAMETERS p;
    WDFMEMORY memory;
    NTSTATUS status;
    (void)Queue;
    GetParameters(Request, &p);
    WriteType = p.Type;
    WriteLength = (ULONG)p.Parameters.Write.Length;
    WriteOffset = (ULONG)p.Parameters.Write.DeviceOffset;
    status = WDF(WdfRequestRetrieveInputMemory, NTSTATUS, (G, WDFREQUEST, WDFMEMORY *))(WdfDriverGlobals, Request,
                                                                                       &memory);
    if (NT_SUCCESS(status))
        status = WDF(WdfMemoryCopyToBuffer, NTSTATUS, (G, WDFMEMORY, SIZE_T, PVOID, SIZE_T))(
            WdfDriverGlobals, memory, 0, &WriteHead, Length < 4 ? Length : 4);
    CompleteBoosted(Request, status, NT_SUCCESS(status) ? Length : 0);
}

/* MEMORY: the request's buffers as memory objects. */
static VOID Memory(WDFREQUEST Request)
{
    WDFMEMORY in, in2, out;
    ULONG result[6];
    UCHAR bytes[64];
    PVOID out_buffer;
    SIZE_T in_size, out_size, i;
    NTSTATUS status;
    status = WDF(WdfRequestRetrieveInputMemory, NTSTATUS, (G, WDFREQUEST, WDFMEMORY *))(WdfDriverGlobals, Request, &in);
    if (NT_SUCCESS(status))
        status = WDF(WdfRequestRetrieveOutputMemory, NTSTATUS, (G, WDFREQUEST, WDFMEMORY *))(WdfDriverGlobals, Request,
                                                                                           &out);
    if (!NT_SUCCESS(status)) {
        Complete(Request, status, 0);
        return;
    }
    WDF(WdfMemoryGetBuffer, PVOID, (G, WDFMEMORY, SIZE_T *))(WdfDriverGlobals, in, &in_size);
    result[0] = (ULONG)in_size;
    result[1] = 0;
    if (in_size <= sizeof(bytes) &&
        NT_SUCCESS(WDF(WdfMemoryCopyToBuffer, NTSTATUS, (G, WDFMEMORY, SIZE_T, PVOID, SIZE_T))(WdfDriverGlobals, in, 0,
                                                                                            bytes, in_size)))
        for (i = 0; i < in_size; i++)
            result[1] += bytes[i];
    result[2] = (ULONG)WDF(WdfMemoryCopyToBuffer, NTSTATUS, (G, WDFMEMORY, SIZE_T, PVOID, SIZE_T))(
        WdfDriverGlobals, in, 0, bytes, in_size + 1);
    WDF(WdfMemoryGetBuffer, PVOID, (G, WDFMEMORY, SIZE_T *))(WdfDriverGlobals, out, &out_size);
    result[3] = (ULONG)WDF(WdfMemoryCopyFromBuffer, NTSTATUS, (G, WDFMEMORY, SIZE_T, PVOID, SIZE_T))(
        WdfDriverGlobals, out, out_size, bytes, 1);
    WDF(WdfRequestRetrieveInputMemory, NTSTATUS, (G, WDFREQUEST, WDFMEMORY *))(WdfDriverGlobals, Request, &in2);
    result[4] = in2 == in;
    status = RetrieveBuffer(WdfRequestRetrieveOutputBufferTableIndex, Request, 1, &out_buffer, &out_size);
    result[5] = NT_SUCCESS(status) &&
                out_buffer == WDF(WdfMemoryGetBuffer, PVOID, (G, WDFMEMORY, SIZE_T *))(WdfDriverGlobals, out, NULL);
    status = WDF(WdfMemoryCopyFromBuffer, NTSTATUS, (G, WDFMEMORY, SIZE_T, PVOID, SIZE_T))(WdfDriverGlobals, out, 0,
                                                                                       result, sizeof(result));
    Complete(Request, status, NT_SUCCESS(status) ? sizeof(result) : 0);
}

/* PARAMS: this request's parameters, and what DriverEntry and the last write saw. */
static VOID Params(WDFREQUEST Request)
{
    WDF_REQUEST_PARAMETERS p;
    ULONG *out;
    SIZE_T len;
    NTSTATUS status = RetrieveBuffer(WdfRequestRetrieveOutputBufferTableIndex, Request, 14 * sizeof(ULONG),
                                     (PVOID *)&out, &len);
    if (!NT_SUCCESS(status)) {
        Complete(Request, status, 0);
        return;
    }
    GetParameters(Request, &p);
    out[0] = p.Type;
    out[1] = p.MinorFunction;
    out[2] = (ULONG)p.Parameters.DeviceIoControl.OutputBufferLength;
    out[3] = (ULONG)p.Parameters.DeviceIoControl.InputBufferLength;
    out[4] = p.Parameters.DeviceIoControl.IoControlCode;
    RtlZeroMemory(&p, sizeof(p));
    p.Size = sizeof(p) - 1;
    p.Type = 0x55;
    WDF(WdfRequestGetParameters, VOID, (G, WDFREQUEST, WDF_REQUEST_PARAMETERS *))(WdfDriverGlobals, Request, &p);
    out[5] = p.Type;
    out[6] = InterfaceStatus;
    out[7] = DispatchStatus[0];
    out[8] = DispatchStatus[1];
    out[9] = DispatchStatus[2];
    out[10] = WriteType;
    out[11] = WriteLength;
    out[12] = WriteOffset;
    out[13] = WriteHead;
    CompleteBoosted(Request, STATUS_SUCCESS, 14 * sizeof(ULONG));
}

static VOID NTAPI EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T OutputBufferLength,
                                     SIZE_T InputBufferLength, ULONG IoControlCode)
{
    PUCHAR in, out;
    SIZE_T in_len, out_len, i;
    NTSTATUS status;
    WDFDEVICE device = WDFCALL(WdfIoQueueGetDeviceTableIndex, WDFDEVICE(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFQUEUE))(
        WdfDriverGlobals, Queue);
    DEVICE_CONTEXT *ctx = DeviceContext(device);
    (void)OutputBufferLength;
    (void)InputBufferLength;

    switch (IoControlCode) {
    case IOCTL_REVERSE:
        status = RetrieveBuffer(WdfRequestRetrieveInputBufferTableIndex, Request, 1, (PVOID *)&in, &in_len);
        if (NT_SUCCESS(status))
            status = RetrieveBuffer(WdfRequestRetrieveOutputBufferTableIndex, Request, in_len, (PVOID *)&out, &out_len);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        for (i = 0; i < in_len / 2; i++) {
            UCHAR t = in[i];
            in[i] = in[in_len - 1 - i];
            in[in_len - 1 - i] = t;
        }
        if (out != in)
            RtlCopyMemory(out, in, in_len);
        Complete(Request, STATUS_SUCCESS, in_len);
        return;
    case IOCTL_COUNT:
        status = RetrieveBuffer(WdfRequestRetrieveOutputBufferTableIndex, Request, sizeof(ULONG), (PVOID *)&out, &out_len);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        *(ULONG *)out = ++ctx->Count;
        Complete(Request, STATUS_SUCCESS, sizeof(ULONG));
        return;
    case IOCTL_PARK:
        status = WDFCALL(WdfRequestForwardToIoQueueTableIndex,
                         NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFREQUEST, WDFQUEUE))(WdfDriverGlobals, Request,
                                                                                       ctx->Parked);
        if (!NT_SUCCESS(status))
            Complete(Request, status, 0);
        return;
    case IOCTL_RELEASE: {
        WDFREQUEST parked;
        status = WDFCALL(WdfIoQueueRetrieveNextRequestTableIndex,
                         NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFQUEUE, WDFREQUEST *))(WdfDriverGlobals, ctx->Parked,
                                                                                         &parked);
        if (!NT_SUCCESS(status)) {
            Complete(Request, STATUS_NOT_FOUND, 0);
            return;
        }
        status = RetrieveBuffer(WdfRequestRetrieveOutputBufferTableIndex, parked, sizeof(ULONG), (PVOID *)&out, &out_len);
        if (NT_SUCCESS(status)) {
            *(ULONG *)out = 0xC0FFEE;
            Complete(parked, STATUS_SUCCESS, sizeof(ULONG));
        } else {
            Complete(parked, status, 0);
        }
        Complete(Request, STATUS_SUCCESS, 0);
        return;
    }
    case IOCTL_MEMORY:
        Memory(Request);
        return;
    case IOCTL_PARAMS:
        Params(Request);
        return;
    default:
        WDFCALL(WdfRequestCompleteTableIndex, VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFREQUEST, NTSTATUS))(
            WdfDriverGlobals, Request, STATUS_INVALID_DEVICE_REQUEST);
    }
}

static VOID NTAPI EvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request)
{
    DEVICE_CONTEXT *ctx = DeviceContext(Device);
    PIRP irp = WDFCALL(WdfRequestWdmGetIrpTableIndex, PIRP(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFREQUEST))(WdfDriverGlobals,
                                                                                                    Request);
    PIO_STACK_LOCATION loc = IoGetCurrentIrpStackLocation(irp);
    PUCHAR out;
    SIZE_T out_len;
    NTSTATUS status;

    ctx->Seen++;
    if (loc->MajorFunction == IRP_MJ_DEVICE_CONTROL && loc->Parameters.DeviceIoControl.IoControlCode == IOCTL_SEEN) {
        status = RetrieveBuffer(WdfRequestRetrieveOutputBufferTableIndex, Request, sizeof(ULONG), (PVOID *)&out, &out_len);
        if (!NT_SUCCESS(status)) {
            Complete(Request, status, 0);
            return;
        }
        *(ULONG *)out = ctx->Seen;
        Complete(Request, STATUS_SUCCESS, sizeof(ULONG));
        return;
    }
    status = WDFCALL(WdfDeviceEnqueueRequestTableIndex, NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE, WDFREQUEST))(
        WdfDriverGlobals, Device, Request);
    if (!NT_SUCCESS(status))
        Complete(Request, status, 0);
}

static VOID NTAPI EvtDriverUnload(WDFDRIVER Driver)
{
    (void)Driver;
    DbgPrint("kmdfctl: EvtDriverUnload\n");
}

static VOID NTAPI EvtDriverCleanup(WDFOBJECT Driver)
{
    (void)Driver;
    DbgPrint("kmdfctl: driver cleanup\n");
}

static NTSTATUS NTAPI KmdfCtlEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config = {sizeof(config), NULL, EvtDriverUnload, WdfDriverInitNonPnpDriver, 0};
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queue;
    WDFDRIVER driver;
    WDFDEVICE device;
    WDFQUEUE writes;
    PWDFDEVICE_INIT init;
    DEVICE_CONTEXT *ctx;
    NTSTATUS status;
    UNICODE_STRING sddl = RTL_CONSTANT_STRING(L"D:P(A;;GA;;;SY)(A;;GA;;;BA)");
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\KmdfCtl");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\KmdfCtl");

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.EvtCleanupCallback = EvtDriverCleanup;
    status = WDFCALL(WdfDriverCreateTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, PDRIVER_OBJECT, PUNICODE_STRING, PWDF_OBJECT_ATTRIBUTES,
                                       PWDF_DRIVER_CONFIG, WDFDRIVER *))(WdfDriverGlobals, DriverObject, RegistryPath,
                                                                         &attributes, &config, &driver);
    if (!NT_SUCCESS(status))
        return status;

    init = WDFCALL(WdfControlDeviceInitAllocateTableIndex,
                   PWDFDEVICE_INIT(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDRIVER, PUNICODE_STRING))(WdfDriverGlobals, driver,
                                                                                             &sddl);
    if (init == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    WDFCALL(WdfDeviceInitSetDeviceTypeTableIndex, VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT, ULONG))(
        WdfDriverGlobals, init, CORPUS_DEVICE_TYPE);
    WDFCALL(WdfDeviceInitSetIoTypeTableIndex, VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT, ULONG))(
        WdfDriverGlobals, init, WdfDeviceIoBuffered);
    WDFCALL(WdfDeviceInitSetExclusiveTableIndex, VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT, BOOLEAN))(
        WdfDriverGlobals, init, FALSE);
    WDFCALL(WdfDeviceInitSetCharacteristicsTableIndex,
            VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT, ULONG, BOOLEAN))(WdfDriverGlobals, init,
                                                                                FILE_DEVICE_SECURE_OPEN, TRUE);
    WDFCALL(WdfDeviceInitSetIoInCallerContextCallbackTableIndex,
            VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT, PFN_WDF_IO_IN_CALLER_CONTEXT))(WdfDriverGlobals, init,
                                                                                              EvtIoInCallerContext);
    status = WDFCALL(WdfDeviceInitAssignNameTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT, PUNICODE_STRING))(WdfDriverGlobals, init,
                                                                                               &name);
    if (!NT_SUCCESS(status))
        return status;

    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ContextTypeInfo = &DEVICE_CONTEXT_TYPE_INFO;
    status = WDFCALL(WdfDeviceCreateTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
        WdfDriverGlobals, &init, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = WDFCALL(WdfDeviceCreateSymbolicLinkTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE, PUNICODE_STRING))(WdfDriverGlobals, device,
                                                                                         &link);
    if (!NT_SUCCESS(status))
        return status;

    RtlZeroMemory(&queue, sizeof(queue));
    queue.Size = sizeof(queue);
    queue.DispatchType = WdfIoQueueDispatchSequential;
    queue.PowerManaged = 2;
    queue.DefaultQueue = TRUE;
    queue.EvtIoDeviceControl = EvtIoDeviceControl;
    status = WDFCALL(WdfIoQueueCreateTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE, PWDF_IO_QUEUE_CONFIG, PWDF_OBJECT_ATTRIBUTES,
                                       WDFQUEUE *))(WdfDriverGlobals, device, &queue, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    ctx = DeviceContext(device);
    RtlZeroMemory(&queue, sizeof(queue));
    queue.Size = sizeof(queue);
    queue.DispatchType = WdfIoQueueDispatchManual;
    queue.PowerManaged = 2;
    status = WDFCALL(WdfIoQueueCreateTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE, PWDF_IO_QUEUE_CONFIG, PWDF_OBJECT_ATTRIBUTES,
                                       WDFQUEUE *))(WdfDriverGlobals, device, &queue, NULL, &ctx->Parked);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(&queue, sizeof(queue));
    queue.Size = sizeof(queue);
    queue.DispatchType = WdfIoQueueDispatchParallel;
    queue.PowerManaged = 2;
    queue.EvtIoWrite = EvtIoWrite;
    status = WDFCALL(WdfIoQueueCreateTableIndex,
                     NTSTATUS(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE, PWDF_IO_QUEUE_CONFIG, PWDF_OBJECT_ATTRIBUTES,
                                       WDFQUEUE *))(WdfDriverGlobals, device, &queue, NULL, &writes);
    if (!NT_SUCCESS(status))
        return status;
    DispatchStatus[0] = (ULONG)WDF(WdfDeviceConfigureRequestDispatching, NTSTATUS, (G, WDFDEVICE, WDFQUEUE, ULONG))(
        WdfDriverGlobals, device, writes, WdfRequestTypeWrite);
    DispatchStatus[1] = (ULONG)WDF(WdfDeviceConfigureRequestDispatching, NTSTATUS, (G, WDFDEVICE, WDFQUEUE, ULONG))(
        WdfDriverGlobals, device, writes, WdfRequestTypeWrite);
    DispatchStatus[2] = (ULONG)WDF(WdfDeviceConfigureRequestDispatching, NTSTATUS, (G, WDFDEVICE, WDFQUEUE, ULONG))(
        WdfDriverGlobals, device, writes, IRP_MJ_CLOSE);
    if (!NT_SUCCESS(DispatchStatus[0]))
        return DispatchStatus[0];
    InterfaceStatus = (ULONG)WDF(WdfDeviceCreateDeviceInterface, NTSTATUS, (G, WDFDEVICE, const GUID *, PCUNICODE_STRING))(
        WdfDriverGlobals, device, &CtlInterfaceClass, NULL);

    WDFCALL(WdfControlFinishInitializingTableIndex, VOID(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE))(WdfDriverGlobals,
                                                                                               device);
    DbgPrint("kmdfctl: ready, device object %s\n",
             WDFCALL(WdfDeviceWdmGetDeviceObjectTableIndex, PDEVICE_OBJECT(NTAPI *)(PWDF_DRIVER_GLOBALS, WDFDEVICE))(
                 WdfDriverGlobals, device) != NULL
                 ? "found"
                 : "missing");
    return STATUS_SUCCESS;
}

KMDF_DRIVER_ENTRY(KmdfCtlEntry)
