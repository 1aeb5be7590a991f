"""Helm charts benchmark: `ketch template` and `helm template` rendering the same Helm chart.

Cases: the Go-template twins of the render benchmark's generated charts (objects-1000,
umbrella-100, under target/bench/charts/helm/), and real public charts from the corpus
(tests/helm-corpus/fetch): kube-prometheus-stack, bitnami/redis and bitnami/wordpress (with
its mariadb and common subcharts). Values that Helm would generate at random (passwords) are
set, so both tools must print the same bytes: the run stops if they do not.
"""
import os
import subprocess
import sys
from pathlib import Path

from .common import REPO, Row, Series, alternate
from .render import HELM_OUT, objects_chart, umbrella_chart

CORPUS_CASES = [
    ("kube-prometheus-stack", "prometheus-community/kube-prometheus-stack",
     ["--set", "grafana.admin.password=bench"]),
    ("bitnami/redis", "bitnami/redis", ["--set", "auth.password=bench"]),
    ("bitnami/wordpress", "bitnami/wordpress",
     ["--set", "wordpressPassword=bench,mariadb.auth.rootPassword=bench,mariadb.auth.password=bench"]),
]


def corpus() -> Path:
    """The corpus' charts/ tree, fetched (or found in the cache) by tests/helm-corpus/fetch."""
    done = subprocess.run([REPO / "tests" / "helm-corpus" / "fetch"], check=True,
                          stdout=subprocess.PIPE, text=True)
    return Path(done.stdout.strip())


def rows(ketch: Path, helm, runs: int) -> list:
    objects_chart(1000)
    umbrella_chart(100)
    cases = [(f"{name} (Go templates)", HELM_OUT / name, []) for name in ("objects-1000", "umbrella-100")]
    charts = corpus()
    cases += [(label, charts / path, extra) for label, path, extra in CORPUS_CASES]
    out = []
    for label, chart, extra in cases:
        k = Series([ketch, "template", "bench", chart, *extra], capture=True)
        h = Series([helm, "template", "bench", chart, *extra], capture=True) if helm else None
        k.once()
        if h:
            h.once()
            if k.out != h.out:
                sys.exit(f"{label}: ketch and helm printed different output; not comparing")
            h.runs.clear()
        k.runs.clear()
        alternate([s for s in (k, h) if s], runs)
        docs = k.out.count(b"\n---\n") + k.out.startswith(b"---\n")
        out.append(Row("helm-charts", label, k, h,
                       f"{docs} documents, {len(k.out) // 1024} KiB, output byte-identical"))
    return out
