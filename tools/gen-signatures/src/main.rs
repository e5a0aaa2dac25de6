//! Generates `hle/data/signatures.tsv`: every export of the real kernel-mode libraries as the
//! mingw-w64 import libraries list them, with the x86 calling convention and the bytes each
//! stdcall/fastcall routine pops (from the `Name@N` decorations), and the return type and
//! parameters as the mingw-w64 headers declare them. Public facts, gathered once and
//! committed as data; the kernel's missing-import stubs are built from it.
//!
//! Run from the repository root with mingw-w64 installed:
//!     cargo run -p gen-signatures > hle/data/signatures.tsv
//!
//! Columns (tab-separated): dll, name, x86, x64, ret, params.
//! - x86: `stdcall:N` / `fastcall:N` (bytes the callee pops), `cdecl`, `data`, or `-` (absent)
//! - x64: `fn`, `data`, or `-`
//! - ret: `void`, `status`, `bool`, `ptr`, `int`, `wide` (64-bit: EDX:EAX on x86), or `?`
//! - params: `Name:kind,...` (kinds as the call trace names them; `wide` marks 64-bit values
//!   passed by value), with `,...` for variadic routines, `void` for none, `?` when unknown.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Command;

/// (DLL name as drivers import it, import library stem).
const LIBS: &[(&str, &str)] = &[
    ("ntoskrnl.exe", "ntoskrnl"),
    ("hal.dll", "hal"),
    ("ndis.sys", "ndis"),
    ("wmilib.sys", "wmilib"),
    ("usbd.sys", "usbd"),
    ("ksecdd.sys", "ksecdd"),
    ("hidclass.sys", "hidclass"),
    ("scsiport.sys", "scsiport"),
    ("tdi.sys", "tdi"),
    ("classpnp.sys", "classpnp"),
    ("ks.sys", "ks"),
    ("videoprt.sys", "videoprt"),
    ("netio.sys", "netio"),
];

const TRIPLES: [(&str, bool); 2] = [("i686-w64-mingw32", true), ("x86_64-w64-mingw32", false)];

/// Headers read for prototypes and typedefs (under /usr/x86_64-w64-mingw32/include).
const HEADERS: &[&str] = &[
    "basetsd.h",
    "ntdef.h",
    "minwindef.h",
    "guiddef.h",
    "string.h",
    "wchar.h",
    "stdio.h",
    "stdlib.h",
    "ctype.h",
    "ks.h",
];

#[derive(Clone, Debug, Default)]
struct Row {
    x86: Option<String>,
    x64: Option<String>,
}

