/*
 * rtlstrings - the run-time library the way drivers use it before they do anything else:
 * building device paths, converting between Unicode and ANSI, numbers and GUIDs as text,
 * comparing names, asking which Windows this is, and converting times.
 *
 * Device \Device\RtlStrings, symbolic link \DosDevices\RtlStrings. DriverEntry prints
 * "rtlstrings: Windows M.m build B" from RtlGetVersion.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)); a buffer shorter than
 * given completes with STATUS_BUFFER_TOO_SMALL, Information 0.
 *
 *   0xB00 PATH      code 0x80002C00   in: a device name in UTF-16 (2..64 bytes); out >= 64
 *     path = "\Device\" + name (RtlAppendUnicodeToString, RtlAppendUnicodeStringToString
 *     into a 64-byte buffer), upcased into a new string (RtlUpcaseUnicodeString), converted
 *     to ANSI (RtlUnicodeStringToAnsiString, allocating); both freed.
 *     out: ULONG status of appending the name a second time (STATUS_BUFFER_TOO_SMALL once the
 *          64 bytes are full, else 0), then the ANSI bytes. Information 4 + length.
 *
 *   0xB01 NUMBERS   code 0x80002C04   out >= 40
 *     out: ULONG[10] = RtlIntegerToUnicodeString(0xBEEF, 16) length; its first character;
 *          RtlUnicodeStringToInteger(L"  -42", 0); RtlCharToInteger("0x1F", 0);
 *          RtlInt64ToUnicodeString(10^12, 10) length; RtlGUIDFromString + RtlStringFromGUID
 *          round trip equal (1/0); RtlHashUnicodeString(L"Beeper", TRUE, x65599);
 *          RtlIntegerToUnicodeString(1234, 10) into 8 bytes: its status; and its Length;
 *          RtlUnicodeStringToInteger(L"12", 5): its status.
 *
 *   0xB02 NAMES     code 0x80002C08   out >= 40
 *     out: ULONG[10] = RtlCompareUnicodeString(\Device\Beep, \DEVICE\BEEP, CI) == 0;
 *          ... case-sensitively > 0; RtlEqualUnicodeString(CI); RtlPrefixUnicodeString(
 *          \Device, \Device\Beep); RtlCompareString("abc", "abd") < 0;
 *          FsRtlIsNameInExpression(*.SYS, beeper.sys, TRUE); FsRtlDoesNameContainWildCards(
 *          beeper.sys); RtlIsNameLegalDOS8Dot3(beeper.sys); RtlUTF8ToUnicodeN size of "héllo"
 *          in bytes; _wcsnicmp(L"\\Device\\X", L"\\DEVICE\\y", 8).
 *
 *   0xB03 VERSION   code 0x80002C0C   out >= 44
 *     out: ULONG[11] = RtlGetVersion major, minor, build, service pack major; PsGetVersion
 *          major, build; RtlVerifyVersionInfo(>= 6.1) == STATUS_SUCCESS; RtlVerifyVersionInfo
 *          (>= 10.0) == STATUS_SUCCESS; RtlIsNtDdiVersionAvailable(NTDDI_WIN8);
 *          MmGetSystemRoutineAddress(L"RtlGetVersion") called gives the same build;
 *          MmGetSystemRoutineAddress(L"NoSuchRoutine") == NULL.
 *
 *   0xB04 TIME      code 0x80002C10   in: LARGE_INTEGER system time; out >= 32
 *     out: TIME_FIELDS of the time (16 bytes); LARGE_INTEGER local time
 *          (ExSystemTimeToLocalTime); ULONG seconds since 1970; ULONG RtlTimeFieldsToTime
 *          round trip equal (1/0).
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOCTL_PATH    CORPUS_IOCTL(0xB00, METHOD_BUFFERED)
#define IOCTL_NUMBERS CORPUS_IOCTL(0xB01, METHOD_BUFFERED)
#define IOCTL_NAMES   CORPUS_IOCTL(0xB02, METHOD_BUFFERED)
#define IOCTL_VERSION CORPUS_IOCTL(0xB03, METHOD_BUFFERED)
#define IOCTL_TIME    CORPUS_IOCTL(0xB04, METHOD_BUFFERED)

/* ntifs.h routines (the DDK headers declare them there). */
NTKERNELAPI BOOLEAN NTAPI FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name,
                                                  BOOLEAN IgnoreCase, PWCH UpcaseTable);
NTKERNELAPI BOOLEAN NTAPI FsRtlDoesNameContainWildCards(PUNICODE_STRING Name);
NTSYSAPI BOOLEAN NTAPI RtlIsNameLegalDOS8Dot3(PCUNICODE_STRING Name, POEM_STRING OemName,
                                               PBOOLEAN NameContainsSpaces);
NTSYSAPI BOOLEAN NTAPI RtlTimeToSecondsSince1970(PLARGE_INTEGER Time, PULONG ElapsedSeconds);
/* The headers route this to a static wdmlib copy; drivers built for Windows 7 import it. */
#undef RtlIsNtDdiVersionAvailable
NTSYSAPI BOOLEAN NTAPI RtlIsNtDdiVersionAvailable(ULONG Version);

