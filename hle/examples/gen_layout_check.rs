//! Writes corpus/layout/layout_check.c from the structure declarations in hle/src/layout.
fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/layout/layout_check.c");
    std::fs::write(path, portcullis_hle::layout::check_source()).expect("write layout_check.c");
    println!("wrote {path}");
}