fn main() {
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    for (dll, lib) in LIBS {
        for (triple, x86) in TRIPLES {
            let path = format!("/usr/{triple}/lib/lib{lib}.a");
            if !std::path::Path::new(&path).exists() {
                continue;
            }
            for (name, kind) in symbols(triple, &path, x86) {
                let row = rows.entry((dll.to_string(), name)).or_default();
                if x86 {
                    row.x86 = Some(kind);
                } else {
                    row.x64 = Some(kind);
                }
            }
        }
    }

    let inc = "/usr/x86_64-w64-mingw32/include";
    let mut files: Vec<String> = HEADERS.iter().map(|h| format!("{inc}/{h}")).collect();
    let mut ddk: Vec<String> = std::fs::read_dir(format!("{inc}/ddk"))
        .expect("mingw-w64 DDK headers")
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".h"))
        .collect();
    ddk.sort();
    files.extend(ddk);
    let wanted: HashSet<&str> = rows.keys().map(|(_, n)| n.as_str()).collect();
    let mut headers = Headers::default();
    let mut tokens_per_file = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let toks = tokenize(&strip(&text));
        headers.typedefs(&toks);
        tokens_per_file.push(toks);
    }
    for toks in &tokens_per_file {
        headers.prototypes(toks, &wanted);
    }
    if let Some(why) = std::env::args().nth(1) {
        eprintln!("typedef {why}: {:?}", headers.typedefs.get(&why));
        eprintln!("proto {why}: {:?}", headers.protos.get(&why));
        return;
    }

    // What the headers say, then the hand-kept facts over it.
    let mut out: BTreeMap<(String, String), [String; 4]> = BTreeMap::new();
    for ((dll, name), row) in &rows {
        let x86 = row.x86.clone().unwrap_or_else(|| "-".into());
        let x64 = row.x64.clone().unwrap_or_else(|| "-".into());
        let is_data = x86 == "data" || x64 == "data";
        let (ret, params) = match headers.protos.get(name.as_str()) {
            _ if is_data => ("-".into(), "-".into()),
            Some(p) => (ret_kind(&headers.classify(&p.ret)).to_string(), headers.params(&p.params)),
            None => ("?".into(), "?".into()),
        };
        out.insert((dll.clone(), name.clone()), [x86, x64, ret, params]);
    }
    let overrides = include_str!("../overrides.tsv");
    for line in overrides.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 6, "overrides.tsv: six columns in {line:?}");
        let row = out
            .entry((f[0].to_string(), f[1].to_string()))
            .or_insert_with(|| ["-".into(), "-".into(), "?".into(), "?".into()]);
        for (i, v) in f[2..].iter().enumerate() {
            if *v != "*" {
                row[i] = v.to_string();
            }
        }
    }

    println!("# Exports of the kernel-mode libraries drivers import: public facts from the mingw-w64 import");
    println!("# libraries and headers and tools/gen-signatures/overrides.tsv, generated by tools/gen-signatures");
    println!("# (its header explains the columns). Do not edit by hand: edit overrides.tsv and regenerate.");
    println!("# dll\tname\tx86\tx64\tret\tparams");
    for ((dll, name), [x86, x64, ret, params]) in &out {
        // Fastcall pops what does not travel in ECX/EDX: the first two arguments of at most
        // four bytes go there. The decoration gives the total.
        let x86 = match x86.strip_prefix("fastcall:") {
            Some(n) => {
                let total: u32 = n.parse().expect("a byte count");
                format!("fastcall:{}", total - fastcall_register_bytes(params, total))
            }
            None => x86.clone(),
        };
        println!("{dll}\t{name}\t{x86}\t{x64}\t{ret}\t{params}");
    }
}

/// Bytes of a fastcall routine's arguments passed in registers.
fn fastcall_register_bytes(params: &str, total: u32) -> u32 {
    if params == "?" {
        return total.min(8);
    }
    if params == "void" {
        return 0;
    }
    let small = params.split(',').filter(|p| *p != "..." && !p.ends_with(":wide")).count() as u32;
    (small.min(2) * 4).min(total)
}

/// The exports an import library names: (name, x86 or x64 kind).
fn symbols(triple: &str, path: &str, x86: bool) -> Vec<(String, String)> {
    let out = Command::new(format!("{triple}-nm")).arg(path).output().expect("mingw-w64 nm");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut thunks = HashSet::new();
    let mut imps = Vec::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(_), Some(kind), Some(sym)) = (parts.next(), parts.next(), parts.next()) else { continue };
        match kind {
            "T" => {
                thunks.insert(sym.to_string());
            }
            "I" => {
                if let Some(s) = sym.strip_prefix("__imp_") {
                    imps.push(s.to_string());
                }
            }
            _ => {}
        }
    }
    let mut v = Vec::new();
    for s in imps {
        let function = thunks.contains(&s);
        if !x86 {
            v.push((s, if function { "fn".to_string() } else { "data".to_string() }));
            continue;
        }
        if let Some(rest) = s.strip_prefix('@') {
            let (name, n) = rest.rsplit_once('@').expect("fastcall decoration");
            v.push((name.to_string(), format!("fastcall:{n}")));
        } else if let Some(rest) = s.strip_prefix('_') {
            match rest.rsplit_once('@') {
                Some((name, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
                    v.push((name.to_string(), format!("stdcall:{n}")))
                }
                _ => v.push((rest.to_string(), if function { "cdecl".into() } else { "data".into() })),
            }
        }
    }
    v
}

