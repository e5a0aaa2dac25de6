/*
 * stubbed - calls real ntoskrnl exports the Portcullis kernel does not
 * implement (cache manager and file-system runtime routines a driver like
 * this has no business calling), to show what their stubs do under
 * --missing-imports stub: each pops exactly its arguments on x86 and fails
 * the way its return type allows (NULL, FALSE, 0, STATUS_NOT_IMPLEMENTED).
 *
 * On x86 every call is made the way code built with Microsoft's compiler
 * makes it: arguments pushed, nothing rebalanced after the call (gcc would
 * otherwise restore the stack itself, hiding a stub that pops the wrong
 * number of bytes). The stack pointer is compared before and after.
 *
 * Device \Device\Stubbed, symbolic link \DosDevices\Stubbed.
 * DriverEntry calls, in order, and prints one line per call
 * "stubbed: NAME -> VALUE, stack skew N":
 *   CcGetFileObjectFromSectionPtrs(&sop)                     -> NULL
 *   CcGetFlushedValidData(&sop, TRUE)                        -> 0 (64-bit)
 *   CcSetDirtyPageThreshold(NULL, 5)                         (VOID)
 *   FsRtlBalanceReads(NULL)                                  -> STATUS_NOT_IMPLEMENTED
 *   FsRtlIsTotalDeviceFailure(STATUS_DISK_CORRUPT_ERROR)     -> FALSE
 *   FsRtlNotifyVolumeEvent(NULL, FSRTL_VOLUME_LOCK)          -> STATUS_NOT_IMPLEMENTED
 *   FsRtlNumberOfRunsInLargeMcb(&mcb)                        -> 0
 *   IoGetDeviceToVerify(NULL)                                -> NULL
 * and reads the variable IoReadOperationCount (a data import the kernel
 * lacks, bound to a zeroed stand-in) -> 0,
 * then "stubbed: N mismatches" and returns STATUS_SUCCESS when every value
 * and every stack pointer is as expected, STATUS_UNSUCCESSFUL otherwise.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 VERIFY     METHOD_BUFFERED     code 0x80002000
 *     in: ignored; out: ignored.
 *     Asks IoGetDeviceToVerify(NULL) for the device to verify and reads its
 *     Flags: with the stub's NULL that read faults (#PF near address 0), the
 *     fault a driver trusting a stubbed routine would meet.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#define IOCTL_VERIFY CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define FSRTL_VOLUME_LOCK 2

/* Declared here: ntifs.h routines, with PVOID for structures this driver
 * never looks into (the x86 decorations depend on sizes only). */
NTKERNELAPI PFILE_OBJECT NTAPI CcGetFileObjectFromSectionPtrs(PSECTION_OBJECT_POINTERS SectionObjectPointer);
NTKERNELAPI LARGE_INTEGER NTAPI CcGetFlushedValidData(PSECTION_OBJECT_POINTERS SectionObjectPointer,
                                                      BOOLEAN BcbListHeld);
NTKERNELAPI VOID NTAPI CcSetDirtyPageThreshold(PFILE_OBJECT FileObject, ULONG DirtyPageThreshold);
NTKERNELAPI NTSTATUS NTAPI FsRtlBalanceReads(PDEVICE_OBJECT TargetDevice);
NTKERNELAPI BOOLEAN NTAPI FsRtlIsTotalDeviceFailure(NTSTATUS Status);
NTKERNELAPI NTSTATUS NTAPI FsRtlNotifyVolumeEvent(PFILE_OBJECT FileObject, ULONG EventCode);
NTKERNELAPI ULONG NTAPI FsRtlNumberOfRunsInLargeMcb(PVOID Mcb);
NTKERNELAPI PDEVICE_OBJECT NTAPI IoGetDeviceToVerify(PETHREAD Thread);
NTKERNELAPI ULONG IoReadOperationCount;

static PDEVICE_OBJECT g_Device;
static ULONG g_Mismatches;

#if defined(__i386__)
/* Calls a stdcall routine with one or two pointer-sized arguments as MSVC code
 * does. Returns EAX; *High receives EDX; *Skew the bytes ESP ended away from
 * where it was before the pushes (0 when the callee popped exactly its
 * arguments). ESP is put back whatever happened, so a wrong stub cannot crash
 * this driver before it reports. */
static ULONG_PTR StdCall(PVOID Routine, int Args, ULONG_PTR A, ULONG_PTR B, ULONG_PTR *High, LONG *Skew)
{
    ULONG_PTR eax, before, after, ecx = A, edx = B;

    if (Args == 1) {
        __asm__ volatile("movl %%esp, %[before]\n\t"
                         "pushl %[a]\n\t"
                         "calll *%[fn]\n\t"
                         "movl %%esp, %[after]\n\t"
                         "movl %[before], %%esp"
                         : "=a"(eax), [before] "=&S"(before), [after] "=&D"(after), [a] "+c"(ecx), "+d"(edx)
                         : [fn] "b"(Routine)
                         : "memory", "cc");
    } else {
        __asm__ volatile("movl %%esp, %[before]\n\t"
                         "pushl %[b]\n\t"
                         "pushl %[a]\n\t"
                         "calll *%[fn]\n\t"
                         "movl %%esp, %[after]\n\t"
                         "movl %[before], %%esp"
                         : "=a"(eax), [before] "=&S"(before), [after] "=&D"(after), [a] "+c"(ecx), [b] "+d"(edx)
                         : [fn] "b"(Routine)
                         : "memory", "cc");
    }
    *High = edx;
    *Skew = (LONG)(before - after);
    return eax;
}
#define CALL1(f, a) StdCall((PVOID)(f), 1, (ULONG_PTR)(a), 0, &high, &skew)
#define CALL2(f, a, b) StdCall((PVOID)(f), 2, (ULONG_PTR)(a), (ULONG_PTR)(b), &high, &skew)
#endif

