"""The command line shared by bench/run and the single benchmarks (bench/render, ...)."""
import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import common
from .common import HELM_VERSION, REPO


def cluster_env(start: bool):
    """The test cluster's environment: the caller's, if it has one; else, with `start`, a cluster
    started by tests/cluster/up (returns a stop function too); else None."""
    if os.environ.get("KETCH_TEST_AUDIT_LOG") and os.environ.get("KUBECONFIG"):
        return dict(os.environ), lambda: None
    if not start:
        return None, lambda: None
    cluster_dir = os.environ.get("KETCH_CLUSTER_DIR") or str(common.target_dir() / "cluster")
    env = dict(os.environ, KETCH_CLUSTER_DIR=cluster_dir)
    stop = lambda: subprocess.run([REPO / "tests" / "cluster" / "down"], env=env, check=False, stdout=sys.stderr)
    try:
        subprocess.run([REPO / "tests" / "cluster" / "up"], env=env, check=True, stdout=sys.stderr)
    except BaseException:
        stop()
        raise
    for line in Path(cluster_dir, "env").read_text().split():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value.strip("'\"")
    return env, stop


def main(benches: list, doc: str) -> None:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.tool_args(parser)
    parser.add_argument("--no-helm", action="store_true", help="time ketch alone")
    if "upgrade" in benches:
        parser.add_argument("--cluster", action="store_true",
                            help="start the test cluster (tests/cluster/up) for the upgrade benchmark "
                                 "when no cluster environment (KUBECONFIG, KETCH_TEST_AUDIT_LOG) is set")
        parser.add_argument("--upgrade-runs", type=int, default=5, help="timed upgrades per case (default 5)")
    args = parser.parse_args()
    common.ensure_packages()
    common.GNU_TIME = common.gnu_time()
    from . import deps, helm_charts, index, package, releases, render, serve  # after parsing: --help needs no PyYAML
    ketch = common.ketch_of(args)
    helm = None if args.no_helm else (args.helm or common.build_helm())
    versions = [subprocess.run([ketch, "version"], capture_output=True, text=True).stdout.strip()]
    if helm:
        versions.append(subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip())
    print(f"{common.machine()}; {' / '.join(v.splitlines()[0] for v in versions if v)}\n", flush=True)
    print(common.HEADER, flush=True)
    for bench in benches:
        rows = []
        if bench == "render":
            rows = render.rows(ketch, helm, args.runs)
        elif bench == "helm-charts":
            rows = helm_charts.rows(ketch, helm, args.runs)
        elif bench == "index":
            rows = index.rows(ketch, helm, args.runs)
        elif bench == "deps":
            rows = deps.rows(ketch, helm, args.runs)
        elif bench == "package":
            rows = package.rows(ketch, helm, args.runs)
        elif bench == "serve":
            rows = serve.rows(ketch, args.runs)
        elif bench == "upgrade":
            env, stop = cluster_env(args.cluster)
            if env is None:
                print("upgrade: skipped (no test cluster: `. target/cluster/env` first, or pass --cluster)\n",
                      file=sys.stderr)
                continue
            try:
                rows = releases.upgrade_rows(ketch, helm, args.upgrade_runs, env)
            finally:
                stop()
        for row in rows:
            print(common.format_row(row), flush=True)
    if helm is not None and HELM_VERSION not in str(helm):
        print(f"\n(helm: {helm})")
