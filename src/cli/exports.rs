//! `portcullis exports [--dll NAME] [--arch x86|x64] [--format json]`: every export the
//! kernel implements, as its tables declare it.

use clap::Args;
use portcullis::emu::Arch;
use portcullis::hle::exports::{self, Dll, ExportDef};
use portcullis::hle::types::ArgKind;
use serde::Serialize;

use super::{error, EXIT_OK, EXIT_USAGE};

#[derive(Args)]
pub struct ExportsArgs {
    /// Only this library (e.g. ntoskrnl.exe, hal.dll, fltmgr.sys).
    #[arg(long, value_name = "NAME")]
    pub dll: Option<String>,
    /// Only exports of this architecture.
    #[arg(long, value_enum)]
    pub arch: Option<ArchArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchArg {
    X86,
    X64,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One export on one architecture.
#[derive(Serialize)]
struct Row {
    dll: &'static str,
    name: &'static str,
    arch: &'static str,
    /// "function" or "data".
    kind: &'static str,
    /// The calling convention on this architecture (`stdcall`, `cdecl`, `fastcall`, `win64`);
    /// null for data.
    conv: Option<&'static str>,
    /// Bytes the routine pops on return (x86 stdcall/fastcall).
    pops: u16,
    params: Vec<Param>,
    variadic: bool,
    /// The arguments are in EAX, EDX, ECX (the compiler's x86 register-based helpers).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    registers: bool,
    /// The return kind (`status`, `ptr`, `u32`, ...); `void` for none, null for data.
    ret: Option<String>,
}

#[derive(Serialize)]
struct Param {
    name: &'static str,
    kind: String,
}

fn kind_name(k: ArgKind) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn rows(dll: Option<Dll>, arch: Option<Arch>) -> Vec<Row> {
    let archs: Vec<Arch> = match arch {
        Some(a) => vec![a],
        None => vec![Arch::X86, Arch::X64],
    };
    let mut rows = Vec::new();
    for e in exports::all().filter(|e| dll.is_none_or(|d| e.dll() == d)) {
        for &a in archs.iter().filter(|a| e.exists_on(**a)) {
            rows.push(match e {
                ExportDef::Function(f) => {
                    let conv = f.conv_on(a);
                    Row {
                        dll: f.dll.name(),
                        name: f.name,
                        arch: a.name(),
                        kind: "function",
                        conv: Some(conv.name()),
                        pops: conv.callee_pops(f.slots(a)),
                        params: f
                            .params
                            .iter()
                            .map(|p| Param {
                                name: p.name,
                                kind: if p.wide { "u64".into() } else { kind_name(p.kind) },
                            })
                            .collect(),
                        variadic: f.varargs,
                        registers: f.regs,
                        ret: Some(f.ret.map(kind_name).unwrap_or_else(|| "void".into())),
                    }
                }
                ExportDef::Data(d) => Row {
                    dll: d.dll.name(),
                    name: d.name,
                    arch: a.name(),
                    kind: "data",
                    conv: None,
                    pops: 0,
                    params: Vec::new(),
                    variadic: false,
                    registers: false,
                    ret: None,
                },
            });
        }
    }
    rows.sort_by(|a, b| (a.dll, a.name, a.arch == "x64").cmp(&(b.dll, b.name, b.arch == "x64")));
    rows
}

pub fn main(args: ExportsArgs) -> i32 {
    let dll = match &args.dll {
        Some(name) => match Dll::from_import(name) {
            Some(d) => Some(d),
            None => {
                let known: Vec<&str> = Dll::ALL.iter().map(|d| d.name()).collect();
                error(format!("unknown library {name}; the kernel knows {}", known.join(", ")));
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let arch = args.arch.map(|a| match a {
        ArchArg::X86 => Arch::X86,
        ArchArg::X64 => Arch::X64,
    });
    let rows = rows(dll, arch);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows).expect("rows serialise")),
        Format::Text => print!("{}", render(&rows)),
    }
    EXIT_OK
}

/// One line per export: `dll!name  archs  convention  ret name(params)`.
fn render(rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let mut i = 0;
    let (mut functions, mut data) = (0, 0);
    while i < rows.len() {
        // The rows of one export (one per architecture) are adjacent.
        let same: Vec<&Row> = rows[i..].iter().take_while(|r| r.dll == rows[i].dll && r.name == rows[i].name).collect();
        i += same.len();
        let r = same[0];
        let archs: Vec<&str> = same.iter().map(|r| r.arch).collect();
        let full = format!("{}!{}", r.dll, r.name);
        if r.kind == "data" {
            data += 1;
            let _ = writeln!(s, "{full:<56} {:<8} data", archs.join(","));
            continue;
        }
        functions += 1;
        let x86 = same.iter().find(|r| r.arch == "x86");
        let conv = match x86 {
            Some(r) if r.pops > 0 => format!("{} {}", r.conv.unwrap_or("?"), r.pops),
            Some(r) if r.registers => format!("{} regs", r.conv.unwrap_or("?")),
            Some(r) => r.conv.unwrap_or("?").to_string(),
            None => "win64".into(),
        };
        let mut params: Vec<String> = r.params.iter().map(|p| format!("{}: {}", p.name, p.kind)).collect();
        if r.variadic {
            params.push("...".into());
        }
        let ret = r.ret.as_deref().unwrap_or("void");
        let _ = writeln!(s, "{full:<56} {:<8} {conv:<12} {ret} ({})", archs.join(","), params.join(", "));
    }
    let dlls: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.dll).collect();
    let _ = writeln!(
        s,
        "\n{} exports ({functions} routines, {data} variables) in {} libraries",
        functions + data,
        dlls.len()
    );
    s
}
