/*
 * uartloop - a 16550 UART driver on COM1 (0x3F8, IRQ 4): a loopback self-test
 * that checks its echo, polled transmission, and an interrupt-driven receive
 * through IoConnectInterrupt.
 *
 * Device \Device\UartLoop, symbolic link \DosDevices\UartLoop.
 *
 * Set-up (each IOCTL): divisor 1 (115200 baud) through the divisor latch,
 * 8N1 (LCR 0x03), FIFOs on and cleared (FCR 0x07; RECEIVE clears only the
 * transmitter's, FCR 0x05, keeping bytes already received).
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS)):
 *
 *   0x800 LOOPBACK   code 0x80002000
 *     in:  bytes (1 to 16); MCR = loopback | OUT2 | RTS | DTR; each byte is
 *     sent (THRE polled) and read back (DR polled); MSR must show CTS, DSR
 *     and DCD (the outputs looped back).
 *     out: the bytes read back. STATUS_SUCCESS, Information = count; a byte
 *     not echoed: STATUS_DATA_ERROR; more than 16 bytes or output too small:
 *     STATUS_BUFFER_TOO_SMALL, Information 0.
 *
 *   0x801 SEND       code 0x80002004
 *     in:  bytes; MCR = OUT2 | RTS | DTR; sent with THRE polled.
 *     STATUS_SUCCESS, Information 0.
 *
 *   0x802 RECEIVE    code 0x80002008
 *     in:  ULONG count (1 to 64)
 *     connects an interrupt service routine to COM1's vector
 *     (HalGetInterruptVector(Isa, 0, 4, 4)), enables the received-data
 *     interrupt (IER 0x01, MCR OUT2), waits up to 1000 x 50 us for the ISR
 *     to have stored `count` bytes (it reads RBR while LSR.DR), then disables
 *     the interrupt and disconnects.
 *     out: the bytes received (>= count). STATUS_SUCCESS, Information =
 *     bytes received; fewer than count: STATUS_IO_TIMEOUT.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#ifdef _WIN64
/* Declared by the x86 headers only; hal.dll exports it on both. */
NTHALAPI ULONG NTAPI HalGetInterruptVector(INTERFACE_TYPE InterfaceType, ULONG BusNumber, ULONG BusInterruptLevel,
                                           ULONG BusInterruptVector, PKIRQL Irql, PKAFFINITY Affinity);
#endif

#define IOCTL_LOOPBACK CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_SEND     CORPUS_IOCTL(0x801, METHOD_BUFFERED)
#define IOCTL_RECEIVE  CORPUS_IOCTL(0x802, METHOD_BUFFERED)

#define COM1 0x3F8
#define REG(n) ((PUCHAR)(ULONG_PTR)(COM1 + (n)))
#define RBR REG(0)
#define THR REG(0)
#define DLL REG(0)
#define IER REG(1)
#define DLM REG(1)
#define IIR REG(2)
#define FCR REG(2)
#define LCR REG(3)
#define MCR REG(4)
#define LSR REG(5)
#define MSR REG(6)
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08
#define MAX_POLLS 1000
#define RX_MAX 64

typedef struct _RX {
    UCHAR Bytes[RX_MAX];
    ULONG Count;
    ULONG Interrupts;
} RX;

static PDEVICE_OBJECT g_Device;
static RX g_Rx;

static VOID Setup(UCHAR mcr, UCHAR fcr)
{
    WRITE_PORT_UCHAR(IER, 0);
    WRITE_PORT_UCHAR(LCR, 0x80);
    WRITE_PORT_UCHAR(DLL, 1);
    WRITE_PORT_UCHAR(DLM, 0);
    WRITE_PORT_UCHAR(LCR, 0x03);
    WRITE_PORT_UCHAR(FCR, fcr);
    WRITE_PORT_UCHAR(MCR, mcr);
}

static BOOLEAN WaitLsr(UCHAR bit)
{
    ULONG i;

    for (i = 0; i < MAX_POLLS; i++) {
        if (READ_PORT_UCHAR(LSR) & bit)
            return TRUE;
    }
    return FALSE;
}

