//! Every view of `audit-report` (environments, users, one user's apps, agents, flows, and the
//! apps' environments and production bar) equals what the emulator's truth implies, after real
//! syncs into moto, through the function binaries. The expected numbers are worked out here
//! from the records alone.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Fixture, day_range, is_agent_authoring, is_agent_turn, small_tenant};
use integration_tests::invoke;
use o365_emulator::{EmulatorConfig, GeneratorConfig, TruthRecord};
use serde_json::{Value, json};

const REPORT: &str = "audit-report";

fn tenant() -> EmulatorConfig {
    let base = small_tenant();
    EmulatorConfig {
        generator: GeneratorConfig {
            power_platform_fraction: 0.7,
            agents: 5,
            ..base.generator
        },
        ..base
    }
}

/// The reply, without the tenant it names (the variables' tenant here, checked once).
async fn view(fx: &Fixture, event: Value) -> Value {
    let mut reply = invoke(REPORT, &fx.env, &event).await.ok().clone();
    let tenant = reply.as_object_mut().unwrap().remove("tenant");
    assert_eq!(tenant, Some(json!(fx.tenant.tenant_id())), "{event}");
    reply
}

fn time(r: &TruthRecord) -> String {
    format!("{}Z", &r.creation_time[..19])
}

fn day(r: &TruthRecord) -> &str {
    &r.creation_time[..10]
}

fn user(r: &TruthRecord) -> String {
    r.user_id_normalized()
        .expect("generated records name their user")
}

fn newest(slot: &mut Option<String>, t: &str) {
    if slot.as_deref().is_none_or(|s| s < t) {
        *slot = Some(t.to_string());
    }
}

fn oldest(slot: &mut Option<String>, t: &str) {
    if slot.as_deref().is_none_or(|s| s > t) {
        *slot = Some(t.to_string());
    }
}

/// A bot's newest name (with its time) and newest deletion.
type Bot = (Option<(String, String)>, Option<String>);

struct Truth {
    records: Vec<TruthRecord>,
    from: String,
    to: String,
}

impl Truth {
    fn in_range(&self, r: &TruthRecord) -> bool {
        (self.from.as_str()..=self.to.as_str()).contains(&day(r))
    }

    fn launches(&self) -> impl Iterator<Item = &TruthRecord> {
        self.records
            .iter()
            .filter(|r| r.is_app_launch() && r.app_id.is_some())
    }

