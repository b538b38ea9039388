//! A regulator's directory: names for owner ids, used to label parties in every export.
//!
//! The file is CSV with the header `owner_id,name`, then one party per line: the owner id as
//! exports print it (64 hex digits, [`fr_hex`]) and a non-empty name (quoted if it holds a
//! comma). Empty lines are skipped. Every bad line is refused with its line number and reason;
//! an owner id listed twice is refused, naming both lines.
//!
//! Exports keep the ids and add a name column beside each id column ([`NAME_COLUMNS`]), filled
//! where the directory knows the id.

use crate::record::{fr_hex, Row};
use serde_json::Value;
use std::collections::HashMap;
use zkreg_verifier::fieldhex::fr_from_hex;

/// The header a directory file starts with.
pub const HEADER: [&str; 2] = ["owner_id", "name"];

/// Id columns of an export that hold owner ids, each with the name column beside it.
pub const NAMED_COLUMNS: &[(&str, &str)] = &[
    ("owner_in", "owner_in_name"),
    ("owner_out_0", "owner_out_0_name"),
    ("owner_out_1", "owner_out_1_name"),
    ("owner_id", "owner_id_name"),
    ("inst_id", "inst_id_name"),
];

/// The name columns an export adds when a directory is given, in CSV order.
pub const NAME_COLUMNS: &[&str] = &[
    "owner_in_name",
    "owner_out_0_name",
    "owner_out_1_name",
    "owner_id_name",
    "inst_id_name",
];

/// Why a directory file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DirectoryError {
    /// The file is empty or does not start with the header.
    #[error("line 1: a directory starts with the header \"owner_id,name\"")]
    Header,
    /// A line is not CSV.
    #[error("line {line}: not CSV: {why}")]
    Csv {
        /// Line number (from 1).
        line: u64,
        /// What the parser said.
        why: String,
    },
    /// A line does not have exactly two fields.
    #[error("line {line}: {found} field(s), expected 2 (owner_id,name)")]
    Fields {
        /// Line number.
        line: u64,
        /// Fields found.
        found: usize,
    },
    /// The owner id is not 64 hex digits of a canonical field element.
    #[error("line {line}: owner id {id:?} is not 64 hex digits of a field element")]
    BadId {
        /// Line number.
        line: u64,
        /// The text given.
        id: String,
    },
    /// The name is empty.
    #[error("line {line}: the name is empty")]
    EmptyName {
        /// Line number.
        line: u64,
    },
    /// An owner id is listed twice.
    #[error("line {line}: owner id {id} is already named on line {first}")]
    Duplicate {
        /// Line number of the repeat.
        line: u64,
        /// Line number of the first entry.
        first: u64,
        /// The id.
        id: String,
    },
}

/// Owner ids (canonical hex, as exports print them) and their names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    names: HashMap<String, (String, u64)>,
}

impl Directory {
    /// Parses a directory file's text.
    pub fn parse(text: &str) -> Result<Self, DirectoryError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut names = HashMap::new();
        let mut header = false;
        for rec in reader.records() {
            let rec = rec.map_err(|e| DirectoryError::Csv {
                line: e.position().map_or(0, |p| p.line()),
                why: e.to_string(),
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if !header {
                if rec.iter().map(str::trim).ne(HEADER) {
                    return Err(DirectoryError::Header);
                }
                header = true;
                continue;
            }
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
                continue;
            }
            let (Some(id), Some(name), 2) = (rec.get(0), rec.get(1), rec.len()) else {
                return Err(DirectoryError::Fields {
                    line,
                    found: rec.len(),
                });
            };
            let (id, name) = (id.trim(), name.trim());
            let owner = fr_from_hex(id).ok_or_else(|| DirectoryError::BadId {
                line,
                id: id.to_string(),
            })?;
            if name.is_empty() {
                return Err(DirectoryError::EmptyName { line });
            }
            let key = fr_hex(&owner);
            if let Some((_, first)) = names.get(&key) {
                return Err(DirectoryError::Duplicate {
                    line,
                    first: *first,
                    id: key,
                });
            }
            names.insert(key, (name.to_string(), line));
        }
        if !header {
            return Err(DirectoryError::Header);
        }
        Ok(Directory { names })
    }

    /// Parties named.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no party is named.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of an owner id as exports print it ([`fr_hex`]).
    pub fn name(&self, owner_hex: &str) -> Option<&str> {
        self.names.get(owner_hex).map(|(n, _)| n.as_str())
    }

    /// Adds the name column beside each owner-id column of `row` whose id is named.
    pub fn name_row(&self, row: &mut Row) {
        for (id_col, name_col) in NAMED_COLUMNS {
            let name = match row.get(*id_col) {
                Some(Value::String(id)) => self.name(id),
                _ => None,
            };
            if let Some(n) = name {
                row.insert((*name_col).to_string(), Value::String(n.to_string()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::Fr;

    fn id(x: u64) -> String {
        fr_hex(&Fr::from(x))
    }

    #[test]
    fn parses_names_and_labels_rows() {
        let text = format!("owner_id,name\n{},Alice\n\n{},\"Bob, Ltd\"\n", id(1), id(2));
        let d = Directory::parse(&text).expect("valid");
        assert_eq!(d.len(), 2);
        assert_eq!(d.name(&id(1)), Some("Alice"));
        assert_eq!(d.name(&id(2)), Some("Bob, Ltd"));
        assert_eq!(d.name(&id(3)), None);
        let mut row = Row::new();
        row.insert("owner_in".into(), Value::String(id(1)));
        row.insert("owner_out_0".into(), Value::String(id(3)));
        d.name_row(&mut row);
        assert_eq!(
            row.get("owner_in_name"),
            Some(&Value::String("Alice".into()))
        );
        assert_eq!(row.get("owner_out_0_name"), None);
    }

    #[test]
    fn every_bad_file_is_refused_for_its_reason() {
        let ok = id(1);
        let cases: Vec<(String, DirectoryError)> = vec![
            (String::new(), DirectoryError::Header),
            (format!("id,name\n{ok},A\n"), DirectoryError::Header),
            (
                format!("owner_id,name\n{ok},A,extra\n"),
                DirectoryError::Fields { line: 2, found: 3 },
            ),
            (
                "owner_id,name\nxyz,A\n".to_string(),
                DirectoryError::BadId {
                    line: 2,
                    id: "xyz".into(),
                },
            ),
            (
                // Above the field's modulus: not canonical.
                format!("owner_id,name\n{ok},A\n{},B\n", "f".repeat(64)),
                DirectoryError::BadId {
                    line: 3,
                    id: "f".repeat(64),
                },
            ),
            (
                format!("owner_id,name\n{ok}, \n"),
                DirectoryError::EmptyName { line: 2 },
            ),
            (
                format!("owner_id,name\n{ok},A\n{},B\n{ok},C\n", id(2)),
                DirectoryError::Duplicate {
                    line: 4,
                    first: 2,
                    id: ok.clone(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Directory::parse(&text), Err(want), "{text:?}");
        }
        // Line numbers count from the header, blank lines included.
        assert_eq!(
            Directory::parse(&format!("owner_id,name\n\n{ok},A\nzz,B\n")),
            Err(DirectoryError::BadId {
                line: 4,
                id: "zz".into()
            })
        );
    }
}
