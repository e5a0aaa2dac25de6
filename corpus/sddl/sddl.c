/*
 * sddl - security descriptors from SDDL strings through the kernel's
 * SeConvertStringSecurityDescriptorToSecurityDescriptor, found the way the static wdmsec
 * library (IoCreateDeviceSecure linked into a driver) finds it: MmGetSystemRoutineAddress.
 *
 * Device \Device\Sddl (type 0x8000), symbolic link \DosDevices\Sddl.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 CONVERT    METHOD_BUFFERED     code 0x80002000
 *     Converts "D:P(A;OICI;FA;;;SY)(A;;0x1200a9;;;BU)" (a device's DACL with inheritance
 *     flags, which wdmsec's own parser refuses).
 *     out: ULONG status, ULONG size the routine reported, ULONG RtlLengthSecurityDescriptor,
 *          ULONG RtlValidSecurityDescriptor, then the self-relative descriptor's bytes
 *          (>= 16 + 72 bytes). The descriptor is freed with ExFreePoolWithTag.
 *
 *   0x801 REFUSALS   METHOD_BUFFERED     code 0x80002004
 *     out: 5 ULONGs (>= 20 bytes): the status for
 *       [0] revision 2 (STATUS_UNKNOWN_REVISION)
 *       [1] "D:(A;;GA;;SY)", five fields (STATUS_INVALID_PARAMETER)
 *       [2] "D:(A;;GA;;;DA)", a domain group on a machine in no domain (STATUS_NONE_MAPPED)
 *       [3] "O:SYG:SYD:NO_ACCESS_CONTROL" (STATUS_SUCCESS)
 *       [4] the size of [3]'s descriptor (20 + two 12-byte SIDs: 44)
 *
 *   No routine: STATUS_NOT_IMPLEMENTED; short output: STATUS_BUFFER_TOO_SMALL; any other
 *   code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define SDDL_REVISION_1 1 /* sddl.h */
#define IOCTL_CONVERT  CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_REFUSALS CORPUS_IOCTL(0x801, METHOD_BUFFERED)

typedef NTSTATUS (NTAPI *CONVERT)(PCWSTR, ULONG, PSECURITY_DESCRIPTOR *, PULONG);

static PDEVICE_OBJECT g_Device;
static CONVERT g_Convert;

static NTSTATUS Once(PCWSTR text, ULONG revision, PULONG size)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    NTSTATUS status = g_Convert(text, revision, &sd, size);

    if (NT_SUCCESS(status))
        ExFreePoolWithTag(sd, 0);
    return status;
}

static NTSTATUS NTAPI SddlIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PULONG out = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    PSECURITY_DESCRIPTOR sd = NULL;
    ULONG size = 0, length;

    (void)DeviceObject;
    if (g_Convert == NULL)
        return CorpusComplete(Irp, STATUS_NOT_IMPLEMENTED, 0);
    switch (CORPUS_CODE(sp)) {
    case IOCTL_CONVERT:
        if (CORPUS_OUT_LEN(sp) < 16 + 72)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        out[0] = g_Convert(L"D:P(A;OICI;FA;;;SY)(A;;0x1200a9;;;BU)", SDDL_REVISION_1, &sd, &size);
        if (!NT_SUCCESS(out[0]))
            return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
        length = RtlLengthSecurityDescriptor(sd);
        out[1] = size;
        out[2] = length;
        out[3] = RtlValidSecurityDescriptor(sd);
        if (length > CORPUS_OUT_LEN(sp) - 16)
            length = CORPUS_OUT_LEN(sp) - 16;
        RtlCopyMemory(out + 4, sd, length);
        ExFreePoolWithTag(sd, 0);
        return CorpusComplete(Irp, STATUS_SUCCESS, 16 + length);
    case IOCTL_REFUSALS:
        if (CORPUS_OUT_LEN(sp) < 5 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        out[0] = Once(L"D:(A;;GA;;;SY)", 2, NULL);
        out[1] = Once(L"D:(A;;GA;;SY)", SDDL_REVISION_1, NULL);
        out[2] = Once(L"D:(A;;GA;;;DA)", SDDL_REVISION_1, NULL);
        out[3] = Once(L"O:SYG:SYD:NO_ACCESS_CONTROL", SDDL_REVISION_1, &out[4]);
        return CorpusComplete(Irp, STATUS_SUCCESS, 5 * sizeof(ULONG));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI SddlUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Sddl");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    (void)RegistryPath;
    RtlInitUnicodeString(&name, L"SeConvertStringSecurityDescriptorToSecurityDescriptor");
    g_Convert = (CONVERT)MmGetSystemRoutineAddress(&name);
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Sddl", L"\\DosDevices\\Sddl", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, SddlIoctl);
    DriverObject->DriverUnload = SddlUnload;
    return STATUS_SUCCESS;
}
