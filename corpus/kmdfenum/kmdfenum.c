/*
 * kmdfenum - a KMDF bus driver with dynamic enumeration: its FDO (\Device\KmdfEnum, link
 * \DosDevices\KmdfEnum) has a default child list (WdfFdoInitSetDefaultChildListConfig) whose
 * identification description is a serial number and whose address description a port.
 * EvtChildListScanForChildren, which the framework runs as the FDO enters D0, reports
 * serials 1 (port 10) and 2 (port 20) between WdfChildListBeginScan and WdfChildListEndScan;
 * the framework then asks EvtChildListCreateDevice for each child's PDO as it answers the
 * FDO's BusRelations. Each child is raw, PORTCULLIS\KmdfEnumChild, instance ID its serial in
 * two digits, EjectSupported; its EvtDeviceD0Entry, EvtDeviceEject and
 * EvtDeviceReportedMissing count, as does the list's description cleanup callback.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x910 STATE   code 0x80002440: ULONG[10] = scans run, devices created, D0 entries, the
 *                 default list's present children with a device (WdfChildListBeginIteration
 *                 .. RetrieveNextDevice .. EndIteration), those the iteration reports without
 *                 one, the missing ones, EvtDeviceReportedMissing runs, EvtDeviceEject runs,
 *                 description cleanups, and whether WdfFdoGetDefaultChildList and
 *                 WdfChildListGetDevice name each other.
 *   0x911 PLUG    code 0x80002444, in ULONG[2] = serial, port: WdfChildListAddOrUpdate-
 *                 ChildDescriptionAsPresent's status (ULONG).
 *   0x912 UNPLUG  code 0x80002448, in ULONG serial: WdfChildListUpdateChildDescriptionAsMissing's
 *                 status.
 *   0x913 EJECT   code 0x8000244C, in ULONG serial: ULONG[2] = WdfChildListRetrievePdo's
 *                 retrieve status and the port of the address description it copied out;
 *                 the PDO then gets WdfPdoRequestEject.
 *   0x914 RESCAN  code 0x80002450: ULONG[3]: a scan reporting serial 1 (its status) and a new
 *                 serial 5 (its status), and WdfChildListRetrievePdo's status for serial 5
 *                 before the scan ends (not yet created); children not reported are gone. A
 *                 second scan reports none but WdfChildListUpdateAllChildDescriptionsAsPresent
 *                 keeps them all.
 *   0x915 EXTRA   code 0x80002454: ULONG[3] = WdfChildListCreate's status, serial 7 added to
 *                 that second list, and whether its WdfChildListGetDevice is the FDO. Its child
 *                 is enumerated with the default list's.
 *   0x916 EJECT2  code 0x80002458, in ULONG serial: WdfChildListRequestChildEject (BOOLEAN as
 *                 a ULONG).
 */
#include "corpus.h"
#include "kmdf.h"

#define IOCTL_STATE CORPUS_IOCTL(0x910, METHOD_BUFFERED)
#define IOCTL_PLUG CORPUS_IOCTL(0x911, METHOD_BUFFERED)
#define IOCTL_UNPLUG CORPUS_IOCTL(0x912, METHOD_BUFFERED)
#define IOCTL_EJECT CORPUS_IOCTL(0x913, METHOD_BUFFERED)
#define IOCTL_RESCAN CORPUS_IOCTL(0x914, METHOD_BUFFERED)
#define IOCTL_EXTRA CORPUS_IOCTL(0x915, METHOD_BUFFERED)
#define IOCTL_EJECT2 CORPUS_IOCTL(0x916, METHOD_BUFFERED)

#define WDF(name, ret, params) ((ret(NTAPI *) params)WdfFunctions[name##TableIndex])
#define G PWDF_DRIVER_GLOBALS

typedef struct _CHILD_ID {
    WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER Header;
    ULONG Serial;
} CHILD_ID;
typedef struct _CHILD_ADDRESS {
    WDF_CHILD_ADDRESS_DESCRIPTION_HEADER Header;
    ULONG Port;
} CHILD_ADDRESS;

