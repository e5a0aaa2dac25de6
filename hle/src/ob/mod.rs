//! The object manager: the namespace (`\Device\...`, `\??\...`, `\Driver\...`), symbolic
//! links, and the registry of kernel objects with their owners and references.
//!
//! Names are case-insensitive, as Windows' are. `\DosDevices\X`, `\GLOBAL??\X` and `\??\X`
//! are the same name (on Windows `\DosDevices` is a link to `\??`, which is backed by
//! `\GLOBAL??` for system-wide names).
#![allow(non_snake_case)]

pub mod body;
pub mod callbacks;
pub mod create;
pub mod directory;
pub mod handle_table;
pub mod handles;
pub mod name;
pub mod query;
pub mod symlink;
pub mod types;
pub mod user;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::types::{status, NtStatus, PoolTag, Ptr, SizeT};

/// OBJECT_ATTRIBUTES.Attributes bits.
pub const OBJ_INHERIT: u32 = 0x2;
pub const OBJ_PERMANENT: u32 = 0x10;
pub const OBJ_EXCLUSIVE: u32 = 0x20;
pub const OBJ_CASE_INSENSITIVE: u32 = 0x40;
pub const OBJ_OPENIF: u32 = 0x80;
pub const OBJ_OPENLINK: u32 = 0x100;
pub const OBJ_KERNEL_HANDLE: u32 = 0x200;

/// Who created something, for leak reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Kernel,
    /// The driver with this index in the kernel's driver list.
    Driver(usize),
}

/// The kinds of object the kernel makes; each has its OBJECT_TYPE ([`types`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Driver,
    Device,
    File,
    Process,
    Thread,
    /// A section (crate::mm::section).
    Section,
    /// An object directory (`\Device`, `\Driver`, `\??`, ...).
    Directory,
    SymbolicLink,
    /// An open registry key.
    Key,
    /// An OBJECT_TYPE itself.
    Type,
    Token,
    /// Events, semaphores, mutants and timers made with handles (ke/).
    Event,
    Semaphore,
    Mutant,
    Timer,
    /// Callback objects (ex/callback.rs).
    Callback,
    /// WMI data block objects (io/wmi_block.rs).
    WmiGuid,
    /// Job objects (zw/job.rs).
    Job,
}

impl ObjectKind {
    pub const ALL: &'static [ObjectKind] = &[
        ObjectKind::Driver,
        ObjectKind::Device,
        ObjectKind::File,
        ObjectKind::Process,
        ObjectKind::Thread,
        ObjectKind::Section,
        ObjectKind::Directory,
        ObjectKind::SymbolicLink,
        ObjectKind::Key,
        ObjectKind::Type,
        ObjectKind::Token,
        ObjectKind::Event,
        ObjectKind::Semaphore,
        ObjectKind::Mutant,
        ObjectKind::Timer,
        ObjectKind::Callback,
        ObjectKind::WmiGuid,
        ObjectKind::Job,
    ];
}

/// A kernel object the host tracks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectInfo {
    pub address: u64,
    pub kind: ObjectKind,
    pub name: Option<String>,
    pub owner: Owner,
    /// References drivers took with ObReferenceObject* and did not drop yet.
    pub references: i64,
    /// Open handles to it.
    pub handles: i64,
    /// The kernel holds a reference of its own: the object outlives the drivers' last
    /// handle and reference. Other objects are deleted when both reach zero.
    #[serde(skip)]
    pub retained: bool,
    /// A permanent object keeps its name when its last handle closes (OBJ_PERMANENT;
    /// ObMakeTemporaryObject clears it).
    #[serde(skip)]
    pub permanent: bool,
}

