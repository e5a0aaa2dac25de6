/*
 * user_unwind - the unwinding routines a program's C runtime imports from kernel32 (built
 * with clang for the MSVC targets, as a static MSVC runtime is):
 *   x86 (what _global_unwind2 does):
 *     1. RtlUnwind to a registration of the caller: the two above it have their handlers
 *        called with STATUS_UNWIND and EXCEPTION_UNWINDING, fs:[0] is the target after, and
 *        EAX holds the return value;
 *     2. RtlUnwind to a target below the chain's head: STATUS_INVALID_UNWIND_TARGET is
 *        raised in the program and caught by a __try further up, whose unwind calls the
 *        two handlers again;
 *   x64 (what the runtime's stack walks and longjmp do):
 *     1. RtlCaptureContext, then RtlLookupFunctionEntry and RtlVirtualUnwind walk three
 *        frames: each function entry begins at the function the walk is in, in the
 *        program's image;
 *     2. RtlUnwindEx from two frames down to a caller's establisher frame: the __finally in
 *        between runs and the caller resumes after its call with the return value;
 *   both: RtlPcToFileHeader finds the program's image and kernel32's handle;
 *   InitializeSListHead and the S-list routines push, pop, count and flush.
 */
#include "program.h"

#define STATUS_UNWIND ((DWORD)0xC0000027)
#define STATUS_INVALID_UNWIND_TARGET ((DWORD)0xC0000029)

static char order[16];
static int at;

static void Note(char c)
{
    if (at < (int)sizeof(order) - 1)
        order[at++] = c;
}

static int failures;

static void Check(int ok, const char *what)
{
    if (!ok) {
        failures++;
        Print("FAILED: ");
        Print(what);
        Print(" (");
        PrintNum((unsigned long)at);
        Print(" ");
        order[at] = 0;
        Print(order); /* (the handlers' and frames' order so far) */
        Print(")\n");
    }
}

#ifndef _WIN64
typedef struct Registration {
    struct Registration *Next;
    void *Handler;
} Registration;

typedef void *(WINAPI *UnwindFn)(void *, void *, EXCEPTION_RECORD *, void *);

static Registration *Head(void)
{
    Registration *r;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(r));
    return r;
}

static void SetHead(Registration *r) { __asm__ volatile("movl %0, %%fs:0" : : "r"(r) : "memory"); }

static EXCEPTION_DISPOSITION __cdecl Unwound(EXCEPTION_RECORD *r, void *frame, CONTEXT *c, void *dc)
{
    (void)frame, (void)c, (void)dc;
    if (r->ExceptionFlags & EXCEPTION_UNWINDING)
        Note(r->ExceptionCode == STATUS_UNWIND ? 'u' : 'x');
    return ExceptionContinueSearch;
}

static EXCEPTION_DISPOSITION __cdecl Target(EXCEPTION_RECORD *r, void *frame, CONTEXT *c, void *dc)
{
    (void)frame, (void)c, (void)dc;
    if (r->ExceptionFlags & EXCEPTION_UNWINDING)
        Note('T'); /* not when the unwind is to this registration */
    return ExceptionContinueSearch;
}

/* Links two registrations above `target` and unwinds to it (or below the chain). */
__declspec(noinline) static void *UnwindAbove(Registration *target, int below)
{
    Registration one = {Head(), (void *)Unwound};
    SetHead(&one);
    Registration two = {Head(), (void *)Unwound};
    SetHead(&two);
    Registration *to = below ? (Registration *)((char *)&two - 64) : target;
    void *r = ((UnwindFn)RtlUnwind)(to, 0, NULL, (void *)0x1234);
    Check(Head() == target, "the chain's head is the target after the unwind");
    return r;
}

static void Unwinding(void)
{
    Registration target = {Head(), (void *)Target};
    SetHead(&target);
    void *r = UnwindAbove(&target, 0);
    Check(r == (void *)0x1234, "RtlUnwind returns the return value in EAX");
    SetHead(target.Next);
    Check(order[0] == 'u' && order[1] == 'u' && at == 2, "both handlers above the target saw STATUS_UNWIND");

    at = 0;
    DWORD code = 0;
    __try {
        SetHead(&target);
        UnwindAbove(&target, 1);
    } __except (code = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
        Note('e');
    }
    Check(code == STATUS_INVALID_UNWIND_TARGET, "a target below the chain raises STATUS_INVALID_UNWIND_TARGET");
    /* The dispatch asks the three handlers (none takes it), the __try's filter does; its
       unwind (_global_unwind2: a STATUS_UNWIND record) calls them again, unwinding. */
    Check(at == 4 && order[0] == 'u' && order[1] == 'u' && order[2] == 'T' && order[3] == 'e',
          "the __try's unwind called the three handlers");
}
#else
static DWORD64 Begin(DWORD64 pc, DWORD64 *base)
{
    RUNTIME_FUNCTION *f = RtlLookupFunctionEntry(pc, base, NULL);
    return f ? *base + f->BeginAddress : 0;
}