static const GUID ChildClass = {0x5f1c2b3b, 0x1d2e, 0x4f60, {0x91, 0x7a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x81}};

static WDFDEVICE Fdo;
static WDFCHILDLIST Extra;
static ULONG Scans, Created, Entered, Missing, Ejected, Cleanups;

static NTSTATUS NTAPI ChildD0Entry(WDFDEVICE Device, ULONG PreviousState)
{
    (void)Device, (void)PreviousState;
    Entered++;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI ChildEject(WDFDEVICE Device)
{
    (void)Device;
    Ejected++;
    return STATUS_SUCCESS;
}

static VOID NTAPI ChildReportedMissing(WDFDEVICE Device)
{
    (void)Device;
    Missing++;
}

static VOID NTAPI CleanupId(WDFCHILDLIST List, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER Id)
{
    (void)List, (void)Id;
    Cleanups++;
}

static VOID Describe(CHILD_ID *id, CHILD_ADDRESS *address, ULONG serial, ULONG port)
{
    id->Header.IdentificationDescriptionSize = sizeof(*id);
    id->Serial = serial;
    address->Header.AddressDescriptionSize = sizeof(*address);
    address->Port = port;
}

static NTSTATUS Report(WDFCHILDLIST list, ULONG serial, ULONG port)
{
    CHILD_ID id;
    CHILD_ADDRESS address;
    Describe(&id, &address, serial, port);
    return WDF(WdfChildListAddOrUpdateChildDescriptionAsPresent, NTSTATUS,
               (G, WDFCHILDLIST, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER, PWDF_CHILD_ADDRESS_DESCRIPTION_HEADER))(
        WdfDriverGlobals, list, &id.Header, &address.Header);
}

static WDFCHILDLIST DefaultList(void)
{
    return WDF(WdfFdoGetDefaultChildList, WDFCHILDLIST, (G, WDFDEVICE))(WdfDriverGlobals, Fdo);
}

static VOID NTAPI ScanForChildren(WDFCHILDLIST List)
{
    Scans++;
    WDF(WdfChildListBeginScan, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, List);
    Report(List, 1, 10);
    Report(List, 2, 20);
    WDF(WdfChildListEndScan, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, List);
}

static NTSTATUS AddString(ULONG index, PWDFDEVICE_INIT init, PCWSTR text)
{
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, text);
    return WDFCALL(index, NTSTATUS(NTAPI *)(G, PWDFDEVICE_INIT, PCUNICODE_STRING))(WdfDriverGlobals, init, &s);
}

/* The PDO of a reported child: raw, its instance ID the serial. */
static NTSTATUS NTAPI CreateDevice(WDFCHILDLIST List, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER Id,
                                   PWDFDEVICE_INIT ChildInit)
{
    ULONG serial = ((CHILD_ID *)Id)->Serial;
    WCHAR instance[3] = {(WCHAR)(L'0' + serial / 10 % 10), (WCHAR)(L'0' + serial % 10), 0};
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PDO_EVENT_CALLBACKS pdo;
    WDF_DEVICE_PNP_CAPABILITIES caps;
    NTSTATUS status;
    WDFDEVICE child;
    (void)List;
    status = AddString(WdfPdoInitAssignDeviceIDTableIndex, ChildInit, L"PORTCULLIS\\KmdfEnumChild");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAddHardwareIDTableIndex, ChildInit, L"PORTCULLIS\\KmdfEnumChild");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAssignInstanceIDTableIndex, ChildInit, instance);
    if (NT_SUCCESS(status))
        status = WDF(WdfPdoInitAssignRawDevice, NTSTATUS, (G, PWDFDEVICE_INIT, const GUID *))(WdfDriverGlobals,
                                                                                           ChildInit, &ChildClass);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(&pnp, sizeof(pnp));
    pnp.Size = sizeof(pnp);
    pnp.EvtDeviceD0Entry = ChildD0Entry;
    WDF(WdfDeviceInitSetPnpPowerEventCallbacks, VOID, (G, PWDFDEVICE_INIT, WDF_PNPPOWER_EVENT_CALLBACKS *))(
        WdfDriverGlobals, ChildInit, &pnp);
    RtlZeroMemory(&pdo, sizeof(pdo));
    pdo.Size = sizeof(pdo);
    pdo.EvtDeviceEject = (PVOID)ChildEject;
    pdo.EvtDeviceReportedMissing = ChildReportedMissing;
    WDF(WdfPdoInitSetEventCallbacks, VOID, (G, PWDFDEVICE_INIT, WDF_PDO_EVENT_CALLBACKS *))(WdfDriverGlobals,
                                                                                         ChildInit, &pdo);
    status = WDF(WdfDeviceCreate, NTSTATUS, (G, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
        WdfDriverGlobals, &ChildInit, NULL, &child);
    if (!NT_SUCCESS(status))
        return status;
    caps.Size = sizeof(caps);
    caps.LockSupported = caps.DockDevice = caps.UniqueID = caps.SilentInstall = 2;
    caps.EjectSupported = caps.Removable = 1;
    caps.SurpriseRemovalOK = caps.HardwareDisabled = caps.NoDisplayInUI = 2;
    caps.Address = serial;
    caps.UINumber = (ULONG)-1;
    WDF(WdfDeviceSetPnpCapabilities, VOID, (G, WDFDEVICE, WDF_DEVICE_PNP_CAPABILITIES *))(WdfDriverGlobals, child,
                                                                                       &caps);
    Created++;
    return STATUS_SUCCESS;
}

