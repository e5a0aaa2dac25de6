/*
 * spin - a DriverEntry that never returns, to exercise the emulator's
 * instruction/time limits.
 *
 * Device: none. DriverEntry prints "spin: entering a loop that never ends"
 * (DbgPrint with format "spin: entering a loop that %s\n", so that the
 * message also goes through the formatter) and then increments a volatile
 * counter forever. It creates no device, no link and no pool, sets no
 * dispatch routines and no DriverUnload.
 *
 * IOCTLs: none.
 */
#include "corpus.h"

static volatile ULONG g_Counter;

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)DriverObject;
    (void)RegistryPath;
    DbgPrint("spin: entering a loop that %s\n", "never ends");
    for (;;) {
        g_Counter++;
    }
}
