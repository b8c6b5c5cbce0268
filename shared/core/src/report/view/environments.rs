//! `{"view": "environments"}`: launches, unique users and active apps per environment, from
//! the apps' day summaries and each app's environment.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::KindReads;
use crate::report::ReportRequest;

/// One environment's use in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentUsage {
    /// The environment's id; `null` for apps whose records named none.
    pub environment_id: Option<String>,
    /// Its newest display name seen in launch records, if any named it.
    pub environment_name: Option<String>,
    /// Launches of its apps in the range.
    pub launches: u64,
    /// Distinct users over its apps and the whole range.
    pub unique_users: u64,
    /// Its apps launched in the range.
    pub active_apps: u64,
}

/// The range's sums over every environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentTotals {
    /// Environments with launches.
    pub environments: u64,
    /// Launches in the range.
    pub launches: u64,
    /// Distinct over every environment and the whole range.
    pub unique_users: u64,
    /// Apps launched in the range.
    pub active_apps: u64,
}

/// The environments view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentsReport {
    /// Always `environments`.
    pub view: String,
    /// The first day, `YYYY-MM-DD` (UTC), included.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// Most launches first.
    pub environments: Vec<EnvironmentUsage>,
    /// Sums over all of them.
    pub totals: EnvironmentTotals,
}

#[derive(Default)]
struct Tally {
    launches: u64,
    users: BTreeSet<String>,
    apps: BTreeSet<String>,
}

/// The view from the apps' reads and the environment names.
pub fn assemble(
    request: &ReportRequest,
    apps: &KindReads,
    names: &BTreeMap<String, String>,
) -> EnvironmentsReport {
    let mut by_env: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    let mut all_users = BTreeSet::new();
    for summary in apps.summaries(request).filter(|s| s.count > 0) {
        let env = apps
            .facts
            .get(&summary.id)
            .and_then(|f| f.environment_id.clone());
        let tally = by_env.entry(env).or_default();
        tally.launches += summary.count;
        tally.users.extend(summary.users.keys().cloned());
        tally.apps.insert(summary.id.clone());
        all_users.extend(summary.users.keys().cloned());
    }
    let mut environments: Vec<EnvironmentUsage> = by_env
        .into_iter()
        .map(|(env, tally)| EnvironmentUsage {
            environment_name: env.as_ref().and_then(|e| name_of(names, e)),
            environment_id: env,
            launches: tally.launches,
            unique_users: tally.users.len() as u64,
            active_apps: tally.apps.len() as u64,
        })
        .collect();
    environments.sort_by(|a, b| {
        b.launches
            .cmp(&a.launches)
            .then_with(|| a.environment_id.cmp(&b.environment_id))
    });
    let totals = EnvironmentTotals {
        environments: environments.len() as u64,
        launches: environments.iter().map(|e| e.launches).sum(),
        unique_users: all_users.len() as u64,
        active_apps: environments.iter().map(|e| e.active_apps).sum(),
    };
    EnvironmentsReport {
        view: "environments".into(),
        from: request.from.to_string(),
        to: request.to.to_string(),
        environments,
        totals,
    }
}

/// Environment ids are compared without letter case (records spell GUIDs either way).
pub fn name_of(names: &BTreeMap<String, String>, env: &str) -> Option<String> {
    names.get(env).cloned().or_else(|| {
        names
            .iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(env))
            .map(|(_, name)| name.clone())
    })
}
