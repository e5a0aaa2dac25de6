/*
 * modwalk - finds the kernel the way rootkits and anti-cheat drivers do: the
 * module list from ZwQuerySystemInformation, the PE headers and export
 * directory of ntoskrnl.exe in memory, the loaded-module list from its own
 * DriverSection; then asks the system about processes, memory and firmware.
 *
 * Device \Device\ModWalk, symbolic link \DosDevices\ModWalk.
 * DriverEntry checks, each printed when it fails:
 *   1. SystemModuleInformation: a zero-length query is
 *      STATUS_INFO_LENGTH_MISMATCH with the length needed; the first module is
 *      ntoskrnl.exe, the second hal.dll;
 *   2. at ntoskrnl's base: "MZ", "PE\0\0", an export directory naming
 *      ntoskrnl.exe, whose sorted name table gives NtBuildNumber (the very
 *      variable the driver imports, holding 7601 in its low 16 bits) and
 *      IoCreateDevice (the very routine its import binds to);
 *   3. its own loaded-module entry (DriverSection) is on a list that holds
 *      hal.dll at hal's base;
 *   4. SystemBasicInformation needs its exact size; the kernel debugger is
 *      not present; the process list holds "portcullis.exe"; the system range
 *      starts at MmSystemRangeStart;
 *   5. ZwQueryInformationProcess on the current process (System, PID 4), and
 *      on the caller's process opened by PID with ZwOpenProcess (its image
 *      name ends with portcullis.exe); a PID nobody has is STATUS_INVALID_CID;
 *   6. 8 KiB of virtual memory allocated, written, queried (MEM_COMMIT),
 *      made read-only (the old protection is PAGE_READWRITE) and released;
 *   7. the raw SMBIOS table holds the BIOS vendor "Portcullis";
 *   prints "modwalk: ntoskrnl %s, NtBuildNumber %lu, %lu processes, checks %lu failed".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x800 TERMINATE METHOD_BUFFERED code 0x80002000
 *     in: ULONG PID. Opens the process (PROCESS_TERMINATE) and terminates it
 *     with exit status 0xDEAD; completes with ZwTerminateProcess's status (or
 *     the open's).
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_TERMINATE CORPUS_IOCTL(0x800, METHOD_BUFFERED)

typedef struct _MODULE {
    HANDLE Section;
    PVOID MappedBase;
    PVOID ImageBase;
    ULONG ImageSize;
    ULONG Flags;
    USHORT LoadOrderIndex;
    USHORT InitOrderIndex;
    USHORT LoadCount;
    USHORT OffsetToFileName;
    UCHAR FullPathName[256];
} MODULE;

typedef struct _MODULES {
    ULONG NumberOfModules;
    MODULE Modules[1];
} MODULES;

typedef struct _LDR_ENTRY {
    LIST_ENTRY InLoadOrderLinks;
    LIST_ENTRY InMemoryOrderLinks;
    LIST_ENTRY InInitializationOrderLinks;
    PVOID DllBase;
    PVOID EntryPoint;
    ULONG SizeOfImage;
    UNICODE_STRING FullDllName;
    UNICODE_STRING BaseDllName;
} LDR_ENTRY;

typedef struct _PROCESS_ENTRY {
    ULONG NextEntryOffset;
    ULONG NumberOfThreads;
    UCHAR Reserved1[48];
    UNICODE_STRING ImageName;
} PROCESS_ENTRY;

#define SystemBasicInformation 0
#define SystemProcessInformation 5
#define SystemModuleInformation 11
#define SystemKernelDebuggerInformation 35
#define SystemRangeStartInformation 50
#define SystemFirmwareTableInformation 76
#define ProcessImageFileName 27

#define PROCESS_TERMINATE 0x0001
#define PROCESS_QUERY_INFORMATION 0x0400
#define MemoryBasicInformation 0

typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;
    PVOID AllocationBase;
    ULONG AllocationProtect;
    SIZE_T RegionSize;
    ULONG State;
    ULONG Protect;
    ULONG Type;
} MEMORY_BASIC_INFORMATION;

NTSYSAPI NTSTATUS NTAPI ZwQuerySystemInformation(ULONG Class, PVOID Information, ULONG Length, PULONG ReturnLength);
NTSYSAPI NTSTATUS NTAPI ZwQueryVirtualMemory(HANDLE Process, PVOID Address, ULONG Class, PVOID Information,
                                             SIZE_T Length, PSIZE_T ReturnLength);
NTSYSAPI NTSTATUS NTAPI ZwProtectVirtualMemory(HANDLE Process, PVOID *Base, PSIZE_T Size, ULONG Protect,
                                               PULONG Old);
extern NTSYSAPI USHORT NtBuildNumber;

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;
static UCHAR g_Buffer[1024];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("modwalk: %s failed\n", What);
        g_Failed++;
    }
}

/* The C runtime's string routines, written out so the driver imports only kernel routines. */
static SIZE_T Length(PCSTR s)
{
    SIZE_T n = 0;
    while (s[n])
        n++;
    return n;
}

