/* The part of fltKernel.h (Windows Driver Kit) this driver uses: the mingw-w64 headers do not
 * have the Filter Manager. Declarations follow the WDK's; the static_asserts pin the offsets
 * the emulator uses (hle/src/flt/layout.rs). */
#ifndef FLTMIN_H
#define FLTMIN_H

#include <ntddk.h>

#define FLTAPI NTAPI
#define PTR_ALIGN __attribute__((aligned(sizeof(void *))))

typedef struct _FLT_FILTER *PFLT_FILTER;
typedef struct _FLT_VOLUME *PFLT_VOLUME;
typedef struct _FLT_INSTANCE *PFLT_INSTANCE;
typedef struct _FLT_PORT *PFLT_PORT;
typedef PVOID PFLT_CONTEXT;
typedef USHORT FLT_CONTEXT_TYPE;

#define IRP_MJ_OPERATION_END ((UCHAR)0x80)
#define FLT_VOLUME_CONTEXT 0x0001
#define FLT_INSTANCE_CONTEXT 0x0002
#define FLT_STREAM_CONTEXT 0x0008
#define FLT_STREAMHANDLE_CONTEXT 0x0010
#define FLT_CONTEXT_END 0xffff
#define FLT_REGISTRATION_VERSION 0x0202
#define FLT_FILE_NAME_NORMALIZED 0x01
#define FLT_FILE_NAME_QUERY_DEFAULT 0x0100
#define FLT_SET_CONTEXT_REPLACE_IF_EXISTS 0
#define FLT_SET_CONTEXT_KEEP_IF_EXISTS 1
#define FLT_PORT_CONNECT 0x0001
#define FLT_PORT_ALL_ACCESS (FLT_PORT_CONNECT | STANDARD_RIGHTS_ALL)

typedef enum _FLT_PREOP_CALLBACK_STATUS {
    FLT_PREOP_SUCCESS_WITH_CALLBACK,
    FLT_PREOP_SUCCESS_NO_CALLBACK,
    FLT_PREOP_PENDING,
    FLT_PREOP_DISALLOW_FASTIO,
    FLT_PREOP_COMPLETE,
    FLT_PREOP_SYNCHRONIZE
} FLT_PREOP_CALLBACK_STATUS;

typedef enum _FLT_POSTOP_CALLBACK_STATUS {
    FLT_POSTOP_FINISHED_PROCESSING,
    FLT_POSTOP_MORE_PROCESSING_REQUIRED
} FLT_POSTOP_CALLBACK_STATUS;

/* The WDK packs FLT_PARAMETERS to 4 bytes on x86 only. */
#ifdef __i386__
#pragma pack(push, 4)
#endif
typedef union _FLT_PARAMETERS {
    struct {
        PIO_SECURITY_CONTEXT SecurityContext;
        ULONG Options;
        USHORT PTR_ALIGN FileAttributes;
        USHORT ShareAccess;
        ULONG PTR_ALIGN EaLength;
        PVOID EaBuffer;
        LARGE_INTEGER AllocationSize;
    } Create;
    struct {
        ULONG Length;
        ULONG PTR_ALIGN Key;
        LARGE_INTEGER ByteOffset;
        PVOID ReadBuffer;
        PMDL MdlAddress;
    } Read;
    struct {
        ULONG Length;
        ULONG PTR_ALIGN Key;
        LARGE_INTEGER ByteOffset;
        PVOID WriteBuffer;
        PMDL MdlAddress;
    } Write;
    struct {
        PVOID Argument1, Argument2, Argument3, Argument4, Argument5;
        LARGE_INTEGER Argument6;
    } Others;
} FLT_PARAMETERS, *PFLT_PARAMETERS;
#ifdef __i386__
#pragma pack(pop)
#endif

typedef struct _FLT_IO_PARAMETER_BLOCK {
    ULONG IrpFlags;
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR OperationFlags;
    UCHAR Reserved;
    PFILE_OBJECT TargetFileObject;
    PFLT_INSTANCE TargetInstance;
    FLT_PARAMETERS Parameters;
} FLT_IO_PARAMETER_BLOCK, *PFLT_IO_PARAMETER_BLOCK;

