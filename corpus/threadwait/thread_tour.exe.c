/*
 * thread_tour - a program's own threads (kernel32's CreateThread and its waits), each answer
 * printed as "what = value" and compared with what Windows answers (exit code 0 when all
 * agree, else the number of the first that did not). Run beside the threadwait driver,
 * started (its system thread answers KICK):
 *
 *   start and end    CreateThread runs the thread when the creator waits for it;
 *                    GetExitCodeThread is STILL_ACTIVE, then the code its start routine
 *                    returned; ExitThread's code; GetThreadId, the id CreateThread gave;
 *                    GetCurrentThreadId differs per thread
 *   suspended        CREATE_SUSPENDED does not run until ResumeThread (previous count 1)
 *   suspend/resume   SuspendThread of a worker held in a wait: the event it waits for is
 *                    set, yet it goes on only once ResumeThread brings its count to 0; a
 *                    worker that suspends itself stops there until resumed (SuspendThread
 *                    returns 0 to it then); the count's limit (127: ERROR_SIGNAL_REFUSED);
 *                    a thread that ended (ERROR_ACCESS_DENIED)
 *   events           a worker sets an auto-reset event the main thread waits for
 *   sleeps           two threads sleeping 30 ms and 10 ms wake in the virtual clock's order
 *   critical section a worker entering a section the main thread holds waits for it and
 *                    gets it when the main thread leaves it; a counter shared by three
 *                    threads under the section reaches its total
 *   multiple waits   WaitForMultipleObjects: any (the first to end), all, a timeout,
 *                    a handle given twice with bWaitAll (ERROR_INVALID_PARAMETER)
 *   per thread       the last error and a TLS slot are each thread's own
 *   yield            SwitchToThread lets a ready thread run first
 *   a driver         a worker sends the threadwait driver's KICK (its system thread answers)
 *                    while the main thread waits for the worker; the driver starts a thread
 *                    in the program with RtlCreateUserThread (USER_THREAD), which the
 *                    program waits for through the handle the driver gave it
 *
 * Modes that end the run on purpose (the first argument):
 *   exit-from-worker a worker calls ExitProcess(5) while the main thread waits: exit code 5
 *   fault-in-worker  a worker writes through NULL: the process ends with
 *                    STATUS_ACCESS_VIOLATION
 *   deadlock         the main thread waits for a worker that waits for an event nobody
 *                    sets: the run's deadlock, both threads in its wait graph
 *   last-thread      the main thread ends with ExitThread(9) first; the worker, last,
 *                    returns 6: the process's exit code is 6
 *   suspend-self     the only thread suspends itself: nothing could resume it, the run's
 *                    deadlock names the thread waiting for ResumeThread
 */
#include "program.h"

#define IOCTL_KICK CTL_CODE(0x8000, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_USER_THREAD CTL_CODE(0x8000, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS)

static int g_Step, g_Failed;

static void Expect(const char *what, long got, long want)
{
    g_Step++;
    Print(what);
    Print(" = ");
    if (got < 0) {
        Print("-");
        PrintNum((unsigned long)-got);
    } else {
        PrintNum((unsigned long)got);
    }
    if (got != want) {
        Print("   (expected ");
        PrintNum((unsigned long)want);
        Print(")");
        if (!g_Failed)
            g_Failed = g_Step;
    }
    Print("\n");
}

