/*
 * hello_crt - an ordinary C program, built with mingw-w64's C runtime start-up code and
 * msvcrt.dll (not -nostdlib, unlike the other programs): main gets its arguments from
 * __getmainargs, initialisers run through _initterm, and what it prints goes through
 * printf, fprintf(stderr), puts and fwrite. An atexit function runs after main returns,
 * and main's value is the exit code (written for this project). Run as `hello_crt abort`
 * it sets a SIGABRT handler and aborts: the handler runs, the exit code is 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <locale.h>

static void goodbye(void)
{
    puts("atexit: goodbye");
}

static void on_abort(int sig)
{
    printf("SIGABRT handler: signal %d\n", sig);
}

int main(int argc, char **argv)
{
    char *p = malloc(16), *q;
    int i;

    atexit(goodbye);
    if (argc > 1 && strcmp(argv[1], "abort") == 0) {
        signal(SIGABRT, on_abort);
        abort();
    }
    printf("argc %d\n", argc);
    printf("locale %s %s\n", setlocale(LC_ALL, NULL), localeconv()->decimal_point);
    for (i = 0; i < argc; i++)
        printf("argv[%d] = [%s]\n", i, argv[i]);
    strcpy(p, "hello");
    q = realloc(p, 4096);
    memset(q + 5, '!', 3);
    q[8] = 0;
    printf("%s %u %x %5.2f|%-4s|\n", q, (unsigned)strlen(q), 0xBEEF, 3.14159, "ab");
    printf("strchr %d strncmp %d atoi %d\n", (int)(strchr(q, 'l') - q), strncmp("abc", "abd", 2), atoi("  -42x"));
    free(q);
    q = calloc(4, 4);
    printf("calloc zeroed %d\n", q[0] == 0 && q[15] == 0);
    free(q);
    fprintf(stderr, "to stderr %s\n", strerror(2));
    fwrite("fwrite\n", 1, 7, stdout);
    return argc > 1 ? atoi(argv[argc - 1]) : 0;
}