/// What a name stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameTarget {
    Object(u64),
    /// A symbolic link to another path.
    Link(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameEntry {
    /// The name as it was created.
    pub path: String,
    pub target: NameTarget,
    pub owner: Owner,
    /// The object the name stands for (a symbolic link's own object for a link; 0 for a
    /// link made without one).
    #[serde(skip)]
    pub object: u64,
}

#[derive(Default, Debug)]
pub struct ObjectManager {
    names: BTreeMap<String, NameEntry>,
    objects: BTreeMap<u64, ObjectInfo>,
    /// Symbolic-link objects and the path each points at (kept while the object lives, even
    /// after its name is gone).
    pub(crate) links: BTreeMap<u64, String>,
    /// The root directory `\`.
    pub(crate) root: u64,
    /// Where object bodies the kernel makes for its own kinds come from.
    pub(crate) heap: body::BodyHeap,
    /// Object callbacks (ObRegisterCallbacks).
    pub(crate) callbacks: callbacks::Callbacks,
    /// Every OBJECT_TYPE and the kind of object it stands for.
    pub(crate) type_objects: Vec<(u64, Option<ObjectKind>)>,
    /// Objects drivers made with ObCreateObject.
    pub(crate) made: create::MadeObjects,
}

/// Why a path names no object.
pub fn not_found_status(depth_left: usize) -> NtStatus {
    if depth_left > 1 {
        status::OBJECT_PATH_NOT_FOUND
    } else {
        status::OBJECT_NAME_NOT_FOUND
    }
}

/// The canonical form of a path: `\??` for the DOS device directory, upper case (ASCII
/// case folding, so a suffix keeps its byte length).
pub fn canonical(path: &str) -> String {
    let upper = path.to_ascii_uppercase();
    for prefix in ["\\DOSDEVICES", "\\GLOBAL??"] {
        if upper == prefix {
            return "\\??".into();
        }
        if let Some(rest) = upper.strip_prefix(prefix).and_then(|r| r.strip_prefix('\\')) {
            return format!("\\??\\{rest}");
        }
    }
    upper
}

/// Whether `path` is a syntactically valid object path (absolute, no empty components).
pub fn valid_path(path: &str) -> bool {
    path.starts_with('\\') && path.len() > 1 && !path[1..].split('\\').any(str::is_empty)
}

/// (parent, last component) of an absolute path.
fn split_last(path: &str) -> (&str, &str) {
    match path.rfind('\\') {
        Some(0) => ("\\", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

impl ObjectManager {
    /// The key a name is stored under: its parent resolved through symbolic links
    /// (`\DosDevices\Global\X` is `\??\X`), then the canonical form. Before the namespace has
    /// its directories (a bare manager in tests), just the canonical form.
    fn key_of(&self, path: &str) -> Result<String, NtStatus> {
        if self.root == 0 {
            return Ok(canonical(path));
        }
        let (parent, last) = split_last(path);
        // A directory on the way that does not exist: the path is not found.
        let (dir, rest) = self.lookup_path(parent, true).map_err(|st| {
            if st == status::OBJECT_NAME_NOT_FOUND {
                status::OBJECT_PATH_NOT_FOUND
            } else {
                st
            }
        })?;
        match self.objects.get(&dir) {
            Some(o) if o.kind == ObjectKind::Directory && rest.is_empty() => {
                let base = o.name.as_deref().map(canonical).unwrap_or_default();
                let joined = if base == "\\" { format!("\\{last}") } else { format!("{base}\\{last}") };
                Ok(canonical(&joined))
            }
            _ => Err(status::OBJECT_PATH_NOT_FOUND),
        }
    }

    /// Enters a name in its directory. OBJECT_NAME_COLLISION if it exists; once the
    /// namespace has directories, OBJECT_PATH_NOT_FOUND when its directory does not exist.
    pub fn insert_name(&mut self, path: &str, target: NameTarget, owner: Owner) -> Result<(), NtStatus> {
        if !valid_path(path) {
            return Err(status::OBJECT_NAME_INVALID);
        }
        let key = self.key_of(path)?;
        if self.names.contains_key(&key) {
            return Err(status::OBJECT_NAME_COLLISION);
        }
        let object = match target {
            NameTarget::Object(o) => o,
            NameTarget::Link(_) => 0,
        };
        self.names.insert(key, NameEntry { path: path.to_string(), target, owner, object });
        Ok(())
    }

    /// Names a symbolic-link object.
    pub fn insert_link(&mut self, path: &str, target: &str, owner: Owner, object: u64) -> Result<(), NtStatus> {
        self.insert_name(path, NameTarget::Link(target.to_string()), owner)?;
        if let Ok(key) = self.key_of(path) {
            if let Some(e) = self.names.get_mut(&key) {
                e.object = object;
            }
        }
        self.links.insert(object, target.to_string());
        Ok(())
    }

    pub fn remove_name(&mut self, path: &str) -> Option<NameEntry> {
        let key = self.key_of(path).ok()?;
        self.names.remove(&key)
    }

    /// The entry of exactly this name (its last component is not followed if it is a link).
    pub fn lookup(&self, path: &str) -> Option<&NameEntry> {
        self.names.get(&self.key_of(path).ok()?)
    }

    pub fn names(&self) -> impl Iterator<Item = &NameEntry> {
        self.names.values()
    }

    /// Follows symbolic links (also on a prefix of the path) to an object. Returns the object
    /// and the rest of the path after the object's name (e.g. a file name on a device).
    pub fn resolve(&self, path: &str) -> Option<(u64, String)> {
        self.lookup_path(path, true).ok()
    }

    /// Resolves `path` as the object manager parses a name: the longest name that exists on
    /// a component boundary, following symbolic links (the last component's only when
    /// `follow_last`), gives an object and the rest of the path, which the object's own parse
    /// routine takes (a file name on a device, a subkey under a key). A directory takes no
    /// rest: a name missing from a directory is OBJECT_NAME_NOT_FOUND, or
    /// OBJECT_PATH_NOT_FOUND when more components follow it.
    pub fn lookup_path(&self, path: &str, follow_last: bool) -> Result<(u64, String), NtStatus> {
        if !path.starts_with('\\') {
            return Err(status::OBJECT_PATH_SYNTAX_BAD);
        }
        if path != "\\" && path[1..].split('\\').any(str::is_empty) {
            return Err(status::OBJECT_NAME_INVALID);
        }
        let mut current = path.to_string();
        for _ in 0..32 {
            if current == "\\" {
                return if self.root != 0 {
                    Ok((self.root, String::new()))
                } else {
                    Err(status::OBJECT_NAME_NOT_FOUND)
                };
            }
            let key = canonical(&current);
            // The longest existing prefix that ends at a component boundary.
            let mut split = key.len();
            let found = loop {
                if let Some(e) = self.names.get(&key[..split]) {
                    // Canonicalisation only rewrites the prefix: the rest has the same length.
                    let rest_len = key.len() - split;
                    break Some((e, current[current.len() - rest_len..].to_string()));
                }
                match key[..split].rfind('\\') {
                    Some(0) | None => break None,
                    Some(i) => split = i,
                }
            };
            let Some((entry, rest)) = found else {
                let depth = current.split('\\').filter(|c| !c.is_empty()).count();
                return Err(not_found_status(depth));
            };
            match &entry.target {
                NameTarget::Link(_) if rest.is_empty() && !follow_last => return Ok((entry.object, rest)),
                NameTarget::Link(to) => current = format!("{to}{rest}"),
                NameTarget::Object(o) => {
                    let directory = self.objects.get(o).is_some_and(|i| i.kind == ObjectKind::Directory);
                    if directory && !rest.is_empty() {
                        let depth = rest.split('\\').filter(|c| !c.is_empty()).count();
                        return Err(not_found_status(depth));
                    }
                    return Ok((*o, rest));
                }
            }
        }
        // A chain of links that never ends (Windows gives up the same way).
        Err(status::OBJECT_NAME_NOT_FOUND)
    }

    /// The entries directly inside directory `path`, sorted by name.
    pub fn children(&self, path: &str) -> Vec<&NameEntry> {
        let dir = canonical(path);
        let prefix = if dir == "\\" { dir.clone() } else { format!("{dir}\\") };
        self.names
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix) && k.len() > prefix.len() && !k[prefix.len()..].contains('\\'))
            .map(|(_, e)| e)
            .collect()
    }

    /// Registers an object the kernel keeps (it outlives the drivers' handles and references).
    pub fn register(&mut self, address: u64, kind: ObjectKind, name: Option<String>, owner: Owner) {
        let info =
            ObjectInfo { address, kind, name, owner, references: 0, handles: 0, retained: true, permanent: true };
        self.objects.insert(address, info);
    }

    /// Registers an object the kernel does not keep: deleted when its last handle and
    /// reference go (a permanent one keeps its name until made temporary).
    pub fn register_transient(
        &mut self,
        address: u64,
        kind: ObjectKind,
        name: Option<String>,
        owner: Owner,
        permanent: bool,
    ) {
        let info = ObjectInfo { address, kind, name, owner, references: 0, handles: 0, retained: false, permanent };
        self.objects.insert(address, info);
    }

    pub fn unregister(&mut self, address: u64) -> Option<ObjectInfo> {
        self.objects.remove(&address)
    }

    pub fn get(&self, address: u64) -> Option<&ObjectInfo> {
        self.objects.get(&address)
    }

    pub fn get_mut(&mut self, address: u64) -> Option<&mut ObjectInfo> {
        self.objects.get_mut(&address)
    }

    pub fn objects(&self) -> impl Iterator<Item = &ObjectInfo> {
        self.objects.values()
    }
}

/// Makes the namespace's directories and the object types.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    directory::boot(k)?;
    types::boot(k)
}

/// After a handle to `object` closed: a temporary object loses its name with its last
/// handle, and goes away with its last reference.
pub(crate) fn handle_closed(k: &mut Kx, object: u64) -> KResult<()> {
    let Some(o) = k.ext().objects.get(object) else { return Ok(()) };
    if o.handles > 0 {
        return Ok(());
    }
    let (permanent, kind) = (o.permanent, o.kind);
    if !permanent {
        unname(k, object);
    }
    if kind == ObjectKind::File {
        // A file on another driver's device: IRP_MJ_CLEANUP with the last handle (on the
        // volume: the minifilters' IRP_MJ_CLEANUP callbacks).
        crate::io::open::cleanup(k, object)?;
        crate::fs::open::cleanup(k, object)?;
    }
    release_if_unused(k, object)
}

/// Removes the name of `object`, if the namespace still gives that name to it.
pub(crate) fn unname(k: &mut Kx, object: u64) {
    let ob = &mut k.ext_mut().objects;
    let Some(name) = ob.get(object).and_then(|o| o.name.clone()) else { return };
    if ob.lookup(&name).is_some_and(|e| e.object == object) {
        ob.remove_name(&name);
    }
}

/// Deletes a temporary object whose last handle and reference are gone.
pub(crate) fn release_if_unused(k: &mut Kx, object: u64) -> KResult<()> {
    let Some(o) = k.ext().objects.get(object) else { return Ok(()) };
    if o.retained || o.handles > 0 || o.references > 0 {
        return Ok(());
    }
    let kind = o.kind;
    if o.permanent {
        // Still named: it stays until made temporary.
        return Ok(());
    }
    unname(k, object);
    k.ext_mut().objects.unregister(object);
    match kind {
        ObjectKind::SymbolicLink => {
            k.ext_mut().objects.links.remove(&object);
            body::free(k, object);
        }
        ObjectKind::Directory => body::free(k, object),
        ObjectKind::Key => crate::cm::key_object_deleted(k, object),
        ObjectKind::File if k.ext().volume.opens.contains_key(&object) => crate::fs::open::closed(k, object)?,
        ObjectKind::File => crate::io::open::closed(k, object)?,
        ObjectKind::WmiGuid => crate::io::wmi_block::deleted(k, object)?,
        ObjectKind::Job => crate::zw::job::deleted(k, object),
        _ => {}
    }
    create::deleted(k, object)
}

/// The OBJECT_TYPE of `kind` (exported through a variable or not: [`types`]).
pub(crate) fn object_type(k: &Kx, kind: ObjectKind) -> u64 {
    types::object_type(k, kind)
}

/// LONG_PTR ObfReferenceObject(PVOID Object) (fastcall on x86): takes a reference. Returns
/// the references drivers hold now (the kernel's own are not counted).
pub fn ObfReferenceObject(k: &mut Kx, object: Ptr) -> KResult<SizeT> {
    match k.ext_mut().objects.get_mut(object.0) {
        Some(o) => {
            o.references += 1;
            Ok(SizeT(o.references as u64))
        }
        None => Err(bad_reference(k, object.0, "ObfReferenceObject")),
    }
}

/// LONG_PTR ObfDereferenceObject(PVOID Object) (fastcall on x86): drops a reference.
/// Dropping one the drivers never took bugchecks REFERENCE_BY_POINTER (object type, object).
pub fn ObfDereferenceObject(k: &mut Kx, object: Ptr) -> KResult<SizeT> {
    let (refs, kind) = match k.ext_mut().objects.get_mut(object.0) {
        Some(o) => {
            o.references -= 1;
            (o.references, o.kind)
        }
        None => return Err(bad_reference(k, object.0, "ObfDereferenceObject")),
    };
    if refs < 0 {
        let b = Bugcheck {
            code: 0x18,
            name: "REFERENCE_BY_POINTER",
            params: [object_type(k, kind), object.0, 0, 0],
            caller: caller(k),
            reason: format!("the driver dropped more references to {:#x} than it took", object.0),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    if refs == 0 {
        release_if_unused(k, object.0)?;
    }
    Ok(SizeT(refs as u64))
}

/// VOID ObDereferenceObject(PVOID Object): the exported function form of the macro.
pub fn ObDereferenceObject(k: &mut Kx, object: Ptr) -> KResult<()> {
    ObfDereferenceObject(k, object).map(|_| ())
}

/// LONG_PTR ObfReferenceObjectWithTag(PVOID Object, ULONG Tag) (x64): ObfReferenceObject with a
/// tag for reference tracing.
pub fn ObfReferenceObjectWithTag(k: &mut Kx, object: Ptr, _tag: PoolTag) -> KResult<SizeT> {
    ObfReferenceObject(k, object)
}

/// LONG_PTR ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag) (x64).
pub fn ObfDereferenceObjectWithTag(k: &mut Kx, object: Ptr, _tag: PoolTag) -> KResult<SizeT> {
    ObfDereferenceObject(k, object)
}

pub(crate) fn bad_reference(k: &mut Kx, object: u64, what: &str) -> KError {
    let b = Bugcheck {
        code: 0x18,
        name: "REFERENCE_BY_POINTER",
        params: [0, object, 0, 0],
        caller: caller(k),
        reason: format!("{what} on {object:#x}, which is not a kernel object"),
    };
    KError::Stop(bugcheck_stop(k, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_device_aliases_are_one_name() {
        assert_eq!(canonical("\\DosDevices\\Beeper"), "\\??\\BEEPER");
        assert_eq!(canonical("\\GLOBAL??\\beeper"), "\\??\\BEEPER");
        assert_eq!(canonical("\\??\\Beeper"), "\\??\\BEEPER");
    }

    #[test]
    fn links_resolve_with_a_remainder() {
        let mut ob = ObjectManager::default();
        ob.insert_name("\\Device\\Foo", NameTarget::Object(0x1000), Owner::Kernel).unwrap();
        ob.insert_name("\\DosDevices\\Foo", NameTarget::Link("\\Device\\Foo".into()), Owner::Kernel).unwrap();
        assert_eq!(ob.resolve("\\??\\FOO"), Some((0x1000, String::new())));
        assert_eq!(ob.resolve("\\GLOBAL??\\foo\\bar.txt"), Some((0x1000, "\\bar.txt".into())));
        assert_eq!(ob.resolve("\\??\\Nothing"), None);
        assert_eq!(
            ob.insert_name("\\??\\FOO", NameTarget::Object(1), Owner::Kernel),
            Err(status::OBJECT_NAME_COLLISION)
        );
        assert_eq!(
            ob.insert_name("Device\\NoSlash", NameTarget::Object(1), Owner::Kernel),
            Err(status::OBJECT_NAME_INVALID)
        );
        assert_eq!(
            ob.insert_name("\\Device\\\\Empty", NameTarget::Object(1), Owner::Kernel),
            Err(status::OBJECT_NAME_INVALID)
        );
    }

    #[test]
    fn link_loops_do_not_hang() {
        let mut ob = ObjectManager::default();
        ob.insert_name("\\??\\A", NameTarget::Link("\\??\\B".into()), Owner::Kernel).unwrap();
        ob.insert_name("\\??\\B", NameTarget::Link("\\??\\A".into()), Owner::Kernel).unwrap();
        assert_eq!(ob.resolve("\\??\\A"), None);
    }
}
