/*
 * kernel_peek - a program that reads kernel memory: the first byte of the processor control
 * region (the KPCR: 0xFFDFF000 on x86, 0xFFFFF80000100000 on x64). User code cannot reach it
 * (the kernel's pages are supervisor-only in a process's address space), so it ends with
 * STATUS_ACCESS_VIOLATION and never prints its second line.
 */
#include <windows.h>

static void Print(const char *s)
{
    DWORD n, len = 0;
    while (s[len])
        len++;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), s, len, &n, NULL);
}

void ProgramStart(void)
{
#ifdef _WIN64
    volatile unsigned char *kernel = (volatile unsigned char *)(ULONG_PTR)0xFFFFF80000100000ull;
    Print("kernel_peek: reading 0xFFFFF80000100000\n");
#else
    volatile unsigned char *kernel = (volatile unsigned char *)(ULONG_PTR)0xFFDFF000u;
    Print("kernel_peek: reading 0xFFDFF000\n");
#endif
    if (*kernel != 0xFF)
        Print("kernel_peek: the kernel's memory was mine\n");
    else
        Print("kernel_peek: the kernel's memory was mine (0xFF)\n");
    ExitProcess(0);
}
