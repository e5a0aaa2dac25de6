/*
 * map_roundtrip - a DLPortIO-style client (written for this project): before it touches a
 * port it asks the driver what the I/O permission maps hold, as port-I/O libraries do to
 * check that their grant took. It opens \\.\giveio, grants itself the parallel port's data
 * and control registers (0x378, 0x37A) with SET_MAP (0x80002404), then reads the maps back
 * with QUERY_MAP (0x80002408, Ke386QueryIoAccessMap):
 *
 *   map 1            byte for byte what it set
 *   map 0            all ones (every port denied)
 *   map 2            no such map: ERROR_INVALID_PARAMETER
 *   a 2-byte input   ERROR_INSUFFICIENT_BUFFER
 *
 * then writes 0x55 to 0x378 and reads 0x37A with its own out/in (DlPortWritePortUchar and
 * DlPortReadPortUchar's work). Each answer is printed as "what = value"; the exit code is 0
 * when all are as Windows gives them, else the number of the first that is not.
 */
#include "program.h"

#define IOCTL_SET_MAP 0x80002404
#define IOCTL_QUERY_MAP 0x80002408
#define IOPM_BYTES 0x2000

static unsigned char g_Map[IOPM_BYTES], g_Back[IOPM_BYTES];
static int g_Step, g_Failed;

static void Expect(const char *what, unsigned long got, unsigned long want)
{
    g_Step++;
    Print(what);
    Print(" = ");
    PrintNum(got);
    if (got != want) {
        Print("   (expected ");
        PrintNum(want);
        Print(")");
        if (!g_Failed)
            g_Failed = g_Step;
    }
    Print("\n");
}

/* Whether `n` bytes of `a` and `b` are the same. */
static int Same(const unsigned char *a, const unsigned char *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static int AllOnes(const unsigned char *a, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != 0xFF)
            return 0;
    return 1;
}

static unsigned char DlPortReadPortUchar(unsigned short port)
{
    unsigned char v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void DlPortWritePortUchar(unsigned short port, unsigned char v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void ProgramStart(void)
{
    DWORD returned, map;
    HANDLE device = CreateFileA("\\\\.\\giveio", GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    Expect("open \\\\.\\giveio", device != INVALID_HANDLE_VALUE, 1);
    if (device == INVALID_HANDLE_VALUE)
        ExitProcess(g_Failed);

    for (int i = 0; i < IOPM_BYTES; i++)
        g_Map[i] = 0xFF;
    g_Map[0x378 / 8] = 0xFA; /* 0x378 and 0x37A allowed */
    Expect("SET_MAP", DeviceIoControl(device, IOCTL_SET_MAP, g_Map, IOPM_BYTES, NULL, 0, &returned, NULL), 1);

    map = 1;
    Expect("QUERY_MAP 1",
           DeviceIoControl(device, IOCTL_QUERY_MAP, &map, 4, g_Back, IOPM_BYTES, &returned, NULL), 1);
    Expect("  bytes", returned, IOPM_BYTES);
    Expect("  as set", Same(g_Map, g_Back, IOPM_BYTES), 1);

    map = 0;
    Expect("QUERY_MAP 0",
           DeviceIoControl(device, IOCTL_QUERY_MAP, &map, 4, g_Back, IOPM_BYTES, &returned, NULL), 1);
    Expect("  every port denied", AllOnes(g_Back, IOPM_BYTES), 1);

    map = 2;
    Expect("QUERY_MAP 2",
           DeviceIoControl(device, IOCTL_QUERY_MAP, &map, 4, g_Back, IOPM_BYTES, &returned, NULL), 0);
    Expect("  GetLastError", GetLastError(), ERROR_INVALID_PARAMETER);
    Expect("QUERY_MAP with 2 bytes of input",
           DeviceIoControl(device, IOCTL_QUERY_MAP, &map, 2, g_Back, IOPM_BYTES, &returned, NULL), 0);
    Expect("  GetLastError", GetLastError(), ERROR_INSUFFICIENT_BUFFER);

    DlPortWritePortUchar(0x378, 0x55);
    Print("out 0x378 = 0x55\n");
    Expect("in 0x37A answered", DlPortReadPortUchar(0x37A) <= 0xFF, 1);

    CloseHandle(device);
    Print(g_Failed ? "some answers differ\n" : "all answers as Windows gives them\n");
    ExitProcess(g_Failed);
}
