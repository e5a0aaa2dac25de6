/*
 * fpu_crt - the floating-point control word through msvcrt's _controlfp and _control87, in
 * an ordinary C program: the word its start-up code leaves (mingw-w64's puts the x87 unit at
 * 64-bit precision with fninit on x86; every exception masked), rounding toward zero set and seen by the processor
 * itself (the x87 control word on x86, MXCSR on x64, read with fnstcw/stmxcsr), the
 * precision control (x86), an exception unmasked, and all of it put back.
 */
#include <float.h>
#include <stdio.h>

static int failed;

static void expect(const char *what, unsigned got, unsigned want)
{
    printf("%s = %#x", what, got);
    if (got != want) {
        printf("   (expected %#x)", want);
        failed = 1;
    }
    printf("\n");
}

#ifndef _WIN64
static unsigned short x87_control(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}
#endif

static unsigned mxcsr(void)
{
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}

int main(void)
{
    unsigned start = _controlfp(0, 0);
#ifdef _WIN64
    expect("_controlfp(0, 0)", start, 0x8001F);
#else
    expect("_controlfp(0, 0)", start, 0x8001F);
    expect("  x87 control word", x87_control(), 0x37F);
#endif
    expect("  MXCSR", mxcsr(), 0x1F80);

    expect("_controlfp(_RC_CHOP, _MCW_RC)", _controlfp(_RC_CHOP, _MCW_RC) & _MCW_RC, _RC_CHOP);
#ifdef _WIN64
    expect("  MXCSR rounding", mxcsr() & 0x6000, 0x6000);
#else
    expect("  x87 rounding", x87_control() & 0xC00, 0xC00);
    expect("  MXCSR rounding", mxcsr() & 0x6000, 0x6000);
    expect("_controlfp(_PC_24, _MCW_PC)", _controlfp(_PC_24, _MCW_PC) & _MCW_PC, _PC_24);
    expect("  x87 precision", x87_control() & 0x300, 0);
#endif
    expect("_controlfp(0, _EM_ZERODIVIDE): unmasked", _controlfp(0, _EM_ZERODIVIDE) & _EM_ZERODIVIDE, 0);
    expect("  MXCSR ZM", mxcsr() & 0x200, 0);
    expect("_controlfp(_EM_DENORMAL... leaves _EM_DENORMAL", _controlfp(0, _EM_DENORMAL) & _EM_DENORMAL, _EM_DENORMAL);
    expect("put back", _controlfp(start, 0xFFFFFFFF), start);
#ifndef _WIN64
    expect("  x87 control word", x87_control(), 0x37F);
#endif
    expect("  MXCSR", mxcsr(), 0x1F80);
    printf(failed ? "some answers differ\n" : "all answers as msvcrt gives them\n");
    return failed;
}
