/*
 * kmdfbus - a KMDF bus driver with one static child: a PnP driver (EvtDriverDeviceAdd) whose
 * function device \Device\KmdfBus (link \DosDevices\KmdfBus) creates a raw child PDO with
 * WdfPdoInitAllocate, its identifiers and texts, its own PnP/power callbacks and PnP
 * capabilities, and adds it with WdfFdoAddStaticChild. The PnP manager finds the child in the
 * FDO's BusRelations, queries its IDs, text and capabilities and, the child being raw, starts
 * it: the child's EvtDevicePrepareHardware and EvtDeviceD0Entry run.
 *
 * Child: device ID PORTCULLIS\KmdfChild, hardware IDs PORTCULLIS\KmdfChild&Rev_01 and
 * PORTCULLIS\KmdfChild, compatible ID PORTCULLIS\Generic, instance ID 01, description
 * "Portcullis KMDF child" at "Slot 1" (US English, the default locale), raw (a class GUID
 * of our own), UniqueID and SilentInstall forced on, UINumber 7.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *   0x900 STATE     code 0x80002400: ULONG[6] = the child's EvtDevicePrepareHardware runs,
 *                   EvtDeviceD0Entry runs (and the WDF_POWER_DEVICE_STATE it came from),
 *                   the present static children (WdfFdoRetrieveNextStaticChild in a locked
 *                   iteration), the pending ones, and whether WdfPdoGetParent names the FDO.
 *   0x901 MISSING   code 0x80002404: WdfPdoMarkMissing on the child: its status as a ULONG.
 *                   The PnP manager then removes the child (EvtDeviceD0Exit,
 *                   EvtDeviceReleaseHardware, EvtDeviceReportedMissing) and the framework
 *                   deletes it.
 *   0x902 EXITS     code 0x80002408: ULONG[3] = the child's EvtDeviceD0Exit,
 *                   EvtDeviceReleaseHardware and EvtDeviceReportedMissing runs, and the present
 *                   static children now.
 *   0x903 QUERY     code 0x8000240C: ULONG[18], the driver-defined interfaces. The child offers
 *                   (WdfDeviceAddQueryInterface) an adder interface (A: Add(a, b), its
 *                   InterfaceReference/Dereference counting), an import interface (B: the
 *                   requester's Context read and the interface filled by
 *                   EvtDeviceProcessQueryInterfaceRequest) and a pass-through one (C: sent on
 *                   to the parent's stack, where the FDO offers C). The driver, as a child's
 *                   driver would, sends IRP_MN_QUERY_INTERFACE to the child's PDO:
 *                   [0] A's status, [1] Add(2, 3) through it, [2] A's references then,
 *                   [3] after InterfaceDereference, [4] A asked with too small a Size,
 *                   [5] an unknown GUID, [6] B's status, [7] the Context the callback saw,
 *                   [8] B's references, [9] C's status at the child, [10] the FDO's C
 *                   references then, [11] whether C's Context is the FDO's,
 *                   [12] WdfFdoQueryForInterface(C) at the FDO's stack, [13] the FDO's C
 *                   references then, [14] WdfFdoQueryForInterface(A) (the child's, not on the
 *                   FDO's stack), [15] WdfDeviceAddQueryInterface's refusals: 1 for a config
 *                   of the wrong size (STATUS_INFO_LENGTH_MISMATCH) | 2 for a pass-through
 *                   interface at the FDO (STATUS_INVALID_PARAMETER), [16] D's status (an
 *                   interface offered without InterfaceReference/Dereference), [17] whether
 *                   the requester got both routines (the framework's no-op ones).
 *   0x904 EXTRA     code 0x80002410: ULONG[12]. The driver sends the child's PDO
 *                   IRP_MN_QUERY_ID (BusQueryContainerID) and IRP_MN_QUERY_CAPABILITIES:
 *                   [0] the container ID's status, [1] whether it is the one
 *                   WdfPdoInitAssignContainerID gave, [2] the capabilities' status,
 *                   [3] DeviceD1, [4] DeviceState[PowerSystemSleeping1], [5] DeviceWake,
 *                   [6] SystemWake, [7] D1Latency (WdfDeviceSetPowerCapabilities);
 *                   [8] WdfDeviceCreateDeviceInterface on the started FDO (reference "late"),
 *                   [9] the interfaces of the class enabled (IoGetDeviceInterfaces: the one
 *                   registered in EvtDriverDeviceAdd, enabled at the start; the late one stays
 *                   disabled), [10] those registered, [11] WdfDeviceCreate of a spare child
 *                   DeviceInit given a malformed SDDL string (STATUS_INVALID_PARAMETER; the
 *                   driver then frees it with WdfDeviceInitFree).
 *
 * The child also gets WdfDeviceInitAssignSDDLString (SDDL_DEVOBJ_SYS_ALL_ADM_ALL, as a raw
 * PDO should) and WdfPdoInitAllowForwardingRequestToParent.
 */
