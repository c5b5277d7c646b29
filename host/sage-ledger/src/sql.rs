//! Mapping ledger structs to SQLite tables, declared once per struct.
//!
//! [`sql_table!`] generates the struct, its `CREATE TABLE`, and the select/insert/update
//! statements from one field list, so the schema cannot drift from the Rust types.

use chrono::{NaiveDate, NaiveDateTime};

/// The SQLite column declaration of a field type.
pub(crate) trait Column {
    const DECLARATION: &'static str;
}

impl Column for String {
    const DECLARATION: &'static str = "TEXT NOT NULL DEFAULT ''";
}

impl Column for f64 {
    const DECLARATION: &'static str = "REAL NOT NULL DEFAULT 0";
}

impl Column for i32 {
    const DECLARATION: &'static str = "INTEGER NOT NULL DEFAULT 0";
}

impl Column for bool {
    const DECLARATION: &'static str = "INTEGER NOT NULL DEFAULT 0";
}

impl Column for NaiveDateTime {
    const DECLARATION: &'static str = "TEXT NOT NULL";
}

impl Column for NaiveDate {
    const DECLARATION: &'static str = "TEXT NOT NULL";
}

impl Column for Option<NaiveDateTime> {
    const DECLARATION: &'static str = "TEXT";
}

impl Column for Option<f64> {
    const DECLARATION: &'static str = "REAL";
}

/// Declares a ledger record struct stored in one table whose primary key is a text code.
macro_rules! sql_table {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:literal {
            $(#[$key_meta:meta])*
            key $key:ident,
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(#[$key_meta])*
            pub $key: String,
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )*
        }

        impl $name {
            pub(crate) fn create_table_sql() -> String {
                // NOCASE: Sage codes are case-insensitive ("abc001" finds "ABC001").
                let mut sql = format!(
                    "CREATE TABLE IF NOT EXISTS {} ({} TEXT PRIMARY KEY COLLATE NOCASE",
                    $table,
                    stringify!($key)
                );
                $(
                    sql.push_str(", ");
                    sql.push_str(stringify!($field));
                    sql.push(' ');
                    sql.push_str(<$ty as $crate::sql::Column>::DECLARATION);
                )*
                sql.push(')');
                sql
            }

            fn column_names() -> Vec<&'static str> {
                vec![stringify!($key), $(stringify!($field)),*]
            }

            pub(crate) fn select_sql() -> &'static str {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    format!("SELECT {} FROM {}", $name::column_names().join(", "), $table)
                });
                &SQL
            }

            pub(crate) fn insert_sql() -> &'static str {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    let columns = $name::column_names();
                    let placeholders: Vec<String> =
                        (1..=columns.len()).map(|n| format!("?{n}")).collect();
                    format!(
                        "INSERT INTO {} ({}) VALUES ({})",
                        $table,
                        columns.join(", "),
                        placeholders.join(", ")
                    )
                });
                &SQL
            }

            /// `UPDATE … WHERE key = ?1`, every other column set from the struct.
            pub(crate) fn update_sql() -> &'static str {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    let assignments: Vec<String> = $name::column_names()
                        .iter()
                        .enumerate()
                        .skip(1)
                        .map(|(index, column)| format!("{column} = ?{}", index + 1))
                        .collect();
                    format!(
                        "UPDATE {} SET {} WHERE {} = ?1",
                        $table,
                        assignments.join(", "),
                        stringify!($key)
                    )
                });
                &SQL
            }

            pub(crate) fn sql_params(&self) -> Vec<&dyn rusqlite::ToSql> {
                vec![&self.$key as &dyn rusqlite::ToSql, $(&self.$field as &dyn rusqlite::ToSql),*]
            }

            pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut column = 0usize..;
                let mut next = move || column.next().unwrap_or_default();
                Ok($name {
                    $key: row.get(next())?,
                    $( $field: row.get(next())?, )*
                })
            }
        }
    };
}

/// Declares an enumeration stored by variant name: zynk-xml's [`zynk_xml::named_enum!`] (one
/// rule for Wharf's text enumerations) plus its SQL column.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident ),+ $(,)? }
    ) => {
        zynk_xml::named_enum! {
            $(#[$meta])*
            pub enum $name { $( $(#[$variant_meta])* $variant ),+ }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|e: String| rusqlite::types::FromSqlError::Other(e.into()))
            }
        }

        impl $crate::sql::Column for $name {
            const DECLARATION: &'static str = "TEXT NOT NULL";
        }
    };
}

pub(crate) use {sql_table, text_enum};

/// Cuts text to Sage's column length (docs/zynk-reference.md §6.39: Sage silently truncates descriptive text).
pub(crate) fn fit(text: &mut String, max_chars: usize) {
    if let Some((byte_index, _)) = text.char_indices().nth(max_chars) {
        text.truncate(byte_index);
    }
}

/// Rounds money to pence, half away from zero (the tiny bias absorbs binary representation error).
pub fn round_money(amount: f64) -> f64 {
    let bias = if amount >= 0.0 { 1e-9 } else { -1e-9 };
    ((amount * 100.0) + bias).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_characters_not_bytes() {
        let mut text = "Café Crème".to_owned();
        fit(&mut text, 4);
        assert_eq!(text, "Café");
    }

    #[test]
    fn money_rounds_half_away_from_zero() {
        assert_eq!(round_money(1.005), 1.01);
        assert_eq!(round_money(2.675), 2.68);
        assert_eq!(round_money(-1.005), -1.01);
        assert_eq!(round_money(234.88), 234.88);
    }
}
