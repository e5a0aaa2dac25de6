/*
 * workitem - work items on the system worker threads: an I/O work item
 * (IoAllocateWorkItem / IoQueueWorkItem / IoFreeWorkItem), an executive one
 * (ExInitializeWorkItem / ExQueueWorkItem), and a caller-allocated I/O work item
 * (IoSizeofWorkItem / IoInitializeWorkItem / IoQueueWorkItemEx / IoUninitializeWorkItem).
 *
 * Device \Device\WorkItem, symbolic link \DosDevices\WorkItem.
 * Each work routine records the thread it ran on (a system thread, not the caller's), its
 * IRQL (PASSIVE_LEVEL) and its arguments, then sets g_Done.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 IO         METHOD_BUFFERED     code 0x80002000
 *   0x801 EX         METHOD_BUFFERED     code 0x80002004
 *   0x802 IO_EX      METHOD_BUFFERED     code 0x80002008
 *     queue the work item (DelayedWorkQueue) and wait on g_Done (1 s timeout).
 *     out (8 bytes): 1 if the routine ran on a system thread other than the caller's and at
 *     PASSIVE_LEVEL with the expected arguments (else 0), and the count of routines run.
 *     Completes with the wait's status.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

NTKERNELAPI BOOLEAN NTAPI PsIsSystemThread(PETHREAD Thread);
NTKERNELAPI ULONG NTAPI IoSizeofWorkItem(VOID);
NTKERNELAPI VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem);
typedef VOID (NTAPI *PIO_WORKITEM_ROUTINE_EX_)(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX_ WorkerRoutine,
                                         WORK_QUEUE_TYPE QueueType, PVOID Context);

#define IOCTL_IO CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_EX CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_IO_EX CORPUS_IOCTL(0x802, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static KEVENT g_Done;
static PETHREAD g_Caller;
static volatile ULONG g_Good, g_Runs;
static WORK_QUEUE_ITEM g_ExItem;

static VOID Record(BOOLEAN ArgsOk)
{
    PETHREAD me = PsGetCurrentThread();
    g_Good = ArgsOk && me != g_Caller && PsIsSystemThread(me) && KeGetCurrentIrql() == PASSIVE_LEVEL;
    g_Runs++;
    KeSetEvent(&g_Done, IO_NO_INCREMENT, FALSE);
}

static VOID NTAPI IoRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    Record(DeviceObject == g_Device && Context == (PVOID)0x1234);
}

static VOID NTAPI ExRoutine(PVOID Parameter)
{
    Record(Parameter == (PVOID)0x5678 && g_ExItem.List.Flink == NULL);
}

static PIO_WORKITEM g_Embedded;

static VOID NTAPI IoExRoutine(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem)
{
    Record(IoObject == g_Device && Context == (PVOID)0x9ABC && IoWorkItem == g_Embedded);
}

static NTSTATUS NTAPI WorkItemIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    LARGE_INTEGER timeout;
    PIO_WORKITEM item = NULL;
    NTSTATUS status;
    ULONG code = CORPUS_CODE(sp);

    (void)DeviceObject;
    if (code != IOCTL_IO && code != IOCTL_EX && code != IOCTL_IO_EX)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_OUT_LEN(sp) < 8)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    KeClearEvent(&g_Done);
    g_Good = 0;
    g_Caller = PsGetCurrentThread();
    if (code == IOCTL_IO) {
        item = IoAllocateWorkItem(g_Device);
        if (item == NULL)
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        IoQueueWorkItem(item, IoRoutine, DelayedWorkQueue, (PVOID)0x1234);
    } else if (code == IOCTL_EX) {
        ExInitializeWorkItem(&g_ExItem, ExRoutine, (PVOID)0x5678);
        ExQueueWorkItem(&g_ExItem, DelayedWorkQueue);
    } else {
        g_Embedded = ExAllocatePoolWithTag(NonPagedPool, IoSizeofWorkItem(), 'kroW');
        if (g_Embedded == NULL)
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        IoInitializeWorkItem(g_Device, g_Embedded);
        IoQueueWorkItemEx(g_Embedded, IoExRoutine, CriticalWorkQueue, (PVOID)0x9ABC);
    }
    timeout.QuadPart = -10 * 1000 * 1000;
    status = KeWaitForSingleObject(&g_Done, Executive, KernelMode, FALSE, &timeout);
    if (item != NULL)
        IoFreeWorkItem(item);
    if (code == IOCTL_IO_EX) {
        IoUninitializeWorkItem(g_Embedded);
        ExFreePoolWithTag(g_Embedded, 'kroW');
    }
    out[0] = g_Good;
    out[1] = g_Runs;
    return CorpusComplete(Irp, status, 8);
}

static VOID NTAPI WorkItemUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\WorkItem");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\WorkItem", L"\\DosDevices\\WorkItem", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeEvent(&g_Done, NotificationEvent, FALSE);
    CorpusSetDispatch(DriverObject, WorkItemIoctl);
    DriverObject->DriverUnload = WorkItemUnload;
    return STATUS_SUCCESS;
}
