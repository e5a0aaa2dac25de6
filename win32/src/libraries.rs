//! The user-mode libraries a program may import from, as one list: each function has one
//! slot in the libraries' image, numbered across the tables in order (kernel32's first).

use crate::table::Win32Fn;

/// Every library's table.
const TABLES: &[&[Win32Fn]] = &[crate::kernel32::KERNEL32, crate::advapi32::ADVAPI32, crate::msvcrt::MSVCRT];

/// Functions over all libraries (the slots before the entry point's return slot).
pub(crate) fn count() -> usize {
    TABLES.iter().map(|t| t.len()).sum()
}

/// Every function, in slot order.
pub(crate) fn all() -> impl Iterator<Item = &'static Win32Fn> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The function of slot `index`, if it is one (the slot after them is the entry point's
/// return).
pub(crate) fn function(index: usize) -> Option<&'static Win32Fn> {
    let mut i = index;
    for table in TABLES {
        if i < table.len() {
            return Some(&table[i]);
        }
        i -= table.len();
    }
    None
}

/// The libraries' names (`kernel32.dll`, ...), in slot order.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    TABLES.iter().filter_map(|t| t.first().map(|f| f.dll))
}

/// The slot of the first function of library `dll` (its module handle is that slot's
/// address), if it is one of ours.
pub(crate) fn first_slot(dll: &str) -> Option<usize> {
    all().position(|f| f.dll.eq_ignore_ascii_case(dll))
}

/// The library whose first slot is `index`.
pub(crate) fn library_at(index: usize) -> Option<&'static str> {
    names().find(|d| first_slot(d) == Some(index))
}

/// The slot of the function `name` of `dll` (the library's name compared without case), if
/// implemented.
pub fn find(dll: &str, name: &str) -> Option<usize> {
    all().position(|f| f.dll.eq_ignore_ascii_case(dll) && f.name == name)
}

/// [`find`] for a program of `arch`: a function only the other architecture's library
/// exports is not this program's, and a name with a line per architecture is this one's
/// (the loader should bind with this one).
pub fn find_for(dll: &str, name: &str, arch: portcullis_emu::Arch) -> Option<usize> {
    all().position(|f| f.dll.eq_ignore_ascii_case(dll) && f.name == name && f.only.is_none_or(|a| a == arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_number_the_functions_across_libraries() {
        let close = find("KERNEL32.dll", "CloseHandle").unwrap();
        assert_eq!(function(close).unwrap().name, "CloseHandle");
        let open = find("advapi32.DLL", "OpenSCManagerA").unwrap();
        assert!(open >= crate::kernel32::KERNEL32.len());
        assert_eq!(function(open).unwrap().dll, "advapi32.dll");
        assert!(find("advapi32.dll", "CloseHandle").is_none(), "a function is found in its own library only");
        assert!(function(count()).is_none());
    }

    #[test]
    fn functions_of_the_32_bit_library_only_are_no_x64_programs() {
        use portcullis_emu::Arch;
        let i = find("kernel32.dll", "InterlockedIncrement").unwrap();
        assert_eq!(find_for("kernel32.dll", "InterlockedIncrement", Arch::X86), Some(i));
        assert_eq!(find_for("kernel32.dll", "InterlockedIncrement", Arch::X64), None);
        assert!(find_for("kernel32.dll", "HeapAlloc", Arch::X64).is_some());
    }
}
