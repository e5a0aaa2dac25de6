/*
 * user_seh - structured exception handling in a user program (built with clang for the MSVC
 * targets: mingw-w64's gcc has no __try). Each exception is raised inside a function the
 * __try calls (clang expects exceptions from calls only):
 *   1. an access violation writing 0x10, caught, its record's parameters checked;
 *   2. an out to port 0x80 with no I/O permission map: STATUS_PRIVILEGED_INSTRUCTION caught,
 *      as a GIVEIO client probes whether its driver opened the ports yet;
 *   3. a division by zero inside a __try/__finally: the filter runs, then the __finally as
 *      the handler unwinds to its frame, then the __except block;
 *   4. an inner filter that declines (EXCEPTION_CONTINUE_SEARCH), an outer one that takes it;
 *   5. ud2 with a filter that steps over it and continues execution;
 *   6. RaiseException with three arguments, caught, its record checked;
 *   7. RaiseException continued by its filter: RaiseException returns;
 *   8. a noncontinuable RaiseException a filter tries to continue: the handler above gets
 *      STATUS_NONCONTINUABLE_EXCEPTION (which that filter declines: a filter continuing
 *      everything would be asked again about each new one, without end, as on Windows);
 *   9. a filter asking UnhandledExceptionFilter, which asks the top-level filter
 *      (SetUnhandledExceptionFilter's);
 *  10. msvcrt's _XcptFilter (an MSVC program's outermost filter) with no signal handler:
 *      UnhandledExceptionFilter, so the top-level filter, decides;
 *  11. _XcptFilter with a SIGILL handler set: the handler runs (reset to SIG_DFL first) and
 *      execution continues;
 *  12. a division by zero nobody handles: the top-level filter sees it and the process ends
 *      with STATUS_INTEGER_DIVIDE_BY_ZERO.
 */
#include "program.h"

typedef void(__cdecl *SignalHandler)(int);
__declspec(dllimport) SignalHandler __cdecl signal(int, SignalHandler);
#define SIGILL 4

static volatile int zero, quotient;
static char order[8];
static int at;

static void Note(char c)
{
    if (at < (int)sizeof(order) - 1)
        order[at++] = c;
}

__declspec(noinline) static void Poke(volatile int *p) { *p = 1; }

__declspec(noinline) static void OutPort80(void)
{
    __asm__ volatile("outb %0, %1" : : "a"((unsigned char)0x55), "Nd"((unsigned short)0x80));
}

__declspec(noinline) static void Divide(int a) { quotient = a / zero; }

__declspec(noinline) static void Undefined(void) { __asm__ volatile("ud2"); }

static int AccessFilter(EXCEPTION_POINTERS *e)
{
    EXCEPTION_RECORD *r = e->ExceptionRecord;
    return r->ExceptionCode == EXCEPTION_ACCESS_VIOLATION && r->NumberParameters == 2 &&
           r->ExceptionInformation[0] == 1 && r->ExceptionInformation[1] == 0x10;
}

static int NoteFilter(int code)
{
    Note('f');
    return code == EXCEPTION_INT_DIVIDE_BY_ZERO;
}

static int StepOver(EXCEPTION_POINTERS *e)
{
    if (e->ExceptionRecord->ExceptionCode != EXCEPTION_ILLEGAL_INSTRUCTION)
        return EXCEPTION_CONTINUE_SEARCH;
#ifdef _WIN64
    e->ContextRecord->Rip += 2;
#else
    e->ContextRecord->Eip += 2;
#endif
    return EXCEPTION_CONTINUE_EXECUTION;
}

static int RaisedFilter(EXCEPTION_POINTERS *e)
{
    EXCEPTION_RECORD *r = e->ExceptionRecord;
    return r->ExceptionCode == 0xE0000001 && r->ExceptionFlags == 0 && r->NumberParameters == 3 &&
           r->ExceptionInformation[0] == 1 && r->ExceptionInformation[1] == 2 &&
           r->ExceptionInformation[2] == 3 && r->ExceptionAddress != 0;
}

static int ContinueFilter(EXCEPTION_POINTERS *e)
{
    return e->ExceptionRecord->ExceptionCode == 0xE0000002 ? EXCEPTION_CONTINUE_EXECUTION
                                                            : EXCEPTION_CONTINUE_SEARCH;
}

