/*
 * busrel - a bus driver whose children come and go: IoInvalidateDeviceRelations and
 * IoRequestDeviceEject against the PnP manager.
 *
 * AddDevice puts a named FDO (\Device\BusRel, \DosDevices\BusRel) over the emulated bus's
 * PDO. The user program plugs a child (IOCTL PLUG: a new PDO, then
 * IoInvalidateDeviceRelations(BusRelations)); the PnP manager asks for the bus relations,
 * finds the new PDO and queries its IDs and capabilities (EjectSupported). IOCTL EJECT asks
 * for the child's ejection (IoRequestDeviceEject): query-remove, remove (the child is still
 * there: its PDO stays), eject, whose handler unplugs it and invalidates the relations again;
 * the child is then missing from them and gets its second IRP_MN_REMOVE_DEVICE, after which
 * the driver deletes its PDO.
 *
 * IOCTL STATE METHOD_BUFFERED 0x800020C4: ULONG[6]: relation queries answered, ID queries,
 * capability queries, removes seen by the child, ejects, child PDOs alive.
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_PLUG CORPUS_IOCTL(0x830, METHOD_BUFFERED)
#define IOCTL_STATE CORPUS_IOCTL(0x831, METHOD_BUFFERED)
#define IOCTL_EJECT CORPUS_IOCTL(0x832, METHOD_BUFFERED)

typedef struct _EXT {
    BOOLEAN Child;
    BOOLEAN Present;
    PDEVICE_OBJECT Next; /* FDO: the device under it */
} EXT, *PEXT;

static ULONG g_State[6];
static PDEVICE_OBJECT g_Pdo, g_Fdo, g_Child;
static UNICODE_STRING g_Link = RTL_CONSTANT_STRING(L"\\DosDevices\\BusRel");

