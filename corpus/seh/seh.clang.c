/*
 * seh - structured exception handling as drivers use it: __try/__except/__finally
 * guarding reads of caller-supplied pointers, probes of user buffers, raised statuses,
 * nested handlers, and the faults no handler takes. Built with clang for the MSVC targets
 * (gcc does not compile __try); on x64 the compiler's handler is __C_specific_handler, on x86
 * _except_handler3, both imported from ntoskrnl.exe.
 *
 * clang's __try covers what the functions called in it raise (it expects no exception from an
 * instruction of the __try body itself), so every fault here happens in a function called
 * from the guarded code, as it mostly does in real drivers.
 *
 * Device \Device\Seh, symbolic link \DosDevices\Seh.
 *
 * IOCTLs (CTL_CODE(0x8000, function, METHOD_BUFFERED, FILE_ANY_ACCESS) unless noted).
 * Outputs are arrays of ULONGs ("out[n]"); every guarded IOCTL completes with STATUS_SUCCESS
 * and says what happened in its output.
 *
 *   0x800 READ       in: ULONG address. Reads a ULONG there inside __try/__except.
 *                    out[0] 1 if an exception was caught, out[1] the value read or the
 *                    exception code, out[2] ExceptionInformation[0], out[3] [1] (low half).
 *   0x801 PROBE      METHOD_NEITHER: ProbeForWrite(UserBuffer, OutputBufferLength, 4), then
 *                    fills it with 0xA5. Completes with the exception code if the probe
 *                    raised, else STATUS_SUCCESS with Information = the length.
 *   0x802 FINALLY    in: ULONG address. Three nested __try with __finally blocks around a read
 *                    there, under a __try/__except: out[0] the number of events, out[1..] the
 *                    events in order: 0x10+n finally n ran normally, 0x20+n during an unwind
 *                    (AbnormalTermination), 0x30 the filter ran, 0x40 the __except block ran.
 *   0x803 FILTER     The inner filter raises (ExRaiseStatus(0xE0000001)) the first time it
 *                    runs: out[0] filter calls, out[1] the code the outer handler caught.
 *   0x804 RAISE      in: NTSTATUS. ExRaiseStatus of it, caught: out[0] the code caught.
 *   0x805 DIVIDE     in: ULONG divisor. 100 / divisor guarded: out[0] caught, out[1] quotient
 *                    or code.
 *   0x806 UNGUARDED  in: ULONG address. Reads it with no handler at all.
 *   0x807 KERNEL     Reads an invalid kernel-space address inside __try: Windows bugchecks
 *                    (PAGE_FAULT_IN_NONPAGED_AREA) without consulting the handler.
 *   0x808 DEEP       in: ULONG address. A fault several frames below its handler: on x64 in
 *                    a chained region of a function with an 8 KiB frame, a frame pointer and
 *                    saved non-volatile registers (integer and XMM), all clobbered before the
 *                    fault. out[0] the code caught, out[1] a mask of the callee-saved
 *                    registers that did not come back (0: all did).
 *   0x809 CONTINUE   RtlRaiseException of a continuable exception whose filter says continue
 *                    execution: out[0] 1 when RtlRaiseException returned, out[1] filter calls.
 *   0x80A NONCONT    ExRaiseStatus (noncontinuable) whose filter says continue: out[0] the
 *                    code the outer handler caught (STATUS_NONCONTINUABLE_EXCEPTION), out[1]
 *                    its ExceptionRecord->ExceptionRecord->ExceptionCode.
 *   0x80B COPY       in: ULONG address. RtlCopyMemory of 16 bytes from it, guarded (the fault
 *                    happens inside the kernel's memcpy): out[0] caught, out[1] code.
 *   0x80C FASTFAIL   __fastfail(FAST_FAIL_STACK_COOKIE_CHECK_FAILURE).
 *   0x80D BREAK      __debugbreak() under a filter accepting STATUS_BREAKPOINT: out[0] code.
 *   0x80E MSR        __readmsr(0xDEAD) guarded: out[0] caught, out[1] code.
 *   0x80F COLLIDE    in: ULONG address. An exception raised in a __finally block run by
 *                    an unwind, caught further out: out[0] events, out[1..] 0x30 the inner
 *                    filter took the fault (0x31 it passed on the second exception), 0x21
 *                    and 0x22 the __finally blocks during the unwinds, 0x50 the outer
 *                    __except block ran.
 *   0x810 BACKTRACE  RtlCaptureStackBackTrace(0, 8) and RtlWalkFrameChain(8): out[0] frames,
 *                    out[1] of them in this image, out[2] RtlWalkFrameChain's count, out[3]
 *                    1 when both start at the same return address.
 *   0x811 MMCOPY     in: ULONG address, ULONG length. MmCopyMemory (virtual) of that range:
 *                    out[0] status, out[1] bytes transferred.
 *   0x812 PROBEREAD  in: ULONG address, ULONG length, ULONG alignment. ProbeForRead of it:
 *                    out[0] caught, out[1] code, out[2] ExceptionInformation[0], out[3] [1].
 *   0x813 PROBEWRITE in: ULONG64 address (low, high), ULONG length, ULONG alignment.
 *                    ProbeForWrite of it, guarded: out as for PROBEREAD.
 *
 *   any other code: STATUS_INVALID_DEVICE_REQUEST.
 */
