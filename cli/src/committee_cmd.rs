//! `zkreg committee ...`: a t-of-n regulator committee through files, and regulator-key
//! rotations. Argument handling and printing only; the DKG, decryption shares, their
//! combination and rotation signatures live in `zkreg_regulator::committee`.

use crate::{home::Session, keys_cmd, util};
use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::OsRng;
use std::path::{Path, PathBuf};
use zkreg_ledger::LedgerView;
use zkreg_prover::keys::{point_from_hex, point_to_hex, KeyKind};
use zkreg_regulator::committee::{
    self, assemble_rotation, Committee, CommitteeKey, Deal, MemberCard, MemberShare,
    RotationSignatureFile, ShareFile,
};

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = util::read_text(path)?;
    serde_json::from_str(&text).map_err(|e| anyhow!("{}: not a {what}: {e}", path.display()))
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    util::write(path, serde_json::to_string_pretty(value)?.as_bytes())
}

/// `zkreg committee member`: a member key and its public card.
pub fn cmd_member(
    session: &mut Session,
    name: &str,
    index: u16,
    display: Option<&str>,
    card: &Path,
) -> Result<()> {
    if index == 0 {
        bail!("--index must be at least 1 (a share is f(index); f(0) is the secret)");
    }
    let home = &session.home;
    if !home.key_path(name)?.exists() {
        keys_cmd::new_key(home, KeyKind::Member, name)?;
    }
    let c = home.member(name)?.card(index, display.unwrap_or(name));
    write_json(card, &c)?;
    println!(
        "member {name:?} (index {index}): card written to {} — give it to whoever assembles the committee",
        card.display()
    );
    Ok(())
}

/// `zkreg committee new`: a committee file from the members' cards.
pub fn cmd_new(threshold: u16, cards: &[PathBuf], out: &Path) -> Result<()> {
    let cards: Vec<MemberCard> = cards
        .iter()
        .map(|p| read_json(p, "member card"))
        .collect::<Result<_>>()?;
    let c = Committee::new(threshold, cards)?;
    write_json(out, &c)?;
    println!(
        "committee of {} member(s), threshold {threshold}, id {}: written to {}",
        c.members.len(),
        hex::encode(c.id()),
        out.display()
    );
    Ok(())
}

fn committee_file(path: &Path) -> Result<Committee> {
    Committee::from_json(&util::read_text(path)?).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn index_of(c: &Committee, session: &Session, member: &str) -> Result<u16> {
    let me = session.home.member(member)?.card(0, "").signing_key;
    c.members
        .iter()
        .find(|m| m.signing_key == me)
        .map(|m| m.index)
        .ok_or_else(|| anyhow!("key {member:?} is not a member of this committee"))
}

/// `zkreg committee deal`: round 1.
pub fn cmd_deal(session: &mut Session, member: &str, committee: &Path, out: &Path) -> Result<()> {
    let c = committee_file(committee)?;
    let index = index_of(&c, session, member)?;
    let d = committee::deal(&c, &session.home.member(member)?, index, &mut OsRng)?;
    write_json(out, &d)?;
    println!(
        "deal of member {index} written to {}: give it to every member",
        out.display()
    );
    Ok(())
}

/// `zkreg committee finish`: round 2; keeps the share in the home, writes the public key.
pub fn cmd_finish(
    session: &mut Session,
    member: &str,
    committee: &Path,
    deals: &[PathBuf],
    key_out: &Path,
) -> Result<()> {
    let c = committee_file(committee)?;
    let index = index_of(&c, session, member)?;
    let deals: Vec<Deal> = deals
        .iter()
        .map(|p| read_json(p, "deal"))
        .collect::<Result<_>>()?;
    let share = committee::finish(&c, &session.home.member(member)?, index, &deals)?;
    let path = session.home.member_share_path(member)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    util::write_private(&path, serde_json::to_string_pretty(&share)?.as_bytes())?;
    write_json(key_out, &share.key)?;
    println!(
        "member {index}: share kept in {}; committee key written to {}",
        path.display(),
        key_out.display()
    );
    println!("  regulator public key (RPK): {}", share.key.rpk);
    Ok(())
}

fn member_share(session: &Session, member: &str) -> Result<MemberShare> {
    let path = session.home.member_share_path(member)?;
    if !path.exists() {
        bail!(
            "member {member:?} has no share yet ({} is missing): run `zkreg committee finish` first",
            path.display()
        );
    }
    MemberShare::from_json(&util::read_text(&path)?).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn view<'a>(
    session: &'a mut Session,
    client: &'a Option<zkreg_node::client::NodeClient>,
) -> Result<&'a dyn LedgerView> {
    Ok(match client {
        Some(c) => c,
        None => session.ledger()?,
    })
}

