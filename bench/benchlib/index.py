"""Repository index benchmark: a generated ~20 MB index.yaml (15,000 chart versions), served
from 127.0.0.1, through `repo add`, `repo update` and `search repo` of ketch and Helm, each with
its own fresh config and cache:

  repo add / update    fetch + parse the YAML + write the cache
  search (cold)        the first `search repo` after a `repo update` (untimed)
  search (warm)        `search repo` again; then with a keyword
  resolve              the newest version matching a constraint (`search repo REPO/CHART
                       --version ~2.1.0`: what a dependency's `version:` resolves to), cold and warm
"""
import hashlib
import http.server
import os
import sys
import tempfile
import threading
from pathlib import Path

from .common import WORK, Row, Series, alternate

OUT = WORK / "index"
WORDS = ("model server training inference gpu cache queue vector feature store metrics "
         "gateway batch stream pipeline registry notebook dashboard tracing embedding").split()


def version_of(chart: int, version: int) -> str:
    """The version string of the `version`th version of chart number `chart`."""
    major, minor = divmod(version, 10)
    return f"{major}.{minor}.{chart % 7}" + ("-rc.1" if version % 9 == 8 else "")


def entry(chart: int, version: int, name: str, archive: tuple = None) -> str:
    """One index entry; `archive` = (sha256, url) of a real archive, else made-up ones."""
    major, minor = divmod(version, 10)
    ver = version_of(chart, version)
    digest, url = archive or (hashlib.sha256(f"{name}-{ver}".encode()).hexdigest(),
                              f"https://charts.example.com/stable/{name}-{ver}.tgz")
    words = [WORDS[(chart + i) % len(WORDS)] for i in range(4)]
    return f"""  - annotations:
      category: {words[0].capitalize()}
      ketch.dev/engine: minijinja
      licenses: Apache-2.0
    apiVersion: v2
    appVersion: {major + 1}.{minor}.{version % 5}
    created: "2026-{1 + version % 12:02d}-{1 + chart % 28:02d}T10:{version % 60:02d}:00.{chart:09d}Z"
    dependencies:
    - name: common
      repository: oci://registry.example.com/charts
      tags:
      - bitnami-common
      version: 2.x.x
    - condition: redis.enabled
      name: redis
      repository: https://charts.example.com/stable
      version: ~18.{minor}.0
    description: A {words[0]} {words[1]} chart for {words[2]} workloads, with {words[3]} support,
      autoscaling, probes and a ServiceMonitor; chart number {chart}, release {version}.
    digest: {digest}
    home: https://example.com/charts/{name}
    icon: https://example.com/charts/{name}/icon.svg
    keywords:
    - {words[0]}
    - {words[1]}
    - {words[2]}
    kubeVersion: ">=1.28.0-0"
    maintainers:
    - email: platform@example.com
      name: Platform Team
      url: https://example.com/platform
    name: {name}
    sources:
    - https://github.com/example/{name}
    - https://github.com/example/charts/tree/main/{name}
    type: application
    urls:
    - {url}
    version: {ver}
"""


def generate(charts: int, versions: int, path: Path = None, archives: dict = None) -> Path:
    """The index at `path` (default: a cached one under target/bench/index); `archives` maps
    (chart, version) numbers to the (sha256, url) of real archives."""
    if path is None:
        path = OUT / f"{charts}x{versions}" / "index.yaml"
        if path.exists():
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    archives = archives or {}
    with open(f"{path}.tmp", "w") as f:
        f.write("apiVersion: v1\nentries:\n")
        for c in range(charts):
            name = chart_name(c)
            f.write(f"  {name}:\n")
            for v in reversed(range(versions)):
                f.write(entry(c, v, name, archives.get((c, v))))
        f.write('generated: "2026-11-21T10:00:00.000000000Z"\n')
    os.replace(f"{path}.tmp", path)
    return path


def serve(directory: Path) -> tuple:
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(directory), **k)
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None

    class Server(http.server.ThreadingHTTPServer):
        # The default backlog of 5 drops concurrent connects, which then wait a second to retry.
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def tools_env(home: str) -> dict:
    """The environment with ketch's and Helm's config and caches all under `home`."""
    env = {k: v for k, v in os.environ.items() if k.lower() != "http_proxy"}
    return dict(env, KETCH_CONFIG_HOME=f"{home}/config", KETCH_CACHE_HOME=f"{home}/cache",
                HELM_REPOSITORY_CONFIG=f"{home}/helm/repositories.yaml",
                HELM_REPOSITORY_CACHE=f"{home}/helm/cache/repository", HELM_CONFIG_HOME=f"{home}/helm",
                HELM_CACHE_HOME=f"{home}/helm/cache", HELM_DATA_HOME=f"{home}/helm/data")


def chart_name(c: int) -> str:
    return f"{WORDS[c % len(WORDS)]}-{WORDS[(c * 7 + 3) % len(WORDS)]}-{c}"


def resolved(output: bytes) -> list:
    """(chart, version) of each line `search repo` printed under its header."""
    return [tuple(line.split()[:2]) for line in output.decode().splitlines()[1:] if line.strip()]


def rows(ketch: Path, helm, runs: int, charts: int = 500, versions: int = 30) -> list:
    index = generate(charts, versions)
    server, url = serve(index.parent)
    slow = max(1, min(runs, 5))  # runs of the steps that fetch and parse the whole index
    out = []
    with tempfile.TemporaryDirectory() as home:
        env = tools_env(home)
        tools = [ketch] + ([helm] if helm else [])

        def case(label, args, rounds, cold=False, repeatable=True):
            series = [Series([tool, *args], env, capture=True) for tool in tools]
            update = {id(s): Series([tool, "repo", "update"], env) for s, tool in zip(series, tools)}
            alternate(series, rounds, before=(lambda s, _: update[id(s)].once()) if cold else None,
                      repeatable=repeatable)
            row = Row("index", label, series[0], series[1] if helm else None)
            out.append(row)
            return row

        case("repo add (fetch, parse, cache)", ["repo", "add", "bench", url], 1, repeatable=False)
        case("repo update", ["repo", "update"], slow)
        case("search repo (cold: first after repo update)", ["search", "repo"], slow, cold=True)
        case("search repo (warm)", ["search", "repo"], runs)
        case("search repo gpu (warm)", ["search", "repo", "gpu"], runs)
        wanted = ["search", "repo", f"bench/{chart_name(7)}", "--version", "~2.1.0"]
        case("resolve a constraint (cold)", wanted, slow, cold=True)
        row = case("resolve a constraint (warm)", wanted, runs)
        got = [resolved(s.out) for s in (row.ketch, row.helm) if s]
        if not got[0] or any(g != got[0] for g in got):
            sys.exit(f"index: ketch and helm resolved {wanted[2]} {wanted[4]} differently: {got}")
        size = index.stat().st_size / 1e6
        for row in out:
            row.notes = f"{charts * versions} versions, {size:.1f} MB" if row.case.startswith("repo") else \
                f"→ {got[0][0][1]}" if row.case.startswith("resolve") else ""
    server.shutdown()
    return out
