//! Addresses, pointers and handles in reports are hex strings ("0xfffff80100001000"), as
//! docs/report.md promises: a 64-bit value as a JSON number loses its low bits in readers
//! that hold numbers as doubles. `#[serde(serialize_with = "crate::hex::serialize")]`.

/// `v` as `0x...`.
pub fn serialize<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:#x}"))
}

/// A pool tag as its four characters ("Leak").
pub fn tag<S: serde::Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::exports::args::tag_text(*v))
}
