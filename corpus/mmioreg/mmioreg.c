/*
 * mmioreg - drives a memory-mapped device: finds PCI function 8086:1234 on bus 0 with
 * HalGetBusData, translates its two memory BARs (HalTranslateBusAddress), maps them
 * (MmMapIoSpace, non-cached), and reaches its registers with READ_REGISTER_* /
 * WRITE_REGISTER_* (imports on x86, plain moves on x64).
 *
 * The device: BAR0 holds CTRL at 0x0 (write 1: reset) and data registers from 0x10; BAR1
 * holds STATUS at 0x0 (bit 0: ready).
 *
 * Device \Device\MmioReg, symbolic link \DosDevices\MmioReg. All IOCTLs METHOD_BUFFERED.
 *
 *   0x800 MR_START  code 0x80002000
 *     out: ULONG slot (PCI_SLOT_NUMBER); ULONG BAR0 and BAR1 translated addresses (12 bytes)
 *     STATUS_NOT_FOUND without the device, STATUS_DEVICE_CONFIGURATION_ERROR when a BAR
 *     does not translate, STATUS_INSUFFICIENT_RESOURCES when it cannot be mapped.
 *   0x801 MR_RESET  code 0x80002004
 *     writes CTRL = 1, then reads STATUS until it says ready (at most 100 times).
 *     out: ULONG reads it took (STATUS_IO_TIMEOUT, Information 0, when never ready).
 *   0x802 MR_READ   code 0x80002008
 *     in:  ULONG offset into BAR0; ULONG width (1, 2, 4)   out: ULONG value
 *   0x803 MR_WRITE  code 0x8000200C
 *     in:  ULONG offset; ULONG width; ULONG value
 *   0x804 MR_BLOCK  code 0x80002010
 *     out: the 16 bytes of BAR0 from 0x20 (READ_REGISTER_BUFFER_UCHAR on x86, byte loads on
 *          x64).
 *   0x805 MR_STOP   code 0x80002014
 *     unmaps both BARs.
 * Errors: not started STATUS_DEVICE_NOT_READY; buffers too small STATUS_BUFFER_TOO_SMALL;
 * a bad offset or width STATUS_INVALID_PARAMETER.
 */
#include "corpus.h"

#define IOCTL_MR_START CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_MR_RESET CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_MR_READ  CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_MR_WRITE CORPUS_IOCTL(0x803, METHOD_BUFFERED)
#define IOCTL_MR_BLOCK CORPUS_IOCTL(0x804, METHOD_BUFFERED)
#define IOCTL_MR_STOP  CORPUS_IOCTL(0x805, METHOD_BUFFERED)

/* Obsolete, so the DDK headers no longer declare it; hal.dll still exports it. */
NTHALAPI ULONG NTAPI HalGetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer,
                                   ULONG Length);

static PUCHAR g_Regs, g_Status;

static VOID Stop(VOID)
{
    if (g_Regs != NULL)
        MmUnmapIoSpace(g_Regs, PAGE_SIZE);
    if (g_Status != NULL)
        MmUnmapIoSpace(g_Status, PAGE_SIZE);
    g_Regs = g_Status = NULL;
}

static NTSTATUS Start(PULONG out)
{
    PCI_COMMON_CONFIG config;
    PCI_SLOT_NUMBER slot;
    ULONG dev, i;

    slot.u.AsULONG = 0;
    for (dev = 0; dev < 32; dev++) {
        slot.u.bits.DeviceNumber = dev;
        if (HalGetBusData(PCIConfiguration, 0, slot.u.AsULONG, &config, PCI_COMMON_HDR_LENGTH) < 4)
            continue;
        if (config.VendorID == 0x8086 && config.DeviceID == 0x1234)
            break;
    }
    if (dev == 32)
        return STATUS_NOT_FOUND;
    out[0] = slot.u.AsULONG;
    for (i = 0; i < 2; i++) {
        PHYSICAL_ADDRESS bus, system;
        ULONG space = 0;
        PUCHAR va;

        bus.QuadPart = config.u.type0.BaseAddresses[i] & ~0xFu;
        if (!HalTranslateBusAddress(PCIBus, 0, bus, &space, &system) || space != 0)
            return STATUS_DEVICE_CONFIGURATION_ERROR;
        out[1 + i] = system.LowPart;
        va = MmMapIoSpace(system, PAGE_SIZE, MmNonCached);
        if (va == NULL) {
            Stop();
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        if (i == 0)
            g_Regs = va;
        else
            g_Status = va;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI MmioRegIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = CORPUS_IN_LEN(sp), outLen = CORPUS_OUT_LEN(sp);
    ULONG code = CORPUS_CODE(sp), offset, width, n;
    NTSTATUS status;

    (void)DeviceObject;
    if (code == IOCTL_MR_START) {
        ULONG out[3];

        if (outLen < sizeof(out))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        Stop();
        status = Start(out);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        RtlCopyMemory(buffer, out, sizeof(out));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(out));
    }
    if (g_Regs == NULL)
        return CorpusComplete(Irp, STATUS_DEVICE_NOT_READY, 0);
    switch (code) {
    case IOCTL_MR_RESET:
        if (outLen < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        WRITE_REGISTER_ULONG((PULONG)g_Regs, 1);
        for (n = 1; n <= 100; n++) {
            if (READ_REGISTER_ULONG((PULONG)g_Status) & 1) {
                buffer[0] = n;
                return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
            }
        }
        return CorpusComplete(Irp, STATUS_IO_TIMEOUT, 0);
    case IOCTL_MR_READ:
    case IOCTL_MR_WRITE:
        if (inLen < (code == IOCTL_MR_READ ? 8u : 12u) || (code == IOCTL_MR_READ && outLen < sizeof(ULONG)))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        offset = buffer[0];
        width = buffer[1];
        if ((width != 1 && width != 2 && width != 4) || offset > PAGE_SIZE - width || offset % width)
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (code == IOCTL_MR_WRITE) {
            if (width == 1)
                WRITE_REGISTER_UCHAR(g_Regs + offset, (UCHAR)buffer[2]);
            else if (width == 2)
                WRITE_REGISTER_USHORT((PUSHORT)(g_Regs + offset), (USHORT)buffer[2]);
            else
                WRITE_REGISTER_ULONG((PULONG)(g_Regs + offset), buffer[2]);
            return CorpusComplete(Irp, STATUS_SUCCESS, 0);
        }
        if (width == 1)
            buffer[0] = READ_REGISTER_UCHAR(g_Regs + offset);
        else if (width == 2)
            buffer[0] = READ_REGISTER_USHORT((PUSHORT)(g_Regs + offset));
        else
            buffer[0] = READ_REGISTER_ULONG((PULONG)(g_Regs + offset));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    case IOCTL_MR_BLOCK:
        if (outLen < 16)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
#ifdef _X86_
        READ_REGISTER_BUFFER_UCHAR(g_Regs + 0x20, (PUCHAR)buffer, 16);
#else
        for (n = 0; n < 16; n++)
            ((PUCHAR)buffer)[n] = READ_REGISTER_UCHAR(g_Regs + 0x20 + n);
#endif
        return CorpusComplete(Irp, STATUS_SUCCESS, 16);
    case IOCTL_MR_STOP:
        Stop();
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI MmioRegUnload(PDRIVER_OBJECT DriverObject)
{
    CorpusDeleteLink(L"\\DosDevices\\MmioReg");
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT device;
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\MmioReg", L"\\DosDevices\\MmioReg", &device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, MmioRegIoctl);
    DriverObject->DriverUnload = MmioRegUnload;
    return STATUS_SUCCESS;
}
