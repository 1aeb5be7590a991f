//! The client-side three-way merge of `--apply-method client`: from `original` (what the
//! previous revision applied), `modified` (the new render) and `current` (the live object)
//! compute the patch that `kubectl apply` (client-side) would send.
//!
//! - Built-in kinds get a strategic merge patch. Lists are merged by the merge keys and
//!   strategies of the kind's [`PatchSchema`], with the directives the API server
//!   understands: `$patch: delete` items, `$deleteFromPrimitiveList/<field>`,
//!   `$setElementOrder/<field>` and `$retainKeys`.
//! - Kinds without a schema (custom resources) get a JSON merge patch (RFC 7386).
//!
//! Either way the patch is the union of two diffs: what `modified` adds or changes
//! relative to `current` (so fields set by other clients stay unless the manifest sets
//! them) and what `modified` removes relative to `original` (so only fields this tool set
//! earlier are ever deleted).
//!
//! The algorithm follows Kubernetes' `strategicpatch.CreateThreeWayMergePatch` and
//! `jsonmergepatch.CreateThreeWayJSONMergePatch` step for step, quirks included (lists
//! are diffed in the order of the string form of their merge keys, as Go's `%v` prints
//! them), because the result must be what kubectl leaves in the cluster.
//! [`apply_strategic_patch`] is the API server's side, for tests and previews.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

use super::patch_schema::{PatchSchema, PatchStrategy, SchemaNode};

const DIRECTIVE: &str = "$patch";
const DELETE: &str = "delete";
const REPLACE: &str = "replace";
const MERGE: &str = "merge";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// The kind of patch [`three_way_patch`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/merge-patch+json`
    Merge,
}

impl PatchKind {
    pub fn content_type(self) -> &'static str {
        match self {
            PatchKind::Strategic => "application/strategic-merge-patch+json",
            PatchKind::Merge => "application/merge-patch+json",
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    #[error("the {0} object is not a JSON object")]
    NotAnObject(&'static str),
    #[error("at {path}: an item of a list merged by `{key}` has no `{key}`")]
    MissingMergeKey { path: String, key: String },
    #[error("at {path}: an item of a list merged by key is not an object")]
    ItemNotAnObject { path: String },
    #[error("at {path}: the items of a merged list are not all of one type")]
    MixedList { path: String },
    #[error("at {path}: a merged list holds a null or a list, which cannot be merged")]
    UnmergeableItem { path: String },
    #[error("at {path}: a list of objects merged by key has no merge key in the schema")]
    NoMergeKey { path: String },
    #[error("at {path}: {reason}")]
    InvalidPatch { path: String, reason: String },
    #[error(
        "at {path}: the new manifest and the live object changed this field in conflicting ways"
    )]
    Conflict { path: String },
    #[error(
        "the new manifest changes the object's {0}; delete the object and create it again instead"
    )]
    IdentityChanged(&'static str),
}

/// The patch that takes `current` to `modified` while keeping what other clients added,
/// and deletes what `original` had and `modified` no longer has.
///
/// `schema` is the kind's strategic merge metadata; `None` (custom resources) gives a
/// three-way JSON merge patch (RFC 7386). `original` is `None` for an object never applied
/// before: nothing is deleted then.
pub fn three_way_patch(
    original: Option<&serde_json::Value>,
    modified: &serde_json::Value,
    current: &serde_json::Value,
    schema: Option<&PatchSchema>,
) -> Result<(PatchKind, serde_json::Value), PatchError> {
    let empty = Map::new();
    let original = match original {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(original)) => original,
        Some(_) => return Err(PatchError::NotAnObject("original")),
    };
    let modified = modified
        .as_object()
        .ok_or(PatchError::NotAnObject("modified"))?;
    let current = current
        .as_object()
        .ok_or(PatchError::NotAnObject("current"))?;
    match schema {
        Some(schema) => {
            let patch = strategic_three_way(original, modified, current, schema.root())?;
            Ok((PatchKind::Strategic, Value::Object(patch)))
        }
        None => {
            let patch = merge_three_way(original, modified, current)?;
            Ok((PatchKind::Merge, Value::Object(patch)))
        }
    }
}

/// Applies a strategic merge patch to `document` as the API server does (before it
/// decodes the result into the kind's type). `schema` `None` merges objects and replaces
/// lists.
pub fn apply_strategic_patch(
    document: &Value,
    patch: &Value,
    schema: Option<&PatchSchema>,
) -> Result<Value, PatchError> {
    let document = document
        .as_object()
        .ok_or(PatchError::NotAnObject("document"))?;
    let patch = patch.as_object().ok_or(PatchError::NotAnObject("patch"))?;
    let node = schema.map_or(SchemaNode::UNKNOWN, PatchSchema::root);
    let options = MergeOptions {
        merge_parallel_list: true,
        ignore_unmatched_nulls: true,
    };
    let merged = merge_map(document.clone(), patch.clone(), node, options, &Path::ROOT)?;
    Ok(Value::Object(merged))
}

/// Applies a JSON merge patch (RFC 7386) to `document`.
pub fn apply_merge_patch(document: &Value, patch: &Value) -> Value {
    let mut result = document.clone();
    json_patch::merge(&mut result, patch);
    result
}

fn strategic_three_way(
    original: &Map<String, Value>,
    modified: &Map<String, Value>,
    current: &Map<String, Value>,
    schema: SchemaNode<'_>,
) -> Result<Map<String, Value>, PatchError> {
    let additions = DiffOptions {
        ignore_deletions: true,
        set_element_order: true,
        ..DiffOptions::default()
    };
    let delta = diff_maps(current, modified, schema, additions, &Path::ROOT)?;
    let deletions_only = DiffOptions {
        ignore_changes_and_additions: true,
        set_element_order: true,
        ..DiffOptions::default()
    };
    let deletions = diff_maps(original, modified, schema, deletions_only, &Path::ROOT)?;
    // Deletions and additions touch disjoint fields; merging them as patches keeps both
    // and keeps every directive.
    let keep_directives = MergeOptions {
        merge_parallel_list: false,
        ignore_unmatched_nulls: false,
    };
    merge_map(deletions, delta, schema, keep_directives, &Path::ROOT)
}

// ---------------------------------------------------------------------------------------
// Paths for error messages, built only when an error is reported.

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Item(&'a str, &'a Value),
    Index(usize),
}

#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    fn item(&'a self, merge_key: &'a str, value: &'a Value) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Item(merge_key, value),
        }
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }
}

impl Path<'_> {
    fn write_segments(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.write_segments(f)?;
        }
        match self.segment {
            Segment::Root => Ok(()),
            Segment::Key(key) => write!(f, ".{key}"),
            Segment::Item(key, value) => write!(f, "[{key}={}]", go_string(value)),
            Segment::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// jq-style: `.spec.template.spec.containers[name=web].env`.
impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.parent, self.segment) {
            (None, Segment::Root) => f.write_str("."),
            _ => self.write_segments(f),
        }
    }
}

