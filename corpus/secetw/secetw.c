/*
 * secetw - security descriptors, tokens and privileges, ETW, and the kernel debugger.
 *
 * DriverEntry checks, each printed when it fails:
 *   1. SeExports: the Administrators SID is S-1-5-32-544 (RtlConvertSidToUnicodeString),
 *      16 bytes, valid; SeDebugPrivilege is LUID 20;
 *   2. an absolute security descriptor is built (RtlCreateSecurityDescriptor, RtlCreateAcl,
 *      RtlAddAccessAllowedAce for SYSTEM and Administrators, RtlSetDacl/OwnerSecurity-
 *      Descriptor), is valid, and converts to self-relative (RtlAbsoluteToSelfRelativeSD
 *      tells the length first, the DACL keeping its AclSize); its DACL and owner read back (RtlGet*SecurityDescriptor,
 *      RtlGetAce); an ACL with no room left is STATUS_ALLOTTED_SPACE_EXCEEDED; a captured
 *      copy (SeCaptureSecurityDescriptor with ForceCapture) is released again;
 *   3. \Device\SecEtw gets that DACL (ObOpenObjectByPointer with WRITE_DAC,
 *      ZwSetSecurityObject) and ZwQuerySecurityObject gives it back, the length first —
 *      so only SYSTEM and Administrators can open it;
 *   4. the ETW provider {5eced0e0-7e57-4c0d-9a1b-0123456789ab} registers (its enable
 *      callback runs when a session listens) and writes event 1 (two data items) and a
 *      string; WmiQueryTraceInformation finds no logger;
 *   5. the debugger: KdRefreshDebuggerNotPresent, KdDisableDebugger/KdEnableDebugger, and
 *      DbgPrompt("secetw> "), whose answer is printed.
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *   0x820 WHOAMI METHOD_BUFFERED code 0x80002080: ULONG flags about the caller, from its
 *         token: 1 SeTokenIsAdmin, 2 SeSinglePrivilegeCheck(SeDebugPrivilege, UserMode),
 *         4 SeSinglePrivilegeCheck(SeChangeNotifyPrivilege, UserMode), 8 SePrivilegeCheck
 *         of SeLoadDriverPrivilege, 0x10 SeAccessCheck grants FILE_READ_DATA on an
 *         Everyone-read descriptor, 0x20 and denies FILE_WRITE_DATA, 0x40 its TokenUser is
 *         not SYSTEM, 0x80 ZwQueryInformationToken(TokenElevation) says elevated, 0x100
 *         kernel mode passes SeSinglePrivilegeCheck; then the caller's SID as UTF-16;
 *   0x821 EVENT  METHOD_BUFFERED code 0x80002084: EtwWrite event 2 with the input;
 *         Information 1 when EtwEventEnabled said a session listens;
 *   0x822 BREAK  METHOD_BUFFERED code 0x80002088: DbgBreakPointWithStatus(0x1234).
 */
#include <ntifs.h>
#include "corpus.h"

#define IOCTL_WHOAMI CORPUS_IOCTL(0x820, METHOD_BUFFERED)
#define IOCTL_EVENT CORPUS_IOCTL(0x821, METHOD_BUFFERED)
#define IOCTL_BREAK CORPUS_IOCTL(0x822, METHOD_BUFFERED)

/* What mingw-w64's headers lack. */
NTSTATUS NTAPI SeCaptureSecurityDescriptor(PSECURITY_DESCRIPTOR, KPROCESSOR_MODE, POOL_TYPE, BOOLEAN,
                                           PSECURITY_DESCRIPTOR *);
VOID NTAPI SeReleaseSecurityDescriptor(PSECURITY_DESCRIPTOR, KPROCESSOR_MODE, BOOLEAN);

static const GUID ProviderGuid = {0x5eced0e0, 0x7e57, 0x4c0d, {0x9a, 0x1b, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}};

