"""Render benchmark: `ketch template` against `helm template` on generated charts.

Generates, under target/bench/charts/:
  objects-N     one chart whose templates yield N objects (ConfigMap, Deployment,
                Service and HPA per app, macros for names and labels)
  umbrella-100  an umbrella chart with 100 subcharts (3 objects each), globals
                and per-subchart values

each with a Go-template twin under target/bench/charts/helm/ for `helm template`.
Runs alternate between the tools; before timing, both outputs are checked to be
the same objects (parsed, normalised).
"""
import json
import sys
from pathlib import Path

import yaml

from .common import WORK, Row, Series, alternate, write

OUT = WORK / "charts" / "ketch"
HELM_OUT = WORK / "charts" / "helm"

HELM_CHART_YAML = """apiVersion: v2
name: {name}
version: 0.1.0
appVersion: "1.0.0"
"""
# The Go-template twins are Helm charts (no engine annotation), so ketch renders them as Helm does.
CHART_YAML = HELM_CHART_YAML + """annotations:
  ketch.dev/engine: minijinja
"""

HELPERS = """{% macro fullname(app) %}{{ release.name }}-{{ app.name }}{% endmacro %}
{% macro labels(app) -%}
app.kubernetes.io/name: {{ app.name }}
app.kubernetes.io/instance: {{ release.name }}
app.kubernetes.io/version: {{ chart.appVersion | quote }}
app.kubernetes.io/managed-by: {{ release.service }}
{%- endmacro %}
"""

APP_TEMPLATE = """{% import "_helpers.j2" as h %}
{% set app = values.apps[INDEX] %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ h.fullname(app) }}
  labels: {{ h.labels(app) | nindent(4) }}
data:
  settings.yaml: {{ app.settings | toyaml | quote }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ h.fullname(app) }}
  labels: {{ h.labels(app) | nindent(4) }}
spec:
  replicas: {{ app.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ app.name }}
  template:
    metadata:
      labels: {{ h.labels(app) | nindent(8) }}
      annotations:
        checksum/config: {{ app.settings | tojson | sha256 }}
    spec:
      containers:
        - name: server
          image: "{{ values.image.repository }}:{{ values.image.tag }}"
          ports:
            - containerPort: {{ app.port }}
          resources: {{ values.resources | toyaml | nindent(12) }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ h.fullname(app) }}
  labels: {{ h.labels(app) | nindent(4) }}
spec:
  selector:
    app.kubernetes.io/name: {{ app.name }}
  ports:
    - port: 80
      targetPort: {{ app.port }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ h.fullname(app) }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ h.fullname(app) }}
  minReplicas: {{ app.replicas }}
  maxReplicas: {{ app.replicas * 4 }}
"""

SUB_TEMPLATE = """{% macro fullname() %}{{ release.name }}-{{ chart.name }}{% endmacro %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ fullname() }}
  labels:
    team: {{ values.global.team }}
data:
  mode: {{ values.mode | quote }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ fullname() }}
spec:
  replicas: {{ values.replicas }}
  selector:
    matchLabels: {app: {{ chart.name }}}
  template:
    metadata:
      labels: {app: {{ chart.name }}}
    spec:
      containers:
        - name: server
          image: "{{ values.global.registry }}/{{ chart.name }}:{{ values.tag }}"
---
apiVersion: v1
kind: Service
metadata:
  name: {{ fullname() }}
spec:
  selector: {app: {{ chart.name }}}
  ports: [{port: 80, targetPort: 8080}]
"""

HELM_HELPERS = """{{- define "fullname" -}}{{ .root.Release.Name }}-{{ .app.name }}{{- end -}}
{{- define "labels" -}}
app.kubernetes.io/name: {{ .app.name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: ketch
{{- end -}}
"""

HELM_APP_TEMPLATE = """{{- $app := index .Values.apps INDEX }}
{{- $ctx := dict "root" . "app" $app }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "fullname" $ctx }}
  labels: {{- include "labels" $ctx | nindent 4 }}
data:
  settings.yaml: {{ toYaml $app.settings | quote }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "fullname" $ctx }}
  labels: {{- include "labels" $ctx | nindent 4 }}
spec:
  replicas: {{ $app.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $app.name }}
  template:
    metadata:
      labels: {{- include "labels" $ctx | nindent 8 }}
      annotations:
        checksum/config: {{ toJson $app.settings | sha256sum }}
    spec:
      containers:
        - name: server
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - containerPort: {{ $app.port }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "fullname" $ctx }}
  labels: {{- include "labels" $ctx | nindent 4 }}
spec:
  selector:
    app.kubernetes.io/name: {{ $app.name }}
  ports:
    - port: 80
      targetPort: {{ $app.port }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "fullname" $ctx }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "fullname" $ctx }}
  minReplicas: {{ $app.replicas }}
  maxReplicas: {{ mul $app.replicas 4 }}
"""

HELM_SUB_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "NAME.fullname" . }}
  labels:
    team: {{ .Values.global.team }}