#include "corpus.h"
#include "kmdf.h"

#define IOCTL_STATE CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_MISSING CORPUS_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_EXITS CORPUS_IOCTL(0x902, METHOD_BUFFERED)
#define IOCTL_QUERY CORPUS_IOCTL(0x903, METHOD_BUFFERED)
#define IOCTL_EXTRA CORPUS_IOCTL(0x904, METHOD_BUFFERED)

/* A framework call by name: WDF(WdfPdoGetParent, WDFDEVICE, (G, WDFDEVICE))(g, child). */
#define WDF(name, ret, params) ((ret(NTAPI *) params)WdfFunctions[name##TableIndex])
#define G PWDF_DRIVER_GLOBALS

static const GUID ChildClass = {0x5f1c2b3a, 0x1d2e, 0x4f60, {0x91, 0x7a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x80}};

static const GUID BusInterfaceClass = {0x6a4d1e90, 0x27b3, 0x4c15, {0x9e, 0x62, 0x0f, 0x3a, 0x71, 0xd8, 0x45, 0xbc}};
#define CONTAINER_ID L"{8c1e5b2a-4f3d-4e6a-9b7c-2d1f0e3a4b5c}"

static WDFDEVICE Fdo, Child;
static ULONG SpareStatus;
static ULONG Prepared, Entered, EnteredFrom, Exited, Released, Missing;

static NTSTATUS NTAPI ChildPrepareHardware(WDFDEVICE Device, WDFOBJECT Raw, WDFOBJECT Translated)
{
    (void)Device, (void)Raw, (void)Translated;
    Prepared++;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI ChildReleaseHardware(WDFDEVICE Device, WDFOBJECT Translated)
{
    (void)Device, (void)Translated;
    Released++;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI ChildD0Entry(WDFDEVICE Device, ULONG PreviousState)
{
    (void)Device;
    Entered++;
    EnteredFrom = PreviousState;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI ChildD0Exit(WDFDEVICE Device, ULONG TargetState)
{
    (void)Device, (void)TargetState;
    Exited++;
    return STATUS_SUCCESS;
}

static VOID NTAPI ChildReportedMissing(WDFDEVICE Device)
{
    (void)Device;
    Missing++;
    Child = NULL;
}

/* The static children in `flags`' states. */
static ULONG CountChildren(ULONG flags)
{
    WDFDEVICE c = NULL;
    ULONG n = 0;
    WDF(WdfFdoLockStaticChildListForIteration, VOID, (G, WDFDEVICE))(WdfDriverGlobals, Fdo);
    while ((c = WDF(WdfFdoRetrieveNextStaticChild, WDFDEVICE, (G, WDFDEVICE, WDFDEVICE, ULONG))(WdfDriverGlobals, Fdo,
                                                                                              c, flags)) != NULL)
        n++;
    WDF(WdfFdoUnlockStaticChildListFromIteration, VOID, (G, WDFDEVICE))(WdfDriverGlobals, Fdo);
    return n;
}

/* The driver-defined interfaces: A (an adder), B (imported), C (the FDO's, passed through). */
static const GUID InterfaceA = {0x7a1e0001, 0x3c2d, 0x4b5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}};
static const GUID InterfaceB = {0x7a1e0002, 0x3c2d, 0x4b5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}};
static const GUID InterfaceC = {0x7a1e0003, 0x3c2d, 0x4b5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}};
static const GUID InterfaceD = {0x7a1e0004, 0x3c2d, 0x4b5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}};
static const GUID InterfaceUnknown = {0x7a1e00ff, 0x3c2d, 0x4b5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}};

