/*
 * inpout - an InpOut32-style driver: the port I/O a user program cannot do itself is done
 * for it, one byte per request (the classic hwinterface.sys interface, written for this
 * project). Its user-mode half is inpout.dll (inpout.dll.c), which installs and opens it.
 *
 * Device \Device\inpout, symbolic link \DosDevices\inpout.
 *
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE: completed with STATUS_SUCCESS; each prints
 * "inpout: create|cleanup|close by process N".
 *
 * IOCTLs (device type 40000, METHOD_BUFFERED, FILE_ANY_ACCESS, as InpOut32's):
 *
 *   0x801 READ_PORT_UCHAR   code 0x9C406404
 *     in: USHORT port (>= 2 bytes); out: UCHAR READ_PORT_UCHAR(port) (>= 1 byte).
 *     Information 1. Short buffers: STATUS_BUFFER_TOO_SMALL.
 *
 *   0x802 WRITE_PORT_UCHAR  code 0x9C40A008
 *     in: USHORT port, UCHAR value (>= 3 bytes). WRITE_PORT_UCHAR(port, value).
 *     Information 0. A short buffer: STATUS_BUFFER_TOO_SMALL.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define INPOUT_TYPE 40000
#define IOCTL_READ_PORT_UCHAR  CTL_CODE(INPOUT_TYPE, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_WRITE_PORT_UCHAR CTL_CODE(INPOUT_TYPE, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)

static PDEVICE_OBJECT g_Device;

static NTSTATUS Complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS NTAPI DispatchOpenClose(PDEVICE_OBJECT device, PIRP irp)
{
    static const char *const what[] = {"create", "?", "close", "?", "?", "?", "?", "?", "?", "?", "?", "?", "?", "?",
                                       "?", "?", "?", "?", "cleanup"};
    UCHAR major = IoGetCurrentIrpStackLocation(irp)->MajorFunction;
    UNREFERENCED_PARAMETER(device);
    DbgPrint("inpout: %s by process %u\n", major <= IRP_MJ_CLEANUP ? what[major] : "?",
             (ULONG)(ULONG_PTR)PsGetCurrentProcessId());
    return Complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI DispatchControl(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    PUCHAR buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG in = CORPUS_IN_LEN(sp), out = CORPUS_OUT_LEN(sp);
    USHORT port;
    UNREFERENCED_PARAMETER(device);

    switch (CORPUS_CODE(sp)) {
    case IOCTL_READ_PORT_UCHAR:
        if (in < sizeof(USHORT) || out < 1)
            return Complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
        port = *(PUSHORT)buffer;
        buffer[0] = READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)port);
        return Complete(irp, STATUS_SUCCESS, 1);
    case IOCTL_WRITE_PORT_UCHAR:
        if (in < 3)
            return Complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
        port = *(PUSHORT)buffer;
        WRITE_PORT_UCHAR((PUCHAR)(ULONG_PTR)port, buffer[2]);
        return Complete(irp, STATUS_SUCCESS, 0);
    default:
        return Complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT driver)
{
    UNICODE_STRING link;
    UNREFERENCED_PARAMETER(driver);
    RtlInitUnicodeString(&link, L"\\DosDevices\\inpout");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath)
{
    UNICODE_STRING name, link;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(registryPath);

    RtlInitUnicodeString(&name, L"\\Device\\inpout");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\inpout");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(g_Device);
        return status;
    }
    driver->MajorFunction[IRP_MJ_CREATE] = DispatchOpenClose;
    driver->MajorFunction[IRP_MJ_CLEANUP] = DispatchOpenClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = DispatchOpenClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
    driver->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
