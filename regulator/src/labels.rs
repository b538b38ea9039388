//! Labels: the names behind the field elements that stand for assets, datasets and purposes.
//!
//! On the ledger and in audit plaintexts a label is only `label_to_field(name)`, a hash. A
//! regulator shows it by name when it knows the name (the genesis names every asset; consent
//! requests name datasets and purposes), else as `0x` + the element's hex.

use crate::record::fr_hex;
use ark_bls12_381::Fr;
use ark_serialize::CanonicalDeserialize;
use std::{collections::HashMap, fmt};
use zkreg_circuits::labels::label_to_field;
use zkreg_ledger::ChainConfig;

/// Known names of label field elements.
#[derive(Clone, Debug, Default)]
pub struct Labels(HashMap<Fr, String>);

impl Labels {
    /// No names known.
    pub fn new() -> Self {
        Self::default()
    }

    /// The assets the genesis names (one issuer entry each).
    pub fn of_chain(config: &ChainConfig) -> Self {
        let mut l = Self::new();
        for i in &config.genesis.issuers {
            l.add(&i.asset);
        }
        l
    }

    /// Adds a name (the first name given for an element stays).
    pub fn add(&mut self, name: &str) {
        self.0
            .entry(label_to_field(name))
            .or_insert_with(|| name.to_string());
    }

    /// The label of `field`, named if the name is known.
    pub fn resolve(&self, field: Fr) -> Label {
        Label {
            field,
            name: self.0.get(&field).cloned(),
        }
    }
}

/// A label field element, with its name when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The element.
    pub field: Fr,
    /// Its name, if known.
    pub name: Option<String>,
}

/// Shows the name, else `0x` + hex of the element.
impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{}", fr_hex(&self.field)),
        }
    }
}

/// The element a label text stands for: `0x` + the hex of a canonical element is that element
/// (how an unnamed label is shown), any other text is a name and hashes to its element.
pub fn label_field(text: &str) -> Fr {
    text.strip_prefix("0x")
        .filter(|h| h.len() == 64)
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| Fr::deserialize_compressed(&b[..]).ok())
        .unwrap_or_else(|| label_to_field(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_unnamed_labels_round_trip() {
        let mut l = Labels::new();
        l.add("USD");
        l.add("USD");
        let usd = l.resolve(label_to_field("USD"));
        assert_eq!(usd.to_string(), "USD");
        assert_eq!(label_field("USD"), usd.field);
        let eur = l.resolve(label_to_field("EUR"));
        assert_eq!(eur.name, None);
        let shown = eur.to_string();
        assert!(shown.starts_with("0x") && shown.len() == 66, "{shown}");
        assert_eq!(label_field(&shown), label_to_field("EUR"));
        // Text that only looks like hex is a name.
        assert_eq!(label_field("0xzz"), label_to_field("0xzz"));
    }
}
