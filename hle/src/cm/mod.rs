//! The configuration manager: an in-memory registry.
//!
//! Keys form a tree under `\REGISTRY` (an object in the namespace's root directory, as on
//! Windows), with `MACHINE\{HARDWARE,SAM,SECURITY,SOFTWARE,SYSTEM}` and `USER\.DEFAULT`, the
//! keys drivers commonly read ([`seed`]), each loaded driver's service key, and whatever a
//! scenario seeds. Names are case-insensitive and keep the case they were created with;
//! subkeys enumerate in name order, values in the order they were first set. A key whose
//! `SymbolicLinkValue` (REG_LINK) names another key is a link, followed when a path passes
//! through it (`CurrentControlSet` is one, to `ControlSet001`). Security descriptors are not
//! kept; the access a handle was opened with is checked as Windows checks it (for user-mode
//! callers: a kernel-mode caller's handles are not access-checked).
//!
//! An open key is a Key object (a CM_KEY_BODY) that names a node of the tree; a deleted key
//! stays as a node that every handle to it reports as STATUS_KEY_DELETED. Every write is a
//! [`RegistryChange`](crate::events::RegistryChange) event in the trace.

pub mod callbacks;
pub mod info;
pub mod key;
pub mod resourcemap;
pub mod rtl;
pub mod seed;
pub mod user;
pub mod value;

use std::collections::BTreeMap;

use crate::events::{RegistryChange, SystemEvent};
use crate::kernel::{KResult, Kx};
use crate::ob::handles::{self, Mode};
use crate::ob::{NameTarget, ObjectKind, Owner};
use crate::types::{status, NtStatus};

/// Value types.
pub const REG_NONE: u32 = 0;
pub const REG_SZ: u32 = 1;
pub const REG_EXPAND_SZ: u32 = 2;
pub const REG_BINARY: u32 = 3;
pub const REG_DWORD: u32 = 4;
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
pub const REG_LINK: u32 = 6;
pub const REG_MULTI_SZ: u32 = 7;
pub const REG_RESOURCE_LIST: u32 = 8;
pub const REG_FULL_RESOURCE_DESCRIPTOR: u32 = 9;
pub const REG_RESOURCE_REQUIREMENTS_LIST: u32 = 10;
pub const REG_QWORD: u32 = 11;

/// Key access rights.
pub const KEY_QUERY_VALUE: u32 = 0x0001;
pub const KEY_SET_VALUE: u32 = 0x0002;
pub const KEY_CREATE_SUB_KEY: u32 = 0x0004;
pub const KEY_ENUMERATE_SUB_KEYS: u32 = 0x0008;
pub const KEY_CREATE_LINK: u32 = 0x0020;
pub const DELETE: u32 = 0x0001_0000;
pub const KEY_READ: u32 = 0x0002_0019;
pub const KEY_WRITE: u32 = 0x0002_0006;
pub const KEY_ALL_ACCESS: u32 = 0x000F_003F;
const MAXIMUM_ALLOWED: u32 = 0x0200_0000;

/// Longest key name component and value name, in characters.
pub const MAX_KEY_NAME: usize = 255;
pub const MAX_VALUE_NAME: usize = 16383;

/// The name of a value type.
pub fn type_name(ty: u32) -> String {
    match ty {
        REG_NONE => "REG_NONE".into(),
        REG_SZ => "REG_SZ".into(),
        REG_EXPAND_SZ => "REG_EXPAND_SZ".into(),
        REG_BINARY => "REG_BINARY".into(),
        REG_DWORD => "REG_DWORD".into(),
        REG_DWORD_BIG_ENDIAN => "REG_DWORD_BIG_ENDIAN".into(),
        REG_LINK => "REG_LINK".into(),
        REG_MULTI_SZ => "REG_MULTI_SZ".into(),
        REG_RESOURCE_LIST => "REG_RESOURCE_LIST".into(),
        REG_FULL_RESOURCE_DESCRIPTOR => "REG_FULL_RESOURCE_DESCRIPTOR".into(),
        REG_RESOURCE_REQUIREMENTS_LIST => "REG_RESOURCE_REQUIREMENTS_LIST".into(),
        REG_QWORD => "REG_QWORD".into(),
        other => format!("{other:#x}"),
    }
}