fn connect(node: Option<&str>) -> Result<Option<zkreg_node::client::NodeClient>> {
    node.map(crate::node_cmd::connect).transpose()
}

/// `zkreg committee decrypt-share`: this member's decryption shares of heights FROM..=TO.
pub fn cmd_decrypt_share(
    session: &mut Session,
    node: Option<&str>,
    member: &str,
    from: u64,
    to: u64,
    out: &Path,
) -> Result<()> {
    let share = member_share(session, member)?;
    let client = connect(node)?;
    let l = view(session, &client)?;
    let f = committee::shares_for_range(l, &share, from, to, &mut OsRng)?;
    write_json(out, &f)?;
    println!(
        "member {}: {} decryption share(s) of heights {from}..={to}, each with its Chaum–Pedersen proof, written to {}",
        share.index,
        f.shares.len(),
        out.display()
    );
    Ok(())
}

/// The committee key and share files `zkreg audit export --committee` reads.
pub fn read_shares(
    key: &Path,
    shares: &[PathBuf],
) -> Result<(CommitteeKey, Vec<zkreg_regulator::committee::MemberShares>)> {
    let k = CommitteeKey::from_json(&util::read_text(key)?)
        .map_err(|e| anyhow!("{}: {e}", key.display()))?;
    let files = shares
        .iter()
        .map(|p| {
            ShareFile::parse(&util::read_text(p)?, &k).map_err(|e| anyhow!("{}: {e}", p.display()))
        })
        .collect::<Result<_>>()?;
    Ok((k, files))
}

/// The new key of a rotation: a committee key file or a hex RPK.
fn new_rpk(new_key: &str) -> Result<zkreg_circuits::ecc::JubjubAffine> {
    let path = Path::new(new_key);
    if path.exists() {
        let k = CommitteeKey::from_json(&util::read_text(path)?)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        return Ok(k.rpk()?);
    }
    point_from_hex(new_key)
        .map_err(|e| anyhow!("--new-key {new_key:?}: not a committee key file nor a hex RPK: {e}"))
}

/// `zkreg committee sign-rotation`: one holder of the current key signs a rotation.
#[allow(clippy::too_many_arguments)]
pub fn cmd_sign_rotation(
    session: &mut Session,
    node: Option<&str>,
    member: Option<&str>,
    regulator: Option<&str>,
    new_key: &str,
    from_height: u64,
    out: &Path,
) -> Result<()> {
    let (index, x) = match (member, regulator) {
        (Some(m), None) => {
            let s = member_share(session, m)?;
            (s.index, s.secret()?)
        }
        (None, Some(r)) => (1, session.home.regulator(r)?.0),
        _ => bail!("give --member NAME (a committee member) or --regulator NAME (a single key)"),
    };
    let rpk = new_rpk(new_key)?;
    let client = connect(node)?;
    let l = view(session, &client)?;
    let terms = committee::rotation_terms(l, rpk, from_height)?;
    let f = RotationSignatureFile::sign(&l.config().hash, &terms, index, &x, &mut OsRng);
    write_json(out, &f)?;
    println!(
        "signed rotation #{} ({} -> {} from height {from_height}) as signer {index}: {}",
        terms.sequence,
        short(&point_to_hex(&terms.old_rpk)),
        short(&point_to_hex(&terms.new_rpk)),
        out.display()
    );
    Ok(())
}

fn short(hex: &str) -> String {
    hex.get(..16)
        .map_or_else(|| hex.to_string(), |s| format!("{s}…"))
}

/// `zkreg committee rotate`: the rotation transaction from the signers' files.
pub fn cmd_rotate(signatures: &[PathBuf], out: &Path) -> Result<()> {
    let files: Vec<RotationSignatureFile> = signatures
        .iter()
        .map(|p| read_json(p, "rotation signature"))
        .collect::<Result<_>>()?;
    let tx = assemble_rotation(&files)?;
    util::write(out, &tx.encode())?;
    println!(
        "rotation tx {} ({} signer(s)) written to {}; submit it with `zkreg ledger submit {}`",
        util::id_hex(&tx.id()),
        files.len(),
        out.display(),
        out.display()
    );
    Ok(())
}