static NTSTATUS Complete(PIRP Irp, NTSTATUS status, ULONG_PTR info)
{
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = info;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static PWCHAR PoolString(PCWSTR s, ULONG bytes)
{
    PWCHAR p = ExAllocatePoolWithTag(PagedPool, bytes, 'leRB');
    if (p)
        RtlCopyMemory(p, s, bytes);
    return p;
}

static NTSTATUS ChildPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(Irp);
    PEXT ext = DeviceObject->DeviceExtension;
    PDEVICE_CAPABILITIES caps;
    static const WCHAR id[] = L"BUSREL\\CHILD\0";
    static const WCHAR instance[] = L"01\0";
    switch (s->MinorFunction) {
    case IRP_MN_QUERY_ID:
        g_State[1]++;
        if (s->Parameters.QueryId.IdType == BusQueryInstanceID)
            return Complete(Irp, STATUS_SUCCESS, (ULONG_PTR)PoolString(instance, sizeof(instance)));
        return Complete(Irp, STATUS_SUCCESS, (ULONG_PTR)PoolString(id, sizeof(id)));
    case IRP_MN_QUERY_CAPABILITIES:
        g_State[2]++;
        caps = s->Parameters.DeviceCapabilities.Capabilities;
        caps->EjectSupported = TRUE;
        caps->Removable = TRUE;
        return Complete(Irp, STATUS_SUCCESS, 0);
    case IRP_MN_QUERY_REMOVE_DEVICE:
        return Complete(Irp, STATUS_SUCCESS, 0);
    case IRP_MN_REMOVE_DEVICE:
        g_State[3]++;
        if (!ext->Present) {
            /* Gone from the bus: the PDO goes too. */
            Complete(Irp, STATUS_SUCCESS, 0);
            g_Child = NULL;
            g_State[5]--;
            IoDeleteDevice(DeviceObject);
            return STATUS_SUCCESS;
        }
        return Complete(Irp, STATUS_SUCCESS, 0);
    case IRP_MN_EJECT:
        g_State[4]++;
        ext->Present = FALSE;
        IoInvalidateDeviceRelations(g_Pdo, BusRelations);
        return Complete(Irp, STATUS_SUCCESS, 0);
    default:
        return Complete(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
    }
}

static NTSTATUS NTAPI Pnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(Irp);
    PEXT ext = DeviceObject->DeviceExtension;
    PDEVICE_RELATIONS rel;
    PDEVICE_OBJECT next;
    if (ext->Child)
        return ChildPnp(DeviceObject, Irp);
    if (s->MinorFunction == IRP_MN_QUERY_DEVICE_RELATIONS && s->Parameters.QueryDeviceRelations.Type == BusRelations) {
        g_State[0]++;
        rel = ExAllocatePoolWithTag(PagedPool, sizeof(DEVICE_RELATIONS), 'leRB');
        if (rel == NULL)
            return Complete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
        rel->Count = 0;
        if (g_Child && ((PEXT)g_Child->DeviceExtension)->Present) {
            ObReferenceObject(g_Child);
            rel->Objects[rel->Count++] = g_Child;
        }
        Irp->IoStatus.Status = STATUS_SUCCESS;
        Irp->IoStatus.Information = (ULONG_PTR)rel;
    }
    next = ext->Next;
    if (s->MinorFunction == IRP_MN_REMOVE_DEVICE) {
        /* The bus goes: so do its children (they had their remove already). */
        if (g_Child) {
            IoDeleteDevice(g_Child);
            g_Child = NULL;
            g_State[5]--;
        }
        IoSkipCurrentIrpStackLocation(Irp);
        IoCallDriver(next, Irp);
        IoDeleteSymbolicLink(&g_Link);
        IoDetachDevice(next);
        IoDeleteDevice(DeviceObject);
        g_Fdo = NULL;
        return STATUS_SUCCESS;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(next, Irp);
}

static NTSTATUS NTAPI Ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(Irp);
    PDEVICE_OBJECT child;
    NTSTATUS status;
    (void)DeviceObject;
    switch (s->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_PLUG:
        if (g_Child)
            return Complete(Irp, STATUS_DEVICE_BUSY, 0);
        status = IoCreateDevice(DeviceObject->DriverObject, sizeof(EXT), NULL, FILE_DEVICE_UNKNOWN,
                                FILE_AUTOGENERATED_DEVICE_NAME, FALSE, &child);
        if (!NT_SUCCESS(status))
            return Complete(Irp, status, 0);
        ((PEXT)child->DeviceExtension)->Child = TRUE;
        ((PEXT)child->DeviceExtension)->Present = TRUE;
        child->Flags &= ~DO_DEVICE_INITIALIZING;
        g_Child = child;
        g_State[5]++;
        IoInvalidateDeviceRelations(g_Pdo, BusRelations);
        return Complete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_EJECT:
        if (g_Child == NULL)
            return Complete(Irp, STATUS_NO_SUCH_DEVICE, 0);
        IoRequestDeviceEject(g_Child);
        return Complete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_STATE:
        if (s->Parameters.DeviceIoControl.OutputBufferLength < sizeof(g_State))
            return Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, g_State, sizeof(g_State));
        return Complete(Irp, STATUS_SUCCESS, sizeof(g_State));
    default:
        return Complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS NTAPI CreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    return Complete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\BusRel");
    PDEVICE_OBJECT fdo;
    PEXT ext;
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(EXT), &name, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    ext->Child = FALSE;
    ext->Next = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (ext->Next == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    status = IoCreateSymbolicLink(&g_Link, &name);
    if (!NT_SUCCESS(status)) {
        IoDetachDevice(ext->Next);
        IoDeleteDevice(fdo);
        return status;
    }
    g_Pdo = Pdo;
    g_Fdo = fdo;
    fdo->Flags |= DO_BUFFERED_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->DriverExtension->AddDevice = AddDevice;
    DriverObject->MajorFunction[IRP_MJ_PNP] = Pnp;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = CreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = CreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Ioctl;
    DriverObject->DriverUnload = Unload;
    return STATUS_SUCCESS;
}