    /// Each app's environment, and each environment's newest name.
    fn environments(&self) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let (mut of_app, mut names) =
            (BTreeMap::new(), BTreeMap::<String, (String, String)>::new());
        for r in self.launches() {
            if let Some(env) = &r.environment_id {
                of_app.insert(r.app_id.clone().unwrap().to_lowercase(), env.clone());
                if let Some(name) = &r.environment_name {
                    let slot = names.entry(env.clone()).or_default();
                    if slot.0 < time(r) {
                        *slot = (time(r), name.clone());
                    }
                }
            }
        }
        (
            of_app,
            names.into_iter().map(|(e, (_, n))| (e, n)).collect(),
        )
    }

    fn expected_environments(&self) -> Value {
        let (of_app, names) = self.environments();
        let mut by_env: BTreeMap<String, (u64, BTreeSet<String>, BTreeSet<String>)> =
            BTreeMap::new();
        let mut all = BTreeSet::new();
        for r in self.launches().filter(|r| self.in_range(r)) {
            let app = r.app_id.clone().unwrap().to_lowercase();
            let env = by_env.entry(of_app[&app].clone()).or_default();
            env.0 += 1;
            env.1.insert(user(r));
            env.2.insert(app);
            all.insert(user(r));
        }
        let mut rows: Vec<Value> = by_env
            .iter()
            .map(|(env, (launches, users, apps))| {
                json!({"environment_id": env, "environment_name": names.get(env), "launches": launches,
                       "unique_users": users.len(), "active_apps": apps.len()})
            })
            .collect();
        rows.sort_by_key(|r| {
            (
                std::cmp::Reverse(r["launches"].as_u64()),
                r["environment_id"].to_string(),
            )
        });
        json!({"view": "environments", "from": self.from, "to": self.to, "environments": rows,
               "totals": {"environments": by_env.len(), "launches": by_env.values().map(|e| e.0).sum::<u64>(),
                          "unique_users": all.len(), "active_apps": by_env.values().map(|e| e.2.len()).sum::<usize>()}})
    }

    /// Per user, per app: launches and the newest in the range.
    fn by_user(&self) -> BTreeMap<String, BTreeMap<String, (u64, Option<String>)>> {
        let mut by_user: BTreeMap<String, BTreeMap<String, (u64, Option<String>)>> =
            BTreeMap::new();
        for r in self.launches().filter(|r| self.in_range(r)) {
            let app = by_user
                .entry(user(r))
                .or_default()
                .entry(r.app_id.clone().unwrap().to_lowercase())
                .or_default();
            app.0 += 1;
            newest(&mut app.1, &time(r));
        }
        by_user
    }

    fn expected_users(&self) -> Value {
        let by_user = self.by_user();
        let mut rows: Vec<Value> = by_user
            .iter()
            .map(|(user, apps)| {
                let last = apps.values().filter_map(|a| a.1.clone()).max();
                json!({"user": user, "launches": apps.values().map(|a| a.0).sum::<u64>(),
                       "apps": apps.len(), "last_launched": last})
            })
            .collect();
        rows.sort_by_key(|r| {
            (
                std::cmp::Reverse(r["launches"].as_u64()),
                r["user"].to_string(),
            )
        });
        let launches: u64 = rows.iter().map(|r| r["launches"].as_u64().unwrap()).sum();
        rows.truncate(50);
        json!({"view": "users", "from": self.from, "to": self.to, "users": rows,
               "totals": {"users": by_user.len(), "launches": launches}})
    }

    fn expected_user_apps(&self, who: &str) -> Value {
        let (of_app, _) = self.environments();
        let mut names: BTreeMap<String, (String, String)> = BTreeMap::new();
        for r in self.launches() {
            if let Some(name) = &r.app_display_name {
                let slot = names
                    .entry(r.app_id.clone().unwrap().to_lowercase())
                    .or_default();
                if slot.0 < time(r) {
                    *slot = (time(r), name.clone());
                }
            }
        }
        let apps = self.by_user().remove(who).unwrap_or_default();
        let mut rows: Vec<Value> = apps
            .iter()
            .map(|(app, (launches, last))| {
                json!({"app_id": app, "app_name": names.get(app).map(|n| &n.1), "environment_id": of_app.get(app),
                       "launches": launches, "last_launched": last})
            })
            .collect();
        rows.sort_by_key(|r| {
            (
                std::cmp::Reverse(r["launches"].as_u64()),
                r["app_id"].to_string(),
            )
        });
        json!({"view": "users", "from": self.from, "to": self.to, "user": who, "apps": rows,
               "launches": apps.values().map(|a| a.0).sum::<u64>()})
    }

    fn expected_agents(&self) -> Value {
        #[derive(Default)]
        struct Agent {
            turns: u64,
            conversations: BTreeSet<String>,
            users: BTreeSet<String>,
            last: Option<String>,
            name: Option<(String, String)>,
            bot: Option<String>,
            env: Option<String>,
        }
        let mut agents: BTreeMap<String, Agent> = BTreeMap::new();
        for r in self.records.iter().filter(|r| is_agent_turn(r)) {
            let agent = agents.entry(r.agent_id.clone().unwrap()).or_default();
            newest(&mut agent.last, &time(r));
            agent.bot = r.bot_id.as_deref().map(str::to_lowercase);
            agent.env = r.environment_id.clone();
            if let Some(name) = &r.agent_name
                && agent.name.as_ref().is_none_or(|(t, _)| *t < time(r))
            {
                agent.name = Some((time(r), name.clone()));
            }
            if self.in_range(r) {
                agent.turns += 1;
                agent.users.insert(user(r));
                agent.conversations.insert(
                    r.conversation_id
                        .clone()
                        .expect("generated turns name their conversation"),
                );
            }
        }
        // The bots' newest names and deletions, from their authoring records.
        let mut bots: BTreeMap<String, Bot> = BTreeMap::new();
        for r in self.records.iter().filter(|r| is_agent_authoring(r)) {
            let bot = bots
                .entry(r.bot_id.clone().unwrap().to_lowercase())
                .or_default();
            if let Some(name) = &r.agent_name
                && bot.0.as_ref().is_none_or(|(t, _)| *t < time(r))
            {
                bot.0 = Some((time(r), name.clone()));
            }
            if r.operation.as_deref() == Some("BotDelete") {
                newest(&mut bot.1, &time(r));
            }
        }
        let mut all_users = BTreeSet::new();
        let mut rows = Vec::new();
        let mut inactive = Vec::new();
        for (id, a) in &agents {
            let bot = a.bot.as_ref().and_then(|b| bots.get(b));
            let name = a
                .name
                .as_ref()
                .map(|n| n.1.clone())
                .or_else(|| bot.and_then(|b| b.0.as_ref().map(|n| n.1.clone())));
            let deleted_at = bot
                .and_then(|b| b.1.clone())
                .filter(|d| a.last.as_ref().is_none_or(|l| d >= l));
            if a.turns > 0 {
                all_users.extend(a.users.iter().cloned());
                let mut row = json!({"agent_id": id, "agent_name": name, "environment_id": a.env,
                    "conversations": a.conversations.len(), "interactions": a.turns, "unique_users": a.users.len(),
                    "last_used": a.last, "deleted": deleted_at.is_some()});
                if let Some(at) = &deleted_at {
                    row["deleted_at"] = json!(at);
                }
                rows.push(row);
            } else if deleted_at.is_none()
                && a.last.as_deref().is_some_and(|l| l[..10] < *self.from)
            {
                inactive.push(json!({"agent_id": id, "agent_name": name, "environment_id": a.env, "last_used": a.last}));
            }
        }
        rows.sort_by_key(|r| {
            (
                std::cmp::Reverse(r["interactions"].as_u64()),
                r["agent_id"].to_string(),
            )
        });
        inactive.sort_by_key(|r| (r["last_used"].to_string(), r["agent_id"].to_string()));
        let sum = |field: &str| rows.iter().map(|r| r[field].as_u64().unwrap()).sum::<u64>();
        json!({"view": "agents", "from": self.from, "to": self.to,
               "totals": {"agents": rows.len(), "interactions": sum("interactions"), "conversations": sum("conversations"),
                          "unique_users": all_users.len()},
               "agents": rows, "inactive_agents": inactive})
    }

    fn expected_flows(&self) -> Value {
        #[derive(Default)]
        struct Flow {
            created: Option<String>,
            modified: Option<String>,
            deleted: Option<String>,
            edits: u64,
            makers: BTreeSet<String>,
            active: bool,
            env: Option<String>,
        }
        let mut flows: BTreeMap<String, Flow> = BTreeMap::new();
        for r in self.records.iter().filter(|r| r.flow_id.is_some()) {
            let op = r.operation.as_deref().unwrap_or("");
            if !matches!(op, "CreateFlow" | "EditFlow" | "DeleteFlow") {
                continue;
            }
            let flow = flows
                .entry(r.flow_id.clone().unwrap().to_lowercase())
                .or_default();
            flow.env = r.environment_id.clone();
            if op == "DeleteFlow" {
                newest(&mut flow.deleted, &time(r));
                continue;
            }
            newest(&mut flow.modified, &time(r));
            if op == "CreateFlow" {
                oldest(&mut flow.created, &time(r));
            }
            if self.in_range(r) {
                flow.active = true;
                flow.makers.insert(user(r));
                flow.edits += u64::from(op == "EditFlow");
            }
        }
        let within = |t: &Option<String>| {
            t.as_deref()
                .is_some_and(|t| (self.from.as_str()..=self.to.as_str()).contains(&&t[..10]))
        };
        let mut rows: Vec<Value> = Vec::new();
        let (mut created, mut deleted) = (0, 0);
        let mut makers = BTreeSet::new();
        for (id, f) in &flows {
            if !(f.active || within(&f.created) || within(&f.deleted)) {
                continue;
            }
            let deleted_at = f
                .deleted
                .clone()
                .filter(|d| f.modified.as_ref().is_none_or(|m| d >= m));
            created += u64::from(within(&f.created));
            deleted += u64::from(within(&deleted_at));
            makers.extend(f.makers.iter().cloned());
            let mut row = json!({"flow_id": id, "flow_name": null, "environment_id": f.env, "created": f.created,
                "last_modified": f.modified, "edits": f.edits, "deleted": deleted_at.is_some(), "makers": f.makers});
            if let Some(at) = deleted_at {
                row["deleted_at"] = json!(at);
            }
            rows.push(row);
        }
        rows.sort_by(|a, b| {
            b["last_modified"]
                .as_str()
                .cmp(&a["last_modified"].as_str())
                .then_with(|| a["flow_id"].as_str().cmp(&b["flow_id"].as_str()))
        });
        json!({"view": "flows", "from": self.from, "to": self.to,
               "totals": {"flows": rows.len(), "edits": rows.iter().map(|r| r["edits"].as_u64().unwrap()).sum::<u64>(),
                          "created": created, "deleted": deleted, "makers": makers.len()},
               "flows": rows})
    }

    /// Per app: environment, its name, and whether a calendar month of the range holds 50
    /// launches or 5 users.
    fn expected_app_extras(&self) -> BTreeMap<String, Value> {
        let (of_app, names) = self.environments();
        let mut months: BTreeMap<(String, String), (u64, BTreeSet<String>)> = BTreeMap::new();
        for r in self.launches().filter(|r| self.in_range(r)) {
            let m = months
                .entry((
                    r.app_id.clone().unwrap().to_lowercase(),
                    r.creation_time[..7].to_string(),
                ))
                .or_default();
            m.0 += 1;
            m.1.insert(user(r));
        }
        let mut extras: BTreeMap<String, Value> = BTreeMap::new();
        for ((app, _), (launches, users)) in &months {
            let env = of_app.get(app);
            let entry = extras.entry(app.clone()).or_insert_with(|| {
                json!({"environment_id": env, "environment_name": env.and_then(|e| names.get(e)), "production": false})
            });
            if *launches >= 50 || users.len() >= 5 {
                entry["production"] = json!(true);
            }
        }
        extras
    }
}