/* One frame up: `c` becomes the caller's context; returns the frame's establisher. */
static DWORD64 Up(CONTEXT *c)
{
    DWORD64 base = 0, frame = 0;
    void *data = NULL;
    RUNTIME_FUNCTION *f = RtlLookupFunctionEntry(c->Rip, &base, NULL);
    if (!f)
        return 0;
    RtlVirtualUnwind(UNW_FLAG_NHANDLER, base, c->Rip, f, c, &data, &frame, NULL);
    return frame;
}

static DWORD64 walked[3];

__declspec(noinline) static void Leaf(void)
{
    CONTEXT c;
    DWORD64 base = 0;
    RtlCaptureContext(&c);
    for (int i = 0; i < 3; i++) {
        walked[i] = Begin(c.Rip, &base);
        Check(base == (DWORD64)GetModuleHandleA(NULL), "each function entry is in the program's image");
        Up(&c);
    }
}

__declspec(noinline) static void Middle(void)
{
    Leaf();
    Note('m');
}

__declspec(noinline) static void Outer(void)
{
    Middle();
    Note('o');
}

static int finally_ran;
static volatile int never = 1; /* (so the compiler cannot know what Thrower returns) */

__declspec(noinline) static int Thrower(void)
{
    CONTEXT c, scratch;
    RtlCaptureContext(&c);
    Up(&c);                   /* Thrower's frame: c is now in Guarded */
    Up(&c);                   /* Guarded's: c is in Resumed, after its call */
    DWORD64 ip = c.Rip;
    DWORD64 frame = Up(&c);   /* Resumed's establisher frame */
    RtlUnwindEx((void *)frame, (void *)ip, NULL, (void *)77, &scratch, NULL);
    Note('!');                /* not reached */
    return never;
}

__declspec(noinline) static int Guarded(void)
{
    int r = 0;
    __try {
        r = Thrower();
    } __finally {
        finally_ran++;
    }
    return r + 1000;
}

__declspec(noinline) static int Resumed(void)
{
    int r = Guarded();
    Note('r');
    return r;
}

static void Unwinding(void)
{
    Outer();
    Check(walked[0] == (DWORD64)Leaf && walked[1] == (DWORD64)Middle && walked[2] == (DWORD64)Outer,
          "RtlVirtualUnwind walks Leaf, Middle, Outer");
    Check(order[0] == 'm' && order[1] == 'o', "the walk left the frames as they were");
    at = 0;
    int r = Resumed();
    Check(r == 77, "RtlUnwindEx resumes the target frame with the return value");
    Check(finally_ran == 1 && at == 1 && order[0] == 'r', "the __finally between ran once, the rest of Thrower and Guarded never");
}
#endif

static void Images(void)
{
    void *base = (void *)1;
    void *r = RtlPcToFileHeader((void *)Images, &base);
    Check(r == GetModuleHandleA(NULL) && base == r, "RtlPcToFileHeader finds the program's image");
    HMODULE k32 = GetModuleHandleA("kernel32.dll");
    r = RtlPcToFileHeader((void *)GetProcAddress(k32, "GetStdHandle"), &base);
    Check(r == (void *)k32, "RtlPcToFileHeader gives kernel32's handle for one of its functions");
    r = RtlPcToFileHeader((void *)16, &base);
    Check(r == NULL && base == NULL, "RtlPcToFileHeader gives NULL for an address in no image");
}

typedef struct Item {
    SLIST_ENTRY entry;
    int value;
} __attribute__((aligned(16))) Item;

static void SLists(void)
{
    static SLIST_HEADER head __attribute__((aligned(16)));
    static Item items[3];
    InitializeSListHead(&head);
    Check(QueryDepthSList(&head) == 0 && InterlockedPopEntrySList(&head) == NULL, "a new S-list is empty");
    for (int i = 0; i < 3; i++) {
        items[i].value = i;
        Check(InterlockedPushEntrySList(&head, &items[i].entry) == (i ? &items[i - 1].entry : NULL),
              "a push returns the previous first entry");
    }
    Check(QueryDepthSList(&head) == 3, "three pushed");
    Check(InterlockedPopEntrySList(&head) == &items[2].entry, "the last pushed pops first");
    Check(InterlockedFlushSList(&head) == &items[1].entry && QueryDepthSList(&head) == 0, "a flush empties it");
    Check(items[1].entry.Next == &items[0].entry, "the flushed entries stay linked");
}

void ProgramStart(void)
{
    Unwinding();
    Images();
    SLists();
    if (!failures)
        Print("unwinding as a C runtime asks for it\n");
    ExitProcess(failures);
}
