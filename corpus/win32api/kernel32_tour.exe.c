/*
 * kernel32_tour - a walk through kernel32's breadth, each answer printed as "what = value"
 * and compared with what Windows answers (exit code 0 when all agree, else the number of the
 * first that did not). Run against the win32api driver, started (run-app --start), with
 * standard input "first line\nsecond\nh\xc3\xa9\n" (run-app --stdin):
 *
 *   heaps           GetProcessHeap, HeapAlloc (HEAP_ZERO_MEMORY), HeapSize, HeapReAlloc,
 *                   HeapFree (twice: ERROR_INVALID_PARAMETER), a heap growing past its first
 *                   segment, HeapCreate with a maximum, HeapDestroy, LocalAlloc/LocalFree,
 *                   GlobalAlloc (GMEM_MOVEABLE is not built: ERROR_NOT_SUPPORTED)
 *   virtual memory  VirtualAlloc (reserve, commit inside, commit+reserve executable and run
 *                   code there), VirtualQuery, VirtualProtect (to read-only, to no access and
 *                   back: the contents survive), VirtualFree (decommit, release)
 *   time            GetTickCount64, QueryPerformanceFrequency/Counter, Sleep, GetSystemTime,
 *                   GetLocalTime, GetSystemTimeAsFileTime (the virtual boot: 2024-01-01)
 *   system          GetVersion, GetVersionExA/W, GetSystemDirectoryA/W, GetWindowsDirectoryA,
 *                   GetSystemInfo, IsWow64Process, GetCurrentThread, GetExitCodeProcess,
 *                   GetComputerNameA
 *   text            MultiByteToWideChar/WideCharToMultiByte (UTF-8, 1252), lstrlen, lstrcpy
 *   environment     Get/SetEnvironmentVariableA/W, GetEnvironmentStrings, FreeEnvironmentStrings
 *   console         WriteConsoleW, ReadConsoleA, ReadFile and ReadConsoleW on standard input
 *   synchronisation events (manual, auto-reset, named; one the driver sets through its
 *                   handle, at once and from a timer while the program waits),
 *                   WaitForSingleObject (timeouts on the virtual clock), critical
 *                   sections, Interlocked* (kernel32's exports on x86, intrinsics on x64)
 *   runtime         the floating-point state a thread starts with (x87 0x27F, MXCSR
 *                   0x1F80); what a C runtime's start-up asks: GetACP, GetOEMCP, GetConsoleCP,
 *                   GetConsoleOutputCP, IsValidCodePage, GetCPInfo, GetFileType (console, a
 *                   file, nothing), GetConsoleMode, SetHandleCount, SetFilePointer(Ex),
 *                   FlushFileBuffers, SetStdHandle, GetModuleHandleExA/W, FindFirstFile(Ex)A/W,
 *                   FindNextFileA/W, FindClose, GetTimeZoneInformation, HeapValidate,
 *                   InitializeCriticalSectionEx, SetConsoleCtrlHandler, CreateDirectoryA/W,
 *                   GetFileAttributesA/W, RemoveDirectoryA/W, DeleteFileA/W,
 *                   IsDebuggerPresent, IsProcessorFeaturePresent, OutputDebugStringA, EncodePointer/DecodePointer,
 *                   HeapSetInformation, TerminateProcess of nothing
 *
 * Modes that end the run on purpose (the first argument):
 *   wait-self       WaitForSingleObject(GetCurrentProcess(), INFINITE): a deadlock
 *   cs-foreign      EnterCriticalSection on a section a thread the process does not have
 *                   owns: STATUS_POSSIBLE_DEADLOCK
 *   heap-exception  HeapAlloc beyond a HEAP_GENERATE_EXCEPTIONS heap's maximum:
 *                   STATUS_NO_MEMORY
 *   terminate       TerminateProcess(GetCurrentProcess(), 7): exit code 7
 */
#include "program.h"

#define IOCTL_SIGNAL CTL_CODE(0x8000, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SIGNAL_LATER CTL_CODE(0x8000, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

#if defined(__i386__)
/* mingw-w64 makes these intrinsics; the test is kernel32's exports. */
#undef InterlockedIncrement
#undef InterlockedDecrement
#undef InterlockedExchange
#undef InterlockedExchangeAdd
#undef InterlockedCompareExchange
__declspec(dllimport) LONG WINAPI InterlockedIncrement(LONG volatile *);
__declspec(dllimport) LONG WINAPI InterlockedDecrement(LONG volatile *);
__declspec(dllimport) LONG WINAPI InterlockedExchange(LONG volatile *, LONG);
__declspec(dllimport) LONG WINAPI InterlockedExchangeAdd(LONG volatile *, LONG);
__declspec(dllimport) LONG WINAPI InterlockedCompareExchange(LONG volatile *, LONG, LONG);
#endif

static int g_Step, g_Failed;
/* The floating-point state the thread started with (before anything changes it). */
static unsigned short g_StartX87;
static unsigned g_StartMxcsr;

static void PrintInt(long v)
{
    if (v < 0) {
        Print("-");
        PrintNum((unsigned long)-v);
    } else {
        PrintNum((unsigned long)v);
    }
}

/* "what = got"; records the first answer that is not `want`. */
static void Expect(const char *what, long got, long want)
{
    g_Step++;
    Print(what);
    Print(" = ");
    PrintInt(got);
    if (got != want) {
        Print("   (expected ");
        PrintInt(want);
        Print(")");
        if (!g_Failed)
            g_Failed = g_Step;
    }
    Print("\n");
}

