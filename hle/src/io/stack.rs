//! Device stacks: `IoAttachDeviceToDeviceStack(Safe)`, `IoAttachDevice`, `IoDetachDevice`,
//! `IoGetAttachedDevice(Reference)`, `IoGetDeviceAttachmentBaseRef`, `IoGetRelatedDeviceObject`,
//! `IoGetDeviceObjectPointer`.
//!
//! A filter attaches its device on top of another: the lower device's AttachedDevice and the
//! filter's DEVOBJ_EXTENSION.AttachedTo link them, and the filter's StackSize is one more than
//! what it attached to. Requests for a device go to the top of its stack.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::fs::open::Create;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, FILE_OBJECT};
use crate::ob::handles::{self, Mode};
use crate::ob::ObjectKind;
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// DEVOBJ_EXTENSION.AttachedTo (Windows 7).
fn attached_to_offset(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x18,
        Arch::X64 => 0x30,
    }
}

/// The device a device is attached on top of (0 for none).
pub fn attached_to(k: &Kx, device: u64) -> KResult<u64> {
    let ext = k.mem().get(device, DEVICE_OBJECT::DeviceObjectExtension)?;
    if ext == 0 {
        return Ok(0);
    }
    Ok(k.mem().read_ptr(ext + attached_to_offset(k.arch()))?)
}

fn set_attached_to(k: &mut Kx, device: u64, to: u64) -> KResult<()> {
    let ext = k.mem().get(device, DEVICE_OBJECT::DeviceObjectExtension)?;
    if ext != 0 {
        let at = ext + attached_to_offset(k.arch());
        k.mem_mut().write_ptr(at, to)?;
    }
    Ok(())
}

/// The highest device of `device`'s stack (a loop in the links ends the walk).
pub fn top(k: &Kx, device: u64) -> KResult<u64> {
    let mut d = device;
    for _ in 0..64 {
        let up = k.mem().get(d, DEVICE_OBJECT::AttachedDevice)?;
        if up == 0 || up == device {
            break;
        }
        d = up;
    }
    Ok(d)
}

/// Whether `device` is `base` or one of the devices attached above it.
pub fn in_stack(k: &Kx, base: u64, device: u64) -> KResult<bool> {
    let mut d = base;
    for _ in 0..64 {
        if d == device {
            return Ok(true);
        }
        d = k.mem().get(d, DEVICE_OBJECT::AttachedDevice)?;
        if d == 0 || d == base {
            break;
        }
    }
    Ok(false)
}

fn is_device(k: &Kx, object: u64) -> bool {
    k.ext().objects.get(object).is_some_and(|o| o.kind == ObjectKind::Device)
}

/// Attaches `source` on top of `target`'s stack; returns the device it attached to (0 when
/// `target`'s top is being deleted or `source` is attached already).
pub(crate) fn attach(k: &mut Kx, source: u64, target: u64) -> KResult<u64> {
    if !is_device(k, source) || !is_device(k, target) || attached_to(k, source)? != 0 {
        return Ok(0);
    }
    let under = top(k, target)?;
    if under == source || k.ext().objects.get(under).is_some_and(|o| o.name.is_none() && !o.retained) {
        return Ok(0);
    }
    let mem = k.mem();
    let stack = mem.get(under, DEVICE_OBJECT::StackSize)?;
    let align = mem.get(under, DEVICE_OBJECT::AlignmentRequirement)?;
    let sector = mem.get(under, DEVICE_OBJECT::SectorSize)?;
    let characteristics = mem.get(under, DEVICE_OBJECT::Characteristics)?;
    let mem = k.mem_mut();
    mem.set(under, DEVICE_OBJECT::AttachedDevice, source)?;
    mem.set(source, DEVICE_OBJECT::StackSize, (stack + 1).min(255))?;
    mem.set(source, DEVICE_OBJECT::AlignmentRequirement, align)?;
    mem.set(source, DEVICE_OBJECT::SectorSize, sector)?;
    // FILE_DEVICE_SECURE_OPEN and the removable/read-only bits propagate up.
    let own = mem.get(source, DEVICE_OBJECT::Characteristics)?;
    mem.set(source, DEVICE_OBJECT::Characteristics, own | (characteristics & 0x107))?;
    set_attached_to(k, source, under)?;
    Ok(under)
}

/// PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice,
/// PDEVICE_OBJECT TargetDevice): the device attached to, or NULL.
pub fn IoAttachDeviceToDeviceStack(k: &mut Kx, source: Ptr, target: Ptr) -> KResult<Ptr> {
    Ok(Ptr(attach(k, source.0, target.0)?))
}

/// NTSTATUS IoAttachDeviceToDeviceStackSafe(PDEVICE_OBJECT SourceDevice,
/// PDEVICE_OBJECT TargetDevice, PDEVICE_OBJECT *AttachedToDeviceObject): the device attached
/// to is written before the link becomes visible; STATUS_NO_SUCH_DEVICE when it fails.
pub fn IoAttachDeviceToDeviceStackSafe(k: &mut Kx, source: Ptr, target: Ptr, out: Ptr) -> KResult<NtStatus> {
    let under = attach(k, source.0, target.0)?;
    k.mem_mut().write_ptr(out.0, under)?;
    Ok(if under == 0 { status::NO_SUCH_DEVICE } else { status::SUCCESS })
}