static void __cdecl OnSigill(int sig)
{
    Print("SIGILL handler: ");
    PrintNum((unsigned long)sig);
    Print("\n");
}

static LONG WINAPI TopLevel(EXCEPTION_POINTERS *e)
{
    Print("top-level filter: ");
    PrintNum(e->ExceptionRecord->ExceptionCode);
    Print("\n");
    return EXCEPTION_EXECUTE_HANDLER;
}

void ProgramStart(void)
{
    int passed = 0;

    __try {
        Poke((volatile int *)0x10);
        Print("1: no exception\n");
    } __except (AccessFilter(GetExceptionInformation())) {
        Print("1: access violation writing 0x10 caught\n");
        passed++;
    }

    __try {
        OutPort80();
        Print("2: the port was mine\n");
    } __except (GetExceptionCode() == EXCEPTION_PRIV_INSTRUCTION) {
        Print("2: out 0x80 is a privileged instruction until a driver opens the port\n");
        passed++;
    }

    __try {
        __try {
            Note('t');
            Divide(7);
            Note('x');
        } __finally {
            Note(AbnormalTermination() ? 'F' : 'n');
        }
    } __except (NoteFilter(GetExceptionCode())) {
        Note('e');
    }
    Print("3: ");
    Print(order);
    Print("\n");
    if (order[0] == 't' && order[1] == 'f' && order[2] == 'F' && order[3] == 'e' && order[4] == 0)
        passed++;

    __try {
        __try {
            Poke((volatile int *)0x10);
        } __except (GetExceptionCode() == EXCEPTION_INT_DIVIDE_BY_ZERO) {
            Print("4: the inner handler took it\n");
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Print("4: the inner filter declined, the outer one took it\n");
        passed++;
    }

    __try {
        Undefined();
        Print("5: execution continued after ud2\n");
        passed++;
    } __except (StepOver(GetExceptionInformation())) {
        Print("5: handler\n");
    }

    __try {
        ULONG_PTR args[3] = {1, 2, 3};
        RaiseException(0xE0000001, 0, 3, args);
        Print("6: RaiseException returned\n");
    } __except (RaisedFilter(GetExceptionInformation())) {
        Print("6: RaiseException's record caught\n");
        passed++;
    }

    __try {
        RaiseException(0xE0000002, 0, 0, NULL);
        Print("7: RaiseException returned after the filter continued\n");
        passed++;
    } __except (ContinueFilter(GetExceptionInformation())) {
        Print("7: handler\n");
    }

    __try {
        __try {
            RaiseException(0xE0000003, EXCEPTION_NONCONTINUABLE, 0, NULL);
            Print("8: a noncontinuable exception continued\n");
        } __except (GetExceptionCode() == 0xE0000003 ? EXCEPTION_CONTINUE_EXECUTION : EXCEPTION_CONTINUE_SEARCH) {
            Print("8: inner handler\n");
        }
    } __except (GetExceptionCode() == 0xC0000025) {
        Print("8: continuing a noncontinuable exception is STATUS_NONCONTINUABLE_EXCEPTION\n");
        passed++;
    }

    SetUnhandledExceptionFilter(TopLevel);
    __try {
        RaiseException(0xE0000009, 0, 0, NULL);
    } __except (UnhandledExceptionFilter(GetExceptionInformation())) {
        Print("9: UnhandledExceptionFilter asked the top-level filter\n");
        passed++;
    }

    __try {
        Poke((volatile int *)0x10);
    } __except (_XcptFilter(GetExceptionCode(), GetExceptionInformation())) {
        Print("10: _XcptFilter with no signal handler: the top-level filter decided\n");
        passed++;
    }

    signal(SIGILL, OnSigill);
    __try {
        RaiseException(EXCEPTION_ILLEGAL_INSTRUCTION, 0, 0, NULL);
        Print("11: continued after the SIGILL handler\n");
        if (signal(SIGILL, (SignalHandler)0) == (SignalHandler)0)
            passed++;
    } __except (_XcptFilter(GetExceptionCode(), GetExceptionInformation())) {
        Print("11: handler\n");
    }

    if (passed == 11)
        Print("all exceptions as Windows dispatches them\n");
    Divide(1);
    Print("12: went on after an unhandled exception\n");
    ExitProcess(0);
}