/// Removes comments and preprocessor lines.
fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map(|e| i + 2 + e + 2).unwrap_or(b.len());
            out.push(' ');
            i = end;
            continue;
        }
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if line_start && b[i] == b'#' {
            // A directive, with its continuation lines.
            while i < b.len() && b[i] != b'\n' {
                if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\n' {
                    i += 1;
                }
                i += 1;
            }
            continue;
        }
        if b[i] == b'\n' {
            line_start = true;
        } else if !b[i].is_ascii_whitespace() {
            line_start = false;
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

fn tokenize(text: &str) -> Vec<String> {
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(text[s..i].to_string());
        } else if c == b'"' || c == b'\'' {
            let s = i;
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            toks.push(text[s..i.min(b.len())].to_string());
        } else if b[i..].starts_with(b"...") {
            toks.push("...".into());
            i += 3;
        } else if b[i..].starts_with(b"->") {
            toks.push("->".into());
            i += 2;
        } else {
            toks.push((c as char).to_string());
            i += 1;
        }
    }
    toks
}

#[derive(Clone, Debug)]
enum Typedef {
    /// `typedef A B;`: B is the type A (tokens, including `*`).
    Alias(Vec<String>),
    Struct,
    Enum,
    Pointer,
}

#[derive(Clone, Debug)]
struct Proto {
    ret: Vec<String>,
    params: Vec<Vec<String>>,
    score: u8,
}

#[derive(Default)]
struct Headers {
    typedefs: HashMap<String, Typedef>,
    protos: HashMap<String, Proto>,
}

