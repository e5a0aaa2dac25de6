/*
 * iostack - a filter on another driver's device, and the IRPs drivers build themselves.
 *
 * DriverEntry makes a second driver with IoCreateDriver (\Driver\IoStackLower; its init
 * routine gets a NULL registry path) that owns \Device\IoStackLower (link
 * \DosDevices\IoStackLower, buffered I/O, share access checked on every open, a StartIo
 * routine for reads, a cancel-safe queue for IOCTL_PEND, shutdown notification). Then it
 * opens that device with IoGetDeviceObjectPointer, attaches an unnamed filter device on
 * top (IoAttachDeviceToDeviceStackSafe) and drops the file object. The filter passes every
 * request down with a completion routine, holding its remove lock while one is out.
 *
 * DriverEntry checks, each printed when it fails:
 *   1. IoCreateDriver ran the init routine with a NULL registry path; a second driver of
 *      the same name is STATUS_OBJECT_NAME_COLLISION;
 *   2. IoGetAttachedDeviceReference(lower) is the filter, IoGetRelatedDeviceObject of the
 *      lower's file object too, and the filter's StackSize is one more;
 *   3. IoIsWdmVersionAvailable(6, 0) but not (6, 1) (Windows 7 is WDM 6.0); the stack
 *      limits hold a local variable and IoGetInitialStack is above it;
 *   4. an error log entry (code 0xC0DE0001, a string, two dump values) is written and a
 *      second allocated and freed; one larger than ERROR_LOG_MAXIMUM_SIZE is NULL;
 *   5. a reinitialization routine is registered (it registers itself once more: counts 1
 *      and 2) and a boot one (run first), and WMI registration succeeds (then is refused a
 *      second time).
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x810 ECHO     METHOD_BUFFERED code 0x80002040: the lower device echoes the input
 *                  (it checks IoValidateDeviceIoControlAccess and the requestor's pid);
 *   0x811 PEND     METHOD_BUFFERED code 0x80002044: the lower device queues the request
 *                  in its cancel-safe queue (left pending), the first with an
 *                  IO_CSQ_IRP_CONTEXT;
 *   0x812 RELEASE  METHOD_BUFFERED code 0x80002048: completes the request the context
 *                  tracks, else the oldest queued (Information 0x55); Information is 1 when
 *                  there was one;
 *   0x813 INFO     METHOD_BUFFERED code 0x8000204C: ULONG[6]: reads, bytes written,
 *                  shutdowns seen, a requestor pid was seen, requests the filter passed,
 *                  completions it saw;
 *   0x814 SELFTEST METHOD_BUFFERED code 0x80002050 (handled by the filter): builds IRPs
 *                  to the device below — IoBuildDeviceIoControlRequest (ECHO),
 *                  IoBuildSynchronousFsdRequest (READ, through StartIo),
 *                  IoBuildAsynchronousFsdRequest (WRITE, freed by its completion routine),
 *                  IoAllocateIrp (WRITE, kept by its completion routine, then IoReuseIrp
 *                  and sent again, then IoFreeIrp), a PEND cancelled with IoCancelIrp
 *                  (STATUS_CANCELLED through the queue's cancel routine), a device queue
 *                  by key — and returns ULONG: the number of checks that failed.
 * Unload detaches and deletes both devices and the link.
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_ECHO CORPUS_IOCTL(0x810, METHOD_BUFFERED)
#define IOCTL_PEND CORPUS_IOCTL(0x811, METHOD_BUFFERED)
#define IOCTL_RELEASE CORPUS_IOCTL(0x812, METHOD_BUFFERED)
#define IOCTL_INFO CORPUS_IOCTL(0x813, METHOD_BUFFERED)
#define IOCTL_SELFTEST CORPUS_IOCTL(0x814, METHOD_BUFFERED)

NTSTATUS NTAPI IoCreateDriver(PUNICODE_STRING DriverName, PDRIVER_INITIALIZE InitializationFunction);

typedef struct _LOWER_EXT {
    SHARE_ACCESS Share;
    IO_CSQ Csq;
    IO_CSQ_IRP_CONTEXT Parked;
    BOOLEAN ParkedInUse;
    LIST_ENTRY Pending;
    ULONG Reads;
    ULONG Written;
    ULONG Shutdowns;
    ULONG SawPid;
} LOWER_EXT, *PLOWER_EXT;

typedef struct _FILTER_EXT {
    PDEVICE_OBJECT Next;
    IO_REMOVE_LOCK Lock;
    ULONG Passed;
    ULONG Completed;
} FILTER_EXT, *PFILTER_EXT;

static PDRIVER_OBJECT g_LowerDriver;
static PDEVICE_OBJECT g_Lower;
static PDEVICE_OBJECT g_Filter;
static ULONG g_Failed;
static ULONG g_InitCalls;
static BOOLEAN g_NullRegistryPath;
static ULONG g_ReinitCounts[2];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("iostack: %s failed\n", What);
        g_Failed++;
    }
}

static VOID Zero(PVOID p, SIZE_T n)
{
    volatile UCHAR *b = p;
    while (n--)
        *b++ = 0;
}

static VOID Copy(PVOID d, const VOID *s, SIZE_T n)
{
    UCHAR *dd = d;
    const UCHAR *ss = s;
    while (n--)
        *dd++ = *ss++;
}

/* ---- the lower driver ------------------------------------------------------------------ */

