//! Lookalike and cousin domains of protected identities.
//!
//! An attacker who registers `microsoft-helpdesk.com`, `rnicrosoft.com`,
//! `аcme.com` (Cyrillic `а`) or `acme.com.attacker.example` passes SPF, DKIM
//! and DMARC for his own domain; what gives him away is that the name
//! imitates one the organisation trusts. This crate answers, for one
//! candidate name, *which* protected identity it imitates, by *which*
//! technique, on *what* evidence.
//!
//! Build a [`ProtectedSet`] once from the organisation's domains, the
//! enrolled vendors' domains and brand names, then [`ProtectedSet::check`]
//! candidates against it:
//!
//! ```
//! use countersign_lookalike::{ProtectedSet, Technique};
//!
//! let mut builder = ProtectedSet::builder();
//! builder.add_domain("microsoft.com", "Microsoft (vendor)")?;
//! builder.add_domain("acme.test", "Acme (organisation)")?;
//! let set = builder.build();
//!
//! let finding = set.check("rnicrosoft.com").expect("a homoglyph");
//! assert_eq!(finding.technique, Technique::Homoglyph);
//! assert_eq!(finding.target, "microsoft.com");
//!
//! assert_eq!(set.check("microsoft-helpdesk.net").unwrap().technique, Technique::Combosquat);
//! assert_eq!(set.check("acrne.test").unwrap().technique, Technique::Homoglyph);
//! assert!(set.check("support.microsoft.com").is_none()); // its own subdomain
//! assert!(set.check("example.org").is_none());
//! # Ok::<(), countersign_lookalike::LookalikeError>(())
//! ```
//!
//! Everything is computed on the registrable domain found with the Public
//! Suffix List ([`countersign_model::psl`]); the index makes a check cost a
//! few microseconds whatever the size of the set (see
//! `examples/bench_lookalike.rs`). The crate does no IO: the Unicode
//! confusables data, the suffix list and the crate's own knowledge
//! (`data/brands.txt`: who owns which domains; `data/platforms.txt`:
//! hosting platforms where anyone names a site) are embedded at compile
//! time.
//!
//! Who owns a name matters as much as how it looks: a well-known brand's
//! own domains imitate nobody ([`brand_owning`]), nor do names only public
//! bodies can register (`.gov`, `ac.uk`), and a short or ordinary-word name
//! is somebody else's under most other suffixes.

mod brands;
mod edit;
mod error;
mod finding;
mod keywords;
mod set;
mod unicode;

pub use brands::{
    KnownBrand, brand_owning, is_hosting_platform, is_public_body_domain, known_brands,
};
pub use error::LookalikeError;
pub use finding::{Assessment, LookalikeFinding, Technique};
pub use keywords::{KEYWORDS, is_english_word};
pub use set::{ProtectedSet, ProtectedSetBuilder};
pub use unicode::{fold, skeleton};
