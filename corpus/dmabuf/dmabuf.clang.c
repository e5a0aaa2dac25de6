/*
 * dmabuf - memory a device would DMA to: a physically contiguous buffer
 * (MmAllocateContiguousMemorySpecifyCache) checked page by page with MmGetPhysicalAddress and
 * through an MDL over it (IoAllocateMdl, MmBuildMdlForNonPagedPool, a second view with
 * MmMapLockedPagesSpecifyCache); a caller's buffer locked for a transfer (MmProbeAndLockPages
 * inside __try, which raises for memory that cannot be touched); pages of an MDL's own
 * (MmAllocatePagesForMdl); non-cached memory. Built with clang for its __try.
 *
 * Device \Device\DmaBuf, symbolic link \DosDevices\DmaBuf.
 *
 *   0x800 DB_ALLOC     METHOD_BUFFERED  code 0x80002000
 *     in:  ULONG size; ULONG highest acceptable address (0: any); ULONG boundary (0: none)
 *     out: 1/0 for: every page physically follows the one before, the buffer came zeroed,
 *          no boundary multiple is crossed, the MDL's page frames are MmGetPhysicalAddress's,
 *          a write through the MDL's view shows in the buffer; then the physical address
 *          (low, high) when the output has room (20 bytes at least, 28 with the address).
 *          The buffer stays until DB_FREE (or unload: a leak).
 *     STATUS_INSUFFICIENT_RESOURCES when the allocation fails; STATUS_DEVICE_BUSY when a
 *     buffer is already allocated.
 *   0x801 DB_FREE      METHOD_BUFFERED  code 0x80002004
 *   0x802 DB_LOCK      METHOD_NEITHER   code 0x8000200B
 *     With an input of 8 bytes (ULONG address, ULONG length): locks that range of the
 *     caller's memory for writing; otherwise the output buffer. Fills it with 0x5A through a
 *     system-space view, unlocks. Completes with the exception code MmProbeAndLockPages
 *     raised, or STATUS_SUCCESS, Information the length.
 *   0x803 DB_PAGES     METHOD_BUFFERED  code 0x8000200C
 *     in:  ULONG size. MmAllocatePagesForMdl, mapped, written and read back, unmapped,
 *     freed. out: ULONG bytes the MDL got, ULONG 1 when what was written read back.
 *   0x804 DB_NONCACHED METHOD_BUFFERED  code 0x80002010
 *     in:  ULONG size. out: ULONG 1 when the memory came zeroed and page-aligned.
 */
#include "corpus.h"

#define IOCTL_DB_ALLOC     CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_DB_FREE      CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_DB_LOCK      CORPUS_IOCTL(0x802, METHOD_NEITHER)
#define IOCTL_DB_PAGES     CORPUS_IOCTL(0x803, METHOD_BUFFERED)
#define IOCTL_DB_NONCACHED CORPUS_IOCTL(0x804, METHOD_BUFFERED)

static PUCHAR g_Buffer;
static ULONG g_Size;

