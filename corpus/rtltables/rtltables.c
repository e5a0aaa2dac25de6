/*
 * rtltables - the run-time library's data structures with the driver's own callbacks:
 * generic tables (splay trees) and AVL tables ordering ULONG keys with a comparison routine
 * here and nodes from this driver's pool, bitmaps, CRC-32 and random numbers.
 *
 * Device \Device\RtlTables, symbolic link \DosDevices\RtlTables.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)); a buffer shorter than
 * given completes with STATUS_BUFFER_TOO_SMALL, Information 0.
 *
 *   0xD00 GENERIC  code 0x80003400   in: ULONG keys[n] (1 <= n <= 32, distinct); out >= 4*(n+6)
 *     Inserts every key into an RTL_GENERIC_TABLE, inserts keys[0] again, looks up 42,
 *     deletes the even keys, then enumerates (RtlEnumerateGenericTable) and empties the table
 *     through RtlGetElementGenericTable(0) and RtlDeleteElementGenericTable.
 *     out: ULONG new insertions; NewElement of the second insertion; 42 found (1/0); the
 *          number of elements after the deletes; the key of element 0 in insertion order;
 *          the number of nodes freed in the end; the remaining keys in order.
 *
 *   0xD01 AVL      code 0x80003404   as GENERIC, with an RTL_AVL_TABLE, enumerated with
 *     RtlEnumerateGenericTableWithoutSplayingAvl; the fourth ULONG is replaced by the
 *     table's DepthOfTree after the deletes, the fifth by element 0 in key order.
 *
 *   0xD02 BITMAP   code 0x80003408   out >= 32
 *     A 128-bit bitmap with bits 0-9 and 20-29 set.
 *     out: ULONG[8] = RtlFindClearBitsAndSet(5, 0); RtlNumberOfSetBits; the length and start
 *          of RtlFindLongestRunClear; RtlAreBitsSet(20, 10); RtlFindSetBits(3, 50) (wraps
 *          to the start); RtlFindClearBits(100, 0) (none: 0xFFFFFFFF); RtlNumberOfSetBits
 *          after RtlClearAllBits.
 *
 *   0xD03 CHECKSUM code 0x8000340C   in: bytes; out >= 12
 *     out: ULONG[3] = RtlComputeCrc32(0, in); RtlRandomEx from seed 99; RtlRandom from the
 *          seed RtlRandomEx left.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOCTL_GENERIC  CORPUS_IOCTL(0xD00, METHOD_BUFFERED)
#define IOCTL_AVL      CORPUS_IOCTL(0xD01, METHOD_BUFFERED)
#define IOCTL_BITMAP   CORPUS_IOCTL(0xD02, METHOD_BUFFERED)
#define IOCTL_CHECKSUM CORPUS_IOCTL(0xD03, METHOD_BUFFERED)

#define TAG_NODE 'edoN'

NTSYSAPI ULONG NTAPI RtlRandom(PULONG Seed);
NTSYSAPI ULONG NTAPI RtlRandomEx(PULONG Seed);
NTSYSAPI ULONG NTAPI RtlComputeCrc32(ULONG PartialCrc, const VOID *Buffer, ULONG Length);

static PDEVICE_OBJECT g_Device;
static ULONG g_Freed;

static RTL_GENERIC_COMPARE_RESULTS CompareKeys(PVOID First, PVOID Second)
{
    ULONG a = *(PULONG)First, b = *(PULONG)Second;
    return a < b ? GenericLessThan : a > b ? GenericGreaterThan : GenericEqual;
}

static RTL_GENERIC_COMPARE_RESULTS NTAPI Compare(PRTL_GENERIC_TABLE Table, PVOID First, PVOID Second)
{
    (void)Table;
    return CompareKeys(First, Second);
}

static PVOID NTAPI Allocate(PRTL_GENERIC_TABLE Table, CLONG Size)
{
    (void)Table;
    return ExAllocatePoolWithTag(NonPagedPool, Size, TAG_NODE);
}

static VOID NTAPI Free(PRTL_GENERIC_TABLE Table, PVOID Buffer)
{
    (void)Table;
    g_Freed++;
    ExFreePoolWithTag(Buffer, TAG_NODE);
}

static RTL_GENERIC_COMPARE_RESULTS NTAPI CompareAvl(PRTL_AVL_TABLE Table, PVOID First, PVOID Second)
{
    (void)Table;
    return CompareKeys(First, Second);
}

static PVOID NTAPI AllocateAvl(PRTL_AVL_TABLE Table, CLONG Size)
{
    (void)Table;
    return ExAllocatePoolWithTag(NonPagedPool, Size, TAG_NODE);
}

static VOID NTAPI FreeAvl(PRTL_AVL_TABLE Table, PVOID Buffer)
{
    (void)Table;
    g_Freed++;
    ExFreePoolWithTag(Buffer, TAG_NODE);
}

static NTSTATUS Generic(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PULONG io = Irp->AssociatedIrp.SystemBuffer;
    ULONG keys[32], n = inLen / sizeof(ULONG), i, added = 0, at = 6, key;
    RTL_GENERIC_TABLE table;
    BOOLEAN isNew;
    PULONG p;

    if (n == 0 || n > 32 || outLen < 4 * (n + 6))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlCopyMemory(keys, io, n * sizeof(ULONG));
    RtlInitializeGenericTable(&table, Compare, Allocate, Free, NULL);
    for (i = 0; i < n; i++) {
        RtlInsertElementGenericTable(&table, &keys[i], sizeof(ULONG), &isNew);
        added += isNew;
    }
    io[0] = added;
    RtlInsertElementGenericTable(&table, &keys[0], sizeof(ULONG), &isNew);
    io[1] = isNew;
    key = 42;
    io[2] = RtlLookupElementGenericTable(&table, &key) != NULL;
    for (i = 0; i < n; i++) {
        if (keys[i] % 2 == 0)
            RtlDeleteElementGenericTable(&table, &keys[i]);
    }
    io[3] = RtlNumberGenericTableElements(&table);
    p = RtlGetElementGenericTable(&table, 0);
    io[4] = p != NULL ? *p : 0xFFFFFFFF;
    for (p = RtlEnumerateGenericTable(&table, TRUE); p != NULL; p = RtlEnumerateGenericTable(&table, FALSE))
        io[at++] = *p;
    g_Freed = 0;
    while ((p = RtlGetElementGenericTable(&table, 0)) != NULL) {
        key = *p;
        RtlDeleteElementGenericTable(&table, &key);
    }
    io[5] = g_Freed;
    return CorpusComplete(Irp, STATUS_SUCCESS, at * sizeof(ULONG));
}

static NTSTATUS Avl(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PULONG io = Irp->AssociatedIrp.SystemBuffer;
    ULONG keys[32], n = inLen / sizeof(ULONG), i, added = 0, at = 6, key;
    RTL_AVL_TABLE table;
    PVOID restart = NULL;
    BOOLEAN isNew;
    PULONG p;

    if (n == 0 || n > 32 || outLen < 4 * (n + 6))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlCopyMemory(keys, io, n * sizeof(ULONG));
    RtlInitializeGenericTableAvl(&table, CompareAvl, AllocateAvl, FreeAvl, NULL);
    for (i = 0; i < n; i++) {
        RtlInsertElementGenericTableAvl(&table, &keys[i], sizeof(ULONG), &isNew);
        added += isNew;
    }
    io[0] = added;
    RtlInsertElementGenericTableAvl(&table, &keys[0], sizeof(ULONG), &isNew);
    io[1] = isNew;
    key = 42;
    io[2] = RtlLookupElementGenericTableAvl(&table, &key) != NULL;
    for (i = 0; i < n; i++) {
        if (keys[i] % 2 == 0)
            RtlDeleteElementGenericTableAvl(&table, &keys[i]);
    }
    io[3] = table.DepthOfTree;
    p = RtlGetElementGenericTableAvl(&table, 0);
    io[4] = p != NULL ? *p : 0xFFFFFFFF;
    for (p = RtlEnumerateGenericTableWithoutSplayingAvl(&table, &restart); p != NULL;
         p = RtlEnumerateGenericTableWithoutSplayingAvl(&table, &restart))
        io[at++] = *p;
    g_Freed = 0;
    while (!RtlIsGenericTableEmptyAvl(&table)) {
        key = *(PULONG)RtlGetElementGenericTableAvl(&table, 0);
        RtlDeleteElementGenericTableAvl(&table, &key);
    }
    io[5] = g_Freed;
    return CorpusComplete(Irp, STATUS_SUCCESS, at * sizeof(ULONG));
}

static NTSTATUS Bitmap(PIRP Irp, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    ULONG bits[4] = {0};
    RTL_BITMAP map;
    ULONG start = 0;

    if (outLen < 8 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlInitializeBitMap(&map, bits, 128);
    RtlSetBits(&map, 0, 10);
    RtlSetBits(&map, 20, 10);
    out[0] = RtlFindClearBitsAndSet(&map, 5, 0);
    out[1] = RtlNumberOfSetBits(&map);
    out[2] = RtlFindLongestRunClear(&map, &start);
    out[3] = start;
    out[4] = RtlAreBitsSet(&map, 20, 10);
    out[5] = RtlFindSetBits(&map, 3, 50);
    out[6] = RtlFindClearBits(&map, 100, 0);
    RtlClearAllBits(&map);
    out[7] = RtlNumberOfSetBits(&map);
    return CorpusComplete(Irp, STATUS_SUCCESS, 8 * sizeof(ULONG));
}

static NTSTATUS Checksum(PIRP Irp, ULONG inLen, ULONG outLen)
{
    PULONG out = Irp->AssociatedIrp.SystemBuffer;
    ULONG crc, seed = 99;

    if (outLen < 3 * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    crc = RtlComputeCrc32(0, out, inLen);
    out[0] = crc;
    out[1] = RtlRandomEx(&seed);
    out[2] = RtlRandom(&seed);
    DbgPrint("rtltables: crc32 %08x\n", crc);
    return CorpusComplete(Irp, STATUS_SUCCESS, 3 * sizeof(ULONG));
}

static NTSTATUS NTAPI RtlTablesIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_GENERIC:
        return Generic(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    case IOCTL_AVL:
        return Avl(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    case IOCTL_BITMAP:
        return Bitmap(Irp, CORPUS_OUT_LEN(sp));
    case IOCTL_CHECKSUM:
        return Checksum(Irp, CORPUS_IN_LEN(sp), CORPUS_OUT_LEN(sp));
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI RtlTablesUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\RtlTables");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\RtlTables", L"\\DosDevices\\RtlTables", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, RtlTablesIoctl);
    DriverObject->DriverUnload = RtlTablesUnload;
    return STATUS_SUCCESS;
}