/* The default list's children in `flags`' states: with a device, and without one. */
static VOID Count(ULONG flags, ULONG *withDevice, ULONG *without)
{
    WDF_CHILD_LIST_ITERATOR it;
    WDFCHILDLIST list = DefaultList();
    WDFDEVICE device;
    RtlZeroMemory(&it, sizeof(it));
    it.Size = sizeof(it);
    it.Flags = flags;
    *withDevice = *without = 0;
    WDF(WdfChildListBeginIteration, VOID, (G, WDFCHILDLIST, WDF_CHILD_LIST_ITERATOR *))(WdfDriverGlobals, list, &it);
    while (WDF(WdfChildListRetrieveNextDevice, NTSTATUS,
               (G, WDFCHILDLIST, WDF_CHILD_LIST_ITERATOR *, WDFDEVICE *, WDF_CHILD_RETRIEVE_INFO *))(
               WdfDriverGlobals, list, &it, &device, NULL) == STATUS_SUCCESS) {
        if (device != NULL)
            (*withDevice)++;
        else
            (*without)++;
    }
    WDF(WdfChildListEndIteration, VOID, (G, WDFCHILDLIST, WDF_CHILD_LIST_ITERATOR *))(WdfDriverGlobals, list, &it);
}

/* WdfChildListRetrievePdo for `serial`: the PDO, its retrieve status and port. */
static WDFDEVICE Retrieve(WDFCHILDLIST list, ULONG serial, ULONG *status, ULONG *port)
{
    CHILD_ID id;
    CHILD_ADDRESS address;
    WDF_CHILD_RETRIEVE_INFO info;
    WDFDEVICE pdo;
    Describe(&id, &address, serial, 0);
    RtlZeroMemory(&info, sizeof(info));
    info.Size = sizeof(info);
    info.IdentificationDescription = &id.Header;
    info.AddressDescription = &address.Header;
    pdo = WDF(WdfChildListRetrievePdo, WDFDEVICE, (G, WDFCHILDLIST, WDF_CHILD_RETRIEVE_INFO *))(WdfDriverGlobals, list,
                                                                                               &info);
    *status = info.Status;
    if (port != NULL)
        *port = address.Port;
    return pdo;
}

static VOID Complete(WDFREQUEST r, NTSTATUS status, ULONG_PTR information)
{
    WDF(WdfRequestCompleteWithInformation, VOID, (G, WDFREQUEST, NTSTATUS, ULONG_PTR))(WdfDriverGlobals, r, status,
                                                                                     information);
}

