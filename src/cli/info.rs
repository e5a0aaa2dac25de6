//! `portcullis info DRIVER.sys`: the image, its imports (implemented or missing) and a static
//! census of the privileged instructions in its code.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use portcullis::hle::exports::{self, Dll};
use serde::Serialize;

use super::census::{self, Census};
use super::{error, EXIT_OK, EXIT_USAGE};

#[derive(Args)]
pub struct InfoArgs {
    /// The driver image (.sys).
    pub driver: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct Section {
    name: String,
    rva: String,
    virtual_size: u32,
    raw_size: u32,
    flags: String,
}

#[derive(Serialize)]
struct Import {
    dll: String,
    name: String,
    implemented: bool,
}

#[derive(Serialize)]
struct Info {
    schema: &'static str,
    path: String,
    sha256: String,
    arch: &'static str,
    image_base: String,
    entry: String,
    size_of_image: u64,
    sections: Vec<Section>,
    imports: Vec<Import>,
    exports: Vec<String>,
    /// Damaged parts Windows does not read at load (the image loads anyway).
    warnings: Vec<String>,
    /// Privileged and port instructions found by disassembling the executable sections,
    /// by mnemonic, with the addresses (at the preferred base) of the first few.
    privileged_census: BTreeMap<String, Census>,
}

pub fn main(args: InfoArgs) -> i32 {
    let bytes = match portcullis::host_file::read_capped(&args.driver, portcullis::host_file::MAX_IMAGE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            error(format!("cannot read {}: {e}", args.driver.display()));
            return EXIT_USAGE;
        }
    };
    let (image, imports) = match portcullis::hle::loader::describe(&bytes) {
        Ok(v) => v,
        Err(e) => {
            error(format!("{}: {e}", args.driver.display()));
            return EXIT_USAGE;
        }
    };
    let kernel = exports::for_arch(image.arch);
    let implemented = |dll: &str, name: &str| Dll::from_import(dll).is_some_and(|d| kernel.implements(d, name));
    let info = Info {
        schema: "portcullis-info/1",
        path: args.driver.display().to_string(),
        sha256: {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
        },
        arch: image.arch.name(),
        image_base: format!("{:#x}", image.base),
        entry: format!("{:#x}", image.entry),
        size_of_image: image.size,
        sections: image
            .sections
            .iter()
            .map(|s| Section {
                name: s.name.clone(),
                rva: format!("{:#x}", s.rva),
                virtual_size: s.virtual_size,
                raw_size: s.raw_size,
                flags: format!("r{}{}", if s.writable() { "w" } else { "-" }, if s.executable() { "x" } else { "-" }),
            })
            .collect(),
        imports: imports
            .iter()
            .map(|(d, n)| Import { dll: d.clone(), name: n.clone(), implemented: implemented(d, n) })
            .collect(),
        exports: image.exports.clone(),
        warnings: portcullis::hle::loader::warnings(&bytes),
        privileged_census: census::census(&bytes, &image),
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&info).expect("serialisable")),
        Format::Text => print!("{}", text(&info)),
    }
    EXIT_OK
}

fn text(info: &Info) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "driver  {} ({})", info.path, info.arch);
    let _ = writeln!(s, "sha256  {}", info.sha256);
    let _ = writeln!(s, "base    {}  entry {}  size {:#x}", info.image_base, info.entry, info.size_of_image);
    for w in &info.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(s, "\nsections");
    for sec in &info.sections {
        let _ = writeln!(s, "  {:<10} {:>10}  {:>8} bytes  {}", sec.name, sec.rva, sec.virtual_size, sec.flags);
    }
    let missing = info.imports.iter().filter(|i| !i.implemented).count();
    let _ = writeln!(s, "\nimports ({} implemented, {missing} missing)", info.imports.len() - missing);
    for i in &info.imports {
        let _ = writeln!(s, "  {} {}!{}", if i.implemented { " " } else { "!" }, i.dll, i.name);
    }
    if !info.exports.is_empty() {
        let _ = writeln!(s, "\nexports");
        for e in &info.exports {
            let _ = writeln!(s, "  {e}");
        }
    }
    let _ = writeln!(s, "\nprivileged and port instructions in the code");
    if info.privileged_census.is_empty() {
        let _ = writeln!(s, "  none found");
    }
    for (m, c) in &info.privileged_census {
        let _ = writeln!(s, "  {:<8} {:>5}  {}", m, c.count, c.first.join(" "));
    }
    s
}