data:
  mode: {{ .Values.mode | quote }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "NAME.fullname" . }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Chart.Name }}}
  template:
    metadata:
      labels: {app: {{ .Chart.Name }}}
    spec:
      containers:
        - name: server
          image: "{{ .Values.global.registry }}/{{ .Chart.Name }}:{{ .Values.tag }}"
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "NAME.fullname" . }}
spec:
  selector: {app: {{ .Chart.Name }}}
  ports: [{port: 80, targetPort: 8080}]
"""

HELM_SUB_HELPERS = """{{- define "NAME.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
"""


def objects_chart(objects: int) -> Path:
    """Writes the ketch chart and its Go-template twin (under HELM_OUT); returns the ketch one."""
    apps = objects // 4
    root = OUT / f"objects-{objects}"
    if root.exists():
        return root
    twin = HELM_OUT / root.name
    write(root / "Chart.yaml", CHART_YAML.format(name=f"objects-{objects}"))
    write(twin / "Chart.yaml", HELM_CHART_YAML.format(name=f"objects-{objects}"))
    lines = ["image:", "  repository: ghcr.io/example/server", '  tag: "1.0.0"',
             "resources:", "  requests: {cpu: 100m, memory: 128Mi}", "  limits: {cpu: 500m, memory: 256Mi}", "apps:"]
    for i in range(apps):
        # Keys in sorted order: Helm's toJson/toYaml sort them, ketch keeps them as written.
        lines += [f"  - name: app-{i}", f"    replicas: {1 + i % 3}", f"    port: {8000 + i % 100}",
                  "    settings:", "      log_level: info", f"      model: model-{i}", f"      workers: {i % 8 + 1}"]
    write(root / "values.yaml", "\n".join(lines) + "\n")
    write(twin / "values.yaml", "\n".join(lines) + "\n")
    write(root / "templates" / "_helpers.j2", HELPERS)
    write(twin / "templates" / "_helpers.tpl", HELM_HELPERS)
    for i in range(apps):
        write(root / "templates" / f"app-{i:04}.yaml", APP_TEMPLATE.replace("INDEX", str(i)))
        write(twin / "templates" / f"app-{i:04}.yaml", HELM_APP_TEMPLATE.replace("INDEX", str(i)))
    extra = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ release.name }}}}-extra-{i}\n"
                    for i in range(objects % 4))
    write(root / "templates" / "extra.yaml", extra)
    write(twin / "templates" / "extra.yaml", extra.replace("release.name", ".Release.Name"))
    return root


def umbrella_chart(subcharts: int) -> Path:
    """Writes the ketch umbrella and its Go-template twin (under HELM_OUT); returns the ketch one."""
    root = OUT / f"umbrella-{subcharts}"
    if root.exists():
        return root
    twin = HELM_OUT / root.name
    write(root / "Chart.yaml", CHART_YAML.format(name=f"umbrella-{subcharts}"))
    write(twin / "Chart.yaml", HELM_CHART_YAML.format(name=f"umbrella-{subcharts}"))
    lines = ["global:", "  team: ml-platform", "  registry: ghcr.io/example"]
    for i in range(subcharts):
        lines += [f"svc-{i:03}:", f"  replicas: {1 + i % 3}"]
    write(root / "values.yaml", "\n".join(lines) + "\n")
    write(twin / "values.yaml", "\n".join(lines) + "\n")
    write(root / "templates" / ".keep", "")
    write(twin / "templates" / ".keep", "")
    for i in range(subcharts):
        name = f"svc-{i:03}"
        write(root / "charts" / name / "Chart.yaml", CHART_YAML.format(name=name))
        write(twin / "charts" / name / "Chart.yaml", HELM_CHART_YAML.format(name=name))
        for base in (root, twin):
            write(base / "charts" / name / "values.yaml", 'replicas: 1\nmode: serve\ntag: "1.0.0"\n')
        write(root / "charts" / name / "templates" / "all.yaml", SUB_TEMPLATE)
        write(twin / "charts" / name / "templates" / "all.yaml", HELM_SUB_TEMPLATE.replace("NAME", name))
        write(twin / "charts" / name / "templates" / "_helpers.tpl", HELM_SUB_HELPERS.replace("NAME", name))
    return root


def objects_of(output: bytes) -> list:
    """The rendered objects, normalised: parsed, sorted, as canonical JSON."""
    docs = [d for d in yaml.safe_load_all(output) if d]
    return sorted(json.dumps(d, sort_keys=True) for d in docs)


def rows(ketch: Path, helm, runs: int) -> list:
    charts = [objects_chart(n) for n in (10, 100, 1000, 5000)] + [umbrella_chart(100)]
    out = []
    for chart in charts:
        k = Series([ketch, "template", "bench", chart], capture=True)
        h = Series([helm, "template", "bench", HELM_OUT / chart.name], capture=True) if helm else None
        k.once()
        objects = objects_of(k.out)
        if h:
            h.once()
            if objects != objects_of(h.out):
                sys.exit(f"{chart.name}: ketch and helm rendered different objects; not comparing")
            h.runs.clear()
        k.runs.clear()
        alternate([s for s in (k, h) if s], runs)
        out.append(Row("render", chart.name, k, h, f"{len(objects)} objects, {len(k.out) // 1024} KiB"))
    return out
