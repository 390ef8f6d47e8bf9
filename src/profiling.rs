//! The `run` command's tier and profiling options, and what they attach
//! to a runtime: the tier manager with its traces, the guest sampler, the
//! host (`pprof`) profiler, and the outputs written at exit.

use claudelang_profiler::guest::{GuestProfile, Sampler, SamplingProbe};
use claudelang_profiler::host::HostProfiler;
use claudelang_profiler::trace::JsonTrace;
use claudelang_profiler::output;
use claudelang_runtime::Runtime;
use claudelang_tiers::report::TimeByTier;
use claudelang_tiers::{TierConfig, TierManager};
use std::io::Write;
use std::time::Instant;

/// How the tier manager runs (see README, "Tiering").
#[derive(clap::Args, Clone, Debug)]
pub struct TierArgs {
    /// Tiering preset: auto (interpreter, then native code for hot
    /// functions), off (interpreter only), eager (compile every function
    /// before its first call), stress (tiny thresholds, for testing).
    #[arg(long = "jit", value_name = "MODE", default_value = "auto", value_parser = ["auto", "off", "eager", "stress"])]
    pub mode: String,
    /// Calls after which a function is compiled (overrides the preset;
    /// at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub hot_calls: Option<u64>,
    /// Loop back-edges after which a function is compiled and its running
    /// loop switches to native code (overrides the preset; at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub hot_loops: Option<u64>,
    /// Testing aid: the first N compiles of every function fail, to watch
    /// the tier manager back off and blacklist (default 0).
    #[arg(long, value_name = "N")]
    pub fail_compiles: Option<u32>,
}

impl TierArgs {
    pub fn config(&self) -> TierConfig {
        let mut config = TierConfig::preset(&self.mode).expect("clap checked the preset name");
        if let Some(n) = self.hot_calls {
            config.hot_calls = n;
        }
        if let Some(n) = self.hot_loops {
            config.hot_loops = n;
        }
        if let Some(n) = self.fail_compiles {
            config.fail_compiles = n;
        }
        config
    }
}

/// Reports, traces and profiles of one run (see README, "Profiling").
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ProfileArgs {
    /// At exit, print a table of functions, their tiers and the time spent
    /// in each tier (sampled) to stderr.
    #[arg(long)]
    pub tier_stats: bool,
    /// Trace tier events as they happen: one line each on stderr, or, with
    /// `=FILE.jsonl`, one JSON object per line (with collections) in FILE.
    #[arg(long, value_name = "FILE.jsonl", num_args = 0..=1, require_equals = true)]
    pub trace_tiers: Option<Option<String>>,
    /// Write a ClaudeLang-level flamegraph (guest stacks, each frame
    /// marked interp or native) to this SVG file.
    #[arg(long, value_name = "OUT.svg")]
    pub flamegraph: Option<String>,
    /// Write the guest samples as a pprof protobuf profile.
    #[arg(long, value_name = "OUT.pb")]
    pub pprof: Option<String>,
    /// Write a host-level flamegraph (Rust runtime, compile thread and
    /// named JIT code) through the pprof crate to this SVG file.
    #[arg(long, value_name = "OUT.svg")]
    pub flamegraph_native: Option<String>,
    /// Guest (and host) sampling rate.
    #[arg(long, value_name = "HZ", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub sample_hz: u32,
    /// Write /tmp/perf-<pid>.map so `perf record` can name JIT code.
    #[arg(long)]
    pub perf_map: bool,
}

impl ProfileArgs {
    fn guest_sampling(&self) -> bool {
        self.tier_stats || self.flamegraph.is_some() || self.pprof.is_some()
    }
}

/// What is attached to a running runtime; `finish` writes the outputs.
pub struct Session {
    args: ProfileArgs,
    sampler: Option<Sampler>,
    host: Option<HostProfiler>,
    json: Option<JsonTrace>,
    probe_attached: bool,
}

