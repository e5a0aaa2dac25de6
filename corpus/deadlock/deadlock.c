/*
 * deadlock - deliberate deadlocks, each reported as one with its wait graph.
 *
 * Device \Device\Deadlock, symbolic link \DosDevices\Deadlock.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 ABBA        METHOD_BUFFERED     code 0x80002000
 *     two system threads take two kernel mutexes in opposite orders, each sleeping 5 ms in
 *     between so both hold their first; the caller waits for both threads (WaitAll). Nobody
 *     can go on: a deadlock (thread A waits for the mutex B holds and the other way round).
 *
 *   0x801 FAST_MUTEX  METHOD_BUFFERED     code 0x80002004
 *     acquires a fast mutex twice (ExAcquireFastMutex): the second waits for itself.
 *
 *   0x802 SPIN_LOCK   METHOD_BUFFERED     code 0x80002008
 *     acquires a spin lock twice (KeAcquireSpinLock): the second spins forever on a lock it
 *     holds.
 *
 *   0x803 NONE        METHOD_BUFFERED     code 0x8000200C
 *     the ABBA threads again, but with one order: both finish. Completes with
 *     STATUS_SUCCESS once both threads ended.
 */
#include "corpus.h"

#define IOCTL_ABBA CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_FAST_MUTEX CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_SPIN_LOCK CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_NONE CORPUS_IOCTL(0x803, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static KMUTEX g_A, g_B;
static FAST_MUTEX g_Fast;
static KSPIN_LOCK g_Lock;

static VOID Take(PKMUTEX First, PKMUTEX Second)
{
    LARGE_INTEGER delay;

    delay.QuadPart = -10 * 1000 * 5;
    KeWaitForSingleObject(First, Executive, KernelMode, FALSE, NULL);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    KeWaitForSingleObject(Second, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(Second, FALSE);
    KeReleaseMutex(First, FALSE);
}

static VOID NTAPI ThreadAB(PVOID Context)
{
    (void)Context;
    Take(&g_A, &g_B);
}

static VOID NTAPI ThreadBA(PVOID Context)
{
    /* In ABBA order unless asked to keep the one order. */
    if (Context != NULL)
        Take(&g_A, &g_B);
    else
        Take(&g_B, &g_A);
}

static NTSTATUS Start(PKSTART_ROUTINE Routine, PVOID Context, PVOID *Thread)
{
    HANDLE h;
    NTSTATUS status;

    status = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, Context);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(h, SYNCHRONIZE, CORPUS_OBJECT_TYPE(PsThreadType), KernelMode, Thread, NULL);
    ZwClose(h);
    return status;
}

static NTSTATUS Pair(PVOID OneOrder)
{
    PVOID threads[2];
    NTSTATUS status;

    KeInitializeMutex(&g_A, 0);
    KeInitializeMutex(&g_B, 0);
    status = Start(ThreadAB, NULL, &threads[0]);
    if (NT_SUCCESS(status))
        status = Start(ThreadBA, OneOrder, &threads[1]);
    if (!NT_SUCCESS(status))
        return status;
    status = KeWaitForMultipleObjects(2, threads, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
    ObDereferenceObject(threads[0]);
    ObDereferenceObject(threads[1]);
    return status;
}

static NTSTATUS NTAPI DeadlockIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    KIRQL old;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_ABBA:
        return CorpusComplete(Irp, Pair(NULL), 0);
    case IOCTL_NONE:
        return CorpusComplete(Irp, Pair((PVOID)1), 0);
    case IOCTL_FAST_MUTEX:
        ExInitializeFastMutex(&g_Fast);
        ExAcquireFastMutex(&g_Fast);
        ExAcquireFastMutex(&g_Fast);
        return CorpusComplete(Irp, STATUS_UNSUCCESSFUL, 0);
    case IOCTL_SPIN_LOCK:
        KeInitializeSpinLock(&g_Lock);
        KeAcquireSpinLock(&g_Lock, &old);
        KeAcquireSpinLock(&g_Lock, &old);
        return CorpusComplete(Irp, STATUS_UNSUCCESSFUL, 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI DeadlockUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Deadlock");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Deadlock", L"\\DosDevices\\Deadlock", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, DeadlockIoctl);
    DriverObject->DriverUnload = DeadlockUnload;
    return STATUS_SUCCESS;
}
