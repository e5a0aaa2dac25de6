//! The registry parts of a scenario: `[registry]` (keys and values the registry starts with)
//! and the `set_value`, `delete_value`, `create_key`, `delete_key` steps. Values are written
//! as TOML values: an integer is a REG_DWORD, a string a REG_SZ, a list of strings a
//! REG_MULTI_SZ, and a table names the type: `{ dword = 5 }`, `{ qword = 5 }`, `{ sz = "x" }`,
//! `{ expand_sz = "%SystemRoot%" }`, `{ multi_sz = ["a", "b"] }`, `{ binary = "01 02" }` or
//! `{ type = "REG_BINARY", data = "01 02" }`. In key paths, `{service}` stands for the
//! driver's service name (its file name without `.sys`).

use std::collections::BTreeMap;
use std::fmt;

use portcullis_hle::cm::{self, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::format::Bytes;

/// A registry value: its type and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    pub ty: u32,
    pub data: Vec<u8>,
}

fn multi(list: &[String]) -> Vec<u8> {
    let mut b: Vec<u8> = list.iter().flat_map(|s| cm::utf16z(s)).collect();
    b.extend([0, 0]);
    b
}

impl<'de> Deserialize<'de> for RegValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RegValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a registry value: a number (REG_DWORD), a string (REG_SZ), a list of strings (REG_MULTI_SZ) or a table like { qword = 5 } or { type = \"REG_BINARY\", data = \"01 02\" }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RegValue, E> {
                let v = u32::try_from(v)
                    .map_err(|_| E::custom(format!("{v} does not fit a REG_DWORD (use {{ qword = .. }})")))?;
                Ok(RegValue { ty: REG_DWORD, data: v.to_le_bytes().to_vec() })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RegValue, E> {
                Ok(RegValue { ty: REG_SZ, data: cm::utf16z(v) })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RegValue, A::Error> {
                let mut list = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    list.push(s);
                }
                Ok(RegValue { ty: REG_MULTI_SZ, data: multi(&list) })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RegValue, A::Error> {
                let mut ty: Option<u32> = None;
                let mut data: Option<Vec<u8>> = None;
                let mut out: Option<RegValue> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value = match key.as_str() {
                        "dword" => {
                            let v: u32 = map.next_value()?;
                            RegValue { ty: REG_DWORD, data: v.to_le_bytes().to_vec() }
                        }
                        "qword" => {
                            let v: u64 = map.next_value()?;
                            RegValue { ty: REG_QWORD, data: v.to_le_bytes().to_vec() }
                        }
                        "sz" => RegValue { ty: REG_SZ, data: cm::utf16z(&map.next_value::<String>()?) },
                        "expand_sz" => RegValue { ty: REG_EXPAND_SZ, data: cm::utf16z(&map.next_value::<String>()?) },
                        "multi_sz" => RegValue { ty: REG_MULTI_SZ, data: multi(&map.next_value::<Vec<String>>()?) },
                        "binary" => RegValue { ty: REG_BINARY, data: map.next_value::<Bytes>()?.0 },
                        "type" => {
                            let t: toml::Value = map.next_value()?;
                            ty = Some(match &t {
                                toml::Value::Integer(n) => u32::try_from(*n).map_err(de::Error::custom)?,
                                toml::Value::String(s) => cm::type_by_name(s)
                                    .ok_or_else(|| de::Error::custom(format!("`{s}` is not a registry type")))?,
                                _ => return Err(de::Error::custom("a type is a name like \"REG_BINARY\" or a number")),
                            });
                            continue;
                        }
                        "data" => {
                            data = Some(map.next_value::<Bytes>()?.0);
                            continue;
                        }
                        other => {
                            return Err(de::Error::custom(format!(
                                "`{other}`: expected dword, qword, sz, expand_sz, multi_sz, binary, or type and data"
                            )))
                        }
                    };
                    if out.replace(value).is_some() {
                        return Err(de::Error::custom("a value has one type"));
                    }
                }
                match (out, ty, data) {
                    (Some(v), None, None) => Ok(v),
                    (None, Some(ty), data) => Ok(RegValue { ty, data: data.unwrap_or_default() }),
                    _ => Err(de::Error::custom(
                        "expected one of dword, qword, sz, expand_sz, multi_sz, binary, or type and data",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `[registry]`: key path -> value name -> value.
pub(crate) type Seeds = BTreeMap<String, BTreeMap<String, RegValue>>;

/// A `set_value` step: `{ key = '...', name = "Level", value = 5 }`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetValue {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) name: String,
    pub(crate) value: RegValue,
}

/// A `delete_value` step: `{ key = '...', name = "Level" }`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteValue {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) name: String,
}

/// What a registry step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegistryStep {
    SetValue { key: String, name: String, value: RegValue },
    DeleteValue { key: String, name: String },
    CreateKey(String),
    DeleteKey(String),
}

impl RegistryStep {
    /// Runs the step as the user program; its status.
    pub(crate) fn run(
        &self,
        sb: &mut crate::Sandbox,
    ) -> Result<portcullis_hle::types::NtStatus, crate::sandbox::RunError> {
        match self {
            RegistryStep::SetValue { key, name, value } => sb.registry_set_value(key, name, value.ty, &value.data),
            RegistryStep::DeleteValue { key, name } => sb.registry_delete_value(key, name),
            RegistryStep::CreateKey(key) => sb.registry_create_key(key),
            RegistryStep::DeleteKey(key) => sb.registry_delete_key(key),
        }
    }
}
