/*
 * eacreate: extended attributes on creates, as the I/O manager hands them to drivers.
 *
 * DriverEntry makes a second driver with IoCreateDriver (\Driver\EaTarget, device
 * \Device\EaTarget) whose IRP_MJ_CREATE records what it was given, then opens that device:
 *   1. ZwCreateFile with a two-entry FILE_FULL_EA_INFORMATION list: the target sees a copy
 *      of it (not the caller's buffer) as Irp->AssociatedIrp.SystemBuffer with
 *      Parameters.Create.EaLength; the create succeeds with the target's Information.
 *   2. An EaBuffer with EaLength 0 and no EaBuffer: the target sees none.
 *   3. A list whose second entry's name lacks its NUL: STATUS_EA_LIST_INCONSISTENT with
 *      that entry's offset in IoStatus.Information, and the target is never asked;
 *      IoCheckEaBufferValidity says the same, and accepts the well-formed list.
 *   4. IoCreateFileSpecifyDeviceObjectHint with the list, the target's device as hint.
 *   5. \Device\Tcp (the TCP/IP transport): no EA is a control channel (FsContext2
 *      TDI_CONTROL_CHANNEL_FILE); "TransportAddress" and "ConnectionContext" (an address
 *      object, a connection endpoint) are STATUS_NOT_SUPPORTED; another name is
 *      STATUS_INVALID_EA_NAME.
 *   6. A file on the volume with EAs: STATUS_EAS_NOT_SUPPORTED (it keeps none).
 * Every check is in DriverEntry; it fails when one does.
 */
#include "corpus.h"

NTSTATUS NTAPI IoCreateDriver(PUNICODE_STRING DriverName, PDRIVER_INITIALIZE InitializationFunction);
NTSTATUS NTAPI IoCheckEaBufferValidity(PFILE_FULL_EA_INFORMATION EaBuffer, ULONG EaLength, PULONG ErrorOffset);

#define STATUS_EA_LIST_INCONSISTENT_ ((NTSTATUS)0x80000014L)
#define STATUS_INVALID_EA_NAME_ ((NTSTATUS)0x80000013L)
#define STATUS_EAS_NOT_SUPPORTED_ ((NTSTATUS)0xC000004FL)
#define TDI_CONTROL_CHANNEL_FILE 3

static ULONG g_Failed;
static PDEVICE_OBJECT g_Target;