static PDEVICE_OBJECT g_Device;
static ULONG g_Failed;
static REGHANDLE g_Reg;
static ULONG g_Enables;
static UCHAR g_Sd[64];
static UCHAR g_Dacl[128];
static UCHAR g_Relative[256];

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("secetw: %s failed\n", What);
        g_Failed++;
    }
}

static BOOLEAN SameW(PCWSTR a, PCWSTR b, ULONG n)
{
    ULONG i;
    for (i = 0; i < n; i++)
        if (a[i] != b[i])
            return FALSE;
    return TRUE;
}

static VOID NTAPI EnableCallback(LPCGUID Source, ULONG Code, UCHAR Level, ULONGLONG Any, ULONGLONG All,
                                 PEVENT_FILTER_DESCRIPTOR Filter, PVOID Context)
{
    (void)Source;
    (void)Filter;
    (void)All;
    g_Enables++;
    DbgPrint("secetw: session control %lu, level %u, keywords %I64x, context %p\n", Code, Level, Any, Context);
}

static VOID BuildDescriptor(void)
{
    PSECURITY_DESCRIPTOR captured = NULL;
    BOOLEAN present = FALSE, defaulted = TRUE;
    PACL dacl = NULL;
    PSID owner = NULL;
    PACCESS_ALLOWED_ACE ace = NULL;
    UCHAR tiny[12];
    ULONG len = 0;
    NTSTATUS status;

    Expect(RtlCreateSecurityDescriptor(g_Sd, SECURITY_DESCRIPTOR_REVISION) == STATUS_SUCCESS, "RtlCreateSecurityDescriptor");
    Expect(RtlCreateSecurityDescriptor(g_Sd, 2) == STATUS_UNKNOWN_REVISION, "a bad revision");
    Expect(RtlCreateSecurityDescriptor(g_Sd, SECURITY_DESCRIPTOR_REVISION) == STATUS_SUCCESS, "RtlCreateSecurityDescriptor again");
    Expect(RtlCreateAcl((PACL)g_Dacl, sizeof(g_Dacl), ACL_REVISION) == STATUS_SUCCESS, "RtlCreateAcl");
    Expect(RtlAddAccessAllowedAce((PACL)g_Dacl, ACL_REVISION, GENERIC_ALL, SeExports->SeLocalSystemSid) == STATUS_SUCCESS,
           "an ACE for SYSTEM");
    Expect(RtlAddAccessAllowedAce((PACL)g_Dacl, ACL_REVISION, FILE_ALL_ACCESS, SeExports->SeAliasAdminsSid) == STATUS_SUCCESS,
           "an ACE for Administrators");
    Expect(RtlCreateAcl((PACL)tiny, sizeof(tiny), ACL_REVISION) == STATUS_SUCCESS &&
               RtlAddAccessAllowedAce((PACL)tiny, ACL_REVISION, GENERIC_READ, SeExports->SeWorldSid) ==
                   STATUS_ALLOTTED_SPACE_EXCEEDED,
           "an ACE that does not fit");
    Expect(RtlSetDaclSecurityDescriptor(g_Sd, TRUE, (PACL)g_Dacl, FALSE) == STATUS_SUCCESS, "RtlSetDaclSecurityDescriptor");
    Expect(RtlSetOwnerSecurityDescriptor(g_Sd, SeExports->SeAliasAdminsSid, FALSE) == STATUS_SUCCESS,
           "RtlSetOwnerSecurityDescriptor");
    Expect(RtlValidSecurityDescriptor(g_Sd), "RtlValidSecurityDescriptor");
    Expect(RtlLengthSecurityDescriptor(g_Sd) == sizeof(SECURITY_DESCRIPTOR) + 16 + ((PACL)g_Dacl)->AclSize,
           "RtlLengthSecurityDescriptor");
    status = RtlAbsoluteToSelfRelativeSD(g_Sd, g_Relative, &len);
    /* The DACL keeps its AclSize (the buffer it was made in) through the copy. */
    Expect(status == STATUS_BUFFER_TOO_SMALL && len == 20 + 16 + ((PACL)g_Dacl)->AclSize,
           "RtlAbsoluteToSelfRelativeSD's length");
    Expect(RtlAbsoluteToSelfRelativeSD(g_Sd, g_Relative, &len) == STATUS_SUCCESS, "RtlAbsoluteToSelfRelativeSD");
    Expect(RtlGetDaclSecurityDescriptor(g_Relative, &present, &dacl, &defaulted) == STATUS_SUCCESS && present &&
               !defaulted && dacl && dacl->AceCount == 2 && (PUCHAR)dacl > g_Relative,
           "RtlGetDaclSecurityDescriptor");
    Expect(dacl && RtlGetAce(dacl, 1, (PVOID *)&ace) == STATUS_SUCCESS && ace->Mask == FILE_ALL_ACCESS &&
               RtlEqualSid((PSID)&ace->SidStart, SeExports->SeAliasAdminsSid),
           "RtlGetAce");
    Expect(dacl && RtlGetAce(dacl, 2, (PVOID *)&ace) == STATUS_INVALID_PARAMETER, "RtlGetAce past the end");
    Expect(RtlGetOwnerSecurityDescriptor(g_Relative, &owner, &defaulted) == STATUS_SUCCESS &&
               RtlEqualSid(owner, SeExports->SeAliasAdminsSid),
           "RtlGetOwnerSecurityDescriptor");
    status = SeCaptureSecurityDescriptor(g_Sd, KernelMode, PagedPool, TRUE, &captured);
    Expect(NT_SUCCESS(status) && captured != NULL && captured != (PSECURITY_DESCRIPTOR)g_Sd &&
               RtlValidSecurityDescriptor(captured),
           "SeCaptureSecurityDescriptor");
    if (NT_SUCCESS(status))
        SeReleaseSecurityDescriptor(captured, KernelMode, TRUE);
}

