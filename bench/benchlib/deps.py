"""Dependency resolution benchmark: `ketch dep update` of an umbrella chart with 20 dependencies
against a large HTTP repository, beside `helm dependency update --skip-refresh`.

The repository is the index benchmark's generated index (15,000 chart versions, about 20 MB),
served from 127.0.0.1; 20 of its chart versions are real archives (packaged by ketch, listed with
their true digests and URLs), and the umbrella depends on those 20 charts by version ranges
(`^1.0`, `~2.1`, `>=2.0.0 <2.5.0`, `0.x`) through `@bench`. The repository is added first
(`repo add`), so each timed run reads the index from the cache. Before every run `charts/` and
`Chart.lock` are removed, and both tools must lock the versions the constraints pick.

  dep update (archives downloaded)   ketch's archive cache emptied before each run; Helm
                                     downloads every time
  dep update (archives cached)       ketch's archive cache kept, as after a first update

Helm v3 and v4 read and parse the whole index once per dependency, so a Helm run takes minutes:
Helm runs once.
"""
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import index
from .common import WORK, Row, Series, alternate

OUT = WORK / "deps"
DEPENDENCIES = 20
# Constraint -> the version number (the index's numbering) it resolves to: the highest stable
# version inside the range (every 9th version is a prerelease, which ranges skip).
CONSTRAINTS = {"^1.0": 19, "~2.1": 21, ">=2.0.0 <2.5.0": 24, "0.x": 9}


def package(ketch: Path, name: str, version: str, into: Path, env: dict) -> Path:
    """A real chart archive `name`-`version` with a template and values, packaged by ketch."""
    src = OUT / "src" / f"{name}-{version}"
    (src / "templates").mkdir(parents=True, exist_ok=True)
    (src / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: bench dependency\n"
        "annotations:\n  ketch.dev/engine: minijinja\n")
    (src / "values.yaml").write_text("settings:\n  level: info\n  workers: 4\n")
    (src / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}-"
        f"{name}\ndata:\n  settings: {{{{ values.settings | tojson | quote }}}}\n")
    subprocess.run([str(ketch), "package", str(src), "-d", str(into)], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    return into / f"{name}-{version}.tgz"


def rows(ketch: Path, helm, runs: int, charts: int = 500, versions: int = 30) -> list:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    server, url = index.serve(OUT)
    with tempfile.TemporaryDirectory() as home:
        env = dict(index.tools_env(home), SOURCE_DATE_EPOCH="0")
        # 20 charts spread over the index, each with one real archive its constraint picks.
        archives, requirements = {}, []
        for i in range(DEPENDENCIES):
            chart = i * (charts // DEPENDENCIES)
            constraint, version = list(CONSTRAINTS.items())[i % len(CONSTRAINTS)]
            name, ver = index.chart_name(chart), index.version_of(chart, version)
            archive = package(ketch, name, ver, OUT / "charts", env)
            digest = hashlib.sha256(archive.read_bytes()).hexdigest()
            archives[(chart, version)] = (digest, f"{url}/charts/{archive.name}")
            requirements.append((name, constraint, ver))
        path = index.generate(charts, versions, path=OUT / "index.yaml", archives=archives)

        umbrella = Path(home) / "umbrella"
        (umbrella / "templates").mkdir(parents=True)
        deps = "".join(f"  - name: {n}\n    version: '{c}'\n    repository: '@bench'\n"
                       for n, c, _ in requirements)
        (umbrella / "Chart.yaml").write_text(
            "apiVersion: v2\nname: umbrella\nversion: 0.1.0\n"
            f"dependencies:\n{deps}annotations:\n  ketch.dev/engine: minijinja\n")
        tools = [ketch] + ([helm] if helm else [])
        for tool in tools:
            Series([tool, "repo", "add", "bench", url], env).once(timed=False)

        def fresh(archive_cache: bool):
            def before(_series, _round):
                lock = umbrella / "Chart.lock"
                if lock.exists():
                    check(lock.read_text())
                shutil.rmtree(umbrella / "charts", ignore_errors=True)
                lock.unlink(missing_ok=True)
                if archive_cache:
                    shutil.rmtree(Path(home) / "cache" / "charts", ignore_errors=True)
            return before

        def check(lock: str):
            missing = [f"{n} {v}" for n, _, v in requirements
                       if not re.search(f"version: \"?{re.escape(v)}\"?\n", lock)]
            if missing:
                sys.exit(f"deps: the lock is not what the constraints pick: {missing}\n{lock}")

        update = ["dependency", "update", str(umbrella)]
        downloaded = Series([ketch, *update], env)
        alternate([downloaded], runs, before=fresh(archive_cache=True))
        helm_series = None
        if helm:
            helm_series = Series([helm, "dependency", "update", "--skip-refresh", str(umbrella)], env)
            alternate([helm_series], 1, before=fresh(archive_cache=False), repeatable=False)
        cached = Series([ketch, *update], env)
        alternate([cached], runs, before=fresh(archive_cache=False))
        fresh(archive_cache=False)(None, None)
        note = f"{DEPENDENCIES} dependencies, index {charts * versions} versions, {path.stat().st_size / 1e6:.1f} MB (cached)"
    server.shutdown()
    return [Row("deps", "dep update (archives downloaded)", downloaded, helm_series, note),
            Row("deps", "dep update (archives cached)", cached, None, "ketch's archive cache")]
