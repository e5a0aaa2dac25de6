/*
 * lptprint - a parallel-port printer driver: strobes bytes out of LPT1 (0x378)
 * with the Centronics handshake, polling BUSY on the status port.
 *
 * Device \Device\LptPrint, symbolic link \DosDevices\LptPrint.
 *
 * For each byte:
 *   poll status (0x379) until bit 7 (nBUSY) is set, at most 10000 reads
 *   WRITE_PORT_UCHAR(0x378, byte)
 *   control (0x37A) bit 0 (STROBE) set, KeStallExecutionProcessor(1), cleared
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *
 *   0x800 PRINT      code 0x80002000
 *     in:  the bytes to print (1 or more)
 *     out: ULONG bytes printed                            (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4; the printer staying busy for 10000
 *     status reads: STATUS_IO_TIMEOUT, Information 4 (bytes printed so far).
 *     Empty input or output < 4: STATUS_BUFFER_TOO_SMALL, Information 0.
 *
 *   0x801 STATUS     code 0x80002004
 *     out: UCHAR status, UCHAR control                    (>= 2 bytes)
 *     STATUS_SUCCESS, Information 2.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#define IOCTL_PRINT  CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_STATUS CORPUS_IOCTL(0x801, METHOD_BUFFERED)

#define LPT_DATA    ((PUCHAR)0x378)
#define LPT_STATUS  ((PUCHAR)0x379)
#define LPT_CONTROL ((PUCHAR)0x37A)
#define STATUS_NBUSY 0x80
#define CONTROL_STROBE 0x01
#define MAX_POLLS 10000

static PDEVICE_OBJECT g_Device;

/* Waits until the printer is not busy; FALSE after MAX_POLLS reads. */
static BOOLEAN WaitReady(VOID)
{
    ULONG i;

    for (i = 0; i < MAX_POLLS; i++) {
        if (READ_PORT_UCHAR(LPT_STATUS) & STATUS_NBUSY)
            return TRUE;
    }
    return FALSE;
}

static NTSTATUS PrintBytes(const UCHAR *bytes, ULONG count, ULONG *printed)
{
    ULONG i;
    UCHAR control;

    *printed = 0;
    for (i = 0; i < count; i++) {
        if (!WaitReady())
            return STATUS_IO_TIMEOUT;
        WRITE_PORT_UCHAR(LPT_DATA, bytes[i]);
        control = READ_PORT_UCHAR(LPT_CONTROL);
        WRITE_PORT_UCHAR(LPT_CONTROL, control | CONTROL_STROBE);
        KeStallExecutionProcessor(1);
        WRITE_PORT_UCHAR(LPT_CONTROL, control & ~CONTROL_STROBE);
        (*printed)++;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI LptIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG printed;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_PRINT:
        if (CORPUS_IN_LEN(sp) < 1 || CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = PrintBytes(buffer, CORPUS_IN_LEN(sp), &printed);
        *(ULONG *)buffer = printed;
        return CorpusComplete(Irp, status, sizeof(ULONG));
    case IOCTL_STATUS:
        if (CORPUS_OUT_LEN(sp) < 2)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        buffer[0] = READ_PORT_UCHAR(LPT_STATUS);
        buffer[1] = READ_PORT_UCHAR(LPT_CONTROL);
        return CorpusComplete(Irp, STATUS_SUCCESS, 2);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI LptUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\LptPrint");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\LptPrint", L"\\DosDevices\\LptPrint", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, LptIoctl);
    DriverObject->DriverUnload = LptUnload;
    /* Initialise the printer: nINIT low for a moment, then SELECTIN and nINIT high. */
    WRITE_PORT_UCHAR(LPT_CONTROL, 0x08);
    KeStallExecutionProcessor(50);
    WRITE_PORT_UCHAR(LPT_CONTROL, 0x0C);
    return STATUS_SUCCESS;
}
