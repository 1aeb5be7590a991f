//! Subchart scoping, as Helm's dependency processing and coalescing do it:
//! aliases (one chart, several instances), `condition` and `tags` (disabled
//! subcharts leave the tree), `import-values` (child values lifted into the
//! parent), and the coalesced values tree: the chart's values at the root,
//! each subchart's under its name or alias, recursively, with `global` pushed
//! down into every subchart.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

use super::merge::{Nulls, coalesce, coalesce_value, strip_nulls};
use super::{GLOBAL_KEY, Values, ValuesError, dotted, kind_of, lookup};
use crate::chart::{Chart, Dependency, ImportValue};
use crate::parallel;
use crate::version::{Constraint, parse_version};

/// Applies Helm's dependency processing to `chart` with the user's values
/// (already merged from `-f` and `--set*`), and coalesces the values.
///
/// The returned chart has one subchart per instance: a declared dependency's
/// subchart carries its alias as `metadata.name` (a chart declared twice under
/// two aliases appears twice), subcharts in `charts/` that Chart.yaml does not
/// declare are kept, and subcharts disabled by `condition` or `tags` are gone
/// (with their declarations). The returned values hold the chart's own values
/// at the root and each subchart's under its name, recursively: render
/// subchart `S` with `values[S]`.
///
/// Precedence, lowest first: the subchart's defaults, values imported from
/// its children, its parent's values for it, the user's values. A `null`
/// from the user removes the default under it. `global` from the parent wins
/// over a subchart's own `global`.
pub fn resolve(chart: Chart, user: Values) -> Result<(Chart, Values), ValuesError> {
    let warnings = Warnings::default();
    let resolved = resolve_with(chart, user, &warnings);
    warnings.emit();
    resolved
}

fn resolve_with(
    chart: Chart,
    user: Values,
    warnings: &Warnings,
) -> Result<(Chart, Values), ValuesError> {
    let mut chart = instantiate(chart)?;

    // Conditions and tags are read from the values coalesced over every
    // declared subchart, before imports, as Helm does; without any, that
    // pass would change nothing.
    if has_switches(&chart) {
        let everything = coalesce_scope(&Scoped::plain(&chart), user.clone(), true, warnings)?;
        let tags = table(&everything, "tags");
        disable(&mut chart, &everything, &tags, warnings);
        present(&chart)?;
    }

    let scoped = Scoped::with_imports(&chart, warnings)?;
    let values = coalesce_scope(&scoped, user, true, warnings)?;
    Ok((chart, values))
}

/// What resolving met and skipped, each said once: values are coalesced in
/// up to three passes (conditions and tags, imports, the values themselves)
/// that meet the same things, some of them on several threads. Logged,
/// sorted, when resolving ends.
#[derive(Default)]
struct Warnings(Mutex<BTreeSet<String>>);

impl Warnings {
    fn add(&self, warning: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(warning);
    }

    fn emit(self) {
        for warning in self.0.into_inner().unwrap_or_else(PoisonError::into_inner) {
            tracing::warn!("{warning}");
        }
    }
}

/// Replaces the subcharts found in `charts/` with one instance per declared
/// dependency (named by its alias), keeping undeclared ones, recursively.
fn instantiate(mut chart: Chart) -> Result<Chart, ValuesError> {
    let found = std::mem::take(&mut chart.subcharts)
        .into_iter()
        .map(instantiate)
        .collect::<Result<Vec<_>, _>>()?;
    let declared = &chart.metadata.dependencies;

    // Which subchart each declaration instantiates. With several versions of
    // one chart in `charts/`, the one the constraint allows. A Helm chart's
    // declaration instantiates only a subchart its version range allows, as
    // in Helm; a subchart it does not allow stays, undeclared, under its own name.
    let helm = chart.metadata.engine().is_none();
    let mut picks: Vec<Option<usize>> = Vec::with_capacity(declared.len());
    for dependency in declared {
        let named = || {
            found
                .iter()
                .enumerate()
                .filter(|(_, sub)| sub.name() == dependency.name)
        };
        let pick = named()
            .find(|(_, sub)| allows(dependency, sub))
            .or_else(|| if helm { None } else { named().next() });
        match pick {
            Some((at, _)) => picks.push(Some(at)),
            // A Helm chart's declaration that no version in charts/ satisfies: the
            // subchart stays under its own name, as in Helm.
            None if helm && named().next().is_some() => picks.push(None),
            // One that a condition or tags may switch off need only be there once it
            // is on (`present` checks, after conditions and tags).
            None if has_switch(dependency) => picks.push(None),
            None => return Err(missing(&chart, dependency)),
        }
    }
    let undeclared: Vec<bool> = found
        .iter()
        .map(|sub| {
            !declared
                .iter()
                .any(|d| d.name == sub.name() && (!helm || allows(d, sub)))
        })
        .collect();

    // A subchart moves into its last instance and is copied for the others
    // (a chart declared under two aliases).
    let mut found: Vec<Option<Chart>> = found.into_iter().map(Some).collect();
    let mut instances: Vec<Chart> = Vec::with_capacity(found.len() + picks.len());
    for (slot, undeclared) in found.iter_mut().zip(&undeclared) {
        if *undeclared {
            instances.extend(slot.take());
        }
    }
    for (i, (dependency, pick)) in declared.iter().zip(&picks).enumerate() {
        let Some(at) = *pick else { continue };
        let used_again = picks[i + 1..].contains(&Some(at));
        let mut instance = match &found[at] {
            Some(sub) if used_again => sub.clone(),
            _ => found[at].take().expect("a subchart moves out once, last"),
        };
        instance.metadata.name = dependency.scope().to_string();
        instances.push(instance);
    }

    let mut seen = HashSet::new();
    if let Some(twice) = instances.iter().find(|i| !seen.insert(i.name())) {
        return Err(ValuesError::DuplicateScope {
            chart: chart.name().to_string(),
            scope: twice.name().to_string(),
        });
    }
    chart.subcharts = instances;
    Ok(chart)
}

