/*
 * ptewrite - reads, then writes back, the page-table entry that maps one of its own pages,
 * through the page-table self-map as Windows lays it out (x64: PTE_BASE 0xFFFFF68000000000;
 * x86 without PAE: 0xC0000000), the way WinPmem's unload restores its "rogue page" PTE.
 * On Windows the self-map is writable kernel memory; the sandbox completes writes to the
 * entries of a view's pages and refuses others by name.
 *
 * Device \Device\PteWrite, symbolic link \DosDevices\PteWrite.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x800 READ   code 0x80002000: ULONG[2] = the entry's present and writable bits (bit 0,
 *                bit 1) for the driver's data page, and whether its frame is the one
 *                MmGetPhysicalAddress names.
 *   0x801 WRITE  code 0x80002004: writes the entry back unchanged (the frame field
 *                replaced by itself); on Windows: success, ULONG 1. The page is the image's
 *                own: the sandbox refuses the write by name (its frame would be lost).
 *   0x802 REMAP  code 0x80002008: WinPmem's "rogue page": maps pool page A through an MDL
 *                (MmMapLockedPagesSpecifyCache), points the view's entry at pool page B's
 *                frame (xor into the frame field), reads B's marker through the view, clears
 *                and sets the writable bit (and/or), restores A's frame, reads A's marker,
 *                unmaps. ULONG[4] = the marker read after the remap, after the restore, the
 *                entry's writable bit after the and, after the or.
 */
#include "corpus.h"

#define IOCTL_READ CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_WRITE CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_REMAP CORPUS_IOCTL(0x802, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static volatile ULONG g_Page[1024] __attribute__((aligned(4096))) = {1};

#ifdef _WIN64
typedef ULONGLONG PTE_VALUE;
#define PTE_BASE 0xFFFFF68000000000ULL
#define PTE_FRAME 0x000FFFFFFFFFF000ULL
static volatile PTE_VALUE *PteOf(ULONG_PTR va)
{
    return (volatile PTE_VALUE *)(PTE_BASE + ((va >> 9) & 0x7FFFFFFFF8ULL));
}
#else
typedef ULONG PTE_VALUE;
#define PTE_BASE 0xC0000000UL
#define PTE_FRAME 0xFFFFF000UL
static volatile PTE_VALUE *PteOf(ULONG_PTR va)
{
    return (volatile PTE_VALUE *)(PTE_BASE + ((va >> 12) << 2));
}
#endif

/* Points `pte` at `pa`'s frame the way WinPmem's compiler writes the bitfield: an xor. */
static void SetFrame(volatile PTE_VALUE *pte, PTE_VALUE pa)
{
    PTE_VALUE value = *pte;
    *pte ^= (value ^ pa) & PTE_FRAME;
}

static NTSTATUS Remap(PULONG out)
{
    PULONG a = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'etpC');
    PULONG b = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'etpC');
    PMDL mdl;
    volatile PULONG view;
    volatile PTE_VALUE *pte;
    PTE_VALUE original;

    if (!a || !b)
        return STATUS_INSUFFICIENT_RESOURCES;
    a[0] = 0xAAAA0001;
    b[0] = 0xBBBB0002;
    mdl = IoAllocateMdl(a, PAGE_SIZE, FALSE, FALSE, NULL);
    if (!mdl)
        return STATUS_INSUFFICIENT_RESOURCES;
    MmBuildMdlForNonPagedPool(mdl);
    view = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    if (!view)
        return STATUS_INSUFFICIENT_RESOURCES;
    pte = PteOf((ULONG_PTR)view);
    original = *pte;
    SetFrame(pte, (PTE_VALUE)MmGetPhysicalAddress(b).QuadPart);
    out[0] = view[0];
    *pte &= ~(PTE_VALUE)2;
    out[2] = (ULONG)(*pte >> 1) & 1;
    *pte |= 2;
    out[3] = (ULONG)(*pte >> 1) & 1;
    SetFrame(pte, original);
    out[1] = view[0];
    MmUnmapLockedPages(view, mdl);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(a, 'etpC');
    ExFreePoolWithTag(b, 'etpC');
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI PteWriteIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    volatile PTE_VALUE *pte = PteOf((ULONG_PTR)g_Page);
    PTE_VALUE value;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_READ:
        if (CORPUS_OUT_LEN(sp) < 2 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        value = *pte;
        out[0] = (ULONG)(value & 3);
        out[1] = (value & PTE_FRAME) == ((PTE_VALUE)MmGetPhysicalAddress((PVOID)g_Page).QuadPart & PTE_FRAME);
        return CorpusComplete(Irp, STATUS_SUCCESS, 2 * sizeof(ULONG));
    case IOCTL_WRITE:
        if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        value = *pte;
        /* pte->PageFrameNumber = its own frame: the xor WinPmem's compiler makes of it. */
        *pte ^= (value ^ value) & PTE_FRAME;
        out[0] = 1;
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    case IOCTL_REMAP:
        if (CORPUS_OUT_LEN(sp) < 4 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        return CorpusComplete(Irp, Remap(out), 4 * sizeof(ULONG));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI PteWriteUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\PteWrite");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\PteWrite", L"\\DosDevices\\PteWrite", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, PteWriteIoctl);
    DriverObject->DriverUnload = PteWriteUnload;
    return STATUS_SUCCESS;
}
