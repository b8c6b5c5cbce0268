//! The Markdown tables `make bench` prints and BENCHMARKS.md keeps: a table per stage, then the
//! cold starts and the targets, in the order BENCHMARKS.md discusses them.

mod baseline;
mod cold;
mod format;
mod lambda;
mod large;
mod parse;
mod sync;
mod targets;

use std::fmt::Write;

use crate::cold::ColdResult;
use crate::large::LargeRun;
use crate::options::Options;
use crate::results::{Context, SizeResults};
use crate::tenant::TenantSize;
use format::secs;
pub use format::thousands;

pub fn render(
    options: &Options,
    context: &Context,
    results: &[SizeResults],
    large: &[LargeRun],
    cold: &[ColdResult],
) -> String {
    let mut out = String::new();
    circumstances(&mut out, context);
    settings(&mut out, options);
    parse::tenants(&mut out, results);
    parse::parse_only(&mut out, results);
    sync::black_hole(&mut out, results);
    sync::requests_by_operation(&mut out, results);
    baseline::baseline(&mut out, results);
    baseline::latency(&mut out, results, options.latency_ms);
    sync::moto(&mut out, results);
    large::large(&mut out, large);
    lambda::sizing(&mut out, results, large);
    cold::cold_starts(&mut out, cold, options.cold_runs);
    targets::targets(&mut out, results, cold);
    out
}

/// When, on what, and how busy the machine was: the figures depend on all three.
fn circumstances(out: &mut String, context: &Context) {
    let load = |load: Option<f64>| load.map_or("?".into(), |l| format!("{l:.2}"));
    let _ = writeln!(
        out,
        "Measured {} on {} ({} cores), load average {} before and {} after; {} in all.\n",
        context
            .started
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        crate::measure::cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load(context.load_before),
        load(context.load_after),
        secs(context.wall.as_secs_f64()) + " s",
    );
}

fn settings(out: &mut String, options: &Options) {
    let _ = writeln!(
        out,
        "Sizes {}; moto at {}; latency comparison at {} with {} ms per blob; emulator bodies {}.\n",
        options
            .sizes
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", "),
        names(&options.moto_sizes),
        names(&options.latency_sizes),
        options.latency_ms,
        if options.lazy {
            "rendered on demand"
        } else {
            "rendered once at start"
        }
    );
}

fn names(sizes: &[TenantSize]) -> String {
    if sizes.is_empty() {
        return "none".into();
    }
    sizes.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}
