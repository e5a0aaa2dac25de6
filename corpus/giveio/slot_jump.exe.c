/*
 * slot_jump - a hostile program: it calls one byte into kernel32's GetStdHandle (the code
 * Portcullis binds the import to is a host-call slot; nothing starts in its middle). The
 * machine refuses it, and that is the program's STATUS_ACCESS_VIOLATION, not the end of the
 * run: the driver's report and later programs go on.
 */
#include <windows.h>

typedef HANDLE(WINAPI *GET_STD_HANDLE)(DWORD);

void ProgramStart(void)
{
    GET_STD_HANDLE inside = (GET_STD_HANDLE)((ULONG_PTR)&GetStdHandle + 1);
    DWORD n;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), "slot_jump: jumping\n", 19, &n, NULL);
    inside(STD_OUTPUT_HANDLE);
    ExitProcess(0);
}
