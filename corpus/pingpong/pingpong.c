/*
 * pingpong - two system threads handing control back and forth through two events, and an
 * IOCTL that queues a DPC and waits for it, for as many rounds as asked (benchmarks run it
 * with many).
 *
 * Device \Device\PingPong, symbolic link \DosDevices\PingPong.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 THREADS    METHOD_BUFFERED     code 0x80002000
 *     in (4 bytes): rounds. Ping sets g_Ping and waits on g_Pong, Pong waits on g_Ping and
 *     sets g_Pong, each that many times (synchronization events); the caller waits for both
 *     threads. out (8 bytes): the rounds each thread completed.
 *
 *   0x801 DPCS       METHOD_BUFFERED     code 0x80002004
 *     in (4 bytes): rounds. Each round queues a DPC that sets g_Back, then waits on g_Back.
 *     out (4 bytes): the DPCs that ran.
 */
#include "corpus.h"

#define IOCTL_THREADS CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_DPCS CORPUS_IOCTL(0x801, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static KEVENT g_Ping, g_Pong, g_Back;
static KDPC g_Dpc;
static ULONG g_Rounds, g_PingDone, g_PongDone;
static volatile ULONG g_DpcRuns;

static VOID NTAPI Ping(PVOID Context)
{
    ULONG i;

    (void)Context;
    for (i = 0; i < g_Rounds; i++) {
        KeSetEvent(&g_Ping, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(&g_Pong, Executive, KernelMode, FALSE, NULL);
        g_PingDone++;
    }
}

static VOID NTAPI Pong(PVOID Context)
{
    ULONG i;

    (void)Context;
    for (i = 0; i < g_Rounds; i++) {
        KeWaitForSingleObject(&g_Ping, Executive, KernelMode, FALSE, NULL);
        g_PongDone++;
        KeSetEvent(&g_Pong, IO_NO_INCREMENT, FALSE);
    }
}

static VOID NTAPI Back(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    g_DpcRuns++;
    KeSetEvent(&g_Back, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS Start(PKSTART_ROUTINE Routine, PVOID *Thread)
{
    HANDLE h;
    NTSTATUS status;

    status = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, NULL);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(h, SYNCHRONIZE, CORPUS_OBJECT_TYPE(PsThreadType), KernelMode, Thread, NULL);
    ZwClose(h);
    return status;
}

static NTSTATUS NTAPI PingPongIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG buf = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    PVOID threads[2];
    NTSTATUS status;
    ULONG i, rounds;

    (void)DeviceObject;
    if (CORPUS_IN_LEN(sp) < 4)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    rounds = buf[0];
    switch (CORPUS_CODE(sp)) {
    case IOCTL_THREADS:
        if (CORPUS_OUT_LEN(sp) < 8)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        g_Rounds = rounds;
        g_PingDone = g_PongDone = 0;
        status = Start(Ping, &threads[0]);
        if (NT_SUCCESS(status))
            status = Start(Pong, &threads[1]);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        status = KeWaitForMultipleObjects(2, threads, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
        ObDereferenceObject(threads[0]);
        ObDereferenceObject(threads[1]);
        buf[0] = g_PingDone;
        buf[1] = g_PongDone;
        return CorpusComplete(Irp, status, 8);
    case IOCTL_DPCS:
        g_DpcRuns = 0;
        for (i = 0; i < rounds; i++) {
            KeInsertQueueDpc(&g_Dpc, NULL, NULL);
            KeWaitForSingleObject(&g_Back, Executive, KernelMode, FALSE, NULL);
        }
        buf[0] = g_DpcRuns;
        return CorpusComplete(Irp, STATUS_SUCCESS, 4);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI PingPongUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\PingPong");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\PingPong", L"\\DosDevices\\PingPong", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeEvent(&g_Ping, SynchronizationEvent, FALSE);
    KeInitializeEvent(&g_Pong, SynchronizationEvent, FALSE);
    KeInitializeEvent(&g_Back, SynchronizationEvent, FALSE);
    KeInitializeDpc(&g_Dpc, Back, NULL);
    CorpusSetDispatch(DriverObject, PingPongIoctl);
    DriverObject->DriverUnload = PingPongUnload;
    return STATUS_SUCCESS;
}
