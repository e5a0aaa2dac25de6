/*
 * service_cycle - a program that installs, starts, stops and deletes its driver through the
 * service control manager, as GIVEIO-style loaders do:
 *
 *   service_cycle NAME        the service NAME (the driver given to run-app is installed as
 *                             NAME already: its file name without .sys, so CreateServiceA answers ERROR_SERVICE_EXISTS
 *                             and the program opens it), then: status; StartServiceA
 *                             (DriverEntry runs); a second start (ERROR_SERVICE_ALREADY_RUNNING);
 *                             status; ControlService(SERVICE_CONTROL_STOP) (DriverUnload runs);
 *                             DeleteService twice (ERROR_SERVICE_MARKED_FOR_DELETE);
 *                             CloseServiceHandle; OpenServiceA (ERROR_SERVICE_DOES_NOT_EXIST:
 *                             the key went with the last handle).
 *   service_cycle NAME io     also, while it runs: opens \\.\giveio (the driver opens the I/O
 *                             permission map to the program) and writes 0x55 to port 0x80.
 *
 * First, as loaders do, it enables SeLoadDriverPrivilege in its token (OpenProcessToken,
 * LookupPrivilegeValueA, AdjustTokenPrivileges with the previous state: one privilege, which
 * was disabled), asks for a privilege that does not exist (ERROR_NO_SUCH_PRIVILEGE) and one
 * an administrator does not hold, SeTcbPrivilege (TRUE with ERROR_NOT_ALL_ASSIGNED).
 *
 * Then a service whose image is missing ("ghost", C:\nowhere\ghost.sys, depending on Beep and
 * Null: StartServiceA fails with ERROR_PATH_NOT_FOUND); a service reconfigured ("spare":
 * ChangeServiceConfigA to a system start in a load-order group with a tag, another image and
 * display name; a start type that does not exist, ERROR_INVALID_PARAMETER; another
 * service's name as display name, ERROR_DUPLICATE_SERVICE_NAME) and queried with
 * QueryServiceStatusEx (a short buffer, ERROR_INSUFFICIENT_BUFFER with the size needed; an
 * unknown level, ERROR_INVALID_LEVEL); and the handle checks: CloseHandle on the manager's handle
 * fails with ERROR_INVALID_HANDLE (it is no kernel handle). Each step prints one line with
 * the call's result and GetLastError (left as it was by a call that succeeds, as Windows
 * leaves it). Exit code 0 when every answer was the expected one,
 * else the number of the first step that was not.
 */
#include "program.h"

static int g_Step, g_Failed;

/* One step's line: "step: what -> ok|failed, error N"; records the first unexpected one.
 * The error is GetLastError right after the call (CHECK reads it in order; a function's
 * arguments are evaluated in no set order). */
#define CHECK(what, call, expect_ok, expect_error)                                                                \
    do {                                                                                                           \
        BOOL ok_ = (call);                                                                                         \
        Check(what, ok_, GetLastError(), expect_ok, expect_error);                                                 \
    } while (0)

static void Check(const char *what, BOOL ok, DWORD error, BOOL expect_ok, DWORD expect_error)
{
    g_Step++;
    PrintNum(g_Step);
    Print(": ");
    Print(what);
    Print(ok ? " -> ok" : " -> failed");
    Print(", error ");
    PrintNum(error);
    Print("\n");
    if ((ok != expect_ok || (!ok && error != expect_error)) && !g_Failed)
        g_Failed = g_Step;
}

static void Status(SC_HANDLE service, DWORD expect_state)
{
    SERVICE_STATUS st;
    BOOL ok = QueryServiceStatus(service, &st);
    Check("QueryServiceStatus", ok, GetLastError(), TRUE, 0);
    Print("   state ");
    PrintNum(st.dwCurrentState);
    Print(", accepts ");
    PrintNum(st.dwControlsAccepted);
    Print(", exit code ");
    PrintNum(st.dwWin32ExitCode);
    Print("\n");
    if (ok && st.dwCurrentState != expect_state && !g_Failed)
        g_Failed = g_Step;
}

