/*
 * ndisproto5 - an NDIS 5.0 protocol driver (NdisRegisterProtocol), as packet-capture drivers
 * register. Checks, each printed when it fails:
 *   1. registration is refused for NDIS 3.0 (NDIS_STATUS_BAD_VERSION), for a length short of
 *      the 5.0 characteristics and for a missing ReceiveHandler
 *      (NDIS_STATUS_BAD_CHARACTERISTICS); then succeeds;
 *   2. NDIS binds it to the adapter at once: in BindAdapterHandler, NdisOpenAdapter on another
 *      name is NDIS_STATUS_ADAPTER_NOT_FOUND, without 802.3 among the media
 *      NDIS_STATUS_UNSUPPORTED_MEDIA, and on the adapter it gives (802.3 the second medium
 *      offered: SelectedMediumIndex 1) succeeds;
 *   3. NdisRequest queries the adapter's address (6 bytes), is NDIS_STATUS_BUFFER_TOO_SHORT
 *      with BytesNeeded 6 for 2 bytes of room, and sets the packet filter to promiscuous
 *      (BytesRead 4);
 *   4. at unload, NdisDeregisterProtocol unbinds it (UnbindAdapterHandler closes the binding
 *      with NdisCloseAdapter) and succeeds;
 *   prints "ndisproto5: checks %lu failed, bound %lu, address %02x:..:%02x" in DriverEntry
 *   and "ndisproto5: unbound %lu, checks %lu failed" at unload.
 */
#include "corpus.h"

typedef unsigned int UINT, *PUINT;
typedef int NDIS_STATUS, *PNDIS_STATUS;
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef int NDIS_MEDIUM;

#define NDIS_STATUS_SUCCESS ((NDIS_STATUS)0)
#define NDIS_STATUS_BAD_VERSION ((NDIS_STATUS)0xC0010004)
#define NDIS_STATUS_BAD_CHARACTERISTICS ((NDIS_STATUS)0xC0010005)
#define NDIS_STATUS_ADAPTER_NOT_FOUND ((NDIS_STATUS)0xC0010006)
#define NDIS_STATUS_UNSUPPORTED_MEDIA ((NDIS_STATUS)0xC001001E)
#define NDIS_STATUS_BUFFER_TOO_SHORT ((NDIS_STATUS)0xC0010016)
#define NdisMedium802_3 0
#define NdisMediumWan 3
#define NdisRequestQueryInformation 0
#define NdisRequestSetInformation 1
#define OID_GEN_CURRENT_PACKET_FILTER 0x0001010E
#define OID_802_3_CURRENT_ADDRESS 0x01010102
#define NDIS_PACKET_TYPE_PROMISCUOUS 0x20

typedef VOID(NTAPI *HANDLER)(VOID);
typedef VOID(NTAPI *BIND_HANDLER)(PNDIS_STATUS Status, NDIS_HANDLE BindContext, PUNICODE_STRING DeviceName,
                                  PVOID SystemSpecific1, PVOID SystemSpecific2);
typedef VOID(NTAPI *UNBIND_HANDLER)(PNDIS_STATUS Status, NDIS_HANDLE ProtocolBindingContext,
                                    NDIS_HANDLE UnbindContext);

/* NDIS_PROTOCOL_CHARACTERISTICS as NDIS 5.0 lays it out (NDIS50_PROTOCOL_CHARACTERISTICS). */
typedef struct {
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    USHORT Filler;
    UINT Flags;
    HANDLER OpenAdapterCompleteHandler, CloseAdapterCompleteHandler, SendCompleteHandler,
        TransferDataCompleteHandler, ResetCompleteHandler, RequestCompleteHandler, ReceiveHandler,
        ReceiveCompleteHandler, StatusHandler, StatusCompleteHandler;
    UNICODE_STRING Name;
    HANDLER ReceivePacketHandler;
    BIND_HANDLER BindAdapterHandler;
    UNBIND_HANDLER UnbindAdapterHandler;
    HANDLER PnPEventHandler, UnloadHandler;
    PVOID ReservedHandlers[4];
    HANDLER CoSendCompleteHandler, CoStatusHandler, CoReceivePacketHandler, CoAfRegisterNotifyHandler;
} PROTOCOL5_CHARACTERISTICS;
_Static_assert(sizeof(PROTOCOL5_CHARACTERISTICS) == (sizeof(PVOID) == 4 ? 108 : 208), "NDIS 5.0 characteristics");

