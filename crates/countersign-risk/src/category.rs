//! What a message asks for, or how it tries to get it: the categories every
//! rule belongs to.

use std::fmt;

/// The category of a risk rule. The first seven are *requests*: acting on
/// one of them hands an attacker an account, a device, money or data, so the
/// policy holds them until the requester is verified. The rest are *lures*:
/// the bait and pressure that quid pro quo attacks wrap a request in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RiskCategory {
    /// A password or credential reset, or a request to disclose one.
    CredentialReset,
    /// An MFA reset, bypass or the enrolment of a new device.
    MfaReset,
    /// A request for access, group membership or privileges.
    AccessGrant,
    /// A remote-access tool (AnyDesk, TeamViewer, Quick Assist, ...) or a
    /// request to let someone connect.
    RemoteAccess,
    /// A request to install or run software.
    SoftwareInstall,
    /// A change of bank details or payment destination.
    PaymentChange,
    /// A request to export or send data in bulk.
    DataExport,
    /// Someone posing as tech support offering to fix a problem.
    FakeTechSupport,
    /// A vendor's "urgent patch" or security update to apply now.
    UrgentPatch,
    /// A reward: survey, gift card, prize.
    RewardLure,
    /// A job offer or recruitment pitch.
    JobOffer,
    /// A free upgrade, licence or service.
    FreeUpgrade,
    /// Time pressure: act now, account suspended, deadline.
    Urgency,
    /// Pressure to keep the request secret or skip the usual process.
    Secrecy,
    /// A phone number supplied in the message with "call us" wording; the
    /// number is the attacker's, not the directory's.
    CallbackBait,
    /// A scare: the reader's account compromised, a virus found, a charge
    /// they did not make.
    Scare,
}

impl RiskCategory {
    /// Every category, requests first, in declaration order.
    pub const ALL: [RiskCategory; 16] = [
        RiskCategory::CredentialReset,
        RiskCategory::MfaReset,
        RiskCategory::AccessGrant,
        RiskCategory::RemoteAccess,
        RiskCategory::SoftwareInstall,
        RiskCategory::PaymentChange,
        RiskCategory::DataExport,
        RiskCategory::FakeTechSupport,
        RiskCategory::UrgentPatch,
        RiskCategory::RewardLure,
        RiskCategory::JobOffer,
        RiskCategory::FreeUpgrade,
        RiskCategory::Urgency,
        RiskCategory::Secrecy,
        RiskCategory::CallbackBait,
        RiskCategory::Scare,
    ];

    /// Whether acting on this category hands over something of value, so the
    /// request must be held until the requester is verified.
    pub fn is_high_risk_request(self) -> bool {
        matches!(
            self,
            RiskCategory::CredentialReset
                | RiskCategory::MfaReset
                | RiskCategory::AccessGrant
                | RiskCategory::RemoteAccess
                | RiskCategory::SoftwareInstall
                | RiskCategory::PaymentChange
                | RiskCategory::DataExport
        )
    }

    /// Whether this category is a lure (bait or pressure) rather than a
    /// request.
    pub fn is_lure(self) -> bool {
        !self.is_high_risk_request()
    }

    /// The snake_case name used in rulebooks, test data and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskCategory::CredentialReset => "credential_reset",
            RiskCategory::MfaReset => "mfa_reset",
            RiskCategory::AccessGrant => "access_grant",
            RiskCategory::RemoteAccess => "remote_access",
            RiskCategory::SoftwareInstall => "software_install",
            RiskCategory::PaymentChange => "payment_change",
            RiskCategory::DataExport => "data_export",
            RiskCategory::FakeTechSupport => "fake_tech_support",
            RiskCategory::UrgentPatch => "urgent_patch",
            RiskCategory::RewardLure => "reward_lure",
            RiskCategory::JobOffer => "job_offer",
            RiskCategory::FreeUpgrade => "free_upgrade",
            RiskCategory::Urgency => "urgency",
            RiskCategory::Secrecy => "secrecy",
            RiskCategory::CallbackBait => "callback_bait",
            RiskCategory::Scare => "scare",
        }
    }

    /// The category named `name` in snake_case, if there is one.
    pub fn from_name(name: &str) -> Option<RiskCategory> {
        RiskCategory::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// A phrase an analyst understands, for verdict reasons.
    pub fn description(self) -> &'static str {
        match self {
            RiskCategory::CredentialReset => "asks for a password or credential reset",
            RiskCategory::MfaReset => "asks to reset MFA or enrol a new device",
            RiskCategory::AccessGrant => "asks for access or privileges",
            RiskCategory::RemoteAccess => "asks for a remote-access session or tool",
            RiskCategory::SoftwareInstall => "asks to install or run software",
            RiskCategory::PaymentChange => "asks to change bank or payment details",
            RiskCategory::DataExport => "asks to export or send data",
            RiskCategory::FakeTechSupport => "offers unsolicited technical support",
            RiskCategory::UrgentPatch => "pushes an urgent patch or update",
            RiskCategory::RewardLure => "offers a reward, gift card or prize",
            RiskCategory::JobOffer => "offers a job",
            RiskCategory::FreeUpgrade => "offers a free upgrade",
            RiskCategory::Urgency => "puts on time pressure",
            RiskCategory::Secrecy => "asks for secrecy or to skip the usual process",
            RiskCategory::CallbackBait => "supplies its own phone number to call back",
            RiskCategory::Scare => "claims the account, device or money is at risk",
        }
    }
}

impl fmt::Display for RiskCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_split() {
        for c in RiskCategory::ALL {
            assert_eq!(RiskCategory::from_name(c.as_str()), Some(c));
        }
        assert_eq!(
            RiskCategory::ALL
                .iter()
                .filter(|c| c.is_high_risk_request())
                .count(),
            7
        );
        assert!(
            RiskCategory::ALL[..7]
                .iter()
                .all(|c| c.is_high_risk_request())
        );
    }
}
