/*
 * jobs - job objects, checked in DriverEntry (a failed check is printed). The scenario starts
 * two processes, PIDs 0x600 and 0x604:
 *   1. ZwCreateJobObject makes \BaseNamedObjects\PortcullisJobs; creating it again is
 *      STATUS_OBJECT_NAME_COLLISION, and with OBJ_OPENIF opens it
 *      (STATUS_OBJECT_NAME_EXISTS); the handle's object is of type *PsJobType;
 *   2. both processes are assigned to it; assigning one again, or the System process, is
 *      STATUS_ACCESS_DENIED; a process handle given as the job is
 *      STATUS_OBJECT_TYPE_MISMATCH;
 *   3. the job is not signaled (a zero wait times out);
 *   4. ZwTerminateJobObject ends both processes with exit status 0xC0DE (the report lists
 *      them); terminating one of them afterwards is STATUS_PROCESS_IS_TERMINATING, and the
 *      job can be terminated again (no process left to end);
 *   prints "jobs: checks %lu failed".
 */
#include <ntifs.h>
#include "corpus.h"

/* Exported by ntoskrnl, not declared by the DDK headers. */
NTSYSAPI NTSTATUS NTAPI ZwCreateJobObject(PHANDLE JobHandle, ACCESS_MASK DesiredAccess,
                                          POBJECT_ATTRIBUTES ObjectAttributes);
NTSYSAPI NTSTATUS NTAPI ZwAssignProcessToJobObject(HANDLE JobHandle, HANDLE ProcessHandle);
NTSYSAPI NTSTATUS NTAPI ZwTerminateJobObject(HANDLE JobHandle, NTSTATUS ExitStatus);
extern NTSYSAPI POBJECT_TYPE PsJobType;

#define JOB_OBJECT_ALL_ACCESS 0x1F003F

static ULONG g_Failed;

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("jobs: %s failed\n", What);
        g_Failed++;
    }
}

static NTSTATUS OpenProcess(ULONG Pid, PHANDLE Handle)
{
    OBJECT_ATTRIBUTES oa;
    CLIENT_ID cid;

    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    cid.UniqueProcess = (HANDLE)(ULONG_PTR)Pid;
    cid.UniqueThread = NULL;
    return ZwOpenProcess(Handle, PROCESS_ALL_ACCESS, &oa, &cid);
}

static NTSTATUS CreateJob(PHANDLE Handle, ULONG Attributes)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;

    RtlInitUnicodeString(&name, L"\\BaseNamedObjects\\PortcullisJobs");
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | Attributes, NULL, NULL);
    return ZwCreateJobObject(Handle, JOB_OBJECT_ALL_ACCESS, &oa);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE job, again, first, second, system;
    PVOID object;
    LARGE_INTEGER zero;
    NTSTATUS status;

    (void)DriverObject;
    (void)RegistryPath;
    status = CreateJob(&job, 0);
    Expect(status == STATUS_SUCCESS, "ZwCreateJobObject");
    if (!NT_SUCCESS(status))
        return status;
    Expect(CreateJob(&again, 0) == STATUS_OBJECT_NAME_COLLISION, "a second job of the name");
    if (CreateJob(&again, OBJ_OPENIF) == STATUS_OBJECT_NAME_EXISTS)
        ZwClose(again);
    else
        Expect(FALSE, "OBJ_OPENIF opens the job");
    status = ObReferenceObjectByHandle(job, 0, CORPUS_OBJECT_TYPE(PsJobType), KernelMode, &object, NULL);
    Expect(status == STATUS_SUCCESS, "the handle is a job's");
    if (NT_SUCCESS(status))
        ObDereferenceObject(object);

    Expect(OpenProcess(0x600, &first) == STATUS_SUCCESS && OpenProcess(0x604, &second) == STATUS_SUCCESS &&
               OpenProcess(4, &system) == STATUS_SUCCESS,
           "open the processes");
    Expect(ZwAssignProcessToJobObject(job, first) == STATUS_SUCCESS, "assign 0x600");
    Expect(ZwAssignProcessToJobObject(job, second) == STATUS_SUCCESS, "assign 0x604");
    Expect(ZwAssignProcessToJobObject(job, first) == STATUS_ACCESS_DENIED, "assign 0x600 again");
    Expect(ZwAssignProcessToJobObject(job, system) == STATUS_ACCESS_DENIED, "assign System");
    Expect(ZwAssignProcessToJobObject(first, second) == STATUS_OBJECT_TYPE_MISMATCH, "a process as the job");

    zero.QuadPart = 0;
    Expect(ZwWaitForSingleObject(job, FALSE, &zero) == STATUS_TIMEOUT, "the job is not signaled");

    Expect(ZwTerminateJobObject(job, (NTSTATUS)0xC0DE) == STATUS_SUCCESS, "ZwTerminateJobObject");
    Expect(ZwTerminateProcess(first, 0) == STATUS_PROCESS_IS_TERMINATING, "0x600 ended");
    Expect(ZwTerminateJobObject(job, (NTSTATUS)0xC0DE) == STATUS_SUCCESS, "ZwTerminateJobObject again");

    ZwClose(first);
    ZwClose(second);
    ZwClose(system);
    ZwClose(job);
    DbgPrint("jobs: checks %lu failed\n", g_Failed);
    return STATUS_SUCCESS;
}
