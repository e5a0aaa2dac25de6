/*
 * obnames - the object namespace as drivers use it: directories, symbolic
 * links, lookups by name, object names and handle information.
 *
 * Device \Device\ObNames, symbolic link \DosDevices\Global\ObNames (the
 * global DOS device directory through its Global link).
 * DriverEntry checks, each printed when it fails:
 *   1. ObReferenceObjectByName(its DriverName, *IoDriverObjectType) gives the
 *      driver object; with *IoDeviceObjectType it is STATUS_OBJECT_TYPE_MISMATCH;
 *      \Driver\NoSuchDriver is STATUS_OBJECT_NAME_NOT_FOUND;
 *   2. ObQueryNameString on the driver object gives its DriverName; with a
 *      buffer of 8 bytes STATUS_INFO_LENGTH_MISMATCH and the length needed;
 *   3. ZwCreateDirectoryObject(\ObNamesDir) and a symbolic link inside it,
 *      \ObNamesDir\Link -> \Device\ObNames (ZwCreateSymbolicLinkObject);
 *      ZwOpenSymbolicLinkObject + ZwQuerySymbolicLinkObject give the target
 *      back; a too small buffer is STATUS_BUFFER_TOO_SMALL with the length;
 *   4. ZwQueryDirectoryObject on the directory lists "Link" of type
 *      "SymbolicLink"; a second call is STATUS_NO_MORE_ENTRIES;
 *   5. ObReferenceObjectByName(\ObNamesDir\Link, device type) follows the link
 *      to the device;
 *   6. closing the directory and link handles deletes both (temporary
 *      objects): \ObNamesDir is then STATUS_OBJECT_NAME_NOT_FOUND and
 *      \ObNamesDir\Link STATUS_OBJECT_PATH_NOT_FOUND;
 *   7. ZwQueryObject(ObjectTypeInformation) on a process handle names
 *      "Process"; ZwSetInformationObject(ObjectHandleFlagInformation) protects
 *      a handle from close: ZwClose is STATUS_HANDLE_NOT_CLOSABLE until the
 *      flag is cleared;
 *   8. ObIsKernelHandle, ObGetObjectType;
 *   prints "obnames: checks %lu failed".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x800 FILE_NAME  METHOD_BUFFERED  code 0x80002000
 *     out: the name of the caller's file object (ObQueryNameString), as
 *     UTF-16 without the terminator. STATUS_BUFFER_TOO_SMALL if it does not fit.
 *   0x801 TYPES      METHOD_BUFFERED  code 0x80002004
 *     out: ULONG, how many entries \ObjectTypes has (ZwQueryDirectoryObject,
 *     one entry per call).
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_FILE_NAME CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_TYPES CORPUS_IOCTL(0x801, METHOD_BUFFERED)

typedef struct _OBJECT_DIRECTORY_INFORMATION {
    UNICODE_STRING Name;
    UNICODE_STRING TypeName;
} OBJECT_DIRECTORY_INFORMATION, *POBJECT_DIRECTORY_INFORMATION;

#define ObjectTypeInformation 2
#define ObjectHandleFlagInformation 4
typedef struct _OBJECT_HANDLE_FLAG_INFORMATION {
    BOOLEAN Inherit;
    BOOLEAN ProtectFromClose;
} OBJECT_HANDLE_FLAG_INFORMATION;

extern POBJECT_TYPE NTSYSAPI *IoDriverObjectType;
extern POBJECT_TYPE NTSYSAPI *IoDeviceObjectType;
NTSYSAPI NTSTATUS NTAPI ZwSetInformationObject(HANDLE Handle, ULONG ObjectInformationClass,
                                               PVOID ObjectInformation, ULONG ObjectInformationLength);
NTKERNELAPI POBJECT_TYPE NTAPI ObGetObjectType(PVOID Object);
NTKERNELAPI NTSTATUS NTAPI ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes,
                                                 PACCESS_STATE PassedAccessState, ACCESS_MASK DesiredAccess,
                                                 POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                                 PHANDLE Handle);
#ifndef STATUS_HANDLE_NOT_CLOSABLE
#define STATUS_HANDLE_NOT_CLOSABLE ((NTSTATUS)0xC0000235L)
#endif

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;
static UCHAR g_Buffer[512];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("obnames: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS ReferenceByString(PUNICODE_STRING Name, POBJECT_TYPE Type, PVOID *Object)
{
    return ObReferenceObjectByName(Name, OBJ_CASE_INSENSITIVE, NULL, 0, Type, KernelMode, NULL, Object);
}

static NTSTATUS ReferenceByName(PCWSTR Name, POBJECT_TYPE Type, PVOID *Object)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, Name);
    return ReferenceByString(&name, Type, Object);
}

static VOID Attributes(POBJECT_ATTRIBUTES Oa, PUNICODE_STRING Name, PCWSTR Text, HANDLE Root)
{
    RtlInitUnicodeString(Name, Text);
    InitializeObjectAttributes(Oa, Name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, Root, NULL);
}

static VOID NamesOfDrivers(PDRIVER_OBJECT DriverObject)
{
    POBJECT_NAME_INFORMATION info = (POBJECT_NAME_INFORMATION)g_Buffer;
    PUNICODE_STRING expected = &DriverObject->DriverName;
    PVOID object = NULL;
    ULONG length = 0;

    Expect(ReferenceByString(expected, CORPUS_OBJECT_TYPE(IoDriverObjectType), &object) == STATUS_SUCCESS &&
               object == DriverObject,
           "driver by name");
    if (object)
        ObDereferenceObject(object);
    Expect(ReferenceByString(expected, CORPUS_OBJECT_TYPE(IoDeviceObjectType), &object) ==
               STATUS_OBJECT_TYPE_MISMATCH,
           "wrong type by name");
    Expect(ReferenceByName(L"\\Driver\\NoSuchDriver", NULL, &object) == STATUS_OBJECT_NAME_NOT_FOUND,
           "missing name");

    Expect(ObQueryNameString(DriverObject, info, sizeof(g_Buffer), &length) == STATUS_SUCCESS &&
               RtlCompareMemory(info->Name.Buffer, expected->Buffer, expected->Length) == expected->Length &&
               info->Name.Length == expected->Length,
           "ObQueryNameString");
    Expect(ObQueryNameString(DriverObject, info, 8, &length) == STATUS_INFO_LENGTH_MISMATCH &&
               length == sizeof(UNICODE_STRING) + expected->Length + sizeof(WCHAR),
           "ObQueryNameString too small");
}

static VOID DirectoriesAndLinks(void)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name, target, query;
    HANDLE dir = NULL, link = NULL, opened = NULL;
    POBJECT_DIRECTORY_INFORMATION entry = (POBJECT_DIRECTORY_INFORMATION)g_Buffer;
    ULONG context = 0, length = 0;
    WCHAR small[4];
    PVOID object = NULL;

    Attributes(&oa, &name, L"\\ObNamesDir", NULL);
    Expect(ZwCreateDirectoryObject(&dir, DIRECTORY_ALL_ACCESS, &oa) == STATUS_SUCCESS, "create directory");
    Attributes(&oa, &name, L"Link", dir);
    RtlInitUnicodeString(&target, L"\\Device\\ObNames");
    Expect(ZwCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS, &oa, &target) == STATUS_SUCCESS,
           "create link");

    Attributes(&oa, &name, L"\\ObNamesDir\\Link", NULL);
    Expect(ZwOpenSymbolicLinkObject(&opened, SYMBOLIC_LINK_QUERY, &oa) == STATUS_SUCCESS, "open link");
    query.Buffer = (PWCH)g_Buffer;
    query.Length = 0;
    query.MaximumLength = sizeof(g_Buffer);
    Expect(ZwQuerySymbolicLinkObject(opened, &query, &length) == STATUS_SUCCESS &&
               RtlCompareMemory(query.Buffer, target.Buffer, target.Length) == target.Length &&
               query.Length == target.Length,
           "query link");
    query.Buffer = small;
    query.MaximumLength = sizeof(small);
    Expect(ZwQuerySymbolicLinkObject(opened, &query, &length) == STATUS_BUFFER_TOO_SMALL &&
               length == target.Length + sizeof(WCHAR),
           "query link too small");
    ZwClose(opened);

    Expect(ZwQueryDirectoryObject(dir, g_Buffer, sizeof(g_Buffer), FALSE, TRUE, &context, &length) ==
                   STATUS_SUCCESS &&
               entry[0].Name.Length == 8 && entry[0].TypeName.Length == 24 && entry[1].Name.Length == 0,
           "list directory");
    Expect(ZwQueryDirectoryObject(dir, g_Buffer, sizeof(g_Buffer), FALSE, FALSE, &context, &length) ==
               STATUS_NO_MORE_ENTRIES,
           "end of directory");

    Expect(ReferenceByName(L"\\ObNamesDir\\Link", CORPUS_OBJECT_TYPE(IoDeviceObjectType), &object) ==
                   STATUS_SUCCESS &&
               object == g_Device,
           "through the link");
    if (object)
        ObDereferenceObject(object);

    ZwClose(link);
    ZwClose(dir);
    Expect(ReferenceByName(L"\\ObNamesDir", NULL, &object) == STATUS_OBJECT_NAME_NOT_FOUND,
           "temporary directory gone");
    Expect(ReferenceByName(L"\\ObNamesDir\\Link", NULL, &object) == STATUS_OBJECT_PATH_NOT_FOUND,
           "temporary link gone");
}

static VOID HandleInformation(void)
{
    HANDLE h = NULL;
    OBJECT_HANDLE_FLAG_INFORMATION flags;
    PUNICODE_STRING type = (PUNICODE_STRING)g_Buffer;
    ULONG length = 0;

    Expect(ObOpenObjectByPointer(IoGetCurrentProcess(), OBJ_KERNEL_HANDLE, NULL, 0,
                                 CORPUS_OBJECT_TYPE(PsProcessType), KernelMode, &h) == STATUS_SUCCESS,
           "process handle");
    Expect(ObIsKernelHandle(h) && !ObIsKernelHandle(NtCurrentProcess()), "ObIsKernelHandle");
    Expect(ObGetObjectType(IoGetCurrentProcess()) == CORPUS_OBJECT_TYPE(PsProcessType), "ObGetObjectType");
    Expect(ZwQueryObject(h, ObjectTypeInformation, g_Buffer, sizeof(g_Buffer), &length) == STATUS_SUCCESS &&
               type->Length == 14 && type->Buffer[0] == L'P',
           "type information");
    flags.Inherit = FALSE;
    flags.ProtectFromClose = TRUE;
    Expect(ZwSetInformationObject(h, ObjectHandleFlagInformation, &flags, sizeof(flags)) == STATUS_SUCCESS,
           "protect from close");
    Expect(ZwClose(h) == STATUS_HANDLE_NOT_CLOSABLE, "protected close");
    flags.ProtectFromClose = FALSE;
    ZwSetInformationObject(h, ObjectHandleFlagInformation, &flags, sizeof(flags));
    Expect(ZwClose(h) == STATUS_SUCCESS, "close");
}

static ULONG CountTypes(void)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name;
    HANDLE dir;
    ULONG count = 0, context = 0, length;

    Attributes(&oa, &name, L"\\ObjectTypes", NULL);
    if (!NT_SUCCESS(ZwOpenDirectoryObject(&dir, DIRECTORY_QUERY, &oa)))
        return 0;
    while (ZwQueryDirectoryObject(dir, g_Buffer, sizeof(g_Buffer), TRUE, count == 0, &context, &length) ==
           STATUS_SUCCESS)
        count++;
    ZwClose(dir);
    return count;
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    POBJECT_NAME_INFORMATION info = (POBJECT_NAME_INFORMATION)g_Buffer;
    ULONG length = 0;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_FILE_NAME:
        status = ObQueryNameString(sp->FileObject, info, sizeof(g_Buffer), &length);
        if (!NT_SUCCESS(status))
            return CorpusComplete(Irp, status, 0);
        if (CORPUS_OUT_LEN(sp) < info->Name.Length)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, info->Name.Buffer, info->Name.Length);
        return CorpusComplete(Irp, STATUS_SUCCESS, info->Name.Length);
    case IOCTL_TYPES:
        if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)Irp->AssociatedIrp.SystemBuffer = CountTypes();
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Global\\ObNames");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\ObNames", L"\\DosDevices\\Global\\ObNames", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, Ioctl);
    DriverObject->DriverUnload = Unload;

    NamesOfDrivers(DriverObject);
    DirectoriesAndLinks();
    HandleInformation();
    DbgPrint("obnames: checks %lu failed\n", g_Failed);
    return g_Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
