//! Store disclosures generated from the manifest (C-17), so what the stores show cannot
//! drift from what the gate enforces: Apple's `PrivacyInfo.xcprivacy` and the answers of
//! Google Play's data-safety form.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::manifest::{
    DisclosurePurpose, Function, Manifest, Purpose, RetentionStart, StoreDataType,
};

/// What the manifest says about one store data type.
struct Use<'a> {
    purposes: Vec<&'a Purpose>,
    received_by: Vec<&'a str>,
}

fn uses(manifest: &Manifest) -> BTreeMap<StoreDataType, Use<'_>> {
    let mut out: BTreeMap<StoreDataType, Use<'_>> = BTreeMap::new();
    for category in &manifest.categories {
        let purposes: Vec<&Purpose> = manifest
            .purposes
            .iter()
            .filter(|p| p.categories.contains(&category.id))
            .collect();
        let received_by = manifest
            .sdks
            .iter()
            .filter(|s| s.categories.contains(&category.id))
            .map(|s| s.name.as_str());
        let entry = out.entry(category.store_type).or_insert_with(|| Use {
            purposes: vec![],
            received_by: vec![],
        });
        for p in purposes {
            if !entry.purposes.iter().any(|q| q.id == p.id) {
                entry.purposes.push(p);
            }
        }
        for name in received_by {
            if !entry.received_by.contains(&name) {
                entry.received_by.push(name);
            }
        }
    }
    out.retain(|_, u| !u.purposes.is_empty());
    out
}

fn disclosure_purposes(purposes: &[&Purpose]) -> Vec<DisclosurePurpose> {
    let mut list: Vec<_> = purposes.iter().map(|p| p.disclosure).collect();
    list.sort();
    list.dedup();
    list
}

fn apple_type(t: StoreDataType) -> &'static str {
    match t {
        StoreDataType::Name => "NSPrivacyCollectedDataTypeName",
        StoreDataType::PhoneNumber => "NSPrivacyCollectedDataTypePhoneNumber",
        StoreDataType::PhysicalAddress => "NSPrivacyCollectedDataTypePhysicalAddress",
        StoreDataType::OtherUserContactInfo => "NSPrivacyCollectedDataTypeOtherUserContactInfo",
        StoreDataType::PreciseLocation => "NSPrivacyCollectedDataTypePreciseLocation",
        StoreDataType::CoarseLocation => "NSPrivacyCollectedDataTypeCoarseLocation",
        StoreDataType::PhotosOrVideos => "NSPrivacyCollectedDataTypePhotosorVideos",
        StoreDataType::Contacts => "NSPrivacyCollectedDataTypeContacts",
        StoreDataType::SensitiveInfo => "NSPrivacyCollectedDataTypeSensitiveInfo",
        StoreDataType::PaymentInfo => "NSPrivacyCollectedDataTypePaymentInfo",
        StoreDataType::PurchaseHistory => "NSPrivacyCollectedDataTypePurchaseHistory",
        StoreDataType::DeviceId => "NSPrivacyCollectedDataTypeDeviceID",
        StoreDataType::ProductInteraction => "NSPrivacyCollectedDataTypeProductInteraction",
    }
}

fn apple_purpose(p: DisclosurePurpose) -> &'static str {
    match p {
        DisclosurePurpose::AppFunctionality => "NSPrivacyCollectedDataTypePurposeAppFunctionality",
        DisclosurePurpose::Analytics => "NSPrivacyCollectedDataTypePurposeAnalytics",
        DisclosurePurpose::DeveloperAdvertising => {
            "NSPrivacyCollectedDataTypePurposeDeveloperAdvertising"
        }
    }
}

/// `PrivacyInfo.xcprivacy` for the app: no tracking, one entry per collected data type,
/// linked to the account, with the purposes the manifest gives. The core reads no
/// advertising identifier and uses no tracking domain. Required-reason APIs: SQLite and
/// `std::fs::metadata` call `stat`/`fstat` on files in the app container, which Apple
/// files under file timestamps (reason C617.1: files inside the app's own container).
pub fn apple_privacy_info(manifest: &Manifest) -> String {
    apple_privacy_info_of(&[manifest])
}

