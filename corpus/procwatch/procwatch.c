/*
 * procwatch - process, thread and image notify routines, fired by the scenario's
 * process_start and process_exit steps; process lookups and attaching to a process.
 *
 * Device \Device\ProcWatch, symbolic link \DosDevices\ProcWatch.
 * DriverEntry registers OnProcess (PsSetCreateProcessNotifyRoutine), OnThread
 * (PsSetCreateThreadNotifyRoutine) and OnImage (PsSetLoadImageNotifyRoutine).
 *  - OnProcess prints "procwatch: process <pid> (parent <ppid>) created/exited"; on creation
 *    it looks the process up (PsLookupProcessByProcessId), prints its image name
 *    (PsGetProcessImageFileName), attaches to it (KeStackAttachProcess: PsGetCurrentProcess
 *    is then the new process, PsGetCurrentProcessId still the creator's), detaches and
 *    dereferences it.
 *  - OnThread and OnImage count and print.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 COUNTS     METHOD_BUFFERED     code 0x80002000
 *     out (24 bytes): processes created, processes exited, threads created, threads exited,
 *     images loaded, and attach checks that held (2 per created process).
 *
 *   0x801 LOOKUP     METHOD_BUFFERED     code 0x80002004
 *     in (4 bytes): a PID. PsLookupProcessByProcessId: completes with its status; on
 *     success out (16 bytes) is the image name, and the reference is dropped.
 *
 *   0x802 PEEK       METHOD_BUFFERED     code 0x80002008
 *     in (16 bytes): a PID, 4 bytes of padding, a user address of that process. The
 *     driver attaches to the process (KeStackAttachProcess), reads 4 bytes at the address
 *     into its stack, detaches: out (4 bytes) is what that process's memory holds there.
 *
 *   0x803 COPY       METHOD_BUFFERED     code 0x8000200C
 *     in: as PEEK. MmCopyVirtualMemory from that process's address into the driver's
 *     stack (the System process's side): out (4 bytes), or the copy's status.
 *
 * DriverUnload removes the three routines.
 */
#include "corpus.h"

NTKERNELAPI NTSTATUS NTAPI PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process);
NTKERNELAPI PCHAR NTAPI PsGetProcessImageFileName(PEPROCESS Process);
typedef struct _KAPC_STATE_ {
    LIST_ENTRY ApcListHead[2];
    PVOID Process;
    BOOLEAN KernelApcInProgress;
    BOOLEAN KernelApcPending;
    BOOLEAN UserApcPending;
} KAPC_STATE_;
NTKERNELAPI VOID NTAPI KeStackAttachProcess(PEPROCESS Process, KAPC_STATE_ *ApcState);
NTKERNELAPI VOID NTAPI KeUnstackDetachProcess(KAPC_STATE_ *ApcState);
NTKERNELAPI NTSTATUS NTAPI MmCopyVirtualMemory(PEPROCESS FromProcess, PVOID FromAddress, PEPROCESS ToProcess,
                                               PVOID ToAddress, SIZE_T BufferSize, KPROCESSOR_MODE PreviousMode,
                                               PSIZE_T NumberOfBytesCopied);

#define IOCTL_COUNTS CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_LOOKUP CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_PEEK CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_COPY CORPUS_IOCTL(0x803, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static volatile ULONG g_Counts[6];

static VOID NTAPI OnProcess(HANDLE ParentId, HANDLE ProcessId, BOOLEAN Create)
{
    PEPROCESS process;
    KAPC_STATE_ apc;

    DbgPrint("procwatch: process %p (parent %p) %s\n", ProcessId, ParentId, Create ? "created" : "exited");
    if (!Create) {
        g_Counts[1]++;
        return;
    }
    g_Counts[0]++;
    if (!NT_SUCCESS(PsLookupProcessByProcessId(ProcessId, &process)))
        return;
    DbgPrint("procwatch: image %s\n", PsGetProcessImageFileName(process));
    KeStackAttachProcess(process, &apc);
    g_Counts[5] += PsGetCurrentProcess() == process;
    g_Counts[5] += PsGetCurrentProcessId() == ParentId;
    KeUnstackDetachProcess(&apc);
    ObDereferenceObject(process);
}

