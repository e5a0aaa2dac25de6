//! An in-memory file system: the volume `\Device\HarddiskVolume1`, reached as `\??\C:\` and
//! through `\SystemRoot` (`C:\Windows`), seeded by the scenario's `[files]`, and the files
//! drivers open on it (`ZwCreateFile` & co., [`open`], [`rw`], [`info`], [`dir`]).
//!
//! Files and directories form a tree with NTFS's rules as drivers meet them: names are
//! case-insensitive and keep their case; a file opened for writing by one handle shares only
//! as its ShareAccess says; deletion (FILE_DELETE_ON_CLOSE or FileDispositionInformation)
//! happens when the last handle closes. Nothing here touches the host's file system: a file a
//! scenario names on the host is read when the scenario is loaded. Files a driver writes,
//! creates, renames or deletes are events in the trace; their final contents can be
//! extracted after the run.

pub mod dir;
pub mod file_lock;
pub mod info;
pub mod open;
pub mod rw;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::events::SystemEvent;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_OBJECT};
use crate::ob::{NameTarget, ObjectKind, Owner};

/// The volume's device name.
pub const VOLUME: &str = "\\Device\\HarddiskVolume1";
/// Largest file the volume holds (bytes).
pub const MAX_FILE: u64 = 64 << 20;

/// FILE_ATTRIBUTE_* bits.
pub const FILE_ATTRIBUTE_READONLY: u32 = 0x1;
pub const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
pub const FILE_ATTRIBUTE_ARCHIVE: u32 = 0x20;
pub const FILE_ATTRIBUTE_NORMAL: u32 = 0x80;

/// One file or directory.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub parent: Option<usize>,
    /// Children by upper-case name (directories).
    children: BTreeMap<String, usize>,
    pub directory: bool,
    pub data: Vec<u8>,
    pub attributes: u32,
    pub created: u64,
    pub accessed: u64,
    pub written: u64,
    pub changed: u64,
    /// A deletion waits for the last handle.
    pub delete_pending: bool,
    pub deleted: bool,
    /// The file is a running image (the kernel's own modules): Mm holds an image section of
    /// it, so the file system refuses to write it (STATUS_SHARING_VIOLATION) or delete it
    /// (STATUS_CANNOT_DELETE), as NTFS does when MmFlushImageSection fails.
    pub image_in_use: bool,
    /// The opens sharing it: (access, share access) per file object.
    pub opens: BTreeMap<u64, (u32, u32)>,
}

/// An open instance: a file object on the volume.
#[derive(Clone, Debug)]
pub struct Open {
    pub node: usize,
    pub access: u32,
    pub options: u32,
    pub delete_on_close: bool,
    /// The minifilters saw its IRP_MJ_CLEANUP.
    pub cleaned: bool,
    /// Where a directory listing goes on (its next entry).
    pub scan: Option<usize>,
    /// The pattern of a directory listing in progress.
    pub pattern: Option<String>,
}

/// What the report says about a file a driver changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// "create", "write", "truncate", "rename", "delete", "set_attributes".
    pub operation: &'static str,
    /// The file's path on the volume (`\Windows\...`); for a rename, its new path.
    pub path: String,
    /// For a rename, the old path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// For a write: where and how much.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// The file's size after the change.
    pub size: u64,
    #[serde(serialize_with = "crate::events::hex")]
    pub caller: u64,
}

/// The volume.
#[derive(Default, Debug)]
pub struct Volume {
    nodes: Vec<Node>,
    /// File objects open on it.
    pub(crate) opens: BTreeMap<u64, Open>,
    /// The volume's device object.
    pub(crate) device: u64,
    /// The disk's device object, once asked for ([`disk_device`]).
    pub(crate) disk: u64,
    /// Paths of files the driver changed (for extraction).
    pub(crate) touched: Vec<String>,
}

impl Volume {
    /// The volume's device object.
    pub fn device_object(&self) -> u64 {
        self.device
    }

    /// The file objects open on the volume.
    pub fn open_files(&self) -> Vec<u64> {
        self.opens.keys().copied().collect()
    }

    /// How many nodes there have been (deleted ones included).
    pub fn nodes_len(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, id: usize) -> &Node {
        &self.nodes[id]
    }

