/*
 * reg_probe - a program using the registry through advapi32 while the cmcallbacks driver
 * filters it (run-app with --start):
 *
 *   RegCreateKeyExA HKLM\Software\Portcullis (created), again (opened existing);
 *   RegSetValueExA "Greeting" = "hello" (REG_SZ); RegQueryValueExA for its size (6), into
 *   a 3-byte buffer (ERROR_MORE_DATA, size 6), into a big one ("hello");
 *   RegSetValueExW L"Count" = 42 (REG_DWORD), RegQueryValueExW reads 42 back;
 *   RegSetValueExA "Forbidden" (ERROR_ACCESS_DENIED: the driver's callback refuses it);
 *   RegDeleteValueA "Count", again (ERROR_FILE_NOT_FOUND);
 *   RegOpenKeyExA HKLM\Software\NoSuchKey (ERROR_FILE_NOT_FOUND); RegOpenKeyExW of the key
 *   with no subkey (a second handle); RegCloseKey of each, and of a handle that is none
 *   (ERROR_INVALID_HANDLE);
 *   then asks the driver (\\.\CmCallbacks, COUNTS) what it saw and prints the counts.
 *
 * Each step prints one line with its result; exit code 0 when each was the expected one,
 * else the number of the first that was not.
 */
#include "program.h"

#define IOCTL_COUNTS 0x80002000

static int g_Step, g_Failed;

static void Check(const char *what, LONG got, LONG expected)
{
    g_Step++;
    PrintNum(g_Step);
    Print(": ");
    Print(what);
    Print(" -> ");
    PrintNum((unsigned long)got);
    Print("\n");
    if (got != expected && !g_Failed)
        g_Failed = g_Step;
}

static void Expect(int ok)
{
    if (!ok && !g_Failed)
        g_Failed = g_Step;
}

void ProgramStart(void)
{
    HKEY key = NULL, again = NULL, second = NULL, missing = NULL;
    DWORD disposition = 0, type = 0, size = 0, count = 42, read = 0, counts[7], returned;
    char small[3], text[32];
    HANDLE device;
    int i;

    Check("RegCreateKeyExA Software\\Portcullis",
          RegCreateKeyExA(HKEY_LOCAL_MACHINE, "Software\\Portcullis", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key,
                          &disposition),
          ERROR_SUCCESS);
    Expect(disposition == REG_CREATED_NEW_KEY);
    Check("RegCreateKeyExA again",
          RegCreateKeyExA(HKEY_LOCAL_MACHINE, "Software\\Portcullis", 0, NULL, 0, KEY_READ, NULL, &again,
                          &disposition),
          ERROR_SUCCESS);
    Expect(disposition == REG_OPENED_EXISTING_KEY);
    Check("RegCloseKey (again)", RegCloseKey(again), ERROR_SUCCESS);

    Check("RegSetValueExA Greeting", RegSetValueExA(key, "Greeting", 0, REG_SZ, (const BYTE *)"hello", 6),
          ERROR_SUCCESS);
    Check("RegQueryValueExA Greeting (size)", RegQueryValueExA(key, "Greeting", NULL, &type, NULL, &size),
          ERROR_SUCCESS);
    Expect(type == REG_SZ && size == 6);
    size = sizeof small;
    Check("RegQueryValueExA Greeting (3 bytes)", RegQueryValueExA(key, "Greeting", NULL, NULL, (BYTE *)small, &size),
          ERROR_MORE_DATA);
    Expect(size == 6);
    size = sizeof text;
    Check("RegQueryValueExA Greeting", RegQueryValueExA(key, "Greeting", NULL, &type, (BYTE *)text, &size),
          ERROR_SUCCESS);
    Print("   Greeting = ");
    Print(text);
    Print("\n");
    Expect(size == 6 && text[0] == 'h' && text[4] == 'o' && text[5] == 0);

    Check("RegSetValueExW Count", RegSetValueExW(key, L"Count", 0, REG_DWORD, (const BYTE *)&count, 4), ERROR_SUCCESS);
    size = sizeof read;
    Check("RegQueryValueExW Count", RegQueryValueExW(key, L"Count", NULL, &type, (BYTE *)&read, &size), ERROR_SUCCESS);
    Expect(type == REG_DWORD && read == 42);
    Check("RegSetValueExA Forbidden (the driver refuses)",
          RegSetValueExA(key, "Forbidden", 0, REG_SZ, (const BYTE *)"x", 2), ERROR_ACCESS_DENIED);
    Check("RegDeleteValueA Count", RegDeleteValueA(key, "Count"), ERROR_SUCCESS);
    Check("RegDeleteValueA Count again", RegDeleteValueA(key, "Count"), ERROR_FILE_NOT_FOUND);

    Check("RegOpenKeyExA Software\\NoSuchKey",
          RegOpenKeyExA(HKEY_LOCAL_MACHINE, "Software\\NoSuchKey", 0, KEY_READ, &missing), ERROR_FILE_NOT_FOUND);
    Check("RegOpenKeyExW (the same key)", RegOpenKeyExW(key, NULL, 0, KEY_QUERY_VALUE, &second), ERROR_SUCCESS);
    size = sizeof text;
    Check("RegQueryValueExA Greeting (second handle)",
          RegQueryValueExA(second, "Greeting", NULL, NULL, (BYTE *)text, &size), ERROR_SUCCESS);
    Check("RegSetValueExA (a read-only handle)", RegSetValueExA(second, "Other", 0, REG_SZ, (const BYTE *)"", 1),
          ERROR_ACCESS_DENIED);
    Check("RegCloseKey (second)", RegCloseKey(second), ERROR_SUCCESS);
    Check("RegCloseKey", RegCloseKey(key), ERROR_SUCCESS);
    Check("RegCloseKey (no such handle)", RegCloseKey((HKEY)(ULONG_PTR)0x1234), ERROR_INVALID_HANDLE);

    device = CreateFileA("\\\\.\\CmCallbacks", GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    Check("CreateFileA \\\\.\\CmCallbacks", device == INVALID_HANDLE_VALUE, 0);
    Check("DeviceIoControl COUNTS",
          !DeviceIoControl(device, IOCTL_COUNTS, NULL, 0, counts, sizeof counts, &returned, NULL), 0);
    Print("   the driver saw: opens, creates, pre sets, post sets, deletes, queries, refused =");
    for (i = 0; i < 7; i++) {
        Print(" ");
        PrintNum(counts[i]);
    }
    Print("\n");
    CloseHandle(device);
    ExitProcess(g_Failed);
}
