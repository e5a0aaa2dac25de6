/*
 * win32api - the driver kernel32_tour talks to: it signals the event whose handle a user
 * program sends it, as drivers that notify their clients do.
 *
 * Device \Device\Win32Api, symbolic link \DosDevices\Win32Api.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 SIGNAL     METHOD_BUFFERED     code 0x80002000
 *     in:  HANDLE event (a handle in the caller's process)
 *     ObReferenceObjectByHandle(event, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode),
 *     then KeSetEvent and ObDereferenceObject. The reference's status is the IRP's
 *     (STATUS_INVALID_HANDLE for what is no handle, STATUS_OBJECT_TYPE_MISMATCH for a
 *     handle to something else). Input shorter than a HANDLE: STATUS_BUFFER_TOO_SMALL.
 *
 *   0x801 SIGNAL_LATER METHOD_BUFFERED   code 0x80002004
 *     in:  HANDLE event
 *     references the event as SIGNAL does, then sets it 100 ms later from a timer's DPC
 *     (and dereferences it there): the program waits meanwhile. One at a time: while one is
 *     pending, STATUS_DEVICE_BUSY.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST. Information is 0 in every case.
 */
#include "corpus.h"

#define IOCTL_SIGNAL CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_SIGNAL_LATER CORPUS_IOCTL(0x801, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device;
static KTIMER g_Timer;
static KDPC g_Dpc;
static PKEVENT g_Pending; /* the event the timer sets, referenced */

static VOID NTAPI SignalLater(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    PKEVENT event = g_Pending;

    (void)Dpc, (void)Context, (void)Arg1, (void)Arg2;
    g_Pending = NULL;
    if (event != NULL) {
        KeSetEvent(event, IO_NO_INCREMENT, FALSE);
        ObDereferenceObject(event);
    }
}

static NTSTATUS NTAPI Win32ApiIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PKEVENT event;
    NTSTATUS status;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_SIGNAL && CORPUS_CODE(sp) != IOCTL_SIGNAL_LATER)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_IN_LEN(sp) < sizeof(HANDLE))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (CORPUS_CODE(sp) == IOCTL_SIGNAL_LATER && g_Pending != NULL)
        return CorpusComplete(Irp, STATUS_DEVICE_BUSY, 0);
    status = ObReferenceObjectByHandle(*(HANDLE *)Irp->AssociatedIrp.SystemBuffer, EVENT_MODIFY_STATE,
                                       CORPUS_OBJECT_TYPE(ExEventObjectType), UserMode, (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status))
        return CorpusComplete(Irp, status, 0);
    if (CORPUS_CODE(sp) == IOCTL_SIGNAL) {
        KeSetEvent(event, IO_NO_INCREMENT, FALSE);
        ObDereferenceObject(event);
    } else {
        LARGE_INTEGER due;
        due.QuadPart = -100 * 10000LL; /* 100 ms from now */
        g_Pending = event;
        KeSetTimer(&g_Timer, due, &g_Dpc);
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static VOID NTAPI Win32ApiUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    if (KeCancelTimer(&g_Timer) && g_Pending != NULL) {
        ObDereferenceObject(g_Pending);
        g_Pending = NULL;
    }
    CorpusDeleteLink(L"\\DosDevices\\Win32Api");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Win32Api", L"\\DosDevices\\Win32Api", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeTimer(&g_Timer);
    KeInitializeDpc(&g_Dpc, SignalLater, NULL);
    CorpusSetDispatch(DriverObject, Win32ApiIoctl);
    DriverObject->DriverUnload = Win32ApiUnload;
    return STATUS_SUCCESS;
}
