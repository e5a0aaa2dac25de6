/*
 * handles - opens, references and closes handles the way drivers do, and
 * leaves one open on request.
 *
 * Device \Device\Handles, symbolic link \DosDevices\Handles.
 * DriverEntry:
 *   1. ObOpenObjectByPointer(DriverObject, OBJ_KERNEL_HANDLE, NULL, 0,
 *      *IoDriverObjectType, KernelMode, &h): a kernel handle (top bit set);
 *   2. ObReferenceObjectByHandle(h, 0, CORPUS_OBJECT_TYPE(IoDriverObjectType), KernelMode,
 *      &object, &info) gives back DriverObject; ObDereferenceObject;
 *   3. the same with *PsProcessType: STATUS_OBJECT_TYPE_MISMATCH;
 *   4. ZwClose(h): STATUS_SUCCESS;
 *   5. ObReferenceObjectByHandle(NtCurrentProcess(), ..., *PsProcessType)
 *      gives IoGetCurrentProcess(); ObDereferenceObject;
 *   prints "handles: kernel handle %p, checks %lu failed" and returns
 *   STATUS_SUCCESS if every step behaved as described.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 LEAK       METHOD_BUFFERED     code 0x80002000
 *     out: the HANDLE value (pointer-sized) of a handle to the calling
 *     process, opened without OBJ_KERNEL_HANDLE (so in the caller's own
 *     table) and never closed: the unload report lists it.
 *     Output smaller than a pointer: STATUS_BUFFER_TOO_SMALL.
 *
 *   0x801 CLOSE_BAD  METHOD_BUFFERED     code 0x80002004
 *     ZwClose((HANDLE)0x1234), not a handle: completes with its status
 *     (STATUS_INVALID_HANDLE in the caller's context).
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#define IOCTL_LEAK CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_CLOSE_BAD CORPUS_IOCTL(0x801, METHOD_BUFFERED)

/* ntifs.h declarations, repeated here (corpus.h includes ntddk.h). */
#define PROCESS_QUERY_INFORMATION 0x0400
extern POBJECT_TYPE NTSYSAPI *IoDriverObjectType;
NTKERNELAPI NTSTATUS NTAPI ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes,
                                                 PACCESS_STATE PassedAccessState, ACCESS_MASK DesiredAccess,
                                                 POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                                 PHANDLE Handle);

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("handles: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS NTAPI HandlesIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    HANDLE h;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_LEAK:
        if (CORPUS_OUT_LEN(sp) < sizeof(HANDLE))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = ObOpenObjectByPointer(IoGetCurrentProcess(), 0, NULL, PROCESS_QUERY_INFORMATION,
                                       CORPUS_OBJECT_TYPE(PsProcessType), KernelMode, &h);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        *(HANDLE *)Irp->AssociatedIrp.SystemBuffer = h;
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(HANDLE));
    case IOCTL_CLOSE_BAD:
        return CorpusComplete(Irp, ZwClose((HANDLE)(ULONG_PTR)0x1234), 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI HandlesUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Handles");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    OBJECT_HANDLE_INFORMATION info;
    HANDLE h = NULL;
    PVOID object = NULL;
    NTSTATUS status;

    (void)RegistryPath;
    status = ObOpenObjectByPointer(DriverObject, OBJ_KERNEL_HANDLE, NULL, 0, CORPUS_OBJECT_TYPE(IoDriverObjectType), KernelMode, &h);
    Expect(status == STATUS_SUCCESS, "ObOpenObjectByPointer");
    Expect(((ULONG_PTR)h & 0x80000000) != 0, "kernel handle bit");
    status = ObReferenceObjectByHandle(h, 0, CORPUS_OBJECT_TYPE(IoDriverObjectType), KernelMode, &object, &info);
    Expect(status == STATUS_SUCCESS && object == DriverObject, "ObReferenceObjectByHandle");
    if (NT_SUCCESS(status))
        ObDereferenceObject(object);
    status = ObReferenceObjectByHandle(h, 0, CORPUS_OBJECT_TYPE(PsProcessType), KernelMode, &object, NULL);
    Expect(status == STATUS_OBJECT_TYPE_MISMATCH, "type mismatch");
    Expect(ZwClose(h) == STATUS_SUCCESS, "ZwClose");
    status = ObReferenceObjectByHandle(NtCurrentProcess(), 0, CORPUS_OBJECT_TYPE(PsProcessType), KernelMode, &object, NULL);
    Expect(status == STATUS_SUCCESS && object == (PVOID)IoGetCurrentProcess(), "NtCurrentProcess");
    if (NT_SUCCESS(status))
        ObDereferenceObject(object);
    DbgPrint("handles: kernel handle %p, checks %lu failed\n", h, g_Failed);
    if (g_Failed != 0)
        return STATUS_UNSUCCESSFUL;

    status = CorpusCreateDevice(DriverObject, L"\\Device\\Handles", L"\\DosDevices\\Handles", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, HandlesIoctl);
    DriverObject->DriverUnload = HandlesUnload;
    return STATUS_SUCCESS;
}
