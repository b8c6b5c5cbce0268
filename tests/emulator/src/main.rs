//! `o365-emulator`: runs the emulator as a process for tests in other
//! processes. Prints one JSON line to stdout once listening, logs to stderr,
//! and serves until SIGTERM or SIGINT.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use o365_emulator::{ContentType, Emulator, EmulatorConfig, NextPageHeader, TestCertificate};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
usage: o365-emulator [options]
       o365-emulator --make-certificate DIR
                            write a new test certificate (cert.pem) and its RSA 2048 key
                            (key.pem, PKCS#8) into DIR, print their paths and thumbprints
                            as one JSON line, and exit

server:
  --port N                  port on 127.0.0.1 (default 0: ephemeral)
  --page-size N             items per content page, 0 = unlimited (default 100)
  --next-page-header NAME   NextPageUri (default) or NextPageUrl
  --shuffle                 shuffle the items of each content page
  --token-lifetime SECS     token lifetime (default 3599)
  --foreign-host HOST       host named by foreign_* faults (default evil.example.com)
  --subscribe TYPES         comma-separated content types to pre-enable, or 'all'
  --audit-log-disabled      every API call answers AF20012
  --no-permission           every API call answers AF10001

identity:
  --tenant-id GUID  --client-id GUID  --client-secret SECRET
  --client-certificate PEM-FILE   a certificate registered on the app, whose key may sign
                            client assertions (repeatable: a rotation registers two)
  --allow-assertion-replay  accept a client assertion's jti more than once, as Entra does

content:
  --seed N                  (default 42)
  --anchor RFC3339          reference time (default: now truncated to the hour)
  --hours N                 hours of history before the anchor (default 48)
  --hours-after N           hours of content after the anchor (default 0)
  --content-types TYPES     comma-separated (default: all five)
  --apps N  --users N  --environments N  --flows N  --agents N
  --blobs-per-hour N        per content type (default 6)
  --records-per-blob N|MIN-MAX   (default 50)
  --large-blobs COUNT:RECORDS    COUNT blobs an hour (per type) hold RECORDS records (default none)
  --pp-fraction F           Power Platform share of Audit.General (default 0.3)
  --legacy-fraction F       launches in the RecordType 45 shape (default 0.25)
  --duplicate-rate F        (default 0.05)
  --late-rate F             (default 0.1)
  --max-late-secs N         (default 21600)
  --case-variation-rate F   (default 0.1)
  --malformed-rate F        (default 0)
  --lazy                    generate blob bodies on demand

stdout: {\"base_url\":..,\"tenant_id\":..,\"client_id\":..,\"client_secret\":..}
";

fn parse<T: FromStr>(flag: &str, value: Option<String>) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value.parse().map_err(|e| format!("{flag} {value:?}: {e}"))
}

fn content_types(flag: &str, value: Option<String>) -> Result<Vec<ContentType>, String> {
    let value: String = parse(flag, value)?;
    if value == "all" {
        return Ok(ContentType::ALL.to_vec());
    }
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().map_err(|e| format!("{flag}: {e}")))
        .collect()
}

/// What the command line asks for.
enum Command {
    Serve(Box<EmulatorConfig>),
    Help,
    MakeCertificate(PathBuf),
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut config = EmulatorConfig::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, mut inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let mut value = || inline.take().or_else(|| args.next());
        if flag == "--make-certificate" {
            return Ok(Command::MakeCertificate(parse(&flag, value())?));
        }
        if !server_flag(&mut config, &flag, &mut value)?
            && !content_flag(&mut config, &flag, &mut value)?
        {
            return Err(format!("unknown argument {flag:?}"));
        }
        if inline.is_some() {
            return Err(format!("{flag} takes no value"));
        }
    }
    Ok(Command::Serve(Box::new(config)))
}

