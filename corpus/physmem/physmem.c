/*
 * physmem - finds and parses the firmware's tables in physical memory twice: through
 * MmMapIoSpace views, and through views of \Device\PhysicalMemory (ZwOpenSection,
 * ZwMapViewOfSection), and says whether both found the same. Also reads physical memory
 * either way, and lists the RAM ranges (MmGetPhysicalMemoryRanges).
 *
 * Device \Device\PhysMem, symbolic link \DosDevices\PhysMem. All IOCTLs METHOD_BUFFERED.
 *
 *   0x800 PM_FIND    code 0x80002000
 *     out: PM_RESULT (>= sizeof): what the MmMapIoSpace search found, with Agree = 1 when
 *          the \Device\PhysicalMemory search found exactly the same (0 otherwise).
 *     The search: the SMBIOS 2.1 entry point ("_SM_" on a 16-byte boundary in
 *     0xF0000-0xFFFFF; its checksum and the _DMI_ one), its structure table (the type 1
 *     manufacturer, the type 4 processor version, the type 17 size in MiB); the ACPI RSDP
 *     ("RSD PTR " in 0xE0000-0xFFFFF; both checksums), the XSDT and every table it lists
 *     (signature, checksum), the MCFG's configuration base. ChecksumsOk has bit 0 _SM_,
 *     bit 1 _DMI_, bit 2 RSDP, bit 3 extended RSDP, bit 4 XSDT, bit 5 + i table i.
 *     STATUS_NOT_FOUND when either anchor is missing.
 *
 *   0x801 PM_READ    code 0x80002004
 *     in:  ULONGLONG address; ULONG length (1..4096); ULONG via (0 MmMapIoSpace,
 *          1 \Device\PhysicalMemory)
 *     out: length bytes read from the view (>= length).
 *
 *   0x802 PM_RANGES  code 0x80002008
 *     out: the PHYSICAL_MEMORY_RANGE pairs up to and including the zero pair, as many as
 *          fit (16 bytes each). Information: bytes written.
 *
 *   0x803 PM_RESOURCEMAP code 0x8000200C
 *     in:  ULONG which: 0 System Resources\Physical Memory .Translated, 1 Reserved
 *          .Translated, 2 Loader Reserved .Raw (under HKLM\HARDWARE\RESOURCEMAP)
 *     out: each memory descriptor of the REG_RESOURCE_LIST (its first full descriptor) as
 *          ULONGLONG start, ULONGLONG length, as many as fit. Information: bytes written.
 *     A value that is not a REG_RESOURCE_LIST, or a descriptor not of memory:
 *     STATUS_INVALID_PARAMETER; what ZwOpenKey or ZwQueryValueKey fails with otherwise.
 *
 * Errors: output or input too small STATUS_BUFFER_TOO_SMALL; a bad length or via
 * STATUS_INVALID_PARAMETER; a view that cannot be made STATUS_INSUFFICIENT_RESOURCES.
 */
#include "corpus.h"

#define IOCTL_PM_FIND   CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_PM_READ   CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_PM_RANGES CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_PM_RESOURCEMAP CORPUS_IOCTL(0x803, METHOD_BUFFERED)

typedef struct _PM_RESULT {
    ULONG SmbiosEntry;
    ULONG SmbiosTable;
    USHORT SmbiosLength;
    USHORT SmbiosCount;
    ULONG Rsdp;
    ULONG Tables;
    ULONG Signatures[6];
    ULONG EcamBase;
    ULONG ChecksumsOk;
    ULONG MemoryMb;
    ULONG Agree;
    CHAR Manufacturer[16];
    CHAR Processor[48];
} PM_RESULT;
C_ASSERT(sizeof(PM_RESULT) == 124);

typedef struct _PM_READ {
    ULONGLONG Address;
    ULONG Length;
    ULONG Via;
} PM_READ;

/* A way to look at physical memory: map, unmap. */
typedef struct _VIEW {
    PUCHAR Base;    /* what the mapper returned (for unmapping) */
    PUCHAR Data;    /* the first byte asked for */
    SIZE_T Size;
} VIEW;

static HANDLE g_Section;

