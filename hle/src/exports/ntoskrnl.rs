//! ntoskrnl.exe: every export the kernel implements, one line each (the form of a line is in
//! `table.rs`). An import not listed here (nor, for a routine that moved between the two
//! halves of the kernel, in hal.rs) is missing: see the loader and `signatures.rs`.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::{ex, hal, io, ke, mm, ob, ps, rtl, seh};

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Ntoskrnl,
    data: [
        KeTickCount,
        KeNumberProcessors,
        NtBuildNumber,
        InitSafeBootMode,
        KdDebuggerEnabled,
        KdDebuggerNotPresent,
        PsInitialSystemProcess,
        IoFileObjectType,
        IoDeviceObjectType,
        IoDriverObjectType,
        PsProcessType,
        PsThreadType,
        MmHighestUserAddress,
        MmSystemRangeStart,
        MmUserProbeAddress,
        ExEventObjectType,
        ExSemaphoreObjectType,
    ],
    functions:
    // Run-time library and C runtime (rtl/).
    // Counted Unicode strings (rtl/unicode.rs).
    stdcall fn RtlInitUnicodeString(DestinationString: Ptr, SourceString: PCWSTR) -> () = rtl::unicode::RtlInitUnicodeString;
    stdcall fn RtlInitUnicodeStringEx(DestinationString: Ptr, SourceString: PCWSTR) -> NtStatus = rtl::unicode::RtlInitUnicodeStringEx;
    stdcall fn RtlCopyUnicodeString(DestinationString: Ptr, SourceString: PUnicodeString) -> () = rtl::unicode::RtlCopyUnicodeString;
    stdcall fn RtlAppendUnicodeStringToString(Destination: PUnicodeString, Source: PUnicodeString) -> NtStatus = rtl::unicode::RtlAppendUnicodeStringToString;
    stdcall fn RtlAppendUnicodeToString(Destination: PUnicodeString, Source: PCWSTR) -> NtStatus = rtl::unicode::RtlAppendUnicodeToString;
    stdcall fn RtlCompareUnicodeString(String1: PUnicodeString, String2: PUnicodeString, CaseInSensitive: Boolean) -> i32 = rtl::unicode::RtlCompareUnicodeString;
    stdcall fn RtlCompareUnicodeStrings(String1: PCWSTR, String1Length: SizeT, String2: PCWSTR, String2Length: SizeT, CaseInSensitive: Boolean) -> i32 = rtl::unicode::RtlCompareUnicodeStrings;
    stdcall fn RtlEqualUnicodeString(String1: PUnicodeString, String2: PUnicodeString, CaseInSensitive: Boolean) -> Boolean = rtl::unicode::RtlEqualUnicodeString;
    stdcall fn RtlPrefixUnicodeString(String1: PUnicodeString, String2: PUnicodeString, CaseInSensitive: Boolean) -> Boolean = rtl::unicode::RtlPrefixUnicodeString;
    stdcall fn RtlUpcaseUnicodeString(DestinationString: PUnicodeString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::unicode::RtlUpcaseUnicodeString;
    stdcall fn RtlDowncaseUnicodeString(DestinationString: PUnicodeString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::unicode::RtlDowncaseUnicodeString;
    stdcall fn RtlHashUnicodeString(String: PUnicodeString, CaseInSensitive: Boolean, HashAlgorithm: u32, HashValue: Ptr) -> NtStatus = rtl::unicode::RtlHashUnicodeString;
    stdcall fn RtlDuplicateUnicodeString(Flags: u32, StringIn: PUnicodeString, StringOut: Ptr) -> NtStatus = rtl::unicode::RtlDuplicateUnicodeString;
    stdcall fn RtlFreeUnicodeString(UnicodeString: PUnicodeString) -> () = rtl::unicode::RtlFreeUnicodeString;
    stdcall fn RtlCreateUnicodeString(DestinationString: Ptr, SourceString: PCWSTR) -> Boolean = rtl::unicode::RtlCreateUnicodeString;
    stdcall fn RtlValidateUnicodeString(Flags: u32, String: PUnicodeString) -> NtStatus = rtl::unicode::RtlValidateUnicodeString;
    // Counted byte strings (rtl/ansi.rs).
    stdcall fn RtlInitAnsiString(DestinationString: Ptr, SourceString: PCSTR) -> () = rtl::ansi::RtlInitAnsiString;
    stdcall fn RtlInitAnsiStringEx(DestinationString: Ptr, SourceString: PCSTR) -> NtStatus = rtl::ansi::RtlInitAnsiStringEx;
    stdcall fn RtlInitString(DestinationString: Ptr, SourceString: PCSTR) -> () = rtl::ansi::RtlInitString;
    stdcall fn RtlCopyString(DestinationString: Ptr, SourceString: PAnsiString) -> () = rtl::ansi::RtlCopyString;
    stdcall fn RtlAppendStringToString(Destination: PAnsiString, Source: PAnsiString) -> NtStatus = rtl::ansi::RtlAppendStringToString;
    stdcall fn RtlAppendAsciizToString(Destination: PAnsiString, Source: PCSTR) -> NtStatus = rtl::ansi::RtlAppendAsciizToString;
    stdcall fn RtlCompareString(String1: PAnsiString, String2: PAnsiString, CaseInSensitive: Boolean) -> i32 = rtl::ansi::RtlCompareString;
    stdcall fn RtlEqualString(String1: PAnsiString, String2: PAnsiString, CaseInSensitive: Boolean) -> Boolean = rtl::ansi::RtlEqualString;
    stdcall fn RtlPrefixString(String1: PAnsiString, String2: PAnsiString, CaseInSensitive: Boolean) -> Boolean = rtl::ansi::RtlPrefixString;
    stdcall fn RtlUpperString(DestinationString: PAnsiString, SourceString: PAnsiString) -> () = rtl::ansi::RtlUpperString;
    stdcall fn RtlFreeAnsiString(AnsiString: PAnsiString) -> () = rtl::ansi::RtlFreeAnsiString;
    stdcall fn RtlFreeOemString(OemString: PAnsiString) -> () = rtl::ansi::RtlFreeOemString;
    // Code pages and case (rtl/nls.rs).
    stdcall fn RtlMultiByteToUnicodeN(UnicodeString: Ptr, MaxBytesInUnicodeString: u32, BytesInUnicodeString: Ptr, MultiByteString: PCSTR, BytesInMultiByteString: u32) -> NtStatus = rtl::nls::RtlMultiByteToUnicodeN;
    stdcall fn RtlMultiByteToUnicodeSize(BytesInUnicodeString: Ptr, MultiByteString: PCSTR, BytesInMultiByteString: u32) -> NtStatus = rtl::nls::RtlMultiByteToUnicodeSize;
    stdcall fn RtlUnicodeToMultiByteN(MultiByteString: Ptr, MaxBytesInMultiByteString: u32, BytesInMultiByteString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUnicodeToMultiByteN;
    stdcall fn RtlUnicodeToMultiByteSize(BytesInMultiByteString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUnicodeToMultiByteSize;
    stdcall fn RtlUpcaseUnicodeToMultiByteN(MultiByteString: Ptr, MaxBytesInMultiByteString: u32, BytesInMultiByteString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUpcaseUnicodeToMultiByteN;
    stdcall fn RtlOemToUnicodeN(UnicodeString: Ptr, MaxBytesInUnicodeString: u32, BytesInUnicodeString: Ptr, OemString: PCSTR, BytesInOemString: u32) -> NtStatus = rtl::nls::RtlOemToUnicodeN;
    stdcall fn RtlUnicodeToOemN(OemString: Ptr, MaxBytesInOemString: u32, BytesInOemString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUnicodeToOemN;
    stdcall fn RtlUpcaseUnicodeToOemN(OemString: Ptr, MaxBytesInOemString: u32, BytesInOemString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUpcaseUnicodeToOemN;
    stdcall fn RtlUTF8ToUnicodeN(UnicodeStringDestination: Ptr, UnicodeStringMaxByteCount: u32, UnicodeStringActualByteCount: Ptr, UTF8StringSource: PCSTR, UTF8StringByteCount: u32) -> NtStatus = rtl::nls::RtlUTF8ToUnicodeN;
    stdcall fn RtlUnicodeToUTF8N(UTF8StringDestination: Ptr, UTF8StringMaxByteCount: u32, UTF8StringActualByteCount: Ptr, UnicodeStringSource: PCWSTR, UnicodeStringByteCount: u32) -> NtStatus = rtl::nls::RtlUnicodeToUTF8N;
    stdcall fn RtlUpcaseUnicodeChar(SourceCharacter: u16) -> u16 = rtl::nls::RtlUpcaseUnicodeChar;
    stdcall fn RtlDowncaseUnicodeChar(SourceCharacter: u16) -> u16 = rtl::nls::RtlDowncaseUnicodeChar;
    stdcall fn RtlUpperChar(Character: u8) -> u8 = rtl::nls::RtlUpperChar;
    stdcall fn RtlAnsiCharToUnicodeChar(SourceCharacter: Ptr) -> u16 = rtl::nls::RtlAnsiCharToUnicodeChar;
    stdcall fn RtlIsValidOemCharacter(Char: Ptr) -> Boolean = rtl::nls::RtlIsValidOemCharacter;
    stdcall fn RtlGetDefaultCodePage(AnsiCodePage: Ptr, OemCodePage: Ptr) -> () = rtl::nls::RtlGetDefaultCodePage;
    // Counted-string conversions (rtl/transcode.rs).
    stdcall fn RtlAnsiStringToUnicodeString(DestinationString: PUnicodeString, SourceString: PAnsiString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlAnsiStringToUnicodeString;
    stdcall fn RtlUnicodeStringToAnsiString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUnicodeStringToAnsiString;
    stdcall fn RtlUpcaseUnicodeStringToAnsiString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUpcaseUnicodeStringToAnsiString;
    stdcall fn RtlOemStringToUnicodeString(DestinationString: PUnicodeString, SourceString: PAnsiString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlOemStringToUnicodeString;
    stdcall fn RtlOemStringToCountedUnicodeString(DestinationString: PUnicodeString, SourceString: PAnsiString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlOemStringToCountedUnicodeString;
    stdcall fn RtlUnicodeStringToOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUnicodeStringToOemString;
    stdcall fn RtlUpcaseUnicodeStringToOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUpcaseUnicodeStringToOemString;
    stdcall fn RtlUnicodeStringToCountedOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUnicodeStringToCountedOemString;
    stdcall fn RtlUpcaseUnicodeStringToCountedOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUpcaseUnicodeStringToCountedOemString;
    stdcall fn RtlxAnsiStringToUnicodeSize(AnsiString: PAnsiString) -> u32 = rtl::transcode::RtlxAnsiStringToUnicodeSize;
    stdcall fn RtlAnsiStringToUnicodeSize(AnsiString: PAnsiString) -> u32 = rtl::transcode::RtlxAnsiStringToUnicodeSize;
    stdcall fn RtlxOemStringToUnicodeSize(OemString: PAnsiString) -> u32 = rtl::transcode::RtlxOemStringToUnicodeSize;
    stdcall fn RtlOemStringToUnicodeSize(OemString: PAnsiString) -> u32 = rtl::transcode::RtlxOemStringToUnicodeSize;
    stdcall fn RtlxUnicodeStringToAnsiSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToAnsiSize;
    stdcall fn RtlUnicodeStringToAnsiSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToAnsiSize;
    stdcall fn RtlxUnicodeStringToOemSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToOemSize;
    stdcall fn RtlUnicodeStringToOemSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToOemSize;
    // Integers and GUIDs as text (rtl/convert.rs).
    stdcall fn RtlIntegerToChar(Value: u32, Base: u32, OutputLength: i32, String: Ptr) -> NtStatus = rtl::convert::RtlIntegerToChar;
    stdcall fn RtlIntegerToUnicode(Value: u32, Base: u32, OutputLength: i32, String: Ptr) -> NtStatus = rtl::convert::RtlIntegerToUnicode;
    stdcall fn RtlIntegerToUnicodeString(Value: u32, Base: u32, String: PUnicodeString) -> NtStatus = rtl::convert::RtlIntegerToUnicodeString;
    stdcall fn RtlInt64ToUnicodeString(Value: u64, Base: u32, String: PUnicodeString) -> NtStatus = rtl::convert::RtlInt64ToUnicodeString;
    stdcall fn RtlCharToInteger(String: PCSTR, Base: u32, Value: Ptr) -> NtStatus = rtl::convert::RtlCharToInteger;
    stdcall fn RtlUnicodeStringToInteger(String: PUnicodeString, Base: u32, Value: Ptr) -> NtStatus = rtl::convert::RtlUnicodeStringToInteger;
    stdcall fn RtlStringFromGUID(Guid: Ptr, GuidString: Ptr) -> NtStatus = rtl::convert::RtlStringFromGUID;
    stdcall fn RtlGUIDFromString(GuidString: PUnicodeString, Guid: Ptr) -> NtStatus = rtl::convert::RtlGUIDFromString;
    // Memory (rtl/memory.rs).
    stdcall fn RtlCompareMemory(Source1: Ptr, Source2: Ptr, Length: SizeT) -> SizeT = rtl::memory::RtlCompareMemory;
    stdcall fn RtlCompareMemoryUlong(Source: Ptr, Length: SizeT, Pattern: u32) -> SizeT = rtl::memory::RtlCompareMemoryUlong;
    stdcall fn RtlMoveMemory(Destination: Ptr, Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlMoveMemory;
    #[x64] stdcall fn RtlCopyMemory(Destination: Ptr, Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlCopyMemory;
    #[x64] stdcall fn RtlCopyMemoryNonTemporal(Destination: Ptr, Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlCopyMemoryNonTemporal;
    stdcall fn RtlFillMemory(Destination: Ptr, Length: SizeT, Fill: u8) -> () = rtl::memory::RtlFillMemory;
    stdcall fn RtlZeroMemory(Destination: Ptr, Length: SizeT) -> () = rtl::memory::RtlZeroMemory;
    #[x86] stdcall fn RtlFillMemoryUlong(Destination: Ptr, Length: SizeT, Pattern: u32) -> () = rtl::memory::RtlFillMemoryUlong;
    #[x86] stdcall fn RtlFillMemoryUlonglong(Destination: Ptr, Length: SizeT, Pattern: u64) -> () = rtl::memory::RtlFillMemoryUlonglong;
    fastcall fn RtlPrefetchMemoryNonTemporal(Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlPrefetchMemoryNonTemporal;
    cdecl fn memcpy(Destination: Ptr, Source: Ptr, Count: SizeT) -> Ptr = rtl::memory::memcpy;
    cdecl fn memmove(Destination: Ptr, Source: Ptr, Count: SizeT) -> Ptr = rtl::memory::memmove;
    cdecl fn memset(Destination: Ptr, Value: i32, Count: SizeT) -> Ptr = rtl::memory::memset;
    // Random numbers (rtl/random.rs).
    stdcall fn RtlRandom(Seed: Ptr) -> u32 = rtl::random::RtlRandom;
    stdcall fn RtlRandomEx(Seed: Ptr) -> u32 = rtl::random::RtlRandomEx;
    // C runtime: strings (rtl/crt/string.rs, wide.rs).
    cdecl fn strlen(Str: PCSTR) -> SizeT = rtl::crt::string::strlen;
    cdecl fn strnlen(Str: PCSTR, MaxCount: SizeT) -> SizeT = rtl::crt::string::strnlen;
    cdecl fn strcpy(Dest: Ptr, Source: PCSTR) -> Ptr = rtl::crt::string::strcpy;
    cdecl fn strncpy(Dest: Ptr, Source: PCSTR, Count: SizeT) -> Ptr = rtl::crt::string::strncpy;
    cdecl fn strcat(Dest: Ptr, Source: PCSTR) -> Ptr = rtl::crt::string::strcat;
    cdecl fn strncat(Dest: Ptr, Source: PCSTR, Count: SizeT) -> Ptr = rtl::crt::string::strncat;
    cdecl fn strcmp(Str1: PCSTR, Str2: PCSTR) -> i32 = rtl::crt::string::strcmp;
    cdecl fn strncmp(Str1: PCSTR, Str2: PCSTR, MaxCount: SizeT) -> i32 = rtl::crt::string::strncmp;
    cdecl fn _stricmp(Str1: PCSTR, Str2: PCSTR) -> i32 = rtl::crt::string::_stricmp;
    cdecl fn _strnicmp(Str1: PCSTR, Str2: PCSTR, MaxCount: SizeT) -> i32 = rtl::crt::string::_strnicmp;
    cdecl fn strchr(Str: PCSTR, Val: i32) -> Ptr = rtl::crt::string::strchr;
    cdecl fn strrchr(Str: PCSTR, Ch: i32) -> Ptr = rtl::crt::string::strrchr;
    cdecl fn strstr(Str: PCSTR, SubStr: PCSTR) -> Ptr = rtl::crt::string::strstr;
    cdecl fn strspn(Str: PCSTR, Control: PCSTR) -> SizeT = rtl::crt::string::strspn;
    cdecl fn _strlwr(String: Ptr) -> Ptr = rtl::crt::string::_strlwr;
    cdecl fn strlwr(Str: Ptr) -> Ptr = rtl::crt::string::_strlwr;
    cdecl fn _strupr(String: Ptr) -> Ptr = rtl::crt::string::_strupr;
    cdecl fn _strrev(Str: Ptr) -> Ptr = rtl::crt::string::_strrev;
    cdecl fn _strset(Str: Ptr, Val: i32) -> Ptr = rtl::crt::string::_strset;
    cdecl fn _strnset(Str: Ptr, Val: i32, MaxCount: SizeT) -> Ptr = rtl::crt::string::_strnset;
    cdecl fn strcpy_s(Dest: Ptr, DestSize: SizeT, Source: PCSTR) -> i32 = rtl::crt::string::strcpy_s;
    cdecl fn strncpy_s(Dest: Ptr, DestSize: SizeT, Source: PCSTR, Count: SizeT) -> i32 = rtl::crt::string::strncpy_s;
    cdecl fn strcat_s(Dest: Ptr, DestSize: SizeT, Source: PCSTR) -> i32 = rtl::crt::string::strcat_s;
    cdecl fn strncat_s(Dest: Ptr, DestSize: SizeT, Source: PCSTR, Count: SizeT) -> i32 = rtl::crt::string::strncat_s;
    cdecl fn _strset_s(Str: Ptr, Size: SizeT, Val: i32) -> i32 = rtl::crt::string::_strset_s;
    cdecl fn _strnset_s(Str: Ptr, Size: SizeT, Val: i32, MaxCount: SizeT) -> i32 = rtl::crt::string::_strnset_s;
    cdecl fn strtok_s(Str: Ptr, Delimiters: PCSTR, Context: Ptr) -> Ptr = rtl::crt::string::strtok_s;
    cdecl fn memchr(Buf: Ptr, Val: i32, MaxCount: SizeT) -> Ptr = rtl::crt::string::memchr;
    #[x64] cdecl fn memcmp(Buf1: Ptr, Buf2: Ptr, Size: SizeT) -> i32 = rtl::crt::string::memcmp;
    cdecl fn memcpy_s(Dest: Ptr, DestSize: SizeT, Source: Ptr, Count: SizeT) -> i32 = rtl::crt::string::memcpy_s;
    cdecl fn memmove_s(Dest: Ptr, DestSize: SizeT, Source: Ptr, Count: SizeT) -> i32 = rtl::crt::string::memmove_s;
    cdecl fn wcslen(Str: PCWSTR) -> SizeT = rtl::crt::wide::wcslen;
    cdecl fn wcsnlen(Str: PCWSTR, MaxCount: SizeT) -> SizeT = rtl::crt::wide::wcsnlen;
    cdecl fn wcscpy(Dest: Ptr, Source: PCWSTR) -> Ptr = rtl::crt::wide::wcscpy;
    cdecl fn wcsncpy(Dest: Ptr, Source: PCWSTR, Count: SizeT) -> Ptr = rtl::crt::wide::wcsncpy;
    cdecl fn wcscat(Dest: Ptr, Source: PCWSTR) -> Ptr = rtl::crt::wide::wcscat;
    cdecl fn wcsncat(Dest: Ptr, Source: PCWSTR, Count: SizeT) -> Ptr = rtl::crt::wide::wcsncat;
    cdecl fn wcscmp(Str1: PCWSTR, Str2: PCWSTR) -> i32 = rtl::crt::wide::wcscmp;
    cdecl fn wcsncmp(Str1: PCWSTR, Str2: PCWSTR, MaxCount: SizeT) -> i32 = rtl::crt::wide::wcsncmp;
    cdecl fn _wcsicmp(Str1: PCWSTR, Str2: PCWSTR) -> i32 = rtl::crt::wide::_wcsicmp;
    cdecl fn _wcsnicmp(Str1: PCWSTR, Str2: PCWSTR, MaxCount: SizeT) -> i32 = rtl::crt::wide::_wcsnicmp;
    cdecl fn wcschr(Str: PCWSTR, Ch: u16) -> Ptr = rtl::crt::wide::wcschr;
    cdecl fn wcsrchr(Str: PCWSTR, Ch: u16) -> Ptr = rtl::crt::wide::wcsrchr;
    cdecl fn wcsstr(Str: PCWSTR, SubStr: PCWSTR) -> Ptr = rtl::crt::wide::wcsstr;
    cdecl fn wcsspn(Str: PCWSTR, Control: PCWSTR) -> SizeT = rtl::crt::wide::wcsspn;
    cdecl fn wcscspn(Str: PCWSTR, Control: PCWSTR) -> SizeT = rtl::crt::wide::wcscspn;
    cdecl fn _wcslwr(String: Ptr) -> Ptr = rtl::crt::wide::_wcslwr;
    cdecl fn wcslwr(Str: Ptr) -> Ptr = rtl::crt::wide::_wcslwr;
    cdecl fn _wcsupr(String: Ptr) -> Ptr = rtl::crt::wide::_wcsupr;
    cdecl fn _wcsrev(Str: Ptr) -> Ptr = rtl::crt::wide::_wcsrev;
    cdecl fn _wcsnset(Str: Ptr, Val: u16, MaxCount: SizeT) -> Ptr = rtl::crt::wide::_wcsnset;
    cdecl fn wcscpy_s(Destination: Ptr, SizeInWords: SizeT, Source: PCWSTR) -> i32 = rtl::crt::wide::wcscpy_s;
    cdecl fn wcsncpy_s(Destination: Ptr, SizeInWords: SizeT, Source: PCWSTR, Count: SizeT) -> i32 = rtl::crt::wide::wcsncpy_s;
    cdecl fn wcscat_s(Destination: Ptr, SizeInWords: SizeT, Source: PCWSTR) -> i32 = rtl::crt::wide::wcscat_s;
    cdecl fn wcsncat_s(Destination: Ptr, SizeInWords: SizeT, Source: PCWSTR, Count: SizeT) -> i32 = rtl::crt::wide::wcsncat_s;
    cdecl fn _wcsset_s(Str: Ptr, SizeInWords: SizeT, Val: u16) -> i32 = rtl::crt::wide::_wcsset_s;
    cdecl fn _wcsnset_s(Str: Ptr, SizeInWords: SizeT, Val: u16, MaxCount: SizeT) -> i32 = rtl::crt::wide::_wcsnset_s;
    // C runtime: characters and numbers (rtl/crt/ctype.rs, convert.rs).
    cdecl fn isdigit(C: i32) -> i32 = rtl::crt::ctype::isdigit;
    cdecl fn islower(C: i32) -> i32 = rtl::crt::ctype::islower;
    cdecl fn isupper(C: i32) -> i32 = rtl::crt::ctype::isupper;
    cdecl fn isspace(C: i32) -> i32 = rtl::crt::ctype::isspace;
    cdecl fn isxdigit(C: i32) -> i32 = rtl::crt::ctype::isxdigit;
    cdecl fn isprint(C: i32) -> i32 = rtl::crt::ctype::isprint;
    cdecl fn tolower(C: i32) -> i32 = rtl::crt::ctype::tolower;
    cdecl fn toupper(C: i32) -> i32 = rtl::crt::ctype::toupper;
    cdecl fn towlower(C: u16) -> u16 = rtl::crt::ctype::towlower;
    cdecl fn towupper(C: u16) -> u16 = rtl::crt::ctype::towupper;
    cdecl fn atoi(Str: PCSTR) -> i32 = rtl::crt::convert::atoi;
    cdecl fn atol(Str: PCSTR) -> i32 = rtl::crt::convert::atol;
    cdecl fn _wtoi(Str: PCWSTR) -> i32 = rtl::crt::convert::_wtoi;
    cdecl fn _wtol(Str: PCWSTR) -> i32 = rtl::crt::convert::_wtol;
    cdecl fn wcstoul(Str: PCWSTR, EndPtr: Ptr, Radix: i32) -> u32 = rtl::crt::convert::wcstoul;
    cdecl fn _strtoui64(String: PCSTR, EndPtr: Ptr, Radix: i32) -> u64 = rtl::crt::convert::_strtoui64;
    cdecl fn _itoa(Value: i32, Dest: Ptr, Radix: i32) -> Ptr = rtl::crt::convert::_itoa;
    cdecl fn _itow(Value: i32, Dest: Ptr, Radix: i32) -> Ptr = rtl::crt::convert::_itow;
    cdecl fn _itoa_s(Value: i32, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_itoa_s;
    cdecl fn _itow_s(Value: i32, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_itow_s;
    cdecl fn _ltoa_s(Value: i32, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_ltoa_s;
    cdecl fn _ltow_s(Value: i32, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_ltow_s;
    cdecl fn _ultoa_s(Value: u32, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_ultoa_s;
    cdecl fn _ultow_s(Value: u32, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_ultow_s;
    cdecl fn _i64toa_s(Value: i64, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_i64toa_s;
    cdecl fn _i64tow_s(Value: i64, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_i64tow_s;
    cdecl fn _ui64toa_s(Value: u64, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_ui64toa_s;
    cdecl fn _ui64tow_s(Value: u64, Buffer: Ptr, Size: SizeT, Radix: i32) -> i32 = rtl::crt::convert::_ui64tow_s;
    cdecl fn mbstowcs(Dest: Ptr, Source: PCSTR, MaxCount: SizeT) -> SizeT = rtl::crt::convert::mbstowcs;
    cdecl fn wcstombs(Dest: Ptr, Source: PCWSTR, MaxCount: SizeT) -> SizeT = rtl::crt::convert::wcstombs;
    cdecl fn mbtowc(DstCh: Ptr, SrcCh: PCSTR, SrcSizeInBytes: SizeT) -> i32 = rtl::crt::convert::mbtowc;
    cdecl fn wctomb(MbCh: Ptr, WCh: u16) -> i32 = rtl::crt::convert::wctomb;
    // C runtime: formatting (rtl/crt/format.rs).
    #[varargs] cdecl fn sprintf(Dest: Ptr, Format: PCSTR) -> i32 = rtl::crt::format::sprintf;
    cdecl fn vsprintf(Dest: Ptr, Format: PCSTR, Args: Ptr) -> i32 = rtl::crt::format::vsprintf;
    #[varargs] cdecl fn _snprintf(Dest: Ptr, Count: SizeT, Format: PCSTR) -> i32 = rtl::crt::format::_snprintf;
    cdecl fn _vsnprintf(Dest: Ptr, Count: SizeT, Format: PCSTR, Args: Ptr) -> i32 = rtl::crt::format::_vsnprintf;
    #[varargs] cdecl fn swprintf(Dest: Ptr, Format: PCWSTR) -> i32 = rtl::crt::format::swprintf;
    #[varargs] cdecl fn _swprintf(Dest: Ptr, Format: PCWSTR) -> i32 = rtl::crt::format::swprintf;
    cdecl fn _vswprintf(Dest: Ptr, Format: PCWSTR, Args: Ptr) -> i32 = rtl::crt::format::_vswprintf;
    #[varargs] cdecl fn _snwprintf(Dest: Ptr, Count: SizeT, Format: PCWSTR) -> i32 = rtl::crt::format::_snwprintf;
    cdecl fn _vsnwprintf(Dest: Ptr, Count: SizeT, Format: PCWSTR, Args: Ptr) -> i32 = rtl::crt::format::_vsnwprintf;
    #[varargs] cdecl fn sprintf_s(Dest: Ptr, Size: SizeT, Format: PCSTR) -> i32 = rtl::crt::format::sprintf_s;
    cdecl fn vsprintf_s(Dest: Ptr, Size: SizeT, Format: PCSTR, Args: Ptr) -> i32 = rtl::crt::format::vsprintf_s;
    #[varargs] cdecl fn _snprintf_s(Dest: Ptr, Size: SizeT, Count: SizeT, Format: PCSTR) -> i32 = rtl::crt::format::_snprintf_s;
    cdecl fn _vsnprintf_s(Dest: Ptr, Size: SizeT, Count: SizeT, Format: PCSTR, Args: Ptr) -> i32 = rtl::crt::format::_vsnprintf_s;
    #[varargs] cdecl fn swprintf_s(Dest: Ptr, Size: SizeT, Format: PCWSTR) -> i32 = rtl::crt::format::swprintf_s;
    cdecl fn vswprintf_s(Dest: Ptr, Size: SizeT, Format: PCWSTR, Args: Ptr) -> i32 = rtl::crt::format::vswprintf_s;
    #[varargs] cdecl fn _snwprintf_s(Dest: Ptr, Size: SizeT, Count: SizeT, Format: PCWSTR) -> i32 = rtl::crt::format::_snwprintf_s;
    cdecl fn _vsnwprintf_s(Dest: Ptr, Size: SizeT, Count: SizeT, Format: PCWSTR, Args: Ptr) -> i32 = rtl::crt::format::_vsnwprintf_s;
    // C runtime: sorting, random numbers, compiler helpers (rtl/crt/sort.rs, random.rs, math.rs).
    cdecl fn qsort(Base: Ptr, NumOfElements: SizeT, SizeOfElements: SizeT, PtFuncCompare: Ptr) -> () = rtl::crt::sort::qsort;
    cdecl fn bsearch(Key: Ptr, Base: Ptr, NumOfElements: SizeT, SizeOfElements: SizeT, PtFuncCompare: Ptr) -> Ptr = rtl::crt::sort::bsearch;
    cdecl fn rand() -> i32 = rtl::crt::random::rand;
    cdecl fn srand(Seed: u32) -> () = rtl::crt::random::srand;
    #[x86] stdcall fn _allmul(Multiplicand: i64, Multiplier: i64) -> i64 = rtl::crt::math::_allmul;
    #[x86] stdcall fn _alldiv(Dividend: i64, Divisor: i64) -> i64 = rtl::crt::math::_alldiv;
    #[x86] stdcall fn _aulldiv(Dividend: u64, Divisor: u64) -> u64 = rtl::crt::math::_aulldiv;
    #[x86] stdcall fn _allrem(Dividend: i64, Divisor: i64) -> i64 = rtl::crt::math::_allrem;
    #[x86] stdcall fn _aullrem(Dividend: u64, Divisor: u64) -> u64 = rtl::crt::math::_aullrem;
    #[x86] stdcall fn _alldvrm(Dividend: i64, Divisor: i64) -> i64 = rtl::crt::math::_alldvrm;
    #[x86] stdcall fn _aulldvrm(Dividend: u64, Divisor: u64) -> u64 = rtl::crt::math::_aulldvrm;
    #[x86] #[regs] cdecl fn _allshl(Value: u64, Count: u8) -> u64 = rtl::crt::math::_allshl;
    #[x86] #[regs] cdecl fn _allshr(Value: i64, Count: u8) -> i64 = rtl::crt::math::_allshr;
    #[x86] #[regs] cdecl fn _aullshr(Value: u64, Count: u8) -> u64 = rtl::crt::math::_aullshr;
    #[x64] #[regs] cdecl fn __chkstk(Size: SizeT) -> SizeT = rtl::crt::math::__chkstk;
    // Bitmaps (rtl/bitmap.rs).
    stdcall fn RtlInitializeBitMap(BitMapHeader: Ptr, BitMapBuffer: Ptr, SizeOfBitMap: u32) -> () = rtl::bitmap::RtlInitializeBitMap;
    stdcall fn RtlClearAllBits(BitMapHeader: Ptr) -> () = rtl::bitmap::RtlClearAllBits;
    stdcall fn RtlSetAllBits(BitMapHeader: Ptr) -> () = rtl::bitmap::RtlSetAllBits;
    stdcall fn RtlClearBit(BitMapHeader: Ptr, BitNumber: u32) -> () = rtl::bitmap::RtlClearBit;
    stdcall fn RtlSetBit(BitMapHeader: Ptr, BitNumber: u32) -> () = rtl::bitmap::RtlSetBit;
    stdcall fn RtlTestBit(BitMapHeader: Ptr, BitNumber: u32) -> Boolean = rtl::bitmap::RtlTestBit;
    stdcall fn RtlClearBits(BitMapHeader: Ptr, StartingIndex: u32, NumberToClear: u32) -> () = rtl::bitmap::RtlClearBits;
    stdcall fn RtlSetBits(BitMapHeader: Ptr, StartingIndex: u32, NumberToSet: u32) -> () = rtl::bitmap::RtlSetBits;
    stdcall fn RtlAreBitsClear(BitMapHeader: Ptr, StartingIndex: u32, Length: u32) -> Boolean = rtl::bitmap::RtlAreBitsClear;
    stdcall fn RtlAreBitsSet(BitMapHeader: Ptr, StartingIndex: u32, Length: u32) -> Boolean = rtl::bitmap::RtlAreBitsSet;
    stdcall fn RtlNumberOfClearBits(BitMapHeader: Ptr) -> u32 = rtl::bitmap::RtlNumberOfClearBits;
    stdcall fn RtlNumberOfSetBits(BitMapHeader: Ptr) -> u32 = rtl::bitmap::RtlNumberOfSetBits;
    stdcall fn RtlFindClearBits(BitMapHeader: Ptr, NumberToFind: u32, HintIndex: u32) -> u32 = rtl::bitmap::RtlFindClearBits;
    stdcall fn RtlFindSetBits(BitMapHeader: Ptr, NumberToFind: u32, HintIndex: u32) -> u32 = rtl::bitmap::RtlFindSetBits;
    stdcall fn RtlFindClearBitsAndSet(BitMapHeader: Ptr, NumberToFind: u32, HintIndex: u32) -> u32 = rtl::bitmap::RtlFindClearBitsAndSet;
    stdcall fn RtlFindSetBitsAndClear(BitMapHeader: Ptr, NumberToFind: u32, HintIndex: u32) -> u32 = rtl::bitmap::RtlFindSetBitsAndClear;
    stdcall fn RtlFindFirstRunClear(BitMapHeader: Ptr, StartingIndex: Ptr) -> u32 = rtl::bitmap::RtlFindFirstRunClear;
    stdcall fn RtlFindNextForwardRunClear(BitMapHeader: Ptr, FromIndex: u32, StartingRunIndex: Ptr) -> u32 = rtl::bitmap::RtlFindNextForwardRunClear;
    stdcall fn RtlFindLastBackwardRunClear(BitMapHeader: Ptr, FromIndex: u32, StartingRunIndex: Ptr) -> u32 = rtl::bitmap::RtlFindLastBackwardRunClear;
    stdcall fn RtlFindLongestRunClear(BitMapHeader: Ptr, StartingIndex: Ptr) -> u32 = rtl::bitmap::RtlFindLongestRunClear;
    stdcall fn RtlFindClearRuns(BitMapHeader: Ptr, RunArray: Ptr, SizeOfRunArray: u32, LocateLongestRuns: Boolean) -> u32 = rtl::bitmap::RtlFindClearRuns;
    stdcall fn RtlFindLeastSignificantBit(Set: u64) -> i32 = rtl::bitmap::RtlFindLeastSignificantBit;
    stdcall fn RtlFindMostSignificantBit(Set: u64) -> i32 = rtl::bitmap::RtlFindMostSignificantBit;
    stdcall fn RtlNumberOfSetBitsUlongPtr(Target: SizeT) -> u32 = rtl::bitmap::RtlNumberOfSetBitsUlongPtr;
    // Splay trees, generic tables, AVL tables (rtl/splay.rs, gentable.rs, avltable.rs).
    stdcall fn RtlSplay(Links: Ptr) -> Ptr = rtl::splay::RtlSplay;
    stdcall fn RtlDelete(Links: Ptr) -> Ptr = rtl::splay::RtlDelete;
    stdcall fn RtlDeleteNoSplay(Links: Ptr, Root: Ptr) -> () = rtl::splay::RtlDeleteNoSplay;
    stdcall fn RtlSubtreeSuccessor(Links: Ptr) -> Ptr = rtl::splay::RtlSubtreeSuccessor;
    stdcall fn RtlSubtreePredecessor(Links: Ptr) -> Ptr = rtl::splay::RtlSubtreePredecessor;
    stdcall fn RtlRealSuccessor(Links: Ptr) -> Ptr = rtl::splay::RtlRealSuccessor;
    stdcall fn RtlRealPredecessor(Links: Ptr) -> Ptr = rtl::splay::RtlRealPredecessor;
    stdcall fn RtlInitializeGenericTable(Table: Ptr, CompareRoutine: Ptr, AllocateRoutine: Ptr, FreeRoutine: Ptr, TableContext: Ptr) -> () = rtl::gentable::RtlInitializeGenericTable;
    stdcall fn RtlInsertElementGenericTable(Table: Ptr, Buffer: Ptr, BufferSize: u32, NewElement: Ptr) -> Ptr = rtl::gentable::RtlInsertElementGenericTable;
    stdcall fn RtlInsertElementGenericTableFull(Table: Ptr, Buffer: Ptr, BufferSize: u32, NewElement: Ptr, NodeOrParent: Ptr, SearchResult: u32) -> Ptr = rtl::gentable::RtlInsertElementGenericTableFull;
    stdcall fn RtlLookupElementGenericTable(Table: Ptr, Buffer: Ptr) -> Ptr = rtl::gentable::RtlLookupElementGenericTable;
    stdcall fn RtlLookupElementGenericTableFull(Table: Ptr, Buffer: Ptr, NodeOrParent: Ptr, SearchResult: Ptr) -> Ptr = rtl::gentable::RtlLookupElementGenericTableFull;
    stdcall fn RtlDeleteElementGenericTable(Table: Ptr, Buffer: Ptr) -> Boolean = rtl::gentable::RtlDeleteElementGenericTable;
    stdcall fn RtlEnumerateGenericTable(Table: Ptr, Restart: Boolean) -> Ptr = rtl::gentable::RtlEnumerateGenericTable;
    stdcall fn RtlEnumerateGenericTableWithoutSplaying(Table: Ptr, RestartKey: Ptr) -> Ptr = rtl::gentable::RtlEnumerateGenericTableWithoutSplaying;
    stdcall fn RtlGetElementGenericTable(Table: Ptr, I: u32) -> Ptr = rtl::gentable::RtlGetElementGenericTable;
    stdcall fn RtlNumberGenericTableElements(Table: Ptr) -> u32 = rtl::gentable::RtlNumberGenericTableElements;
    stdcall fn RtlIsGenericTableEmpty(Table: Ptr) -> Boolean = rtl::gentable::RtlIsGenericTableEmpty;
    stdcall fn RtlInitializeGenericTableAvl(Table: Ptr, CompareRoutine: Ptr, AllocateRoutine: Ptr, FreeRoutine: Ptr, TableContext: Ptr) -> () = rtl::avltable::RtlInitializeGenericTableAvl;
    stdcall fn RtlInsertElementGenericTableAvl(Table: Ptr, Buffer: Ptr, BufferSize: u32, NewElement: Ptr) -> Ptr = rtl::avltable::RtlInsertElementGenericTableAvl;
    stdcall fn RtlInsertElementGenericTableFullAvl(Table: Ptr, Buffer: Ptr, BufferSize: u32, NewElement: Ptr, NodeOrParent: Ptr, SearchResult: u32) -> Ptr = rtl::avltable::RtlInsertElementGenericTableFullAvl;
    stdcall fn RtlLookupElementGenericTableAvl(Table: Ptr, Buffer: Ptr) -> Ptr = rtl::avltable::RtlLookupElementGenericTableAvl;
    stdcall fn RtlLookupElementGenericTableFullAvl(Table: Ptr, Buffer: Ptr, NodeOrParent: Ptr, SearchResult: Ptr) -> Ptr = rtl::avltable::RtlLookupElementGenericTableFullAvl;
    stdcall fn RtlLookupFirstMatchingElementGenericTableAvl(Table: Ptr, Buffer: Ptr, RestartKey: Ptr) -> Ptr = rtl::avltable::RtlLookupFirstMatchingElementGenericTableAvl;
    stdcall fn RtlDeleteElementGenericTableAvl(Table: Ptr, Buffer: Ptr) -> Boolean = rtl::avltable::RtlDeleteElementGenericTableAvl;
    stdcall fn RtlEnumerateGenericTableAvl(Table: Ptr, Restart: Boolean) -> Ptr = rtl::avltable::RtlEnumerateGenericTableAvl;
    stdcall fn RtlEnumerateGenericTableWithoutSplayingAvl(Table: Ptr, RestartKey: Ptr) -> Ptr = rtl::avltable::RtlEnumerateGenericTableWithoutSplayingAvl;
    stdcall fn RtlGetElementGenericTableAvl(Table: Ptr, I: u32) -> Ptr = rtl::avltable::RtlGetElementGenericTableAvl;
    stdcall fn RtlNumberGenericTableElementsAvl(Table: Ptr) -> u32 = rtl::avltable::RtlNumberGenericTableElementsAvl;
    stdcall fn RtlIsGenericTableEmptyAvl(Table: Ptr) -> Boolean = rtl::avltable::RtlIsGenericTableEmptyAvl;
    // Time (rtl/time.rs).
    stdcall fn RtlTimeToTimeFields(Time: Ptr, TimeFields: Ptr) -> () = rtl::time::RtlTimeToTimeFields;
    stdcall fn RtlTimeFieldsToTime(TimeFields: Ptr, Time: Ptr) -> Boolean = rtl::time::RtlTimeFieldsToTime;
    stdcall fn RtlTimeToElapsedTimeFields(Time: Ptr, TimeFields: Ptr) -> () = rtl::time::RtlTimeToElapsedTimeFields;
    stdcall fn RtlTimeToSecondsSince1970(Time: Ptr, ElapsedSeconds: Ptr) -> Boolean = rtl::time::RtlTimeToSecondsSince1970;
    stdcall fn RtlTimeToSecondsSince1980(Time: Ptr, ElapsedSeconds: Ptr) -> Boolean = rtl::time::RtlTimeToSecondsSince1980;
    stdcall fn RtlSecondsSince1970ToTime(ElapsedSeconds: u32, Time: Ptr) -> () = rtl::time::RtlSecondsSince1970ToTime;
    stdcall fn RtlSecondsSince1980ToTime(ElapsedSeconds: u32, Time: Ptr) -> () = rtl::time::RtlSecondsSince1980ToTime;
    stdcall fn ExSystemTimeToLocalTime(SystemTime: Ptr, LocalTime: Ptr) -> () = rtl::time::ExSystemTimeToLocalTime;
    stdcall fn ExLocalTimeToSystemTime(LocalTime: Ptr, SystemTime: Ptr) -> () = rtl::time::ExLocalTimeToSystemTime;
    stdcall fn RtlSystemTimeToLocalTime(SystemTime: Ptr, LocalTime: Ptr) -> NtStatus = rtl::time::RtlSystemTimeToLocalTime;
    stdcall fn RtlLocalTimeToSystemTime(LocalTime: Ptr, SystemTime: Ptr) -> NtStatus = rtl::time::RtlLocalTimeToSystemTime;
    // Checksums, large integers, heaps, assertions (rtl/crc.rs, largeint.rs, heap.rs, assert.rs).
    stdcall fn RtlComputeCrc32(PartialCrc: u32, Buffer: Ptr, Length: u32) -> u32 = rtl::crc::RtlComputeCrc32;
    #[x86] stdcall fn RtlLargeIntegerAdd(Addend1: i64, Addend2: i64) -> i64 = rtl::largeint::RtlLargeIntegerAdd;
    #[x86] stdcall fn RtlLargeIntegerSubtract(Minuend: i64, Subtrahend: i64) -> i64 = rtl::largeint::RtlLargeIntegerSubtract;
    #[x86] stdcall fn RtlLargeIntegerNegate(Subtrahend: i64) -> i64 = rtl::largeint::RtlLargeIntegerNegate;
    #[x86] stdcall fn RtlLargeIntegerShiftLeft(LargeInteger: i64, ShiftCount: u8) -> i64 = rtl::largeint::RtlLargeIntegerShiftLeft;
    #[x86] stdcall fn RtlLargeIntegerShiftRight(LargeInteger: i64, ShiftCount: u8) -> i64 = rtl::largeint::RtlLargeIntegerShiftRight;
    #[x86] stdcall fn RtlLargeIntegerArithmeticShift(LargeInteger: i64, ShiftCount: u8) -> i64 = rtl::largeint::RtlLargeIntegerArithmeticShift;
    #[x86] stdcall fn RtlLargeIntegerDivide(Dividend: u64, Divisor: u64, Remainder: Ptr) -> u64 = rtl::largeint::RtlLargeIntegerDivide;
    #[x86] stdcall fn RtlExtendedLargeIntegerDivide(Dividend: u64, Divisor: u32, Remainder: Ptr) -> u64 = rtl::largeint::RtlExtendedLargeIntegerDivide;
    #[x86] stdcall fn RtlExtendedMagicDivide(Dividend: i64, MagicDivisor: u64, ShiftCount: u8) -> i64 = rtl::largeint::RtlExtendedMagicDivide;
    #[x86] stdcall fn RtlExtendedIntegerMultiply(Multiplicand: i64, Multiplier: i32) -> i64 = rtl::largeint::RtlExtendedIntegerMultiply;
    #[x86] stdcall fn RtlEnlargedIntegerMultiply(Multiplicand: i32, Multiplier: i32) -> i64 = rtl::largeint::RtlEnlargedIntegerMultiply;
    #[x86] stdcall fn RtlEnlargedUnsignedMultiply(Multiplicand: u32, Multiplier: u32) -> u64 = rtl::largeint::RtlEnlargedUnsignedMultiply;
    #[x86] stdcall fn RtlEnlargedUnsignedDivide(Dividend: u64, Divisor: u32, Remainder: Ptr) -> u32 = rtl::largeint::RtlEnlargedUnsignedDivide;
    #[x86] stdcall fn RtlConvertLongToLargeInteger(SignedInteger: i32) -> i64 = rtl::largeint::RtlConvertLongToLargeInteger;
    #[x86] stdcall fn RtlConvertUlongToLargeInteger(UnsignedInteger: u32) -> u64 = rtl::largeint::RtlConvertUlongToLargeInteger;
    #[x86] fastcall fn RtlUlongByteSwap(Source: u32) -> u32 = rtl::largeint::RtlUlongByteSwap;
    #[x86] fastcall fn RtlUshortByteSwap(Source: u16) -> u16 = rtl::largeint::RtlUshortByteSwap;
    stdcall fn RtlCreateHeap(Flags: u32, HeapBase: Ptr, ReserveSize: SizeT, CommitSize: SizeT, Lock: Ptr, Parameters: Ptr) -> Ptr = rtl::heap::RtlCreateHeap;
    stdcall fn RtlAllocateHeap(HeapHandle: Ptr, Flags: u32, Size: SizeT) -> Ptr = rtl::heap::RtlAllocateHeap;
    stdcall fn RtlFreeHeap(HeapHandle: Ptr, Flags: u32, BaseAddress: Ptr) -> Boolean = rtl::heap::RtlFreeHeap;
    stdcall fn RtlSizeHeap(HeapHandle: Ptr, Flags: u32, MemoryPointer: Ptr) -> SizeT = rtl::heap::RtlSizeHeap;
    stdcall fn RtlDestroyHeap(HeapHandle: Ptr) -> Ptr = rtl::heap::RtlDestroyHeap;
    stdcall fn RtlAssert(FailedAssertion: PCSTR, FileName: PCSTR, LineNumber: u32, Message: PCSTR) -> () = rtl::assert::RtlAssert;
    // Images and system routines (rtl/image.rs).
    stdcall fn RtlImageNtHeader(Base: Ptr) -> Ptr = rtl::image::RtlImageNtHeader;
    stdcall fn RtlImageDirectoryEntryToData(Base: Ptr, MappedAsImage: Boolean, DirectoryEntry: u16, Size: Ptr) -> Ptr = rtl::image::RtlImageDirectoryEntryToData;
    #[x64] stdcall fn RtlPcToFileHeader(PcValue: Ptr, BaseOfImage: Ptr) -> Ptr = rtl::image::RtlPcToFileHeader;
    stdcall fn RtlFindExportedRoutineByName(DllBase: Ptr, RoutineName: PCSTR) -> Ptr = rtl::image::RtlFindExportedRoutineByName;
    stdcall fn MmGetSystemRoutineAddress(SystemRoutineName: PUnicodeString) -> Ptr = rtl::image::MmGetSystemRoutineAddress;
    // File-name helpers (rtl/names.rs).
    stdcall fn FsRtlIsNameInExpression(Expression: PUnicodeString, Name: PUnicodeString, IgnoreCase: Boolean, UpcaseTable: Ptr) -> Boolean = rtl::names::FsRtlIsNameInExpression;
    stdcall fn FsRtlIsDbcsInExpression(Expression: PAnsiString, Name: PAnsiString) -> Boolean = rtl::names::FsRtlIsDbcsInExpression;
    stdcall fn FsRtlDoesNameContainWildCards(Name: PUnicodeString) -> Boolean = rtl::names::FsRtlDoesNameContainWildCards;
    stdcall fn FsRtlDoesDbcsContainWildCards(Name: PAnsiString) -> Boolean = rtl::names::FsRtlDoesDbcsContainWildCards;
    stdcall fn FsRtlDissectName(Path: StringByValue, FirstName: Ptr, RemainingName: Ptr) -> () = rtl::names::FsRtlDissectName;
    stdcall fn FsRtlDissectDbcs(Path: StringByValue, FirstName: Ptr, RemainingName: Ptr) -> () = rtl::names::FsRtlDissectDbcs;
    stdcall fn FsRtlAreNamesEqual(ConstantNameA: PUnicodeString, ConstantNameB: PUnicodeString, IgnoreCase: Boolean, UpcaseTable: Ptr) -> Boolean = rtl::names::FsRtlAreNamesEqual;
    stdcall fn RtlIsNameLegalDOS8Dot3(Name: PUnicodeString, OemName: Ptr, NameContainsSpaces: Ptr) -> Boolean = rtl::names::RtlIsNameLegalDOS8Dot3;
    // IPv4 addresses as text (rtl/netaddr.rs).
    stdcall fn RtlIpv4StringToAddressA(S: PCSTR, Strict: Boolean, Terminator: Ptr, Addr: Ptr) -> NtStatus = rtl::netaddr::RtlIpv4StringToAddressA;
    stdcall fn RtlIpv4StringToAddressW(S: PCWSTR, Strict: Boolean, Terminator: Ptr, Addr: Ptr) -> NtStatus = rtl::netaddr::RtlIpv4StringToAddressW;
    stdcall fn RtlIpv4StringToAddressExA(AddressString: PCSTR, Strict: Boolean, Address: Ptr, Port: Ptr) -> NtStatus = rtl::netaddr::RtlIpv4StringToAddressExA;
    stdcall fn RtlIpv4StringToAddressExW(AddressString: PCWSTR, Strict: Boolean, Address: Ptr, Port: Ptr) -> NtStatus = rtl::netaddr::RtlIpv4StringToAddressExW;
    stdcall fn RtlIpv4AddressToStringA(Addr: Ptr, S: Ptr) -> Ptr = rtl::netaddr::RtlIpv4AddressToStringA;
    stdcall fn RtlIpv4AddressToStringW(Addr: Ptr, S: Ptr) -> Ptr = rtl::netaddr::RtlIpv4AddressToStringW;
    stdcall fn RtlIpv4AddressToStringExA(Address: Ptr, Port: u16, AddressString: Ptr, AddressStringLength: Ptr) -> NtStatus = rtl::netaddr::RtlIpv4AddressToStringExA;
    stdcall fn RtlIpv4AddressToStringExW(Address: Ptr, Port: u16, AddressString: Ptr, AddressStringLength: Ptr) -> NtStatus = rtl::netaddr::RtlIpv4AddressToStringExW;
    // The C runtime's pure-virtual call trap (rtl/crt/purecall.rs).
    cdecl fn _purecall() -> i32 = rtl::crt::purecall::_purecall;
    // The emulated Windows version (rtl/version.rs).
    stdcall fn RtlGetVersion(lpVersionInformation: Ptr) -> NtStatus = rtl::version::RtlGetVersion;
    stdcall fn PsGetVersion(MajorVersion: Ptr, MinorVersion: Ptr, BuildNumber: Ptr, CSDVersion: Ptr) -> Boolean = rtl::version::PsGetVersion;
    stdcall fn RtlVerifyVersionInfo(VersionInfo: Ptr, TypeMask: u32, ConditionMask: u64) -> NtStatus = rtl::version::RtlVerifyVersionInfo;
    stdcall fn VerSetConditionMask(ConditionMask: u64, TypeMask: u32, Condition: u8) -> u64 = rtl::version::VerSetConditionMask;
    stdcall fn RtlIsNtDdiVersionAvailable(Version: u32) -> Boolean = rtl::version::RtlIsNtDdiVersionAvailable;
    stdcall fn RtlIsServicePackVersionInstalled(Version: u32) -> Boolean = rtl::version::RtlIsServicePackVersionInstalled;

    // I/O manager (io/).
    stdcall fn IoCreateDevice(DriverObject: Ptr, DeviceExtensionSize: u32, DeviceName: PUnicodeString, DeviceType: u32, DeviceCharacteristics: u32, Exclusive: Boolean, DeviceObject: Ptr) -> NtStatus = io::device::IoCreateDevice;
    stdcall fn IoDeleteDevice(DeviceObject: Ptr) -> () = io::device::IoDeleteDevice;
    stdcall fn IoCreateSymbolicLink(SymbolicLinkName: PUnicodeString, DeviceName: PUnicodeString) -> NtStatus = io::symlink::IoCreateSymbolicLink;
    stdcall fn IoDeleteSymbolicLink(SymbolicLinkName: PUnicodeString) -> NtStatus = io::symlink::IoDeleteSymbolicLink;
    fastcall fn IofCallDriver(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = io::irp::IofCallDriver;
    fastcall fn IofCompleteRequest(Irp: Ptr, PriorityBoost: u8) -> () = io::irp::IofCompleteRequest;
    stdcall fn IoGetCurrentProcess() -> Ptr = ps::process::IoGetCurrentProcess;
    #[x64] stdcall fn IoIs32bitProcess(Irp: Ptr) -> Boolean = ps::process::IoIs32bitProcess;
    // Interrupt objects (io/interrupt.rs).
    stdcall fn IoConnectInterrupt(InterruptObject: Ptr, ServiceRoutine: Ptr, ServiceContext: Ptr, SpinLock: Ptr, Vector: u32, Irql: u8, SynchronizeIrql: u8, InterruptMode: u32, ShareVector: Boolean, ProcessorEnableMask: SizeT, FloatingSave: Boolean) -> NtStatus = io::interrupt::IoConnectInterrupt;
    stdcall fn IoConnectInterruptEx(Parameters: Ptr) -> NtStatus = io::interrupt::IoConnectInterruptEx;
    stdcall fn IoDisconnectInterrupt(InterruptObject: Ptr) -> () = io::interrupt::IoDisconnectInterrupt;
    stdcall fn IoDisconnectInterruptEx(Parameters: Ptr) -> () = io::interrupt::IoDisconnectInterruptEx;
    stdcall fn KeSynchronizeExecution(Interrupt: Ptr, SynchronizeRoutine: Ptr, SynchronizeContext: Ptr) -> Boolean = io::interrupt::KeSynchronizeExecution;

    // Executive pool (ex/pool.rs).
    stdcall fn ExAllocatePoolWithTag(PoolType: u32, NumberOfBytes: SizeT, Tag: PoolTag) -> Ptr = ex::pool::ExAllocatePoolWithTag;
    stdcall fn ExAllocatePool(PoolType: u32, NumberOfBytes: SizeT) -> Ptr = ex::pool::ExAllocatePool;
    stdcall fn ExAllocatePool2(Flags: u64, NumberOfBytes: SizeT, Tag: PoolTag) -> Ptr = ex::pool::ExAllocatePool2;
    stdcall fn ExFreePoolWithTag(P: Ptr, Tag: PoolTag) -> () = ex::pool::ExFreePoolWithTag;
    stdcall fn ExFreePool(P: Ptr) -> () = ex::pool::ExFreePool;

    // Objects and handles (ob/).
    fastcall fn ObfReferenceObject(Object: Ptr) -> SizeT = ob::ObfReferenceObject;
    fastcall fn ObfDereferenceObject(Object: Ptr) -> SizeT = ob::ObfDereferenceObject;
    stdcall fn ObDereferenceObject(Object: Ptr) -> () = ob::ObDereferenceObject;
    #[x64] stdcall fn ObfReferenceObjectWithTag(Object: Ptr, Tag: PoolTag) -> SizeT = ob::ObfReferenceObjectWithTag;
    #[x64] stdcall fn ObfDereferenceObjectWithTag(Object: Ptr, Tag: PoolTag) -> SizeT = ob::ObfDereferenceObjectWithTag;
    stdcall fn ZwClose(Handle: HANDLE) -> NtStatus = ob::handles::ZwClose;
    stdcall fn NtClose(Handle: HANDLE) -> NtStatus = ob::handles::NtClose;
    stdcall fn ObCloseHandle(Handle: HANDLE, PreviousMode: u8) -> NtStatus = ob::handles::ObCloseHandle;
    stdcall fn ObReferenceObjectByHandle(Handle: HANDLE, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Object: Ptr, HandleInformation: Ptr) -> NtStatus = ob::handles::ObReferenceObjectByHandle;
    stdcall fn ObReferenceObjectByHandleWithTag(Handle: HANDLE, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Tag: PoolTag, Object: Ptr, HandleInformation: Ptr) -> NtStatus = ob::handles::ObReferenceObjectByHandleWithTag;
    stdcall fn ObReferenceObjectByPointer(Object: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8) -> NtStatus = ob::handles::ObReferenceObjectByPointer;
    stdcall fn ObReferenceObjectByPointerWithTag(Object: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Tag: PoolTag) -> NtStatus = ob::handles::ObReferenceObjectByPointerWithTag;
    stdcall fn ObOpenObjectByPointer(Object: Ptr, HandleAttributes: u32, PassedAccessState: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Handle: Ptr) -> NtStatus = ob::handles::ObOpenObjectByPointer;

    // Registry (cm/).

    // Files and system information (zw/, io/).

    // Memory manager (mm/).
    // Views of physical memory (mm/iospace.rs, mm/section.rs).
    stdcall fn MmMapIoSpace(PhysicalAddress: u64, NumberOfBytes: SizeT, CacheType: u32) -> Ptr = mm::iospace::MmMapIoSpace;
    stdcall fn MmMapIoSpaceEx(PhysicalAddress: u64, NumberOfBytes: SizeT, Protect: u32) -> Ptr = mm::iospace::MmMapIoSpaceEx;
    stdcall fn MmUnmapIoSpace(BaseAddress: Ptr, NumberOfBytes: SizeT) -> () = mm::iospace::MmUnmapIoSpace;
    stdcall fn ZwOpenSection(SectionHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = mm::section::ZwOpenSection;
    stdcall fn ZwCreateSection(SectionHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, MaximumSize: Ptr, SectionPageProtection: u32, AllocationAttributes: u32, FileHandle: HANDLE) -> NtStatus = mm::section::ZwCreateSection;
    stdcall fn ZwMapViewOfSection(SectionHandle: HANDLE, ProcessHandle: HANDLE, BaseAddress: Ptr, ZeroBits: SizeT, CommitSize: SizeT, SectionOffset: Ptr, ViewSize: Ptr, InheritDisposition: u32, AllocationType: u32, Win32Protect: u32) -> NtStatus = mm::section::ZwMapViewOfSection;
    stdcall fn ZwUnmapViewOfSection(ProcessHandle: HANDLE, BaseAddress: Ptr) -> NtStatus = mm::section::ZwUnmapViewOfSection;
    stdcall fn MmMapViewInSystemSpace(Section: Ptr, MappedBase: Ptr, ViewSize: Ptr) -> NtStatus = mm::section::MmMapViewInSystemSpace;
    stdcall fn MmUnmapViewInSystemSpace(MappedBase: Ptr) -> NtStatus = mm::section::MmUnmapViewInSystemSpace;
    // Addresses (mm/physical.rs).
    stdcall fn MmGetPhysicalAddress(BaseAddress: Ptr) -> u64 = mm::physical::MmGetPhysicalAddress;
    stdcall fn MmGetVirtualForPhysical(PhysicalAddress: u64) -> Ptr = mm::physical::MmGetVirtualForPhysical;
    stdcall fn MmGetPhysicalMemoryRanges() -> Ptr = mm::physical::MmGetPhysicalMemoryRanges;
    stdcall fn MmIsAddressValid(VirtualAddress: Ptr) -> Boolean = mm::physical::MmIsAddressValid;
    stdcall fn MmIsNonPagedSystemAddressValid(VirtualAddress: Ptr) -> Boolean = mm::physical::MmIsNonPagedSystemAddressValid;
    // Contiguous and non-cached memory (mm/contiguous.rs).
    stdcall fn MmAllocateContiguousMemory(NumberOfBytes: SizeT, HighestAcceptableAddress: u64) -> Ptr = mm::contiguous::MmAllocateContiguousMemory;
    stdcall fn MmAllocateContiguousMemorySpecifyCache(NumberOfBytes: SizeT, LowestAcceptableAddress: u64, HighestAcceptableAddress: u64, BoundaryAddressMultiple: u64, CacheType: u32) -> Ptr = mm::contiguous::MmAllocateContiguousMemorySpecifyCache;
    stdcall fn MmAllocateContiguousMemorySpecifyCacheNode(NumberOfBytes: SizeT, LowestAcceptableAddress: u64, HighestAcceptableAddress: u64, BoundaryAddressMultiple: u64, CacheType: u32, PreferredNode: u32) -> Ptr = mm::contiguous::MmAllocateContiguousMemorySpecifyCacheNode;
    stdcall fn MmAllocateContiguousNodeMemory(NumberOfBytes: SizeT, LowestAcceptableAddress: u64, HighestAcceptableAddress: u64, BoundaryAddressMultiple: u64, Protect: u32, PreferredNode: u32) -> Ptr = mm::contiguous::MmAllocateContiguousNodeMemory;
    stdcall fn MmFreeContiguousMemory(BaseAddress: Ptr) -> () = mm::contiguous::MmFreeContiguousMemory;
    stdcall fn MmFreeContiguousMemorySpecifyCache(BaseAddress: Ptr, NumberOfBytes: SizeT, CacheType: u32) -> () = mm::contiguous::MmFreeContiguousMemorySpecifyCache;
    stdcall fn MmAllocateNonCachedMemory(NumberOfBytes: SizeT) -> Ptr = mm::contiguous::MmAllocateNonCachedMemory;
    stdcall fn MmFreeNonCachedMemory(BaseAddress: Ptr, NumberOfBytes: SizeT) -> () = mm::contiguous::MmFreeNonCachedMemory;
    // Memory descriptor lists (mm/mdl.rs).
    stdcall fn IoAllocateMdl(VirtualAddress: Ptr, Length: u32, SecondaryBuffer: Boolean, ChargeQuota: Boolean, Irp: Ptr) -> Ptr = mm::mdl::IoAllocateMdl;
    stdcall fn IoFreeMdl(Mdl: Ptr) -> () = mm::mdl::IoFreeMdl;
    stdcall fn IoBuildPartialMdl(SourceMdl: Ptr, TargetMdl: Ptr, VirtualAddress: Ptr, Length: u32) -> () = mm::mdl::IoBuildPartialMdl;
    stdcall fn MmSizeOfMdl(Base: Ptr, Length: SizeT) -> SizeT = mm::mdl::MmSizeOfMdl;
    stdcall fn MmCreateMdl(MemoryDescriptorList: Ptr, Base: Ptr, Length: SizeT) -> Ptr = mm::mdl::MmCreateMdl;
    stdcall fn MmBuildMdlForNonPagedPool(MemoryDescriptorList: Ptr) -> () = mm::mdl::MmBuildMdlForNonPagedPool;
    stdcall fn MmProbeAndLockPages(MemoryDescriptorList: Ptr, AccessMode: u8, Operation: u32) -> () = mm::mdl::MmProbeAndLockPages;
    stdcall fn MmUnlockPages(MemoryDescriptorList: Ptr) -> () = mm::mdl::MmUnlockPages;
    stdcall fn MmAllocatePagesForMdl(LowAddress: u64, HighAddress: u64, SkipBytes: u64, TotalBytes: SizeT) -> Ptr = mm::mdl::MmAllocatePagesForMdl;
    stdcall fn MmAllocatePagesForMdlEx(LowAddress: u64, HighAddress: u64, SkipBytes: u64, TotalBytes: SizeT, CacheType: u32, Flags: u32) -> Ptr = mm::mdl::MmAllocatePagesForMdlEx;
    stdcall fn MmFreePagesFromMdl(MemoryDescriptorList: Ptr) -> () = mm::mdl::MmFreePagesFromMdl;
    stdcall fn MmMapLockedPages(MemoryDescriptorList: Ptr, AccessMode: u8) -> Ptr = mm::mdl::MmMapLockedPages;
    stdcall fn MmMapLockedPagesSpecifyCache(MemoryDescriptorList: Ptr, AccessMode: u8, CacheType: u32, RequestedAddress: Ptr, BugCheckOnFailure: u32, Priority: u32) -> Ptr = mm::mdl::MmMapLockedPagesSpecifyCache;
    stdcall fn MmUnmapLockedPages(BaseAddress: Ptr, MemoryDescriptorList: Ptr) -> () = mm::mdl::MmUnmapLockedPages;
    stdcall fn MmProtectMdlSystemAddress(MemoryDescriptorList: Ptr, NewProtect: u32) -> NtStatus = mm::mdl::MmProtectMdlSystemAddress;
    // The system and the driver (mm/system.rs).
    stdcall fn MmQuerySystemSize() -> u32 = mm::system::MmQuerySystemSize;
    stdcall fn MmIsThisAnNtAsSystem() -> Boolean = mm::system::MmIsThisAnNtAsSystem;
    stdcall fn MmSecureVirtualMemory(Address: Ptr, Size: SizeT, ProbeMode: u32) -> Ptr = mm::system::MmSecureVirtualMemory;
    stdcall fn MmUnsecureVirtualMemory(SecureHandle: HANDLE) -> () = mm::system::MmUnsecureVirtualMemory;
    stdcall fn MmPageEntireDriver(AddressWithinSection: Ptr) -> Ptr = mm::system::MmPageEntireDriver;
    stdcall fn MmResetDriverPaging(AddressWithinSection: Ptr) -> () = mm::system::MmResetDriverPaging;
    stdcall fn MmIsDriverVerifying(DriverObject: Ptr) -> u32 = mm::system::MmIsDriverVerifying;
    // Hardware resources and registers (hal/).
    stdcall fn IoReportResourceUsage(DriverClassName: PUnicodeString, DriverObject: Ptr, DriverList: Ptr, DriverListSize: u32, DeviceObject: Ptr, DeviceList: Ptr, DeviceListSize: u32, OverrideConflict: Boolean, ConflictDetected: Ptr) -> NtStatus = hal::resources::IoReportResourceUsage;
    #[x86] stdcall fn READ_REGISTER_UCHAR(Register: Ptr) -> u8 = hal::registers::READ_REGISTER_UCHAR;
    #[x86] stdcall fn READ_REGISTER_USHORT(Register: Ptr) -> u16 = hal::registers::READ_REGISTER_USHORT;
    #[x86] stdcall fn READ_REGISTER_ULONG(Register: Ptr) -> u32 = hal::registers::READ_REGISTER_ULONG;
    #[x86] stdcall fn WRITE_REGISTER_UCHAR(Register: Ptr, Value: u8) -> () = hal::registers::WRITE_REGISTER_UCHAR;
    #[x86] stdcall fn WRITE_REGISTER_USHORT(Register: Ptr, Value: u16) -> () = hal::registers::WRITE_REGISTER_USHORT;
    #[x86] stdcall fn WRITE_REGISTER_ULONG(Register: Ptr, Value: u32) -> () = hal::registers::WRITE_REGISTER_ULONG;
    #[x86] stdcall fn READ_REGISTER_BUFFER_UCHAR(Register: Ptr, Buffer: Ptr, Count: u32) -> () = hal::registers::READ_REGISTER_BUFFER_UCHAR;
    #[x86] stdcall fn READ_REGISTER_BUFFER_USHORT(Register: Ptr, Buffer: Ptr, Count: u32) -> () = hal::registers::READ_REGISTER_BUFFER_USHORT;
    #[x86] stdcall fn READ_REGISTER_BUFFER_ULONG(Register: Ptr, Buffer: Ptr, Count: u32) -> () = hal::registers::READ_REGISTER_BUFFER_ULONG;
    #[x86] stdcall fn WRITE_REGISTER_BUFFER_UCHAR(Register: Ptr, Buffer: Ptr, Count: u32) -> () = hal::registers::WRITE_REGISTER_BUFFER_UCHAR;
    #[x86] stdcall fn WRITE_REGISTER_BUFFER_USHORT(Register: Ptr, Buffer: Ptr, Count: u32) -> () = hal::registers::WRITE_REGISTER_BUFFER_USHORT;
    #[x86] stdcall fn WRITE_REGISTER_BUFFER_ULONG(Register: Ptr, Buffer: Ptr, Count: u32) -> () = hal::registers::WRITE_REGISTER_BUFFER_ULONG;

    // Kernel: bugchecks, IRQL, debug output (ke/).
    stdcall fn KeBugCheckEx(BugCheckCode: u32, BugCheckParameter1: SizeT, BugCheckParameter2: SizeT, BugCheckParameter3: SizeT, BugCheckParameter4: SizeT) -> () = ke::bugcheck::KeBugCheckEx;
    #[x64] stdcall fn KeGetCurrentIrql() -> u8 = ke::irql::KeGetCurrentIrql;
    #[varargs] cdecl fn DbgPrint(Format: PCSTR) -> NtStatus = ke::debug::DbgPrint;
    #[varargs] cdecl fn DbgPrintEx(ComponentId: u32, Level: u32, Format: PCSTR) -> NtStatus = ke::debug::DbgPrintEx;

    // Dispatcher objects, waits, threads, DPCs, timers, work items, locks (ke/, ex/, ps/).
    stdcall fn KeInitializeEvent(Event: Ptr, Type: u32, State: Boolean) -> () = ke::event::KeInitializeEvent;
    stdcall fn KeSetEvent(Event: Ptr, Increment: i32, Wait: Boolean) -> i32 = ke::event::KeSetEvent;
    stdcall fn KeResetEvent(Event: Ptr) -> i32 = ke::event::KeResetEvent;
    stdcall fn KeClearEvent(Event: Ptr) -> () = ke::event::KeClearEvent;
    stdcall fn KeReadStateEvent(Event: Ptr) -> i32 = ke::event::KeReadStateEvent;
    stdcall fn KePulseEvent(Event: Ptr, Increment: i32, Wait: Boolean) -> i32 = ke::event::KePulseEvent;
    stdcall fn ZwCreateEvent(EventHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, EventType: u32, InitialState: Boolean) -> NtStatus = ke::event::ZwCreateEvent;
    stdcall fn ZwOpenEvent(EventHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = ke::event::ZwOpenEvent;
    stdcall fn ZwSetEvent(EventHandle: HANDLE, PreviousState: Ptr) -> NtStatus = ke::event::ZwSetEvent;
    stdcall fn ZwResetEvent(EventHandle: HANDLE, PreviousState: Ptr) -> NtStatus = ke::event::ZwResetEvent;
    stdcall fn ZwClearEvent(EventHandle: HANDLE) -> NtStatus = ke::event::ZwClearEvent;
    stdcall fn ZwPulseEvent(EventHandle: HANDLE, PreviousState: Ptr) -> NtStatus = ke::event::ZwPulseEvent;
    stdcall fn IoCreateNotificationEvent(EventName: PUnicodeString, EventHandle: Ptr) -> Ptr = ke::event::IoCreateNotificationEvent;
    stdcall fn IoCreateSynchronizationEvent(EventName: PUnicodeString, EventHandle: Ptr) -> Ptr = ke::event::IoCreateSynchronizationEvent;
    stdcall fn KeInitializeSemaphore(Semaphore: Ptr, Count: i32, Limit: i32) -> () = ke::semaphore::KeInitializeSemaphore;
    stdcall fn KeReleaseSemaphore(Semaphore: Ptr, Increment: i32, Adjustment: i32, Wait: Boolean) -> i32 = ke::semaphore::KeReleaseSemaphore;
    stdcall fn KeReadStateSemaphore(Semaphore: Ptr) -> i32 = ke::semaphore::KeReadStateSemaphore;
    stdcall fn KeInitializeMutex(Mutex: Ptr, Level: u32) -> () = ke::mutex::KeInitializeMutex;
    stdcall fn KeInitializeMutant(Mutant: Ptr, InitialOwner: Boolean) -> () = ke::mutex::KeInitializeMutant;
    stdcall fn KeReleaseMutex(Mutex: Ptr, Wait: Boolean) -> i32 = ke::mutex::KeReleaseMutex;
    stdcall fn KeReleaseMutant(Mutant: Ptr, Increment: i32, Abandon: Boolean, Wait: Boolean) -> i32 = ke::mutex::KeReleaseMutant;
    stdcall fn KeReadStateMutex(Mutex: Ptr) -> i32 = ke::mutex::KeReadStateMutex;
    stdcall fn KeReadStateMutant(Mutant: Ptr) -> i32 = ke::mutex::KeReadStateMutant;
    stdcall fn KeWaitForSingleObject(Object: Ptr, WaitReason: u32, WaitMode: u8, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::KeWaitForSingleObject;
    stdcall fn KeWaitForMutexObject(Mutex: Ptr, WaitReason: u32, WaitMode: u8, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::KeWaitForSingleObject;
    stdcall fn KeWaitForMultipleObjects(Count: u32, Object: Ptr, WaitType: u32, WaitReason: u32, WaitMode: u8, Alertable: Boolean, Timeout: Ptr, WaitBlockArray: Ptr) -> NtStatus = ke::wait::KeWaitForMultipleObjects;
    stdcall fn KeDelayExecutionThread(WaitMode: u8, Alertable: Boolean, Interval: Ptr) -> NtStatus = ke::wait::KeDelayExecutionThread;
    stdcall fn ZwWaitForSingleObject(Handle: HANDLE, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::ZwWaitForSingleObject;
    stdcall fn ZwWaitForMultipleObjects(Count: u32, Handles: Ptr, WaitType: u32, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::ZwWaitForMultipleObjects;
    stdcall fn ZwYieldExecution() -> NtStatus = ke::wait::ZwYieldExecution;
    stdcall fn KeInitializeTimer(Timer: Ptr) -> () = ke::timer::KeInitializeTimer;
    stdcall fn KeInitializeTimerEx(Timer: Ptr, Type: u32) -> () = ke::timer::KeInitializeTimerEx;
    stdcall fn KeSetTimer(Timer: Ptr, DueTime: u64, Dpc: Ptr) -> Boolean = ke::timer::KeSetTimer;
    stdcall fn KeSetTimerEx(Timer: Ptr, DueTime: u64, Period: i32, Dpc: Ptr) -> Boolean = ke::timer::KeSetTimerEx;
    stdcall fn KeSetCoalescableTimer(Timer: Ptr, DueTime: u64, Period: u32, TolerableDelay: u32, Dpc: Ptr) -> Boolean = ke::timer::KeSetCoalescableTimer;
    stdcall fn KeCancelTimer(Timer: Ptr) -> Boolean = ke::timer::KeCancelTimer;
    stdcall fn KeReadStateTimer(Timer: Ptr) -> Boolean = ke::timer::KeReadStateTimer;
    stdcall fn KeInitializeDpc(Dpc: Ptr, DeferredRoutine: Ptr, DeferredContext: Ptr) -> () = ke::dpc::KeInitializeDpc;
    stdcall fn KeInitializeThreadedDpc(Dpc: Ptr, DeferredRoutine: Ptr, DeferredContext: Ptr) -> () = ke::dpc::KeInitializeThreadedDpc;
    stdcall fn KeInsertQueueDpc(Dpc: Ptr, SystemArgument1: Ptr, SystemArgument2: Ptr) -> Boolean = ke::dpc::KeInsertQueueDpc;
    stdcall fn KeRemoveQueueDpc(Dpc: Ptr) -> Boolean = ke::dpc::KeRemoveQueueDpc;
    stdcall fn KeSetImportanceDpc(Dpc: Ptr, Importance: u32) -> () = ke::dpc::KeSetImportanceDpc;
    stdcall fn KeSetTargetProcessorDpc(Dpc: Ptr, Number: u8) -> () = ke::dpc::KeSetTargetProcessorDpc;
    stdcall fn KeSetTargetProcessorDpcEx(Dpc: Ptr, ProcNumber: Ptr) -> NtStatus = ke::dpc::KeSetTargetProcessorDpcEx;
    stdcall fn KeFlushQueuedDpcs() -> () = ke::dpc::KeFlushQueuedDpcs;
    stdcall fn KeGenericCallDpc(Routine: Ptr, Context: Ptr) -> () = ke::dpc::KeGenericCallDpc;
    stdcall fn KeSignalCallDpcDone(SystemArgument1: Ptr) -> () = ke::dpc::KeSignalCallDpcDone;
    stdcall fn KeSignalCallDpcSynchronize(SystemArgument2: Ptr) -> u32 = ke::dpc::KeSignalCallDpcSynchronize;
    stdcall fn KeGetCurrentThread() -> Ptr = ke::thread::KeGetCurrentThread;
    stdcall fn KeSetPriorityThread(Thread: Ptr, Priority: i32) -> i32 = ke::thread::KeSetPriorityThread;
    stdcall fn KeQueryPriorityThread(Thread: Ptr) -> i32 = ke::thread::KeQueryPriorityThread;
    stdcall fn KeSetBasePriorityThread(Thread: Ptr, Increment: i32) -> i32 = ke::thread::KeSetBasePriorityThread;
    stdcall fn KeSetSystemAffinityThread(Affinity: SizeT) -> () = ke::thread::KeSetSystemAffinityThread;
    stdcall fn KeSetSystemAffinityThreadEx(Affinity: SizeT) -> SizeT = ke::thread::KeSetSystemAffinityThreadEx;
    stdcall fn KeRevertToUserAffinityThread() -> () = ke::thread::KeRevertToUserAffinityThread;
    stdcall fn KeRevertToUserAffinityThreadEx(Affinity: SizeT) -> () = ke::thread::KeRevertToUserAffinityThreadEx;
    stdcall fn KeSetSystemGroupAffinityThread(Affinity: Ptr, PreviousAffinity: Ptr) -> () = ke::thread::KeSetSystemGroupAffinityThread;
    stdcall fn KeRevertToUserGroupAffinityThread(PreviousAffinity: Ptr) -> () = ke::thread::KeRevertToUserGroupAffinityThread;
    stdcall fn KeEnterCriticalRegion() -> () = ke::apc::KeEnterCriticalRegion;
    stdcall fn KeLeaveCriticalRegion() -> () = ke::apc::KeLeaveCriticalRegion;
    stdcall fn KeEnterGuardedRegion() -> () = ke::apc::KeEnterGuardedRegion;
    stdcall fn KeLeaveGuardedRegion() -> () = ke::apc::KeLeaveGuardedRegion;
    stdcall fn KeAreApcsDisabled() -> Boolean = ke::apc::KeAreApcsDisabled;
    stdcall fn KeAreAllApcsDisabled() -> Boolean = ke::apc::KeAreAllApcsDisabled;
    stdcall fn KeStackAttachProcess(Process: Ptr, ApcState: Ptr) -> () = ke::attach::KeStackAttachProcess;
    stdcall fn KeUnstackDetachProcess(ApcState: Ptr) -> () = ke::attach::KeUnstackDetachProcess;
    stdcall fn KeAttachProcess(Process: Ptr) -> () = ke::attach::KeAttachProcess;
    stdcall fn KeDetachProcess() -> () = ke::attach::KeDetachProcess;
    stdcall fn KeGetCurrentProcessorNumberEx(ProcNumber: Ptr) -> u32 = ke::processor::KeGetCurrentProcessorNumberEx;
    stdcall fn KeQueryActiveProcessors() -> SizeT = ke::processor::KeQueryActiveProcessors;
    stdcall fn KeQueryActiveProcessorCount(ActiveProcessors: Ptr) -> u32 = ke::processor::KeQueryActiveProcessorCount;
    stdcall fn KeQueryActiveProcessorCountEx(GroupNumber: u16) -> u32 = ke::processor::KeQueryActiveProcessorCountEx;
    stdcall fn KeQueryMaximumProcessorCount() -> u32 = ke::processor::KeQueryMaximumProcessorCount;
    stdcall fn KeQueryMaximumProcessorCountEx(GroupNumber: u16) -> u32 = ke::processor::KeQueryMaximumProcessorCountEx;
    stdcall fn KeQueryActiveGroupCount() -> u16 = ke::processor::KeQueryActiveGroupCount;
    stdcall fn KeQueryMaximumGroupCount() -> u16 = ke::processor::KeQueryMaximumGroupCount;
    stdcall fn KeQueryGroupAffinity(GroupNumber: u16) -> SizeT = ke::processor::KeQueryGroupAffinity;
    stdcall fn KeGetProcessorNumberFromIndex(ProcIndex: u32, ProcNumber: Ptr) -> NtStatus = ke::processor::KeGetProcessorNumberFromIndex;
    stdcall fn KeGetProcessorIndexFromNumber(ProcNumber: Ptr) -> u32 = ke::processor::KeGetProcessorIndexFromNumber;
    stdcall fn KeGetCurrentNodeNumber() -> u16 = ke::processor::KeGetCurrentNodeNumber;
    stdcall fn KeQueryHighestNodeNumber() -> u16 = ke::processor::KeQueryHighestNodeNumber;
    stdcall fn KeInitializeSpinLock(SpinLock: Ptr) -> () = ke::spinlock::KeInitializeSpinLock;
    stdcall fn KeAcquireSpinLockAtDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KeAcquireSpinLockAtDpcLevel;
    stdcall fn KeReleaseSpinLockFromDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KeReleaseSpinLockFromDpcLevel;
    #[x86] fastcall fn KefAcquireSpinLockAtDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KefAcquireSpinLockAtDpcLevel;
    #[x86] fastcall fn KefReleaseSpinLockFromDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KefReleaseSpinLockFromDpcLevel;
    fastcall fn KeTryToAcquireSpinLockAtDpcLevel(SpinLock: Ptr) -> Boolean = ke::spinlock::KeTryToAcquireSpinLockAtDpcLevel;
    fastcall fn KeTestSpinLock(SpinLock: Ptr) -> Boolean = ke::spinlock::KeTestSpinLock;
    #[x64] stdcall fn KeAcquireSpinLockRaiseToDpc(SpinLock: Ptr) -> u8 = ke::spinlock::KeAcquireSpinLockRaiseToDpc;
    #[x64] stdcall fn KeAcquireSpinLockRaiseToSynch(SpinLock: Ptr) -> u8 = ke::spinlock::KeAcquireSpinLockRaiseToSynch;
    #[x64] stdcall fn KeReleaseSpinLock(SpinLock: Ptr, NewIrql: u8) -> () = ke::spinlock::KeReleaseSpinLock;
    #[x64] stdcall fn KeAcquireInStackQueuedSpinLock(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLock;
    #[x64] stdcall fn KeReleaseInStackQueuedSpinLock(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLock;
    fastcall fn KeAcquireInStackQueuedSpinLockAtDpcLevel(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLockAtDpcLevel;
    fastcall fn KeReleaseInStackQueuedSpinLockFromDpcLevel(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLockFromDpcLevel;
    fastcall fn KeAcquireInStackQueuedSpinLockForDpc(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLockForDpc;
    fastcall fn KeReleaseInStackQueuedSpinLockForDpc(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLockForDpc;
    #[x64] stdcall fn KeLowerIrql(NewIrql: u8) -> () = ke::irql::KeLowerIrql;
    #[x64] stdcall fn KfRaiseIrql(NewIrql: u8) -> u8 = ke::irql::KfRaiseIrql;
    #[x64] stdcall fn KeRaiseIrqlToDpcLevel() -> u8 = ke::irql::KeRaiseIrqlToDpcLevel;
    fastcall fn KeInitializeGuardedMutex(Mutex: Ptr) -> () = ke::guarded_mutex::KeInitializeGuardedMutex;
    fastcall fn KeAcquireGuardedMutex(Mutex: Ptr) -> () = ke::guarded_mutex::KeAcquireGuardedMutex;
    fastcall fn KeAcquireGuardedMutexUnsafe(FastMutex: Ptr) -> () = ke::guarded_mutex::KeAcquireGuardedMutexUnsafe;
    fastcall fn KeTryToAcquireGuardedMutex(Mutex: Ptr) -> Boolean = ke::guarded_mutex::KeTryToAcquireGuardedMutex;
    fastcall fn KeReleaseGuardedMutex(Mutex: Ptr) -> () = ke::guarded_mutex::KeReleaseGuardedMutex;
    fastcall fn KeReleaseGuardedMutexUnsafe(FastMutex: Ptr) -> () = ke::guarded_mutex::KeReleaseGuardedMutexUnsafe;
    #[x64] stdcall fn ExAcquireFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutex;
    #[x64] stdcall fn ExReleaseFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutex;
    #[x64] stdcall fn ExTryToAcquireFastMutex(FastMutex: Ptr) -> Boolean = ex::fast_mutex::ExTryToAcquireFastMutex;
    #[x86] fastcall fn ExiAcquireFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutex;
    #[x86] fastcall fn ExiReleaseFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutex;
    #[x86] fastcall fn ExiTryToAcquireFastMutex(FastMutex: Ptr) -> Boolean = ex::fast_mutex::ExTryToAcquireFastMutex;
    fastcall fn ExAcquireFastMutexUnsafe(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutexUnsafe;
    fastcall fn ExReleaseFastMutexUnsafe(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutexUnsafe;
    fastcall fn ExEnterCriticalRegionAndAcquireFastMutexUnsafe(FastMutex: Ptr) -> () = ex::fast_mutex::ExEnterCriticalRegionAndAcquireFastMutexUnsafe;
    fastcall fn ExReleaseFastMutexUnsafeAndLeaveCriticalRegion(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutexUnsafeAndLeaveCriticalRegion;
    stdcall fn ExInitializeResourceLite(Resource: Ptr) -> NtStatus = ex::resource::ExInitializeResourceLite;
    stdcall fn ExReinitializeResourceLite(Resource: Ptr) -> NtStatus = ex::resource::ExReinitializeResourceLite;
    stdcall fn ExDeleteResourceLite(Resource: Ptr) -> NtStatus = ex::resource::ExDeleteResourceLite;
    stdcall fn ExAcquireResourceExclusiveLite(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireResourceExclusiveLite;
    stdcall fn ExAcquireResourceSharedLite(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireResourceSharedLite;
    stdcall fn ExAcquireSharedStarveExclusive(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireSharedStarveExclusive;
    stdcall fn ExAcquireSharedWaitForExclusive(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireSharedWaitForExclusive;
    fastcall fn ExReleaseResourceLite(Resource: Ptr) -> () = ex::resource::ExReleaseResourceLite;
    stdcall fn ExReleaseResourceForThreadLite(Resource: Ptr, ResourceThreadId: SizeT) -> () = ex::resource::ExReleaseResourceForThreadLite;
    stdcall fn ExConvertExclusiveToSharedLite(Resource: Ptr) -> () = ex::resource::ExConvertExclusiveToSharedLite;
    stdcall fn ExIsResourceAcquiredExclusiveLite(Resource: Ptr) -> Boolean = ex::resource::ExIsResourceAcquiredExclusiveLite;
    stdcall fn ExIsResourceAcquiredSharedLite(Resource: Ptr) -> u32 = ex::resource::ExIsResourceAcquiredSharedLite;
    stdcall fn ExGetExclusiveWaiterCount(Resource: Ptr) -> u32 = ex::resource::ExGetExclusiveWaiterCount;
    stdcall fn ExGetSharedWaiterCount(Resource: Ptr) -> u32 = ex::resource::ExGetSharedWaiterCount;
    stdcall fn ExSetResourceOwnerPointer(Resource: Ptr, OwnerPointer: Ptr) -> () = ex::resource::ExSetResourceOwnerPointer;
    stdcall fn ExSetResourceOwnerPointerEx(Resource: Ptr, OwnerPointer: Ptr, Flags: u32) -> () = ex::resource::ExSetResourceOwnerPointerEx;
    stdcall fn ExDisableResourceBoostLite(Resource: Ptr) -> () = ex::resource::ExDisableResourceBoostLite;
    stdcall fn ExEnterCriticalRegionAndAcquireResourceExclusive(Resource: Ptr) -> Ptr = ex::resource::ExEnterCriticalRegionAndAcquireResourceExclusive;
    stdcall fn ExEnterCriticalRegionAndAcquireResourceShared(Resource: Ptr) -> Ptr = ex::resource::ExEnterCriticalRegionAndAcquireResourceShared;
    stdcall fn ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(Resource: Ptr) -> Ptr = ex::resource::ExEnterCriticalRegionAndAcquireSharedWaitForExclusive;
    fastcall fn ExReleaseResourceAndLeaveCriticalRegion(Resource: Ptr) -> () = ex::resource::ExReleaseResourceAndLeaveCriticalRegion;
    stdcall fn ExInitializePushLock(PushLock: Ptr) -> () = ex::push_lock::ExInitializePushLock;
    fastcall fn ExfAcquirePushLockExclusive(PushLock: Ptr) -> () = ex::push_lock::ExfAcquirePushLockExclusive;
    fastcall fn ExfAcquirePushLockShared(PushLock: Ptr) -> () = ex::push_lock::ExfAcquirePushLockShared;
    fastcall fn ExfTryAcquirePushLockShared(PushLock: Ptr) -> Boolean = ex::push_lock::ExfTryAcquirePushLockShared;
    fastcall fn ExfReleasePushLock(PushLock: Ptr) -> () = ex::push_lock::ExfReleasePushLock;
    fastcall fn ExfReleasePushLockExclusive(PushLock: Ptr) -> () = ex::push_lock::ExfReleasePushLockExclusive;
    fastcall fn ExfReleasePushLockShared(PushLock: Ptr) -> () = ex::push_lock::ExfReleasePushLockShared;
    stdcall fn ExAcquirePushLockExclusiveEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExAcquirePushLockExclusiveEx;
    stdcall fn ExAcquirePushLockSharedEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExAcquirePushLockSharedEx;
    stdcall fn ExReleasePushLockExclusiveEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExReleasePushLockExclusiveEx;
    stdcall fn ExReleasePushLockSharedEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExReleasePushLockSharedEx;
    fastcall fn ExInitializeRundownProtection(RunRef: Ptr) -> () = ex::rundown::ExInitializeRundownProtection;
    fastcall fn ExReInitializeRundownProtection(RunRef: Ptr) -> () = ex::rundown::ExReInitializeRundownProtection;
    fastcall fn ExAcquireRundownProtection(RunRef: Ptr) -> Boolean = ex::rundown::ExAcquireRundownProtection;
    fastcall fn ExAcquireRundownProtectionEx(RunRef: Ptr, Count: u32) -> Boolean = ex::rundown::ExAcquireRundownProtectionEx;
    fastcall fn ExReleaseRundownProtection(RunRef: Ptr) -> () = ex::rundown::ExReleaseRundownProtection;
    fastcall fn ExReleaseRundownProtectionEx(RunRef: Ptr, Count: u32) -> () = ex::rundown::ExReleaseRundownProtectionEx;
    fastcall fn ExWaitForRundownProtectionRelease(RunRef: Ptr) -> () = ex::rundown::ExWaitForRundownProtectionRelease;
    fastcall fn ExRundownCompleted(RunRef: Ptr) -> () = ex::rundown::ExRundownCompleted;
    #[x86] fastcall fn InterlockedIncrement(Addend: Ptr) -> i32 = ex::interlocked::InterlockedIncrement;
    #[x86] fastcall fn InterlockedDecrement(Addend: Ptr) -> i32 = ex::interlocked::InterlockedDecrement;
    #[x86] fastcall fn InterlockedExchange(Target: Ptr, Value: i32) -> i32 = ex::interlocked::InterlockedExchange;
    #[x86] fastcall fn InterlockedExchangeAdd(Addend: Ptr, Value: i32) -> i32 = ex::interlocked::InterlockedExchangeAdd;
    #[x86] fastcall fn InterlockedCompareExchange(Destination: Ptr, Exchange: i32, Comparand: i32) -> i32 = ex::interlocked::InterlockedCompareExchange;
    stdcall fn ExInterlockedAddUlong(Addend: Ptr, Increment: u32, Lock: Ptr) -> u32 = ex::interlocked::ExInterlockedAddUlong;
    #[x86] fastcall fn ExfInterlockedAddUlong(Addend: Ptr, Increment: u32, Lock: Ptr) -> u32 = ex::interlocked::ExfInterlockedAddUlong;
    stdcall fn ExInterlockedAddLargeInteger(Addend: Ptr, Increment: u64, Lock: Ptr) -> u64 = ex::interlocked::ExInterlockedAddLargeInteger;
    #[x86] fastcall fn ExInterlockedAddLargeStatistic(Addend: Ptr, Increment: u32) -> () = ex::interlocked::ExInterlockedAddLargeStatistic;
    #[x86] fastcall fn ExInterlockedCompareExchange64(Destination: Ptr, Exchange: Ptr, Comparand: Ptr, Lock: Ptr) -> u64 = ex::interlocked::ExInterlockedCompareExchange64;
    #[x86] fastcall fn ExfInterlockedCompareExchange64(Destination: Ptr, Exchange: Ptr, Comperand: Ptr) -> u64 = ex::interlocked::ExfInterlockedCompareExchange64;
    #[x86] fastcall fn ExInterlockedIncrementLong(Addend: Ptr, Lock: Ptr) -> i32 = ex::interlocked::ExInterlockedIncrementLong;
    #[x86] stdcall fn ExInterlockedDecrementLong(Addend: Ptr, Lock: Ptr) -> i32 = ex::interlocked::ExInterlockedDecrementLong;
    #[x86] stdcall fn ExInterlockedExchangeUlong(Target: Ptr, Value: u32, Lock: Ptr) -> u32 = ex::interlocked::ExInterlockedExchangeUlong;
    #[x86] stdcall fn Exi386InterlockedIncrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exi386InterlockedIncrementLong;
    #[x86] stdcall fn Exi386InterlockedDecrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exi386InterlockedDecrementLong;
    #[x86] stdcall fn Exi386InterlockedExchangeUlong(Target: Ptr, Value: u32) -> u32 = ex::interlocked::Exi386InterlockedExchangeUlong;
    #[x86] fastcall fn Exfi386InterlockedIncrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exfi386InterlockedIncrementLong;
    #[x86] fastcall fn Exfi386InterlockedDecrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exfi386InterlockedDecrementLong;
    #[x86] fastcall fn Exfi386InterlockedExchangeUlong(Target: Ptr, Value: u32) -> u32 = ex::interlocked::Exfi386InterlockedExchangeUlong;
    stdcall fn ExInterlockedInsertHeadList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedInsertHeadList;
    stdcall fn ExInterlockedInsertTailList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedInsertTailList;
    stdcall fn ExInterlockedRemoveHeadList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedRemoveHeadList;
    #[x86] fastcall fn ExfInterlockedInsertHeadList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedInsertHeadList;
    #[x86] fastcall fn ExfInterlockedInsertTailList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedInsertTailList;
    #[x86] fastcall fn ExfInterlockedRemoveHeadList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedRemoveHeadList;
    stdcall fn ExInterlockedPushEntryList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedPushEntryList;
    stdcall fn ExInterlockedPopEntryList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedPopEntryList;
    #[x86] fastcall fn ExfInterlockedPushEntryList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedPushEntryList;
    #[x86] fastcall fn ExfInterlockedPopEntryList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedPopEntryList;
    #[x86] fastcall fn InterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr) -> Ptr = ex::slist::InterlockedPushEntrySList;
    #[x86] fastcall fn InterlockedPopEntrySList(ListHead: Ptr) -> Ptr = ex::slist::InterlockedPopEntrySList;
    #[x86] fastcall fn ExInterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::slist::ExInterlockedPushEntrySList;
    #[x86] fastcall fn ExInterlockedPopEntrySList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::slist::ExInterlockedPopEntrySList;
    #[x86] fastcall fn ExInterlockedFlushSList(ListHead: Ptr) -> Ptr = ex::slist::ExInterlockedFlushSList;
    #[x64] stdcall fn ExpInterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr) -> Ptr = ex::slist::ExpInterlockedPushEntrySList;
    #[x64] stdcall fn ExpInterlockedPopEntrySList(ListHead: Ptr) -> Ptr = ex::slist::ExpInterlockedPopEntrySList;
    #[x64] stdcall fn ExpInterlockedFlushSList(ListHead: Ptr) -> Ptr = ex::slist::ExpInterlockedFlushSList;
    #[x64] stdcall fn ExQueryDepthSList(ListHead: Ptr) -> u16 = ex::slist::ExQueryDepthSList;
    #[x64] stdcall fn InitializeSListHead(SListHead: Ptr) -> () = ex::slist::InitializeSListHead;
    stdcall fn FirstEntrySList(ListHead: Ptr) -> Ptr = ex::slist::FirstEntrySList;
    stdcall fn ExInitializeNPagedLookasideList(Lookaside: Ptr, Allocate: Ptr, Free: Ptr, Flags: u32, Size: SizeT, Tag: PoolTag, Depth: u16) -> () = ex::lookaside::ExInitializeNPagedLookasideList;
    stdcall fn ExInitializePagedLookasideList(Lookaside: Ptr, Allocate: Ptr, Free: Ptr, Flags: u32, Size: SizeT, Tag: PoolTag, Depth: u16) -> () = ex::lookaside::ExInitializePagedLookasideList;
    stdcall fn ExDeleteNPagedLookasideList(Lookaside: Ptr) -> () = ex::lookaside::ExDeleteNPagedLookasideList;
    stdcall fn ExDeletePagedLookasideList(Lookaside: Ptr) -> () = ex::lookaside::ExDeletePagedLookasideList;
    stdcall fn ExAllocateFromPagedLookasideList(Lookaside: Ptr) -> Ptr = ex::lookaside::ExAllocateFromPagedLookasideList;
    stdcall fn ExFreeToPagedLookasideList(Lookaside: Ptr, Entry: Ptr) -> () = ex::lookaside::ExFreeToPagedLookasideList;
    stdcall fn ExInitializeLookasideListEx(Lookaside: Ptr, Allocate: Ptr, Free: Ptr, PoolType: u32, Flags: u32, Size: SizeT, Tag: PoolTag, Depth: u16) -> NtStatus = ex::lookaside::ExInitializeLookasideListEx;
    stdcall fn ExDeleteLookasideListEx(Lookaside: Ptr) -> () = ex::lookaside::ExDeleteLookasideListEx;
    stdcall fn ExFlushLookasideListEx(Lookaside: Ptr) -> () = ex::lookaside::ExFlushLookasideListEx;
    stdcall fn ExQueueWorkItem(WorkItem: Ptr, QueueType: u32) -> () = ex::work_item::ExQueueWorkItem;
    stdcall fn IoAllocateWorkItem(DeviceObject: Ptr) -> Ptr = io::work_item::IoAllocateWorkItem;
    stdcall fn IoFreeWorkItem(IoWorkItem: Ptr) -> () = io::work_item::IoFreeWorkItem;
    stdcall fn IoInitializeWorkItem(IoObject: Ptr, IoWorkItem: Ptr) -> () = io::work_item::IoInitializeWorkItem;
    stdcall fn IoUninitializeWorkItem(IoWorkItem: Ptr) -> () = io::work_item::IoUninitializeWorkItem;
    stdcall fn IoSizeofWorkItem() -> u32 = io::work_item::IoSizeofWorkItem;
    stdcall fn IoQueueWorkItem(IoWorkItem: Ptr, WorkerRoutine: Ptr, QueueType: u32, Context: Ptr) -> () = io::work_item::IoQueueWorkItem;
    stdcall fn IoQueueWorkItemEx(IoWorkItem: Ptr, WorkerRoutine: Ptr, QueueType: u32, Context: Ptr) -> () = io::work_item::IoQueueWorkItemEx;
    stdcall fn ExCreateCallback(CallbackObject: Ptr, ObjectAttributes: Ptr, Create: Boolean, AllowMultipleCallbacks: Boolean) -> NtStatus = ex::callback::ExCreateCallback;
    stdcall fn ExRegisterCallback(CallbackObject: Ptr, CallbackFunction: Ptr, CallbackContext: Ptr) -> Ptr = ex::callback::ExRegisterCallback;
    stdcall fn ExUnregisterCallback(CbRegistration: Ptr) -> () = ex::callback::ExUnregisterCallback;
    stdcall fn ExNotifyCallback(CallbackObject: Ptr, Argument1: Ptr, Argument2: Ptr) -> () = ex::callback::ExNotifyCallback;
    #[x86] stdcall fn KeQuerySystemTime(CurrentTime: Ptr) -> () = ke::time::KeQuerySystemTime;
    stdcall fn KeQuerySystemTimePrecise(CurrentTime: Ptr) -> () = ke::time::KeQuerySystemTimePrecise;
    #[x86] stdcall fn KeQueryTickCount(TickCount: Ptr) -> () = ke::time::KeQueryTickCount;
    #[x86] stdcall fn KeQueryInterruptTime() -> u64 = ke::time::KeQueryInterruptTime;
    stdcall fn KeQueryInterruptTimePrecise(QpcTimeStamp: Ptr) -> u64 = ke::time::KeQueryInterruptTimePrecise;
    stdcall fn KeQueryUnbiasedInterruptTime() -> u64 = ke::time::KeQueryUnbiasedInterruptTime;
    stdcall fn KeQueryTimeIncrement() -> u32 = ke::time::KeQueryTimeIncrement;

    // Processes and threads (ps/).
    stdcall fn PsCreateSystemThread(ThreadHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, ProcessHandle: HANDLE, ClientId: Ptr, StartRoutine: Ptr, StartContext: Ptr) -> NtStatus = ps::thread::PsCreateSystemThread;
    stdcall fn PsTerminateSystemThread(ExitStatus: NtStatus) -> NtStatus = ps::thread::PsTerminateSystemThread;
    stdcall fn PsGetCurrentThread() -> Ptr = ps::lookup::PsGetCurrentThread;
    stdcall fn PsGetCurrentThreadId() -> Ptr = ps::lookup::PsGetCurrentThreadId;
    stdcall fn PsGetCurrentProcess() -> Ptr = ps::lookup::PsGetCurrentProcess;
    stdcall fn PsGetCurrentProcessId() -> Ptr = ps::lookup::PsGetCurrentProcessId;
    stdcall fn PsLookupProcessByProcessId(ProcessId: Ptr, Process: Ptr) -> NtStatus = ps::lookup::PsLookupProcessByProcessId;
    stdcall fn PsLookupThreadByThreadId(ThreadId: Ptr, Thread: Ptr) -> NtStatus = ps::lookup::PsLookupThreadByThreadId;
    stdcall fn PsGetProcessId(Process: Ptr) -> Ptr = ps::lookup::PsGetProcessId;
    stdcall fn PsGetProcessImageFileName(Process: Ptr) -> Ptr = ps::lookup::PsGetProcessImageFileName;
    stdcall fn PsGetProcessInheritedFromUniqueProcessId(Process: Ptr) -> Ptr = ps::lookup::PsGetProcessInheritedFromUniqueProcessId;
    stdcall fn PsGetThreadId(Thread: Ptr) -> Ptr = ps::lookup::PsGetThreadId;
    stdcall fn PsGetThreadProcessId(Thread: Ptr) -> Ptr = ps::lookup::PsGetThreadProcessId;
    stdcall fn PsGetThreadProcess(Thread: Ptr) -> Ptr = ps::lookup::PsGetThreadProcess;
    stdcall fn IoThreadToProcess(Thread: Ptr) -> Ptr = ps::lookup::IoThreadToProcess;
    stdcall fn PsIsSystemThread(Thread: Ptr) -> Boolean = ps::lookup::PsIsSystemThread;
    stdcall fn PsIsThreadTerminating(Thread: Ptr) -> Boolean = ps::lookup::PsIsThreadTerminating;
    stdcall fn PsSetCreateProcessNotifyRoutine(NotifyRoutine: Ptr, Remove: Boolean) -> NtStatus = ps::notify::PsSetCreateProcessNotifyRoutine;
    stdcall fn PsSetCreateProcessNotifyRoutineEx(NotifyRoutine: Ptr, Remove: Boolean) -> NtStatus = ps::notify::PsSetCreateProcessNotifyRoutineEx;
    stdcall fn PsSetCreateProcessNotifyRoutineEx2(NotifyType: u32, NotifyInformation: Ptr, Remove: Boolean) -> NtStatus = ps::notify::PsSetCreateProcessNotifyRoutineEx2;
    stdcall fn PsSetCreateThreadNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsSetCreateThreadNotifyRoutine;
    stdcall fn PsRemoveCreateThreadNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsRemoveCreateThreadNotifyRoutine;
    stdcall fn PsSetLoadImageNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsSetLoadImageNotifyRoutine;
    stdcall fn PsRemoveLoadImageNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsRemoveLoadImageNotifyRoutine;

    // Exceptions and unwinding (seh/).
    #[x64] stdcall fn __C_specific_handler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::c_specific_handler::__C_specific_handler;
    #[x64] stdcall fn _local_unwind(TargetFrame: Ptr, TargetIp: Ptr) -> () = seh::unwind::_local_unwind;
    #[x64] stdcall fn RtlUnwindEx(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr, ContextRecord: Ptr, HistoryTable: Ptr) -> () = seh::unwind::RtlUnwindEx;
    #[x64] stdcall fn RtlUnwind(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr) -> () = seh::unwind::RtlUnwind64;
    #[x86] stdcall fn RtlUnwind(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr) -> SizeT = seh::x86_frames::RtlUnwind;
    #[x64] stdcall fn RtlVirtualUnwind(HandlerType: u32, ImageBase: u64, ControlPc: u64, FunctionEntry: Ptr, ContextRecord: Ptr, HandlerData: Ptr, EstablisherFrame: Ptr, ContextPointers: Ptr) -> Ptr = seh::virtual_unwind::RtlVirtualUnwind;
    #[x64] stdcall fn RtlLookupFunctionEntry(ControlPc: u64, ImageBase: Ptr, HistoryTable: Ptr) -> Ptr = seh::pdata::RtlLookupFunctionEntry;
    stdcall fn RtlCaptureContext(ContextRecord: Ptr) -> () = seh::context::RtlCaptureContext;
    #[x64] stdcall fn RtlRestoreContext(ContextRecord: Ptr, ExceptionRecord: Ptr) -> () = seh::context::RtlRestoreContext;
    stdcall fn RtlCaptureStackBackTrace(FramesToSkip: u32, FramesToCapture: u32, BackTrace: Ptr, BackTraceHash: Ptr) -> u16 = seh::backtrace::RtlCaptureStackBackTrace;
    stdcall fn RtlWalkFrameChain(Callers: Ptr, Count: u32, Flags: u32) -> u32 = seh::backtrace::RtlWalkFrameChain;
    stdcall fn RtlRaiseException(ExceptionRecord: Ptr) -> () = seh::raise::RtlRaiseException;
    stdcall fn ExRaiseStatus(Status: NtStatus) -> () = seh::raise::ExRaiseStatus;
    stdcall fn ExRaiseAccessViolation() -> () = seh::raise::ExRaiseAccessViolation;
    stdcall fn ExRaiseDatatypeMisalignment() -> () = seh::raise::ExRaiseDatatypeMisalignment;
    stdcall fn ProbeForRead(Address: Ptr, Length: SizeT, Alignment: u32) -> () = seh::probe::ProbeForRead;
    stdcall fn ProbeForWrite(Address: Ptr, Length: SizeT, Alignment: u32) -> () = seh::probe::ProbeForWrite;
    stdcall fn MmCopyMemory(TargetAddress: Ptr, SourceAddress: u64, NumberOfBytes: SizeT, Flags: u32, NumberOfBytesTransferred: Ptr) -> NtStatus = mm::copy::MmCopyMemory;
    #[x86] cdecl fn _except_handler2(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::except_handler::_except_handler2;
    #[x86] cdecl fn _except_handler3(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::except_handler::_except_handler3;
    #[x86] cdecl fn _local_unwind2(Registration: Ptr, StopLevel: u32) -> () = seh::except_handler::_local_unwind2;
    #[x86] cdecl fn _global_unwind2(Registration: Ptr) -> () = seh::except_handler::_global_unwind2;
    #[x86] cdecl fn _abnormal_termination() -> u32 = seh::except_handler::_abnormal_termination;

    // Security, power, tracing (se/, po/, etw/).
};