/// The server and identity flags; `false` when `flag` is not one of them.
fn server_flag(
    config: &mut EmulatorConfig,
    flag: &str,
    mut value: impl FnMut() -> Option<String>,
) -> Result<bool, String> {
    match flag {
        "--port" => config.port = parse(flag, value())?,
        "--page-size" => config.page_size = parse(flag, value())?,
        "--next-page-header" => config.next_page_header = next_page_header(flag, value())?,
        "--shuffle" => config.shuffle_listing = true,
        "--token-lifetime" => config.token_lifetime_secs = parse(flag, value())?,
        "--foreign-host" => config.foreign_host = parse(flag, value())?,
        "--subscribe" => config.subscriptions_enabled = content_types(flag, value())?,
        "--audit-log-disabled" => config.audit_log_enabled = false,
        "--no-permission" => config.has_permission = false,
        "--tenant-id" => config.tenant_id = parse(flag, value())?,
        "--client-id" => config.client_id = parse(flag, value())?,
        "--client-secret" => config.client_secret = parse(flag, value())?,
        "--client-certificate" => config.client_certificates.push(read_file(flag, value())?),
        "--allow-assertion-replay" => config.reject_assertion_replay = false,
        _ => return Ok(false),
    }
    Ok(true)
}

/// The content flags; `false` when `flag` is not one of them.
fn content_flag(
    config: &mut EmulatorConfig,
    flag: &str,
    mut value: impl FnMut() -> Option<String>,
) -> Result<bool, String> {
    let g = &mut config.generator;
    match flag {
        "--seed" => config.seed = parse(flag, value())?,
        "--anchor" => g.anchor = Some(anchor(flag, value())?),
        "--hours" => g.hours_before = parse(flag, value())?,
        "--hours-after" => g.hours_after = parse(flag, value())?,
        "--content-types" => g.content_types = content_types(flag, value())?,
        "--apps" => g.apps = parse(flag, value())?,
        "--users" => g.users = parse(flag, value())?,
        "--environments" => g.environments = parse(flag, value())?,
        "--flows" => g.flows = parse(flag, value())?,
        "--agents" => g.agents = parse(flag, value())?,
        "--blobs-per-hour" => g.blobs_per_hour = parse(flag, value())?,
        "--records-per-blob" => {
            let text: String = parse(flag, value())?;
            let (min, max) = text.split_once('-').unwrap_or((&text, &text));
            g.records_per_blob_min = parse(flag, Some(min.to_string()))?;
            g.records_per_blob_max = parse(flag, Some(max.to_string()))?;
        }
        "--large-blobs" => {
            let text: String = parse(flag, value())?;
            let (count, records) = text
                .split_once(':')
                .ok_or_else(|| format!("{flag} takes COUNT:RECORDS, not {text:?}"))?;
            g.large_blobs_per_hour = parse(flag, Some(count.to_string()))?;
            g.large_blob_records = parse(flag, Some(records.to_string()))?;
        }
        "--pp-fraction" => g.power_platform_fraction = parse(flag, value())?,
        "--legacy-fraction" => g.legacy_launch_fraction = parse(flag, value())?,
        "--duplicate-rate" => g.duplicate_rate = parse(flag, value())?,
        "--late-rate" => g.late_rate = parse(flag, value())?,
        "--max-late-secs" => g.max_late_secs = parse(flag, value())?,
        "--case-variation-rate" => g.user_case_variation_rate = parse(flag, value())?,
        "--malformed-rate" => g.malformed_rate = parse(flag, value())?,
        "--lazy" => g.lazy = true,
        _ => return Ok(false),
    }
    Ok(true)
}

fn read_file(flag: &str, value: Option<String>) -> Result<String, String> {
    let path: String = parse(flag, value)?;
    std::fs::read_to_string(&path).map_err(|e| format!("{flag} {path:?}: {e}"))
}

/// The one line `--make-certificate` prints.
#[derive(serde::Serialize)]
struct Made {
    certificate: PathBuf,
    private_key: PathBuf,
    sha256_thumbprint: String,
    sha1_thumbprint: String,
}