/* Enables privilege `name` in the program's token; returns how many privileges changed. */
static DWORD Enable(HANDLE token, const char *name, BOOL expect_held)
{
    TOKEN_PRIVILEGES tp, before;
    DWORD size = 0;
    BOOL ok;
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    ok = LookupPrivilegeValueA(NULL, name, &tp.Privileges[0].Luid);
    Check("LookupPrivilegeValueA", ok, GetLastError(), TRUE, 0);
    before.PrivilegeCount = 0;
    ok = AdjustTokenPrivileges(token, FALSE, &tp, sizeof before, &before, &size);
    Check("AdjustTokenPrivileges", ok, GetLastError(), TRUE, expect_held ? 0 : ERROR_NOT_ALL_ASSIGNED);
    if (GetLastError() != (expect_held ? ERROR_SUCCESS : ERROR_NOT_ALL_ASSIGNED) && !g_Failed)
        g_Failed = g_Step;
    Print("   ");
    Print(name);
    Print(": ");
    PrintNum(before.PrivilegeCount);
    Print(" changed, ");
    PrintNum(size);
    Print(" bytes of previous state\n");
    return before.PrivilegeCount;
}

static void Privileges(void)
{
    HANDLE token = NULL;
    LUID luid;
    BOOL ok = OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token);
    Check("OpenProcessToken", ok, GetLastError(), TRUE, 0);
    if (Enable(token, "SeLoadDriverPrivilege", TRUE) != 1 && !g_Failed)
        g_Failed = g_Step;
    if (Enable(token, "SeLoadDriverPrivilege", TRUE) != 0 && !g_Failed)
        g_Failed = g_Step;
    ok = LookupPrivilegeValueA(NULL, "SeNoSuchPrivilege", &luid);
    Check("LookupPrivilegeValueA (no such privilege)", ok, GetLastError(), FALSE, ERROR_NO_SUCH_PRIVILEGE);
    Enable(token, "SeTcbPrivilege", FALSE);
    CHECK("CloseHandle (token)", CloseHandle(token), TRUE, 0);
}