typedef struct _ADDER_INTERFACE {
    INTERFACE Header;
    ULONG(NTAPI *Add)(PVOID Context, ULONG a, ULONG b);
} ADDER_INTERFACE;

/* Each interface's reference count is its Context. */
static LONG RefsA, RefsB, RefsC;
static ULONG_PTR ImportedContext;
static ULONG AddRefusals;

static VOID NTAPI Reference(PVOID Context)
{
    InterlockedIncrement((LONG *)Context);
}

static VOID NTAPI Dereference(PVOID Context)
{
    InterlockedDecrement((LONG *)Context);
}

static ULONG NTAPI Add(PVOID Context, ULONG a, ULONG b)
{
    (void)Context;
    return a + b;
}

static VOID Adder(ADDER_INTERFACE *i, LONG *refs)
{
    RtlZeroMemory(i, sizeof(*i));
    i->Header.Size = sizeof(*i);
    i->Header.Version = 1;
    i->Header.Context = refs;
    i->Header.InterfaceReference = Reference;
    i->Header.InterfaceDereference = Dereference;
    i->Add = Add;
}

/* B is imported: the requester's Context is read, then the interface is filled in. */
static NTSTATUS NTAPI ProcessImport(WDFDEVICE Device, LPGUID InterfaceType, PINTERFACE Exposed, PVOID Data)
{
    (void)Device, (void)InterfaceType, (void)Data;
    ImportedContext = (ULONG_PTR)Exposed->Context;
    Adder((ADDER_INTERFACE *)Exposed, &RefsB);
    return STATUS_SUCCESS;
}

static NTSTATUS AddInterface(WDFDEVICE device, const GUID *type, PINTERFACE i, BOOLEAN toParent,
                             EVT_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST *process, BOOLEAN import, ULONG size)
{
    WDF_QUERY_INTERFACE_CONFIG c;
    RtlZeroMemory(&c, sizeof(c));
    c.Size = size;
    c.Interface = i;
    c.InterfaceType = type;
    c.SendQueryToParentStack = toParent;
    c.EvtDeviceProcessQueryInterfaceRequest = process;
    c.ImportInterface = import;
    return WDF(WdfDeviceAddQueryInterface, NTSTATUS, (G, WDFDEVICE, WDF_QUERY_INTERFACE_CONFIG *))(WdfDriverGlobals,
                                                                                                device, &c);
}

/* The child's interfaces (the framework copies A: the local goes out of scope). */
static NTSTATUS ChildInterfaces(WDFDEVICE child)
{
    ADDER_INTERFACE a, b, d;
    NTSTATUS status;
    Adder(&a, &RefsA);
    Adder(&b, &RefsB);
    Adder(&d, NULL);
    d.Header.InterfaceReference = d.Header.InterfaceDereference = NULL;
    status = AddInterface(child, &InterfaceA, &a.Header, FALSE, NULL, FALSE, sizeof(WDF_QUERY_INTERFACE_CONFIG));
    if (NT_SUCCESS(status))
        status = AddInterface(child, &InterfaceB, &b.Header, FALSE, ProcessImport, TRUE,
                              sizeof(WDF_QUERY_INTERFACE_CONFIG));
    if (NT_SUCCESS(status))
        status = AddInterface(child, &InterfaceC, NULL, TRUE, NULL, FALSE, sizeof(WDF_QUERY_INTERFACE_CONFIG));
    if (NT_SUCCESS(status))
        status = AddInterface(child, &InterfaceD, &d.Header, FALSE, NULL, FALSE, sizeof(WDF_QUERY_INTERFACE_CONFIG));
    return status;
}