fn make_certificate(dir: PathBuf) -> ExitCode {
    let certificate = TestCertificate::generate();
    let (cert_path, key_path) = match certificate.write_to_dir(&dir) {
        Ok(paths) => paths,
        Err(e) => {
            eprintln!("o365-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let made = Made {
        certificate: cert_path,
        private_key: key_path,
        sha256_thumbprint: certificate.sha256_thumbprint,
        sha1_thumbprint: certificate.sha1_thumbprint,
    };
    println!(
        "{}",
        serde_json::to_string(&made).expect("paths and strings serialize")
    );
    ExitCode::SUCCESS
}

fn next_page_header(flag: &str, value: Option<String>) -> Result<NextPageHeader, String> {
    match parse::<String>(flag, value)?.as_str() {
        "NextPageUri" => Ok(NextPageHeader::NextPageUri),
        "NextPageUrl" => Ok(NextPageHeader::NextPageUrl),
        other => Err(format!("--next-page-header: unknown {other:?}")),
    }
}

fn anchor(flag: &str, value: Option<String>) -> Result<time::OffsetDateTime, String> {
    let text: String = parse(flag, value)?;
    time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("--anchor {text:?}: {e}"))
}

/// The one line printed on stdout once listening (a struct keeps the order).
#[derive(serde::Serialize)]
struct Ready<'a> {
    base_url: String,
    tenant_id: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                tokio::select! {
                    _ = sigterm.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Serve(config)) => *config,
        Ok(Command::MakeCertificate(dir)) => return make_certificate(dir),
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("o365-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("o365-emulator: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ready = Ready {
        base_url: emulator.base_url(),
        tenant_id: emulator.tenant_id(),
        client_id: emulator.client_id(),
        client_secret: emulator.client_secret(),
    };
    let line = serde_json::to_string(&ready).expect("strings serialize");
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);

    terminated().await;
    tracing::info!("shutting down");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str) -> Result<Command, String> {
        parse_args(line.split_whitespace().map(str::to_string))
    }

    /// The configuration to serve with, `None` for help.
    fn args(line: &str) -> Result<Option<EmulatorConfig>, String> {
        command(line).map(|command| match command {
            Command::Serve(config) => Some(*config),
            Command::Help => None,
            Command::MakeCertificate(_) => panic!("{line}: not a serve command"),
        })
    }

    #[test]
    fn flags() {
        let config =
            args("--port 0 --seed=7 --hours 200 --records-per-blob 10-20 --lazy --subscribe all")
                .unwrap()
                .unwrap();
        assert_eq!(config.seed, 7);
        assert_eq!(config.generator.hours_before, 200);
        assert_eq!(config.generator.records_per_blob_min, 10);
        assert_eq!(config.generator.records_per_blob_max, 20);
        assert!(config.generator.lazy);
        assert_eq!(config.subscriptions_enabled.len(), 5);
        assert_eq!(args("--agents 9").unwrap().unwrap().generator.agents, 9);
        let large = args("--large-blobs 2:30000").unwrap().unwrap();
        assert_eq!(large.generator.large_blobs_per_hour, 2);
        assert_eq!(large.generator.large_blob_records, 30_000);
        assert!(args("--large-blobs 2").is_err());
        assert!(args("--help").unwrap().is_none());
        assert!(args("--bogus").is_err());
        assert!(args("--lazy=1").is_err());
        assert!(args("--port").is_err());
        assert!(args("--content-types Audit.Nope").is_err());
    }

    #[test]
    fn certificate_flags() {
        let dir = std::env::temp_dir().join(format!("o365-emulator-cli-{}", std::process::id()));
        let certificate = TestCertificate::generate();
        let (cert_path, _) = certificate.write_to_dir(&dir).unwrap();
        let line = format!(
            "--client-certificate {0} --client-certificate={0} --allow-assertion-replay",
            cert_path.display()
        );
        let config = args(&line).unwrap().unwrap();
        assert_eq!(config.client_certificates.len(), 2);
        assert_eq!(config.client_certificates[0], certificate.certificate_pem);
        assert!(!config.reject_assertion_replay);
        assert!(args("--client-certificate /nonexistent/cert.pem").is_err());
        match command("--make-certificate /tmp/x").unwrap() {
            Command::MakeCertificate(dir) => assert_eq!(dir, PathBuf::from("/tmp/x")),
            _ => panic!("not --make-certificate"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
