/*
 * obcallbacks - object callbacks (ObRegisterCallbacks) that protect the System
 * process, the way anti-tamper drivers do. Linked with /INTEGRITYCHECK
 * (obcallbacks.ldflags), which ObRegisterCallbacks requires.
 *
 * Device \Device\ObCallbacks, symbolic link \DosDevices\ObCallbacks.
 * DriverEntry:
 *   1. ObGetFilterVersion() is OB_FLT_REGISTRATION_VERSION;
 *   2. a registration with Version 0 fails with STATUS_INVALID_PARAMETER;
 *   3. a registration at altitude "321000" for process and thread handles
 *      (create and duplicate) succeeds: its pre-operation routine takes
 *      PROCESS_TERMINATE away from user-mode handles to the System process
 *      and counts the calls; its post-operation routine records the access
 *      granted;
 *   4. a second registration at the same altitude fails with
 *      STATUS_FLT_INSTANCE_ALTITUDE_COLLISION;
 *   prints "obcallbacks: registered, checks %lu failed".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x800 STATS      METHOD_BUFFERED  code 0x80002000
 *     out: ULONG[5] = pre-operation calls, post-operation calls, the last
 *     original desired access, the last granted access, the last
 *     KernelHandle flag.
 *   0x801 OPEN_SYSTEM METHOD_BUFFERED code 0x80002004
 *     opens a kernel handle to the System process with PROCESS_ALL_ACCESS
 *     through ObOpenObjectByPointer, duplicates it with ZwDuplicateObject
 *     (same access), closes both: the callbacks see a create and a duplicate
 *     of kernel handles and leave them whole.
 * Unload: ObUnRegisterCallbacks.
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_STATS CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_OPEN_SYSTEM CORPUS_IOCTL(0x801, METHOD_BUFFERED)

#ifndef PROCESS_TERMINATE
#define PROCESS_TERMINATE 0x0001
#endif
#define ALL_ACCESS 0x001FFFFF

#ifndef STATUS_FLT_INSTANCE_ALTITUDE_COLLISION
#define STATUS_FLT_INSTANCE_ALTITUDE_COLLISION ((NTSTATUS)0xC01C0011L)
#endif

static PDEVICE_OBJECT g_Device;
static PVOID g_Registration;
static ULONG g_Failed;
static volatile ULONG g_Stats[5];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("obcallbacks: %s failed\n", What);
        g_Failed++;
    }
}

static OB_PREOP_CALLBACK_STATUS NTAPI PreOperation(PVOID Context, POB_PRE_OPERATION_INFORMATION Info)
{
    PACCESS_MASK desired;
    ACCESS_MASK original;

    (void)Context;
    g_Stats[0]++;
    if (Info->Operation == OB_OPERATION_HANDLE_CREATE) {
        desired = &Info->Parameters->CreateHandleInformation.DesiredAccess;
        original = Info->Parameters->CreateHandleInformation.OriginalDesiredAccess;
    } else {
        desired = &Info->Parameters->DuplicateHandleInformation.DesiredAccess;
        original = Info->Parameters->DuplicateHandleInformation.OriginalDesiredAccess;
    }
    g_Stats[2] = original;
    g_Stats[4] = Info->KernelHandle;
    if (!Info->KernelHandle && Info->Object == (PVOID)PsInitialSystemProcess)
        *desired &= ~PROCESS_TERMINATE;
    return OB_PREOP_SUCCESS;
}

static VOID NTAPI PostOperation(PVOID Context, POB_POST_OPERATION_INFORMATION Info)
{
    (void)Context;
    g_Stats[1]++;
    g_Stats[3] = Info->Parameters->CreateHandleInformation.GrantedAccess;
}

static NTSTATUS Register(USHORT Version, PCWSTR Altitude, PVOID *Handle)
{
    OB_OPERATION_REGISTRATION ops[2];
    OB_CALLBACK_REGISTRATION reg;

    ops[0].ObjectType = CORPUS_OBJECT_TYPE_VARIABLE(PsProcessType);
    ops[0].Operations = OB_OPERATION_HANDLE_CREATE | OB_OPERATION_HANDLE_DUPLICATE;
    ops[0].PreOperation = PreOperation;
    ops[0].PostOperation = PostOperation;
    ops[1] = ops[0];
    ops[1].ObjectType = CORPUS_OBJECT_TYPE_VARIABLE(PsThreadType);
    reg.Version = Version;
    reg.OperationRegistrationCount = 2;
    RtlInitUnicodeString(&reg.Altitude, Altitude);
    reg.RegistrationContext = NULL;
    reg.OperationRegistration = ops;
    return ObRegisterCallbacks(&reg, Handle);
}

static NTSTATUS OpenSystem(void)
{
    HANDLE h, dup;
    NTSTATUS status;

    status = ObOpenObjectByPointer(PsInitialSystemProcess, OBJ_KERNEL_HANDLE, NULL, ALL_ACCESS,
                                   CORPUS_OBJECT_TYPE(PsProcessType), KernelMode, &h);
    if (!NT_SUCCESS(status))
        return status;
    status = ZwDuplicateObject(NtCurrentProcess(), h, NtCurrentProcess(), &dup, 0, OBJ_KERNEL_HANDLE,
                               DUPLICATE_SAME_ACCESS);
    if (NT_SUCCESS(status))
        ZwClose(dup);
    ZwClose(h);
    return status;
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG i, *out;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_STATS:
        if (CORPUS_OUT_LEN(sp) < sizeof(g_Stats))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        out = Irp->AssociatedIrp.SystemBuffer;
        for (i = 0; i < 5; i++)
            out[i] = g_Stats[i];
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(g_Stats));
    case IOCTL_OPEN_SYSTEM:
        return CorpusComplete(Irp, OpenSystem(), 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    if (g_Registration)
        ObUnRegisterCallbacks(g_Registration);
    CorpusDeleteLink(L"\\DosDevices\\ObCallbacks");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID second = NULL;
    NTSTATUS status;

    (void)RegistryPath;
    Expect(ObGetFilterVersion() == OB_FLT_REGISTRATION_VERSION, "ObGetFilterVersion");
    Expect(Register(0, L"321000", &second) == STATUS_INVALID_PARAMETER, "version 0 refused");
    status = Register(OB_FLT_REGISTRATION_VERSION, L"321000", &g_Registration);
    if (!NT_SUCCESS(status))
        return status;
    Expect(Register(OB_FLT_REGISTRATION_VERSION, L"321000", &second) == STATUS_FLT_INSTANCE_ALTITUDE_COLLISION,
           "altitude collision");
    DbgPrint("obcallbacks: registered, checks %lu failed\n", g_Failed);

    status = CorpusCreateDevice(DriverObject, L"\\Device\\ObCallbacks", L"\\DosDevices\\ObCallbacks", &g_Device);
    if (!NT_SUCCESS(status)) {
        ObUnRegisterCallbacks(g_Registration);
        return status;
    }
    CorpusSetDispatch(DriverObject, Ioctl);
    DriverObject->DriverUnload = Unload;
    return g_Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
