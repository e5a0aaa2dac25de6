/*
 * crt - the kernel's C runtime as drivers use it: formatting names and messages, string
 * searches, number parsing, sorting with a callback, and (on x86) the compiler's 64-bit
 * arithmetic helpers, which gcc's own code would otherwise take from libgcc.
 *
 * Device \Device\Crt, symbolic link \DosDevices\Crt. DriverEntry prints "crt: loaded".
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)); a buffer shorter than
 * given completes with STATUS_BUFFER_TOO_SMALL, Information 0.
 *
 *   0xC00 FORMAT   code 0x80003000   out >= 128
 *     out: ULONG[4] = the return values of the four formatting calls below, then their text
 *     (ANSI, each NUL-terminated; the wide one converted with wcstombs):
 *       _snprintf(b, 64, "%s-%04d-%x-%I64u-%c", "crt", 42, 0xBEEF, 12345678901, 'Z')
 *       _snwprintf(w, 64, L"%s=%S/%wZ", L"wide", "narrow", &(UNICODE_STRING)L"counted")
 *       _snprintf(b, 4, "%d", 123456)         (cut to "1234", no NUL, returns -1)
 *       a variadic wrapper over _vsnprintf: "%-6s|%+d|%#o", "ab", 5, 8 ("ab    |+5|010")
 *     Information 16 + the text's length.
 *
 *   0xC01 STRINGS  code 0x80003004   out >= 48
 *     path = wcsncpy(L"\\Device\\", 16) + wcscat(L"Speaker").
 *     out: ULONG[12] = wcslen(path); _wcsnicmp(L"\\DEVICE\\", path, 8) == 0; the index of
 *          wcsrchr(path, '\\'); of wcsstr(path, L"eak"); of strchr("\\Device\\Beep", 'B');
 *          strstr(.., "Dev") found (1/0); _stricmp("Beep", "BEEP"); the tokens strtok_s
 *          splits "a, b,,c" into; atoi("  -123"); wcstoul(L"0x7fz", &end, 0) and the index
 *          end stops at; strlen(_itoa(255, buffer, 2)).
 *
 *   0xC02 SORT     code 0x80003008   in: ULONG[n] (n <= 32); out >= in + 8
 *     qsort(in, n, 4, compare ULONGs) with a comparison routine of this driver, then
 *     bsearch for 42. out: the sorted ULONGs, the index 42 was found at (or 0xFFFFFFFF),
 *     and rand() after srand(7).
 *
 *   0xC03 MATH     code 0x8000300C   in: LONGLONG a, b; out >= 56
 *     out: LONGLONG[7] = a * b, a / b, a % b, (ULONGLONG)a / (ULONGLONG)b,
 *          (ULONGLONG)a % (ULONGLONG)b, a << 5, a >> 5. x86 calls ntoskrnl's _allmul,
 *          _alldiv, _allrem, _aulldiv, _aullrem, _allshl and _allshr; x64 computes natively.
 *          b = 0 raises #DE (the helper's on x86, the driver's own idiv on x64).
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include <stdarg.h>

#include "corpus.h"

#define IOCTL_FORMAT  CORPUS_IOCTL(0xC00, METHOD_BUFFERED)
#define IOCTL_STRINGS CORPUS_IOCTL(0xC01, METHOD_BUFFERED)
#define IOCTL_SORT    CORPUS_IOCTL(0xC02, METHOD_BUFFERED)
#define IOCTL_MATH    CORPUS_IOCTL(0xC03, METHOD_BUFFERED)

/* The C runtime ntoskrnl exports that the DDK headers do not declare. */
int __cdecl _snprintf(char *buffer, size_t count, const char *format, ...);
int __cdecl _snwprintf(wchar_t *buffer, size_t count, const wchar_t *format, ...);
int __cdecl _vsnprintf(char *buffer, size_t count, const char *format, va_list args);
size_t __cdecl wcstombs(char *dest, const wchar_t *src, size_t count);
int __cdecl atoi(const char *s);
unsigned long __cdecl wcstoul(const wchar_t *s, wchar_t **end, int base);
void __cdecl qsort(void *base, size_t count, size_t size, int(__cdecl *compare)(const void *, const void *));
void *__cdecl bsearch(const void *key, const void *base, size_t count, size_t size,
                      int(__cdecl *compare)(const void *, const void *));
int __cdecl rand(void);
void __cdecl srand(unsigned int seed);

static PDEVICE_OBJECT g_Device;

/* Appends a NUL-terminated string to out at *at. */
static VOID Put(PUCHAR out, PULONG at, const char *s)
{
    do {
        out[(*at)++] = *s;
    } while (*s++);
}

static int Format(char *buffer, size_t count, const char *format, ...)
{
    va_list args;
    int n;

    va_start(args, format);
    n = _vsnprintf(buffer, count, format, args);
    va_end(args);
    return n;
}

static NTSTATUS FormatIoctl(PIRP Irp, ULONG outLen)
{
    PUCHAR out = Irp->AssociatedIrp.SystemBuffer;
    PLONG counts = (PLONG)out;
    char b[64];
    wchar_t w[64];
    UNICODE_STRING counted;
    ULONG at = 16;

    if (outLen < 128)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    counts[0] = _snprintf(b, sizeof(b), "%s-%04d-%x-%I64u-%c", "crt", 42, 0xBEEF, 12345678901ULL, 'Z');
    Put(out, &at, b);
    RtlInitUnicodeString(&counted, L"counted");
    counts[1] = _snwprintf(w, 64, L"%s=%S/%wZ", L"wide", "narrow", &counted);
    wcstombs(b, w, sizeof(b));
    Put(out, &at, b);
    RtlFillMemory(b, sizeof(b), 'x');
    counts[2] = _snprintf(b, 4, "%d", 123456);
    b[5] = 0;
    Put(out, &at, b);
    counts[3] = Format(b, sizeof(b), "%-6s|%+d|%#o", "ab", 5, 8);
    Put(out, &at, b);
    DbgPrint("crt: %s\n", b);
    return CorpusComplete(Irp, STATUS_SUCCESS, at);
}