#[tokio::test]
async fn every_view_equals_the_truth() {
    let fx = Fixture::new(tenant()).await;
    fx.sync_ok().await;
    fx.sync_ok().await;
    fx.assert_exactly_the_truth().await;
    let (from, to) = day_range(&fx);
    let truth = Truth {
        records: fx.expected().into_values().collect(),
        from: from.clone(),
        to: to.clone(),
    };
    let all = truth.records.len();
    assert!(
        truth.records.iter().filter(|r| is_agent_turn(r)).count() > 10,
        "{all} records"
    );
    let range = |extra: Value| {
        let mut event = json!({"from": from, "to": to});
        event
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        event
    };

    let environments = view(&fx, range(json!({"view": "environments"}))).await;
    assert!(
        environments["environments"].as_array().unwrap().len() > 1,
        "{environments}"
    );
    assert_eq!(environments, truth.expected_environments());

    let users = view(&fx, range(json!({"view": "users"}))).await;
    assert_eq!(users, truth.expected_users());
    let top = users["users"][0]["user"].as_str().unwrap().to_string();
    // Asked for in another letter case: the same person.
    let one = view(
        &fx,
        range(json!({"view": "users", "user": top.to_uppercase()})),
    )
    .await;
    assert_eq!(one, truth.expected_user_apps(&top));
    assert_eq!(one["launches"], users["users"][0]["launches"]);

    let agents = view(&fx, range(json!({"view": "agents"}))).await;
    assert!(agents["agents"].as_array().unwrap().len() > 1, "{agents}");
    assert!(
        agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["conversations"].as_u64() < a["interactions"].as_u64()),
        "conversations of several turns: {agents}"
    );
    assert_eq!(agents, truth.expected_agents());

    let flows = view(&fx, range(json!({"view": "flows"}))).await;
    let note = flows["note"].as_str().unwrap().to_string();
    assert!(
        note.contains("not in the Microsoft 365 audit log"),
        "{note}"
    );
    let mut without_note = flows.clone();
    without_note.as_object_mut().unwrap().remove("note");
    assert_eq!(without_note, truth.expected_flows());

    // The apps view names each app's environment and production bar.
    let apps = view(&fx, range(json!({}))).await;
    let extras = truth.expected_app_extras();
    for app in apps["apps"].as_array().unwrap() {
        let expected = &extras[app["app_id"].as_str().unwrap()];
        for field in ["environment_id", "environment_name", "production"] {
            assert_eq!(app[field], expected[field], "{} {field}", app["app_id"]);
        }
    }

    // One environment narrows every view to it.
    let env = environments["environments"][1]["environment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let narrowed = view(&fx, range(json!({"environment_id": env.to_uppercase()}))).await;
    assert_eq!(
        narrowed["totals"]["launches"],
        environments["environments"][1]["launches"]
    );
    assert!(
        narrowed["apps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["environment_id"] == json!(env))
    );
    let narrowed_agents = view(&fx, range(json!({"view": "agents", "environment_id": env}))).await;
    assert!(
        narrowed_agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["environment_id"] == json!(env))
    );
    let narrowed_envs = view(
        &fx,
        range(json!({"view": "environments", "environment_id": env})),
    )
    .await;
    assert_eq!(narrowed_envs["environments"].as_array().unwrap().len(), 1);
}
