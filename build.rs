//! Links the `portcullis` executable position-dependent (non-PIE) on Linux.
//!
//! Start-up cost: as a PIE, the 67 MB binary carries ~94,000 relative relocations (mostly
//! pointer tables in Unicorn's and capstone's C code and Rust vtables), which the dynamic
//! loader applies to 1.5 MB of `.data.rel.ro` at every start: ~0.9 ms and ~370 page faults,
//! a third of a whole `portcullis info`. Linked at a fixed address there is nothing to
//! relocate. Only the executable is affected: tests, benches and proc-macro crates keep the
//! toolchain's defaults. The object code stays position-independent (the linker resolves it).
//! The price is that the executable itself is not address-randomised (its libraries, heap,
//! stack and mappings still are); guest code never sees host addresses.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        // Asks scripts/linker.sh (x86_64 Linux, see .cargo/config.toml) to link the executable
        // statically; any other linker just defines an unused absolute symbol.
        println!("cargo:rustc-link-arg-bins=-Wl,--defsym=PORTCULLIS_STATIC_EXECUTABLE=0");
    }
}
