//! Values: files, --set flags, precedence, subchart scoping, schema validation.

use ketch::chart::{Chart, ChartFile, Dependency, Metadata};
use ketch::values::{self, UserValues, ValueOptions, Values, ValuesError, resolve};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    format!("{}/fixtures/values/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn map(value: Value) -> Values {
    match value {
        Value::Object(map) => map,
        other => panic!("not a mapping: {other}"),
    }
}

/// Builds charts in memory, so these tests do not depend on the loader.
fn chart(name: &str) -> Chart {
    let metadata: Metadata = ketch::yaml::parse(
        &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
        "Chart.yaml",
    )
    .unwrap();
    Chart {
        metadata,
        values: Values::new(),
        values_text: None,
        schema: None,
        templates: Vec::new(),
        files: Vec::new(),
        subcharts: Vec::new(),
        origin: name.to_string(),
    }
}

trait ChartBuilder {
    fn defaults(self, values: Value) -> Self;
    fn schema(self, schema: Value) -> Self;
    fn file(self, path: &str, data: &str) -> Self;
    fn sub(self, sub: Chart) -> Self;
    /// A Chart.yaml `dependencies` entry, written in YAML.
    fn depends(self, yaml: &str) -> Self;
}

impl ChartBuilder for Chart {
    fn defaults(mut self, values: Value) -> Self {
        self.values = map(values);
        self
    }
    fn schema(mut self, schema: Value) -> Self {
        self.schema = Some(schema);
        self
    }
    fn file(mut self, path: &str, data: &str) -> Self {
        self.files.push(ChartFile {
            path: path.to_string(),
            data: data.as_bytes().to_vec().into(),
        });
        self
    }
    fn sub(mut self, sub: Chart) -> Self {
        self.subcharts.push(sub);
        self
    }
    fn depends(mut self, yaml: &str) -> Self {
        let dependency: Dependency = ketch::yaml::parse(yaml, "Chart.yaml").unwrap();
        self.metadata.dependencies.push(dependency);
        self
    }
}

fn merge(options: &ValueOptions) -> UserValues {
    options.merge_values(&mut std::io::empty()).unwrap()
}

fn names(chart: &Chart) -> Vec<&str> {
    chart.subcharts.iter().map(|c| c.name()).collect()
}

#[test]
fn precedence_from_defaults_to_set_file() {
    let db = chart("db").defaults(json!({
        "a": "db-default", "b": "db-default", "c": "db-default", "d": "db-default", "e": "db-default",
        "f": "db-default", "g": "db-default", "h": "db-default", "i": "db-default",
    }));
    let app = chart("app")
        .defaults(json!({
            "replicaCount": 1,
            "image": {"repository": "nginx", "tag": "1.0"},
            "db": {"b": "parent", "c": "parent", "d": "parent", "e": "parent", "f": "parent", "g": "parent", "h": "parent", "i": "parent"},
        }))
        .sub(db);
    let options = ValueOptions {
        value_files: vec![fixture("base.yaml"), fixture("prod.yaml")],
        set_json: vec![r#"db.e={"from":"json"},db.f=1"#.into()],
        set: vec!["db.f=true,db.g=true".into(), "db.h=007".into()],
        set_string: vec!["db.g=true,db.h=true".into()],
        set_file: vec![format!("db.h={}", fixture("password.txt"))],
        set_literal: vec!["db.i=a,b=c".into()],
    };
    let user = merge(&options);
    let (_, values) = resolve(app, user.values).unwrap();
    assert_eq!(values["replicaCount"], json!(2));
    // prod.yaml's `tag: null` removes both base.yaml's tag and the chart default.
    assert_eq!(values["image"], json!({"repository": "nginx"}));
    let db = &values["db"];
    assert_eq!(db["a"], "db-default");
    assert_eq!(db["b"], "parent");
    assert_eq!(db["c"], "file1");
    assert_eq!(db["d"], "file2");
    assert_eq!(db["e"], json!({"from": "json"}));
    assert_eq!(db["f"], json!(true), "--set over --set-json");
    assert_eq!(db["g"], json!("true"), "--set-string over --set");
    assert_eq!(db["h"], json!("s3cret\n"), "--set-file over --set-string");
    assert_eq!(db["i"], json!("a,b=c"), "--set-literal last");
}

#[test]
fn sources_are_kept_apart_in_order() {
    let options = ValueOptions {
        value_files: vec![fixture("base.yaml")],
        set: vec!["replicaCount=3".into()],
        set_json: vec![r#"{"image":{"tag":"2"}}"#.into()],
        ..ValueOptions::default()
    };
    let user = merge(&options);
    let names: Vec<&str> = user.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            fixture("base.yaml").as_str(),
            r#"--set-json {"image":{"tag":"2"}}"#,
            "--set replicaCount=3"
        ]
    );
    assert_eq!(user.values["replicaCount"], json!(3));
    assert_eq!(user.values["image"], json!({"tag": "2"}));
    assert_eq!(
        user.source_of(&["replicaCount"]),
        Some("--set replicaCount=3")
    );
    assert_eq!(
        user.source_of(&["db", "c"]),
        Some(fixture("base.yaml").as_str())
    );
}