static NTSTATUS Buffers(WDFREQUEST r, SIZE_T in, SIZE_T out, ULONG **input, ULONG **output)
{
    SIZE_T len;
    NTSTATUS status = STATUS_SUCCESS;
    if (in != 0)
        status = WDF(WdfRequestRetrieveInputBuffer, NTSTATUS, (G, WDFREQUEST, SIZE_T, PVOID *, SIZE_T *))(
            WdfDriverGlobals, r, in, (PVOID *)input, &len);
    if (NT_SUCCESS(status))
        status = WDF(WdfRequestRetrieveOutputBuffer, NTSTATUS, (G, WDFREQUEST, SIZE_T, PVOID *, SIZE_T *))(
            WdfDriverGlobals, r, out, (PVOID *)output, &len);
    return status;
}

static VOID NTAPI EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T OutputBufferLength,
                                     SIZE_T InputBufferLength, ULONG IoControlCode)
{
    ULONG *in = NULL, *out = NULL;
    ULONG withDevice, without;
    SIZE_T need_in = 0, need_out = 4;
    NTSTATUS status;
    CHILD_ID id;
    CHILD_ADDRESS address;
    WDFCHILDLIST list;
    (void)Queue, (void)OutputBufferLength, (void)InputBufferLength;
    switch (IoControlCode) {
    case IOCTL_STATE: need_out = 40; break;
    case IOCTL_PLUG: need_in = 8; break;
    case IOCTL_UNPLUG: case IOCTL_EJECT2: need_in = 4; break;
    case IOCTL_EJECT: need_in = 4, need_out = 8; break;
    case IOCTL_RESCAN: case IOCTL_EXTRA: need_out = 12; break;
    default: Complete(Request, STATUS_INVALID_DEVICE_REQUEST, 0); return;
    }
    status = Buffers(Request, need_in, need_out, &in, &out);
    if (!NT_SUCCESS(status)) {
        Complete(Request, status, 0);
        return;
    }
    list = DefaultList();
    switch (IoControlCode) {
    case IOCTL_STATE:
        out[0] = Scans;
        out[1] = Created;
        out[2] = Entered;
        Count(WdfRetrievePresentChildren, &out[3], &out[4]);
        Count(WdfRetrieveMissingChildren, &withDevice, &without);
        out[5] = withDevice + without;
        out[6] = Missing;
        out[7] = Ejected;
        out[8] = Cleanups;
        out[9] = list != NULL && WDF(WdfChildListGetDevice, WDFDEVICE, (G, WDFCHILDLIST))(WdfDriverGlobals, list) == Fdo;
        break;
    case IOCTL_PLUG:
        out[0] = (ULONG)Report(list, in[0], in[1]);
        break;
    case IOCTL_UNPLUG:
        Describe(&id, &address, in[0], 0);
        out[0] = (ULONG)WDF(WdfChildListUpdateChildDescriptionAsMissing, NTSTATUS,
                            (G, WDFCHILDLIST, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER))(WdfDriverGlobals, list,
                                                                                              &id.Header);
        break;
    case IOCTL_EJECT: {
        WDFDEVICE pdo = Retrieve(list, in[0], &out[0], &out[1]);
        if (pdo != NULL)
            WDF(WdfPdoRequestEject, VOID, (G, WDFDEVICE))(WdfDriverGlobals, pdo);
        break;
    }
    case IOCTL_EJECT2:
        Describe(&id, &address, in[0], 0);
        out[0] = WDF(WdfChildListRequestChildEject, BOOLEAN,
                     (G, WDFCHILDLIST, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER))(WdfDriverGlobals, list,
                                                                                       &id.Header);
        break;
    case IOCTL_RESCAN:
        WDF(WdfChildListBeginScan, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, list);
        out[0] = (ULONG)Report(list, 1, 11);
        out[1] = (ULONG)Report(list, 5, 50);
        Retrieve(list, 5, &out[2], NULL);
        WDF(WdfChildListEndScan, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, list);
        /* A scan that keeps every child: nothing changes. */
        WDF(WdfChildListBeginScan, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, list);
        WDF(WdfChildListUpdateAllChildDescriptionsAsPresent, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, list);
        WDF(WdfChildListEndScan, VOID, (G, WDFCHILDLIST))(WdfDriverGlobals, list);
        break;
    case IOCTL_EXTRA: {
        WDF_CHILD_LIST_CONFIG config;
        RtlZeroMemory(&config, sizeof(config));
        config.Size = sizeof(config);
        config.IdentificationDescriptionSize = sizeof(CHILD_ID);
        config.AddressDescriptionSize = sizeof(CHILD_ADDRESS);
        config.EvtChildListCreateDevice = CreateDevice;
        config.EvtChildListIdentificationDescriptionCleanup = CleanupId;
        out[0] = (ULONG)WDF(WdfChildListCreate, NTSTATUS,
                            (G, WDFDEVICE, WDF_CHILD_LIST_CONFIG *, PWDF_OBJECT_ATTRIBUTES, WDFCHILDLIST *))(
            WdfDriverGlobals, Fdo, &config, NULL, &Extra);
        out[1] = NT_SUCCESS(out[0]) ? (ULONG)Report(Extra, 7, 70) : 0;
        out[2] = NT_SUCCESS(out[0]) &&
                 WDF(WdfChildListGetDevice, WDFDEVICE, (G, WDFCHILDLIST))(WdfDriverGlobals, Extra) == Fdo;
        break;
    }
    }
    Complete(Request, STATUS_SUCCESS, need_out);
}

