/*
 * overlapped - a request the driver leaves pending, seen from a program: \\.\Methods opened
 * with FILE_FLAG_OVERLAPPED, PEND (0x80002410) sent with an OVERLAPPED, then completed by
 * RELEASE (0x80002414). Each answer is printed as "what = value" and compared with what
 * Windows answers; the exit code is 0 when all agree, else the number of the first that did
 * not.
 *
 *   PEND           FALSE, ERROR_IO_PENDING; Internal STATUS_PENDING; the event (created
 *                  signaled) reset; GetOverlappedResult without waiting: ERROR_IO_INCOMPLETE
 *   a second PEND  completes at once with STATUS_DEVICE_BUSY: FALSE, ERROR_BUSY, its
 *                  OVERLAPPED's Internal says so and its event is set
 *   RELEASE        TRUE (with an OVERLAPPED that has no event)
 *   then           the event is set, GetOverlappedResult (waiting) gives TRUE, 4 bytes,
 *                  0x00C0FFEE in the output buffer
 *
 * With the argument "sync", PEND goes through a handle opened without FILE_FLAG_OVERLAPPED:
 * the call waits for a completion nothing will make (Windows hangs; the run ends).
 *
 * With the argument "inverted", the same synchronous PEND waits while a second thread of
 * the program sends RELEASE through a handle of its own (the inverted call a driver's user
 * agent makes): PEND returns TRUE, 4 bytes, 0x00C0FFEE, after the worker's RELEASE. Then an
 * overlapped PEND whose GetOverlappedResult waits while another worker releases it.
 */
#include "program.h"

#define IOCTL_PEND 0x80002410
#define IOCTL_RELEASE 0x80002414
#define STATUS_DEVICE_BUSY_CODE 0x80000011

static int g_Step, g_Failed;

/* "what = got"; records the first answer that is not `want`. */
static void Expect(const char *what, unsigned long got, unsigned long want)
{
    g_Step++;
    Print(what);
    Print(" = ");
    PrintNum(got);
    if (got != want) {
        Print("   (expected ");
        PrintNum(want);
        Print(")");
        if (!g_Failed)
            g_Failed = g_Step;
    }
    Print("\n");
}

static const char *Argument(void)
{
    const char *s = GetCommandLineA();
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    return s;
}

static volatile LONG g_Released;

