#!/usr/bin/env bash
# Builds every corpus driver for x86 and x64, writing corpus/<name>/<name>.x86.sys
# and <name>.x64.sys:
#   corpus/<name>/<name>.c        with mingw-w64 (gcc)
#   corpus/<name>/<name>.clang.c  with clang for the MSVC targets (x86_64-pc-windows-msvc,
#                                 i686-pc-windows-msvc) and lld-link: drivers that use
#                                 __try/__except/__finally, which gcc does not compile
#
#   corpus/build.sh           build and install the binaries next to the sources
#   corpus/build.sh --check   build into a temporary directory and compare with
#                             the committed binaries; exit 1 if any differ
#
# Exit status: 0 success (and, with --check, all binaries identical),
# 1 build failure or a --check difference, 2 toolchain missing.
#
# A driver built for one architecture only lists it in corpus/<name>/<name>.archs (the
# x86-only Ke386* routines). User programs are corpus/<name>/<program>.exe.c, built as
# console programs with kernel32 only (no C runtime; entry point ProgramStart) into
# corpus/<name>/<program>.<arch>.exe for the directory's architectures, or those
# corpus/<name>/<program>.archs lists. DLLs are corpus/<name>/<library>.dll.c, built into
# corpus/<name>/<library>.<arch>.dll before the programs, which link every DLL of their
# directory. A program that uses __try is <program>.clang.exe.c, built with clang for the
# MSVC target against import libraries from its <program>.<arch>.<dll>.def files.
#
# A driver that needs imports libntoskrnl.a lacks provides
# corpus/<name>/<name>.<arch>.def; an extra import library is made from it
# with dlltool and linked before -lntoskrnl. A driver that needs linker flags
# of its own (e.g. -Wl,--forceinteg for /INTEGRITYCHECK) lists them in
# corpus/<name>/<name>.ldflags.
#
# The flags are the ones from DESIGN.md ("Building test drivers with
# mingw-w64"); --no-insert-timestamp makes rebuilds byte-identical.
#
# clang drivers include the same mingw-w64 DDK headers (clang told to look like gcc
# to them) and link against import libraries made with llvm-dlltool from .def files
# generated from hle/data/signatures.tsv: every export of ntoskrnl.exe and hal.dll
# with its x86 decoration. lld-link's /Brepro keeps rebuilds byte-identical.
set -euo pipefail
export LC_ALL=C

usage() {
    echo "usage: $0 [--check]" >&2
    exit 2
}

check=0
case $# in
0) ;;
1) [[ $1 == --check ]] || usage; check=1 ;;
*) usage ;;
esac

corpus_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$corpus_dir"

triple_of() {
    case $1 in
    x86) echo i686-w64-mingw32 ;;
    x64) echo x86_64-w64-mingw32 ;;
    esac
}

entry_of() {
    case $1 in
    x86) echo _DriverEntry@8 ;;
    x64) echo DriverEntry ;;
    esac
}

archs=(x86 x64)
objdump=x86_64-w64-mingw32-objdump

missing_tools=()
for arch in "${archs[@]}"; do
    triple=$(triple_of "$arch")
    for tool in "$triple-gcc" "$triple-dlltool"; do
        command -v "$tool" >/dev/null 2>&1 || missing_tools+=("$tool")
    done
    [[ -d /usr/$triple/include/ddk ]] || missing_tools+=("/usr/$triple/include/ddk (DDK headers)")
done
command -v "$objdump" >/dev/null 2>&1 || missing_tools+=("$objdump")
for tool in clang lld-link llvm-dlltool; do
    command -v "$tool" >/dev/null 2>&1 || missing_tools+=("$tool")