static VOID SecureDevice(void)
{
    HANDLE h;
    ULONG need = 0;
    UCHAR back[256];
    BOOLEAN present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;
    NTSTATUS status;

    status = ObOpenObjectByPointer(g_Device, OBJ_KERNEL_HANDLE, NULL, WRITE_DAC | READ_CONTROL,
                                   NULL, KernelMode, &h);
    Expect(NT_SUCCESS(status), "ObOpenObjectByPointer");
    if (!NT_SUCCESS(status))
        return;
    Expect(ZwSetSecurityObject(h, DACL_SECURITY_INFORMATION, g_Sd) == STATUS_SUCCESS, "ZwSetSecurityObject");
    status = ZwQuerySecurityObject(h, DACL_SECURITY_INFORMATION, back, 4, &need);
    Expect(status == STATUS_BUFFER_TOO_SMALL && need == 20 + ((PACL)g_Dacl)->AclSize, "ZwQuerySecurityObject's length");
    status = ZwQuerySecurityObject(h, DACL_SECURITY_INFORMATION, back, sizeof(back), &need);
    Expect(status == STATUS_SUCCESS && RtlGetDaclSecurityDescriptor(back, &present, &dacl, &defaulted) == STATUS_SUCCESS &&
               present && dacl->AceCount == 2,
           "ZwQuerySecurityObject");
    ZwClose(h);
}