typedef struct {
    UCHAR MacReserved[4 * sizeof(PVOID)];
    ULONG RequestType;
    struct {
        ULONG Oid;
        PVOID InformationBuffer;
        UINT InformationBufferLength;
        UINT BytesWritten; /* BytesRead for a set */
        UINT BytesNeeded;
    } DATA;
    UCHAR NdisReserved[9 * sizeof(PVOID)];
    UCHAR ProtocolReserved[2 * sizeof(PVOID)];
    UCHAR MiniportReserved[2 * sizeof(PVOID)];
} REQUEST5;

VOID NTAPI NdisRegisterProtocol(PNDIS_STATUS Status, PNDIS_HANDLE NdisProtocolHandle,
                                PROTOCOL5_CHARACTERISTICS *ProtocolCharacteristics, UINT CharacteristicsLength);
VOID NTAPI NdisDeregisterProtocol(PNDIS_STATUS Status, NDIS_HANDLE NdisProtocolHandle);
VOID NTAPI NdisOpenAdapter(PNDIS_STATUS Status, PNDIS_STATUS OpenErrorStatus, PNDIS_HANDLE NdisBindingHandle,
                           PUINT SelectedMediumIndex, NDIS_MEDIUM *MediumArray, UINT MediumArraySize,
                           NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
                           PUNICODE_STRING AdapterName, UINT OpenOptions, PSTRING AddressingInformation);
VOID NTAPI NdisCloseAdapter(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle);
VOID NTAPI NdisRequest(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle, REQUEST5 *NdisRequest);

static ULONG g_Failed, g_Bound, g_Unbound;
static NDIS_HANDLE g_Protocol, g_Binding;
static UCHAR g_Context; /* the ProtocolBindingContext: its address */

static VOID Expect(BOOLEAN Ok, const char *What)
{
    if (!Ok) {
        DbgPrint("ndisproto5: %s failed\n", What);
        g_Failed++;
    }
}

/* The NDIS 3.0 handlers: none is called, everything completes at once. */
static VOID NTAPI NotCalled(VOID)
{
    Expect(FALSE, "a completion handler was called");
}

static NDIS_STATUS Open(PUNICODE_STRING Name, NDIS_MEDIUM *Media, UINT Count, PUINT Selected)
{
    NDIS_STATUS status = 0x7777, error = 0;

    NdisOpenAdapter(&status, &error, &g_Binding, Selected, Media, Count, g_Protocol, &g_Context, Name, 0, NULL);
    return status;
}

static VOID NTAPI Bind(PNDIS_STATUS Status, NDIS_HANDLE BindContext, PUNICODE_STRING DeviceName, PVOID SystemSpecific1,
                       PVOID SystemSpecific2)
{
    UNICODE_STRING other;
    NDIS_MEDIUM wanOnly[1] = {NdisMediumWan}, media[2] = {NdisMediumWan, NdisMedium802_3};
    UINT selected = 99;

    (void)SystemSpecific2;
    Expect(BindContext != NULL && SystemSpecific1 != NULL, "bind parameters");
    RtlInitUnicodeString(&other, L"\\DEVICE\\{00000000-0000-0000-0000-000000000000}");
    Expect(Open(&other, media, 2, &selected) == NDIS_STATUS_ADAPTER_NOT_FOUND, "open another adapter");
    Expect(Open(DeviceName, wanOnly, 1, &selected) == NDIS_STATUS_UNSUPPORTED_MEDIA, "open without 802.3");
    *Status = Open(DeviceName, media, 2, &selected);
    Expect(*Status == NDIS_STATUS_SUCCESS && selected == 1 && g_Binding != NULL, "open the adapter");
    g_Bound++;
}

