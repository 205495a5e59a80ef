//! The employee on the other end of the line: the attack in our brief
//! often starts with a call to an employee from someone who says they are
//! from IT. This crate holds the rules, no IO:
//!
//! - [`reference`]: the IT identification reference: look up IT staff by
//!   staff ID or name; only active staff are shown.
//! - [`photo`]: staff photos as uploaded by administrators, type sniffed
//!   from the bytes and size bounded.
//! - [`verify`]: caller verification in both directions (an employee
//!   verifies a caller who claims to be IT; the help desk verifies a caller
//!   who claims to be an employee): a code sent only to the directory
//!   channel of the claimed person, read back, with attempts and expiry.
//! - [`indicators`]: indicators extracted from reports and messages and
//!   normalised (E.164 phones, addresses, registrable domains, URLs,
//!   claimed names and staff IDs), and the kinds of offer and request.
//! - [`report`]: the one-step report of a suspicious offer, checked and
//!   bounded, and its triage outcome.
//! - [`forward`]: a suspicious message forwarded to the report address:
//!   the forwarder, their note, and the attached message.
//! - [`campaign`]: sightings (reports, gateway detections, held cases) that
//!   share an indicator within a window form a campaign; new sightings join
//!   it, campaigns they bridge merge.
//!
//! The service passes the time, the directory snapshot and the stored
//! matches; the store persists what these functions decide.

pub mod campaign;
pub mod forward;
pub mod indicators;
pub mod photo;
pub mod reference;
pub mod report;
pub mod verify;
