/*
 * pnpdev - a PnP function driver: AddDevice, the start and remove sequences, a device
 * interface the user program opens, and power (a system power IRP turned into a device
 * power IRP with PoRequestPowerIrp, as a power policy owner does).
 *
 * AddDevice creates an unnamed FDO over the PDO, registers the interface class
 * {b0a7d0e0-5e1f-4b2a-8c3d-112233445566}, reads the PDO's hardware ID and name
 * (IoGetDeviceProperty, the length first) and writes "Configured" = 1 in its device key
 * (IoOpenDeviceRegistryKey). IRP_MN_START_DEVICE goes down first; then the driver counts
 * the translated resources, reads a byte from its first I/O port, enables the interface
 * and says it is in D0 (PoSetPowerState). IRP_MN_QUERY_CAPABILITIES comes back from the bus
 * with SurpriseRemovalOK set on the way up. IRP_MN_QUERY_REMOVE_DEVICE is refused while a
 * handle is open; IRP_MN_REMOVE_DEVICE disables the interface, waits on the remove lock,
 * detaches and deletes the FDO. A driver reinitialization-style notification
 * (IoRegisterPlugPlayNotification with INCLUDE_EXISTING_INTERFACES) counts the interface's
 * arrivals and removals.
 *
 * (Requests here complete before IoCallDriver returns; a driver for Windows waits on an
 * event when the lower driver returns STATUS_PENDING — the corpus leaves waits to the
 * scheduler's drivers.)
 *
 * IOCTL 0x830 STATE METHOD_BUFFERED code 0x800020C0: ULONG[10]: starts, ports, memory
 * ranges, interrupts, the byte read from the port, interface arrivals, removals, the
 * device power state (1 = D0 ... 4 = D3), whether the property and registry checks passed
 * (bits 0 and 1), system power IRPs seen.
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_STATE CORPUS_IOCTL(0x830, METHOD_BUFFERED)

static const GUID InterfaceGuid = {0xb0a7d0e0, 0x5e1f, 0x4b2a, {0x8c, 0x3d, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}};
static const GUID Arrival = {0xcb3a4004, 0x46f0, 0x11d0, {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};
static const GUID Removal = {0xcb3a4005, 0x46f0, 0x11d0, {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};

static BOOLEAN SameGuid(const GUID *a, const GUID *b)
{
    const UCHAR *x = (const UCHAR *)a, *y = (const UCHAR *)b;
    ULONG i;
    for (i = 0; i < sizeof(GUID); i++)
        if (x[i] != y[i])
            return FALSE;
    return TRUE;
}

typedef struct _FDO_EXT {
    PDEVICE_OBJECT Pdo;
    PDEVICE_OBJECT Next;
    IO_REMOVE_LOCK Lock;
    UNICODE_STRING Link;
    LONG Handles;
} FDO_EXT, *PFDO_EXT;

static ULONG g_State[10];
static PVOID g_Notification;
static PVOID g_SystemState;

static NTSTATUS NTAPI InterfaceChange(PVOID Structure, PVOID Context)
{
    PDEVICE_INTERFACE_CHANGE_NOTIFICATION n = Structure;
    (void)Context;
    if (SameGuid(&n->Event, &Arrival))
        g_State[5]++;
    else if (SameGuid(&n->Event, &Removal))
        g_State[6]++;
    DbgPrint("pnpdev: interface change %wZ\n", n->SymbolicLinkName);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PFDO_EXT ext;
    WCHAR buf[64];
    ULONG len = 0;
    HANDLE key;
    UNICODE_STRING name;
    ULONG one = 1;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(FDO_EXT), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    ext->Pdo = Pdo;
    ext->Next = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (ext->Next == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    IoInitializeRemoveLock(&ext->Lock, 'vdPn', 0, 0);
    status = IoRegisterDeviceInterface(Pdo, &InterfaceGuid, NULL, &ext->Link);
    if (!NT_SUCCESS(status)) {
        IoDetachDevice(ext->Next);
        IoDeleteDevice(fdo);
        return status;
    }
    /* The PDO's hardware ID and name; its device key. */
    if (IoGetDeviceProperty(Pdo, DevicePropertyHardwareID, 2, buf, &len) == STATUS_BUFFER_TOO_SMALL && len > 2 &&
        len <= sizeof(buf) && NT_SUCCESS(IoGetDeviceProperty(Pdo, DevicePropertyHardwareID, sizeof(buf), buf, &len)) &&
        buf[0] == L'R' && NT_SUCCESS(IoGetDeviceProperty(Pdo, DevicePropertyPhysicalDeviceObjectName, sizeof(buf), buf, &len)) &&
        buf[0] == L'\\' && IoGetDeviceProperty(fdo, DevicePropertyHardwareID, sizeof(buf), buf, &len) == STATUS_INVALID_DEVICE_REQUEST)
        g_State[8] |= 1;
    if (NT_SUCCESS(IoOpenDeviceRegistryKey(Pdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ | KEY_WRITE, &key))) {
        RtlInitUnicodeString(&name, L"Configured");
        if (NT_SUCCESS(ZwSetValueKey(key, &name, 0, REG_DWORD, &one, sizeof(one))))
            g_State[8] |= 2;
        ZwClose(key);
    }
    fdo->Flags |= DO_BUFFERED_IO | DO_POWER_PAGABLE;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI Stop(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    (void)Irp;
    *(BOOLEAN *)Context = TRUE;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS NTAPI CapabilitiesUp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PDEVICE_CAPABILITIES caps = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceCapabilities.Capabilities;
    (void)DeviceObject;
    (void)Context;
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    if (NT_SUCCESS(Irp->IoStatus.Status))
        caps->SurpriseRemovalOK = TRUE;
    return STATUS_CONTINUE_COMPLETION;
}

