#!/usr/bin/env bash
# Installs what building Portcullis needs beyond Rust: cmake and libclang (Unicorn's C
# build and its bindgen step), and optionally what rebuilding the corpus drivers takes: the
# mingw-w64 cross compilers, and clang, lld-link and llvm-dlltool for the drivers built for
# the MSVC targets (corpus/<name>/<name>.clang.c, structured exception handling). As root it installs them with apt-get; otherwise it prints the command.
#
#   scripts/prerequisites.sh            build prerequisites
#   scripts/prerequisites.sh --mingw    also mingw-w64, clang, lld and llvm
set -euo pipefail

want_mingw=0
[[ ${1:-} == --mingw ]] && want_mingw=1

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
# bindgen needs libclang and clang's own headers (stdbool.h): libclang-dev has both.
if ! compgen -G "/usr/lib/llvm-*/lib/clang/*/include/stdbool.h" >/dev/null \
    || ! compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null; then
    missing+=(libclang-dev)
fi
if ((want_mingw)); then
    command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
    command -v i686-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-i686)
    command -v clang >/dev/null 2>&1 || missing+=(clang)
    command -v lld-link >/dev/null 2>&1 || missing+=(lld)
    command -v llvm-dlltool >/dev/null 2>&1 || missing+=(llvm)
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
fi

echo "Portcullis needs: ${missing[*]}" >&2
echo "Install them with:" >&2
echo "    sudo apt-get install -y ${missing[*]}" >&2
exit 1
