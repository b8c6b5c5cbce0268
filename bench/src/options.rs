//! The benchmark's settings, from the `BENCH_*` variables (listed in `main.rs`).

use std::path::PathBuf;

use crate::tenant::TenantSize;

#[derive(Debug, Clone)]
pub struct Options {
    pub sizes: Vec<TenantSize>,
    pub moto_sizes: Vec<TenantSize>,
    pub latency_ms: u64,
    pub latency_sizes: Vec<TenantSize>,
    pub cold_runs: usize,
    pub lazy: bool,
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
            sizes: sizes("BENCH_SIZES", "10k,100k,1M")?,
            moto_sizes: sizes("BENCH_MOTO_SIZES", "10k,100k")?,
            latency_ms: number("BENCH_LATENCY_MS", 100)?,
            latency_sizes: sizes("BENCH_LATENCY_SIZES", "10k,100k")?,
            cold_runs: number("BENCH_COLD_RUNS", 15)?.max(1) as usize,
            lazy: var("BENCH_LAZY").is_some_and(|v| v == "1" || v == "true"),
            out: PathBuf::from(
                var("BENCH_OUT").unwrap_or_else(|| "target/bench/results.md".to_string()),
            ),
        })
    }
}
