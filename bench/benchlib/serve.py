"""`ketch serve` under load (no Helm peer: Helm has no server): per run, a fresh server with 5
versions of a chart, then 50 uploads of new versions and 500 downloads (every fifth the index,
the others archives) at once from 64 client threads. Figures: the wall time of the load, the
server's peak RSS (VmHWM) and, in the notes, upload and download latency (p50/p99). What the load
must leave (every upload acknowledged and indexed, every archive whole) is tested by
tests/it/serve.rs; this only times it."""
import concurrent.futures
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .common import WORK, Row, Run, Series, write

OUT = WORK / "serve"
TOKEN = "bench-token"
UPLOADS, DOWNLOADS, WARM = 50, 500, 5


def archives(ketch: Path) -> list:
    """The chart `load` packaged at WARM + UPLOADS versions: [(version, path)]."""
    chart = OUT / "load"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: load\nversion: 0.0.0\n"
                                "annotations:\n  ketch.dev/engine: minijinja\n")
    write(chart / "values.yaml", "message: hello\n")
    write(chart / "templates" / "configmap.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\n"
          "data:\n  message: {{ values.message | quote }}\n")
    versions = [f"0.0.{i}" for i in range(WARM)] + [f"1.{i}.0" for i in range(UPLOADS)]
    out = []
    for version in versions:
        path = OUT / "archives" / f"load-{version}.tgz"
        if not path.exists():
            subprocess.run([ketch, "package", chart, "--version", version, "-d", path.parent],
                           check=True, stdout=subprocess.DEVNULL)
        out.append((version, path))
    return out


def start(ketch: Path, storage: Path):
    token = storage.with_suffix(".token")
    token.write_text(TOKEN + "\n")
    server = subprocess.Popen([ketch, "serve", "--addr", "127.0.0.1:0", "--storage", storage,
                               "--token-file", token], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        if "listening on " in line:
            return server, line.split("listening on ", 1)[1].strip()
    raise SystemExit(f"serve: ketch serve exited ({server.wait()}) without listening")


def upload(url: str, path: Path) -> float:
    request = urllib.request.Request(f"{url}/api/charts", data=path.read_bytes(), method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status != 201:
            raise SystemExit(f"serve: upload of {path.name} answered {response.status}")
    return time.perf_counter() - started


def download(url: str, path: str) -> float:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}{path}", timeout=120) as response:
            response.read()
    except urllib.error.HTTPError as e:
        if e.code != 404:  # a version not uploaded yet
            raise
    return time.perf_counter() - started


def one_run(ketch: Path, charts: list) -> tuple:
    """(wall seconds, peak RSS MiB, upload latencies, download latencies) of one loaded server."""
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start(ketch, Path(tmp) / "charts")
        try:
            for _, path in charts[:WARM]:
                upload(url, path)
            new = charts[WARM:]
            paths = [("/index.yaml" if i % 5 == 0 else
                      f"/charts/load-{charts[i % WARM][0] if i % 2 == 0 else new[i % UPLOADS][0]}.tgz")
                     for i in range(DOWNLOADS)]
            with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
                started = time.perf_counter()
                ups = [pool.submit(upload, url, path) for _, path in new]
                downs = [pool.submit(download, url, path) for path in paths]
                up_times = [f.result() for f in ups]
                down_times = [f.result() for f in downs]
                wall = time.perf_counter() - started
            status = Path(f"/proc/{server.pid}/status").read_text()
            rss_kib = next(int(line.split()[1]) for line in status.splitlines()
                           if line.startswith("VmHWM:"))
        finally:
            server.terminate()
            server.wait()
    return wall, rss_kib / 1024, up_times, down_times


def pct(times: list, p: int) -> str:
    ordered = sorted(times)
    return f"{ordered[min(len(ordered) - 1, len(ordered) * p // 100)] * 1000:.0f}"


def rows(ketch: Path, runs: int) -> list:
    charts = archives(ketch)
    series = Series([ketch, "serve"])
    ups, downs = [], []
    for _ in range(runs):
        wall, rss, up_times, down_times = one_run(ketch, charts)
        series.runs.append(Run(wall, rss))
        series.peak_rss = max(series.peak_rss, rss)
        ups += up_times
        downs += down_times
    notes = (f"upload p50 {pct(ups, 50)} ms, p99 {pct(ups, 99)} ms; download p50 {pct(downs, 50)} ms, "
             f"p99 {pct(downs, 99)} ms; RSS is the server's (VmHWM)")
    case = f"{UPLOADS} uploads + {DOWNLOADS} downloads at once, 64 clients"
    return [Row("serve", case, series, None, notes)]