typedef struct _FLT_CALLBACK_DATA {
    ULONG Flags;
    PETHREAD Thread;
    PFLT_IO_PARAMETER_BLOCK Iopb;
    IO_STATUS_BLOCK IoStatus;
    PVOID TagData;
    PVOID FilterContext[4];
    KPROCESSOR_MODE RequestorMode;
} FLT_CALLBACK_DATA, *PFLT_CALLBACK_DATA;

typedef struct _FLT_RELATED_OBJECTS {
    USHORT Size;
    USHORT TransactionContext;
    PFLT_FILTER Filter;
    PFLT_VOLUME Volume;
    PFLT_INSTANCE Instance;
    PFILE_OBJECT FileObject;
    PVOID Transaction;
} FLT_RELATED_OBJECTS, *PFLT_RELATED_OBJECTS;
typedef const FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;

typedef struct _FLT_FILE_NAME_INFORMATION {
    USHORT Size;
    USHORT NamesParsed;
    ULONG Format;
    UNICODE_STRING Name;
    UNICODE_STRING Volume;
    UNICODE_STRING Share;
    UNICODE_STRING Extension;
    UNICODE_STRING Stream;
    UNICODE_STRING FinalComponent;
    UNICODE_STRING ParentDir;
} FLT_FILE_NAME_INFORMATION, *PFLT_FILE_NAME_INFORMATION;

typedef FLT_PREOP_CALLBACK_STATUS(FLTAPI *PFLT_PRE_OPERATION_CALLBACK)(PFLT_CALLBACK_DATA, PCFLT_RELATED_OBJECTS,
                                                                       PVOID *);
typedef FLT_POSTOP_CALLBACK_STATUS(FLTAPI *PFLT_POST_OPERATION_CALLBACK)(PFLT_CALLBACK_DATA, PCFLT_RELATED_OBJECTS,
                                                                         PVOID, ULONG);
typedef VOID(FLTAPI *PFLT_CONTEXT_CLEANUP_CALLBACK)(PFLT_CONTEXT, FLT_CONTEXT_TYPE);
typedef NTSTATUS(FLTAPI *PFLT_FILTER_UNLOAD_CALLBACK)(ULONG);
typedef NTSTATUS(FLTAPI *PFLT_INSTANCE_SETUP_CALLBACK)(PCFLT_RELATED_OBJECTS, ULONG, DEVICE_TYPE, ULONG);
typedef NTSTATUS(FLTAPI *PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK)(PCFLT_RELATED_OBJECTS, ULONG);
typedef VOID(FLTAPI *PFLT_INSTANCE_TEARDOWN_CALLBACK)(PCFLT_RELATED_OBJECTS, ULONG);
typedef NTSTATUS(FLTAPI *PFLT_CONNECT_NOTIFY)(PFLT_PORT, PVOID, PVOID, ULONG, PVOID *);
typedef VOID(FLTAPI *PFLT_DISCONNECT_NOTIFY)(PVOID);
typedef NTSTATUS(FLTAPI *PFLT_MESSAGE_NOTIFY)(PVOID, PVOID, ULONG, PVOID, ULONG, PULONG);

typedef struct _FLT_OPERATION_REGISTRATION {
    UCHAR MajorFunction;
    ULONG Flags;
    PFLT_PRE_OPERATION_CALLBACK PreOperation;
    PFLT_POST_OPERATION_CALLBACK PostOperation;
    PVOID Reserved1;
} FLT_OPERATION_REGISTRATION;

typedef struct _FLT_CONTEXT_REGISTRATION {
    FLT_CONTEXT_TYPE ContextType;
    USHORT Flags;
    PFLT_CONTEXT_CLEANUP_CALLBACK ContextCleanupCallback;
    SIZE_T Size;
    ULONG PoolTag;
    PVOID ContextAllocateCallback;
    PVOID ContextFreeCallback;
    PVOID Reserved1;
} FLT_CONTEXT_REGISTRATION;

typedef struct _FLT_REGISTRATION {
    USHORT Size;
    USHORT Version;
    ULONG Flags;
    const FLT_CONTEXT_REGISTRATION *ContextRegistration;
    const FLT_OPERATION_REGISTRATION *OperationRegistration;
    PFLT_FILTER_UNLOAD_CALLBACK FilterUnloadCallback;
    PFLT_INSTANCE_SETUP_CALLBACK InstanceSetupCallback;
    PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK InstanceQueryTeardownCallback;
    PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownStartCallback;
    PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownCompleteCallback;
    PVOID GenerateFileNameCallback;
    PVOID NormalizeNameComponentCallback;
    PVOID NormalizeContextCleanupCallback;
    PVOID TransactionNotificationCallback;
    PVOID NormalizeNameComponentExCallback;
} FLT_REGISTRATION;

