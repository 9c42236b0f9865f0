//! The schema registry: every table and column of the device database is declared.

use super::*;

#[test]
fn the_schema_registry_declares_every_table_and_column() {
    use crate::privacy::holdings::{Held, TableDecl};
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::Database::open(dir.path(), &crate::db::test_key()).unwrap();
    let schema: Vec<(String, Vec<String>)> = db
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT m.name, group_concat(p.name, ',') FROM sqlite_schema m,
                     pragma_table_xinfo(m.name) p WHERE m.type = 'table' GROUP BY m.name",
            )?;
            stmt.query_map([], |r| {
                let columns: String = r.get(1)?;
                Ok((r.get(0)?, columns.split(',').map(str::to_owned).collect()))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()
        })
        .unwrap();
    let declared: Vec<&TableDecl> = [
        orders::TABLES,
        track::TABLES,
        proof::TABLES,
        account::real_name::TABLES,
        service_log::TABLES,
        push_engine::TABLES,
        crate::notices::TABLES,
        crate::waybills::TABLES,
        crate::convenience::TABLES,
        crate::marketing::TABLES,
        crate::privacy::forget::TABLES,
        crate::privacy::holdings::TABLES,
    ]
    .iter()
    .flat_map(|t| t.iter())
    .collect();
    let registry = personal_data();
    let registered: Vec<&str> = registry.tables().collect();
    for (table, columns) in &schema {
        let Some(decl) = declared.iter().find(|d| d.table == table) else {
            panic!("table {table} is declared by no engine (personal or not, and why)");
        };
        for column in columns {
            let personal = decl.personal.contains(&column.as_str());
            let plain = decl.plain.contains(&column.as_str());
            assert!(
                personal ^ plain,
                "{table}.{column} must be declared personal or plain, once"
            );
        }
        for listed in decl.personal.iter().chain(decl.plain) {
            assert!(
                columns.contains(&listed.to_string()),
                "{table}.{listed} does not exist"
            );
        }
        assert_eq!(
            decl.held == Held::ForPurpose,
            registered.contains(&table.as_str()),
            "{table}: a table held for a purpose is a registered holding, and only such a table"
        );
        if let Held::WithAccount(why) | Held::NotPersonal(why) = decl.held {
            assert!(!why.is_empty());
        }
        if decl.held != Held::ForPurpose && !matches!(decl.held, Held::WithAccount(_)) {
            assert!(
                decl.personal.is_empty(),
                "{table}: not personal, yet personal columns"
            );
        }
    }
    assert_eq!(
        declared.len(),
        schema.len(),
        "a declared table that does not exist"
    );
}
