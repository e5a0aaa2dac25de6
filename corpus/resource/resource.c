/*
 * resource - an ERESOURCE shared by readers and taken exclusively by a writer, in a fixed
 * order the scheduler makes deterministic.
 *
 * Device \Device\Resource, symbolic link \DosDevices\Resource.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 SEQUENCE   METHOD_BUFFERED     code 0x80002000
 *     The caller takes the resource shared (ExEnterCriticalRegionAndAcquireResourceShared),
 *     then starts a writer thread (exclusive, waits) and a reader thread (shared: it waits
 *     behind the exclusive waiter), sleeps 10 ms (KeDelayExecutionThread) so both block, logs
 *     the waiter counts, then releases. The writer gets it, converts to shared
 *     (ExConvertExclusiveToSharedLite), which lets the reader in; each logs what it holds.
 *     The caller waits for both threads (KeWaitForMultipleObjects, WaitAll) and deletes the
 *     resource.
 *     out: the log as ULONGs, one per event:
 *       0x10 + shared waiters, 0x20 + exclusive waiters (seen by the caller before releasing),
 *       0x30 writer holds exclusive, 0x40 writer holds shared after converting,
 *       0x50 reader holds shared (ExIsResourceAcquiredSharedLite = 1),
 *       0x60 a try without waiting while shared-owned fails (ExAcquireResourceExclusiveLite
 *       with Wait FALSE from the caller, before the threads start).
 *     Information: the log's size.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOCTL_SEQUENCE CORPUS_IOCTL(0x800, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static ERESOURCE g_Resource;
static ULONG g_Log[16];
static volatile LONG g_Len;

static VOID Log(ULONG v)
{
    LONG i = InterlockedIncrement(&g_Len) - 1;
    if (i < 16)
        g_Log[i] = v;
}

static VOID NTAPI Writer(PVOID Context)
{
    (void)Context;
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&g_Resource, TRUE);
    if (ExIsResourceAcquiredExclusiveLite(&g_Resource))
        Log(0x30);
    ExConvertExclusiveToSharedLite(&g_Resource);
    if (!ExIsResourceAcquiredExclusiveLite(&g_Resource) && ExIsResourceAcquiredSharedLite(&g_Resource) == 1)
        Log(0x40);
    ExReleaseResourceLite(&g_Resource);
    KeLeaveCriticalRegion();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID NTAPI Reader(PVOID Context)
{
    (void)Context;
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&g_Resource, TRUE);
    Log(0x50 + ExIsResourceAcquiredSharedLite(&g_Resource));
    ExReleaseResourceLite(&g_Resource);
    KeLeaveCriticalRegion();
}

static NTSTATUS Start(PKSTART_ROUTINE Routine, PVOID *Thread)
{
    HANDLE h;
    NTSTATUS status;
    OBJECT_ATTRIBUTES oa;

    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, Routine, NULL);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(h, SYNCHRONIZE, CORPUS_OBJECT_TYPE(PsThreadType), KernelMode, Thread, NULL);
    ZwClose(h);
    return status;
}

static NTSTATUS Sequence(VOID)
{
    PVOID threads[2];
    LARGE_INTEGER delay;
    NTSTATUS status;

    g_Len = 0;
    ExInitializeResourceLite(&g_Resource);
    ExEnterCriticalRegionAndAcquireResourceShared(&g_Resource);
    KeEnterCriticalRegion();
    if (!ExAcquireResourceExclusiveLite(&g_Resource, FALSE))
        Log(0x60);
    KeLeaveCriticalRegion();
    status = Start(Writer, &threads[0]);
    if (NT_SUCCESS(status))
        status = Start(Reader, &threads[1]);
    if (!NT_SUCCESS(status))
        return status;
    delay.QuadPart = -10 * 1000 * 10;
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    Log(0x10 + ExGetSharedWaiterCount(&g_Resource));
    Log(0x20 + ExGetExclusiveWaiterCount(&g_Resource));
    ExReleaseResourceAndLeaveCriticalRegion(&g_Resource);
    status = KeWaitForMultipleObjects(2, threads, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
    ObDereferenceObject(threads[0]);
    ObDereferenceObject(threads[1]);
    ExDeleteResourceLite(&g_Resource);
    return status;
}

static NTSTATUS NTAPI ResourceIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;
    ULONG n;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_SEQUENCE)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    status = Sequence();
    n = (ULONG)(g_Len < 16 ? g_Len : 16) * sizeof(ULONG);
    if (n > CORPUS_OUT_LEN(sp))
        n = CORPUS_OUT_LEN(sp);
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, g_Log, n);
    return CorpusComplete(Irp, status, n);
}

static VOID NTAPI ResourceUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Resource");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Resource", L"\\DosDevices\\Resource", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, ResourceIoctl);
    DriverObject->DriverUnload = ResourceUnload;
    return STATUS_SUCCESS;
}