static int Compare(PCSTR a, PCSTR b, BOOLEAN IgnoreCase)
{
    for (;; a++, b++) {
        int x = (UCHAR)*a, y = (UCHAR)*b;
        if (IgnoreCase && x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (IgnoreCase && y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y || x == 0)
            return x - y;
    }
}

static BOOLEAN EndsWith(PCSTR Text, PCSTR Suffix)
{
    SIZE_T a = Length(Text), b = Length(Suffix);
    return a >= b && !Compare(Text + a - b, Suffix, TRUE);
}

/* The address an image exports under Name, by binary search of its name table (the PE
 * structures read by their offsets: the DDK headers do not declare them). */
static PVOID Export(PUCHAR Base, PCSTR Name, PCSTR *DllName)
{
    ULONG nt, optional, directory, names, functions, ordinals;
    USHORT magic;
    LONG low, high;

    if (*(PUSHORT)Base != 0x5A4D) /* MZ */
        return NULL;
    nt = *(PULONG)(Base + 0x3C);
    if (*(PULONG)(Base + nt) != 0x4550) /* PE\0\0 */
        return NULL;
    optional = nt + 24;
    magic = *(PUSHORT)(Base + optional);
    directory = *(PULONG)(Base + optional + (magic == 0x20B ? 112 : 96));
    *DllName = (PCSTR)(Base + *(PULONG)(Base + directory + 12));
    functions = *(PULONG)(Base + directory + 28);
    names = *(PULONG)(Base + directory + 32);
    ordinals = *(PULONG)(Base + directory + 36);
    low = 0;
    high = (LONG) * (PULONG)(Base + directory + 24) - 1;
    while (low <= high) {
        LONG mid = (low + high) / 2;
        int c = Compare((PCSTR)(Base + ((PULONG)(Base + names))[mid]), Name, FALSE);
        if (c == 0)
            return Base + ((PULONG)(Base + functions))[((PUSHORT)(Base + ordinals))[mid]];
        if (c < 0)
            low = mid + 1;
        else
            high = mid - 1;
    }
    return NULL;
}

static PVOID Modules(PVOID *Hal)
{
    ULONG length = 0;
    MODULES *mods;
    PVOID nt = NULL;

    Expect(ZwQuerySystemInformation(SystemModuleInformation, NULL, 0, &length) == STATUS_INFO_LENGTH_MISMATCH &&
               length > sizeof(MODULE),
           "module list length");
    mods = ExAllocatePoolWithTag(NonPagedPool, length, 'kwdM');
    if (mods == NULL)
        return NULL;
    if (NT_SUCCESS(ZwQuerySystemInformation(SystemModuleInformation, mods, length, &length)) &&
        mods->NumberOfModules >= 3) {
        Expect(EndsWith((PCSTR)mods->Modules[0].FullPathName, "ntoskrnl.exe") &&
                   !Compare((PCSTR)mods->Modules[0].FullPathName + mods->Modules[0].OffsetToFileName,
                            "ntoskrnl.exe", TRUE),
               "ntoskrnl first");
        Expect(EndsWith((PCSTR)mods->Modules[1].FullPathName, "hal.dll"), "hal second");
        nt = mods->Modules[0].ImageBase;
        *Hal = mods->Modules[1].ImageBase;
    } else {
        Expect(FALSE, "module list");
    }
    ExFreePoolWithTag(mods, 'kwdM');
    return nt;
}

static VOID LoaderList(PDRIVER_OBJECT DriverObject, PVOID Hal)
{
    LDR_ENTRY *self = DriverObject->DriverSection, *e;
    PLIST_ENTRY l;
    ULONG steps = 0;
    BOOLEAN found = FALSE;

    for (l = self->InLoadOrderLinks.Flink; l != &self->InLoadOrderLinks && steps < 64; l = l->Flink, steps++) {
        e = CONTAINING_RECORD(l, LDR_ENTRY, InLoadOrderLinks);
        if (e->DllBase == Hal && e->BaseDllName.Length == 14 && e->BaseDllName.Buffer[0] == L'h')
            found = TRUE;
    }
    Expect(found, "hal.dll on the loaded-module list");
}

static ULONG SystemQueries(void)
{
    ULONG length = 0, count = 0;
    PROCESS_ENTRY *p;
    BOOLEAN mine = FALSE;
    ULONG_PTR start = 0;

    Expect(ZwQuerySystemInformation(SystemBasicInformation, g_Buffer, 8, &length) == STATUS_INFO_LENGTH_MISMATCH &&
               length == (sizeof(PVOID) == 8 ? 0x40 : 0x2C),
           "basic information size");
    Expect(ZwQuerySystemInformation(SystemKernelDebuggerInformation, g_Buffer, 2, &length) == STATUS_SUCCESS &&
               g_Buffer[0] == FALSE && g_Buffer[1] == TRUE,
           "no kernel debugger");
    Expect(ZwQuerySystemInformation(SystemRangeStartInformation, &start, sizeof(start), &length) == STATUS_SUCCESS &&
               (PVOID)start == MmSystemRangeStart,
           "system range start");
    if (NT_SUCCESS(ZwQuerySystemInformation(SystemProcessInformation, g_Buffer, sizeof(g_Buffer), &length))) {
        for (p = (PROCESS_ENTRY *)g_Buffer;; p = (PROCESS_ENTRY *)((PUCHAR)p + p->NextEntryOffset)) {
            count++;
            if (p->ImageName.Length == 28 && p->ImageName.Buffer[0] == L'p')
                mine = TRUE;
            if (p->NextEntryOffset == 0 || count > 16)
                break;
        }
    }
    Expect(mine, "the process list");
    return count;
}

static VOID Processes(void)
{
    PROCESS_BASIC_INFORMATION basic;
    OBJECT_ATTRIBUTES oa;
    CLIENT_ID cid;
    HANDLE h;
    ULONG length = 0;
    PUNICODE_STRING image = (PUNICODE_STRING)g_Buffer;

    Expect(ZwQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, &basic, sizeof(basic),
                                     &length) == STATUS_SUCCESS &&
               basic.UniqueProcessId == 4,
           "current process");
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    cid.UniqueProcess = (HANDLE)0x1F4;
    cid.UniqueThread = NULL;
    if (NT_SUCCESS(ZwOpenProcess(&h, PROCESS_QUERY_INFORMATION, &oa, &cid))) {
        Expect(ZwQueryInformationProcess(h, ProcessImageFileName, g_Buffer, sizeof(g_Buffer), &length) ==
                       STATUS_SUCCESS &&
                   image->Length > 28 && image->Buffer[image->Length / 2 - 1] == L'e',
               "image file name");
        ZwClose(h);
    } else {
        Expect(FALSE, "open the caller's process");
    }
    cid.UniqueProcess = (HANDLE)0x9999;
    Expect(ZwOpenProcess(&h, PROCESS_QUERY_INFORMATION, &oa, &cid) == STATUS_INVALID_CID, "no such process");
}