impl Path<'_> {
    fn missing_merge_key(&self, key: &str) -> PatchError {
        PatchError::MissingMergeKey {
            path: self.to_string(),
            key: key.to_string(),
        }
    }

    fn not_an_object(&self) -> PatchError {
        PatchError::ItemNotAnObject {
            path: self.to_string(),
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> PatchError {
        PatchError::InvalidPatch {
            path: self.to_string(),
            reason: reason.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Values as Go's encoding/json + Kubernetes' json package decode them.

/// The Go type a JSON value decodes to: numbers are int64 when integral, else float64,
/// and two values of different types always differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoType {
    Null,
    Bool,
    Int,
    Float,
    String,
    List,
    Map,
}

fn go_type(value: &Value) -> GoType {
    match value {
        Value::Null => GoType::Null,
        Value::Bool(_) => GoType::Bool,
        Value::Number(n) if n.is_f64() => GoType::Float,
        Value::Number(_) => GoType::Int,
        Value::String(_) => GoType::String,
        Value::Array(_) => GoType::List,
        Value::Object(_) => GoType::Map,
    }
}

/// A scalar as Go's `fmt.Sprintf("%v", v)` prints it: lists are diffed and sorted by it.
fn go_string(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => go_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// `%v` of a float64: shortest digits, in exponent form (`1e+06`) when the decimal
/// exponent is below -4 or at least 6, as Go's `%g` decides.
fn go_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return format!("{f}");
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        format!("{f}")
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// Sorts by the `%v` text of `key(item)` as Go's `sort.Sort` does with kubectl's
/// `a <= b` comparison: its insertion sort (lists of up to 12 items) moves each item
/// before the equal ones, so items with equal keys end in reverse order. Only lists with
/// repeated keys (one port for TCP and UDP) can tell the difference.
fn go_sort_by<F: Fn(&Value) -> &Value>(values: &mut Vec<Value>, key: F) {
    let mut keyed: Vec<(String, usize, Value)> = std::mem::take(values)
        .into_iter()
        .enumerate()
        .map(|(index, value)| (go_string(key(&value)), index, value))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    values.extend(keyed.into_iter().map(|(_, _, value)| value));
}

fn sort_by_go_string(values: &mut Vec<Value>) {
    go_sort_by(values, |v| v);
}

/// The kind of items of one or more lists, as Go's `sliceElementType` decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemKind {
    Map,
    Scalar,
}

fn item_kind(lists: &[&[Value]], path: &Path<'_>) -> Result<Option<ItemKind>, PatchError> {
    let mut seen = None;
    for item in lists.iter().flat_map(|l| l.iter()) {
        let kind = go_type(item);
        if matches!(kind, GoType::Null | GoType::List) {
            return Err(PatchError::UnmergeableItem {
                path: path.to_string(),
            });
        }
        match seen {
            None => seen = Some(kind),
            Some(previous) if previous != kind => {
                return Err(PatchError::MixedList {
                    path: path.to_string(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(seen.map(|kind| match kind {
        GoType::Map => ItemKind::Map,
        _ => ItemKind::Scalar,
    }))
}

fn is_delete_directive(item: &Value) -> bool {
    item.get(DIRECTIVE).is_some_and(|d| d == DELETE)
}

fn has_directive(item: &Value) -> bool {
    item.as_object().is_some_and(|m| m.contains_key(DIRECTIVE))
}

/// `$deleteFromPrimitiveList/finalizers` -> `finalizers`.
fn directive_target<'k>(
    key: &'k str,
    prefix: &str,
    path: &Path<'_>,
) -> Result<&'k str, PatchError> {
    match key.split_once('/') {
        Some((head, rest)) if head == prefix => Ok(rest),
        _ => Err(path.invalid(format!("malformed directive key `{key}`"))),
    }
}

// ---------------------------------------------------------------------------------------
// Diff: the patch from one document to another.

#[derive(Debug, Clone, Copy, Default)]
struct DiffOptions {
    /// Emit `$setElementOrder` lists so the server keeps the manifest's order.
    set_element_order: bool,
    /// Only deletions (the `original` -> `modified` half of a three-way patch).
    ignore_changes_and_additions: bool,
    /// Only additions and changes (the `current` -> `modified` half).
    ignore_deletions: bool,
    /// This object is a `retainKeys` field (or an item of one): list the keys to keep.
    build_retain_keys: bool,
}

type Object = Map<String, Value>;

fn diff_maps(
    original: &Object,
    modified: &Object,
    schema: SchemaNode<'_>,
    options: DiffOptions,
    path: &Path<'_>,
) -> Result<Object, PatchError> {
    let mut patch = Object::new();
    let mut retain_keys = Vec::new();
    for (key, modified_value) in modified {
        if options.build_retain_keys && !modified_value.is_null() {
            retain_keys.push(Value::String(key.clone()));
        }
        let Some(original_value) = original.get(key) else {
            if !options.ignore_changes_and_additions {
                patch.insert(key.clone(), modified_value.clone());
            }
            continue;
        };
        let path = path.key(key);
        if key == DIRECTIVE {
            match (original_value.as_str(), modified_value.as_str()) {
                (Some(o), Some(m)) if o != m => {
                    patch.insert(key.clone(), modified_value.clone());
                }
                (Some(_), Some(_)) => {}
                _ => return Err(path.invalid("`$patch` must be a string")),
            }
            continue;
        }
        if go_type(original_value) != go_type(modified_value) {
            if !options.ignore_changes_and_additions {
                patch.insert(key.clone(), modified_value.clone());
            }
            continue;
        }
        match (original_value, modified_value) {
            (Value::Object(o), Value::Object(m)) => {
                let (meta, child) = schema.field(key);
                if meta.strategy == PatchStrategy::Replace {
                    if !options.ignore_changes_and_additions {
                        patch.insert(key.clone(), modified_value.clone());
                    }
                    continue;
                }
                let child_options = DiffOptions {
                    build_retain_keys: meta.retain_keys,
                    ..options
                };
                let child_patch = diff_maps(o, m, child, child_options, &path)?;
                if !child_patch.is_empty() {
                    patch.insert(key.clone(), Value::Object(child_patch));
                }
            }
            (Value::Array(o), Value::Array(m)) => {
                let (meta, child) = schema.field(key);
                if meta.strategy != PatchStrategy::Merge {
                    replace_if_changed(&mut patch, key, original_value, modified_value, options);
                    continue;
                }
                let list_options = DiffOptions {
                    build_retain_keys: meta.retain_keys,
                    ..options
                };
                let lists = diff_lists(o, m, child.items(), meta.merge_key, list_options, &path)?;
                if !lists.patch.is_empty() {
                    patch.insert(key.clone(), Value::Array(lists.patch));
                }
                if !lists.deletions.is_empty() {
                    let directive = format!("{DELETE_FROM_PRIMITIVE_LIST}/{key}");
                    patch.insert(directive, Value::Array(lists.deletions));
                }
                if !lists.order.is_empty() {
                    let directive = format!("{SET_ELEMENT_ORDER}/{key}");
                    patch.insert(directive, Value::Array(lists.order));
                }
            }
            _ => replace_if_changed(&mut patch, key, original_value, modified_value, options),
        }
    }

    if !options.ignore_deletions {
        for key in original.keys() {
            if !modified.contains_key(key) {
                patch.insert(key.clone(), Value::Null);
            }
        }
    }

    let has_new_field = || {
        original
            .iter()
            .any(|(k, v)| !v.is_null() && !modified.contains_key(k))
    };
    if !retain_keys.is_empty() && (!patch.is_empty() || has_new_field()) {
        sort_by_go_string(&mut retain_keys);
        patch.insert(RETAIN_KEYS.to_string(), Value::Array(retain_keys));
    }
    Ok(patch)
}

fn replace_if_changed(
    patch: &mut Object,
    key: &str,
    original: &Value,
    modified: &Value,
    options: DiffOptions,
) {
    if !options.ignore_changes_and_additions && original != modified {
        patch.insert(key.to_string(), modified.clone());
    }
}

/// The three parts of a merged list's patch.
#[derive(Default)]
struct ListPatch {
    /// Added or changed items (and `$patch: delete` items for lists of objects).
    patch: Vec<Value>,
    /// Scalars to remove: `$deleteFromPrimitiveList/<field>`.
    deletions: Vec<Value>,
    /// The order of the whole list: `$setElementOrder/<field>`.
    order: Vec<Value>,
}

fn diff_lists(
    original: &[Value],
    modified: &[Value],
    items: SchemaNode<'_>,
    merge_key: Option<&str>,
    options: DiffOptions,
    path: &Path<'_>,
) -> Result<ListPatch, PatchError> {
    if original.is_empty() {
        if modified.is_empty() || options.ignore_changes_and_additions {
            return Ok(ListPatch::default());
        }
        return Ok(ListPatch {
            patch: modified.to_vec(),
            ..ListPatch::default()
        });
    }
    match item_kind(&[original, modified], path)? {
        None => Ok(ListPatch::default()),
        Some(ItemKind::Map) => {
            let merge_key = merge_key.ok_or_else(|| PatchError::NoMergeKey {
                path: path.to_string(),
            })?;
            let (patch, deletions) =
                diff_lists_of_maps(original, modified, items, merge_key, options, path)?;
            let mut patch = normalize_slice_order(patch, modified, Some(merge_key), path)?;
            let order_same = is_order_same(original, modified, merge_key, path)?;
            patch.extend(deletions);
            let changed = !patch.is_empty();
            let mut order = Vec::new();
            if options.set_element_order
                && ((!options.ignore_changes_and_additions && (changed || !order_same))
                    || (!options.ignore_deletions && changed))
            {
                for item in modified {
                    let value = item.get(merge_key).cloned().unwrap_or(Value::Null);
                    order.push(Value::Object(Object::from_iter([(
                        merge_key.to_string(),
                        value,
                    )])));
                }
            }
            Ok(ListPatch {
                patch,
                deletions: Vec::new(),
                order,
            })
        }
        Some(ItemKind::Scalar) => {
            let mut sorted_original = original.to_vec();
            sort_by_go_string(&mut sorted_original);
            let (additions, deletions) = diff_lists_of_scalars(&sorted_original, modified, options);
            let patch = normalize_slice_order(additions, modified, None, path)?;
            // Go sorts the original list in place before this comparison: a list in
            // unsorted order always gets a `$setElementOrder`.
            let order = if options.set_element_order
                && ((!options.ignore_deletions && !deletions.is_empty())
                    || (!options.ignore_changes_and_additions
                        && sorted_original.as_slice() != modified))
            {
                modified.to_vec()
            } else {
                Vec::new()
            };
            Ok(ListPatch {
                patch,
                deletions,
                order,
            })
        }
    }
}

/// Additions and deletions between two lists of scalars, compared by their string form.
fn diff_lists_of_scalars(
    sorted_original: &[Value],
    modified: &[Value],
    options: DiffOptions,
) -> (Vec<Value>, Vec<Value>) {
    let mut sorted_modified = modified.to_vec();
    sort_by_go_string(&mut sorted_modified);
    let original: Vec<String> = sorted_original.iter().map(go_string).collect();
    let modified_strings: Vec<String> = sorted_modified.iter().map(go_string).collect();
    let (mut i, mut j) = (0, 0);
    let mut additions = Vec::new();
    let mut deletions = Vec::new();
    while i < original.len() || j < modified_strings.len() {
        let order = match (original.get(i), modified_strings.get(j)) {
            (Some(o), Some(m)) => o.cmp(m),
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
        };
        match order {
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
            Ordering::Greater => {
                if !options.ignore_changes_and_additions {
                    additions.push(sorted_modified[j].clone());
                }
                j += 1;
            }
            Ordering::Less => {
                if !options.ignore_deletions {
                    deletions.push(sorted_original[i].clone());
                }
                i += 1;
            }
        }
    }
    (additions, deduplicate_scalars(deletions))
}

/// Go's `deduplicateScalars`: removes repeats, moving the last item into each hole.
fn deduplicate_scalars(mut values: Vec<Value>) -> Vec<Value> {
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() {
            if values[i] == values[j] {
                values.swap_remove(j);
            } else {
                j += 1;
            }
        }
        i += 1;
    }
    values
}

fn merge_key_value<'v>(
    item: &'v Value,
    merge_key: &str,
    path: &Path<'_>,
) -> Result<&'v Value, PatchError> {
    item.as_object()
        .ok_or_else(|| path.not_an_object())?
        .get(merge_key)
        .ok_or_else(|| path.missing_merge_key(merge_key))
}

fn sort_maps_by_merge_key(list: &[Value], merge_key: &str) -> Vec<Value> {
    let mut sorted = list.to_vec();
    go_sort_by(&mut sorted, |item| {
        item.get(merge_key).unwrap_or(&Value::Null)
    });
    sorted
}

/// Changed and added items, and `$patch: delete` items, between two lists of objects.
fn diff_lists_of_maps(
    original: &[Value],
    modified: &[Value],
    items: SchemaNode<'_>,
    merge_key: &str,
    options: DiffOptions,
    path: &Path<'_>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let original = sort_maps_by_merge_key(original, merge_key);
    let modified = sort_maps_by_merge_key(modified, merge_key);
    let mut patch = Vec::new();
    let mut deletions = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < original.len() || j < modified.len() {
        let original_item = match original.get(i) {
            Some(item) => Some((item, merge_key_value(item, merge_key, &path.index(i))?)),
            None => None,
        };
        let modified_item = match modified.get(j) {
            Some(item) => Some((item, merge_key_value(item, merge_key, &path.index(j))?)),
            None => None,
        };
        let order = match (original_item, modified_item) {
            (Some((_, o)), Some((_, m))) => go_string(o).cmp(&go_string(m)),
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
        };
        match (order, original_item, modified_item) {
            (Ordering::Equal, Some((o, _)), Some((m, key_value))) => {
                let (Value::Object(o), Value::Object(m)) = (o, m) else {
                    return Err(path.not_an_object());
                };
                let item_path = path.item(merge_key, key_value);
                let mut item_patch = diff_maps(o, m, items, options, &item_path)?;
                if !item_patch.is_empty() {
                    item_patch.shift_insert(0, merge_key.to_string(), key_value.clone());
                    patch.push(Value::Object(item_patch));
                }
                i += 1;
                j += 1;
            }
            (Ordering::Greater, _, Some((m, _))) => {
                if !options.ignore_changes_and_additions {
                    patch.push(m.clone());
                }
                j += 1;
            }
            (_, Some((_, key_value)), _) => {
                if !options.ignore_deletions {
                    deletions.push(Value::Object(Object::from_iter([
                        (merge_key.to_string(), key_value.clone()),
                        (DIRECTIVE.to_string(), Value::String(DELETE.to_string())),
                    ])));
                }
                i += 1;
            }
            _ => break,
        }
    }
    Ok((patch, deletions))
}

fn is_order_same(
    original: &[Value],
    modified: &[Value],
    merge_key: &str,
    path: &Path<'_>,
) -> Result<bool, PatchError> {
    if original.len() != modified.len() {
        return Ok(false);
    }
    for (index, (o, m)) in original.iter().zip(modified).enumerate() {
        let path = path.index(index);
        if merge_key_value(o, merge_key, &path)? != merge_key_value(m, merge_key, &path)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Position of `item` in `list`: by merge key for objects, by value for scalars.
fn position(list: &[Value], item: &Value, merge_key: Option<&str>) -> Option<usize> {
    match merge_key {
        Some(key) => {
            let wanted = item.get(key);
            list.iter().position(|v| v.get(key) == wanted)
        }
        None => list.iter().position(|v| v == item),
    }
}

/// Sorts `items` by their position in `order`, `$patch: delete` items last.
fn normalize_slice_order(
    items: Vec<Value>,
    order: &[Value],
    merge_key: Option<&str>,
    path: &Path<'_>,
) -> Result<Vec<Value>, PatchError> {
    let (mut keep, deletes) = match merge_key {
        Some(key) => {
            for (index, item) in items.iter().chain(order).enumerate() {
                merge_key_value(item, key, &path.index(index))?;
            }
            items
                .into_iter()
                .partition(|item| !is_delete_directive(item))
        }
        None => (items, Vec::new()),
    };
    // Items missing from `order` (none, for lists this module builds) go last.
    keep.sort_by_cached_key(|item| position(order, item, merge_key).unwrap_or(usize::MAX));
    keep.extend(deletes);
    Ok(keep)
}

/// Interleaves `server_only` items into `patch` items, both already sorted, keeping the
/// relative order of each and placing server-only items by their place in the live list.
fn merge_sorted(
    server_only: Vec<Value>,
    patch: Vec<Value>,
    server_order: &[Value],
    merge_key: Option<&str>,
) -> Vec<Value> {
    let mut merged = Vec::with_capacity(server_only.len() + patch.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (position(server_order, l, merge_key), position(server_order, r, merge_key)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged
}

fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: Option<&str>,
    path: &Path<'_>,
) -> Result<Vec<Value>, PatchError> {
    let patch = normalize_slice_order(patch, patch_order, merge_key, path)?;
    let server_only = normalize_slice_order(server_only, server_order, merge_key, path)?;
    Ok(merge_sorted(server_only, patch, server_order, merge_key))
}

// ---------------------------------------------------------------------------------------
// Merge: a patch applied to a document, or (client-side) one patch merged into another.

#[derive(Debug, Clone, Copy)]
struct MergeOptions {
    /// Apply `$deleteFromPrimitiveList` and `$setElementOrder` (the server does); when
    /// false they are carried into the result (merging two patches).
    merge_parallel_list: bool,
    /// Drop nulls instead of keeping them as deletions for the server.
    ignore_unmatched_nulls: bool,
}

fn merge_map(
    mut original: Object,
    mut patch: Object,
    schema: SchemaNode<'_>,
    options: MergeOptions,
    path: &Path<'_>,
) -> Result<Object, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some(REPLACE) => {
                patch.shift_remove(DIRECTIVE);
                Ok(patch)
            }
            Some(DELETE) => Ok(Object::new()),
            _ => Err(path.invalid(format!("unknown `$patch` directive {directive}"))),
        };
    }
    apply_retain_keys(&mut original, &mut patch, options, path)?;
    merge_element_orders(&mut original, &mut patch, schema, options, path)?;

    for (key, patch_value) in patch {
        let (key, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            if !options.merge_parallel_list {
                original.insert(key, patch_value);
                continue;
            }
            let target = directive_target(&key, DELETE_FROM_PRIMITIVE_LIST, path)?;
            (target.to_string(), true)
        } else {
            (key, false)
        };
        let path = path.key(&key);

        if patch_value.is_null() {
            original.shift_remove(&key);
            if options.ignore_unmatched_nulls {
                continue;
            }
        }
        let Some(slot) = original.get_mut(&key) else {
            if !is_delete_list {
                insert_without_directives(&mut original, key.clone(), patch_value, options);
            }
            continue;
        };
        if go_type(slot) != go_type(&patch_value) {
            if !is_delete_list {
                insert_without_directives(&mut original, key.clone(), patch_value, options);
            }
            continue;
        }
        match (slot.take(), patch_value) {
            (Value::Object(o), Value::Object(p)) => {
                let (meta, child) = schema.field(&key);
                *slot = if meta.strategy == PatchStrategy::Replace {
                    Value::Object(p)
                } else {
                    Value::Object(merge_map(o, p, child, options, &path)?)
                };
            }
            (Value::Array(o), Value::Array(p)) => {
                let (meta, child) = schema.field(&key);
                *slot = if meta.strategy == PatchStrategy::Merge || is_delete_list {
                    let merged = merge_lists(
                        o,
                        p,
                        child.items(),
                        meta.merge_key,
                        options,
                        is_delete_list,
                        &path,
                    )?;
                    Value::Array(merged)
                } else {
                    Value::Array(p)
                };
            }
            (_, scalar) => *slot = scalar,
        }
    }
    Ok(original)
}

fn insert_without_directives(
    original: &mut Object,
    key: String,
    mut value: Value,
    options: MergeOptions,
) {
    if options.ignore_unmatched_nulls {
        discard_nulls(&mut value);
    }
    match remove_directives(value) {
        Some(value) => {
            original.insert(key, value);
        }
        None => {
            original.shift_remove(&key);
        }
    }
}

/// Drops objects carrying a `$patch` directive (a value new to the document cannot
/// delete or replace anything).
fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(DIRECTIVE) => None,
        Value::Object(map) => Some(Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                .collect(),
        )),
        Value::Array(list) => Some(Value::Array(
            list.into_iter().filter_map(remove_directives).collect(),
        )),
        scalar => Some(scalar),
    }
}

fn discard_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(discard_nulls);
        }
        Value::Array(list) => list.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// `$retainKeys`: the server drops every key of `original` not listed; merging two