/// Tokens that decorate a declaration without being part of its type.
fn decoration(t: &str) -> bool {
    matches!(
        t,
        "extern"
            | "static"
            | "inline"
            | "__inline"
            | "__inline__"
            | "__forceinline"
            | "FORCEINLINE"
            | "NTAPI"
            | "NTAPI_INLINE"
            | "FASTCALL"
            | "DDKAPI"
            | "DDKFASTAPI"
            | "DDKCDECLAPI"
            | "WINAPI"
            | "CDECL"
            | "STDCALL"
            | "EXTERN_C"
            | "IN"
            | "OUT"
            | "OPTIONAL"
            | "INOUT"
            | "UNALIGNED"
            | "volatile"
            | "register"
            | "struct"
            | "union"
            | "enum"
            | "const"
            | "CONST"
    ) || t.ends_with("API")
        || t.starts_with("DECLSPEC_")
        || t.starts_with("__drv")
        || t.starts_with("__MINGW")
        || t.starts_with("__attribute")
        || t.starts_with("__declspec")
        // SAL annotations (`_In_`, `_IRQL_requires_max_`), compiler keywords (`__restrict`),
        // CRT import markers; struct tags (`_UNICODE_STRING`) stay.
        || (t.len() > 2 && t.starts_with('_') && t.ends_with('_'))
        || (t.starts_with("__") && t != "__int64")
        || t.starts_with("_CRT")
        || t.starts_with('"')
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

/// Index of the token closing the group opened at `open`.
fn close_of(toks: &[String], open: usize, o: &str, c: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t == o {
            depth += 1;
        } else if t == c {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Drops annotation macros with arguments (`__drv_maxIRQL(2)`, `_In_reads_(n)`) and
/// decoration tokens; keeps identifiers, `*` and whatever else is left.
fn clean(toks: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if is_ident(t) && decoration(t) && toks.get(i + 1).is_some_and(|n| n == "(") {
            i = close_of(toks, i + 1, "(", ")").map(|c| c + 1).unwrap_or(toks.len());
            continue;
        }
        if !decoration(t) {
            out.push(t.clone());
        }
        i += 1;
    }
    out
}

impl Headers {
    fn typedefs(&mut self, toks: &[String]) {
        let mut i = 0;
        while i < toks.len() {
            if toks[i] != "typedef" {
                i += 1;
                continue;
            }
            let Some(end) = statement_end(toks, i) else {
                i += 1;
                continue;
            };
            let body = &toks[i + 1..end];
            self.typedef(body);
            i = end + 1;
        }
    }

    fn typedef(&mut self, body: &[String]) {
        // Function pointer typedefs: `RET (NTAPI *NAME)(...)`.
        if let Some(p) = body.iter().position(|t| t == "(") {
            let brace = body.iter().position(|t| t == "{");
            if brace.is_none_or(|b| p < b) {
                if let Some(c) = close_of(body, p, "(", ")") {
                    let inner = &body[p + 1..c];
                    if inner.iter().any(|t| t == "*") {
                        if let Some(name) = inner.iter().rev().find(|t| is_ident(t) && !decoration(t)) {
                            self.typedefs.insert(name.clone(), Typedef::Pointer);
                        }
                    } else if let Some(name) = inner.iter().rev().find(|t| is_ident(t) && !decoration(t)) {
                        // A function type: pointers to it are pointers.
                        self.typedefs.insert(name.clone(), Typedef::Struct);
                    }
                }
                return;
            }
        }
        let (base, declarators): (Typedef, &[String]) = if let Some(open) = body.iter().position(|t| t == "{") {
            let Some(close) = close_of(body, open, "{", "}") else { return };
            let kind = if body[..open].iter().any(|t| t == "enum") { Typedef::Enum } else { Typedef::Struct };
            (kind, &body[close + 1..])
        } else {
            // `typedef A B, *C;`: the type is everything before the first declarator.
            let first_comma = body.iter().position(|t| t == ",").unwrap_or(body.len());
            let head = &body[..first_comma];
            let Some(name_at) = head.iter().rposition(|t| is_ident(t)) else { return };
            let base: Vec<String> = head[..name_at].iter().filter(|t| *t != "*").cloned().collect();
            let kind = if base.iter().any(|t| t == "enum") { Typedef::Enum } else { Typedef::Alias(base) };
            // Re-split: the declarators start at the first name's pointer stars.
            let start = head[..name_at].iter().rposition(|t| t != "*").map(|p| p + 1).unwrap_or(0);
            (kind, &body[start..])
        };
        for decl in declarators.split(|t| t == ",") {
            let decl: Vec<&String> = decl.iter().filter(|t| !decoration(t) || *t == "*").collect();
            let Some(name) = decl.iter().rev().find(|t| is_ident(t)) else { continue };
            if decl.iter().any(|t| *t == "[") {
                continue;
            }
            let stars = decl.iter().filter(|t| **t == "*").count();
            let def = if stars > 0 {
                match &base {
                    Typedef::Alias(b) => {
                        let mut v = b.clone();
                        v.extend(std::iter::repeat_n("*".to_string(), stars));
                        Typedef::Alias(v)
                    }
                    _ => Typedef::Pointer,
                }
            } else {
                base.clone()
            };
            self.typedefs.entry((*name).clone()).or_insert(def);
        }
    }

    fn prototypes(&mut self, toks: &[String], wanted: &HashSet<&str>) {
        for i in 1..toks.len() {
            if toks[i] != "(" || !wanted.contains(toks[i - 1].as_str()) {
                continue;
            }
            let name = &toks[i - 1];
            let Some(close) = close_of(toks, i, "(", ")") else { continue };
            // After the parameters: `;`, a body, or attributes then `;`.
            let after = toks.get(close + 1).map(String::as_str).unwrap_or(";");
            if after == "(" || after == ")" || after == "," || after == "=" {
                continue;
            }
            // Back to the start of the declaration, skipping annotation groups.
            let mut j = i - 1;
            let mut ret_rev: Vec<String> = Vec::new();
            let mut ok = true;
            while j > 0 {
                j -= 1;
                let t = toks[j].as_str();
                match t {
                    ";" | "{" | "}" => break,
                    ")" => {
                        // An annotation macro's arguments: skip to its `(` and the macro name.
                        let mut depth = 0;
                        loop {
                            if toks[j] == ")" {
                                depth += 1;
                            } else if toks[j] == "(" {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            if j == 0 {
                                break;
                            }
                            j -= 1;
                        }
                        j = j.saturating_sub(1); // the macro name
                    }
                    "=" | "return" | "." | "->" | "," | "(" | "&" | "!" | "+" | "-" | "?" | ":" | "<" | ">" | "|"
                    | "if" | "while" | "typedef" | "case" | "else" => {
                        ok = false;
                        break;
                    }
                    _ => ret_rev.push(t.to_string()),
                }
            }
            if !ok {
                continue;
            }
            ret_rev.reverse();
            let api = ret_rev.iter().any(|t| {
                t.ends_with("API") || t == "__cdecl" || t == "_CRTIMP" || t == "DECLSPEC_IMPORT" || t == "NTAPI"
            });
            let inline = ret_rev.iter().any(|t| t.contains("INLINE") || t.contains("inline"));
            let ret = clean(&ret_rev);
            if ret.is_empty() || !ret.iter().all(|t| is_ident(t) || t == "*") {
                continue;
            }
            let score = if api && !inline {
                3
            } else if !inline {
                2
            } else {
                1
            };
            let params: Vec<Vec<String>> = split_commas(&toks[i + 1..close]);
            let entry = self.protos.entry(name.clone());
            match entry {
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    if o.get().score < score {
                        o.insert(Proto { ret, params, score });
                    }
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Proto { ret, params, score });
                }
            }
        }
    }

    /// The kind of a type as the trace shows it, or None when unknown.
    fn classify(&self, tokens: &[String]) -> Kind {
        self.classify_depth(tokens, 0)
    }

    fn classify_depth(&self, tokens: &[String], depth: u32) -> Kind {
        if depth > 20 {
            return Kind::Unknown;
        }
        let konst = tokens.iter().any(|t| t == "const" || t == "CONST");
        let toks = clean(tokens);
        let stars = toks.iter().filter(|t| *t == "*").count();
        let words: Vec<&str> = toks.iter().filter(|t| is_ident(t)).map(String::as_str).collect();
        if words.is_empty() {
            return Kind::Unknown;
        }
        if stars > 0 {
            let base = *words.last().expect("a word");
            return match (base, stars, konst) {
                ("WCHAR" | "wchar_t", 1, true) => Kind::WStr,
                ("CHAR" | "char", 1, true) => Kind::CStr,
                ("UNICODE_STRING", 1, _) => Kind::UnicodeString,
                ("STRING" | "ANSI_STRING" | "OEM_STRING", 1, _) => Kind::AnsiString,
                _ => Kind::Ptr,
            };
        }
        // Multi-word C types.
        let joined = words.join(" ");
        match joined.as_str() {
            "unsigned char" | "signed char" | "char" => return Kind::U8,
            "unsigned short" | "short" | "short int" | "unsigned short int" => return Kind::U16,
            "unsigned" | "unsigned int" | "unsigned long" | "unsigned long int" => return Kind::U32,
            "int" | "long" | "signed" | "signed int" | "long int" | "signed long" => return Kind::I32,
            "long long" | "unsigned long long" | "unsigned __int64" | "__int64" | "signed __int64" => {
                return Kind::Wide
            }
            _ => {}
        }
        let name = *words.last().expect("a word");
        if let Some(k) = known(name) {
            return k;
        }
        match self.typedefs.get(name) {
            Some(Typedef::Alias(a)) => {
                let mut a = a.clone();
                if konst {
                    a.insert(0, "const".into());
                }
                self.classify_depth(&a, depth + 1)
            }
            Some(Typedef::Enum) => Kind::U32,
            Some(Typedef::Pointer) => Kind::Ptr,
            // A `P`-prefixed name the headers leave undefined (or define by macro) is a pointer.
            None if name.len() > 1 && name.starts_with('P') && name[1..2].chars().all(|c| c.is_ascii_uppercase()) => {
                Kind::Ptr
            }
            Some(Typedef::Struct) | None => Kind::Unknown,
        }
    }

    /// The parameter list column.
    fn params(&self, params: &[Vec<String>]) -> String {
        let mut out = Vec::new();
        if params.is_empty() {
            return "void".into();
        }
        if params.len() == 1 {
            let c = clean(&params[0]);
            if c.len() == 1 && (c[0] == "VOID" || c[0] == "void") {
                return "void".into();
            }
        }
        for (i, p) in params.iter().enumerate() {
            if p.last().is_some_and(|t| t == "...") {
                out.push("...".to_string());
                continue;
            }
            // A function pointer or array parameter is a pointer.
            let c = clean(p);
            let (name, ty): (String, Vec<String>) = if c.iter().any(|t| t == "(" || t == "[") {
                let name = c
                    .iter()
                    .filter(|t| is_ident(t))
                    .find(|t| !self.typedefs.contains_key(t.as_str()) && known(t).is_none())
                    .cloned()
                    .unwrap_or_else(|| format!("Arg{}", i + 1));
                (name, vec!["void".into(), "*".into()])
            } else {
                let idents = c.iter().filter(|t| is_ident(t)).count();
                let last = c.last().cloned().unwrap_or_default();
                let named = idents >= 2 && is_ident(&last) && !is_c_type_word(&last);
                if named {
                    let ty = p[..p.iter().rposition(|t| *t == last).expect("the name")].to_vec();
                    (last, ty)
                } else {
                    (format!("Arg{}", i + 1), p.clone())
                }
            };
            // An output-only pointer holds nothing worth decoding before the call.
            let out_only = p.iter().any(|t| t == "OUT" || t.starts_with("_Out"))
                && !p.iter().any(|t| t == "IN" || t.starts_with("_In"));
            let kind = match self.classify(&ty) {
                Kind::UnicodeString | Kind::AnsiString | Kind::WStr | Kind::CStr if out_only => Kind::Ptr,
                k => k,
            };
            let Some(k) = kind.name() else {
                if std::env::var_os("GEN_SIGNATURES_DEBUG").is_some() {
                    eprintln!("unknown type: {}", clean(&ty).join(" "));
                }
                return "?".into();
            };
            let name = name.trim_start_matches('_').to_string();
            let name = if name.is_empty() { format!("Arg{}", i + 1) } else { name };
            out.push(format!("{name}:{k}"));
        }
        out.join(",")
    }
}

fn is_c_type_word(t: &str) -> bool {
    matches!(t, "int" | "long" | "short" | "char" | "unsigned" | "signed" | "void" | "__int64" | "double" | "float")
}

fn statement_end(toks: &[String], from: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().skip(from) {
        match t.as_str() {
            "{" | "(" => depth += 1,
            "}" | ")" => depth -= 1,
            ";" if depth <= 0 => return Some(i),
            _ => {}
        }
    }
    None
}

fn split_commas(toks: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut depth = 0;
    for t in toks {
        match t.as_str() {
            "(" | "[" => depth += 1,
            ")" | "]" => depth -= 1,
            "," if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(t.clone());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Void,
    U8,
    U16,
    U32,
    I32,
    Wide,
    Size,
    Ptr,
    Handle,
    Bool,
    Status,
    UnicodeString,
    AnsiString,
    WStr,
    CStr,
    Unknown,
}

impl Kind {
    /// The trace's name for the kind (types::ArgKind, snake case).
    fn name(self) -> Option<&'static str> {
        Some(match self {
            Kind::U8 => "u8",
            Kind::U16 => "u16",
            Kind::U32 => "u32",
            Kind::I32 => "i32",
            Kind::Wide => "wide",
            Kind::Size => "size",
            Kind::Ptr => "ptr",
            Kind::Handle => "handle",
            Kind::Bool => "bool",
            Kind::Status => "status",
            Kind::UnicodeString => "unicode_string",
            Kind::AnsiString => "ansi_string",
            Kind::WStr => "wstr",
            Kind::CStr => "cstr",
            Kind::Void | Kind::Unknown => return None,
        })
    }
}

fn ret_kind(k: &Kind) -> &'static str {
    match k {
        Kind::Void => "void",
        Kind::Status => "status",
        Kind::Bool => "bool",
        Kind::Ptr | Kind::Handle | Kind::UnicodeString | Kind::AnsiString | Kind::WStr | Kind::CStr => "ptr",
        Kind::U8 | Kind::U16 | Kind::U32 | Kind::I32 | Kind::Size => "int",
        Kind::Wide => "wide",
        Kind::Unknown => "?",
    }
}

/// Types whose kind the trace needs beyond what their typedefs say.
fn known(name: &str) -> Option<Kind> {
    Some(match name {
        "VOID" | "void" => Kind::Void,
        "NTSTATUS" | "NDIS_STATUS" => Kind::Status,
        "BOOLEAN" => Kind::Bool,
        "HANDLE" => Kind::Handle,
        "PUNICODE_STRING" | "PCUNICODE_STRING" => Kind::UnicodeString,
        "PSTRING" | "PANSI_STRING" | "PCANSI_STRING" | "PCSTRING" | "POEM_STRING" | "PCOEM_STRING" => Kind::AnsiString,
        "PCWSTR" | "LPCWSTR" | "PCWCH" | "LPCWCH" | "PCUWSTR" => Kind::WStr,
        "PCSTR" | "LPCSTR" | "PCSZ" | "PCCH" | "LPCCH" => Kind::CStr,
        "LARGE_INTEGER" | "ULARGE_INTEGER" | "PHYSICAL_ADDRESS" | "LONGLONG" | "ULONGLONG" | "LONG64" | "ULONG64"
        | "DWORD64" | "INT64" | "UINT64" | "DWORDLONG" | "USN" | "__int64" => Kind::Wide,
        "SIZE_T" | "size_t" | "SSIZE_T" | "ULONG_PTR" | "LONG_PTR" | "UINT_PTR" | "INT_PTR" | "DWORD_PTR"
        | "uintptr_t" | "intptr_t" | "ptrdiff_t" | "KAFFINITY" | "PFN_NUMBER" | "KSPIN_LOCK" => Kind::Size,
        "UCHAR" | "CHAR" | "BYTE" | "CCHAR" | "KIRQL" | "KPROCESSOR_MODE" => Kind::U8,
        "USHORT" | "SHORT" | "WCHAR" | "wchar_t" | "CSHORT" | "WORD" | "wint_t" | "wctype_t" => Kind::U16,
        "LONG" | "INT" | "int" | "long" | "errno_t" => Kind::I32,
        "ULONG" | "DWORD" | "UINT" | "LOGICAL" | "CLONG" | "unsigned" | "ACCESS_MASK" => Kind::U32,
        "DEVICE_TYPE" | "NOTIFICATION_MASK" | "NDIS_MEDIUM" | "NDIS_ERROR_CODE" | "DEVPROPTYPE" => Kind::U32,
        "REGHANDLE" => Kind::Wide,
        "va_list" | "REFGUID" | "CONNECTION_CONTEXT" => Kind::Ptr,
        // Passed by value but pointer-sized or smaller on both architectures.
        "POWER_STATE" | "PROCESSOR_NUMBER" => Kind::U32,
        _ => return None,
    })
}