/// Sets up tiering and profiling on `rt`. Problems that leave the program
/// able to run (no native tier, say) are warnings; failures to create a
/// requested output file are errors, reported before anything runs.
pub fn attach(rt: &mut Runtime, tiers: &TierArgs, args: &ProfileArgs) -> Result<Session, String> {
    // Output files are created up front so a bad path fails before the
    // program runs, not after.
    for path in [&args.flamegraph, &args.pprof, &args.flamegraph_native].into_iter().flatten() {
        std::fs::File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?;
    }
    // The host profiler takes a while to set up (its sample buffers);
    // start it before the run's clock does, so tier timings exclude that.
    let host = match args.flamegraph_native {
        Some(_) => Some(HostProfiler::start(args.sample_hz)?),
        None => None,
    };
    let start = Instant::now();
    let mut config = tiers.config();
    config.perf_map = args.perf_map || args.flamegraph_native.is_some();
    let text_trace: Option<Box<dyn Write + Send>> =
        if matches!(args.trace_tiers, Some(None)) { Some(Box::new(std::io::stderr())) } else { None };
    let json = match &args.trace_tiers {
        Some(Some(path)) => {
            let f = std::fs::File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?;
            Some(JsonTrace::new(start, Box::new(std::io::BufWriter::new(f))))
        }
        _ => None,
    };
    if config.enabled {
        match TierManager::with_clock(config.clone(), text_trace, start) {
            Ok(m) => {
                if let Some(j) = json.clone() {
                    m.add_listener(Box::new(move |e| j.tier_event(e)));
                }
                rt.install_tier(Box::new(m), config.hot_calls, config.hot_loops);
            }
            // The interpreter still works; say why there is no native tier.
            Err(e) => eprintln!("warning: native tier unavailable: {e}"),
        }
    }
    let mut session = Session { args: args.clone(), sampler: None, host, json, probe_attached: false };
    if args.guest_sampling() || session.json.is_some() {
        let mut probe = SamplingProbe::new(args.sample_hz);
        if let Some(j) = session.json.clone() {
            probe.on_gc(Box::new(move |e| j.gc_event(e)));
        }
        rt.set_probe(Box::new(probe));
        session.probe_attached = true;
    }
    if args.guest_sampling() {
        let s = Sampler::start(rt.interrupt_handle(), args.sample_hz).map_err(|e| format!("cannot start the sampler: {e}"))?;
        session.sampler = Some(s);
    }
    Ok(session)
}

impl Session {
    /// Stops sampling and writes every requested output. Returns the
    /// `--tier-stats` table, if asked for (the caller prints it).
    pub fn finish(mut self, rt: &mut Runtime) -> Result<Option<String>, String> {
        drop(self.sampler.take());
        let mut errors = Vec::new();
        if let Some(host) = self.host.take() {
            if let Some(path) = &self.args.flamegraph_native {
                let written = std::fs::File::create(path)
                    .map_err(|e| e.to_string())
                    .and_then(|f| host.write_flamegraph(std::io::BufWriter::new(f)));
                if let Err(e) = written {
                    errors.push(format!("cannot write {path}: {e}"));
                }
            }
            if !self.args.perf_map {
                // The map was only for naming JIT code in this report.
                let _ = std::fs::remove_file(claudelang_tiers::perfmap::PerfMap::path());
            }
        }
        let profile = self.guest_profile(rt);
        if let Some(path) = &self.args.flamegraph {
            let title = format!("ClaudeLang flamegraph: {}", std::env::args().skip(1).collect::<Vec<_>>().join(" "));
            let written = output::flamegraph_svg(&profile, &title).and_then(|svg| std::fs::write(path, svg).map_err(|e| e.to_string()));
            if let Err(e) = written {
                errors.push(format!("cannot write {path}: {e}"));
            }
        }
        if let Some(path) = &self.args.pprof {
            if let Err(e) = std::fs::write(path, output::pprof_protobuf(&profile)) {
                errors.push(format!("cannot write {path}: {e}"));
            }
        }
        let stats = self.args.tier_stats.then(|| {
            let time = TimeByTier {
                self_samples: profile.self_time().into_iter().map(|(id, s)| (id, (s.interpreted, s.native))).collect(),
                hz: profile.hz,
            };
            claudelang_tiers::report::tier_stats_with(rt, Some(&time))
        });
        if let Some(j) = &self.json {
            // Compiles still in flight finish (and are traced) first.
            if let Some(m) = rt.tier_mut().and_then(|t| t.as_any_mut().downcast_mut::<TierManager>()) {
                m.shutdown();
            }
            j.flush();
        }
        if errors.is_empty() {
            Ok(stats)
        } else {
            Err(errors.join("\n"))
        }
    }

    fn guest_profile(&mut self, rt: &mut Runtime) -> GuestProfile {
        if !self.probe_attached {
            return GuestProfile::default();
        }
        match rt.take_probe() {
            Some(mut p) => match p.as_any_mut().downcast_mut::<SamplingProbe>() {
                Some(s) => s.finish(),
                None => GuestProfile::default(),
            },
            None => GuestProfile::default(),
        }
    }
}
