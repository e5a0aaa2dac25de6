//! Executive routines: pool, fast mutexes, resources, push locks, rundown protection,
//! interlocked operations and S-lists, lookaside lists, work items and worker threads,
//! callback objects, and named objects.

pub mod callback;
pub mod fast_mutex;
pub mod interlocked;
pub mod lookaside;
pub mod named;
pub mod pool;
pub mod push_lock;
pub mod resource;
pub mod rundown;
pub mod slist;
pub mod timer_resolution;
pub mod uuid;
pub mod work_item;

/// The executive's state beyond the pool.
#[derive(Default, Debug)]
pub struct ExState {
    pub resources: std::collections::BTreeMap<u64, resource::Resource>,
    pub push_locks: std::collections::BTreeMap<u64, push_lock::PushLock>,
    /// Rundown references being waited out, and who waits.
    pub rundowns: std::collections::BTreeMap<u64, crate::ke::scheduler::Cid>,
    pub work: work_item::Queues,
    pub callbacks: std::collections::BTreeMap<u64, callback::CallbackObject>,
    pub uuids: uuid::UuidState,
    pub timer_resolution: timer_resolution::TimerResolution,
}
