//! Object types: one OBJECT_TYPE per kind of object, named in `\ObjectTypes`, and the
//! variables ntoskrnl exports that hold them (`PsProcessType`, `ExEventObjectType`, ...).
//!
//! Each OBJECT_TYPE is laid out as Windows 7 SP1's (its name, index and pool tag where
//! debuggers and drivers read them). Types of objects this kernel never makes (desktops,
//! transactions, ...) exist all the same: a handle can never be of that type, so a reference
//! asking for it fails with STATUS_OBJECT_TYPE_MISMATCH, as it would on a system without such
//! objects.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::{ObjectKind, Owner};
use crate::exports::Dll;
use crate::kernel::{KResult, Kx};
use crate::types::Ptr;

/// One object type.
pub struct TypeDef {
    /// The exported variable that holds it, if ntoskrnl exports one.
    pub var: Option<&'static str>,
    /// Its name (`\ObjectTypes\<name>`).
    pub name: &'static str,
    /// The objects of this kernel that are of this type.
    pub kind: Option<ObjectKind>,
    /// OBJECT_TYPE.Index on Windows 7.
    pub index: u8,
    /// The pool tag of its objects (OBJECT_TYPE.Key).
    pub tag: &'static [u8; 4],
}

const fn t(
    var: Option<&'static str>,
    name: &'static str,
    kind: Option<ObjectKind>,
    index: u8,
    tag: &'static [u8; 4],
) -> TypeDef {
    TypeDef { var, name, kind, index, tag }
}

/// Every type, in Windows 7's index order.
pub const TYPES: &[TypeDef] = &[
    t(None, "Type", Some(ObjectKind::Type), 2, b"ObjT"),
    t(None, "Directory", Some(ObjectKind::Directory), 3, b"Dire"),
    t(None, "SymbolicLink", Some(ObjectKind::SymbolicLink), 4, b"Symb"),
    t(Some("SeTokenObjectType"), "Token", Some(ObjectKind::Token), 5, b"Toke"),
    t(Some("PsJobType"), "Job", Some(ObjectKind::Job), 6, b"Job "),
    t(Some("PsProcessType"), "Process", Some(ObjectKind::Process), 7, b"Proc"),
    t(Some("PsThreadType"), "Thread", Some(ObjectKind::Thread), 8, b"Thre"),
    t(Some("ExEventObjectType"), "Event", Some(ObjectKind::Event), 12, b"Even"),
    t(None, "Mutant", Some(ObjectKind::Mutant), 14, b"Muta"),
    t(None, "Callback", Some(ObjectKind::Callback), 15, b"Call"),
    t(Some("ExSemaphoreObjectType"), "Semaphore", Some(ObjectKind::Semaphore), 16, b"Sema"),
    t(None, "Timer", Some(ObjectKind::Timer), 17, b"Time"),
    t(Some("ExWindowStationObjectType"), "WindowStation", None, 20, b"Wind"),
    t(Some("ExDesktopObjectType"), "Desktop", None, 21, b"Desk"),
    t(Some("IoAdapterObjectType"), "Adapter", None, 23, b"Adap"),
    t(Some("IoDeviceObjectType"), "Device", Some(ObjectKind::Device), 25, b"Devi"),
    t(Some("IoDriverObjectType"), "Driver", Some(ObjectKind::Driver), 26, b"Driv"),
    t(Some("IoFileObjectType"), "File", Some(ObjectKind::File), 28, b"File"),
    t(Some("TmTransactionManagerObjectType"), "TmTm", None, 29, b"TmTm"),
    t(Some("TmTransactionObjectType"), "TmTx", None, 30, b"TmTx"),
    t(Some("TmResourceManagerObjectType"), "TmRm", None, 31, b"TmRm"),
    t(Some("TmEnlistmentObjectType"), "TmEn", None, 32, b"TmEn"),
    t(Some("MmSectionObjectType"), "Section", Some(ObjectKind::Section), 33, b"Sect"),
    t(Some("CmKeyObjectType"), "Key", Some(ObjectKind::Key), 35, b"Key "),
    t(Some("LpcPortObjectType"), "ALPC Port", None, 36, b"ALPC"),
    t(None, "WmiGuid", Some(ObjectKind::WmiGuid), 38, b"WmiG"),
    t(Some("IoDeviceHandlerObjectType"), "DeviceHandler", None, 44, b"DevH"),
];

