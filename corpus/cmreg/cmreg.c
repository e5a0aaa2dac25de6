/*
 * cmreg - reads and writes its service key the ways drivers do: Zw*Key routines
 * and RtlQueryRegistryValues.
 *
 * The scenario seeds its Parameters key with Level (REG_DWORD), Greeting
 * (REG_SZ) and Names (REG_MULTI_SZ, three strings); without them (the default
 * scenario) the driver runs on its defaults, as drivers do.
 *
 * DriverEntry, each check printed when it fails:
 *   1. ZwOpenKey(RegistryPath): the service key; ZwQueryKey(KeyFullInformation)
 *      counts its subkey (Parameters) and its values; ZwQueryValueKey(Start)
 *      is REG_DWORD 3; ImagePath into a 16-byte buffer is
 *      STATUS_BUFFER_OVERFLOW with the length needed;
 *   2. RtlQueryRegistryValues(ABSOLUTE, RegistryPath) with a SUBKEY entry for
 *      Parameters, DIRECT entries for Level (default 1) and Greeting (default
 *      "none"; into a UNICODE_STRING without a buffer: the routine allocates
 *      it), a callback entry for Names (called once per string), a DIRECT entry
 *      for a missing Absent with a default of 42, and a NOVALUE entry; a
 *      REQUIRED entry for a missing value fails with STATUS_OBJECT_NAME_NOT_FOUND;
 *   3. ZwCreateKey(Parameters, relative to the service key) opens it
 *      (REG_OPENED_EXISTING_KEY); ZwSetValueKey writes Started (REG_SZ "yes")
 *      and Count (REG_DWORD); ZwEnumerateValueKey walks every value;
 *      ZwDeleteValueKey removes Greeting (a second time: NAME_NOT_FOUND);
 *   4. a volatile subkey Session is created and deleted (its handle then
 *      answers STATUS_KEY_DELETED);
 *   5. RtlWriteRegistryValue(HANDLE) writes Written, RtlCheckRegistryKey
 *      (CONTROL, "Session Manager") succeeds, RtlCreateRegistryKey(HANDLE...)
 *      fails on a missing path, RtlDeleteRegistryValue removes Count;
 *   6. RTL_REGISTRY_WINDOWS_NT gives CurrentBuildNumber "7601" into a
 *      caller's buffer, \Registry\Machine\Hardware\...\CentralProcessor\0 its
 *      VendorIdentifier;
 *   prints "cmreg: Level %lu, %lu names, checks %lu failed".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x800 GET  METHOD_BUFFERED  code 0x80002000
 *     in: a value name (UTF-16, no terminator). out: the value of that name in
 *     Parameters as KEY_VALUE_PARTIAL_INFORMATION (TitleIndex, Type,
 *     DataLength, Data); the status of ZwQueryValueKey.
 */
#include "corpus.h"

#define IOCTL_GET CORPUS_IOCTL(0x800, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;
static ULONG g_Level, g_Names, g_Absent, g_NoValue;
static BOOLEAN g_Seeded;
static UNICODE_STRING g_Greeting;
static HANDLE g_Parameters;
static UCHAR g_Buffer[256];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("cmreg: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS NTAPI CountName(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
                                PVOID Context, PVOID EntryContext)
{
    (void)ValueName;
    (void)ValueData;
    (void)Context;
    if (ValueType == REG_SZ && ValueLength >= sizeof(WCHAR))
        (*(PULONG)EntryContext)++;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI NoValue(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context,
                              PVOID EntryContext)
{
    (void)ValueName;
    (void)Context;
    if (ValueType == REG_NONE && ValueData == NULL && ValueLength == 0)
        (*(PULONG)EntryContext)++;
    return STATUS_SUCCESS;
}

static VOID ServiceKey(PUNICODE_STRING RegistryPath, PHANDLE Service)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name;
    PKEY_FULL_INFORMATION full = (PKEY_FULL_INFORMATION)g_Buffer;
    PKEY_VALUE_PARTIAL_INFORMATION partial = (PKEY_VALUE_PARTIAL_INFORMATION)g_Buffer;
    ULONG length = 0;

    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    Expect(ZwOpenKey(Service, KEY_ALL_ACCESS, &oa) == STATUS_SUCCESS, "open service key");
    Expect(ZwQueryKey(*Service, KeyFullInformation, full, sizeof(g_Buffer), &length) == STATUS_SUCCESS &&
               full->SubKeys == 1 && full->Values == 5,
           "service key information");
    RtlInitUnicodeString(&name, L"Start");
    Expect(ZwQueryValueKey(*Service, &name, KeyValuePartialInformation, partial, sizeof(g_Buffer), &length) ==
                   STATUS_SUCCESS &&
               partial->Type == REG_DWORD && *(PULONG)partial->Data == 3,
           "Start");
    RtlInitUnicodeString(&name, L"ImagePath");
    Expect(ZwQueryValueKey(*Service, &name, KeyValuePartialInformation, partial, 16, &length) ==
                   STATUS_BUFFER_OVERFLOW &&
               partial->Type == REG_EXPAND_SZ && length > 16,
           "ImagePath overflow");
}

