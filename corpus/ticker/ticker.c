/*
 * ticker - a periodic timer whose DPC counts ticks, read across virtual time.
 *
 * Device \Device\Ticker, symbolic link \DosDevices\Ticker.
 * DriverEntry arms a synchronization timer (KeInitializeTimerEx) to expire in 10 ms and
 * every 10 ms after, with a DPC (KeInitializeDpc) that increments g_Ticks
 * (InterlockedIncrement) and records the processor it ran on and its IRQL (2).
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 TICKS      METHOD_BUFFERED     code 0x80002000
 *     out (12 bytes): g_Ticks, the IRQL the last DPC ran at, and KeReadStateTimer (0/1).
 *
 *   0x801 CLOCKS     METHOD_BUFFERED     code 0x80002004
 *     out (32 bytes): KeQuerySystemTime, KeQueryInterruptTime (KeQueryInterruptTime on x86,
 *     KUSER_SHARED_DATA on x64 through the macros), KeQueryTickCount, and the performance
 *     counter's frequency from KeQueryPerformanceCounter. Also checks KeQueryTimeIncrement
 *     is 156250 (else STATUS_UNSUCCESSFUL).
 *
 *   0x802 ONESHOT    METHOD_BUFFERED     code 0x80002008
 *     arms a one-shot notification timer for 30 ms (no DPC) and waits on it with a 1 s
 *     timeout: completes with the wait's status (STATUS_SUCCESS once it expired).
 *     out (4 bytes): what KeCancelTimer of the periodic timer returned (1: it was armed);
 *     the periodic timer is then armed again (10 ms from now).
 *
 *   0x803 LATER      METHOD_BUFFERED     code 0x8000200C
 *     arms a one-shot timer for 40 ms with a DPC that sets g_Later to 1, and returns at once.
 *     TICKS with a 16-byte buffer adds g_Later as a fourth value.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 *
 * DriverUnload cancels the timer, removes a queued DPC, and deletes the link and device.
 */
#include "corpus.h"

#define IOCTL_TICKS CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_CLOCKS CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_ONESHOT CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_LATER CORPUS_IOCTL(0x803, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static KTIMER g_Timer;
static KDPC g_Dpc;
static volatile LONG g_Ticks;
static volatile ULONG g_DpcIrql;
static KTIMER g_LaterTimer;
static KDPC g_LaterDpc;
static volatile ULONG g_Later;

static VOID NTAPI LaterDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    g_Later = 1;
}

static VOID NTAPI TickDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    InterlockedIncrement(&g_Ticks);
    g_DpcIrql = KeGetCurrentIrql();
}

static VOID Arm(VOID)
{
    LARGE_INTEGER due;

    due.QuadPart = -10 * 1000 * 10; /* 10 ms */
    KeSetTimerEx(&g_Timer, due, 10, &g_Dpc);
}

static NTSTATUS NTAPI TickerIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    LARGE_INTEGER t, freq, timeout;
    KTIMER once;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_TICKS:
        if (CORPUS_OUT_LEN(sp) < 12)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        out[0] = (ULONG)g_Ticks;
        out[1] = g_DpcIrql;
        out[2] = KeReadStateTimer(&g_Timer);
        if (CORPUS_OUT_LEN(sp) < 16)
            return CorpusComplete(Irp, STATUS_SUCCESS, 12);
        out[3] = g_Later;
        return CorpusComplete(Irp, STATUS_SUCCESS, 16);
    case IOCTL_CLOCKS:
        if (CORPUS_OUT_LEN(sp) < 32)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        KeQuerySystemTime(&t);
        ((PLONGLONG)out)[0] = t.QuadPart;
        ((PULONGLONG)out)[1] = KeQueryInterruptTime();
        KeQueryTickCount(&t);
        ((PLONGLONG)out)[2] = t.QuadPart;
        KeQueryPerformanceCounter(&freq);
        ((PLONGLONG)out)[3] = freq.QuadPart;
        status = KeQueryTimeIncrement() == 156250 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
        return CorpusComplete(Irp, status, 32);
    case IOCTL_ONESHOT:
        if (CORPUS_OUT_LEN(sp) < 4)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        KeInitializeTimer(&once);
        t.QuadPart = -10 * 1000 * 30; /* 30 ms */
        KeSetTimer(&once, t, NULL);
        timeout.QuadPart = -10 * 1000 * 1000;
        status = KeWaitForSingleObject(&once, Executive, KernelMode, FALSE, &timeout);
        out[0] = KeCancelTimer(&g_Timer);
        Arm();
        return CorpusComplete(Irp, status, 4);
    case IOCTL_LATER:
        t.QuadPart = -10 * 1000 * 40; /* 40 ms */
        KeSetTimer(&g_LaterTimer, t, &g_LaterDpc);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI TickerUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    KeCancelTimer(&g_Timer);
    KeCancelTimer(&g_LaterTimer);
    KeRemoveQueueDpc(&g_Dpc);
    KeRemoveQueueDpc(&g_LaterDpc);
    CorpusDeleteLink(L"\\DosDevices\\Ticker");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Ticker", L"\\DosDevices\\Ticker", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeTimerEx(&g_Timer, SynchronizationTimer);
    KeInitializeDpc(&g_Dpc, TickDpc, NULL);
    KeInitializeTimer(&g_LaterTimer);
    KeInitializeDpc(&g_LaterDpc, LaterDpc, NULL);
    Arm();
    CorpusSetDispatch(DriverObject, TickerIoctl);
    DriverObject->DriverUnload = TickerUnload;
    return STATUS_SUCCESS;
}
