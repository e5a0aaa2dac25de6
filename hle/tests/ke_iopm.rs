//! The x86 I/O permission maps through the real stubs: Ke386SetIoAccessMap copies into map
//! 1 of the TSS, Ke386QueryIoAccessMap reads it back (map 0 all ones), and
//! Ke386IoSetAccessProcess points the TSS's IoMapBase at the map when the process is the
//! current one, as the machine's permission check reads it. (x86 only: the routines do not
//! exist on x64.)
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::ke::iopm::{self, NO_MAP_OFFSET};

const IOPM: usize = 0x2000;

#[test]
fn a_map_set_reads_back_and_map_zero_denies_everything() {
    let mut fx = Fx::new(Arch::X86);
    let map = fx.alloc(IOPM as u64);
    let mut bits = vec![0xFFu8; IOPM];
    bits[0x378 / 8] = 0xFA; // 0x378 and 0x37A allowed
    fx.k.mem_mut().write(map, &bits).unwrap();
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386SetIoAccessMap", &[1, map]).unwrap() & 0xFF, 1);
    // The TSS holds it, where the processor reads map 1.
    let tss = fx.k.tss();
    assert_eq!(fx.read(tss + 0x68, IOPM), bits);
    let out = fx.alloc(IOPM as u64);
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386QueryIoAccessMap", &[1, out]).unwrap() & 0xFF, 1);
    assert_eq!(fx.read(out, IOPM), bits);
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386QueryIoAccessMap", &[0, out]).unwrap() & 0xFF, 1);
    assert!(fx.read(out, IOPM).iter().all(|&b| b == 0xFF));
}

#[test]
fn maps_that_do_not_exist_are_refused() {
    let mut fx = Fx::new(Arch::X86);
    let map = fx.alloc(IOPM as u64);
    let tss = fx.k.tss();
    let before = fx.read(tss + 0x68, IOPM);
    // Map 0 cannot be set; there is no map 2.
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386SetIoAccessMap", &[0, map]).unwrap() & 0xFF, 0);
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386SetIoAccessMap", &[2, map]).unwrap() & 0xFF, 0);
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386QueryIoAccessMap", &[2, map]).unwrap() & 0xFF, 0);
    let process = fx.k.ext().system.system_process;
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386IoSetAccessProcess", &[process, 2]).unwrap() & 0xFF, 0);
    assert_eq!(fx.read(tss + 0x68, IOPM), before);
}

#[test]
fn a_process_uses_the_map_it_was_given_and_others_keep_map_zero() {
    let mut fx = Fx::new(Arch::X86);
    let system = fx.k.ext().system.system_process;
    let user = fx.k.ext().system.user_process;
    // The fixture's calls run on the System thread: its process is current.
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386IoSetAccessProcess", &[system, 1]).unwrap() & 0xFF, 1);
    assert_eq!(iopm::map_of(&fx.k, system), 1);
    assert_eq!(fx.k.io_map_base(), 0x68);
    assert_eq!(iopm::map_of(&fx.k, user), 0);
    // Another process's turn: its map (none) is loaded.
    iopm::load_for(&mut fx.k, user).unwrap();
    assert_eq!(fx.k.io_map_base(), NO_MAP_OFFSET);
    // Back to map 0 for the System process, at once since it is current.
    assert_eq!(fx.call(Dll::Ntoskrnl, "Ke386IoSetAccessProcess", &[system, 0]).unwrap() & 0xFF, 1);
    assert_eq!(iopm::map_of(&fx.k, system), 0);
    assert_eq!(fx.k.io_map_base(), NO_MAP_OFFSET);
}

#[test]
fn the_routines_exist_only_on_x86() {
    let k = Fx::new(Arch::X64).k;
    for name in ["Ke386SetIoAccessMap", "Ke386QueryIoAccessMap", "Ke386IoSetAccessProcess"] {
        assert!(k.ext().resolve(Dll::Ntoskrnl, name).is_none(), "{name}");
    }
}