/* What the target's IRP_MJ_CREATE saw last. */
static ULONG g_Creates;
static PVOID g_SeenBuffer;
static ULONG g_SeenLength;
static UCHAR g_SeenCopy[128];
static BOOLEAN g_SeenKernel;

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("eacreate: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS NTAPI TargetDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    (void)DeviceObject;
    if (sp->MajorFunction == IRP_MJ_CREATE) {
        g_Creates++;
        g_SeenBuffer = Irp->AssociatedIrp.SystemBuffer;
        g_SeenLength = sp->Parameters.Create.EaLength;
        g_SeenKernel = Irp->RequestorMode == KernelMode;
        RtlZeroMemory(g_SeenCopy, sizeof(g_SeenCopy));
        if (g_SeenBuffer != NULL && g_SeenLength <= sizeof(g_SeenCopy))
            RtlCopyMemory(g_SeenCopy, g_SeenBuffer, g_SeenLength);
        return CorpusComplete(Irp, STATUS_SUCCESS, FILE_OPENED);
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI TargetInit(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    ULONG i;
    NTSTATUS status;
    (void)RegistryPath;
    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = TargetDispatch;
    RtlInitUnicodeString(&name, L"\\Device\\EaTarget");
    status = IoCreateDevice(DriverObject, 0, &name, CORPUS_DEVICE_TYPE, 0, FALSE, &g_Target);
    if (NT_SUCCESS(status))
        g_Target->Flags &= ~DO_DEVICE_INITIALIZING;
    return status;
}

/* Appends an entry (name, value) to the list at Buffer + *Length; the previous entry at
 * *Last gets its NextEntryOffset. */
static VOID PutEa(PUCHAR Buffer, PULONG Length, PULONG Last, const char *Name, const void *Value, USHORT ValueLength)
{
    PFILE_FULL_EA_INFORMATION ea;
    UCHAR nameLength = (UCHAR)strlen(Name);
    if (*Length != 0) {
        *Length = (*Length + 3) & ~3u;
        ((PFILE_FULL_EA_INFORMATION)(Buffer + *Last))->NextEntryOffset = *Length - *Last;
    }
    ea = (PFILE_FULL_EA_INFORMATION)(Buffer + *Length);
    ea->NextEntryOffset = 0;
    ea->Flags = 0;
    ea->EaNameLength = nameLength;
    ea->EaValueLength = ValueLength;
    RtlCopyMemory(ea->EaName, Name, nameLength + 1);
    RtlCopyMemory(ea->EaName + nameLength + 1, Value, ValueLength);
    *Last = *Length;
    *Length += FIELD_OFFSET(FILE_FULL_EA_INFORMATION, EaName) + nameLength + 1 + ValueLength;
}

static NTSTATUS Open(PCWSTR Path, PVOID Ea, ULONG EaLength, PHANDLE Handle, PIO_STATUS_BLOCK Iosb)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    RtlInitUnicodeString(&name, Path);
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    Iosb->Status = (NTSTATUS)0xDEADBEEF;
    Iosb->Information = 0xDEAD;
    *Handle = NULL;
    return ZwCreateFile(Handle, GENERIC_READ, &oa, Iosb, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ | FILE_SHARE_WRITE,
                        FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, Ea, EaLength);
}

/* Opens \Device\Tcp with one EA named Name (none when NULL). */
static NTSTATUS OpenTcp(const char *Name, PHANDLE Handle)
{
    UCHAR buffer[64];
    ULONG length = 0, last = 0;
    IO_STATUS_BLOCK iosb;
    UCHAR value[16] = {2, 0, 0, 80, 127, 0, 0, 1};
    if (Name != NULL)
        PutEa(buffer, &length, &last, Name, value, sizeof(value));
    return Open(L"\\Device\\Tcp", Name != NULL ? buffer : NULL, length, Handle, &iosb);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    IoDeleteDevice(g_Target);
    DbgPrint("eacreate: unloaded\n");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    HANDLE handle;
    PFILE_OBJECT file;
    UCHAR list[96], bad[96];
    ULONG length = 0, last = 0, badLength = 0, badLast = 0, offset = 0, creates;
    static const UCHAR value2[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    NTSTATUS status;
    (void)RegistryPath;

    RtlInitUnicodeString(&name, L"\\Driver\\EaTarget");
    status = IoCreateDriver(&name, TargetInit);
    if (!NT_SUCCESS(status)) {
        DbgPrint("eacreate: IoCreateDriver %08lx\n", status);
        return status;
    }
    DriverObject->DriverUnload = Unload;

    /* 1. A well-formed list reaches the target as a copy. */
    RtlFillMemory(list, sizeof(list), 0xCC);
    PutEa(list, &length, &last, "Portcullis", "abc", 3);
    PutEa(list, &length, &last, "Second", value2, sizeof(value2));
    Expect(length == 43, "the list is 43 bytes");
    status = Open(L"\\Device\\EaTarget", list, length, &handle, &iosb);
    Expect(status == STATUS_SUCCESS && iosb.Status == STATUS_SUCCESS && iosb.Information == FILE_OPENED,
           "ZwCreateFile with EAs");
    Expect(g_Creates == 1 && g_SeenKernel, "the target's IRP_MJ_CREATE");
    Expect(g_SeenBuffer != NULL && g_SeenBuffer != list, "SystemBuffer is the I/O manager's copy");
    Expect(g_SeenLength == length, "Parameters.Create.EaLength");
    Expect(RtlCompareMemory(g_SeenCopy, list, length) == length, "the copy's contents");
    if (NT_SUCCESS(status))
        ZwClose(handle);

    /* 2. No list: EaLength 0, or no buffer. */
    status = Open(L"\\Device\\EaTarget", list, 0, &handle, &iosb);
    Expect(status == STATUS_SUCCESS && g_Creates == 2 && g_SeenBuffer == NULL && g_SeenLength == 0,
           "an EaBuffer of length 0 is none");
    if (NT_SUCCESS(status))
        ZwClose(handle);
    status = Open(L"\\Device\\EaTarget", NULL, 16, &handle, &iosb);
    Expect(status == STATUS_SUCCESS && g_Creates == 3 && g_SeenBuffer == NULL && g_SeenLength == 0,
           "no EaBuffer is none");
    if (NT_SUCCESS(status))
        ZwClose(handle);

    /* 3. A malformed list never reaches the target. */
    RtlFillMemory(bad, sizeof(bad), 0xCC);
    PutEa(bad, &badLength, &badLast, "Portcullis", "abc", 3);
    PutEa(bad, &badLength, &badLast, "Second", value2, sizeof(value2));
    ((PFILE_FULL_EA_INFORMATION)(bad + badLast))->EaName[6] = 'x'; /* the name's NUL */
    creates = g_Creates;
    status = Open(L"\\Device\\EaTarget", bad, badLength, &handle, &iosb);
    Expect(status == STATUS_EA_LIST_INCONSISTENT_ && iosb.Status == STATUS_EA_LIST_INCONSISTENT_, "a malformed list");
    Expect(iosb.Information == badLast && badLast == 24, "IoStatus.Information is the bad entry's offset");
    Expect(g_Creates == creates && handle == NULL, "the target is not asked");
    Expect(IoCheckEaBufferValidity((PFILE_FULL_EA_INFORMATION)bad, badLength, &offset) == STATUS_EA_LIST_INCONSISTENT_ &&
               offset == 24,
           "IoCheckEaBufferValidity of the malformed list");
    offset = 0x1234;
    Expect(IoCheckEaBufferValidity((PFILE_FULL_EA_INFORMATION)list, length, &offset) == STATUS_SUCCESS && offset == 0x1234,
           "IoCheckEaBufferValidity of the list");
    Expect(IoCheckEaBufferValidity((PFILE_FULL_EA_INFORMATION)list, length - 1, &offset) ==
                   STATUS_EA_LIST_INCONSISTENT_ &&
               offset == 24,
           "IoCheckEaBufferValidity of a list cut short");

    /* 4. The create sent to a device of the stack named by a hint carries the list too. */
    RtlInitUnicodeString(&name, L"\\Device\\EaTarget");
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    g_SeenLength = 0;
    status = IoCreateFileSpecifyDeviceObjectHint(&handle, GENERIC_READ, &oa, &iosb, NULL, 0, FILE_SHARE_READ, FILE_OPEN, 0,
                                                 list, length, CreateFileTypeNone, NULL, 0, g_Target);
    Expect(status == STATUS_SUCCESS && g_SeenLength == length && RtlCompareMemory(g_SeenCopy, list, length) == length,
           "IoCreateFileSpecifyDeviceObjectHint with EAs");
    if (NT_SUCCESS(status))
        ZwClose(handle);

    /* 5. The TCP transport tells its opens apart by their EA. */
    status = OpenTcp(NULL, &handle);
    Expect(status == STATUS_SUCCESS, "\\Device\\Tcp without EAs");
    if (NT_SUCCESS(status)) {
        status = ObReferenceObjectByHandle(handle, 0, CORPUS_OBJECT_TYPE(IoFileObjectType), KernelMode, (PVOID *)&file, NULL);
        Expect(NT_SUCCESS(status) && (ULONG_PTR)file->FsContext2 == TDI_CONTROL_CHANNEL_FILE, "a control channel");
        if (NT_SUCCESS(status))
            ObDereferenceObject(file);
        ZwClose(handle);
    }
    Expect(OpenTcp("TransportAddress", &handle) == STATUS_NOT_SUPPORTED, "a transport address open");
    Expect(OpenTcp("ConnectionContext", &handle) == STATUS_NOT_SUPPORTED, "a connection endpoint open");
    Expect(OpenTcp("Portcullis", &handle) == STATUS_INVALID_EA_NAME_, "an EA the transport does not know");

    /* 6. The volume keeps no EAs. */
    status = Open(L"\\??\\C:\\eacreate.txt", list, length, &handle, &iosb);
    Expect(status == STATUS_EAS_NOT_SUPPORTED_ && iosb.Status == STATUS_EAS_NOT_SUPPORTED_, "a volume file with EAs");

    DbgPrint("eacreate: %lu checks failed\n", g_Failed);
    if (g_Failed != 0) {
        IoDeleteDevice(g_Target);
        return STATUS_UNSUCCESSFUL;
    }
    return STATUS_SUCCESS;
}