/* The FDO's interface C, and the configurations the framework refuses. */
static NTSTATUS FdoInterfaces(void)
{
    ADDER_INTERFACE c;
    Adder(&c, &RefsC);
    if (AddInterface(Fdo, &InterfaceC, &c.Header, FALSE, NULL, FALSE, sizeof(WDF_QUERY_INTERFACE_CONFIG) - 4) ==
        STATUS_INFO_LENGTH_MISMATCH)
        AddRefusals |= 1;
    if (AddInterface(Fdo, &InterfaceC, NULL, TRUE, NULL, FALSE, sizeof(WDF_QUERY_INTERFACE_CONFIG)) ==
        STATUS_INVALID_PARAMETER)
        AddRefusals |= 2;
    return AddInterface(Fdo, &InterfaceC, &c.Header, FALSE, NULL, FALSE, sizeof(WDF_QUERY_INTERFACE_CONFIG));
}

/* IRP_MN_QUERY_INTERFACE to `target`, as a driver asks its bus for an interface. */
static NTSTATUS Query(PDEVICE_OBJECT target, const GUID *type, PINTERFACE i, USHORT size)
{
    KEVENT event;
    IO_STATUS_BLOCK iosb;
    PIO_STACK_LOCATION s;
    NTSTATUS status;
    PIRP irp;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_PNP, target, NULL, 0, NULL, &event, &iosb);
    if (irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    s = IoGetNextIrpStackLocation(irp);
    s->MinorFunction = IRP_MN_QUERY_INTERFACE;
    s->Parameters.QueryInterface.InterfaceType = type;
    s->Parameters.QueryInterface.Size = size;
    s->Parameters.QueryInterface.Version = 1;
    s->Parameters.QueryInterface.Interface = i;
    s->Parameters.QueryInterface.InterfaceSpecificData = NULL;
    status = IoCallDriver(target, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    }
    return status;
}

static VOID Interfaces(ULONG *out)
{
    ADDER_INTERFACE i;
    PDEVICE_OBJECT child = WDF(WdfDeviceWdmGetDeviceObject, PDEVICE_OBJECT, (G, WDFDEVICE))(WdfDriverGlobals, Child);
    RtlZeroMemory(&i, sizeof(i));
    out[0] = (ULONG)Query(child, &InterfaceA, &i.Header, sizeof(i));
    out[1] = i.Add != NULL ? i.Add(i.Header.Context, 2, 3) : 0;
    out[2] = (ULONG)RefsA;
    if (i.Header.InterfaceDereference != NULL)
        i.Header.InterfaceDereference(i.Header.Context);
    out[3] = (ULONG)RefsA;
    out[4] = (ULONG)Query(child, &InterfaceA, &i.Header, sizeof(INTERFACE));
    out[5] = (ULONG)Query(child, &InterfaceUnknown, &i.Header, sizeof(i));
    RtlZeroMemory(&i, sizeof(i));
    i.Header.Context = (PVOID)(ULONG_PTR)0x1234;
    out[6] = (ULONG)Query(child, &InterfaceB, &i.Header, sizeof(i));
    out[7] = (ULONG)ImportedContext;
    out[8] = (ULONG)RefsB;
    if (i.Header.InterfaceDereference != NULL)
        i.Header.InterfaceDereference(i.Header.Context);
    RtlZeroMemory(&i, sizeof(i));
    out[9] = (ULONG)Query(child, &InterfaceC, &i.Header, sizeof(i));
    out[10] = (ULONG)RefsC;
    out[11] = i.Header.Context == &RefsC;
    if (i.Header.InterfaceDereference != NULL)
        i.Header.InterfaceDereference(i.Header.Context);
    RtlZeroMemory(&i, sizeof(i));
    out[12] = (ULONG)WDF(WdfFdoQueryForInterface, NTSTATUS, (G, WDFDEVICE, const GUID *, PINTERFACE, USHORT, USHORT, PVOID))(
        WdfDriverGlobals, Fdo, &InterfaceC, &i.Header, sizeof(i), 1, NULL);
    out[13] = (ULONG)RefsC;
    if (i.Header.InterfaceDereference != NULL)
        i.Header.InterfaceDereference(i.Header.Context);
    out[14] = (ULONG)WDF(WdfFdoQueryForInterface, NTSTATUS, (G, WDFDEVICE, const GUID *, PINTERFACE, USHORT, USHORT, PVOID))(
        WdfDriverGlobals, Fdo, &InterfaceA, &i.Header, sizeof(i), 1, NULL);
    out[15] = AddRefusals;
    RtlZeroMemory(&i, sizeof(i));
    out[16] = (ULONG)Query(child, &InterfaceD, &i.Header, sizeof(i));
    out[17] = i.Header.InterfaceReference != NULL && i.Header.InterfaceDereference != NULL;
    if (i.Header.InterfaceDereference != NULL)
        i.Header.InterfaceDereference(i.Header.Context);
}