/// OBJECT_TYPE field offsets (Windows 7 SP1): (x86, x64).
const NAME: (u64, u64) = (0x08, 0x10);
const INDEX: (u64, u64) = (0x14, 0x28);
const KEY: (u64, u64) = (0x7C, 0xB8);
const CALLBACK_LIST: (u64, u64) = (0x80, 0xC0);
const SIZE: (u64, u64) = (0x88, 0xD0);

fn pick(arch: Arch, o: (u64, u64)) -> u64 {
    match arch {
        Arch::X86 => o.0,
        Arch::X64 => o.1,
    }
}

/// Creates every type object, its name in `\ObjectTypes` and the exported variables.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    for def in TYPES.iter() {
        let name_bytes = (def.name.len() as u64 + 1) * 2;
        let obj = super::body::alloc(k, pick(arch, SIZE) + name_bytes)?;
        let mem = k.mem_mut();
        crate::layout::list::init(mem, obj)?;
        mem.write_u8(obj + pick(arch, INDEX), def.index)?;
        mem.write(obj + pick(arch, KEY), def.tag)?;
        let callbacks = obj + pick(arch, CALLBACK_LIST);
        crate::layout::list::init(mem, callbacks)?;
        crate::ps::write_unicode(k, obj + pick(arch, NAME), obj + pick(arch, SIZE), def.name)?;
        let path = format!("\\ObjectTypes\\{}", def.name);
        let ob = &mut k.ext_mut().objects;
        let _ = ob.insert_name(&path, super::NameTarget::Object(obj), Owner::Kernel);
        ob.register(obj, ObjectKind::Type, Some(path), Owner::Kernel);
        ob.type_objects.push((obj, def.kind));
        if let Some(var) = def.var {
            let at = crate::loader::system::variable(k, Dll::Ntoskrnl, var, ps)?;
            k.mem_mut().write_ptr(at, obj)?;
        }
    }
    Ok(())
}

/// The OBJECT_TYPE of objects of `kind`.
pub fn object_type(k: &Kx, kind: ObjectKind) -> u64 {
    k.ext().objects.type_objects.iter().find(|(_, kd)| *kd == Some(kind)).map(|(t, _)| *t).unwrap_or(0)
}

/// The kind of object an OBJECT_TYPE pointer stands for: `Some(None)` for a type of which
/// this kernel makes no objects, `None` for something that is no type at all.
pub fn kind_of_type(k: &Kx, object_type: u64) -> Option<Option<ObjectKind>> {
    k.ext().objects.type_objects.iter().find(|(t, _)| *t == object_type).map(|(_, kd)| *kd)
}

/// The name of a type.
pub fn type_name(kind: ObjectKind) -> &'static str {
    TYPES.iter().find(|d| d.kind == Some(kind)).map(|d| d.name).unwrap_or("")
}

/// Whether an object of `kind` passes a check against `object_type` (NULL accepts any).
pub fn matches(k: &Kx, kind: ObjectKind, object_type: u64) -> bool {
    object_type == 0 || kind_of_type(k, object_type) == Some(Some(kind))
}

/// POBJECT_TYPE ObGetObjectType(PVOID Object): the type of an object (Windows 7 and later).
pub fn ObGetObjectType(k: &mut Kx, object: Ptr) -> KResult<Ptr> {
    let kind = k.ext().objects.get(object.0).map(|o| o.kind);
    match kind {
        Some(kind) => Ok(Ptr(object_type(k, kind))),
        None => Err(super::bad_reference(k, object.0, "ObGetObjectType")),
    }
}
