/*
 * rawio - privileged instructions executed by the driver itself, the way
 * hardware-access drivers do it: in/out (DX and immediate-port forms),
 * rep ins/outs, cpuid, rdmsr, cli/sti and pushf. Port I/O goes through
 * mingw's <intrin.h> intrinsics; mingw has no _disable/_enable, so cli/sti
 * are inline asm, as is the immediate-port sequence of RAW_FIXED.
 *
 * Device \Device\RawIo, symbolic link \DosDevices\RawIo.
 * DriverEntry prints "rawio: loaded, 8 functions".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)), all
 * METHOD_BUFFERED. "width" must be 1, 2 or 4 (bytes). All port accesses of
 * 0x800-0x803 use the DX-register forms.
 *
 *   0x800 RAW_READ          code 0x80002000
 *     in:  USHORT port; USHORT width                      (>= 4 bytes)
 *     out: ULONG value, zero-extended; in al/ax/eax, dx   (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4.
 *
 *   0x801 RAW_WRITE         code 0x80002004
 *     in:  USHORT port; USHORT width; ULONG value         (>= 8 bytes)
 *     out dx, al/ax/eax with the low `width` bytes of value.
 *     out: none. STATUS_SUCCESS, Information 0.
 *
 *   0x802 RAW_WRITE_STRING  code 0x80002008
 *     in:  USHORT port; USHORT width; ULONG count; then count elements of
 *          `width` bytes (data at offset 8)     (>= 8 + count * width bytes)
 *     cld; rep outsb/outsw/outsd with ecx = count.
 *     out: none. STATUS_SUCCESS, Information 0.
 *
 *   0x803 RAW_READ_STRING   code 0x8000200C
 *     in:  USHORT port; USHORT width; ULONG count         (>= 8 bytes)
 *     out: count elements of `width` bytes, cld; rep insb/insw/insd
 *                                                    (>= count * width bytes)
 *     STATUS_SUCCESS, Information count * width.
 *
 *   0x804 RAW_FIXED         code 0x80002010
 *     in:  none
 *     executes exactly: mov al,0x11; out 0x80,al; in al,0x61;
 *                       mov al,0x22; out 0x80,al
 *     out: ULONG = the byte read from port 0x61, zero-extended (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4.
 *
 *   0x805 RAW_CPU           code 0x80002014
 *     in:  none
 *     out: ULONG[4] = EAX, EBX, ECX, EDX of CPUID leaf 0   (>= 16 bytes)
 *     STATUS_SUCCESS, Information 16.
 *
 *   0x806 RAW_MSR           code 0x80002018
 *     in:  ULONG msr                                      (>= 4 bytes)
 *     out: ULONGLONG = rdmsr(msr), EDX:EAX                 (>= 8 bytes)
 *     STATUS_SUCCESS, Information 8.
 *
 *   0x807 RAW_CLI_STI       code 0x8000201C
 *     in:  none
 *     executes cli; pushf (first); sti; pushf (second)
 *     out: ULONG = ((first & 0x200) ? 1 : 0) | ((second & 0x200) ? 2 : 0),
 *          i.e. 2 when IF really follows cli/sti          (>= 4 bytes)
 *     STATUS_SUCCESS, Information 4.
 *
 * Errors, checked in this order, complete with Information 0:
 *   input shorter than the fixed part (4 for RAW_READ and RAW_MSR, 8 for
 *   0x801-0x803, 0 otherwise), or output shorter than the fixed output
 *   (4 for RAW_READ/RAW_FIXED/RAW_CLI_STI, 16 RAW_CPU, 8 RAW_MSR)
 *                                                      STATUS_BUFFER_TOO_SMALL
 *   width not 1, 2 or 4                                STATUS_INVALID_PARAMETER
 *   RAW_WRITE_STRING input < 8 + count * width, or
 *   RAW_READ_STRING output < count * width             STATUS_BUFFER_TOO_SMALL
 *   any other code                                     STATUS_INVALID_DEVICE_REQUEST
 * A count of 0 is valid; rep with ecx = 0 touches no port.
 */
#include "corpus.h"
#include <intrin.h>

#define IOCTL_RAW_READ         CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_RAW_WRITE        CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_RAW_WRITE_STRING CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_RAW_READ_STRING  CORPUS_IOCTL(0x803, METHOD_BUFFERED)
#define IOCTL_RAW_FIXED        CORPUS_IOCTL(0x804, METHOD_BUFFERED)
#define IOCTL_RAW_CPU          CORPUS_IOCTL(0x805, METHOD_BUFFERED)
#define IOCTL_RAW_MSR          CORPUS_IOCTL(0x806, METHOD_BUFFERED)
#define IOCTL_RAW_CLI_STI      CORPUS_IOCTL(0x807, METHOD_BUFFERED)

#define EFLAGS_IF 0x200

typedef struct _RAW_REQUEST {
    USHORT Port;
    USHORT Width;
    ULONG ValueOrCount; /* RAW_WRITE: value; *_STRING: element count */
} RAW_REQUEST;
C_ASSERT(sizeof(RAW_REQUEST) == 8);

static PDEVICE_OBJECT g_Device;