static VOID NTAPI Unbind(PNDIS_STATUS Status, NDIS_HANDLE ProtocolBindingContext, NDIS_HANDLE UnbindContext)
{
    (void)UnbindContext;
    Expect(ProtocolBindingContext == &g_Context, "unbind context");
    NdisCloseAdapter(Status, g_Binding);
    Expect(*Status == NDIS_STATUS_SUCCESS, "NdisCloseAdapter");
    g_Binding = NULL;
    g_Unbound++;
}

static NDIS_STATUS Request(ULONG Type, ULONG Oid, PVOID Buffer, UINT Length, REQUEST5 *r)
{
    NDIS_STATUS status = 0x7777;

    RtlZeroMemory(r, sizeof(*r));
    r->RequestType = Type;
    r->DATA.Oid = Oid;
    r->DATA.InformationBuffer = Buffer;
    r->DATA.InformationBufferLength = Length;
    r->DATA.BytesWritten = r->DATA.BytesNeeded = 0x55;
    NdisRequest(&status, g_Binding, r);
    return status;
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    NDIS_STATUS status = 0x7777;

    (void)DriverObject;
    NdisDeregisterProtocol(&status, g_Protocol);
    Expect(status == NDIS_STATUS_SUCCESS && g_Unbound == 1 && g_Binding == NULL, "NdisDeregisterProtocol");
    DbgPrint("ndisproto5: unbound %lu, checks %lu failed\n", g_Unbound, g_Failed);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PROTOCOL5_CHARACTERISTICS pc;
    HANDLER *h;
    REQUEST5 r;
    UCHAR mac[6] = {0};
    ULONG filter = NDIS_PACKET_TYPE_PROMISCUOUS;
    NDIS_STATUS status;

    (void)RegistryPath;
    RtlZeroMemory(&pc, sizeof(pc));
    for (h = &pc.OpenAdapterCompleteHandler; h <= &pc.StatusCompleteHandler; h++)
        *h = NotCalled;
    RtlInitUnicodeString(&pc.Name, L"PortcullisProto5");
    pc.BindAdapterHandler = Bind;
    pc.UnbindAdapterHandler = Unbind;

    pc.MajorNdisVersion = 3;
    NdisRegisterProtocol(&status, &g_Protocol, &pc, sizeof(pc));
    Expect(status == NDIS_STATUS_BAD_VERSION, "NDIS 3.0 refused");
    pc.MajorNdisVersion = 5;
    NdisRegisterProtocol(&status, &g_Protocol, &pc, sizeof(pc) - sizeof(PVOID));
    Expect(status == NDIS_STATUS_BAD_CHARACTERISTICS, "short characteristics refused");
    pc.ReceiveHandler = NULL;
    NdisRegisterProtocol(&status, &g_Protocol, &pc, sizeof(pc));
    Expect(status == NDIS_STATUS_BAD_CHARACTERISTICS, "no ReceiveHandler refused");
    pc.ReceiveHandler = NotCalled;
    NdisRegisterProtocol(&status, &g_Protocol, &pc, sizeof(pc));
    Expect(status == NDIS_STATUS_SUCCESS, "NdisRegisterProtocol");
    if (status != NDIS_STATUS_SUCCESS)
        return STATUS_UNSUCCESSFUL;
    Expect(g_Bound == 1, "bound at registration");

    if (g_Binding != NULL) {
        status = Request(NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, sizeof(mac), &r);
        Expect(status == NDIS_STATUS_SUCCESS && r.DATA.BytesWritten == 6 && r.DATA.BytesNeeded == 0, "query address");
        status = Request(NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, 2, &r);
        Expect(status == NDIS_STATUS_BUFFER_TOO_SHORT && r.DATA.BytesNeeded == 6, "query address in 2 bytes");
        status = Request(NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter), &r);
        Expect(status == NDIS_STATUS_SUCCESS && r.DATA.BytesWritten == 4, "set the packet filter");
    }
    DriverObject->DriverUnload = Unload;
    DbgPrint("ndisproto5: checks %lu failed, bound %lu, address %02x:%02x:%02x:%02x:%02x:%02x\n", g_Failed, g_Bound,
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return STATUS_SUCCESS;
}