/// Whether `sub`'s version satisfies `dependency`'s constraint (false when either is unreadable).
fn allows(dependency: &Dependency, sub: &Chart) -> bool {
    let constraint = Constraint::parse(dependency.version.as_deref().unwrap_or(""));
    let version = parse_version(&sub.metadata.version);
    matches!((constraint, version), (Ok(c), Ok(v)) if c.matches(&v))
}

fn has_switch(dependency: &Dependency) -> bool {
    dependency.condition.is_some() || !dependency.tags.is_empty()
}

/// Whether a dependency of `chart` or of its subcharts has a condition or tags.
fn has_switches(chart: &Chart) -> bool {
    chart.metadata.dependencies.iter().any(has_switch) || chart.subcharts.iter().any(has_switches)
}

fn missing(chart: &Chart, dependency: &Dependency) -> ValuesError {
    ValuesError::MissingDependency {
        chart: chart.name().to_string(),
        dependency: dependency.name.clone(),
    }
}

/// Checks that every dependency left on after conditions and tags has its
/// chart in `charts/` (one switched off may be absent: it is never rendered).
fn present(chart: &Chart) -> Result<(), ValuesError> {
    // A Helm chart's subchart that no declared version matched stays under its own name.
    let found = |name: &str| chart.subcharts.iter().any(|s| s.name() == name);
    for dependency in &chart.metadata.dependencies {
        if !found(dependency.scope()) && !found(&dependency.name) {
            return Err(missing(chart, dependency));
        }
    }
    chart.subcharts.iter().try_for_each(present)
}

/// Removes the subcharts whose `condition` or `tags` turn them off, and
/// their declarations. `values` is this chart's scope of the coalesced
/// values; `tags` is the top-level `tags` table over the defaults' `tags` of
/// every chart on the way down (Helm coalesces each level's defaults into
/// the root before reading it).
fn disable(chart: &mut Chart, values: &Values, tags: &Values, warnings: &Warnings) {
    let off: HashSet<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|dependency| !enabled(dependency, chart.name(), values, tags, warnings))
        .map(|dependency| dependency.scope().to_string())
        .collect();
    chart.subcharts.retain(|sub| !off.contains(sub.name()));
    chart
        .metadata
        .dependencies
        .retain(|d| !off.contains(d.scope()));

    for sub in &mut chart.subcharts {
        let scope = table(values, sub.name());
        let sub_tags = match sub.values.get("tags") {
            Some(Value::Object(own)) => coalesce(tags.clone(), own, Nulls::Keep),
            _ => tags.clone(),
        };
        disable(sub, &scope, &sub_tags, warnings);
    }
}

