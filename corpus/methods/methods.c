/*
 * methods - the four IOCTL transfer methods, an IRP left pending and
 * completed later, and an IRP passed down to a lower device with a
 * completion routine.
 *
 * Devices: \Device\MethodsLower (created first, no symbolic link) and
 * \Device\Methods (symbolic link \DosDevices\Methods), whose StackSize is
 * MethodsLower's StackSize + 1. Both use buffered I/O and share one
 * dispatch routine, which tells them apart by DeviceObject.
 * DriverEntry prints "methods: loaded, 7 functions".
 * DriverUnload deletes the link and both devices.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)) on
 * \Device\Methods:
 *
 *   0x900 REVERSE    METHOD_BUFFERED     code 0x80002400
 *     in:  any bytes (InputBufferLength may be 0)
 *     out: the input bytes in reverse order (OutputBufferLength >= InputBufferLength)
 *     STATUS_SUCCESS, Information InputBufferLength.
 *     Output shorter than input: STATUS_BUFFER_TOO_SMALL, Information 0.
 *
 *   0x901 CHECKSUM   METHOD_IN_DIRECT    code 0x80002405
 *     in:  (SystemBuffer) ignored
 *     the output buffer (Irp->MdlAddress, mapped with
 *     MmGetSystemAddressForMdlSafe) is READ, MmGetMdlByteCount bytes.
 *     STATUS_SUCCESS, Information = sum of those bytes (ULONG arithmetic).
 *     No MDL (output length 0): STATUS_INVALID_PARAMETER, Information 0.
 *
 *   0x902 FILL       METHOD_OUT_DIRECT   code 0x8000240A
 *     in:  UCHAR seed (SystemBuffer)                      (>= 1 byte)
 *     out: the MDL buffer, out[i] = (UCHAR)(seed + i)
 *     STATUS_SUCCESS, Information = MmGetMdlByteCount(Irp->MdlAddress).
 *     Input < 1 byte: STATUS_BUFFER_TOO_SMALL; then no MDL (output length 0):
 *     STATUS_INVALID_PARAMETER; both with Information 0.
 *
 *   0x903 UPPER      METHOD_NEITHER      code 0x8000240F
 *     in:  Parameters.DeviceIoControl.Type3InputBuffer, InputBufferLength bytes
 *     out: Irp->UserBuffer: n = min(InputBufferLength, OutputBufferLength)
 *          bytes of the input with ASCII a-z uppercased (the user buffers
 *          are used directly, without probing)
 *     STATUS_SUCCESS, Information n.
 *     n > 0 and either pointer NULL: STATUS_INVALID_PARAMETER, Information 0.
 *
 *   0x904 PEND       METHOD_BUFFERED     code 0x80002410
 *     in/out: anything. Marks the IRP pending, keeps it, returns
 *     STATUS_PENDING without completing it. It is completed by RELEASE
 *     or by IRP_MJ_CLEANUP on \Device\Methods (no cancel routine is set).
 *     One at a time: while one is pending, another PEND completes at once
 *     with STATUS_DEVICE_BUSY (0x80000011), Information 0.
 *
 *   0x905 RELEASE    METHOD_BUFFERED     code 0x80002414
 *     in/out: none. With no IRP pending: STATUS_NOT_FOUND (0xC0000225),
 *     Information 0. Otherwise completes the pending PEND IRP:
 *       its output length >= 4: ULONG 0x00C0FFEE written to its SystemBuffer,
 *                               STATUS_SUCCESS, Information 4;
 *       else:                   STATUS_BUFFER_TOO_SMALL, Information 0;
 *     then (in both cases) completes RELEASE with STATUS_SUCCESS, Information 0.
 *
 *   0x906 FORWARD    METHOD_BUFFERED     code 0x80002418
 *     in:  ignored. Copies its stack location to the next one, sets a
 *     completion routine (on success, error and cancel) and passes the IRP
 *     to \Device\MethodsLower with IoCallDriver, returning its status.
 *     MethodsLower, for code 0x80002418: output >= 4: writes ULONG 0x10E4,
 *     STATUS_SUCCESS, Information 4; else STATUS_BUFFER_TOO_SMALL,
 *     Information 0. The completion routine adds 1 to that ULONG when the
 *     status is a success and Information >= 4, and returns
 *     STATUS_CONTINUE_COMPLETION.
 *     Caller sees: ULONG 0x10E5, STATUS_SUCCESS, Information 4.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 *
 * On \Device\MethodsLower, any code other than 0x80002418 completes with
 * STATUS_INVALID_DEVICE_REQUEST, Information 0.
 *
 * IRP_MJ_CREATE / IRP_MJ_CLOSE: STATUS_SUCCESS, Information 0 (both devices).
 * IRP_MJ_CLEANUP on \Device\Methods: a still pending PEND IRP is completed
 * with STATUS_CANCELLED, Information 0, then the cleanup IRP with
 * STATUS_SUCCESS, Information 0. On MethodsLower: STATUS_SUCCESS only.
 */
