//! The tenant's directory: its users, apps and flows, drawn once from the
//! seed.

use super::DIRECTORY;
use crate::config::GeneratorConfig;
use crate::rng::SplitMix64;

const APP_NAMES: &[&str] = &[
    "Expense Tracker",
    "Leave Request",
    "Asset Checkout",
    "Site Inspection",
    "Visitor Sign-In",
    "Help Desk",
    "Café Orders – Ünïcode",
    "Ops \"Dashboard\"",
    "Room Booking",
    "Timesheets",
];

pub(crate) struct User {
    /// Lowercase UPN; records sometimes show it in another letter case.
    pub upn: String,
    pub key: String,
}

pub(crate) struct App {
    pub id: String,
    pub display_name: String,
    pub environment_id: String,
}

pub(crate) struct Flow {
    pub id: String,
}

pub(crate) struct Directory {
    pub users: Vec<User>,
    pub apps: Vec<App>,
    pub flows: Vec<Flow>,
}

impl Directory {
    pub(super) fn generate(seed: u64, domain: &str, config: &GeneratorConfig) -> Self {
        let mut rng = SplitMix64::derived(seed, &[DIRECTORY]);
        let environments: Vec<String> = (0..config.environments.max(1))
            .map(|_| rng.guid())
            .collect();
        let users = (1..=config.users.max(1))
            .map(|n| User {
                upn: format!("user{n:03}@{domain}").to_lowercase(),
                key: rng.guid(),
            })
            .collect();
        let apps = (0..config.apps.max(1))
            .map(|n| {
                let base = APP_NAMES[n % APP_NAMES.len()];
                let display_name = if n < APP_NAMES.len() {
                    base.to_string()
                } else {
                    format!("{base} {}", n / APP_NAMES.len() + 1)
                };
                App {
                    id: rng.guid(),
                    display_name,
                    environment_id: rng.pick(&environments).clone(),
                }
            })
            .collect();
        let flows = (0..config.flows.max(1))
            .map(|_| Flow { id: rng.guid() })
            .collect();
        Directory { users, apps, flows }
    }
}
