//! The processor's I/O permission check, as a pure function.
//!
//! Unicorn never performs this check (its `gen_check_io` returns early), so for code that
//! the machine runs as user mode this is the only one. The rules are those of the Intel SDM,
//! vol. 1 §19.5 "Protected-mode I/O":
//! - if CPL <= IOPL the access is allowed;
//! - otherwise every bit of the I/O permission bitmap covering the ports of the access
//!   (port .. port + width - 1) must be clear;
//! - a bit lying beyond the end of the bitmap (the TSS limit) counts as set: the access
//!   is denied. (The processor reads two bytes at `base + port / 8`; both must be inside
//!   the limit. That is why the byte after a full 8 KiB map must be 0xFF.)

/// Size of a full map: one bit per port.
pub const IOPM_BYTES: usize = 0x2000;

/// Whether an access of `width` bytes at `port` is allowed.
///
/// `bitmap` holds the bytes of the map that lie inside the TSS limit; it may be shorter than
/// [`IOPM_BYTES`] (or one byte longer, with the conventional trailing 0xFF).
pub fn io_allowed(cpl: u8, iopl: u8, bitmap: &[u8], port: u16, width: u16) -> bool {
    if cpl <= iopl {
        return true;
    }
    let first = port as usize;
    // A 32-bit access at 0xFFFF reaches bits 0x10000..0x10002, past the 8 KiB map.
    (first..first + width as usize).all(|bit| match bitmap.get(bit / 8) {
        Some(byte) => byte & (1 << (bit % 8)) == 0,
        None => false,
    })
}

/// A full I/O permission map with every port denied, plus the trailing all-ones byte.
pub fn deny_all() -> Box<[u8]> {
    vec![0xFFu8; IOPM_BYTES + 1].into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_allowing(ports: &[u16]) -> Box<[u8]> {
        let mut m = deny_all();
        for &p in ports {
            m[p as usize / 8] &= !(1 << (p % 8));
        }
        m
    }

    #[test]
    fn cpl_at_or_below_iopl_is_always_allowed() {
        let m = deny_all();
        assert!(io_allowed(0, 0, &m, 0x80, 1));
        assert!(io_allowed(3, 3, &m, 0x80, 4));
        assert!(io_allowed(1, 2, &[], 0xFFFF, 4));
    }

    #[test]
    fn cpl3_needs_a_clear_bit() {
        let m = map_allowing(&[0x378]);
        assert!(io_allowed(3, 0, &m, 0x378, 1));
        assert!(!io_allowed(3, 0, &m, 0x379, 1));
        assert!(!io_allowed(3, 0, &m, 0x377, 1));
    }

    #[test]
    fn every_bit_of_a_wide_access_must_be_clear() {
        // A word at 0x60 straddles 0x60 (allowed) and 0x61 (denied).
        let m = map_allowing(&[0x60]);
        assert!(io_allowed(3, 0, &m, 0x60, 1));
        assert!(!io_allowed(3, 0, &m, 0x60, 2));
        let m = map_allowing(&[0x60, 0x61]);
        assert!(io_allowed(3, 0, &m, 0x60, 2));
        assert!(!io_allowed(3, 0, &m, 0x60, 4));
        let m = map_allowing(&[0x60, 0x61, 0x62, 0x63]);
        assert!(io_allowed(3, 0, &m, 0x60, 4));
    }

    #[test]
    fn accesses_across_a_byte_boundary_check_both_bytes() {
        // Ports 0x7 and 0x8 live in different bytes of the map.
        let m = map_allowing(&[0x7]);
        assert!(!io_allowed(3, 0, &m, 0x7, 2));
        let m = map_allowing(&[0x7, 0x8]);
        assert!(io_allowed(3, 0, &m, 0x7, 2));
    }

    #[test]
    fn bits_beyond_the_map_deny() {
        // A short map covering ports 0..0x3FF only.
        let mut short = vec![0u8; 0x80];
        assert!(io_allowed(3, 0, &short, 0x3FF, 1));
        assert!(!io_allowed(3, 0, &short, 0x400, 1));
        // A word at 0x3FF reaches 0x400, beyond the limit.
        assert!(!io_allowed(3, 0, &short, 0x3FF, 2));
        short.clear();
        assert!(!io_allowed(3, 0, &short, 0, 1));
    }

    #[test]
    fn the_top_port_reaches_past_a_full_map() {
        let mut m = vec![0u8; IOPM_BYTES];
        assert!(io_allowed(3, 0, &m, 0xFFFF, 1));
        // Bit 0x10000 is not inside an 8 KiB map.
        assert!(!io_allowed(3, 0, &m, 0xFFFF, 2));
        // With the trailing byte present and clear, it is.
        m.push(0);
        assert!(io_allowed(3, 0, &m, 0xFFFF, 2));
        // The conventional trailing 0xFF denies it.
        *m.last_mut().unwrap() = 0xFF;
        assert!(!io_allowed(3, 0, &m, 0xFFFF, 4));
    }

    #[test]
    fn iopl_between_zero_and_three() {
        let m = deny_all();
        assert!(io_allowed(1, 1, &m, 0x80, 1));
        assert!(!io_allowed(2, 1, &m, 0x80, 1));
    }
}