    pub(crate) fn node_mut(&mut self, id: usize) -> &mut Node {
        &mut self.nodes[id]
    }

    /// The node's path from the volume's root (`\` for the root).
    pub fn path_of(&self, id: usize) -> String {
        let mut parts = Vec::new();
        let mut at = Some(id);
        while let Some(i) = at {
            if self.nodes[i].parent.is_some() {
                parts.push(self.nodes[i].name.as_str());
            }
            at = self.nodes[i].parent;
        }
        parts.reverse();
        format!("\\{}", parts.join("\\"))
    }

    pub fn child(&self, dir: usize, name: &str) -> Option<usize> {
        self.nodes[dir].children.get(&name.to_uppercase()).copied()
    }

    /// Children in name order.
    pub fn children(&self, dir: usize) -> Vec<usize> {
        self.nodes[dir].children.values().copied().collect()
    }

    /// Adds a file or directory (which must not exist).
    pub(crate) fn add(&mut self, parent: usize, name: &str, directory: bool, attributes: u32, time: u64) -> usize {
        let id = self.nodes.len();
        let attributes = if directory { attributes | FILE_ATTRIBUTE_DIRECTORY } else { attributes };
        self.nodes.push(Node {
            name: name.to_string(),
            parent: Some(parent),
            children: BTreeMap::new(),
            directory,
            data: Vec::new(),
            attributes,
            created: time,
            accessed: time,
            written: time,
            changed: time,
            delete_pending: false,
            deleted: false,
            image_in_use: false,
            opens: BTreeMap::new(),
        });
        self.nodes[parent].children.insert(name.to_uppercase(), id);
        self.nodes[parent].written = time;
        id
    }

    /// Takes a node out of its directory.
    pub(crate) fn remove(&mut self, id: usize) {
        let upper = self.nodes[id].name.to_uppercase();
        if let Some(p) = self.nodes[id].parent {
            self.nodes[p].children.remove(&upper);
        }
        self.nodes[id].deleted = true;
    }

    /// Moves a node to `parent` under `name`.
    pub(crate) fn rename(&mut self, id: usize, parent: usize, name: &str) {
        let upper = self.nodes[id].name.to_uppercase();
        if let Some(p) = self.nodes[id].parent {
            self.nodes[p].children.remove(&upper);
        }
        self.nodes[id].name = name.to_string();
        self.nodes[id].parent = Some(parent);
        self.nodes[parent].children.insert(name.to_uppercase(), id);
    }

    /// The node a path from the root names, if it exists: Err(true) when a directory on the
    /// way is missing (OBJECT_PATH_NOT_FOUND), Err(false) when only the last part is.
    pub fn find(&self, path: &str) -> Result<usize, bool> {
        let parts: Vec<&str> = path.split('\\').filter(|p| !p.is_empty()).collect();
        let mut at = 0;
        for (i, p) in parts.iter().enumerate() {
            match self.child(at, p) {
                Some(c) if i + 1 == parts.len() || self.nodes[c].directory => at = c,
                _ => return Err(i + 1 < parts.len()),
            }
        }
        Ok(at)
    }

    /// Creates the directories of `path` (from the root) that are missing; returns the last.
    fn ensure_dirs(&mut self, path: &str, time: u64) -> Option<usize> {
        let mut at = 0;
        for p in path.split('\\').filter(|p| !p.is_empty()) {
            at = match self.child(at, p) {
                Some(c) if self.nodes[c].directory => c,
                Some(_) => return None,
                None => self.add(at, p, true, 0, time),
            };
        }
        Some(at)
    }
}

/// A component name NTFS accepts: 1..255 characters, none of `"*/:<>?\|` nor control
/// characters, not "." or "..".
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.encode_utf16().count() <= 255
        && name != "."
        && name != ".."
        && !name.chars().any(|c| (c as u32) < 0x20 || "\"*/:<>?\\|".contains(c))
}