static VOID NTAPI CsqInsert(PIO_CSQ Csq, PIRP Irp)
{
    PLOWER_EXT ext = CONTAINING_RECORD(Csq, LOWER_EXT, Csq);
    InsertTailList(&ext->Pending, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI CsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    (void)Csq;
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP NTAPI CsqPeekNext(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PLOWER_EXT ext = CONTAINING_RECORD(Csq, LOWER_EXT, Csq);
    PLIST_ENTRY next = Irp ? Irp->Tail.Overlay.ListEntry.Flink : ext->Pending.Flink;
    (void)PeekContext;
    if (next == &ext->Pending)
        return NULL;
    return CONTAINING_RECORD(next, IRP, Tail.Overlay.ListEntry);
}

static VOID NTAPI CsqAcquire(PIO_CSQ Csq, PKIRQL Irql)
{
    (void)Csq;
    KeRaiseIrql(DISPATCH_LEVEL, Irql);
}

static VOID NTAPI CsqRelease(PIO_CSQ Csq, KIRQL Irql)
{
    (void)Csq;
    KeLowerIrql(Irql);
}

static VOID NTAPI CsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp)
{
    (void)Csq;
    CorpusComplete(Irp, STATUS_CANCELLED, 0);
}

static VOID NTAPI LowerStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLOWER_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG len = sp->Parameters.Read.Length, i;
    PUCHAR out = Irp->AssociatedIrp.SystemBuffer;

    for (i = 0; i < len; i++)
        out[i] = (UCHAR)('a' + i % 26);
    ext->Reads++;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = len;
    IoStartNextPacketByKey(DeviceObject, FALSE, 0);
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static NTSTATUS NTAPI LowerDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLOWER_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG info;
    PIRP queued;
    ULONG n;
    NTSTATUS status;

    switch (sp->MajorFunction) {
    case IRP_MJ_CREATE:
        status = IoCheckShareAccess(sp->Parameters.Create.SecurityContext->DesiredAccess,
                                    sp->Parameters.Create.ShareAccess, sp->FileObject, &ext->Share, TRUE);
        return CorpusComplete(Irp, status, 0);
    case IRP_MJ_CLEANUP:
        IoRemoveShareAccess(sp->FileObject, &ext->Share);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    case IRP_MJ_READ:
        IoMarkIrpPending(Irp);
        IoStartPacket(DeviceObject, Irp, NULL, NULL);
        return STATUS_PENDING;
    case IRP_MJ_WRITE:
        ext->Written += sp->Parameters.Write.Length;
        return CorpusComplete(Irp, STATUS_SUCCESS, sp->Parameters.Write.Length);
    case IRP_MJ_SHUTDOWN:
        ext->Shutdowns++;
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    case IRP_MJ_DEVICE_CONTROL:
        break;
    default:
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    }
    switch (CORPUS_CODE(sp)) {
    case IOCTL_ECHO:
        status = IoValidateDeviceIoControlAccess(Irp, FILE_READ_ACCESS | FILE_WRITE_ACCESS);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        if (Irp->RequestorMode == UserMode && IoGetRequestorProcessId(Irp) != 0)
            ext->SawPid = 1;
        n = CORPUS_IN_LEN(sp) < CORPUS_OUT_LEN(sp) ? CORPUS_IN_LEN(sp) : CORPUS_OUT_LEN(sp);
        return CorpusComplete(Irp, STATUS_SUCCESS, n);
    case IOCTL_PEND:
        /* The first request parked is tracked by a context, later ones are not. */
        if (!ext->ParkedInUse) {
            ext->ParkedInUse = TRUE;
            IoCsqInsertIrp(&ext->Csq, Irp, &ext->Parked);
        } else {
            IoCsqInsertIrp(&ext->Csq, Irp, NULL);
        }
        return STATUS_PENDING;
    case IOCTL_RELEASE:
        queued = NULL;
        if (ext->ParkedInUse) {
            queued = IoCsqRemoveIrp(&ext->Csq, &ext->Parked);
            ext->ParkedInUse = FALSE;
        }
        if (queued == NULL)
            queued = IoCsqRemoveNextIrp(&ext->Csq, NULL);
        if (queued)
            CorpusComplete(queued, STATUS_SUCCESS, 0x55);
        return CorpusComplete(Irp, STATUS_SUCCESS, queued != NULL);
    case IOCTL_INFO:
        if (CORPUS_OUT_LEN(sp) < 6 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        info = Irp->AssociatedIrp.SystemBuffer;
        info[0] = ext->Reads;
        info[1] = ext->Written;
        info[2] = ext->Shutdowns;
        info[3] = ext->SawPid;
        info[4] = ((PFILTER_EXT)g_Filter->DeviceExtension)->Passed;
        info[5] = ((PFILTER_EXT)g_Filter->DeviceExtension)->Completed;
        return CorpusComplete(Irp, STATUS_SUCCESS, 6 * sizeof(ULONG));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS NTAPI LowerInit(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name, link;
    PDEVICE_OBJECT device;
    PLOWER_EXT ext;
    NTSTATUS status;
    ULONG i;

    g_InitCalls++;
    g_NullRegistryPath = RegistryPath == NULL;
    g_LowerDriver = DriverObject;
    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = LowerDispatch;
    DriverObject->DriverStartIo = LowerStartIo;

    RtlInitUnicodeString(&name, L"\\Device\\IoStackLower");
    status = IoCreateDevice(DriverObject, sizeof(LOWER_EXT), &name, CORPUS_DEVICE_TYPE, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    ext = device->DeviceExtension;
    InitializeListHead(&ext->Pending);
    IoCsqInitialize(&ext->Csq, CsqInsert, CsqRemove, CsqPeekNext, CsqAcquire, CsqRelease, CsqCompleteCanceled);
    device->Flags |= DO_BUFFERED_IO;
    RtlInitUnicodeString(&link, L"\\DosDevices\\IoStackLower");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        return status;
    }
    IoRegisterShutdownNotification(device);
    g_Lower = device;
    return STATUS_SUCCESS;
}

/* ---- the filter ------------------------------------------------------------------------ */

static NTSTATUS NTAPI FilterCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PFILTER_EXT ext = DeviceObject->DeviceExtension;
    (void)Context;
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    ext->Completed++;
    IoReleaseRemoveLock(&ext->Lock, Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static ULONG SelfTest(PFILTER_EXT ext);

static NTSTATUS NTAPI FilterDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    if (sp->MajorFunction == IRP_MJ_DEVICE_CONTROL && CORPUS_CODE(sp) == IOCTL_SELFTEST) {
        if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)Irp->AssociatedIrp.SystemBuffer = SelfTest(ext);
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    }
    status = IoAcquireRemoveLock(&ext->Lock, Irp);
    if (!NT_SUCCESS(status))
        return CorpusComplete(Irp, status, 0);
    ext->Passed++;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, FilterCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(ext->Next, Irp);
}

/* Completion routines of the self test's own IRPs. */
static NTSTATUS NTAPI KeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    *(NTSTATUS *)Context = Irp->IoStatus.Status;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS NTAPI FreeAsyncIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    *(ULONG_PTR *)Context = Irp->IoStatus.Information;
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static ULONG SelfTest(PFILTER_EXT ext)
{
    PDEVICE_OBJECT next = ext->Next;
    ULONG before = g_Failed;
    IO_STATUS_BLOCK iosb;
    KEVENT event;
    UCHAR in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8], buffer[16];
    LARGE_INTEGER offset;
    ULONG_PTR asyncInfo = 0;
    NTSTATUS kept = 0;
    PIO_STACK_LOCATION ns;
    KDEVICE_QUEUE queue;
    KDEVICE_QUEUE_ENTRY e1, e2, e3;
    PKDEVICE_QUEUE_ENTRY got;
    PIRP irp;
    NTSTATUS status;
    ULONG i;

    /* A device control built by the I/O manager, completed synchronously. */
    Zero(&event, sizeof(event));
    Zero(out, sizeof(out));
    iosb.Status = STATUS_UNSUCCESSFUL;
    irp = IoBuildDeviceIoControlRequest(IOCTL_ECHO, next, in, sizeof(in), out, sizeof(out), FALSE, &event, &iosb);
    Expect(irp != NULL, "IoBuildDeviceIoControlRequest");
    if (irp) {
        status = IoCallDriver(next, irp);
        Expect(status == STATUS_SUCCESS && iosb.Status == STATUS_SUCCESS && iosb.Information == 8,
               "ECHO through a built request");
        Expect(out[0] == 1 && out[7] == 8, "ECHO output copied back");
        Expect(event.Header.SignalState == 1, "ECHO event signalled");
    }

    /* A read through the lower device's StartIo. */
    Zero(&event, sizeof(event));
    offset.QuadPart = 0;
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, next, buffer, sizeof(buffer), &offset, &event, &iosb);
    Expect(irp != NULL, "IoBuildSynchronousFsdRequest");
    if (irp) {
        status = IoCallDriver(next, irp);
        Expect(status == STATUS_PENDING && iosb.Status == STATUS_SUCCESS && iosb.Information == sizeof(buffer),
               "READ through StartIo");
        Expect(buffer[0] == 'a' && buffer[15] == 'p', "READ data");
        Expect(event.Header.SignalState == 1, "READ event signalled");
    }

    /* An asynchronous write whose completion routine frees the IRP. */
    irp = IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, next, buffer, 10, &offset, NULL);
    Expect(irp != NULL, "IoBuildAsynchronousFsdRequest");
    if (irp) {
        IoSetCompletionRoutine(irp, FreeAsyncIrp, &asyncInfo, TRUE, TRUE, TRUE);
        IoCallDriver(next, irp);
        Expect(asyncInfo == 10, "asynchronous WRITE completed");
    }

    /* An IRP of its own: sent, kept by its completion routine, reused, sent, freed. */
    irp = IoAllocateIrp(next->StackSize, FALSE);
    Expect(irp != NULL && irp->StackCount == next->StackSize && irp->CurrentLocation == next->StackSize + 1,
           "IoAllocateIrp");
    if (irp) {
        for (i = 0; i < 2; i++) {
            ns = IoGetNextIrpStackLocation(irp);
            ns->MajorFunction = IRP_MJ_WRITE;
            ns->Parameters.Write.Length = 6;
            irp->UserBuffer = buffer;
            irp->AssociatedIrp.SystemBuffer = buffer;
            kept = STATUS_UNSUCCESSFUL;
            IoSetCompletionRoutine(irp, KeepIrp, &kept, TRUE, TRUE, TRUE);
            status = IoCallDriver(next, irp);
            Expect(status == STATUS_SUCCESS && kept == STATUS_SUCCESS && irp->IoStatus.Information == 6,
                   "own IRP completed");
            IoReuseIrp(irp, STATUS_NOT_SUPPORTED);
            Expect(irp->IoStatus.Status == STATUS_NOT_SUPPORTED && irp->CurrentLocation == next->StackSize + 1,
                   "IoReuseIrp");
        }

        /* Queued in the lower's cancel-safe queue, then cancelled. */
        ns = IoGetNextIrpStackLocation(irp);
        ns->MajorFunction = IRP_MJ_DEVICE_CONTROL;
        ns->Parameters.DeviceIoControl.IoControlCode = IOCTL_PEND;
        ns->Parameters.DeviceIoControl.InputBufferLength = 0;
        ns->Parameters.DeviceIoControl.OutputBufferLength = 0;
        kept = STATUS_UNSUCCESSFUL;
        IoSetCompletionRoutine(irp, KeepIrp, &kept, TRUE, TRUE, TRUE);
        status = IoCallDriver(next, irp);
        Expect(status == STATUS_PENDING && kept == STATUS_UNSUCCESSFUL, "PEND queued");
        Expect(IoCancelIrp(irp), "IoCancelIrp found a cancel routine");
        Expect(kept == STATUS_CANCELLED, "cancelled through the queue");
        Expect(!IoCancelIrp(irp), "a second IoCancelIrp finds none");
        IoFreeIrp(irp);
    }

    /* A device queue by key. */
    KeInitializeDeviceQueue(&queue);
    Expect(!KeInsertByKeyDeviceQueue(&queue, &e1, 5), "first insert starts the queue");
    Expect(KeInsertByKeyDeviceQueue(&queue, &e2, 9), "second insert queues");
    Expect(KeInsertByKeyDeviceQueue(&queue, &e3, 3), "third insert queues");
    got = KeRemoveByKeyDeviceQueue(&queue, 4);
    Expect(got == &e2, "by key: first key at least 4");
    Expect(KeRemoveEntryDeviceQueue(&queue, &e3) && !KeRemoveEntryDeviceQueue(&queue, &e3), "remove entry");
    Expect(KeRemoveDeviceQueue(&queue) == NULL && !queue.Busy, "empty queue goes idle");
    return g_Failed - before;
}

