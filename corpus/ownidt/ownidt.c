/*
 * ownidt - exceptions taken by an interrupt descriptor table of the driver's own, as
 * debuggers and anti-cheat drivers do (Cheat Engine's DBK "no exceptions" mode).
 *
 * DriverEntry copies the IDT it finds (sidt) into a table of its own, points five gates at
 * handlers of its own (#DE 0, #BP 3, #UD 6, #GP 13, #PF 14), marks gate 0x41 not present,
 * then at HIGH_LEVEL with interrupts disabled loads it (lidt) and raises, in order:
 *
 *   ud2                      #UD          the handler skips the 2-byte instruction
 *   int3                     #BP          a trap: the frame's RIP is already past it
 *   mov eax, [0]             #PF at 0     error code 0 (nothing mapped, a read); CR2 0
 *   div ecx (ecx 0)          #DE
 *   rdmsr 0xDEAD             #GP(0)       an MSR the processor does not have
 *   int 0x41                 #GP(0x20A)   its gate is not present: #GP with the IDT
 *                                         error code (vector 0x41 << 3 | IDT bit)
 *
 * Each handler logs vector, error code, CR2 and the frame's instruction pointer, moves the
 * frame's RIP past the 2-byte faulting instruction (not for #BP) and returns with iret. On
 * Windows none of these reaches the kernel; at HIGH_LEVEL the page fault would otherwise
 * be bugcheck 0xD1. DriverEntry then reloads the saved IDT, lowers IRQL, prints the log
 * ("ownidt: vector 6 error 0 cr2 0 at +0x..": the offset of the instruction from the
 * sequence's start) and "ownidt: 6 exceptions taken", and succeeds.
 */
#include "corpus.h"

typedef struct {
    ULONG_PTR Vector, Error, Cr2, Ip;
} LOG_ENTRY;

LOG_ENTRY g_OwnIdtLog[8];
ULONG g_OwnIdtCount;

#pragma pack(push, 1)
typedef struct {
    USHORT Limit;
    ULONG_PTR Base;
} TABLE_REGISTER;
#pragma pack(pop)

#ifdef _WIN64
typedef struct {
    USHORT OffsetLow, Selector;
    UCHAR Ist, Attributes;
    USHORT OffsetMiddle;
    ULONG OffsetHigh, Reserved;
} GATE;
#else
typedef struct {
    USHORT OffsetLow, Selector;
    UCHAR Reserved, Attributes;
    USHORT OffsetHigh;
} GATE;
#endif

static GATE g_Idt[256];

void OwnIdtDivide(void);
void OwnIdtBreakpoint(void);
void OwnIdtInvalidOpcode(void);
void OwnIdtProtection(void);
void OwnIdtPageFault(void);
void OwnIdtFaults(void);

/*
 * The handlers: those of vectors without an error code push a zero one, every one pushes
 * its vector, and the common part logs and returns. A log entry is four pointer-sized
 * fields.
 */
#ifdef _WIN64
__asm__(".text\n"
        "OwnIdtDivide: pushq $0\n pushq $0\n jmp OwnIdtCommon\n"
        "OwnIdtBreakpoint: pushq $0\n pushq $3\n jmp OwnIdtCommon\n"
        "OwnIdtInvalidOpcode: pushq $0\n pushq $6\n jmp OwnIdtCommon\n"
        "OwnIdtProtection: pushq $13\n jmp OwnIdtCommon\n"
        "OwnIdtPageFault: pushq $14\n jmp OwnIdtCommon\n"
        "OwnIdtCommon:\n"
        " pushq %rax\n pushq %rcx\n pushq %rdx\n"
        /* 0 rdx, 8 rcx, 16 rax, 24 vector, 32 error, 40 rip, 48 cs, 56 rflags, 64 rsp, 72 ss */
        " movl g_OwnIdtCount(%rip), %ecx\n shlq $5, %rcx\n"
        " leaq g_OwnIdtLog(%rip), %rdx\n addq %rcx, %rdx\n"
        " movq 24(%rsp), %rax\n movq %rax, 0(%rdx)\n"
        " movq 32(%rsp), %rax\n movq %rax, 8(%rdx)\n"
        " movq %cr2, %rax\n movq %rax, 16(%rdx)\n"
        " movq 40(%rsp), %rax\n movq %rax, 24(%rdx)\n"
        " incl g_OwnIdtCount(%rip)\n"
        " cmpq $3, 24(%rsp)\n je 1f\n addq $2, 40(%rsp)\n"
        "1: popq %rdx\n popq %rcx\n popq %rax\n addq $16, %rsp\n iretq\n"
        /* The faults, each a 2-byte instruction but int3. */
        "OwnIdtFaults:\n"
        " pushq %rbx\n xorl %eax, %eax\n xorl %ecx, %ecx\n xorl %edx, %edx\n"
        " ud2\n int3\n movl (%rax), %eax\n"
        " movl $1, %eax\n xorl %edx, %edx\n divl %ecx\n"
        " movl $0xDEAD, %ecx\n rdmsr\n"
        " int $0x41\n"
        " popq %rbx\n ret\n");
