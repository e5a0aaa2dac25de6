#!/usr/bin/env bash
# The linker of x86_64 Linux builds (named in .cargo/config.toml): `cc`, exactly as rustc
# asks, for everything but the `portcullis` executable, which build.rs marks with
# $MARKER. That one is linked statically (glibc, and libgcc's unwinder in place of
# libgcc_s), so no start of the CLI pays the dynamic loader: loading libc, libm and libgcc_s,
# binding their symbols and relocating them took ~0.5 ms of a ~2 ms run (docs/architecture.md,
# "Start-up cost").
#
# Why not rustc's own `-C target-feature=+crt-static`: when the host is the target, rustflags
# also reach proc-macro crates, which cannot be static, and the build fails. Tests, build
# scripts and proc macros are linked as rustc asks; if the static link fails (a system
# without a static glibc), the executable is too.
set -u
MARKER=-Wl,--defsym=PORTCULLIS_STATIC_EXECUTABLE=0

marked=0
for arg in "$@"; do
    [[ $arg == "$MARKER" ]] && marked=1
done
if ((!marked)); then
    exec cc "$@"
fi

as_asked=()
static=()
for arg in "$@"; do
    case $arg in
        "$MARKER") ;;
        # Libraries after rustc's -Bdynamic are system libraries: keep them static too.
        -Wl,-Bdynamic) as_asked+=("$arg") ;;
        -lgcc_s) as_asked+=("$arg") && static+=(-lgcc_eh) ;;
        -pie) as_asked+=("$arg") ;;
        *) as_asked+=("$arg") && static+=("$arg") ;;
    esac
done
errors=$(cc "${static[@]}" -static 2>&1) && exit 0
echo "scripts/linker.sh: the static link failed; linking dynamically. ${errors:0:2000}" >&2
exec cc "${as_asked[@]}"