/// Helm's rule: a dependency is on unless all of its tags that are set are
/// false; then the first `condition` path that holds a boolean decides.
fn enabled(
    dependency: &Dependency,
    parent: &str,
    values: &Values,
    tags: &Values,
    warnings: &Warnings,
) -> bool {
    let mut on = true;
    let (mut any_true, mut any_false) = (false, false);
    for tag in &dependency.tags {
        match tags.get(tag) {
            Some(Value::Bool(true)) => any_true = true,
            Some(Value::Bool(false)) => any_false = true,
            Some(other) => warnings.add(format!(
                "chart {parent}, dependency {}: tag {tag:?} is {}, not a boolean; ignored",
                dependency.scope(),
                kind_of(other)
            )),
            None => {}
        }
    }
    if any_false && !any_true {
        on = false;
    }
    if let Some(condition) = &dependency.condition {
        for path in condition
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match lookup(values, &dotted(path)) {
                Some(Value::Bool(value)) => {
                    on = *value;
                    break;
                }
                Some(Value::Object(_)) | None => {}
                Some(other) => warnings.add(format!(
                    "chart {parent}, dependency {}: condition {path:?} is {}, not a boolean; ignored",
                    dependency.scope(),
                    kind_of(other)
                )),
            }
        }
    }
    on
}

/// A chart instance's defaults (after imports) and its subcharts', by scope name.
struct Scoped<'a> {
    name: &'a str,
    /// A Helm chart (no `ketch.dev/engine`): its own `null` defaults are dropped, as in Helm v4.
    helm: bool,
    defaults: Cow<'a, Values>,
    subs: Vec<Scoped<'a>>,
}

impl<'a> Scoped<'a> {
    /// The defaults as the charts carry them.
    fn plain(chart: &'a Chart) -> Self {
        Scoped {
            name: chart.name(),
            helm: chart.metadata.engine().is_none(),
            defaults: Cow::Borrowed(&chart.values),
            subs: chart.subcharts.iter().map(Scoped::plain).collect(),
        }
    }

    /// The defaults with `import-values` applied, children first (a value a
    /// child imported from its own child can be imported again).
    fn with_imports(chart: &'a Chart, warnings: &Warnings) -> Result<Self, ValuesError> {
        let subs = chart
            .subcharts
            .iter()
            .map(|sub| Scoped::with_imports(sub, warnings))
            .collect::<Result<Vec<_>, _>>()?;
        let mut scoped = Scoped {
            name: chart.name(),
            helm: chart.metadata.engine().is_none(),
            defaults: Cow::Borrowed(&chart.values),
            subs,
        };
        let importing: Vec<&Dependency> = chart
            .metadata
            .dependencies
            .iter()
            .filter(|d| !d.import_values.is_empty())
            .collect();
        if importing.is_empty() {
            return Ok(scoped);
        }

        // Helm reads imports from the defaults coalesced over the subcharts
        // (never from the user's values), and the parent's own values win.
        let tree = coalesce_scope(&scoped, Values::new(), true, warnings)?;
        let mut imported = Values::new();
        for dependency in importing {
            for import in &dependency.import_values {
                let (child, parent) = match import {
                    ImportValue::Export(name) => (format!("exports.{name}"), "."),
                    ImportValue::Path { child, parent } => (child.clone(), parent.as_str()),
                };
                let mut path = vec![dependency.scope()];
                path.extend(dotted(&child));
                let Some(Value::Object(table)) = lookup(&tree, &path) else {
                    warnings.add(format!(
                        "chart {}, dependency {}: import-values: {child:?} is not a mapping in the subchart's values; nothing imported",
                        chart.name(),
                        dependency.scope()
                    ));
                    continue;
                };
                // The first import of a key wins over later ones.
                imported = coalesce(imported, &nest(parent, table.clone()), Nulls::Keep);
            }
        }
        scoped.defaults = Cow::Owned(coalesce(tree, &imported, Nulls::Keep));
        Ok(scoped)
    }
}

/// Puts `table` at the dotted `path` (`.` is the root).
fn nest(path: &str, table: Values) -> Values {
    if path == "." || path.is_empty() {
        return table;
    }
    let mut current = table;
    for key in dotted(path).into_iter().rev() {
        let mut outer = Values::new();
        outer.insert(key.to_string(), Value::Object(current));
        current = outer;
    }
    current
}