#define P(x86, x64) (sizeof(void *) == 4 ? (x86) : (x64))
_Static_assert(sizeof(FLT_REGISTRATION) == P(56, 104), "FLT_REGISTRATION 0x0202");
_Static_assert(__builtin_offsetof(FLT_REGISTRATION, OperationRegistration) == P(12, 16), "OperationRegistration");
_Static_assert(__builtin_offsetof(FLT_REGISTRATION, InstanceTeardownCompleteCallback) == P(32, 56), "TeardownComplete");
_Static_assert(sizeof(FLT_OPERATION_REGISTRATION) == P(20, 32), "FLT_OPERATION_REGISTRATION");
_Static_assert(sizeof(FLT_CONTEXT_REGISTRATION) == P(28, 56), "FLT_CONTEXT_REGISTRATION");
_Static_assert(__builtin_offsetof(FLT_CALLBACK_DATA, IoStatus) == P(12, 24), "IoStatus");
_Static_assert(__builtin_offsetof(FLT_CALLBACK_DATA, RequestorMode) == P(40, 80), "RequestorMode");
_Static_assert(__builtin_offsetof(FLT_IO_PARAMETER_BLOCK, Parameters) == P(16, 24), "Parameters");
_Static_assert(sizeof(FLT_PARAMETERS) == P(28, 48), "FLT_PARAMETERS");
_Static_assert(__builtin_offsetof(FLT_PARAMETERS, Create.FileAttributes) == P(8, 16), "Create.FileAttributes");
_Static_assert(__builtin_offsetof(FLT_PARAMETERS, Create.AllocationSize) == P(20, 40), "Create.AllocationSize");
_Static_assert(__builtin_offsetof(FLT_PARAMETERS, Write.ByteOffset) == P(8, 16), "Write.ByteOffset");
_Static_assert(__builtin_offsetof(FLT_PARAMETERS, Write.WriteBuffer) == P(16, 24), "Write.WriteBuffer");
_Static_assert(sizeof(FLT_RELATED_OBJECTS) == P(24, 48), "FLT_RELATED_OBJECTS");
_Static_assert(sizeof(FLT_FILE_NAME_INFORMATION) == P(64, 120), "FLT_FILE_NAME_INFORMATION");
#undef P