#include "corpus.h"

#define IOCTL_REVERSE  CORPUS_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_CHECKSUM CORPUS_IOCTL(0x901, METHOD_IN_DIRECT)
#define IOCTL_FILL     CORPUS_IOCTL(0x902, METHOD_OUT_DIRECT)
#define IOCTL_UPPER    CORPUS_IOCTL(0x903, METHOD_NEITHER)
#define IOCTL_PEND     CORPUS_IOCTL(0x904, METHOD_BUFFERED)
#define IOCTL_RELEASE  CORPUS_IOCTL(0x905, METHOD_BUFFERED)
#define IOCTL_FORWARD  CORPUS_IOCTL(0x906, METHOD_BUFFERED)

#define FORWARD_VALUE 0x10E4
#define RELEASE_VALUE 0xC0FFEE

static PDEVICE_OBJECT g_Upper; /* \Device\Methods */
static PDEVICE_OBJECT g_Lower; /* \Device\MethodsLower */

/* The one PEND IRP waiting for RELEASE. The emulator runs one request at a
 * time; a real driver would need a lock and a cancel routine here. */
static PIRP g_Pending;

static NTSTATUS Reverse(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PUCHAR b = Irp->AssociatedIrp.SystemBuffer;
    ULONG i, j;
    UCHAR t;

    if (outLen < inLen)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    /* Input and output share SystemBuffer: reverse in place. */
    for (i = 0, j = inLen; i + 1 < j; i++, j--) {
        t = b[i];
        b[i] = b[j - 1];
        b[j - 1] = t;
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, inLen);
}

static NTSTATUS Checksum(PIRP Irp)
{
    PUCHAR p;
    ULONG i, n, sum = 0;

    if (Irp->MdlAddress == NULL)
        return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    p = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
    if (p == NULL)
        return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    n = MmGetMdlByteCount(Irp->MdlAddress);
    for (i = 0; i < n; i++)
        sum += p[i];
    /* The result travels in Information, not in a buffer. */
    return CorpusComplete(Irp, STATUS_SUCCESS, sum);
}

static NTSTATUS Fill(PIRP Irp, ULONG inLen)
{
    PUCHAR p;
    UCHAR seed;
    ULONG i, n;

    if (inLen < 1)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (Irp->MdlAddress == NULL)
        return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    seed = *(PUCHAR)Irp->AssociatedIrp.SystemBuffer;
    p = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
    if (p == NULL)
        return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    n = MmGetMdlByteCount(Irp->MdlAddress);
    for (i = 0; i < n; i++)
        p[i] = (UCHAR)(seed + i);
    return CorpusComplete(Irp, STATUS_SUCCESS, n);
}

