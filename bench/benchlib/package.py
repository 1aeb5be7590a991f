"""Package benchmark: `ketch package` against `helm package` on a chart of 1,000 template files
(render's objects-4000 chart: 1,000 app templates, the macros file and one more; Helm gets the
Go-template twin). Each run writes a fresh archive into a temporary directory."""
import tarfile
import tempfile
from pathlib import Path

from . import render
from .common import Row, Series, alternate


def rows(ketch: Path, helm, runs: int) -> list:
    chart = render.objects_chart(4000)
    files = sum(1 for _ in (chart / "templates").iterdir())
    with tempfile.TemporaryDirectory() as out:
        k = Series([ketch, "package", chart, "-d", f"{out}/ketch"])
        h = Series([helm, "package", render.HELM_OUT / chart.name, "-d", f"{out}/helm"]) if helm else None
        alternate([s for s in (k, h) if s], runs)
        sizes = []
        for tool in ("ketch", "helm") if helm else ("ketch",):
            archive = next(Path(out, tool).glob("*.tgz"))
            with tarfile.open(archive) as tar:
                members = sum(1 for m in tar.getmembers() if "/templates/" in m.name)
            if members != files:
                raise SystemExit(f"package: {tool}'s archive holds {members} templates, the chart {files}")
            sizes.append(f"{tool} {archive.stat().st_size // 1024} KiB")
    return [Row("package", f"{chart.name} ({files} template files)", k, h, ", ".join(sizes))]
