//! The client's credential: a client secret, or a client assertion (a JWT
//! signed with the app's certificate).

use super::assertion::{self, Endpoint};
use super::checks::Form;
use super::error::Rejection;
use crate::config::EmulatorConfig;
use crate::state::State;

/// What a client sent to prove it is the app.
enum Credential<'f> {
    Secret(&'f str),
    Assertion(&'f str),
}

/// Passes when the credential the client sent is the app's.
pub(super) fn check(
    state: &State,
    endpoint: &Endpoint,
    client_id: &str,
    form: &Form,
) -> Result<(), Rejection> {
    match presented(form)? {
        Credential::Secret(secret) => verify_secret(&state.config, client_id, secret),
        Credential::Assertion(jwt) => assertion::verify(state, endpoint, client_id, form, jwt),
    }
}

/// A secret is looked at first when both are sent.
fn presented(form: &Form) -> Result<Credential<'_>, Rejection> {
    if let Some(secret) = form.get("client_secret") {
        return Ok(Credential::Secret(secret));
    }
    if let Some(assertion) = form.get("client_assertion") {
        return Ok(Credential::Assertion(assertion));
    }
    Err(Rejection::invalid_client(
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or \
         'client_secret'.",
    ))
}

fn verify_secret(config: &EmulatorConfig, client_id: &str, secret: &str) -> Result<(), Rejection> {
    if secret == config.client_secret {
        return Ok(());
    }
    Err(Rejection::invalid_client(
        7000215,
        format!(
            "Invalid client secret provided. Ensure the secret being sent in the request \
             is the client secret value, not the client secret ID, for a secret added to \
             app '{client_id}'."
        ),
    ))
}
