//! Power Platform records, in the shapes Microsoft sends them: app launches
//! (RecordType 256, or the older RecordType 45 shape), flow changes, and app
//! permission edits and deletions; Copilot's records are in `copilot.rs`.

use super::directory::{App, User};
use super::{Generator, HOT_USER, RecordContext, client_ip};
use crate::records::*;
use crate::rng::SplitMix64;

/// Shares of the Power Platform records that are Copilot interactions, with agents and with
/// Microsoft 365 Copilot (`0.77..0.92` and `0.92..0.97` in the mix below).
pub(super) const AGENT_INTERACTION_SHARE: f64 = 0.15;
pub(super) const M365_COPILOT_SHARE: f64 = 0.05;

/// Who a record is about, drawn before what they did.
pub(super) struct Actor<'g> {
    pub user: &'g User,
    /// The UPN as this record spells it.
    pub upn: String,
    pub ip: String,
}

impl Generator {
    pub(super) fn power_platform_record(&self, rng: &mut SplitMix64, ctx: RecordContext) -> Record {
        let (user, upn) = self.user(rng);
        let actor = Actor {
            user,
            upn,
            ip: client_ip(rng),
        };
        let draw = rng.next_f64();
        if draw < 0.55 {
            self.app_launch(rng, ctx, actor)
        } else if draw < 0.68 {
            self.flow_event(rng, ctx, actor)
        } else if draw < 0.74 {
            permission_edit(ctx, actor, self.app(rng))
        } else if draw < 0.77 {
            deletion(ctx, actor, self.retiring_app(rng))
        } else if draw < 0.77 + AGENT_INTERACTION_SHARE {
            self.agent_interaction(rng, ctx, actor)
        } else if draw < 0.77 + AGENT_INTERACTION_SHARE + M365_COPILOT_SHARE {
            self.m365_copilot(rng, ctx, actor)
        } else {
            self.bot_event(rng, ctx, actor)
        }
    }

    fn app_launch(&self, rng: &mut SplitMix64, ctx: RecordContext, actor: Actor) -> Record {
        let app = self.app(rng);
        if rng.chance(self.config.legacy_launch_fraction) {
            legacy_launch(rng, ctx, actor, app)
        } else {
            launch(rng, ctx, actor, app)
        }
    }

    fn flow_event(&self, rng: &mut SplitMix64, ctx: RecordContext, actor: Actor) -> Record {
        let flow = rng.pick(&self.directory.flows);
        // Deletions about 1 in 12; permission changes rarer than edits.
        let operation = match rng.below(24) {
            0..=5 => "CreateFlow",
            6..=16 => "EditFlow",
            17..=19 => "PutPermissions",
            20..=21 => "DeleteFlow",
            _ => "DeletePermissions",
        };
        Record::Flow(FlowEvent {
            id: ctx.id,
            creation_time: ctx.creation_time,
            organization_id: ctx.organization_id,
            user_type: 0,
            user_key: actor.user.key.clone(),
            user_id: actor.upn,
            client_ip: actor.ip,
            result_status: "Succeeded",
            record_type: 30,
            workload: "MicrosoftFlow",
            operation,
            flow_details_url: format!(
                "https://make.powerautomate.com/environments/{}/flows/{}/details",
                flow.environment.id, flow.id
            ),
        })
    }

    /// Launch `ordinal` of the hot app-day: the directory's first app, by the hot user the
    /// ordinal names, so that the day's distinct users are exactly `min(users, launches)`.
    pub(super) fn hot_launch(
        &self,
        rng: &mut SplitMix64,
        ctx: RecordContext,
        ordinal: u32,
    ) -> Record {
        let users = self.config.hot_app.map_or(1, |hot| hot.users.max(1));
        let number = ordinal % users + 1;
        let user = User {
            upn: format!("hot{number:06}@{}", self.domain),
            key: SplitMix64::derived(self.seed, &[HOT_USER, u64::from(number)]).guid(),
        };
        let upn = self.spelled(&user.upn, rng);
        let actor = Actor {
            user: &user,
            upn,
            ip: client_ip(rng),
        };
        let app = &self.directory.apps[0];
        if rng.chance(self.config.legacy_launch_fraction) {
            legacy_launch(rng, ctx, actor, app)
        } else {
            launch(rng, ctx, actor, app)
        }
    }

    /// Real tenants delete few apps: deletions only ever hit the last tenth of the directory.
    fn retiring_app(&self, rng: &mut SplitMix64) -> &App {
        let apps = &self.directory.apps;
        let retiring = (apps.len() / 10).max(1) as u64;
        &apps[apps.len() - 1 - rng.below(retiring) as usize]
    }
}

