/*
 * pcienum - enumerates PCI twice, through configuration mechanism #1 (ports 0xCF8/0xCFC)
 * and through HalGetBusDataByOffset, size-probing every BAR both ways (write all-ones,
 * read, restore; HalSetBusDataByOffset for the HAL), and says whether both agree. Reads one
 * configuration dword through the ports, the HAL and the ECAM window (MmMapIoSpace of the
 * address MCFG would give).
 *
 * Device \Device\PciEnum, symbolic link \DosDevices\PciEnum. All IOCTLs METHOD_BUFFERED.
 *
 *   0x800 PE_ENUM  code 0x80002000
 *     out: PE_RESULT (>= sizeof): the functions the ports found (at most 12, bus order;
 *          buses reached from bus 0 through PCI-to-PCI bridges), each with its ids, class
 *          and revision, header type and the size of each BAR (0: none); Agree = 1 when the
 *          HAL found the same functions, headers and sizes.
 *
 *   0x801 PE_READ  code 0x80002004
 *     in:  UCHAR bus, device, function, pad; ULONG offset (dword-aligned, < 0x100)
 *     out: ULONG through the ports, through the HAL, through ECAM (12 bytes).
 *
 * Errors: buffers too small STATUS_BUFFER_TOO_SMALL; a bad address STATUS_INVALID_PARAMETER;
 * the ECAM view cannot be made STATUS_INSUFFICIENT_RESOURCES.
 */
#include "corpus.h"

#define IOCTL_PE_ENUM CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_PE_READ CORPUS_IOCTL(0x801, METHOD_BUFFERED)

#define MAX_FUNCTIONS 12
#define ECAM_BASE 0xE0000000ull

typedef struct _PE_FUNCTION {
    UCHAR Bus, Device, Function, HeaderType;
    USHORT VendorId, DeviceId;
    ULONG ClassRevision;
    ULONG BarSize[6];
} PE_FUNCTION;
C_ASSERT(sizeof(PE_FUNCTION) == 36);

typedef struct _PE_RESULT {
    ULONG Count;
    ULONG Agree;
    PE_FUNCTION Functions[MAX_FUNCTIONS];
} PE_RESULT;

/* One way to reach configuration space. */
typedef struct _ACCESS {
    ULONG (*Read)(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg);
    VOID (*Write)(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg, ULONG value);
} ACCESS;

static ULONG Address(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg)
{
    return 0x80000000u | (ULONG)bus << 16 | (ULONG)dev << 11 | (ULONG)fn << 8 | (reg & 0xFC);
}

static ULONG PortRead(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg)
{
    WRITE_PORT_ULONG((PULONG)0xCF8, Address(bus, dev, fn, reg));
    return READ_PORT_ULONG((PULONG)0xCFC);
}

static VOID PortWrite(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg, ULONG value)
{
    WRITE_PORT_ULONG((PULONG)0xCF8, Address(bus, dev, fn, reg));
    WRITE_PORT_ULONG((PULONG)0xCFC, value);
}

static ULONG Slot(UCHAR dev, UCHAR fn)
{
    PCI_SLOT_NUMBER s;

    s.u.AsULONG = 0;
    s.u.bits.DeviceNumber = dev;
    s.u.bits.FunctionNumber = fn;
    return s.u.AsULONG;
}

static ULONG HalRead(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg)
{
    ULONG v = 0xFFFFFFFF;

    if (HalGetBusDataByOffset(PCIConfiguration, bus, Slot(dev, fn), &v, reg, 4) != 4)
        return 0xFFFFFFFF;
    return v;
}

static VOID HalWrite(UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg, ULONG value)
{
    HalSetBusDataByOffset(PCIConfiguration, bus, Slot(dev, fn), &value, reg, 4);
}

/* Size of the BAR at `reg`; *wide set when it is a 64-bit memory BAR. */
static ULONG ProbeBar(const ACCESS *a, UCHAR bus, UCHAR dev, UCHAR fn, ULONG reg, BOOLEAN *wide)
{
    ULONG saved = a->Read(bus, dev, fn, reg), probed, mask;

    *wide = FALSE;
    a->Write(bus, dev, fn, reg, 0xFFFFFFFF);
    probed = a->Read(bus, dev, fn, reg);
    a->Write(bus, dev, fn, reg, saved);
    if (probed == 0 || probed == 0xFFFFFFFF)
        return 0;
    if (saved & 1) {
        mask = probed & 0xFFFC;
        return mask ? (~mask & 0xFFFF) + 1 : 0;
    }
    *wide = (saved & 6) == 4;
    mask = probed & ~0xFu;
    return mask ? ~mask + 1 : 0;
}