/* A PnP IRP of `minor` with Argument1 `arg` to `target`: its status, and its Information. */
static NTSTATUS Pnp(PDEVICE_OBJECT target, UCHAR minor, PVOID arg, ULONG_PTR *information)
{
    KEVENT event;
    IO_STATUS_BLOCK iosb;
    PIO_STACK_LOCATION s;
    NTSTATUS status;
    PIRP irp;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_PNP, target, NULL, 0, NULL, &event, &iosb);
    if (irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    s = IoGetNextIrpStackLocation(irp);
    s->MinorFunction = minor;
    s->Parameters.Others.Argument1 = arg;
    status = IoCallDriver(target, irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = iosb.Status;
    }
    *information = iosb.Information;
    return status;
}

/* The strings of a multi-string. */
static ULONG CountStrings(PCWSTR s)
{
    ULONG n = 0;
    while (s != NULL && *s != 0) {
        n++;
        s += wcslen(s) + 1;
    }
    return n;
}

static ULONG Interfaces_(ULONG flags)
{
    PWSTR list = NULL;
    ULONG n;
    if (!NT_SUCCESS(IoGetDeviceInterfaces(&BusInterfaceClass, NULL, flags, &list)))
        return 0xFFFFFFFF;
    n = CountStrings(list);
    ExFreePool(list);
    return n;
}

static VOID Extra(ULONG *out)
{
    PDEVICE_OBJECT child = WDF(WdfDeviceWdmGetDeviceObject, PDEVICE_OBJECT, (G, WDFDEVICE))(WdfDriverGlobals, Child);
    DEVICE_CAPABILITIES caps;
    UNICODE_STRING late;
    ULONG_PTR info = 0;
    out[0] = (ULONG)Pnp(child, IRP_MN_QUERY_ID, (PVOID)(ULONG_PTR)5 /* BusQueryContainerID */, &info);
    out[1] = info != 0 && wcscmp((PCWSTR)info, CONTAINER_ID) == 0;
    if (info != 0)
        ExFreePool((PVOID)info);
    RtlZeroMemory(&caps, sizeof(caps));
    caps.Size = sizeof(caps);
    caps.Version = 1;
    caps.Address = caps.UINumber = (ULONG)-1;
    out[2] = (ULONG)Pnp(child, IRP_MN_QUERY_CAPABILITIES, &caps, &info);
    out[3] = caps.DeviceD1;
    out[4] = caps.DeviceState[PowerSystemSleeping1];
    out[5] = caps.DeviceWake;
    out[6] = caps.SystemWake;
    out[7] = caps.D1Latency;
    RtlInitUnicodeString(&late, L"late");
    out[8] = (ULONG)WDF(WdfDeviceCreateDeviceInterface, NTSTATUS, (G, WDFDEVICE, const GUID *, PCUNICODE_STRING))(
        WdfDriverGlobals, Fdo, &BusInterfaceClass, &late);
    out[9] = Interfaces_(0);
    out[10] = Interfaces_(DEVICE_INTERFACE_INCLUDE_NONACTIVE);
    out[11] = SpareStatus;
}

static VOID Complete(WDFREQUEST r, NTSTATUS status, ULONG_PTR information)
{
    WDF(WdfRequestCompleteWithInformation, VOID, (G, WDFREQUEST, NTSTATUS, ULONG_PTR))(WdfDriverGlobals, r, status,
                                                                                     information);
}