/* Reads one of the resource map's memory lists into out (start, length pairs). */
static NTSTATUS ResourceMap(ULONG which, ULONGLONG *out, ULONG outLen, ULONG *written)
{
    static const PCWSTR keys[3] = {
        L"\\Registry\\Machine\\HARDWARE\\RESOURCEMAP\\System Resources\\Physical Memory",
        L"\\Registry\\Machine\\HARDWARE\\RESOURCEMAP\\System Resources\\Reserved",
        L"\\Registry\\Machine\\HARDWARE\\RESOURCEMAP\\System Resources\\Loader Reserved",
    };
    static const PCWSTR values[3] = { L".Translated", L".Translated", L".Raw" };
    UNICODE_STRING name, value;
    OBJECT_ATTRIBUTES oa;
    HANDLE key;
    PKEY_VALUE_PARTIAL_INFORMATION info;
    ULONG size = 4096, got = 0, i, n = 0;
    PCM_RESOURCE_LIST list;
    PCM_PARTIAL_RESOURCE_LIST partial = NULL;
    NTSTATUS status;

    *written = 0;
    if (which > 2)
        return STATUS_INVALID_PARAMETER;
    RtlInitUnicodeString(&name, keys[which]);
    RtlInitUnicodeString(&value, values[which]);
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwOpenKey(&key, KEY_READ, &oa);
    if (!NT_SUCCESS(status))
        return status;
    info = ExAllocatePoolWithTag(PagedPool, size, 'mRmP');
    if (info == NULL) {
        ZwClose(key);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = ZwQueryValueKey(key, &value, KeyValuePartialInformation, info, size, &got);
    ZwClose(key);
    if (NT_SUCCESS(status) && (info->Type != REG_RESOURCE_LIST || info->DataLength < sizeof(CM_RESOURCE_LIST)))
        status = STATUS_INVALID_PARAMETER;
    if (NT_SUCCESS(status)) {
        list = (PCM_RESOURCE_LIST)info->Data;
        partial = &list->List[0].PartialResourceList;
        if (list->Count != 1 || FIELD_OFFSET(CM_RESOURCE_LIST, List[0].PartialResourceList.PartialDescriptors) +
                                        partial->Count * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR) > info->DataLength)
            status = STATUS_INVALID_PARAMETER;
    }
    for (i = 0; NT_SUCCESS(status) && i < partial->Count && (n + 2) * sizeof(ULONGLONG) <= outLen; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &partial->PartialDescriptors[i];
        if (d->Type != CmResourceTypeMemory || d->ShareDisposition != CmResourceShareDeviceExclusive) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        out[n++] = (ULONGLONG)d->u.Memory.Start.QuadPart;
        out[n++] = d->u.Memory.Length;
    }
    ExFreePoolWithTag(info, 'mRmP');
    if (NT_SUCCESS(status))
        *written = n * sizeof(ULONGLONG);
    return status;
}

static BOOLEAN MapIo(ULONGLONG pa, SIZE_T size, VIEW *v)
{
    PHYSICAL_ADDRESS p;

    p.QuadPart = (LONGLONG)pa;
    v->Base = MmMapIoSpace(p, size, MmNonCached);
    v->Data = v->Base;
    v->Size = size;
    return v->Base != NULL;
}

static BOOLEAN MapSection(ULONGLONG pa, SIZE_T size, VIEW *v)
{
    LARGE_INTEGER offset;
    PVOID base = NULL;
    SIZE_T viewSize = size;

    offset.QuadPart = (LONGLONG)pa;
    if (!NT_SUCCESS(ZwMapViewOfSection(g_Section, NtCurrentProcess(), &base, 0, 0, &offset, &viewSize,
                                       ViewUnmap, 0, PAGE_READONLY)))
        return FALSE;
    v->Base = base;
    v->Data = (PUCHAR)base + (pa - (ULONGLONG)offset.QuadPart);
    v->Size = size;
    return TRUE;
}

static VOID Unmap(VIEW *v, BOOLEAN section)
{
    if (section)
        ZwUnmapViewOfSection(NtCurrentProcess(), v->Base);
    else
        MmUnmapIoSpace(v->Base, v->Size);
}

static BOOLEAN Map(BOOLEAN section, ULONGLONG pa, SIZE_T size, VIEW *v)
{
    return section ? MapSection(pa, size, v) : MapIo(pa, size, v);
}

static UCHAR Sum(const UCHAR *p, ULONG n)
{
    UCHAR s = 0;
    ULONG i;

    for (i = 0; i < n; i++)
        s = (UCHAR)(s + p[i]);
    return s;
}

