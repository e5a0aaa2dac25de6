/*
 * giveio64 - the 64-bit GIVEIO: there is no Ke386SetIoAccessMap on x64, so, as 64-bit
 * port-I/O drivers do, it finds the task state segment itself (sgdt for the GDT, str for
 * the task register's selector, the 16-byte TSS descriptor for its base and limit) and
 * writes the I/O permission bitmap inside it, where the TSS's IoMapBase (offset 0x66)
 * says. The processor reads that bitmap for every user-mode in/out, for every process:
 * x64 Windows keeps no map per process.
 *
 * Device \Device\giveio, symbolic link \DosDevices\giveio (the giveio client opens it).
 *
 * IRP_MJ_CREATE: every port allowed (the 8 KiB bitmap zeroed); prints
 *     "giveio64: TSS at <hex>, limit <hex>, IoMapBase <hex>"
 *   and fails with STATUS_NOT_SUPPORTED when the TSS limit does not cover the bitmap (the
 *   case of a stock Windows x64 TSS, whose limit ends at 0x67).
 * IRP_MJ_CLOSE: every port denied again (the bitmap all ones).
 * IRP_MJ_CLEANUP: completed.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x900 WHO        code 0x80002400: out ULONG PsGetCurrentProcessId(), Information 4.
 *   0x901 SET_MAP    code 0x80002404: in up to 8192 bytes of bitmap (bit set = denied;
 *                    bytes not given deny), copied into the TSS. Information 0.
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOPM_BYTES 0x2000

#define IOCTL_WHO     CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_SET_MAP CORPUS_IOCTL(0x901, METHOD_BUFFERED)

#pragma pack(push, 1)
typedef struct {
    USHORT Limit;
    ULONG64 Base;
} DESCRIPTOR_TABLE;
#pragma pack(pop)

static PDEVICE_OBJECT g_Device;

static NTSTATUS Complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

/* The I/O permission bitmap inside the TSS, or NULL when the TSS limit does not reach its
 * end. */
static PUCHAR Bitmap(void)
{
    DESCRIPTOR_TABLE gdtr;
    USHORT selector;
    PUCHAR d;
    ULONG64 tss;
    ULONG limit;
    USHORT base;

    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    __asm__ volatile("str %0" : "=r"(selector));
    d = (PUCHAR)gdtr.Base + (selector & ~7);
    tss = (ULONG64)d[2] | (ULONG64)d[3] << 8 | (ULONG64)d[4] << 16 | (ULONG64)d[7] << 24 |
          (ULONG64)(*(PULONG)(d + 8)) << 32;
    limit = d[0] | d[1] << 8 | (d[6] & 0xF) << 16;
    if (d[6] & 0x80)
        limit = limit << 12 | 0xFFF;
    base = *(PUSHORT)(tss + 0x66);
    DbgPrint("giveio64: TSS at %I64x, limit %x, IoMapBase %x\n", tss, limit, base);
    if ((ULONG)base + IOPM_BYTES - 1 > limit)
        return NULL;
    return (PUCHAR)tss + base;
}

static NTSTATUS NTAPI DispatchCreate(PDEVICE_OBJECT device, PIRP irp)
{
    PUCHAR map = Bitmap();
    UNREFERENCED_PARAMETER(device);
    if (!map)
        return Complete(irp, STATUS_NOT_SUPPORTED, 0);
    RtlZeroMemory(map, IOPM_BYTES);
    return Complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI DispatchClose(PDEVICE_OBJECT device, PIRP irp)
{
    PUCHAR map = Bitmap();
    UNREFERENCED_PARAMETER(device);
    if (map)
        RtlFillMemory(map, IOPM_BYTES, 0xFF);
    return Complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI DispatchCleanup(PDEVICE_OBJECT device, PIRP irp)
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
        PUCHAR map = Bitmap();
        ULONG n = in < IOPM_BYTES ? in : IOPM_BYTES;
        if (!map)
            return Complete(irp, STATUS_NOT_SUPPORTED, 0);
        RtlFillMemory(map, IOPM_BYTES, 0xFF);
        RtlCopyMemory(map, buffer, n);
        return Complete(irp, STATUS_SUCCESS, 0);
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
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath)
{
    UNICODE_STRING name, link;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(registryPath);

    RtlInitUnicodeString(&name, L"\\Device\\giveio");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\giveio");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(g_Device);
        return status;
    }
    driver->MajorFunction[IRP_MJ_CREATE] = DispatchCreate;
    driver->MajorFunction[IRP_MJ_CLEANUP] = DispatchCleanup;
    driver->MajorFunction[IRP_MJ_CLOSE] = DispatchClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
    driver->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
