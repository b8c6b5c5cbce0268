//! The report as callers receive it: plain serialisable data, the same for the JSON reply, the
//! text table and the page.

use serde::{Deserialize, Serialize};

/// Launches and distinct users of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    pub day: String,
    pub launches: u64,
    pub unique_users: u64,
}

/// One app launched in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    pub app_id: String,
    pub app_name: Option<String>,
    pub launches: u64,
    pub unique_users: u64,
    /// The newest launch ever stored, in or out of the range.
    pub last_launched: Option<String>,
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_day: Option<Vec<DayUsage>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub launches: u64,
    /// Distinct over all apps and the whole range.
    pub unique_users: u64,
    pub apps: u64,
}

/// An app launched before the range and not in it: a candidate for clean-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactiveApp {
    pub app_id: String,
    pub app_name: Option<String>,
    pub last_launched: String,
}

/// An app deleted on a day of the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedApp {
    pub app_id: String,
    pub app_name: Option<String>,
    pub deleted_at: String,
    pub last_launched: Option<String>,
}

/// Apps by launches (most first), with the totals, the days and the apps to look after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub apps: Vec<AppUsage>,
    pub totals: Totals,
    /// Every day of the range, over all apps; `unique_users` is distinct across apps.
    #[serde(default)]
    pub days: Vec<DayUsage>,
    /// Oldest last launch first: the likeliest to be unused.
    #[serde(default)]
    pub inactive_apps: Vec<InactiveApp>,
    /// Newest deletion first.
    #[serde(default)]
    pub deleted_apps: Vec<DeletedApp>,
}