static VOID NTAPI EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T OutputBufferLength,
                                     SIZE_T InputBufferLength, ULONG IoControlCode)
{
    ULONG *out;
    SIZE_T len;
    ULONG need = IoControlCode == IOCTL_STATE   ? 24
                : IoControlCode == IOCTL_EXITS ? 16
                : IoControlCode == IOCTL_QUERY ? 72
                : IoControlCode == IOCTL_EXTRA ? 48
                                               : 4;
    NTSTATUS status;
    (void)Queue, (void)OutputBufferLength, (void)InputBufferLength;
    status = WDF(WdfRequestRetrieveOutputBuffer, NTSTATUS, (G, WDFREQUEST, SIZE_T, PVOID *, SIZE_T *))(
        WdfDriverGlobals, Request, need, (PVOID *)&out, &len);
    if (!NT_SUCCESS(status)) {
        Complete(Request, status, 0);
        return;
    }
    switch (IoControlCode) {
    case IOCTL_STATE:
        out[0] = Prepared;
        out[1] = Entered;
        out[2] = EnteredFrom;
        out[3] = CountChildren(WdfRetrievePresentChildren);
        out[4] = CountChildren(WdfRetrievePendingChildren);
        out[5] = Child != NULL && WDF(WdfPdoGetParent, WDFDEVICE, (G, WDFDEVICE))(WdfDriverGlobals, Child) == Fdo;
        break;
    case IOCTL_MISSING:
        out[0] = Child == NULL ? (ULONG)STATUS_NO_SUCH_DEVICE
                               : (ULONG)WDF(WdfPdoMarkMissing, NTSTATUS, (G, WDFDEVICE))(WdfDriverGlobals, Child);
        break;
    case IOCTL_QUERY:
        if (Child == NULL) {
            Complete(Request, STATUS_NO_SUCH_DEVICE, 0);
            return;
        }
        Interfaces(out);
        break;
    case IOCTL_EXTRA:
        if (Child == NULL) {
            Complete(Request, STATUS_NO_SUCH_DEVICE, 0);
            return;
        }
        Extra(out);
        break;
    case IOCTL_EXITS:
        out[0] = Exited;
        out[1] = Released;
        out[2] = Missing;
        out[3] = CountChildren(WdfRetrievePresentChildren);
        break;
    default:
        Complete(Request, STATUS_INVALID_DEVICE_REQUEST, 0);
        return;
    }
    Complete(Request, STATUS_SUCCESS, need);
}

static NTSTATUS AddString(ULONG index, PWDFDEVICE_INIT init, PCWSTR text)
{
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, text);
    return WDFCALL(index, NTSTATUS(NTAPI *)(G, PWDFDEVICE_INIT, PCUNICODE_STRING))(WdfDriverGlobals, init, &s);
}

/* A spare child DeviceInit with a malformed SDDL string: WdfDeviceCreate refuses it and the
   driver frees it. */
