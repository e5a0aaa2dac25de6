//! Scenario files (TOML): devices, port policies, limits and the steps to run.