static PDEVICE_OBJECT g_Device;

static NTSTATUS Path(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PUCHAR out = Irp->AssociatedIrp.SystemBuffer;
    WCHAR buffer[32];
    UNICODE_STRING path = {0, sizeof(buffer), buffer};
    UNICODE_STRING name, upper;
    ANSI_STRING ansi;
    NTSTATUS again;
    ULONG i;

    if (inLen < 2 || inLen > 64 || outLen < 64)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    name.Length = name.MaximumLength = (USHORT)(inLen & ~1u);
    name.Buffer = (PWCH)out;
    RtlAppendUnicodeToString(&path, L"\\Device\\");
    RtlAppendUnicodeStringToString(&path, &name);
    again = RtlAppendUnicodeStringToString(&path, &name);
    if (!NT_SUCCESS(RtlUpcaseUnicodeString(&upper, &path, TRUE)))
        return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    if (!NT_SUCCESS(RtlUnicodeStringToAnsiString(&ansi, &upper, TRUE))) {
        RtlFreeUnicodeString(&upper);
        return CorpusComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    *(PULONG)out = (ULONG)again;
    for (i = 0; i < ansi.Length && i < outLen - 4; i++)
        out[4 + i] = ansi.Buffer[i];
    DbgPrint("rtlstrings: path %wZ -> %Z\n", &path, &ansi);
    RtlFreeUnicodeString(&upper);
    RtlFreeAnsiString(&ansi);
    return CorpusComplete(Irp, STATUS_SUCCESS, 4 + i);
}

static NTSTATUS Numbers(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    WCHAR digits[24], small[4];
    UNICODE_STRING text = {0, sizeof(digits), digits};
    UNICODE_STRING tight = {0, sizeof(small), small};
    UNICODE_STRING minus, twelve, guidText, back, beeper;
    GUID guid;
    ULONG value = 0;

    if (outLen < 10 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlIntegerToUnicodeString(0xBEEF, 16, &text);
    DbgPrint("rtlstrings: 0xBEEF is %wZ in hex\n", &text);
    out[0] = text.Length;
    out[1] = digits[0];
    RtlInitUnicodeString(&minus, L"  -42");
    RtlUnicodeStringToInteger(&minus, 0, &value);
    out[2] = value;
    RtlCharToInteger("0x1F", 0, &value);
    out[3] = value;
    RtlInt64ToUnicodeString(1000000000000ULL, 10, &text);
    out[4] = text.Length;
    RtlInitUnicodeString(&guidText, L"{6B29FC40-CA47-1067-B31D-00DD010662DA}");
    out[5] = 0;
    if (NT_SUCCESS(RtlGUIDFromString(&guidText, &guid)) && NT_SUCCESS(RtlStringFromGUID(&guid, &back))) {
        out[5] = RtlEqualUnicodeString(&guidText, &back, FALSE);
        RtlFreeUnicodeString(&back);
    }
    RtlInitUnicodeString(&beeper, L"Beeper");
    RtlHashUnicodeString(&beeper, TRUE, HASH_STRING_ALGORITHM_X65599, &out[6]);
    out[7] = (ULONG)RtlIntegerToUnicodeString(1234, 10, &tight);
    out[8] = tight.Length;
    RtlInitUnicodeString(&twelve, L"12");
    out[9] = (ULONG)RtlUnicodeStringToInteger(&twelve, 5, &value);
    return CorpusComplete(Irp, STATUS_SUCCESS, 10 * sizeof(ULONG));
}

static NTSTATUS Names(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING a, b, device, pattern, file;
    ANSI_STRING x, y;
    WCHAR wide[16];
    ULONG bytes = 0;

    if (outLen < 10 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlInitUnicodeString(&a, L"\\Device\\Beep");
    RtlInitUnicodeString(&b, L"\\DEVICE\\BEEP");
    RtlInitUnicodeString(&device, L"\\Device");
    out[0] = RtlCompareUnicodeString(&a, &b, TRUE) == 0;
    out[1] = RtlCompareUnicodeString(&a, &b, FALSE) > 0;
    out[2] = RtlEqualUnicodeString(&a, &b, TRUE);
    out[3] = RtlPrefixUnicodeString(&device, &a, FALSE);
    RtlInitAnsiString(&x, "abc");
    RtlInitAnsiString(&y, "abd");
    out[4] = RtlCompareString(&x, &y, FALSE) < 0;
    RtlInitUnicodeString(&pattern, L"*.SYS");
    RtlInitUnicodeString(&file, L"beeper.sys");
    out[5] = FsRtlIsNameInExpression(&pattern, &file, TRUE, NULL);
    out[6] = FsRtlDoesNameContainWildCards(&file);
    out[7] = RtlIsNameLegalDOS8Dot3(&file, NULL, NULL);
    RtlUTF8ToUnicodeN(wide, sizeof(wide), &bytes, "h\xc3\xa9llo", 6);
    out[8] = bytes;
    out[9] = _wcsnicmp(L"\\Device\\X", L"\\DEVICE\\y", 8);
    return CorpusComplete(Irp, STATUS_SUCCESS, 10 * sizeof(ULONG));
}

typedef NTSTATUS(NTAPI *GET_VERSION)(PRTL_OSVERSIONINFOW);

static NTSTATUS Version(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    RTL_OSVERSIONINFOEXW info, wanted;
    UNICODE_STRING name;
    ULONGLONG mask = 0;
    ULONG major = 0, build = 0;
    GET_VERSION get;

    if (outLen < 11 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlZeroMemory(&info, sizeof(info));
    info.dwOSVersionInfoSize = sizeof(info);
    RtlGetVersion((PRTL_OSVERSIONINFOW)&info);
    out[0] = info.dwMajorVersion;
    out[1] = info.dwMinorVersion;
    out[2] = info.dwBuildNumber;
    out[3] = info.wServicePackMajor;
    PsGetVersion(&major, NULL, &build, NULL);
    out[4] = major;
    out[5] = build;

    mask = VerSetConditionMask(mask, VER_MAJORVERSION, VER_GREATER_EQUAL);
    mask = VerSetConditionMask(mask, VER_MINORVERSION, VER_GREATER_EQUAL);
    RtlZeroMemory(&wanted, sizeof(wanted));
    wanted.dwOSVersionInfoSize = sizeof(wanted);
    wanted.dwMajorVersion = 6;
    wanted.dwMinorVersion = 1;
    out[6] = RtlVerifyVersionInfo(&wanted, VER_MAJORVERSION | VER_MINORVERSION, mask) == STATUS_SUCCESS;
    wanted.dwMajorVersion = 10;
    wanted.dwMinorVersion = 0;
    out[7] = RtlVerifyVersionInfo(&wanted, VER_MAJORVERSION | VER_MINORVERSION, mask) == STATUS_SUCCESS;
    out[8] = RtlIsNtDdiVersionAvailable(0x06020000); /* NTDDI_WIN8 */

    RtlInitUnicodeString(&name, L"RtlGetVersion");
    get = (GET_VERSION)MmGetSystemRoutineAddress(&name);
    out[9] = 0;
    if (get != NULL) {
        RtlZeroMemory(&wanted, sizeof(wanted));
        wanted.dwOSVersionInfoSize = sizeof(RTL_OSVERSIONINFOW);
        out[9] = NT_SUCCESS(get((PRTL_OSVERSIONINFOW)&wanted)) && wanted.dwBuildNumber == info.dwBuildNumber;
    }
    RtlInitUnicodeString(&name, L"NoSuchRoutine");
    out[10] = MmGetSystemRoutineAddress(&name) == NULL;
    return CorpusComplete(Irp, STATUS_SUCCESS, 11 * sizeof(ULONG));
}

typedef struct _TIME_OUT {
    TIME_FIELDS Fields;
    LARGE_INTEGER Local;
    ULONG Since1970;
    ULONG RoundTrip;
} TIME_OUT;
C_ASSERT(sizeof(TIME_OUT) == 32);

static NTSTATUS Time(PIRP Irp, ULONG inLen, ULONG outLen)
{
    TIME_OUT *out = Irp->AssociatedIrp.SystemBuffer;
    LARGE_INTEGER time, back;

    if (inLen < sizeof(LARGE_INTEGER) || outLen < sizeof(TIME_OUT))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    time = *(PLARGE_INTEGER)out;
    RtlTimeToTimeFields(&time, &out->Fields);
    ExSystemTimeToLocalTime(&time, &out->Local);
    out->Since1970 = 0;
    RtlTimeToSecondsSince1970(&time, &out->Since1970);
    out->RoundTrip = RtlTimeFieldsToTime(&out->Fields, &back) && back.QuadPart == time.QuadPart;
    DbgPrint("rtlstrings: %04d-%02d-%02d %02d:%02d:%02d\n", out->Fields.Year, out->Fields.Month,
             out->Fields.Day, out->Fields.Hour, out->Fields.Minute, out->Fields.Second);
    return CorpusComplete(Irp, STATUS_SUCCESS, sizeof(TIME_OUT));
}

static NTSTATUS NTAPI RtlStringsIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_PATH:
        return Path(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    case IOCTL_NUMBERS:
        return Numbers(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_NAMES:
        return Names(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_VERSION:
        return Version(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_TIME:
        return Time(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI RtlStringsUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\RtlStrings");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    RTL_OSVERSIONINFOW info;
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\RtlStrings", L"\\DosDevices\\RtlStrings", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, RtlStringsIoctl);
    DriverObject->DriverUnload = RtlStringsUnload;

    info.dwOSVersionInfoSize = sizeof(info);
    RtlGetVersion(&info);
    DbgPrint("rtlstrings: Windows %u.%u build %u\n", info.dwMajorVersion, info.dwMinorVersion,
             info.dwBuildNumber);
    return STATUS_SUCCESS;
}
