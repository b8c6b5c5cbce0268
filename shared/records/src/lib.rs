//! Office 365 Management Activity API audit records, as far as the audit log sync needs
//! them: streaming a content blob ([`read_blob`], [`classify_blob`]), validating and
//! filtering one record ([`classify`](classify()), [`OperationFilter`]), and the
//! fields we store ([`AuditEvent`]).
//!
//! # Where the stored fields come from
//!
//! Power Apps launches arrive in two shapes (the unified `RecordType` 256 with a
//! `PropertyCollection`, and the older `RecordType` 45 with top-level fields), so
//! most fields have a list of sources, tried in order; empty strings count as absent.
//! "PC" is a `PropertyCollection` entry, by its `Name` without the
//! `powerplatform.analytics.resource.` prefix.
//!
//! | field | sources |
//! |---|---|
//! | `app_kind` | PC `power_app.id` present or PC `type` = `PowerApp` → PowerApp; PC flow id present or PC `type` = `CloudFlow`/`Flow` → Flow; else agent authoring (`BotCreate`, `BotDelete`, `BotUpdateOperation-…`, `BotComponent…`) or an agent's turn (`AgentPlatform` `CopilotStudio`, a `PlatformAgentId`, or `AppIdentity` `Copilot.Studio.…`) → Agent; else `RecordType` 45/46/79 → PowerApp, 30 → Flow; else `Workload` `PowerApps` → PowerApp, `MicrosoftFlow`/`PowerAutomate` → Flow; else Other |
//! | `app_id`, PowerApp | PC `power_app.id`, `AppName`, `ObjectId` if it is a GUID |
//! | `app_id`, Flow | PC `cloud_flow.id`/`flow.id`, the GUID after `/flows/` in `FlowDetailsUrl`, `ObjectId` |
//! | `app_id`, Agent | authoring: `BotId`; turns: `AgentId`, the bot part of `PlatformAgentId` (`{environment}_{bot}`), `AppIdentity` |
//! | `app_id`, Other | none |
//! | `app_display_name` | PC `power_app.display_name` (flows: PC `cloud_flow.display_name`/`flow.display_name`; agents: `AgentName`, `BotName`), `AppDisplayName` |
//! | `environment_id` | PC `environment.id`, `EnvironmentId`, `EnvironmentName`, the segment after `/environments/` in `FlowDetailsUrl`, the environment part of `PlatformAgentId`, the GUID (or `Default-{GUID}`) after `Copilot.Studio.` in `AppIdentity` |
//! | `environment_name` | PC `environment.name`; `EnvironmentName` only when an id came from elsewhere and differs (the older launch shape puts the id there) |
//! | `bot_id`, Agent | `BotId`, the bot part of `PlatformAgentId` |
//! | `conversation_id`, Agent | `CopilotEventData.ThreadId`, `CopilotEventData.ConversationId`, `ConversationId` |
//! | `user_upn` | `UserId`, PC `enduser.principal_name` |
//!
//! GUID-shaped app, bot and environment ids are lower-cased. The flow property names are not documented by
//! Microsoft and are matched on a best-effort basis.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blob;
mod classify;
mod count;
mod filter;
mod model;
mod rejection;
mod timestamp;

pub use blob::{
    BlobClassifier, BlobError, DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_DEPTH, classify_blob,
    count_blob, read_blob,
};
pub use classify::{MAX_APP_ID_BYTES, MAX_ID_BYTES, MAX_USER_BYTES, TimeBounds, classify};
pub use count::{BlobCount, RejectionSample};
pub use filter::{FilterError, OperationFilter};
pub use model::{AppKind, AuditEvent, is_agent_authoring, record_type};
pub use rejection::{Rejection, RejectionCounts, RejectionKind};
pub use timestamp::{UtcStyle, format_utc, parse_timestamp};
