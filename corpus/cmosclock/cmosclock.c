/*
 * cmosclock - reads the real-time clock from CMOS (ports 0x70/0x71) the way
 * firmware and old drivers do: waits for the update-in-progress flag (register A
 * bit 7) to clear, reads the time registers, and decodes them by the data mode
 * in register B (bit 2 binary, else BCD; bit 1 24-hour, else 12-hour with bit
 * 7 of the hour as PM).
 *
 * Device \Device\CmosClock, symbolic link \DosDevices\CmosClock.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *
 *   0x800 READ_TIME   code 0x80002000
 *     out: USHORT year; UCHAR month, day, hour, minute, second, register B
 *                                                           (>= 8 bytes)
 *     STATUS_SUCCESS, Information 8; UIP still set after 10000 reads:
 *     STATUS_IO_TIMEOUT, Information 0.
 *
 *   0x801 SET_MODE    code 0x80002004
 *     in:  UCHAR register B bits to set (only 0x06: binary, 24-hour), UCHAR
 *          bits to clear (only 0x06)                        (>= 2 bytes)
 *     STATUS_SUCCESS, Information 0.
 *
 *   0x802 CHECKSUM    code 0x80002008
 *     out: ULONG 1 when the sum of CMOS bytes 0x10-0x2D equals the big-endian
 *          word at 0x2E, else 0                             (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#define IOCTL_READ_TIME CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_SET_MODE  CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_CHECKSUM  CORPUS_IOCTL(0x802, METHOD_BUFFERED)

#define CMOS_INDEX ((PUCHAR)0x70)
#define CMOS_DATA  ((PUCHAR)0x71)

#pragma pack(push, 1)
typedef struct _CLOCK {
    USHORT Year;
    UCHAR Month, Day, Hour, Minute, Second, RegisterB;
} CLOCK;
#pragma pack(pop)
C_ASSERT(sizeof(CLOCK) == 8);

static PDEVICE_OBJECT g_Device;

static UCHAR CmosRead(UCHAR index)
{
    WRITE_PORT_UCHAR(CMOS_INDEX, index);
    return READ_PORT_UCHAR(CMOS_DATA);
}

static VOID SetCmos(UCHAR index, UCHAR value)
{
    WRITE_PORT_UCHAR(CMOS_INDEX, index);
    WRITE_PORT_UCHAR(CMOS_DATA, value);
}

static UCHAR Decode(UCHAR v, UCHAR b)
{
    return (b & 4) ? v : (UCHAR)((v >> 4) * 10 + (v & 15));
}

static NTSTATUS ReadTime(CLOCK *c)
{
    ULONG i;
    UCHAR b, hour;

    for (i = 0; i < 10000; i++) {
        if (!(CmosRead(0x0A) & 0x80))
            break;
    }
    if (i == 10000)
        return STATUS_IO_TIMEOUT;
    b = CmosRead(0x0B);
    c->RegisterB = b;
    c->Second = Decode(CmosRead(0x00), b);
    c->Minute = Decode(CmosRead(0x02), b);
    hour = CmosRead(0x04);
    c->Hour = Decode(hour & 0x7F, b);
    if (!(b & 2)) {
        c->Hour %= 12;
        if (hour & 0x80)
            c->Hour += 12;
    }
    c->Day = Decode(CmosRead(0x07), b);
    c->Month = Decode(CmosRead(0x08), b);
    c->Year = (USHORT)(Decode(CmosRead(0x32), b) * 100 + Decode(CmosRead(0x09), b));
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI ClockIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR buffer = Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status;
    USHORT sum;
    UCHAR i;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_READ_TIME:
        if (CORPUS_OUT_LEN(sp) < sizeof(CLOCK))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = ReadTime((CLOCK *)buffer);
        return CorpusComplete(Irp, status, NT_SUCCESS(status) ? sizeof(CLOCK) : 0);
    case IOCTL_SET_MODE:
        if (CORPUS_IN_LEN(sp) < 2)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        SetCmos(0x0B, (UCHAR)((CmosRead(0x0B) | (buffer[0] & 6)) & ~(buffer[1] & 6)));
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_CHECKSUM:
        if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        sum = 0;
        for (i = 0x10; i < 0x2E; i++)
            sum = (USHORT)(sum + CmosRead(i));
        *(ULONG *)buffer = sum == (USHORT)((CmosRead(0x2E) << 8) | CmosRead(0x2F));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI ClockUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\CmosClock");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\CmosClock", L"\\DosDevices\\CmosClock", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, ClockIoctl);
    DriverObject->DriverUnload = ClockUnload;
    return STATUS_SUCCESS;
}
