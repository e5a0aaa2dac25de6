/*
 * missing - imports a routine no kernel exports, PortcullisNoSuchRoutine
 * from ntoskrnl.exe (NTSTATUS NTAPI PortcullisNoSuchRoutine(void), stdcall
 * with no arguments on x86), next to real imports (DbgPrint,
 * RtlInitUnicodeString). Windows refuses to load such a driver
 * (STATUS_PROCEDURE_NOT_FOUND / STATUS_DRIVER_ENTRYPOINT_NOT_FOUND).
 * libntoskrnl.a has no such symbol: build.sh makes an import library for it
 * from missing.x86.def / missing.x64.def with dlltool.
 *
 * Device: none. If it does run, DriverEntry initialises a UNICODE_STRING
 * with the routine's name, prints
 * "missing: calling PortcullisNoSuchRoutine (46 bytes)", calls
 * PortcullisNoSuchRoutine() and returns its status. No device, link,
 * dispatch routine or DriverUnload.
 *
 * IOCTLs: none.
 */
#include "corpus.h"

NTKERNELAPI NTSTATUS NTAPI PortcullisNoSuchRoutine(void);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;

    (void)DriverObject;
    (void)RegistryPath;
    RtlInitUnicodeString(&name, L"PortcullisNoSuchRoutine");
    DbgPrint("missing: calling %s (%d bytes)\n", "PortcullisNoSuchRoutine", name.Length);
    return PortcullisNoSuchRoutine();
}
