//! Which records are kept (`AUDIT_LOGS_OPERATIONS`).

use std::fmt;
use std::str::FromStr;

use crate::model::{is_agent_authoring, record_type};

/// Which records are kept.
///
/// Configured from a comma-separated list (`AUDIT_LOGS_OPERATIONS`); see
/// [`parse`](Self::parse).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OperationFilter {
    /// Every Power Apps, Power Automate and Copilot Studio agent record (the default). A record is kept when
    /// **any** of these holds:
    ///
    /// 1. its `RecordType` is 30 (MicrosoftFlow), 45 (PowerAppsApp), 46 (PowerAppsPlan),
    ///    79 (PowerAppsResource) or 256 (PowerPlatformAdministratorActivity), whatever
    ///    the `Workload` says;
    /// 2. its `Workload` is `PowerApps`, `MicrosoftFlow` or `PowerAutomate` (any case),
    ///    whatever the `RecordType`;
    /// 3. its `Workload` is `PowerPlatform` (any case) and its `PropertyCollection`
    ///    is about a Power App or a flow: `powerplatform.analytics.resource.type` is
    ///    `PowerApp`, `CloudFlow` or `Flow`, or it carries a Power App or flow id.
    ///
    /// 4. its `Operation` is Copilot Studio authoring: `BotCreate`, `BotDelete`,
    ///    `BotUpdateOperation-…` or `BotComponent…` (any case), whatever the workload;
    /// 5. its `RecordType` is 261 (CopilotInteraction) or its `Workload` is `Copilot`, and it
    ///    is about a Copilot Studio agent: `AgentPlatform` is `CopilotStudio`, or it carries a
    ///    `PlatformAgentId`, or its `AppIdentity` starts with `Copilot.Studio.`.
    ///
    /// Rule 3 keeps the unified Power Platform shape for apps and flows should it come
    /// under another `RecordType`, while leaving out its environment, DLP and tenant
    /// administration events. Rule 5 leaves out Microsoft 365 Copilot's own records (Copilot
    /// in Word, Teams, …), which name no agent: `AUDIT_LOGS_OPERATIONS=CopilotInteraction`
    /// keeps those too.
    #[default]
    PowerPlatform,
    /// Every record, whatever its workload (`*`).
    All,
    /// Records whose `Operation` equals one of these names, compared ASCII
    /// case-insensitively, whatever the workload.
    Operations(Vec<String>),
}

/// The RecordTypes of rule 1 of [`OperationFilter::PowerPlatform`].
const POWER_PLATFORM_RECORD_TYPES: [i64; 5] = [
    record_type::MICROSOFT_FLOW,
    record_type::POWER_APPS_APP,
    record_type::POWER_APPS_PLAN,
    record_type::POWER_APPS_RESOURCE,
    record_type::POWER_PLATFORM_ADMINISTRATOR_ACTIVITY,
];

/// The workloads of rule 2 of [`OperationFilter::PowerPlatform`].
const POWER_PLATFORM_WORKLOADS: [&str; 3] = ["PowerApps", "MicrosoftFlow", "PowerAutomate"];

/// A configured operation list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Nothing but whitespace.
    #[error(
        "the operation list is empty: give operation names separated by commas \
         (e.g. `LaunchPowerApp,DeletePowerApp`) or `*` for every record, or leave the \
         setting unset to keep all Power Apps, Power Automate and Copilot Studio agent records"
    )]
    Empty,
    /// `a,,b`, `a,` or `,a`.
    #[error(
        "the operation list `{list}` has an empty entry (number {position}): \
         remove the stray comma"
    )]
    EmptyEntry {
        /// The whole configured value.
        list: String,
        /// 1-based position of the empty entry.
        position: usize,
    },
    /// An entry with whitespace inside it.
    #[error("operation `{entry}` contains whitespace; operation names have none")]
    Whitespace {
        /// The offending entry.
        entry: String,
    },
    /// `*` inside an entry, such as `Launch*`.
    #[error(
        "operation `{entry}`: partial wildcards are not supported; `*` alone keeps every record"
    )]
    PartialWildcard {
        /// The offending entry.
        entry: String,
    },
    /// `*` together with operation names.
    #[error(
        "the operation list `{list}` mixes `*` with operation names: \
         `*` means every record and must be the whole list"
    )]
    WildcardWithNames {
        /// The whole configured value.
        list: String,
    },
}

