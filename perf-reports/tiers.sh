#!/usr/bin/env bash
# ClaudeLang tiers: interpreter vs. JIT vs. C, compile latency, time to native.
#
#   bash perf-reports/tiers.sh
#
# 1. Checks for cargo, python3 and gcc (installs nothing), builds the release
#    binary (cargo build --release) and copies it to a temp dir, so a
#    concurrent rebuild cannot swap it mid-run.
# 2. Compiles the C twins benches/programs/c/P.c with `gcc -O2
#    -ffp-contract=off` (P = fib loop tak sieve nbody, plus loop_opaque and
#    empty), and checks each one's assembly (`gcc -S`) for the printed result
#    as an immediate, i.e. gcc computed it at compile time.
# 3. ROUNDS rounds (default 5). In every round, for every program P in fib,
#    loop, tak, sieve, nbody and an empty file, runs, in an order rotated
#    each round:
#      claudelang run --jit=off  benches/programs/P.cl             (timed)
#      claudelang run --jit=auto benches/programs/P.cl             (timed)
#      the gcc -O2 binary of benches/programs/c/P.c                (timed)
#      claudelang run --jit=auto --trace-tiers --tier-stats P.cl   (not in the
#        timing tables: parsed for the time until the hottest function
#        runs native)
#    and checks that every run of P prints the same stdout.
# 4. Compile latency: every `compiled` line of `--trace-tiers` from
#    `claudelang run --jit=eager --trace-tiers` on each benchmark and on each
#    tests/conformance/*.cl (run in that directory, as the conformance
#    harness does); count, median, p90, p99, max of compile= and wait=.
# 5. Writes perf-reports/tiers.md and prints where.
#
# Environment: ROUNDS=N (default 5), OUT=path.md, SKIP_BUILD=1 (use the
# existing binary), CLAUDELANG=path (binary to measure; implies SKIP_BUILD).
# Dependencies: bash, cargo, python3 (standard library only), gcc.
# Takes about 2-3 minutes with the defaults. Do not run other heavy jobs
# meanwhile: the machine's noise goes straight into the wall times.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROUNDS="${ROUNDS:-5}"
OUT="${OUT:-$ROOT/perf-reports/tiers.md}"
SKIP_BUILD="${SKIP_BUILD:-0}"
CL_SRC="${CLAUDELANG:-}"
if [ -n "$CL_SRC" ]; then SKIP_BUILD=1; else CL_SRC="$ROOT/target/release/claudelang"; fi

for tool in python3 gcc; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool not found on PATH (this script installs nothing)" >&2; exit 1; }
done
if [ "$SKIP_BUILD" != 1 ]; then
    command -v cargo >/dev/null 2>&1 || { echo "error: cargo not found on PATH" >&2; exit 1; }
    echo ">> cargo build --release" >&2
    cargo build --release >&2
