//! Records of the workloads other than Power Platform: Power BI and Teams
//! (the rest of Audit.General), SharePoint and OneDrive, Exchange, Entra ID
//! and DLP.

use serde_json::{Value, json};

use super::{Generator, RecordContext, client_ip};
use crate::records::*;
use crate::rng::SplitMix64;

const TEAM_NAMES: &[&str] = &["Finance", "Engineering", "Sales EMEA", "HR", "Marketing"];
const SITE_NAMES: &[&str] = &["finance", "engineering", "intranet", "projects", "hr"];
const FILE_NAMES: &[&str] = &[
    "Budget 2026.xlsx",
    "Roadmap.pptx",
    "Notes.docx",
    "Invoice-0042.pdf",
];
const REPORT_NAMES: &[&str] = &["Sales Overview", "CoE Dashboard", "Headcount", "Pipeline"];

/// RecordType, Workload and Operation of a record of another workload.
struct OtherKind {
    record_type: i64,
    workload: &'static str,
    operation: &'static str,
}

impl Generator {
    fn other(
        &self,
        rng: &mut SplitMix64,
        ctx: RecordContext,
        kind: OtherKind,
        object_id: Option<String>,
        details: Vec<(&'static str, Value)>,
    ) -> Record {
        let OtherKind {
            record_type,
            workload,
            operation,
        } = kind;
        let (user, upn) = self.user(rng);
        Record::Other(OtherRecord {
            creation_time: ctx.creation_time,
            id: ctx.id,
            operation,
            organization_id: ctx.organization_id,
            record_type,
            result_status: "Succeeded",
            user_key: user.key.clone(),
            user_type: 0,
            version: 1,
            workload,
            client_ip: client_ip(rng),
            object_id: object_id.unwrap_or_else(|| upn.clone()),
            user_id: upn,
            details: Properties(details),
        })
    }

    pub(super) fn general_noise(&self, rng: &mut SplitMix64, ctx: RecordContext) -> Record {
        if rng.chance(0.6) {
            let operation = *rng.pick(&["ViewReport", "ViewDashboard", "ExportReport"]);
            let report = *rng.pick(REPORT_NAMES);
            let workspace = *rng.pick(TEAM_NAMES);
            let object = rng.guid();
            self.other(
                rng,
                ctx,
                OtherKind {
                    record_type: 20,
                    workload: "PowerBI",
                    operation,
                },
                Some(object),
                vec![
                    ("Activity", json!(operation)),
                    ("ItemName", json!(report)),
                    ("WorkSpaceName", json!(workspace)),
                    ("DatasetName", json!(report)),
                    ("IsSuccess", json!(true)),
                ],
            )
        } else {
            let operation = *rng.pick(&["TeamsSessionStarted", "MemberAdded", "ChannelAdded"]);
            let team = *rng.pick(TEAM_NAMES);
            self.other(
                rng,
                ctx,
                OtherKind {
                    record_type: 25,
                    workload: "MicrosoftTeams",
                    operation,
                },
                None,
                vec![
                    ("TeamName", json!(team)),
                    ("CommunicationType", json!("Team")),
                ],
            )
        }
    }

    pub(super) fn sharepoint_record(&self, rng: &mut SplitMix64, ctx: RecordContext) -> Record {
        let operation = *rng.pick(&[
            "FileAccessed",
            "FileModified",
            "FileUploaded",
            "FileDownloaded",
            "FilePreviewed",
        ]);
        let site = format!(
            "https://contoso.sharepoint.com/sites/{}/",
            rng.pick(SITE_NAMES)
        );
        let file = *rng.pick(FILE_NAMES);
        let workload = if rng.chance(0.2) {
            "OneDrive"
        } else {
            "SharePoint"
        };
        self.other(
            rng,
            ctx,
            OtherKind {
                record_type: 6,
                workload,
                operation,
            },
            Some(format!("{site}Shared Documents/{file}")),
            vec![
                ("SiteUrl", json!(site)),
                ("SourceRelativeUrl", json!("Shared Documents")),
                ("SourceFileName", json!(file)),
                ("SourceFileExtension", json!(file.rsplit('.').next())),
                ("ItemType", json!("File")),
                ("EventSource", json!("SharePoint")),
            ],
        )
    }

    pub(super) fn exchange_record(&self, rng: &mut SplitMix64, ctx: RecordContext) -> Record {
        let (record_type, operation) = *rng.pick(&[
            (50, "MailItemsAccessed"),
            (2, "Send"),
            (2, "MoveToDeletedItems"),
            (1, "Set-Mailbox"),
        ]);
        let owner = rng.pick(&self.directory.users).upn.clone();
        self.other(
            rng,
            ctx,
            OtherKind {
                record_type,
                workload: "Exchange",
                operation,
            },
            None,
            vec![
                ("MailboxOwnerUPN", json!(owner)),
                ("LogonType", json!(0)),
                ("ClientInfoString", json!("Client=OWA;Action=ViaProxy")),
            ],
        )
    }

    pub(super) fn aad_record(&self, rng: &mut SplitMix64, ctx: RecordContext) -> Record {
        let (record_type, operation) = *rng.pick(&[
            (15, "UserLoggedIn"),
            (15, "UserLoggedIn"),
            (15, "UserLoginFailed"),
            (8, "Update user."),
            (8, "Add member to group."),
        ]);
        self.other(
            rng,
            ctx,
            OtherKind {
                record_type,
                workload: "AzureActiveDirectory",
                operation,
            },
            None,
            vec![
                (
                    "AzureActiveDirectoryEventType",
                    json!(if record_type == 15 { 1 } else { 0 }),
                ),
                (
                    "ExtendedProperties",
                    json!([
                        {"Name": "UserAgent", "Value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
                        {"Name": "RequestType", "Value": "OAuth2:Token"}
                    ]),
                ),
            ],
        )
    }

    pub(super) fn dlp_record(&self, rng: &mut SplitMix64, ctx: RecordContext) -> Record {
        let (record_type, workload) = *rng.pick(&[(11, "SharePoint"), (13, "Exchange")]);
        let policy_id = rng.guid();
        let rule_id = rng.guid();
        let incident = rng.guid();
        self.other(
            rng,
            ctx,
            OtherKind {
                record_type,
                workload,
                operation: "DlpRuleMatch",
            },
            None,
            vec![
                ("IncidentId", json!(incident)),
                ("SensitiveInfoDetectionIsIncluded", json!(true)),
                (
                    "PolicyDetails",
                    json!([{
                        "PolicyId": policy_id,
                        "PolicyName": "U.S. Financial Data",
                        "Rules": [{
                            "RuleId": rule_id,
                            "RuleName": "Low volume of content detected",
                            "Actions": ["NotifyUser"],
                            "Severity": "Medium"
                        }]
                    }]),
                ),
            ],
        )
    }
}
