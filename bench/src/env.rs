//! The environment of a measured child process: the tenant's API settings and the DynamoDB
//! endpoint and tables, as the functions read them in Lambda.

use o365_emulator::Emulator;

pub type Env = Vec<(String, String)>;

pub fn tenant_env(emulator: &Emulator) -> Env {
    let base = emulator.base_url();
    pairs(&[
        ("AUDIT_LOGS_TENANT_ID", emulator.tenant_id()),
        ("AUDIT_LOGS_CLIENT_ID", emulator.client_id()),
        ("AUDIT_LOGS_CLIENT_SECRET", emulator.client_secret()),
        ("AUDIT_LOGS_AUDIENCE", base.as_str()),
        ("AUDIT_LOGS_AUTHORITY", base.as_str()),
        ("AUDIT_LOGS_CONTENT_TYPES", "Audit.General"),
    ])
}

pub fn aws_env(endpoint: &str, events: &str, state: &str) -> Env {
    pairs(&[
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AUDIT_LOGS_TABLE", events),
        ("AUDIT_LOGS_STATE_TABLE", state),
    ])
}

/// `env` with each of `extra` set, replacing what it had under that name.
pub fn with(mut env: Env, extra: &[(&str, &str)]) -> Env {
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.to_string()));
    }
    env
}

fn pairs(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_replaced_not_repeated() {
        let env = with(
            aws_env("http://x", "e", "s"),
            &[("AWS_REGION", "eu-west-1")],
        );
        let regions: Vec<&str> = env
            .iter()
            .filter(|(k, _)| k == "AWS_REGION")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(regions, ["eu-west-1"]);
        assert_eq!(env.len(), 7);
    }
}
