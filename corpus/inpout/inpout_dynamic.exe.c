/*
 * inpout_dynamic - an InpOut32 client that loads the library at run time, as most do
 * (written for this project): LoadLibraryA, GetProcAddress by name and by ordinal,
 * Out32/Inp32 on 0x378, a second LoadLibraryA (the same handle, DllMain not called again),
 * two FreeLibrary calls (the second unloads it: DllMain's DLL_PROCESS_DETACH closes the
 * device), and the errors: a library that does not exist, a function it does not export,
 * a handle that is no module. Each step prints one numbered line.
 */
#include "program.h"

/* The name has an extension already (".x86"), so LoadLibrary appends no ".dll". */
#ifdef _WIN64
#define LIBRARY "inpout.x64.dll"
#else
#define LIBRARY "inpout.x86.dll"
#endif

typedef void(WINAPI *OUT32)(short, short);
typedef short(WINAPI *INP32)(short);
typedef DWORD(WINAPI *COUNT)(void);

static int step;

static void Line(const char *what, unsigned long v)
{
    PrintNum(++step);
    Print(": ");
    Print(what);
    Print(" ");
    PrintNum(v);
    Print("\n");
}

void ProgramStart(void)
{
    HMODULE library, again, kernel;
    OUT32 out;
    INP32 inp;
    COUNT attached;
    FARPROC tick;

    Line("loaded before LoadLibrary", GetModuleHandleA(LIBRARY) != NULL);
    library = LoadLibraryA(LIBRARY);
    Line("LoadLibraryA", library != NULL);
    out = (OUT32)GetProcAddress(library, "Out32");
    inp = (INP32)GetProcAddress(library, "Inp32");
    attached = (COUNT)GetProcAddress(library, "InpOutAttachCount");
    Line("GetProcAddress", out && inp && attached);
    Line("ordinal 1 is a function", GetProcAddress(library, (LPCSTR)1) != NULL);
    out(0x378, 0xA5);
    Line("0x378 reads back", (unsigned short)inp(0x378));
    Line("attach count", attached());
    again = LoadLibraryA(LIBRARY);
    Line("LoadLibraryA again is the same module", again == library);
    Line("attach count still", attached());
    Line("FreeLibrary (one of two)", FreeLibrary(library));
    Line("still loaded", GetModuleHandleA(LIBRARY) == library);
    Line("FreeLibrary (the last)", FreeLibrary(library));
    Line("gone", GetModuleHandleA(LIBRARY) == NULL);
    Line("  error", GetLastError());
    Line("LoadLibraryA missing.dll", LoadLibraryA("missing.dll") == NULL);
    Line("  error", GetLastError());
    library = LoadLibraryA(LIBRARY);
    Line("LoadLibraryA after unloading", library != NULL);
    Line("attach count after reloading", ((COUNT)GetProcAddress(library, "InpOutAttachCount"))());
    Line("GetProcAddress Nope", GetProcAddress(library, "Nope") == NULL);
    Line("  error", GetLastError());
    Line("FreeLibrary (not a module)", FreeLibrary((HMODULE)0x1234));
    Line("  error", GetLastError());
    kernel = GetModuleHandleA("KERNEL32");
    tick = GetProcAddress(kernel, "GetTickCount");
    Line("kernel32's GetTickCount through GetProcAddress", tick != NULL && ((COUNT)tick)() == GetTickCount());
    Line("GetProcAddress kernel32 Nope", GetProcAddress(kernel, "Nope") == NULL);
    ExitProcess(0);
}