/// The type a name means (`REG_SZ`, ...), for scenarios.
pub fn type_by_name(name: &str) -> Option<u32> {
    (0..=REG_QWORD).find(|t| type_name(*t).eq_ignore_ascii_case(name))
}

/// One value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub name: String,
    pub ty: u32,
    pub data: Vec<u8>,
}

/// One key.
#[derive(Clone, Debug, Default)]
pub struct KeyNode {
    /// Its name, as created.
    pub name: String,
    pub parent: Option<usize>,
    /// Subkeys by upper-case name.
    subkeys: BTreeMap<String, usize>,
    /// Values in the order they were first set.
    pub values: Vec<Value>,
    pub class: Option<String>,
    /// LastWriteTime (100 ns since 1601).
    pub last_write: u64,
    pub volatile: bool,
    pub deleted: bool,
}

impl KeyNode {
    /// The key a link key points at (its SymbolicLinkValue).
    fn link_target(&self) -> Option<String> {
        let v = self.values.iter().find(|v| v.name.eq_ignore_ascii_case("SymbolicLinkValue") && v.ty == REG_LINK)?;
        Some(utf16_text(&v.data))
    }
}

/// The registry.
#[derive(Default, Debug)]
pub struct Registry {
    nodes: Vec<KeyNode>,
    /// Open Key objects and the key each names.
    open: BTreeMap<u64, usize>,
    /// The `\REGISTRY` object in the namespace.
    pub(crate) root_object: u64,
    pub(crate) callbacks: callbacks::Callbacks,
}

/// Text of UTF-16LE bytes, up to the first NUL.
pub fn utf16_text(data: &[u8]) -> String {
    let units: Vec<u16> =
        data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|u| *u != 0).collect();
    String::from_utf16_lossy(&units)
}

/// UTF-16LE bytes of `s` with a NUL.
pub fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
}

impl Registry {
    pub fn node(&self, id: usize) -> &KeyNode {
        &self.nodes[id]
    }

    fn node_mut(&mut self, id: usize) -> &mut KeyNode {
        &mut self.nodes[id]
    }

    /// The full path of a key (`\REGISTRY\MACHINE\SYSTEM\...`).
    pub fn path_of(&self, id: usize) -> String {
        let mut parts = Vec::new();
        let mut at = Some(id);
        while let Some(i) = at {
            parts.push(self.nodes[i].name.as_str());
            at = self.nodes[i].parent;
        }
        parts.reverse();
        format!("\\{}", parts.join("\\"))
    }

    pub fn child(&self, id: usize, name: &str) -> Option<usize> {
        self.nodes[id].subkeys.get(&name.to_uppercase()).copied()
    }

    /// Subkeys in name order.
    pub fn subkeys(&self, id: usize) -> Vec<usize> {
        self.nodes[id].subkeys.values().copied().collect()
    }

    pub fn value(&self, id: usize, name: &str) -> Option<&Value> {
        self.nodes[id].values.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }

    /// Makes a subkey (which must not exist).
    fn add_child(&mut self, parent: usize, name: &str, volatile: bool, class: Option<String>, time: u64) -> usize {
        let id = self.nodes.len();
        self.nodes.push(KeyNode {
            name: name.to_string(),
            parent: Some(parent),
            class,
            last_write: time,
            volatile,
            ..Default::default()
        });
        self.nodes[parent].subkeys.insert(name.to_uppercase(), id);
        self.nodes[parent].last_write = time;
        id
    }

    /// The key an absolute `\REGISTRY\...` path names (links followed).
    pub fn find(&self, path: &str) -> Option<usize> {
        let rest = strip_root(path)?;
        self.walk(0, rest, false).ok()
    }

