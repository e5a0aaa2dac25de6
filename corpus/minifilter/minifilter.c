/*
 * minifilter - a Filter Manager minifilter on the C: volume: it refuses to open files named
 * secret.txt, logs every write, counts what it saw in a stream context per file, and answers
 * a user program through a communication port.
 *
 * DriverEntry registers the filter (FLT_REGISTRATION version 0x0202) with callbacks for
 * IRP_MJ_CREATE, READ, WRITE, CLEANUP and CLOSE and a stream context, creates the port
 * \MiniPort (default security descriptor: SYSTEM and Administrators; one connection) and
 * starts filtering; InstanceSetup accepts the volume.
 *  - PreCreate: the file name (FltGetFileNameInformation, parsed); a final component of
 *    "secret.txt" (any case) completes the open with STATUS_ACCESS_DENIED (FLT_PREOP_COMPLETE).
 *  - PostCreate: an open that succeeded gets a stream context (kept if one exists).
 *  - PreWrite: prints "minifilter: write <n> bytes at <offset> to <name>" and counts the
 *    write in the file's stream context (FLT_PREOP_SUCCESS_NO_CALLBACK).
 *  - PostRead counts the bytes read; PreCleanup and PostClose count.
 *  - Connect: the program's context is printed; the filter sends it "hello" (FltSendMessage,
 *    no reply) and a question whose 2-byte reply it prints.
 *  - Message: in (1 byte) 1: out (20 bytes) opens refused, writes, bytes read, cleanups,
 *    closes (ULONGs); 3: out (8 bytes) checks made, checks failed.
 *  - Disconnect closes the client port; FilterUnload closes the server port and unregisters;
 *    the stream context's cleanup routine prints how many writes its file had.
 *
 * Each of the following is a check counted in Checks (Failed counts those that did not hold,
 * each printed); message 3 answers the two counts.
 *  - After FltStartFiltering (SelfTest): FltGetRoutineAddress finds FltGetTopInstance (and
 *    nothing for an unknown name); the top instance, the instance's filter and volume are this
 *    filter's (FltGetTopInstance, FltGetFilterFromInstance, FltGetVolumeFromInstance,
 *    dereferenced with FltObjectDereference); FltGetVolumeName tells the size it needs, then
 *    the name; an instance context is set once (a second KEEP_IF_EXISTS gives the first back,
 *    STATUS_FLT_CONTEXT_ALREADY_DEFINED), found again, kept alive by FltReferenceContext after
 *    FltDeleteContext took it off the instance and freed (cleanup routine) only at the last
 *    FltReleaseContext; REPLACE_IF_EXISTS hands back the replaced one; a volume context is
 *    found again through the filter; FltAllocatePoolAlignedWithTag gives sector-aligned
 *    memory; push locks (plain and Ex) and resources are held as asked inside a critical
 *    region (KeAreApcsDisabled) and released; FltCreateFileEx2 below the instance creates
 *    C:\data\made.txt (FILE_CREATED, a file object) without this filter's PreCreate seeing it.
 *  - PostCreate gives each opened file object a stream handle context holding the requestor
 *    (FltGetRequestorProcess/Id); PreWrite finds it again and checks the requestor is the
 *    process and thread doing the write; FltSet/Clear/IsCallbackDataDirty on the write.
 *  - PostCreate of cancel.txt calls FltCancelFileOpen: the open fails with
 *    STATUS_SHARING_VIOLATION, and this filter sees no cleanup or close for it.
 */
#include "corpus.h"
#include "fltmin.h"

static PFLT_FILTER Filter;
static PFLT_PORT ServerPort;
static PFLT_PORT ClientPort;
static ULONG Refused, Writes, BytesRead, Cleanups, Closes;
static PFLT_INSTANCE Instance;
static PFLT_VOLUME Volume;
static ULONG Checks, Failed, Creates, InstanceFreed, LastFreedMagic;
static ERESOURCE Resource;

typedef struct {
    ULONG Writes;
} STREAM_STATE;

typedef struct {
    ULONG Magic;
} INSTANCE_STATE;

typedef struct {
    PEPROCESS Process;
    ULONG ProcessId;
    PETHREAD Thread;
} HANDLE_STATE;

#define CHECK(cond) Check((cond), #cond)

static void Check(BOOLEAN ok, const char *what)
{
    Checks++;
    if (!ok) {
        Failed++;
        DbgPrint("minifilter: check failed: %s\n", what);
    }
}

