//! Which drivers a survey covers: every file given, and every `*.sys` (any case) under every
//! directory given, recursively, in name order. Symbolic links to directories are not
//! followed (no loops); each file appears once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The drivers under `paths`, and warnings about directories that could not be read.
pub fn find(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<String>), String> {
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut found, &mut warnings);
        } else {
            found.push(p.clone());
        }
    }
    let mut seen = HashSet::new();
    found.retain(|p| seen.insert(p.clone()));
    if found.is_empty() {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(format!("no drivers (*.sys) found in {}", list.join(", ")));
    }
    Ok((found, warnings))
}

fn is_sys(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("sys"))
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, warnings: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(e) => {
            warnings.push(format!("cannot read {}: {e}", dir.display()));
            return;
        }
    };
    entries.sort();
    for path in entries {
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            walk(&path, found, warnings);
        } else if is_sys(&path) && (meta.is_file() || path.is_file()) {
            found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sys_files_recursively_in_name_order() {
        let dir = std::env::temp_dir().join(format!("portcullis-survey-find-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for p in ["b.SYS", "a.sys", "notes.txt", "sub/c.sys", "sub/deeper/d.Sys", "sub/e.dll"] {
            let p = dir.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let extra = dir.join("notes.txt");
        let (found, warnings) = find(&[dir.clone(), extra.clone(), dir.join("a.sys")]).unwrap();
        let rel: Vec<String> = found.iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect();
        assert_eq!(rel, ["a.sys", "b.SYS", "sub/c.sys", "sub/deeper/d.Sys", "notes.txt"]);
        assert!(warnings.is_empty());
        assert!(find(&[dir.join("sub/none")]).unwrap_err().contains("sub/none"));
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        assert!(find(&[dir.join("empty")]).unwrap_err().contains("no drivers"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
