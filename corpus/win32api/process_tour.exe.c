/*
 * process_tour - a program that starts copies of itself (kernel32's CreateProcess): each
 * copy is a process of its own, with its own user half of the address space (the same
 * image at the same address, its own globals), running beside its creator. Each answer is
 * printed as "what = value" and compared with what Windows answers (exit code 0 when all
 * agree, else the number of the first that did not).
 *
 *   start and end    CreateProcessA runs the child when the creator waits; WaitForSingleObject
 *                    on hProcess ends when it does; GetExitCodeProcess gives STILL_ACTIVE,
 *                    then its exit code; PROCESS_INFORMATION's ids are the child's
 *   address spaces   the parent's global, set after the child started, is not the child's:
 *                    the child reports the value its own image holds
 *   side by side     parent and child hand a named event back and forth (ping, pong)
 *   faults           a child that writes through NULL ends with STATUS_ACCESS_VIOLATION;
 *                    the parent goes on
 *   suspended        CREATE_SUSPENDED: the child does not run until ResumeThread; what
 *                    WriteProcessMemory put in it meanwhile is what it finds
 *   memory           ReadProcessMemory/WriteProcessMemory reach the child's global at the
 *                    address of the parent's own (which stays as it was); a handle without
 *                    PROCESS_VM_READ is ERROR_ACCESS_DENIED; an address the child does not
 *                    have is ERROR_PARTIAL_COPY with nothing read
 *   termination      OpenProcess by id, GetProcessId, TerminateProcess of a child held in a
 *                    wait: its exit code is the one given, a second TerminateProcess is
 *                    ERROR_ACCESS_DENIED; OpenProcess of System is ERROR_ACCESS_DENIED, of
 *                    no process ERROR_INVALID_PARAMETER
 *   refusals         no such file: ERROR_FILE_NOT_FOUND; no command line at all:
 *                    ERROR_INVALID_PARAMETER
 *
 * Child modes (the first argument): "child N" exits with N + its global's value (0),
 * "pong" answers the parent's ping, "crash" writes through NULL, "wait" waits for an event
 * nobody sets, "bomb" starts copies of itself without end (a hostile program: the run
 * ends when the machine's memory cap refuses one).
 */
#include "program.h"

static int g_Step, g_Failed;
static volatile LONG g_Global;

static void Expect(const char *what, long got, long want)
{
    g_Step++;
    Print(what);
    Print(" = ");
    PrintNum((unsigned long)got);
    if (got != want) {
        Print("   (expected ");
        PrintNum((unsigned long)want);
        Print(")");
        if (!g_Failed)
            g_Failed = g_Step;
    }
    Print("\n");
}

static int Starts(const char *s, const char *prefix)
{
    while (*prefix && *s == *prefix)
        s++, prefix++;
    return *prefix == 0;
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

#ifdef _WIN64
#define SELF "process_tour.x64.exe"
#else
#define SELF "process_tour.x86.exe"
#endif

/* Zeroes `n` bytes at `p` (no C runtime: no memset). */
static void Zero(void *p, int n)
{
    volatile char *c = p;
    while (n-- > 0)
        *c++ = 0;
}

/* Starts this program with `args`; fills `pi`. */
static BOOL Start(const char *args, PROCESS_INFORMATION *pi)
{
    char line[128];
    const char *prefix = SELF " ";
    int n = 0;
    STARTUPINFOA si;
    while (*prefix)
        line[n++] = *prefix++;
    while (*args && n < 126)
        line[n++] = *args++;
    line[n] = 0;
    Zero(&si, sizeof si);
    si.cb = sizeof si;
    return CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, pi);
}

