/*
 * leaky - leaves resources behind on unload, for the emulator's leak report.
 *
 * DriverEntry allocates 3 blocks with
 * ExAllocatePoolWithTag(NonPagedPool, 0x40, 'kaeL') (tag bytes "Leak") and
 * frees only the first with ExFreePoolWithTag(p, 'kaeL'); creates
 * \Device\Leaky with symbolic link \DosDevices\Leaky, and \Device\LeakyToo
 * (no link); prints "leaky: loaded, 2 of 3 blocks kept".
 * DriverUnload deletes \Device\Leaky only.
 *
 * Left behind after unload: 2 pool blocks of 0x40 bytes tagged 'Leak',
 * 1 device (\Device\LeakyToo), 1 symbolic link (\DosDevices\Leaky).
 *
 * IRP_MJ_CREATE / CLOSE / CLEANUP: STATUS_SUCCESS, Information 0.
 * IOCTLs: none; every code completes with STATUS_INVALID_DEVICE_REQUEST,
 * Information 0 (on both devices).
 */
#include "corpus.h"

#define LEAKY_TAG 'kaeL'
#define LEAKY_BLOCK_SIZE 0x40

static PDEVICE_OBJECT g_Device;    /* \Device\Leaky */
static PDEVICE_OBJECT g_DeviceToo; /* \Device\LeakyToo, never deleted */
static PVOID g_Blocks[3];          /* [1] and [2] are never freed */

static NTSTATUS NTAPI LeakyIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
}

static VOID NTAPI LeakyUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    /* Deliberately not: IoDeleteSymbolicLink(\DosDevices\Leaky),
     * IoDeleteDevice(g_DeviceToo), ExFreePoolWithTag(g_Blocks[1..2]). */
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    ULONG i;

    (void)RegistryPath;
    for (i = 0; i < 3; i++)
        g_Blocks[i] = ExAllocatePoolWithTag(NonPagedPool, LEAKY_BLOCK_SIZE, LEAKY_TAG);
    if (g_Blocks[0] != NULL) {
        ExFreePoolWithTag(g_Blocks[0], LEAKY_TAG);
        g_Blocks[0] = NULL;
    }

    status = CorpusCreateDevice(DriverObject, L"\\Device\\Leaky", L"\\DosDevices\\Leaky",
                                &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\LeakyToo", NULL, &g_DeviceToo);
    if (!NT_SUCCESS(status)) {
        CorpusDeleteLink(L"\\DosDevices\\Leaky");
        IoDeleteDevice(g_Device);
        return status;
    }
    CorpusSetDispatch(DriverObject, LeakyIoctl);
    DriverObject->DriverUnload = LeakyUnload;

    DbgPrint("leaky: loaded, %d of %d blocks kept\n", 2, 3);
    return STATUS_SUCCESS;
}