/// NTSTATUS IoAttachDevice(PDEVICE_OBJECT SourceDevice, PUNICODE_STRING TargetDevice,
/// PDEVICE_OBJECT *AttachedDevice): attaches to the stack of the device that name opens.
pub fn IoAttachDevice(k: &mut Kx, source: Ptr, name: PUnicodeString, out: Ptr) -> KResult<NtStatus> {
    let path = read_unicode_string(k, name.0)?;
    crate::tdi::transport::materialize(k, &path)?;
    let target = match k.ext().objects.lookup_path(&path, true) {
        Ok((o, rest)) if rest.is_empty() && is_device(k, o) => o,
        Ok(_) => return Ok(status::OBJECT_TYPE_MISMATCH),
        Err(st) => return Ok(st),
    };
    let under = attach(k, source.0, target)?;
    k.mem_mut().write_ptr(out.0, under)?;
    Ok(if under == 0 { status::NO_SUCH_DEVICE } else { status::SUCCESS })
}

/// VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice): detaches the device attached on top of
/// TargetDevice.
pub fn IoDetachDevice(k: &mut Kx, target: Ptr) -> KResult<()> {
    let above = k.mem().get(target.0, DEVICE_OBJECT::AttachedDevice)?;
    k.mem_mut().set(target.0, DEVICE_OBJECT::AttachedDevice, 0)?;
    if above != 0 {
        set_attached_to(k, above, 0)?;
    }
    Ok(())
}

/// PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject): the top of its stack.
pub fn IoGetAttachedDevice(k: &mut Kx, device: Ptr) -> KResult<Ptr> {
    Ok(Ptr(top(k, device.0)?))
}

/// PDEVICE_OBJECT IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject): the top of its
/// stack, referenced.
pub fn IoGetAttachedDeviceReference(k: &mut Kx, device: Ptr) -> KResult<Ptr> {
    let d = top(k, device.0)?;
    handles::reference(k, d);
    Ok(Ptr(d))
}

/// The lowest device of `device`'s stack (a loop in the links ends the walk).
pub fn base(k: &Kx, device: u64) -> KResult<u64> {
    let mut d = device;
    for _ in 0..64 {
        let down = attached_to(k, d)?;
        if down == 0 || down == device {
            break;
        }
        d = down;
    }
    Ok(d)
}

/// PDEVICE_OBJECT IoGetDeviceAttachmentBaseRef(PDEVICE_OBJECT DeviceObject): the bottom of
/// its stack, referenced.
pub fn IoGetDeviceAttachmentBaseRef(k: &mut Kx, device: Ptr) -> KResult<Ptr> {
    let d = base(k, device.0)?;
    handles::reference(k, d);
    Ok(Ptr(d))
}

/// PDEVICE_OBJECT IoGetRelatedDeviceObject(PFILE_OBJECT FileObject): the top of the stack of
/// the device the file was opened on.
pub fn IoGetRelatedDeviceObject(k: &mut Kx, file: Ptr) -> KResult<Ptr> {
    let device = k.mem().get(file.0, FILE_OBJECT::DeviceObject)?;
    Ok(Ptr(top(k, device)?))
}

/// NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess,
/// PFILE_OBJECT *FileObject, PDEVICE_OBJECT *DeviceObject): opens the device (IRP_MJ_CREATE
/// to its stack) and returns the file object, referenced (dereferencing it closes it), and the
/// top of the stack.
pub fn IoGetDeviceObjectPointer(
    k: &mut Kx,
    name: PUnicodeString,
    access: u32,
    file_out: Ptr,
    device_out: Ptr,
) -> KResult<NtStatus> {
    let path = read_unicode_string(k, name.0)?;
    crate::tdi::transport::materialize(k, &path)?;
    let (object, rest) = match k.ext().objects.lookup_path(&path, true) {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    if !is_device(k, object) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    let c = Create {
        access: crate::fs::open::map_access(access),
        attributes: 0,
        share: 0,
        disposition: crate::fs::open::FILE_OPEN,
        options: crate::fs::open::FILE_NON_DIRECTORY_FILE,
        allocation: 0,
    };
    let at = caller(k);
    let opened = if object == k.ext().volume.device {
        crate::fs::open::on_volume(k, if rest.is_empty() { "\\" } else { &rest }, c, at)?
    } else {
        crate::io::open::kernel_open(k, object, &rest, c, Mode::Kernel, None)?
    };
    let fo = match opened {
        Ok((fo, _)) => fo,
        Err(st) => return Ok(st),
    };
    // Windows opens a handle, references the file and closes the handle: IRP_MJ_CLEANUP
    // now, IRP_MJ_CLOSE when the caller drops the reference (ObDereferenceObject).
    handles::reference(k, fo);
    crate::io::open::cleanup(k, fo)?;
    let device = top(k, k.mem().get(fo, FILE_OBJECT::DeviceObject)?)?;
    k.mem_mut().write_ptr(file_out.0, fo)?;
    k.mem_mut().write_ptr(device_out.0, device)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS IoAttachDeviceByPointer(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT
/// TargetDevice) (obsolete): STATUS_NO_SUCH_DEVICE when it cannot attach.
pub fn IoAttachDeviceByPointer(k: &mut Kx, source: Ptr, target: Ptr) -> KResult<NtStatus> {
    let under = attach(k, source.0, target.0)?;
    Ok(if under == 0 { status::NO_SUCH_DEVICE } else { status::SUCCESS })
}