static int Child(const char *mode)
{
    if (Starts(mode, "child ")) {
        /* The parent set its own g_Global to 40 before this ran: this one is still 0. */
        Print("child: my global is ");
        PrintNum((unsigned long)g_Global);
        Print("\n");
        return mode[6] - '0' + g_Global;
    }
    if (Starts(mode, "pong")) {
        HANDLE ping = CreateEventA(NULL, FALSE, FALSE, "ProcessTourPing");
        HANDLE pong = CreateEventA(NULL, FALSE, FALSE, "ProcessTourPong");
        int i;
        for (i = 0; i < 3; i++) {
            if (WaitForSingleObject(ping, INFINITE) != WAIT_OBJECT_0)
                return 100;
            SetEvent(pong);
        }
        CloseHandle(ping);
        CloseHandle(pong);
        return 3;
    }
    if (Starts(mode, "bomb")) {
        /* Copies of itself without end, each doing the same: until the machine's memory cap
           refuses one (ERROR_NOT_ENOUGH_MEMORY), which is then every copy's exit code. */
        PROCESS_INFORMATION pi;
        for (;;) {
            if (!Start("bomb", &pi))
                return (int)GetLastError();
            CloseHandle(pi.hProcess);
            CloseHandle(pi.hThread);
            Sleep(0);
        }
    }
    if (Starts(mode, "wait")) {
        WaitForSingleObject(CreateEventA(NULL, TRUE, FALSE, "ProcessTourNever"), INFINITE);
        return 98;
    }
    if (Starts(mode, "crash")) {
        *(volatile int *)0 = 1;
        return 0;
    }
    return 99;
}

