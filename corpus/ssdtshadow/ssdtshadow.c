/*
 * ssdtshadow - finds the system service descriptor tables the way drivers that hook
 * services do, by name through MmGetSystemRoutineAddress so that one source serves both
 * architectures.
 *
 * x86 Windows exports KeServiceDescriptorTable (four KSERVICE_TABLE_DESCRIPTORs) and
 * KeAddSystemServiceTable, not the shadow table win32k's services are added to. Drivers
 * find that one in KeAddSystemServiceTable's code, which addresses both tables: DriverEntry
 * scans the routine's first 0x100 bytes for a pointer to 16 valid bytes equal to
 * KeServiceDescriptorTable's first descriptor that is not KeServiceDescriptorTable itself,
 * then adds a two-service table at win32k's index 1 with KeAddSystemServiceTable and checks
 * that it went to the shadow table only, and that index 1 is then taken.
 * x64 Windows exports neither name: both resolve to NULL.
 *
 * Prints "ssdtshadow: shadow found, N services, win32k's descriptor in the shadow only"
 * (x86) or "ssdtshadow: no descriptor table exported" (x64); each failed check is printed
 * and DriverEntry then fails with STATUS_UNSUCCESSFUL.
 */
#include "corpus.h"

typedef struct _DESCRIPTOR {
    PULONG_PTR Base;
    PULONG Count;
    ULONG Limit;
    PUCHAR Number;
} DESCRIPTOR;

typedef BOOLEAN (NTAPI *ADD_TABLE)(PULONG_PTR Base, PULONG Count, ULONG Limit, PUCHAR Number, ULONG Index);

static ULONG_PTR Win32kServices[2];
static UCHAR Win32kArguments[2] = {4, 8};

static PVOID Routine(PCWSTR Name)
{
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, Name);
    return MmGetSystemRoutineAddress(&s);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DESCRIPTOR *table = Routine(L"KeServiceDescriptorTable"), *shadow = NULL;
    ADD_TABLE add = (ADD_TABLE)Routine(L"KeAddSystemServiceTable");
    PUCHAR code = (PUCHAR)add;
    ULONG i, failed = 0;
    (void)RegistryPath;
    DriverObject->DriverUnload = Unload;
    if (table == NULL || add == NULL) {
        if (table != NULL || add != NULL) {
            DbgPrint("ssdtshadow: only one of KeServiceDescriptorTable and KeAddSystemServiceTable\n");
            return STATUS_UNSUCCESSFUL;
        }
        DbgPrint("ssdtshadow: no descriptor table exported\n");
        return STATUS_SUCCESS;
    }
    for (i = 0; i < 0x100 && shadow == NULL; i++) {
        DESCRIPTOR *p = *(DESCRIPTOR *UNALIGNED *)(code + i);
        if (p != table && MmIsAddressValid(p) && MmIsAddressValid((PUCHAR)p + sizeof(*p) - 1) &&
            RtlCompareMemory(p, table, sizeof(*p)) == sizeof(*p))
            shadow = p;
    }
    if (shadow == NULL) {
        DbgPrint("ssdtshadow: no shadow table in KeAddSystemServiceTable's first 0x100 bytes\n");
        return STATUS_UNSUCCESSFUL;
    }
    if (shadow[0].Base == NULL || shadow[0].Limit == 0) {
        DbgPrint("ssdtshadow: the kernel's descriptor is empty\n");
        failed++;
    }
    if (shadow[1].Base != NULL || table[1].Base != NULL) {
        DbgPrint("ssdtshadow: win32k's index is taken already\n");
        failed++;
    }
    if (!add(Win32kServices, NULL, 2, Win32kArguments, 1)) {
        DbgPrint("ssdtshadow: KeAddSystemServiceTable(1) failed\n");
        failed++;
    }
    if (shadow[1].Base != Win32kServices || shadow[1].Limit != 2 || shadow[1].Number != Win32kArguments) {
        DbgPrint("ssdtshadow: the shadow table's descriptor 1 is not the one added\n");
        failed++;
    }
    if (table[1].Base != NULL) {
        DbgPrint("ssdtshadow: win32k's descriptor went to KeServiceDescriptorTable\n");
        failed++;
    }
    if (add(Win32kServices, NULL, 2, Win32kArguments, 1)) {
        DbgPrint("ssdtshadow: index 1 was added twice\n");
        failed++;
    }
    if (failed)
        return STATUS_UNSUCCESSFUL;
    DbgPrint("ssdtshadow: shadow found, %lu services, win32k's descriptor in the shadow only\n", shadow[0].Limit);
    return STATUS_SUCCESS;
}
