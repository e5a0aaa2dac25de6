/*
 * sysfiles - reads the kernel's own files from disk, as anti-rootkit and
 * anti-cheat drivers do, and maps files as sections. Every check in DriverEntry,
 * each printed when it fails:
 *   1. \SystemRoot\System32\ntoskrnl.exe opens for reading; a SEC_IMAGE section of
 *      it maps (not at its ImageBase: STATUS_IMAGE_NOT_AT_BASE) with the image's
 *      layout: its headers are the ones of the kernel in memory at ImageBase, and
 *      the export directory's entry for ZwCreateSection is the RVA
 *      MmGetSystemRoutineAddress gives minus the kernel's base; ZwReadFile of the
 *      export section's raw data (PointerToRawData) gives what the view holds at
 *      its VirtualAddress;
 *   2. the file cannot be opened for writing (STATUS_SHARING_VIOLATION) nor
 *      deleted (STATUS_CANNOT_DELETE): the image is in use;
 *   3. hal.dll and drivers\fltmgr.sys are there, starting with "MZ";
 *   4. a file the driver wrote (6000 bytes) maps as data (SEC_COMMIT, size 0:
 *      the file's size) and shows its bytes; a copy-on-write view may be written
 *      without changing the file; refusals: a section larger than the file
 *      (STATUS_SECTION_TOO_BIG), a shared writable one (STATUS_NOT_SUPPORTED:
 *      write-back is not modelled), a PAGE_READWRITE view of a copy-on-write
 *      section (STATUS_SECTION_PROTECTION), a handle without read access
 *      (STATUS_ACCESS_DENIED), an empty file (STATUS_MAPPED_FILE_SIZE_ZERO);
 *      MmCreateSection with the file object and MmMapViewInSystemSpace show the
 *      same bytes;
 *   5. SEC_IMAGE of that data file is STATUS_INVALID_IMAGE_NOT_MZ, of a file
 *      that starts with "MZ" but is no PE file STATUS_INVALID_IMAGE_FORMAT.
 * prints "sysfiles: checks %lu failed"; DriverEntry fails when any did.
 */
#include <ntifs.h>
#include "corpus.h"

#ifndef STATUS_IMAGE_NOT_AT_BASE
#define STATUS_IMAGE_NOT_AT_BASE ((NTSTATUS)0x40000003L)
#endif
#ifndef STATUS_INVALID_IMAGE_NOT_MZ
#define STATUS_INVALID_IMAGE_NOT_MZ ((NTSTATUS)0xC000012FL)
#endif
#ifndef STATUS_MAPPED_FILE_SIZE_ZERO
#define STATUS_MAPPED_FILE_SIZE_ZERO ((NTSTATUS)0xC000011EL)
#endif
#ifndef STATUS_SECTION_PROTECTION
#define STATUS_SECTION_PROTECTION ((NTSTATUS)0xC000004EL)
#endif
#ifndef SEC_IMAGE
#define SEC_IMAGE 0x1000000
#endif
#ifndef SEC_COMMIT
#define SEC_COMMIT 0x8000000
#endif

NTSTATUS NTAPI MmCreateSection(PVOID *SectionObject, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                               PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                               HANDLE FileHandle, PFILE_OBJECT FileObject);

#define DATA_SIZE 6000

static ULONG Failed;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            Failed++;                                                                                                  \
            DbgPrint("sysfiles: " __VA_ARGS__);                                                                        \
        }                                                                                                              \
    } while (0)

static NTSTATUS OpenFile(PCWSTR Path, ACCESS_MASK Access, ULONG Share, ULONG Disposition, PHANDLE Handle)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    RtlInitUnicodeString(&name, Path);
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    return ZwCreateFile(Handle, Access | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, Share, Disposition,
                        FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
}

static NTSTATUS ReadAt(HANDLE File, ULONG Offset, PVOID Buffer, ULONG Length)
{
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER at;
    at.QuadPart = Offset;
    return ZwReadFile(File, NULL, NULL, NULL, &iosb, Buffer, Length, &at, NULL);
}

static NTSTATUS Section(HANDLE File, ULONG Protect, ULONG Attributes, LONGLONG Size, PHANDLE Out)
{
    LARGE_INTEGER size;
    size.QuadPart = Size;
    return ZwCreateSection(Out, SECTION_ALL_ACCESS, NULL, &size, Protect, Attributes, File);
}

