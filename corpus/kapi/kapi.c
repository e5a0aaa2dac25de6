/*
 * kapi - calls kernel routines whose results the emulator's tests check:
 * Rtl strings, pool, IRQL, process queries, debug output, stall, bugcheck.
 *
 * Device \Device\KApi, symbolic link \DosDevices\KApi.
 * DriverEntry prints "kapi: loaded, 7 functions".
 *
 * ExAllocatePool2 is not in mingw-w64's libntoskrnl.a: build.sh makes an
 * import library for it from kapi.x86.def / kapi.x64.def with dlltool.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)), all
 * METHOD_BUFFERED. An output (or input) shorter than the size given
 * completes with STATUS_BUFFER_TOO_SMALL, Information 0, before any call.
 *
 *   0xA00 STRINGS    code 0x80002800     out >= 26 bytes
 *     RtlInitUnicodeString(&u, L"Portcullis"); RtlInitAnsiString(&a, "gate");
 *     d = {0, 16, WCHAR[16] zero-filled} (MaximumLength 16 bytes);
 *     RtlCopyUnicodeString(&d, &u)  (truncated to 8 characters);
 *     RtlInitUnicodeString(&n, NULL).
 *     out: USHORT u.Length, u.MaximumLength, a.Length, a.MaximumLength,
 *          d.Length, d.MaximumLength, WCHAR d.Buffer[0..5], USHORT n.Length
 *          expected: 20, 22, 4, 5, 16, 16, L"Portcu", 0
 *     STATUS_SUCCESS, Information 26.
 *
 *   0xA01 POOL       code 0x80002804     out >= 16 bytes
 *     p1 = ExAllocatePoolWithTag(NonPagedPool, 100, 'tseT')   (tag "Test")
 *     p2 = ExAllocatePool(NonPagedPool, 200)
 *     p3 = ExAllocatePool2(POOL_FLAG_NON_PAGED (0x40), 300, 'twoP')  ("Powt")
 *     zeroed_ok = all 300 bytes of p3 are 0;
 *     memset(p1, 0xAB, 100); memcpy(p3, p1, 100);
 *     memmove(p3 + 10, p3, 50)  (overlapping);
 *     compare_result = RtlCompareMemory(p1, p3, 100);
 *     ExFreePoolWithTag(p1, 'tseT'); ExFreePool(p2); ExFreePoolWithTag(p3, 'twoP').
 *     out: ULONG zeroed_ok (1/0), ULONG compare_result,
 *          ULONG third_byte_at_10 (p3[10] after the memmove),
 *          ULONG pointer_alignment_ok (1 if p1, p2, p3 are all 16-byte
 *          aligned on x64, 8-byte aligned on x86; else 0)
 *          expected: 1, 100, 0xAB, 1 (p3[0..99] are all 0xAB before and
 *          after the memmove, so the move changes nothing visible)
 *     STATUS_SUCCESS, Information 16.
 *     Any allocation NULL: the others are freed, STATUS_INSUFFICIENT_RESOURCES,
 *     Information 0.
 *
 *   0xA02 IRQL       code 0x80002808     out >= 16 bytes
 *     out: ULONG[4] = KeGetCurrentIrql() at entry; old IRQL from
 *          KeRaiseIrql(DISPATCH_LEVEL, &old); KeGetCurrentIrql() after the
 *          raise; KeGetCurrentIrql() after KeLowerIrql(old)
 *          expected: 0, 0, 2, 0
 *     (x86: hal KeGetCurrentIrql, KfRaiseIrql, KfLowerIrql; x64: mov cr8)
 *     STATUS_SUCCESS, Information 16.
 *
 *   0xA03 PROCESS    code 0x8000280C     out >= 8 bytes
 *     out: ULONG IoGetCurrentProcess() != NULL (1/0);
 *          ULONG IoIs32bitProcess(Irp) (1/0). IoIs32bitProcess exists only
 *          on 64-bit Windows: the x86 build does not call it and writes 0
 *          (no 32-bit-on-64-bit requestor is possible there).
 *     STATUS_SUCCESS, Information 8.
 *
 *   0xA04 DEBUG      code 0x80002810     no buffers
 *     DbgPrintEx(77 (DPFLTR_IHVDRIVER_ID), 0 (DPFLTR_ERROR_LEVEL),
 *       "kapi: %s=%d hex=%08x char=%c wide=%ws\n",
 *       "answer", 42, 0xBEEF, 'Z', L"wide")
 *       -> "kapi: answer=42 hex=0000beef char=Z wide=wide"
 *     DbgPrint("kapi: pointer %p, unsigned %u, long %ld, ulonglong %I64x\n",
 *       (PVOID)0x1234, 4000000000u, -5L, 0x1122334455667788ULL)
 *       -> "kapi: pointer 0000000000001234, unsigned 4000000000, long -5,
 *           ulonglong 1122334455667788" (%p is 8 hex digits on x86)
 *     STATUS_SUCCESS, Information 0.
 *
 *   0xA05 STALL      code 0x80002814     in >= 4 bytes
 *     in:  ULONG microseconds; KeStallExecutionProcessor(microseconds).
 *     STATUS_SUCCESS, Information 0.
 *
 *   0xA06 BUGCHECK   code 0x80002818     no buffers
 *     KeBugCheckEx(0xDEADDEAD, 1, 2, 3, 4); does not return.
 *
 *   0xA07 UNICODE_UPCASE (0x8000281C): reserved, not implemented; it
 *     completes like any unknown code.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#define IOCTL_STRINGS  CORPUS_IOCTL(0xA00, METHOD_BUFFERED)
#define IOCTL_POOL     CORPUS_IOCTL(0xA01, METHOD_BUFFERED)
#define IOCTL_IRQL     CORPUS_IOCTL(0xA02, METHOD_BUFFERED)
#define IOCTL_PROCESS  CORPUS_IOCTL(0xA03, METHOD_BUFFERED)
#define IOCTL_DEBUG    CORPUS_IOCTL(0xA04, METHOD_BUFFERED)
#define IOCTL_STALL    CORPUS_IOCTL(0xA05, METHOD_BUFFERED)
#define IOCTL_BUGCHECK CORPUS_IOCTL(0xA06, METHOD_BUFFERED)

/* Windows 10 2004 and later; not in the mingw-w64 DDK headers. */
#ifndef POOL_FLAG_NON_PAGED
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#endif
NTKERNELAPI PVOID NTAPI ExAllocatePool2(ULONG64 Flags, SIZE_T NumberOfBytes, ULONG Tag);

