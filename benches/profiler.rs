//! What profiling costs: `benches/programs/fib.cl` (fib(32)) run
//! in-process, in one criterion group so the ratios come from one run:
//!
//! | bench id                        | profiling attached                                   |
//! |---------------------------------|------------------------------------------------------|
//! | `profiling/<tier>/off`          | none (what `claudelang run` does without flags)      |
//! | `profiling/<tier>/probe-idle`   | a probe attached, no sampler thread: the poll path only |
//! | `profiling/<tier>/sampled-1khz` | the guest sampler at 1 kHz (`--flamegraph`'s default) |
//!
//! for `<tier>` = `interp` (`--jit=off`) and `auto`. Whether "profiling
//! off" costs anything against a build *without* the safepoint mechanism
//! is a cross-build question; `perf-reports/profiler-overhead.sh` answers
//! it with instruction counts.
//!
//! Run: `cargo bench --bench profiler`.

use claudelang::runtime::Runtime;
use claudelang_profiler::guest::{Sampler, SamplingProbe};
use claudelang_tiers::{TierConfig, TierManager};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

#[derive(Clone, Copy)]
enum Profiling {
    Off,
    ProbeIdle,
    Sampled(u32),
}

fn run(text: &str, tiers: Option<TierConfig>, profiling: Profiling) -> u64 {
    let mut rt = Runtime::new();
    if let Some(config) = tiers {
        TierManager::install(&mut rt, config, None).expect("native tier");
    }
    rt.set_output(Box::new(std::io::sink()));
    let sampler = match profiling {
        Profiling::Off => None,
        Profiling::ProbeIdle => {
            rt.set_probe(Box::new(SamplingProbe::new(1000)));
            None
        }
        Profiling::Sampled(hz) => {
            rt.set_probe(Box::new(SamplingProbe::new(hz)));
            Some(Sampler::start(rt.interrupt_handle(), hz).expect("sampler"))
        }
    };
    let unit = rt.compile("fib.cl", text).unwrap_or_else(|e| panic!("{}", e.render()));
    black_box(rt.run(unit).unwrap_or_else(|e| panic!("{}", e.render())));
    drop(sampler);
    // Samples actually taken, so a sampler that silently did nothing
    // cannot pass for a cheap one.
    match rt.take_probe() {
        Some(mut p) => p.as_any_mut().downcast_mut::<SamplingProbe>().map_or(0, |s| s.finish().total_samples()),
        None => 0,
    }
}

fn bench(c: &mut Criterion) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/programs/fib.cl")).unwrap();
    let mut g = c.benchmark_group("profiling");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(10));
    for (tier, config) in [("interp", None), ("auto", Some(TierConfig::auto()))] {
        let samples = run(&text, config.clone(), Profiling::Sampled(1000));
        eprintln!("profiling/{tier}: one sampled run took {samples} samples");
        assert!(samples > 0, "the sampler took no samples");
        for (name, p) in [("off", Profiling::Off), ("probe-idle", Profiling::ProbeIdle), ("sampled-1khz", Profiling::Sampled(1000))] {
            g.bench_function(format!("{tier}/{name}"), |b| b.iter(|| run(&text, config.clone(), p)));
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
