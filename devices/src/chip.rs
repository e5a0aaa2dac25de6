//! A chip on the port bus, and the handle the host keeps to it.
//!
//! Legacy chips answer on byte ports, sometimes in more than one window (the PIT at
//! 0x40-0x43 and 0x61, the keyboard controller at 0x60 and 0x64, a parallel port's SPP
//! registers and its ECP registers 0x400 above). A chip is shared between its windows on
//! the bus and the host's [`Handle`], through which the report, the waveform writer and the
//! scenario read its state after (or during) a run.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use portcullis_emu::ports::{BusContext, PortBus, PortBusError, PortDevice, RangeId, Width, Widths};

/// A chip answering byte accesses at offsets of its windows.
pub trait Chip: 'static {
    /// A short name for traces and reports ("pit", "uart", ...).
    fn name(&self) -> &'static str;
    /// A byte read at `offset` of window `window` (the index in the chip's window list).
    fn read(&mut self, window: u8, offset: u16, ctx: &mut BusContext) -> u8;
    /// A byte write at `offset` of window `window`.
    fn write(&mut self, window: u8, offset: u16, value: u8, ctx: &mut BusContext);
    /// A callback the chip scheduled is due (it may come early or twice: chips check the
    /// time themselves).
    fn timer(&mut self, _ctx: &mut BusContext) {}
}

/// The host's handle to a chip on the bus.
pub struct Handle<T>(pub(crate) Rc<RefCell<T>>);

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle(self.0.clone())
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.try_borrow() {
            Ok(v) => v.fmt(f),
            Err(_) => f.write_str("<in use>"),
        }
    }
}

impl<T> Handle<T> {
    pub fn new(chip: T) -> Handle<T> {
        Handle(Rc::new(RefCell::new(chip)))
    }

    /// The chip's state. Never called while the guest runs an access to it.
    pub fn get(&self) -> Ref<'_, T> {
        self.0.borrow()
    }

    /// The chip's state, to change it (a scenario feeding input between steps).
    pub fn get_mut(&self) -> RefMut<'_, T> {
        self.0.borrow_mut()
    }
}

/// One window of a chip, as the bus holds it.
struct Window<T> {
    chip: Rc<RefCell<T>>,
    window: u8,
    name: &'static str,
}

impl<T: Chip> PortDevice for Window<T> {
    fn name(&self) -> &str {
        self.name
    }

    fn widths(&self) -> Widths {
        Widths::BYTE
    }

    fn read(&mut self, offset: u16, _: Width, ctx: &mut BusContext) -> u32 {
        match self.chip.try_borrow_mut() {
            Ok(mut c) => c.read(self.window, offset, ctx) as u32,
            Err(_) => 0xFF,
        }
    }

    fn write(&mut self, offset: u16, _: Width, value: u32, ctx: &mut BusContext) {
        if let Ok(mut c) = self.chip.try_borrow_mut() {
            c.write(self.window, offset, value as u8, ctx);
        }
    }

    fn timer(&mut self, ctx: &mut BusContext) {
        if let Ok(mut c) = self.chip.try_borrow_mut() {
            c.timer(ctx);
        }
    }
}

/// Puts a chip on the bus at `windows` (first, last port of each). `chipset`: part of the
/// default machine, giving way to ranges added later. Either every window is attached or
/// none is.
pub fn attach<T: Chip>(
    bus: &mut PortBus,
    chip: T,
    windows: &[(u16, u16)],
    chipset: bool,
) -> Result<Handle<T>, PortBusError> {
    let handle = Handle::new(chip);
    attach_handle(bus, &handle, windows, chipset)?;
    Ok(handle)
}

/// Puts an existing handle's chip on the bus (see [`attach`]).
pub fn attach_handle<T: Chip>(
    bus: &mut PortBus,
    handle: &Handle<T>,
    windows: &[(u16, u16)],
    chipset: bool,
) -> Result<Vec<RangeId>, PortBusError> {
    let name = handle.get().name();
    let mut ids = Vec::new();
    for (i, &(first, last)) in windows.iter().enumerate() {
        let dev = Box::new(Window { chip: handle.0.clone(), window: i as u8, name });
        let r = if chipset { bus.add_chipset_device(first, last, dev) } else { bus.add_device(first, last, dev) };
        match r {
            Ok(id) => ids.push(id),
            Err(e) => {
                for id in ids {
                    let _ = bus.remove(id);
                }
                return Err(e);
            }
        }
    }
    Ok(ids)
}

/// A bounded log: keeps the first `cap` entries and counts the rest. Chips record events
/// (tones, POST codes, bytes) in these so that a hostile guest cannot grow host memory.
#[derive(Clone, Debug)]
pub struct Log<T> {
    items: Vec<T>,
    cap: usize,
    pub dropped: u64,
}

impl<T> Log<T> {
    pub fn new(cap: usize) -> Log<T> {
        Log { items: Vec::new(), cap, dropped: 0 }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() < self.cap {
            self.items.push(item);
        } else {
            self.dropped += 1;
        }
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.items.last_mut()
    }
}
