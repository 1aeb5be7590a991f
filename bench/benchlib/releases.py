"""Releases on the test cluster: wall time and API requests of installs and upgrades.

Requests are read from the API server's audit log (KETCH_TEST_AUDIT_LOG: one JSON line per
request), told apart by User-Agent (`ketch/...`, `Helm/...`) and by the time window of each run:
reads (get, list, watch), writes (create, update, patch, delete) and, among the writes, object
writes: those to the release's objects and namespace, not to its record Secrets or Lease.

Charts: `app` is fixtures/charts/releases/app with hooks off (Secret, ConfigMap, Service,
Deployment, CronJob, Ingress); `configmaps-N` (generated under target/bench/charts/releases/, with a
Go-template twin under .../releases/helm/) is N ConfigMaps and one Deployment. `message` changes
the first ConfigMap only; `shared` changes every object.
"""
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .common import REPO, WORK, Row, Series, write

OUT = WORK / "charts" / "releases"

CHART_YAML = "apiVersion: v2\nname: configmaps-{n}\nversion: 0.1.0\nannotations:\n  ketch.dev/engine: minijinja\n"
VALUES = "count: {n}\nmessage: hello\nshared: a\n"
KETCH_TEMPLATES = {
    "configmaps.yaml": """{% for i in range(values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ release.name }}-{{ i }}
data:
  message: {{ (values.message if i == 0 else 'fixed') | quote }}
  shared: {{ values.shared | quote }}
{% endfor %}
""",
    "deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ release.name }}
  annotations:
    shared: {{ values.shared | quote }}
spec:
  replicas: 1
  selector:
    matchLabels: {app: '{{ release.name }}'}
  template:
    metadata:
      labels: {app: '{{ release.name }}'}
    spec:
      containers:
        - name: app
          image: registry.k8s.io/pause:3.10
""",
}
HELM_TEMPLATES = {
    "configmaps.yaml": """{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-{{ $i }}
data:
  message: {{ ternary $.Values.message "fixed" (eq $i 0) | quote }}
  shared: {{ $.Values.shared | quote }}
{{- end }}
""",
    "deployment.yaml": KETCH_TEMPLATES["deployment.yaml"]
    .replace("{{ release.name }}", "{{ .Release.Name }}")
    .replace("{{ values.shared | quote }}", "{{ .Values.shared | quote }}"),
}


def generate(n: int) -> Path:
    """Writes configmaps-N (and its Go-template twin under OUT/helm); returns the ketch chart."""
    chart = OUT / f"configmaps-{n}"
    for root, templates in ((chart, KETCH_TEMPLATES), (OUT / "helm" / chart.name, HELM_TEMPLATES)):
        write(root / "Chart.yaml", CHART_YAML.format(n=n))
        write(root / "values.yaml", VALUES.format(n=n))
        for name, text in templates.items():
            write(root / "templates" / name, text)
    return chart


def helm_twin(chart: Path) -> Path:
    return OUT / "helm" / chart.name


@dataclass
class Requests:
    reads: int = 0
    writes: int = 0
    object_writes: int = 0

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def __str__(self) -> str:
        return f"{self.total} ({self.reads} r, {self.writes} w, {self.object_writes} object w)"


WRITES = ("create", "update", "patch", "delete", "deletecollection")
RECORDS = ("/secrets/ketch.release.", "/secrets/sh.helm.release.", "/leases")


class AuditLog:
    """Requests in the audit log, by User-Agent prefix and time window."""

    def __init__(self, path: Path):
        self.path, self.offset = Path(path), 0

    def mark(self) -> None:
        """Later reads only look at what the log gets from now on."""
        self.offset = self.path.stat().st_size

    def events(self) -> list:
        time.sleep(1.5)  # the audit backend writes asynchronously
        with self.path.open("rb") as f:
            f.seek(self.offset)
            return [json.loads(line) for line in f if line.strip()]

    @staticmethod
    def count(events: list, agent: str, start: float, end: float) -> Requests:
        counted = Requests()
        for event in events:
            if not event.get("userAgent", "").startswith(agent):
                continue
            at = datetime.fromisoformat(event["requestReceivedTimestamp"]).timestamp()
            if not start <= at <= end:
                continue
            if event["verb"] not in WRITES:
                counted.reads += 1
                continue
            counted.writes += 1
            uri = event["requestURI"].split("?")[0]
            # A Secret created by the collection URL is a new record; a delete of the collection
            # is ketch pruning its history beyond --history-max (Helm deletes records by name).
            record = any(r in uri for r in RECORDS) or (
                event["verb"] in ("create", "deletecollection") and uri.endswith("/secrets"))
            if not record:
                counted.object_writes += 1
        return counted


@dataclass
class Step:
    """One timed run of a tool and its time window, for the audit log."""
    tool: str
    agent: str
    start: float
    end: float


class Cluster:
    """Runs commands against the test cluster, noting each run's window for counting requests."""

    def __init__(self, env: dict):
        audit = env.get("KETCH_TEST_AUDIT_LOG")
        if not audit or not env.get("KUBECONFIG"):
            sys.exit("start the test cluster and `. target/cluster/env` first")
        self.env, self.audit, self.steps = env, AuditLog(audit), []
        self.audit.mark()

    def run(self, series: Series, agent: str, args: list) -> Step:
        series.cmd = [series.cmd[0], *args]
        started = time.time()
        series.once(rss=True)
        step = Step(str(series.cmd[0]), agent, started, time.time())
        self.steps.append(step)
        return step

    def requests(self, steps: list) -> list:
        events = self.audit.events()
        return [AuditLog.count(events, s.agent, s.start, s.end) for s in steps]


def ketch_table(ketch: Path, configmaps: list, env: dict) -> None:
    """install, upgrades (nothing, one object, after a drift) and uninstall: ketch alone."""
    cluster = Cluster(env)
    charts = [("app", REPO / "fixtures/charts/releases/app", ["--set", "hook.enabled=false"])]
    charts += [(f"configmaps-{n}", generate(n), []) for n in configmaps]
    kubectl = env.get("KUBECTL", "kubectl")
    print("| chart | step | requests (reads, writes, object writes) | wall time |")
    print("|---|---|---:|---:|")
    for name, chart, flags in charts:
        ns = f"bench-{name}-{int(time.time())}"
        upgrade = ["upgrade", "bench", chart, "-n", ns, *flags]
        steps = [
            ("install", ["install", "bench", chart, "-n", ns, "--create-namespace", *flags]),
            ("upgrade, nothing changed", upgrade),
            ("upgrade, one ConfigMap changed", [*upgrade, "--set", "message=changed"]),
            ("upgrade after one object drifted", [*upgrade, "--set", "message=changed"]),
            ("uninstall", ["uninstall", "bench", "-n", ns]),
        ]
        for label, command in steps:
            if label.startswith("upgrade after"):
                cm = "bench-config" if name == "app" else "bench-0"
                subprocess.run([kubectl, "-n", ns, "patch", "configmap", cm, "--type=merge",
                                "-p", '{"data":{"message":"drift"}}'], check=True, capture_output=True, env=env)
            series = Series([ketch], env)
            (requests,) = cluster.requests([cluster.run(series, "ketch/", command)])
            print(f"| {name} | {label} | {requests} | {series.runs[0].seconds * 1000:.0f} ms |", flush=True)


@dataclass
class Tool:
    """A tool under test on the cluster: its binary, User-Agent, chart and extra install flags."""
    label: str
    binary: Path
    agent: str
    chart: Path
    install_flags: list


def upgrade_rows(ketch: Path, helm, runs: int, env: dict, objects: int = 300) -> list:
    """A release of `objects` objects, installed once per tool (each in its own namespace), then
    `runs` upgrades that change one object and `runs` that change every object, tools alternating."""
    cluster = Cluster(env)
    chart = generate(objects - 1)
    tools = [Tool("ketch", ketch, "ketch/", chart, [])]
    if helm:
        tools += [Tool("helm, server-side apply (v4's default)", helm, "Helm/", helm_twin(chart), []),
                  Tool("helm --server-side=false", helm, "Helm/", helm_twin(chart), ["--server-side=false"])]
    stamp = int(time.time())
    cases = {"install": ([], 1), "upgrade, one object changed": ("message", runs),
             "upgrade, every object changed": ("shared", runs)}
    results = {}  # (case, tool label) -> (Series, [Step])
    for case, (key, rounds) in cases.items():
        for i in range(rounds):
            for n, tool in enumerate(tools):
                ns = f"bench-upgrade-{n}-{stamp}"
                series, steps = results.setdefault((case, tool.label), (Series([tool.binary], env), []))
                if case == "install":
                    args = ["install", "bench", tool.chart, "-n", ns, "--create-namespace", *tool.install_flags]
                else:
                    args = ["upgrade", "bench", tool.chart, "-n", ns, "--set", f"{key}={key[0]}{i}"]
                steps.append(cluster.run(series, tool.agent, args))
    counted = iter(cluster.requests([s for _, steps in results.values() for s in steps]))
    requests = {k: [next(counted) for _ in steps] for k, (_, steps) in results.items()}
    rows = []
    for case in cases:
        ketch_series = results[(case, "ketch")][0]
        median = lambda label: typical(requests[(case, label)])
        for tool in tools[1:] or tools:
            helm_series = results[(case, tool.label)][0] if tool is not tools[0] else None
            label = f"{case}, {objects} objects" + (f"; {tool.label}" if helm_series else "")
            notes = f"requests: ketch {median('ketch')}" + (f"; helm {median(tool.label)}" if helm_series else "")
            rows.append(Row("upgrade", label, ketch_series, helm_series, notes))
    one = [r.object_writes for r in requests[("upgrade, one object changed", "ketch")]]
    if any(w != 1 for w in one):
        sys.exit(f"upgrade: ketch sent {one} object writes for upgrades that change one object; expected 1 each")
    return rows


def typical(counts: list) -> Requests:
    """The median run's counts (by total requests)."""
    ordered = sorted(counts, key=lambda r: r.total)
    return ordered[len(ordered) // 2]


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ketch", type=Path, default=Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
                        / "debug" / "ketch", help="default: the debug build (request counts do not depend on it)")
    parser.add_argument("--configmaps", type=int, nargs="*", default=[100])
    args = parser.parse_args()
    ketch_table(args.ketch, args.configmaps, dict(os.environ))


if __name__ == "__main__":
    main()
