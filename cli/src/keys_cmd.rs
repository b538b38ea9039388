//! `zkreg keys new|address|list`.

use crate::{
    home::{kind_word, Home},
    util,
};
use anyhow::{anyhow, bail, Result};
use rand::rngs::OsRng;
use zkreg_prover::keys::{point_to_hex, KeyFile, KeyKind};

/// The public part of a key: a wallet's address, a regulator's RPK, an issuer's Ed25519 key.
pub fn public_text(f: &KeyFile) -> Result<String> {
    Ok(match f.kind {
        KeyKind::Wallet => f.wallet().map_err(|e| anyhow!("{e}"))?.address().encode(),
        KeyKind::Regulator => {
            point_to_hex(&f.regulator().map_err(|e| anyhow!("{e}"))?.public_key())
        }
        KeyKind::Issuer => hex::encode(
            f.issuer()
                .map_err(|e| anyhow!("{e}"))?
                .verifying_key()
                .to_bytes(),
        ),
        KeyKind::Member => {
            let seed = f.seed_bytes().map_err(|e| anyhow!("{e}"))?;
            let card = zkreg_regulator::committee::MemberKey::from_seed(seed).card(0, "");
            card.signing_key
        }
    })
}

/// What the public text is called.
pub fn public_word(k: KeyKind) -> &'static str {
    match k {
        KeyKind::Wallet => "address",
        KeyKind::Regulator => "regulator public key (RPK)",
        KeyKind::Issuer => "issuer public key (Ed25519)",
        KeyKind::Member => "member signing key (Jubjub)",
    }
}

/// Creates `keys/NAME.json`; returns the key file.
pub fn new_key(home: &Home, kind: KeyKind, name: &str) -> Result<KeyFile> {
    util::check_name(name)?;
    home.create()?;
    let path = home.key_path(name)?;
    if path.exists() {
        bail!(
            "a key named {name:?} already exists ({}); pick another name",
            path.display()
        );
    }
    let f = KeyFile::generate(kind, &mut OsRng);
    let text = serde_json::to_string_pretty(&f)?;
    util::write_private(&path, text.as_bytes())?;
    Ok(f)
}

/// `zkreg keys new`.
pub fn cmd_new(home: &Home, kind: KeyKind, name: &str) -> Result<()> {
    let f = new_key(home, kind, name)?;
    println!(
        "created {} key {name:?} in {}",
        kind_word(kind),
        home.key_path(name)?.display()
    );
    println!("{}: {}", public_word(kind), public_text(&f)?);
    Ok(())
}

/// `zkreg keys address`.
pub fn cmd_address(home: &Home, name: &str) -> Result<()> {
    let f = home.key_any(name)?;
    println!("{}", public_text(&f)?);
    Ok(())
}

/// `zkreg keys list`.
pub fn cmd_list(home: &Home) -> Result<()> {
    home.require()?;
    let keys = home.all_keys();
    if keys.is_empty() {
        println!("no keys in {}", home.keys().display());
    }
    let mut corrupt = Vec::new();
    for (name, f) in keys {
        match f.and_then(|f| Ok((kind_word(f.kind), public_text(&f)?))) {
            Ok((kind, public)) => println!("{name:16} {kind:9} {public}"),
            Err(e) => {
                println!("{name:16} {:9} {e:#}", "UNREADABLE");
                corrupt.push(format!("{}", home.key_path(&name)?.display()));
            }
        }
    }
    if !corrupt.is_empty() {
        bail!("unreadable key file(s): {}", corrupt.join(", "));
    }
    Ok(())
}