#[test]
fn set_index_changes_a_list_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ports.yaml");
    std::fs::write(
        &file,
        "ports:\n  - {name: http, port: 80}\n  - {name: metrics, port: 9090}\n",
    )
    .unwrap();
    let options = ValueOptions {
        value_files: vec![file.display().to_string()],
        set: vec!["ports[1].port=9100".into()],
        ..ValueOptions::default()
    };
    let user = merge(&options);
    assert_eq!(
        user.values["ports"],
        json!([{"name": "http", "port": 80}, {"name": "metrics", "port": 9100}])
    );
}

#[test]
fn stdin_is_a_values_file() {
    let options = ValueOptions {
        value_files: vec![fixture("base.yaml"), "-".into()],
        ..ValueOptions::default()
    };
    let mut stdin = "replicaCount: 5\nfrom: stdin\n".as_bytes();
    let user = options.merge_values(&mut stdin).unwrap();
    assert_eq!(user.values["replicaCount"], json!(5));
    assert_eq!(user.values["from"], json!("stdin"));
    assert_eq!(user.source_of(&["from"]), Some("<stdin>"));
}

#[test]
fn set_file_can_read_stdin() {
    let options = ValueOptions {
        set_file: vec!["config=-".into()],
        ..ValueOptions::default()
    };
    let mut stdin = "line 1\nline 2\n".as_bytes();
    let user = options.merge_values(&mut stdin).unwrap();
    assert_eq!(user.values["config"], json!("line 1\nline 2\n"));
}

/// The error from reading one values fixture.
fn file_error(name: &str) -> ValuesError {
    let options = ValueOptions {
        value_files: vec![fixture(name)],
        ..ValueOptions::default()
    };
    options.merge_values(&mut std::io::empty()).unwrap_err()
}

