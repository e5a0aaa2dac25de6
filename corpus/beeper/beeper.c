/*
 * beeper - the demo driver: plays tones on the PC speaker, with PIT channel
 * 2 (ports 0x42/0x43) as the tone generator and port 0x61 bits 0-1 (timer 2
 * gate, speaker data) as the on/off switch.
 *
 * Device \Device\Beeper, symbolic link \DosDevices\Beeper.
 *
 * A tone of f Hz, d ms is played as:
 *   divisor = 1193182 / f                 (low 16 bits used)
 *   WRITE_PORT_UCHAR(0x43, 0xB6)          channel 2, lobyte/hibyte, mode 3
 *   WRITE_PORT_UCHAR(0x42, divisor & 0xFF)
 *   WRITE_PORT_UCHAR(0x42, (divisor >> 8) & 0xFF)
 *   WRITE_PORT_UCHAR(0x61, READ_PORT_UCHAR(0x61) | 3)        gate on
 *   KeStallExecutionProcessor(50) x (20 * d)
 *   WRITE_PORT_UCHAR(0x61, READ_PORT_UCHAR(0x61) & ~3)       gate off
 * A rest (f = 0, TUNE only) is: gate off, then the same stalls.
 * (KeStallExecutionProcessor is documented for at most 50 us per call.)
 *
 * DriverEntry creates the device and link, sets the dispatch routines,
 * then plays the start-up chirp: 880 Hz (divisor 1355 = 0x054B) for 50 ms
 * (1000 stalls of 50 us), and prints "beeper: chirped at 880 Hz".
 *
 * IOCTLs (CTL_CODE(0x8000, function, method, FILE_ANY_ACCESS)):
 *
 *   0x800 BEEP       METHOD_BUFFERED     code 0x80002000
 *     in:  ULONG frequency_hz; ULONG duration_ms           (>= 8 bytes)
 *     plays the tone. out: none. STATUS_SUCCESS, Information 0.
 *     Input < 8 bytes: STATUS_BUFFER_TOO_SMALL; frequency 0 or > 20000:
 *     STATUS_INVALID_PARAMETER (no port touched); both Information 0.
 *
 *   0x801 TUNE       METHOD_BUFFERED     code 0x80002004
 *     in:  InputBufferLength / 8 pairs {ULONG frequency_hz; ULONG duration_ms}
 *          (trailing bytes ignored); frequency 0 is a rest.
 *     plays each pair in order. out: none. STATUS_SUCCESS, Information 0.
 *     Input < 8 bytes: STATUS_BUFFER_TOO_SMALL; any frequency > 20000:
 *     STATUS_INVALID_PARAMETER, checked for all pairs before anything is
 *     played; both Information 0.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST, Information 0.
 */
#include "corpus.h"

#define IOCTL_BEEP CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_TUNE CORPUS_IOCTL(0x801, METHOD_BUFFERED)

#define PIT_HZ          1193182
#define PIT_CHANNEL2    ((PUCHAR)0x42)
#define PIT_COMMAND     ((PUCHAR)0x43)
#define PIT_CH2_SQUARE  0xB6 /* channel 2, access lobyte/hibyte, mode 3, binary */
#define SPEAKER_PORT    ((PUCHAR)0x61)
#define SPEAKER_BITS    0x03 /* bit 0: timer 2 gate, bit 1: speaker data */
#define MAX_HZ          20000
#define STALL_US        50

typedef struct _NOTE {
    ULONG FrequencyHz;
    ULONG DurationMs;
} NOTE;
C_ASSERT(sizeof(NOTE) == 8);

static PDEVICE_OBJECT g_Device;

static VOID SpeakerOn(ULONG frequencyHz)
{
    ULONG divisor = PIT_HZ / frequencyHz;

    WRITE_PORT_UCHAR(PIT_COMMAND, PIT_CH2_SQUARE);
    WRITE_PORT_UCHAR(PIT_CHANNEL2, (UCHAR)divisor);
    WRITE_PORT_UCHAR(PIT_CHANNEL2, (UCHAR)(divisor >> 8));
    WRITE_PORT_UCHAR(SPEAKER_PORT, READ_PORT_UCHAR(SPEAKER_PORT) | SPEAKER_BITS);
}

static VOID SpeakerOff(VOID)
{
    WRITE_PORT_UCHAR(SPEAKER_PORT, READ_PORT_UCHAR(SPEAKER_PORT) & ~SPEAKER_BITS);
}

/* Busy-waits in 50 us steps: count steps. */
static VOID Stall(ULONG count)
{
    while (count-- != 0)
        KeStallExecutionProcessor(STALL_US);
}

static VOID StallMs(ULONG ms)
{
    while (ms-- != 0)
        Stall(1000 / STALL_US);
}

/* Plays one note; frequency 0 is a rest. */
static VOID Play(const NOTE *note)
{
    if (note->FrequencyHz == 0) {
        SpeakerOff();
        StallMs(note->DurationMs);
        return;
    }
    SpeakerOn(note->FrequencyHz);
    StallMs(note->DurationMs);
    SpeakerOff();
}

static NTSTATUS NTAPI BeeperIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    const NOTE *notes = Irp->AssociatedIrp.SystemBuffer;
    ULONG count = CORPUS_IN_LEN(sp) / sizeof(NOTE);
    ULONG i;

    (void)DeviceObject;

    switch (CORPUS_CODE(sp)) {
    case IOCTL_BEEP:
        if (count < 1)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        if (notes[0].FrequencyHz == 0 || notes[0].FrequencyHz > MAX_HZ)
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        Play(&notes[0]);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);

    case IOCTL_TUNE:
        if (count < 1)
            return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        for (i = 0; i < count; i++) {
            if (notes[i].FrequencyHz > MAX_HZ)
                return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        }
        for (i = 0; i < count; i++)
            Play(&notes[i]);
        return CorpusComplete(Irp, STATUS_SUCCESS, 0);

    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI BeeperUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Beeper");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    (void)RegistryPath;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Beeper", L"\\DosDevices\\Beeper",
                                &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, BeeperIoctl);
    DriverObject->DriverUnload = BeeperUnload;

    /* Start-up chirp: 880 Hz for 50 ms. */
    SpeakerOn(880);
    Stall(1000);
    SpeakerOff();
    DbgPrint("beeper: chirped at %d Hz\n", 880);
    return STATUS_SUCCESS;
}