static VOID SpareChild(void)
{
    WDFDEVICE device;
    PWDFDEVICE_INIT init = WDF(WdfPdoInitAllocate, PWDFDEVICE_INIT, (G, WDFDEVICE))(WdfDriverGlobals, Fdo);
    if (init == NULL)
        return;
    if (NT_SUCCESS(AddString(WdfPdoInitAssignDeviceIDTableIndex, init, L"PORTCULLIS\\Spare")) &&
        NT_SUCCESS(AddString(WdfDeviceInitAssignSDDLStringTableIndex, init, L"D:P(A;;GA;;;SY)(A;;GA")))
        SpareStatus = (ULONG)WDF(WdfDeviceCreate, NTSTATUS, (G, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
            WdfDriverGlobals, &init, NULL, &device);
    WDF(WdfDeviceInitFree, VOID, (G, PWDFDEVICE_INIT))(WdfDriverGlobals, init);
}

/* The child PDO: identifiers, texts, raw, its callbacks and capabilities; a static child. */
static NTSTATUS CreateChild(void)
{
    WDF_DEVICE_POWER_CAPABILITIES power;
    ULONG i;
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PDO_EVENT_CALLBACKS pdo;
    WDF_DEVICE_PNP_CAPABILITIES caps;
    UNICODE_STRING description, location;
    NTSTATUS status;
    WDFDEVICE child;
    PWDFDEVICE_INIT init = WDF(WdfPdoInitAllocate, PWDFDEVICE_INIT, (G, WDFDEVICE))(WdfDriverGlobals, Fdo);
    if (init == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = AddString(WdfPdoInitAssignDeviceIDTableIndex, init, L"PORTCULLIS\\KmdfChild");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAddHardwareIDTableIndex, init, L"PORTCULLIS\\KmdfChild&Rev_01");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAddHardwareIDTableIndex, init, L"PORTCULLIS\\KmdfChild");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAddCompatibleIDTableIndex, init, L"PORTCULLIS\\Generic");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAssignInstanceIDTableIndex, init, L"01");
    if (NT_SUCCESS(status)) {
        RtlInitUnicodeString(&description, L"Portcullis KMDF child");
        RtlInitUnicodeString(&location, L"Slot 1");
        status = WDF(WdfPdoInitAddDeviceText, NTSTATUS,
                     (G, PWDFDEVICE_INIT, PCUNICODE_STRING, PCUNICODE_STRING, ULONG))(WdfDriverGlobals, init,
                                                                                       &description, &location, 0x409);
    }
    if (NT_SUCCESS(status))
        status = WDF(WdfPdoInitAssignRawDevice, NTSTATUS, (G, PWDFDEVICE_INIT, const GUID *))(WdfDriverGlobals, init,
                                                                                           &ChildClass);
    if (NT_SUCCESS(status))
        status = AddString(WdfDeviceInitAssignSDDLStringTableIndex, init, L"D:P(A;;GA;;;SY)(A;;GA;;;BA)");
    if (NT_SUCCESS(status))
        status = AddString(WdfPdoInitAssignContainerIDTableIndex, init, CONTAINER_ID);
    if (!NT_SUCCESS(status)) {
        WDF(WdfDeviceInitFree, VOID, (G, PWDFDEVICE_INIT))(WdfDriverGlobals, init);
        return status;
    }
    WDF(WdfPdoInitSetDefaultLocale, VOID, (G, PWDFDEVICE_INIT, ULONG))(WdfDriverGlobals, init, 0x409);
    WDF(WdfPdoInitAllowForwardingRequestToParent, VOID, (G, PWDFDEVICE_INIT))(WdfDriverGlobals, init);
    RtlZeroMemory(&pnp, sizeof(pnp));
    pnp.Size = sizeof(pnp);
    pnp.EvtDevicePrepareHardware = ChildPrepareHardware;
    pnp.EvtDeviceReleaseHardware = ChildReleaseHardware;
    pnp.EvtDeviceD0Entry = ChildD0Entry;
    pnp.EvtDeviceD0Exit = ChildD0Exit;
    WDF(WdfDeviceInitSetPnpPowerEventCallbacks, VOID, (G, PWDFDEVICE_INIT, WDF_PNPPOWER_EVENT_CALLBACKS *))(
        WdfDriverGlobals, init, &pnp);
    RtlZeroMemory(&pdo, sizeof(pdo));
    pdo.Size = sizeof(pdo);
    pdo.EvtDeviceReportedMissing = ChildReportedMissing;
    WDF(WdfPdoInitSetEventCallbacks, VOID, (G, PWDFDEVICE_INIT, WDF_PDO_EVENT_CALLBACKS *))(WdfDriverGlobals, init,
                                                                                         &pdo);
    status = WDF(WdfDeviceCreate, NTSTATUS, (G, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
        WdfDriverGlobals, &init, NULL, &child);
    if (!NT_SUCCESS(status)) {
        WDF(WdfDeviceInitFree, VOID, (G, PWDFDEVICE_INIT))(WdfDriverGlobals, init);
        return status;
    }
    caps.Size = sizeof(caps);
    caps.LockSupported = caps.EjectSupported = caps.Removable = caps.DockDevice = 2;
    caps.UniqueID = caps.SilentInstall = 1;
    caps.SurpriseRemovalOK = caps.HardwareDisabled = caps.NoDisplayInUI = 2;
    caps.Address = (ULONG)-1;
    caps.UINumber = 7;
    WDF(WdfDeviceSetPnpCapabilities, VOID, (G, WDFDEVICE, WDF_DEVICE_PNP_CAPABILITIES *))(WdfDriverGlobals, child,
                                                                                       &caps);
    /* D1 supported, S1 maps to D1, wakes from D2 and S3, D1 latency 50 (x 100 us); the rest
       defaults (WdfUseDefault, PowerDeviceMaximum 5, PowerSystemMaximum 7, (ULONG)-1). */
    RtlZeroMemory(&power, sizeof(power));
    power.Size = sizeof(power);
    power.DeviceD1 = 1;
    power.DeviceD2 = power.WakeFromD0 = power.WakeFromD1 = power.WakeFromD2 = power.WakeFromD3 = 2;
    for (i = 0; i < 7; i++)
        power.DeviceState[i] = 5;
    power.DeviceState[PowerSystemSleeping1] = PowerDeviceD1;
    power.DeviceWake = PowerDeviceD2;
    power.SystemWake = PowerSystemSleeping3;
    power.D1Latency = 50;
    power.D2Latency = power.D3Latency = (ULONG)-1;
    WDF(WdfDeviceSetPowerCapabilities, VOID, (G, WDFDEVICE, WDF_DEVICE_POWER_CAPABILITIES *))(WdfDriverGlobals, child,
                                                                                           &power);
    status = ChildInterfaces(child);
    if (!NT_SUCCESS(status))
        return status;
    status = WDF(WdfFdoAddStaticChild, NTSTATUS, (G, WDFDEVICE, WDFDEVICE))(WdfDriverGlobals, Fdo, child);
    if (NT_SUCCESS(status))
        Child = child;
    return status;
}