/// A volume path from what a scenario writes: `C:\x`, `\SystemRoot\x`, `\??\C:\x`, or a path
/// on the volume (`\Windows\x`).
pub fn volume_path(given: &str) -> Option<String> {
    let p = given.replace('/', "\\");
    let upper = p.to_ascii_uppercase();
    for prefix in ["\\??\\C:", "\\DOSDEVICES\\C:", "C:", "\\DEVICE\\HARDDISKVOLUME1"] {
        if upper.starts_with(prefix) {
            let rest = &p[prefix.len()..];
            return Some(if rest.is_empty() { "\\".into() } else { rest.to_string() });
        }
    }
    if let Some(rest) = upper.strip_prefix("\\SYSTEMROOT") {
        return Some(format!("\\Windows{}", &p[p.len() - rest.len()..]));
    }
    p.starts_with('\\').then_some(p)
}

/// Makes the volume: its device (with a driver object whose every dispatch routine refuses
/// IRPs: the volume is served by the kernel directly), `\??\C:`, `\SystemRoot`, and the
/// Windows directories.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let time = crate::ke::time::system_time(k);
    let vol = &mut k.ext_mut().volume;
    vol.nodes.push(Node {
        name: String::new(),
        parent: None,
        children: BTreeMap::new(),
        directory: true,
        data: Vec::new(),
        attributes: FILE_ATTRIBUTE_DIRECTORY,
        created: time,
        accessed: time,
        written: time,
        changed: time,
        delete_pending: false,
        deleted: false,
        image_in_use: false,
        opens: BTreeMap::new(),
    });
    for d in ["\\Windows\\System32\\drivers\\etc", "\\Windows\\Temp", "\\Program Files", "\\Users\\Public"] {
        vol.ensure_dirs(d, time);
    }
    // The file system's driver object and the volume's device object.
    let device = kernel_device(k, "\\FileSystem\\Ntfs", VOLUME, 0x08)?; // FILE_DEVICE_DISK_FILE_SYSTEM
    k.ext_mut().volume.device = device;
    crate::ob::symlink::create(k, "\\GLOBAL??\\C:", VOLUME, Owner::Kernel, true)?.ok();
    crate::ob::symlink::create(k, "\\SystemRoot", &format!("{VOLUME}\\Windows"), Owner::Kernel, true)?.ok();
    Ok(())
}

/// Puts a file on the volume from outside the guest (a scenario's `[files]`, a loaded
/// driver's image), creating its directories. False for a path not on the volume.
pub fn seed_file(k: &mut Kx, path: &str, data: Vec<u8>) -> bool {
    seed(k, path, data).is_some()
}

/// Puts the file of a running image on the volume (the kernel's own modules): readable,
/// and neither writable nor deletable while the image is loaded ([`Node::image_in_use`]).
pub(crate) fn seed_running_image(k: &mut Kx, path: &str, data: Vec<u8>) -> bool {
    match seed(k, path, data) {
        Some(id) => {
            k.ext_mut().volume.nodes[id].image_in_use = true;
            true
        }
        None => false,
    }
}

fn seed(k: &mut Kx, path: &str, data: Vec<u8>) -> Option<usize> {
    let time = crate::ke::time::system_time(k);
    let path = volume_path(path)?;
    let (dir, name) = path.rfind('\\').map(|i| (&path[..i], &path[i + 1..]))?;
    if !valid_name(name) {
        return None;
    }
    let vol = &mut k.ext_mut().volume;
    let parent = vol.ensure_dirs(dir, time)?;
    let id = match vol.child(parent, name) {
        Some(id) if !vol.nodes[id].directory => id,
        Some(_) => return None,
        None => vol.add(parent, name, false, FILE_ATTRIBUTE_ARCHIVE, time),
    };
    vol.nodes[id].data = data;
    Some(id)
}

/// Records a change to a file in the trace, and remembers the file for extraction.
pub(crate) fn record(k: &mut Kx, change: FileChange) {
    let vol = &mut k.ext_mut().volume;
    if !vol.touched.contains(&change.path) {
        vol.touched.push(change.path.clone());
    }
    crate::events::push(k, SystemEvent::File(change));
}

/// The files the driver changed, with their contents now (None for those gone): (path, data).
pub fn changed_files(k: &Kx) -> Vec<(String, Option<Vec<u8>>)> {
    let vol = &k.ext().volume;
    vol.touched
        .iter()
        .map(|p| {
            let data = vol.find(p).ok().filter(|id| !vol.nodes[*id].directory).map(|id| vol.nodes[id].data.clone());
            (p.clone(), data)
        })
        .collect()
}