/// One `PrivacyInfo.xcprivacy` for code shared by several apps (the Swift package serves
/// the driver and the shipper app): every data type any of `manifests` collects, with the
/// union of their purposes.
pub fn apple_privacy_info_of(manifests: &[&Manifest]) -> String {
    let mut types: BTreeMap<StoreDataType, Vec<DisclosurePurpose>> = BTreeMap::new();
    for manifest in manifests {
        for (data_type, u) in uses(manifest) {
            let purposes = types.entry(data_type).or_default();
            purposes.extend(disclosure_purposes(&u.purposes));
            purposes.sort();
            purposes.dedup();
        }
    }
    let mut entries = String::new();
    for (data_type, purposes) in types {
        let purposes: String = purposes
            .into_iter()
            .map(|p| format!("\t\t\t\t<string>{}</string>\n", apple_purpose(p)))
            .collect();
        entries.push_str(&format!(
            "\t\t<dict>\n\
             \t\t\t<key>NSPrivacyCollectedDataType</key>\n\t\t\t<string>{}</string>\n\
             \t\t\t<key>NSPrivacyCollectedDataTypeLinked</key>\n\t\t\t<true/>\n\
             \t\t\t<key>NSPrivacyCollectedDataTypeTracking</key>\n\t\t\t<false/>\n\
             \t\t\t<key>NSPrivacyCollectedDataTypePurposes</key>\n\t\t\t<array>\n{purposes}\t\t\t</array>\n\
             \t\t</dict>\n",
            apple_type(data_type)
        ));
    }
    let source: Vec<String> = manifests
        .iter()
        .map(|m| format!("{} {}", xml_escape(&m.app), xml_escape(&m.policy_version)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- Generated from the policy manifest ({}) by `waybill disclosures`. Do not edit. -->\n\
         <plist version=\"1.0\">\n<dict>\n\
         \t<key>NSPrivacyTracking</key>\n\t<false/>\n\
         \t<key>NSPrivacyTrackingDomains</key>\n\t<array/>\n\
         \t<key>NSPrivacyCollectedDataTypes</key>\n\t<array>\n{entries}\t</array>\n\
         \t<key>NSPrivacyAccessedAPITypes</key>\n\t<array>\n\
         \t\t<dict>\n\
         \t\t\t<key>NSPrivacyAccessedAPIType</key>\n\
         \t\t\t<string>NSPrivacyAccessedAPICategoryFileTimestamp</string>\n\
         \t\t\t<key>NSPrivacyAccessedAPITypeReasons</key>\n\
         \t\t\t<array>\n\t\t\t\t<string>C617.1</string>\n\t\t\t</array>\n\
         \t\t</dict>\n\
         \t</array>\n\
         </dict>\n</plist>\n",
        source.join(", ")
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("--", "- -")
}

fn play_type(t: StoreDataType) -> (&'static str, &'static str) {
    match t {
        StoreDataType::Name => ("Personal info", "Name"),
        StoreDataType::PhoneNumber => ("Personal info", "Phone number"),
        StoreDataType::PhysicalAddress => ("Personal info", "Address"),
        StoreDataType::OtherUserContactInfo => ("Personal info", "Other info"),
        StoreDataType::SensitiveInfo => ("Personal info", "Other info"),
        StoreDataType::PreciseLocation => ("Location", "Precise location"),
        StoreDataType::CoarseLocation => ("Location", "Approximate location"),
        StoreDataType::PhotosOrVideos => ("Photos and videos", "Photos"),
        StoreDataType::Contacts => ("Contacts", "Contacts"),
        StoreDataType::PaymentInfo => ("Financial info", "User payment info"),
        StoreDataType::PurchaseHistory => ("Financial info", "Purchase history"),
        StoreDataType::DeviceId => ("Device or other IDs", "Device or other IDs"),
        StoreDataType::ProductInteraction => ("App activity", "App interactions"),
    }
}

fn play_purpose(p: DisclosurePurpose) -> &'static str {
    match p {
        DisclosurePurpose::AppFunctionality => "App functionality",
        DisclosurePurpose::Analytics => "Analytics",
        DisclosurePurpose::DeveloperAdvertising => "Advertising or marketing",
    }
}

/// The answers of the Play data-safety form, one row per data type. SDKs listed under
/// `processed_by` act for the app (service providers), which Play does not count as sharing.
pub fn play_data_safety(manifest: &Manifest) -> Value {
    let rows: Vec<Value> = uses(manifest)
        .into_iter()
        .map(|(data_type, u)| {
            let (category, name) = play_type(data_type);
            let optional = u.purposes.iter().all(|p| p.function == Function::Optional);
            let ephemeral = u
                .purposes
                .iter()
                .all(|p| p.retention.days == 0 && p.retention.from == RetentionStart::Collected);
            json!({
                "category": category,
                "data_type": name,
                "collected": true,
                "shared": false,
                "processed_by": u.received_by,
                "processed_ephemerally": ephemeral,
                "required": !optional,
                "purposes": disclosure_purposes(&u.purposes).into_iter().map(play_purpose).collect::<Vec<_>>(),
                "waybill_purposes": u.purposes.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "generated_from": { "app": manifest.app, "policy_version": manifest.policy_version },
        "data_encrypted_in_transit": true,
        "users_can_request_deletion": true,
        "data_types": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::manifest::{self, Manifest};
    use waybill_protocol::Role;

    fn driver() -> Manifest {
        Manifest::parse(manifest::builtin(Role::Driver)).unwrap()
    }

    #[test]
    fn apple_manifest_declares_no_tracking_and_each_collected_type_with_its_purpose() {
        let plist = apple_privacy_info(&driver());
        assert!(plist.contains("<key>NSPrivacyTracking</key>\n\t<false/>"));
        assert!(plist.contains("NSPrivacyCollectedDataTypePreciseLocation"));
        assert!(plist.contains("NSPrivacyCollectedDataTypeOtherUserContactInfo"));
        assert!(
            plist.contains("NSPrivacyCollectedDataTypePurposeAnalytics"),
            "service logs"
        );
        assert!(
            !plist.contains("DeveloperAdvertising"),
            "the driver app does no marketing"
        );
        // The core's own stat/fstat calls (SQLite, std::fs::metadata) need a reason.
        assert!(plist.contains(
            "<string>NSPrivacyAccessedAPICategoryFileTimestamp</string>\n\t\t\t<key>NSPrivacyAccessedAPITypeReasons</key>\n\t\t\t<array>\n\t\t\t\t<string>C617.1</string>"
        ));
        let shipper_manifest = Manifest::parse(manifest::builtin(Role::Shipper)).unwrap();
        let package = apple_privacy_info_of(&[&driver(), &shipper_manifest]);
        for t in ["PhotosorVideos", "PaymentInfo", "PreciseLocation"] {
            assert_eq!(
                package
                    .matches(&format!("NSPrivacyCollectedDataType{t}<"))
                    .count(),
                1,
                "{t}"
            );
        }
        let shipper = apple_privacy_info(&shipper_manifest);
        assert!(shipper.contains("NSPrivacyCollectedDataTypePurposeDeveloperAdvertising"));
        assert!(shipper.contains("NSPrivacyCollectedDataTypeSensitiveInfo"));
    }

    #[test]
    fn play_answers_mark_optional_and_ephemeral_data() {
        let answers = play_data_safety(&driver());
        let rows = answers["data_types"].as_array().unwrap();
        let row = |name: &str| {
            rows.iter()
                .find(|r| r["data_type"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(row("Precise location")["required"], false);
        assert_eq!(row("Approximate location")["processed_ephemerally"], true);
        assert_eq!(row("Phone number")["required"], true);
        assert!(
            row("Precise location")["processed_by"]
                .to_string()
                .contains("AMap")
        );
    }

    #[test]
    fn a_new_category_changes_both_disclosures() {
        let mut doc: serde_json::Value =
            serde_json::from_str(manifest::builtin(Role::Driver)).unwrap();
        doc["categories"].as_array_mut().unwrap().push(json!({
            "id": "picked_contact", "label": "A contact you pick", "sensitive": false, "store_type": "contacts"
        }));
        doc["purposes"].as_array_mut().unwrap().push(json!({
            "id": "contact_pick", "label": "Pick a contact", "description": "Fill in a consignee.",
            "function": "optional", "basis": "consent", "categories": ["picked_contact"],
            "permissions": ["contacts"], "rationale": "Only the contact you pick is read.",
            "if_refused": "Type it.", "retention": { "days": 90, "from": "order_closed" }
        }));
        let changed = Manifest::parse(&doc.to_string()).unwrap();
        assert_ne!(apple_privacy_info(&changed), apple_privacy_info(&driver()));
        assert!(apple_privacy_info(&changed).contains("NSPrivacyCollectedDataTypeContacts"));
        assert_ne!(play_data_safety(&changed), play_data_safety(&driver()));
    }
}