static NTSTATUS NTAPI EvtDriverDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    UNICODE_STRING name, link;
    WDF_IO_QUEUE_CONFIG queue;
    NTSTATUS status;
    (void)Driver;
    RtlInitUnicodeString(&name, L"\\Device\\KmdfBus");
    status = WDF(WdfDeviceInitAssignName, NTSTATUS, (G, PWDFDEVICE_INIT, PCUNICODE_STRING))(WdfDriverGlobals,
                                                                                          DeviceInit, &name);
    if (NT_SUCCESS(status))
        status = WDF(WdfDeviceCreate, NTSTATUS, (G, PWDFDEVICE_INIT *, PWDF_OBJECT_ATTRIBUTES, WDFDEVICE *))(
            WdfDriverGlobals, &DeviceInit, NULL, &Fdo);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&link, L"\\DosDevices\\KmdfBus");
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
    status = WDF(WdfIoQueueCreate, NTSTATUS, (G, WDFDEVICE, WDF_IO_QUEUE_CONFIG *, PWDF_OBJECT_ATTRIBUTES, WDFQUEUE *))(
        WdfDriverGlobals, Fdo, &queue, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    status = FdoInterfaces();
    if (!NT_SUCCESS(status))
        return status;
    status = WDF(WdfDeviceCreateDeviceInterface, NTSTATUS, (G, WDFDEVICE, const GUID *, PCUNICODE_STRING))(
        WdfDriverGlobals, Fdo, &BusInterfaceClass, NULL);
    if (!NT_SUCCESS(status))
        return status;
    SpareChild();
    return CreateChild();
}

static NTSTATUS Entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config = {sizeof(config), EvtDriverDeviceAdd, NULL, 0, 0};
    return WDF(WdfDriverCreate, NTSTATUS,
               (G, PDRIVER_OBJECT, PUNICODE_STRING, PWDF_OBJECT_ATTRIBUTES, WDF_DRIVER_CONFIG *, WDFDRIVER *))(
        WdfDriverGlobals, DriverObject, RegistryPath, NULL, &config, NULL);
}

KMDF_DRIVER_ENTRY(Entry)
