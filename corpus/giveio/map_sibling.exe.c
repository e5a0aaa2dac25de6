/*
 * map_sibling - two processes at once, one map: this program opens \\.\giveio (which opens
 * the I/O permission map to its process), writes the POST port itself, then starts
 * port_probe (CreateProcess), which writes the same port without asking any driver, while
 * this one is still alive and holds its map. The child's map is its own (map 0: every port
 * denied): it ends with STATUS_PRIVILEGED_INSTRUCTION and its access never reaches the port.
 * This process's map is untouched: its next out goes through. Exit code 0 when all of that
 * holds, else the number of the first step that did not.
 */
#include "program.h"

static void Out8(unsigned short port, unsigned char value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static int Check(int step, const char *what, DWORD got, DWORD want)
{
    Print(what);
    Print(" = ");
    PrintNum(got);
    Print(got == want ? "\n" : "   (not as Windows answers)\n");
    return got == want ? 0 : step;
}

void ProgramStart(void)
{
    PROCESS_INFORMATION pi;
    STARTUPINFOA si;
    char line[] = "port_probe.x86.exe";
    volatile char *z = (volatile char *)&si;
    DWORD code = 0, i;
    int failed = 0;
    HANDLE device = CreateFileA("\\\\.\\giveio", GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);

    if (device == INVALID_HANDLE_VALUE)
        ExitProcess(1);
    Out8(0x80, 0x11);
    Print("map_sibling: out 0x80, 0x11 went through\n");
    for (i = 0; i < sizeof si; i++)
        z[i] = 0;
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        ExitProcess(2);
    failed = Check(3, "WaitForSingleObject(port_probe)", WaitForSingleObject(pi.hProcess, INFINITE), WAIT_OBJECT_0);
    GetExitCodeProcess(pi.hProcess, &code);
    if (!failed)
        failed = Check(4, "port_probe's exit code", code, 0xC0000096);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    Out8(0x80, 0x22);
    Print("map_sibling: out 0x80, 0x22 went through: the map is still mine\n");
    CloseHandle(device);
    ExitProcess(failed);
}
