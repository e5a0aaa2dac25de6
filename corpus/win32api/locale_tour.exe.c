/*
 * locale_tour - the locale a C runtime builds its tables from, each answer compared with
 * what Windows 7 (English, United States) answers; prints "locale as Windows answers" and
 * exits with 0 when all agree, else prints each that did not and exits with their number:
 *
 *   identity   GetUserDefaultLCID, GetSystemDefaultLCID, GetThreadLocale,
 *              GetUserDefaultLangID, GetSystemDefaultLangID, GetUserDefaultUILanguage,
 *              IsValidLocale (en-US installed; German not here; bad flags)
 *   info       GetLocaleInfoA/W: the ANSI code page, a month's name, the short date, the
 *              size asked with cchData 0, a buffer too small, LOCALE_RETURN_NUMBER, an
 *              unknown LCTYPE, an unknown locale
 *   types      GetStringTypeW and GetStringTypeA/ExA/ExW (CT_CTYPE1) over letters, digits,
 *              space, tab, punctuation and Latin-1 letters; CT_CTYPE2 is not built
 *   case       LCMapStringW/A to upper and lower case (ß stays; ÿ has no capital in
 *              Windows-1252), the size asked, a buffer too small, LCMAP_BYTEREV, both cases
 *              at once (ERROR_INVALID_FLAGS)
 *   sort       CompareStringW/A (case, hyphens in word and string sort, accents, symbols,
 *              digits, NORM_IGNORE*), lstrcmp/lstrcmpi A and W
 */
#include "program.h"

static int failures;

static void Check(int ok, const char *what)
{
    if (!ok) {
        failures++;
        Print("FAILED: ");
        Print(what);
        Print("\n");
    }
}

