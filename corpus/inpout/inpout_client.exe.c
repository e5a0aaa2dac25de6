/*
 * inpout_client - an InpOut32 client (written for this project): it imports Out32 and
 * Inp32 from inpout.dll, whose DllMain installs and opens the driver before this program's
 * entry point runs, writes a byte pattern to the parallel port's data register 0x378 and
 * reads it back, reads the status register 0x379, and prints what it saw and what the
 * loader says about the library (module handle, path, GetProcAddress, TLS).
 */
#include "program.h"

#ifdef _WIN64
#define LIBRARY "inpout.x64.dll"
#else
#define LIBRARY "inpout.x86.dll"
#endif

__declspec(dllimport) void WINAPI Out32(short port, short data);
__declspec(dllimport) short WINAPI Inp32(short port);
__declspec(dllimport) BOOL WINAPI IsInpOutDriverOpen(void);
__declspec(dllimport) DWORD WINAPI InpOutAttachCount(void);
__declspec(dllimport) DWORD WINAPI InpOutTlsCalls(void);
__declspec(dllimport) DWORD WINAPI InpOutTlsData(void);

static void Line(const char *what, unsigned long v)
{
    Print(what);
    Print(" ");
    PrintNum(v);
    Print("\n");
}

void ProgramStart(void)
{
    static const unsigned char pattern[] = {0x55, 0xAA, 0x0F, 0xF0};
    char path[MAX_PATH];
    HMODULE library = GetModuleHandleA(LIBRARY);
    unsigned i;

    Line("driver open", IsInpOutDriverOpen());
    Line("attached", InpOutAttachCount());
    Line("tls callback calls", InpOutTlsCalls());
    Line("tls data", InpOutTlsData());
    Line("module handle found", library != NULL);
    Line("GetProcAddress Inp32 is the import", GetProcAddress(library, "Inp32") == (FARPROC)Inp32);
    if (GetModuleFileNameA(library, path, sizeof path)) {
        Print("library path ");
        Print(path);
        Print("\n");
    }
    if (GetModuleFileNameA(NULL, path, sizeof path)) {
        Print("program path ");
        Print(path);
        Print("\n");
    }
    for (i = 0; i < sizeof pattern; i++) {
        Out32(0x378, pattern[i]);
        Line("0x378 reads back", (unsigned short)Inp32(0x378));
    }
    Line("0x379 status", (unsigned short)Inp32(0x379));
    ExitProcess(0);
}