    /// Follows `rest` (components separated by `\`) from key `start`. Links are followed,
    /// the last component's too unless `open_link`. A missing component is
    /// OBJECT_NAME_NOT_FOUND; an empty or overlong one OBJECT_NAME_INVALID.
    pub fn walk(&self, start: usize, rest: &str, open_link: bool) -> Result<usize, NtStatus> {
        let parts = components(rest)?;
        let mut at = start;
        for (i, part) in parts.iter().enumerate() {
            at = self.child(at, part).ok_or(status::OBJECT_NAME_NOT_FOUND)?;
            let last = i + 1 == parts.len();
            if !(last && open_link) {
                at = self.follow(at)?;
            }
        }
        Ok(at)
    }

    /// A link key's target (chains of links followed); other keys are themselves.
    fn follow(&self, mut at: usize) -> Result<usize, NtStatus> {
        for _ in 0..16 {
            match self.nodes[at].link_target() {
                None => return Ok(at),
                Some(target) => {
                    let rest = strip_root(&target).ok_or(status::OBJECT_NAME_NOT_FOUND)?;
                    let parts = components(rest)?;
                    at = 0;
                    for p in parts {
                        at = self.child(at, &p).ok_or(status::OBJECT_NAME_NOT_FOUND)?;
                    }
                }
            }
        }
        Err(status::OBJECT_NAME_NOT_FOUND)
    }

    /// Creates every missing key along an absolute path (for seeding); returns the last.
    pub fn ensure(&mut self, path: &str, time: u64) -> Option<usize> {
        let rest = strip_root(path)?;
        let mut at = 0;
        for part in components(rest).ok()? {
            at = match self.child(at, &part) {
                Some(c) => self.follow(c).ok()?,
                None => self.add_child(at, &part, false, None, time),
            };
        }
        Some(at)
    }

    /// Deletes a key (which has no subkeys): it leaves its parent; handles to it see
    /// STATUS_KEY_DELETED.
    fn remove(&mut self, id: usize) {
        let upper = self.nodes[id].name.to_uppercase();
        if let Some(p) = self.nodes[id].parent {
            self.nodes[p].subkeys.remove(&upper);
        }
        self.nodes[id].deleted = true;
        self.nodes[id].values.clear();
    }

    /// Removes a value; false if there is none of that name.
    fn unset(&mut self, id: usize, name: &str, time: u64) -> bool {
        let node = self.node_mut(id);
        let before = node.values.len();
        node.values.retain(|v| !v.name.eq_ignore_ascii_case(name));
        let removed = node.values.len() != before;
        if removed {
            node.last_write = time;
        }
        removed
    }

    /// Sets a value (replacing one of the same name, keeping its place).
    pub fn set(&mut self, id: usize, name: &str, ty: u32, data: Vec<u8>, time: u64) {
        let node = self.node_mut(id);
        match node.values.iter_mut().find(|v| v.name.eq_ignore_ascii_case(name)) {
            Some(v) => {
                v.ty = ty;
                v.data = data;
            }
            None => node.values.push(Value { name: name.to_string(), ty, data }),
        }
        node.last_write = time;
    }
}

/// The part of an absolute path after `\REGISTRY` (None if it is not one).
fn strip_root(path: &str) -> Option<&str> {
    let p = path.strip_prefix('\\')?;
    if p.len() >= 8 && p[..8].eq_ignore_ascii_case("REGISTRY") && (p.len() == 8 || p.as_bytes()[8] == b'\\') {
        Some(&p[8..])
    } else {
        None
    }
}

/// The components of a relative key path (a leading or single trailing `\` is allowed).
fn components(rest: &str) -> Result<Vec<String>, NtStatus> {
    let rest = rest.strip_prefix('\\').unwrap_or(rest);
    let rest = rest.strip_suffix('\\').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('\\')
        .map(|c| {
            if c.is_empty() || c.encode_utf16().count() > MAX_KEY_NAME {
                Err(status::OBJECT_NAME_INVALID)
            } else {
                Ok(c.to_string())
            }
        })
        .collect()
}