static NTSTATUS Map(HANDLE Sec, ULONG Protect, PVOID *Base, SIZE_T *Size)
{
    *Base = NULL;
    *Size = 0;
    return ZwMapViewOfSection(Sec, NtCurrentProcess(), Base, 0, 0, NULL, Size, ViewUnmap, 0, Protect);
}

/* PE fields by offset (the DDK headers have no PE structures). */
#define U16(p, off) (*(PUSHORT)((PUCHAR)(p) + (off)))
#define U32(p, off) (*(PULONG)((PUCHAR)(p) + (off)))
#ifdef _WIN64
#define IMAGE_BASE(opt) (*(PULONG_PTR)((opt) + 24))
#define EXPORT_DIR(opt) ((opt) + 112)
#else
#define IMAGE_BASE(opt) ((ULONG_PTR)U32(opt, 28))
#define EXPORT_DIR(opt) ((opt) + 96)
#endif

/* The RVA the export directory of the image at Base gives Name, 0 if none. */
static ULONG ExportRva(PUCHAR Base, PCSTR Name)
{
    PUCHAR opt = Base + U32(Base, 0x3C) + 24;
    ULONG dir = U32(EXPORT_DIR(opt), 0);
    PUCHAR e = Base + dir;
    ULONG i;
    if (dir == 0)
        return 0;
    for (i = 0; i < U32(e, 24); i++) {
        if (strcmp((PCSTR)(Base + U32(Base + U32(e, 32), 4 * i)), Name) == 0)
            return U32(Base + U32(e, 28), 4 * U16(Base + U32(e, 36), 2 * i));
    }
    return 0;
}

static VOID KernelImage(VOID)
{
    HANDLE file, sec;
    PVOID view;
    SIZE_T size;
    NTSTATUS st;
    PUCHAR v, nt, opt, s;
    ULONG i, rva, edata = 0;
    ULONG_PTR kernel;
    UNICODE_STRING routine;
    PVOID raw;

    st = OpenFile(L"\\SystemRoot\\System32\\ntoskrnl.exe", GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, &file);
    CHECK(NT_SUCCESS(st), "open ntoskrnl.exe: %08lx\n", st);
    if (!NT_SUCCESS(st))
        return;
    st = Section(file, PAGE_READONLY, SEC_IMAGE, 0, &sec);
    CHECK(NT_SUCCESS(st), "image section of ntoskrnl.exe: %08lx\n", st);
    if (NT_SUCCESS(st)) {
        st = Map(sec, PAGE_READONLY, &view, &size);
        CHECK(st == STATUS_IMAGE_NOT_AT_BASE, "image view: %08lx\n", st);
        if (NT_SUCCESS(st)) {
            v = view;
            nt = v + U32(v, 0x3C);
            opt = nt + 24;
            CHECK(v[0] == 'M' && v[1] == 'Z' && U32(nt, 0) == 0x4550, "no PE headers in the view\n");
            CHECK(size == U32(opt, 56), "view size %lx, SizeOfImage %lx\n", (ULONG)size, U32(opt, 56));
            kernel = IMAGE_BASE(opt);
            CHECK(kernel != (ULONG_PTR)view, "the view is at ImageBase\n");
            CHECK(RtlCompareMemory((PVOID)kernel, v, 0x400) == 0x400, "the file's headers differ from the kernel's\n");
            RtlInitUnicodeString(&routine, L"ZwCreateSection");
            rva = ExportRva(v, "ZwCreateSection");
            CHECK(rva != 0 && rva == (ULONG)((ULONG_PTR)MmGetSystemRoutineAddress(&routine) - kernel),
                  "ZwCreateSection at RVA %lx in the file\n", rva);
            raw = ExAllocatePoolWithTag(NonPagedPool, 0x200, 'fsyS');
            for (i = 0; i < U16(nt, 6) && raw; i++) {
                s = opt + U16(nt, 20) + 40 * i;
                if (strcmp((PCSTR)s, ".edata") == 0) {
                    edata = 1;
                    st = ReadAt(file, U32(s, 20), raw, 0x200);
                    CHECK(NT_SUCCESS(st) && RtlCompareMemory(raw, v + U32(s, 12), 0x200) == 0x200,
                          ".edata's raw data differs from the view: %08lx\n", st);
                }
            }
            CHECK(edata, "no .edata section\n");
            if (raw)
                ExFreePoolWithTag(raw, 'fsyS');
            ZwUnmapViewOfSection(NtCurrentProcess(), view);
        }
        ZwClose(sec);
    }
    ZwClose(file);

    st = OpenFile(L"\\SystemRoot\\System32\\ntoskrnl.exe", FILE_WRITE_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                  &file);
    CHECK(st == STATUS_SHARING_VIOLATION, "ntoskrnl.exe opened for writing: %08lx\n", st);
    if (NT_SUCCESS(st))
        ZwClose(file);
    {
        UNICODE_STRING name;
        OBJECT_ATTRIBUTES oa;
        RtlInitUnicodeString(&name, L"\\SystemRoot\\System32\\ntoskrnl.exe");
        InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
        st = ZwDeleteFile(&oa);
        CHECK(st == STATUS_CANNOT_DELETE, "ntoskrnl.exe deleted: %08lx\n", st);
    }
}

