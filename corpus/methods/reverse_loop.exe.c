/*
 * reverse_loop - a program that opens \\.\Methods and sends REVERSE (METHOD_BUFFERED,
 * 0x80002400) with "abcd" 20000 times, checking each answer is "dcba", 4 bytes: the
 * round trip of DeviceIoControl from user mode (`make bench`'s
 * win32_ioctl_round_trips_per_s). Prints "reverse_loop: 20000 round trips" and exits
 * with 0, or exits with the failing iteration's number + 1.
 */
#include <windows.h>

#define ROUNDS 20000

static void Print(const char *s)
{
    DWORD n, len = 0;
    while (s[len])
        len++;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), s, len, &n, NULL);
}

void ProgramStart(void)
{
    HANDLE h = CreateFileA("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        Print("reverse_loop: cannot open \\\\.\\Methods\n");
        ExitProcess(0xFFFFFFFF);
    }
    for (DWORD i = 0; i < ROUNDS; i++) {
        char in[4] = {'a', 'b', 'c', 'd'};
        char out[4] = {0};
        DWORD got = 0;
        if (!DeviceIoControl(h, 0x80002400, in, 4, out, 4, &got, NULL) || got != 4 || out[0] != 'd'
            || out[1] != 'c' || out[2] != 'b' || out[3] != 'a')
            ExitProcess(i + 1);
    }
    CloseHandle(h);
    Print("reverse_loop: 20000 round trips\n");
    ExitProcess(0);
}
