/*
 * peek_sibling - a driver reads another process's memory: this program starts a copy of
 * itself (CreateProcess), which writes 0x22222222 into its global and waits; this one has
 * 0x11111111 in the same global, at the same address of its own image. procwatch's PEEK
 * (KeStackAttachProcess) and COPY (MmCopyVirtualMemory) read that address in the child's
 * address space and find the child's value; a PEEK of this process finds this one's. The
 * driver's process notify routine saw this program and the child start (COUNTS). Exit code 0 when all of
 * that holds, else the number of the first step that did not.
 */
#include "program.h"

#define IOCTL_COUNTS 0x80002000
#define IOCTL_PEEK 0x80002008
#define IOCTL_COPY 0x8000200C

static volatile ULONG g_Marker;
static int g_Step, g_Failed;

static void Expect(const char *what, ULONG got, ULONG want)
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

/* What the driver's `code` reads at g_Marker in process `pid`. */
static ULONG Read(HANDLE device, DWORD code, DWORD pid)
{
    ULONG64 in[2];
    ULONG out = 0;
    DWORD n = 0;
    in[0] = pid;
    in[1] = (ULONG64)(ULONG_PTR)&g_Marker;
    if (!DeviceIoControl(device, code, in, sizeof in, &out, sizeof out, &n, NULL))
        return GetLastError();
    return out;
}

#ifdef _WIN64
#define SELF "peek_sibling.x64.exe child"
#else
#define SELF "peek_sibling.x86.exe child"
#endif

void ProgramStart(void)
{
    const char *line = GetCommandLineA();
    HANDLE ready = CreateEventA(NULL, TRUE, FALSE, "PeekSiblingReady");
    HANDLE done = CreateEventA(NULL, TRUE, FALSE, "PeekSiblingDone");
    HANDLE device;
    PROCESS_INFORMATION pi;
    STARTUPINFOA si;
    char command[] = SELF;
    volatile char *z = (volatile char *)&si;
    ULONG counts[6];
    DWORD i, n, code = 1;

    while (*line && *line != ' ')
        line++;
    if (*line) {
        /* The child: its own value, then it waits to be read. */
        g_Marker = 0x22222222;
        SetEvent(ready);
        WaitForSingleObject(done, INFINITE);
        ExitProcess(0);
    }
    g_Marker = 0x11111111;
    for (i = 0; i < sizeof si; i++)
        z[i] = 0;
    si.cb = sizeof si;
    device = CreateFileA("\\\\.\\ProcWatch", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    Expect("CreateProcessA", CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi), TRUE);
    Expect("the child is ready", WaitForSingleObject(ready, INFINITE), WAIT_OBJECT_0);
    Expect("PEEK the child", Read(device, IOCTL_PEEK, pi.dwProcessId), 0x22222222);
    Expect("COPY from the child", Read(device, IOCTL_COPY, pi.dwProcessId), 0x22222222);
    Expect("PEEK myself", Read(device, IOCTL_PEEK, GetCurrentProcessId()), 0x11111111);
    Expect("my own marker", g_Marker, 0x11111111);
    SetEvent(done);
    Expect("the child ends", WaitForSingleObject(pi.hProcess, INFINITE), WAIT_OBJECT_0);
    GetExitCodeProcess(pi.hProcess, &code);
    Expect("its exit code", code, 0);
    DeviceIoControl(device, IOCTL_COUNTS, NULL, 0, counts, sizeof counts, &n, NULL);
    /* This program and its child. */
    Expect("processes the driver saw start", counts[0], 2);
    Expect("attach checks that held", counts[5], 4);
    if (g_Failed) {
        Print("first difference at step ");
        PrintNum(g_Failed);
        Print("\n");
    } else {
        Print("all answers as Windows gives them\n");
    }
    ExitProcess(g_Failed);
}
