/*
 * program.h - what the corpus's user programs share (they link no C runtime): printing a
 * string and an unsigned number to standard output.
 */
#ifndef CORPUS_PROGRAM_H
#define CORPUS_PROGRAM_H

#include <windows.h>

static void Print(const char *s)
{
    DWORD n, len = 0;
    while (s[len])
        len++;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), s, len, &n, NULL);
}

static void PrintNum(unsigned long v)
{
    char buf[16];
    int i = 15;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    Print(buf + i);
}

#endif