done
if ((${#missing_tools[@]})); then
    echo "corpus/build.sh: toolchain not found: ${missing_tools[*]}" >&2
    echo "corpus/build.sh: install it with: apt-get install gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 clang lld llvm" >&2
    echo "corpus/build.sh: (or scripts/prerequisites.sh --mingw)" >&2
    exit 2
fi

common=(-O2 -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables
    -mno-stack-arg-probe -nostdlib -Wl,--subsystem,native -Wl,--fatal-warnings
    -Wl,--no-insert-timestamp)

drivers=()
for dir in */; do
    name=${dir%/}
    if [[ -f $name/$name.c && -f $name/$name.clang.c ]]; then
        echo "corpus/build.sh: $name has both $name.c and $name.clang.c; keep one" >&2
        exit 1
    fi
    if [[ -f $name/$name.c || -f $name/$name.clang.c ]]; then
        drivers+=("$name")
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Import libraries for the clang drivers, per architecture: a .def per DLL from the
# signature list (x86 names carry their stdcall/fastcall decoration), made into an
# import library by llvm-dlltool. The libraries give every import hint 0, so the
# order of the list never reaches a driver image.
signatures=$corpus_dir/../hle/data/signatures.tsv
msvc_libs() {
    local arch=$1 machine dll base
    machine=$([[ $arch == x86 ]] && echo i386 || echo i386:x86-64)
    for dll in ntoskrnl.exe hal.dll; do
        base=${dll%.*}
        {
            echo "LIBRARY $dll"
            echo "EXPORTS"
            awk -F'\t' -v dll="$dll" -v arch="$arch" '
                /^#/ || $1 != dll { next }
                {
                    col = (arch == "x86") ? $3 : $4
                    if (col == "-") next
                    if (col == "data") { print "    " $2 " DATA"; next }
                    if (arch == "x64") { print "    " $2; next }
                    split(col, c, ":")
                    if (c[1] == "stdcall") print "    " $2 "@" c[2]
                    else if (c[1] == "fastcall") print "    @" $2 "@" (c[2] + regs($6))
                    else print "    " $2
                }
                # A fastcall decoration counts the bytes passed in ECX/EDX too: the first
                # two arguments of at most four bytes (the list gives what is popped).
                function regs(params,    n, i, p, small) {
                    if (params == "void") return 0
                    if (params == "?") return 8
                    n = split(params, p, ",")
                    small = 0
                    for (i = 1; i <= n; i++) if (p[i] != "..." && p[i] !~ /:wide$/) small++
                    return (small < 2 ? small : 2) * 4
                }' "$signatures"
        } >"$work/$base.$arch.def"
        (cd "$work" && llvm-dlltool -m "$machine" -k -d "$base.$arch.def" -l "$base.$arch.lib")
    done
}
for arch in "${archs[@]}"; do
    msvc_libs "$arch"
done

clang_target_of() {
    case $1 in
    x86) echo i686-pc-windows-msvc ;;
    x64) echo x86_64-pc-windows-msvc ;;
    esac
}

# build_clang NAME ARCH OUTPUT
build_clang() {
    local name=$1 arch=$2 output=$3
    local triple obj defines=()
    triple=$(triple_of "$arch")
    obj=$work/$name.$arch.obj
    # x86: frame pointers kept, as the WDK builds x86 drivers (/Oy-), so EBP chains walk.
    [[ $arch == x86 ]] && defines=(-D_X86_=1 -fno-omit-frame-pointer)
    # -fgnuc-version: the mingw-w64 headers take their gcc paths (the MSVC ones do not
    # compile under clang); -fasynchronous-unwind-tables: unwind information for every
    # function with a frame, as Microsoft's compiler gives it (clang leaves it out of C
    # functions it thinks cannot throw); -ffile-prefix-map keeps the build directory out of
    # the image.
    # clang's __try only expects exceptions from calls (its -fasync-exceptions is not
    # complete in clang 14), so the drivers fault inside the functions they call.
    clang --target="$(clang_target_of "$arch")" -fgnuc-version=4.2.1 -fasynchronous-unwind-tables -O2 -ffreestanding \
        -fno-stack-protector -mno-stack-arg-probe -Wall -Werror -Wno-pragma-pack \
        -Wno-incompatible-library-redeclaration -Wno-unknown-pragmas -Wno-multichar \
        -ffile-prefix-map="$corpus_dir"=corpus ${defines[@]+"${defines[@]}"} \
        -Iinclude -I"/usr/$triple/include/ddk" -I"/usr/$triple/include" \
        -c "$name/$name.clang.c" -o "$obj"
    lld-link /nologo /driver /subsystem:native /nodefaultlib /Brepro /safeseh:no \
        /machine:"$arch" /entry:DriverEntry$([[ $arch == x86 ]] && echo @8) \
        /out:"$output" "$obj" "$work/ntoskrnl.$arch.lib" "$work/hal.$arch.lib"
}

# build NAME ARCH OUTPUT
build() {
    local name=$1 arch=$2 output=$3
    local triple def lib
    triple=$(triple_of "$arch")
    local extra=()

    # <name>.<arch>.def, then one <name>.<arch>.<dll>.def per further library.
    for def in "$name/$name.$arch.def" "$name/$name.$arch".*.def; do
        [[ -f $def ]] || continue
        # Run dlltool inside $work with a relative library name: dlltool derives
        # symbol names from it, and those end up in the image's symbol table.
        lib=$(basename "$def" .def)
        lib=lib$name-$arch${lib#"$name.$arch"}.a
        local kill_at=()
        if [[ $arch == x86 ]]; then
            kill_at=(--kill-at) # stdcall: the PE imports the undecorated name
        fi
        (cd "$work" && "$triple-dlltool" ${kill_at[@]+"${kill_at[@]}"} \
            --input-def "$corpus_dir/$def" --output-lib "$lib")
        extra+=("$work/$lib")
    done

    if [[ -f $name/$name.ldflags ]]; then
        local flags
        read -r -a flags <"$name/$name.ldflags"
        extra+=("${flags[@]}")
    fi

    "$triple-gcc" "${common[@]}" -Iinclude -I"/usr/$triple/include/ddk" \
        -Wl,--entry,"$(entry_of "$arch")" -o "$output" "$name/$name.c" \
        ${extra[@]+"${extra[@]}"} -lntoskrnl -lhal
}

# Lists the imports of a PE image: "  DLL" then "    routine" lines.
imports() {
    "$objdump" -p "$1" | awk '
        /DLL Name:/              { print "  " $3; inlist = 0; next }
        /Hint\/Ord Member-Name/  { inlist = 1; next }
        inlist && NF == 0        { inlist = 0; next }
        inlist                   { print "    " $NF }'
}

# The emulator's structure layouts (hle/src/layout), checked against the DDK headers:
# layout/layout_check.c is all static_asserts, so compiling it is the check.
for arch in "${archs[@]}"; do
    triple=$(triple_of "$arch")
    if ! "$triple-gcc" -fsyntax-only -Iinclude -I"/usr/$triple/include/ddk" layout/layout_check.c; then
        echo "corpus/build.sh: structure layouts disagree with the $triple DDK headers" >&2
        exit 1
    fi
done
echo "structure layouts match the DDK headers (x86 and x64)"

# build_program SOURCE ARCH OUTPUT [IMPLIB...]: a console program importing kernel32,
# advapi32 and the DLLs whose import libraries are given (built from its directory's
# *.dll.c; include/program.h has what programs share).
build_program() {
    local source=$1 arch=$2 output=$3 triple entry
    shift 3
    triple=$(triple_of "$arch")
    entry=$([[ $arch == x86 ]] && echo _ProgramStart || echo ProgramStart)
    "$triple-gcc" -O2 -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-stack-protector \
        -fno-asynchronous-unwind-tables -mno-stack-arg-probe -nostdlib -Wall -Werror \
        -Wl,--subsystem,console -Wl,--fatal-warnings -Wl,--no-insert-timestamp \
        -Iinclude -Wl,--entry,"$entry" -o "$output" "$source" "$@" -lkernel32 -ladvapi32
}

# build_clang_program SOURCE ARCH OUTPUT: a program from <program>.clang.exe.c, built with
# clang for the MSVC target and lld-link (a program that uses __try), no C runtime. Its
# imports come from import libraries made by llvm-dlltool from <program>.<arch>.<dll>.def
# beside it (x86 names carry their stdcall decoration there).
build_clang_program() {
    local source=$1 arch=$2 output=$3 triple obj stem libs=() defines=()
    triple=$(triple_of "$arch")
    stem=${source%.clang.exe.c}
    obj=$work/$(basename "$stem").$arch.obj
    # The mingw-w64 headers, lean (the OLE headers do not compile for the MSVC target).
    defines=(-DWIN32_LEAN_AND_MEAN)
    [[ $arch == x86 ]] && defines+=(-D_X86_=1 -fno-omit-frame-pointer)
    clang --target="$(clang_target_of "$arch")" -fgnuc-version=4.2.1 -fasynchronous-unwind-tables -O2 -ffreestanding \
        -fno-builtin -fno-stack-protector -mno-stack-arg-probe -Wall -Werror -Wno-pragma-pack \
        -ffile-prefix-map="$corpus_dir"=corpus ${defines[@]+"${defines[@]}"} \
        -Iinclude -I"/usr/$triple/include" -c "$source" -o "$obj"
    for def in "$stem.$arch".*.def; do
        [[ -f $def ]] || continue
        local lib
        lib=$work/$(basename "$def" .def).lib
        (cd "$work" && llvm-dlltool -m "$([[ $arch == x86 ]] && echo i386 || echo i386:x86-64)" -k \
            -d "$corpus_dir/$def" -l "$lib")
        libs+=("$lib")
    done
    lld-link /nologo /subsystem:console /nodefaultlib /Brepro /safeseh:no /machine:"$arch" \
        /entry:ProgramStart /out:"$output" "$obj" ${libs[@]+"${libs[@]}"}
}

# build_crt_program SOURCE ARCH OUTPUT: a program whose name ends in _crt: an ordinary C
# program, with mingw-w64's C runtime start-up code and msvcrt.dll.
build_crt_program() {
    local source=$1 arch=$2 output=$3 triple
    triple=$(triple_of "$arch")
    "$triple-gcc" -O2 -Wall -Werror -fno-asynchronous-unwind-tables \
        -Wl,--fatal-warnings -Wl,--no-insert-timestamp -o "$output" "$source"
}

# build_dll SOURCE ARCH OUTPUT: a DLL (entry point DllMain, no C runtime) importing kernel32
# and advapi32, and its import library OUTPUT.a (not installed). x86 stdcall exports are
# there under both names (Out32@8 and Out32, --add-stdcall-alias): programs import the
# decorated one, GetProcAddress finds the plain one, as InpOut32's callers use it.
# The base is the linker default (no --enable-auto-image-base: it hashes the output path).
build_dll() {
    local source=$1 arch=$2 output=$3 triple entry
    triple=$(triple_of "$arch")
    entry=$([[ $arch == x86 ]] && echo _DllMain@12 || echo DllMain)
    "$triple-gcc" -O2 -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-stack-protector \
        -fno-asynchronous-unwind-tables -mno-stack-arg-probe -nostdlib -shared -Wall -Werror \
        -Wl,--fatal-warnings -Wl,--no-insert-timestamp -Wl,--disable-auto-image-base -Wl,--add-stdcall-alias -Wl,--out-implib,"$output.a" \
        -Iinclude -Wl,--entry,"$entry" -o "$output" "$source" -lkernel32 -ladvapi32
}

# The architectures a directory's binaries are built for.
archs_of() {
    if [[ -f $1/$1.archs ]]; then
        cat "$1/$1.archs"
    else
        echo "${archs[@]}"
    fi
}

built=()
for name in "${drivers[@]}"; do
    mkdir -p "$work/out/$name"
    for arch in $(archs_of "$name"); do
        if [[ -f $name/$name.clang.c ]]; then
            build_clang "$name" "$arch" "$work/out/$name/$name.$arch.sys"
        else
            build "$name" "$arch" "$work/out/$name/$name.$arch.sys"
        fi
        built+=("$name/$name.$arch.sys")
    done
    for library in "$name"/*.dll.c; do
        [[ -f $library ]] || continue
        library=$(basename "$library" .dll.c)
        for arch in $(archs_of "$name"); do
            build_dll "$name/$library.dll.c" "$arch" "$work/out/$name/$library.$arch.dll"
            built+=("$name/$library.$arch.dll")
        done
    done
    for program in "$name"/*.exe.c; do
        [[ -f $program ]] || continue
        program=$(basename "$program" .exe.c)
        # <program>.clang.exe.c: built with clang (build_clang_program).
        with_clang=0
        if [[ $program == *.clang ]]; then
            program=${program%.clang}
            with_clang=1
        fi
        # A program's own <program>.archs, else its directory's architectures.
        if [[ -f $name/$program.archs ]]; then
            program_archs=$(cat "$name/$program.archs")
        else
            program_archs=$(archs_of "$name")
        fi
        for arch in $program_archs; do
            if [[ $with_clang == 1 ]]; then
                build_clang_program "$name/$program.clang.exe.c" "$arch" "$work/out/$name/$program.$arch.exe"
            elif [[ $program == *_crt ]]; then
                build_crt_program "$name/$program.exe.c" "$arch" "$work/out/$name/$program.$arch.exe"
            else
                build_program "$name/$program.exe.c" "$arch" "$work/out/$name/$program.$arch.exe" \
                    $(compgen -G "$work/out/$name/*.$arch.dll.a" || true)
            fi
            built+=("$name/$program.$arch.exe")
        done
    done
done

status=0
if ((check)); then
    for sys in "${built[@]}"; do
        if [[ ! -f $sys ]]; then
            echo "differs: $sys (no committed binary)"
            status=1
        elif ! cmp -s "$work/out/$sys" "$sys"; then
            echo "differs: $sys"
            status=1
        fi
    done
    ((status)) || echo "all ${#built[@]} binaries identical to the committed ones"
else
    for sys in "${built[@]}"; do
        cp "$work/out/$sys" "$sys"
    done
    echo "built ${#built[@]} binaries"
fi

echo
echo "imports:"
for sys in "${built[@]}"; do
    echo "$sys"
    imports "$work/out/$sys"
done

exit "$status"
