/*
 * kmdf.h - the few KMDF declarations the Portcullis KMDF test drivers use, written from
 * the public definitions of Microsoft's KMDF headers (wdf.h, fxldr.h, wdfglobals.h,
 * wdffuncenum.h, wdfobject.h, wdfdriver.h, wdfdevice.h, wdfio.h, wdfrequest.h); mingw-w64
 * has no WDF headers. Include after corpus.h.
 *
 * A KMDF driver links FxDriverEntry from WdfDriverEntry.lib, which mingw-w64 lacks:
 * KMDF_DRIVER_ENTRY(Entry) below is our own equivalent. It defines DriverEntry (the image's
 * entry point) which binds to the framework with WdfVersionBind exactly as the real stub
 * does (a WDF_BIND_INFO naming the KMDF version and &WdfFunctions), calls the driver's own
 * Entry, and puts an unload routine in front of the one the framework installs that
 * unbinds (WdfVersionUnbind) after it.
 *
 * Every framework function is reached through the table: WDFCALL(index, type)(args), the
 * driver globals first. Table entries and callbacks are __stdcall on x86 (the WDK builds
 * with /Gz).
 */
#ifndef PORTCULLIS_KMDF_H
#define PORTCULLIS_KMDF_H

typedef HANDLE WDFOBJECT, WDFDRIVER, WDFDEVICE, WDFQUEUE, WDFREQUEST;
typedef HANDLE WDFDPC, WDFTIMER, WDFWORKITEM, WDFSPINLOCK, WDFWAITLOCK, WDFKEY, WDFSTRING, WDFCOLLECTION, WDFMEMORY;
typedef struct WDFDEVICE_INIT *PWDFDEVICE_INIT;
typedef VOID (*WDFFUNC)(VOID);

typedef struct _WDF_VERSION {
    ULONG Major;
    ULONG Minor;
    ULONG Build;
} WDF_VERSION;

typedef struct _WDF_BIND_INFO {
    ULONG Size;
    PWCHAR Component;
    WDF_VERSION Version;
    ULONG FuncCount;
    const WDFFUNC **FuncTable;
    PVOID Module;
} WDF_BIND_INFO, *PWDF_BIND_INFO;

typedef struct _WDF_DRIVER_GLOBALS {
    WDFDRIVER Driver;
    ULONG DriverFlags;
    ULONG DriverTag;
    CHAR DriverName[32];
    BOOLEAN DisplaceDriverUnload;
} WDF_DRIVER_GLOBALS, *PWDF_DRIVER_GLOBALS;

typedef VOID NTAPI EVT_WDF_OBJECT_CONTEXT_CLEANUP(WDFOBJECT Object);
typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
    ULONG Size;
    PCSTR ContextName;
    SIZE_T ContextSize;
    const struct _WDF_OBJECT_CONTEXT_TYPE_INFO *UniqueType;
    PVOID EvtDriverGetUniqueContextType;
} WDF_OBJECT_CONTEXT_TYPE_INFO;