#define TAG_TEST 'tseT'
#define TAG_POWT 'twoP'

#ifdef _WIN64
#define POOL_ALIGNMENT 16
#else
#define POOL_ALIGNMENT 8
#endif

typedef struct _STRINGS_OUT {
    USHORT ULength, UMaximumLength;
    USHORT ALength, AMaximumLength;
    USHORT DLength, DMaximumLength;
    WCHAR DBuffer[6];
    USHORT NullLength;
} STRINGS_OUT;
C_ASSERT(sizeof(STRINGS_OUT) == 26);

typedef struct _POOL_OUT {
    ULONG ZeroedOk;
    ULONG CompareResult;
    ULONG ThirdByteAt10;
    ULONG PointerAlignmentOk;
} POOL_OUT;
C_ASSERT(sizeof(POOL_OUT) == 16);

static PDEVICE_OBJECT g_Device;

static NTSTATUS Strings(PIRP Irp, ULONG outLen)
{
    STRINGS_OUT *out = Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING u, d;
    ANSI_STRING a;
    WCHAR dBuffer[16] = {0};
    ULONG i;

    if (outLen < sizeof(STRINGS_OUT))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlInitUnicodeString(&u, L"Portcullis");
    RtlInitAnsiString(&a, "gate");
    d.Length = 0;
    d.MaximumLength = 16; /* bytes: room for 8 of the 10 characters */
    d.Buffer = dBuffer;
    RtlCopyUnicodeString(&d, &u);

    out->ULength = u.Length;
    out->UMaximumLength = u.MaximumLength;
    out->ALength = a.Length;
    out->AMaximumLength = a.MaximumLength;
    out->DLength = d.Length;
    out->DMaximumLength = d.MaximumLength;
    for (i = 0; i < 6; i++)
        out->DBuffer[i] = dBuffer[i];

    RtlInitUnicodeString(&u, NULL);
    out->NullLength = u.Length;
    return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(STRINGS_OUT));
}