/* Prints one result and counts it as a mismatch unless it is what the stub
 * should answer and the stack came back balanced. */
static VOID Check(const char *Name, ULONG64 Value, ULONG64 Expected, LONG Skew)
{
    DbgPrint("stubbed: %s -> %I64x, stack skew %d\n", Name, Value, Skew);
    if (Value != Expected || Skew != 0)
        g_Mismatches++;
}

static VOID CallStubs(VOID)
{
    SECTION_OBJECT_POINTERS sop;
    ULONG mcb[16];
    ULONG_PTR v;
    LONG skew = 0;

    RtlZeroMemory(&sop, sizeof(sop));
    RtlZeroMemory(mcb, sizeof(mcb));
#if defined(__i386__)
    {
        ULONG_PTR high = 0;

        v = CALL1(CcGetFileObjectFromSectionPtrs, &sop);
        Check("CcGetFileObjectFromSectionPtrs", v, 0, skew);
        v = CALL2(CcGetFlushedValidData, &sop, TRUE);
        Check("CcGetFlushedValidData", ((ULONG64)high << 32) | v, 0, skew);
        CALL2(CcSetDirtyPageThreshold, NULL, 5);
        Check("CcSetDirtyPageThreshold", 0, 0, skew);
        v = CALL1(FsRtlBalanceReads, NULL);
        Check("FsRtlBalanceReads", v, (ULONG)STATUS_NOT_IMPLEMENTED, skew);
        v = CALL1(FsRtlIsTotalDeviceFailure, STATUS_DISK_CORRUPT_ERROR);
        Check("FsRtlIsTotalDeviceFailure", (UCHAR)v, FALSE, skew);
        v = CALL2(FsRtlNotifyVolumeEvent, NULL, FSRTL_VOLUME_LOCK);
        Check("FsRtlNotifyVolumeEvent", v, (ULONG)STATUS_NOT_IMPLEMENTED, skew);
        v = CALL1(FsRtlNumberOfRunsInLargeMcb, mcb);
        Check("FsRtlNumberOfRunsInLargeMcb", v, 0, skew);
        v = CALL1(IoGetDeviceToVerify, NULL);
        Check("IoGetDeviceToVerify", v, 0, skew);
    }
#else
    v = (ULONG_PTR)CcGetFileObjectFromSectionPtrs(&sop);
    Check("CcGetFileObjectFromSectionPtrs", v, 0, skew);
    Check("CcGetFlushedValidData", (ULONG64)CcGetFlushedValidData(&sop, TRUE).QuadPart, 0, skew);
    CcSetDirtyPageThreshold(NULL, 5);
    Check("CcSetDirtyPageThreshold", 0, 0, skew);
    Check("FsRtlBalanceReads", (ULONG)FsRtlBalanceReads(NULL), (ULONG)STATUS_NOT_IMPLEMENTED, skew);
    Check("FsRtlIsTotalDeviceFailure", FsRtlIsTotalDeviceFailure(STATUS_DISK_CORRUPT_ERROR), FALSE, skew);
    Check("FsRtlNotifyVolumeEvent", (ULONG)FsRtlNotifyVolumeEvent(NULL, FSRTL_VOLUME_LOCK),
          (ULONG)STATUS_NOT_IMPLEMENTED, skew);
    Check("FsRtlNumberOfRunsInLargeMcb", FsRtlNumberOfRunsInLargeMcb(mcb), 0, skew);
    Check("IoGetDeviceToVerify", (ULONG_PTR)IoGetDeviceToVerify(NULL), 0, skew);
#endif
    Check("IoReadOperationCount", *(volatile ULONG *)&IoReadOperationCount, 0, 0);
}

static NTSTATUS NTAPI StubbedIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PDEVICE_OBJECT verify;

    (void)DeviceObject;
    if (CORPUS_CODE(sp) != IOCTL_VERIFY)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    verify = IoGetDeviceToVerify(NULL);
    /* Trusts the answer, as drivers written for Windows do. */
    DbgPrint("stubbed: device to verify has flags %lx\n", *(volatile ULONG *)&verify->Flags);
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static VOID NTAPI StubbedUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Stubbed");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    CallStubs();
    DbgPrint("stubbed: %lu mismatches\n", g_Mismatches);
    if (g_Mismatches != 0)
        return STATUS_UNSUCCESSFUL;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Stubbed", L"\\DosDevices\\Stubbed", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, StubbedIoctl);
    DriverObject->DriverUnload = StubbedUnload;
    return STATUS_SUCCESS;
}
