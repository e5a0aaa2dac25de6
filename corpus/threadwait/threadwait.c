/*
 * threadwait - a system thread that waits on an event an IOCTL sets, and an IOCTL that
 * waits for the thread's answer.
 *
 * Device \Device\ThreadWait, symbolic link \DosDevices\ThreadWait.
 * DriverEntry creates a synchronization event g_Go and a notification event g_Done, and a
 * system thread (PsCreateSystemThread, a kernel handle) that loops: wait on g_Go
 * (KeWaitForSingleObject, no timeout); when g_Stop is set, print its count and end with
 * PsTerminateSystemThread(STATUS_SUCCESS); otherwise count one, print
 * "threadwait: worker woke <n> (tid <id>, system thread <yes/no>)", set g_Done.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 KICK       METHOD_BUFFERED     code 0x80002000
 *     clears g_Done, sets g_Go, waits on g_Done with a one-second timeout.
 *     out (4 bytes): the worker's count. STATUS_SUCCESS when the worker answered,
 *     STATUS_TIMEOUT when it did not.
 *
 *   0x801 POLL       METHOD_BUFFERED     code 0x80002004
 *     KeWaitForSingleObject(g_Done) with a zero timeout (a poll).
 *     Completes with that status: STATUS_SUCCESS when set, STATUS_TIMEOUT otherwise.
 *
 *   0x802 HANDLES    METHOD_BUFFERED     code 0x80002008
 *     an event made with ZwCreateEvent (notification, not signaled), set with ZwSetEvent
 *     (previous state 0), waited on with ZwWaitForSingleObject (STATUS_SUCCESS), then a wait
 *     with a 10 ms timeout on g_Go, which nobody sets (STATUS_TIMEOUT), then ZwClose.
 *     out (4 bytes): the number of those steps that behaved as described (5).
 *
 *   0x803 USER_THREAD METHOD_BUFFERED     code 0x8000200C
 *     in (two pointer-sized values): a start address and a parameter in the calling
 *     process. RtlCreateUserThread(NtCurrentProcess(), ...) starts a thread there.
 *     out (4 + 4 + 8 bytes): the status, the new thread's id, its handle (in the caller's
 *     handle table, as ZwCreateThread gives it). Completes with STATUS_SUCCESS whatever
 *     RtlCreateUserThread answered (the status is in the output); STATUS_BUFFER_TOO_SMALL
 *     for short buffers.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 *
 * DriverUnload sets g_Stop and g_Go, waits on the thread object (referenced through its
 * handle with ObReferenceObjectByHandle(*PsThreadType)), dereferences it, closes the handle,
 * and deletes the link and device.
 */
#include "corpus.h"

/* ntifs.h declarations, repeated here (corpus.h includes ntddk.h). */
NTSYSAPI NTSTATUS NTAPI ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess,
                                      POBJECT_ATTRIBUTES ObjectAttributes, EVENT_TYPE EventType,
                                      BOOLEAN InitialState);
NTSYSAPI NTSTATUS NTAPI ZwSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSYSAPI NTSTATUS NTAPI ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTKERNELAPI BOOLEAN NTAPI PsIsSystemThread(PETHREAD Thread);
NTSYSAPI NTSTATUS NTAPI RtlCreateUserThread(HANDLE Process, PVOID ThreadSecurityDescriptor, BOOLEAN CreateSuspended,
                                            ULONG ZeroBits, SIZE_T MaximumStackSize, SIZE_T CommittedStackSize,
                                            PVOID StartAddress, PVOID Parameter, PHANDLE Thread, PCLIENT_ID ClientId);

#define IOCTL_KICK CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_POLL CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_HANDLES CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_USER_THREAD CORPUS_IOCTL(0x803, METHOD_BUFFERED)

/* IOCTL_USER_THREAD's input and output. */
typedef struct {
    PVOID Start;
    PVOID Parameter;
} USER_THREAD_IN;
typedef struct {
    ULONG Status;
    ULONG Tid;
    ULONGLONG Handle;
} USER_THREAD_OUT;

static PDEVICE_OBJECT g_Device;
static KEVENT g_Go, g_Done;
static HANDLE g_Thread;
static volatile LONG g_Stop;
static volatile ULONG g_Count;