#include "corpus.h"

#define IOCTL_READ CORPUS_IOCTL(0x800, METHOD_BUFFERED)
#define IOCTL_PROBE CORPUS_IOCTL(0x801, METHOD_NEITHER)
#define IOCTL_FINALLY CORPUS_IOCTL(0x802, METHOD_BUFFERED)
#define IOCTL_FILTER CORPUS_IOCTL(0x803, METHOD_BUFFERED)
#define IOCTL_RAISE CORPUS_IOCTL(0x804, METHOD_BUFFERED)
#define IOCTL_DIVIDE CORPUS_IOCTL(0x805, METHOD_BUFFERED)
#define IOCTL_UNGUARDED CORPUS_IOCTL(0x806, METHOD_BUFFERED)
#define IOCTL_KERNEL CORPUS_IOCTL(0x807, METHOD_BUFFERED)
#define IOCTL_DEEP CORPUS_IOCTL(0x808, METHOD_BUFFERED)
#define IOCTL_CONTINUE CORPUS_IOCTL(0x809, METHOD_BUFFERED)
#define IOCTL_NONCONT CORPUS_IOCTL(0x80A, METHOD_BUFFERED)
#define IOCTL_COPY CORPUS_IOCTL(0x80B, METHOD_BUFFERED)
#define IOCTL_FASTFAIL CORPUS_IOCTL(0x80C, METHOD_BUFFERED)
#define IOCTL_BREAK CORPUS_IOCTL(0x80D, METHOD_BUFFERED)
#define IOCTL_MSR CORPUS_IOCTL(0x80E, METHOD_BUFFERED)
#define IOCTL_COLLIDE CORPUS_IOCTL(0x80F, METHOD_BUFFERED)
#define IOCTL_BACKTRACE CORPUS_IOCTL(0x810, METHOD_BUFFERED)
#define IOCTL_MMCOPY CORPUS_IOCTL(0x811, METHOD_BUFFERED)
#define IOCTL_PROBEREAD CORPUS_IOCTL(0x812, METHOD_BUFFERED)
#define IOCTL_PROBEWRITE CORPUS_IOCTL(0x813, METHOD_BUFFERED)

#define OUT_WORDS 16

/* Windows 8.1's MmCopyMemory, which the mingw-w64 headers do not declare. */
typedef struct _SEH_COPY_ADDRESS {
    union {
        PVOID VirtualAddress;
        PHYSICAL_ADDRESS PhysicalAddress;
    };
} SEH_COPY_ADDRESS;
#define SEH_COPY_MEMORY_VIRTUAL 0x2
NTKERNELAPI NTSTATUS NTAPI MmCopyMemory(PVOID TargetAddress, SEH_COPY_ADDRESS SourceAddress, SIZE_T NumberOfBytes,
                                        ULONG Flags, PSIZE_T NumberOfBytesTransferred);
NTSYSAPI USHORT NTAPI RtlCaptureStackBackTrace(ULONG FramesToSkip, ULONG FramesToCapture, PVOID *BackTrace,
                                               PULONG BackTraceHash);