static int SameW(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int SameA(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static void Identity(void)
{
    Check(GetUserDefaultLCID() == 0x409 && GetSystemDefaultLCID() == 0x409 && GetThreadLocale() == 0x409,
          "the locale is en-US");
    Check(GetUserDefaultLangID() == 0x409 && GetSystemDefaultLangID() == 0x409 && GetUserDefaultUILanguage() == 0x409,
          "the language is English (United States)");
    Check(IsValidLocale(0x409, LCID_INSTALLED) && IsValidLocale(0x409, LCID_SUPPORTED), "en-US is installed");
    Check(!IsValidLocale(0x407, LCID_INSTALLED), "German is not installed here");
    SetLastError(0);
    Check(!IsValidLocale(0x409, 3) && GetLastError() == ERROR_INVALID_FLAGS, "IsValidLocale's flags are checked");
}

static void Info(void)
{
    WCHAR w[64];
    char a[64];
    DWORD n = 0;
    Check(GetLocaleInfoW(LOCALE_USER_DEFAULT, LOCALE_IDEFAULTANSICODEPAGE, w, 64) == 5 && SameW(w, L"1252"),
          "LOCALE_IDEFAULTANSICODEPAGE is 1252");
    Check(GetLocaleInfoA(LOCALE_SYSTEM_DEFAULT, LOCALE_SMONTHNAME9, a, 64) == 10 && SameA(a, "September"),
          "the ninth month is September");
    Check(GetLocaleInfoA(0x409, LOCALE_SSHORTDATE, a, 64) == 9 && SameA(a, "M/d/yyyy"), "the short date");
    Check(GetLocaleInfoW(0x409, LOCALE_SABBREVDAYNAME7, NULL, 0) == 4, "cchData 0 asks for the size");
    SetLastError(0);
    Check(GetLocaleInfoW(0x409, LOCALE_SENGCOUNTRY, w, 4) == 0 && GetLastError() == ERROR_INSUFFICIENT_BUFFER,
          "a buffer too small");
    Check(GetLocaleInfoW(0x409, LOCALE_IFIRSTDAYOFWEEK | LOCALE_RETURN_NUMBER, (WCHAR *)&n, 2) == 2 && n == 6,
          "LOCALE_RETURN_NUMBER: Sunday (6) begins the week");
    SetLastError(0);
    Check(GetLocaleInfoW(0x409, 0x58, w, 64) == 0 && GetLastError() == ERROR_INVALID_FLAGS, "an unknown LCTYPE");
    SetLastError(0);
    Check(GetLocaleInfoW(0x407, LOCALE_SENGCOUNTRY, w, 64) == 0 && GetLastError() == ERROR_INVALID_PARAMETER,
          "an unknown locale");
}

static void Types(void)
{
    WORD t[8];
    /* A, a, 5, space, tab, !, é, × */
    static const WCHAR s[] = {'A', 'a', '5', ' ', '\t', '!', 0xE9, 0xD7};
    static const WORD want[] = {0x381, 0x382, 0x284, 0x248, 0x268, 0x210, 0x302, 0x210};
    int ok = GetStringTypeW(CT_CTYPE1, s, 8, t);
    for (int i = 0; i < 8; i++)
        ok = ok && t[i] == want[i];
    Check(ok, "GetStringTypeW's CT_CTYPE1 types");
    ok = GetStringTypeA(LOCALE_USER_DEFAULT, CT_CTYPE1, "A5 \xE9\xD7", 5, t);
    Check(ok && t[0] == 0x381 && t[1] == 0x284 && t[2] == 0x248 && t[3] == 0x302 && t[4] == 0x210,
          "GetStringTypeA reads Windows-1252");
    ok = GetStringTypeExA(0x409, CT_CTYPE1, "z", 1, t) && t[0] == 0x302;
    ok = ok && GetStringTypeExW(0x409, CT_CTYPE1, L"Z", 1, t) && t[0] == 0x301;
    Check(ok, "GetStringTypeExA/W");
    SetLastError(0);
    Check(!GetStringTypeW(CT_CTYPE2, L"a", 1, t) && GetLastError() == ERROR_INVALID_FLAGS, "CT_CTYPE2 is not built");
}

static void Case(void)
{
    WCHAR w[16];
    char a[16];
    Check(LCMapStringW(0x409, LCMAP_UPPERCASE, L"stra\xDF" L"e \xFF", -1, w, 16) == 9 &&
              SameW(w, L"STRA\xDF" L"E \x178"),
          "LCMapStringW to upper case (ß stays)");
    Check(LCMapStringW(0x409, LCMAP_LOWERCASE, L"\xC0" L"B", 2, w, 16) == 2 && w[0] == 0xE0 && w[1] == 'b',
          "LCMapStringW to lower case, counted");
    Check(LCMapStringA(0x409, LCMAP_UPPERCASE, "caf\xE9", -1, a, 16) == 5 && SameA(a, "CAF\xC9"),
          "LCMapStringA to upper case");
    Check(LCMapStringA(0x409, LCMAP_UPPERCASE, "\xFF", 1, a, 16) == 1 && (unsigned char)a[0] == 0x9F,
          "LCMapStringA: ÿ's capital is 0x9F in Windows-1252");
    Check(LCMapStringW(0x409, LCMAP_LOWERCASE, L"ABC", -1, NULL, 0) == 4, "cchDest 0 asks for the size");
    SetLastError(0);
    Check(LCMapStringW(0x409, LCMAP_LOWERCASE, L"ABC", -1, w, 2) == 0 && GetLastError() == ERROR_INSUFFICIENT_BUFFER,
          "a buffer too small");
    Check(LCMapStringW(0x409, LCMAP_BYTEREV, L"\x1234", 1, w, 16) == 1 && w[0] == 0x3412, "LCMAP_BYTEREV");
    SetLastError(0);
    Check(LCMapStringW(0x409, LCMAP_LOWERCASE | LCMAP_UPPERCASE, L"a", 1, w, 16) == 0 &&
              GetLastError() == ERROR_INVALID_FLAGS,
          "both cases at once");
}

static void Sort(void)
{
    Check(CompareStringW(0x409, 0, L"a", -1, L"B", -1) == CSTR_LESS_THAN, "a before B");
    Check(CompareStringW(0x409, 0, L"a", -1, L"A", -1) == CSTR_LESS_THAN, "lower case first");
    Check(CompareStringW(0x409, NORM_IGNORECASE, L"a", -1, L"A", -1) == CSTR_EQUAL, "NORM_IGNORECASE");
    Check(CompareStringW(0x409, 0, L"co-op", -1, L"coop", -1) == CSTR_GREATER_THAN &&
              CompareStringW(0x409, 0, L"co-op", -1, L"cop", -1) == CSTR_LESS_THAN,
          "word sort: the hyphen weighs last");
    Check(CompareStringW(0x409, SORT_STRINGSORT, L"co-op", -1, L"coop", -1) == CSTR_LESS_THAN,
          "string sort: the hyphen is a symbol");
    Check(CompareStringW(0x409, 0, L"r\xE9sum\xE9", -1, L"resume", -1) == CSTR_GREATER_THAN &&
              CompareStringW(0x409, NORM_IGNORENONSPACE, L"r\xE9sum\xE9", -1, L"resume", -1) == CSTR_EQUAL,
          "accents weigh after letters");
    Check(CompareStringW(0x409, 0, L"!", -1, L"0", -1) == CSTR_LESS_THAN &&
              CompareStringW(0x409, 0, L"9", -1, L"a", -1) == CSTR_LESS_THAN,
          "symbols, digits, letters");
    Check(CompareStringW(0x409, NORM_IGNORESYMBOLS, L"a.b", -1, L"ab", -1) == CSTR_EQUAL, "NORM_IGNORESYMBOLS");
    Check(CompareStringA(0x409, 0, "Stra\xDF" "e", -1, "Strasse", 7) == CSTR_EQUAL, "ß weighs as ss");
    SetLastError(0);
    Check(CompareStringW(0x409, 0x40, L"a", -1, L"a", -1) == 0 && GetLastError() == ERROR_INVALID_FLAGS,
          "unknown flags");
    Check(lstrcmpA("apple", "Banana") < 0 && lstrcmpW(L"b", L"a") > 0 && lstrcmpA("x", "x") == 0, "lstrcmp");
    Check(lstrcmpiA("ABC", "abc") == 0 && lstrcmpiW(L"abd", L"ABC") > 0 && lstrcmpA(NULL, "a") < 0, "lstrcmpi");
}

void ProgramStart(void)
{
    Identity();
    Info();
    Types();
    Case();
    Sort();
    if (!failures)
        Print("locale as Windows answers\n");
    else {
        PrintNum(failures);
        Print(" disagreed\n");
    }
    ExitProcess(failures);
}
