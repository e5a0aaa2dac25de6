//! Kernel routines: the scheduler and what runs on it (threads' waits, dispatcher objects,
//! DPCs, timers), IRQL and spin locks, processors, time, bugchecks, debug output.

pub mod apc;
pub mod attach;
pub mod bugcheck;
pub mod bugcheck_callback;
pub mod debug;
pub mod dispatcher;
pub mod dpc;
pub mod event;
pub mod guarded_mutex;
pub mod iopm;
pub mod irql;
pub mod lock;
pub mod mutex;
pub mod processor;
pub mod scheduler;
pub mod semaphore;
pub mod service_table;
pub mod snapshot;
pub mod spinlock;
pub mod stall;
pub mod thread;
pub mod time;
pub mod timer;
pub mod user_wait;
pub mod wait;
pub mod wait_graph;