static int Same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The first argument of the command line (after the program's name), or "". */
static const char *Argument(void)
{
    const char *s = GetCommandLineA();
    int quoted = 0;
    while (*s && (quoted || *s != ' ')) {
        if (*s == '"')
            quoted = !quoted;
        s++;
    }
    while (*s == ' ')
        s++;
    return s;
}

/* What the threads did, in order: one letter each. */
static char g_Log[64];
static volatile LONG g_LogLen;

static void Log(char c)
{
    if (g_LogLen < (LONG)sizeof g_Log - 1)
        g_Log[g_LogLen++] = c;
}

static DWORD WINAPI ReturnSeven(LPVOID p)
{
    Log((char)(ULONG_PTR)p);
    return 7;
}

static DWORD WINAPI ExitWithEleven(LPVOID p)
{
    (void)p;
    ExitThread(11);
    return 1;
}

static DWORD WINAPI SetAnEvent(LPVOID p)
{
    Log('s');
    SetEvent((HANDLE)p);
    Log('t');
    return 0;
}

static DWORD WINAPI SleepFor(LPVOID p)
{
    Sleep((DWORD)(ULONG_PTR)p);
    Log((ULONG_PTR)p == 10 ? 'b' : 'a');
    return GetTickCount();
}

static CRITICAL_SECTION g_Cs;
static LONG g_Counter;

static DWORD WINAPI EnterTheSection(LPVOID p)
{
    (void)p;
    Log('w');
    EnterCriticalSection(&g_Cs);
    Log('g');
    LeaveCriticalSection(&g_Cs);
    return 0;
}

static DWORD WINAPI Count(LPVOID p)
{
    int i;
    for (i = 0; i < 100; i++) {
        EnterCriticalSection(&g_Cs);
        g_Counter++;
        if (i % 10 == 0)
            Sleep(1);
        LeaveCriticalSection(&g_Cs);
    }
    return (DWORD)(ULONG_PTR)p;
}

static DWORD g_TlsIndex;

static DWORD WINAPI OwnState(LPVOID p)
{
    (void)p;
    SetLastError(1234);
    TlsSetValue(g_TlsIndex, (LPVOID)0x55);
    Sleep(5);
    return GetLastError() == 1234 && TlsGetValue(g_TlsIndex) == (LPVOID)0x55 ? 1 : 0;
}

static DWORD WINAPI Kick(LPVOID p)
{
    DWORD count = 0, n = 0;
    HANDLE dev = CreateFileA("\\\\.\\ThreadWait", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    (void)p;
    if (dev == INVALID_HANDLE_VALUE)
        return 100;
    if (!DeviceIoControl(dev, IOCTL_KICK, NULL, 0, &count, sizeof count, &n, NULL))
        count = 200;
    CloseHandle(dev);
    return count;
}

static volatile LONG g_Injected;

static DWORD WINAPI Injected(LPVOID p)
{
    g_Injected = (LONG)(ULONG_PTR)p;
    return 12;
}

static DWORD WINAPI EndProcess(LPVOID p)
{
    (void)p;
    Print("the worker ends the process\n");
    ExitProcess(5);
    return 0;
}

static DWORD WINAPI Fault(LPVOID p)
{
    (void)p;
    Print("the worker writes through NULL\n");
    *(volatile int *)0 = 1;
    return 0;
}

static DWORD WINAPI WaitForNobody(LPVOID p)
{
    WaitForSingleObject((HANDLE)p, INFINITE);
    return 0;
}

static DWORD WINAPI Outlive(LPVOID p)
{
    (void)p;
    Sleep(20);
    Print("the worker ends last\n");
    return 6;
}

static HANDLE g_Gate;

static DWORD WINAPI WaitAtGate(LPVOID p)
{
    (void)p;
    WaitForSingleObject(g_Gate, INFINITE);
    Log('g');
    return 21;
}

static DWORD WINAPI SuspendSelf(LPVOID p)
{
    DWORD previous;
    (void)p;
    Log('a');
    previous = SuspendThread(GetCurrentThread());
    Log('b');
    return previous + 30;
}

static DWORD Code(HANDLE h)
{
    DWORD code = 0;
    if (!GetExitCodeThread(h, &code))
        return 0xFFFFFFFF;
    return code;
}

static void StartAndEnd(void)
{
    DWORD id = 0, code;
    HANDLE h = CreateThread(NULL, 0, ReturnSeven, (LPVOID)'r', 0, &id);
    Expect("CreateThread", h != NULL, 1);
    Expect("GetThreadId = the id CreateThread gave", GetThreadId(h) == id, 1);
    Expect("a thread id of its own", id != GetCurrentThreadId(), 1);
    Expect("GetExitCodeThread before it ran", Code(h), STILL_ACTIVE);
    Expect("it has not run before the creator waits", g_LogLen, 0);
    Expect("WaitForSingleObject(thread)", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    Expect("it ran", g_LogLen == 1 && g_Log[0] == 'r', 1);
    code = Code(h);
    Expect("GetExitCodeThread after", code, 7);
    Expect("a thread that ended stays signaled", WaitForSingleObject(h, 0), WAIT_OBJECT_0);
    CloseHandle(h);
    h = CreateThread(NULL, 0, ExitWithEleven, NULL, 0, NULL);
    WaitForSingleObject(h, INFINITE);
    Expect("ExitThread's code", Code(h), 11);
    CloseHandle(h);
    Expect("CreateThread with no start routine", CreateThread(NULL, 0, NULL, NULL, 0, NULL) == NULL, 1);
    Expect("  its error", GetLastError(), ERROR_INVALID_PARAMETER);
}

static void Suspended(void)
{
    HANDLE h;
    g_LogLen = 0;
    h = CreateThread(NULL, 0, ReturnSeven, (LPVOID)'u', CREATE_SUSPENDED, NULL);
    Expect("a suspended thread does not run (a 20 ms wait times out)", WaitForSingleObject(h, 20), WAIT_TIMEOUT);
    Expect("  nor did it log", g_LogLen, 0);
    Expect("ResumeThread's previous count", ResumeThread(h), 1);
    Expect("then it runs", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    Expect("ResumeThread of a thread not suspended", ResumeThread(h), 0);
    CloseHandle(h);
}

static void SuspendResume(void)
{
    HANDLE h;
    int i;
    g_LogLen = 0;
    g_Gate = CreateEventA(NULL, TRUE, FALSE, NULL);
    h = CreateThread(NULL, 0, WaitAtGate, NULL, 0, NULL);
    Sleep(1);
    Expect("SuspendThread of a waiting worker: previous count", SuspendThread(h), 0);
    Expect("  again", SuspendThread(h), 1);
    SetEvent(g_Gate);
    Expect("its event is set, yet it does not go on (a 20 ms wait times out)", WaitForSingleObject(h, 20), WAIT_TIMEOUT);
    Expect("  nor did it log", g_LogLen, 0);
    Expect("ResumeThread's previous count", ResumeThread(h), 2);
    Expect("  suspended still (a 20 ms wait times out)", WaitForSingleObject(h, 20), WAIT_TIMEOUT);
    Expect("ResumeThread again", ResumeThread(h), 1);
    Expect("then it goes on", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    Expect("  its code", Code(h), 21);
    Expect("SuspendThread of a thread that ended", SuspendThread(h), -1);
    Expect("  its error", GetLastError(), ERROR_ACCESS_DENIED);
    CloseHandle(h);
    CloseHandle(g_Gate);

    g_LogLen = 0;
    h = CreateThread(NULL, 0, SuspendSelf, NULL, 0, NULL);
    Sleep(1);
    Expect("a worker that suspended itself stopped there", g_LogLen == 1 && g_Log[0] == 'a', 1);
    Expect("  it does not go on (a 20 ms wait times out)", WaitForSingleObject(h, 20), WAIT_TIMEOUT);
    Expect("ResumeThread of it", ResumeThread(h), 1);
    Expect("then it goes on", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    Expect("  SuspendThread returned 0 to it", Code(h), 30);
    Expect("  it logged after", g_LogLen == 2 && g_Log[1] == 'b', 1);
    CloseHandle(h);

    h = CreateThread(NULL, 0, ReturnSeven, (LPVOID)'s', CREATE_SUSPENDED, NULL);
    for (i = 1; i < 127; i++)
        SuspendThread(h);
    Expect("SuspendThread at the count's limit (127)", SuspendThread(h), -1);
    Expect("  its error", GetLastError(), ERROR_SIGNAL_REFUSED);
    for (i = 0; i < 126; i++)
        ResumeThread(h);
    Expect("the last ResumeThread's previous count", ResumeThread(h), 1);
    Expect("then it runs", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    CloseHandle(h);
    Expect("SuspendThread(NULL)", SuspendThread(NULL), -1);
    Expect("  its error", GetLastError(), ERROR_INVALID_HANDLE);
}

static void Events(void)
{
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, NULL), h;
    g_LogLen = 0;
    h = CreateThread(NULL, 0, SetAnEvent, e, 0, NULL);
    Log('m');
    Expect("waiting for the event a worker sets", WaitForSingleObject(e, INFINITE), WAIT_OBJECT_0);
    Log('e');
    WaitForSingleObject(h, INFINITE);
    g_Log[g_LogLen] = 0;
    Print("order: ");
    Print(g_Log);
    Print("\n");
    /* The main thread runs until it waits; the worker sets the event and goes on until it
     * ends (no preemption); then the main thread's wait is over. */
    Expect("the order is m s t e", Same(g_Log, "mste"), 1);
    Expect("the auto-reset event is clear again", WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    CloseHandle(h);
    CloseHandle(e);
}

static void Sleeps(void)
{
    HANDLE h[2];
    DWORD t0 = GetTickCount();
    g_LogLen = 0;
    h[0] = CreateThread(NULL, 0, SleepFor, (LPVOID)30, 0, NULL);
    h[1] = CreateThread(NULL, 0, SleepFor, (LPVOID)10, 0, NULL);
    Expect("WaitForMultipleObjects(all)", WaitForMultipleObjects(2, h, TRUE, INFINITE), WAIT_OBJECT_0);
    g_Log[g_LogLen] = 0;
    Expect("the 10 ms sleeper woke first", Same(g_Log, "ba"), 1);
    Expect("the 30 ms sleeper woke 30 ms on", Code(h[0]) - t0 >= 30 && Code(h[0]) - t0 < 40, 1);
    CloseHandle(h[0]);
    CloseHandle(h[1]);
}

static void Section(void)
{
    HANDLE h, c[3];
    int i;
    InitializeCriticalSection(&g_Cs);
    g_LogLen = 0;
    EnterCriticalSection(&g_Cs);
    h = CreateThread(NULL, 0, EnterTheSection, NULL, 0, NULL);
    Sleep(5);
    Log('l');
    LeaveCriticalSection(&g_Cs);
    Expect("TryEnterCriticalSection while the worker owns it", TryEnterCriticalSection(&g_Cs), 0);
    WaitForSingleObject(h, INFINITE);
    g_Log[g_LogLen] = 0;
    Print("order: ");
    Print(g_Log);
    Print("\n");
    Expect("the worker waited, then got it", Same(g_Log, "wlg"), 1);
    Expect("TryEnterCriticalSection once it is free", TryEnterCriticalSection(&g_Cs), 1);
    LeaveCriticalSection(&g_Cs);
    CloseHandle(h);
    for (i = 0; i < 3; i++)
        c[i] = CreateThread(NULL, 0, Count, (LPVOID)(ULONG_PTR)i, 0, NULL);
    Expect("WaitForMultipleObjects(all) on the counters", WaitForMultipleObjects(3, c, TRUE, INFINITE), WAIT_OBJECT_0);
    Expect("the shared counter", g_Counter, 300);
    for (i = 0; i < 3; i++)
        CloseHandle(c[i]);
    DeleteCriticalSection(&g_Cs);
}

static void Multiple(void)
{
    HANDLE h[2], e = CreateEventA(NULL, TRUE, FALSE, NULL);
    h[0] = CreateThread(NULL, 0, SleepFor, (LPVOID)30, 0, NULL);
    h[1] = CreateThread(NULL, 0, SleepFor, (LPVOID)10, 0, NULL);
    Expect("WaitForMultipleObjects(any): the 10 ms one", WaitForMultipleObjects(2, h, FALSE, INFINITE), WAIT_OBJECT_0 + 1);
    Expect("WaitForMultipleObjects(all, 5 ms): a timeout", WaitForMultipleObjects(2, h, TRUE, 5), WAIT_TIMEOUT);
    Expect("WaitForMultipleObjects(all)", WaitForMultipleObjects(2, h, TRUE, INFINITE), WAIT_OBJECT_0);
    h[1] = h[0];
    Expect("a handle twice with bWaitAll", WaitForMultipleObjects(2, h, TRUE, 0), WAIT_FAILED);
    Expect("  its error", GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("no handles", WaitForMultipleObjects(0, h, FALSE, 0), WAIT_FAILED);
    h[1] = e;
    Expect("an event and an ended thread (any)", WaitForMultipleObjects(2, h, FALSE, 0), WAIT_OBJECT_0);
    CloseHandle(h[0]);
    CloseHandle(e);
}

static void PerThread(void)
{
    HANDLE h;
    g_TlsIndex = TlsAlloc();
    TlsSetValue(g_TlsIndex, (LPVOID)0x77);
    h = CreateThread(NULL, 0, OwnState, NULL, 0, NULL);
    SetLastError(42);
    Expect("a worker sets its own last error and TLS slot", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    Expect("  the worker saw its own", Code(h), 1);
    Expect("the main thread's last error", GetLastError(), 42);
    Expect("the main thread's TLS slot", (long)(ULONG_PTR)TlsGetValue(g_TlsIndex), 0x77);
    TlsFree(g_TlsIndex);
    CloseHandle(h);
}

static void Yielding(void)
{
    HANDLE h;
    g_LogLen = 0;
    Expect("SwitchToThread with nobody else ready", SwitchToThread(), 0);
    h = CreateThread(NULL, 0, ReturnSeven, (LPVOID)'y', 0, NULL);
    Expect("SwitchToThread with a thread ready", SwitchToThread(), 1);
    Expect("  it ran meanwhile", g_LogLen == 1 && g_Log[0] == 'y', 1);
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
}

static void Driver(void)
{
    HANDLE h = CreateThread(NULL, 0, Kick, NULL, 0, NULL);
    Expect("a worker's KICK answered by the driver's thread", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    Expect("  the driver's count", Code(h), 1);
    CloseHandle(h);
}

static void DriverThread(void)
{
    struct {
        PVOID Start;
        PVOID Parameter;
    } in = {(PVOID)Injected, (PVOID)33};
    struct {
        ULONG Status;
        ULONG Tid;
        ULONGLONG Handle;
    } out = {1, 0, 0};
    DWORD n = 0;
    HANDLE dev = CreateFileA("\\\\.\\ThreadWait", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    Expect("DeviceIoControl(USER_THREAD)", DeviceIoControl(dev, IOCTL_USER_THREAD, &in, sizeof in, &out, sizeof out, &n, NULL), 1);
    Expect("  RtlCreateUserThread's status", out.Status, 0);
    Expect("  a thread id", out.Tid != 0 && out.Tid != GetCurrentThreadId(), 1);
    Expect("  it has not run yet", g_Injected, 0);
    Expect("waiting through the driver's handle", WaitForSingleObject((HANDLE)(ULONG_PTR)out.Handle, INFINITE), WAIT_OBJECT_0);
    Expect("  it ran with the parameter", g_Injected, 33);
    Expect("  the handle closes", CloseHandle((HANDLE)(ULONG_PTR)out.Handle), 1);
    CloseHandle(dev);
}

void ProgramStart(void)
{
    const char *mode = Argument();
    if (Same(mode, "exit-from-worker")) {
        WaitForSingleObject(CreateThread(NULL, 0, EndProcess, NULL, 0, NULL), INFINITE);
        ExitProcess(1);
    }
    if (Same(mode, "fault-in-worker")) {
        WaitForSingleObject(CreateThread(NULL, 0, Fault, NULL, 0, NULL), INFINITE);
        ExitProcess(1);
    }
    if (Same(mode, "deadlock")) {
        HANDLE h = CreateThread(NULL, 0, WaitForNobody, CreateEventA(NULL, TRUE, FALSE, NULL), 0, NULL);
        Print("the main thread waits for a worker that waits for nothing that comes\n");
        WaitForSingleObject(h, INFINITE);
        ExitProcess(1);
    }
    if (Same(mode, "suspend-self")) {
        Print("the only thread suspends itself\n");
        SuspendThread(GetCurrentThread());
        ExitProcess(1);
    }
    if (Same(mode, "last-thread")) {
        CreateThread(NULL, 0, Outlive, NULL, 0, NULL);
        Print("the main thread ends first\n");
        ExitThread(9);
    }
    StartAndEnd();
    Suspended();
    SuspendResume();
    Events();
    Sleeps();
    Section();
    Multiple();
    PerThread();
    Yielding();
    Driver();
    DriverThread();
    Print(g_Failed ? "some answers differ\n" : "all answers as Windows gives them\n");
    ExitProcess(g_Failed);
}