static BOOLEAN NTAPI UartIsr(PKINTERRUPT Interrupt, PVOID Context)
{
    RX *rx = Context;
    BOOLEAN mine = FALSE;

    (void)Interrupt;
    rx->Interrupts++;
    /* IIR bit 0 clear: this UART is interrupting. */
    while (!(READ_PORT_UCHAR(IIR) & 1)) {
        mine = TRUE;
        while (READ_PORT_UCHAR(LSR) & LSR_DR) {
            UCHAR b = READ_PORT_UCHAR(RBR);
            if (rx->Count < RX_MAX)
                rx->Bytes[rx->Count++] = b;
        }
    }
    return mine;
}

static NTSTATUS Loopback(PUCHAR buffer, ULONG count)
{
    ULONG i;
    UCHAR sent[16];

    Setup(MCR_LOOP | MCR_OUT2 | 0x03, 0x07);
    if ((READ_PORT_UCHAR(MSR) & 0xB0) != 0xB0)
        return STATUS_DATA_ERROR;
    for (i = 0; i < count; i++)
        sent[i] = buffer[i];
    for (i = 0; i < count; i++) {
        if (!WaitLsr(LSR_THRE))
            return STATUS_IO_TIMEOUT;
        WRITE_PORT_UCHAR(THR, sent[i]);
        if (!WaitLsr(LSR_DR))
            return STATUS_IO_TIMEOUT;
        buffer[i] = READ_PORT_UCHAR(RBR);
        if (buffer[i] != sent[i])
            return STATUS_DATA_ERROR;
    }
    WRITE_PORT_UCHAR(MCR, 0);
    return STATUS_SUCCESS;
}

static NTSTATUS Receive(ULONG count, PUCHAR out, ULONG *received)
{
    KIRQL irql;
    KAFFINITY affinity;
    ULONG vector, i;
    PKINTERRUPT interrupt;
    NTSTATUS status;

    RtlZeroMemory(&g_Rx, sizeof(g_Rx));
    vector = HalGetInterruptVector(Isa, 0, 4, 4, &irql, &affinity);
    status = IoConnectInterrupt(&interrupt, UartIsr, &g_Rx, NULL, vector, irql, irql, Latched, FALSE, affinity,
                                FALSE);
    if (!NT_SUCCESS(status))
        return status;
    /* FIFOs on, the transmitter's cleared: bytes already received stay. */
    Setup(MCR_OUT2 | 0x03, 0x05);
    WRITE_PORT_UCHAR(IER, 0x01);
    for (i = 0; i < 1000 && g_Rx.Count < count; i++)
        KeStallExecutionProcessor(50);
    WRITE_PORT_UCHAR(IER, 0);
    IoDisconnectInterrupt(interrupt);
    *received = g_Rx.Count < count ? g_Rx.Count : count;
    for (i = 0; i < *received; i++)
        out[i] = g_Rx.Bytes[i];
    DbgPrint("uartloop: %lu bytes in %lu interrupts\n", g_Rx.Count, g_Rx.Interrupts);
    return *received < count ? STATUS_IO_TIMEOUT : STATUS_SUCCESS;
}

static NTSTATUS NTAPI UartIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG count, i, received;
    NTSTATUS status;

    (void)DeviceObject;
    switch (CORPUS_CODE(sp)) {
    case IOCTL_LOOPBACK:
        count = CORPUS_IN_LEN(sp);
        if (count < 1 || count > 16 || CORPUS_OUT_LEN(sp) < count)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        status = Loopback(buffer, count);
        return CorpusComplete(Irp, status, NT_SUCCESS(status) ? count : 0);
    case IOCTL_SEND:
        Setup(MCR_OUT2 | 0x03, 0x07);
        for (i = 0; i < CORPUS_IN_LEN(sp); i++) {
            if (!WaitLsr(LSR_THRE))
                return CorpusComplete(Irp, STATUS_IO_TIMEOUT, 0);
            WRITE_PORT_UCHAR(THR, buffer[i]);
        }
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_RECEIVE:
        if (CORPUS_IN_LEN(sp) < sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        count = *(ULONG *)buffer;
        if (count < 1 || count > RX_MAX || CORPUS_OUT_LEN(sp) < count)
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        status = Receive(count, buffer, &received);
        return CorpusComplete(Irp, status, received);
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI UartUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\UartLoop");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\UartLoop", L"\\DosDevices\\UartLoop", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, UartIoctl);
    DriverObject->DriverUnload = UartUnload;
    return STATUS_SUCCESS;
}