static VOID Library(PCWSTR Path)
{
    HANDLE file;
    UCHAR mz[2] = {0};
    NTSTATUS st = OpenFile(Path, GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, &file);
    CHECK(NT_SUCCESS(st), "open %ws: %08lx\n", Path, st);
    if (!NT_SUCCESS(st))
        return;
    st = ReadAt(file, 0, mz, 2);
    CHECK(NT_SUCCESS(st) && mz[0] == 'M' && mz[1] == 'Z', "%ws: %08lx\n", Path, st);
    ZwClose(file);
}

static VOID WriteFile(PCWSTR Path, PVOID Data, ULONG Length)
{
    HANDLE file;
    IO_STATUS_BLOCK iosb;
    NTSTATUS st = OpenFile(Path, GENERIC_WRITE, 0, FILE_OVERWRITE_IF, &file);
    CHECK(NT_SUCCESS(st), "create %ws: %08lx\n", Path, st);
    if (!NT_SUCCESS(st))
        return;
    if (Length) {
        st = ZwWriteFile(file, NULL, NULL, NULL, &iosb, Data, Length, NULL, NULL);
        CHECK(NT_SUCCESS(st), "write %ws: %08lx\n", Path, st);
    }
    ZwClose(file);
}

#define DATA_PATH L"\\SystemRoot\\Temp\\sysfiles.dat"

