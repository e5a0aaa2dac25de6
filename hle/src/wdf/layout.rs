//! The framework's structures as drivers fill them, from Microsoft's public KMDF headers
//! (`wdfobject.h`, `wdfdriver.h`, `wdfio.h`, `fxldr.h`, `wdfglobals.h`), offsets on x86 and
//! x64. The mingw-w64 headers have no WDF, so the C layout check does not cover them; the
//! corpus header `corpus/include/kmdf.h` declares the same structures and its own
//! `static_assert`s pin the offsets written here.
#![allow(non_snake_case, non_upper_case_globals)]

use crate::layout::{Field, Kind, Struct};

macro_rules! wdf_structure {
    ($module:ident = $cname:literal, size ($s86:expr, $s64:expr), {
        $( $const:ident : $kind:ident @ ($o86:expr, $o64:expr) ),* $(,)?
    }) => {
        pub mod $module {
            use super::*;
            $(
                pub const $const: Field =
                    Field { name: stringify!($const), x86: Some($o86), x64: Some($o64), kind: Kind::$kind };
            )*
            pub const STRUCT: Struct = Struct { name: $cname, size: [$s86, $s64], fields: &[$($const),*], checked: false };
        }
    };
}

wdf_structure!(WDF_BIND_INFO = "WDF_BIND_INFO", size (0x20, 0x30), {
    Size: U32 @ (0x0, 0x0),
    Component: Ptr @ (0x4, 0x8),
    Major: U32 @ (0x8, 0x10),
    Minor: U32 @ (0xc, 0x14),
    Build: U32 @ (0x10, 0x18),
    FuncCount: U32 @ (0x14, 0x1c),
    FuncTable: Ptr @ (0x18, 0x20),
    Module: Ptr @ (0x1c, 0x28),
});

wdf_structure!(WDF_CLASS_BIND_INFO = "WDF_CLASS_BIND_INFO", size (0x24, 0x38), {
    Size: U32 @ (0x0, 0x0),
    ClassName: Ptr @ (0x4, 0x8),
});

wdf_structure!(WDF_DRIVER_GLOBALS = "WDF_DRIVER_GLOBALS", size (0x30, 0x38), {
    Driver: Ptr @ (0x0, 0x0),
    DriverFlags: U32 @ (0x4, 0x8),
    DriverTag: U32 @ (0x8, 0xc),
    DriverName: Inline @ (0xc, 0x10),
    DisplaceDriverUnload: U8 @ (0x2c, 0x30),
});

wdf_structure!(WDF_OBJECT_ATTRIBUTES = "WDF_OBJECT_ATTRIBUTES", size (0x20, 0x38), {
    Size: U32 @ (0x0, 0x0),
    EvtCleanupCallback: Ptr @ (0x4, 0x8),
    EvtDestroyCallback: Ptr @ (0x8, 0x10),
    ExecutionLevel: U32 @ (0xc, 0x18),
    SynchronizationScope: U32 @ (0x10, 0x1c),
    ParentObject: Ptr @ (0x14, 0x20),
    ContextSizeOverride: Ptr @ (0x18, 0x28),
    ContextTypeInfo: Ptr @ (0x1c, 0x30),
});

wdf_structure!(WDF_OBJECT_CONTEXT_TYPE_INFO = "WDF_OBJECT_CONTEXT_TYPE_INFO", size (0x14, 0x28), {
    Size: U32 @ (0x0, 0x0),
    ContextName: Ptr @ (0x4, 0x8),
    ContextSize: Ptr @ (0x8, 0x10),
    UniqueType: Ptr @ (0xc, 0x18),
});

wdf_structure!(WDF_DRIVER_CONFIG = "WDF_DRIVER_CONFIG", size (0x14, 0x20), {
    Size: U32 @ (0x0, 0x0),
    EvtDriverDeviceAdd: Ptr @ (0x4, 0x8),
    EvtDriverUnload: Ptr @ (0x8, 0x10),
    DriverInitFlags: U32 @ (0xc, 0x18),
    DriverPoolTag: U32 @ (0x10, 0x1c),
});