#[test]
fn value_file_errors_name_the_file() {
    let err = file_error("missing.yaml");
    assert!(matches!(err, ValuesError::ReadFile { .. }));
    let prefix = format!("cannot read values file {}:", fixture("missing.yaml"));
    assert!(err.to_string().starts_with(&prefix), "{err}");

    assert_eq!(
        file_error("not-a-mapping.yaml").to_string(),
        format!(
            "values file {}: the top level must be a mapping of keys to values, found a list at line 3; write it as `key: value` lines",
            fixture("not-a-mapping.yaml")
        )
    );

    let err = file_error("bad-indent.yaml").to_string();
    assert!(
        err.starts_with(&format!("values file {}: ", fixture("bad-indent.yaml"))),
        "{err}"
    );
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn set_errors_name_flag_expression_and_position() {
    let options = ValueOptions {
        set: vec!["ok=1".into(), "a.b".into()],
        ..ValueOptions::default()
    };
    let err = options
        .merge_values(&mut std::io::empty())
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!(err, @r#"--set "a.b": key "a.b" has no value (at character 1)"#);

    let options = ValueOptions {
        set_file: vec!["tls.key=/nonexistent/tls.key".into()],
        ..ValueOptions::default()
    };
    let err = options
        .merge_values(&mut std::io::empty())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(r#"--set-file "tls.key=/nonexistent/tls.key": cannot read file "/nonexistent/tls.key": "#),
        "{err}"
    );

    let options = ValueOptions {
        set_json: vec![r#"{"a": }"#.into()],
        ..ValueOptions::default()
    };
    let err = options
        .merge_values(&mut std::io::empty())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(r#"--set-json "{\"a\": }": not a valid JSON object"#),
        "{err}"
    );
}

#[test]
fn null_from_the_user_deletes_defaults_in_chart_and_subchart() {
    let db = chart("db").defaults(
        json!({"password": "default", "port": 5432, "tls": {"enabled": true, "cert": "x"}}),
    );
    let app = chart("app")
        .defaults(json!({"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "100m"}}, "tag": null}))
        .sub(db);
    let user = merge(&ValueOptions {
        set: vec!["resources.limits=null,db.password=null,db.tls.cert=null".into()],
        ..ValueOptions::default()
    });
    let (_, values) = resolve(app.clone(), user.values.clone()).unwrap();
    assert_eq!(values["resources"], json!({"requests": {"cpu": "100m"}}));
    // A Helm chart's null defaults are dropped, the top chart's too, as Helm
    // v4.3.2 drops them (`hasKey .Values "tag"` is false in `helm template`).
    assert_eq!(values.get("tag"), None);
    // A ketch chart's own top-level null default stays.
    let mut jinja = app;
    jinja
        .metadata
        .annotations
        .insert("ketch.dev/engine".into(), "minijinja".into());
    let (_, values) = resolve(jinja, user.values).unwrap();
    assert_eq!(values.get("tag"), Some(&Value::Null));
    assert_eq!(
        values["db"],
        json!({"port": 5432, "tls": {"enabled": true}, "global": {}})
    );
}

/// Helm keeps a user's `null` where values.yaml has nothing under it
/// (`--set name1=null` gives `name1: null`), and removes it with the default
/// where there is one, at the top of a scope even a `null` default.
#[test]
fn a_null_for_a_key_the_chart_does_not_define_is_kept() {
    let db = chart("db").defaults(json!({"port": 5432, "off": null}));
    let app = chart("app")
        .defaults(json!({"image": {"tag": "1"}, "gone": "x", "unset": null}))
        .sub(db);
    let user = merge(&ValueOptions {
        set: vec![
            "name1=null,image.extra=null,db.other=null,db.off=null,gone=null,unset=null".into(),
        ],
        set_json: vec![r#"j={"k":null}"#.into()],
        ..ValueOptions::default()
    });
    let (_, values) = resolve(app, user.values).unwrap();
    assert_eq!(values.get("name1"), Some(&Value::Null));
    assert_eq!(values["image"], json!({"tag": "1", "extra": null}));
    assert_eq!(values["j"], json!({"k": null}));
    assert!(values.get("gone").is_none());
    assert!(values.get("unset").is_none());
    assert_eq!(
        values["db"],
        json!({"port": 5432, "other": null, "global": {}})
    );
}

#[test]
fn globals_flow_to_subcharts_and_their_subcharts() {
    let leaf = chart("leaf")
        .defaults(json!({"global": {"registry": "leaf-default", "leafOnly": 1}, "x": 1}));
    let db = chart("db")
        .defaults(json!({"global": {"registry": "db-default", "dbOnly": true, "labels": {"team": "db", "tier": "data"}}}))
        .sub(leaf);
    let app = chart("app")
        .defaults(json!({"global": {"registry": "registry.example", "labels": {"team": "ml"}}}))
        .sub(db)
        .sub(chart("web"));
    let user = merge(&ValueOptions {
        set: vec!["global.labels.env=prod,db.global.fromUser=1".into()],
        ..ValueOptions::default()
    });
    let (_, values) = resolve(app, user.values).unwrap();
    assert_eq!(
        values["global"],
        json!({"registry": "registry.example", "labels": {"team": "ml", "env": "prod"}})
    );
    assert_eq!(
        values["db"]["global"],
        json!({
            "registry": "registry.example",
            "dbOnly": true,
            "labels": {"team": "ml", "tier": "data", "env": "prod"},
            "fromUser": 1,
        })
    );
    assert_eq!(
        values["db"]["leaf"]["global"]["registry"],
        "registry.example"
    );
    assert_eq!(values["db"]["leaf"]["global"]["dbOnly"], json!(true));
    assert_eq!(values["db"]["leaf"]["global"]["leafOnly"], json!(1));
    assert_eq!(values["db"]["leaf"]["global"]["labels"]["env"], "prod");
    assert_eq!(values["db"]["leaf"]["x"], json!(1));
    assert_eq!(
        values["web"],
        json!({"global": {"registry": "registry.example", "labels": {"team": "ml", "env": "prod"}}})
    );
}

#[test]
fn a_global_null_removes_a_subchart_global_default() {
    let db = chart("db").defaults(json!({"global": {"proxy": "http://proxy", "keep": 1}}));
    let app = chart("app").sub(db);
    let user = merge(&ValueOptions {
        set: vec!["global.proxy=null".into()],
        ..ValueOptions::default()
    });
    let (_, values) = resolve(app, user.values).unwrap();
    assert_eq!(values["db"]["global"], json!({"keep": 1}));
    assert_eq!(values["global"], json!({}));
}

#[test]
fn aliases_make_two_instances_of_one_chart() {
    let db = chart("postgres").defaults(json!({"port": 5432, "role": "none"}));
    let app = chart("app")
        .defaults(json!({"primary": {"role": "primary"}}))
        .sub(db)
        .depends("name: postgres\nalias: primary\n")
        .depends("name: postgres\nalias: replica\n");
    let user = merge(&ValueOptions {
        set: vec!["replica.role=replica,replica.port=5433".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(app, user.values).unwrap();
    assert_eq!(names(&resolved), ["primary", "replica"]);
    assert!(values.get("postgres").is_none());
    assert_eq!(
        values["primary"],
        json!({"port": 5432, "role": "primary", "global": {}})
    );
    assert_eq!(
        values["replica"],
        json!({"port": 5433, "role": "replica", "global": {}})
    );
}

#[test]
fn undeclared_subcharts_are_kept_and_declared_ones_named_by_chart() {
    let app = chart("app")
        .sub(chart("extra").defaults(json!({"a": 1})))
        .sub(chart("redis"))
        .depends("name: redis\n");
    let (resolved, values) = resolve(app, Values::new()).unwrap();
    assert_eq!(names(&resolved), ["extra", "redis"]);
    assert_eq!(values["extra"]["a"], json!(1));
}

#[test]
fn conditions_and_tags_disable_subcharts() {
    let app = chart("app")
        .defaults(json!({"tags": {"backend": false, "frontend": true}}))
        .sub(chart("api").defaults(json!({"enabled": false})))
        .sub(chart("worker").defaults(json!({"replicas": 1})))
        .sub(chart("cache").defaults(json!({"enabled": false})))
        .sub(chart("ui"))
        .sub(chart("batch"))
        .sub(chart("loose"))
        // A condition overrides tags: api is on although its tag is off.
        .depends("name: api\ncondition: api.enabled\ntags: [backend]\n")
        .depends("name: worker\ntags: [backend]\n")
        .depends("name: cache\ncondition: cache.enabled\n")
        .depends("name: ui\ntags: [frontend, backend]\n")
        // The first path that holds a boolean decides; a missing or non-boolean one is skipped.
        .depends("name: batch\ncondition: missing.path, batch.mode, global.batch.enabled\n");
    let user = merge(&ValueOptions {
        set: vec!["api.enabled=true,batch.mode=fast,global.batch.enabled=false".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(app, user.values).unwrap();
    assert_eq!(names(&resolved), ["loose", "api", "ui"]);
    let declared: Vec<&str> = resolved
        .metadata
        .dependencies
        .iter()
        .map(|d| d.scope())
        .collect();
    assert_eq!(declared, ["api", "ui"]);
    // A disabled subchart's defaults are not coalesced in.
    assert!(values.get("worker").is_none());
    assert!(values.get("cache").is_none());
    // Values the user gave a disabled subchart stay as given, not coalesced.
    assert_eq!(values["batch"], json!({"mode": "fast"}));
    assert_eq!(values["api"]["enabled"], json!(true));
}

#[test]
fn user_tags_and_nested_conditions() {
    let grandchild = chart("metrics");
    let child = chart("server")
        .defaults(json!({"metrics": {"enabled": true}}))
        .sub(grandchild)
        .depends("name: metrics\ncondition: metrics.enabled\n");
    let app = chart("app")
        .sub(child)
        .sub(chart("gpu"))
        .depends("name: server\n")
        .depends("name: gpu\ntags: [accelerated]\n");
    // Defaults: the grandchild is on (its condition is relative to its parent's values).
    let (resolved, _) = resolve(app.clone(), Values::new()).unwrap();
    assert_eq!(names(&resolved), ["server", "gpu"]);
    assert_eq!(names(&resolved.subcharts[0]), ["metrics"]);

    let user = merge(&ValueOptions {
        set: vec!["tags.accelerated=false,server.metrics.enabled=false".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(app, user.values).unwrap();
    assert_eq!(names(&resolved), ["server"]);
    assert!(resolved.subcharts[0].subcharts.is_empty());
    assert!(
        values["server"]
            .get("metrics")
            .is_some_and(|m| m.get("global").is_none())
    );
}

#[test]
fn import_values_both_forms() {
    let db = chart("postgres").defaults(json!({
        "exports": {"connection": {"port": 5432, "host": "postgres", "sslmode": "disable"}},
        "service": {"name": "pg", "type": "ClusterIP"},
        "scalar": 1,
    }));
    let app = chart("app")
        .defaults(json!({"host": "parent-wins", "database": {"service": {"type": "parent-type"}}}))
        .sub(db)
        .depends(
            "name: postgres\nalias: db\nimport-values:\n  - connection\n  - child: service\n    parent: database.service\n  - child: scalar\n    parent: nope\n",
        );
    let (_, values) = resolve(app.clone(), Values::new()).unwrap();
    assert_eq!(values["port"], json!(5432));
    assert_eq!(values["sslmode"], "disable");
    assert_eq!(
        values["host"], "parent-wins",
        "the parent's own values win over imports"
    );
    assert_eq!(
        values["database"]["service"],
        json!({"type": "parent-type", "name": "pg"})
    );
    assert!(
        values.get("nope").is_none(),
        "a scalar is not imported, as in Helm"
    );

    // The user's values win over imported ones.
    let user = merge(&ValueOptions {
        set: vec!["port=6543".into()],
        ..ValueOptions::default()
    });
    let (_, values) = resolve(app, user.values).unwrap();
    assert_eq!(values["port"], json!(6543));
}

#[test]
fn imports_pass_up_through_two_levels() {
    let leaf = chart("leaf").defaults(json!({"exports": {"info": {"leafPort": 1}}}));
    let mid = chart("mid")
        .defaults(json!({"exports": {"info": {"midPort": 2}}}))
        .sub(leaf)
        .depends("name: leaf\nimport-values:\n  - child: exports.info\n    parent: exports.info\n");
    let app = chart("app")
        .sub(mid)
        .depends("name: mid\nimport-values: [info]\n");
    let (_, values) = resolve(app, Values::new()).unwrap();
    assert_eq!(values["midPort"], json!(2));
    assert_eq!(values["leafPort"], json!(1));
}

#[test]
fn declared_dependency_missing_from_charts_folder() {
    let app = chart("app").depends("name: redis\nversion: 1.x\n");
    let err = resolve(app, Values::new()).unwrap_err().to_string();
    insta::assert_snapshot!(err, @r#"chart app declares dependency "redis" in Chart.yaml, but there is no chart named "redis" in its charts/ folder; run `ketch dependency build` to fetch it"#);
}

#[test]
fn subchart_scope_must_be_a_mapping() {
    let app = chart("app").sub(chart("db"));
    let err = resolve(app, map(json!({"db": "oops"})))
        .unwrap_err()
        .to_string();
    insta::assert_snapshot!(err, @r#"the values for subchart "db" of chart app must be a mapping, found a string; fix or remove `db` in your values"#);
}

fn schema_chart() -> Chart {
    let db = chart("postgres")
        .defaults(json!({"port": 5432, "storage": "10Gi"}))
        .schema(json!({
            "type": "object",
            "properties": {
                "port": {"type": "integer", "maximum": 65535},
                "storage": {"type": "string", "pattern": "^[0-9]+Gi$"},
            },
        }));
    chart("app")
        .defaults(
            json!({"replicaCount": 1, "ports": [{"name": "http"}], "db": {"storage": "lots"}}),
        )
        .schema(json!({
            "type": "object",
            "required": ["replicaCount"],
            "properties": {
                "replicaCount": {"type": "integer"},
                "ports": {"type": "array", "items": {"required": ["name", "port"]}},
            },
        }))
        .sub(db)
        .depends("name: postgres\nalias: db\n")
}

#[test]
fn schema_errors_name_chart_path_reason_and_source() {
    let user = merge(&ValueOptions {
        value_files: vec![fixture("bad-port.yaml")],
        set: vec!["replicaCount=three".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(schema_chart(), user.values.clone()).unwrap();
    let err = values::validate(&resolved, &values, Some(&user)).unwrap_err();
    let ValuesError::Schema(violations) = &err else {
        panic!("not a schema error: {err}");
    };
    let got: Vec<(&str, &str, &str, Option<&str>)> = violations
        .iter()
        .map(|v| {
            (
                v.chart.as_str(),
                v.pointer.as_str(),
                v.path.as_str(),
                v.source.as_deref(),
            )
        })
        .collect();
    let bad_port = fixture("bad-port.yaml");
    assert_eq!(
        got,
        [
            (
                "app",
                "/replicaCount",
                "replicaCount",
                Some("--set replicaCount=three")
            ),
            (
                "app",
                "/ports/0",
                "ports[0]",
                Some("values.yaml of chart app")
            ),
            ("app/db", "/port", "db.port", Some(bad_port.as_str())),
            (
                "app/db",
                "/storage",
                "db.storage",
                Some("values.yaml of chart app")
            ),
        ]
    );
    assert_eq!(violations[0].message, r#""three" is not of type "integer""#);
    assert!(
        violations[2].message.contains("65535"),
        "{}",
        violations[2].message
    );
    let text = err.to_string();
    let expected_first = "the values do not match the charts' values.schema.json (4 errors):\n  \
        - chart app: replicaCount: \"three\" is not of type \"integer\" (from --set replicaCount=three)\n";
    assert!(text.starts_with(expected_first), "{text}");
    assert!(text.contains(&format!("  - chart app/db: db.port: 99999 is greater than the maximum of 65535 (from {bad_port})")), "{text}");
}

#[test]
fn schema_passes_valid_values_and_skips_disabled_subcharts() {
    let user = merge(&ValueOptions {
        set: vec!["ports[0].name=http,ports[0].port=80,db.storage=20Gi".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(schema_chart(), user.values.clone()).unwrap();
    // A `--set` list replaces the default list, so `name` has to be given again.
    values::validate(&resolved, &values, Some(&user)).unwrap();

    // A disabled subchart's schema is not checked.
    let mut app = schema_chart();
    app.metadata.dependencies[0].condition = Some("db.enabled".into());
    let user = merge(&ValueOptions {
        set: vec!["ports[0].name=http,ports[0].port=80,db.enabled=false".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(app, user.values.clone()).unwrap();
    assert!(resolved.subcharts.is_empty());
    values::validate(&resolved, &values, Some(&user)).unwrap();
}

#[test]
fn schema_refs_resolve_inside_the_chart_only() {
    let app = chart("app")
        .defaults(json!({"image": {"tag": 5}}))
        .schema(json!({"properties": {"image": {"$ref": "schemas/image.json"}}}))
        .file(
            "schemas/image.json",
            r#"{"type": "object", "properties": {"tag": {"type": "string"}}}"#,
        );
    let (resolved, values) = resolve(app, Values::new()).unwrap();
    let err = values::validate(&resolved, &values, None).unwrap_err();
    let ValuesError::Schema(violations) = &err else {
        panic!("{err}");
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].path, "image.tag");
    assert_eq!(
        violations[0].source.as_deref(),
        Some("values.yaml of chart app")
    );

    let remote = chart("app").schema(json!({"$ref": "https://example.com/values.schema.json"}));
    let (resolved, values) = resolve(remote, Values::new()).unwrap();
    let err = values::validate(&resolved, &values, None).unwrap_err();
    assert!(matches!(err, ValuesError::BadSchema { .. }), "{err}");
    assert!(
        err.to_string().contains("points outside chart app"),
        "{err}"
    );
}

#[test]
fn global_schema_errors_name_the_source() {
    let db = chart("db").schema(
        json!({"properties": {"global": {"properties": {"registry": {"type": "string"}}}}}),
    );
    let app = chart("app").sub(db);
    let user = merge(&ValueOptions {
        set: vec!["global.registry=1".into()],
        ..ValueOptions::default()
    });
    let (resolved, values) = resolve(app, user.values.clone()).unwrap();
    let err = values::validate(&resolved, &values, Some(&user)).unwrap_err();
    let ValuesError::Schema(violations) = &err else {
        panic!("{err}");
    };
    assert_eq!(violations[0].chart, "app/db");
    assert_eq!(violations[0].path, "db.global.registry");
    assert_eq!(
        violations[0].source.as_deref(),
        Some("--set global.registry=1")
    );
}

#[test]
fn values_files_and_stdin_larger_than_the_limit_are_refused() {
    let too_large = |options: ValueOptions, stdin: &mut dyn std::io::Read| {
        let err = options.merge_values(stdin).unwrap_err();
        assert!(matches!(err, ValuesError::TooLarge { .. }), "{err}");
        err.to_string()
    };
    // /dev/zero never ends: once read until allocation failed.
    let err = too_large(
        ValueOptions {
            value_files: vec!["/dev/zero".into()],
            ..Default::default()
        },
        &mut std::io::empty(),
    );
    assert!(err.contains("/dev/zero: larger than the 64 MiB"), "{err}");
    let err = too_large(
        ValueOptions {
            value_files: vec!["-".into()],
            ..Default::default()
        },
        &mut std::io::repeat(b'#'),
    );
    assert!(err.contains("<stdin>: larger than the 64 MiB"), "{err}");
    let err = ValueOptions {
        set_file: vec!["a=/dev/zero".into()],
        ..Default::default()
    }
    .merge_values(&mut std::io::empty())
    .unwrap_err()
    .to_string();
    assert!(err.contains("larger than the 64 MiB"), "{err}");
    // A file just under the limit is read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let mut text = "a: ".to_string();
    text.push_str(&"x".repeat(values::MAX_VALUES_FILE as usize - 10));
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let user = ValueOptions {
        value_files: vec![path.display().to_string()],
        ..Default::default()
    }
    .merge_values(&mut std::io::empty())
    .unwrap();
    assert_eq!(
        user.values["a"].as_str().map(str::len),
        Some(values::MAX_VALUES_FILE as usize - 10)
    );
}
