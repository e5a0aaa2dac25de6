/*
 * halports - port I/O through the HAL routines READ_PORT_* / WRITE_PORT_*
 * and their _BUFFER_ forms. On x86 these are imports from hal.dll; on x64
 * the DDK headers compile them to inline in/out (rep ins/outs for buffers).
 *
 * Device \Device\HalPorts, symbolic link \DosDevices\HalPorts.
 * DriverEntry writes 0x42 to port 0x80 (POST code) once the device and link
 * exist, then prints "halports: loaded, 4 functions".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)), all
 * METHOD_BUFFERED. "width" must be 1, 2 or 4 (bytes).
 *
 *   0x800 HP_READ          code 0x80002000
 *     in:  USHORT port; USHORT width                      (>= 4 bytes)
 *     out: ULONG value, zero-extended, read with READ_PORT_UCHAR/USHORT/ULONG
 *          (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4.
 *
 *   0x801 HP_WRITE         code 0x80002004
 *     in:  USHORT port; USHORT width; ULONG value         (>= 8 bytes)
 *     writes the low `width` bytes of value with WRITE_PORT_UCHAR/USHORT/ULONG.
 *     out: none. STATUS_SUCCESS, Information 0.
 *
 *   0x802 HP_WRITE_BUFFER  code 0x80002008
 *     in:  USHORT port; USHORT width; ULONG count; then count elements of
 *          `width` bytes (data at offset 8)     (>= 8 + count * width bytes)
 *     writes them with WRITE_PORT_BUFFER_UCHAR/USHORT/ULONG.
 *     out: none. STATUS_SUCCESS, Information 0.
 *
 *   0x803 HP_READ_BUFFER   code 0x8000200C
 *     in:  USHORT port; USHORT width; ULONG count         (>= 8 bytes)
 *     out: count elements of `width` bytes read with
 *          READ_PORT_BUFFER_UCHAR/USHORT/ULONG       (>= count * width bytes)
 *     STATUS_SUCCESS, Information count * width.
 *
 * Errors, checked in this order, complete with Information 0:
 *   input shorter than the fixed header (4 for HP_READ, 8 otherwise), or
 *   HP_READ output < 4                                 STATUS_BUFFER_TOO_SMALL
 *   width not 1, 2 or 4                                STATUS_INVALID_PARAMETER
 *   HP_WRITE_BUFFER input < 8 + count * width, or
 *   HP_READ_BUFFER output < count * width              STATUS_BUFFER_TOO_SMALL
 *   any other code                                     STATUS_INVALID_DEVICE_REQUEST
 * A count of 0 is valid and touches no port.
 */
#include "corpus.h"

#define IOCTL_HP_READ         CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_HP_WRITE        CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_HP_WRITE_BUFFER CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_HP_READ_BUFFER  CORPUS_IOCTL(0x803, METHOD_BUFFERED)

typedef struct _HP_REQUEST {
    USHORT Port;
    USHORT Width;
    ULONG ValueOrCount; /* HP_WRITE: value; *_BUFFER: element count */
} HP_REQUEST;
C_ASSERT(sizeof(HP_REQUEST) == 8);

static PDEVICE_OBJECT g_Device;

static BOOLEAN ValidWidth(USHORT width)
{
    return width == 1 || width == 2 || width == 4;
}

static NTSTATUS NTAPI HalPortsIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = CORPUS_IN_LEN(sp);
    ULONG outLen = CORPUS_OUT_LEN(sp);
    HP_REQUEST req;
    ULONG value;
    PVOID data;

    (void)DeviceObject;

    switch (CORPUS_CODE(sp)) {
    case IOCTL_HP_READ:
        if (inLen < 4 || outLen < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req.Port = ((HP_REQUEST *)buffer)->Port;
        req.Width = ((HP_REQUEST *)buffer)->Width;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (req.Width == 1)
            value = READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)req.Port);
        else if (req.Width == 2)
            value = READ_PORT_USHORT((PUSHORT)(ULONG_PTR)req.Port);
        else
            value = READ_PORT_ULONG((PULONG)(ULONG_PTR)req.Port);
        *(PULONG)buffer = value;
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));

    case IOCTL_HP_WRITE:
        if (inLen < sizeof(HP_REQUEST))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req = *(HP_REQUEST *)buffer;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (req.Width == 1)
            WRITE_PORT_UCHAR((PUCHAR)(ULONG_PTR)req.Port, (UCHAR)req.ValueOrCount);
        else if (req.Width == 2)
            WRITE_PORT_USHORT((PUSHORT)(ULONG_PTR)req.Port, (USHORT)req.ValueOrCount);
        else
            WRITE_PORT_ULONG((PULONG)(ULONG_PTR)req.Port, req.ValueOrCount);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);

    case IOCTL_HP_WRITE_BUFFER:
        if (inLen < sizeof(HP_REQUEST))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req = *(HP_REQUEST *)buffer;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        /* Division, not count * width, so a huge count cannot overflow. */
        if (req.ValueOrCount > (inLen - sizeof(HP_REQUEST)) / req.Width)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        data = (PUCHAR)buffer + sizeof(HP_REQUEST);
        if (req.Width == 1)
            WRITE_PORT_BUFFER_UCHAR((PUCHAR)(ULONG_PTR)req.Port, data, req.ValueOrCount);
        else if (req.Width == 2)
            WRITE_PORT_BUFFER_USHORT((PUSHORT)(ULONG_PTR)req.Port, data, req.ValueOrCount);
        else
            WRITE_PORT_BUFFER_ULONG((PULONG)(ULONG_PTR)req.Port, data, req.ValueOrCount);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);

    case IOCTL_HP_READ_BUFFER:
        if (inLen < sizeof(HP_REQUEST))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        /* Copy the header out first: the data overwrites it in SystemBuffer. */
        req = *(HP_REQUEST *)buffer;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (req.ValueOrCount > outLen / req.Width)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        if (req.Width == 1)
            READ_PORT_BUFFER_UCHAR((PUCHAR)(ULONG_PTR)req.Port, buffer, req.ValueOrCount);
        else if (req.Width == 2)
            READ_PORT_BUFFER_USHORT((PUSHORT)(ULONG_PTR)req.Port, buffer, req.ValueOrCount);
        else
            READ_PORT_BUFFER_ULONG((PULONG)(ULONG_PTR)req.Port, buffer, req.ValueOrCount);
        return CorpusComplete(Irp, STATUS_SUCCESS, (ULONG_PTR)req.ValueOrCount * req.Width);

    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI HalPortsUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\HalPorts");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\HalPorts", L"\\DosDevices\\HalPorts",
                                &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, HalPortsIoctl);
    DriverObject->DriverUnload = HalPortsUnload;

    WRITE_PORT_UCHAR((PUCHAR)0x80, 0x42); /* POST code: "driver loaded" */
    DbgPrint("halports: loaded, %d functions\n", 4);
    return STATUS_SUCCESS;
}
