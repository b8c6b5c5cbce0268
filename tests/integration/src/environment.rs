//! The environment a function is started with: the emulated tenant's variables, and edits to
//! a variable list.

/// The variables that point a function at an emulated tenant.
pub fn tenant_env(emulator: &o365_emulator::Emulator) -> Vec<(String, String)> {
    vec![
        (
            "AUDIT_LOGS_TENANT_ID".into(),
            emulator.tenant_id().to_string(),
        ),
        (
            "AUDIT_LOGS_CLIENT_ID".into(),
            emulator.client_id().to_string(),
        ),
        (
            "AUDIT_LOGS_CLIENT_SECRET".into(),
            emulator.client_secret().to_string(),
        ),
        ("AUDIT_LOGS_AUDIENCE".into(), emulator.base_url()),
        ("AUDIT_LOGS_AUTHORITY".into(), emulator.base_url()),
        // Tests stay quick when a retry budget runs out on purpose.
        ("AUDIT_LOGS_RETRY_BASE_MS".into(), "20".into()),
    ]
}

/// Replaces or adds variables in an environment list.
pub fn with_vars(mut env: Vec<(String, String)>, vars: &[(&str, &str)]) -> Vec<(String, String)> {
    for (key, value) in vars {
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    env
}

pub fn without_vars(mut env: Vec<(String, String)>, keys: &[&str]) -> Vec<(String, String)> {
    env.retain(|(k, _)| !keys.contains(&k.as_str()));
    env
}
