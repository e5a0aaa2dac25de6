/*
 * corpus.h - declarations shared by the Portcullis test drivers.
 *
 * Every driver in corpus/ includes this after nothing else; it pulls in
 * <ntddk.h> (the mingw-w64 DDK directory is on the include path).
 */
#ifndef PORTCULLIS_CORPUS_H
#define PORTCULLIS_CORPUS_H

#include <ntddk.h>

/* Pool tags are written the Windows way, e.g. 'kaeL' (bytes "Leak" in memory). */
#pragma GCC diagnostic ignored "-Wmultichar"

/* Device type of every corpus device, and the IOCTL codes built on it.
 * The cast keeps 0x8000 << 16 unsigned (an int would overflow). */
#define CORPUS_DEVICE_TYPE 0x8000
#define CORPUS_IOCTL(function, method) \
    CTL_CODE((ULONG)CORPUS_DEVICE_TYPE, (function), (method), FILE_ANY_ACCESS)

/* build.sh links with --entry DriverEntry (x64) / _DriverEntry@8 (x86). */
NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

/*
 * The exported object types (IoFileObjectType, PsProcessType, ...) are ntoskrnl variables
 * holding a POBJECT_TYPE. Code built with the WDK declares them `extern POBJECT_TYPE
 * *PsProcessType` without dllimport and writes *PsProcessType: one load through the import
 * (the import-table slot holds the variable's address). mingw-w64's headers declare them
 * dllimport, which adds a load, so there the declared name already reads the type:
 * CORPUS_OBJECT_TYPE(PsProcessType) is what WDK code spells *PsProcessType.
 */
#define CORPUS_OBJECT_TYPE(var) ((POBJECT_TYPE)(var))
/* What WDK code spells PsProcessType itself (the variable's address, e.g. for
 * OB_OPERATION_REGISTRATION.ObjectType): with mingw-w64's dllimport, its address. */
#define CORPUS_OBJECT_TYPE_VARIABLE(var) ((POBJECT_TYPE *)&(var))

/* Shorthands for the current stack location's IOCTL parameters. */
#define CORPUS_IN_LEN(sp)  ((sp)->Parameters.DeviceIoControl.InputBufferLength)
#define CORPUS_OUT_LEN(sp) ((sp)->Parameters.DeviceIoControl.OutputBufferLength)
#define CORPUS_CODE(sp)    ((sp)->Parameters.DeviceIoControl.IoControlCode)

/* Sets the final status and Information and completes the IRP. */
static inline NTSTATUS CorpusComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* IRP_MJ_CREATE / IRP_MJ_CLOSE / IRP_MJ_CLEANUP: succeed, Information 0. */
static inline NTSTATUS NTAPI CorpusDispatchSuccess(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

/*
 * Creates device DeviceName (type CORPUS_DEVICE_TYPE, no extension,
 * buffered I/O) and, when LinkName is not NULL, the symbolic link
 * LinkName -> DeviceName. On failure nothing is left behind.
 */
static inline NTSTATUS CorpusCreateDevice(PDRIVER_OBJECT DriverObject, PCWSTR DeviceName,
                                          PCWSTR LinkName, PDEVICE_OBJECT *DeviceObject)
{
    UNICODE_STRING name, link;
    PDEVICE_OBJECT device;
    NTSTATUS status;

    RtlInitUnicodeString(&name, DeviceName);
    status = IoCreateDevice(DriverObject, 0, &name, CORPUS_DEVICE_TYPE, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    device->Flags |= DO_BUFFERED_IO;
    device->Flags &= ~DO_DEVICE_INITIALIZING;

    if (LinkName != NULL) {
        RtlInitUnicodeString(&link, LinkName);
        status = IoCreateSymbolicLink(&link, &name);
        if (!NT_SUCCESS(status)) {
            IoDeleteDevice(device);
            return status;
        }
    }
    *DeviceObject = device;
    return STATUS_SUCCESS;
}

/* Deletes the symbolic link LinkName. */
static inline VOID CorpusDeleteLink(PCWSTR LinkName)
{
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, LinkName);
    IoDeleteSymbolicLink(&link);
}

/* Points CREATE, CLOSE and CLEANUP at CorpusDispatchSuccess and
 * DEVICE_CONTROL at Ioctl. */
static inline VOID CorpusSetDispatch(PDRIVER_OBJECT DriverObject, PDRIVER_DISPATCH Ioctl)
{
    DriverObject->MajorFunction[IRP_MJ_CREATE] = CorpusDispatchSuccess;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = CorpusDispatchSuccess;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CorpusDispatchSuccess;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Ioctl;
}

#endif /* PORTCULLIS_CORPUS_H */
