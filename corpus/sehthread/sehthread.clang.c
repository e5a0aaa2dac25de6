/*
 * sehthread - structured exception handling in system threads, interleaved with the
 * requests' own: each thread's faults are dispatched on its own stack to its own handlers
 * (on x86 its own fs:[0] chain, which the scheduler keeps per thread as Windows' context
 * switch does), and an exception nobody handles in a system thread or a work item ends in
 * SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E) rather than KMODE_EXCEPTION_NOT_HANDLED.
 * Built with clang for the MSVC targets (gcc does not compile __try); as in seh.clang.c,
 * every fault happens in a function called from the guarded code.
 *
 * Device \Device\SehThread, symbolic link \DosDevices\SehThread.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)); outputs are
 * arrays of ULONGs ("out[n]").
 *
 *   0x800 INTERLEAVE in: ULONG address (a bad user pointer). Inside a __try of its own, the
 *                    request starts a system thread and waits until the thread is inside a
 *                    __try too and waiting there; then the request reads the address (its
 *                    handler must catch it, not the thread's), lets the thread go on and
 *                    waits for it to end; the thread then reads the address (its handler
 *                    must catch it, not the request's, long gone). out[0] the request
 *                    caught, out[1] its code, out[2] the thread caught, out[3] its code,
 *                    out[4] the order the handlers ran in (0x12: request's first).
 *   0x801 TRACE      A system thread takes its call stack (RtlCaptureStackBackTrace and
 *                    RtlWalkFrameChain): out as seh's BACKTRACE (the stack ends at the
 *                    thread's start routine).
 *   0x802 CRASH      in: ULONG address. A system thread reads it with no handler; the
 *                    request waits for the thread (the bugcheck ends the run first).
 *   0x803 WORKCRASH  in: ULONG address. A work item reads it with no handler, on a system
 *                    worker thread; the request waits for it.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOCTL_INTERLEAVE CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_TRACE CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_CRASH CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_WORKCRASH CORPUS_IOCTL(0x803, METHOD_BUFFERED)

#define OUT_WORDS 8

NTSYSAPI USHORT NTAPI RtlCaptureStackBackTrace(ULONG FramesToSkip, ULONG FramesToCapture, PVOID *BackTrace,
                                               PULONG BackTraceHash);
NTSYSAPI ULONG NTAPI RtlWalkFrameChain(PVOID *Callers, ULONG Count, ULONG Flags);

static PDEVICE_OBJECT g_Device;
static PDRIVER_OBJECT g_Driver;
static KEVENT g_Entered;
static KEVENT g_Go;
static KEVENT g_WorkDone;

/* What the thread saw, and the order the handlers ran in (a digit per handler). */
static volatile ULONG g_out[OUT_WORDS];
static volatile ULONG g_order;

static __declspec(noinline) ULONG Load(ULONG_PTR at)
{
    return *(volatile ULONG *)at;
}

static LONG AvFilter(ULONG code)
{
    return code == (ULONG)STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

/* Starts Routine(Context) on a system thread and waits until it ends. */
static NTSTATUS RunThread(PKSTART_ROUTINE Routine, PVOID Context)
{
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    PVOID thread;
    NTSTATUS status;

    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, Routine, Context);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(h, SYNCHRONIZE, CORPUS_OBJECT_TYPE(PsThreadType), KernelMode, &thread, NULL);
    if (NT_SUCCESS(status)) {
        KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(thread);
    }
    ZwClose(h);
    return status;
}

/* INTERLEAVE's thread: waits inside its __try while the request faults, then faults. */
static VOID NTAPI InterleavedThread(PVOID Context)
{
    __try {
        KeSetEvent(&g_Entered, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(&g_Go, Executive, KernelMode, FALSE, NULL);
        g_out[3] = Load((ULONG_PTR)Context);
    } __except (AvFilter(GetExceptionCode())) {
        g_out[2] = 1;
        g_out[3] = GetExceptionCode();
        g_order = g_order * 16 + 2;
    }
}

static __declspec(noinline) ULONG Interleave(ULONG_PTR at, PULONG out)
{
    OBJECT_ATTRIBUTES oa;
    HANDLE h = NULL;
    PVOID thread = NULL;

    for (ULONG i = 0; i < OUT_WORDS; i++)
        g_out[i] = 0;
    g_order = 0;
    KeClearEvent(&g_Entered);
    KeClearEvent(&g_Go);
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    __try {
        if (NT_SUCCESS(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, InterleavedThread, (PVOID)at))) {
            /* The thread is inside its __try, waiting for g_Go, when this returns. */
            KeWaitForSingleObject(&g_Entered, Executive, KernelMode, FALSE, NULL);
            g_out[1] = Load(at);
        }
    } __except (AvFilter(GetExceptionCode())) {
        g_out[0] = 1;
        g_out[1] = GetExceptionCode();
        g_order = g_order * 16 + 1;
    }
    if (h == NULL)
        return 0;
    KeSetEvent(&g_Go, IO_NO_INCREMENT, FALSE);
    if (NT_SUCCESS(ObReferenceObjectByHandle(h, SYNCHRONIZE, CORPUS_OBJECT_TYPE(PsThreadType), KernelMode, &thread,
                                             NULL))) {
        KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(thread);
    }
    ZwClose(h);
    g_out[4] = g_order;
    for (ULONG i = 0; i < 5; i++)
        out[i] = g_out[i];
    return 5 * sizeof(ULONG);
}