/// The volume node a file object is open on.
pub fn open_of(k: &Kx, file_object: u64) -> Option<&Open> {
    k.ext().volume.opens.get(&file_object)
}

/// The disk the volume is on (`\Device\Harddisk0\DR0`, served by `\Driver\Disk`), made when
/// first asked for: only routines that look under a volume need it.
pub(crate) fn disk_device(k: &mut Kx) -> KResult<u64> {
    if k.ext().volume.disk != 0 {
        return Ok(k.ext().volume.disk);
    }
    let device = kernel_device(k, "\\Driver\\Disk", "\\Device\\Harddisk0\\DR0", 0x07)?; // FILE_DEVICE_DISK
    k.ext_mut().volume.disk = device;
    Ok(device)
}

/// A driver object of the kernel's own (`driver_name`, every major function the invalid
/// request routine) with one named device of `device_type`: the file system and the disk.
fn kernel_device(k: &mut Kx, driver_name: &str, device_name: &str, device_type: u64) -> KResult<u64> {
    let driver = kernel_driver(k, driver_name)?;
    kernel_device_of(k, driver, device_name, device_type)
}

/// A driver object of the kernel's own, named `driver_name`, every major function the invalid
/// request routine.
pub(crate) fn kernel_driver(k: &mut Kx, driver_name: &str) -> KResult<u64> {
    let arch = k.arch();
    let driver = crate::ob::body::alloc(k, DRIVER_OBJECT::STRUCT.size(arch))?;
    let invalid = k.ext().io.invalid_request;
    let mem = k.mem_mut();
    mem.set(driver, DRIVER_OBJECT::Type, crate::io::io_type::DRIVER)?;
    mem.set(driver, DRIVER_OBJECT::Size, DRIVER_OBJECT::STRUCT.size(arch))?;
    let table = DRIVER_OBJECT::MajorFunction.at(arch, driver);
    for i in 0..crate::io::major::COUNT {
        mem.write_ptr(table + i * arch.ptr_size(), invalid)?;
    }
    crate::io::driver::write_name(k, DRIVER_OBJECT::DriverName.at(arch, driver), driver_name)?;
    let ob = &mut k.ext_mut().objects;
    let _ = ob.insert_name(driver_name, NameTarget::Object(driver), Owner::Kernel);
    ob.register(driver, ObjectKind::Driver, Some(driver_name.into()), Owner::Kernel);
    Ok(driver)
}

/// A named device of `device_type` of the kernel's driver `driver` (first in its list).
pub(crate) fn kernel_device_of(k: &mut Kx, driver: u64, device_name: &str, device_type: u64) -> KResult<u64> {
    let arch = k.arch();
    let device = crate::ob::body::alloc(k, DEVICE_OBJECT::STRUCT.size(arch))?;
    let mem = k.mem_mut();
    let next = mem.get(driver, DRIVER_OBJECT::DeviceObject)?;
    mem.set(device, DEVICE_OBJECT::Type, crate::io::io_type::DEVICE)?;
    mem.set(device, DEVICE_OBJECT::Size, DEVICE_OBJECT::STRUCT.size(arch))?;
    mem.set(device, DEVICE_OBJECT::DriverObject, driver)?;
    mem.set(device, DEVICE_OBJECT::NextDevice, next)?;
    mem.set(driver, DRIVER_OBJECT::DeviceObject, device)?;
    mem.set(device, DEVICE_OBJECT::Flags, crate::io::device_flags::DEVICE_HAS_NAME)?;
    mem.set(device, DEVICE_OBJECT::DeviceType, device_type)?;
    mem.set(device, DEVICE_OBJECT::StackSize, 1)?;
    crate::io::device::init_queue_and_sector_size(k, device, device_type as u32)?;
    let ob = &mut k.ext_mut().objects;
    let _ = ob.insert_name(device_name, NameTarget::Object(device), Owner::Kernel);
    ob.register(device, ObjectKind::Device, Some(device_name.into()), Owner::Kernel);
    Ok(device)
}
