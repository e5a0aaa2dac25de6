//! Security: SIDs, ACLs and security descriptors (sid.rs, acl.rs, sd.rs), tokens and the
//! subject of an operation (token.rs), and the exported `SeExports`.
//!
//! Two tokens exist: the System process's (LocalSystem, every privilege enabled) and the
//! user program's, an administrator's elevated token by default — the scenario's
//! `[security]` table makes it a standard user's and names the privileges the program
//! enabled (as AdjustTokenPrivileges would). A driver checking a privilege against the
//! user mode caller of a request sees the user program's token.

pub mod acl;
pub mod audit;
pub mod impersonation;
pub mod sd;
pub mod sddl;
pub mod sid;
pub mod token;

use std::collections::BTreeMap;

use crate::exports::Dll;
use crate::kernel::{KResult, Kx};
use sid::{well_known as w, Sid};

/// Status codes of the security routines.
pub mod st {
    use crate::types::NtStatus;
    pub const UNKNOWN_REVISION: NtStatus = NtStatus(0xC000_0058);
    pub const REVISION_MISMATCH: NtStatus = NtStatus(0xC000_0059);
    pub const INVALID_OWNER: NtStatus = NtStatus(0xC000_005A);
    pub const INVALID_PRIMARY_GROUP: NtStatus = NtStatus(0xC000_005B);
    pub const NO_IMPERSONATION_TOKEN: NtStatus = NtStatus(0xC000_005C);
    pub const PRIVILEGE_NOT_HELD: NtStatus = NtStatus(0xC000_0061);
    pub const INVALID_ACL: NtStatus = NtStatus(0xC000_0077);
    pub const INVALID_SID: NtStatus = NtStatus(0xC000_0078);
    pub const INVALID_SECURITY_DESCR: NtStatus = NtStatus(0xC000_0079);
    pub const NO_TOKEN: NtStatus = NtStatus(0xC000_007C);
    pub const ALLOTTED_SPACE_EXCEEDED: NtStatus = NtStatus(0xC000_0099);
    pub const BAD_DESCRIPTOR_FORMAT: NtStatus = NtStatus(0xC000_00E7);
}

/// Privilege LUIDs (SE_*_PRIVILEGE).
pub mod privilege {
    pub const CREATE_TOKEN: u32 = 2;
    pub const SECURITY: u32 = 8;
    pub const TAKE_OWNERSHIP: u32 = 9;
    pub const LOAD_DRIVER: u32 = 10;
    pub const DEBUG: u32 = 20;
    pub const CHANGE_NOTIFY: u32 = 23;
    pub const IMPERSONATE: u32 = 29;
    pub const CREATE_GLOBAL: u32 = 30;

    /// Every privilege Windows 7 knows, by name.
    pub const NAMES: &[(&str, u32)] = &[
        ("SeCreateTokenPrivilege", 2),
        ("SeAssignPrimaryTokenPrivilege", 3),
        ("SeLockMemoryPrivilege", 4),
        ("SeIncreaseQuotaPrivilege", 5),
        ("SeMachineAccountPrivilege", 6),
        ("SeTcbPrivilege", 7),
        ("SeSecurityPrivilege", 8),
        ("SeTakeOwnershipPrivilege", 9),
        ("SeLoadDriverPrivilege", 10),
        ("SeSystemProfilePrivilege", 11),
        ("SeSystemtimePrivilege", 12),
        ("SeProfileSingleProcessPrivilege", 13),
        ("SeIncreaseBasePriorityPrivilege", 14),
        ("SeCreatePagefilePrivilege", 15),
        ("SeCreatePermanentPrivilege", 16),
        ("SeBackupPrivilege", 17),
        ("SeRestorePrivilege", 18),
        ("SeShutdownPrivilege", 19),
        ("SeDebugPrivilege", 20),
        ("SeAuditPrivilege", 21),
        ("SeSystemEnvironmentPrivilege", 22),
        ("SeChangeNotifyPrivilege", 23),
        ("SeRemoteShutdownPrivilege", 24),
        ("SeUndockPrivilege", 25),
        ("SeSyncAgentPrivilege", 26),
        ("SeEnableDelegationPrivilege", 27),
        ("SeManageVolumePrivilege", 28),
        ("SeImpersonatePrivilege", 29),
        ("SeCreateGlobalPrivilege", 30),
        ("SeTrustedCredManAccessPrivilege", 31),
        ("SeRelabelPrivilege", 32),
        ("SeIncreaseWorkingSetPrivilege", 33),
        ("SeTimeZonePrivilege", 34),
        ("SeCreateSymbolicLinkPrivilege", 35),
    ];