static NTSTATUS StringsIoctl(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    wchar_t path[32];
    const wchar_t *hex = L"0x7fz";
    wchar_t *end;
    char list[16] = "a, b,,c";
    char digits[40];
    char *context = NULL, *token;
    const char *text = "\\Device\\Beep";
    ULONG tokens = 0;

    if (outLen < 12 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    wcsncpy(path, L"\\Device\\", 16);
    wcscat(path, L"Speaker");
    out[0] = (ULONG)wcslen(path);
    out[1] = _wcsnicmp(L"\\DEVICE\\", path, 8) == 0;
    out[2] = (ULONG)(wcsrchr(path, L'\\') - path);
    out[3] = (ULONG)(wcsstr(path, L"eak") - path);
    out[4] = (ULONG)(strchr(text, 'B') - text);
    out[5] = strstr(text, "Dev") != NULL;
    out[6] = (ULONG)_stricmp("Beep", "BEEP");
    for (token = strtok_s(list, ", ", &context); token != NULL; token = strtok_s(NULL, ", ", &context))
        tokens++;
    out[7] = tokens;
    out[8] = (ULONG)atoi("  -123");
    out[9] = wcstoul(hex, &end, 0);
    out[10] = (ULONG)(end - hex);
    out[11] = (ULONG)strlen(_itoa(255, digits, 2));
    return CorpusComplete(Irp, STATUS_SUCCESS, 12 * sizeof(ULONG));
}

static int __cdecl CompareUlongs(const void *a, const void *b)
{
    ULONG x = *(const ULONG *)a, y = *(const ULONG *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static NTSTATUS SortIoctl(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PULONG data = Irp->AssociatedIrp.SystemBuffer;
    ULONG n = inLen / sizeof(ULONG);
    ULONG key = 42;
    PULONG found;

    if (n > 32 || outLen < inLen + 8)
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    qsort(data, n, sizeof(ULONG), CompareUlongs);
    found = bsearch(&key, data, n, sizeof(ULONG), CompareUlongs);
    data[n] = found != NULL ? (ULONG)(found - data) : 0xFFFFFFFF;
    srand(7);
    data[n + 1] = (ULONG)rand();
    return CorpusComplete(Irp, STATUS_SUCCESS, (n + 2) * sizeof(ULONG));
}

#ifndef _WIN64
/* The x86 helpers: stdcall with two 64-bit operands, or EDX:EAX and CL for the shifts. */
LONGLONG __stdcall _allmul(LONGLONG a, LONGLONG b);
LONGLONG __stdcall _alldiv(LONGLONG a, LONGLONG b);
LONGLONG __stdcall _allrem(LONGLONG a, LONGLONG b);
ULONGLONG __stdcall _aulldiv(ULONGLONG a, ULONGLONG b);
ULONGLONG __stdcall _aullrem(ULONGLONG a, ULONGLONG b);

static LONGLONG ShiftLeft(LONGLONG v, UCHAR n)
{
    __asm__ volatile("call __allshl" : "+A"(v) : "c"(n) : "cc");
    return v;
}

static LONGLONG ShiftRight(LONGLONG v, UCHAR n)
{
    __asm__ volatile("call __allshr" : "+A"(v) : "c"(n) : "cc");
    return v;
}
#endif

static NTSTATUS MathIoctl(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PLONGLONG io = Irp->AssociatedIrp.SystemBuffer;
    LONGLONG a, b;

    if (inLen < 2 * sizeof(LONGLONG) || outLen < 7 * sizeof(LONGLONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    a = io[0];
    b = io[1];
#ifdef _WIN64
    io[0] = a * b;
    io[1] = a / b;
    io[2] = a % b;
    io[3] = (LONGLONG)((ULONGLONG)a / (ULONGLONG)b);
    io[4] = (LONGLONG)((ULONGLONG)a % (ULONGLONG)b);
    io[5] = (LONGLONG)((ULONGLONG)a << 5);
    io[6] = a >> 5;
#else
    io[0] = _allmul(a, b);
    io[1] = _alldiv(a, b);
    io[2] = _allrem(a, b);
    io[3] = (LONGLONG)_aulldiv((ULONGLONG)a, (ULONGLONG)b);
    io[4] = (LONGLONG)_aullrem((ULONGLONG)a, (ULONGLONG)b);
    io[5] = ShiftLeft(a, 5);
    io[6] = ShiftRight(a, 5);
#endif
    return CorpusComplete(Irp, STATUS_SUCCESS, 7 * sizeof(LONGLONG));
}

static NTSTATUS NTAPI CrtIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_FORMAT:
        return FormatIoctl(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_STRINGS:
        return StringsIoctl(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_SORT:
        return SortIoctl(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    case IOCTL_MATH:
        return MathIoctl(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI CrtUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Crt");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Crt", L"\\DosDevices\\Crt", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, CrtIoctl);
    DriverObject->DriverUnload = CrtUnload;
    DbgPrint("crt: loaded\n");
    return STATUS_SUCCESS;
}
