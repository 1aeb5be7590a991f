"""What every benchmark shares: building the tools, timing a process (wall time and
peak RSS), alternating runs of ketch and Helm, and printing one markdown table."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[2]
# Generated inputs (charts, index) live here; every benchmark regenerates what is missing.
WORK = REPO / "target" / "bench"
# The Helm the benchmarks compare against, built from its Go module by tests/tools/helm. The
# e2e interop tests keep their own pin (v3.21.4, the tool's default).
HELM_VERSION = "v4.3.2"


# Debian packages the benchmarks need: PyYAML (to check that both tools render the same objects)
# and GNU time (peak RSS).
PACKAGES = ["python3-yaml", "time"]


def ensure_packages() -> None:
    """Installs the missing PACKAGES with apt-get, as tests/run installs what the tests need."""
    missing = [p for p in PACKAGES if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
    ).stdout.strip() != "install ok installed"]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print(f"bench: installing {' '.join(missing)}", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, env=env)


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def build_ketch() -> Path:
    """Builds ketch in release mode and returns the binary."""
    print("bench: cargo build --release", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return target_dir() / "release" / "ketch"


def build_helm(version: str = HELM_VERSION) -> Path:
    """Builds (or reuses) Helm `version` from its Go module; returns the binary."""
    env = dict(os.environ, KETCH_TEST_HELM_VERSION=version)
    done = subprocess.run([REPO / "tests" / "tools" / "helm"], env=env, check=True,
                          stdout=subprocess.PIPE, text=True)
    return Path(done.stdout.strip())


def tool_args(parser) -> None:
    """The flags every benchmark takes: which binaries, how many runs."""
    parser.add_argument("--runs", type=int, default=10, help="runs of each tool per case (default 10)")
    parser.add_argument("--ketch", type=Path, help="a ketch binary (default: build it with --release)")
    parser.add_argument("--helm", type=Path,
                        help=f"a helm binary to compare with (bench/run builds Helm {HELM_VERSION})")


def ketch_of(args) -> Path:
    return args.ketch or build_ketch()


@dataclass
class Run:
    seconds: float
    rss_mib: float


# GNU time reports the peak RSS of the command alone. A child's own rusage from wait4 is no
# use: Linux carries the RSS high-water mark across exec, so every process Python starts
# reports at least Python's own RSS (14 MiB and more).
def gnu_time():
    return shutil.which("time", path="/usr/bin:/bin")


GNU_TIME = gnu_time()


def measure(cmd: list, env: Optional[dict] = None, cwd: Optional[Path] = None, stdout=None,
            rss: bool = False) -> Run:
    """Runs `cmd` once; exits with its stderr if it fails. `stdout`: a file object, or None to drop
    it. With `rss`, through GNU time (a millisecond or two more of wall time) for the peak RSS."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss_file:
        argv = [str(c) for c in cmd]
        if rss and GNU_TIME:
            argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=stdout or subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(map(str, cmd))} failed (exit {proc.returncode}):\n{err.read().decode()}")
        kib = int(rss_file.read().split()[-1]) if argv[0] == GNU_TIME else usage.ru_maxrss
    return Run(elapsed, kib / 1024)


@dataclass
class Series:
    """The runs of one tool on one case: wall times, and the peak RSS of the runs asked to measure
    it. `capture` keeps the last run's standard output."""
    cmd: list
    env: Optional[dict] = None
    cwd: Optional[Path] = None
    capture: bool = False
    runs: list = field(default_factory=list)
    out: bytes = b""
    peak_rss: float = 0.0

    def once(self, timed: bool = True, rss: bool = False) -> Run:
        if not self.capture:
            run = measure(self.cmd, self.env, self.cwd, rss=rss)
        else:
            with tempfile.TemporaryFile() as out:
                run = measure(self.cmd, self.env, self.cwd, stdout=out, rss=rss)
                out.seek(0)
                self.out = out.read()
        if timed:
            self.runs.append(run)
        if rss:
            self.peak_rss = max(self.peak_rss, run.rss_mib)
        return run

    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    def time_cell(self) -> str:
        times = sorted(r.seconds for r in self.runs)
        spread = f"{ms(times[0])}–{ms(times[-1])}" if len(times) > 1 else "one run"
        return f"{ms(statistics.median(times))} ms ({spread})"

    def rss_cell(self) -> str:
        # Without GNU time the figure is a floor set by Python's own RSS (see GNU_TIME).
        return f"{'' if GNU_TIME else '≥ '}{self.peak_rss:.0f} MiB"


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def alternate(series: list, runs: int, before=None, repeatable: bool = True) -> None:
    """`runs` rounds, each running every series once in turn (so load drifts hit all alike), then
    one more untimed run each for the peak RSS; a command that would not do the same work again
    (`repeatable=False`) is timed through GNU time instead. `before(series, round)`, if given,
    runs untimed before each run."""
    for i in range(runs + repeatable):
        for s in series:
            if before:
                before(s, i)
            s.once(timed=i < runs, rss=i == runs or not repeatable)


@dataclass
class Row:
    bench: str
    case: str
    ketch: Series
    helm: Optional[Series] = None
    notes: str = ""


HEADER = ("| benchmark | case | ketch: median (min–max) | ketch peak RSS | helm: median (min–max) "
          "| helm peak RSS | ketch / helm | notes |\n|---|---|---:|---:|---:|---:|---:|---|")


def format_row(row: Row) -> str:
    if row.helm and row.helm.runs:
        k, h = row.ketch.median(), row.helm.median()
        speed = f"{h / k:.1f}× faster" if k <= h else f"{k / h:.1f}× slower"
        helm, helm_rss, ratio = row.helm.time_cell(), row.helm.rss_cell(), f"{k / h:.2f} ({speed})"
    else:
        helm = helm_rss = ratio = "–"
    return (f"| {row.bench} | {row.case} | {row.ketch.time_cell()} | {row.ketch.rss_cell()} | {helm} "
            f"| {helm_rss} | {ratio} | {row.notes} |")


def machine() -> str:
    """One line on what the figures were taken on: cores, load, versions."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load} (1/5/15 min) at the start"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