static BOOLEAN Same(const UCHAR *a, const char *b, ULONG n)
{
    ULONG i;

    for (i = 0; i < n; i++)
        if (a[i] != (UCHAR)b[i])
            return FALSE;
    return TRUE;
}

/* Copies string number `index` of the structure at s (formatted length len) into out. */
static VOID StructureString(const UCHAR *s, const UCHAR *end, UCHAR index, CHAR *out, ULONG outLen)
{
    const UCHAR *p = s + s[1];
    ULONG i;

    if (index == 0)
        return;
    while (--index > 0 && p < end) {
        while (p < end && *p)
            p++;
        p++;
    }
    for (i = 0; i + 1 < outLen && p + i < end && p[i]; i++)
        out[i] = (CHAR)p[i];
}

static VOID Smbios(BOOLEAN section, const UCHAR *ep, ULONG epAddress, PM_RESULT *r)
{
    VIEW t;
    const UCHAR *s, *end;
    ULONG n;

    r->SmbiosEntry = epAddress;
    if (Sum(ep, ep[5]) == 0)
        r->ChecksumsOk |= 1;
    if (Same(ep + 0x10, "_DMI_", 5) && Sum(ep + 0x10, 15) == 0)
        r->ChecksumsOk |= 2;
    r->SmbiosLength = *(const USHORT *)(ep + 0x16);
    r->SmbiosTable = *(const ULONG *)(ep + 0x18);
    r->SmbiosCount = *(const USHORT *)(ep + 0x1C);
    if (r->SmbiosLength == 0 || !Map(section, r->SmbiosTable, r->SmbiosLength, &t))
        return;
    s = t.Data;
    end = t.Data + r->SmbiosLength;
    for (n = 0; n < r->SmbiosCount && s + 4 <= end; n++) {
        const UCHAR *next = s + s[1];

        if (s[0] == 1 && s[1] > 4)
            StructureString(s, end, s[4], r->Manufacturer, sizeof(r->Manufacturer));
        if (s[0] == 4 && s[1] > 0x10)
            StructureString(s, end, s[0x10], r->Processor, sizeof(r->Processor));
        if (s[0] == 17 && s[1] > 0x0D)
            r->MemoryMb = *(const USHORT *)(s + 0x0C);
        if (s[0] == 127)
            break;
        /* Past the strings: two NULs. */
        while (next + 1 < end && !(next[0] == 0 && next[1] == 0))
            next++;
        s = next + 2;
    }
    Unmap(&t, section);
}

static VOID Acpi(BOOLEAN section, const UCHAR *rsdp, ULONG rsdpAddress, PM_RESULT *r)
{
    VIEW x, t;
    ULONGLONG xsdt;
    ULONG len, i;

    r->Rsdp = rsdpAddress;
    if (Sum(rsdp, 20) == 0)
        r->ChecksumsOk |= 4;
    if (rsdp[15] < 2 || Sum(rsdp, 36) != 0)
        return;
    r->ChecksumsOk |= 8;
    xsdt = *(const ULONGLONG *)(rsdp + 24);
    if (!Map(section, xsdt, 36, &x))
        return;
    len = *(const ULONG *)(x.Data + 4);
    Unmap(&x, section);
    if (len < 36 || len > 4096 || !Map(section, xsdt, len, &x))
        return;
    if (Sum(x.Data, len) == 0)
        r->ChecksumsOk |= 0x10;
    r->Tables = (len - 36) / 8;
    for (i = 0; i < r->Tables && i < 6; i++) {
        ULONGLONG at = *(const ULONGLONG *)(x.Data + 36 + 8 * i);
        ULONG tlen;

        if (!Map(section, at, 36, &t))
            continue;
        r->Signatures[i] = *(const ULONG *)t.Data;
        tlen = *(const ULONG *)(t.Data + 4);
        Unmap(&t, section);
        if (tlen < 36 || tlen > 4096 || !Map(section, at, tlen, &t))
            continue;
        if (Sum(t.Data, tlen) == 0)
            r->ChecksumsOk |= 0x20u << i;
        if (Same(t.Data, "MCFG", 4) && tlen >= 52)
            r->EcamBase = *(const ULONG *)(t.Data + 44);
        Unmap(&t, section);
    }
    Unmap(&x, section);
}