/* TRACE's thread: the call stack from a function it calls. */
static __declspec(noinline) VOID Trace(VOID)
{
    PVOID frames[8] = {0};
    PVOID walked[8] = {0};
    ULONG_PTR start = (ULONG_PTR)g_Driver->DriverStart;
    ULONG_PTR end = start + g_Driver->DriverSize;
    USHORT n = RtlCaptureStackBackTrace(0, 8, frames, NULL);
    ULONG inside = 0;

    for (USHORT i = 0; i < n; i++)
        if ((ULONG_PTR)frames[i] >= start && (ULONG_PTR)frames[i] < end)
            inside++;
    g_out[0] = n;
    g_out[1] = inside;
    g_out[2] = RtlWalkFrameChain(walked, 8, 0);
    g_out[3] = n > 0 && g_out[2] > 0 && (ULONG_PTR)frames[0] >= start && (ULONG_PTR)walked[0] >= start &&
               (ULONG_PTR)frames[0] < end && (ULONG_PTR)walked[0] < end;
}

static VOID NTAPI TraceThread(PVOID Context)
{
    (void)Context;
    Trace();
    g_order = 1; /* after the call: not a tail call, the thread's frame stays */
}

/* CRASH's thread: a read nobody guards. */
static VOID NTAPI CrashThread(PVOID Context)
{
    g_out[0] = Load((ULONG_PTR)Context);
}

/* WORKCRASH's work item: the same, on a worker thread. */
static VOID NTAPI CrashWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    (void)DeviceObject;
    g_out[0] = Load((ULONG_PTR)Context);
    KeSetEvent(&g_WorkDone, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS NTAPI SehThreadIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG buf = Irp->AssociatedIrp.SystemBuffer;
    ULONG in0 = 0;
    ULONG info = 0;
    NTSTATUS status = STATUS_SUCCESS;

    (void)DeviceObject;
    if (CORPUS_OUT_LEN(sp) < OUT_WORDS * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (CORPUS_IN_LEN(sp) >= sizeof(ULONG))
        in0 = buf[0];

    switch (CORPUS_CODE(sp)) {
    case IOCTL_INTERLEAVE:
        info = Interleave(in0, buf);
        break;
    case IOCTL_TRACE:
        status = RunThread(TraceThread, NULL);
        for (ULONG i = 0; i < 4; i++)
            buf[i] = g_out[i];
        info = 4 * sizeof(ULONG);
        break;
    case IOCTL_CRASH:
        status = RunThread(CrashThread, (PVOID)(ULONG_PTR)in0);
        break;
    case IOCTL_WORKCRASH: {
        PIO_WORKITEM item = IoAllocateWorkItem(g_Device);
        if (item == NULL)
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        KeClearEvent(&g_WorkDone);
        IoQueueWorkItem(item, CrashWork, DelayedWorkQueue, (PVOID)(ULONG_PTR)in0);
        KeWaitForSingleObject(&g_WorkDone, Executive, KernelMode, FALSE, NULL);
        IoFreeWorkItem(item);
        break;
    }
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
    return CorpusComplete(Irp, status, NT_SUCCESS(status) ? info : 0);
}

static VOID NTAPI SehThreadUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\SehThread");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    g_Driver = DriverObject;
    KeInitializeEvent(&g_Entered, NotificationEvent, FALSE);
    KeInitializeEvent(&g_Go, NotificationEvent, FALSE);
    KeInitializeEvent(&g_WorkDone, NotificationEvent, FALSE);
    status = CorpusCreateDevice(DriverObject, L"\\Device\\SehThread", L"\\DosDevices\\SehThread", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, SehThreadIoctl);
    DriverObject->DriverUnload = SehThreadUnload;
    return STATUS_SUCCESS;
}