NTSYSAPI ULONG NTAPI RtlWalkFrameChain(PVOID *Callers, ULONG Count, ULONG Flags);
NTSYSAPI VOID NTAPI RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord);

/* clang's GetExceptionInformation() is a void pointer. */
#define SEH_POINTERS ((PEXCEPTION_POINTERS)GetExceptionInformation())

static PDEVICE_OBJECT g_Device;
static PDRIVER_OBJECT g_Driver;

/* An event log the handlers write to; volatile so the compiler keeps every store. */
static volatile ULONG g_events[OUT_WORDS];
static volatile ULONG g_count;
static volatile ULONG g_filter_calls;

static void Event(ULONG e)
{
    if (g_count < OUT_WORDS - 1)
        g_events[g_count] = e;
    g_count++;
}

static ULONG Emit(PULONG out)
{
    ULONG n = g_count < OUT_WORDS - 1 ? g_count : OUT_WORDS - 1;
    out[0] = g_count;
    for (ULONG i = 0; i < n; i++)
        out[1 + i] = g_events[i];
    return (1 + n) * sizeof(ULONG);
}

/* The faulting operations, each in a function of its own (see the top). */
static __declspec(noinline) ULONG Load(ULONG_PTR at)
{
    return *(volatile ULONG *)at;
}

static __declspec(noinline) ULONG Quotient(ULONG divisor)
{
    volatile ULONG d = divisor;
    return 100 / d;
}

static __declspec(noinline) void Breakpoint(void)
{
    __debugbreak();
}

static __declspec(noinline) ULONG64 ReadMsr(ULONG msr)
{
    return __readmsr(msr);
}

static __declspec(noinline) void Copy(PVOID to, const VOID *from, SIZE_T length)
{
    RtlCopyMemory(to, from, length);
}

