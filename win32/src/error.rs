//! Win32 error codes and the NTSTATUS → Win32 mapping a user program sees through
//! GetLastError (what ntdll's RtlNtStatusToDosError does).
//!
//! The rules around the table: 0 and customer codes (bit 29) map to themselves, a 0xD...
//! status reads as its 0xC... twin, HRESULT-style 0xC001xxxx and 0x8007xxxx carry their
//! Win32 code in the low word, and a status without an entry is ERROR_MR_MID_NOT_FOUND.
//! The entries are the statuses drivers and the I/O manager return (winerror.h values).

pub const ERROR_SUCCESS: u32 = 0;
pub const ERROR_INVALID_FUNCTION: u32 = 1;
pub const ERROR_FILE_NOT_FOUND: u32 = 2;
pub const ERROR_PATH_NOT_FOUND: u32 = 3;
pub const ERROR_ACCESS_DENIED: u32 = 5;
pub const ERROR_INVALID_HANDLE: u32 = 6;
pub const ERROR_NOT_ENOUGH_MEMORY: u32 = 8;
pub const ERROR_NO_MORE_FILES: u32 = 18;
pub const ERROR_NOT_READY: u32 = 21;
pub const ERROR_BAD_COMMAND: u32 = 22;
pub const ERROR_CRC: u32 = 23;
pub const ERROR_BAD_LENGTH: u32 = 24;
pub const ERROR_SECTOR_NOT_FOUND: u32 = 27;
pub const ERROR_GEN_FAILURE: u32 = 31;
pub const ERROR_SHARING_VIOLATION: u32 = 32;
pub const ERROR_WRONG_DISK: u32 = 34;
pub const ERROR_HANDLE_EOF: u32 = 38;
pub const ERROR_NOT_SUPPORTED: u32 = 50;
pub const ERROR_DEV_NOT_EXIST: u32 = 55;
pub const ERROR_INVALID_PARAMETER: u32 = 87;
pub const ERROR_SEM_TIMEOUT: u32 = 121;
pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
pub const ERROR_INVALID_NAME: u32 = 123;
pub const ERROR_MOD_NOT_FOUND: u32 = 126;
pub const ERROR_PROC_NOT_FOUND: u32 = 127;
pub const ERROR_BUSY: u32 = 170;
pub const ERROR_ALREADY_EXISTS: u32 = 183;
pub const ERROR_BAD_EXE_FORMAT: u32 = 193;
pub const ERROR_FILENAME_EXCED_RANGE: u32 = 206;
pub const ERROR_MORE_DATA: u32 = 234;
pub const ERROR_NO_MORE_ITEMS: u32 = 259;
pub const ERROR_MR_MID_NOT_FOUND: u32 = 317;
pub const ERROR_ARITHMETIC_OVERFLOW: u32 = 534;
pub const ERROR_OPERATION_ABORTED: u32 = 995;
pub const ERROR_IO_PENDING: u32 = 997;
pub const ERROR_NOACCESS: u32 = 998;
pub const ERROR_SWAPERROR: u32 = 999;
pub const ERROR_BADKEY: u32 = 1010;
pub const ERROR_INVALID_SERVICE_CONTROL: u32 = 1052;
pub const ERROR_SERVICE_ALREADY_RUNNING: u32 = 1056;
pub const ERROR_SERVICE_DISABLED: u32 = 1058;
pub const ERROR_SERVICE_DOES_NOT_EXIST: u32 = 1060;
pub const ERROR_SERVICE_NOT_ACTIVE: u32 = 1062;
pub const ERROR_DATABASE_DOES_NOT_EXIST: u32 = 1065;
pub const ERROR_SERVICE_MARKED_FOR_DELETE: u32 = 1072;
pub const ERROR_SERVICE_EXISTS: u32 = 1073;
pub const ERROR_SERVICE_NEVER_STARTED: u32 = 1077;
pub const ERROR_DUPLICATE_SERVICE_NAME: u32 = 1078;
pub const ERROR_DLL_INIT_FAILED: u32 = 1114;
pub const ERROR_DEVICE_NOT_CONNECTED: u32 = 1167;
pub const ERROR_NOT_FOUND: u32 = 1168;
pub const ERROR_NOT_ALL_ASSIGNED: u32 = 1300;
pub const ERROR_NO_SUCH_PRIVILEGE: u32 = 1313;
pub const ERROR_PRIVILEGE_NOT_HELD: u32 = 1314;
pub const ERROR_NO_SYSTEM_RESOURCES: u32 = 1450;
pub const ERROR_TIMEOUT: u32 = 1460;
pub const RPC_S_SERVER_UNAVAILABLE: u32 = 1722;
pub const RPC_X_NULL_REF_POINTER: u32 = 1780;
pub const ERROR_INVALID_USER_BUFFER: u32 = 1784;