static VOID NTAPI OnThread(HANDLE ProcessId, HANDLE ThreadId, BOOLEAN Create)
{
    DbgPrint("procwatch: thread %p of %p %s\n", ThreadId, ProcessId, Create ? "created" : "exited");
    g_Counts[Create ? 2 : 3]++;
}

static VOID NTAPI OnImage(PUNICODE_STRING FullImageName, HANDLE ProcessId, PIMAGE_INFO ImageInfo)
{
    DbgPrint("procwatch: image %wZ in %p at %p\n", FullImageName, ProcessId, ImageInfo->ImageBase);
    g_Counts[4]++;
}

static NTSTATUS NTAPI ProcWatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID buf = Irp->AssociatedIrp.SystemBuffer;
    PEPROCESS process;
    NTSTATUS status;
    ULONG i;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_COUNTS:
        if (CORPUS_OUT_LEN(sp) < sizeof(g_Counts))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        for (i = 0; i < 6; i++)
            ((PULONG)buf)[i] = g_Counts[i];
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(g_Counts));
    case IOCTL_LOOKUP:
        if (CORPUS_IN_LEN(sp) < 4 || CORPUS_OUT_LEN(sp) < 16)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = PsLookupProcessByProcessId((HANDLE)(ULONG_PTR) * (PULONG)buf, &process);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        RtlCopyMemory(buf, PsGetProcessImageFileName(process), 15);
        ((PUCHAR)buf)[15] = 0;
        ObDereferenceObject(process);
        return CorpusComplete(Irp, STATUS_SUCCESS, 16);
    case IOCTL_PEEK:
    case IOCTL_COPY: {
        KAPC_STATE_ apc;
        ULONG value = 0;
        SIZE_T copied = 0;
        PULONG at;
        if (CORPUS_IN_LEN(sp) < 16 || CORPUS_OUT_LEN(sp) < 4)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        at = (PULONG)(ULONG_PTR) * (ULONG64 *)((PUCHAR)buf + 8);
        status = PsLookupProcessByProcessId((HANDLE)(ULONG_PTR) * (PULONG)buf, &process);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        if (CORPUS_CODE(sp) == IOCTL_PEEK) {
            KeStackAttachProcess(process, &apc);
            value = *at;
            KeUnstackDetachProcess(&apc);
        } else {
            status = MmCopyVirtualMemory(process, at, PsGetCurrentProcess(), &value, 4, KernelMode, &copied);
        }
        ObDereferenceObject(process);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        *(PULONG)buf = value;
        return CorpusComplete(Irp, STATUS_SUCCESS, 4);
    }
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI ProcWatchUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    PsSetCreateProcessNotifyRoutine(OnProcess, TRUE);
    PsRemoveCreateThreadNotifyRoutine(OnThread);
    PsRemoveLoadImageNotifyRoutine(OnImage);
    CorpusDeleteLink(L"\\DosDevices\\ProcWatch");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\ProcWatch", L"\\DosDevices\\ProcWatch", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    status = PsSetCreateProcessNotifyRoutine(OnProcess, FALSE);
    if (NT_SUCCESS(status))
        status = PsSetCreateThreadNotifyRoutine(OnThread);
    if (NT_SUCCESS(status))
        status = PsSetLoadImageNotifyRoutine(OnImage);
    if (!NT_SUCCESS(status)) {
        CorpusDeleteLink(L"\\DosDevices\\ProcWatch");
        IoDeleteDevice(g_Device);
        return status;
    }
    CorpusSetDispatch(DriverObject, ProcWatchIoctl);
    DriverObject->DriverUnload = ProcWatchUnload;
    return STATUS_SUCCESS;
}
