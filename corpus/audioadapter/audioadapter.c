/*
 * audioadapter: a port class (portcls.sys) audio adapter driver. DriverEntry hands the driver
 * object to portcls (PcInitializeAdapterDriver); AddDevice makes the adapter's device
 * (PcAddAdapterDevice); at the start portcls calls StartDevice with the resources, which
 * reads them through the IResourceList, makes a service group with one member, a topology
 * port and a wave cyclic port (PcNewPort), initializes each with a miniport of its own (the
 * port calls the miniport's Init and GetDescription through the vtables below), registers
 * both as subdevices, connects the wave filter's pin 1 to the topology filter's pin 0,
 * registers the adapter's IAdapterPowerManagement and has the wave port notify the service
 * group (and, once the member is removed, again). Every step is reported with DbgPrint; the scenario removes the device at the end.
 * DriverEntry then puts a PnP routine of its own in the driver object, which notes each PnP
 * request and passes it to portcls with PcDispatchIrp (the start and the removal go through it).
 *
 * The COM interfaces are declared here as the vtables portcls.h describes (its C++
 * declarations do not compile as C): methods are stdcall on x86, `this` first.
 */
#include "corpus.h"

typedef struct Unknown Unknown;
typedef NTSTATUS(NTAPI *QueryInterfaceFn)(Unknown *This, const GUID *Iid, void **Object);
typedef ULONG(NTAPI *RefFn)(Unknown *This);

/* IUnknown, and what every object here is: a vtable pointer and a reference count. */
struct Unknown {
    const void *const *Vtbl;
    LONG Refs;
};
#define METHOD(obj, slot, type) ((type)((obj)->Vtbl[(slot)]))

