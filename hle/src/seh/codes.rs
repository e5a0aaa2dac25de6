//! The numbers of structured exception handling: exception codes, record flags, handler
//! dispositions, filter results (ntstatus.h, winnt.h, excpt.h).

/// Exception codes (NTSTATUS values).
pub mod code {
    pub const GUARD_PAGE_VIOLATION: u32 = 0x8000_0001;
    pub const DATATYPE_MISALIGNMENT: u32 = 0x8000_0002;
    pub const BREAKPOINT: u32 = 0x8000_0003;
    pub const SINGLE_STEP: u32 = 0x8000_0004;
    pub const PARTIAL_COPY: u32 = 0x8000_000D;
    pub const UNWIND_CONSOLIDATE: u32 = 0x8000_0029;
    pub const ACCESS_VIOLATION: u32 = 0xC000_0005;
    pub const ILLEGAL_INSTRUCTION: u32 = 0xC000_001D;
    pub const NONCONTINUABLE_EXCEPTION: u32 = 0xC000_0025;
    pub const INVALID_DISPOSITION: u32 = 0xC000_0026;
    pub const UNWIND: u32 = 0xC000_0027;
    pub const BAD_STACK: u32 = 0xC000_0028;
    pub const INVALID_UNWIND_TARGET: u32 = 0xC000_0029;
    pub const FLOAT_DENORMAL_OPERAND: u32 = 0xC000_008D;
    pub const FLOAT_DIVIDE_BY_ZERO: u32 = 0xC000_008E;
    pub const FLOAT_INEXACT_RESULT: u32 = 0xC000_008F;
    pub const FLOAT_INVALID_OPERATION: u32 = 0xC000_0090;
    pub const FLOAT_OVERFLOW: u32 = 0xC000_0091;
    pub const FLOAT_UNDERFLOW: u32 = 0xC000_0093;
    pub const INTEGER_DIVIDE_BY_ZERO: u32 = 0xC000_0094;
    pub const INTEGER_OVERFLOW: u32 = 0xC000_0095;
    pub const PRIVILEGED_INSTRUCTION: u32 = 0xC000_0096;
    pub const STACK_OVERFLOW: u32 = 0xC000_00FD;
    pub const BAD_FUNCTION_TABLE: u32 = 0xC000_00FF;
    pub const STACK_BUFFER_OVERRUN: u32 = 0xC000_0409;
    pub const ASSERTION_FAILURE: u32 = 0xC000_0420;
}

/// EXCEPTION_RECORD.ExceptionFlags.
pub mod flag {
    pub const NONCONTINUABLE: u32 = 0x01;
    pub const UNWINDING: u32 = 0x02;
    pub const EXIT_UNWIND: u32 = 0x04;
    pub const STACK_INVALID: u32 = 0x08;
    pub const NESTED_CALL: u32 = 0x10;
    pub const TARGET_UNWIND: u32 = 0x20;
    pub const COLLIDED_UNWIND: u32 = 0x40;
    /// Either unwind flag: the handler is called to clean up, not to decide.
    pub const UNWIND: u32 = UNWINDING | EXIT_UNWIND | TARGET_UNWIND | COLLIDED_UNWIND;
}

/// What a frame-based handler returns (EXCEPTION_DISPOSITION).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    ContinueExecution,
    ContinueSearch,
    NestedException,
    CollidedUnwind,
    /// Anything else a handler returned.
    Invalid(u32),
}

impl Disposition {
    pub fn from_raw(v: u64) -> Disposition {
        match v as u32 {
            0 => Disposition::ContinueExecution,
            1 => Disposition::ContinueSearch,
            2 => Disposition::NestedException,
            3 => Disposition::CollidedUnwind,
            other => Disposition::Invalid(other),
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            Disposition::ContinueExecution => 0,
            Disposition::ContinueSearch => 1,
            Disposition::NestedException => 2,
            Disposition::CollidedUnwind => 3,
            Disposition::Invalid(v) => v,
        }
    }
}

/// What an exception filter (`__except (expression)`) returns, read as a signed value.
pub const EXCEPTION_EXECUTE_HANDLER: i32 = 1;
pub const EXCEPTION_CONTINUE_SEARCH: i32 = 0;
pub const EXCEPTION_CONTINUE_EXECUTION: i32 = -1;

/// Most parameters an exception record carries.
pub const EXCEPTION_MAXIMUM_PARAMETERS: usize = 15;

/// The end of the x86 `fs:[0]` registration chain.
pub const EXCEPTION_CHAIN_END: u64 = 0xFFFF_FFFF;

/// `__fastfail` codes (winnt.h FAST_FAIL_*) the reports name.
pub fn fast_fail_name(code: u64) -> Option<&'static str> {
    Some(match code {
        0 => "FAST_FAIL_LEGACY_GS_VIOLATION",
        1 => "FAST_FAIL_VTGUARD_CHECK_FAILURE",
        2 => "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE",
        3 => "FAST_FAIL_CORRUPT_LIST_ENTRY",
        4 => "FAST_FAIL_INCORRECT_STACK",
        5 => "FAST_FAIL_INVALID_ARG",
        6 => "FAST_FAIL_GS_COOKIE_INIT",
        7 => "FAST_FAIL_FATAL_APP_EXIT",
        8 => "FAST_FAIL_RANGE_CHECK_FAILURE",
        9 => "FAST_FAIL_UNSAFE_REGISTRY_ACCESS",
        10 => "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE",
        11 => "FAST_FAIL_GUARD_WRITE_CHECK_FAILURE",
        12 => "FAST_FAIL_INVALID_FIBER_SWITCH",
        13 => "FAST_FAIL_INVALID_SET_OF_CONTEXT",
        14 => "FAST_FAIL_INVALID_REFERENCE_COUNT",
        18 => "FAST_FAIL_INVALID_JUMP_BUFFER",
        19 => "FAST_FAIL_MRDATA_MODIFIED",
        20 => "FAST_FAIL_CERTIFICATION_FAILURE",
        21 => "FAST_FAIL_INVALID_EXCEPTION_CHAIN",
        22 => "FAST_FAIL_CRYPTO_LIBRARY",
        23 => "FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT",
        24 => "FAST_FAIL_INVALID_IMAGE_BASE",
        25 => "FAST_FAIL_DLOAD_PROTECTION_FAILURE",
        26 => "FAST_FAIL_UNSAFE_EXTENSION_CALL",
        _ => return None,
    })
}
