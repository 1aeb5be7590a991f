//! ketch: a Kubernetes packaging engine with Jinja-templated, Helm-compatible charts.

pub mod action;
pub mod apply;
pub mod atomic;
pub mod chart;
pub mod cluster;
pub mod create;
pub mod engine;
pub mod error;
pub mod hooks;
pub mod kube_schema;
pub mod lint;
pub mod manifest;
pub mod package;
pub mod parallel;
pub mod paths;
pub mod pull;
pub mod registry;
pub mod release;
pub mod repo;
pub mod serve;
pub mod timestamp;
pub mod values;
pub mod version;
pub mod wait;
pub mod yaml;
