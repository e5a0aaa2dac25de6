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
 *    closes (ULONGs).
 *  - Disconnect closes the client port; FilterUnload closes the server port and unregisters;
 *    the stream context's cleanup routine prints how many writes its file had.
 */
#include "corpus.h"
#include "fltmin.h"

static PFLT_FILTER Filter;
static PFLT_PORT ServerPort;
static PFLT_PORT ClientPort;
static ULONG Refused, Writes, BytesRead, Cleanups, Closes;

typedef struct {
    ULONG Writes;
} STREAM_STATE;

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
    (void)context;
    (void)flags;
    if (!NT_SUCCESS(data->IoStatus.Status)) {
        return FLT_POSTOP_FINISHED_PROCESSING;
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

static NTSTATUS FLTAPI InstanceSetup(PCFLT_RELATED_OBJECTS objects, ULONG flags, DEVICE_TYPE type, ULONG fs)
{
    (void)objects;
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
    if (in_len < 1 || ((UCHAR *)in)[0] != 1) {
        return STATUS_INVALID_PARAMETER;
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
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const FLT_REGISTRATION Registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, Contexts, Operations, Unload, InstanceSetup, NULL, NULL,
    TeardownComplete, NULL, NULL, NULL, NULL, NULL,
};

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
        }
    }
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(Filter);
    }
    return status;
}
