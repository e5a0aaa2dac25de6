/*
 * fshelpers - the routines a file system or a file-watching driver asks of the I/O manager,
 * Mm and Cc about a file, each checked in DriverEntry (a failed check is printed):
 *   1. C:\fshelpers.txt is created with "0123456789"; on its file object,
 *      IoQueryFileInformation gives standard information (EndOfFile 10, ReturnedLength 24),
 *      a name cut short (STATUS_BUFFER_OVERFLOW, ReturnedLength the buffer) and
 *      STATUS_INFO_LENGTH_MISMATCH for a buffer under the class's size;
 *      IoQueryVolumeInformation gives the volume's file system (NTFS) and sector size (512);
 *   2. on a file object of its own device \Device\FsHelpers (IoGetDeviceObjectPointer),
 *      IoQueryVolumeInformation is STATUS_INVALID_DEVICE_REQUEST; FsRtlAcquireFileExclusive
 *      takes the main resource of the FCB header its IRP_MJ_CREATE put in FsContext, and
 *      FsRtlReleaseFile releases it; with a FAST_IO_DISPATCH that has
 *      AcquireFileForNtCreateSection/ReleaseFileForNtCreateSection, those are called instead
 *      and the resource is left alone;
 *   3. for SECTION_OBJECT_POINTERS of a file without sections or cache map:
 *      MmFlushImageSection, MmForceSectionClosed, MmCanFileBeTruncated, CcPurgeCacheSection
 *      are TRUE and CcFlushCache's IO_STATUS_BLOCK is STATUS_SUCCESS with 0 bytes;
 *   4. two IRPs it allocates for the current thread are linked into the thread's IRP list
 *      by IoEnqueueIrp (the second at the head, before the first); IoFreeIrp unlinks them;
 *   prints "fshelpers: checks %lu failed, fast I/O acquires %lu releases %lu".
 */
#include <ntifs.h>
#include "corpus.h"

/* Exported by ntoskrnl, not declared by the DDK headers. */
NTKERNELAPI VOID NTAPI IoEnqueueIrp(PIRP Irp);

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;
static ERESOURCE g_Resource;
static FSRTL_COMMON_FCB_HEADER g_Fcb;
static FAST_IO_DISPATCH g_FastIo;
static ULONG g_Acquires, g_Releases;

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("fshelpers: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS NTAPI Create(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoGetCurrentIrpStackLocation(Irp)->FileObject->FsContext = &g_Fcb;
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static VOID NTAPI AcquireForSection(PFILE_OBJECT FileObject)
{
    Expect(FileObject->FsContext == &g_Fcb, "fast I/O acquire's file object");
    g_Acquires++;
}

static VOID NTAPI ReleaseForSection(PFILE_OBJECT FileObject)
{
    Expect(FileObject->FsContext == &g_Fcb, "fast I/O release's file object");
    g_Releases++;
}

static VOID VolumeFile(VOID)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    HANDLE h;
    PFILE_OBJECT fo;
    FILE_STANDARD_INFORMATION std;
    UCHAR buffer[64];
    PFILE_FS_ATTRIBUTE_INFORMATION attr = (PFILE_FS_ATTRIBUTE_INFORMATION)buffer;
    FILE_FS_SIZE_INFORMATION size;
    ULONG returned;
    NTSTATUS status;

    RtlInitUnicodeString(&name, L"\\??\\C:\\fshelpers.txt");
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwCreateFile(&h, GENERIC_READ | GENERIC_WRITE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                          FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
    Expect(status == STATUS_SUCCESS, "create C:\\fshelpers.txt");
    if (!NT_SUCCESS(status))
        return;
    Expect(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "0123456789", 10, NULL, NULL) == STATUS_SUCCESS, "write");
    status = ObReferenceObjectByHandle(h, 0, CORPUS_OBJECT_TYPE(IoFileObjectType), KernelMode, (PVOID *)&fo, NULL);
    Expect(status == STATUS_SUCCESS, "file object");
    if (NT_SUCCESS(status)) {
        returned = 0xFF;
        status = IoQueryFileInformation(fo, FileStandardInformation, sizeof(std), &std, &returned);
        Expect(status == STATUS_SUCCESS && returned == sizeof(std) && std.EndOfFile.QuadPart == 10 &&
                   !std.Directory,
               "IoQueryFileInformation standard");
        returned = 0xFF;
        status = IoQueryFileInformation(fo, FileNameInformation, 8, buffer, &returned);
        Expect(status == STATUS_BUFFER_OVERFLOW && returned == 8 && ((PFILE_NAME_INFORMATION)buffer)->FileNameLength ==
                   sizeof(L"\\fshelpers.txt") - sizeof(WCHAR),
               "IoQueryFileInformation name cut short");
        returned = 0xFF;
        status = IoQueryFileInformation(fo, FileStandardInformation, 4, &std, &returned);
        Expect(status == STATUS_INFO_LENGTH_MISMATCH && returned == 0xFF, "IoQueryFileInformation short buffer");
        status = IoQueryVolumeInformation(fo, FileFsAttributeInformation, sizeof(buffer), attr, &returned);
        Expect(status == STATUS_SUCCESS && attr->FileSystemNameLength == 8 &&
                   RtlCompareMemory(attr->FileSystemName, L"NTFS", 8) == 8 &&
                   returned == FIELD_OFFSET(FILE_FS_ATTRIBUTE_INFORMATION, FileSystemName) + 8,
               "IoQueryVolumeInformation attributes");
        status = IoQueryVolumeInformation(fo, FileFsSizeInformation, sizeof(size), &size, &returned);
        Expect(status == STATUS_SUCCESS && size.BytesPerSector == 512 && returned == sizeof(size),
               "IoQueryVolumeInformation size");
        ObDereferenceObject(fo);
    }
    ZwClose(h);
}

