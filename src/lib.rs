//! ketch: a Kubernetes packaging engine with Jinja-templated, Helm-compatible charts.
