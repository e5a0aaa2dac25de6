/*
 * port_probe - a program that writes a port without asking any driver: 0x55 to the POST
 * port 0x80. A process nobody gave an I/O permission map to has map 0 (every port denied),
 * whatever another process was given, so it ends with STATUS_PRIVILEGED_INSTRUCTION and
 * never prints its second line.
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
    Print("port_probe: out 0x80\n");
    __asm__ volatile("outb %0, %1" : : "a"((unsigned char)0x55), "Nd"((unsigned short)0x80));
    Print("port_probe: the port was mine\n");
    ExitProcess(0);
}