wdf_structure!(WDF_IO_QUEUE_CONFIG = "WDF_IO_QUEUE_CONFIG", size (0x38, 0x60), {
    Size: U32 @ (0x0, 0x0),
    DispatchType: U32 @ (0x4, 0x4),
    PowerManaged: U32 @ (0x8, 0x8),
    AllowZeroLengthRequests: U8 @ (0xc, 0xc),
    DefaultQueue: U8 @ (0xd, 0xd),
    EvtIoDefault: Ptr @ (0x10, 0x10),
    EvtIoRead: Ptr @ (0x14, 0x18),
    EvtIoWrite: Ptr @ (0x18, 0x20),
    EvtIoDeviceControl: Ptr @ (0x1c, 0x28),
    EvtIoInternalDeviceControl: Ptr @ (0x20, 0x30),
    EvtIoStop: Ptr @ (0x24, 0x38),
    EvtIoResume: Ptr @ (0x28, 0x40),
    EvtIoCanceledOnQueue: Ptr @ (0x2c, 0x48),
});

wdf_structure!(WDF_PNPPOWER_EVENT_CALLBACKS = "WDF_PNPPOWER_EVENT_CALLBACKS", size (0x48, 0x90), {
    Size: U32 @ (0x0, 0x0),
    EvtDeviceD0Entry: Ptr @ (0x4, 0x8),
    EvtDeviceD0EntryPostInterruptsEnabled: Ptr @ (0x8, 0x10),
    EvtDeviceD0Exit: Ptr @ (0xc, 0x18),
    EvtDeviceD0ExitPreInterruptsDisabled: Ptr @ (0x10, 0x20),
    EvtDevicePrepareHardware: Ptr @ (0x14, 0x28),
    EvtDeviceReleaseHardware: Ptr @ (0x18, 0x30),
    EvtDeviceSelfManagedIoCleanup: Ptr @ (0x1c, 0x38),
    EvtDeviceSelfManagedIoFlush: Ptr @ (0x20, 0x40),
    EvtDeviceSelfManagedIoInit: Ptr @ (0x24, 0x48),
    EvtDeviceSelfManagedIoSuspend: Ptr @ (0x28, 0x50),
    EvtDeviceSelfManagedIoRestart: Ptr @ (0x2c, 0x58),
    EvtDeviceSurpriseRemoval: Ptr @ (0x30, 0x60),
});

wdf_structure!(WDF_FILEOBJECT_CONFIG = "WDF_FILEOBJECT_CONFIG", size (0x18, 0x28), {
    Size: U32 @ (0x0, 0x0),
    EvtDeviceFileCreate: Ptr @ (0x4, 0x8),
    EvtFileClose: Ptr @ (0x8, 0x10),
    EvtFileCleanup: Ptr @ (0xc, 0x18),
    AutoForwardCleanupClose: U32 @ (0x10, 0x20),
    FileObjectClass: U32 @ (0x14, 0x24),
});

wdf_structure!(WDF_POWER_POLICY_EVENT_CALLBACKS = "WDF_POWER_POLICY_EVENT_CALLBACKS", size (0x20, 0x40), {
    Size: U32 @ (0x0, 0x0),
    EvtDeviceArmWakeFromS0: Ptr @ (0x4, 0x8),
    EvtDeviceDisarmWakeFromS0: Ptr @ (0x8, 0x10),
    EvtDeviceWakeFromS0Triggered: Ptr @ (0xc, 0x18),
    EvtDeviceArmWakeFromSx: Ptr @ (0x10, 0x20),
    EvtDeviceDisarmWakeFromSx: Ptr @ (0x14, 0x28),
    EvtDeviceWakeFromSxTriggered: Ptr @ (0x18, 0x30),
    EvtDeviceArmWakeFromSxWithReason: Ptr @ (0x1c, 0x38),
});

wdf_structure!(WDF_DPC_CONFIG = "WDF_DPC_CONFIG", size (0xc, 0x18), {
    Size: U32 @ (0x0, 0x0),
    EvtDpcFunc: Ptr @ (0x4, 0x8),
    AutomaticSerialization: U8 @ (0x8, 0x10),
});

wdf_structure!(WDF_TIMER_CONFIG = "WDF_TIMER_CONFIG", size (0x18, 0x20), {
    Size: U32 @ (0x0, 0x0),
    EvtTimerFunc: Ptr @ (0x4, 0x8),
    Period: U32 @ (0x8, 0x10),
    AutomaticSerialization: U8 @ (0xc, 0x14),
    TolerableDelay: U32 @ (0x10, 0x18),
    UseHighResolutionTimer: U8 @ (0x14, 0x1c),
});

wdf_structure!(WDF_WORKITEM_CONFIG = "WDF_WORKITEM_CONFIG", size (0xc, 0x18), {
    Size: U32 @ (0x0, 0x0),
    EvtWorkItemFunc: Ptr @ (0x4, 0x8),
    AutomaticSerialization: U8 @ (0x8, 0x10),
});