/* Records one function; returns its header type (0xFF when there is none). */
static UCHAR Function(const ACCESS *a, UCHAR bus, UCHAR dev, UCHAR fn, PE_RESULT *r)
{
    ULONG id = a->Read(bus, dev, fn, 0), bars, i;
    PE_FUNCTION *f;
    UCHAR header;

    if ((id & 0xFFFF) == 0xFFFF)
        return 0xFF;
    header = (UCHAR)(a->Read(bus, dev, fn, 0x0C) >> 16);
    if (r->Count >= MAX_FUNCTIONS)
        return header;
    f = &r->Functions[r->Count++];
    f->Bus = bus;
    f->Device = dev;
    f->Function = fn;
    f->HeaderType = header;
    f->VendorId = (USHORT)id;
    f->DeviceId = (USHORT)(id >> 16);
    f->ClassRevision = a->Read(bus, dev, fn, 0x08);
    bars = (header & 0x7F) == 1 ? 2 : 6;
    for (i = 0; i < bars; i++) {
        BOOLEAN wide;

        f->BarSize[i] = ProbeBar(a, bus, dev, fn, 0x10 + 4 * i, &wide);
        if (wide)
            i++; /* the upper half of a 64-bit BAR */
    }
    return header;
}

/* Bus 0, then every bus a bridge forwards to. */
static VOID Enumerate(const ACCESS *a, PE_RESULT *r)
{
    UCHAR buses[8], nbus = 1, b;

    RtlZeroMemory(r, sizeof(*r));
    buses[0] = 0;
    for (b = 0; b < nbus; b++) {
        UCHAR dev;

        for (dev = 0; dev < 32; dev++) {
            UCHAR header = Function(a, buses[b], dev, 0, r), fn;

            if (header == 0xFF)
                continue;
            if ((header & 0x7F) == 1 && nbus < 8)
                buses[nbus++] = (UCHAR)(a->Read(buses[b], dev, 0, 0x18) >> 8);
            if (header & 0x80)
                for (fn = 1; fn < 8; fn++)
                    Function(a, buses[b], dev, fn, r);
        }
    }
}

static NTSTATUS NTAPI PciEnumIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    static const ACCESS ports = { PortRead, PortWrite }, hal = { HalRead, HalWrite };
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = CORPUS_IN_LEN(sp), outLen = CORPUS_OUT_LEN(sp);

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_PE_ENUM: {
        static PE_RESULT a, b;
        ULONG i;

        if (outLen < sizeof(PE_RESULT))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        Enumerate(&ports, &a);
        Enumerate(&hal, &b);
        a.Agree = 1;
        b.Agree = 1;
        for (i = 0; i < sizeof(a); i++)
            if (((PUCHAR)&a)[i] != ((PUCHAR)&b)[i])
                a.Agree = 0;
        RtlCopyMemory(buffer, &a, sizeof(a));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(a));
    }
    case IOCTL_PE_READ: {
        UCHAR bus, dev, fn;
        ULONG reg, out[3];
        PHYSICAL_ADDRESS pa;
        volatile ULONG *ecam;

        if (inLen < 8 || outLen < sizeof(out))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        bus = ((PUCHAR)buffer)[0];
        dev = ((PUCHAR)buffer)[1];
        fn = ((PUCHAR)buffer)[2];
        reg = ((PULONG)buffer)[1];
        if (dev >= 32 || fn >= 8 || reg >= 0x100 || (reg & 3))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        out[0] = PortRead(bus, dev, fn, reg);
        out[1] = HalRead(bus, dev, fn, reg);
        pa.QuadPart = (LONGLONG)(ECAM_BASE + ((ULONGLONG)bus << 20 | (ULONGLONG)dev << 15 | (ULONGLONG)fn << 12));
        ecam = MmMapIoSpace(pa, PAGE_SIZE, MmNonCached);
        if (ecam == NULL)
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        out[2] = READ_REGISTER_ULONG((PULONG)((PUCHAR)ecam + reg));
        MmUnmapIoSpace((PVOID)ecam, PAGE_SIZE);
        RtlCopyMemory(buffer, out, sizeof(out));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(out));
    }
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI PciEnumUnload(PDRIVER_OBJECT DriverObject)
{
    CorpusDeleteLink(L"\\DosDevices\\PciEnum");
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT device;
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\PciEnum", L"\\DosDevices\\PciEnum", &device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, PciEnumIoctl);
    DriverObject->DriverUnload = PciEnumUnload;
    return STATUS_SUCCESS;
}
