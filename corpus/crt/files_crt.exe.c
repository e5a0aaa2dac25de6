/*
 * files_crt - the C runtime's files and console input, as an ordinary C program built with
 * mingw-w64's C runtime and msvcrt.dll (written for this project). Each answer is printed as
 * "what = value" and compared with what msvcrt on Windows answers; the exit code is 0 when
 * all agree, else the number of the first that did not.
 *
 *   text mode    fopen "w", fprintf of two lines, fclose; read back with "rb": "\n" was
 *                written as "\r\n"; read with "r": fgets gives each line with "\n", then
 *                NULL with feof set
 *   append       "a" adds a line at the end; fseek(SEEK_END), ftell, rewind, fgetc
 *   binary       "wb" writes bytes as they are (fwrite), "rb" reads them (fread)
 *   failures     a missing directory (ENOENT), a bad mode (EINVAL), writing a stream
 *                opened for reading (ferror), fclose of a FILE it did not open is not tried
 *   console      getchar, fgets(stdin) and _getch read standard input, which the run gives
 *                ("hi there\nxyz\n")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <conio.h>

static int g_Step, g_Failed;

static void Expect(const char *what, long got, long want)
{
    g_Step++;
    printf("%s = %ld", what, got);
    if (got != want) {
        printf("   (expected %ld)", want);
        if (!g_Failed)
            g_Failed = g_Step;
    }
    printf("\n");
}

static void ExpectText(const char *what, const char *got, const char *want)
{
    g_Step++;
    printf("%s = \"%s\"", what, got ? got : "(null)");
    if (!got || strcmp(got, want) != 0) {
        printf("   (expected \"%s\")", want);
        if (!g_Failed)
            g_Failed = g_Step;
    }
    printf("\n");
}

#define PATH "C:\\crt_notes.txt"

int main(void)
{
    char line[64];
    unsigned char raw[64];
    FILE *f;
    size_t n;

    /* Text mode. */
    f = fopen(PATH, "w");
    Expect("fopen(w) gives a FILE", f != NULL, 1);
    Expect("fprintf", fprintf(f, "alpha\nbeta %d\n", 42), 14);
    Expect("fclose", fclose(f), 0);
    f = fopen(PATH, "rb");
    n = fread(raw, 1, sizeof raw, f);
    Expect("bytes on the volume", (long)n, 16);
    Expect("  byte 5 is CR", raw[5], '\r');
    Expect("  byte 6 is LF", raw[6], '\n');
    Expect("  feof after a short fread", feof(f) != 0, 1);
    fclose(f);
    f = fopen(PATH, "r");
    ExpectText("fgets", fgets(line, sizeof line, f), "alpha\n");
    ExpectText("fgets", fgets(line, sizeof line, f), "beta 42\n");
    Expect("fgets at the end is NULL", fgets(line, sizeof line, f) == NULL, 1);
    Expect("  feof", feof(f) != 0, 1);
    Expect("  ferror", ferror(f), 0);
    /* Writing a stream opened for reading fails and sets its error indicator. */
    Expect("fputs on a read-only stream", fputs("x", f), EOF);
    Expect("  ferror", ferror(f) != 0, 1);
    clearerr(f);
    Expect("  ferror after clearerr", ferror(f), 0);
    fclose(f);

    /* Append. */
    f = fopen(PATH, "a");
    Expect("fputs(a)", fputs("gamma\n", f) >= 0, 1);
    fclose(f);
    f = fopen(PATH, "r");
    Expect("fseek(SEEK_END)", fseek(f, 0, SEEK_END), 0);
    Expect("  ftell", ftell(f), 23);
    rewind(f);
    Expect("fgetc after rewind", fgetc(f), 'a');
    Expect("  ftell", ftell(f), 1);
    Expect("fseek(SEEK_CUR, 4)", fseek(f, 4, SEEK_CUR), 0);
    Expect("  getc (CR LF reads as LF)", getc(f), '\n');
    Expect("  ftell", ftell(f), 7);
    Expect("fseek before the start", fseek(f, -100, SEEK_SET), -1);
    Expect("  errno", errno, EINVAL);
    fclose(f);

    /* Binary. */
    f = fopen(PATH, "wb");
    Expect("fwrite(wb)", (long)fwrite("a\nb\x1a" "c", 1, 5, f), 5);
    fclose(f);
    f = fopen(PATH, "rb");
    Expect("fread(rb)", (long)fread(raw, 1, sizeof raw, f), 5);
    Expect("  byte 1 is LF", raw[1], '\n');
    fclose(f);
    /* Text mode stops at Ctrl-Z. */
    f = fopen(PATH, "rt");
    Expect("fread(rt) stops at Ctrl-Z", (long)fread(raw, 1, sizeof raw, f), 3);
    fclose(f);

    /* Failures. */
    errno = 0;
    Expect("fopen of a missing directory", fopen("C:\\no such dir\\x.txt", "r") == NULL, 1);
    Expect("  errno", errno, ENOENT);
    errno = 0;
    Expect("fopen with a bad mode", fopen(PATH, "z") == NULL, 1);
    Expect("  errno", errno, EINVAL);

    /* The console. */
    Expect("getchar", getchar(), 'h');
    ExpectText("fgets(stdin)", fgets(line, sizeof line, stdin), "i there\n");
    Expect("_getch", _getch(), 'x');
    Expect("getchar", getchar(), 'y');

    printf(g_Failed ? "some answers differ\n" : "all answers as msvcrt gives them\n");
    return g_Failed;
}
