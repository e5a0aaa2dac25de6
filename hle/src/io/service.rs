//! Loading and unloading drivers by their service key: `ZwLoadDriver` and `ZwUnloadDriver`.
//!
//! `ZwLoadDriver(\Registry\Machine\System\CurrentControlSet\Services\X)` reads the service
//! key X from the registry, finds the image its ImagePath names (`\SystemRoot\System32\drivers\X.sys`
//! when there is none; a relative path is under `\SystemRoot`) on the C: volume, loads it
//! into the sandbox's kernel as a second driver with its driver object `\Driver\X`, and runs
//! its DriverEntry on the calling thread (Windows runs it on a system worker thread while the
//! caller waits; the caller sees the same status). A DriverEntry that fails leaves nothing
//! loaded. A driver the sandbox installed but has not started (its image loaded before the
//! run, DriverEntry not yet run: `run-app` without `--start`) is started instead of loaded
//! again. The errors are the ones Windows returns: no such key or image
//! (STATUS_OBJECT_NAME_NOT_FOUND, or STATUS_OBJECT_PATH_NOT_FOUND for a missing directory),
//! a driver of that name loaded already (STATUS_IMAGE_ALREADY_LOADED), an image that is none
//! or for the other architecture (STATUS_INVALID_IMAGE_FORMAT), an import no library here
//! exports (STATUS_DRIVER_ENTRYPOINT_NOT_FOUND, whatever the run's missing-import policy).
//! Images are found on the C: volume only: one behind another driver's device is
//! STATUS_NOT_SUPPORTED.
//!
//! `ZwUnloadDriver` finds `\Driver\X`, calls its DriverUnload and takes the driver out of the
//! namespace and the loaded-module list; a driver without an unload routine cannot be
//! unloaded (STATUS_INVALID_DEVICE_REQUEST), and no such driver is STATUS_OBJECT_NAME_NOT_FOUND.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, DRIVER_OBJECT};
use crate::loader::LoadError;
use crate::types::{status, NtStatus, PUnicodeString};

/// DRIVER_OBJECT.Flags: DRVO_UNLOAD_INVOKED.
const DRVO_UNLOAD_INVOKED: u64 = 0x1;

/// (the service key's node, the service's name) of a registry path.
fn service(k: &Kx, path: &str) -> Result<(usize, String), NtStatus> {
    let name = path.rsplit('\\').next().unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(status::OBJECT_NAME_INVALID);
    }
    let node = k.ext().registry.find(path).ok_or(status::OBJECT_NAME_NOT_FOUND)?;
    Ok((node, name))
}

/// The driver object `\Driver\<name>`, if a driver of that name is loaded.
fn driver_object(k: &Kx, name: &str) -> Option<u64> {
    let (object, rest) = k.ext().objects.lookup_path(&format!("\\Driver\\{name}"), true).ok()?;
    let is_driver = k.ext().objects.get(object).is_some_and(|o| o.kind == crate::ob::ObjectKind::Driver);
    (rest.is_empty() && is_driver).then_some(object)
}

/// The image file's bytes for an ImagePath as the I/O manager resolves it.
fn image_bytes(k: &Kx, image_path: &str) -> Result<Vec<u8>, NtStatus> {
    let path =
        if image_path.starts_with('\\') { image_path.to_string() } else { format!("\\SystemRoot\\{image_path}") };
    let (object, rest) = k.ext().objects.lookup_path(&path, true)?;
    let volume = &k.ext().volume;
    if object != volume.device_object() {
        return Err(status::NOT_SUPPORTED);
    }
    let node = volume.find(&rest).map_err(|dir_missing| {
        if dir_missing {
            status::OBJECT_PATH_NOT_FOUND
        } else {
            status::OBJECT_NAME_NOT_FOUND
        }
    })?;
    let n = volume.node(node);
    if n.directory {
        return Err(status::FILE_IS_A_DIRECTORY);
    }
    Ok(n.data.clone())
}

/// NTSTATUS ZwLoadDriver(PUNICODE_STRING DriverServiceName)
pub fn ZwLoadDriver(k: &mut Kx, service_name: PUnicodeString) -> KResult<NtStatus> {
    let path = crate::rtl::unicode::read_unicode_string(k, service_name.0)?;
    load_driver(k, &path)
}