/// (NTSTATUS, Win32 error), sorted by status.
const TABLE: &[(u32, u32)] = &[
    (0x0000_0102, ERROR_TIMEOUT),              // STATUS_TIMEOUT
    (0x0000_0103, ERROR_IO_PENDING),           // STATUS_PENDING
    (0x0000_0105, ERROR_MORE_DATA),            // STATUS_MORE_ENTRIES
    (0x8000_0002, ERROR_NOACCESS),             // STATUS_DATATYPE_MISALIGNMENT
    (0x8000_0003, 0x8000_0003),                // STATUS_BREAKPOINT (1:1)
    (0x8000_0004, 0x8000_0004),                // STATUS_SINGLE_STEP (1:1)
    (0x8000_0005, ERROR_MORE_DATA),            // STATUS_BUFFER_OVERFLOW
    (0x8000_0006, ERROR_NO_MORE_FILES),        // STATUS_NO_MORE_FILES
    (0x8000_0011, ERROR_BUSY),                 // STATUS_DEVICE_BUSY
    (0x8000_001A, ERROR_NO_MORE_ITEMS),        // STATUS_NO_MORE_ENTRIES
    (0xC000_0001, ERROR_GEN_FAILURE),          // STATUS_UNSUCCESSFUL
    (0xC000_0002, ERROR_INVALID_FUNCTION),     // STATUS_NOT_IMPLEMENTED
    (0xC000_0003, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_INFO_CLASS
    (0xC000_0004, ERROR_BAD_LENGTH),           // STATUS_INFO_LENGTH_MISMATCH
    (0xC000_0005, ERROR_NOACCESS),             // STATUS_ACCESS_VIOLATION
    (0xC000_0006, ERROR_SWAPERROR),            // STATUS_IN_PAGE_ERROR
    (0xC000_0008, ERROR_INVALID_HANDLE),       // STATUS_INVALID_HANDLE
    (0xC000_000D, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_PARAMETER
    (0xC000_000E, ERROR_FILE_NOT_FOUND),       // STATUS_NO_SUCH_DEVICE
    (0xC000_000F, ERROR_FILE_NOT_FOUND),       // STATUS_NO_SUCH_FILE
    (0xC000_0010, ERROR_INVALID_FUNCTION),     // STATUS_INVALID_DEVICE_REQUEST
    (0xC000_0011, ERROR_HANDLE_EOF),           // STATUS_END_OF_FILE
    (0xC000_0012, ERROR_WRONG_DISK),           // STATUS_WRONG_VOLUME
    (0xC000_0013, ERROR_NOT_READY),            // STATUS_NO_MEDIA_IN_DEVICE
    (0xC000_0015, ERROR_SECTOR_NOT_FOUND),     // STATUS_NONEXISTENT_SECTOR
    (0xC000_0016, ERROR_MORE_DATA),            // STATUS_MORE_PROCESSING_REQUIRED
    (0xC000_0017, ERROR_NOT_ENOUGH_MEMORY),    // STATUS_NO_MEMORY
    (0xC000_001D, ERROR_INVALID_FUNCTION),     // STATUS_ILLEGAL_INSTRUCTION
    (0xC000_0022, ERROR_ACCESS_DENIED),        // STATUS_ACCESS_DENIED
    (0xC000_0023, ERROR_INSUFFICIENT_BUFFER),  // STATUS_BUFFER_TOO_SMALL
    (0xC000_0024, ERROR_INVALID_HANDLE),       // STATUS_OBJECT_TYPE_MISMATCH
    (0xC000_0033, ERROR_INVALID_NAME),         // STATUS_OBJECT_NAME_INVALID
    (0xC000_0034, ERROR_FILE_NOT_FOUND),       // STATUS_OBJECT_NAME_NOT_FOUND
    (0xC000_0035, ERROR_ALREADY_EXISTS),       // STATUS_OBJECT_NAME_COLLISION
    (0xC000_003A, ERROR_PATH_NOT_FOUND),       // STATUS_OBJECT_PATH_NOT_FOUND
    (0xC000_003E, ERROR_CRC),                  // STATUS_DATA_ERROR
    (0xC000_0043, ERROR_SHARING_VIOLATION),    // STATUS_SHARING_VIOLATION
    (0xC000_0061, ERROR_PRIVILEGE_NOT_HELD),   // STATUS_PRIVILEGE_NOT_HELD
    (0xC000_007B, ERROR_BAD_EXE_FORMAT),       // STATUS_INVALID_IMAGE_FORMAT
    (0xC000_0094, 0xC000_0094),                // STATUS_INTEGER_DIVIDE_BY_ZERO (1:1)
    (0xC000_0095, ERROR_ARITHMETIC_OVERFLOW),  // STATUS_INTEGER_OVERFLOW
    (0xC000_0096, 0xC000_0096),                // STATUS_PRIVILEGED_INSTRUCTION (1:1)
    (0xC000_009A, ERROR_NO_SYSTEM_RESOURCES),  // STATUS_INSUFFICIENT_RESOURCES
    (0xC000_009C, ERROR_CRC),                  // STATUS_DEVICE_DATA_ERROR
    (0xC000_009D, ERROR_DEVICE_NOT_CONNECTED), // STATUS_DEVICE_NOT_CONNECTED
    (0xC000_00A3, ERROR_NOT_READY),            // STATUS_DEVICE_NOT_READY
    (0xC000_00B5, ERROR_SEM_TIMEOUT),          // STATUS_IO_TIMEOUT
    (0xC000_00BB, ERROR_NOT_SUPPORTED),        // STATUS_NOT_SUPPORTED
    (0xC000_00C0, ERROR_DEV_NOT_EXIST),        // STATUS_DEVICE_DOES_NOT_EXIST
    (0xC000_00E8, ERROR_INVALID_USER_BUFFER),  // STATUS_INVALID_USER_BUFFER
    (0xC000_00EF, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_PARAMETER_1
    (0xC000_00F0, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_PARAMETER_2
    (0xC000_00F1, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_PARAMETER_3
    (0xC000_00F2, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_PARAMETER_4
    (0xC000_00F3, ERROR_INVALID_PARAMETER),    // STATUS_INVALID_PARAMETER_5
    (0xC000_0106, ERROR_FILENAME_EXCED_RANGE), // STATUS_NAME_TOO_LONG
    (0xC000_0120, ERROR_OPERATION_ABORTED),    // STATUS_CANCELLED
    (0xC000_0128, ERROR_INVALID_HANDLE),       // STATUS_FILE_CLOSED
    (0xC000_0184, ERROR_BAD_COMMAND),          // STATUS_INVALID_DEVICE_STATE
    (0xC000_0225, ERROR_NOT_FOUND),            // STATUS_NOT_FOUND
    (0xC000_0263, ERROR_PROC_NOT_FOUND),       // STATUS_DRIVER_ENTRYPOINT_NOT_FOUND
];

/// The Win32 error a failed call that got `status` leaves for GetLastError.
pub fn nt_status_to_dos_error(status: u32) -> u32 {
    if status == 0 || status & 0x2000_0000 != 0 {
        return status;
    }
    let status = if status & 0xF000_0000 == 0xD000_0000 { status & !0x1000_0000 } else { status };
    if let Ok(i) = TABLE.binary_search_by_key(&status, |e| e.0) {
        return TABLE[i].1;
    }
    match status >> 16 {
        0xC001 | 0x8007 => status & 0xFFFF,
        _ => ERROR_MR_MID_NOT_FOUND,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_so_lookups_find_every_entry() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        for &(status, error) in TABLE {
            assert_eq!(nt_status_to_dos_error(status), error);
        }
    }

    #[test]
    fn what_drivers_return_maps_as_windows_maps_it() {
        assert_eq!(nt_status_to_dos_error(0), ERROR_SUCCESS);
        assert_eq!(nt_status_to_dos_error(0xC000_0010), ERROR_INVALID_FUNCTION);
        assert_eq!(nt_status_to_dos_error(0xC000_0034), ERROR_FILE_NOT_FOUND);
        assert_eq!(nt_status_to_dos_error(0xC000_0022), ERROR_ACCESS_DENIED);
        assert_eq!(nt_status_to_dos_error(0xC000_0023), ERROR_INSUFFICIENT_BUFFER);
        assert_eq!(nt_status_to_dos_error(0x8000_0005), ERROR_MORE_DATA);
        assert_eq!(nt_status_to_dos_error(0x0000_0103), ERROR_IO_PENDING);
        assert_eq!(nt_status_to_dos_error(0xC000_0001), ERROR_GEN_FAILURE);
    }

    #[test]
    fn special_ranges_follow_the_rules() {
        // 0xD... is 0xC...
        assert_eq!(nt_status_to_dos_error(0xD000_0022), ERROR_ACCESS_DENIED);
        // Customer statuses are their own error codes.
        assert_eq!(nt_status_to_dos_error(0xE000_1234), 0xE000_1234);
        // Win32 errors carried in a status.
        assert_eq!(nt_status_to_dos_error(0xC001_0005), 5);
        assert_eq!(nt_status_to_dos_error(0x8007_0057), 87);
        // Nothing known.
        assert_eq!(nt_status_to_dos_error(0xC0AB_CDEF), ERROR_MR_MID_NOT_FOUND);
    }
}