static NTSTATUS NTAPI EvtDriverDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    UNICODE_STRING name, link;
    WDF_IO_QUEUE_CONFIG queue;
    WDF_CHILD_LIST_CONFIG config;
    NTSTATUS status;
    (void)Driver;
    RtlZeroMemory(&config, sizeof(config));
    config.Size = sizeof(config);
    config.IdentificationDescriptionSize = sizeof(CHILD_ID);
    config.AddressDescriptionSize = sizeof(CHILD_ADDRESS);
    config.EvtChildListCreateDevice = CreateDevice;
    config.EvtChildListScanForChildren = ScanForChildren;
    config.EvtChildListIdentificationDescriptionCleanup = CleanupId;
    WDF(WdfFdoInitSetDefaultChildListConfig, VOID, (G, PWDFDEVICE_INIT, WDF_CHILD_LIST_CONFIG *, PWDF_OBJECT_ATTRIBUTES))(
        WdfDriverGlobals, DeviceInit, &config, NULL);
    RtlInitUnicodeString(&name, L"\\Device\\KmdfEnum");
    status = WDF(WdfDeviceInitAssignName, NTSTATUS, (G, PWDFDEVICE_INIT, PCUNICODE_STRING))(WdfDriverGlobals,
                                                                                          DeviceInit, &name);
    if (NT_SUCCESS(status))
        status = WDF(WdfDeviceCreate, NTSTATUS, (G, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
            WdfDriverGlobals, &DeviceInit, NULL, &Fdo);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\KmdfEnum");
    status = WDF(WdfDeviceCreateSymbolicLink, NTSTATUS, (G, WDFDEVICE, PCUNICODE_STRING))(WdfDriverGlobals, Fdo,
                                                                                        &link);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(&queue, sizeof(queue));
    queue.Size = sizeof(queue);
    queue.DispatchType = WdfIoQueueDispatchSequential;
    queue.PowerManaged = 2;
    queue.DefaultQueue = TRUE;
    queue.EvtIoDeviceControl = EvtIoDeviceControl;
    return WDF(WdfIoQueueCreate, NTSTATUS, (G, WDFDEVICE, WDF_IO_QUEUE_CONFIG *, PWDF_OBJECT_ATTRIBUTES, WDFQUEUE *))(
        WdfDriverGlobals, Fdo, &queue, NULL, NULL);
}

static NTSTATUS Entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config = {sizeof(config), EvtDriverDeviceAdd, NULL, 0, 0};
    return WDF(WdfDriverCreate, NTSTATUS,
               (G, PDRIVER_OBJECT, PUNICODE_STRING, PWDF_OBJECT_ATTRIBUTES, WDF_DRIVER_CONFIG *, WDFDRIVER *))(
        WdfDriverGlobals, DriverObject, RegistryPath, NULL, &config, NULL);
}

KMDF_DRIVER_ENTRY(Entry)
