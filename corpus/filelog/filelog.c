/*
 * filelog - a logger that keeps a log file on C:, the way drivers log to disk.
 *
 * Device \Device\FileLog, symbolic link \DosDevices\FileLog.
 * DriverEntry checks, each printed when it fails:
 *   1. C:\Logs is created (FILE_DIRECTORY_FILE, FILE_OPEN_IF), then
 *      C:\Logs\filelog.txt (FILE_OVERWRITE_IF: FILE_CREATED), opened for
 *      appending and kept open; "started\r\n" is written twice at the file's
 *      position;
 *   2. a second open for reading (sharing read and write) reads it back;
 *      standard information gives its size, name information its path; a
 *      write-only open that shares nothing is STATUS_SHARING_VIOLATION;
 *   3. C:\Windows\filelog.ini is read if the scenario put it there;
 *   4. the listing of C:\Logs holds filelog.txt; the volume's file system is
 *      NTFS;
 *   5. C:\Logs\tmp.bin is written, renamed to old.bin, deleted
 *      (ZwDeleteFile), and is then STATUS_OBJECT_NAME_NOT_FOUND;
 *   6. its own image (the ImagePath of its service key, \SystemRoot\...)
 *      starts with "MZ", and FsRtlGetFileSize on its file object gives its size;
 *   prints "filelog: log %lu bytes, config %lu bytes, checks %lu failed".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x800 LOG  METHOD_BUFFERED code 0x80002000: appends the input to the log;
 *              Information is the log's size then.
 *   0x801 READ METHOD_BUFFERED code 0x80002004: the log's contents (up to the
 *              output length).
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_LOG CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_READ CORPUS_IOCTL(0x801, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;
static HANDLE g_Log;
static UCHAR g_Buffer[512];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("filelog: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS Open(PHANDLE Handle, PCWSTR Path, ACCESS_MASK Access, ULONG Share, ULONG Disposition, ULONG Options,
                     PULONG_PTR Information)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    NTSTATUS status;

    RtlInitUnicodeString(&name, Path);
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    iosb.Information = 0xFF;
    status = ZwCreateFile(Handle, Access | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, Share, Disposition,
                          Options | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (Information)
        *Information = iosb.Information;
    return status;
}

static ULONG SizeOf(HANDLE File)
{
    FILE_STANDARD_INFORMATION std;
    IO_STATUS_BLOCK iosb;

    if (!NT_SUCCESS(ZwQueryInformationFile(File, &iosb, &std, sizeof(std), FileStandardInformation)))
        return 0;
    return (ULONG)std.EndOfFile.QuadPart;
}

static VOID WriteLog(const char *Text, ULONG Length)
{
    IO_STATUS_BLOCK iosb;

    Expect(ZwWriteFile(g_Log, NULL, NULL, NULL, &iosb, (PVOID)Text, Length, NULL, NULL) == STATUS_SUCCESS &&
               iosb.Information == Length,
           "write");
}

static VOID LogFile(void)
{
    HANDLE dir, reader, writer;
    ULONG_PTR info = 0;
    IO_STATUS_BLOCK iosb;
    PFILE_NAME_INFORMATION name = (PFILE_NAME_INFORMATION)g_Buffer;

    Expect(Open(&dir, L"\\??\\C:\\Logs", FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN_IF,
                FILE_DIRECTORY_FILE, &info) == STATUS_SUCCESS,
           "create C:\\Logs");
    ZwClose(dir);
    Expect(Open(&g_Log, L"\\??\\C:\\Logs\\filelog.txt", FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE, &info) == STATUS_SUCCESS &&
               info == FILE_CREATED,
           "create the log");
    WriteLog("started\r\n", 9);
    WriteLog("started\r\n", 9);

    if (NT_SUCCESS(Open(&reader, L"\\??\\C:\\Logs\\filelog.txt", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                        FILE_OPEN, 0, &info))) {
        Expect(ZwReadFile(reader, NULL, NULL, NULL, &iosb, g_Buffer, sizeof(g_Buffer), NULL, NULL) == STATUS_SUCCESS &&
                   iosb.Information == 18 && g_Buffer[0] == 's' && g_Buffer[9] == 's',
               "read back");
        Expect(ZwReadFile(reader, NULL, NULL, NULL, &iosb, g_Buffer, sizeof(g_Buffer), NULL, NULL) ==
                   STATUS_END_OF_FILE,
               "end of file");
        Expect(SizeOf(reader) == 18, "standard information");
        Expect(ZwQueryInformationFile(reader, &iosb, name, sizeof(g_Buffer), FileNameInformation) == STATUS_SUCCESS &&
                   name->FileNameLength == 34 && name->FileName[1] == L'L',
               "name information");
        ZwClose(reader);
    } else {
        Expect(FALSE, "open for reading");
    }
    Expect(Open(&writer, L"\\??\\C:\\Logs\\filelog.txt", FILE_WRITE_DATA, 0, FILE_OPEN, 0, NULL) ==
               STATUS_SHARING_VIOLATION,
           "sharing violation");
}

static ULONG Config(void)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    ULONG n = 0;

    if (!NT_SUCCESS(Open(&h, L"\\SystemRoot\\filelog.ini", GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, 0, NULL)))
        return 0;
    if (NT_SUCCESS(ZwReadFile(h, NULL, NULL, NULL, &iosb, g_Buffer, sizeof(g_Buffer), NULL, NULL)))
        n = (ULONG)iosb.Information;
    ZwClose(h);
    return n;
}

static VOID Listing(void)
{
    HANDLE dir;
    IO_STATUS_BLOCK iosb;
    PFILE_DIRECTORY_INFORMATION e;
    PFILE_FS_ATTRIBUTE_INFORMATION fs = (PFILE_FS_ATTRIBUTE_INFORMATION)g_Buffer;
    BOOLEAN found = FALSE;

    if (!NT_SUCCESS(Open(&dir, L"\\??\\C:\\Logs", FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                         FILE_DIRECTORY_FILE, NULL))) {
        Expect(FALSE, "open C:\\Logs");
        return;
    }
    if (NT_SUCCESS(ZwQueryDirectoryFile(dir, NULL, NULL, NULL, &iosb, g_Buffer, sizeof(g_Buffer),
                                        FileDirectoryInformation, FALSE, NULL, TRUE))) {
        for (e = (PFILE_DIRECTORY_INFORMATION)g_Buffer;; e = (PFILE_DIRECTORY_INFORMATION)((PUCHAR)e + e->NextEntryOffset)) {
            if (e->FileNameLength == 22 && e->FileName[0] == L'f' && e->EndOfFile.QuadPart == 18)
                found = TRUE;
            if (e->NextEntryOffset == 0)
                break;
        }
    }
    Expect(found, "listing");
    Expect(ZwQueryDirectoryFile(dir, NULL, NULL, NULL, &iosb, g_Buffer, sizeof(g_Buffer), FileDirectoryInformation,
                                FALSE, NULL, FALSE) == STATUS_NO_MORE_FILES,
           "end of listing");
    Expect(ZwQueryVolumeInformationFile(dir, &iosb, fs, sizeof(g_Buffer), FileFsAttributeInformation) ==
                   STATUS_SUCCESS &&
               fs->FileSystemNameLength == 8 && fs->FileSystemName[0] == L'N',
           "volume information");
    ZwClose(dir);
}

static VOID RenameAndDelete(void)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    PFILE_RENAME_INFORMATION rename = (PFILE_RENAME_INFORMATION)g_Buffer;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    static const WCHAR target[] = L"old.bin";

    if (!NT_SUCCESS(Open(&h, L"\\??\\C:\\Logs\\tmp.bin", GENERIC_WRITE | DELETE, 0, FILE_CREATE, 0, NULL))) {
        Expect(FALSE, "create tmp.bin");
        return;
    }
    ZwWriteFile(h, NULL, NULL, NULL, &iosb, "temp", 4, NULL, NULL);
    RtlZeroMemory(rename, sizeof(g_Buffer));
    rename->ReplaceIfExists = FALSE;
    rename->RootDirectory = NULL;
    rename->FileNameLength = sizeof(target) - sizeof(WCHAR);
    RtlCopyMemory(rename->FileName, target, sizeof(target));
    Expect(ZwSetInformationFile(h, &iosb, rename, sizeof(g_Buffer), FileRenameInformation) == STATUS_SUCCESS,
           "rename");
    ZwClose(h);
    RtlInitUnicodeString(&name, L"\\??\\C:\\Logs\\old.bin");
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    Expect(ZwDeleteFile(&oa) == STATUS_SUCCESS, "delete");
    Expect(Open(&h, L"\\??\\C:\\Logs\\old.bin", GENERIC_READ, 0, FILE_OPEN, 0, NULL) == STATUS_OBJECT_NAME_NOT_FOUND,
           "deleted");
}

static VOID OwnImage(PUNICODE_STRING RegistryPath)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name;
    HANDLE key, file;
    ULONG length = 0;
    IO_STATUS_BLOCK iosb;
    PKEY_VALUE_PARTIAL_INFORMATION v = (PKEY_VALUE_PARTIAL_INFORMATION)g_Buffer;
    PFILE_OBJECT fo;
    LARGE_INTEGER size;
    UCHAR mz[2] = {0, 0};

    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (!NT_SUCCESS(ZwOpenKey(&key, KEY_READ, &oa)))
        return;
    RtlInitUnicodeString(&name, L"ImagePath");
    if (NT_SUCCESS(ZwQueryValueKey(key, &name, KeyValuePartialInformation, v, sizeof(g_Buffer) - 2, &length))) {
        name.Buffer = (PWCH)v->Data;
        name.Length = (USHORT)(v->DataLength - sizeof(WCHAR));
        name.MaximumLength = (USHORT)v->DataLength;
        InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
        if (NT_SUCCESS(ZwOpenFile(&file, GENERIC_READ | SYNCHRONIZE, &oa, &iosb, FILE_SHARE_READ,
                                  FILE_SYNCHRONOUS_IO_NONALERT))) {
            ZwReadFile(file, NULL, NULL, NULL, &iosb, mz, 2, NULL, NULL);
            Expect(mz[0] == 'M' && mz[1] == 'Z', "own image");
            if (NT_SUCCESS(ObReferenceObjectByHandle(file, 0, CORPUS_OBJECT_TYPE(IoFileObjectType), KernelMode,
                                                     (PVOID *)&fo, NULL))) {
                Expect(FsRtlGetFileSize(fo, &size) == STATUS_SUCCESS && size.QuadPart > 0x1000, "FsRtlGetFileSize");
                ObDereferenceObject(fo);
            }
            ZwClose(file);
        } else {
            Expect(FALSE, "open own image");
        }
    }
    ZwClose(key);
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    IO_STATUS_BLOCK iosb;
    HANDLE h;
    LARGE_INTEGER start;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_LOG:
        status = ZwWriteFile(g_Log, NULL, NULL, NULL, &iosb, Irp->AssociatedIrp.SystemBuffer, CORPUS_IN_LEN(sp), NULL,
                             NULL);
        return CorpusComplete(Irp, status, NT_SUCCESS(status) ? SizeOf(g_Log) : 0);
    case IOCTL_READ:
        status = Open(&h, L"\\??\\C:\\Logs\\filelog.txt", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                      0, NULL);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        start.QuadPart = 0;
        status = ZwReadFile(h, NULL, NULL, NULL, &iosb, Irp->AssociatedIrp.SystemBuffer, CORPUS_OUT_LEN(sp), &start,
                            NULL);
        ZwClose(h);
        return CorpusComplete(Irp, status, NT_SUCCESS(status) ? iosb.Information : 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    ZwClose(g_Log);
    CorpusDeleteLink(L"\\DosDevices\\FileLog");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    ULONG config;
    NTSTATUS status;

    LogFile();
    config = Config();
    Listing();
    RenameAndDelete();
    OwnImage(RegistryPath);
    DbgPrint("filelog: log %lu bytes, config %lu bytes, checks %lu failed\n", SizeOf(g_Log), config, g_Failed);

    status = CorpusCreateDevice(DriverObject, L"\\Device\\FileLog", L"\\DosDevices\\FileLog", &g_Device);
    if (!NT_SUCCESS(status)) {
        ZwClose(g_Log);
        return status;
    }
    CorpusSetDispatch(DriverObject, Ioctl);
    DriverObject->DriverUnload = Unload;
    return g_Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