/// What ZwLoadDriver does for the service key at `path` (the service control manager's
/// StartService comes here too). A driver the sandbox installed but has not started (its
/// image loaded, DriverEntry not run) is started: its DriverEntry runs now.
pub fn load_driver(k: &mut Kx, path: &str) -> KResult<NtStatus> {
    let (node, name) = match service(k, path) {
        Ok(s) => s,
        Err(st) => return Ok(st),
    };
    if driver_object(k, &name).is_some() {
        let installed =
            k.ext().drivers().iter().position(|d| d.name.eq_ignore_ascii_case(&name) && !d.entry_called && !d.unloaded);
        return match installed {
            Some(driver) => run_entry(k, driver),
            None => Ok(status::IMAGE_ALREADY_LOADED),
        };
    }
    let image_path = match k.ext().registry.value(node, "ImagePath") {
        Some(v) => crate::cm::utf16_text(&v.data),
        None => format!("\\SystemRoot\\System32\\drivers\\{name}.sys"),
    };
    let bytes = match image_bytes(k, &image_path) {
        Ok(b) => b,
        Err(st) => return Ok(st),
    };
    // Whatever the run's policy for the first driver's imports, Windows loads no image with
    // an import it cannot bind.
    let policy = k.ext().options.missing_imports;
    k.ext_mut().options.missing_imports = crate::kernel::MissingImports::Error;
    let loaded = crate::loader::load_service(k, &name, &bytes);
    k.ext_mut().options.missing_imports = policy;
    let driver = match loaded {
        Ok(d) => d,
        Err(LoadError::MissingImports(_)) => return Ok(status::DRIVER_ENTRYPOINT_NOT_FOUND),
        Err(LoadError::Malformed(_) | LoadError::WrongArch { .. } | LoadError::Unsupported(_)) => {
            return Ok(status::INVALID_IMAGE_FORMAT)
        }
        Err(LoadError::Memory(m)) => return Err(KError::Mem(m)),
        Err(LoadError::Machine(_) | LoadError::Kernel(_)) => return Ok(status::INSUFFICIENT_RESOURCES),
    };
    run_entry(k, driver)
}

/// Runs a loaded driver's DriverEntry on the calling thread; a driver that fails is
/// unloaded, as Windows deletes its driver object and unloads its image.
fn run_entry(k: &mut Kx, driver: usize) -> KResult<NtStatus> {
    let d = k.ext().drivers()[driver].clone();
    k.ext_mut().drivers[driver].entry_called = true;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let st = NtStatus(k.call(d.image.entry, &[d.driver_object, d.registry_path], conv)? as u32);
    crate::io::release_deferred(k)?;
    if st.is_success() {
        crate::io::driver::finish_initialization(k, d.driver_object)?;
        crate::io::notify::run_reinitialization(k, d.driver_object)?;
    } else {
        forget(k, driver)?;
    }
    Ok(st)
}

/// Takes a driver out of the namespace and the loaded-module list.
fn forget(k: &mut Kx, driver: usize) -> KResult<()> {
    let d = k.ext().drivers()[driver].clone();
    k.ext_mut().drivers[driver].unloaded = true;
    crate::loader::system::unlink_module(k, d.ldr_entry)?;
    crate::ob::unname(k, d.driver_object);
    Ok(())
}

/// NTSTATUS ZwUnloadDriver(PUNICODE_STRING DriverServiceName)
pub fn ZwUnloadDriver(k: &mut Kx, service_name: PUnicodeString) -> KResult<NtStatus> {
    let path = crate::rtl::unicode::read_unicode_string(k, service_name.0)?;
    unload_driver(k, &path)
}

/// What ZwUnloadDriver does for the service key at `path` (the service control manager's
/// ControlService(SERVICE_CONTROL_STOP) comes here too).
pub fn unload_driver(k: &mut Kx, path: &str) -> KResult<NtStatus> {
    let name = path.rsplit('\\').next().unwrap_or_default().to_string();
    let Some(object) = driver_object(k, &name) else { return Ok(status::OBJECT_NAME_NOT_FOUND) };
    if let Err(st) = service(k, path) {
        return Ok(st);
    }
    let flags = k.mem().get(object, DRIVER_OBJECT::Flags)?;
    let routine = k.mem().get(object, DRIVER_OBJECT::DriverUnload)?;
    let Some(driver) = k.ext().drivers().iter().position(|d| d.driver_object == object) else {
        // A driver object of the kernel's own (\Driver\Ntfs's kind): not loaded from a service.
        return Ok(status::INVALID_DEVICE_REQUEST);
    };
    if flags & DRVO_UNLOAD_INVOKED != 0 || routine == 0 {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    k.mem_mut().set(object, DRIVER_OBJECT::Flags, flags | DRVO_UNLOAD_INVOKED)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    k.call(routine, &[object], conv)?;
    crate::io::release_deferred(k)?;
    forget(k, driver)?;
    Ok(status::SUCCESS)
}