/* Searches the BIOS area through one kind of view. */
static NTSTATUS Find(BOOLEAN section, PM_RESULT *r)
{
    VIEW bios;
    ULONG off;
    BOOLEAN sm = FALSE, acpi = FALSE;

    RtlZeroMemory(r, sizeof(*r));
    if (!Map(section, 0xE0000, 0x20000, &bios))
        return STATUS_INSUFFICIENT_RESOURCES;
    for (off = 0x10000; off < 0x20000 && !sm; off += 16) {
        if (Same(bios.Data + off, "_SM_", 4)) {
            Smbios(section, bios.Data + off, 0xE0000 + off, r);
            sm = TRUE;
        }
    }
    for (off = 0; off < 0x20000 && !acpi; off += 16) {
        if (Same(bios.Data + off, "RSD PTR ", 8)) {
            Acpi(section, bios.Data + off, 0xE0000 + off, r);
            acpi = TRUE;
        }
    }
    Unmap(&bios, section);
    return sm && acpi ? STATUS_SUCCESS : STATUS_NOT_FOUND;
}

static NTSTATUS OpenPhysicalMemory(VOID)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;

    if (g_Section != NULL)
        return STATUS_SUCCESS;
    RtlInitUnicodeString(&name, L"\\Device\\PhysicalMemory");
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    return ZwOpenSection(&g_Section, SECTION_MAP_READ, &oa);
}

static NTSTATUS NTAPI PhysMemIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = CORPUS_IN_LEN(sp), outLen = CORPUS_OUT_LEN(sp);
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_PM_FIND: {
        PM_RESULT a, b;
        ULONG i;

        if (outLen < sizeof(PM_RESULT))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = Find(FALSE, &a);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        status = OpenPhysicalMemory();
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        status = Find(TRUE, &b);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        a.Agree = 1;
        b.Agree = 1;
        for (i = 0; i < sizeof(a); i++)
            if (((PUCHAR)&a)[i] != ((PUCHAR)&b)[i])
                a.Agree = 0;
        RtlCopyMemory(buffer, &a, sizeof(a));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(a));
    }
    case IOCTL_PM_READ: {
        PM_READ req;
        VIEW v;
        ULONG i;

        if (inLen < sizeof(PM_READ))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req = *(PM_READ *)buffer;
        if (req.Length == 0 || req.Length > 4096 || req.Via > 1)
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (outLen < req.Length)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        if (req.Via == 1 && !NT_SUCCESS(status = OpenPhysicalMemory()))
            return CorpusComplete(Irp, status, 0);
        if (!Map(req.Via == 1, req.Address, req.Length, &v))
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        /* Byte by byte, as a register read would go. */
        for (i = 0; i < req.Length; i++)
            ((volatile UCHAR *)buffer)[i] = ((volatile UCHAR *)v.Data)[i];
        Unmap(&v, req.Via == 1);
        return CorpusComplete(Irp, STATUS_SUCCESS, req.Length);
    }
    case IOCTL_PM_RESOURCEMAP: {
        ULONG written;

        if (inLen < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = ResourceMap(*(PULONG)buffer, (ULONGLONG *)buffer, outLen, &written);
        return CorpusComplete(Irp, status, written);
    }
    case IOCTL_PM_RANGES: {
        PPHYSICAL_MEMORY_RANGE ranges = MmGetPhysicalMemoryRanges();
        ULONG n = 0;

        if (ranges == NULL)
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        for (;;) {
            if ((n + 1) * sizeof(*ranges) > outLen)
                break;
            ((PPHYSICAL_MEMORY_RANGE)buffer)[n] = ranges[n];
            if (ranges[n].BaseAddress.QuadPart == 0 && ranges[n].NumberOfBytes.QuadPart == 0) {
                n++;
                break;
            }
            n++;
        }
        ExFreePool(ranges);
        return CorpusComplete(Irp, STATUS_SUCCESS, n * sizeof(*ranges));
    }
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI PhysMemUnload(PDRIVER_OBJECT DriverObject)
{
    if (g_Section != NULL)
        ZwClose(g_Section);
    CorpusDeleteLink(L"\\DosDevices\\PhysMem");
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT device;
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\PhysMem", L"\\DosDevices\\PhysMem", &device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, PhysMemIoctl);
    DriverObject->DriverUnload = PhysMemUnload;
    return STATUS_SUCCESS;
}
