//! Every change to a manifest is seen by the diff (P-68): each leaf of both shipped
//! manifests is changed in turn, and each change that still yields a valid manifest must
//! come out as a material change or as wording, never as nothing. The material ones must
//! make the policy need a new decision.

use serde_json::Value;
use waybill_core::Role;
use waybill_core::privacy::manifest::{self, Manifest};

/// Every leaf of `v` with its path (object keys and array indices).
fn leaves(v: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let mut p = path.clone();
                p.push(k.clone());
                leaves(child, p, out);
            }
        }
        Value::Array(items) if !items.is_empty() && !items.iter().all(Value::is_string) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(i.to_string());
                leaves(child, p, out);
            }
        }
        _ => out.push(path),
    }
}

fn at<'v>(v: &'v mut Value, path: &[String]) -> &'v mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Array(items) => &mut items[k.parse::<usize>().unwrap()],
        other => &mut other[k.as_str()],
    })
}

/// Candidate changes of one leaf, the first that still parses and lints is used.
fn mutations(leaf: &Value, m: &Manifest) -> Vec<Value> {
    match leaf {
        Value::Bool(b) => vec![Value::Bool(!b)],
        Value::Number(n) => {
            let n = n.as_u64().unwrap_or(1);
            vec![(n + 1).into(), n.saturating_sub(1).into()]
        }
        Value::String(s) => {
            let mut out = vec![
                Value::String(format!("{s} (revised)")),
                Value::String(format!("{s}x")),
            ];
            // Enumerated values: any other one a manifest uses.
            for alt in [
                "consent",
                "separate_consent",
                "contract",
                "legal_obligation",
                "optional",
                "core",
                "collected",
                "order_closed",
                "uploaded",
                "account_closed",
                "developer_advertising",
                "analytics",
                "app_functionality",
                "2026-12-15",
                "https://waybill.example/privacy/changed",
            ] {
                if alt != s {
                    out.push(Value::String(alt.into()));
                }
            }
            out
        }
        Value::Array(items) => {
            // A list of ids: add one the manifest declares elsewhere, or drop one.
            let mut out = vec![];
            let known: Vec<String> = m
                .categories
                .iter()
                .map(|c| c.id.clone())
                .chain(m.purposes.iter().map(|p| p.id.clone()))
                .chain(["camera", "location_precise", "contacts"].map(String::from))
                .collect();
            for k in known {
                if !items.contains(&Value::String(k.clone())) {
                    let mut more = items.clone();
                    more.push(Value::String(k));
                    out.push(Value::Array(more));
                }
            }
            if !items.is_empty() {
                out.push(Value::Array(items[1..].to_vec()));
            }
            out
        }
        _ => vec![],
    }
}

#[test]
fn no_change_to_a_manifest_goes_unseen() {
    let mut checked = 0;
    for role in [Role::Driver, Role::Shipper] {
        let text = manifest::builtin(role);
        let old = Manifest::parse(text).unwrap();
        let doc: Value = serde_json::from_str(text).unwrap();
        let mut paths = vec![];
        leaves(&doc, vec![], &mut paths);
        for path in paths {
            let last = path.last().map(String::as_str);
            // The document's format and its own version are what a diff compares under.
            if matches!(last, Some("schema" | "policy_version")) {
                continue;
            }
            let mut base = doc.clone();
            let leaf = at(&mut base, &path).clone();
            let changed = mutations(&leaf, &old).into_iter().find_map(|candidate| {
                let mut edited = doc.clone();
                *at(&mut edited, &path) = candidate;
                edited["policy_version"] = Value::String("2099.1.1".into());
                Manifest::parse(&edited.to_string()).ok()
            });
            let Some(new) = changed else {
                continue; // no valid manifest differs only there
            };
            let changes = manifest::diff(&old, &new);
            assert!(
                !changes.is_empty(),
                "{role:?}: a change at {path:?} is not seen"
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} leaves could be changed");
}

#[test]
fn changes_that_weaken_a_promise_are_material_and_wording_is_not() {
    let text = manifest::builtin(Role::Shipper);
    let old = Manifest::parse(text).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut doc: Value = serde_json::from_str(text).unwrap();
        f(&mut doc);
        doc["policy_version"] = Value::String("2099.1.1".into());
        manifest::diff(&old, &Manifest::parse(&doc.to_string()).unwrap())
    };
    let material = |changes: &[manifest::PolicyChange]| changes.iter().any(|c| c.material);
    assert!(material(&edit(
        &|d| d["rights_response_working_days"] = 20.into()
    )));
    assert!(!material(&edit(
        &|d| d["rights_response_working_days"] = 10.into()
    )));
    assert!(material(&edit(&|d| d["min_age"] = 12.into())));
    assert!(material(&edit(
        &|d| d["controller"]["contact"] = "dpo@elsewhere.example".into()
    )));
    // A category's sensitivity changing asks again for every purpose using it (the linter
    // lets only a separate-consent purpose hold a sensitive category, so flip one off).
    assert_eq!(old.categories[5].id, "trajectory");
    let sensitive = edit(&|d| d["categories"][5]["sensitive"] = false.into());
    assert!(
        sensitive
            .iter()
            .any(|c| c.material && c.subject == "follow_errand")
    );
    let sdk_more = edit(&|d| {
        d["sdks"][1]["purposes"]
            .as_array_mut()
            .unwrap()
            .push("marketing".into())
    });
    assert!(material(&sdk_more), "an SDK serving one more purpose");
    assert!(material(&edit(
        &|d| d["sdks"][1]["provider"] = "Someone Else".into()
    )));
    assert!(!material(&edit(
        &|d| d["purposes"][0]["description"] = "Reworded.".into()
    )));
    assert!(!material(&edit(
        &|d| d["policy_url"] = "https://waybill.example/p2".into()
    )));
}