/* "what: text". */
static void Show(const char *what, const char *text)
{
    Print(what);
    Print(": ");
    Print(text);
    Print("\n");
}

static int Same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int AllZero(const unsigned char *p, SIZE_T n)
{
    SIZE_T i;
    for (i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void Heaps(void)
{
    HANDLE heap = GetProcessHeap(), mine;
    unsigned char *p, *q, *blocks[40];
    SIZE_T i;
    int kept = 1;

    p = HeapAlloc(heap, HEAP_ZERO_MEMORY, 100);
    Expect("HeapAlloc zeroed", p != NULL && AllZero(p, 100), 1);
    Expect("HeapSize", (long)HeapSize(heap, 0, p), 100);
    for (i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    q = HeapReAlloc(heap, HEAP_ZERO_MEMORY, p, 5000);
    for (i = 0; i < 100; i++)
        kept &= q[i] == (unsigned char)i;
    Expect("HeapReAlloc keeps the data", kept, 1);
    Expect("HeapReAlloc zeroes the rest", AllZero(q + 100, 4900), 1);
    Expect("HeapFree", HeapFree(heap, 0, q), 1);
    Expect("HeapFree again", HeapFree(heap, 0, q), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("HeapSize of a freed block is -1", HeapSize(heap, 0, q) == (SIZE_T)-1, 1);
    /* 40 blocks of 4000 bytes: more than the first 64 KB segment holds. */
    for (i = 0; i < 40; i++) {
        blocks[i] = HeapAlloc(heap, 0, 4000);
        if (blocks[i])
            blocks[i][3999] = (unsigned char)i;
    }
    kept = 1;
    for (i = 0; i < 40; i++)
        kept &= blocks[i] != NULL && blocks[i][3999] == (unsigned char)i;
    Expect("40 blocks of 4000 bytes", kept, 1);
    for (i = 0; i < 40; i++)
        HeapFree(heap, 0, blocks[i]);

    mine = HeapCreate(0, 0, 0x10000);
    Expect("HeapCreate with a maximum", mine != NULL, 1);
    Expect("HeapAlloc beyond it fails", HeapAlloc(mine, 0, 0x20000) == NULL, 1);
    Expect("HeapAlloc within it", HeapAlloc(mine, 0, 0x1000) != NULL, 1);
    Expect("HeapDestroy", HeapDestroy(mine), 1);
    Expect("HeapDestroy of the process heap", HeapDestroy(heap), 0);

    p = LocalAlloc(LMEM_ZEROINIT, 64);
    Expect("LocalAlloc zeroed", p != NULL && AllZero(p, 64), 1);
    Expect("LocalFree", LocalFree(p) == NULL, 1);
    Expect("LocalFree again returns the pointer", LocalFree(p) == (HLOCAL)p, 1);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
    p = GlobalAlloc(GMEM_FIXED, 10);
    Expect("GlobalAlloc/GlobalFree", p != NULL && GlobalFree(p) == NULL, 1);
    Expect("GlobalAlloc(GMEM_MOVEABLE)", GlobalAlloc(GMEM_MOVEABLE, 10) == NULL, 1);
    Expect("  last error", (long)GetLastError(), ERROR_NOT_SUPPORTED);
}

static void Query(const char *what, void *at, DWORD state, DWORD protect, SIZE_T size)
{
    MEMORY_BASIC_INFORMATION mbi;
    SIZE_T n = VirtualQuery(at, &mbi, sizeof mbi);
    g_Step++;
    Print(what);
    Print(": state ");
    PrintNum(mbi.State);
    Print(", protect ");
    PrintNum(mbi.Protect);
    Print(", size ");
    PrintNum((unsigned long)mbi.RegionSize);
    Print("\n");
    if ((n != sizeof mbi || mbi.State != state || mbi.Protect != protect || mbi.RegionSize != size) && !g_Failed)
        g_Failed = g_Step;
}

static void Virtual(void)
{
    unsigned char *v, *code;
    DWORD old = 0;
    int (*seven)(void);

    v = VirtualAlloc(NULL, 0x20000, MEM_RESERVE, PAGE_READWRITE);
    Expect("VirtualAlloc reserve, 64 KB aligned", v != NULL && ((ULONG_PTR)v & 0xFFFF) == 0, 1);
    Query("reserved", v, MEM_RESERVE, 0, 0x20000);
    Expect("VirtualAlloc commit inside", VirtualAlloc(v + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE) == v + 0x1000, 1);
    v[0x1000] = 42;
    Query("before the committed page", v, MEM_RESERVE, 0, 0x1000);
    Query("committed", v + 0x1000, MEM_COMMIT, PAGE_READWRITE, 0x1000);
    Expect("VirtualProtect to read-only", VirtualProtect(v + 0x1000, 1, PAGE_READONLY, &old), 1);
    Expect("  old protection", (long)old, PAGE_READWRITE);
    Query("read-only", v + 0x1000, MEM_COMMIT, PAGE_READONLY, 0x1000);
    VirtualProtect(v + 0x1000, 0x1000, PAGE_NOACCESS, &old);
    Query("no access", v + 0x1000, MEM_COMMIT, PAGE_NOACCESS, 0x1000);
    VirtualProtect(v + 0x1000, 0x1000, PAGE_READWRITE, &old);
    Expect("the contents came back", v[0x1000], 42);
    Expect("VirtualProtect of a reserved page", VirtualProtect(v, 0x1000, PAGE_READONLY, &old), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_ADDRESS);
    Expect("MEM_RELEASE with a size", VirtualFree(v, 0x1000, MEM_RELEASE), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("MEM_DECOMMIT", VirtualFree(v + 0x1000, 0x1000, MEM_DECOMMIT), 1);
    Query("decommitted", v + 0x1000, MEM_RESERVE, 0, 0x1f000);
    Expect("MEM_RELEASE", VirtualFree(v, 0, MEM_RELEASE), 1);
    {
        MEMORY_BASIC_INFORMATION mbi;
        VirtualQuery(v, &mbi, sizeof mbi);
        Expect("released: MEM_FREE", (long)mbi.State, MEM_FREE);
    }
    code = VirtualAlloc(NULL, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    code[0] = 0xB8; /* mov eax, 7 */
    code[1] = 7;
    code[2] = code[3] = code[4] = 0;
    code[5] = 0xC3; /* ret */
    seven = (int (*)(void))(void *)code;
    Expect("code run from VirtualAlloc'ed memory", seven(), 7);
    Expect("PAGE_GUARD", VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD) == NULL, 1);
    Expect("  last error", (long)GetLastError(), ERROR_NOT_SUPPORTED);
}

static void Time(void)
{
    LARGE_INTEGER f, c1, c2;
    ULONGLONG t0;
    SYSTEMTIME st, lt;
    FILETIME ft;

    Expect("QueryPerformanceFrequency", QueryPerformanceFrequency(&f) && f.QuadPart == 10000000, 1);
    QueryPerformanceCounter(&c1);
    QueryPerformanceCounter(&c2);
    Expect("QueryPerformanceCounter moves on", c2.QuadPart > c1.QuadPart, 1);
    t0 = GetTickCount64();
    Expect("GetTickCount64 agrees with GetTickCount", (DWORD)t0 - GetTickCount() <= 1 || GetTickCount() - (DWORD)t0 <= 1, 1);
    Sleep(100);
    Expect("Sleep(100) lets 100 ms pass", GetTickCount64() - t0 >= 100, 1);
    GetSystemTime(&st);
    Expect("GetSystemTime year", st.wYear, 2024);
    Expect("  month", st.wMonth, 1);
    Expect("  day", st.wDay, 1);
    Expect("  day of week (Monday)", st.wDayOfWeek, 1);
    GetLocalTime(&lt);
    Expect("GetLocalTime (bias 0) hour", lt.wHour, st.wHour);
    GetSystemTimeAsFileTime(&ft);
    {
        /* 2024-01-01 00:00 UTC, and a minute after. */
        ULONGLONG t = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
        Expect("GetSystemTimeAsFileTime: the first minute of 2024",
               t >= 133485408000000000ULL && t < 133485408000000000ULL + 600000000ULL, 1);
    }
}

static void System(void)
{
    DWORD v = GetVersion(), size, code = 0;
    OSVERSIONINFOEXA xa;
    OSVERSIONINFOW w;
    SYSTEM_INFO si;
    BOOL wow = TRUE;
    char buf[64];
    WCHAR wbuf[64];

    Expect("GetVersion major", v & 0xFF, 6);
    Expect("  minor", (v >> 8) & 0xFF, 1);
    Expect("  build", v >> 16, 7601);
    xa.dwOSVersionInfoSize = sizeof xa;
    Expect("GetVersionExA (EX)", GetVersionExA((OSVERSIONINFOA *)&xa), 1);
    Expect("  build", (long)xa.dwBuildNumber, 7601);
    Expect("  service pack", xa.wServicePackMajor, 1);
    Expect("  product type", xa.wProductType, VER_NT_WORKSTATION);
    Show("  szCSDVersion", xa.szCSDVersion);
    xa.dwOSVersionInfoSize = 12;
    Expect("GetVersionExA, wrong size", GetVersionExA((OSVERSIONINFOA *)&xa), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    w.dwOSVersionInfoSize = sizeof w;
    Expect("GetVersionExW", GetVersionExW(&w) && w.dwPlatformId == VER_PLATFORM_WIN32_NT && w.szCSDVersion[0] == L'S', 1);
    Expect("GetSystemDirectoryA", (long)GetSystemDirectoryA(buf, sizeof buf), 19);
    Show("  directory", buf);
    Expect("GetSystemDirectoryA, small buffer: size needed", (long)GetSystemDirectoryA(buf, 5), 20);
    Expect("GetSystemDirectoryW", (long)GetSystemDirectoryW(wbuf, 64), 19);
    Expect("GetWindowsDirectoryA", (long)GetWindowsDirectoryA(buf, sizeof buf), 10);
    Show("  directory", buf);
    GetSystemInfo(&si);
    Expect("GetSystemInfo page size", (long)si.dwPageSize, 4096);
    Expect("  allocation granularity", (long)si.dwAllocationGranularity, 65536);
    Expect("  processors", si.dwNumberOfProcessors >= 1, 1);
    Print("  architecture ");
    PrintNum(si.wProcessorArchitecture);
    Print("\n");
    Expect("IsWow64Process", IsWow64Process(GetCurrentProcess(), &wow), 1);
    Expect("  Wow64Process", wow, 0);
    Expect("GetCurrentThread is (HANDLE)-2", GetCurrentThread() == (HANDLE)(LONG_PTR)-2, 1);
    Expect("GetExitCodeProcess", GetExitCodeProcess(GetCurrentProcess(), &code), 1);
    Expect("  code (STILL_ACTIVE)", (long)code, STILL_ACTIVE);
    size = sizeof buf;
    Expect("GetComputerNameA", GetComputerNameA(buf, &size), 1);
    Show("  name", buf);
    Expect("  length", (long)size, 10);
    size = 5;
    Expect("GetComputerNameA, small buffer", GetComputerNameA(buf, &size), 0);
    Expect("  last error", (long)GetLastError(), ERROR_BUFFER_OVERFLOW);
    Expect("  size needed", (long)size, 11);
}

static void Text(void)
{
    static const char utf8[] = "h\xc3\xa9\xe2\x82\xac"; /* hé€ */
    WCHAR w[8];
    char back[16];
    BOOL used = FALSE;
    int n, same = 1, i;

    Expect("MultiByteToWideChar UTF-8 size", MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0), 4);
    n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, 8);
    Expect("MultiByteToWideChar UTF-8", n == 4 && w[0] == L'h' && w[1] == 0xE9 && w[2] == 0x20AC && w[3] == 0, 1);
    Expect("MultiByteToWideChar, buffer too small", MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, 2), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    Expect("MultiByteToWideChar, invalid UTF-8 refused",
           MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "\xc3", 1, w, 8), 0);
    Expect("  last error", (long)GetLastError(), ERROR_NO_UNICODE_TRANSLATION);
    n = MultiByteToWideChar(CP_ACP, 0, "\x80", 1, w, 8);
    Expect("MultiByteToWideChar CP_ACP 0x80 is the euro sign", n == 1 && w[0] == 0x20AC, 1);
    n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, 8);
    n = WideCharToMultiByte(CP_UTF8, 0, w, -1, back, sizeof back, NULL, NULL);
    for (i = 0; i < 7; i++)
        same &= back[i] == utf8[i];
    Expect("WideCharToMultiByte UTF-8 round trip", n == 7 && same, 1);
    w[0] = L'a';
    w[1] = 0x3B1; /* alpha: not in 1252 */
    n = WideCharToMultiByte(CP_ACP, 0, w, 2, back, sizeof back, NULL, &used);
    Expect("WideCharToMultiByte CP_ACP with a default character", n == 2 && back[0] == 'a' && back[1] == '?' && used, 1);
    Expect("WideCharToMultiByte UTF-8 takes no default character",
           WideCharToMultiByte(CP_UTF8, 0, w, 2, back, sizeof back, NULL, &used), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("MultiByteToWideChar code page 932", MultiByteToWideChar(932, 0, "a", 1, w, 8), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("lstrlenA", lstrlenA("hello"), 5);
    Expect("lstrlenW", lstrlenW(L"hello"), 5);
    Expect("lstrlenA(NULL)", lstrlenA(NULL), 0);
    Expect("lstrcpyA", lstrcpyA(back, "copy") == back && Same(back, "copy"), 1);
}

static void Environment(void)
{
    char buf[64];
    WCHAR wbuf[64];
    char *block, *s;
    int count = 0, found = 0;

    Expect("GetEnvironmentVariableA SystemRoot", (long)GetEnvironmentVariableA("SystemRoot", buf, sizeof buf), 10);
    Show("  value", buf);
    Expect("  any case of the name", (long)GetEnvironmentVariableA("SYSTEMROOT", buf, sizeof buf), 10);
    Expect("  small buffer: size needed", (long)GetEnvironmentVariableA("windir", buf, 4), 11);
    Expect("GetEnvironmentVariableA missing", (long)GetEnvironmentVariableA("PORTCULLIS_TOUR", buf, sizeof buf), 0);
    Expect("  last error", (long)GetLastError(), ERROR_ENVVAR_NOT_FOUND);
    Expect("SetEnvironmentVariableA", SetEnvironmentVariableA("PORTCULLIS_TOUR", "yes"), 1);
    Expect("  read back", (long)GetEnvironmentVariableA("portcullis_tour", buf, sizeof buf), 3);
    Expect("  read back wide", (long)GetEnvironmentVariableW(L"PORTCULLIS_TOUR", wbuf, 64) == 3 && wbuf[0] == L'y', 1);
    block = GetEnvironmentStringsA();
    for (s = block; *s; s += lstrlenA(s) + 1) {
        count++;
        found |= Same(s, "PORTCULLIS_TOUR=yes");
    }
    Expect("GetEnvironmentStringsA has it", found, 1);
    Expect("  variables", count, 16);
    Expect("FreeEnvironmentStringsA", FreeEnvironmentStringsA(block), 1);
    Expect("SetEnvironmentVariableA(NULL) removes", SetEnvironmentVariableA("PORTCULLIS_TOUR", NULL), 1);
    Expect("  gone", (long)GetEnvironmentVariableA("PORTCULLIS_TOUR", buf, sizeof buf), 0);
    Expect("SetEnvironmentVariableA with = in the name", SetEnvironmentVariableA("A=B", "x"), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
}

static void Console(void)
{
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    char buf[64];
    WCHAR wbuf[16];
    DWORD n = 0;

    Expect("WriteConsoleW", WriteConsoleW(out, L"wide text: \x00e9\n", 13, &n, NULL) && n == 13, 1);
    Expect("ReadConsoleA reads a line", ReadConsoleA(in, buf, sizeof buf - 1, &n, NULL), 1);
    buf[n] = 0;
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = 0; /* shown without its end */
    Expect("  characters", (long)n, 11);
    Show("  line", buf);
    Expect("ReadFile on standard input reads the next", ReadFile(in, buf, sizeof buf - 1, &n, NULL), 1);
    buf[n] = 0;
    Expect("  bytes", (long)n, 7);
    Expect("ReadConsoleW reads UTF-8 as UTF-16", ReadConsoleW(in, wbuf, 16, &n, NULL) && n == 3 && wbuf[1] == 0xE9, 1);
    Expect("at the end of input ReadFile reads 0 bytes", ReadFile(in, buf, sizeof buf, &n, NULL) && n == 0, 1);
}

static void Sync(void)
{
    HANDLE e, a, n1, n2, device;
    ULONGLONG t0;
    CRITICAL_SECTION cs;
    DWORD ret;
    LONG value = 5;

    e = CreateEventA(NULL, TRUE, FALSE, NULL);
    Expect("CreateEventA", e != NULL, 1);
    Expect("WaitForSingleObject(not set, 0)", (long)WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    Expect("SetEvent", SetEvent(e), 1);
    Expect("WaitForSingleObject(set, INFINITE)", (long)WaitForSingleObject(e, INFINITE), WAIT_OBJECT_0);
    Expect("  a manual-reset event stays set", (long)WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    Expect("ResetEvent", ResetEvent(e), 1);
    t0 = GetTickCount64();
    Expect("WaitForSingleObject(not set, 50)", (long)WaitForSingleObject(e, 50), WAIT_TIMEOUT);
    Expect("  50 ms passed on the virtual clock", GetTickCount64() - t0 >= 50, 1);

    a = CreateEventW(NULL, FALSE, TRUE, NULL);
    Expect("auto-reset event, set", (long)WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    Expect("  and clear after one wait", (long)WaitForSingleObject(a, 0), WAIT_TIMEOUT);

    n1 = CreateEventA(NULL, TRUE, FALSE, "PortcullisTour");
    Expect("named event, new: last error", (long)GetLastError(), 0);
    n2 = CreateEventA(NULL, TRUE, FALSE, "Global\\PortcullisTour");
    Expect("  opened again: last error", (long)GetLastError(), ERROR_ALREADY_EXISTS);
    SetEvent(n1);
    Expect("  one event behind both handles", (long)WaitForSingleObject(n2, 0), WAIT_OBJECT_0);

    device = CreateFileA("\\\\.\\Win32Api", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    Expect("open \\\\.\\Win32Api", device != INVALID_HANDLE_VALUE, 1);
    Expect("the driver sets the event through its handle",
           DeviceIoControl(device, IOCTL_SIGNAL, &e, sizeof e, NULL, 0, &ret, NULL), 1);
    Expect("  set", (long)WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    ResetEvent(e);
    Expect("the driver sets it 100 ms later, from a timer's DPC",
           DeviceIoControl(device, IOCTL_SIGNAL_LATER, &e, sizeof e, NULL, 0, &ret, NULL), 1);
    t0 = GetTickCount64();
    Expect("  WaitForSingleObject(INFINITE) meanwhile", (long)WaitForSingleObject(e, INFINITE), WAIT_OBJECT_0);
    Expect("  after 100 ms of virtual time", GetTickCount64() - t0 >= 100, 1);
    {
        HANDLE bogus = (HANDLE)(ULONG_PTR)0x7FF0;
        Expect("the driver given no handle", DeviceIoControl(device, IOCTL_SIGNAL, &bogus, sizeof bogus, NULL, 0, &ret, NULL), 0);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
    }
    /* IRP_MJ_FLUSH_BUFFERS, which the driver does not handle (the I/O manager's default). */
    Expect("FlushFileBuffers(the device)", FlushFileBuffers(device), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_FUNCTION);
    CloseHandle(device);
    Expect("waiting for the process itself, 10 ms", (long)WaitForSingleObject(GetCurrentProcess(), 10), WAIT_TIMEOUT);
    Expect("CloseHandle(event)", CloseHandle(e), 1);
    Expect("SetEvent on a closed handle", SetEvent(e), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
    Expect("WaitForSingleObject on a closed handle", (long)WaitForSingleObject(e, 0), (long)WAIT_FAILED);
    CloseHandle(a);
    CloseHandle(n1);
    CloseHandle(n2);

    InitializeCriticalSection(&cs);
    Expect("InitializeCriticalSection: LockCount", cs.LockCount, -1);
    EnterCriticalSection(&cs);
    EnterCriticalSection(&cs);
    Expect("EnterCriticalSection twice: LockCount", cs.LockCount, -2);
    Expect("  RecursionCount", cs.RecursionCount, 2);
    Expect("  OwningThread is the caller", (DWORD)(ULONG_PTR)cs.OwningThread == GetCurrentThreadId(), 1);
    Expect("TryEnterCriticalSection", TryEnterCriticalSection(&cs), 1);
    LeaveCriticalSection(&cs);
    LeaveCriticalSection(&cs);
    LeaveCriticalSection(&cs);
    Expect("left three times: LockCount", cs.LockCount, -1);
    Expect("  OwningThread", cs.OwningThread == NULL, 1);
    DeleteCriticalSection(&cs);

    Expect("InterlockedIncrement", InterlockedIncrement(&value), 6);
    Expect("InterlockedDecrement", InterlockedDecrement(&value), 5);
    Expect("InterlockedExchange", InterlockedExchange(&value, 9), 5);
    Expect("InterlockedExchangeAdd", InterlockedExchangeAdd(&value, 3), 9);
    Expect("InterlockedCompareExchange, equal", InterlockedCompareExchange(&value, 1, 12), 12);
    Expect("InterlockedCompareExchange, not equal", InterlockedCompareExchange(&value, 7, 12), 1);
    Expect("  value", value, 1);
}

static void Runtime(void)
{
    CPINFO cp;
    HANDLE file;
    DWORD mode, n;
    LONG high;
    ULONG lfh = 2;
    char two[3] = {0};
    void *encoded;

    Expect("x87 control word at the start", g_StartX87, 0x27F);
    Expect("MXCSR at the start", (long)g_StartMxcsr, 0x1F80);
    Expect("GetACP", (long)GetACP(), 1252);
    Expect("GetOEMCP", (long)GetOEMCP(), 437);
    Expect("GetConsoleCP", (long)GetConsoleCP(), 437);
    Expect("GetConsoleOutputCP", (long)GetConsoleOutputCP(), 437);
    Expect("IsValidCodePage(1252)", IsValidCodePage(1252), 1);
    Expect("IsValidCodePage(CP_UTF8)", IsValidCodePage(CP_UTF8), 1);
    Expect("IsValidCodePage(CP_ACP)", IsValidCodePage(CP_ACP), 0);
    Expect("GetCPInfo(1252)", GetCPInfo(1252, &cp), 1);
    Expect("  MaxCharSize", (long)cp.MaxCharSize, 1);
    Expect("  DefaultChar", cp.DefaultChar[0], '?');
    Expect("GetCPInfo(CP_UTF8): MaxCharSize", GetCPInfo(CP_UTF8, &cp) ? (long)cp.MaxCharSize : 0, 4);
    Expect("GetCPInfo(42)", GetCPInfo(42, &cp), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("GetFileType(stdout)", (long)GetFileType(GetStdHandle(STD_OUTPUT_HANDLE)), FILE_TYPE_CHAR);
    Expect("GetFileType(nothing)", (long)GetFileType((HANDLE)0x1234), FILE_TYPE_UNKNOWN);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
    Expect("GetConsoleMode(stdin)", GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &mode) ? (long)mode : -1, 0x1F7);
    Expect("GetConsoleMode(stdout)", GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode) ? (long)mode : -1, 3);
    Expect("GetConsoleMode(nothing)", GetConsoleMode((HANDLE)0x1234, &mode), 0);
    Expect("SetHandleCount", (long)SetHandleCount(20), 20);
    Expect("IsDebuggerPresent", IsDebuggerPresent(), 0);
    Expect("IsProcessorFeaturePresent(PF_XMMI64_INSTRUCTIONS_AVAILABLE)", IsProcessorFeaturePresent(PF_XMMI64_INSTRUCTIONS_AVAILABLE), 1);
    Expect("IsProcessorFeaturePresent(PF_3DNOW_INSTRUCTIONS_AVAILABLE)", IsProcessorFeaturePresent(PF_3DNOW_INSTRUCTIONS_AVAILABLE), 0);
    Expect("IsProcessorFeaturePresent(200)", IsProcessorFeaturePresent(200), 0);
    OutputDebugStringA("kernel32_tour: a word for the debugger\n");
    encoded = EncodePointer((void *)Runtime);
    Expect("EncodePointer hides the pointer", encoded != (void *)Runtime, 1);
    Expect("DecodePointer gives it back", DecodePointer(encoded) == (void *)Runtime, 1);
    Expect("HeapSetInformation(low-fragmentation heap)",
           HeapSetInformation(GetProcessHeap(), HeapCompatibilityInformation, &lfh, sizeof lfh), 1);
    Expect("HeapSetInformation(terminate on corruption)",
           HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0), 1);
    Expect("TerminateProcess(nothing)", TerminateProcess((HANDLE)0x1234, 5), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);

    file = CreateFileA("C:\\tour.txt", GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    Expect("GetFileType(a file on C:)", (long)GetFileType(file), FILE_TYPE_DISK);
    WriteFile(file, "0123456789", 10, &n, NULL);
    Expect("SetFilePointer(FILE_BEGIN, 3)", (long)SetFilePointer(file, 3, NULL, FILE_BEGIN), 3);
    ReadFile(file, two, 2, &n, NULL);
    Show("  read there", two);
    Expect("SetFilePointer(FILE_CURRENT, -1)", (long)SetFilePointer(file, -1, NULL, FILE_CURRENT), 4);
    Expect("SetFilePointer(FILE_END, -2)", (long)SetFilePointer(file, -2, NULL, FILE_END), 8);
    Expect("SetFilePointer before the start", SetFilePointer(file, -20, NULL, FILE_CURRENT) == INVALID_SET_FILE_POINTER, 1);
    Expect("  last error", (long)GetLastError(), ERROR_NEGATIVE_SEEK);
    high = 1;
    Expect("SetFilePointer to 4 GB: low half", (long)SetFilePointer(file, 0, &high, FILE_BEGIN), 0);
    Expect("  high half", high, 1);
    Expect("  last error", (long)GetLastError(), NO_ERROR);
    Expect("SetFilePointer past 4 GB without the high half", SetFilePointer(file, 0, NULL, FILE_CURRENT) == INVALID_SET_FILE_POINTER, 1);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    {
        LARGE_INTEGER to, at;
        to.QuadPart = 0x100000005LL;
        Expect("SetFilePointerEx past 4 GB", SetFilePointerEx(file, to, &at, FILE_BEGIN), 1);
        Expect("  the new position's high half", (long)at.HighPart, 1);
        to.QuadPart = -7;
        Expect("SetFilePointerEx(FILE_END, -7)", SetFilePointerEx(file, to, &at, FILE_END), 1);
        Expect("  the new position", (long)at.LowPart, 3);
        to.QuadPart = -4;
        Expect("SetFilePointerEx before the start", SetFilePointerEx(file, to, NULL, FILE_CURRENT), 0);
        Expect("  last error", (long)GetLastError(), ERROR_NEGATIVE_SEEK);
    }
    Expect("FlushFileBuffers(a file on C:)", FlushFileBuffers(file), 1);
    Expect("FlushFileBuffers(the console)", FlushFileBuffers(GetStdHandle(STD_OUTPUT_HANDLE)), 0);
    Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
    {
        /* (What is printed meanwhile goes to the file.) */
        HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
        BOOL set = SetStdHandle(STD_OUTPUT_HANDLE, file);
        int same = GetStdHandle(STD_OUTPUT_HANDLE) == file;
        BOOL back = SetStdHandle(STD_OUTPUT_HANDLE, out);
        Expect("SetStdHandle(output, the file)", set, 1);
        Expect("  GetStdHandle gives the file", same, 1);
        Expect("  and back", back, 1);
        Expect("SetStdHandle(-13)", SetStdHandle((DWORD)-13, file), 0);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
    }
    CloseHandle(file);
    file = CreateFileA("C:\\tour.txt", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    Expect("FlushFileBuffers(a file open for reading)", FlushFileBuffers(file), 0);
    Expect("  last error", (long)GetLastError(), ERROR_ACCESS_DENIED);
    CloseHandle(file);
    {
        /* Directory searches: two files of 3 and 5 bytes in the root, then the searches. */
        static const char *names[] = {"C:\\find_b.txt", "C:\\find_a.txt"};
        WIN32_FIND_DATAA fa;
        WIN32_FIND_DATAW fw;
        HANDLE f;
        for (int i = 0; i < 2; i++) {
            f = CreateFileA(names[i], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
            WriteFile(f, "12345", i ? 5 : 3, &n, NULL);
            CloseHandle(f);
        }
        f = FindFirstFileA("C:\\find_*.txt", &fa);
        Expect("FindFirstFileA(C:\\find_*.txt)", f != INVALID_HANDLE_VALUE, 1);
        Show("  first", fa.cFileName);
        Expect("  its size", (long)fa.nFileSizeLow, 5);
        Expect("  a file", (fa.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0, 1);
        Expect("FindNextFileA", FindNextFileA(f, &fa), 1);
        Show("  next", fa.cFileName);
        Expect("  its size", (long)fa.nFileSizeLow, 3);
        Expect("FindNextFileA at the end", FindNextFileA(f, &fa), 0);
        Expect("  last error", (long)GetLastError(), ERROR_NO_MORE_FILES);
        Expect("FindClose", FindClose(f), 1);
        Expect("FindClose again", FindClose(f), 0);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_HANDLE);
        f = FindFirstFileW(L"C:\\Windows\\*.*", &fw);
        Expect("FindFirstFileW(C:\\Windows\\*.*) begins with .", f != INVALID_HANDLE_VALUE && fw.cFileName[0] == '.' && fw.cFileName[1] == 0, 1);
        Expect("  then ..", FindNextFileW(f, &fw) && fw.cFileName[0] == '.' && fw.cFileName[1] == '.' && fw.cFileName[2] == 0, 1);
        Expect("  a directory", (fw.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0, 1);
        FindClose(f);
        f = FindFirstFileExW(L"C:\\*", FindExInfoBasic, &fw, FindExSearchLimitToDirectories, NULL, 0);
        int files = 0, found = 0;
        do {
            files += (fw.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0;
            found += fw.cFileName[0] == 'W' && fw.cFileName[1] == 'i';
        } while (FindNextFileW(f, &fw));
        FindClose(f);
        Expect("FindFirstFileExW(C:\\*, directories only) finds Windows and no file", found == 1 && files == 0, 1);
        Expect("FindFirstFileA of nothing", FindFirstFileA("C:\\find_z*", &fa) == INVALID_HANDLE_VALUE, 1);
        Expect("  last error", (long)GetLastError(), ERROR_FILE_NOT_FOUND);
        Expect("FindFirstFileExA in no directory",
               FindFirstFileExA("C:\\nodir\\*", FindExInfoStandard, &fa, FindExSearchNameMatch, NULL, 0) == INVALID_HANDLE_VALUE, 1);
        Expect("  last error", (long)GetLastError(), ERROR_PATH_NOT_FOUND);
        Expect("CreateDirectoryA(C:\\tourdir)", CreateDirectoryA("C:\\tourdir", NULL), 1);
        Expect("CreateDirectoryA again", CreateDirectoryA("C:\\tourdir", NULL), 0);
        Expect("  last error", (long)GetLastError(), ERROR_ALREADY_EXISTS);
        Expect("CreateDirectoryW in no directory", CreateDirectoryW(L"C:\\nodir\\x", NULL), 0);
        Expect("  last error", (long)GetLastError(), ERROR_PATH_NOT_FOUND);
        f = CreateFileA("C:\\tourdir\\f.txt", GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
        CloseHandle(f);
        Expect("GetFileAttributesA(the directory)", (long)GetFileAttributesA("C:\\tourdir") & FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_DIRECTORY);
        Expect("GetFileAttributesW(a file)", (long)(GetFileAttributesW(L"C:\\tourdir\\f.txt") & FILE_ATTRIBUTE_DIRECTORY), 0);
        Expect("GetFileAttributesA(nothing)", GetFileAttributesA("C:\\tourdir\\none") == INVALID_FILE_ATTRIBUTES, 1);
        Expect("  last error", (long)GetLastError(), ERROR_FILE_NOT_FOUND);
        Expect("RemoveDirectoryA(not empty)", RemoveDirectoryA("C:\\tourdir"), 0);
        Expect("  last error", (long)GetLastError(), ERROR_DIR_NOT_EMPTY);
        Expect("DeleteFileA(the directory)", DeleteFileA("C:\\tourdir"), 0);
        Expect("  last error", (long)GetLastError(), ERROR_ACCESS_DENIED);
        Expect("DeleteFileW(the file)", DeleteFileW(L"C:\\tourdir\\f.txt"), 1);
        Expect("DeleteFileA again", DeleteFileA("C:\\tourdir\\f.txt"), 0);
        Expect("  last error", (long)GetLastError(), ERROR_FILE_NOT_FOUND);
        Expect("RemoveDirectoryW(now empty)", RemoveDirectoryW(L"C:\\tourdir"), 1);
        Expect("  gone", GetFileAttributesA("C:\\tourdir") == INVALID_FILE_ATTRIBUTES, 1);
        Expect("FindFirstFileExW with a search filter",
               FindFirstFileExW(L"C:\\*", FindExInfoStandard, &fw, FindExSearchNameMatch, &fw, 0) == INVALID_HANDLE_VALUE, 1);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    }
    {
        TIME_ZONE_INFORMATION tz;
        CRITICAL_SECTION cs;
        void *block = HeapAlloc(GetProcessHeap(), 0, 24);
        Expect("GetTimeZoneInformation", (long)GetTimeZoneInformation(&tz), TIME_ZONE_ID_UNKNOWN);
        Expect("  bias", tz.Bias, 0);
        Expect("  Coordinated Universal Time", tz.StandardName[0] == 'C' && tz.DaylightName[0] == 'C', 1);
        Expect("HeapValidate(the heap)", HeapValidate(GetProcessHeap(), 0, NULL), 1);
        Expect("HeapValidate(a block)", HeapValidate(GetProcessHeap(), 0, block), 1);
        HeapFree(GetProcessHeap(), 0, block);
        Expect("HeapValidate(a freed block)", HeapValidate(GetProcessHeap(), 0, block), 0);
        Expect("InitializeCriticalSectionEx", InitializeCriticalSectionEx(&cs, 4000, CRITICAL_SECTION_NO_DEBUG_INFO), 1);
        EnterCriticalSection(&cs);
        LeaveCriticalSection(&cs);
        DeleteCriticalSection(&cs);
        Expect("InitializeCriticalSectionEx(bad flags)", InitializeCriticalSectionEx(&cs, 0, 1), 0);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
        Expect("SetConsoleCtrlHandler(add)", SetConsoleCtrlHandler((PHANDLER_ROUTINE)(void *)Runtime, TRUE), 1);
        Expect("SetConsoleCtrlHandler(remove)", SetConsoleCtrlHandler((PHANDLER_ROUTINE)(void *)Runtime, FALSE), 1);
        Expect("SetConsoleCtrlHandler(remove again)", SetConsoleCtrlHandler((PHANDLER_ROUTINE)(void *)Runtime, FALSE), 0);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
        Expect("SetConsoleCtrlHandler(NULL: ignore CTRL+C)", SetConsoleCtrlHandler(NULL, TRUE), 1);
    }
    {
        HMODULE m = NULL;
        Expect("GetModuleHandleExW(NULL): the program",
               GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, NULL, &m) && m == GetModuleHandleA(NULL), 1);
        m = NULL;
        Expect("GetModuleHandleExW(FROM_ADDRESS of this function)",
               GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                  (LPCWSTR)(void *)Runtime, &m) && m == GetModuleHandleA(NULL), 1);
        m = NULL;
        Expect("GetModuleHandleExA(kernel32)", GetModuleHandleExA(0, "kernel32.dll", &m) && m == GetModuleHandleA("kernel32"), 1);
        m = (HMODULE)1;
        Expect("GetModuleHandleExA(a module not loaded)", GetModuleHandleExA(0, "nosuch.dll", &m), 0);
        Expect("  *phModule", m == NULL, 1);
        Expect("  last error", (long)GetLastError(), ERROR_MOD_NOT_FOUND);
        Expect("GetModuleHandleExW(PIN | UNCHANGED_REFCOUNT)",
               GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, NULL, &m), 0);
        Expect("  last error", (long)GetLastError(), ERROR_INVALID_PARAMETER);
    }
}

/* The first argument of the command line, if any. */
static const char *Argument(void)
{
    const char *s = GetCommandLineA();
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    return s;
}

void ProgramStart(void)
{
    const char *mode;

    __asm__ volatile("fnstcw %0" : "=m"(g_StartX87));
    __asm__ volatile("stmxcsr %0" : "=m"(g_StartMxcsr));
    mode = Argument();

    if (Same(mode, "wait-self")) {
        Print("waiting for myself\n");
        WaitForSingleObject(GetCurrentProcess(), INFINITE);
        ExitProcess(1);
    }
    if (Same(mode, "cs-foreign")) {
        CRITICAL_SECTION cs;
        InitializeCriticalSection(&cs);
        cs.LockCount = -2;
        cs.RecursionCount = 1;
        cs.OwningThread = (HANDLE)(ULONG_PTR)0x1234;
        Print("entering a section thread 0x1234 owns\n");
        EnterCriticalSection(&cs);
        ExitProcess(1);
    }
    if (Same(mode, "heap-exception")) {
        HANDLE heap = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0x1000);
        Print("allocating beyond the heap's maximum\n");
        HeapAlloc(heap, 0, 0x100000);
        ExitProcess(1);
    }
    if (Same(mode, "terminate")) {
        Print("terminating\n");
        TerminateProcess(GetCurrentProcess(), 7);
        ExitProcess(1);
    }
    Heaps();
    Virtual();
    Time();
    System();
    Text();
    Environment();
    Console();
    Sync();
    Runtime();
    Print(g_Failed ? "some answers differ\n" : "all answers as Windows gives them\n");
    ExitProcess(g_Failed);
}