static ULONG WhoAmI(PWCHAR sid, ULONG sidMax, PULONG sidLen)
{
    SECURITY_SUBJECT_CONTEXT subject;
    PRIVILEGE_SET set;
    UCHAR sd[64], acl[64];
    GENERIC_MAPPING mapping = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
    ACCESS_MASK granted = 0;
    NTSTATUS status = 0;
    PTOKEN_USER user = NULL;
    UNICODE_STRING text;
    TOKEN_ELEVATION elevation;
    ULONG flags = 0, retlen = 0;
    HANDLE token;

    SeCaptureSubjectContext(&subject);
    SeLockSubjectContext(&subject);
    if (SeTokenIsAdmin(SeQuerySubjectContextToken(&subject)))
        flags |= 1;
    if (SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_DEBUG_PRIVILEGE), UserMode))
        flags |= 2;
    if (SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_CHANGE_NOTIFY_PRIVILEGE), UserMode))
        flags |= 4;
    set.PrivilegeCount = 1;
    set.Control = PRIVILEGE_SET_ALL_NECESSARY;
    set.Privilege[0].Luid = RtlConvertLongToLuid(SE_LOAD_DRIVER_PRIVILEGE);
    set.Privilege[0].Attributes = 0;
    if (SePrivilegeCheck(&set, &subject, UserMode))
        flags |= 8;
    RtlCreateSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION);
    RtlCreateAcl((PACL)acl, sizeof(acl), ACL_REVISION);
    RtlAddAccessAllowedAce((PACL)acl, ACL_REVISION, GENERIC_READ, SeExports->SeWorldSid);
    RtlSetDaclSecurityDescriptor(sd, TRUE, (PACL)acl, FALSE);
    if (SeAccessCheck(sd, &subject, TRUE, FILE_READ_DATA, 0, NULL, &mapping, UserMode, &granted, &status) &&
        granted == FILE_READ_DATA && status == STATUS_SUCCESS)
        flags |= 0x10;
    if (!SeAccessCheck(sd, &subject, TRUE, FILE_WRITE_DATA, 0, NULL, &mapping, UserMode, &granted, &status) &&
        status == STATUS_ACCESS_DENIED)
        flags |= 0x20;
    if (NT_SUCCESS(SeQueryInformationToken(SeQuerySubjectContextToken(&subject), TokenUser, (PVOID *)&user))) {
        if (!RtlEqualSid(user->User.Sid, SeExports->SeLocalSystemSid))
            flags |= 0x40;
        text.Buffer = sid;
        text.Length = 0;
        text.MaximumLength = (USHORT)(sidMax * sizeof(WCHAR));
        if (NT_SUCCESS(RtlConvertSidToUnicodeString(&text, user->User.Sid, FALSE)))
            *sidLen = text.Length;
        ExFreePool(user);
    }
    if (NT_SUCCESS(ZwOpenProcessTokenEx(NtCurrentProcess(), TOKEN_QUERY, OBJ_KERNEL_HANDLE, &token))) {
        if (NT_SUCCESS(ZwQueryInformationToken(token, TokenElevation, &elevation, sizeof(elevation), &retlen)) &&
            retlen == sizeof(elevation) && elevation.TokenIsElevated)
            flags |= 0x80;
        ZwClose(token);
    }
    if (SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_TCB_PRIVILEGE), KernelMode))
        flags |= 0x100;
    SeUnlockSubjectContext(&subject);
    SeReleaseSubjectContext(&subject);
    return flags;
}