/* Sends the IRP down and takes it back once the lower drivers completed it. */
static NTSTATUS ForwardAndTakeBack(PFDO_EXT ext, PIRP Irp)
{
    BOOLEAN back = FALSE;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, Stop, &back, TRUE, TRUE, TRUE);
    IoCallDriver(ext->Next, Irp);
    return back ? Irp->IoStatus.Status : STATUS_UNSUCCESSFUL;
}

static VOID UseResources(PIO_STACK_LOCATION sp)
{
    PCM_RESOURCE_LIST list = sp->Parameters.StartDevice.AllocatedResourcesTranslated;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d;
    ULONG i;
    BOOLEAN read = FALSE;

    if (list == NULL || list->Count == 0)
        return;
    /* PartialDescriptors is declared with one element: stepping past it by index would let
     * GCC assume there is only one. */
    for (i = 0; i < list->List[0].PartialResourceList.Count; i++) {
        d = (PCM_PARTIAL_RESOURCE_DESCRIPTOR)((PUCHAR)list->List[0].PartialResourceList.PartialDescriptors +
                                              i * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR));
        switch (d->Type) {
        case CmResourceTypePort:
            g_State[1]++;
            if (!read) {
                g_State[4] = READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)d->u.Port.Start.QuadPart);
                read = TRUE;
            }
            break;
        case CmResourceTypeMemory:
            g_State[2]++;
            break;
        case CmResourceTypeInterrupt:
            g_State[3]++;
            break;
        }
    }
}

static NTSTATUS NTAPI DispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFDO_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;
    POWER_STATE d0;

    status = IoAcquireRemoveLock(&ext->Lock, Irp);
    if (!NT_SUCCESS(status))
        return CorpusComplete(Irp, status, 0);
    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = ForwardAndTakeBack(ext, Irp);
        if (NT_SUCCESS(status)) {
            g_State[0]++;
            UseResources(sp);
            IoSetDeviceInterfaceState(&ext->Link, TRUE);
            d0.DeviceState = PowerDeviceD0;
            PoSetPowerState(DeviceObject, DevicePowerState, d0);
            g_State[7] = PowerDeviceD0;
        }
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        IoReleaseRemoveLock(&ext->Lock, Irp);
        return status;
    case IRP_MN_QUERY_CAPABILITIES:
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, CapabilitiesUp, NULL, TRUE, TRUE, TRUE);
        status = IoCallDriver(ext->Next, Irp);
        IoReleaseRemoveLock(&ext->Lock, Irp);
        return status;
    case IRP_MN_QUERY_REMOVE_DEVICE:
        if (ext->Handles > 0) {
            IoReleaseRemoveLock(&ext->Lock, Irp);
            return CorpusComplete(Irp, STATUS_DEVICE_BUSY, 0);
        }
        break;
    case IRP_MN_REMOVE_DEVICE:
        IoSetDeviceInterfaceState(&ext->Link, FALSE);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(ext->Next, Irp);
        IoReleaseRemoveLockAndWait(&ext->Lock, Irp);
        ExFreePool(ext->Link.Buffer);
        IoDetachDevice(ext->Next);
        IoDeleteDevice(DeviceObject);
        return status;
    default:
        break;
    }
    if (sp->MinorFunction == IRP_MN_QUERY_REMOVE_DEVICE || sp->MinorFunction == IRP_MN_CANCEL_REMOVE_DEVICE)
        Irp->IoStatus.Status = STATUS_SUCCESS;
    IoSkipCurrentIrpStackLocation(Irp);
    status = IoCallDriver(ext->Next, Irp);
    IoReleaseRemoveLock(&ext->Lock, Irp);
    return status;
}

