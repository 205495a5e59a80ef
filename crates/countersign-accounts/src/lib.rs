//! The people who use Countersign and how they prove who they are.
//!
//! - [`Role`]: what an account may do; every API route names the roles it
//!   allows. One account may hold several.
//! - [`password`]: Argon2id hashes (PHC strings), a minimum strength.
//! - [`totp`]: RFC 6238 codes with replay protection (a step, once used,
//!   never passes again), required for approvers, relationship managers and
//!   security administrators.
//! - [`token`]: session and API tokens: random, shown once, stored as
//!   SHA-256 digests so a database reader cannot use them.
//! - [`signin`]: the sign-in decision (lockout after repeated failures,
//!   setup stage until the password is changed and TOTP enrolled).
//!
//! No IO: the store keeps accounts, the HTTP layer calls these rules.

pub mod password;
pub mod signin;
pub mod token;
pub mod totp;

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works the support queue: sees verdicts, performs callbacks and codes,
    /// opens, denies and releases cases.
    Analyst,
    /// Technical lead: gives one of the two signatures of a dual approval.
    Approver,
    /// A vendor's relationship manager: gives the other signature, for the
    /// vendors they manage.
    RelationshipManager,
    /// Edits policy, directory, accounts and webhooks; reviews quarantine
    /// and the audit log.
    SecurityAdmin,
    /// Any employee: verifies callers who claim to be IT, reports offers.
    Employee,
    /// A help-desk tool calling the API with a token.
    Integration,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Analyst,
        Role::Approver,
        Role::RelationshipManager,
        Role::SecurityAdmin,
        Role::Employee,
        Role::Integration,
    ];

    /// The snake_case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Approver => "approver",
            Role::RelationshipManager => "relationship_manager",
            Role::SecurityAdmin => "security_admin",
            Role::Employee => "employee",
            Role::Integration => "integration",
        }
    }

    /// The role named `name` (snake_case; `admin` for security_admin).
    pub fn from_name(name: &str) -> Option<Role> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        if name == "admin" {
            return Some(Role::SecurityAdmin);
        }
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Roles whose holders must confirm sign-in (and approvals) with TOTP.
    pub fn requires_mfa(self) -> bool {
        matches!(
            self,
            Role::Approver | Role::RelationshipManager | Role::SecurityAdmin
        )
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles, stored as their names separated by commas.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RoleSet(u8);

impl RoleSet {
    /// No role.
    pub const EMPTY: RoleSet = RoleSet(0);

    /// The set of `roles`.
    pub fn of(roles: &[Role]) -> Self {
        roles.iter().fold(Self::EMPTY, |set, r| set.with(*r))
    }

    /// This set plus `role`.
    pub fn with(self, role: Role) -> Self {
        RoleSet(self.0 | role.bit())
    }

    /// Whether `role` is in the set.
    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// Whether any of `roles` is in the set.
    pub fn any_of(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.contains(*r))
    }

    /// Whether every role of `other` is in this set.
    pub fn includes(self, other: RoleSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// The roles both sets hold.
    pub fn intersect(self, other: RoleSet) -> RoleSet {
        RoleSet(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// Whether holding these roles requires TOTP.
    pub fn requires_mfa(self) -> bool {
        self.iter().any(Role::requires_mfa)
    }

    /// Comma-separated names, the storage form.
    pub fn to_names(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }

    /// Parses the storage form or a user's list (commas or spaces).
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let mut set = Self::EMPTY;
        for name in text
            .split([',', ' '])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let role = Role::from_name(name).ok_or_else(|| AccountError::UnknownRole {
                name: name.to_owned(),
            })?;
            set = set.with(role);
        }
        Ok(set)
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for RoleSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let roles = Vec::<Role>::deserialize(d)?;
        Ok(RoleSet::of(&roles))
    }
}

/// Why an account operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// A role name that does not exist.
    #[error(
        "unknown role {name:?} (roles: analyst, approver, relationship_manager, security_admin, employee, integration)"
    )]
    UnknownRole {
        /// The name given.
        name: String,
    },
    /// A username that cannot be used.
    #[error("invalid username {name:?}: {reason}")]
    BadUsername {
        /// The name given.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A password too weak to accept.
    #[error("password refused: {0}")]
    WeakPassword(&'static str),
    /// The current password given to change it was wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// A TOTP code that did not verify.
    #[error("{0}")]
    Totp(#[from] totp::TotpError),
    /// A hash that could not be computed or read.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Checks a username: 1–64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn check_username(name: &str) -> Result<String, AccountError> {
    let bad = |reason| AccountError::BadUsername {
        name: name.to_owned(),
        reason,
    };
    let name_lc = name.trim().to_lowercase();
    if name_lc.is_empty() || name_lc.chars().count() > 64 {
        return Err(bad("1 to 64 characters"));
    }
    if !name_lc
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(bad("letters, digits, '.', '_', '-' and '@' only"));
    }
    Ok(name_lc)
}

/// A TOTP enrolment: the shared secret (needed in clear to compute codes),
/// whether the holder proved they hold it, and the last step accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    /// The RFC 6238 shared secret (20 random bytes).
    pub secret: Vec<u8>,
    /// Confirmed by a first valid code.
    pub confirmed: bool,
    /// The last time step accepted; no code of this step or earlier passes again.
    pub last_step: u64,
}

/// An account as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Stable identifier.
    pub id: String,
    /// Sign-in name, lowercase.
    pub username: String,
    /// The name shown to others.
    pub display_name: String,
    /// What the account may do.
    pub roles: RoleSet,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Set for one-time passwords: the first sign-in must change it.
    pub must_change_password: bool,
    /// TOTP, once enrolment has started.
    pub totp: Option<TotpEnrolment>,
    /// The IT staff record this account belongs to (directory `staff_id`).
    pub staff_id: Option<String>,
    /// The employee record this account belongs to (directory employee `id`).
    pub employee_id: Option<String>,
    /// Consecutive failed sign-ins since the last success.
    pub failed_attempts: u32,
    /// Locked until then (failures), or indefinitely by an administrator.
    pub locked_until: Option<OffsetDateTime>,
    /// Disabled accounts never sign in and their tokens stop working.
    pub disabled: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

impl Account {
    /// Whether the account must still finish setting up before it can use
    /// anything but its own password and TOTP enrolment.
    pub fn needs_setup(&self) -> bool {
        self.must_change_password
            || (self.roles.requires_mfa() && !self.totp.as_ref().is_some_and(|t| t.confirmed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sets_round_trip() {
        let set = RoleSet::parse("analyst, admin approver").unwrap();
        assert!(set.contains(Role::SecurityAdmin));
        assert!(set.contains(Role::Analyst));
        assert!(!set.contains(Role::Employee));
        assert_eq!(set.to_names(), "analyst,approver,security_admin");
        assert_eq!(RoleSet::parse(&set.to_names()).unwrap(), set);
        assert!(set.requires_mfa());
        assert!(!RoleSet::of(&[Role::Analyst, Role::Employee]).requires_mfa());
        assert!(matches!(
            RoleSet::parse("analyst,root"),
            Err(AccountError::UnknownRole { .. })
        ));
        let json = serde_json_like(set);
        assert_eq!(json, "analyst,approver,security_admin");
    }

    fn serde_json_like(set: RoleSet) -> String {
        set.iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn usernames_are_checked() {
        assert_eq!(check_username(" Dana.Ops ").unwrap(), "dana.ops");
        assert!(check_username("").is_err());
        assert!(check_username("a b").is_err());
        assert!(check_username("x;drop").is_err());
    }
}