fi
[ -x "$CL_SRC" ] || { echo "error: no claudelang binary at $CL_SRC" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cp "$CL_SRC" "$TMP/claudelang"

CFLAGS="-O2 -ffp-contract=off"
C="$ROOT/benches/programs/c"
echo ">> gcc $CFLAGS benches/programs/c/*.c" >&2
for p in fib loop tak sieve nbody loop_opaque empty; do
    # shellcheck disable=SC2086
    gcc $CFLAGS -o "$TMP/c_$p" "$C/$p.c" -lm
    # shellcheck disable=SC2086
    gcc $CFLAGS -S -o "$TMP/c_$p.s" "$C/$p.c"
done
: >"$TMP/empty.cl"

export ROOT ROUNDS OUT TMP CFLAGS CL_SRC
python3 - <<'PY'
import datetime, math, os, platform, re, resource, statistics, subprocess, sys, time

root, tmp, out = os.environ["ROOT"], os.environ["TMP"], os.environ["OUT"]
rounds = int(os.environ["ROUNDS"])
cflags = os.environ["CFLAGS"]
cl = os.path.join(tmp, "claudelang")
programs = ["fib", "loop", "tak", "sieve", "nbody"]
STARTUP = "startup (empty file)"

def log(*a):
    print(*a, file=sys.stderr, flush=True)

def run(cmd, cwd=None, timeout=None):
    """(wall s, user+sys CPU s of the child, exit code, stdout, stderr)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       cwd=cwd, timeout=timeout)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

def sh(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.strip()
    except OSError as e:
        return f"unavailable ({e})"

def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"

# ---- --trace-tiers / --tier-stats parsing --------------------------------
TRACE = re.compile(r"^\[tier\]\s+([\d.]+)ms (\S+)\s+(.*?) \(([^()]*)\)(.*)$")

def trace_events(stderr):
    """[(ms, kind, name, location, rest)] from --trace-tiers lines."""
    ev = []
    for line in stderr.splitlines():
        m = TRACE.match(line)
        if m:
            ev.append((float(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)))
    return ev

def kv(rest, key):
    m = re.search(rf"\b{key}=([\d.]+)", rest)
    return float(m.group(1)) if m else None

def tier_stats(stderr):
    """Rows of the --tier-stats table: dicts with name, location, calls, backedges, tier, ..."""
    rows, inside = [], False
    for line in stderr.splitlines():
        if line.startswith("function ") and "back-edges" in line:
            inside = True
            continue
        if not inside:
            continue
        if line.startswith("totals:"):
            break
        # ... calls back-edges tier promoted wait compile bytes osr deopts interp% native%
        f = line.split()
        if len(f) < 13:
            continue
        rows.append({"name": " ".join(f[:-12]), "location": f[-12], "calls": int(f[-11]), "backedges": int(f[-10]),
                     "tier": f[-9], "deopts": int(f[-3]), "osr": int(f[-4])})
    return rows

# ---- C: did gcc compute the result at compile time? ----------------------
def folded(prog, expected):
    """True if the printed integer appears as an immediate in the assembly,
    None if that cannot be told (output not an integer, or too small)."""
    try:
        n = int(expected.strip())
    except ValueError:
        return None
    if abs(n) < 1000:
        return None
    asm = open(os.path.join(tmp, f"c_{prog}.s")).read()
    return re.search(rf"\${n}\b", asm) is not None

# ---- timing rounds ---------------------------------------------------------
load_before = loadavg()
src = lambda p: f"benches/programs/{p}.cl"   # relative: the cwd is the repository root
cases = {p: {"off": [cl, "run", "--jit=off", src(p)],
             "auto": [cl, "run", "--jit=auto", src(p)],
             "c": [os.path.join(tmp, f"c_{p}")],
             "trace": [cl, "run", "--jit=auto", "--trace-tiers", "--tier-stats", src(p)]} for p in programs}
cases["loop"]["c_opaque"] = [os.path.join(tmp, "c_loop_opaque")]
empty = os.path.join(tmp, "empty.cl")
cases[STARTUP] = {"off": [cl, "run", "--jit=off", empty], "auto": [cl, "run", "--jit=auto", empty],
                  "c": [os.path.join(tmp, "c_empty")]}

times = {p: {v: [] for v in vs} for p, vs in cases.items()}   # (wall, cpu)
outputs = {p: {} for p in cases}                               # variant -> set of stdouts
native = {p: [] for p in programs}                              # per round: dict
problems = []
for r in range(rounds):
    for p, variants in cases.items():
        order = list(variants)
        k = r % len(order)
        order = order[k:] + order[:k]
        for v in order:
            wall, cpu, code, stdout, stderr = run(variants[v])
            if code != 0:
                sys.exit(f"{' '.join(variants[v])} exited {code}: {stderr[-2000:]}")
            outputs[p].setdefault(v, set()).add(stdout)
            times[p][v].append((wall, cpu))
            if v == "trace":
                rows = tier_stats(stderr)
                ev = trace_events(stderr)
                if not rows:
                    problems.append(f"{p}: no --tier-stats table in round {r + 1}")
                    continue
                hot = max(rows, key=lambda x: x["calls"] + x["backedges"])
                mine = [e for e in ev if e[2].startswith(hot["name"]) and e[3] == hot["location"]]
                first = lambda kind: next((e for e in mine if e[1] == kind), None)
                q, inst, osr, comp = first("queued"), first("installed"), first("osr-entry"), first("compiled")
                # Submitted = installed - compile - wait: the compile thread's own clock. (The
                # `queued` trace line is stamped after the submit returns, so on a busy machine it
                # can come later, even after `compiled`.)
                sub = inst[0] - kv(comp[4], "compile") - kv(comp[4], "wait") if inst and comp else None
                native[p].append({"hot": hot, "wall": wall, "queued": q and q[0], "submitted": sub, "installed": inst and inst[0],
                                  "osr": osr and osr[0], "compile": comp and kv(comp[4], "compile"),
                                  "wait": comp and kv(comp[4], "wait"), "bytes": comp and kv(comp[4], "bytes"),
                                  "compiled_fns": sum(1 for e in ev if e[1] == "compiled"),
                                  "deopt_events": sum(1 for e in ev if e[1] == "deopt")})
        log(f"   round {r + 1}/{rounds} {p}: " + "  ".join(f"{v} {times[p][v][-1][0]:.3f}s" for v in variants))

# ---- compile latency: --jit=eager on benchmarks and conformance programs ------
log(">> compile latency: --jit=eager --trace-tiers on benchmarks and tests/conformance")
compiles = []   # (group, program, function, compile ms, wait ms, bytes)
events = {}     # kind -> count
conf_dir = os.path.join(root, "tests/conformance")
conf = sorted(f for f in os.listdir(conf_dir) if f.endswith(".cl"))
conf_bad = []
jobs = [("benchmarks", p, [cl, "run", "--jit=eager", "--trace-tiers", src(p)], None) for p in programs]
jobs += [("conformance", f, [cl, "run", "--jit=eager", "--trace-tiers", f], conf_dir) for f in conf]
for group, name, cmd, cwd in jobs:
    try:
        wall, cpu, code, stdout, stderr = run(cmd, cwd=cwd, timeout=300)
    except subprocess.TimeoutExpired:
        problems.append(f"eager {name}: timed out")
        continue
    for ms_, kind, fn, loc, rest in trace_events(stderr):
        events[(group, kind)] = events.get((group, kind), 0) + 1
        if kind == "compiled":
            compiles.append((group, name, f"{fn} ({loc})", kv(rest, "compile"), kv(rest, "wait"), kv(rest, "bytes")))
    if group == "conformance":
        stem = name[:-3]
        want_out = open(os.path.join(conf_dir, stem + ".out")).read()
        want_exit = 0
        errf = os.path.join(conf_dir, stem + ".err")
        if os.path.exists(errf):
            m = re.match(r"exit=(\d+)", open(errf).read())
            want_exit = int(m.group(1)) if m else 1
        if stdout != want_out or code != want_exit:
            conf_bad.append(name)
    elif code != 0 or stdout not in outputs[name]["off"]:
        problems.append(f"eager {name}: exit {code} or output differs from --jit=off")
load_after = loadavg()

# ---- report ------------------------------------------------------------------
def fmt_s(s):
    return f"{s * 1000:.0f} ms" if s >= 0.1 else f"{s * 1000:.1f} ms"

def walls(p, v):
    return [w for w, _ in times[p][v]]

def med(xs):
    return statistics.median(xs)

def pct(xs, q):
    """Nearest-rank percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]