static VOID NTAPI Reinitialize(PDRIVER_OBJECT DriverObject, PVOID Context, ULONG Count)
{
    ULONG calls = ++*(PULONG)Context;
    if (calls <= 2)
        g_ReinitCounts[calls - 1] = Count;
    if (calls == 1)
        IoRegisterDriverReinitialization(DriverObject, Reinitialize, Context);
    DbgPrint("iostack: reinitialization %lu (count %lu), %lu checks failed\n", calls, Count, g_Failed);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    PFILTER_EXT ext = g_Filter->DeviceExtension;
    UNICODE_STRING link;
    (void)DriverObject;

    IoWMIRegistrationControl(g_Filter, WMIREG_ACTION_DEREGISTER);
    IoAcquireRemoveLock(&ext->Lock, Unload);
    IoReleaseRemoveLockAndWait(&ext->Lock, Unload);
    Expect(IoAcquireRemoveLock(&ext->Lock, Unload) == STATUS_DELETE_PENDING, "remove lock refuses after removal");
    IoUnregisterShutdownNotification(g_Lower);
    IoDetachDevice(ext->Next);
    IoDeleteDevice(g_Filter);
    RtlInitUnicodeString(&link, L"\\DosDevices\\IoStackLower");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_Lower);
    DbgPrint("iostack: unloaded, %lu checks failed\n", g_Failed);
}

