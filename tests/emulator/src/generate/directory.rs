//! The tenant's directory: its environments, users, apps, flows and Copilot
//! Studio agents, drawn once from the seed.

use super::DIRECTORY;
use crate::config::GeneratorConfig;
use crate::rng::SplitMix64;

/// The directory stream's second branch: agents draw from their own stream, so that their
/// number changes nothing else.
const AGENTS: u64 = 1;

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

/// The first names the default environment; punctuation, quotes and non-ASCII text that a
/// report must carry through unharmed.
const ENVIRONMENT_NAMES: &[&str] = &[
    "Contoso (default)",
    "Sales – EMEA",
    "HR \"Prod\"",
    "Ünïcode Lab",
    "Finance & Ops",
    "Dev <Sandbox>",
];

/// (schema name without its publisher prefix, display name).
const AGENT_NAMES: &[(&str, &str)] = &[
    ("helpdeskAgent", "Help Desk Agent"),
    ("onboardingBuddy", "Onboarding «Buddy»"),
    ("itFixIt", "IT \"Fix-it\""),
    ("expenseHelper", "Expense Helper – Ünïcode"),
    ("travelDesk", "Travel & Visa <Desk>"),
];

pub(crate) struct User {
    /// Lowercase UPN; records sometimes show it in another letter case.
    pub upn: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Environment {
    /// `Default-{tenant id}` for the default environment, a GUID for the others.
    pub id: String,
    pub name: String,
}

pub(crate) struct App {
    pub id: String,
    pub display_name: String,
    pub environment: Environment,
}

pub(crate) struct Flow {
    pub id: String,
    pub environment: Environment,
}

/// A Copilot Studio agent. Its ids come in three shapes, as in real records: the bot's GUID
/// (`BotId`, and the tail of `PlatformAgentId`), the schema name, and an `AgentId` of its own.
pub(crate) struct Agent {
    pub bot_id: String,
    pub schema_name: String,
    pub display_name: String,
    pub agent_id: String,
    pub environment: Environment,
}

pub(crate) struct Directory {
    pub users: Vec<User>,
    pub apps: Vec<App>,
    pub flows: Vec<Flow>,
    /// Only the last one is ever deleted.
    pub agents: Vec<Agent>,
}

impl Directory {
    pub(super) fn generate(
        seed: u64,
        tenant_id: &str,
        domain: &str,
        config: &GeneratorConfig,
    ) -> Self {
        let mut rng = SplitMix64::derived(seed, &[DIRECTORY]);
        let environments = environments(&mut rng, tenant_id, config.environments.max(1));
        let users = (1..=config.users.max(1))
            .map(|n| User {
                upn: format!("user{n:03}@{domain}").to_lowercase(),
                key: rng.guid(),
            })
            .collect();
        let apps = (0..config.apps.max(1))
            .map(|n| App {
                id: rng.guid(),
                display_name: numbered(APP_NAMES, n, " "),
                environment: rng.pick(&environments).clone(),
            })
            .collect();
        let flow_ids: Vec<String> = (0..config.flows.max(1)).map(|_| rng.guid()).collect();
        // Drawn after the ids, so that the ids drawn before flows had environments keep
        // their values.
        let flows = flow_ids
            .into_iter()
            .map(|id| Flow {
                id,
                environment: rng.pick(&environments).clone(),
            })
            .collect();
        let agents = agents(seed, &environments, config.agents.max(1));
        Directory {
            users,
            apps,
            flows,
            agents,
        }
    }
}

/// The first is the tenant's default environment, as in every real tenant.
fn environments(rng: &mut SplitMix64, tenant_id: &str, count: usize) -> Vec<Environment> {
    (0..count)
        .map(|n| {
            // Drawn for the default environment too, so that users and apps keep the ids
            // they had before it got its `Default-` id.
            let guid = rng.guid();
            let id = if n == 0 {
                format!("Default-{}", tenant_id.to_lowercase())
            } else {
                guid
            };
            Environment {
                id,
                name: numbered(ENVIRONMENT_NAMES, n, " "),
            }
        })
        .collect()
}

/// The first agent sits in the default environment, where makers start; the others anywhere.
fn agents(seed: u64, environments: &[Environment], count: usize) -> Vec<Agent> {
    let mut rng = SplitMix64::derived(seed, &[DIRECTORY, AGENTS]);
    (0..count)
        .map(|n| {
            let (schema, display) = AGENT_NAMES[n % AGENT_NAMES.len()];
            let schema_name = format!(
                "cr{}_{}",
                rng.hex(3),
                numbered(&[schema], n / AGENT_NAMES.len(), "")
            );
            let environment = if n == 0 {
                environments[0].clone()
            } else {
                rng.pick(environments).clone()
            };
            Agent {
                bot_id: rng.guid(),
                agent_id: format!("CopilotStudio.Custom.{schema_name}"),
                schema_name,
                display_name: numbered(&[display], n / AGENT_NAMES.len(), " "),
                environment,
            }
        })
        .collect()
}

/// Name `n` of a list that may run out: `Help Desk`, then `Help Desk 2`, `Help Desk 3`...
fn numbered(names: &[&str], n: usize, separator: &str) -> String {
    let base = names[n % names.len()];
    match n / names.len() {
        0 => base.to_string(),
        round => format!("{base}{separator}{}", round + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::is_guid;

    const TENANT: &str = "7D2B9F3E-1C4A-4F6B-9E2D-3A5C8B1F0E47";

    fn directory(environments: usize, agents: usize) -> Directory {
        let config = GeneratorConfig {
            environments,
            agents,
            ..GeneratorConfig::default()
        };
        Directory::generate(7, TENANT, "contoso.onmicrosoft.com", &config)
    }

    /// The environments `directory(count, _)` draws.
    fn drawn_environments(count: usize) -> Vec<Environment> {
        environments(&mut SplitMix64::derived(7, &[DIRECTORY]), TENANT, count)
    }

    #[test]
    fn the_first_environment_is_the_default_one_and_names_run_on() {
        let (d, all) = (directory(8, 4), drawn_environments(8));
        assert_eq!(all[0].id, format!("Default-{}", TENANT.to_lowercase()));
        assert_eq!(all[0].name, "Contoso (default)");
        assert!(
            all[1..]
                .iter()
                .all(|e| is_guid(&e.id) && e.id == e.id.to_lowercase())
        );
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names[6..], ["Contoso (default) 2", "Sales – EMEA 2"]);
        assert!(d.flows.iter().all(|f| all.contains(&f.environment)));
        assert!(d.apps.iter().all(|a| all.contains(&a.environment)));
    }

    #[test]
    fn agents_have_three_kinds_of_id() {
        let (d, all) = (directory(3, 7), drawn_environments(3));
        assert_eq!(d.agents[0].environment, all[0]);
        for agent in &d.agents {
            assert!(is_guid(&agent.bot_id));
            assert!(agent.schema_name.starts_with("cr") && agent.schema_name[5..].starts_with('_'));
            assert_eq!(
                agent.agent_id,
                format!("CopilotStudio.Custom.{}", agent.schema_name)
            );
            assert!(all.contains(&agent.environment));
        }
        assert_eq!(d.agents[5].display_name, "Help Desk Agent 2");
        assert!(d.agents[5].schema_name.ends_with("_helpdeskAgent2"));
    }

    #[test]
    fn agents_and_environment_names_leave_the_other_ids_alone() {
        let (few, many) = (directory(3, 1), directory(3, 9));
        assert_eq!(few.users[4].key, many.users[4].key);
        assert_eq!(few.apps[4].id, many.apps[4].id);
        assert_eq!(few.flows[4].id, many.flows[4].id);
    }
}