static VOID VirtualMemory(void)
{
    PVOID base = NULL;
    SIZE_T size = 0x2000, length = 0;
    MEMORY_BASIC_INFORMATION mbi;
    ULONG old = 0;

    if (!NT_SUCCESS(ZwAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, MEM_COMMIT | MEM_RESERVE,
                                            PAGE_READWRITE))) {
        Expect(FALSE, "allocate virtual memory");
        return;
    }
    *(PULONG)base = 0x1234;
    Expect(ZwQueryVirtualMemory(NtCurrentProcess(), base, MemoryBasicInformation, &mbi, sizeof(mbi), &length) ==
                   STATUS_SUCCESS &&
               mbi.State == MEM_COMMIT && mbi.RegionSize == 0x2000 && mbi.Protect == PAGE_READWRITE,
           "query virtual memory");
    Expect(ZwProtectVirtualMemory(NtCurrentProcess(), &base, &size, PAGE_READONLY, &old) == STATUS_SUCCESS &&
               old == PAGE_READWRITE && *(PULONG)base == 0x1234,
           "protect virtual memory");
    size = 0;
    Expect(ZwFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE) == STATUS_SUCCESS && size == 0x2000,
           "free virtual memory");
}

static VOID Firmware(void)
{
    PULONG info = (PULONG)g_Buffer;
    ULONG length = 0, i;
    BOOLEAN found = FALSE;

    info[0] = 'RSMB';
    info[1] = 1; /* SystemFirmwareTable_Get */
    info[2] = 0;
    if (NT_SUCCESS(ZwQuerySystemInformation(SystemFirmwareTableInformation, g_Buffer, sizeof(g_Buffer), &length))) {
        for (i = 16; i + 10 < length && !found; i++)
            found = !Compare((PCSTR)g_Buffer + i, "Portcullis", FALSE);
    }
    Expect(found, "SMBIOS vendor");
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    OBJECT_ATTRIBUTES oa;
    CLIENT_ID cid;
    HANDLE h;
    NTSTATUS status;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_TERMINATE)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_IN_LEN(sp) < sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    cid.UniqueProcess = (HANDLE)(ULONG_PTR) * (PULONG)Irp->AssociatedIrp.SystemBuffer;
    cid.UniqueThread = NULL;
    status = ZwOpenProcess(&h, PROCESS_TERMINATE, &oa, &cid);
    if (NT_SUCCESS(status)) {
        status = ZwTerminateProcess(h, (NTSTATUS)0xDEAD);
        ZwClose(h);
    }
    return CorpusComplete(Irp, status, 0);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\ModWalk");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID nt, hal = NULL, build, create;
    PCSTR name = "?";
    ULONG processes;
    NTSTATUS status;

    (void)RegistryPath;
    nt = Modules(&hal);
    if (nt != NULL) {
        build = Export(nt, "NtBuildNumber", &name);
        create = Export(nt, "IoCreateDevice", &name);
        Expect(build == (PVOID)&NtBuildNumber && (*(PUSHORT)build) == 7601, "NtBuildNumber through the exports");
        Expect(create == (PVOID)IoCreateDevice, "IoCreateDevice through the exports");
        Expect(Export(nt, "NoSuchExport", &name) == NULL, "a missing export");
    }
    LoaderList(DriverObject, hal);
    processes = SystemQueries();
    Processes();
    VirtualMemory();
    Firmware();
    DbgPrint("modwalk: ntoskrnl %s, NtBuildNumber %lu, %lu processes, checks %lu failed\n", name,
             (ULONG)(NtBuildNumber & 0xFFFF), processes, g_Failed);

    status = CorpusCreateDevice(DriverObject, L"\\Device\\ModWalk", L"\\DosDevices\\ModWalk", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, Ioctl);
    DriverObject->DriverUnload = Unload;
    return g_Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