static NTSTATUS Alloc(const ULONG *in, ULONG *out)
{
    PHYSICAL_ADDRESS low, high, boundary, pa, first;
    ULONG i, size = in[0], pages;
    PMDL mdl;
    PUCHAR view;

    if (g_Buffer != NULL)
        return STATUS_DEVICE_BUSY;
    low.QuadPart = 0;
    high.QuadPart = in[1] ? in[1] : ~0ull >> 1;
    boundary.QuadPart = in[2];
    g_Buffer = MmAllocateContiguousMemorySpecifyCache(size, low, high, boundary, MmNonCached);
    if (g_Buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    g_Size = size;
    first = MmGetPhysicalAddress(g_Buffer);
    out[5] = first.LowPart;
    out[6] = (ULONG)first.HighPart;
    pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    out[0] = 1;
    for (i = 1; i < pages; i++) {
        pa = MmGetPhysicalAddress(g_Buffer + i * PAGE_SIZE);
        if (pa.QuadPart != first.QuadPart + (LONGLONG)i * PAGE_SIZE)
            out[0] = 0;
    }
    out[1] = 1;
    for (i = 0; i < size; i++)
        if (g_Buffer[i] != 0)
            out[1] = 0;
    /* The boundary is a power of two: both ends in the same multiple of it. */
    out[2] = !boundary.QuadPart ||
             ((first.QuadPart ^ (first.QuadPart + size - 1)) & ~(boundary.QuadPart - 1)) == 0;
    out[3] = out[4] = 0;
    mdl = IoAllocateMdl(g_Buffer, size, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return STATUS_SUCCESS;
    MmBuildMdlForNonPagedPool(mdl);
    out[3] = 1;
    for (i = 0; i < pages; i++)
        if ((ULONGLONG)MmGetMdlPfnArray(mdl)[i] * PAGE_SIZE != (ULONGLONG)MmGetPhysicalAddress(g_Buffer + i * PAGE_SIZE).QuadPart)
            out[3] = 0;
    view = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    if (view != NULL) {
        view[size - 1] = 0xC3;
        out[4] = view != g_Buffer && g_Buffer[size - 1] == 0xC3;
        MmUnmapLockedPages(view, mdl);
    }
    IoFreeMdl(mdl);
    return STATUS_SUCCESS;
}

/* Locks `length` bytes of the caller's memory at `address`, fills them, unlocks. */
static NTSTATUS Lock(PVOID address, ULONG length)
{
    PMDL mdl = IoAllocateMdl(address, length, FALSE, FALSE, NULL);
    NTSTATUS status = STATUS_SUCCESS;
    PUCHAR system;

    if (mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    __try {
        MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    if (NT_SUCCESS(status)) {
        system = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        if (system != NULL)
            RtlFillMemory(system, length, 0x5A);
        else
            status = STATUS_INSUFFICIENT_RESOURCES;
        MmUnlockPages(mdl);
    }
    IoFreeMdl(mdl);
    return status;
}

static NTSTATUS Pages(ULONG size, ULONG *out)
{
    PHYSICAL_ADDRESS low, high, skip;
    PMDL mdl;
    PUCHAR view;
    ULONG i;

    low.QuadPart = 0;
    high.QuadPart = ~0ull >> 1;
    skip.QuadPart = 0;
    mdl = MmAllocatePagesForMdl(low, high, skip, size);
    if (mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    out[0] = MmGetMdlByteCount(mdl);
    out[1] = 0;
    view = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    if (view != NULL) {
        for (i = 0; i < out[0]; i += PAGE_SIZE)
            view[i] = (UCHAR)(i / PAGE_SIZE + 1);
        out[1] = 1;
        for (i = 0; i < out[0]; i += PAGE_SIZE)
            if (view[i] != (UCHAR)(i / PAGE_SIZE + 1))
                out[1] = 0;
        MmUnmapLockedPages(view, mdl);
    }
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DmaBufIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = CORPUS_IN_LEN(sp), outLen = CORPUS_OUT_LEN(sp);
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_DB_ALLOC: {
        ULONG out[7];

        if (inLen < 12 || outLen < 20)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = Alloc(buffer, out);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        outLen = outLen < sizeof(out) ? 20 : sizeof(out);
        RtlCopyMemory(buffer, out, outLen);
        return CorpusComplete(Irp, STATUS_SUCCESS, outLen);
    }
    case IOCTL_DB_FREE:
        if (g_Buffer != NULL)
            MmFreeContiguousMemorySpecifyCache(g_Buffer, g_Size, MmNonCached);
        g_Buffer = NULL;
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_DB_LOCK: {
        PVOID address = Irp->UserBuffer;
        ULONG length = outLen;

        if (inLen >= 8) {
            PULONG in = sp->Parameters.DeviceIoControl.Type3InputBuffer;

            __try {
                ProbeForRead(in, 8, 4);
                address = (PVOID)(ULONG_PTR)in[0];
                length = in[1];
            } __except (EXCEPTION_EXECUTE_HANDLER) {
                return CorpusComplete(Irp, GetExceptionCode(), 0);
            }
        }
        status = Lock(address, length);
        return CorpusComplete(Irp, status, NT_SUCCESS(status) ? length : 0);
    }
    case IOCTL_DB_PAGES: {
        ULONG out[2];

        if (inLen < 4 || outLen < sizeof(out))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = Pages(buffer[0], out);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        RtlCopyMemory(buffer, out, sizeof(out));
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(out));
    }
    case IOCTL_DB_NONCACHED: {
        ULONG size, i, ok;
        PUCHAR p;

        if (inLen < 4 || outLen < 4)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        size = buffer[0];
        p = MmAllocateNonCachedMemory(size);
        if (p == NULL)
            return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        ok = ((ULONG_PTR)p & (PAGE_SIZE - 1)) == 0;
        for (i = 0; i < size; i++)
            if (p[i] != 0)
                ok = 0;
        MmFreeNonCachedMemory(p, size);
        buffer[0] = ok;
        return CorpusComplete(Irp, STATUS_SUCCESS, 4);
    }
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI DmaBufUnload(PDRIVER_OBJECT DriverObject)
{
    CorpusDeleteLink(L"\\DosDevices\\DmaBuf");
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT device;
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\DmaBuf", L"\\DosDevices\\DmaBuf", &device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, DmaBufIoctl);
    DriverObject->DriverUnload = DmaBufUnload;
    return STATUS_SUCCESS;
}
