//! The report as callers receive it: plain serialisable data, the same for the JSON reply, the
//! text table and the page.

use serde::{Deserialize, Serialize};

/// Launches and distinct users of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Launches (`LaunchPowerApp`) that day: of the one app in its `by_day`, of every app in the
    /// report's `days`.
    pub launches: u64,
    /// Distinct users among those launches.
    pub unique_users: u64,
}

/// One app launched in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    /// The Power App's id.
    pub app_id: String,
    /// Its newest display name, from the newest launch that carried one; `null` if none did.
    pub app_name: Option<String>,
    /// Launches in the range.
    pub launches: u64,
    /// Distinct users who launched it in the range.
    pub unique_users: u64,
    /// The newest launch ever stored, in or out of the range.
    pub last_launched: Option<String>,
    /// The app's environment, from its newest record that named one.
    #[serde(default)]
    pub environment_id: Option<String>,
    /// That environment's newest display name seen in launch records.
    #[serde(default)]
    pub environment_name: Option<String>,
    /// Past the CoE Starter Kit's production bar: 50 launches or 5 distinct users in one
    /// calendar month (UTC) of the range.
    #[serde(default)]
    pub production: bool,
    /// Whether a `DeletePowerApp` event is stored for the app, at any time.
    pub deleted: bool,
    /// When the app was deleted (its newest `DeletePowerApp`), `YYYY-MM-DDTHH:MM:SSZ`; left out
    /// if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// The app's days with launches in the range, oldest first; only with `"by_day": true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_day: Option<Vec<DayUsage>>,
}

/// The range's sums over every app reported (all of them, not only the `top` the page lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Launches in the range.
    pub launches: u64,
    /// Distinct over all apps and the whole range.
    pub unique_users: u64,
    /// Apps launched in the range.
    pub apps: u64,
}

/// An app launched before the range and not in it: a candidate for clean-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactiveApp {
    /// The Power App's id.
    pub app_id: String,
    /// Its newest display name, if a launch carried one.
    pub app_name: Option<String>,
    /// Its last launch, before the range: `YYYY-MM-DDTHH:MM:SSZ`.
    pub last_launched: String,
}

/// An app deleted on a day of the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedApp {
    /// The Power App's id.
    pub app_id: String,
    /// Its newest display name, if a launch carried one.
    pub app_name: Option<String>,
    /// When it was deleted (its newest `DeletePowerApp`): `YYYY-MM-DDTHH:MM:SSZ`.
    pub deleted_at: String,
    /// Its last launch ever stored, if it had one.
    pub last_launched: Option<String>,
}

/// Apps by launches (most first), with the totals, the days and the apps to look after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The first day, `YYYY-MM-DD` (UTC), included.
    pub from: String,
    /// The last day, `YYYY-MM-DD` (UTC), included.
    pub to: String,
    /// The one environment asked for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Every app launched in the range (only the one asked for, with `app_id`), most launches
    /// first.
    pub apps: Vec<AppUsage>,
    /// The range's sums over [`apps`](Self::apps).
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