static BOOLEAN Aligned(PVOID p)
{
    return ((ULONG_PTR)p & (POOL_ALIGNMENT - 1)) == 0;
}

static NTSTATUS Pool(PIRP Irp, ULONG outLen)
{
    POOL_OUT *out = Irp->AssociatedIrp.SystemBuffer;
    PUCHAR p1, p2, p3;
    ULONG i, zeroed = 1;
    SIZE_T same;
    UCHAR byte10;
    BOOLEAN aligned;

    if (outLen < sizeof(POOL_OUT))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    p1 = ExAllocatePoolWithTag(NonPagedPool, 100, TAG_TEST);
    p2 = ExAllocatePool(NonPagedPool, 200);
    p3 = ExAllocatePool2(POOL_FLAG_NON_PAGED, 300, TAG_POWT);
    if (p1 == NULL || p2 == NULL || p3 == NULL) {
        if (p1 != NULL)
            ExFreePoolWithTag(p1, TAG_TEST);
        if (p2 != NULL)
            ExFreePool(p2);
        if (p3 != NULL)
            ExFreePoolWithTag(p3, TAG_POWT);
        return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }

    /* ExAllocatePool2 zeroes unless POOL_FLAG_UNINITIALIZED is passed. */
    for (i = 0; i < 300; i++) {
        if (p3[i] != 0)
            zeroed = 0;
    }
    memset(p1, 0xAB, 100);
    memcpy(p3, p1, 100);
    memmove(p3 + 10, p3, 50);
    same = RtlCompareMemory(p1, p3, 100);
    byte10 = p3[10];
    aligned = Aligned(p1) && Aligned(p2) && Aligned(p3);

    ExFreePoolWithTag(p1, TAG_TEST);
    ExFreePool(p2);
    ExFreePoolWithTag(p3, TAG_POWT);

    out->ZeroedOk = zeroed;
    out->CompareResult = (ULONG)same;
    out->ThirdByteAt10 = byte10;
    out->PointerAlignmentOk = aligned ? 1 : 0;
    return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(POOL_OUT));
}

static NTSTATUS Irql(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    KIRQL old;

    if (outLen < 4 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    out[0] = KeGetCurrentIrql();
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    out[1] = old;
    out[2] = KeGetCurrentIrql();
    KeLowerIrql(old);
    out[3] = KeGetCurrentIrql();
    return CorpusComplete(Irp, STATUS_SUCCESS, 4 * sizeof(ULONG));
}

static NTSTATUS Process(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;

    if (outLen < 2 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    out[0] = IoGetCurrentProcess() != NULL ? 1 : 0;
#ifdef _WIN64
    out[1] = IoIs32bitProcess(Irp) ? 1 : 0;
#else
    out[1] = 0; /* x64-only routine; see the header comment */
#endif
    return CorpusComplete(Irp, STATUS_SUCCESS, 2 * sizeof(ULONG));
}

static NTSTATUS Debug(PIRP Irp)
{
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
               "kapi: %s=%d hex=%08x char=%c wide=%ws\n", "answer", 42, 0xBEEF, 'Z', L"wide");
    DbgPrint("kapi: pointer %p, unsigned %u, long %ld, ulonglong %I64x\n", (PVOID)0x1234,
             4000000000u, -5L, 0x1122334455667788ULL);
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI KApiIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;

    switch (CORPUS_CODE(sp)) {
    case IOCTL_STRINGS:
        return Strings(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_POOL:
        return Pool(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_IRQL:
        return Irql(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_PROCESS:
        return Process(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_DEBUG:
        return Debug(Irp);
    case IOCTL_STALL:
        if (CORPUS_IN_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        KeStallExecutionProcessor(*(PULONG)Irp->AssociatedIrp.SystemBuffer);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_BUGCHECK:
        KeBugCheckEx(0xDEADDEAD, 1, 2, 3, 4);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI KApiUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\KApi");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\KApi", L"\\DosDevices\\KApi", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, KApiIoctl);
    DriverObject->DriverUnload = KApiUnload;

    DbgPrint("kapi: loaded, %d functions\n", 7);
    return STATUS_SUCCESS;
}
