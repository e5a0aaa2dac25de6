//! The object manager: the namespace (`\Device\...`, `\??\...`, `\Driver\...`), symbolic
//! links, and the registry of kernel objects with their owners and references.
//!
//! Names are case-insensitive, as Windows' are. `\DosDevices\X`, `\GLOBAL??\X` and `\??\X`
//! are the same name (on Windows `\DosDevices` is a link to `\??`, which is backed by
//! `\GLOBAL??` for system-wide names).
#![allow(non_snake_case)]

pub mod handles;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::types::{status, NtStatus, PoolTag, Ptr, SizeT};

/// Who created something, for leak reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Kernel,
    /// The driver with this index in the kernel's driver list.
    Driver(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Driver,
    Device,
    File,
    Process,
    Thread,
    /// A section (crate::mm::section).
    Section,
    /// Events, semaphores, mutants and timers made with handles (ke/).
    Event,
    Semaphore,
    Mutant,
    Timer,
    /// Callback objects (ex/callback.rs).
    Callback,
}

impl ObjectKind {
    pub const ALL: &'static [ObjectKind] = &[
        ObjectKind::Driver,
        ObjectKind::Device,
        ObjectKind::File,
        ObjectKind::Process,
        ObjectKind::Thread,
        ObjectKind::Section,
        ObjectKind::Event,
        ObjectKind::Semaphore,
        ObjectKind::Mutant,
        ObjectKind::Timer,
        ObjectKind::Callback,
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
}

#[derive(Default, Debug)]
pub struct ObjectManager {
    names: BTreeMap<String, NameEntry>,
    objects: BTreeMap<u64, ObjectInfo>,
}

/// The canonical form of a path: `\??` for the DOS device directory, upper case (ASCII
/// case folding, so a suffix keeps its byte length).
pub fn canonical(path: &str) -> String {
    let upper = path.to_ascii_uppercase();
    for prefix in ["\\DOSDEVICES\\", "\\GLOBAL??\\"] {
        if let Some(rest) = upper.strip_prefix(prefix) {
            return format!("\\??\\{rest}");
        }
    }
    upper
}

/// Whether `path` is a syntactically valid object path (absolute, no empty components).
pub fn valid_path(path: &str) -> bool {
    path.starts_with('\\') && path.len() > 1 && !path[1..].split('\\').any(str::is_empty)
}

impl ObjectManager {
    pub fn insert_name(&mut self, path: &str, target: NameTarget, owner: Owner) -> Result<(), NtStatus> {
        if !valid_path(path) {
            return Err(status::OBJECT_NAME_INVALID);
        }
        let key = canonical(path);
        if self.names.contains_key(&key) {
            return Err(status::OBJECT_NAME_COLLISION);
        }
        self.names.insert(key, NameEntry { path: path.to_string(), target, owner });
        Ok(())
    }

    pub fn remove_name(&mut self, path: &str) -> Option<NameEntry> {
        self.names.remove(&canonical(path))
    }

    pub fn lookup(&self, path: &str) -> Option<&NameEntry> {
        self.names.get(&canonical(path))
    }

    pub fn names(&self) -> impl Iterator<Item = &NameEntry> {
        self.names.values()
    }

    /// Follows symbolic links (also on a prefix of the path) to an object. Returns the object
    /// and the rest of the path after the object's name (e.g. a file name on a device).
    pub fn resolve(&self, path: &str) -> Option<(u64, String)> {
        let mut current = path.to_string();
        for _ in 0..32 {
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
            let (entry, rest) = found?;
            match &entry.target {
                NameTarget::Object(o) => return Some((*o, rest)),
                NameTarget::Link(to) => current = format!("{to}{rest}"),
            }
        }
        None
    }

    pub fn register(&mut self, address: u64, kind: ObjectKind, name: Option<String>, owner: Owner) {
        self.objects.insert(address, ObjectInfo { address, kind, name, owner, references: 0, handles: 0 });
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

/// The OBJECT_TYPE of `kind`, as the exported `*Io...ObjectType` / `*Ps...Type` /
/// `*Ex...ObjectType` name it (some kinds' types are not exported).
pub(crate) fn object_type(k: &Kx, kind: ObjectKind) -> u64 {
    k.ext().system.types.iter().find(|(t, _)| *t == kind).map(|(_, o)| *o).unwrap_or(0)
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

fn bad_reference(k: &mut Kx, object: u64, what: &str) -> KError {
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
