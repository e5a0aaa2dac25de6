//! Kernel routines: IRQL, bugchecks, stalls, debug output.

pub mod bugcheck;
pub mod debug;
pub mod irql;
pub mod stall;
