/*
 * ptewrite - reads, then writes back, the page-table entry that maps one of its own pages,
 * through the page-table self-map as Windows lays it out (x64: PTE_BASE 0xFFFFF68000000000;
 * x86 without PAE: 0xC0000000), the way WinPmem's unload restores its "rogue page" PTE.
 * On Windows the self-map is writable kernel memory; the sandbox refuses the write by name.
 *
 * Device \Device\PteWrite, symbolic link \DosDevices\PteWrite.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x800 READ   code 0x80002000: ULONG[2] = the entry's present and writable bits (bit 0,
 *                bit 1) for the driver's data page, and whether its frame is the one
 *                MmGetPhysicalAddress names.
 *   0x801 WRITE  code 0x80002004: writes the entry back unchanged (the frame field
 *                replaced by itself); on Windows: success, ULONG 1.
 */
#include "corpus.h"

#define IOCTL_READ CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_WRITE CORPUS_IOCTL(0x801, METHOD_BUFFERED)

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
