/*
 * percpu - a DPC on every processor: KeGenericCallDpc with its barrier, DPCs targeted at
 * each processor with KeSetTargetProcessorDpc, waited for with KeFlushQueuedDpcs, and a
 * hand-rolled rendezvous of all processors spinning on shared memory.
 *
 * Device \Device\PerCpu, symbolic link \DosDevices\PerCpu.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 GENERIC    METHOD_BUFFERED     code 0x80002000
 *     KeGenericCallDpc(Broadcast): each processor's DPC records its processor number
 *     (KeGetCurrentProcessorNumberEx) and IRQL, increments a counter, synchronizes
 *     (KeSignalCallDpcSynchronize: counts how many returned TRUE), reads the counter after
 *     the barrier (every DPC must see all of them), and signals done.
 *     out (16 bytes): processors (KeQueryActiveProcessorCount), DPCs run, TRUE results of
 *     the barrier (1), and a bit mask of the processors seen, with bit 31 set if any DPC
 *     ran below DISPATCH_LEVEL or saw fewer than all DPCs after the barrier.
 *
 *   0x801 TARGETED   METHOD_BUFFERED     code 0x80002004
 *     one KDPC per processor (at most 32), targeted with KeSetTargetProcessorDpc, inserted,
 *     then KeFlushQueuedDpcs. out (8 bytes): the mask of processors the DPCs ran on, and
 *     KeQueryActiveProcessors' mask (equal).
 *
 *   0x802 RENDEZVOUS METHOD_BUFFERED     code 0x80002008
 *     the hand-rolled processor rendezvous some drivers use instead of KeGenericCallDpc: at
 *     DISPATCH_LEVEL, a DPC targeted at every other processor; each DPC counts itself in and
 *     spins until the caller lets them go, which it does once all are in, then spins until
 *     all are out. Only processors that run side by side get through it.
 *     out (8 bytes): the mask of processors that got through (the caller's included), and
 *     KeQueryActiveProcessors' mask (equal).
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

/* Undocumented, exported by ntoskrnl since Windows Vista SP1. */
NTKERNELAPI VOID NTAPI KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context);
NTKERNELAPI VOID NTAPI KeSignalCallDpcDone(PVOID SystemArgument1);
NTKERNELAPI LOGICAL NTAPI KeSignalCallDpcSynchronize(PVOID SystemArgument2);

#define IOCTL_GENERIC CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_TARGETED CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_RENDEZVOUS CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define SPIN() __asm__ __volatile__("pause" ::: "memory")

static PDEVICE_OBJECT g_Device;

typedef struct {
    volatile LONG Ran;
    volatile LONG Last;
    volatile LONG Seen;
    volatile LONG Bad;
    ULONG Total;
} BROADCAST;

static VOID NTAPI Broadcast(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    BROADCAST *b = (BROADCAST *)Context;
    ULONG cpu = KeGetCurrentProcessorNumberEx(NULL);

    (void)Dpc;
    if (KeGetCurrentIrql() != DISPATCH_LEVEL)
        InterlockedOr(&b->Bad, 1);
    InterlockedOr(&b->Seen, 1 << (cpu & 31));
    InterlockedIncrement(&b->Ran);
    if (KeSignalCallDpcSynchronize(Arg2))
        InterlockedIncrement(&b->Last);
    if ((ULONG)b->Ran != b->Total)
        InterlockedOr(&b->Bad, 1);
    KeSignalCallDpcDone(Arg1);
}

static KDPC g_Dpcs[32];
static volatile LONG g_Mask;

static VOID NTAPI Targeted(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    InterlockedOr(&g_Mask, 1 << (KeGetCurrentProcessorNumberEx(NULL) & 31));
}

static volatile LONG g_In, g_Go;

static VOID NTAPI Rendezvous(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    (void)Dpc;
    (void)Context;
    (void)Arg1;
    (void)Arg2;
    InterlockedIncrement(&g_In);
    while (g_Go == 0)
        SPIN();
    InterlockedOr(&g_Mask, 1 << (KeGetCurrentProcessorNumberEx(NULL) & 31));
    InterlockedDecrement(&g_In);
}

static VOID RendezvousAll(ULONG n)
{
    KIRQL old;
    ULONG i, self;

    g_In = 0;
    g_Go = 0;
    g_Mask = 0;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    self = KeGetCurrentProcessorNumberEx(NULL);
    for (i = 0; i < n && i < 32; i++) {
        if (i == self)
            continue;
        KeInitializeDpc(&g_Dpcs[i], Rendezvous, NULL);
        KeSetTargetProcessorDpc(&g_Dpcs[i], (CCHAR)i);
        KeInsertQueueDpc(&g_Dpcs[i], NULL, NULL);
    }
    while ((ULONG)g_In != n - 1)
        SPIN();
    InterlockedOr(&g_Mask, 1 << (self & 31));
    InterlockedExchange(&g_Go, 1);
    while (g_In != 0)
        SPIN();
    KeLowerIrql(old);
}

static NTSTATUS NTAPI PerCpuIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    BROADCAST b;
    ULONG i, n;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_GENERIC:
        if (CORPUS_OUT_LEN(sp) < 16)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        RtlZeroMemory(&b, sizeof(b));
        b.Total = KeQueryActiveProcessorCount(NULL);
        KeGenericCallDpc(Broadcast, &b);
        out[0] = b.Total;
        out[1] = (ULONG)b.Ran;
        out[2] = (ULONG)b.Last;
        out[3] = (ULONG)b.Seen | (b.Bad ? 0x80000000u : 0);
        return CorpusComplete(Irp, STATUS_SUCCESS, 16);
    case IOCTL_TARGETED:
        if (CORPUS_OUT_LEN(sp) < 8)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        n = KeQueryActiveProcessorCount(NULL);
        g_Mask = 0;
        for (i = 0; i < n && i < 32; i++) {
            KeInitializeDpc(&g_Dpcs[i], Targeted, NULL);
            KeSetTargetProcessorDpc(&g_Dpcs[i], (CCHAR)i);
            KeInsertQueueDpc(&g_Dpcs[i], NULL, NULL);
        }
        KeFlushQueuedDpcs();
        out[0] = (ULONG)g_Mask;
        out[1] = (ULONG)KeQueryActiveProcessors();
        return CorpusComplete(Irp, STATUS_SUCCESS, 8);
    case IOCTL_RENDEZVOUS:
        if (CORPUS_OUT_LEN(sp) < 8)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        RendezvousAll(KeQueryActiveProcessorCount(NULL));
        out[0] = (ULONG)g_Mask;
        out[1] = (ULONG)KeQueryActiveProcessors();
        return CorpusComplete(Irp, STATUS_SUCCESS, 8);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI PerCpuUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\PerCpu");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\PerCpu", L"\\DosDevices\\PerCpu", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, PerCpuIoctl);
    DriverObject->DriverUnload = PerCpuUnload;
    return STATUS_SUCCESS;
}
