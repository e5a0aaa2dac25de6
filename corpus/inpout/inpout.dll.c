/*
 * inpout.dll - the user-mode half of an InpOut32-style pair (written for this project):
 * when a process attaches it, it installs and starts its driver through the service
 * control manager (as InpOut32 does) and opens \\.\inpout; its exports do port I/O through
 * the driver:
 *
 *   void  WINAPI Out32(short port, short data)   WRITE_PORT_UCHAR(port, (UCHAR)data)
 *   short WINAPI Inp32(short port)               READ_PORT_UCHAR(port), -1 when it fails
 *   BOOL  WINAPI IsInpOutDriverOpen(void)
 *   DWORD WINAPI InpOutAttachCount(void)         how often DllMain saw DLL_PROCESS_ATTACH
 *   DWORD WINAPI InpOutTlsCalls(void)            the TLS callback's count (below)
 *   DWORD WINAPI InpOutTlsData(void)             the first 4 bytes of this thread's copy of
 *                                                the TLS template (01 02 03 04), found
 *                                                through the TEB's TLS array and _tls_index
 *
 * The service is the one the sandbox installs for the driver it was given (named after its
 * file: inpout.x86 or inpout.x64); when there is none, it is created with the image in
 * System32\drivers. DLL_PROCESS_DETACH closes the device. Its static TLS (one counter) and
 * TLS callback are there so the loader's TLS handling has an image to prove it on: the
 * callback counts the calls it sees in g_TlsCalls, read by InpOutTlsCalls().
 */
#include <windows.h>
#include <winioctl.h>

#define INPOUT_TYPE 40000
#define IOCTL_READ_PORT_UCHAR  CTL_CODE(INPOUT_TYPE, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_WRITE_PORT_UCHAR CTL_CODE(INPOUT_TYPE, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)

#ifdef _WIN64
#define SERVICE "inpout.x64"
#else
#define SERVICE "inpout.x86"
#endif

static HANDLE g_Device = INVALID_HANDLE_VALUE;
static DWORD g_Attached;
static DWORD g_TlsCalls;

/* The TLS directory mingw's linker emits when _tls_used is defined: one callback. */
static void NTAPI TlsCallback(PVOID module, DWORD reason, PVOID reserved)
{
    (void)module;
    (void)reserved;
    g_TlsCalls += reason == DLL_PROCESS_ATTACH ? 1 : 0x100;
}

ULONG _tls_index = 0;
static char tls_template[4] __attribute__((section(".tls"))) = {1, 2, 3, 4};
static PIMAGE_TLS_CALLBACK tls_callbacks[] = {TlsCallback, 0};
const IMAGE_TLS_DIRECTORY _tls_used = {
    (ULONG_PTR)tls_template, (ULONG_PTR)(tls_template + sizeof tls_template), (ULONG_PTR)&_tls_index,
    (ULONG_PTR)tls_callbacks, 0, 0};

static BOOL Install(void)
{
    SC_HANDLE scm, service;
    BOOL ok;
    scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!scm)
        return FALSE;
    service = OpenServiceA(scm, SERVICE, SERVICE_ALL_ACCESS);
    if (!service && GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST)
        service = CreateServiceA(scm, SERVICE, SERVICE, SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER,
                                 SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
                                 "System32\\drivers\\" SERVICE ".sys", NULL, NULL, NULL, NULL, NULL);
    if (!service) {
        CloseServiceHandle(scm);
        return FALSE;
    }
    ok = StartServiceA(service, 0, NULL) || GetLastError() == ERROR_SERVICE_ALREADY_RUNNING;
    CloseServiceHandle(service);
    CloseServiceHandle(scm);
    return ok;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) {
        g_Attached++;
        if (Install())
            g_Device = CreateFileA("\\\\.\\inpout", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                                   FILE_ATTRIBUTE_NORMAL, NULL);
    } else if (reason == DLL_PROCESS_DETACH && g_Device != INVALID_HANDLE_VALUE) {
        CloseHandle(g_Device);
        g_Device = INVALID_HANDLE_VALUE;
    }
    return TRUE;
}

__declspec(dllexport) void WINAPI Out32(short port, short data)
{
    UCHAR in[3];
    DWORD n;
    in[0] = (UCHAR)port;
    in[1] = (UCHAR)((USHORT)port >> 8);
    in[2] = (UCHAR)data;
    DeviceIoControl(g_Device, IOCTL_WRITE_PORT_UCHAR, in, sizeof in, NULL, 0, &n, NULL);
}

__declspec(dllexport) short WINAPI Inp32(short port)
{
    UCHAR buffer[2];
    DWORD n;
    buffer[0] = (UCHAR)port;
    buffer[1] = (UCHAR)((USHORT)port >> 8);
    if (!DeviceIoControl(g_Device, IOCTL_READ_PORT_UCHAR, buffer, 2, buffer, 1, &n, NULL) || n != 1)
        return -1;
    return buffer[0];
}

__declspec(dllexport) BOOL WINAPI IsInpOutDriverOpen(void)
{
    return g_Device != INVALID_HANDLE_VALUE;
}

__declspec(dllexport) DWORD WINAPI InpOutAttachCount(void)
{
    return g_Attached;
}

__declspec(dllexport) DWORD WINAPI InpOutTlsCalls(void)
{
    return g_TlsCalls;
}

__declspec(dllexport) DWORD WINAPI InpOutTlsData(void)
{
    unsigned char **array;
#ifdef _WIN64
    __asm__("movq %%gs:0x58, %0" : "=r"(array));
#else
    __asm__("movl %%fs:0x2C, %0" : "=r"(array));
#endif
    unsigned char *block = array[_tls_index];
    return block[0] | block[1] << 8 | block[2] << 16 | (DWORD)block[3] << 24;
}