/// patches carries the (identical) list over.
fn apply_retain_keys(
    original: &mut Object,
    patch: &mut Object,
    options: MergeOptions,
    path: &Path<'_>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    if !options.merge_parallel_list {
        match original.get(RETAIN_KEYS) {
            Some(existing) if *existing != retain => {
                return Err(path.invalid("two different `$retainKeys` lists for one object"));
            }
            Some(_) => {}
            None => {
                original.insert(RETAIN_KEYS.to_string(), retain);
            }
        }
        return Ok(());
    }
    let Value::Array(retain) = retain else {
        return Err(path.invalid("`$retainKeys` must be a list"));
    };
    let retained = |key: &str| retain.iter().any(|k| k == key);
    for (key, value) in patch.iter() {
        if value.is_null()
            || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || key.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !retained(key) {
            return Err(path.invalid(format!("`{key}` is patched but not in `$retainKeys`")));
        }
    }
    original.retain(|key, _| retained(key));
    Ok(())
}

/// `$setElementOrder/<field>`: merges the list named by it and orders the result — the
/// patch's order first, items only the document has placed by their old position.
fn merge_element_orders(
    original: &mut Object,
    patch: &mut Object,
    schema: SchemaNode<'_>,
    options: MergeOptions,
    path: &Path<'_>,
) -> Result<(), PatchError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for key in keys {
        let Some(order) = patch.shift_remove(&key) else {
            continue;
        };
        if !options.merge_parallel_list {
            match original.get(&key) {
                Some(existing) if *existing != order => {
                    return Err(path.invalid(format!("two different `{key}` lists")));
                }
                Some(_) => {}
                None => {
                    original.insert(key.clone(), order.clone());
                }
            }
        }
        let Value::Array(order) = order else {
            return Err(path.invalid(format!("`{key}` must be a list")));
        };
        let target = directive_target(&key, SET_ELEMENT_ORDER, path)?.to_string();
        let path = path.key(&target);
        let as_list = |value: Option<&Value>| match value {
            None => Ok(None),
            Some(Value::Array(list)) => Ok(Some(list.clone())),
            Some(_) => Err(path.invalid("expected a list")),
        };
        let original_list = as_list(original.get(&target))?;
        let patch_list = as_list(patch.get(&target))?;
        let (meta, child) = schema.field(&target);
        let merge_key = meta.merge_key;
        check_order(
            patch_list.as_deref().unwrap_or_default(),
            &order,
            merge_key,
            &path,
        )?;

        let merged = match (&original_list, &patch_list) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => p.clone(),
            (Some(o), Some(p)) if meta.strategy == PatchStrategy::Merge => merge_lists(
                o.clone(),
                p.clone(),
                child.items(),
                merge_key,
                options,
                false,
                &path,
            )?,
            (Some(_), Some(p)) => p.clone(),
            (None, None) => continue,
        };
        let (in_order, server_only) = partition_by_presence(merged, &order, merge_key, &path)?;
        let lists = [
            original_list.as_deref().unwrap_or_default(),
            patch_list.as_deref().unwrap_or_default(),
        ];
        if item_kind(&lists, &path)?.is_none() {
            return Err(path.invalid("an element order for an empty list"));
        }
        let server_order = match (&original_list, &patch_list, merge_key) {
            (Some(o), Some(p), Some(key)) if meta.strategy == PatchStrategy::Merge => {
                go_shared_view(o, p, key)
            }
            (Some(o), _, _) => o.clone(),
            (None, _, _) => Vec::new(),
        };
        let ordered = normalize_element_order(
            in_order,
            server_only,
            &order,
            &server_order,
            merge_key,
            &path,
        )?;
        original.insert(target.clone(), Value::Array(ordered));
        patch.shift_remove(&target);
    }
    Ok(())
}