static DWORD WINAPI Release(LPVOID p)
{
    HANDLE h = CreateFileA("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD got = 0;
    (void)p;
    Sleep(10);
    g_Released = DeviceIoControl(h, IOCTL_RELEASE, NULL, 0, NULL, 0, &got, NULL) ? 1 : -1;
    CloseHandle(h);
    return 0;
}

void ProgramStart(void)
{
    const char *mode = Argument();
    if (mode[0] == 'i') {
        HANDLE h = CreateFileA("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        HANDLE worker = CreateThread(NULL, 0, Release, NULL, 0, NULL);
        DWORD out = 0, got = 0;
        SetLastError(0);
        Expect("synchronous DeviceIoControl(PEND)", DeviceIoControl(h, IOCTL_PEND, NULL, 0, &out, 4, &got, NULL), 1);
        Expect("  the worker's RELEASE came first", g_Released, 1);
        Expect("  bytes returned", got, 4);
        Expect("  output", out, 0xC0FFEE);
        Expect("  GetLastError", GetLastError(), 0);
        WaitForSingleObject(worker, INFINITE);
        CloseHandle(worker);
        CloseHandle(h);
        {
            HANDLE ho = CreateFileA("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                                    FILE_FLAG_OVERLAPPED, NULL);
            OVERLAPPED ov = {0};
            ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
            out = 0;
            g_Released = 0;
            Expect("overlapped DeviceIoControl(PEND)", DeviceIoControl(ho, IOCTL_PEND, NULL, 0, &out, 4, &got, &ov), 0);
            Expect("  GetLastError", GetLastError(), ERROR_IO_PENDING);
            worker = CreateThread(NULL, 0, Release, NULL, 0, NULL);
            got = 0;
            Expect("GetOverlappedResult(waiting) while a worker releases it", GetOverlappedResult(ho, &ov, &got, TRUE), 1);
            Expect("  the worker's RELEASE came first", g_Released, 1);
            Expect("  bytes", got, 4);
            Expect("  output", out, 0xC0FFEE);
            WaitForSingleObject(worker, INFINITE);
            CloseHandle(worker);
            CloseHandle(ov.hEvent);
            CloseHandle(ho);
        }
        Print(g_Failed ? "some answers differ\n" : "all answers as Windows gives them\n");
        ExitProcess(g_Failed);
    }
    if (mode[0] == 's') {
        HANDLE h = CreateFileA("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        DWORD out = 0, got = 0;
        Print("PEND on a synchronous handle\n");
        DeviceIoControl(h, IOCTL_PEND, NULL, 0, &out, 4, &got, NULL);
        Print("it returned\n");
        ExitProcess(1);
    }

    HANDLE h = CreateFileA("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, NULL);
    Expect("CreateFileA(FILE_FLAG_OVERLAPPED) valid", h != INVALID_HANDLE_VALUE, 1);
    HANDLE event = CreateEventA(NULL, TRUE, TRUE, NULL);

    /* Without an OVERLAPPED, an overlapped handle's request has nowhere to report. */
    DWORD out = 0, got = 0;
    SetLastError(0);
    Expect("DeviceIoControl(no OVERLAPPED)", DeviceIoControl(h, IOCTL_PEND, NULL, 0, &out, 4, &got, NULL), 0);
    Expect("  GetLastError", GetLastError(), ERROR_INVALID_PARAMETER);

    OVERLAPPED ov = {0};
    ov.hEvent = event;
    SetLastError(0);
    Expect("DeviceIoControl(PEND)", DeviceIoControl(h, IOCTL_PEND, NULL, 0, &out, 4, &got, &ov), 0);
    Expect("  GetLastError", GetLastError(), ERROR_IO_PENDING);
    Expect("  Internal", (unsigned long)ov.Internal, STATUS_PENDING);
    Expect("  HasOverlappedIoCompleted", HasOverlappedIoCompleted(&ov), 0);
    Expect("  the event (reset)", WaitForSingleObject(event, 0), WAIT_TIMEOUT);
    Expect("GetOverlappedResult(no wait)", GetOverlappedResult(h, &ov, &got, FALSE), 0);
    Expect("  GetLastError", GetLastError(), ERROR_IO_INCOMPLETE);

    OVERLAPPED busy = {0};
    HANDLE busy_event = CreateEventA(NULL, TRUE, FALSE, NULL);
    DWORD busy_out = 0;
    busy.hEvent = busy_event;
    Expect("DeviceIoControl(second PEND)", DeviceIoControl(h, IOCTL_PEND, NULL, 0, &busy_out, 4, &got, &busy), 0);
    Expect("  GetLastError", GetLastError(), ERROR_BUSY);
    Expect("  Internal", (unsigned long)busy.Internal, STATUS_DEVICE_BUSY_CODE);
    Expect("  its event", WaitForSingleObject(busy_event, 0), WAIT_OBJECT_0);

    OVERLAPPED release = {0};
    Expect("DeviceIoControl(RELEASE)", DeviceIoControl(h, IOCTL_RELEASE, NULL, 0, NULL, 0, &got, &release), 1);
    Expect("  Internal", (unsigned long)release.Internal, 0);

    Expect("the event (set)", WaitForSingleObject(event, 0), WAIT_OBJECT_0);
    Expect("HasOverlappedIoCompleted", HasOverlappedIoCompleted(&ov), 1);
    got = 0;
    Expect("GetOverlappedResult(wait)", GetOverlappedResult(h, &ov, &got, TRUE), 1);
    Expect("  bytes", got, 4);
    Expect("  output", out, 0x00C0FFEE);
    Expect("  InternalHigh", (unsigned long)ov.InternalHigh, 4);

    CloseHandle(busy_event);
    CloseHandle(event);
    CloseHandle(h);
    Print(g_Failed ? "some answers differ\n" : "all answers as Windows gives them\n");
    ExitProcess(g_Failed);
}
