//! Corpus regression runs: every driver with its scenarios, compared with golden traces.