    pub fn by_name(name: &str) -> Option<u32> {
        NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }

    /// An elevated administrator's token holds these (Windows 7).
    pub const ADMINISTRATOR: &[u32] =
        &[5, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24, 25, 28, 29, 30, 33, 34, 35];
    /// A standard user's.
    pub const STANDARD: &[u32] = &[19, 23, 25, 33, 34];
    /// Enabled without the program asking.
    pub const ENABLED_BY_DEFAULT: &[u32] = &[CHANGE_NOTIFY, IMPERSONATE, CREATE_GLOBAL];
}

pub const SE_GROUP_MANDATORY: u32 = 0x1;
pub const SE_GROUP_ENABLED_BY_DEFAULT: u32 = 0x2;
pub const SE_GROUP_ENABLED: u32 = 0x4;
pub const SE_GROUP_OWNER: u32 = 0x8;
pub const SE_GROUP_USE_FOR_DENY_ONLY: u32 = 0x10;
pub const SE_GROUP_INTEGRITY: u32 = 0x20;
pub const SE_GROUP_INTEGRITY_ENABLED: u32 = 0x40;
pub const SE_PRIVILEGE_ENABLED_BY_DEFAULT: u32 = 0x1;
pub const SE_PRIVILEGE_ENABLED: u32 = 0x2;

/// Whose token the user program runs with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// A member of Administrators, elevated (the default).
    #[default]
    Administrator,
    /// A standard user (Users only, medium integrity).
    User,
}

/// A token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token object's address.
    pub address: u64,
    pub user: Sid,
    pub groups: Vec<(Sid, u32)>,
    /// (LUID, attributes).
    pub privileges: Vec<(u32, u32)>,
    pub owner: Sid,
    pub primary_group: Sid,
    pub authentication_id: u64,
    pub token_id: u64,
    pub session: u32,
    pub elevated: bool,
    /// TokenElevationType: 1 default, 2 full, 3 limited.
    pub elevation_type: u32,
    pub integrity: Sid,
    /// An impersonation token's level (SECURITY_IMPERSONATION_LEVEL); None for a primary token.
    pub impersonation_level: Option<u32>,
}

impl Token {
    /// Whether `sid` is the user or an enabled group (or, for deny ACEs, a deny-only group).
    pub fn has_sid(&self, sid: &Sid, deny: bool) -> bool {
        if &self.user == sid {
            return true;
        }
        self.groups.iter().any(|(g, a)| {
            g == sid
                && (a & SE_GROUP_ENABLED != 0 || (deny && a & SE_GROUP_USE_FOR_DENY_ONLY != 0))
                && a & SE_GROUP_INTEGRITY == 0
        })
    }

    pub fn privilege_enabled(&self, luid: u32) -> bool {
        self.privileges.iter().any(|(l, a)| *l == luid && a & SE_PRIVILEGE_ENABLED != 0)
    }

    pub fn is_admin(&self) -> bool {
        self.has_sid(&w::admins(), false)
    }
}

/// The security state: tokens, the descriptors set on objects, the user program's account.
#[derive(Debug, Default)]
pub struct Security {
    pub(crate) tokens: BTreeMap<u64, Token>,
    /// The token of each process (by EPROCESS).
    pub(crate) process_tokens: BTreeMap<u64, u64>,
    /// Descriptors set on objects (ZwSetSecurityObject); others have the default.
    pub(crate) objects: BTreeMap<u64, sd::Sd>,
    pub(crate) account: Account,
    /// Privileges the user program enabled beyond the defaults.
    pub(crate) enabled: Vec<u32>,
    pub(crate) next_luid: u64,
    /// What each thread impersonates, by ETHREAD.
    pub(crate) impersonating: BTreeMap<u64, impersonation::Impersonation>,
}