/* mingw declares _disable/_enable in <intrin.h> but does not define them. */
static inline void RawCli(void)
{
    __asm__ __volatile__("cli" ::: "memory");
}

static inline void RawSti(void)
{
    __asm__ __volatile__("sti" ::: "memory");
}

static BOOLEAN ValidWidth(USHORT width)
{
    return width == 1 || width == 2 || width == 4;
}

/* The immediate-port sequence of RAW_FIXED, as one block so that nothing
 * else is scheduled between the three accesses. */
static ULONG RawFixed(void)
{
    ULONG value;

    __asm__ __volatile__(
        "movb  $0x11, %%al\n\t"
        "outb  %%al, $0x80\n\t"
        "inb   $0x61, %%al\n\t"
        "movzbl %%al, %0\n\t"
        "movb  $0x22, %%al\n\t"
        "outb  %%al, $0x80"
        : "=c"(value)
        :
        : "eax", "memory");
    return value;
}

static NTSTATUS NTAPI RawIoIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = CORPUS_IN_LEN(sp);
    ULONG outLen = CORPUS_OUT_LEN(sp);
    RAW_REQUEST req;
    ULONG value, first, second;
    int regs[4];

    (void)DeviceObject;

    switch (CORPUS_CODE(sp)) {
    case IOCTL_RAW_READ:
        if (inLen < 4 || outLen < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req.Port = ((RAW_REQUEST *)buffer)->Port;
        req.Width = ((RAW_REQUEST *)buffer)->Width;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (req.Width == 1)
            value = __inbyte(req.Port);
        else if (req.Width == 2)
            value = __inword(req.Port);
        else
            value = __indword(req.Port);
        *(PULONG)buffer = value;
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));

    case IOCTL_RAW_WRITE:
        if (inLen < sizeof(RAW_REQUEST))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req = *(RAW_REQUEST *)buffer;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (req.Width == 1)
            __outbyte(req.Port, (UCHAR)req.ValueOrCount);
        else if (req.Width == 2)
            __outword(req.Port, (USHORT)req.ValueOrCount);
        else
            __outdword(req.Port, req.ValueOrCount);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);

    case IOCTL_RAW_WRITE_STRING:
        if (inLen < sizeof(RAW_REQUEST))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        req = *(RAW_REQUEST *)buffer;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        /* Division, not count * width, so a huge count cannot overflow. */
        if (req.ValueOrCount > (inLen - sizeof(RAW_REQUEST)) / req.Width)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        if (req.Width == 1)
            __outbytestring(req.Port, (PUCHAR)buffer + sizeof(RAW_REQUEST), req.ValueOrCount);
        else if (req.Width == 2)
            __outwordstring(req.Port, (PUSHORT)((PUCHAR)buffer + sizeof(RAW_REQUEST)),
                            req.ValueOrCount);
        else
            __outdwordstring(req.Port, (PULONG)((PUCHAR)buffer + sizeof(RAW_REQUEST)),
                             req.ValueOrCount);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);

    case IOCTL_RAW_READ_STRING:
        if (inLen < sizeof(RAW_REQUEST))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        /* Copy the header out first: the data overwrites it in SystemBuffer. */
        req = *(RAW_REQUEST *)buffer;
        if (!ValidWidth(req.Width))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        if (req.ValueOrCount > outLen / req.Width)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        if (req.Width == 1)
            __inbytestring(req.Port, buffer, req.ValueOrCount);
        else if (req.Width == 2)
            __inwordstring(req.Port, buffer, req.ValueOrCount);
        else
            __indwordstring(req.Port, buffer, req.ValueOrCount);
        return CorpusComplete(Irp, STATUS_SUCCESS, (ULONG_PTR)req.ValueOrCount * req.Width);

    case IOCTL_RAW_FIXED:
        if (outLen < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)buffer = RawFixed();
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));

    case IOCTL_RAW_CPU:
        if (outLen < 4 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        __cpuid(regs, 0);
        ((PULONG)buffer)[0] = (ULONG)regs[0];
        ((PULONG)buffer)[1] = (ULONG)regs[1];
        ((PULONG)buffer)[2] = (ULONG)regs[2];
        ((PULONG)buffer)[3] = (ULONG)regs[3];
        return CorpusComplete(Irp, STATUS_SUCCESS, 4 * sizeof(ULONG));

    case IOCTL_RAW_MSR:
        if (inLen < sizeof(ULONG) || outLen < sizeof(ULONGLONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONGLONG)buffer = __readmsr(*(PULONG)buffer);
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONGLONG));

    case IOCTL_RAW_CLI_STI:
        if (outLen < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        RawCli();
        first = (ULONG)__readeflags();
        RawSti();
        second = (ULONG)__readeflags();
        *(PULONG)buffer = ((first & EFLAGS_IF) ? 1 : 0) | ((second & EFLAGS_IF) ? 2 : 0);
        return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));

    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI RawIoUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\RawIo");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\RawIo", L"\\DosDevices\\RawIo",
                                &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, RawIoIoctl);
    DriverObject->DriverUnload = RawIoUnload;

    DbgPrint("rawio: loaded, %d functions\n", 8);
    return STATUS_SUCCESS;
}