static __declspec(noinline) ULONG ReadGuarded(ULONG_PTR at, PULONG out)
{
    __try {
        out[1] = Load(at);
        out[0] = 0;
    } __except (out[2] = (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionInformation[0],
                out[3] = (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionInformation[1],
                EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
        out[1] = GetExceptionCode();
    }
    return 4 * sizeof(ULONG);
}

/* A call in the same __try after the one that faults: clang's scope ranges end one byte past
 * a call's return address and the next range may start at it, so a return address right
 * before another __try's code would be in both; Windows (and Portcullis) would then run the
 * next block's __finally twice. */
static __declspec(noinline) void Mark(ULONG e)
{
    Event(e);
}

static LONG NoteFilter(void)
{
    Event(0x30);
    return EXCEPTION_EXECUTE_HANDLER;
}

static __declspec(noinline) void Finally3(ULONG_PTR at)
{
    __try {
        __try {
            __try {
                (void)Load(at);
                Mark(0x01);
            } __finally {
                Event(AbnormalTermination() ? 0x21 : 0x11);
            }
            Mark(0x02);
        } __finally {
            Event(AbnormalTermination() ? 0x22 : 0x12);
        }
        Mark(0x03);
    } __finally {
        Event(AbnormalTermination() ? 0x23 : 0x13);
    }
}

static __declspec(noinline) void FinallyNested(ULONG_PTR at)
{
    __try {
        Finally3(at);
        Mark(0x04);
    } __except (NoteFilter()) {
        Event(0x40);
    }
}

static LONG RaisingFilter(void)
{
    if (g_filter_calls++ == 0)
        ExRaiseStatus((NTSTATUS)0xE0000001);
    return EXCEPTION_CONTINUE_SEARCH;
}

static __declspec(noinline) ULONG FilterRaises(PULONG out)
{
    g_filter_calls = 0;
    out[1] = 0;
    __try {
        __try {
            (void)Load(0x10);
        } __except (RaisingFilter()) {
            out[1] = 0xBAD;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        out[1] = GetExceptionCode();
    }
    out[0] = g_filter_calls;
    return 2 * sizeof(ULONG);
}

static __declspec(noinline) ULONG RaiseCaught(NTSTATUS status, PULONG out)
{
    __try {
        ExRaiseStatus(status);
        out[0] = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        out[0] = GetExceptionCode();
    }
    return sizeof(ULONG);
}

static __declspec(noinline) ULONG Divide(ULONG divisor, PULONG out)
{
    __try {
        out[1] = Quotient(divisor);
        out[0] = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
        out[1] = GetExceptionCode();
    }
    return 2 * sizeof(ULONG);
}

#ifdef _WIN64
/* Unmapped in Portcullis' x64 kernel space (between the stacks and the I/O space views). */
#define BAD_KERNEL_ADDRESS 0xFFFFF80600001000ull
#else
#define BAD_KERNEL_ADDRESS 0xB0001000u
#endif

static __declspec(noinline) ULONG KernelRead(PULONG out)
{
    __try {
        out[1] = Load(BAD_KERNEL_ADDRESS);
        out[0] = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
    }
    return 2 * sizeof(ULONG);
}

/* DEEP: the handler's frame (SehCatcher) below one (DeepOuter) that checks the callee-saved
 * registers it put in survive, above one (DeepBig) that saves and clobbers them all and
 * faults. */
static volatile ULONG g_deep_code;
void __cdecl SehCatcher(ULONG_PTR at);
ULONG __cdecl DeepOuter(ULONG_PTR at);
void __cdecl DeepBig(ULONG_PTR at);

__declspec(noinline) void __cdecl SehCatcher(ULONG_PTR at)
{
    __try {
        DeepBig(at);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        g_deep_code = GetExceptionCode();
    }
}

#ifdef _WIN64
/* DeepOuter: keeps known values in every callee-saved register (and xmm6) across the call;
 * returns a bit per register that came back different. DeepBig: an 8 KiB frame with a
 * frame pointer, pushed and saved (mov) registers and a saved xmm6, all clobbered, then a
 * fault in a separately described (chained) region. */
__asm__(
    "    .text\n"
    "    .globl DeepOuter\n"
    "    .def DeepOuter; .scl 2; .type 32; .endef\n"
    "    .seh_proc DeepOuter\n"
    "DeepOuter:\n"
    "    push %rbx\n"
    "    .seh_pushreg %rbx\n"
    "    push %rbp\n"
    "    .seh_pushreg %rbp\n"
    "    push %rsi\n"
    "    .seh_pushreg %rsi\n"
    "    push %rdi\n"
    "    .seh_pushreg %rdi\n"
    "    push %r12\n"
    "    .seh_pushreg %r12\n"
    "    push %r13\n"
    "    .seh_pushreg %r13\n"
    "    push %r14\n"
    "    .seh_pushreg %r14\n"
    "    push %r15\n"
    "    .seh_pushreg %r15\n"
    "    sub $0x38, %rsp\n"
    "    .seh_stackalloc 0x38\n"
    "    movaps %xmm6, 0x20(%rsp)\n"
    "    .seh_savexmm %xmm6, 0x20\n"
    "    .seh_endprologue\n"
    "    movabs $0x1111111111111111, %rbx\n"
    "    movabs $0x2222222222222222, %rbp\n"
    "    movabs $0x3333333333333333, %rsi\n"
    "    movabs $0x4444444444444444, %rdi\n"
    "    movabs $0x5555555555555555, %r12\n"
    "    movabs $0x6666666666666666, %r13\n"
    "    movabs $0x7777777777777777, %r14\n"
    "    movabs $0x8888888888888888, %r15\n"
    "    movabs $0x9999999999999999, %rax\n"
    "    movq %rax, %xmm6\n"
    "    call SehCatcher\n"
    "    xor %eax, %eax\n"
    "    movabs $0x1111111111111111, %rdx\n"
    "    cmp %rdx, %rbx\n"
    "    setne %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x2222222222222222, %rdx\n"
    "    cmp %rdx, %rbp\n"
    "    setne %cl\n"
    "    shl $1, %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x3333333333333333, %rdx\n"
    "    cmp %rdx, %rsi\n"
    "    setne %cl\n"
    "    shl $2, %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x4444444444444444, %rdx\n"
    "    cmp %rdx, %rdi\n"
    "    setne %cl\n"
    "    shl $3, %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x5555555555555555, %rdx\n"
    "    cmp %rdx, %r12\n"
    "    setne %cl\n"
    "    shl $4, %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x6666666666666666, %rdx\n"
    "    cmp %rdx, %r13\n"
    "    setne %cl\n"
    "    shl $5, %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x7777777777777777, %rdx\n"
    "    cmp %rdx, %r14\n"
    "    setne %cl\n"
    "    shl $6, %cl\n"
    "    or %cl, %al\n"
    "    movabs $0x8888888888888888, %rdx\n"
    "    cmp %rdx, %r15\n"
    "    setne %cl\n"
    "    shl $7, %cl\n"
    "    or %cl, %al\n"
    "    movq %xmm6, %rdx\n"
    "    movabs $0x9999999999999999, %rcx\n"
    "    cmp %rcx, %rdx\n"
    "    setne %cl\n"
    "    movzbl %cl, %ecx\n"
    "    shl $8, %ecx\n"
    "    or %ecx, %eax\n"
    "    movaps 0x20(%rsp), %xmm6\n"
    "    add $0x38, %rsp\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rdi\n"
    "    pop %rsi\n"
    "    pop %rbp\n"
    "    pop %rbx\n"
    "    ret\n"
    "    .seh_endproc\n"
    "\n"
    "    .globl DeepBig\n"
    "    .def DeepBig; .scl 2; .type 32; .endef\n"
    "    .seh_proc DeepBig\n"
    "DeepBig:\n"
    "    push %rbp\n"
    "    .seh_pushreg %rbp\n"
    "    push %rbx\n"
    "    .seh_pushreg %rbx\n"
    "    push %rsi\n"
    "    .seh_pushreg %rsi\n"
    "    push %rdi\n"
    "    .seh_pushreg %rdi\n"
    "    push %r12\n"
    "    .seh_pushreg %r12\n"
    "    push %r13\n"
    "    .seh_pushreg %r13\n"
    "    push %r14\n"
    "    .seh_pushreg %r14\n"
    "    sub $0x2010, %rsp\n"
    "    .seh_stackalloc 0x2010\n"
    "    lea 0x80(%rsp), %rbp\n"
    "    .seh_setframe %rbp, 0x80\n"
    "    movaps %xmm6, 0x40(%rsp)\n"
    "    .seh_savexmm %xmm6, 0x40\n"
    "    mov %r15, 0x60(%rsp)\n"
    "    .seh_savereg %r15, 0x60\n"
    "    .seh_endprologue\n"
    "    movabs $0xBAD0BAD0BAD0BAD0, %rax\n"
    "    mov %rax, %rbx\n"
    "    mov %rax, %rsi\n"
    "    mov %rax, %rdi\n"
    "    mov %rax, %r12\n"
    "    mov %rax, %r13\n"
    "    mov %rax, %r14\n"
    "    mov %rax, %r15\n"
    "    movq %rax, %xmm6\n"
    "    movl $0, 0x1000(%rsp)\n" /* the frame is really there */
    "    jmp 1f\n"
    "    .seh_startchained\n"
    "    .seh_endprologue\n"
    "1:  mov (%rcx), %eax\n"
    "    .seh_endchained\n"
    "    mov 0x60(%rsp), %r15\n"
    "    movaps 0x40(%rsp), %xmm6\n"
    "    lea -0x80(%rbp), %rsp\n"
    "    add $0x2010, %rsp\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rdi\n"
    "    pop %rsi\n"
    "    pop %rbx\n"
    "    pop %rbp\n"
    "    ret\n"
    "    .seh_endproc\n");
#else
/* x86 has no unwind tables: the handler's frame restores EBP and ESP, and the function's own
 * epilogue the callee-saved registers it pushed. DeepBig has an 8 KiB frame all the same. */
__asm__(
    "    .text\n"
    "    .globl _DeepOuter\n"
    "_DeepOuter:\n"
    "    push %ebx\n"
    "    push %esi\n"
    "    push %edi\n"
    "    push %ebp\n"
    "    mov 20(%esp), %eax\n"
    "    mov $0x11111111, %ebx\n"
    "    mov $0x33333333, %esi\n"
    "    mov $0x44444444, %edi\n"
    "    push %eax\n"
    "    call _SehCatcher\n"
    "    add $4, %esp\n"
    "    xor %eax, %eax\n"
    "    cmp $0x11111111, %ebx\n"
    "    setne %cl\n"
    "    or %cl, %al\n"
    "    cmp $0x33333333, %esi\n"
    "    setne %cl\n"
    "    shl $2, %cl\n"
    "    or %cl, %al\n"
    "    cmp $0x44444444, %edi\n"
    "    setne %cl\n"
    "    shl $3, %cl\n"
    "    or %cl, %al\n"
    "    pop %ebp\n"
    "    pop %edi\n"
    "    pop %esi\n"
    "    pop %ebx\n"
    "    ret\n");

__declspec(noinline) void __cdecl DeepBig(ULONG_PTR at)
{
    volatile UCHAR big[0x2000];
    big[0] = 1;
    big[sizeof big - 1] = (UCHAR)Load(at);
}
#endif

static __declspec(noinline) ULONG Deep(ULONG_PTR at, PULONG out)
{
    g_deep_code = 0;
    out[1] = DeepOuter(at);
    out[0] = g_deep_code;
    return 2 * sizeof(ULONG);
}

/* Continues the exceptions the CONTINUE and NONCONT requests raise, and no other: a filter
 * continuing STATUS_NONCONTINUABLE_EXCEPTION too would recurse until the stack runs out. */
static LONG ContinueFilter(ULONG code)
{
    g_filter_calls++;
    return code == 0xE0000002 || code == 0xE0000003 ? EXCEPTION_CONTINUE_EXECUTION : EXCEPTION_CONTINUE_SEARCH;
}

static __declspec(noinline) ULONG Continue(PULONG out)
{
    EXCEPTION_RECORD r;

    g_filter_calls = 0;
    RtlZeroMemory(&r, sizeof r);
    r.ExceptionCode = 0xE0000002;
    r.ExceptionFlags = 0;
    out[0] = 0;
    __try {
        RtlRaiseException(&r);
        out[0] = 1;
    } __except (ContinueFilter(GetExceptionCode())) {
        out[0] = 2;
    }
    out[1] = g_filter_calls;
    return 2 * sizeof(ULONG);
}

static __declspec(noinline) ULONG Noncontinuable(PULONG out)
{
    g_filter_calls = 0;
    out[0] = out[1] = 0;
    __try {
        __try {
            ExRaiseStatus((NTSTATUS)0xE0000003);
        } __except (ContinueFilter(GetExceptionCode())) {
            out[0] = 0xBAD;
        }
    } __except (out[1] = SEH_POINTERS->ExceptionRecord->ExceptionRecord
                             ? (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionRecord->ExceptionCode
                             : 0,
                EXCEPTION_EXECUTE_HANDLER) {
        out[0] = GetExceptionCode();
    }
    return 2 * sizeof(ULONG);
}

static __declspec(noinline) ULONG CopyGuarded(ULONG_PTR at, PULONG out)
{
    UCHAR local[16];
    __try {
        Copy(local, (const void *)at, sizeof local);
        out[0] = 0;
        out[1] = local[0];
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
        out[1] = GetExceptionCode();
    }
    return 2 * sizeof(ULONG);
}

static __declspec(noinline) void FastFail(void)
{
    __asm__ volatile("int $0x29" ::"c"(2) : "memory");
}

static LONG BreakFilter(ULONG code)
{
    return code == STATUS_BREAKPOINT ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

static __declspec(noinline) ULONG Break(PULONG out)
{
    out[0] = 0;
    __try {
        Breakpoint();
    } __except (BreakFilter(GetExceptionCode())) {
        out[0] = GetExceptionCode();
    }
    return sizeof(ULONG);
}

static __declspec(noinline) ULONG Msr(PULONG out)
{
    __try {
        out[1] = (ULONG)ReadMsr(0xDEAD);
        out[0] = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
        out[1] = GetExceptionCode();
    }
    return 2 * sizeof(ULONG);
}

/* COLLIDE: the fault's unwind runs a __finally block that raises; that second exception is
 * caught further out, and its unwind takes over from the first one (no __finally block runs
 * twice, the ones the first had not reached run). The raising block is the only one of its
 * function: what an x86 unwind does with the rest of a frame whose handler collided differs
 * from x64 (x86 moves on to the next frame, x64 resumes the frame's scope table). */
static LONG AvFilter(ULONG code)
{
    if (code == STATUS_ACCESS_VIOLATION) {
        Event(0x30);
        return EXCEPTION_EXECUTE_HANDLER;
    }
    Event(0x31);
    return EXCEPTION_CONTINUE_SEARCH;
}

static __declspec(noinline) void RaisingFinally(ULONG_PTR at)
{
    __try {
        (void)Load(at);
        Mark(0x01);
    } __finally {
        Event(AbnormalTermination() ? 0x21 : 0x11);
        if (AbnormalTermination())
            ExRaiseStatus((NTSTATUS)0xE0000004);
    }
}

static __declspec(noinline) void CollideMiddle(ULONG_PTR at)
{
    __try {
        RaisingFinally(at);
        Mark(0x02);
    } __finally {
        Event(AbnormalTermination() ? 0x22 : 0x12);
    }
}

static __declspec(noinline) void CollideInner(ULONG_PTR at)
{
    __try {
        CollideMiddle(at);
        Mark(0x03);
    } __except (AvFilter(GetExceptionCode())) {
        Event(0x40);
    }
}

static __declspec(noinline) void Collide(ULONG_PTR at)
{
    __try {
        CollideInner(at);
        Mark(0x04);
    } __except (GetExceptionCode() == (NTSTATUS)0xE0000004 ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH) {
        Event(0x50);
    }
}

static __declspec(noinline) ULONG Backtrace(PULONG out)
{
    PVOID frames[8] = {0};
    PVOID walked[8] = {0};
    ULONG_PTR start = (ULONG_PTR)g_Driver->DriverStart;
    ULONG_PTR end = start + g_Driver->DriverSize;
    USHORT n = RtlCaptureStackBackTrace(0, 8, frames, NULL);
    ULONG inside = 0;

    for (USHORT i = 0; i < n; i++)
        if ((ULONG_PTR)frames[i] >= start && (ULONG_PTR)frames[i] < end)
            inside++;
    out[0] = n;
    out[1] = inside;
    out[2] = RtlWalkFrameChain(walked, 8, 0);
    /* Both start at their own return address, inside this function. */
    out[3] = n > 0 && out[2] > 0 && (ULONG_PTR)frames[0] >= start && (ULONG_PTR)walked[0] >= start &&
             (ULONG_PTR)frames[0] < end && (ULONG_PTR)walked[0] < end;
    return 4 * sizeof(ULONG);
}

static __declspec(noinline) ULONG MmCopy(ULONG_PTR at, ULONG length, PULONG out)
{
    UCHAR local[64];
    SEH_COPY_ADDRESS source;
    SIZE_T copied = 0;

    source.VirtualAddress = (PVOID)at;
    out[0] = (ULONG)MmCopyMemory(local, source, length > sizeof local ? sizeof local : length,
                                 SEH_COPY_MEMORY_VIRTUAL, &copied);
    out[1] = (ULONG)copied;
    return 2 * sizeof(ULONG);
}

static __declspec(noinline) ULONG ProbeRead(const ULONG *in, PULONG out)
{
    out[2] = out[3] = 0;
    __try {
        ProbeForRead((PVOID)(ULONG_PTR)in[0], in[1], in[2]);
        out[0] = 0;
        out[1] = 0;
    } __except (out[2] = (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionInformation[0],
                out[3] = (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionInformation[1],
                EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
        out[1] = GetExceptionCode();
    }
    return 4 * sizeof(ULONG);
}

static __declspec(noinline) ULONG ProbeWrite(ULONG64 address, ULONG length, ULONG alignment, PULONG out)
{
    out[2] = out[3] = 0;
    __try {
        ProbeForWrite((PVOID)(ULONG_PTR)address, length, alignment);
        out[0] = 0;
        out[1] = 0;
    } __except (out[2] = (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionInformation[0],
                out[3] = (ULONG)SEH_POINTERS->ExceptionRecord->ExceptionInformation[1],
                EXCEPTION_EXECUTE_HANDLER) {
        out[0] = 1;
        out[1] = GetExceptionCode();
    }
    return 4 * sizeof(ULONG);
}

static NTSTATUS NTAPI SehProbe(PIRP Irp, PIO_STACK_LOCATION sp)
{
    PUCHAR buffer = Irp->UserBuffer;
    ULONG length = CORPUS_OUT_LEN(sp);
    NTSTATUS status = STATUS_SUCCESS;

    __try {
        ProbeForWrite(buffer, length, 4);
        for (ULONG i = 0; i < length; i++)
            buffer[i] = 0xA5;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return CorpusComplete(Irp, status, NT_SUCCESS(status) ? length : 0);
}

static NTSTATUS NTAPI SehIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG code = CORPUS_CODE(sp);
    PULONG buf = Irp->AssociatedIrp.SystemBuffer;
    ULONG in0 = 0;
    ULONG info;

    (void)DeviceObject;
    if (code == IOCTL_PROBE)
        return SehProbe(Irp, sp);
    if (CORPUS_OUT_LEN(sp) < OUT_WORDS * sizeof(ULONG))
        return CorpusComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (CORPUS_IN_LEN(sp) >= sizeof(ULONG))
        in0 = buf[0];
    g_count = 0;

    switch (code) {
    case IOCTL_READ:
        info = ReadGuarded(in0, buf);
        break;
    case IOCTL_FINALLY:
        FinallyNested(in0);
        info = Emit(buf);
        break;
    case IOCTL_FILTER:
        info = FilterRaises(buf);
        break;
    case IOCTL_RAISE:
        info = RaiseCaught((NTSTATUS)in0, buf);
        break;
    case IOCTL_DIVIDE:
        info = Divide(in0, buf);
        break;
    case IOCTL_UNGUARDED:
        buf[0] = Load(in0);
        info = sizeof(ULONG);
        break;
    case IOCTL_KERNEL:
        info = KernelRead(buf);
        break;
    case IOCTL_DEEP:
        info = Deep(in0, buf);
        break;
    case IOCTL_CONTINUE:
        info = Continue(buf);
        break;
    case IOCTL_NONCONT:
        info = Noncontinuable(buf);
        break;
    case IOCTL_COPY:
        info = CopyGuarded(in0, buf);
        break;
    case IOCTL_FASTFAIL:
        FastFail();
        info = 0;
        break;
    case IOCTL_BREAK:
        info = Break(buf);
        break;
    case IOCTL_MSR:
        info = Msr(buf);
        break;
    case IOCTL_COLLIDE:
        Collide(in0);
        info = Emit(buf);
        break;
    case IOCTL_BACKTRACE:
        info = Backtrace(buf);
        break;
    case IOCTL_MMCOPY:
        info = MmCopy(in0, CORPUS_IN_LEN(sp) >= 2 * sizeof(ULONG) ? buf[1] : 0, buf);
        break;
    case IOCTL_PROBEREAD: {
        ULONG in[3] = {in0, 0, 1};
        if (CORPUS_IN_LEN(sp) >= 3 * sizeof(ULONG)) {
            in[1] = buf[1];
            in[2] = buf[2];
        }
        info = ProbeRead(in, buf);
        break;
    }
    case IOCTL_PROBEWRITE:
        if (CORPUS_IN_LEN(sp) < 4 * sizeof(ULONG))
            return CorpusComplete(Irp, STATUS_INVALID_PARAMETER, 0);
        info = ProbeWrite(buf[0] | (ULONG64)buf[1] << 32, buf[2], buf[3], buf);
        break;
    default:
        return CorpusComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
    return CorpusComplete(Irp, STATUS_SUCCESS, info);
}

static VOID NTAPI SehUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    CorpusDeleteLink(L"\\DosDevices\\Seh");
    IoDeleteDevice(g_Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    ULONG out[OUT_WORDS];

    (void)RegistryPath;
    g_Driver = DriverObject;
    status = CorpusCreateDevice(DriverObject, L"\\Device\\Seh", L"\\DosDevices\\Seh", &g_Device);
    if (!NT_SUCCESS(status))
        return status;
    CorpusSetDispatch(DriverObject, SehIoctl);
    DriverObject->DriverUnload = SehUnload;

    /* A handled fault during DriverEntry, as drivers probing for hardware do. */
    ReadGuarded(0, out);
    DbgPrint("seh: loaded, a read of NULL raised %08x\n", out[1]);
    return STATUS_SUCCESS;
}