static NTSTATUS Upper(PIRP Irp, PIO_STACK_LOCATION sp)
{
    const UCHAR *in = sp->Parameters.DeviceIoControl.Type3InputBuffer;
    PUCHAR out = Irp->UserBuffer;
    ULONG i, n = CORPUS_IN_LEN(sp);
    UCHAR c;

    if (CORPUS_OUT_LEN(sp) < n)
        n = CORPUS_OUT_LEN(sp);
    if (n != 0 && (in == NULL || out == NULL))
        return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    for (i = 0; i < n; i++) {
        c = in[i];
        out[i] = (c >= 'a' && c <= 'z') ? (UCHAR)(c - 'a' + 'A') : c;
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, n);
}

static NTSTATUS Pend(PIRP Irp)
{
    if (g_Pending != NULL)
        return CorpusComplete(Irp, STATUS_DEVICE_BUSY, 0);
    IoMarkIrpPending(Irp);
    g_Pending = Irp;
    return STATUS_PENDING;
}

static NTSTATUS Release(PIRP Irp)
{
    PIRP pending = g_Pending;

    if (pending == NULL)
        return CorpusComplete(Irp, STATUS_NOT_FOUND, 0);
    g_Pending = NULL;
    if (CORPUS_OUT_LEN(IoGetCurrentIrpStackLocation(pending)) < sizeof(ULONG)) {
        CorpusComplete(pending, STATUS_BUFFER_TOO_SMALL, 0);
    } else {
        *(PULONG)pending->AssociatedIrp.SystemBuffer = RELEASE_VALUE;
        CorpusComplete(pending, STATUS_SUCCESS, sizeof(ULONG));
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI ForwardCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    (void)Context;
    /* The rule for a dispatch routine that returns IoCallDriver's status. */
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    if (NT_SUCCESS(Irp->IoStatus.Status) && Irp->IoStatus.Information >= sizeof(ULONG))
        *(PULONG)Irp->AssociatedIrp.SystemBuffer += 1;
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS Forward(PIRP Irp)
{
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, ForwardCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(g_Lower, Irp);
}

static NTSTATUS LowerIoctl(PIRP Irp, PIO_STACK_LOCATION sp)
{
    if (CORPUS_CODE(sp) != IOCTL_FORWARD)
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (CORPUS_OUT_LEN(sp) < sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = FORWARD_VALUE;
    return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
}

static NTSTATUS NTAPI MethodsIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    if (DeviceObject == g_Lower)
        return LowerIoctl(Irp, sp);

    switch (CORPUS_CODE(sp)) {
    case IOCTL_REVERSE:
        return Reverse(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    case IOCTL_CHECKSUM:
        return Checksum(Irp);
    case IOCTL_FILL:
        return Fill(Irp, CORPUS_IN_LEN(sp));
    case IOCTL_UPPER:
        return Upper(Irp, sp);
    case IOCTL_PEND:
        return Pend(Irp);
    case IOCTL_RELEASE:
        return Release(Irp);
    case IOCTL_FORWARD:
        return Forward(Irp);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static NTSTATUS NTAPI MethodsCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIRP pending = g_Pending;

    if (DeviceObject == g_Upper && pending != NULL) {
        g_Pending = NULL;
        CorpusComplete(pending, STATUS_CANCELLED, 0);
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, 0);
}

static VOID NTAPI MethodsUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Methods");
    IoDeleteDevice(g_Upper);
    IoDeleteDevice(g_Lower);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\MethodsLower", NULL, &g_Lower);
    if (!NT_SUCCESS(status))
        return status;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Methods", L"\\DosDevices\\Methods",
                                &g_Upper);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(g_Lower);
        return status;
    }
    /* FORWARD passes its IRP one level down: the I/O manager must allocate
     * IRPs for the upper device with a stack location for the lower one. */
    g_Upper->StackSize = g_Lower->StackSize + 1;

    CorpusSetDispatch(DriverObject, MethodsIoctl);
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = MethodsCleanup;
    DriverObject->DriverUnload = MethodsUnload;

    DbgPrint("methods: loaded, %d functions\n", 7);
    return STATUS_SUCCESS;
}
