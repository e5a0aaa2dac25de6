/*
 * giveio_client - the user program of the GIVEIO scenario: it opens \\.\giveio (which
 * opens the I/O permission map to it), asks the driver which process it sees, then plays
 * a 50 ms 880 Hz tone on the PC speaker with its own out instructions:
 *
 *     out 0x43, 0xB6            PIT channel 2, lobyte/hibyte, square wave
 *     out 0x42, 0x4B            divisor 1355 (1193182 / 880), low byte
 *     out 0x42, 0x05            high byte
 *     in  0x61; out 0x61, |3    speaker gate and data on
 *     Sleep(50)
 *     in  0x61; out 0x61, &~3   off
 *
 * As many old clients do, it goes on to the ports when the open fails (it prints why): run
 * without the driver, its first out is a privileged instruction in user mode and ends it
 * with STATUS_PRIVILEGED_INSTRUCTION. Its exit code is 0 after the tone.
 * Built without a C runtime (kernel32 only): ProgramStart is the entry point.
 */
#include <windows.h>

#define IOCTL_WHO 0x80002400

static void Print(const char *s)
{
    DWORD n, len = 0;
    while (s[len])
        len++;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), s, len, &n, NULL);
}

static void PrintNumber(DWORD v)
{
    char text[12];
    int i = sizeof(text) - 1;
    text[i] = 0;
    do {
        text[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    Print(&text[i]);
}

static void Out8(unsigned short port, unsigned char value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static unsigned char In8(unsigned short port)
{
    unsigned char value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void ProgramStart(void)
{
    HANDLE device;
    DWORD who = 0, returned = 0;

    device = CreateFileA("\\\\.\\giveio", GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (device == INVALID_HANDLE_VALUE) {
        Print("giveio_client: cannot open \\\\.\\giveio (error ");
        PrintNumber(GetLastError());
        Print("); trying the ports anyway\n");
    } else if (DeviceIoControl(device, IOCTL_WHO, NULL, 0, &who, sizeof(who), &returned, NULL)) {
        Print("giveio_client: process ");
        PrintNumber(GetCurrentProcessId());
        Print(", the driver sees process ");
        PrintNumber(who);
        Print("\n");
    }

    Out8(0x43, 0xB6);
    Out8(0x42, 1355 & 0xFF);
    Out8(0x42, 1355 >> 8);
    Out8(0x61, In8(0x61) | 3);
    Sleep(50);
    Out8(0x61, In8(0x61) & ~3);
    Print("giveio_client: played 880 Hz for 50 ms\n");

    if (device != INVALID_HANDLE_VALUE)
        CloseHandle(device);
    ExitProcess(0);
}