def head(text):
    return text.splitlines()[0] if text else "?"

def one_line(outs):
    (o,) = outs if len(outs) == 1 else (None,)
    return " / ".join(o.split("\n")).strip(" /") if o is not None else "**unstable**"

commit = sh(["git", "-C", root, "rev-parse", "--short", "HEAD"])
dirty = [l for l in sh(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"]).splitlines() if l.strip()]
bin_mtime = datetime.datetime.fromtimestamp(os.path.getmtime(os.environ["CL_SRC"]), datetime.timezone.utc)

L = []
A = L.append
A("# ClaudeLang tiers: interpreter vs. JIT vs. C, compile latency, time to native")
A("")
A("Generated by `bash perf-reports/tiers.sh` — do not edit by hand; re-run the script.")
A("")
A("| | |")
A("|---|---|")
A(f"| date | {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} |")
A(f"| machine | nproc {sh(['nproc'])}, {cpu_model()}, {platform.system()} {platform.release()} |")
A(f"| load average (1/5/15 min) | before: {load_before}; after: {load_after} |")
A(f"| commit | {commit}" + (f" + uncommitted changes in {len(dirty)} tracked file(s) (dirty)" if dirty else " (clean)") + " |")
A(f"| claudelang binary | `{os.path.relpath(os.environ['CL_SRC'], root)}`, built {bin_mtime.strftime('%Y-%m-%d %H:%M UTC')} (copied to a temp dir for the run) |")
A(f"| rustc | {head(sh(['rustc', '--version']))} |")
A(f"| gcc | {head(sh(['gcc', '--version']))} |")
A(f"| rounds | {rounds} |")
A("")
A("## Commands")
A("")
A("Timed, interleaved: in every round each program runs once in each mode below, the order of the modes "
  "rotated from round to round, so a noisy machine hits every mode alike.")
A("")
A("    target/release/claudelang run --jit=off  benches/programs/P.cl")
A("    target/release/claudelang run --jit=auto benches/programs/P.cl")
A(f"    gcc {cflags} -o P benches/programs/c/P.c -lm && ./P")
A("")
A("Also in every round, not timed in the tables: `claudelang run --jit=auto --trace-tiers --tier-stats "
  "benches/programs/P.cl` (time to native). After the rounds: `claudelang run --jit=eager --trace-tiers` "
  "on each benchmark and, from inside `tests/conformance`, on each `tests/conformance/*.cl` (compile latency).")
A("")
A("P is fib (`(fib 32)`), loop (`(sum-to 100000000)`), tak (`(tak 26 18 9)`), sieve (10 × sieve to 10^6), "
  "nbody (5 bodies, 150,000 steps of 0.01, energy printed before and after), and an empty file / empty "
  "`main` (process start-up). `-ffp-contract=off` only keeps gcc from fusing multiply-adds on targets with FMA "
  "(ClaudeLang rounds every float operation); on plain x86-64 it changes nothing.")
A("")
if problems:
    A("**Problems seen during the run:** " + "; ".join(problems))
    A("")

A("## 1. Interpreter vs. JIT (`--jit=off` vs. `--jit=auto`)")
A("")
A("Wall time of the whole process (start-up included; see the last row). Speedup = off / auto "
  "(> 1: the JIT is faster). CPU = user+sys of the process, which in auto mode includes the "
  "background compile thread. \"same output\": every run of the program, in every mode, C included, "
  "printed the same stdout.")
A("")
A("| program | output | same output | off min | off median | auto min | auto median | speedup (min) | speedup (median) | off CPU min | auto CPU min |")
A("|---|---|:-:|--:|--:|--:|--:|--:|--:|--:|--:|")
for p in programs + [STARTUP]:
    o = outputs[p]
    allouts = set().union(*o.values())
    same = "yes" if len(allouts) == 1 else "**NO**"
    shown = one_line(o["off"]) or "(none)"
    off, auto = walls(p, "off"), walls(p, "auto")
    offc, autoc = [c for _, c in times[p]["off"]], [c for _, c in times[p]["auto"]]
    A(f"| {p} | {shown} | {same} | {fmt_s(min(off))} | {fmt_s(med(off))} | {fmt_s(min(auto))} | {fmt_s(med(auto))} | "
      f"{min(off) / min(auto):.2f}× | {med(off) / med(auto):.2f}× | {fmt_s(min(offc))} | {fmt_s(min(autoc))} |")
A("")

A("## 2. JIT vs. C (`gcc -O2`)")
A("")
A("Ratio = ClaudeLang `--jit=auto` wall time / C wall time (> 1: ClaudeLang is slower), whole processes. "
  "\"gcc folded\": the printed result appears as an immediate in `gcc -S` output, i.e. gcc computed it at "
  "compile time and the C time is process start-up only (\"?\": cannot be told from the output, "
  "which is not an integer of 4+ digits). C integer arithmetic is unchecked; ClaudeLang checks every "
  "`+ - *` for overflow.")
A("")
A("| program | C min | C median | auto / C (min) | auto / C (median) | off / C (median) | gcc folded |")
A("|---|--:|--:|--:|--:|--:|:-:|")
fold_notes = []
for p in programs + [STARTUP]:
    cw, auto, off = walls(p, "c"), walls(p, "auto"), walls(p, "off")
    if p == STARTUP:
        fd = "–"
    else:
        f = folded(p, next(iter(outputs[p]["c"])))
        fd = "?" if f is None else ("**yes**" if f else "no")
        if f:
            fold_notes.append(p)
    A(f"| {p} | {fmt_s(min(cw))} | {fmt_s(med(cw))} | {min(auto) / min(cw):.1f} | {med(auto) / med(cw):.1f} | "
      f"{med(off) / med(cw):.1f} | {fd} |")
    if p == "loop":
        co = walls(p, "c_opaque")
        fo = folded("loop_opaque", next(iter(outputs[p]["c_opaque"])))
        A(f"| loop, C bound `volatile` (`c/loop_opaque.c`) | {fmt_s(min(co))} | {fmt_s(med(co))} | "
          f"{min(auto) / min(co):.1f} | {med(auto) / med(co):.1f} | {med(off) / med(co):.1f} | "
          f"{'?' if fo is None else ('**yes**' if fo else 'no')} |")
A("")
if fold_notes:
    A(f"Note: gcc -O2 computes the result of {', '.join(fold_notes)} at compile time even though it is printed "
      "(the value is an immediate operand in the assembly), so those C times are just process start-up and "
      "their ratios mean nothing."
      + (" For loop, `c/loop_opaque.c` reads the bound from a `volatile`, which keeps the loop; compare "
         "loop against that row." if "loop" in fold_notes else ""))
    A("")

A("## 3. Compile latency on the background thread")
A("")
A("`compile=` and `wait=` (time queued before the compile thread took the job) of every `compiled` line of "
  "`--trace-tiers`, under `--jit=eager` (every function that runs is compiled before its first call). "
  "Percentiles are nearest-rank. All in µs.")
A("")
A("| set | programs | compiles (recompiles included) | compile median | p90 | p99 | max | wait median | wait p90 | wait max |")
A("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
nprog = {"benchmarks": len(programs), "conformance": len(conf)}
for group in ["benchmarks", "conformance", "all"]:
    sel = [c for c in compiles if group == "all" or c[0] == group]
    n = nprog.get(group, len(programs) + len(conf))
    if not sel:
        A(f"| {group} | {n} | 0 | | | | | | | |")
        continue
    cs = [c[3] * 1000 for c in sel]
    ws = [c[4] * 1000 for c in sel]
    A(f"| {group} | {n} | {len(sel)} | {med(cs):.0f} | {pct(cs, 90):.0f} | {pct(cs, 99):.0f} | {max(cs):.0f} | "
      f"{med(ws):.0f} | {pct(ws, 90):.0f} | {max(ws):.0f} |")
A("")
A("Slowest compiles:")
A("")
A("| program | function | compile µs | code bytes |")
A("|---|---|--:|--:|")
for g, prog, fn, c, w, b in sorted(compiles, key=lambda c: -c[3])[:8]:
    A(f"| {prog} | `{fn}` | {c * 1000:.0f} | {b:.0f} |")
A("")
other = {k: v for k, v in events.items() if k[1] in ("failed", "blacklisted", "deopt", "invalidated", "osr-entry")}
if other:
    A("Other tier events in these eager runs: " + ", ".join(f"{g} {k}: {v:,}" for (g, k), v in sorted(other.items())) + ".")
    A("")
A(f"Conformance programs whose stdout or exit status under `--jit=eager` differs from their `.out`/`.err`: "
  f"{len(conf_bad)} of {len(conf)}" + (f" ({', '.join(conf_bad)})" if conf_bad else "") + ".")
A("")

A("## 4. Time until the hottest function runs native (`--jit=auto`)")
A("")
A("Hottest = the `--tier-stats` row with the most calls + back-edges. Times are ms since the tier manager "
  "started, which the CLI does right after creating the runtime and before parsing the file (so add "
  "roughly the empty-file start-up above for time since exec). *submitted*: the policy handed it to the "
  "compile thread (= installed − compile − wait; the `queued` trace line is stamped after the hand-off "
  "returns, so on a busy machine it can read later); *installed*: its code is ready and the next call runs it; *osr-entry*: a running loop "
  "jumped into the native code (loops only). min / median over the rounds. *share* = installed / the "
  "traced run's wall time.")
A("")
A("| program | hottest function | calls | back-edges | submitted ms | installed ms (min / median) | osr-entry ms | compile ms | wait ms | code bytes | share of run | tier at exit |")
A("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
def mm(xs, f="{:.2f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f.format(min(xs)) + " / " + f.format(med(xs))
for p in programs:
    rs = native[p]
    if not rs:
        A(f"| {p} | (no data) | | | | | | | | | | |")
        continue
    hot = rs[0]["hot"]
    shares = [r["installed"] / 1000 / r["wall"] for r in rs if r["installed"] is not None]
    tiers = sorted({r["hot"]["tier"] for r in rs})
    A(f"| {p} | `{hot['name']} ({hot['location']})` | {hot['calls']:,} | {hot['backedges']:,} | "
      f"{mm([r['submitted'] for r in rs])} | {mm([r['installed'] for r in rs])} | {mm([r['osr'] for r in rs])} | "
      f"{mm([r['compile'] for r in rs])} | {mm([r['wait'] for r in rs])} | {mm([r['bytes'] for r in rs], '{:.0f}')} | "
      f"{(f'{100 * med(shares):.1f}%') if shares else '–'} | {', '.join(tiers)} |")
A("")
report = "\n".join(L)
with open(out, "w") as f:
    f.write(report)
print(report)
log(f">> wrote {out}")
PY
