#!/usr/bin/env bash
# Builds every corpus driver (corpus/<name>/<name>.c) for x86 and x64 with
# mingw-w64, writing corpus/<name>/<name>.x86.sys and <name>.x64.sys.
#
#   corpus/build.sh           build and install the binaries next to the sources
#   corpus/build.sh --check   build into a temporary directory and compare with
#                             the committed binaries; exit 1 if any differ
#
# Exit status: 0 success (and, with --check, all binaries identical),
# 1 build failure or a --check difference, 2 toolchain missing.
#
# A driver that needs imports libntoskrnl.a lacks provides
# corpus/<name>/<name>.<arch>.def; an extra import library is made from it
# with dlltool and linked before -lntoskrnl. A driver that needs linker flags
# of its own (e.g. -Wl,--forceinteg for /INTEGRITYCHECK) lists them in
# corpus/<name>/<name>.ldflags.
#
# The flags are the ones from DESIGN.md ("Building test drivers with
# mingw-w64"); --no-insert-timestamp makes rebuilds byte-identical.
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
if ((${#missing_tools[@]})); then
    echo "corpus/build.sh: mingw-w64 toolchain not found: ${missing_tools[*]}" >&2
    echo "corpus/build.sh: install it with: apt-get install gcc-mingw-w64-x86-64 gcc-mingw-w64-i686" >&2
    exit 2
fi

common=(-O2 -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables
    -mno-stack-arg-probe -nostdlib -Wl,--subsystem,native -Wl,--fatal-warnings
    -Wl,--no-insert-timestamp)

drivers=()
for dir in */; do
    name=${dir%/}
    if [[ -f $name/$name.c ]]; then
        drivers+=("$name")
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build NAME ARCH OUTPUT
build() {
    local name=$1 arch=$2 output=$3
    local triple def lib
    triple=$(triple_of "$arch")
    local extra=()

    def=$name/$name.$arch.def
    if [[ -f $def ]]; then
        # Run dlltool inside $work with a relative library name: dlltool derives
        # symbol names from it, and those end up in the image's symbol table.
        lib=lib$name-$arch.a
        local kill_at=()
        if [[ $arch == x86 ]]; then
            kill_at=(--kill-at) # stdcall: the PE imports the undecorated name
        fi
        (cd "$work" && "$triple-dlltool" ${kill_at[@]+"${kill_at[@]}"} \
            --input-def "$corpus_dir/$def" --output-lib "$lib")
        extra=("$work/$lib")
    fi

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

built=()
for name in "${drivers[@]}"; do
    mkdir -p "$work/out/$name"
    for arch in "${archs[@]}"; do
        build "$name" "$arch" "$work/out/$name/$name.$arch.sys"
        built+=("$name/$name.$arch.sys")
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