#else
__asm__(".text\n"
        "_OwnIdtDivide: pushl $0\n pushl $0\n jmp OwnIdtCommon\n"
        "_OwnIdtBreakpoint: pushl $0\n pushl $3\n jmp OwnIdtCommon\n"
        "_OwnIdtInvalidOpcode: pushl $0\n pushl $6\n jmp OwnIdtCommon\n"
        "_OwnIdtProtection: pushl $13\n jmp OwnIdtCommon\n"
        "_OwnIdtPageFault: pushl $14\n jmp OwnIdtCommon\n"
        "OwnIdtCommon:\n"
        " pushl %eax\n pushl %ecx\n pushl %edx\n"
        /* 0 edx, 4 ecx, 8 eax, 12 vector, 16 error, 20 eip, 24 cs, 28 eflags */
        " movl _g_OwnIdtCount, %ecx\n shll $4, %ecx\n"
        " leal _g_OwnIdtLog(%ecx), %edx\n"
        " movl 12(%esp), %eax\n movl %eax, 0(%edx)\n"
        " movl 16(%esp), %eax\n movl %eax, 4(%edx)\n"
        " movl %cr2, %eax\n movl %eax, 8(%edx)\n"
        " movl 20(%esp), %eax\n movl %eax, 12(%edx)\n"
        " incl _g_OwnIdtCount\n"
        " cmpl $3, 12(%esp)\n je 1f\n addl $2, 20(%esp)\n"
        "1: popl %edx\n popl %ecx\n popl %eax\n addl $8, %esp\n iret\n"
        "_OwnIdtFaults:\n"
        " pushl %ebx\n xorl %eax, %eax\n xorl %ecx, %ecx\n xorl %edx, %edx\n"
        " ud2\n int3\n movl (%eax), %eax\n"
        " movl $1, %eax\n xorl %edx, %edx\n divl %ecx\n"
        " movl $0xDEAD, %ecx\n rdmsr\n"
        " int $0x41\n"
        " popl %ebx\n ret\n");
#endif

static void OwnIdtSetGate(int vector, void (*handler)(void))
{
    ULONG_PTR at = (ULONG_PTR)handler;
    GATE *g = &g_Idt[vector];

    g->OffsetLow = (USHORT)at;
#ifdef _WIN64
    g->OffsetMiddle = (USHORT)(at >> 16);
    g->OffsetHigh = (ULONG)(at >> 32);
    g->Ist = 0;
#else
    g->OffsetHigh = (USHORT)(at >> 16);
#endif
    g->Attributes = 0x8E; /* present, DPL 0, interrupt gate */
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    TABLE_REGISTER saved, mine;
    ULONG size, i;
    KIRQL old;

    (void)RegistryPath;
    (void)DriverObject;
    __asm__ volatile("sidt %0" : "=m"(saved));
    size = (ULONG)saved.Limit + 1;
    if (size > sizeof(g_Idt))
        size = sizeof(g_Idt);
    RtlCopyMemory(g_Idt, (PVOID)saved.Base, size);
    OwnIdtSetGate(0, OwnIdtDivide);
    OwnIdtSetGate(3, OwnIdtBreakpoint);
    OwnIdtSetGate(6, OwnIdtInvalidOpcode);
    OwnIdtSetGate(13, OwnIdtProtection);
    OwnIdtSetGate(14, OwnIdtPageFault);
    g_Idt[0x41].Attributes &= 0x7F;
    mine.Limit = sizeof(g_Idt) - 1;
    mine.Base = (ULONG_PTR)g_Idt;

    KeRaiseIrql(HIGH_LEVEL, &old);
    __asm__ volatile("cli");
    __asm__ volatile("lidt %0" : : "m"(mine));
    OwnIdtFaults();
    __asm__ volatile("lidt %0" : : "m"(saved));
    __asm__ volatile("sti");
    KeLowerIrql(old);

    for (i = 0; i < g_OwnIdtCount && i < 8; i++) {
        LOG_ENTRY *e = &g_OwnIdtLog[i];
        DbgPrint("ownidt: vector %u error %x cr2 %p at +0x%x\n", (ULONG)e->Vector, (ULONG)e->Error, (PVOID)e->Cr2,
                 (ULONG)(e->Ip - (ULONG_PTR)OwnIdtFaults));
    }
    DbgPrint("ownidt: %u exceptions taken\n", g_OwnIdtCount);
    return g_OwnIdtCount == 6 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
