//! The event we keep: the columns of the CoE Starter Kit's `admin_auditlog` table, plus
//! the record as received.

use std::fmt;

use time::OffsetDateTime;

use crate::timestamp::{UtcStyle, format_utc};

/// `RecordType` numbers that matter to this project (others occur and are kept as
/// plain numbers).
pub mod record_type {
    /// Power BI activity.
    pub const POWER_BI_AUDIT: i64 = 20;
    /// Power Automate (flows), older per-workload shape.
    pub const MICROSOFT_FLOW: i64 = 30;
    /// Power Apps app activity, older per-workload shape (`AppName`, `EnvironmentName`).
    pub const POWER_APPS_APP: i64 = 45;
    /// Power Apps licence plan activity.
    pub const POWER_APPS_PLAN: i64 = 46;
    /// Power Apps resource activity.
    pub const POWER_APPS_RESOURCE: i64 = 79;
    /// Power Platform data policy (DLP) administration.
    pub const POWER_PLATFORM_ADMIN_DLP: i64 = 187;
    /// The unified Power Platform shape (details in `PropertyCollection`).
    pub const POWER_PLATFORM_ADMINISTRATOR_ACTIVITY: i64 = 256;
    /// One turn of a conversation with Copilot: Microsoft 365 Copilot or an agent.
    pub const COPILOT_INTERACTION: i64 = 261;
    /// Copilot agent administration.
    pub const COPILOT_AGENT_MANAGEMENT: i64 = 384;
}

/// What kind of Power Platform resource a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKind {
    /// A Power App (canvas or model-driven).
    PowerApp,
    /// A Power Automate flow.
    Flow,
    /// A Copilot Studio agent (`CopilotInteraction` records of one, and its authoring).
    Agent,
    /// Anything else, or not known.
    Other,
}

impl AppKind {
    /// `PowerApp`, `Flow` or `Other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AppKind::PowerApp => "PowerApp",
            AppKind::Flow => "Flow",
            AppKind::Agent => "Agent",
            AppKind::Other => "Other",
        }
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit record that passed validation and the operation filter.
///
/// Optional fields are `None` when the record does not carry them or carries an empty
/// string. GUID-shaped app ids are lower-cased so that the two launch shapes of the
/// same app give the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// The record `Id`, the key for de-duplication (the service re-delivers records).
    pub id: String,
    /// `CreationTime`, in UTC.
    pub creation_time: OffsetDateTime,
    /// `Operation`, as sent (empty if the record has none).
    pub operation: String,
    /// `Workload`, as sent (empty if the record has none).
    pub workload: String,
    /// `RecordType`.
    pub record_type: i64,
    /// The app's or flow's id; see the crate documentation for where it comes from.
    pub app_id: Option<String>,
    /// Whether `app_id` names a Power App, a flow, or nothing we know.
    pub app_kind: AppKind,
    /// The app's display name, when the record says.
    pub app_display_name: Option<String>,
    /// The Power Platform environment, when the record says.
    pub environment_id: Option<String>,
    /// The environment's display name, when the record says.
    pub environment_name: Option<String>,
    /// An agent's Copilot Studio bot id (`BotId`, or the end of `PlatformAgentId`): what its
    /// authoring records name it by.
    pub bot_id: Option<String>,
    /// The conversation an agent's turn belongs to (`CopilotEventData.ThreadId`, else
    /// `ConversationId`).
    pub conversation_id: Option<String>,
    /// The acting user (`UserId`, else `enduser.principal_name`), as sent.
    pub user_upn: Option<String>,
    /// `UserKey`.
    pub user_key: Option<String>,
    /// `ResultStatus`.
    pub result_status: Option<String>,
    /// `ClientIP`.
    pub client_ip: Option<String>,
    /// The record's JSON text exactly as received.
    pub raw: String,
}

impl AuditEvent {
    /// [`creation_time`](Self::creation_time) as `2026-05-19T13:17:34Z` (whole
    /// seconds, so stored values sort in time order).
    pub fn creation_time_iso(&self) -> String {
        format_utc(self.creation_time, UtcStyle::Seconds)
    }

    /// [`user_upn`](Self::user_upn) lower-cased; UPNs compare case-insensitively, so
    /// this is the form to count unique users by.
    pub fn user_upn_lower(&self) -> Option<String> {
        self.user_upn.as_deref().map(str::to_lowercase)
    }

    /// Whether this is an app launch (`Operation` `LaunchPowerApp`, any case).
    pub fn is_launch(&self) -> bool {
        self.operation.eq_ignore_ascii_case("LaunchPowerApp")
    }

    /// Whether this records an app's deletion (`Operation` `DeletePowerApp`, any case).
    pub fn is_app_deletion(&self) -> bool {
        self.operation.eq_ignore_ascii_case("DeletePowerApp")
    }

    /// Whether this is one turn with a Copilot Studio agent.
    pub fn is_agent_interaction(&self) -> bool {
        self.app_kind == AppKind::Agent && self.operation.eq_ignore_ascii_case("CopilotInteraction")
    }
}

/// Whether an `Operation` is Copilot Studio authoring (`BotCreate`, `BotDelete`,
/// `BotUpdateOperation-…`, `BotComponent…`), compared ASCII case-insensitively. Teams' own
/// bot operations (`BotAddedToTeam`) are not.
pub fn is_agent_authoring(operation: &str) -> bool {
    let starts = |prefix: &str| {
        operation.len() >= prefix.len()
            && operation.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    operation.eq_ignore_ascii_case("BotCreate")
        || operation.eq_ignore_ascii_case("BotDelete")
        || starts("BotUpdateOperation-")
        || starts("BotComponent")
}