static BOOLEAN IsNamed(PCUNICODE_STRING name, PCWSTR wanted)
{
    UNICODE_STRING w;
    RtlInitUnicodeString(&w, wanted);
    return RtlEqualUnicodeString(name, &w, TRUE);
}

static BOOLEAN IsSecret(PCUNICODE_STRING name)
{
    UNICODE_STRING secret = RTL_CONSTANT_STRING(L"secret.txt");
    return RtlEqualUnicodeString(name, &secret, TRUE);
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI PreCreate(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                  PVOID *context)
{
    PFLT_FILE_NAME_INFORMATION info;
    BOOLEAN secret = FALSE;
    (void)objects;
    *context = NULL;
    Creates++;
    if (NT_SUCCESS(FltGetFileNameInformation(data, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &info))) {
        if (NT_SUCCESS(FltParseFileNameInformation(info))) {
            secret = IsSecret(&info->FinalComponent);
        }
        if (secret) {
            DbgPrint("minifilter: refused %wZ\n", &info->Name);
        }
        FltReleaseFileNameInformation(info);
    }
    if (secret) {
        Refused++;
        data->IoStatus.Status = STATUS_ACCESS_DENIED;
        data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI PostCreate(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                    PVOID context, ULONG flags)
{
    STREAM_STATE *state;
    HANDLE_STATE *handle;
    PFLT_FILE_NAME_INFORMATION info;
    BOOLEAN cancel = FALSE;
    (void)context;
    (void)flags;
    if (!NT_SUCCESS(data->IoStatus.Status)) {
        return FLT_POSTOP_FINISHED_PROCESSING;
    }
    if (NT_SUCCESS(FltGetFileNameInformation(data, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &info))) {
        if (NT_SUCCESS(FltParseFileNameInformation(info))) {
            cancel = IsNamed(&info->FinalComponent, L"cancel.txt");
        }
        FltReleaseFileNameInformation(info);
    }
    if (cancel) {
        /* The file system opened it; this filter undoes the open. */
        DbgPrint("minifilter: cancelling the open of cancel.txt\n");
        FltCancelFileOpen(objects->Instance, objects->FileObject);
        data->IoStatus.Status = STATUS_SHARING_VIOLATION;
        data->IoStatus.Information = 0;
        return FLT_POSTOP_FINISHED_PROCESSING;
    }
    if (NT_SUCCESS(FltAllocateContext(objects->Filter, FLT_STREAMHANDLE_CONTEXT, sizeof(HANDLE_STATE), NonPagedPool,
                                      (PFLT_CONTEXT *)&handle))) {
        handle->Process = FltGetRequestorProcess(data);
        handle->ProcessId = FltGetRequestorProcessId(data);
        handle->Thread = data->Thread;
        CHECK(FltSetStreamHandleContext(objects->Instance, objects->FileObject, FLT_SET_CONTEXT_KEEP_IF_EXISTS, handle,
                                        NULL) == STATUS_SUCCESS);
        FltReleaseContext(handle);
    }
    if (NT_SUCCESS(FltAllocateContext(objects->Filter, FLT_STREAM_CONTEXT, sizeof(STREAM_STATE), NonPagedPool,
                                      (PFLT_CONTEXT *)&state))) {
        state->Writes = 0;
        /* Kept if the file already has one: the other opens share it. */
        FltSetStreamContext(objects->Instance, objects->FileObject, FLT_SET_CONTEXT_KEEP_IF_EXISTS, state, NULL);
        FltReleaseContext(state);
    }
    return FLT_POSTOP_FINISHED_PROCESSING;
}

/* The requestor of a write is the process and thread doing it, as its open's was; the
 * callback data's dirty flag sets, reads back and clears. */
static void RequestorChecks(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects)
{
    HANDLE_STATE *handle = NULL;
    PEPROCESS process = FltGetRequestorProcess(data);
    ULONG pid = FltGetRequestorProcessId(data);
    DbgPrint("minifilter: write requested by process %lu\n", pid);
    CHECK(process == PsGetCurrentProcess());
    CHECK(process != NULL && pid == (ULONG)(ULONG_PTR)PsGetProcessId(process));
    CHECK(pid == (ULONG)(ULONG_PTR)PsGetCurrentProcessId());
    CHECK(data->Thread == PsGetCurrentThread());
    CHECK(FltGetStreamHandleContext(objects->Instance, objects->FileObject, (PFLT_CONTEXT *)&handle) ==
          STATUS_SUCCESS);
    if (handle != NULL) {
        CHECK(handle->Process == process && handle->ProcessId == pid && handle->Thread == data->Thread);
        FltReleaseContext(handle);
    }
    CHECK(!FltIsCallbackDataDirty(data));
    FltSetCallbackDataDirty(data);
    CHECK(FltIsCallbackDataDirty(data));
    FltClearCallbackDataDirty(data);
    CHECK(!FltIsCallbackDataDirty(data));
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI PreWrite(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                 PVOID *context)
{
    PFLT_FILE_NAME_INFORMATION info;
    STREAM_STATE *state;
    *context = NULL;
    Writes++;
    if (NT_SUCCESS(FltGetFileNameInformation(data, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &info))) {
        DbgPrint("minifilter: write %lu bytes at %lu to %wZ\n", data->Iopb->Parameters.Write.Length,
                 (ULONG)data->Iopb->Parameters.Write.ByteOffset.QuadPart, &info->Name);
        FltReleaseFileNameInformation(info);
    }
    if (NT_SUCCESS(FltGetStreamContext(objects->Instance, objects->FileObject, (PFLT_CONTEXT *)&state))) {
        state->Writes++;
        FltReleaseContext(state);
    }
    RequestorChecks(data, objects);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI PreRead(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                PVOID *context)
{
    (void)data;
    (void)objects;
    *context = NULL;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI PostRead(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                  PVOID context, ULONG flags)
{
    (void)objects;
    (void)context;
    (void)flags;
    if (NT_SUCCESS(data->IoStatus.Status)) {
        BytesRead += (ULONG)data->IoStatus.Information;
    }
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI PreCleanup(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                   PVOID *context)
{
    (void)data;
    (void)objects;
    *context = NULL;
    Cleanups++;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI PostClose(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objects,
                                                   PVOID context, ULONG flags)
{
    (void)data;
    (void)objects;
    (void)context;
    (void)flags;
    Closes++;
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static VOID FLTAPI StreamCleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type)
{
    (void)type;
    DbgPrint("minifilter: stream context freed after %lu writes\n", ((STREAM_STATE *)context)->Writes);
}

static VOID FLTAPI InstanceCleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type)
{
    (void)type;
    InstanceFreed++;
    LastFreedMagic = ((INSTANCE_STATE *)context)->Magic;
    DbgPrint("minifilter: instance context %lx freed\n", LastFreedMagic);
}

static VOID FLTAPI VolumeCleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type)
{
    (void)type;
    DbgPrint("minifilter: volume context %lx freed\n", ((INSTANCE_STATE *)context)->Magic);
}

static NTSTATUS FLTAPI InstanceSetup(PCFLT_RELATED_OBJECTS objects, ULONG flags, DEVICE_TYPE type, ULONG fs)
{
    Instance = objects->Instance;
    Volume = objects->Volume;
    DbgPrint("minifilter: instance setup flags %lu device type %lu file system %lu\n", flags, (ULONG)type, fs);
    return STATUS_SUCCESS;
}

static VOID FLTAPI TeardownComplete(PCFLT_RELATED_OBJECTS objects, ULONG reason)
{
    (void)objects;
    DbgPrint("minifilter: instance torn down, reason %lu\n", reason);
}

static NTSTATUS FLTAPI Connect(PFLT_PORT client, PVOID server_cookie, PVOID context, ULONG size, PVOID *cookie)
{
    char hello[] = "hello";
    char question[] = "ready?";
    char answer[8] = {0};
    ULONG answer_len = sizeof(answer);
    NTSTATUS status;
    (void)server_cookie;
    ClientPort = client;
    *cookie = (PVOID)(ULONG_PTR)0xC0C0;
    DbgPrint("minifilter: connected with %lu bytes of context, first %02x\n", size,
             size ? ((UCHAR *)context)[0] : 0);
    FltSendMessage(Filter, &ClientPort, hello, 5, NULL, NULL, NULL);
    status = FltSendMessage(Filter, &ClientPort, question, 6, answer, &answer_len, NULL);
    DbgPrint("minifilter: the program answered %08lx, %lu bytes: %02x %02x\n", status, answer_len,
             (UCHAR)answer[0], (UCHAR)answer[1]);
    return STATUS_SUCCESS;
}

static VOID FLTAPI Disconnect(PVOID cookie)
{
    DbgPrint("minifilter: disconnected (cookie %lx)\n", (ULONG)(ULONG_PTR)cookie);
    FltCloseClientPort(Filter, &ClientPort);
}

static NTSTATUS FLTAPI Message(PVOID cookie, PVOID in, ULONG in_len, PVOID out, ULONG out_len, PULONG returned)
{
    ULONG counts[5];
    (void)cookie;
    *returned = 0;
    if (in_len < 1 || (((UCHAR *)in)[0] != 1 && ((UCHAR *)in)[0] != 3)) {
        return STATUS_INVALID_PARAMETER;
    }
    if (((UCHAR *)in)[0] == 3) {
        if (out_len < 2 * sizeof(ULONG)) {
            return STATUS_BUFFER_TOO_SMALL;
        }
        ((ULONG *)out)[0] = Checks;
        ((ULONG *)out)[1] = Failed;
        *returned = 2 * sizeof(ULONG);
        return STATUS_SUCCESS;
    }
    if (out_len < sizeof(counts)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    counts[0] = Refused;
    counts[1] = Writes;
    counts[2] = BytesRead;
    counts[3] = Cleanups;
    counts[4] = Closes;
    RtlCopyMemory(out, counts, sizeof(counts));
    *returned = sizeof(counts);
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI Unload(ULONG flags)
{
    DbgPrint("minifilter: unload (flags %lu)\n", flags);
    FltCloseCommunicationPort(ServerPort);
    FltUnregisterFilter(Filter);
    return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION Operations[] = {
    {IRP_MJ_CREATE, 0, PreCreate, PostCreate, NULL},
    {IRP_MJ_READ, 0, PreRead, PostRead, NULL},
    {IRP_MJ_WRITE, 0, PreWrite, NULL, NULL},
    {IRP_MJ_CLEANUP, 0, PreCleanup, NULL, NULL},
    {IRP_MJ_CLOSE, 0, NULL, PostClose, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

static const FLT_CONTEXT_REGISTRATION Contexts[] = {
    {FLT_STREAM_CONTEXT, 0, StreamCleanup, sizeof(STREAM_STATE), 'tSiM', NULL, NULL, NULL},
    {FLT_STREAMHANDLE_CONTEXT, 0, NULL, sizeof(HANDLE_STATE), 'hSiM', NULL, NULL, NULL},
    {FLT_INSTANCE_CONTEXT, 0, InstanceCleanup, sizeof(INSTANCE_STATE), 'iSiM', NULL, NULL, NULL},
    {FLT_VOLUME_CONTEXT, 0, VolumeCleanup, sizeof(INSTANCE_STATE), 'vSiM', NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const FLT_REGISTRATION Registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, Contexts, Operations, Unload, InstanceSetup, NULL, NULL,
    TeardownComplete, NULL, NULL, NULL, NULL, NULL,
};

typedef NTSTATUS(FLTAPI *GET_TOP_INSTANCE)(PFLT_VOLUME, PFLT_INSTANCE *);

static INSTANCE_STATE *NewInstanceContext(FLT_CONTEXT_TYPE type, ULONG magic)
{
    INSTANCE_STATE *c = NULL;
    CHECK(FltAllocateContext(Filter, type, sizeof(INSTANCE_STATE), NonPagedPool, (PFLT_CONTEXT *)&c) == STATUS_SUCCESS);
    if (c != NULL) {
        c->Magic = magic;
    }
    return c;
}

/* The objects: routine lookup, the top instance, the instance's filter and volume, the
 * volume's name. */
static void ObjectChecks(void)
{
    GET_TOP_INSTANCE get_top = (GET_TOP_INSTANCE)FltGetRoutineAddress("FltGetTopInstance");
    PFLT_INSTANCE top = NULL;
    PFLT_FILTER filter = NULL;
    PFLT_VOLUME volume = NULL;
    WCHAR buffer[64];
    UNICODE_STRING name = {0, 4, buffer};
    ULONG needed = 0;
    CHECK(FltGetRoutineAddress("FltNoSuchRoutine") == NULL);
    CHECK(get_top != NULL);
    if (get_top != NULL) {
        CHECK(get_top(Volume, &top) == STATUS_SUCCESS && top == Instance);
        FltObjectDereference(top);
    }
    top = NULL;
    CHECK(FltGetTopInstance(Volume, &top) == STATUS_SUCCESS && top == Instance);
    FltObjectDereference(top);
    CHECK(FltGetFilterFromInstance(Instance, &filter) == STATUS_SUCCESS && filter == Filter);
    FltObjectDereference(filter);
    CHECK(FltGetVolumeFromInstance(Instance, &volume) == STATUS_SUCCESS && volume == Volume);
    FltObjectDereference(volume);
    CHECK(FltGetVolumeName(Volume, NULL, &needed) == STATUS_BUFFER_TOO_SMALL && needed > 4);
    CHECK(FltGetVolumeName(Volume, &name, NULL) == STATUS_BUFFER_TOO_SMALL);
    name.MaximumLength = sizeof(buffer);
    CHECK(FltGetVolumeName(Volume, &name, &needed) == STATUS_SUCCESS && name.Length == needed);
    DbgPrint("minifilter: the volume is %wZ (%lu bytes)\n", &name, needed);
}

/* Instance and volume contexts: found again, and freed at the last reference. */
static void ContextChecks(void)
{
    INSTANCE_STATE *first = NewInstanceContext(FLT_INSTANCE_CONTEXT, 0x1111);
    INSTANCE_STATE *second = NewInstanceContext(FLT_INSTANCE_CONTEXT, 0x2222);
    INSTANCE_STATE *old = NULL, *got = NULL, *volume_context;
    if (first == NULL || second == NULL) {
        return;
    }
    CHECK(FltSetInstanceContext(Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, first, NULL) == STATUS_SUCCESS);
    CHECK(FltSetInstanceContext(Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, second, (PFLT_CONTEXT *)&old) ==
          STATUS_FLT_CONTEXT_ALREADY_DEFINED);
    CHECK(old == first);
    if (old != NULL) {
        FltReleaseContext(old);
    }
    FltReleaseContext(second); /* never attached: its only reference */
    CHECK(InstanceFreed == 1 && LastFreedMagic == 0x2222);
    CHECK(FltGetInstanceContext(Instance, (PFLT_CONTEXT *)&got) == STATUS_SUCCESS && got == first);
    /* first: the allocation's, the instance's and the Get's references, and one more. */
    FltReferenceContext(first);
    FltDeleteContext(first);
    got = (INSTANCE_STATE *)1;
    CHECK(FltGetInstanceContext(Instance, (PFLT_CONTEXT *)&got) == STATUS_NOT_FOUND && got == NULL);
    FltReleaseContext(first);
    FltReleaseContext(first);
    CHECK(InstanceFreed == 1 && first->Magic == 0x1111);
    FltReleaseContext(first);
    CHECK(InstanceFreed == 2 && LastFreedMagic == 0x1111);

    /* REPLACE_IF_EXISTS: the replaced context comes back with the instance's reference. */
    first = NewInstanceContext(FLT_INSTANCE_CONTEXT, 0x3333);
    second = NewInstanceContext(FLT_INSTANCE_CONTEXT, 0x4444);
    if (first == NULL || second == NULL) {
        return;
    }
    old = (INSTANCE_STATE *)1;
    CHECK(FltSetInstanceContext(Instance, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, first, (PFLT_CONTEXT *)&old) ==
          STATUS_SUCCESS && old == NULL);
    FltReleaseContext(first);
    CHECK(FltSetInstanceContext(Instance, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, second, (PFLT_CONTEXT *)&old) ==
          STATUS_SUCCESS && old == first);
    FltReleaseContext(second);
    CHECK(InstanceFreed == 2);
    if (old == first) {
        FltReleaseContext(old);
    }
    CHECK(InstanceFreed == 3 && LastFreedMagic == 0x3333);
    /* second stays on the instance until it is torn down. */

    volume_context = NewInstanceContext(FLT_VOLUME_CONTEXT, 0x5555);
    if (volume_context == NULL) {
        return;
    }
    CHECK(FltSetVolumeContext(Volume, FLT_SET_CONTEXT_KEEP_IF_EXISTS, volume_context, NULL) == STATUS_SUCCESS);
    FltReleaseContext(volume_context);
    got = NULL;
    CHECK(FltGetVolumeContext(Filter, Volume, (PFLT_CONTEXT *)&got) == STATUS_SUCCESS && got == volume_context);
    if (got != NULL) {
        FltReleaseContext(got);
    }
}

/* Aligned pool, push locks and resources. */
static void LockChecks(void)
{
    EX_PUSH_LOCK lock = 5;
    PUCHAR p = FltAllocatePoolAlignedWithTag(Instance, NonPagedPool, 1000, 'pSiM');
    CHECK(p != NULL && ((ULONG_PTR)p & 511) == 0);
    if (p != NULL) {
        RtlFillMemory(p, 1000, 0xA5);
        FltFreePoolAlignedWithTag(Instance, p, 'pSiM');
    }

    FltInitializePushLock(&lock);
    CHECK(lock == 0 && !KeAreApcsDisabled());
    FltAcquirePushLockExclusive(&lock);
    CHECK(lock == 1 && KeAreApcsDisabled());
    FltReleasePushLock(&lock);
    CHECK(lock == 0 && !KeAreApcsDisabled());
    FltAcquirePushLockShared(&lock);
    CHECK(lock == 0x11 && KeAreApcsDisabled());
    FltReleasePushLock(&lock);
    CHECK(lock == 0 && !KeAreApcsDisabled());
    FltAcquirePushLockExclusiveEx(&lock, 0);
    CHECK(lock == 1 && KeAreApcsDisabled());
    FltReleasePushLockEx(&lock, 0);
    FltAcquirePushLockSharedEx(&lock, 0);
    CHECK(lock == 0x11 && KeAreApcsDisabled());
    FltReleasePushLockEx(&lock, 0);
    CHECK(lock == 0 && !KeAreApcsDisabled());
    FltDeletePushLock(&lock);

    CHECK(ExInitializeResourceLite(&Resource) == STATUS_SUCCESS);
    FltAcquireResourceExclusive(&Resource);
    CHECK(ExIsResourceAcquiredExclusiveLite(&Resource) && KeAreApcsDisabled());
    FltReleaseResource(&Resource);
    CHECK(!ExIsResourceAcquiredExclusiveLite(&Resource) && !KeAreApcsDisabled());
    FltAcquireResourceShared(&Resource);
    CHECK(ExIsResourceAcquiredSharedLite(&Resource) == 1 && !ExIsResourceAcquiredExclusiveLite(&Resource) &&
          KeAreApcsDisabled());
    FltReleaseResource(&Resource);
    CHECK(ExIsResourceAcquiredSharedLite(&Resource) == 0 && !KeAreApcsDisabled());
    ExDeleteResourceLite(&Resource);
}

/* A file of the filter's own, created below its instance. */
static void CreateChecks(void)
{
    UNICODE_STRING path = RTL_CONSTANT_STRING(L"\\??\\C:\\data\\made.txt");
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb;
    HANDLE handle = NULL;
    PFILE_OBJECT fo = NULL;
    ULONG creates = Creates;
    InitializeObjectAttributes(&attributes, &path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    CHECK(FltCreateFileEx2(Filter, Instance, &handle, &fo, GENERIC_WRITE | SYNCHRONIZE, &attributes, &iosb, NULL,
                           FILE_ATTRIBUTE_NORMAL, 0, FILE_CREATE, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, 0,
                           NULL) == STATUS_SUCCESS);
    CHECK(iosb.Status == STATUS_SUCCESS && iosb.Information == FILE_CREATED && fo != NULL && handle != NULL);
    CHECK(Creates == creates);
    if (fo != NULL) {
        ObDereferenceObject(fo);
    }
    if (handle != NULL) {
        CHECK(FltClose(handle) == STATUS_SUCCESS);
    }
    /* A second FILE_CREATE finds it there. */
    handle = NULL;
    CHECK(FltCreateFileEx2(Filter, Instance, &handle, NULL, GENERIC_READ | SYNCHRONIZE, &attributes, &iosb, NULL,
                           FILE_ATTRIBUTE_NORMAL, 0, FILE_CREATE, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, 0,
                           NULL) == STATUS_OBJECT_NAME_COLLISION);
}

static void SelfTest(void)
{
    ObjectChecks();
    ContextChecks();
    LockChecks();
    CreateChecks();
    DbgPrint("minifilter: %lu checks, %lu failed\n", Checks, Failed);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\MiniPort");
    OBJECT_ATTRIBUTES attributes;
    PSECURITY_DESCRIPTOR sd;
    NTSTATUS status;
    (void)registry;
    status = FltRegisterFilter(driver, &Registration, &Filter);
    if (!NT_SUCCESS(status)) {
        DbgPrint("minifilter: FltRegisterFilter failed %08lx\n", status);
        return status;
    }
    status = FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS);
    if (NT_SUCCESS(status)) {
        InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, sd);
        status = FltCreateCommunicationPort(Filter, &ServerPort, &attributes, NULL, Connect, Disconnect, Message, 1);
        FltFreeSecurityDescriptor(sd);
    }
    if (NT_SUCCESS(status)) {
        status = FltStartFiltering(Filter);
        if (!NT_SUCCESS(status)) {
            FltCloseCommunicationPort(ServerPort);
        } else {
            SelfTest();
        }
    }
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(Filter);
    }
    return status;
}
