//! Cold starts and deploy sizes of the three functions.

use std::fmt::Write;

use super::format::table;
use crate::cold::ColdResult;

pub fn cold_starts(out: &mut String, cold: &[ColdResult], runs: usize) {
    out.push_str("### Cold start and deploy size\n\n");
    let rows: Vec<Vec<String>> = cold.iter().map(cold_row).collect();
    table(
        out,
        &[
            "function, first invocation",
            "start → first `/next` ms (median / max)",
            "start → first reply ms (median / max)",
            "reply",
            "arm64 zip MiB",
        ],
        &rows,
    );
    let built = cold
        .iter()
        .filter_map(|c| c.zip_built)
        .min()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map_or(String::new(), |t| format!(", built {t}"));
    let _ = writeln!(
        out,
        "{runs} cold starts each of the x86_64 release binary against a minimal Lambda Runtime API \
         on loopback, plain secret, emulator and black-hole DynamoDB on loopback. Zip sizes are \
         those of `target/lambda-arm64/*/bootstrap.zip` from `make package`{built}.\n",
    );
}

fn cold_row(c: &ColdResult) -> Vec<String> {
    let zip = c
        .zip_bytes
        .map_or("not built (`make package`)".into(), |b| {
            format!("{:.2}", b as f64 / 1024.0 / 1024.0)
        });
    if let Some(missing) = &c.missing {
        return vec![
            c.function.into(),
            missing.clone(),
            "–".into(),
            "–".into(),
            zip,
        ];
    }
    let (init_med, init_max) = c.init_ms();
    let (reply_med, reply_max) = c.first_reply_ms();
    vec![
        format!("{} `{}`", c.function, c.invocation),
        format!("{init_med:.1} / {init_max:.1}"),
        format!("{reply_med:.1} / {reply_max:.1}"),
        reply(c),
        zip,
    ]
}

/// `ok`, or the start of the first reply that was an error.
fn reply(c: &ColdResult) -> String {
    match c.runs.iter().find(|r| !r.ok) {
        None => "ok".into(),
        Some(failed) => format!(
            "error: {}",
            failed.reply.chars().take(120).collect::<String>()
        ),
    }
}
