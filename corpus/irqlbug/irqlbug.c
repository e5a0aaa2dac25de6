/*
 * irqlbug - IRQL and lock rules, kept and broken; each broken one ends the run with the
 * bugcheck Windows raises.
 *
 * Device \Device\IrqlBug, symbolic link \DosDevices\IrqlBug.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 KEPT              METHOD_BUFFERED     code 0x80002000
 *     by the rules: a spin lock (KeAcquireSpinLock/KeReleaseSpinLock), an in-stack queued
 *     spin lock, KeTryToAcquireSpinLockAtDpcLevel on a held lock (FALSE), a zero-timeout
 *     wait at DISPATCH_LEVEL (STATUS_TIMEOUT), a DPC queued while holding a lock that runs
 *     once the lock is released (before the release returns), a kernel mutex taken twice
 *     and released twice, critical/guarded regions (KeAreApcsDisabled), a fast mutex.
 *     out (4 bytes): how many of the 9 checks held.
 *
 *   0x801 WAIT_AT_DISPATCH  METHOD_BUFFERED     code 0x80002004
 *     raises to DISPATCH_LEVEL and waits 10 ms on an event: IRQL_NOT_LESS_OR_EQUAL.
 *
 *   0x802 SPIN_NOT_HELD     METHOD_BUFFERED     code 0x80002008
 *     releases a spin lock nobody holds: SPIN_LOCK_NOT_OWNED.
 *
 *   0x803 MUTEX_NOT_OWNED   METHOD_BUFFERED     code 0x8000200C
 *     releases a kernel mutex the thread does not own: THREAD_NOT_MUTEX_OWNER.
 *
 *   0x804 WAIT_IN_DPC       METHOD_BUFFERED     code 0x80002010
 *     a DPC that waits on an event with a timeout: ATTEMPTED_SWITCH_FROM_DPC.
 *
 *   0x805 APC_LEFT_DISABLED METHOD_BUFFERED     code 0x80002014
 *     returns from the request inside a critical region: APC_INDEX_MISMATCH.
 */
#include "corpus.h"

#define IOCTL_KEPT CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_WAIT_AT_DISPATCH CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_SPIN_NOT_HELD CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_MUTEX_NOT_OWNED CORPUS_IOCTL(0x803, METHOD_BUFFERED)
#define IOCTL_WAIT_IN_DPC CORPUS_IOCTL(0x804, METHOD_BUFFERED)
#define IOCTL_APC_LEFT_DISABLED CORPUS_IOCTL(0x805, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static KSPIN_LOCK g_Lock;
static KEVENT g_Event;
static KMUTEX g_Mutex;
static FAST_MUTEX g_Fast;
static KDPC g_Dpc;
static volatile LONG g_DpcRan;

static VOID NTAPI CountDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    InterlockedIncrement(&g_DpcRan);
}

static VOID NTAPI WaitingDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    LARGE_INTEGER timeout;

    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    timeout.QuadPart = -10 * 1000 * 10;
    KeWaitForSingleObject(&g_Event, Executive, KernelMode, FALSE, &timeout);
}

static ULONG Kept(VOID)
{
    ULONG ok = 0;
    KIRQL old;
    KLOCK_QUEUE_HANDLE handle;
    LARGE_INTEGER zero;

    KeInitializeSpinLock(&g_Lock);
    KeAcquireSpinLock(&g_Lock, &old);
    ok += KeGetCurrentIrql() == DISPATCH_LEVEL;
    ok += !KeTryToAcquireSpinLockAtDpcLevel(&g_Lock);
    zero.QuadPart = 0;
    ok += KeWaitForSingleObject(&g_Event, Executive, KernelMode, FALSE, &zero) == STATUS_TIMEOUT;
    /* Queued at DISPATCH_LEVEL: it runs once the release lowers the IRQL. */
    g_DpcRan = 0;
    KeInitializeDpc(&g_Dpc, CountDpc, NULL);
    KeInsertQueueDpc(&g_Dpc, NULL, NULL);
    ok += g_DpcRan == 0;
    KeReleaseSpinLock(&g_Lock, old);
    ok += g_DpcRan == 1 && KeGetCurrentIrql() == PASSIVE_LEVEL;
    KeAcquireInStackQueuedSpinLock(&g_Lock, &handle);
    ok += g_Lock != 0;
    KeReleaseInStackQueuedSpinLock(&handle);
    KeInitializeMutex(&g_Mutex, 0);
    KeWaitForSingleObject(&g_Mutex, Executive, KernelMode, FALSE, NULL);
    KeWaitForSingleObject(&g_Mutex, Executive, KernelMode, FALSE, NULL);
    ok += KeReadStateMutex(&g_Mutex) == -1 && KeAreApcsDisabled();
    KeReleaseMutex(&g_Mutex, FALSE);
    KeReleaseMutex(&g_Mutex, FALSE);
    KeEnterGuardedRegion();
    ok += KeAreApcsDisabled() && KeReadStateMutex(&g_Mutex) == 1;
    KeLeaveGuardedRegion();
    ExInitializeFastMutex(&g_Fast);
    ExAcquireFastMutex(&g_Fast);
    ok += KeGetCurrentIrql() == APC_LEVEL && !ExTryToAcquireFastMutex(&g_Fast);
    ExReleaseFastMutex(&g_Fast);
    return ok;
}

static NTSTATUS NTAPI IrqlBugIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    LARGE_INTEGER timeout;
    KIRQL old;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_KEPT:
        if (CORPUS_OUT_LEN(sp) < 4)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)Irp->AssociatedIrp.SystemBuffer = Kept();
        return CorpusComplete(Irp, STATUS_SUCCESS, 4);
    case IOCTL_WAIT_AT_DISPATCH:
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        timeout.QuadPart = -10 * 1000 * 10;
        KeWaitForSingleObject(&g_Event, Executive, KernelMode, FALSE, &timeout);
        KeLowerIrql(old);
        return CorpusComplete(Irp, STATUS_UNSUCCESSFUL, 0);
    case IOCTL_SPIN_NOT_HELD:
        KeInitializeSpinLock(&g_Lock);
        KeReleaseSpinLock(&g_Lock, PASSIVE_LEVEL);
        return CorpusComplete(Irp, STATUS_UNSUCCESSFUL, 0);
    case IOCTL_MUTEX_NOT_OWNED:
        KeInitializeMutex(&g_Mutex, 0);
        KeReleaseMutex(&g_Mutex, FALSE);
        return CorpusComplete(Irp, STATUS_UNSUCCESSFUL, 0);
    case IOCTL_WAIT_IN_DPC:
        KeInitializeDpc(&g_Dpc, WaitingDpc, NULL);
        KeInsertQueueDpc(&g_Dpc, NULL, NULL);
        return CorpusComplete(Irp, STATUS_UNSUCCESSFUL, 0);
    case IOCTL_APC_LEFT_DISABLED:
        KeEnterCriticalRegion();
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI IrqlBugUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\IrqlBug");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\IrqlBug", L"\\DosDevices\\IrqlBug", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeEvent(&g_Event, NotificationEvent, FALSE);
    CorpusSetDispatch(DriverObject, IrqlBugIoctl);
    DriverObject->DriverUnload = IrqlBugUnload;
    return STATUS_SUCCESS;
}