/* ChangeServiceConfigA and QueryServiceStatusEx on a service of its own. */
static void Spare(SC_HANDLE scm)
{
    SC_HANDLE spare, other;
    SERVICE_STATUS_PROCESS sp;
    DWORD tag = 0, needed = 0;
    BOOL ok;

    spare = CreateServiceA(scm, "spare", "Spare driver", SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER,
                           SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, "C:\\drivers\\spare.sys", NULL, NULL, NULL,
                           NULL, NULL);
    Check("CreateServiceA spare", spare != NULL, GetLastError(), TRUE, 0);
    other = CreateServiceA(scm, "other", "Other driver", DELETE, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START,
                           SERVICE_ERROR_NORMAL, "C:\\drivers\\other.sys", NULL, NULL, NULL, NULL, NULL);
    Check("CreateServiceA other", other != NULL, GetLastError(), TRUE, 0);
    ok = ChangeServiceConfigA(spare, SERVICE_NO_CHANGE, SERVICE_SYSTEM_START, SERVICE_NO_CHANGE,
                              "C:\\drivers\\spare2.sys", "Extended Base", &tag, NULL, NULL, NULL, "Spare, renamed");
    Check("ChangeServiceConfigA spare", ok, GetLastError(), TRUE, 0);
    Print("   tag ");
    PrintNum(tag);
    Print("\n");
    ok = ChangeServiceConfigA(spare, SERVICE_NO_CHANGE, 7, SERVICE_NO_CHANGE, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    Check("ChangeServiceConfigA spare (start type 7)", ok, GetLastError(), FALSE, ERROR_INVALID_PARAMETER);
    ok = ChangeServiceConfigA(spare, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, NULL, NULL, NULL, NULL,
                              NULL, NULL, "other");
    Check("ChangeServiceConfigA spare (a taken display name)", ok, GetLastError(), FALSE, ERROR_DUPLICATE_SERVICE_NAME);
    ok = QueryServiceStatusEx(spare, SC_STATUS_PROCESS_INFO, (LPBYTE)&sp, 8, &needed);
    Check("QueryServiceStatusEx spare (8 bytes)", ok, GetLastError(), FALSE, ERROR_INSUFFICIENT_BUFFER);
    Print("   needed ");
    PrintNum(needed);
    Print("\n");
    ok = QueryServiceStatusEx(spare, SC_STATUS_PROCESS_INFO, (LPBYTE)&sp, sizeof sp, &needed);
    Check("QueryServiceStatusEx spare", ok, GetLastError(), TRUE, 0);
    Print("   state ");
    PrintNum(sp.dwCurrentState);
    Print(", process ");
    PrintNum(sp.dwProcessId);
    Print(", flags ");
    PrintNum(sp.dwServiceFlags);
    Print("\n");
    ok = QueryServiceStatusEx(spare, (SC_STATUS_TYPE)5, (LPBYTE)&sp, sizeof sp, &needed);
    Check("QueryServiceStatusEx spare (level 5)", ok, GetLastError(), FALSE, ERROR_INVALID_LEVEL);
    CHECK("DeleteService spare", DeleteService(spare), TRUE, 0);
    CHECK("CloseServiceHandle spare", CloseServiceHandle(spare), TRUE, 0);
    CHECK("DeleteService other", DeleteService(other), TRUE, 0);
    CHECK("CloseServiceHandle other", CloseServiceHandle(other), TRUE, 0);
}

/* The command line's words after the program's name, into name and mode. */
static void Arguments(char *name, int size, char *mode)
{
    const char *p = GetCommandLineA();
    int i = 0;
    while (*p && *p != ' ')
        p++;
    while (*p == ' ')
        p++;
    while (*p && *p != ' ' && i < size - 1)
        name[i++] = *p++;
    name[i] = 0;
    while (*p == ' ')
        p++;
    *mode = *p;
}

void ProgramStart(void)
{
    char name[64], mode;
    SC_HANDLE scm, service, ghost;
    SERVICE_STATUS st;
    BOOL ok;

    Arguments(name, sizeof name, &mode);
    Privileges();
    scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    Check("OpenSCManagerA", scm != NULL, GetLastError(), TRUE, 0);

    service = CreateServiceA(scm, name, name, SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START,
                             SERVICE_ERROR_NORMAL, "C:\\Windows\\System32\\drivers\\installed.sys", NULL, NULL, NULL,
                             NULL, NULL);
    Check("CreateServiceA (installed already)", service != NULL, GetLastError(), FALSE, ERROR_SERVICE_EXISTS);
    service = OpenServiceA(scm, name, SERVICE_ALL_ACCESS);
    Check("OpenServiceA", service != NULL, GetLastError(), TRUE, 0);
    Status(service, SERVICE_STOPPED);

    ok = StartServiceA(service, 0, NULL);
    Check("StartServiceA", ok, GetLastError(), TRUE, 0);
    ok = StartServiceA(service, 0, NULL);
    Check("StartServiceA again", ok, GetLastError(), FALSE, ERROR_SERVICE_ALREADY_RUNNING);
    Status(service, SERVICE_RUNNING);

    if (mode == 'i') {
        HANDLE device = CreateFileA("\\\\.\\giveio", GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
        Check("CreateFileA \\\\.\\giveio", device != INVALID_HANDLE_VALUE, GetLastError(), TRUE, 0);
        __asm__ volatile("outb %0, %1" : : "a"((unsigned char)0x55), "Nd"((unsigned short)0x80));
        Print("   out 0x80, 0x55\n");
        CHECK("CloseHandle (device)", CloseHandle(device), TRUE, 0);
    }

    ok = ControlService(service, SERVICE_CONTROL_STOP, &st);
    Check("ControlService (stop)", ok, GetLastError(), TRUE, 0);
    Status(service, SERVICE_STOPPED);
    ok = DeleteService(service);
    Check("DeleteService", ok, GetLastError(), TRUE, 0);
    ok = DeleteService(service);
    Check("DeleteService again", ok, GetLastError(), FALSE, ERROR_SERVICE_MARKED_FOR_DELETE);
    CHECK("CloseServiceHandle", CloseServiceHandle(service), TRUE, 0);
    service = OpenServiceA(scm, name, SERVICE_QUERY_STATUS);
    Check("OpenServiceA (deleted)", service != NULL, GetLastError(), FALSE, ERROR_SERVICE_DOES_NOT_EXIST);

    ghost = CreateServiceA(scm, "ghost", "Ghost driver", SERVICE_START | DELETE, SERVICE_KERNEL_DRIVER,
                           SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, "C:\\nowhere\\ghost.sys", NULL, NULL,
                           "Beep\0Null\0", NULL, NULL);
    Check("CreateServiceA ghost", ghost != NULL, GetLastError(), TRUE, 0);
    ok = StartServiceA(ghost, 0, NULL);
    Check("StartServiceA ghost (no image)", ok, GetLastError(), FALSE, ERROR_PATH_NOT_FOUND);
    ok = QueryServiceStatus(ghost, &st);
    Check("QueryServiceStatus ghost (no such right)", ok, GetLastError(), FALSE, ERROR_ACCESS_DENIED);
    CHECK("DeleteService ghost", DeleteService(ghost), TRUE, 0);
    CHECK("CloseServiceHandle ghost", CloseServiceHandle(ghost), TRUE, 0);

    Spare(scm);

    CHECK("CloseHandle (manager)", CloseHandle(scm), FALSE, ERROR_INVALID_HANDLE);
    CHECK("CloseServiceHandle (manager)", CloseServiceHandle(scm), TRUE, 0);
    ExitProcess(g_Failed);
}
