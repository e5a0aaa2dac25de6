//! Process exit synchronization, the debug port, and ExfUnblockPushLock, through the real
//! stubs on both architectures.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::ps::processes;

const NT: Dll = Dll::Ntoskrnl;
const STATUS_PROCESS_IS_TERMINATING: u64 = 0xC000_010A;

#[test]
fn exit_synchronization_fails_once_the_process_has_exited() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = processes::create(&mut fx.k, "game.exe", 0x440, 4).unwrap().unwrap();
        assert_eq!(fx.call(NT, "PsAcquireProcessExitSynchronization", &[p]).unwrap() as u32, 0, "{arch:?}");
        assert_eq!(fx.call(NT, "PsAcquireProcessExitSynchronization", &[p]).unwrap() as u32, 0);
        assert_eq!(portcullis_hle::ps::exit_sync::holders(&fx.k, p), 2);
        fx.call(NT, "PsReleaseProcessExitSynchronization", &[p]).unwrap();
        fx.call(NT, "PsReleaseProcessExitSynchronization", &[p]).unwrap();
        assert_eq!(portcullis_hle::ps::exit_sync::holders(&fx.k, p), 0);
        processes::exit(&mut fx.k, 0x440, 0).unwrap().unwrap();
        assert_eq!(
            fx.call(NT, "PsAcquireProcessExitSynchronization", &[p]).unwrap() as u32 as u64,
            STATUS_PROCESS_IS_TERMINATING
        );
        assert_eq!(portcullis_hle::ps::exit_sync::holders(&fx.k, p), 0);
        // No user-mode debugger is attached to any process.
        assert_eq!(fx.call(NT, "PsGetProcessDebugPort", &[p]).unwrap(), 0);
        let system = fx.k.ext().system.system_process;
        assert_eq!(fx.call(NT, "PsGetProcessDebugPort", &[system]).unwrap(), 0);
        assert!(fx.call(NT, "PsGetProcessDebugPort", &[UNMAPPED]).is_err(), "a bad process pointer faults");
    }
}

#[test]
fn unblocking_a_push_lock_wakes_every_other_wait_block() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        // EX_PUSH_LOCK_WAIT_BLOCK: a KEVENT, then Next; three chained on the lock.
        let blocks: Vec<u64> = (0..3).map(|_| fx.alloc(8 * ps)).collect();
        for b in &blocks {
            fx.call(NT, "KeInitializeEvent", &[*b, 0, 0]).unwrap();
        }
        fx.k.mem_mut().write_ptr(blocks[0] + 4 * ps, blocks[1]).unwrap();
        fx.k.mem_mut().write_ptr(blocks[1] + 4 * ps, blocks[2]).unwrap();
        fx.k.mem_mut().write_ptr(blocks[2] + 4 * ps, 0).unwrap();
        let lock = fx.alloc(8);
        fx.k.mem_mut().write_ptr(lock, blocks[0]).unwrap();
        // The caller's own block is in the chain: it is not signaled, and no wait.
        fx.call(NT, "ExfUnblockPushLock", &[lock, blocks[1]]).unwrap();
        assert_eq!(fx.read_ptr(lock), 0, "{arch:?}");
        let state = |fx: &mut Fx, b: u64| fx.call(NT, "KeReadStateEvent", &[b]).unwrap() as u32;
        assert_eq!([state(&mut fx, blocks[0]), state(&mut fx, blocks[1]), state(&mut fx, blocks[2])], [1, 0, 1]);
        // An empty lock: nothing to wake.
        fx.call(NT, "ExfUnblockPushLock", &[lock, 0]).unwrap();
        assert_eq!(fx.read_ptr(lock), 0);
    }
}
