//! The security part of a scenario: `[security]`, whose token the user program runs with.
//! `account = "administrator"` (the default: a member of Administrators, elevated) or
//! `"user"` (a standard user); `privileges = ["SeDebugPrivilege", ...]` are the privileges
//! the program enabled (as AdjustTokenPrivileges), which its account must hold.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Security {
    pub(crate) account: Option<AccountKind>,
    #[serde(default)]
    pub(crate) privileges: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AccountKind {
    Administrator,
    User,
}

impl Security {
    pub(crate) fn account(&self) -> portcullis_hle::se::Account {
        match self.account {
            Some(AccountKind::User) => portcullis_hle::se::Account::User,
            _ => portcullis_hle::se::Account::Administrator,
        }
    }

    /// Checks the privileges' names against the account (the message names the first
    /// that is wrong).
    pub(crate) fn check(&self) -> Result<(), String> {
        let held = match self.account() {
            portcullis_hle::se::Account::Administrator => portcullis_hle::se::privilege::ADMINISTRATOR,
            portcullis_hle::se::Account::User => portcullis_hle::se::privilege::STANDARD,
        };
        for p in &self.privileges {
            match portcullis_hle::se::privilege::by_name(p) {
                None => return Err(format!("no privilege named `{p}`")),
                Some(l) if !held.contains(&l) => return Err(format!("`{p}` is not held by the account's token")),
                Some(_) => {}
            }
        }
        Ok(())
    }
}
