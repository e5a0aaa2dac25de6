//! The POST diagnostic port at 0x80: firmware and drivers write progress codes there (and
//! use the write as a 1 us delay). Every value is kept with its time as a POST code; a read
//! returns the last value written (what POST cards latch and most chipsets echo).

use portcullis_emu::ports::BusContext;

use crate::chip::{Chip, Log};

/// One POST code: the value written and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PostCode {
    pub time_ns: u64,
    pub value: u8,
}

#[derive(Debug)]
pub struct Post {
    codes: Log<PostCode>,
    last: u8,
}

impl Default for Post {
    fn default() -> Self {
        Post { codes: Log::new(1 << 16), last: 0xFF }
    }
}

impl Post {
    /// The codes written, in order (the first 65,536).
    pub fn codes(&self) -> &[PostCode] {
        self.codes.items()
    }

    /// Codes past the first 65,536 (counted, not kept).
    pub fn dropped(&self) -> u64 {
        self.codes.dropped
    }
}

impl Chip for Post {
    fn name(&self) -> &'static str {
        "post"
    }

    fn read(&mut self, _: u8, _: u16, _: &mut BusContext) -> u8 {
        self.last
    }

    fn write(&mut self, _: u8, _: u16, value: u8, ctx: &mut BusContext) {
        self.last = value;
        self.codes.push(PostCode { time_ns: ctx.now_ns(), value });
    }
}
