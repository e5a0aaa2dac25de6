//! `_purecall`: where a call through a C++ object's pure virtual function lands. The kernel
//! raises STATUS_NOT_IMPLEMENTED (ReactOS's kernel does the same); with no handler for it in
//! the driver, the exception is not handled in kernel mode: KMODE_EXCEPTION_NOT_HANDLED.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::types::status;

/// int _purecall(void): never returns.
pub fn _purecall(k: &mut Kx) -> KResult<i32> {
    let at = caller(k);
    let b = Bugcheck {
        code: 0x1E,
        name: "KMODE_EXCEPTION_NOT_HANDLED",
        params: [u64::from(status::NOT_IMPLEMENTED.0), at, 0, 0],
        caller: at,
        reason: "_purecall: a pure virtual function was called; the STATUS_NOT_IMPLEMENTED it raises is not \
                 dispatched to driver handlers"
            .into(),
    };
    Err(KError::Stop(bugcheck_stop(k, b)))
}