NTSTATUS FLTAPI FltRegisterFilter(PDRIVER_OBJECT, const FLT_REGISTRATION *, PFLT_FILTER *);
NTSTATUS FLTAPI FltStartFiltering(PFLT_FILTER);
VOID FLTAPI FltUnregisterFilter(PFLT_FILTER);
NTSTATUS FLTAPI FltGetFileNameInformation(PFLT_CALLBACK_DATA, ULONG, PFLT_FILE_NAME_INFORMATION *);
NTSTATUS FLTAPI FltParseFileNameInformation(PFLT_FILE_NAME_INFORMATION);
VOID FLTAPI FltReleaseFileNameInformation(PFLT_FILE_NAME_INFORMATION);
NTSTATUS FLTAPI FltAllocateContext(PFLT_FILTER, FLT_CONTEXT_TYPE, SIZE_T, POOL_TYPE, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltSetStreamContext(PFLT_INSTANCE, PFILE_OBJECT, ULONG, PFLT_CONTEXT, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltGetStreamContext(PFLT_INSTANCE, PFILE_OBJECT, PFLT_CONTEXT *);
VOID FLTAPI FltReleaseContext(PFLT_CONTEXT);
NTSTATUS FLTAPI FltBuildDefaultSecurityDescriptor(PSECURITY_DESCRIPTOR *, ACCESS_MASK);
VOID FLTAPI FltFreeSecurityDescriptor(PSECURITY_DESCRIPTOR);
NTSTATUS FLTAPI FltCreateCommunicationPort(PFLT_FILTER, PFLT_PORT *, POBJECT_ATTRIBUTES, PVOID, PFLT_CONNECT_NOTIFY,
                                           PFLT_DISCONNECT_NOTIFY, PFLT_MESSAGE_NOTIFY, LONG);
VOID FLTAPI FltCloseCommunicationPort(PFLT_PORT);
VOID FLTAPI FltCloseClientPort(PFLT_FILTER, PFLT_PORT *);
NTSTATUS FLTAPI FltSendMessage(PFLT_FILTER, PFLT_PORT *, PVOID, ULONG, PVOID, PULONG, PLARGE_INTEGER);

/* Objects, contexts, callback data, locks, pool and I/O of the filter's own. */
typedef ULONG_PTR EX_PUSH_LOCK, *PEX_PUSH_LOCK;
PVOID FLTAPI FltGetRoutineAddress(PCSTR);
NTSTATUS FLTAPI FltGetTopInstance(PFLT_VOLUME, PFLT_INSTANCE *);
NTSTATUS FLTAPI FltGetFilterFromInstance(PFLT_INSTANCE, PFLT_FILTER *);
NTSTATUS FLTAPI FltGetVolumeFromInstance(PFLT_INSTANCE, PFLT_VOLUME *);
NTSTATUS FLTAPI FltGetVolumeName(PFLT_VOLUME, PUNICODE_STRING, PULONG);
VOID FLTAPI FltObjectDereference(PVOID);
VOID FLTAPI FltReferenceContext(PFLT_CONTEXT);
VOID FLTAPI FltDeleteContext(PFLT_CONTEXT);
NTSTATUS FLTAPI FltSetInstanceContext(PFLT_INSTANCE, ULONG, PFLT_CONTEXT, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltGetInstanceContext(PFLT_INSTANCE, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltSetVolumeContext(PFLT_VOLUME, ULONG, PFLT_CONTEXT, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltGetVolumeContext(PFLT_FILTER, PFLT_VOLUME, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltSetStreamHandleContext(PFLT_INSTANCE, PFILE_OBJECT, ULONG, PFLT_CONTEXT, PFLT_CONTEXT *);
NTSTATUS FLTAPI FltGetStreamHandleContext(PFLT_INSTANCE, PFILE_OBJECT, PFLT_CONTEXT *);
PEPROCESS FLTAPI FltGetRequestorProcess(PFLT_CALLBACK_DATA);
ULONG FLTAPI FltGetRequestorProcessId(PFLT_CALLBACK_DATA);
VOID FLTAPI FltSetCallbackDataDirty(PFLT_CALLBACK_DATA);
VOID FLTAPI FltClearCallbackDataDirty(PFLT_CALLBACK_DATA);
BOOLEAN FLTAPI FltIsCallbackDataDirty(PFLT_CALLBACK_DATA);
PVOID FLTAPI FltAllocatePoolAlignedWithTag(PFLT_INSTANCE, POOL_TYPE, SIZE_T, ULONG);
VOID FLTAPI FltFreePoolAlignedWithTag(PFLT_INSTANCE, PVOID, ULONG);
VOID FLTAPI FltInitializePushLock(PEX_PUSH_LOCK);
VOID FLTAPI FltDeletePushLock(PEX_PUSH_LOCK);
VOID FLTAPI FltAcquirePushLockExclusive(PEX_PUSH_LOCK);
VOID FLTAPI FltAcquirePushLockShared(PEX_PUSH_LOCK);
VOID FLTAPI FltReleasePushLock(PEX_PUSH_LOCK);
VOID FLTAPI FltAcquirePushLockExclusiveEx(PEX_PUSH_LOCK, ULONG);
VOID FLTAPI FltAcquirePushLockSharedEx(PEX_PUSH_LOCK, ULONG);
VOID FLTAPI FltReleasePushLockEx(PEX_PUSH_LOCK, ULONG);
VOID FLTAPI FltAcquireResourceExclusive(PERESOURCE);
VOID FLTAPI FltAcquireResourceShared(PERESOURCE);
VOID FLTAPI FltReleaseResource(PERESOURCE);
VOID FLTAPI FltCancelFileOpen(PFLT_INSTANCE, PFILE_OBJECT);
NTSTATUS FLTAPI FltCreateFileEx2(PFLT_FILTER, PFLT_INSTANCE, PHANDLE, PFILE_OBJECT *, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                 PIO_STATUS_BLOCK, PLARGE_INTEGER, ULONG, ULONG, ULONG, ULONG, PVOID, ULONG, ULONG,
                                 PVOID);
NTSTATUS FLTAPI FltClose(HANDLE);

#endif