static VOID QueryTable(PUNICODE_STRING RegistryPath)
{
    RTL_QUERY_REGISTRY_TABLE table[7];
    ULONG fortyTwo = 42, one = 1;

    RtlZeroMemory(table, sizeof(table));
    table[0].Flags = RTL_QUERY_REGISTRY_SUBKEY;
    table[0].Name = L"Parameters";
    table[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
    table[1].Name = L"Level";
    table[1].EntryContext = &g_Level;
    table[1].DefaultType = REG_DWORD;
    table[1].DefaultData = &one;
    table[1].DefaultLength = sizeof(ULONG);
    table[2].Flags = RTL_QUERY_REGISTRY_DIRECT;
    table[2].Name = L"Greeting";
    table[2].EntryContext = &g_Greeting;
    table[2].DefaultType = REG_SZ;
    table[2].DefaultData = L"none";
    table[3].QueryRoutine = CountName;
    table[3].Name = L"Names";
    table[3].EntryContext = &g_Names;
    table[4].Flags = RTL_QUERY_REGISTRY_DIRECT;
    table[4].Name = L"Absent";
    table[4].EntryContext = &g_Absent;
    table[4].DefaultType = REG_DWORD;
    table[4].DefaultData = &fortyTwo;
    table[4].DefaultLength = sizeof(ULONG);
    table[5].QueryRoutine = NoValue;
    table[5].Flags = RTL_QUERY_REGISTRY_NOVALUE;
    table[5].EntryContext = &g_NoValue;
    Expect(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, RegistryPath->Buffer, table, NULL, NULL) ==
               STATUS_SUCCESS,
           "RtlQueryRegistryValues");
    g_Seeded = g_Names != 0;
    Expect(g_Greeting.Buffer != NULL && g_Greeting.Length == (g_Seeded ? 10 : 8), "Greeting allocated");
    Expect(g_Names == (g_Seeded ? 3 : 0) && g_Absent == 42 && g_NoValue == 1, "callbacks and defaults");
    RtlZeroMemory(&table[1], sizeof(table) - sizeof(table[0]));
    table[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
    table[1].Name = L"NoSuchValue";
    table[1].EntryContext = &g_Absent;
    Expect(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, RegistryPath->Buffer, table, NULL, NULL) ==
               STATUS_OBJECT_NAME_NOT_FOUND,
           "required value missing");
}

static VOID Parameters(HANDLE Service)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name;
    HANDLE session;
    ULONG disposition = 0, length, index, count = 7, values = 0;
    PKEY_VALUE_BASIC_INFORMATION basic = (PKEY_VALUE_BASIC_INFORMATION)g_Buffer;

    RtlInitUnicodeString(&name, L"Parameters");
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, Service, NULL);
    Expect(ZwCreateKey(&g_Parameters, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disposition) == STATUS_SUCCESS &&
               disposition == REG_OPENED_EXISTING_KEY,
           "open Parameters");
    RtlInitUnicodeString(&name, L"Started");
    Expect(ZwSetValueKey(g_Parameters, &name, 0, REG_SZ, L"yes", 8) == STATUS_SUCCESS, "set Started");
    RtlInitUnicodeString(&name, L"Count");
    Expect(ZwSetValueKey(g_Parameters, &name, 0, REG_DWORD, &count, sizeof(count)) == STATUS_SUCCESS, "set Count");
    for (index = 0; ZwEnumerateValueKey(g_Parameters, index, KeyValueBasicInformation, basic, sizeof(g_Buffer),
                                        &length) == STATUS_SUCCESS;
         index++)
        values++;
    Expect(values == (g_Seeded ? 5 : 2), "enumerate values");
    RtlInitUnicodeString(&name, L"Greeting");
    Expect(ZwDeleteValueKey(g_Parameters, &name) == (g_Seeded ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND),
           "delete Greeting");
    Expect(ZwDeleteValueKey(g_Parameters, &name) == STATUS_OBJECT_NAME_NOT_FOUND, "delete Greeting again");

    RtlInitUnicodeString(&name, L"Session");
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, g_Parameters, NULL);
    Expect(ZwCreateKey(&session, KEY_ALL_ACCESS, &oa, 0, NULL, REG_OPTION_VOLATILE, &disposition) ==
                   STATUS_SUCCESS &&
               disposition == REG_CREATED_NEW_KEY,
           "create Session");
    Expect(ZwDeleteKey(session) == STATUS_SUCCESS, "delete Session");
    Expect(ZwFlushKey(session) == STATUS_KEY_DELETED, "deleted key");
    ZwClose(session);
}