impl OperationFilter {
    /// Reads a comma-separated list of operation names.
    ///
    /// Entries are trimmed; duplicates (in any case) are dropped. `*` alone keeps every
    /// record. Empty or whitespace-only input, empty entries, entries with inner
    /// whitespace and `*` mixed with names are errors. An unset setting should map to
    /// [`OperationFilter::default`], which is not expressible as a list.
    pub fn parse(list: &str) -> Result<Self, FilterError> {
        if list.trim().is_empty() {
            return Err(FilterError::Empty);
        }
        let mut operations: Vec<String> = Vec::new();
        let mut wildcard = false;
        for (i, entry) in list.split(',').enumerate() {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(FilterError::EmptyEntry {
                    list: list.to_owned(),
                    position: i + 1,
                });
            }
            if entry.chars().any(char::is_whitespace) {
                return Err(FilterError::Whitespace {
                    entry: entry.to_owned(),
                });
            }
            if entry == "*" {
                wildcard = true;
            } else if entry.contains('*') {
                return Err(FilterError::PartialWildcard {
                    entry: entry.to_owned(),
                });
            } else if !operations.iter().any(|o| o.eq_ignore_ascii_case(entry)) {
                operations.push(entry.to_owned());
            }
        }
        match (wildcard, operations.is_empty()) {
            (true, true) => Ok(OperationFilter::All),
            (true, false) => Err(FilterError::WildcardWithNames {
                list: list.to_owned(),
            }),
            (false, _) => Ok(OperationFilter::Operations(operations)),
        }
    }

    /// Whether a record with these fields is kept. `about_app_or_flow` is asked only
    /// for rule 3 of [`OperationFilter::PowerPlatform`], so that the
    /// `PropertyCollection` is read only when it decides the answer; `about_agent` only for
    /// rule 5.
    pub(crate) fn keeps(
        &self,
        operation: &str,
        workload: &str,
        record_type: i64,
        about_app_or_flow: impl FnOnce() -> bool,
        about_agent: impl FnOnce() -> bool,
    ) -> bool {
        match self {
            OperationFilter::All => true,
            OperationFilter::Operations(operations) => {
                operations.iter().any(|o| o.eq_ignore_ascii_case(operation))
            }
            OperationFilter::PowerPlatform => {
                POWER_PLATFORM_RECORD_TYPES.contains(&record_type)
                    || POWER_PLATFORM_WORKLOADS
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(workload))
                    || (workload.eq_ignore_ascii_case("PowerPlatform") && about_app_or_flow())
                    || is_agent_authoring(operation)
                    || ((record_type == record_type::COPILOT_INTERACTION
                        || workload.eq_ignore_ascii_case("Copilot"))
                        && about_agent())
            }
        }
    }
}

impl FromStr for OperationFilter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OperationFilter::parse(s)
    }
}

impl fmt::Display for OperationFilter {
    /// `*`, the list as `A,B`, or a description of the default.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationFilter::All => f.write_str("*"),
            OperationFilter::Operations(operations) => f.write_str(&operations.join(",")),
            OperationFilter::PowerPlatform => f.write_str(
                "all Power Apps, Power Automate and Copilot Studio agent records (RecordType 30, \
                 45, 46, 79, 256; Workload PowerApps, MicrosoftFlow, PowerAutomate; Workload \
                 PowerPlatform about an app or flow; agent authoring; Copilot interactions \
                 with a Copilot Studio agent)",
            ),
        }
    }
}
