/*
 * pitisr - counts timer ticks in an interrupt service routine: connects an ISR
 * to the PIT's IRQ 0 with IoConnectInterrupt, programs PIT channel 0 as a rate
 * generator, lets time pass, reads the count with KeSynchronizeExecution and
 * disconnects.
 *
 * Device \Device\PitIsr, symbolic link \DosDevices\PitIsr.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *
 *   0x800 COUNT_TICKS   code 0x80002000
 *     in:  ULONG rate_hz (19 to 10000); ULONG duration_ms (1 to 1000)
 *                                                           (>= 8 bytes)
 *     vector = HalGetInterruptVector(Isa, 0, 0, 0, &irql, &affinity);
 *     IoConnectInterrupt(ISR, vector, irql, irql, Latched, not shared);
 *     PIT channel 0: control 0x34 (lobyte/hibyte, mode 2), count 1193182 /
 *     rate_hz; KeStallExecutionProcessor(50) x 20 x duration_ms; the count
 *     read under KeSynchronizeExecution; channel 0 back to mode 3, count 0
 *     (18.2 Hz); IoDisconnectInterrupt.
 *     out: ULONG ticks counted by the ISR                   (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4; out-of-range input
 *     STATUS_INVALID_PARAMETER; a failed connection its status; both
 *     Information 0.
 *
 *   0x801 WAIT_TICKS    code 0x80002004
 *     in:  ULONG rate_hz (19 to 10000); ULONG ticks (1 to 1000) (>= 8 bytes)
 *     The same connection and rate, but the dispatch routine waits (no timeout)
 *     on an event that a DPC sets, queued by the ISR at the ticks-th tick: the
 *     interrupts must come while nothing else can run.
 *     out: ULONG milliseconds of interrupt time the wait took (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4; out of range STATUS_INVALID_PARAMETER.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#ifdef _WIN64
/* Declared by the x86 headers only; hal.dll exports it on both. */
NTHALAPI ULONG NTAPI HalGetInterruptVector(INTERFACE_TYPE InterfaceType, ULONG BusNumber, ULONG BusInterruptLevel,
                                           ULONG BusInterruptVector, PKIRQL Irql, PKAFFINITY Affinity);
#endif

#define IOCTL_COUNT_TICKS CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_WAIT_TICKS CORPUS_IOCTL(0x801, METHOD_BUFFERED)

#define PIT_HZ 1193182
#define PIT_CH0 ((PUCHAR)0x40)
#define PIT_CMD ((PUCHAR)0x43)

typedef struct _TICKS {
    volatile ULONG Count;
    ULONG Snapshot;
    /* WAIT_TICKS: the tick that queues the DPC (0: none). */
    ULONG Target;
    KDPC Dpc;
    KEVENT Done;
} TICKS;

static PDEVICE_OBJECT g_Device;
static TICKS g_Ticks;

static BOOLEAN NTAPI TickIsr(PKINTERRUPT Interrupt, PVOID Context)
{
    TICKS *t = Context;

    (void)Interrupt;
    if (++t->Count == t->Target)
        KeInsertQueueDpc(&t->Dpc, NULL, NULL);
    return TRUE;
}

static VOID NTAPI TicksReached(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Arg1;
    (void)Arg2;
    KeSetEvent(&((TICKS *)Context)->Done, IO_NO_INCREMENT, FALSE);
}

static BOOLEAN NTAPI Snapshot(PVOID Context)
{
    TICKS *t = Context;

    t->Snapshot = t->Count;
    return TRUE;
}

static VOID Program(UCHAR control, ULONG count)
{
    WRITE_PORT_UCHAR(PIT_CMD, control);
    WRITE_PORT_UCHAR(PIT_CH0, (UCHAR)count);
    WRITE_PORT_UCHAR(PIT_CH0, (UCHAR)(count >> 8));
}

static NTSTATUS CountTicks(ULONG rate, ULONG ms, ULONG *ticks)
{
    KIRQL irql;
    KAFFINITY affinity;
    ULONG vector, i;
    PKINTERRUPT interrupt;
    NTSTATUS status;

    g_Ticks.Count = 0;
    vector = HalGetInterruptVector(Isa, 0, 0, 0, &irql, &affinity);
    status = IoConnectInterrupt(&interrupt, TickIsr, &g_Ticks, NULL, vector, irql, irql, Latched, FALSE, affinity,
                                FALSE);
    if (!NT_SUCCESS(status))
        return status;
    Program(0x34, PIT_HZ / rate);
    for (i = 0; i < 20 * ms; i++)
        KeStallExecutionProcessor(50);
    KeSynchronizeExecution(interrupt, Snapshot, &g_Ticks);
    Program(0x36, 0);
    IoDisconnectInterrupt(interrupt);
    *ticks = g_Ticks.Snapshot;
    DbgPrint("pitisr: %lu ticks at %lu Hz in %lu ms\n", *ticks, rate, ms);
    return STATUS_SUCCESS;
}

static NTSTATUS WaitTicks(ULONG rate, ULONG target, ULONG *ms)
{
    KIRQL irql;
    KAFFINITY affinity;
    ULONG vector;
    PKINTERRUPT interrupt;
    NTSTATUS status;
    ULONGLONG start;

    g_Ticks.Count = 0;
    g_Ticks.Target = target;
    KeInitializeDpc(&g_Ticks.Dpc, TicksReached, &g_Ticks);
    KeInitializeEvent(&g_Ticks.Done, NotificationEvent, FALSE);
    vector = HalGetInterruptVector(Isa, 0, 0, 0, &irql, &affinity);
    status = IoConnectInterrupt(&interrupt, TickIsr, &g_Ticks, NULL, vector, irql, irql, Latched, FALSE, affinity,
                                FALSE);
    if (!NT_SUCCESS(status))
        return status;
    start = KeQueryInterruptTime();
    Program(0x34, PIT_HZ / rate);
    KeWaitForSingleObject(&g_Ticks.Done, Executive, KernelMode, FALSE, NULL);
    /* 32-bit arithmetic: the x86 build has no 64-bit division helper. */
    *ms = (ULONG)(KeQueryInterruptTime() - start) / 10000;
    Program(0x36, 0);
    IoDisconnectInterrupt(interrupt);
    g_Ticks.Target = 0;
    DbgPrint("pitisr: waited %lu ms for %lu ticks at %lu Hz\n", *ms, target, rate);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI PitIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG buffer = Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status;
    ULONG ticks;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_COUNT_TICKS && CORPUS_CODE(sp) != IOCTL_WAIT_TICKS)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_IN_LEN(sp) < 8 || CORPUS_OUT_LEN(sp) < 4)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (buffer[0] < 19 || buffer[0] > 10000 || buffer[1] < 1 || buffer[1] > 1000)
        return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    if (CORPUS_CODE(sp) == IOCTL_WAIT_TICKS)
        status = WaitTicks(buffer[0], buffer[1], &ticks);
    else
        status = CountTicks(buffer[0], buffer[1], &ticks);
    if (!NT_SUCCESS(status))
        return CorpusComplete(Irp, status, 0);
    buffer[0] = ticks;
    return CorpusComplete(Irp, STATUS_SUCCESS, 4);
}

static VOID NTAPI PitUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\PitIsr");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\PitIsr", L"\\DosDevices\\PitIsr", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, PitIoctl);
    DriverObject->DriverUnload = PitUnload;
    return STATUS_SUCCESS;
}