/// Sets the user program's account and the privileges it enabled; a privilege its account
/// does not hold is an error (the name).
pub fn configure(k: &mut Kx, account: Account, enabled: &[String]) -> Result<(), String> {
    let held = match account {
        Account::Administrator => privilege::ADMINISTRATOR,
        Account::User => privilege::STANDARD,
    };
    let mut luids = Vec::new();
    for name in enabled {
        let Some(l) = privilege::by_name(name) else { return Err(format!("no privilege named {name}")) };
        if !held.contains(&l) {
            return Err(format!(
                "{name} is not held by a {} token",
                if account == Account::User { "standard user's" } else { "administrator's" }
            ));
        }
        luids.push(l);
    }
    let s = &mut k.ext_mut().security;
    s.account = account;
    s.enabled = luids;
    // Tokens made before take the new settings.
    let user_process = k.ext().system.user_process;
    if let Some(addr) = k.ext().security.process_tokens.get(&user_process).copied() {
        let t = user_token(k, addr);
        k.ext_mut().security.tokens.insert(addr, t);
    }
    Ok(())
}

fn new_luid(k: &mut Kx) -> u64 {
    let s = &mut k.ext_mut().security;
    s.next_luid += 1;
    0x1_0000 + s.next_luid
}

fn system_token(address: u64) -> Token {
    let groups = vec![
        (w::admins(), SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED | SE_GROUP_OWNER),
        (w::world(), SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED),
        (w::authenticated_users(), SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED),
        (w::mandatory(0x4000), SE_GROUP_INTEGRITY | SE_GROUP_INTEGRITY_ENABLED),
    ];
    let privileges =
        privilege::NAMES.iter().map(|(_, l)| (*l, SE_PRIVILEGE_ENABLED | SE_PRIVILEGE_ENABLED_BY_DEFAULT)).collect();
    Token {
        address,
        user: w::local_system(),
        groups,
        privileges,
        owner: w::admins(),
        primary_group: w::local_system(),
        authentication_id: 0x3E7,
        token_id: 0x3EA,
        session: 0,
        elevated: true,
        elevation_type: 1,
        integrity: w::mandatory(0x4000),
        impersonation_level: None,
    }
}

fn user_token(k: &Kx, address: u64) -> Token {
    let s = &k.ext().security;
    let admin = s.account == Account::Administrator;
    let base = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;
    let mut groups = vec![(w::world(), base), (w::local(), base)];
    if admin {
        groups.push((w::admins(), base | SE_GROUP_OWNER));
    }
    groups.extend([
        (w::users(), base),
        (w::interactive(), base),
        (w::authenticated_users(), base),
        (w::mandatory(if admin { 0x3000 } else { 0x2000 }), SE_GROUP_INTEGRITY | SE_GROUP_INTEGRITY_ENABLED),
    ]);
    let held = if admin { privilege::ADMINISTRATOR } else { privilege::STANDARD };
    let privileges = held
        .iter()
        .map(|l| {
            let default = privilege::ENABLED_BY_DEFAULT.contains(l) && held.contains(l);
            let enabled = default || s.enabled.contains(l);
            (
                *l,
                if default { SE_PRIVILEGE_ENABLED_BY_DEFAULT } else { 0 }
                    | if enabled { SE_PRIVILEGE_ENABLED } else { 0 },
            )
        })
        .collect();
    Token {
        address,
        user: w::user(),
        groups,
        privileges,
        owner: if admin { w::admins() } else { w::user() },
        primary_group: Sid::new(5, &[21, 1_004_336_348, 1_177_238_915, 682_003_330, 513]),
        authentication_id: 0x0001_C3A2,
        token_id: 0x0001_C3B0,
        session: 1,
        elevated: admin,
        elevation_type: if admin { 2 } else { 1 },
        integrity: w::mandatory(if admin { 0x3000 } else { 0x2000 }),
        impersonation_level: None,
    }
}

/// The token of `process` (made the first time it is asked for).
pub fn process_token(k: &mut Kx, process: u64) -> KResult<u64> {
    if let Some(t) = k.ext().security.process_tokens.get(&process) {
        return Ok(*t);
    }
    let address = crate::ob::body::alloc(k, 0x100)?;
    let t = if process == k.ext().system.system_process { system_token(address) } else { user_token(k, address) };
    let s = &mut k.ext_mut().security;
    s.tokens.insert(address, t);
    s.process_tokens.insert(process, address);
    k.ext_mut().objects.register(address, crate::ob::ObjectKind::Token, None, crate::ob::Owner::Kernel);
    Ok(address)
}

/// The token at `address`, if it is one.
pub fn token(k: &Kx, address: u64) -> Option<Token> {
    k.ext().security.tokens.get(&address).cloned()
}

