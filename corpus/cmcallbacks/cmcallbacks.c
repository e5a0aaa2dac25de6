/*
 * cmcallbacks - a registry filter (CmRegisterCallbackEx) that counts the
 * notifications it gets and refuses writes of values named "Forbidden", the
 * way configuration-protection drivers do.
 *
 * Device \Device\CmCallbacks, symbolic link \DosDevices\CmCallbacks.
 * DriverEntry:
 *   1. CmRegisterCallbackEx at altitude "385100" succeeds; a second at the same
 *      altitude is STATUS_FLT_INSTANCE_ALTITUDE_COLLISION; CmUnRegisterCallback
 *      of a cookie nobody has is STATUS_INVALID_PARAMETER;
 *   2. ZwOpenKey(RegistryPath) (RegNtPreOpenKeyEx/RegNtPostOpenKeyEx),
 *      ZwSetValueKey(Forbidden) is STATUS_ACCESS_DENIED (the callback's
 *      answer), ZwSetValueKey(Allowed) succeeds, ZwQueryValueKey(Allowed)
 *      reads it back;
 *   prints "cmcallbacks: registered, checks %lu failed".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x800 COUNTS METHOD_BUFFERED code 0x80002000
 *     out: ULONG[7] = notifications of RegNtPreOpenKeyEx, RegNtPreCreateKeyEx,
 *     RegNtPreSetValueKey, RegNtPostSetValueKey, RegNtPreDeleteValueKey +
 *     RegNtPreDeleteKey, RegNtPreQueryValueKey, and writes refused.
 * Unload: CmUnRegisterCallback.
 */
#include "corpus.h"

#define IOCTL_COUNTS CORPUS_IOCTL(0x800, METHOD_BUFFERED)

#ifndef STATUS_FLT_INSTANCE_ALTITUDE_COLLISION
#define STATUS_FLT_INSTANCE_ALTITUDE_COLLISION ((NTSTATUS)0xC01C0011L)
#endif

static PDEVICE_OBJECT g_Device;
static LARGE_INTEGER g_Cookie;
static ULONG g_Failed;
static volatile ULONG g_Counts[64];
static volatile ULONG g_Refused;

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("cmcallbacks: %s failed\n", What);
        g_Failed++;
    }
}

static BOOLEAN IsForbidden(PUNICODE_STRING Name)
{
    static const WCHAR forbidden[] = L"Forbidden";
    USHORT i;

    if (Name == NULL || Name->Length != sizeof(forbidden) - sizeof(WCHAR))
        return FALSE;
    for (i = 0; i < Name->Length / sizeof(WCHAR); i++)
        if (Name->Buffer[i] != forbidden[i])
            return FALSE;
    return TRUE;
}

static NTSTATUS NTAPI Callback(PVOID Context, PVOID Argument1, PVOID Argument2)
{
    REG_NOTIFY_CLASS cls = (REG_NOTIFY_CLASS)(ULONG_PTR)Argument1;

    (void)Context;
    if ((ULONG)cls < 64)
        g_Counts[cls]++;
    if (cls == RegNtPreSetValueKey && IsForbidden(((PREG_SET_VALUE_KEY_INFORMATION)Argument2)->ValueName)) {
        g_Refused++;
        return STATUS_ACCESS_DENIED;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = Irp->AssociatedIrp.SystemBuffer;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_COUNTS)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_OUT_LEN(sp) < 7 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    out[0] = g_Counts[RegNtPreOpenKeyEx];
    out[1] = g_Counts[RegNtPreCreateKeyEx];
    out[2] = g_Counts[RegNtPreSetValueKey];
    out[3] = g_Counts[RegNtPostSetValueKey];
    out[4] = g_Counts[RegNtPreDeleteValueKey] + g_Counts[RegNtPreDeleteKey];
    out[5] = g_Counts[RegNtPreQueryValueKey];
    out[6] = g_Refused;
    return CorpusComplete(Irp, STATUS_SUCCESS, 7 * sizeof(ULONG));
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CmUnRegisterCallback(g_Cookie);
    CorpusDeleteLink(L"\\DosDevices\\CmCallbacks");
    IoDeleteDevice(g_Device);
}

static VOID OwnKey(PUNICODE_STRING RegistryPath)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name;
    HANDLE key;
    ULONG value = 1, length = 0;
    UCHAR buffer[32];

    InitializeObjectAttributes(&oa, RegistryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    if (!NT_SUCCESS(ZwOpenKey(&key, KEY_ALL_ACCESS, &oa))) {
        Expect(FALSE, "open own key");
        return;
    }
    RtlInitUnicodeString(&name, L"Forbidden");
    Expect(ZwSetValueKey(key, &name, 0, REG_DWORD, &value, sizeof(value)) == STATUS_ACCESS_DENIED, "refused write");
    RtlInitUnicodeString(&name, L"Allowed");
    Expect(ZwSetValueKey(key, &name, 0, REG_DWORD, &value, sizeof(value)) == STATUS_SUCCESS, "allowed write");
    Expect(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer, sizeof(buffer), &length) ==
               STATUS_SUCCESS,
           "query");
    ZwClose(key);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING altitude;
    LARGE_INTEGER second, bogus;
    NTSTATUS status;

    RtlInitUnicodeString(&altitude, L"385100");
    status = CmRegisterCallbackEx(Callback, &altitude, DriverObject, NULL, &g_Cookie, NULL);
    if (!NT_SUCCESS(status))
        return status;
    Expect(CmRegisterCallbackEx(Callback, &altitude, DriverObject, NULL, &second, NULL) ==
               STATUS_FLT_INSTANCE_ALTITUDE_COLLISION,
           "altitude collision");
    bogus.QuadPart = 0x1234;
    Expect(CmUnRegisterCallback(bogus) == STATUS_INVALID_PARAMETER, "unknown cookie");
    OwnKey(RegistryPath);
    DbgPrint("cmcallbacks: registered, checks %lu failed\n", g_Failed);

    status = CorpusCreateDevice(DriverObject, L"\\Device\\CmCallbacks", L"\\DosDevices\\CmCallbacks", &g_Device);
    if (!NT_SUCCESS(status)) {
        CmUnRegisterCallback(g_Cookie);
        return status;
    }
    CorpusSetDispatch(DriverObject, Ioctl);
    DriverObject->DriverUnload = Unload;
    return g_Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
