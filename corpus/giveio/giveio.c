/*
 * giveio - a GIVEIO-style driver: it opens the processor's I/O permission map to the
 * user process that opens it, so the program's own in/out instructions reach the ports
 * (x86 only: Ke386SetIoAccessMap, Ke386QueryIoAccessMap and Ke386IoSetAccessProcess exist
 * only in the 32-bit kernel; 64-bit drivers patch the TSS themselves).
 *
 * Device \Device\giveio, symbolic link \DosDevices\giveio.
 *
 * IRP_MJ_CLEANUP, IRP_MJ_CLOSE: completed with STATUS_SUCCESS.
 *
 * IRP_MJ_CREATE: as the classic GIVEIO.SYS, map 1 becomes all zeros (every port allowed)
 * and the opening process is switched to it:
 *     Ke386SetIoAccessMap(1, map); Ke386IoSetAccessProcess(IoGetCurrentProcess(), 1)
 * and the driver prints "giveio: opened by process N" (PsGetCurrentProcessId).
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *
 *   0x900 WHO        code 0x80002400
 *     out: ULONG the caller's process id (PsGetCurrentProcessId), >= 4 bytes.
 *     Information 4; a smaller buffer: STATUS_BUFFER_TOO_SMALL.
 *
 *   0x901 SET_MAP    code 0x80002404
 *     in: up to 8192 bytes of bitmap (bit set = port denied; bytes not given deny).
 *     Ke386SetIoAccessMap(1, ...) then Ke386IoSetAccessProcess(caller, 1). Information 0.
 *
 *   0x902 QUERY_MAP  code 0x80002408
 *     in: ULONG map number; out: the first out-length bytes (at most 8192) of what
 *     Ke386QueryIoAccessMap answers. Information = bytes copied. A map that does not
 *     exist: STATUS_INVALID_PARAMETER; input < 4 bytes: STATUS_BUFFER_TOO_SMALL.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

/* Declared in no header (DESIGN.md). */
BOOLEAN NTAPI Ke386SetIoAccessMap(ULONG MapNumber, PUCHAR IoAccessMap);
BOOLEAN NTAPI Ke386QueryIoAccessMap(ULONG MapNumber, PUCHAR IoAccessMap);
BOOLEAN NTAPI Ke386IoSetAccessProcess(PEPROCESS Process, ULONG MapNumber);

#define IOPM_BYTES 0x2000

#define IOCTL_WHO       CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_SET_MAP   CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_QUERY_MAP CORPUS_IOCTL(0x902, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static PUCHAR g_Map;

static NTSTATUS Complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

/* Map 1 := g_Map, and the calling process uses it. */
static NTSTATUS Give(void)
{
    if (!Ke386SetIoAccessMap(1, g_Map))
        return STATUS_UNSUCCESSFUL;
    if (!Ke386IoSetAccessProcess(IoGetCurrentProcess(), 1))
        return STATUS_UNSUCCESSFUL;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DispatchCreate(PDEVICE_OBJECT device, PIRP irp)
{
    NTSTATUS status;
    UNREFERENCED_PARAMETER(device);
    RtlZeroMemory(g_Map, IOPM_BYTES);
    status = Give();
    DbgPrint("giveio: opened by process %u\n", (ULONG)(ULONG_PTR)PsGetCurrentProcessId());
    return Complete(irp, status, 0);
}

static NTSTATUS NTAPI DispatchClose(PDEVICE_OBJECT device, PIRP irp)
{
    UNREFERENCED_PARAMETER(device);
    return Complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI DispatchControl(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    PUCHAR buffer = irp->AssociatedIrp.SystemBuffer;
    ULONG in = CORPUS_IN_LEN(sp), out = CORPUS_OUT_LEN(sp);
    UNREFERENCED_PARAMETER(device);

    switch (CORPUS_CODE(sp)) {
    case IOCTL_WHO:
        if (out < sizeof(ULONG))
            return Complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)buffer = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
        return Complete(irp, STATUS_SUCCESS, sizeof(ULONG));
    case IOCTL_SET_MAP: {
        ULONG n = in < IOPM_BYTES ? in : IOPM_BYTES;
        RtlFillMemory(g_Map, IOPM_BYTES, 0xFF);
        RtlCopyMemory(g_Map, buffer, n);
        return Complete(irp, Give(), 0);
    }
    case IOCTL_QUERY_MAP: {
        ULONG n = out < IOPM_BYTES ? out : IOPM_BYTES;
        ULONG map;
        PUCHAR copy;
        if (in < sizeof(ULONG))
            return Complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
        map = *(PULONG)buffer;
        copy = ExAllocatePoolWithTag(NonPagedPool, IOPM_BYTES, 'oivG');
        if (!copy)
            return Complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        if (!Ke386QueryIoAccessMap(map, copy)) {
            ExFreePoolWithTag(copy, 'oivG');
            return Complete(irp, STATUS_INVALID_PARAMETER, 0);
        }
        RtlCopyMemory(buffer, copy, n);
        ExFreePoolWithTag(copy, 'oivG');
        return Complete(irp, STATUS_SUCCESS, n);
    }
    default:
        return Complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT driver)
{
    UNICODE_STRING link;
    UNREFERENCED_PARAMETER(driver);
    RtlInitUnicodeString(&link, L"\\DosDevices\\giveio");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_Device);
    ExFreePoolWithTag(g_Map, 'oivG');
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath)
{
    UNICODE_STRING name, link;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(registryPath);

    g_Map = ExAllocatePoolWithTag(NonPagedPool, IOPM_BYTES, 'oivG');
    if (!g_Map)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlInitUnicodeString(&name, L"\\Device\\giveio");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_Device);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(g_Map, 'oivG');
        return status;
    }
    RtlInitUnicodeString(&link, L"\\DosDevices\\giveio");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(g_Device);
        ExFreePoolWithTag(g_Map, 'oivG');
        return status;
    }
    driver->MajorFunction[IRP_MJ_CREATE] = DispatchCreate;
    driver->MajorFunction[IRP_MJ_CLEANUP] = DispatchClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = DispatchClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
    driver->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
