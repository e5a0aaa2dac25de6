/*
 * devqueue - what IoCreateDevice leaves in a new device object's queue fields, read the way
 * drivers without a StartIo routine read them (a PnP driver's removal path locks its
 * device's DeviceQueue and walks the list to flush what waits there).
 *
 * Device \Device\DevQueue (type 0x8000), symbolic link \DosDevices\DevQueue. DriverEntry
 * also makes two unnamed devices: one of type FILE_DEVICE_DISK and one of type
 * FILE_DEVICE_DISK_FILE_SYSTEM.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 FIELDS     METHOD_BUFFERED     code 0x80002000
 *     out: 8 ULONGs (>= 32 bytes):
 *       [0] the control device's DeviceQueue.Type (DeviceQueueObject, 0x14)
 *       [1] 1 if DeviceQueue.Size is sizeof(KDEVICE_QUEUE)
 *       [2] 1 if DeviceListHead is an empty list (Flink and Blink point to the head)
 *       [3] DeviceQueue.Busy
 *       [4] entries found walking the list at DISPATCH_LEVEL under DeviceQueue.Lock
 *       [5] the control device's SectorSize (0)
 *       [6] the disk's SectorSize (512)
 *       [7] 1 if the file system device's Queue.ListEntry is an empty list
 *
 *   0x801 QUEUE      METHOD_BUFFERED     code 0x80002004
 *     out: 5 ULONGs (>= 20 bytes), the control device's queue used as created (no
 *     KeInitializeDeviceQueue first), two entries A and B:
 *       [0] KeInsertDeviceQueue(A): 0 (the queue was idle; it becomes busy)
 *       [1] KeInsertDeviceQueue(B): 1 (queued)
 *       [2] 1 if KeRemoveDeviceQueue returned B
 *       [3] 1 if the next KeRemoveDeviceQueue returned NULL
 *       [4] DeviceQueue.Busy after that (0)
 *
 *   Short output: STATUS_BUFFER_TOO_SMALL; any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOCTL_FIELDS CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_QUEUE  CORPUS_IOCTL(0x801, METHOD_BUFFERED)

static PDEVICE_OBJECT g_Device, g_Disk, g_FileSystem;

static ULONG IsEmptyList(PLIST_ENTRY head)
{
    return head->Flink == head && head->Blink == head;
}

static VOID Fields(PULONG out)
{
    PKDEVICE_QUEUE q = &g_Device->DeviceQueue;
    PLIST_ENTRY e;
    ULONG n = 0;
    KIRQL irql;

    out[0] = (USHORT)q->Type;
    out[1] = q->Size == sizeof(KDEVICE_QUEUE);
    out[2] = IsEmptyList(&q->DeviceListHead);
    out[3] = q->Busy;
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    KeAcquireSpinLockAtDpcLevel(&q->Lock);
    for (e = q->DeviceListHead.Flink; e != &q->DeviceListHead && n < 16; e = e->Flink)
        n++;
    KeReleaseSpinLockFromDpcLevel(&q->Lock);
    KeLowerIrql(irql);
    out[4] = n;
    out[5] = g_Device->SectorSize;
    out[6] = g_Disk->SectorSize;
    out[7] = IsEmptyList(&g_FileSystem->Queue.ListEntry);
}

static VOID Queue(PULONG out)
{
    static KDEVICE_QUEUE_ENTRY a, b;
    PKDEVICE_QUEUE q = &g_Device->DeviceQueue;

    out[0] = KeInsertDeviceQueue(q, &a);
    out[1] = KeInsertDeviceQueue(q, &b);
    out[2] = KeRemoveDeviceQueue(q) == &b;
    out[3] = KeRemoveDeviceQueue(q) == NULL;
    out[4] = q->Busy;
}

static NTSTATUS NTAPI DevQueueIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_FIELDS:
        if (CORPUS_OUT_LEN(sp) < 8 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        Fields(out);
        return CorpusComplete(Irp, STATUS_SUCCESS, 8 * sizeof(ULONG));
    case IOCTL_QUEUE:
        if (CORPUS_OUT_LEN(sp) < 5 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        Queue(out);
        return CorpusComplete(Irp, STATUS_SUCCESS, 5 * sizeof(ULONG));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI DevQueueUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    IoDeleteDevice(g_FileSystem);
    IoDeleteDevice(g_Disk);
    CorpusDeleteLink(L"\\DosDevices\\DevQueue");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\DevQueue", L"\\DosDevices\\DevQueue", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &g_Disk);
    if (NT_SUCCESS(status)) {
        status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_DISK_FILE_SYSTEM, 0, FALSE, &g_FileSystem);
        if (!NT_SUCCESS(status))
            IoDeleteDevice(g_Disk);
    }
    if (!NT_SUCCESS(status)) {
        CorpusDeleteLink(L"\\DosDevices\\DevQueue");
        IoDeleteDevice(g_Device);
        return status;
    }
    CorpusSetDispatch(DriverObject, DevQueueIoctl);
    DriverObject->DriverUnload = DevQueueUnload;
    return STATUS_SUCCESS;
}