fn legacy_launch(rng: &mut SplitMix64, ctx: RecordContext, actor: Actor, app: &App) -> Record {
    Record::LegacyLaunch(LegacyLaunch {
        id: ctx.id,
        record_type: 45,
        creation_time: ctx.creation_time,
        operation: "LaunchPowerApp",
        organization_id: ctx.organization_id,
        user_type: 0,
        user_key: actor.user.key.clone(),
        workload: "PowerApps",
        result_status: "Succeeded",
        object_id: app.id.clone(),
        user_id: actor.upn,
        client_ip: actor.ip,
        app_name: app.id.clone(),
        // Microsoft sends the environment's id here, not its name.
        environment_name: app.environment.id.clone(),
        app_session_id: rng.guid(),
        app_display_name: app.display_name.clone(),
    })
}

/// Share of current-shape launches without the environment's name: real tenants are uneven.
const UNNAMED_ENVIRONMENT_RATE: f64 = 0.1;

fn launch(rng: &mut SplitMix64, ctx: RecordContext, actor: Actor, app: &App) -> Record {
    let role = *rng.pick(&["Maker", "User", "Owner"]);
    let environment = &app.environment;
    let mut property_collection = vec![
        prop(PROP_APP_DISPLAY_NAME, &app.display_name),
        prop(PROP_APP_ID, &app.id),
        prop(PROP_ENVIRONMENT_ID, &environment.id),
        prop(PROP_ENVIRONMENT_NAME, &environment.name),
        prop(PROP_RESOURCE_TYPE, "PowerApp"),
        prop(PROP_ACTIVITY_NAME, "LaunchPowerApp"),
        prop(PROP_PRINCIPAL_NAME, &actor.upn),
        prop(PROP_ENDUSER_ID, &actor.user.key),
        prop(PROP_ENDUSER_ROLE, role),
        prop(PROP_TENANT_ID, &ctx.organization_id),
    ];
    // Drawn last, so that the draws above keep their values.
    if rng.chance(UNNAMED_ENVIRONMENT_RATE) {
        property_collection.retain(|p| p.name != PROP_ENVIRONMENT_NAME);
    }
    Record::PowerPlatformLaunch(PowerPlatformLaunch {
        property_collection,
        environment_id: environment.id.clone(),
        user_id: actor.upn,
        client_ip: actor.ip,
        id: ctx.id,
        record_type: 256,
        creation_time: ctx.creation_time,
        operation: "LaunchPowerApp",
        organization_id: ctx.organization_id,
        user_type: 0,
        user_key: actor.user.key.clone(),
        workload: "PowerPlatform",
        result_status: "Succeeded",
        version: 1,
        requires_customer_key_encryption: false,
    })
}

fn permission_edit(ctx: RecordContext, actor: Actor, app: &App) -> Record {
    let properties = vec![
        prop(PROP_APP_ID, &app.id),
        prop(PROP_APP_DISPLAY_NAME, &app.display_name),
        prop(PROP_ENVIRONMENT_ID, &app.environment.id),
        prop(PROP_RESOURCE_TYPE, "PowerApp"),
        prop(PROP_ACTIVITY_NAME, "PowerAppPermissionEdited"),
        prop(PROP_PRINCIPAL_NAME, &actor.upn),
    ];
    app_event(ctx, actor, "PowerAppPermissionEdited", properties)
}

fn deletion(ctx: RecordContext, actor: Actor, app: &App) -> Record {
    let properties = vec![
        prop(PROP_APP_ID, &app.id),
        prop(PROP_RESOURCE_TYPE, "PowerApp"),
    ];
    app_event(ctx, actor, "DeletePowerApp", properties)
}

fn app_event(
    ctx: RecordContext,
    actor: Actor,
    operation: &'static str,
    property_collection: Vec<NameValue>,
) -> Record {
    Record::PowerPlatformAppEvent(PowerPlatformAppEvent {
        id: ctx.id,
        creation_time: ctx.creation_time,
        organization_id: ctx.organization_id,
        user_type: 0,
        user_key: actor.user.key.clone(),
        user_id: actor.upn,
        client_ip: actor.ip,
        result_status: "Succeeded",
        record_type: 256,
        workload: "PowerPlatform",
        operation,
        property_collection,
    })
}

fn prop(name: &'static str, value: &str) -> NameValue {
    NameValue {
        name,
        value: value.to_string(),
    }
}