static const GUID IID_IUnknown_ = {0x00000000, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_IMiniport_ = {0xb4c90a24, 0x5791, 0x11d0, {0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44}};
static const GUID IID_IMiniportTopology_ = {0xb4c90a31, 0x5791, 0x11d0, {0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44}};
static const GUID IID_IMiniportWaveCyclic_ = {0xb4c90a27, 0x5791, 0x11d0, {0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44}};
static const GUID IID_IServiceSink_ = {0x22C6AC64, 0x851B, 0x11D0, {0x9A, 0x7F, 0x00, 0xAA, 0x00, 0x38, 0xAC, 0xFE}};
static const GUID IID_IAdapterPowerManagement_ = {0x793417D0, 0x35FE, 0x11D1, {0xAD, 0x08, 0x00, 0xA0, 0xC9, 0x0A, 0xB1, 0xB0}};
static const GUID IID_IPort_ = {0xb4c90a25, 0x5791, 0x11d0, {0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44}};
static const GUID CLSID_PortTopology_ = {0xb4c90a32, 0x5791, 0x11d0, {0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44}};
static const GUID CLSID_PortWaveCyclic_ = {0xb4c90a2a, 0x5791, 0x11d0, {0x86, 0xf9, 0x00, 0xa0, 0xc9, 0x11, 0xb5, 0x44}};
static const GUID CLSID_Unknown_ = {0x12345678, 0x1234, 0x1234, {1, 2, 3, 4, 5, 6, 7, 8}};

/* portcls.sys */
typedef NTSTATUS(NTAPI *StartDeviceFn)(PDEVICE_OBJECT, PIRP, Unknown *);
NTSTATUS NTAPI PcInitializeAdapterDriver(PDRIVER_OBJECT, PUNICODE_STRING, PDRIVER_ADD_DEVICE);
NTSTATUS NTAPI PcAddAdapterDevice(PDRIVER_OBJECT, PDEVICE_OBJECT, StartDeviceFn, ULONG, ULONG);
NTSTATUS NTAPI PcNewPort(Unknown **, const GUID *);
NTSTATUS NTAPI PcNewServiceGroup(Unknown **, Unknown *);
NTSTATUS NTAPI PcRegisterSubdevice(PDEVICE_OBJECT, PWCHAR, Unknown *);
NTSTATUS NTAPI PcRegisterPhysicalConnection(PDEVICE_OBJECT, Unknown *, ULONG, Unknown *, ULONG);
NTSTATUS NTAPI PcRegisterAdapterPowerManagement(Unknown *, PVOID);
NTSTATUS NTAPI PcDispatchIrp(PDEVICE_OBJECT, PIRP);

/* Slots of the interfaces portcls gives (IUnknown's three first). */
enum { QI = 0, ADDREF = 1, RELEASE = 2 };
enum { PORT_INIT = 3, PORT_WAVE_NOTIFY = 6 };
enum { GROUP_ADD_MEMBER = 4, GROUP_REMOVE_MEMBER = 5 };
enum { RL_NUMBER_OF_ENTRIES = 3, RL_NUMBER_OF_ENTRIES_OF_TYPE = 4, RL_FIND_TRANSLATED = 5, RL_FIND_UNTRANSLATED = 6 };
enum { RL_TRANSLATED_LIST = 9, RL_UNTRANSLATED_LIST = 10 };
typedef NTSTATUS(NTAPI *PortInitFn)(Unknown *, PDEVICE_OBJECT, PIRP, Unknown *, Unknown *, Unknown *);
typedef void(NTAPI *NotifyFn)(Unknown *, Unknown *);
typedef NTSTATUS(NTAPI *AddMemberFn)(Unknown *, Unknown *);
typedef ULONG(NTAPI *CountFn)(Unknown *);
typedef ULONG(NTAPI *CountOfTypeFn)(Unknown *, UCHAR);
typedef PCM_PARTIAL_RESOURCE_DESCRIPTOR(NTAPI *FindFn)(Unknown *, UCHAR, ULONG);
typedef PCM_RESOURCE_LIST(NTAPI *ListFn)(Unknown *);
typedef void(NTAPI *RemoveMemberFn)(Unknown *, Unknown *);

/* PCFILTER_DESCRIPTOR, as far as a port reads it here. */
typedef struct {
    ULONG Version;
    const void *AutomationTable;
    ULONG PinSize;
    ULONG PinCount;
    const void *Pins;
    ULONG NodeSize;
    ULONG NodeCount;
    const void *Nodes;
    ULONG ConnectionCount;
    const void *Connections;
    ULONG CategoryCount;
    const void *Categories;
} FilterDescriptor;

static const FilterDescriptor TOPOLOGY_FILTER = {0, NULL, 0, 4, NULL, 0, 2, NULL, 0, NULL, 0, NULL};
static const FilterDescriptor WAVE_FILTER = {0, NULL, 0, 2, NULL, 0, 1, NULL, 0, NULL, 0, NULL};

static ULONG g_inits, g_descriptions, g_services;

static BOOLEAN same(const GUID *a, const GUID *b)
{
    return RtlCompareMemory(a, b, sizeof(GUID)) == sizeof(GUID);
}

static ULONG NTAPI AddRef(Unknown *This)
{
    return (ULONG)InterlockedIncrement(&This->Refs);
}

static ULONG NTAPI Release(Unknown *This)
{
    return (ULONG)InterlockedDecrement(&This->Refs);
}

/* Answers IUnknown and `iid` (and `also`, when given). */
static NTSTATUS answer(Unknown *This, const GUID *Iid, void **Object, const GUID *iid, const GUID *also)
{
    if (same(Iid, &IID_IUnknown_) || same(Iid, iid) || (also && same(Iid, also))) {
        AddRef(This);
        *Object = This;
        return STATUS_SUCCESS;
    }
    *Object = NULL;
    return STATUS_NOINTERFACE;
}

/* The miniports: IMiniport (GetDescription, DataRangeIntersection), then Init. */
static NTSTATUS NTAPI TopologyQi(Unknown *This, const GUID *Iid, void **Object)
{
    return answer(This, Iid, Object, &IID_IMiniportTopology_, &IID_IMiniport_);
}

static NTSTATUS NTAPI WaveQi(Unknown *This, const GUID *Iid, void **Object)
{
    return answer(This, Iid, Object, &IID_IMiniportWaveCyclic_, &IID_IMiniport_);
}

static NTSTATUS NTAPI TopologyDescription(Unknown *This, const FilterDescriptor **Out)
{
    (void)This;
    g_descriptions++;
    *Out = &TOPOLOGY_FILTER;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI WaveDescription(Unknown *This, const FilterDescriptor **Out)
{
    (void)This;
    g_descriptions++;
    *Out = &WAVE_FILTER;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI NoIntersection(void)
{
    return STATUS_NOT_IMPLEMENTED;
}

static NTSTATUS NTAPI MiniportInit(Unknown *This, Unknown *Adapter, Unknown *Resources, Unknown *Port)
{
    Unknown *check = NULL;
    NTSTATUS st;
    g_inits++;
    /* The port is a port: it answers IPort. */
    st = METHOD(Port, QI, QueryInterfaceFn)(Port, &IID_IPort_, (void **)&check);
    if (NT_SUCCESS(st))
        METHOD(check, RELEASE, RefFn)(check);
    DbgPrint("audioadapter: miniport %s Init: adapter %s, %lu resource(s), port answers IPort: %lx\n",
             This->Refs > 1 ? "(referenced by its port)" : "", Adapter ? "given" : "none",
             METHOD(Resources, RL_NUMBER_OF_ENTRIES, CountFn)(Resources), st);
    return STATUS_SUCCESS;
}

static const void *const TOPOLOGY_VTBL[] = {TopologyQi, AddRef, Release, TopologyDescription, NoIntersection, MiniportInit};
static const void *const WAVE_VTBL[] = {WaveQi, AddRef, Release, WaveDescription, NoIntersection, MiniportInit, NoIntersection};
static Unknown g_topology = {TOPOLOGY_VTBL, 1};
static Unknown g_wave = {WAVE_VTBL, 1};

/* The adapter's common object: IAdapterPowerManagement (three power methods, never called). */
static NTSTATUS NTAPI AdapterQi(Unknown *This, const GUID *Iid, void **Object)
{
    return answer(This, Iid, Object, &IID_IAdapterPowerManagement_, NULL);
}
static const void *const ADAPTER_VTBL[] = {AdapterQi, AddRef, Release, NoIntersection, NoIntersection, NoIntersection};
static Unknown g_adapter = {ADAPTER_VTBL, 1};

/* A service sink: counts the services it is asked for. */
static NTSTATUS NTAPI SinkQi(Unknown *This, const GUID *Iid, void **Object)
{
    return answer(This, Iid, Object, &IID_IServiceSink_, NULL);
}
static void NTAPI RequestService(Unknown *This)
{
    (void)This;
    g_services++;
}
static const void *const SINK_VTBL[] = {SinkQi, AddRef, Release, RequestService};
static Unknown g_sink = {SINK_VTBL, 1};

static NTSTATUS NTAPI StartDevice(PDEVICE_OBJECT DeviceObject, PIRP Irp, Unknown *Resources)
{
    Unknown *group = NULL, *topology = NULL, *wave = NULL, *other = NULL;
    PCM_PARTIAL_RESOURCE_DESCRIPTOR port;
    NTSTATUS st;

    port = METHOD(Resources, RL_FIND_TRANSLATED, FindFn)(Resources, CmResourceTypePort, 0);
    DbgPrint("audioadapter: StartDevice: %lu resource(s), %lu port range(s), first at %lx (%lu bytes), no second: %d\n",
             METHOD(Resources, RL_NUMBER_OF_ENTRIES, CountFn)(Resources),
             METHOD(Resources, RL_NUMBER_OF_ENTRIES_OF_TYPE, CountOfTypeFn)(Resources, CmResourceTypePort),
             port ? port->u.Port.Start.LowPart : 0, port ? port->u.Port.Length : 0,
             METHOD(Resources, RL_FIND_TRANSLATED, FindFn)(Resources, CmResourceTypePort, 1) == NULL);

    {
        PCM_RESOURCE_LIST raw = METHOD(Resources, RL_UNTRANSLATED_LIST, ListFn)(Resources);
        PCM_RESOURCE_LIST translated = METHOD(Resources, RL_TRANSLATED_LIST, ListFn)(Resources);
        PCM_PARTIAL_RESOURCE_DESCRIPTOR irq = METHOD(Resources, RL_FIND_UNTRANSLATED, FindFn)(Resources, CmResourceTypeInterrupt, 0);
        DbgPrint("audioadapter: lists: %lu and %lu full descriptor(s), untranslated interrupt %lu\n",
                 raw ? raw->Count : 0, translated ? translated->Count : 0, irq ? irq->u.Interrupt.Level : 0);
    }

    st = PcNewServiceGroup(&group, NULL);
    if (!NT_SUCCESS(st))
        return st;
    METHOD(group, GROUP_ADD_MEMBER, AddMemberFn)(group, &g_sink);

    st = PcNewPort(&other, &CLSID_Unknown_);
    DbgPrint("audioadapter: PcNewPort of an unknown class: %lx\n", st);

    st = PcNewPort(&topology, &CLSID_PortTopology_);
    if (NT_SUCCESS(st))
        st = METHOD(topology, PORT_INIT, PortInitFn)(topology, DeviceObject, Irp, &g_topology, &g_adapter, Resources);
    if (NT_SUCCESS(st))
        st = PcRegisterSubdevice(DeviceObject, L"Topology", topology);
    DbgPrint("audioadapter: topology port: %lx\n", st);
    if (!NT_SUCCESS(st))
        return st;

    st = PcNewPort(&wave, &CLSID_PortWaveCyclic_);
    if (NT_SUCCESS(st)) {
        /* Not initialized yet: no subdevice. */
        DbgPrint("audioadapter: uninitialized port as a subdevice: %lx\n", PcRegisterSubdevice(DeviceObject, L"Wave", wave));
        st = METHOD(wave, PORT_INIT, PortInitFn)(wave, DeviceObject, Irp, &g_wave, &g_adapter, Resources);
        DbgPrint("audioadapter: a second Init: %lx\n",
                 METHOD(wave, PORT_INIT, PortInitFn)(wave, DeviceObject, Irp, &g_wave, &g_adapter, Resources));
    }
    if (NT_SUCCESS(st))
        st = PcRegisterSubdevice(DeviceObject, L"Wave", wave);
    DbgPrint("audioadapter: wave port: %lx\n", st);
    if (!NT_SUCCESS(st))
        return st;

    st = PcRegisterPhysicalConnection(DeviceObject, wave, 1, topology, 0);
    DbgPrint("audioadapter: connection: %lx\n", st);
    st = PcRegisterAdapterPowerManagement(&g_adapter, DeviceObject);
    DbgPrint("audioadapter: power management: %lx, again: %lx\n", st, PcRegisterAdapterPowerManagement(&g_adapter, DeviceObject));

    METHOD(wave, PORT_WAVE_NOTIFY, NotifyFn)(wave, group);
    /* A member removed is not asked again. */
    METHOD(group, GROUP_REMOVE_MEMBER, RemoveMemberFn)(group, &g_sink);
    METHOD(wave, PORT_WAVE_NOTIFY, NotifyFn)(wave, group);
    DbgPrint("audioadapter: %lu miniport Init(s), %lu description(s), %lu service(s)\n", g_inits, g_descriptions, g_services);

    /* The subdevices keep the ports; the group goes with its last reference. */
    DbgPrint("audioadapter: releases: group %lu, topology %lu, wave %lu; miniports referenced %ld %ld, sink %ld, adapter %ld\n",
             METHOD(group, RELEASE, RefFn)(group), METHOD(topology, RELEASE, RefFn)(topology),
             METHOD(wave, RELEASE, RefFn)(wave), g_topology.Refs, g_wave.Refs, g_sink.Refs, g_adapter.Refs);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    NTSTATUS st = PcAddAdapterDevice(DriverObject, Pdo, StartDevice, 2, 8);
    DbgPrint("audioadapter: an extension smaller than portcls's own: %lx\n", st);
    return PcAddAdapterDevice(DriverObject, Pdo, StartDevice, 2, 0);
}

/* The adapter's own IRP_MJ_PNP routine, put in place of portcls's: it notes each request
 * and hands it to portcls (PcDispatchIrp), which starts and removes the device as before. */
static NTSTATUS NTAPI DispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UCHAR minor = IoGetCurrentIrpStackLocation(Irp)->MinorFunction;
    NTSTATUS st = PcDispatchIrp(DeviceObject, Irp);
    DbgPrint("audioadapter: PnP minor %02x through PcDispatchIrp: %lx\n", minor, st);
    return st;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS st = PcInitializeAdapterDriver(DriverObject, RegistryPath, AddDevice);
    if (NT_SUCCESS(st)) {
        DriverObject->MajorFunction[IRP_MJ_PNP] = DispatchPnp;
    }
    return st;
}
