//! Port device models a scenario can attach to the bus.