static VOID RtlRoutines(void)
{
    ULONG value = 0x1234;
    RTL_QUERY_REGISTRY_TABLE table[2];
    UNICODE_STRING build;
    WCHAR text[16];

    Expect(RtlWriteRegistryValue(RTL_REGISTRY_HANDLE, (PCWSTR)g_Parameters, L"Written", REG_DWORD, &value,
                                 sizeof(value)) == STATUS_SUCCESS,
           "RtlWriteRegistryValue");
    Expect(RtlCheckRegistryKey(RTL_REGISTRY_CONTROL, L"Session Manager") == STATUS_SUCCESS, "RtlCheckRegistryKey");
    Expect(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, L"NoSuchService\\Sub") == STATUS_OBJECT_NAME_NOT_FOUND,
           "RtlCreateRegistryKey on a missing parent");
    Expect(RtlDeleteRegistryValue(RTL_REGISTRY_HANDLE, (PCWSTR)g_Parameters, L"Count") == STATUS_SUCCESS,
           "RtlDeleteRegistryValue");

    RtlZeroMemory(table, sizeof(table));
    build.Buffer = text;
    build.Length = 0;
    build.MaximumLength = sizeof(text);
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
    table[0].Name = L"CurrentBuildNumber";
    table[0].EntryContext = &build;
    Expect(RtlQueryRegistryValues(RTL_REGISTRY_WINDOWS_NT, L"", table, NULL, NULL) == STATUS_SUCCESS &&
               build.Length == 8 && text[0] == L'7' && text[3] == L'1',
           "CurrentBuildNumber");
    build.Length = 0;
    table[0].Name = L"VendorIdentifier";
    Expect(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE,
                                  L"\\Registry\\Machine\\Hardware\\Description\\System\\CentralProcessor\\0", table,
                                  NULL, NULL) == STATUS_SUCCESS &&
               build.Length == 24 && text[0] == L'G',
           "VendorIdentifier");
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    UNICODE_STRING name;
    ULONG length = 0;
    NTSTATUS status;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_GET)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_IN_LEN(sp) > sizeof(g_Buffer))
        return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    RtlCopyMemory(g_Buffer, Irp->AssociatedIrp.SystemBuffer, CORPUS_IN_LEN(sp));
    name.Buffer = (PWCH)g_Buffer;
    name.Length = name.MaximumLength = (USHORT)CORPUS_IN_LEN(sp);
    status = ZwQueryValueKey(g_Parameters, &name, KeyValuePartialInformation, Irp->AssociatedIrp.SystemBuffer,
                             CORPUS_OUT_LEN(sp), &length);
    return CorpusComplete(Irp, status, NT_SUCCESS(status) ? length : 0);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    ZwClose(g_Parameters);
    if (g_Greeting.Buffer)
        ExFreePool(g_Greeting.Buffer);
    CorpusDeleteLink(L"\\DosDevices\\CmReg");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE service = NULL;
    NTSTATUS status;

    ServiceKey(RegistryPath, &service);
    QueryTable(RegistryPath);
    Parameters(service);
    RtlRoutines();
    ZwClose(service);
    DbgPrint("cmreg: Level %lu, %lu names, checks %lu failed\n", g_Level, g_Names, g_Failed);

    status = CorpusCreateDevice(DriverObject, L"\\Device\\CmReg", L"\\DosDevices\\CmReg", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, Ioctl);
    DriverObject->DriverUnload = Unload;
    return g_Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