void ProgramStart(void)
{
    const char *mode = Argument();
    PROCESS_INFORMATION pi;
    DWORD code = 0;
    HANDLE ping, pong;
    int i, answered = 0;

    if (*mode)
        ExitProcess(Child(mode));

    /* start and end, address spaces */
    Expect("CreateProcessA child", Start("child 7", &pi), TRUE);
    Expect("a process id of its own", pi.dwProcessId != GetCurrentProcessId(), 1);
    Expect("GetExitCodeProcess before it ran", GetExitCodeProcess(pi.hProcess, &code) && code == STILL_ACTIVE, 1);
    g_Global = 40;
    Expect("WaitForSingleObject(hProcess)", WaitForSingleObject(pi.hProcess, INFINITE), WAIT_OBJECT_0);
    Expect("GetExitCodeProcess", GetExitCodeProcess(pi.hProcess, &code), TRUE);
    Expect("its exit code (7 + its own global)", code, 7);
    Expect("WaitForSingleObject(hThread)", WaitForSingleObject(pi.hThread, 0), WAIT_OBJECT_0);
    Expect("my global", g_Global, 40);
    Expect("CloseHandle(hThread)", CloseHandle(pi.hThread), TRUE);
    Expect("CloseHandle(hProcess)", CloseHandle(pi.hProcess), TRUE);

    /* side by side */
    ping = CreateEventA(NULL, FALSE, FALSE, "ProcessTourPing");
    pong = CreateEventA(NULL, FALSE, FALSE, "ProcessTourPong");
    Expect("CreateProcessA pong", Start("pong", &pi), TRUE);
    for (i = 0; i < 3; i++) {
        SetEvent(ping);
        if (WaitForSingleObject(pong, 1000) == WAIT_OBJECT_0)
            answered++;
    }
    Expect("pongs", answered, 3);
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    Expect("pong's exit code", code, 3);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    CloseHandle(ping);
    CloseHandle(pong);

    /* faults */
    Expect("CreateProcessA crash", Start("crash", &pi), TRUE);
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    Expect("crash's exit code", code, 0xC0000005);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);

    /* suspended: written before it starts, as a loader injecting into it would */
    {
        STARTUPINFOA si;
        char line[] = SELF " child 5";
        LONG three = 3;
        SIZE_T n = 0;
        Zero(&si, sizeof si);
        si.cb = sizeof si;
        Expect("CreateProcessA (CREATE_SUSPENDED)",
               CreateProcessA(NULL, line, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &si, &pi), TRUE);
        Expect("WaitForSingleObject (it does not run)", WaitForSingleObject(pi.hProcess, 50), WAIT_TIMEOUT);
        Expect("WriteProcessMemory", WriteProcessMemory(pi.hProcess, (LPVOID)&g_Global, &three, 4, &n), TRUE);
        Expect("ResumeThread", ResumeThread(pi.hThread), 1);
        Expect("WaitForSingleObject", WaitForSingleObject(pi.hProcess, INFINITE), WAIT_OBJECT_0);
        GetExitCodeProcess(pi.hProcess, &code);
        Expect("its exit code (5 + the 3 written)", code, 8);
        Expect("GetExitCodeThread", GetExitCodeThread(pi.hThread, &code) && code == 8, 1);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
    }

    /* termination */
    {
        HANDLE h;
        Expect("CreateProcessA wait", Start("wait", &pi), TRUE);
        Sleep(10); /* it runs until it waits */
        h = OpenProcess(PROCESS_TERMINATE | PROCESS_QUERY_INFORMATION | SYNCHRONIZE, FALSE, pi.dwProcessId);
        Expect("OpenProcess", h != NULL, 1);
        Expect("GetProcessId", GetProcessId(h), pi.dwProcessId);
        Expect("GetExitCodeProcess (waiting)", GetExitCodeProcess(h, &code) && code == STILL_ACTIVE, 1);
        {
            LONG v = 5, w = 77;
            SIZE_T n = 9;
            Expect("ReadProcessMemory (no PROCESS_VM_READ)", ReadProcessMemory(h, (LPCVOID)&g_Global, &v, 4, &n), FALSE);
            Expect("  GetLastError", GetLastError(), ERROR_ACCESS_DENIED);
            Expect("ReadProcessMemory", ReadProcessMemory(pi.hProcess, (LPCVOID)&g_Global, &v, 4, &n), TRUE);
            Expect("  the child's global", (ULONG)v, 0);
            Expect("WriteProcessMemory", WriteProcessMemory(pi.hProcess, (LPVOID)&g_Global, &w, 4, &n), TRUE);
            ReadProcessMemory(pi.hProcess, (LPCVOID)&g_Global, &v, 4, &n);
            Expect("  the child's global now", (ULONG)v, 77);
            Expect("  mine", g_Global, 40);
            Expect("ReadProcessMemory (nothing there)", ReadProcessMemory(pi.hProcess, (LPCVOID)0x1000, &v, 4, &n), FALSE);
            Expect("  GetLastError", GetLastError(), ERROR_PARTIAL_COPY);
            Expect("  bytes read", (ULONG)n, 0);
        }
        Expect("TerminateProcess", TerminateProcess(h, 42), TRUE);
        Expect("WaitForSingleObject(hProcess)", WaitForSingleObject(pi.hProcess, INFINITE), WAIT_OBJECT_0);
        GetExitCodeProcess(pi.hProcess, &code);
        Expect("its exit code", code, 42);
        Expect("TerminateProcess again", TerminateProcess(h, 43), FALSE);
        Expect("  GetLastError", GetLastError(), ERROR_ACCESS_DENIED);
        CloseHandle(h);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
        Expect("OpenProcess(System)", OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, 4) == NULL, 1);
        Expect("  GetLastError", GetLastError(), ERROR_ACCESS_DENIED);
        Expect("OpenProcess(no such id)", OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, 0x7770) == NULL, 1);
        Expect("  GetLastError", GetLastError(), ERROR_INVALID_PARAMETER);
    }

    /* refusals */
    {
        STARTUPINFOA si;
        Zero(&si, sizeof si);
        si.cb = sizeof si;
        Expect("CreateProcessA nowhere.exe", CreateProcessA("nowhere.exe", NULL, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi), FALSE);
        Expect("  GetLastError", GetLastError(), ERROR_FILE_NOT_FOUND);
        Expect("CreateProcessA (nothing)", CreateProcessA(NULL, NULL, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi), FALSE);
        Expect("  GetLastError", GetLastError(), ERROR_INVALID_PARAMETER);
    }

    if (g_Failed) {
        Print("first difference at step ");
        PrintNum(g_Failed);
        Print("\n");
    } else {
        Print("all answers as Windows gives them\n");
    }
    ExitProcess(g_Failed);
}