/// The live list as Go's `mergePatchIntoOriginal` still sees it after merging a list of
/// objects into it: the merge shares the live list's backing array, so each deleted item
/// shifts the rest left (the last slot keeping its old item) and appended items fill the
/// freed slots. The server places the items only it has by their index in this view, so
/// an item it alone has can land before one the patch appends.
fn go_shared_view(original: &[Value], patch: &[Value], merge_key: &str) -> Vec<Value> {
    let mut view = original.to_vec();
    let mut list = original.to_vec();
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE).and_then(Value::as_str) {
            Some(DELETE) => {
                let Some(key) = item.get(merge_key) else {
                    continue;
                };
                while let Some(i) = list.iter().position(|v| v.get(merge_key) == Some(key)) {
                    for j in i..list.len() - 1 {
                        view[j] = view[j + 1].clone();
                    }
                    list.remove(i);
                }
            }
            Some(REPLACE) => replace = true,
            _ => {}
        }
    }
    if replace {
        // The patch's items become a list of their own: nothing more lands in the view.
        return view;
    }
    for item in patch.iter().filter(|item| !has_directive(item)) {
        let key = item.get(merge_key);
        if !list.iter().any(|v| v.get(merge_key) == key) {
            if let Some(slot) = view.get_mut(list.len()) {
                *slot = item.clone();
            }
            list.push(item.clone());
        }
    }
    view
}

