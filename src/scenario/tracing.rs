//! The tracing and debugger parts of a scenario.
//!
//! `[tracing]`: `enable = ["{GUID}", { provider = "{GUID}", level = 4, any = 0xFF, all = 0 }]`,
//! the ETW providers a trace session enables (a bare GUID: every level and keyword). Events
//! of other providers are still recorded, marked as reaching no session.
//!
//! `[debugger]`: `attached = true` attaches a kernel debugger (breakpoints are recorded and
//! continued instead of stopping the system), `answers = ["..."]` are what DbgPrompt reads,
//! in order.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tracing {
    #[serde(default)]
    pub(crate) enable: Vec<Provider>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub(crate) enum Provider {
    Guid(String),
    Table { provider: String, level: Option<u8>, any: Option<u64>, all: Option<u64> },
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Debugger {
    #[serde(default)]
    pub(crate) attached: bool,
    #[serde(default)]
    pub(crate) answers: Vec<String>,
}

impl Tracing {
    /// The providers, parsed (the message names a GUID that does not parse).
    pub(crate) fn providers(&self) -> Result<Vec<([u8; 16], portcullis_hle::etw::Enable)>, String> {
        self.enable
            .iter()
            .map(|p| {
                let (guid, level, any, all) = match p {
                    Provider::Guid(g) => (g, 0, 0, 0),
                    Provider::Table { provider, level, any, all } => {
                        (provider, level.unwrap_or(0), any.unwrap_or(0), all.unwrap_or(0))
                    }
                };
                let g = portcullis_hle::etw::parse_guid(guid).ok_or_else(|| format!("`{guid}` is not a GUID"))?;
                Ok((g, portcullis_hle::etw::Enable { level, any, all }))
            })
            .collect()
    }
}
