//! Power Platform records, in the shapes Microsoft sends them: app launches
//! (RecordType 256, or the older RecordType 45 shape), flow changes, and app
//! permission edits and deletions.

use super::directory::{App, User};
use super::{Generator, HOT_USER, RecordContext, client_ip};
use crate::records::*;
use crate::rng::SplitMix64;

/// Who a record is about, drawn before what they did.
struct Actor<'g> {
    user: &'g User,
    /// The UPN as this record spells it.
    upn: String,
    ip: String,
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
        if draw < 0.70 {
            self.app_launch(rng, ctx, actor)
        } else if draw < 0.88 {
            self.flow_event(rng, ctx, actor)
        } else if draw < 0.96 {
            permission_edit(ctx, actor, self.app(rng))
        } else {
            deletion(ctx, actor, self.retiring_app(rng))
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
        let operation = match rng.below(10) {
            0..=2 => "CreateFlow",
            3..=8 => "EditFlow",
            _ => "DeleteFlow",
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
            flow_details_url: format!("https://make.powerautomate.com/flows/{}", flow.id),
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
        environment_name: app.environment_id.clone(),
        app_session_id: rng.guid(),
        app_display_name: app.display_name.clone(),
    })
}

fn launch(rng: &mut SplitMix64, ctx: RecordContext, actor: Actor, app: &App) -> Record {
    let role = *rng.pick(&["Maker", "User", "Owner"]);
    Record::PowerPlatformLaunch(PowerPlatformLaunch {
        property_collection: vec![
            prop(PROP_APP_DISPLAY_NAME, &app.display_name),
            prop(PROP_APP_ID, &app.id),
            prop(PROP_ENVIRONMENT_ID, &app.environment_id),
            prop(PROP_RESOURCE_TYPE, "PowerApp"),
            prop(PROP_ACTIVITY_NAME, "LaunchPowerApp"),
            prop(PROP_PRINCIPAL_NAME, &actor.upn),
            prop(PROP_ENDUSER_ID, &actor.user.key),
            prop(PROP_ENDUSER_ROLE, role),
            prop(PROP_TENANT_ID, &ctx.organization_id),
        ],
        environment_id: app.environment_id.clone(),
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
        prop(PROP_ENVIRONMENT_ID, &app.environment_id),
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
