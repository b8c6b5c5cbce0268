//! `{"view": "flows"}`: flow lifecycle (created, edited, deleted, by whom). The audit log has no
//! flow runs, so neither has this view.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{KindReads, in_environment, live_deletion};
use crate::report::ReportRequest;
use crate::report::clock::day_part;

/// Said with every flows view: what the numbers cannot be.
pub const FLOW_RUNS_NOTE: &str = "Flow runs are not in the Microsoft 365 audit log (Microsoft \
     audits flow creation, edits, deletion and permissions only): run counts need another source, \
     such as the flow run history in Dataverse or the Power Platform admin center.";

/// One flow with lifecycle activity in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowUsage {
    /// The flow's id.
    pub flow_id: String,
    /// Its display name, when a record carried one.
    pub flow_name: Option<String>,
    /// Its environment.
    pub environment_id: Option<String>,
    /// Its oldest `CreateFlow` stored, in the range or not.
    pub created: Option<String>,
    /// Its newest `CreateFlow` or `EditFlow` stored, in the range or not.
    pub last_modified: Option<String>,
    /// `EditFlow` records in the range.
    pub edits: u64,
    /// Whether a `DeleteFlow` is stored with no creation or edit after it.
    pub deleted: bool,
    /// When, if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Who created or edited it in the range (lower-cased UPNs), sorted.
    pub makers: Vec<String>,
}

/// The range's sums over every flow listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowTotals {
    /// Flows with lifecycle activity in the range.
    pub flows: u64,
    /// Edits in the range.
    pub edits: u64,
    /// Flows created in the range.
    pub created: u64,
    /// Flows deleted in the range.
    pub deleted: u64,
    /// Distinct makers over every flow.
    pub makers: u64,
}

/// The flows view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowsReport {
    /// Always `flows`.
    pub view: String,
    /// The first day, `YYYY-MM-DD` (UTC), included.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// Most recently modified first.
    pub flows: Vec<FlowUsage>,
    /// Sums over all of them.
    pub totals: FlowTotals,
    /// [`FLOW_RUNS_NOTE`].
    pub note: String,
}

/// The view from the flows' reads: a flow is listed when it was created, edited (by anyone)
/// or deleted in the range.
pub fn assemble(request: &ReportRequest, flows: &KindReads) -> FlowsReport {
    let mut in_range: BTreeMap<&str, (u64, BTreeSet<&str>)> = BTreeMap::new();
    for summary in flows.summaries(request) {
        let (edits, makers) = in_range.entry(&summary.id).or_default();
        *edits += summary.count;
        makers.extend(summary.users.keys().map(String::as_str));
    }
    let (from, to) = (request.from.to_string(), request.to.to_string());
    let within = |t: &Option<String>| {
        t.as_deref()
            .is_some_and(|t| (from.as_str()..=to.as_str()).contains(&day_part(t)))
    };
    let mut rows: Vec<FlowUsage> = flows
        .facts
        .values()
        .filter(|f| in_environment(request, Some(f)))
        .filter(|f| {
            in_range.contains_key(f.id.as_str()) || within(&f.created) || within(&f.deleted_at)
        })
        .map(|f| {
            let (edits, makers) = in_range.get(f.id.as_str()).cloned().unwrap_or_default();
            let deleted_at = live_deletion(f.deleted_at.as_deref(), f.last.as_deref());
            FlowUsage {
                flow_id: f.id.clone(),
                flow_name: f.name.clone(),
                environment_id: f.environment_id.clone(),
                created: f.created.clone(),
                last_modified: f.last.clone(),
                edits,
                deleted: deleted_at.is_some(),
                deleted_at,
                makers: makers.into_iter().map(str::to_string).collect(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.last_modified
            .cmp(&a.last_modified)
            .then_with(|| a.flow_id.cmp(&b.flow_id))
    });
    let makers: BTreeSet<&String> = rows.iter().flat_map(|f| &f.makers).collect();
    let totals = FlowTotals {
        flows: rows.len() as u64,
        edits: rows.iter().map(|f| f.edits).sum(),
        created: rows.iter().filter(|f| within(&f.created)).count() as u64,
        deleted: rows.iter().filter(|f| within(&f.deleted_at)).count() as u64,
        makers: makers.len() as u64,
    };
    FlowsReport {
        view: "flows".into(),
        from,
        to,
        flows: rows,
        totals,
        note: FLOW_RUNS_NOTE.into(),
    }
}
