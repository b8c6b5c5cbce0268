//! The benchmark's settings, from the `BENCH_*` variables (listed in `main.rs`).

use std::path::PathBuf;

use crate::large::LargeOptions;
use crate::tenant::TenantSize;

#[derive(Debug, Clone)]
pub struct Options {
    pub sizes: Vec<TenantSize>,
    pub moto_sizes: Vec<TenantSize>,
    pub latency_ms: u64,
    pub latency_sizes: Vec<TenantSize>,
    pub cold_runs: usize,
    pub lazy: bool,
    /// The large-tenant scenarios; `None` skips them.
    pub large: Option<LargeOptions>,
    pub out: PathBuf,
}

impl Options {
    pub fn from_env() -> Result<Options, String> {
        let var = |name: &str| std::env::var(name).ok();
        let sizes = |name: &str, default: &str| {
            TenantSize::parse_list(&var(name).unwrap_or_else(|| default.to_string()))
        };
        let number = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| format!("{name}={v:?} is not a whole number")),
        };
        Ok(Options {
            sizes: sizes("BENCH_SIZES", "10k,100k,1M,300k-pp80")?,
            moto_sizes: sizes("BENCH_MOTO_SIZES", "10k,100k")?,
            latency_ms: number("BENCH_LATENCY_MS", 100)?,
            latency_sizes: sizes("BENCH_LATENCY_SIZES", "10k,100k")?,
            cold_runs: number("BENCH_COLD_RUNS", 15)?.max(1) as usize,
            lazy: var("BENCH_LAZY").is_some_and(|v| v == "1" || v == "true"),
            large: large(&var, &number)?,
            out: PathBuf::from(
                var("BENCH_OUT").unwrap_or_else(|| "target/bench/results.md".to_string()),
            ),
        })
    }
}

/// `BENCH_LARGE=0` skips the large-tenant scenarios; `BENCH_CATCHUP_BLOBS`, `BENCH_HOT_LAUNCHES`
/// and `BENCH_HOT_USERS` size them.
fn large(
    var: &dyn Fn(&str) -> Option<String>,
    number: &dyn Fn(&str, u64) -> Result<u64, String>,
) -> Result<Option<LargeOptions>, String> {
    if var("BENCH_LARGE").is_some_and(|v| v.trim() == "0") {
        return Ok(None);
    }
    let list = var("BENCH_CATCHUP_BLOBS").unwrap_or_else(|| "3000,300000".to_string());
    let catch_up_blobs = list
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("BENCH_CATCHUP_BLOBS={list:?}: not a list of whole numbers"))
        })
        .collect::<Result<Vec<u32>, String>>()?;
    let small = |name: &str, default: u64| -> Result<u32, String> {
        u32::try_from(number(name, default)?).map_err(|_| format!("{name} is too large"))
    };
    Ok(Some(LargeOptions {
        catch_up_blobs,
        hot_launches: small("BENCH_HOT_LAUNCHES", 1_000_000)?,
        hot_users: small("BENCH_HOT_USERS", 100_000)?,
    }))
}