static NTSTATUS NTAPI DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR buf = Irp->AssociatedIrp.SystemBuffer;
    EVENT_DESCRIPTOR ev = {2, 0, 0x10, 4, 0, 7, 0x8};
    EVENT_DATA_DESCRIPTOR data;
    ULONG sidLen = 0;
    BOOLEAN on;
    (void)DeviceObject;

    switch (CORPUS_CODE(sp)) {
    case IOCTL_WHOAMI:
        if (CORPUS_OUT_LEN(sp) < 4 + 128)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)buf = WhoAmI((PWCHAR)(buf + 4), 64, &sidLen);
        return CorpusComplete(Irp, STATUS_SUCCESS, 4 + sidLen);
    case IOCTL_EVENT:
        on = EtwEventEnabled(g_Reg, &ev);
        data.Ptr = (ULONG_PTR)buf;
        data.Size = CORPUS_IN_LEN(sp);
        data.Reserved = 0;
        EtwWrite(g_Reg, &ev, NULL, 1, &data);
        return CorpusComplete(Irp, STATUS_SUCCESS, on);
    case IOCTL_BREAK:
        DbgBreakPointWithStatus(0x1234);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING link;
    (void)DriverObject;
    Expect(EtwUnregister(g_Reg) == STATUS_SUCCESS, "EtwUnregister");
    RtlInitUnicodeString(&link, L"\\DosDevices\\SecEtw");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_Device);
    DbgPrint("secetw: unloaded, %lu checks failed\n", g_Failed);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WCHAR textBuf[32];
    UNICODE_STRING text;
    EVENT_DESCRIPTOR ev = {1, 0, 0x10, 4, 0, 1, 0x1};
    EVENT_DATA_DESCRIPTOR data[2];
    ULONG value = 0x11223344;
    static const char name[] = "secetw";
    CHAR answer[32];
    ULONG n, need = 0;
    NTSTATUS status;
    static const WCHAR admins[] = L"S-1-5-32-544";
    (void)RegistryPath;

    /* 1. SeExports. */
    text.Buffer = textBuf;
    text.Length = 0;
    text.MaximumLength = sizeof(textBuf);
    Expect(RtlValidSid(SeExports->SeAliasAdminsSid) && RtlLengthSid(SeExports->SeAliasAdminsSid) == 16,
           "the Administrators SID");
    Expect(NT_SUCCESS(RtlConvertSidToUnicodeString(&text, SeExports->SeAliasAdminsSid, FALSE)) &&
               text.Length == 24 && SameW(text.Buffer, admins, 12),
           "RtlConvertSidToUnicodeString");
    Expect(SeExports->SeDebugPrivilege.LowPart == SE_DEBUG_PRIVILEGE, "SeDebugPrivilege");

    /* 2-3. A descriptor, and the device that gets it. */
    BuildDescriptor();
    status = CorpusCreateDevice(DriverObject, L"\\Device\\SecEtw", L"\\DosDevices\\SecEtw", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = CorpusDispatchSuccess;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = CorpusDispatchSuccess;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchIoctl;
    DriverObject->DriverUnload = Unload;
    SecureDevice();

    /* 4. ETW. */
    status = EtwRegister(&ProviderGuid, EnableCallback, (PVOID)0x5EC, &g_Reg);
    Expect(status == STATUS_SUCCESS && g_Reg != 0, "EtwRegister");
    data[0].Ptr = (ULONG_PTR)&value;
    data[0].Size = sizeof(value);
    data[0].Reserved = 0;
    data[1].Ptr = (ULONG_PTR)name;
    data[1].Size = sizeof(name);
    data[1].Reserved = 0;
    Expect(EtwWrite(g_Reg, &ev, NULL, 2, data) == STATUS_SUCCESS, "EtwWrite");
    Expect(EtwWriteString(g_Reg, 4, 0x2, NULL, L"secetw started") == STATUS_SUCCESS, "EtwWriteString");
    Expect(WmiQueryTraceInformation(TraceEnableFlagsClass, &value, sizeof(value), &need, NULL) != STATUS_SUCCESS,
           "WmiQueryTraceInformation without a logger");

    /* 5. The debugger. */
    if (KdRefreshDebuggerNotPresent()) {
        Expect(KdDisableDebugger() == STATUS_DEBUGGER_INACTIVE, "KdDisableDebugger without a debugger");
    } else {
        Expect(KdDisableDebugger() == STATUS_SUCCESS && KdEnableDebugger() == STATUS_SUCCESS, "KdDisable/EnableDebugger");
        n = DbgPrompt("secetw> ", answer, sizeof(answer) - 1);
        answer[n < sizeof(answer) ? n : sizeof(answer) - 1] = 0;
        DbgPrint("secetw: the debugger answered \"%s\" (%lu)\n", answer, n);
    }

    DbgPrint("secetw: %lu sessions, %lu checks failed\n", g_Enables, g_Failed);
    return STATUS_SUCCESS;
}