/* A device power IRP this driver asked for completed: the system IRP completes with it. */
static VOID NTAPI DevicePowerDone(PDEVICE_OBJECT DeviceObject, UCHAR Minor, POWER_STATE State, PVOID Context,
                                  PIO_STATUS_BLOCK IoStatus)
{
    PIRP systemIrp = Context;
    (void)DeviceObject;
    (void)Minor;
    (void)State;
    PoStartNextPowerIrp(systemIrp);
    systemIrp->IoStatus.Status = IoStatus->Status;
    IoCompleteRequest(systemIrp, IO_NO_INCREMENT);
}

/* A system power IRP came back up: ask for the device power state that goes with it. */
static NTSTATUS NTAPI SystemPowerUp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PFDO_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    POWER_STATE d;
    NTSTATUS status;
    (void)Context;

    if (!NT_SUCCESS(Irp->IoStatus.Status))
        return STATUS_CONTINUE_COMPLETION;
    d.DeviceState = sp->Parameters.Power.State.SystemState == PowerSystemWorking ? PowerDeviceD0 : PowerDeviceD3;
    status = PoRequestPowerIrp(ext->Pdo, IRP_MN_SET_POWER, d, DevicePowerDone, Irp, NULL);
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Status = status;
        return STATUS_CONTINUE_COMPLETION;
    }
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS NTAPI DispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFDO_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    PoStartNextPowerIrp(Irp);
    if (sp->MinorFunction == IRP_MN_SET_POWER && sp->Parameters.Power.Type == SystemPowerState) {
        g_State[9]++;
        IoMarkIrpPending(Irp);
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, SystemPowerUp, NULL, TRUE, TRUE, TRUE);
        PoCallDriver(ext->Next, Irp);
        return STATUS_PENDING;
    }
    if (sp->MinorFunction == IRP_MN_SET_POWER && sp->Parameters.Power.Type == DevicePowerState) {
        PoSetPowerState(DeviceObject, DevicePowerState, sp->Parameters.Power.State);
        g_State[7] = sp->Parameters.Power.State.DeviceState;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return PoCallDriver(ext->Next, Irp);
}

static NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFDO_EXT ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    if (sp->MajorFunction == IRP_MJ_CREATE)
        ext->Handles++;
    else if (sp->MajorFunction == IRP_MJ_CLOSE)
        ext->Handles--;
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG i;
    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_STATE)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_OUT_LEN(sp) < sizeof(g_State))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    for (i = 0; i < 10; i++)
        ((PULONG)Irp->AssociatedIrp.SystemBuffer)[i] = g_State[i];
    return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(g_State));
}

static NTSTATUS NTAPI DispatchPassDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFDO_EXT ext = DeviceObject->DeviceExtension;
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->Next, Irp);
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    IoUnregisterPlugPlayNotificationEx(g_Notification);
    PoUnregisterSystemState(g_SystemState);
    DbgPrint("pnpdev: unloaded: %lu arrivals, %lu removals\n", g_State[5], g_State[6]);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    (void)RegistryPath;

    DriverObject->DriverExtension->AddDevice = AddDevice;
    DriverObject->MajorFunction[IRP_MJ_PNP] = DispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = DispatchPower;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CorpusDispatchSuccess;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchIoctl;
    DriverObject->MajorFunction[IRP_MJ_SYSTEM_CONTROL] = DispatchPassDown;
    DriverObject->DriverUnload = Unload;
    status = IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
                                            PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                                            (PVOID)&InterfaceGuid, DriverObject, InterfaceChange, NULL, &g_Notification);
    if (!NT_SUCCESS(status))
        return status;
    g_SystemState = PoRegisterSystemState(NULL, ES_SYSTEM_REQUIRED | ES_CONTINUOUS);
    return STATUS_SUCCESS;
}