static ULONG g_Reinit;

static VOID NTAPI BootReinitialize(PDRIVER_OBJECT DriverObject, PVOID Context, ULONG Count)
{
    (void)DriverObject;
    (void)Context;
    DbgPrint("iostack: boot reinitialization (count %lu)\n", Count);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    PFILE_OBJECT file;
    PDEVICE_OBJECT lower, top, attached;
    PFILTER_EXT ext;
    PIO_ERROR_LOG_PACKET packet;
    ULONG_PTR low = 0, high = 0;
    ULONG i;
    NTSTATUS status;
    static const WCHAR text[] = L"iostack";
    (void)RegistryPath;

    /* 1. The lower driver. */
    RtlInitUnicodeString(&name, L"\\Driver\\IoStackLower");
    status = IoCreateDriver(&name, LowerInit);
    if (!NT_SUCCESS(status)) {
        DbgPrint("iostack: IoCreateDriver %08lx\n", status);
        return status;
    }
    Expect(g_InitCalls == 1 && g_NullRegistryPath && g_LowerDriver != DriverObject, "IoCreateDriver init routine");
    Expect(IoCreateDriver(&name, LowerInit) == STATUS_OBJECT_NAME_COLLISION && g_InitCalls == 1,
           "a second IoCreateDriver of the name");

    /* 2. The filter on top of it. */
    RtlInitUnicodeString(&name, L"\\Device\\IoStackLower");
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &file, &lower);
    if (!NT_SUCCESS(status)) {
        DbgPrint("iostack: IoGetDeviceObjectPointer %08lx\n", status);
        return status;
    }
    Expect(lower == g_Lower && file->DeviceObject == g_Lower, "IoGetDeviceObjectPointer");
    status = IoCreateDevice(DriverObject, sizeof(FILTER_EXT), NULL, CORPUS_DEVICE_TYPE, 0, FALSE, &g_Filter);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(file);
        return status;
    }
    ext = g_Filter->DeviceExtension;
    IoInitializeRemoveLock(&ext->Lock, 'ktSI', 0, 0);
    status = IoAttachDeviceToDeviceStackSafe(g_Filter, lower, &ext->Next);
    Expect(NT_SUCCESS(status) && ext->Next == g_Lower, "IoAttachDeviceToDeviceStackSafe");
    g_Filter->Flags |= lower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    g_Filter->Flags &= ~DO_DEVICE_INITIALIZING;
    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = FilterDispatch;
    DriverObject->DriverUnload = Unload;

    top = IoGetAttachedDeviceReference(g_Lower);
    Expect(top == g_Filter, "IoGetAttachedDeviceReference");
    ObDereferenceObject(top);
    Expect(IoGetRelatedDeviceObject(file) == g_Filter, "IoGetRelatedDeviceObject");
    Expect(g_Filter->StackSize == g_Lower->StackSize + 1, "the filter's StackSize");
    attached = IoGetAttachedDevice(g_Filter);
    Expect(attached == g_Filter, "IoGetAttachedDevice of the top");
    ObDereferenceObject(file);

    /* 3. Versions and stacks. */
    Expect(IoIsWdmVersionAvailable(6, 0) && IoIsWdmVersionAvailable(1, 0x30) && !IoIsWdmVersionAvailable(6, 1),
           "IoIsWdmVersionAvailable");
    IoGetStackLimits(&low, &high);
    Expect(low < (ULONG_PTR)&low && (ULONG_PTR)&low < high, "IoGetStackLimits");
    Expect((ULONG_PTR)IoGetInitialStack() > (ULONG_PTR)&low, "IoGetInitialStack");

    /* 4. The error log. */
    packet = IoAllocateErrorLogEntry(g_Filter, sizeof(IO_ERROR_LOG_PACKET) + 4 + sizeof(text));
    Expect(packet != NULL, "IoAllocateErrorLogEntry");
    if (packet) {
        packet->ErrorCode = 0xC0DE0001;
        packet->UniqueErrorValue = 7;
        packet->FinalStatus = STATUS_DEVICE_NOT_READY;
        packet->MajorFunctionCode = IRP_MJ_DEVICE_CONTROL;
        packet->DumpDataSize = 8;
        packet->DumpData[0] = 0x11111111;
        packet->DumpData[1] = 0x22222222;
        packet->NumberOfStrings = 1;
        packet->StringOffset = (USHORT)(FIELD_OFFSET(IO_ERROR_LOG_PACKET, DumpData) + 8);
        Copy((PUCHAR)packet + packet->StringOffset, text, sizeof(text));
        IoWriteErrorLogEntry(packet);
    }
    packet = IoAllocateErrorLogEntry(DriverObject, sizeof(IO_ERROR_LOG_PACKET));
    Expect(packet != NULL, "IoAllocateErrorLogEntry on the driver object");
    if (packet)
        IoFreeErrorLogEntry(packet);
    Expect(IoAllocateErrorLogEntry(g_Filter, ERROR_LOG_MAXIMUM_SIZE + 1) == NULL, "an oversized error log entry");

    /* 5. Reinitialization and WMI. */
    IoRegisterDriverReinitialization(DriverObject, Reinitialize, &g_Reinit);
    IoRegisterBootDriverReinitialization(DriverObject, BootReinitialize, NULL);
    Expect((DriverObject->Flags & DRVO_REINIT_REGISTERED) != 0, "DRVO_REINIT_REGISTERED");
    Expect(IoWMIRegistrationControl(g_Filter, WMIREG_ACTION_REGISTER) == STATUS_SUCCESS, "WMI registration");
    Expect(IoWMIRegistrationControl(g_Filter, WMIREG_ACTION_REGISTER) != STATUS_SUCCESS, "a second WMI registration");
    IoRegisterLastChanceShutdownNotification(g_Filter);

    DbgPrint("iostack: started, %lu checks failed\n", g_Failed);
    return STATUS_SUCCESS;
}
