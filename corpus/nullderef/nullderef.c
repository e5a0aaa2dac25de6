/*
 * nullderef - a driver bug on request: reads through a NULL pointer in its
 * IOCTL handler (on Windows: bugcheck 0xD1 / 0x50).
 *
 * Device \Device\NullDeref, symbolic link \DosDevices\NullDeref.
 * DriverEntry prints "nullderef: loaded, crash code 80002000".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 CRASH      METHOD_BUFFERED     code 0x80002000
 *     in:  ignored
 *     out: ULONG read from virtual address 0 (a 4-byte load from address 0;
 *          it faults)                                     (>= 4 bytes)
 *     Would complete with STATUS_SUCCESS, Information 4 if the read returned.
 *     Output < 4 bytes: STATUS_BUFFER_TOO_SMALL, Information 0, no read.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 *
 * DriverEntry registers a bugcheck callback (KeRegisterBugCheckCallback, component
 * "nullderef") that saves the driver's state to hardware when the system crashes: it
 * writes its buffer's first byte (0x5A) to port 0x80, the crash's code from KiBugCheckData
 * (0x1E) to port 0x81, and marks the buffer's second byte.
 * Registering the same record twice fails (FALSE); unload deregisters it.
 */
#include "corpus.h"

#define IOCTL_CRASH CORPUS_IOCTL(0x800, METHOD_BUFFERED)

/* The crash in progress: code and four parameters (ntoskrnl data). */
__declspec(dllimport) extern ULONG_PTR KiBugCheckData[5];

static PDEVICE_OBJECT g_Device;
static KBUGCHECK_CALLBACK_RECORD g_CrashRecord;
static UCHAR g_CrashState[2] = {0x5A, 0};

static VOID NTAPI NullDerefCrashCallback(PVOID Buffer, ULONG Length)
{
    PUCHAR state = (PUCHAR)Buffer;

    if (Length >= 2) {
        __outbyte(0x80, state[0]);
        __outbyte(0x81, (UCHAR)KiBugCheckData[0]);
        state[1] = 1;
    }
}

/* A volatile pointer the compiler cannot see through: a NULL it knew about
 * would let it replace the load by a trap instruction (undefined behaviour). */
static ULONG *volatile g_NullPointer = NULL;

static NTSTATUS NTAPI NullDerefIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_CRASH)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = *(volatile ULONG *)g_NullPointer;
    return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
}

static VOID NTAPI NullDerefUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    KeDeregisterBugCheckCallback(&g_CrashRecord);
    CorpusDeleteLink(L"\\DosDevices\\NullDeref");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\NullDeref", L"\\DosDevices\\NullDeref",
                                &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, NullDerefIoctl);
    DriverObject->DriverUnload = NullDerefUnload;

    KeInitializeCallbackRecord((&g_CrashRecord));
    if (!KeRegisterBugCheckCallback(&g_CrashRecord, NullDerefCrashCallback, g_CrashState,
                                    sizeof(g_CrashState), (PUCHAR) "nullderef")
        || KeRegisterBugCheckCallback(&g_CrashRecord, NullDerefCrashCallback, g_CrashState,
                                      sizeof(g_CrashState), (PUCHAR) "nullderef")) {
        DbgPrint("nullderef: bugcheck callback registration is wrong\n");
    }
    DbgPrint("nullderef: loaded, crash code %x\n", IOCTL_CRASH);
    return STATUS_SUCCESS;
}
