//! The committed corpus binaries are what their sources build (byte for byte), and the
//! emulator's structure layouts match the DDK headers. Needs mingw-w64, clang, lld-link and
//! llvm-dlltool; skipped otherwise.

use std::process::Command;

#[test]
fn committed_corpus_binaries_match_their_sources() {
    // Installed when it can be started (llvm-dlltool has no option that exits 0).
    let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    let tools = ["x86_64-w64-mingw32-gcc", "i686-w64-mingw32-gcc", "clang", "lld-link", "llvm-dlltool"];
    if let Some(missing) = tools.iter().find(|tool| !have(tool)) {
        println!("skipped: {missing} is not installed (scripts/prerequisites.sh --mingw installs it)");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/build.sh");
    let out = Command::new("bash").arg(script).arg("--check").output().expect("run corpus/build.sh");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "corpus/build.sh --check failed:\n{text}");
    assert!(text.contains("structure layouts match the DDK headers"), "{text}");
    assert!(text.contains("identical to the committed ones"), "{text}");
}