/// The patch list must follow the order its `$setElementOrder` list gives.
fn check_order(
    patch: &[Value],
    order: &[Value],
    merge_key: Option<&str>,
    path: &Path<'_>,
) -> Result<(), PatchError> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let listed: Vec<&Value> = match merge_key {
        Some(_) => {
            if patch.iter().any(|item| !item.is_object()) {
                return Err(path.not_an_object());
            }
            patch.iter().filter(|i| !is_delete_directive(i)).collect()
        }
        None => patch.iter().collect(),
    };
    let same = |a: &Value, b: &Value| -> Result<bool, PatchError> {
        match merge_key {
            None => Ok(a == b),
            Some(key) => Ok(merge_key_value(a, key, path)? == merge_key_value(b, key, path)?),
        }
    };
    let (mut p, mut o) = (0, 0);
    while p < listed.len() && o < order.len() {
        if has_directive(listed[p]) {
            p += 1;
            continue;
        }
        if same(listed[p], &order[o])? {
            p += 1;
        }
        o += 1;
    }
    if p < listed.len() {
        return Err(path.invalid("the list's items are not in the order of its `$setElementOrder`"));
    }
    Ok(())
}

/// Splits `list` into the items `by` names and the others.
fn partition_by_presence(
    list: Vec<Value>,
    by: &[Value],
    merge_key: Option<&str>,
    path: &Path<'_>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for (index, item) in list.into_iter().enumerate() {
        let found = match merge_key {
            None => by.contains(&item),
            Some(key) => {
                let value = merge_key_value(&item, key, &path.index(index))?;
                let mut found = false;
                for candidate in by {
                    let candidate = candidate.as_object().ok_or_else(|| path.not_an_object())?;
                    if candidate.get(key) == Some(value) {
                        found = true;
                        break;
                    }
                }
                found
            }
        };
        if found {
            present.push(item);
        } else {
            absent.push(item);
        }
    }
    Ok((present, absent))
}

fn merge_lists(
    original: Vec<Value>,
    patch: Vec<Value>,
    items: SchemaNode<'_>,
    merge_key: Option<&str>,
    options: MergeOptions,
    is_delete_list: bool,
    path: &Path<'_>,
) -> Result<Vec<Value>, PatchError> {
    let Some(kind) = item_kind(&[&original, &patch], path)? else {
        return Ok(original);
    };
    if kind == ItemKind::Scalar {
        if options.merge_parallel_list && is_delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.contains(v))
                .collect());
        }
        let mut both = original.clone();
        both.extend(patch.iter().cloned());
        let merged = deduplicate_scalars(both);
        let (in_patch, server_only) = partition_by_presence(merged, &patch, None, path)?;
        return normalize_element_order(in_patch, server_only, &patch, &original, None, path);
    }

    let merge_key = merge_key.ok_or_else(|| PatchError::NoMergeKey {
        path: path.to_string(),
    })?;
    let (original, patch) = apply_list_directives(original, patch, merge_key, path)?;
    let mut merged = original.clone();
    for (index, item) in patch.iter().enumerate() {
        let Value::Object(item_patch) = item else {
            return Err(path.index(index).not_an_object());
        };
        let key_value = item_patch
            .get(merge_key)
            .ok_or_else(|| path.index(index).missing_merge_key(merge_key))?;
        let mut found = None;
        for (position, candidate) in merged.iter().enumerate() {
            let candidate = candidate
                .as_object()
                .ok_or_else(|| path.index(position).not_an_object())?;
            if candidate.get(merge_key) == Some(key_value) {
                found = Some(position);
                break;
            }
        }
        match found {
            Some(position) => {
                let Value::Object(existing) = merged[position].take() else {
                    return Err(path.index(position).not_an_object());
                };
                let item_path = path.item(merge_key, key_value);
                let merged_item =
                    merge_map(existing, item_patch.clone(), items, options, &item_path)?;
                merged[position] = Value::Object(merged_item);
            }
            None => merged.push(item.clone()),
        }
    }
    let (in_patch, server_only) = partition_by_presence(merged, &patch, Some(merge_key), path)?;
    normalize_element_order(
        in_patch,
        server_only,
        &patch,
        &original,
        Some(merge_key),
        path,
    )
}

/// Applies the `$patch` items of a list patch: `delete` removes items by merge key,
/// `replace` makes the patch's other items the whole list.
fn apply_list_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    path: &Path<'_>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(DIRECTIVE) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some(DELETE) => {
                let key_value = item
                    .get(merge_key)
                    .ok_or_else(|| path.missing_merge_key(merge_key))?;
                if original.iter().any(|v| !v.is_object()) {
                    return Err(path.not_an_object());
                }
                original.retain(|v| v.get(merge_key) != Some(key_value));
            }
            Some(REPLACE) => replace = true,
            Some(MERGE) => return Err(path.invalid("`$patch: merge` is not supported in lists")),
            _ => return Err(path.invalid(format!("unknown `$patch` directive {directive}"))),
        }
    }
    if replace {
        Ok((plain, Vec::new()))
    } else {
        Ok((original, plain))
    }
}

// ---------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386), three-way, for kinds without a strategic merge schema.