typedef struct _WDF_OBJECT_ATTRIBUTES {
    ULONG Size;
    EVT_WDF_OBJECT_CONTEXT_CLEANUP *EvtCleanupCallback;
    EVT_WDF_OBJECT_CONTEXT_CLEANUP *EvtDestroyCallback;
    ULONG ExecutionLevel;       /* WdfExecutionLevelInheritFromParent = 1 */
    ULONG SynchronizationScope; /* WdfSynchronizationScopeInheritFromParent = 1 */
    WDFOBJECT ParentObject;
    SIZE_T ContextSizeOverride;
    const WDF_OBJECT_CONTEXT_TYPE_INFO *ContextTypeInfo;
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;

/* WDF_DECLARE_CONTEXT_TYPE_WITH_NAME: the type info names itself as its unique type. */
#define KMDF_CONTEXT_TYPE(type, getter)                                                          \
    static const WDF_OBJECT_CONTEXT_TYPE_INFO type##_TYPE_INFO = {                              \
        sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), #type, sizeof(type), &type##_TYPE_INFO, NULL};   \
    static type *getter(WDFOBJECT o)                                                            \
    {                                                                                           \
        return (type *)WDFCALL(WdfObjectGetTypedContextWorkerTableIndex,                        \
                               PVOID(__fastcall *)(PWDF_DRIVER_GLOBALS, WDFOBJECT,              \
                                              const WDF_OBJECT_CONTEXT_TYPE_INFO *))(          \
            WdfDriverGlobals, o, &type##_TYPE_INFO);                                            \
    }

static inline void WDF_OBJECT_ATTRIBUTES_INIT(PWDF_OBJECT_ATTRIBUTES a)
{
    RtlZeroMemory(a, sizeof(*a));
    a->Size = sizeof(*a);
    a->ExecutionLevel = 1;
    a->SynchronizationScope = 1;
}

typedef NTSTATUS NTAPI EVT_WDF_DRIVER_DEVICE_ADD(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
typedef VOID NTAPI EVT_WDF_DRIVER_UNLOAD(WDFDRIVER Driver);
typedef struct _WDF_DRIVER_CONFIG {
    ULONG Size;
    EVT_WDF_DRIVER_DEVICE_ADD *EvtDriverDeviceAdd;
    EVT_WDF_DRIVER_UNLOAD *EvtDriverUnload;
    ULONG DriverInitFlags;
    ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;
#define WdfDriverInitNonPnpDriver 1

typedef VOID NTAPI EVT_WDF_IO_IN_CALLER_CONTEXT(WDFDEVICE Device, WDFREQUEST Request);
typedef EVT_WDF_IO_IN_CALLER_CONTEXT *PFN_WDF_IO_IN_CALLER_CONTEXT;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_DEFAULT(WDFQUEUE Queue, WDFREQUEST Request);
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_READ(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T Length);
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL(WDFQUEUE Queue, WDFREQUEST Request, SIZE_T OutputBufferLength,
                                                      SIZE_T InputBufferLength, ULONG IoControlCode);
typedef struct _WDF_IO_QUEUE_CONFIG {
    ULONG Size;
    ULONG DispatchType; /* WdfIoQueueDispatchSequential 1, Parallel 2, Manual 3 */
    ULONG PowerManaged; /* WDF_TRI_STATE: WdfUseDefault 2 */
    BOOLEAN AllowZeroLengthRequests;
    BOOLEAN DefaultQueue;
    EVT_WDF_IO_QUEUE_IO_DEFAULT *EvtIoDefault;
    EVT_WDF_IO_QUEUE_IO_READ *EvtIoRead;
    EVT_WDF_IO_QUEUE_IO_READ *EvtIoWrite;
    EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL *EvtIoDeviceControl;
    EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL *EvtIoInternalDeviceControl;
    PVOID EvtIoStop;
    PVOID EvtIoResume;
    PVOID EvtIoCanceledOnQueue;
    ULONG NumberOfPresentedRequests;
    WDFDRIVER Driver;
} WDF_IO_QUEUE_CONFIG, *PWDF_IO_QUEUE_CONFIG;
/* wdfdevice.h: the PnP and power callbacks (KMDF 1.15 layout). */
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_D0_ENTRY(WDFDEVICE Device, ULONG PreviousState);
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_D0_EXIT(WDFDEVICE Device, ULONG TargetState);
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_PREPARE_HARDWARE(WDFDEVICE Device, WDFOBJECT Raw, WDFOBJECT Translated);
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_RELEASE_HARDWARE(WDFDEVICE Device, WDFOBJECT Translated);
typedef struct _WDF_PNPPOWER_EVENT_CALLBACKS {
    ULONG Size;
    EVT_WDF_DEVICE_D0_ENTRY *EvtDeviceD0Entry;
    PVOID EvtDeviceD0EntryPostInterruptsEnabled;
    EVT_WDF_DEVICE_D0_EXIT *EvtDeviceD0Exit;
    PVOID EvtDeviceD0ExitPreInterruptsDisabled;
    EVT_WDF_DEVICE_PREPARE_HARDWARE *EvtDevicePrepareHardware;
    EVT_WDF_DEVICE_RELEASE_HARDWARE *EvtDeviceReleaseHardware;
    PVOID EvtDeviceSelfManagedIoCleanup;
    PVOID EvtDeviceSelfManagedIoFlush;
    PVOID EvtDeviceSelfManagedIoInit;
    PVOID EvtDeviceSelfManagedIoSuspend;
    PVOID EvtDeviceSelfManagedIoRestart;
    PVOID EvtDeviceSurpriseRemoval;
    PVOID EvtDeviceQueryRemove;
    PVOID EvtDeviceQueryStop;
    PVOID EvtDeviceUsageNotification;
    PVOID EvtDeviceRelationsQuery;
    PVOID EvtDeviceUsageNotificationEx;
} WDF_PNPPOWER_EVENT_CALLBACKS;
/* wdfpdo.h, wdffdo.h: a child's callbacks and the static child list's retrieval flags. */
typedef VOID NTAPI EVT_WDF_DEVICE_REPORTED_MISSING(WDFDEVICE Device);
typedef struct _WDF_PDO_EVENT_CALLBACKS {
    ULONG Size;
    PVOID EvtDeviceResourceRequirementsQuery;
    PVOID EvtDeviceResourcesQuery;
    PVOID EvtDeviceEject;
    PVOID EvtDeviceSetLock;
    PVOID EvtDeviceEnableWakeAtBus;
    PVOID EvtDeviceDisableWakeAtBus;
    EVT_WDF_DEVICE_REPORTED_MISSING *EvtDeviceReportedMissing;
} WDF_PDO_EVENT_CALLBACKS;
#define WdfRetrievePresentChildren 1
#define WdfRetrieveMissingChildren 2
#define WdfRetrievePendingChildren 4
/* wdfchildlist.h: dynamic enumeration. A driver's descriptions begin with these headers. */
typedef struct WDFCHILDLIST__ *WDFCHILDLIST;
typedef struct _WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER {
    ULONG IdentificationDescriptionSize;
} WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER, *PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER;
typedef struct _WDF_CHILD_ADDRESS_DESCRIPTION_HEADER {
    ULONG AddressDescriptionSize;
} WDF_CHILD_ADDRESS_DESCRIPTION_HEADER, *PWDF_CHILD_ADDRESS_DESCRIPTION_HEADER;
typedef NTSTATUS NTAPI EVT_WDF_CHILD_LIST_CREATE_DEVICE(WDFCHILDLIST ChildList,
                                                        PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER Id,
                                                        PWDFDEVICE_INIT ChildInit);
typedef VOID NTAPI EVT_WDF_CHILD_LIST_SCAN_FOR_CHILDREN(WDFCHILDLIST ChildList);
typedef VOID NTAPI EVT_WDF_CHILD_LIST_IDENTIFICATION_DESCRIPTION_CLEANUP(WDFCHILDLIST ChildList,
                                                                         PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER Id);
typedef struct _WDF_CHILD_LIST_CONFIG {
    ULONG Size;
    ULONG IdentificationDescriptionSize;
    ULONG AddressDescriptionSize;
    EVT_WDF_CHILD_LIST_CREATE_DEVICE *EvtChildListCreateDevice;
    EVT_WDF_CHILD_LIST_SCAN_FOR_CHILDREN *EvtChildListScanForChildren;
    PVOID EvtChildListIdentificationDescriptionCopy;
    PVOID EvtChildListIdentificationDescriptionDuplicate;
    EVT_WDF_CHILD_LIST_IDENTIFICATION_DESCRIPTION_CLEANUP *EvtChildListIdentificationDescriptionCleanup;
    PVOID EvtChildListIdentificationDescriptionCompare;
    PVOID EvtChildListAddressDescriptionCopy;
    PVOID EvtChildListAddressDescriptionDuplicate;
    PVOID EvtChildListAddressDescriptionCleanup;
    PVOID EvtChildListDeviceReenumerated;
} WDF_CHILD_LIST_CONFIG;
typedef struct _WDF_CHILD_LIST_ITERATOR {
    ULONG Size;
    ULONG Flags;
    PVOID Reserved[4];
} WDF_CHILD_LIST_ITERATOR;
/* WDF_CHILD_LIST_RETRIEVE_DEVICE_STATUS */
#define WdfChildListRetrieveDeviceSuccess 1
#define WdfChildListRetrieveDeviceNotYetCreated 2
#define WdfChildListRetrieveDeviceNoSuchDevice 3
typedef struct _WDF_CHILD_RETRIEVE_INFO {
    ULONG Size;
    PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER IdentificationDescription;
    PWDF_CHILD_ADDRESS_DESCRIPTION_HEADER AddressDescription;
    ULONG Status;
    PVOID EvtChildListIdentificationDescriptionCompare;
} WDF_CHILD_RETRIEVE_INFO;
/* wdfdevice.h: WDF_DEVICE_PNP_CAPABILITIES (WDF_TRI_STATE each; WdfUseDefault 2). */
typedef struct _WDF_DEVICE_PNP_CAPABILITIES {
    ULONG Size;
    ULONG LockSupported, EjectSupported, Removable, DockDevice, UniqueID, SilentInstall, SurpriseRemovalOK,
        HardwareDisabled, NoDisplayInUI;
    ULONG Address, UINumber;
} WDF_DEVICE_PNP_CAPABILITIES;

/* wdfqueryinterface.h: WDF_QUERY_INTERFACE_CONFIG (INTERFACE is wdm.h's). */
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST(WDFDEVICE Device, LPGUID InterfaceType,
                                                                      PINTERFACE ExposedInterface,
                                                                      PVOID ExposedInterfaceSpecificData);
typedef struct _WDF_QUERY_INTERFACE_CONFIG {
    ULONG Size;
    PINTERFACE Interface;
    const GUID *InterfaceType;
    BOOLEAN SendQueryToParentStack;
    EVT_WDF_DEVICE_PROCESS_QUERY_INTERFACE_REQUEST *EvtDeviceProcessQueryInterfaceRequest;
    BOOLEAN ImportInterface;
} WDF_QUERY_INTERFACE_CONFIG;

/* wdfdpc.h, wdftimer.h, wdfworkitem.h: the deferred-work objects' configurations. */
typedef VOID NTAPI EVT_WDF_DPC(WDFDPC Dpc);
typedef struct _WDF_DPC_CONFIG {
    ULONG Size;
    EVT_WDF_DPC *EvtDpcFunc;
    BOOLEAN AutomaticSerialization;
} WDF_DPC_CONFIG;
typedef VOID NTAPI EVT_WDF_TIMER(WDFTIMER Timer);
typedef struct _WDF_TIMER_CONFIG {
    ULONG Size;
    EVT_WDF_TIMER *EvtTimerFunc;
    ULONG Period;
    BOOLEAN AutomaticSerialization;
    ULONG TolerableDelay;
    BOOLEAN UseHighResolutionTimer;
} WDF_TIMER_CONFIG;
typedef VOID NTAPI EVT_WDF_WORKITEM(WDFWORKITEM WorkItem);
typedef struct _WDF_WORKITEM_CONFIG {
    ULONG Size;
    EVT_WDF_WORKITEM *EvtWorkItemFunc;
    BOOLEAN AutomaticSerialization;
} WDF_WORKITEM_CONFIG;
/* WDF_REL_TIMEOUT_IN_MS */
#define KMDF_REL_MS(ms) (-(LONGLONG)(ms) * 10000)

#define WdfIoQueueDispatchSequential 1
#define WdfIoQueueDispatchParallel 2
#define WdfIoQueueDispatchManual 3
#define WdfDeviceIoBuffered 2

/* wdfrequest.h: WDF_REQUEST_PARAMETERS (WDF_REQUEST_TYPE values are the IRP_MJ_ codes). */
typedef struct _WDF_REQUEST_PARAMETERS {
    USHORT Size;
    UCHAR MinorFunction;
    ULONG Type;
    union {
        struct {
            PVOID SecurityContext;
            ULONG Options;
            USHORT POINTER_ALIGNMENT FileAttributes;
            USHORT ShareAccess;
            ULONG POINTER_ALIGNMENT EaLength;
        } Create;
        struct {
            SIZE_T Length;
            ULONG POINTER_ALIGNMENT Key;
            LONGLONG DeviceOffset;
        } Read, Write;
        struct {
            SIZE_T OutputBufferLength;
            SIZE_T POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
        struct {
            PVOID Arg1;
            PVOID Arg2;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID Arg4;
        } Others;
    } Parameters;
} WDF_REQUEST_PARAMETERS;
#define WdfRequestTypeWrite 4

/* wdfdevice.h: WDF_DEVICE_POWER_CAPABILITIES (WDF_TRI_STATE, DEVICE_POWER_STATE[7]). */
typedef struct _WDF_DEVICE_POWER_CAPABILITIES {
    ULONG Size;
    ULONG DeviceD1, DeviceD2, WakeFromD0, WakeFromD1, WakeFromD2, WakeFromD3;
    ULONG DeviceState[7];
    ULONG DeviceWake, SystemWake;
    ULONG D1Latency, D2Latency, D3Latency;
    ULONG IdealDxStateForSx;
} WDF_DEVICE_POWER_CAPABILITIES;

/* The layouts the emulator reads (hle/src/wdf/layout.rs). */
#ifdef _WIN64
_Static_assert(sizeof(WDF_REQUEST_PARAMETERS) == 0x28 && offsetof(WDF_REQUEST_PARAMETERS, Parameters) == 8 &&
                   offsetof(WDF_REQUEST_PARAMETERS, Parameters.Write.DeviceOffset) == 0x18 &&
                   offsetof(WDF_REQUEST_PARAMETERS, Parameters.DeviceIoControl.IoControlCode) == 0x18,
               "WDF_REQUEST_PARAMETERS");
_Static_assert(sizeof(WDF_BIND_INFO) == 0x30 && offsetof(WDF_BIND_INFO, FuncCount) == 0x1c &&
                   offsetof(WDF_BIND_INFO, FuncTable) == 0x20, "WDF_BIND_INFO");
_Static_assert(offsetof(WDF_DRIVER_GLOBALS, DisplaceDriverUnload) == 0x30, "WDF_DRIVER_GLOBALS");
_Static_assert(sizeof(WDF_OBJECT_ATTRIBUTES) == 0x38 && offsetof(WDF_OBJECT_ATTRIBUTES, ParentObject) == 0x20 &&
                   offsetof(WDF_OBJECT_ATTRIBUTES, ContextTypeInfo) == 0x30, "WDF_OBJECT_ATTRIBUTES");
_Static_assert(offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, UniqueType) == 0x18, "WDF_OBJECT_CONTEXT_TYPE_INFO");
_Static_assert(sizeof(WDF_DRIVER_CONFIG) == 0x20 && offsetof(WDF_DRIVER_CONFIG, DriverInitFlags) == 0x18, "WDF_DRIVER_CONFIG");
_Static_assert(offsetof(WDF_IO_QUEUE_CONFIG, EvtIoDefault) == 0x10 && offsetof(WDF_IO_QUEUE_CONFIG, EvtIoDeviceControl) == 0x28 &&
                   offsetof(WDF_IO_QUEUE_CONFIG, Driver) == 0x58 && sizeof(WDF_IO_QUEUE_CONFIG) == 0x60, "WDF_IO_QUEUE_CONFIG");
_Static_assert(sizeof(WDF_DPC_CONFIG) == 0x18 && offsetof(WDF_DPC_CONFIG, AutomaticSerialization) == 0x10, "WDF_DPC_CONFIG");
_Static_assert(sizeof(WDF_TIMER_CONFIG) == 0x20 && offsetof(WDF_TIMER_CONFIG, Period) == 0x10 &&
                   offsetof(WDF_TIMER_CONFIG, UseHighResolutionTimer) == 0x1c, "WDF_TIMER_CONFIG");
_Static_assert(sizeof(WDF_WORKITEM_CONFIG) == 0x18, "WDF_WORKITEM_CONFIG");
_Static_assert(sizeof(WDF_QUERY_INTERFACE_CONFIG) == 0x30 && offsetof(WDF_QUERY_INTERFACE_CONFIG, ImportInterface) == 0x28,
               "WDF_QUERY_INTERFACE_CONFIG");
_Static_assert(sizeof(WDF_CHILD_LIST_CONFIG) == 0x60 && offsetof(WDF_CHILD_LIST_CONFIG, EvtChildListCreateDevice) == 0x10,
               "WDF_CHILD_LIST_CONFIG");
_Static_assert(sizeof(WDF_CHILD_LIST_ITERATOR) == 0x28 && sizeof(WDF_CHILD_RETRIEVE_INFO) == 0x28 &&
                   offsetof(WDF_CHILD_RETRIEVE_INFO, Status) == 0x18, "WDF_CHILD_RETRIEVE_INFO");
#else
_Static_assert(sizeof(WDF_REQUEST_PARAMETERS) == 0x18 && offsetof(WDF_REQUEST_PARAMETERS, Parameters) == 8 &&
                   offsetof(WDF_REQUEST_PARAMETERS, Parameters.Write.DeviceOffset) == 0x10 &&
                   offsetof(WDF_REQUEST_PARAMETERS, Parameters.DeviceIoControl.IoControlCode) == 0x10,
               "WDF_REQUEST_PARAMETERS");
_Static_assert(sizeof(WDF_BIND_INFO) == 0x20 && offsetof(WDF_BIND_INFO, FuncCount) == 0x14 &&
                   offsetof(WDF_BIND_INFO, FuncTable) == 0x18, "WDF_BIND_INFO");
_Static_assert(offsetof(WDF_DRIVER_GLOBALS, DisplaceDriverUnload) == 0x2c, "WDF_DRIVER_GLOBALS");
_Static_assert(sizeof(WDF_OBJECT_ATTRIBUTES) == 0x20 && offsetof(WDF_OBJECT_ATTRIBUTES, ParentObject) == 0x14 &&
                   offsetof(WDF_OBJECT_ATTRIBUTES, ContextTypeInfo) == 0x1c, "WDF_OBJECT_ATTRIBUTES");
_Static_assert(offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, UniqueType) == 0xc, "WDF_OBJECT_CONTEXT_TYPE_INFO");
_Static_assert(sizeof(WDF_DRIVER_CONFIG) == 0x14 && offsetof(WDF_DRIVER_CONFIG, DriverInitFlags) == 0xc, "WDF_DRIVER_CONFIG");
_Static_assert(offsetof(WDF_IO_QUEUE_CONFIG, EvtIoDefault) == 0x10 && offsetof(WDF_IO_QUEUE_CONFIG, EvtIoDeviceControl) == 0x1c &&
                   offsetof(WDF_IO_QUEUE_CONFIG, Driver) == 0x34 && sizeof(WDF_IO_QUEUE_CONFIG) == 0x38, "WDF_IO_QUEUE_CONFIG");
_Static_assert(sizeof(WDF_DPC_CONFIG) == 0xc && offsetof(WDF_DPC_CONFIG, AutomaticSerialization) == 0x8, "WDF_DPC_CONFIG");
_Static_assert(sizeof(WDF_TIMER_CONFIG) == 0x18 && offsetof(WDF_TIMER_CONFIG, Period) == 0x8 &&
                   offsetof(WDF_TIMER_CONFIG, UseHighResolutionTimer) == 0x14, "WDF_TIMER_CONFIG");
_Static_assert(sizeof(WDF_WORKITEM_CONFIG) == 0xc, "WDF_WORKITEM_CONFIG");
_Static_assert(sizeof(WDF_QUERY_INTERFACE_CONFIG) == 0x18 && offsetof(WDF_QUERY_INTERFACE_CONFIG, ImportInterface) == 0x14,
               "WDF_QUERY_INTERFACE_CONFIG");
_Static_assert(sizeof(WDF_CHILD_LIST_CONFIG) == 0x34 && offsetof(WDF_CHILD_LIST_CONFIG, EvtChildListCreateDevice) == 0xc,
               "WDF_CHILD_LIST_CONFIG");
_Static_assert(sizeof(WDF_CHILD_LIST_ITERATOR) == 0x18 && sizeof(WDF_CHILD_RETRIEVE_INFO) == 0x14 &&
                   offsetof(WDF_CHILD_RETRIEVE_INFO, Status) == 0xc, "WDF_CHILD_RETRIEVE_INFO");
#endif

/* WDFFUNCENUM indices used (wdffuncenum.h). */
enum {
    WdfChildListCreateTableIndex = 0,
    WdfChildListGetDeviceTableIndex = 1,
    WdfChildListRetrievePdoTableIndex = 2,
    WdfChildListBeginScanTableIndex = 4,
    WdfChildListEndScanTableIndex = 5,
    WdfChildListBeginIterationTableIndex = 6,
    WdfChildListRetrieveNextDeviceTableIndex = 7,
    WdfChildListEndIterationTableIndex = 8,
    WdfChildListAddOrUpdateChildDescriptionAsPresentTableIndex = 9,
    WdfChildListUpdateChildDescriptionAsMissingTableIndex = 10,
    WdfChildListUpdateAllChildDescriptionsAsPresentTableIndex = 11,
    WdfChildListRequestChildEjectTableIndex = 12,
    WdfFdoInitSetDefaultChildListConfigTableIndex = 130,
    WdfFdoGetDefaultChildListTableIndex = 132,
    WdfPdoRequestEjectTableIndex = 220,
    WdfCollectionCreateTableIndex = 13,
    WdfCollectionGetCountTableIndex = 14,
    WdfCollectionGetItemTableIndex = 18,
    WdfControlDeviceInitAllocateTableIndex = 25,
    WdfControlFinishInitializingTableIndex = 27,
    WdfDeviceWdmGetDeviceObjectTableIndex = 31,
    WdfDeviceGetDriverTableIndex = 39,
    WdfDeviceInitFreeTableIndex = 54,
    WdfDeviceInitSetPnpPowerEventCallbacksTableIndex = 55,
    WdfDeviceInitSetIoTypeTableIndex = 61,
    WdfDeviceInitSetExclusiveTableIndex = 62,
    WdfDeviceInitSetDeviceTypeTableIndex = 66,
    WdfDeviceInitAssignNameTableIndex = 67,
    WdfDeviceInitSetCharacteristicsTableIndex = 70,
    WdfDeviceInitSetIoInCallerContextCallbackTableIndex = 74,
    WdfDeviceCreateTableIndex = 75,
    WdfDeviceCreateSymbolicLinkTableIndex = 80,
    WdfDeviceCreateDeviceInterfaceTableIndex = 77,
    WdfDeviceSetPowerCapabilitiesTableIndex = 84,
    WdfDeviceConfigureRequestDispatchingTableIndex = 93,
    WdfDeviceInitAssignSDDLStringTableIndex = 68,
    WdfPdoInitAssignContainerIDTableIndex = 391,
    WdfPdoInitAllowForwardingRequestToParentTableIndex = 392,
    WdfMemoryCopyToBufferTableIndex = 196,
    WdfMemoryCopyFromBufferTableIndex = 197,
    WdfRequestGetParametersTableIndex = 266,
    WdfRequestRetrieveInputMemoryTableIndex = 267,
    WdfRequestRetrieveOutputMemoryTableIndex = 268,
    WdfRequestCompleteWithPriorityBoostTableIndex = 264,
    WdfRequestSetInformationTableIndex = 275,
    WdfDeviceEnqueueRequestTableIndex = 91,
    WdfDeviceSetPnpCapabilitiesTableIndex = 83,
    WdfDpcCreateTableIndex = 111,
    WdfDpcEnqueueTableIndex = 112,
    WdfDpcCancelTableIndex = 113,
    WdfDpcGetParentObjectTableIndex = 114,
    WdfDpcWdmGetDpcTableIndex = 115,
    WdfDriverCreateTableIndex = 116,
    WdfDriverOpenParametersRegistryKeyTableIndex = 119,
    WdfFdoQueryForInterfaceTableIndex = 131,
    WdfFdoAddStaticChildTableIndex = 133,
    WdfFdoLockStaticChildListForIterationTableIndex = 134,
    WdfFdoRetrieveNextStaticChildTableIndex = 135,
    WdfFdoUnlockStaticChildListFromIterationTableIndex = 136,
    WdfIoQueueCreateTableIndex = 152,
    WdfIoQueueGetDeviceTableIndex = 157,
    WdfIoQueueRetrieveNextRequestTableIndex = 158,
    WdfMemoryGetBufferTableIndex = 194,
    WdfObjectGetTypedContextWorkerTableIndex = 202,
    WdfObjectDeleteTableIndex = 208,
    WdfPdoInitAllocateTableIndex = 210,
    WdfPdoInitSetEventCallbacksTableIndex = 211,
    WdfPdoInitAssignDeviceIDTableIndex = 212,
    WdfPdoInitAssignInstanceIDTableIndex = 213,
    WdfPdoInitAddHardwareIDTableIndex = 214,
    WdfPdoInitAddCompatibleIDTableIndex = 215,
    WdfPdoInitAddDeviceTextTableIndex = 216,
    WdfPdoInitSetDefaultLocaleTableIndex = 217,
    WdfPdoInitAssignRawDeviceTableIndex = 218,
    WdfPdoMarkMissingTableIndex = 219,
    WdfPdoGetParentTableIndex = 221,
    WdfDeviceAddQueryInterfaceTableIndex = 228,
    WdfRegistryCloseTableIndex = 231,
    WdfRegistryQueryValueTableIndex = 235,
    WdfRegistryQueryMemoryTableIndex = 236,
    WdfRegistryQueryMultiStringTableIndex = 237,
    WdfRegistryQueryUnicodeStringTableIndex = 238,
    WdfRegistryQueryStringTableIndex = 239,
    WdfRegistryQueryULongTableIndex = 240,
    WdfRequestCompleteTableIndex = 263,
    WdfRequestCompleteWithInformationTableIndex = 265,
    WdfRequestRetrieveInputBufferTableIndex = 269,
    WdfRequestRetrieveOutputBufferTableIndex = 270,
    WdfRequestForwardToIoQueueTableIndex = 281,
    WdfRequestWdmGetIrpTableIndex = 285,
    WdfStringCreateTableIndex = 308,
    WdfStringGetUnicodeStringTableIndex = 309,
    WdfWaitLockCreateTableIndex = 312,
    WdfWaitLockAcquireTableIndex = 313,
    WdfWaitLockReleaseTableIndex = 314,
    WdfSpinLockCreateTableIndex = 315,
    WdfSpinLockAcquireTableIndex = 316,
    WdfSpinLockReleaseTableIndex = 317,
    WdfTimerCreateTableIndex = 318,
    WdfTimerStartTableIndex = 319,
    WdfTimerStopTableIndex = 320,
    WdfTimerGetParentObjectTableIndex = 321,
    WdfWorkItemCreateTableIndex = 379,
    WdfWorkItemEnqueueTableIndex = 380,
    WdfWorkItemGetParentObjectTableIndex = 381,
    WdfWorkItemFlushTableIndex = 382,
    WdfFunctionTableNumEntries = 444, /* KMDF 1.15 .. 1.17 */
};

NTSTATUS NTAPI WdfVersionBind(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
                              PWDF_DRIVER_GLOBALS *ComponentGlobals);
NTSTATUS NTAPI WdfVersionUnbind(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo, PWDF_DRIVER_GLOBALS ComponentGlobals);

static const WDFFUNC *WdfFunctions;
static PWDF_DRIVER_GLOBALS WdfDriverGlobals;
#define WDFCALL(index, type) ((type)WdfFunctions[index])

/* The FxDriverEntry equivalent. */
#define KMDF_DRIVER_ENTRY(Entry)                                                                  \
    static WDF_BIND_INFO KmdfBindInfo = {sizeof(WDF_BIND_INFO), L"KmdfLibrary", {1, 15, 0},      \
                                         WdfFunctionTableNumEntries, &WdfFunctions, NULL};        \
    static UNICODE_STRING KmdfRegistryPath;                                                       \
    static WCHAR KmdfRegistryPathBuffer[260];                                                     \
    static PDRIVER_UNLOAD KmdfDisplacedUnload;                                                    \
    static VOID NTAPI KmdfStubUnload(PDRIVER_OBJECT DriverObject)                                 \
    {                                                                                             \
        if (KmdfDisplacedUnload != NULL)                                                          \
            KmdfDisplacedUnload(DriverObject);                                                    \
        WdfVersionUnbind(&KmdfRegistryPath, &KmdfBindInfo, WdfDriverGlobals);                     \
    }                                                                                             \
    NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)         \
    {                                                                                             \
        NTSTATUS status;                                                                          \
        KmdfRegistryPath.Buffer = KmdfRegistryPathBuffer;                                         \
        KmdfRegistryPath.MaximumLength = sizeof(KmdfRegistryPathBuffer);                          \
        RtlCopyUnicodeString(&KmdfRegistryPath, RegistryPath);                                    \
        status = WdfVersionBind(DriverObject, &KmdfRegistryPath, &KmdfBindInfo, &WdfDriverGlobals); \
        if (!NT_SUCCESS(status))                                                                  \
            return status;                                                                        \
        status = Entry(DriverObject, RegistryPath);                                               \
        if (!NT_SUCCESS(status)) {                                                                \
            WdfVersionUnbind(&KmdfRegistryPath, &KmdfBindInfo, WdfDriverGlobals);                 \
            return status;                                                                        \
        }                                                                                         \
        if (WdfDriverGlobals->DisplaceDriverUnload) {                                             \
            KmdfDisplacedUnload = DriverObject->DriverUnload;                                     \
            DriverObject->DriverUnload = KmdfStubUnload;                                          \
        }                                                                                         \
        return status;                                                                            \
    }

#endif
