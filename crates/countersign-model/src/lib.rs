//! Countersign's domain vocabulary, shared by every crate. No IO.
//!
//! The authentication outcome of a message ([`auth::AuthReport`]) speaks the
//! RFCs' own words (`pass`, `fail`, `softfail`, `neutral`, `none`,
//! `temperror`, `permerror`, `policy`), so an analyst can match what they
//! read here against any other mail tool.

pub mod auth;
pub mod bounds;
pub mod psl;
pub mod verdict;