fn merge_three_way(
    original: &Object,
    modified: &Object,
    current: &Object,
) -> Result<Object, PatchError> {
    let additions = keep_or_drop_nulls(create_merge_patch(current, modified), false);
    let deletions = keep_or_drop_nulls(create_merge_patch(original, modified), true);
    if let Some(path) = merge_conflict(&additions, &deletions) {
        return Err(PatchError::Conflict { path });
    }
    let mut patch = Value::Object(deletions);
    json_patch::merge(&mut patch, &Value::Object(additions));
    let Value::Object(patch) = patch else {
        return Err(PatchError::NotAnObject("patch"));
    };
    // As kubectl: a merge patch must not move the object to another identity.
    if patch.contains_key("apiVersion") {
        return Err(PatchError::IdentityChanged("apiVersion"));
    }
    if patch.contains_key("kind") {
        return Err(PatchError::IdentityChanged("kind"));
    }
    if patch.get("metadata").and_then(|m| m.get("name")).is_some() {
        return Err(PatchError::IdentityChanged("name"));
    }
    Ok(patch)
}

/// RFC 7386 diff: the merge patch taking `from` to `to`.
fn create_merge_patch(from: &Object, to: &Object) -> Object {
    let mut patch = Object::new();
    for (key, to_value) in to {
        match (from.get(key), to_value) {
            (None, _) => {
                patch.insert(key.clone(), to_value.clone());
            }
            (Some(Value::Object(f)), Value::Object(t)) => {
                let child = create_merge_patch(f, t);
                if !child.is_empty() {
                    patch.insert(key.clone(), Value::Object(child));
                }
            }
            (Some(from_value), _) if !json_equal(from_value, to_value) => {
                patch.insert(key.clone(), to_value.clone());
            }
            _ => {}
        }
    }
    for key in from.keys() {
        if !to.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    patch
}

/// Equality as Go's encoding/json sees it: every number is a float64.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Keeps only the deletions (`keep_nulls`) or only the additions and changes of a merge
/// patch. An explicitly empty object is a value, not an empty patch.
fn keep_or_drop_nulls(patch: Object, keep_nulls: bool) -> Object {
    let mut kept = Object::new();
    for (key, value) in patch {
        match value {
            Value::Null if keep_nulls => {
                kept.insert(key, Value::Null);
            }
            Value::Null => {}
            Value::Object(map) if map.is_empty() => {
                if !keep_nulls {
                    kept.insert(key, Value::Object(map));
                }
            }
            Value::Object(map) => {
                let child = keep_or_drop_nulls(map, keep_nulls);
                if !child.is_empty() {
                    kept.insert(key, Value::Object(child));
                }
            }
            other => {
                if !keep_nulls {
                    kept.insert(key, other);
                }
            }
        }
    }
    kept
}

/// The first place where two merge patches set one field differently.
fn merge_conflict(left: &Object, right: &Object) -> Option<String> {
    fn conflict(left: &Value, right: &Value, path: &Path<'_>) -> Option<String> {
        match (left, right) {
            (Value::Object(l), Value::Object(r)) => l.iter().find_map(|(key, lv)| {
                let rv = r.get(key)?;
                conflict(lv, rv, &path.key(key))
            }),
            (Value::Array(l), Value::Array(r)) if l.len() == r.len() => l
                .iter()
                .zip(r)
                .enumerate()
                .find_map(|(i, (lv, rv))| conflict(lv, rv, &path.index(i))),
            (Value::Object(_) | Value::Array(_), _) => Some(path.to_string()),
            _ => (left != right).then(|| path.to_string()),
        }
    }
    conflict(
        &Value::Object(left.clone()),
        &Value::Object(right.clone()),
        &Path::ROOT,
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::apply::patch_schema::fixtures;

    fn schema_of(object: &Value) -> Option<PatchSchema> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        fixtures::schema(api_version, kind)
    }

    /// `three_way_patch` with the fixtures' schema of `modified`'s kind.
    fn patch(original: Option<Value>, modified: Value, current: Value) -> (PatchKind, Value) {
        let schema = schema_of(&modified);
        three_way_patch(original.as_ref(), &modified, &current, schema.as_ref())
            .unwrap_or_else(|e| panic!("patch failed: {e}"))
    }

    /// What the server holds after the patch: `current` patched as the API server does.
    fn applied(original: Option<Value>, modified: Value, current: Value) -> Value {
        let schema = schema_of(&modified);
        let (kind, patch) = patch(original, modified, current.clone());
        match kind {
            PatchKind::Strategic => apply_strategic_patch(&current, &patch, schema.as_ref())
                .unwrap_or_else(|e| panic!("applying {patch} failed: {e}")),
            PatchKind::Merge => apply_merge_patch(&current, &patch),
        }
    }

    fn deployment(containers: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": containers}}}
        })
    }

    fn containers(object: &Value) -> &Value {
        &object["spec"]["template"]["spec"]["containers"]
    }

    // ------------------------------------------------------------------------------
    // Reference cases: kubectl's own code (fixtures/apply/kubectl-reference) computed
    // the patch and the server's result for each `fixtures/apply/three-way/*.yaml`.

    #[test]
    fn every_reference_case_matches_kubectl() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/apply/three-way");
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixtures/apply/three-way")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        cases.sort();
        assert!(
            cases.len() >= 25,
            "reference cases missing: {}",
            cases.len()
        );
        let mut failures = Vec::new();
        for case in &cases {
            if let Err(failure) = check_reference_case(case) {
                failures.push(format!("{}: {failure}", case.display()));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    }

    fn check_reference_case(case: &std::path::Path) -> Result<(), String> {
        let text = std::fs::read_to_string(case).map_err(|e| e.to_string())?;
        let input: Value =
            crate::yaml::parse(&text, &case.display().to_string()).map_err(|e| e.to_string())?;
        let expected_path = case.with_extension("kubectl.json");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path)
                .map_err(|e| format!("{}: {e}", expected_path.display()))?,
        )
        .map_err(|e| e.to_string())?;
        let original = input.get("original").filter(|v| !v.is_null());
        let (modified, current) = (&input["modified"], &input["current"]);
        let schema = schema_of(modified);
        let outcome = three_way_patch(original, modified, current, schema.as_ref());
        if let Some(error) = expected.get("error") {
            return match outcome {
                Err(_) => Ok(()),
                Ok((_, patch)) => Err(format!("kubectl fails ({error}); ketch sends {patch}")),
            };
        }
        let (kind, patch) = outcome.map_err(|e| format!("kubectl succeeds; ketch fails: {e}"))?;
        let expected_kind = match kind {
            PatchKind::Strategic => "strategic",
            PatchKind::Merge => "merge",
        };
        if expected["patchType"] != expected_kind {
            return Err(format!(
                "patch type {expected_kind}, kubectl {}",
                expected["patchType"]
            ));
        }
        if patch != expected["patch"] {
            return Err(format!(
                "patch differs\n  ketch:   {patch}\n  kubectl: {}",
                expected["patch"]
            ));
        }
        let Some(expected_result) = expected.get("result") else {
            return Ok(());
        };
        let result = match kind {
            PatchKind::Strategic => apply_strategic_patch(current, &patch, schema.as_ref())
                .map_err(|e| format!("applying the patch: {e}"))?,
            PatchKind::Merge => apply_merge_patch(current, &patch),
        };
        if result != *expected_result {
            return Err(format!(
                "result differs\n  ketch:  {result}\n  server: {expected_result}"
            ));
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------
    // Lists of objects merged by key.

    #[test]
    fn lists_merged_by_key() {
        struct Case {
            name: &'static str,
            original: Value,
            modified: Value,
            current: Value,
            /// Container names and images after the patch.
            expected: Value,
        }
        let c = |name: &str, image: &str| json!({"name": name, "image": image});
        let cases = [
            Case {
                name: "added item appended, out-of-band item kept",
                original: json!([c("a", "1")]),
                modified: json!([c("a", "1"), c("b", "1")]),
                current: json!([c("a", "1"), c("x", "1")]),
                expected: json!([c("a", "1"), c("b", "1"), c("x", "1")]),
            },
            Case {
                name: "removed item deleted",
                original: json!([c("a", "1"), c("b", "1")]),
                modified: json!([c("a", "1")]),
                current: json!([c("a", "1"), c("b", "1")]),
                expected: json!([c("a", "1")]),
            },
            Case {
                name: "reordered",
                original: json!([c("a", "1"), c("b", "1"), c("c", "1")]),
                modified: json!([c("c", "1"), c("b", "1"), c("a", "1")]),
                current: json!([c("a", "1"), c("b", "1"), c("c", "1")]),
                expected: json!([c("c", "1"), c("b", "1"), c("a", "1")]),
            },
            Case {
                name: "item changed in place",
                original: json!([c("a", "1"), c("b", "1")]),
                modified: json!([c("a", "1"), c("b", "2")]),
                current: json!([c("a", "1"), c("b", "1")]),
                expected: json!([c("a", "1"), c("b", "2")]),
            },
            Case {
                name: "item removed out of band comes back",
                original: json!([c("a", "1"), c("b", "1")]),
                modified: json!([c("a", "1"), c("b", "1")]),
                current: json!([c("a", "1")]),
                expected: json!([c("a", "1"), c("b", "1")]),
            },
            Case {
                name: "item the manifest never had is not deleted",
                original: json!([c("a", "1")]),
                modified: json!([]),
                current: json!([c("a", "1"), c("x", "1")]),
                expected: json!([c("x", "1")]),
            },
        ];
        for case in cases {
            let result = applied(
                Some(deployment(case.original)),
                deployment(case.modified),
                deployment(case.current),
            );
            assert_eq!(containers(&result), &case.expected, "{}", case.name);
        }
    }

    #[test]
    fn a_removed_item_becomes_a_delete_directive_with_the_element_order() {
        let original =
            deployment(json!([{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]));
        let modified = deployment(json!([{"name": "a", "image": "1"}]));
        let (kind, patch) = patch(Some(original.clone()), modified, original);
        assert_eq!(kind, PatchKind::Strategic);
        assert_eq!(
            patch,
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "a"}],
                "containers": [{"name": "b", "$patch": "delete"}]
            }}}})
        );
    }

    #[test]
    fn nested_lists_merge_at_every_level() {
        let web = |env: Value, mounts: Value| {
            deployment(json!([{"name": "web", "image": "1", "env": env, "volumeMounts": mounts}]))
        };
        let original = web(
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "1"}]),
            json!([{"name": "data", "mountPath": "/data"}]),
        );
        let modified = web(
            json!([{"name": "A", "value": "2"}, {"name": "C", "value": "3"}]),
            json!([{"name": "data", "mountPath": "/data"}, {"name": "tmp", "mountPath": "/tmp"}]),
        );
        let current = web(
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "1"}, {"name": "X", "value": "x"}]),
            json!([{"name": "data", "mountPath": "/data"}, {"name": "cache", "mountPath": "/cache"}]),
        );
        let result = applied(Some(original), modified, current);
        let container = &containers(&result)[0];
        // B's deletion frees a slot that C takes in the server's view of the live list,
        // so X (live only) goes before C — as the API server orders it.
        assert_eq!(
            container["env"],
            json!([{"name": "A", "value": "2"}, {"name": "X", "value": "x"}, {"name": "C", "value": "3"}])
        );
        assert_eq!(
            container["volumeMounts"],
            json!([
                {"name": "data", "mountPath": "/data"},
                {"name": "tmp", "mountPath": "/tmp"},
                {"name": "cache", "mountPath": "/cache"}
            ])
        );
    }

    #[test]
    fn integer_merge_keys_are_ordered_as_text_and_matched_by_value() {
        let ports =
            |ports: Value| deployment(json!([{"name": "web", "image": "1", "ports": ports}]));
        let original = ports(json!([{"containerPort": 80}, {"containerPort": 8080}]));
        let modified =
            ports(json!([{"containerPort": 9090}, {"containerPort": 80, "name": "http"}]));
        let current = ports(json!([
            {"containerPort": 80, "protocol": "TCP"},
            {"containerPort": 8080, "protocol": "TCP"}
        ]));
        let result = applied(Some(original), modified, current);
        assert_eq!(
            containers(&result)[0]["ports"],
            json!([{"containerPort": 9090}, {"containerPort": 80, "protocol": "TCP", "name": "http"}])
        );
    }

    // ------------------------------------------------------------------------------
    // Lists of scalars, replaced lists, retainKeys.

    fn config_map(metadata: Value, data: Value) -> Value {
        let mut metadata = metadata;
        metadata["name"] = json!("settings");
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})
    }

    #[test]
    fn finalizers_merge_as_a_set() {
        let cm = |finalizers: Value| config_map(json!({"finalizers": finalizers}), json!({}));
        let (_, p) = patch(
            Some(cm(json!(["a", "b"]))),
            cm(json!(["c", "a"])),
            cm(json!(["a", "other", "b"])),
        );
        assert_eq!(
            p["metadata"],
            json!({
                "$deleteFromPrimitiveList/finalizers": ["b"],
                "$setElementOrder/finalizers": ["c", "a"],
                "finalizers": ["c"]
            })
        );
        let result = applied(
            Some(cm(json!(["a", "b"]))),
            cm(json!(["c", "a"])),
            cm(json!(["a", "other", "b"])),
        );
        assert_eq!(result["metadata"]["finalizers"], json!(["c", "a", "other"]));
    }

    #[test]
    fn lists_without_a_merge_strategy_are_replaced() {
        let container = |args: Value, command: Option<Value>| {
            let mut c = json!({"name": "web", "image": "1", "args": args});
            if let Some(command) = command {
                c["command"] = command;
            }
            deployment(json!([c]))
        };
        let result = applied(
            Some(container(json!(["--a", "--b"]), Some(json!(["/bin/x"])))),
            container(json!(["--b", "--c"]), None),
            container(json!(["--a", "--b", "--injected"]), Some(json!(["/bin/x"]))),
        );
        let web = &containers(&result)[0];
        assert_eq!(web["args"], json!(["--b", "--c"]));
        assert!(web.get("command").is_none(), "{web}");
    }

    #[test]
    fn retain_keys_clears_the_previous_volume_source() {
        let volumes = |volumes: Value| {
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"template": {"spec": {
                    "containers": [{"name": "web", "image": "1"}],
                    "volumes": volumes
                }}}
            })
        };
        // The live emptyDir was never in `original` (defaulted by another client): only
        // `$retainKeys` can remove it.
        let original = volumes(json!([{"name": "v", "configMap": {"name": "a"}}]));
        let modified = volumes(json!([{"name": "v", "secret": {"secretName": "s"}}]));
        let current = volumes(json!([{"name": "v", "configMap": {"name": "a"}, "emptyDir": {}}]));
        let (_, p) = patch(Some(original.clone()), modified.clone(), current.clone());
        assert_eq!(
            p["spec"]["template"]["spec"]["volumes"][0]["$retainKeys"],
            json!(["name", "secret"])
        );
        let result = applied(Some(original), modified, current);
        assert_eq!(
            result["spec"]["template"]["spec"]["volumes"],
            json!([{"name": "v", "secret": {"secretName": "s"}}])
        );
    }

    #[test]
    fn retain_keys_switches_the_deployment_strategy() {
        let strategy = |strategy: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"strategy": strategy}})
        };
        let result = applied(
            None,
            strategy(json!({"type": "Recreate"})),
            strategy(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}})),
        );
        assert_eq!(result["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    // ------------------------------------------------------------------------------
    // Fields: removed since the previous revision, added out of band, nulls.

    #[test]
    fn fields_removed_from_the_manifest_are_deleted_and_others_kept() {
        let cm = |labels: Value, data: Value| config_map(json!({"labels": labels}), data);
        let result = applied(
            Some(cm(
                json!({"app": "web", "old": "1"}),
                json!({"a": "1", "b": "2"}),
            )),
            cm(json!({"app": "web"}), json!({"a": "1"})),
            cm(
                json!({"app": "web", "old": "1", "theirs": "x"}),
                json!({"a": "1", "b": "2", "c": "3"}),
            ),
        );
        assert_eq!(
            result["metadata"]["labels"],
            json!({"app": "web", "theirs": "x"})
        );
        assert_eq!(result["data"], json!({"a": "1", "c": "3"}));
    }

    #[test]
    fn without_an_original_nothing_is_deleted() {
        let cm = |data: Value| config_map(json!({}), data);
        let (_, p) = patch(None, cm(json!({"a": "2"})), cm(json!({"a": "1", "b": "2"})));
        assert_eq!(p, json!({"data": {"a": "2"}}));
    }

    #[test]
    fn an_unchanged_object_needs_no_patch() {
        let object = deployment(
            json!([{"name": "web", "image": "1", "env": [{"name": "A", "value": "1"}]}]),
        );
        let mut live = object.clone();
        live["status"] = json!({"replicas": 1});
        live["metadata"]["resourceVersion"] = json!("42");
        let (_, p) = patch(Some(object.clone()), object, live);
        assert_eq!(p, json!({}));
    }

    #[test]
    fn explicit_nulls_delete_live_fields() {
        let cm = |data: Value| config_map(json!({}), data);
        let (_, p) = patch(
            None,
            cm(json!({"a": null})),
            cm(json!({"a": "1", "b": "2"})),
        );
        assert_eq!(p, json!({"data": {"a": null}}));
        let result = applied(
            None,
            cm(json!({"a": null})),
            cm(json!({"a": "1", "b": "2"})),
        );
        assert_eq!(result["data"], json!({"b": "2"}));
    }

    #[test]
    fn a_type_change_replaces_the_value() {
        let cm = |data: Value| config_map(json!({}), data);
        let (_, p) = patch(
            Some(cm(json!({"a": {"x": 1}}))),
            cm(json!({"a": "flat"})),
            cm(json!({"a": {"x": 1}})),
        );
        assert_eq!(p, json!({"data": {"a": "flat"}}));
    }

    // ------------------------------------------------------------------------------
    // Custom resources: three-way JSON merge patch.

    fn widget(spec: Value) -> Value {
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec})
    }

    #[test]
    fn custom_resources_get_a_three_way_merge_patch() {
        let table = [
            (
                "field removed since the previous revision",
                json!({"a": 1, "b": 2}),
                json!({"a": 1}),
                json!({"a": 1, "b": 2, "theirs": 3}),
                json!({"spec": {"b": null}}),
            ),
            (
                "lists are replaced whole",
                json!({"l": [1, 2]}),
                json!({"l": [2, 3]}),
                json!({"l": [1, 2, 9]}),
                json!({"spec": {"l": [2, 3]}}),
            ),
            (
                "nested object changed, out-of-band sibling kept",
                json!({"m": {"x": 1}}),
                json!({"m": {"x": 2}}),
                json!({"m": {"x": 1, "y": 1}}),
                json!({"spec": {"m": {"x": 2}}}),
            ),
            (
                "an explicitly empty object is a value",
                json!({}),
                json!({"m": {}}),
                json!({}),
                json!({"spec": {"m": {}}}),
            ),
            (
                "numbers compare as numbers",
                json!({"n": 1}),
                json!({"n": 1.0}),
                json!({"n": 1}),
                json!({}),
            ),
        ];
        for (name, original, modified, current, expected) in table {
            let (kind, p) = patch(Some(widget(original)), widget(modified), widget(current));
            assert_eq!(kind, PatchKind::Merge, "{name}");
            assert_eq!(p, expected, "{name}");
        }
    }

    #[test]
    fn a_merge_patch_never_renames() {
        let mut renamed = widget(json!({}));
        renamed["metadata"]["name"] = json!("other");
        let err = three_way_patch(Some(&widget(json!({}))), &renamed, &widget(json!({})), None)
            .expect_err("rename");
        assert_eq!(err, PatchError::IdentityChanged("name"));
    }

    // ------------------------------------------------------------------------------
    // The server's side: directives.

    #[test]
    fn server_side_directives() {
        let schema = schema_of(&deployment(json!([])));
        let live = deployment(json!([
            {"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "1"}
        ]));
        let table = [
            (
                "$patch: replace on an object",
                json!({"spec": {"template": {"spec": {"containers": [
                    {"name": "a", "env": [{"name": "Y", "value": "2"}, {"$patch": "replace"}]}
                ]}}}}),
                json!([
                    {"name": "a", "image": "1", "env": [{"name": "Y", "value": "2"}]},
                    {"name": "b", "image": "1"}
                ]),
            ),
            (
                "$patch: delete in a list",
                json!({"spec": {"template": {"spec": {"containers": [
                    {"name": "a", "$patch": "delete"}
                ]}}}}),
                json!([{"name": "b", "image": "1"}]),
            ),
            (
                "$setElementOrder with an item only the server has",
                json!({"spec": {"template": {"spec": {
                    "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                    "containers": [{"name": "c", "image": "3"}]
                }}}}),
                json!([
                    {"name": "c", "image": "3"},
                    {"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}]},
                    {"name": "b", "image": "1"}
                ]),
            ),
        ];
        for (name, patch, expected) in table {
            let result = apply_strategic_patch(&live, &patch, schema.as_ref())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(containers(&result), &expected, "{name}");
        }
    }

    #[test]
    fn a_retain_keys_list_must_name_every_patched_key() {
        let schema = schema_of(&deployment(json!([])));
        let live = json!({"spec": {"strategy": {"type": "RollingUpdate"}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}});
        let err = apply_strategic_patch(&live, &patch, schema.as_ref()).expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "at .spec.strategy: `rollingUpdate` is patched but not in `$retainKeys`"
        );
    }

    // ------------------------------------------------------------------------------
    // Errors on documents that cannot be merged.

    #[test]
    fn unmergeable_documents_are_errors_that_name_the_field() {
        let table = [
            (
                "missing merge key",
                json!([{"image": "1"}]),
                "at .spec.template.spec.containers[0]: an item of a list merged by `name` has no `name`",
            ),
            (
                "mixed item types",
                json!([{"name": "a"}, "b"]),
                "at .spec.template.spec.containers: the items of a merged list are not all of one type",
            ),
            (
                "list of lists",
                json!([["a"]]),
                "at .spec.template.spec.containers: a merged list holds a null or a list, which cannot be merged",
            ),
        ];
        let live = deployment(json!([{"name": "x", "image": "1"}]));
        let schema = schema_of(&live);
        for (name, containers, message) in table {
            let err = three_way_patch(Some(&live), &deployment(containers), &live, schema.as_ref())
                .expect_err(name);
            assert_eq!(err.to_string(), message, "{name}");
        }
        let err = three_way_patch(None, &json!([1]), &live, schema.as_ref()).expect_err("array");
        assert_eq!(err, PatchError::NotAnObject("modified"));
    }

    #[test]
    fn scalars_print_as_go_prints_them() {
        for (value, expected) in [
            (json!("s"), "s"),
            (json!(80), "80"),
            (json!(-3), "-3"),
            (json!(true), "true"),
            (json!(null), "<nil>"),
            (json!(1.5), "1.5"),
            (json!(123456.0), "123456"),
            (json!(1e6), "1e+06"),
            (json!(1234567.0), "1.234567e+06"),
            (json!(0.0001), "0.0001"),
            (json!(0.00001), "1e-05"),
        ] {
            assert_eq!(go_string(&value), expected, "{value}");
        }
    }
}