static VOID DeviceFile(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING name;
    PFILE_OBJECT fo;
    PDEVICE_OBJECT device;
    FILE_FS_SIZE_INFORMATION size;
    ULONG returned = 0xFF;
    NTSTATUS status;

    RtlInitUnicodeString(&name, L"\\Device\\FsHelpers");
    status = IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &fo, &device);
    Expect(status == STATUS_SUCCESS, "open own device");
    if (!NT_SUCCESS(status))
        return;
    Expect(IoQueryVolumeInformation(fo, FileFsSizeInformation, sizeof(size), &size, &returned) ==
                   STATUS_INVALID_DEVICE_REQUEST &&
               returned == 0xFF,
           "IoQueryVolumeInformation on a device's file");

    FsRtlAcquireFileExclusive(fo);
    Expect(ExIsResourceAcquiredExclusiveLite(&g_Resource), "FsRtlAcquireFileExclusive takes the FCB resource");
    FsRtlReleaseFile(fo);
    Expect(!ExIsResourceAcquiredExclusiveLite(&g_Resource), "FsRtlReleaseFile releases it");

    g_FastIo.SizeOfFastIoDispatch = sizeof(g_FastIo);
    g_FastIo.AcquireFileForNtCreateSection = AcquireForSection;
    g_FastIo.ReleaseFileForNtCreateSection = ReleaseForSection;
    DriverObject->FastIoDispatch = &g_FastIo;
    FsRtlAcquireFileExclusive(fo);
    Expect(g_Acquires == 1 && !ExIsResourceAcquiredExclusiveLite(&g_Resource), "fast I/O acquire");
    FsRtlReleaseFile(fo);
    Expect(g_Releases == 1, "fast I/O release");
    DriverObject->FastIoDispatch = NULL;
    ObDereferenceObject(fo);
}

static VOID Sections(VOID)
{
    SECTION_OBJECT_POINTERS sop;
    LARGE_INTEGER newSize;
    IO_STATUS_BLOCK iosb;

    RtlZeroMemory(&sop, sizeof(sop));
    newSize.QuadPart = 0;
    Expect(MmFlushImageSection(&sop, MmFlushForWrite), "MmFlushImageSection");
    Expect(MmForceSectionClosed(&sop, TRUE), "MmForceSectionClosed");
    Expect(MmCanFileBeTruncated(&sop, &newSize), "MmCanFileBeTruncated");
    iosb.Status = STATUS_PENDING;
    iosb.Information = 0xFF;
    CcFlushCache(&sop, NULL, 0, &iosb);
    Expect(iosb.Status == STATUS_SUCCESS && iosb.Information == 0, "CcFlushCache");
    CcFlushCache(&sop, &newSize, 10, NULL);
    Expect(CcPurgeCacheSection(&sop, NULL, 0, 0), "CcPurgeCacheSection");
}

static VOID ThreadIrps(VOID)
{
    PIRP first = IoAllocateIrp(1, FALSE), second = IoAllocateIrp(1, FALSE);

    Expect(first != NULL && second != NULL, "IoAllocateIrp");
    if (first == NULL || second == NULL)
        return;
    first->Tail.Overlay.Thread = PsGetCurrentThread();
    second->Tail.Overlay.Thread = PsGetCurrentThread();
    IoEnqueueIrp(first);
    Expect(!IsListEmpty(&first->ThreadListEntry) && first->ThreadListEntry.Flink->Blink == &first->ThreadListEntry,
           "IoEnqueueIrp links the IRP");
    IoEnqueueIrp(second);
    Expect(second->ThreadListEntry.Flink == &first->ThreadListEntry &&
               first->ThreadListEntry.Blink == &second->ThreadListEntry,
           "IoEnqueueIrp links at the head");
    IoFreeIrp(second);
    Expect(first->ThreadListEntry.Blink != &second->ThreadListEntry &&
               first->ThreadListEntry.Blink->Flink == &first->ThreadListEntry,
           "IoFreeIrp unlinks");
    IoFreeIrp(first);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    ExDeleteResourceLite(&g_Resource);
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\FsHelpers", NULL, &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, CorpusDispatchSuccess);
    DriverObject->MajorFunction[IRP_MJ_CREATE] = Create;
    DriverObject->DriverUnload = Unload;
    ExInitializeResourceLite(&g_Resource);
    g_Fcb.NodeByteSize = sizeof(g_Fcb);
    g_Fcb.Resource = &g_Resource;

    VolumeFile();
    DeviceFile(DriverObject);
    Sections();
    ThreadIrps();
    DbgPrint("fshelpers: checks %lu failed, fast I/O acquires %lu releases %lu\n", g_Failed, g_Acquires, g_Releases);
    return STATUS_SUCCESS;
}
