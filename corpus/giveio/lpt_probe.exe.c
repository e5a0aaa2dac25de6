/*
 * lpt_probe - a program whose driver grants it one parallel-port register and not the next:
 * it opens \\.\giveio and replaces the map with one that allows 0x378 (data) and 0x37A
 * (control) only (IOCTL 0x80002404, SET_MAP), then
 *
 *   lpt_probe byte   writes 0x55 to 0x378 (allowed), then reads 0x379 (status: denied)
 *   lpt_probe word   writes a word to 0x378, which also covers 0x379 (denied as a whole)
 *
 * Each ends with STATUS_PRIVILEGED_INSTRUCTION at its denied access; "byte" prints its
 * second line first. The mode comes from the command line (GetCommandLineA).
 */
#include <windows.h>

#define IOCTL_SET_MAP 0x80002404

static void Print(const char *s)
{
    DWORD n, len = 0;
    while (s[len])
        len++;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), s, len, &n, NULL);
}

static int EndsWith(const char *s, const char *tail)
{
    int n = 0, m = 0;
    while (s[n])
        n++;
    while (tail[m])
        m++;
    if (m > n)
        return 0;
    for (int i = 0; i < m; i++)
        if (s[n - m + i] != tail[i])
            return 0;
    return 1;
}

static unsigned char g_Map[0x2000];

void ProgramStart(void)
{
    const char *line = GetCommandLineA();
    HANDLE device;
    DWORD returned;

    device = CreateFileA("\\\\.\\giveio", GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (device == INVALID_HANDLE_VALUE) {
        Print("lpt_probe: cannot open \\\\.\\giveio\n");
        ExitProcess(2);
    }
    for (int i = 0; i < (int)sizeof(g_Map); i++)
        g_Map[i] = 0xFF;
    g_Map[0x378 / 8] = 0xFA; /* 0x378 and 0x37A allowed, 0x379 and the rest denied */
    if (!DeviceIoControl(device, IOCTL_SET_MAP, g_Map, sizeof(g_Map), NULL, 0, &returned, NULL)) {
        Print("lpt_probe: SET_MAP failed\n");
        ExitProcess(3);
    }
    if (EndsWith(line, "word")) {
        Print("lpt_probe: out 0x378, word\n");
        __asm__ volatile("outw %0, %1" : : "a"((unsigned short)0xAA55), "Nd"((unsigned short)0x378));
    } else {
        unsigned char status;
        Print("lpt_probe: out 0x378, byte\n");
        __asm__ volatile("outb %0, %1" : : "a"((unsigned char)0x55), "Nd"((unsigned short)0x378));
        Print("lpt_probe: in 0x379\n");
        __asm__ volatile("inb %1, %0" : "=a"(status) : "Nd"((unsigned short)0x379));
        (void)status;
    }
    Print("lpt_probe: every access was allowed\n");
    ExitProcess(0);
}