static VOID DataFile(VOID)
{
    PUCHAR data = ExAllocatePoolWithTag(NonPagedPool, DATA_SIZE, 'fsyS');
    HANDLE file, sec;
    PVOID view;
    SIZE_T size;
    NTSTATUS st;
    ULONG i;
    PFILE_OBJECT fo;
    PVOID section;
    UCHAR byte;

    if (!data) {
        CHECK(FALSE, "no pool\n");
        return;
    }
    for (i = 0; i < DATA_SIZE; i++)
        data[i] = (UCHAR)(i * 7 + 3);
    WriteFile(DATA_PATH, data, DATA_SIZE);

    st = OpenFile(DATA_PATH, GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, &file);
    CHECK(NT_SUCCESS(st), "open the data file: %08lx\n", st);
    if (NT_SUCCESS(st)) {
        st = Section(file, PAGE_READONLY, SEC_COMMIT, 0, &sec);
        CHECK(NT_SUCCESS(st), "data section: %08lx\n", st);
        if (NT_SUCCESS(st)) {
            st = Map(sec, PAGE_READONLY, &view, &size);
            CHECK(st == STATUS_SUCCESS && size == 0x2000, "data view: %08lx, %lx bytes\n", st, (ULONG)size);
            if (NT_SUCCESS(st)) {
                CHECK(RtlCompareMemory(view, data, DATA_SIZE) == DATA_SIZE, "the view differs from the file\n");
                ZwUnmapViewOfSection(NtCurrentProcess(), view);
            }
            ZwClose(sec);
        }
        st = Section(file, PAGE_READONLY, SEC_COMMIT, DATA_SIZE + 1, &sec);
        CHECK(st == STATUS_SECTION_TOO_BIG, "a section past the file's end: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);
        st = Section(file, PAGE_READWRITE, SEC_COMMIT, 0, &sec);
        CHECK(st == STATUS_ACCESS_DENIED, "a writable section of a read-only handle: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);
        st = Section(file, PAGE_READONLY, SEC_IMAGE, 0, &sec);
        CHECK(st == STATUS_INVALID_IMAGE_NOT_MZ, "an image section of a data file: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);

        /* Copy-on-write: the view takes writes, the file keeps its bytes. */
        st = Section(file, PAGE_WRITECOPY, SEC_COMMIT, 0, &sec);
        CHECK(NT_SUCCESS(st), "copy-on-write section: %08lx\n", st);
        if (NT_SUCCESS(st)) {
            st = Map(sec, PAGE_READWRITE, &view, &size);
            CHECK(st == STATUS_SECTION_PROTECTION, "a read-write view of a copy-on-write section: %08lx\n", st);
            st = Map(sec, PAGE_WRITECOPY, &view, &size);
            CHECK(NT_SUCCESS(st), "copy-on-write view: %08lx\n", st);
            if (NT_SUCCESS(st)) {
                ((PUCHAR)view)[0] = 0xEE;
                byte = 0;
                st = ReadAt(file, 0, &byte, 1);
                CHECK(NT_SUCCESS(st) && byte == data[0], "the file changed with the view: %02x\n", byte);
                ZwUnmapViewOfSection(NtCurrentProcess(), view);
            }
            ZwClose(sec);
        }

        /* MmCreateSection with the file object, viewed in system space. */
        st = ObReferenceObjectByHandle(file, 0, *IoFileObjectType, KernelMode, (PVOID *)&fo, NULL);
        CHECK(NT_SUCCESS(st), "file object: %08lx\n", st);
        if (NT_SUCCESS(st)) {
            LARGE_INTEGER zero;
            zero.QuadPart = 0;
            st = MmCreateSection(&section, SECTION_MAP_READ, NULL, &zero, PAGE_READONLY, SEC_COMMIT, NULL, fo);
            CHECK(NT_SUCCESS(st), "MmCreateSection: %08lx\n", st);
            if (NT_SUCCESS(st)) {
                size = 0;
                st = MmMapViewInSystemSpace(section, &view, &size);
                CHECK(NT_SUCCESS(st) && (ULONG_PTR)view >= (ULONG_PTR)MmSystemRangeStart, "system view: %08lx\n", st);
                if (NT_SUCCESS(st)) {
                    CHECK(RtlCompareMemory(view, data, DATA_SIZE) == DATA_SIZE, "the system view differs\n");
                    MmUnmapViewInSystemSpace(view);
                }
                ObDereferenceObject(section);
            }
            ObDereferenceObject(fo);
        }
        ZwClose(file);
    }

    st = OpenFile(DATA_PATH, GENERIC_READ | GENERIC_WRITE, 0, FILE_OPEN, &file);
    if (NT_SUCCESS(st)) {
        st = Section(file, PAGE_READWRITE, SEC_COMMIT, 0, &sec);
        CHECK(st == STATUS_NOT_SUPPORTED, "a shared writable section: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);
        ZwClose(file);
    }
    st = OpenFile(DATA_PATH, FILE_WRITE_DATA, 0, FILE_OPEN, &file);
    if (NT_SUCCESS(st)) {
        st = Section(file, PAGE_READONLY, SEC_COMMIT, 0, &sec);
        CHECK(st == STATUS_ACCESS_DENIED, "a section of a write-only handle: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);
        ZwClose(file);
    }

    /* An empty file; one that starts with MZ and is no PE file. */
    WriteFile(L"\\SystemRoot\\Temp\\empty.dat", NULL, 0);
    st = OpenFile(L"\\SystemRoot\\Temp\\empty.dat", GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, &file);
    if (NT_SUCCESS(st)) {
        st = Section(file, PAGE_READONLY, SEC_COMMIT, 0, &sec);
        CHECK(st == STATUS_MAPPED_FILE_SIZE_ZERO, "a section of an empty file: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);
        ZwClose(file);
    }
    data[0] = 'M';
    data[1] = 'Z';
    WriteFile(L"\\SystemRoot\\Temp\\notpe.exe", data, 0x400);
    st = OpenFile(L"\\SystemRoot\\Temp\\notpe.exe", GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, &file);
    if (NT_SUCCESS(st)) {
        st = Section(file, PAGE_READONLY, SEC_IMAGE, 0, &sec);
        CHECK(st == STATUS_INVALID_IMAGE_FORMAT, "an image section of MZ without PE: %08lx\n", st);
        if (NT_SUCCESS(st))
            ZwClose(sec);
        ZwClose(file);
    }
    ExFreePoolWithTag(data, 'fsyS');
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = Unload;
    KernelImage();
    Library(L"\\SystemRoot\\System32\\hal.dll");
    Library(L"\\SystemRoot\\System32\\drivers\\fltmgr.sys");
    DataFile();
    DbgPrint("sysfiles: checks %lu failed\n", Failed);
    return Failed ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}
