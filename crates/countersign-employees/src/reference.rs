//! The IT identification reference: who really works in IT, as any
//! signed-in employee may look them up. Only active staff are shown; a
//! suspended or departed staff ID answers "not a current member of IT"
//! without any of the person's details, and the caller records that the ID
//! was used.

use countersign_directory::{DirectorySnapshot, Staff, StaffStatus};
use serde::Serialize;

/// Longest staff ID or name query accepted.
pub const MAX_QUERY: usize = 100;
/// At most this many names answer one search.
pub const MAX_RESULTS: usize = 20;

/// What an employee sees of a member of IT staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffCard {
    /// The staff ID to ask a caller for.
    pub staff_id: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Team.
    pub team: String,
    /// Work email.
    pub email: String,
    /// Work phone (E.164).
    pub phone: String,
}

impl StaffCard {
    /// The card of a staff record.
    pub fn of(s: &Staff) -> Self {
        Self {
            staff_id: s.staff_id.clone(),
            name: s.name.clone(),
            role: s.role.clone(),
            team: s.team.clone(),
            email: s.email.clone(),
            phone: s.phone.clone(),
        }
    }
}

/// The answer to a look-up by staff ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An active member of IT.
    Current(StaffCard),
    /// The ID exists but its holder is suspended or has left.
    NotCurrent {
        /// The ID as stored.
        staff_id: String,
        /// Why (suspended or departed): recorded, never shown.
        status: StaffStatus,
    },
    /// No such ID.
    Unknown,
}

/// Staff IDs compare without case and surrounding space.
pub fn normalize_staff_id(id: &str) -> String {
    id.trim().to_uppercase()
}

/// Looks up a staff ID.
pub fn by_id(snapshot: &DirectorySnapshot, id: &str) -> Lookup {
    let wanted = normalize_staff_id(id);
    match snapshot
        .staff
        .iter()
        .find(|s| normalize_staff_id(&s.staff_id) == wanted)
    {
        Some(s) if s.status == StaffStatus::Active => Lookup::Current(StaffCard::of(s)),
        Some(s) => Lookup::NotCurrent {
            staff_id: s.staff_id.clone(),
            status: s.status,
        },
        None => Lookup::Unknown,
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Active staff whose name has every word of `query` as the start of one
/// of its words ("dan oko" finds Daniel Okoye), by name; at most
/// [`MAX_RESULTS`]. A query without a word finds nobody.
pub fn by_name(snapshot: &DirectorySnapshot, query: &str) -> Vec<StaffCard> {
    let wanted = words(query);
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<StaffCard> = snapshot
        .staff
        .iter()
        .filter(|s| s.status == StaffStatus::Active)
        .filter(|s| {
            let have = words(&s.name);
            wanted
                .iter()
                .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
        })
        .map(StaffCard::of)
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.staff_id.cmp(&b.staff_id)));
    found.truncate(MAX_RESULTS);
    found
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use countersign_directory::{Employee, EmployeeStatus};

    pub(crate) fn staff(id: &str, name: &str, status: StaffStatus) -> Staff {
        Staff {
            staff_id: id.into(),
            name: name.into(),
            photo: None,
            email: format!("{}@corp.example", name.to_lowercase().replace(' ', ".")),
            phone: "+442079460101".into(),
            role: "service desk analyst".into(),
            team: "IT Service Desk".into(),
            status,
        }
    }

    pub(crate) fn snapshot() -> DirectorySnapshot {
        let mut snap = DirectorySnapshot::from_json(
            r#"{"format":"countersign-directory/1","organisation":{"name":"Corp","domains":["corp.example"]}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        snap.staff = vec![
            staff("S-1", "Marta Kowalczyk", StaffStatus::Active),
            staff("S-2", "Daniel Okoye", StaffStatus::Active),
            staff("S-3", "Dana Old", StaffStatus::Departed),
            staff("S-4", "Danny Paused", StaffStatus::Suspended),
        ];
        snap.employees = vec![Employee {
            id: "E-1".into(),
            name: "Priya Nair".into(),
            email: "priya.nair@corp.example".into(),
            phone: None,
            manager: None,
            status: EmployeeStatus::Active,
        }];
        snap
    }

    #[test]
    fn ids_answer_only_for_current_staff() {
        let snap = snapshot();
        assert!(matches!(by_id(&snap, " s-2 "), Lookup::Current(c) if c.name == "Daniel Okoye"));
        assert_eq!(
            by_id(&snap, "S-3"),
            Lookup::NotCurrent {
                staff_id: "S-3".into(),
                status: StaffStatus::Departed
            }
        );
        assert!(matches!(
            by_id(&snap, "S-4"),
            Lookup::NotCurrent {
                status: StaffStatus::Suspended,
                ..
            }
        ));
        assert_eq!(by_id(&snap, "S-99"), Lookup::Unknown);
    }

    #[test]
    fn names_match_by_word_prefixes_active_only() {
        let snap = snapshot();
        let found = by_name(&snap, "dan");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].staff_id, "S-2");
        assert_eq!(by_name(&snap, "oko DAN")[0].staff_id, "S-2");
        assert!(by_name(&snap, "  ").is_empty());
        assert!(by_name(&snap, "paused").is_empty());
    }
}