/// Maps generic and MAXIMUM_ALLOWED access to key rights.
pub fn map_access(access: u32) -> u32 {
    let mut a = access & !0xF000_0000 & !MAXIMUM_ALLOWED;
    if access & 0x8000_0000 != 0 {
        a |= KEY_READ;
    }
    if access & 0x4000_0000 != 0 {
        a |= KEY_WRITE;
    }
    if access & 0x2000_0000 != 0 {
        a |= KEY_READ;
    }
    if access & (0x1000_0000 | MAXIMUM_ALLOWED) != 0 {
        a |= KEY_ALL_ACCESS;
    }
    a
}

/// Makes the tree, and `\REGISTRY` in the namespace.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let time = crate::ke::time::system_time(k);
    let reg = &mut k.ext_mut().registry;
    reg.nodes.push(KeyNode { name: "REGISTRY".into(), last_write: time, ..Default::default() });
    seed::standard(k)?;
    let object = crate::ob::body::alloc(k, 0x40)?;
    k.mem_mut().write_u32(object, KEY_BODY_TYPE)?;
    let ob = &mut k.ext_mut().objects;
    ob.insert_name("\\REGISTRY", NameTarget::Object(object), Owner::Kernel).expect("a fresh namespace");
    ob.register(object, ObjectKind::Key, Some("\\REGISTRY".into()), Owner::Kernel);
    let reg = &mut k.ext_mut().registry;
    reg.root_object = object;
    reg.open.insert(object, 0);
    Ok(())
}

/// CM_KEY_BODY.Type ('ky02').
const KEY_BODY_TYPE: u32 = 0x6B79_3032;

/// Makes a Key object for `node` and a handle to it with `access` (already mapped).
pub(crate) fn open_key_object(k: &mut Kx, node: usize, access: u32, attributes: u32, mode: Mode) -> KResult<u64> {
    let object = crate::ob::body::alloc(k, 0x40)?;
    k.mem_mut().write_u32(object, KEY_BODY_TYPE)?;
    let path = k.ext().registry.path_of(node);
    let owner = handles::owner_of_call(k);
    k.ext_mut().objects.register_transient(object, ObjectKind::Key, Some(path), owner, false);
    k.ext_mut().registry.open.insert(object, node);
    let (h, _) = handles::open_checked(k, object, access, attributes, mode)?;
    Ok(h)
}

/// A Key object went away with its last handle and reference.
pub(crate) fn key_object_deleted(k: &mut Kx, object: u64) {
    k.ext_mut().registry.open.remove(&object);
    crate::ob::body::free(k, object);
}

/// The key a Key object names.
pub fn node_of_object(k: &Kx, object: u64) -> Option<usize> {
    k.ext().registry.open.get(&object).copied()
}

/// The full path of the key a Key object names (for ObQueryNameString).
pub fn key_path(k: &Kx, object: u64) -> Option<String> {
    node_of_object(k, object).map(|n| k.ext().registry.path_of(n))
}

/// The key a handle refers to, for a caller in `mode` wanting `need` access: (object, key).
/// STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH for another kind of object,
/// STATUS_ACCESS_DENIED (user mode), STATUS_KEY_DELETED for a key deleted since.
pub(crate) fn key_of_handle(k: &Kx, handle: u64, need: u32, mode: Mode) -> KResult<Result<(u64, usize), NtStatus>> {
    let Some((object, granted, _)) = handles::lookup(k, handle, mode)? else {
        return Ok(Err(status::INVALID_HANDLE));
    };
    let Some(node) = node_of_object(k, object) else { return Ok(Err(status::OBJECT_TYPE_MISMATCH)) };
    if mode == Mode::User && need & !granted != 0 {
        return Ok(Err(status::ACCESS_DENIED));
    }
    if k.ext().registry.node(node).deleted {
        return Ok(Err(status::KEY_DELETED));
    }
    Ok(Ok((object, node)))
}