/// Coalesces `user` (this scope's values from the user and the parents)
/// over the chart's defaults, then each subchart's scope over its defaults.
fn coalesce_scope(
    scoped: &Scoped,
    user: Values,
    root: bool,
    warnings: &Warnings,
) -> Result<Values, ValuesError> {
    let mut defaults = Values::clone(&scoped.defaults);
    if !root || scoped.helm {
        // A subchart's `x: null` default would shadow globals; a ketch chart's
        // top-level ones stay (Helm #32530). Helm v4 drops every chart's.
        strip_nulls(&mut defaults);
    }
    // Subchart scopes and `global` are coalesced again further down, where a
    // user's `null` still has a default to remove: keep it until then.
    let nulls_for = |key: &str| {
        if key == GLOBAL_KEY || scoped.subs.iter().any(|s| s.name == key) {
            Nulls::Keep
        } else {
            Nulls::Delete
        }
    };

    let mut user = user;
    let mut out = Values::new();
    for (key, default) in defaults {
        let value = match user.shift_remove(&key) {
            None if default.is_null() && !root => None,
            None => Some(default),
            // Helm's `coalesceValues`: at the top of a scope a user's `null`
            // removes what values.yaml has there, even a `null`.
            Some(Value::Null) if nulls_for(&key) == Nulls::Delete => None,
            Some(given) => coalesce_value(given, &default, nulls_for(&key)),
        };
        if let Some(value) = value {
            out.insert(key, value);
        }
    }
    // A user's `null` for a key whose default is `null` (dropped above) still removes it.
    for (key, default) in scoped.defaults.iter() {
        if default.is_null()
            && user.get(key) == Some(&Value::Null)
            && nulls_for(key) == Nulls::Delete
        {
            user.shift_remove(key);
        }
    }
    // What values.yaml does not have is kept as given, `null`s too (as in Helm).
    out.extend(user);

    let mut scopes = Vec::with_capacity(scoped.subs.len());
    for sub in &scoped.subs {
        let mut scope = match out.get_mut(sub.name).map(std::mem::take) {
            None | Some(Value::Null) => Values::new(),
            Some(Value::Object(scope)) => scope,
            Some(other) => {
                return Err(ValuesError::ScopeNotAMapping {
                    chart: scoped.name.to_string(),
                    scope: sub.name.to_string(),
                    found: kind_of(&other),
                });
            }
        };
        push_globals(out.get(GLOBAL_KEY), &mut scope, sub.name, warnings);
        scopes.push((sub, scope));
    }
    // Each subchart's scope depends on nothing but its own: they are
    // coalesced on every core (an umbrella's hundred subcharts).
    let resolved = parallel::map_owned(scopes, |(sub, scope)| {
        coalesce_scope(sub, scope, false, warnings).map(|values| (sub.name, values))
    });
    for scope in resolved {
        let (name, values) = scope?;
        out.insert(name.to_string(), Value::Object(values));
    }

    // Tombstones in `global` have reached every subchart by now.
    match out.get_mut(GLOBAL_KEY) {
        Some(Value::Object(global)) => strip_nulls(global),
        Some(Value::Null) => {
            out.shift_remove(GLOBAL_KEY);
        }
        _ => {}
    }
    Ok(out)
}

/// Helm's `coalesceGlobals`: the parent's `global` merges into the
/// subchart's, the parent winning; every subchart gets a `global` mapping.
fn push_globals(parent: Option<&Value>, scope: &mut Values, sub: &str, warnings: &Warnings) {
    let mut global = match scope.shift_remove(GLOBAL_KEY) {
        None | Some(Value::Null) => Values::new(),
        Some(Value::Object(global)) => global,
        Some(other) => {
            warnings.add(format!(
                "subchart {sub}: `global` is {}, not a mapping; globals not passed down",
                kind_of(&other)
            ));
            scope.insert(GLOBAL_KEY.to_string(), other);
            return;
        }
    };
    match parent {
        None | Some(Value::Null) => {}
        Some(Value::Object(parent)) => {
            for (key, value) in parent {
                match (global.get(key), value) {
                    (Some(Value::Object(own)), Value::Object(theirs)) => {
                        let merged = coalesce(theirs.clone(), own, Nulls::Keep);
                        global.insert(key.clone(), Value::Object(merged));
                    }
                    (Some(own), Value::Object(_)) if !own.is_null() => {
                        warnings.add(format!(
                            "subchart {sub}: global.{key}: cannot merge a mapping onto {}; skipped",
                            kind_of(own)
                        ));
                    }
                    (Some(Value::Object(_)), theirs) if !theirs.is_null() => {
                        warnings.add(format!(
                            "subchart {sub}: global.{key} is a mapping; {} from the parent skipped",
                            kind_of(theirs)
                        ));
                    }
                    _ => {
                        global.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        Some(other) => {
            warnings.add(format!(
                "subchart {sub}: the parent's `global` is {}, not a mapping; skipped",
                kind_of(other)
            ));
        }
    }
    scope.insert(GLOBAL_KEY.to_string(), Value::Object(global));
}

/// The mapping at `key`, or an empty one.
fn table(values: &Values, key: &str) -> Values {
    match values.get(key) {
        Some(Value::Object(table)) => table.clone(),
        _ => Values::new(),
    }
}