/// SeExports: the privilege LUIDs and well-known SIDs, laid out as SE_EXPORTS of the emulated
/// Windows version: Windows 7 ends at SeOwnerRightsSid; Windows 8 added the app-package and
/// user-mode-driver SIDs, 8.1 the WinTcb process-trust SID, Windows 10 the TrustedInstaller SID
/// and (1709) the session-impersonation privilege. The app-silo SIDs Windows 11 24H2 appended
/// are not laid out: a driver reading them reads past the structure, as on a system without
/// them.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let ps = k.arch().ptr_size();
    enum F {
        Luid(u32),
        S(Sid),
    }
    use F::*;
    let version = k.ext().options.version;
    let mut fields = vec![
        Luid(2),
        Luid(3),
        Luid(4),
        Luid(5),
        Luid(6),
        Luid(7),
        Luid(8),
        Luid(9),
        Luid(10),
        Luid(15),
        Luid(14),
        Luid(11),
        Luid(12),
        Luid(13),
        Luid(16),
        Luid(17),
        Luid(18),
        Luid(19),
        Luid(20),
        Luid(21),
        Luid(22),
        Luid(23),
        Luid(24),
        S(w::null()),
        S(w::world()),
        S(w::local()),
        S(w::creator_owner()),
        S(w::creator_group()),
        S(w::nt_authority()),
        S(w::nt(1)),
        S(w::nt(2)),
        S(w::nt(3)),
        S(w::interactive()),
        S(w::local_system()),
        S(w::admins()),
        S(w::users()),
        S(w::alias(546)),
        S(w::alias(547)),
        S(w::alias(548)),
        S(w::alias(549)),
        S(w::alias(550)),
        S(w::alias(551)),
        S(w::authenticated_users()),
        S(w::restricted()),
        S(w::nt(7)),
        Luid(25),
        Luid(26),
        Luid(27),
        S(w::nt(19)),
        S(w::nt(20)),
        Luid(28),
        Luid(29),
        Luid(30),
        Luid(31),
        Luid(32),
        Luid(33),
        Luid(34),
        Luid(35),
        S(w::nt(17)),
        S(w::mandatory(0)),
        S(w::mandatory(0x1000)),
        S(w::mandatory(0x2000)),
        S(w::mandatory(0x3000)),
        S(w::mandatory(0x4000)),
        S(Sid::new(3, &[4])),
    ];
    let (major, minor, build) = (version.major, version.minor, version.build);
    if (major, minor) >= (6, 2) {
        // SeAllAppPackagesSid (S-1-15-2-1), SeUserModeDriversSid (S-1-5-84-0-0-0-0-0).
        fields.push(S(Sid::new(15, &[2, 1])));
        fields.push(S(Sid::new(5, &[84, 0, 0, 0, 0, 0])));
    }
    if (major, minor) >= (6, 3) {
        // SeProcTrustWinTcbSid: process trust authority, protected (512), WinTcb signer (8192).
        fields.push(S(Sid::new(19, &[512, 8192])));
    }
    if major >= 10 {
        // SeTrustedInstallerSid: the NT SERVICE\TrustedInstaller service SID.
        fields.push(S(Sid::new(5, &[80, 956_008_885, 3_418_522_649, 1_831_038_044, 1_853_292_631, 2_271_478_464])));
        if build >= 16299 {
            // SeDelegateSessionUserImpersonatePrivilege.
            fields.push(Luid(36));
        }
    }
    let mut layout = Vec::new();
    let mut size = 0u64;
    for f in &fields {
        match f {
            Luid(_) => {
                size = size.div_ceil(4) * 4;
                layout.push(size);
                size += 8;
            }
            S(_) => {
                size = size.div_ceil(ps) * ps;
                layout.push(size);
                size += ps;
            }
        }
    }
    let size = size.div_ceil(ps) * ps;
    let exports = crate::loader::system::data_block(k, Dll::Ntoskrnl, size)?;
    let var = crate::loader::system::variable(k, Dll::Ntoskrnl, "SeExports", ps)?;
    k.mem_mut().write_ptr(var, exports)?;
    for (f, off) in fields.iter().zip(layout) {
        match f {
            Luid(l) => k.mem_mut().write_u32(exports + off, *l)?,
            S(s) => {
                let b = s.bytes();
                let at = crate::loader::system::data_block(k, Dll::Ntoskrnl, b.len() as u64)?;
                k.mem_mut().write(at, &b)?;
                k.mem_mut().write_ptr(exports + off, at)?;
            }
        }
    }
    Ok(())
}
