//! Builds the Management API client once per cold start: the secret is read once and the token
//! cache lives as long as the process.

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::api::ManagementClient;
use crate::auth::TokenProvider;
use crate::config::Config;
use crate::http::http_client;
use crate::secret::{
    ClientCredential, SecretError, SecretSource, fetch_certificate, fetch_from_secrets_manager,
};

/// The AWS SDK configuration from the standard sources (`AWS_REGION`, `AWS_ENDPOINT_URL`, the
/// function's role, ...).
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// Reads the credential from where the configuration says. A certificate is checked here
/// (key and certificate belong together, RSA of 2048 bits or more, not expired), so a bad one
/// is reported before any token request.
pub async fn resolve_credential(
    source: &SecretSource,
    aws: &OnceCell<aws_config::SdkConfig>,
) -> Result<ClientCredential, SecretError> {
    // Loaded only for Secrets Manager: with a plain secret the subscription function needs no
    // AWS at all.
    let client =
        || async { aws_sdk_secretsmanager::Client::new(aws.get_or_init(aws_config).await) };
    match source {
        SecretSource::Plain(secret) => Ok(ClientCredential::Secret(secret.clone())),
        SecretSource::SecretsManager(secret) => {
            let value = fetch_from_secrets_manager(&client().await, secret).await?;
            Ok(ClientCredential::Secret(value))
        }
        SecretSource::Certificate(secret) => {
            let certificate = fetch_certificate(&client().await, secret).await?;
            tracing::info!(
                thumbprint = certificate.thumbprint(),
                not_after = %certificate.not_after(),
                "certificate credential read"
            );
            Ok(ClientCredential::Certificate(Arc::new(certificate)))
        }
    }
}

/// The configuration plus a lazily built, cached API client. A failure (a missing secret, say)
/// is not cached, so the next invocation tries again after the admin fixes it.
pub struct ApiSession {
    /// The API configuration (tenant, app registration, cloud, content types), read at cold
    /// start.
    pub config: Config,
    aws: OnceCell<aws_config::SdkConfig>,
    client: OnceCell<Arc<ManagementClient>>,
}

impl ApiSession {
    /// A session for `config`; nothing is read or built until first used.
    pub fn new(config: Config) -> ApiSession {
        ApiSession {
            config,
            aws: OnceCell::new(),
            client: OnceCell::new(),
        }
    }

    /// The AWS SDK configuration from the standard sources, loaded once on first use.
    pub async fn aws(&self) -> &aws_config::SdkConfig {
        self.aws.get_or_init(aws_config).await
    }

    /// The API client: built on first use (the secret is read then), and the same one for the
    /// rest of the process. A failure is returned, not kept: the next call tries again.
    pub async fn client(&self) -> Result<Arc<ManagementClient>, SecretError> {
        let client = self
            .client
            .get_or_try_init(|| async {
                let credential = resolve_credential(&self.config.secret, &self.aws).await?;
                let http = http_client();
                let tokens = Arc::new(TokenProvider::new(http.clone(), &self.config, credential));
                Ok::<_, SecretError>(Arc::new(ManagementClient::new(http, &self.config, tokens)))
            })
            .await?;
        Ok(client.clone())
    }
}