/// Shows value data in an event: strings as text, numbers in hex, the rest as hex bytes.
pub fn show_data(ty: u32, data: &[u8]) -> String {
    match ty {
        REG_SZ | REG_EXPAND_SZ | REG_LINK => utf16_text(data),
        REG_MULTI_SZ => format!("{:?}", multi_strings(data)),
        REG_DWORD if data.len() == 4 => format!("{:#x}", u32::from_le_bytes(data.try_into().expect("4 bytes"))),
        REG_QWORD if data.len() == 8 => format!("{:#x}", u64::from_le_bytes(data.try_into().expect("8 bytes"))),
        _ => {
            let shown: Vec<String> = data.iter().take(256).map(|b| format!("{b:02x}")).collect();
            let more = if data.len() > 256 { " ..." } else { "" };
            format!("{}{more}", shown.join(" "))
        }
    }
}

/// The strings of a REG_MULTI_SZ, up to its empty string.
pub fn multi_strings(data: &[u8]) -> Vec<String> {
    let units: Vec<u16> = data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    units.split(|u| *u == 0).take_while(|s| !s.is_empty()).map(String::from_utf16_lossy).collect()
}

/// Records a registry write in the trace.
pub(crate) fn record(k: &mut Kx, operation: &'static str, node: usize, value: Option<(&str, u32, &[u8])>, caller: u64) {
    let key = k.ext().registry.path_of(node);
    let change = RegistryChange {
        operation,
        key,
        value: value.map(|v| v.0.to_string()),
        value_type: value.filter(|_| operation == "set_value").map(|v| type_name(v.1)),
        data: value.filter(|_| operation == "set_value").map(|v| show_data(v.1, v.2)),
        caller,
    };
    crate::events::push(k, SystemEvent::Registry(change));
}

/// Creates a loaded driver's service key with the values the service control manager
/// writes, and its empty `Parameters` subkey.
pub fn service_key(k: &mut Kx, name: &str) {
    let time = crate::ke::time::system_time(k);
    let file = if name.to_ascii_lowercase().ends_with(".sys") { name.to_string() } else { format!("{name}.sys") };
    let path = format!("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\{name}");
    let reg = &mut k.ext_mut().registry;
    let Some(id) = reg.ensure(&path, time) else { return };
    let dword = |v: u32| v.to_le_bytes().to_vec();
    reg.set(id, "ImagePath", REG_EXPAND_SZ, utf16z(&format!("\\SystemRoot\\system32\\drivers\\{file}")), time);
    reg.set(id, "Type", REG_DWORD, dword(1), time); // SERVICE_KERNEL_DRIVER
    reg.set(id, "Start", REG_DWORD, dword(3), time); // SERVICE_DEMAND_START
    reg.set(id, "ErrorControl", REG_DWORD, dword(1), time); // SERVICE_ERROR_NORMAL
    reg.set(id, "DisplayName", REG_SZ, utf16z(name), time);
    let _ = reg.ensure(&format!("{path}\\Parameters"), time);
}

/// Sets a value from outside the guest (a scenario's `[registry]`), creating the keys on
/// the way. False if the path is not under `\REGISTRY`.
pub fn seed_value(k: &mut Kx, path: &str, value: Option<(&str, u32, Vec<u8>)>) -> bool {
    let time = crate::ke::time::system_time(k);
    let reg = &mut k.ext_mut().registry;
    let Some(id) = reg.ensure(path, time) else { return false };
    if let Some((name, ty, data)) = value {
        reg.set(id, name, ty, data, time);
    }
    true
}

/// Every value under a key and its subkeys: (key path, value), for reports and tests.
pub fn dump(k: &Kx, path: &str) -> Vec<(String, Value)> {
    let reg = &k.ext().registry;
    let mut out = Vec::new();
    let Some(start) = reg.find(path) else { return out };
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        for v in &reg.node(id).values {
            out.push((reg.path_of(id), v.clone()));
        }
        stack.extend(reg.subkeys(id).into_iter().rev());
    }
    out
}
