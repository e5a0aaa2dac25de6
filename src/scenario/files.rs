//! The files part of a scenario: `[files]`, the files the C: volume starts with. A file is
//! text (`'C:\x.ini' = "key=1"`, stored as UTF-8), or a table: `{ text = "..." }`,
//! `{ utf16 = "..." }` (UTF-16LE with a byte-order mark), `{ bytes = "01 02" }` (any bytes
//! syntax), or `{ host = "fw.bin" }`, a file of the host read when the scenario is loaded
//! (relative to the scenario file). Paths are `C:\...`, `\SystemRoot\...` or `\??\C:\...`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::format::Bytes;

/// A file's contents as the scenario gives them.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub(crate) enum FileSpec {
    Text(String),
    Table(FileTable),
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileTable {
    text: Option<String>,
    utf16: Option<String>,
    bytes: Option<Bytes>,
    host: Option<String>,
}

/// `[files]`: path -> contents.
pub(crate) type Files = BTreeMap<String, FileSpec>;

impl FileSpec {
    /// The bytes of the file; `base` is the scenario file's directory (for `host`).
    pub(crate) fn contents(&self, base: &Path) -> Result<Vec<u8>, String> {
        match self {
            FileSpec::Text(t) => Ok(t.as_bytes().to_vec()),
            FileSpec::Table(t) => {
                let given = [t.text.is_some(), t.utf16.is_some(), t.bytes.is_some(), t.host.is_some()];
                if given.iter().filter(|g| **g).count() != 1 {
                    return Err("a file is one of text, utf16, bytes or host".into());
                }
                if let Some(s) = &t.text {
                    return Ok(s.as_bytes().to_vec());
                }
                if let Some(s) = &t.utf16 {
                    return Ok([0xFF, 0xFE]
                        .into_iter()
                        .chain(s.encode_utf16().flat_map(|u| u.to_le_bytes()))
                        .collect());
                }
                if let Some(b) = &t.bytes {
                    return Ok(b.0.clone());
                }
                let host = t.host.as_deref().expect("one is given");
                crate::host_file::read_capped(&base.join(host), crate::host_file::MAX_INPUT_BYTES)
                    .map_err(|e| format!("cannot read {host}: {e}"))
            }
        }
    }
}