static VOID NTAPI Worker(PVOID Context)
{
    (void)Context;
    for (;;) {
        KeWaitForSingleObject(&g_Go, Executive, KernelMode, FALSE, NULL);
        if (g_Stop) {
            DbgPrint("threadwait: worker stops after %lu\n", g_Count);
            PsTerminateSystemThread(STATUS_SUCCESS);
        }
        g_Count++;
        DbgPrint("threadwait: worker woke %lu (tid %p, system thread %s)\n", g_Count, PsGetCurrentThreadId(),
                 PsIsSystemThread(PsGetCurrentThread()) ? "yes" : "no");
        KeSetEvent(&g_Done, IO_NO_INCREMENT, FALSE);
    }
}

static NTSTATUS Handles(PULONG Ok)
{
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    LONG previous = -1;
    LARGE_INTEGER timeout;
    NTSTATUS status;

    *Ok = 0;
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwCreateEvent(&h, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    (*Ok)++;
    if (NT_SUCCESS(ZwSetEvent(h, &previous)) && previous == 0)
        (*Ok)++;
    if (ZwWaitForSingleObject(h, FALSE, NULL) == STATUS_SUCCESS)
        (*Ok)++;
    timeout.QuadPart = -10 * 1000 * 10; /* 10 ms */
    if (KeWaitForSingleObject(&g_Go, Executive, KernelMode, FALSE, &timeout) == STATUS_TIMEOUT)
        (*Ok)++;
    if (NT_SUCCESS(ZwClose(h)))
        (*Ok)++;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI ThreadWaitIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    LARGE_INTEGER timeout, zero;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_KICK:
        if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        KeClearEvent(&g_Done);
        KeSetEvent(&g_Go, IO_NO_INCREMENT, FALSE);
        timeout.QuadPart = -10 * 1000 * 1000; /* 1 s */
        status = KeWaitForSingleObject(&g_Done, Executive, KernelMode, FALSE, &timeout);
        *out = g_Count;
        return CorpusComplete(Irp, status, sizeof(ULONG));
    case IOCTL_POLL:
        zero.QuadPart = 0;
        return CorpusComplete(Irp, KeWaitForSingleObject(&g_Done, Executive, KernelMode, FALSE, &zero), 0);
    case IOCTL_HANDLES:
        if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = Handles(out);
        return CorpusComplete(Irp, status, sizeof(ULONG));
    case IOCTL_USER_THREAD: {
        USER_THREAD_IN in;
        USER_THREAD_OUT *o = (USER_THREAD_OUT *)Irp->AssociatedIrp.SystemBuffer;
        HANDLE h = NULL;
        CLIENT_ID cid = {0};
        if (sp->Parameters.DeviceIoControl.InputBufferLength < sizeof in || CORPUS_OUT_LEN(sp) < sizeof *o)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        in = *(USER_THREAD_IN *)Irp->AssociatedIrp.SystemBuffer;
        status = RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, in.Start, in.Parameter, &h, &cid);
        DbgPrint("threadwait: RtlCreateUserThread at %p: %08lx, thread %p\n", in.Start, status, cid.UniqueThread);
        o->Status = (ULONG)status;
        o->Tid = (ULONG)(ULONG_PTR)cid.UniqueThread;
        o->Handle = (ULONGLONG)(ULONG_PTR)h;
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof *o);
    }
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI ThreadWaitUnload(PDRIVER_OBJECT DriverObject)
{
    PVOID thread;

    (void)DriverObject;
    g_Stop = 1;
    KeSetEvent(&g_Go, IO_NO_INCREMENT, FALSE);
    if (NT_SUCCESS(ObReferenceObjectByHandle(g_Thread, SYNCHRONIZE, CORPUS_OBJECT_TYPE(PsThreadType), KernelMode,
                                             &thread, NULL))) {
        KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(thread);
    }
    ZwClose(g_Thread);
    CorpusDeleteLink(L"\\DosDevices\\ThreadWait");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    OBJECT_ATTRIBUTES oa;
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\ThreadWait", L"\\DosDevices\\ThreadWait", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeEvent(&g_Go, SynchronizationEvent, FALSE);
    KeInitializeEvent(&g_Done, NotificationEvent, FALSE);
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = PsCreateSystemThread(&g_Thread, THREAD_ALL_ACCESS, &oa, NULL, NULL, Worker, NULL);
    if (!NT_SUCCESS(status)) {
        CorpusDeleteLink(L"\\DosDevices\\ThreadWait");
        IoDeleteDevice(g_Device);
        return status;
    }
    CorpusSetDispatch(DriverObject, ThreadWaitIoctl);
    DriverObject->DriverUnload = ThreadWaitUnload;
    return STATUS_SUCCESS;
}
