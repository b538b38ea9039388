//! A t-of-n regulator committee: a distributed key generation in which no party ever holds
//! `rsk`, decryption shares with Chaum–Pedersen proofs, and their combination
//! (docs/PROTOCOL.md, "Regulator committee and key rotation").
//!
//! ```text
//! member i:  MemberKey (seed) ──card──▶ MemberCard {i, name, signing key, share-delivery key}
//! anyone:    cards + t ──Committee::new──▶ committee.json (its id is a hash of its text)
//! round 1:   member i ──deal──▶ Deal_i = {Feldman commitments C_{i,k} = a_{i,k}·G, k < t;
//!                                        f_i(j) sealed to member j, every j; Schnorr signature}
//! round 2:   member j, all n deals ──finish──▶ MemberShare {x_j = Σ_i f_i(j)} + CommitteeKey
//!            CommitteeKey = {RPK = Σ_i C_{i,0}, V_j = Σ_i Σ_k j^k·C_{i,k} for every j, t}
//! audit:     member j, record (R) ──decryption_share──▶ S_j = x_j·R with a DLEQ proof vs V_j
//!            any t valid shares ──combine──▶ S = Σ λ_j·S_j = rsk·R     (Lagrange at 0)
//! ```
//!
//! **Correctness.** With `f = Σ_i f_i`, `x_j = f(j)` and `rsk = f(0) = Σ_i a_{i,0}` — never
//! computed by anyone. `RPK = Σ_i C_{i,0} = rsk·G`, and for any `t` indices
//! `Σ λ_j·x_j = f(0) = rsk`, so `Σ λ_j·S_j = rsk·R = S`, the point a single key would give.
//! **Secrecy.** Each `f_i` has degree `t−1`; `t−1` shares of it are uniformly random and
//! independent of `a_{i,0}`, so fewer than `t` members learn nothing about an honest dealer's
//! `a_{i,0}`, hence nothing about `rsk` (joint-Feldman DKG, Pedersen 1991; the known bias a
//! rushing dealer can put on the distribution of RPK (Gennaro et al. 1999) does not help it
//! decrypt, which is all RPK is used for). **Verifiability.** Member `j` checks
//! `f_i(j)·G = Σ_k j^k·C_{i,k}` for every dealer, and every decryption share carries a proof
//! that `log_R S_j = log_G V_j`, so a wrong share is caught and its member named.
//!
//! **What this DKG requires** (and says so when it is not met): all `n` members deal. A deal
//! that is missing, signed by someone else, for another committee or malformed names its
//! dealer ([`CommitteeError::BadDeal`]); a share that does not match its dealer's commitments
//! names the dealer too ([`CommitteeError::BadShare`]). The committee then runs again without
//! that member. (A full Pedersen DKG resolves such complaints in place; through files, a rerun
//! is simpler and as safe.)

use crate::dleq::{self, DleqProof};
use ark_bls12_381::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::UniformRand;
use blake2::{digest::consts::U32, Blake2b, Digest};
use merlin::Transcript;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zkreg_circuits::{
    audit::RegulatorSecretKey,
    ecc::{mul_generator, JubjubAffine, JubjubPoint, JubjubScalar},
};
use zkreg_ledger::LedgerView;
use zkreg_prover::{
    delivery::{self, DeliveryPublicKey, IncomingViewingKey},
    keys::{derive, point_from_hex, point_to_hex},
};
use zkreg_verifier::{
    rotation::{
        combine_points, lagrange_at_zero, schnorr_sign, schnorr_verify, SchnorrSignature,
        MAX_ROTATION_SIGNERS,
    },
    transcript::TranscriptProtocol,
    RotateTx, RotationSigner, RotationTerms, Transaction, TxId,
};

/// Format tag of committee files.
pub const COMMITTEE_FORMAT: &str = "zkreg-committee/1";
/// Format tag of deal files.
pub const DEAL_FORMAT: &str = "zkreg-dkg-deal/1";
/// Format tag of a committee's public key file.
pub const KEY_FORMAT: &str = "zkreg-committee-key/1";
/// Format tag of a member's secret share file.
pub const SHARE_FORMAT: &str = "zkreg-member-share/1";
/// Most members of a committee: as many as may sign one rotation.
pub const MAX_MEMBERS: usize = MAX_ROTATION_SIGNERS;

/// Why a committee step fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    /// A file is not what it claims (the message says which field and why).
    #[error("{what}: {reason}")]
    Malformed {
        /// The file or field.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The threshold is not in `1..=n`, or the committee has no members or too many.
    #[error("a committee needs 1 ≤ t ≤ n ≤ {MAX_MEMBERS}; got t = {t}, n = {n}")]
    Threshold {
        /// Threshold asked for.
        t: usize,
        /// Members given.
        n: usize,
    },
    /// Two members share an index, a signing key or a delivery key.
    #[error("member {index} appears twice in the committee (same index or same key)")]
    DuplicateMember {
        /// The index.
        index: u16,
    },
    /// The key given is not the one the committee lists for this member.
    #[error("this member key is not member {index} of the committee")]
    NotAMember {
        /// The index claimed.
        index: u16,
    },
    /// A deal is missing, forged, for another committee or malformed: its dealer must be left
    /// out and the DKG run again.
    #[error("the deal of member {dealer} is not valid ({reason}); run the DKG again without that member")]
    BadDeal {
        /// The dealer.
        dealer: u16,
        /// Why.
        reason: String,
    },
    /// A dealer's share to this member does not match its public commitments.
    #[error("member {dealer} sent this member a share that does not match its commitments; run the DKG again without member {dealer}")]
    BadShare {
        /// The dealer.
        dealer: u16,
    },
    /// Fewer than `t` valid decryption shares of a record.
    #[error("record of tx {}: {valid} valid decryption share(s), {needed} needed{}", hex::encode(.tx_id), bad_members(.bad))]
    NotEnoughShares {
        /// The record.
        tx_id: TxId,
        /// Valid shares.
        valid: usize,
        /// The threshold.
        needed: usize,
        /// Members whose shares failed their proof.
        bad: Vec<u16>,
    },
    /// Share files from different committees, or for a member the committee does not have.
    #[error("decryption shares of member {index}: {reason}")]
    ForeignShares {
        /// The member the file claims.
        index: u16,
        /// Why it does not belong.
        reason: String,
    },
}

fn bad_members(bad: &[u16]) -> String {
    if bad.is_empty() {
        return String::new();
    }
    let names: Vec<String> = bad.iter().map(u16::to_string).collect();
    format!(
        "; rejected (wrong DLEQ proof): member(s) {}",
        names.join(", ")
    )
}

fn malformed(what: &'static str, reason: impl ToString) -> CommitteeError {
    CommitteeError::Malformed {
        what,
        reason: reason.to_string(),
    }
}

fn scalar_hex(x: &JubjubScalar) -> String {
    let mut b = Vec::with_capacity(32);
    let _ = x.serialize_compressed(&mut b);
    hex::encode(b)
}

fn scalar_from_hex(what: &'static str, text: &str) -> Result<JubjubScalar, CommitteeError> {
    let b = hex::decode(text).map_err(|e| malformed(what, e))?;
    if b.len() != 32 {
        return Err(malformed(what, "not 32 bytes"));
    }
    let x = JubjubScalar::deserialize_compressed(&b[..]).map_err(|e| malformed(what, e))?;
    if scalar_hex(&x) != text {
        return Err(malformed(what, "not canonical lower-case hex"));
    }
    Ok(x)
}

fn point_of(what: &'static str, text: &str) -> Result<JubjubAffine, CommitteeError> {
    let p = point_from_hex(text).map_err(|e| malformed(what, e))?;
    if point_to_hex(&p) != text {
        return Err(malformed(what, "not canonical lower-case hex"));
    }
    Ok(p)
}

fn x_of(index: u16) -> JubjubScalar {
    JubjubScalar::from(u64::from(index))
}

/// `Σ_k index^k·C_k`: the public image `f(index)·G` of a polynomial committed to by `C`.
fn evaluate_commitments(commitments: &[JubjubAffine], index: u16) -> JubjubPoint {
    commitments
        .iter()
        .rev()
        .fold(JubjubPoint::zero(), |acc, c| acc * x_of(index) + c)
}

/// A committee member's long-term key: a seed from which its signing key (Jubjub, signs its
/// deal) and its share-delivery key (X25519, receives the others' shares) derive.
#[derive(Clone)]
pub struct MemberKey {
    seed: [u8; 32],
}

impl MemberKey {
    /// The key of a seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        MemberKey { seed }
    }

    fn signing(&self) -> JubjubScalar {
        JubjubScalar::from_le_bytes_mod_order(&derive(b"zkreg/v1/member-sign", &self.seed))
    }

    fn delivery(&self) -> IncomingViewingKey {
        let d = derive(b"zkreg/v1/member-delivery", &self.seed);
        let mut b = [0u8; 32];
        b.copy_from_slice(&d[..32]);
        IncomingViewingKey::from_bytes(b)
    }

    /// The public card of this member at `index` under `name`.
    pub fn card(&self, index: u16, name: &str) -> MemberCard {
        MemberCard {
            index,
            name: name.into(),
            signing_key: point_to_hex(&mul_generator(&self.signing())),
            delivery_key: hex::encode(self.delivery().public().0),
        }
    }
}

/// What a member publishes before the DKG.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberCard {
    /// Index `i ≥ 1` (its share is `f(i)`).
    pub index: u16,
    /// A name for people (a supervisor, a central bank, a court).
    pub name: String,
    /// Jubjub key that signs this member's deal (hex).
    pub signing_key: String,
    /// X25519 key the other members seal this member's shares to (hex).
    pub delivery_key: String,
}

/// A committee: its members and threshold, as every member holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Committee {
    /// [`COMMITTEE_FORMAT`].
    pub format: String,
    /// Shares needed to decrypt or to sign a rotation.
    pub threshold: u16,
    /// Members, by index.
    pub members: Vec<MemberCard>,
}

/// A parsed member card.
struct Member {
    index: u16,
    signing_key: JubjubAffine,
    delivery_key: DeliveryPublicKey,
}

impl Committee {
    /// A committee of `cards` (sorted by index) with threshold `t`, checked.
    pub fn new(threshold: u16, mut cards: Vec<MemberCard>) -> Result<Self, CommitteeError> {
        cards.sort_by_key(|c| c.index);
        let c = Committee {
            format: COMMITTEE_FORMAT.into(),
            threshold,
            members: cards,
        };
        c.parsed()?;
        Ok(c)
    }

    /// Parses and checks a committee file.
    pub fn from_json(text: &str) -> Result<Self, CommitteeError> {
        let c: Committee = serde_json::from_str(text).map_err(|e| malformed("committee", e))?;
        if c.format != COMMITTEE_FORMAT {
            return Err(malformed("committee", format!("format {:?}", c.format)));
        }
        c.parsed()?;
        Ok(c)
    }

    fn parsed(&self) -> Result<Vec<Member>, CommitteeError> {
        let (t, n) = (usize::from(self.threshold), self.members.len());
        if t == 0 || t > n || n > MAX_MEMBERS {
            return Err(CommitteeError::Threshold { t, n });
        }
        let mut out: Vec<Member> = Vec::with_capacity(n);
        for card in &self.members {
            if card.index == 0 {
                return Err(malformed("committee", "member index 0"));
            }
            let signing_key = point_of("member signing key", &card.signing_key)?;
            let d: [u8; 32] = hex::decode(&card.delivery_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| malformed("member delivery key", "not 32 hex bytes"))?;
            let delivery_key = DeliveryPublicKey(d);
            if !delivery_key.is_contributory() {
                return Err(malformed("member delivery key", "a small-order point"));
            }
            if out.iter().any(|m| {
                m.index == card.index
                    || m.signing_key == signing_key
                    || m.delivery_key == delivery_key
            }) {
                return Err(CommitteeError::DuplicateMember { index: card.index });
            }
            out.push(Member {
                index: card.index,
                signing_key,
                delivery_key,
            });
        }
        Ok(out)
    }

    /// `BLAKE2b-256("zkreg/v1/committee" ‖ JSON)`: what deals and keys name.
    pub fn id(&self) -> [u8; 32] {
        let text = serde_json::to_vec(self).unwrap_or_default();
        Blake2b::<U32>::new()
            .chain_update(b"zkreg/v1/committee")
            .chain_update(text)
            .finalize()
            .into()
    }

    fn member(&self, index: u16) -> Result<Member, CommitteeError> {
        self.parsed()?
            .into_iter()
            .find(|m| m.index == index)
            .ok_or(CommitteeError::NotAMember { index })
    }

    fn check_key(&self, key: &MemberKey, index: u16) -> Result<Member, CommitteeError> {
        let m = self.member(index)?;
        if m.signing_key != mul_generator(&key.signing()) {
            return Err(CommitteeError::NotAMember { index });
        }
        Ok(m)
    }
}

/// Round 1 of the DKG: a dealer's commitments and the sealed shares of its polynomial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deal {
    /// [`DEAL_FORMAT`].
    pub format: String,
    /// The committee's id (hex).
    pub committee: String,
    /// The dealer's index.
    pub dealer: u16,
    /// Feldman commitments `C_k = a_k·G`, `k = 0..t` (hex points).
    pub commitments: Vec<String>,
    /// `f(j)` sealed to member `j`'s delivery key, for every member in index order (hex).
    pub shares: Vec<String>,
    /// Schnorr signature by the dealer's signing key over all of the above: `e` (hex).
    pub signature_e: String,
    /// … and `z` (hex).
    pub signature_z: String,
}

fn deal_transcript(
    committee: &[u8; 32],
    dealer: u16,
    signing_key: &JubjubAffine,
    commitments: &[JubjubAffine],
    shares: &[String],
) -> Transcript {
    let mut t = Transcript::new(b"zkreg/v1/dkg-deal");
    t.append_message(b"committee", committee);
    t.append_u64(b"dealer", u64::from(dealer));
    t.append_jubjub(b"key", signing_key);
    for c in commitments {
        t.append_jubjub(b"C", c);
    }
    for s in shares {
        t.append_message(b"share", s.as_bytes());
    }
    t
}

/// What a sealed share is bound to: the committee, the dealer and the recipient.
fn share_aad(committee: &[u8; 32], dealer: u16, recipient: u16) -> Fr {
    let d = Blake2b::<U32>::new()
        .chain_update(b"zkreg/v1/dkg-share")
        .chain_update(committee)
        .chain_update(dealer.to_le_bytes())
        .chain_update(recipient.to_le_bytes())
        .finalize();
    Fr::from_le_bytes_mod_order(&d)
}

/// Round 1: member `index` draws its polynomial `f_i` of degree `t−1` and deals it.
pub fn deal<R: RngCore + CryptoRng>(
    committee: &Committee,
    key: &MemberKey,
    index: u16,
    rng: &mut R,
) -> Result<Deal, CommitteeError> {
    let me = committee.check_key(key, index)?;
    let members = committee.parsed()?;
    let id = committee.id();
    let coeffs: Vec<JubjubScalar> = (0..committee.threshold)
        .map(|_| JubjubScalar::rand(rng))
        .collect();
    let commitments: Vec<JubjubAffine> = coeffs.iter().map(mul_generator).collect();
    let shares: Vec<String> = members
        .iter()
        .map(|m| {
            let x = x_of(m.index);
            let f = coeffs
                .iter()
                .rev()
                .fold(JubjubScalar::zero(), |acc, a| acc * x + a);
            let mut plain = Vec::with_capacity(32);
            let _ = f.serialize_compressed(&mut plain);
            hex::encode(delivery::seal(
                &m.delivery_key,
                &share_aad(&id, index, m.index),
                &plain,
                rng,
            ))
        })
        .collect();
    let t = deal_transcript(&id, index, &me.signing_key, &commitments, &shares);
    let sig = schnorr_sign(t, &key.signing(), rng);
    Ok(Deal {
        format: DEAL_FORMAT.into(),
        committee: hex::encode(id),
        dealer: index,
        commitments: commitments.iter().map(point_to_hex).collect(),
        shares,
        signature_e: scalar_hex(&sig.challenge),
        signature_z: scalar_hex(&sig.response),
    })
}

/// A deal's public checks; returns its commitments.
fn check_deal(
    committee: &Committee,
    members: &[Member],
    deal: &Deal,
) -> Result<Vec<JubjubAffine>, String> {
    if deal.format != DEAL_FORMAT {
        return Err(format!("format {:?}", deal.format));
    }
    if deal.committee != hex::encode(committee.id()) {
        return Err("made for another committee".into());
    }
    let dealer = members
        .iter()
        .find(|m| m.index == deal.dealer)
        .ok_or("not a member")?;
    if deal.commitments.len() != usize::from(committee.threshold) {
        return Err(format!(
            "{} commitments, the threshold needs {}",
            deal.commitments.len(),
            committee.threshold
        ));
    }
    if deal.shares.len() != members.len() {
        return Err(format!(
            "{} shares for {} members",
            deal.shares.len(),
            members.len()
        ));
    }
    let commitments = deal
        .commitments
        .iter()
        .map(|c| point_of("commitment", c).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let sig = SchnorrSignature {
        challenge: scalar_from_hex("signature", &deal.signature_e).map_err(|e| e.to_string())?,
        response: scalar_from_hex("signature", &deal.signature_z).map_err(|e| e.to_string())?,
    };
    let t = deal_transcript(
        &committee.id(),
        deal.dealer,
        &dealer.signing_key,
        &commitments,
        &deal.shares,
    );
    if !schnorr_verify(t, &dealer.signing_key, &sig) {
        return Err("its signature is not the dealer's".into());
    }
    Ok(commitments)
}

/// The committee's public key: the group key (the RPK) and every member's verification key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeKey {
    /// [`KEY_FORMAT`].
    pub format: String,
    /// The committee's id (hex).
    pub committee: String,
    /// Shares needed.
    pub threshold: u16,
    /// The group key `RPK = rsk·G` (hex): what the genesis or a rotation names.
    pub rpk: String,
    /// `(index, V_i = x_i·G)` of every member (hex).
    pub verification_keys: Vec<(u16, String)>,
}

impl CommitteeKey {
    /// Parses and checks a key file: canonical points, and the verification keys of any `t`
    /// members interpolating to the RPK (checked for the first `t`; the rest follow from the
    /// commitments the key was computed from, see [`finish`]).
    pub fn from_json(text: &str) -> Result<Self, CommitteeError> {
        let k: CommitteeKey =
            serde_json::from_str(text).map_err(|e| malformed("committee key", e))?;
        if k.format != KEY_FORMAT {
            return Err(malformed("committee key", format!("format {:?}", k.format)));
        }
        let rpk = k.rpk()?;
        let vks = k.keys()?;
        let t = usize::from(k.threshold);
        if t == 0 || t > vks.len() {
            return Err(CommitteeError::Threshold { t, n: vks.len() });
        }
        let combined = combine_points(vks.iter().take(t).copied())
            .map_err(|e| malformed("verification keys", e))?;
        if combined != rpk {
            return Err(malformed(
                "verification keys",
                "they do not interpolate to the committee's RPK",
            ));
        }
        Ok(k)
    }

    /// The group key.
    pub fn rpk(&self) -> Result<JubjubAffine, CommitteeError> {
        point_of("rpk", &self.rpk)
    }

    /// `(index, V_i)` of every member.
    pub fn keys(&self) -> Result<Vec<(u16, JubjubAffine)>, CommitteeError> {
        self.verification_keys
            .iter()
            .map(|(i, v)| Ok((*i, point_of("verification key", v)?)))
            .collect()
    }

    fn key_of(&self, index: u16) -> Result<JubjubAffine, CommitteeError> {
        self.keys()?
            .into_iter()
            .find(|(i, _)| *i == index)
            .map(|(_, v)| v)
            .ok_or(CommitteeError::NotAMember { index })
    }
}

/// A member's secret share of `rsk`, with the committee's public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberShare {
    /// [`SHARE_FORMAT`].
    pub format: String,
    /// The member's index.
    pub index: u16,
    /// `x_i = f(i)` (hex). Secret.
    pub share: String,
    /// The committee's public key.
    pub key: CommitteeKey,
}

impl MemberShare {
    /// Parses a share file; the share must match the member's verification key.
    pub fn from_json(text: &str) -> Result<Self, CommitteeError> {
        let s: MemberShare =
            serde_json::from_str(text).map_err(|e| malformed("member share", e))?;
        if s.format != SHARE_FORMAT {
            return Err(malformed("member share", format!("format {:?}", s.format)));
        }
        let key = CommitteeKey::from_json(&serde_json::to_string(&s.key).unwrap_or_default())?;
        if mul_generator(&s.secret()?) != key.key_of(s.index)? {
            return Err(malformed(
                "member share",
                "the share is not the member's key",
            ));
        }
        Ok(s)
    }

    /// `x_i`.
    pub fn secret(&self) -> Result<JubjubScalar, CommitteeError> {
        scalar_from_hex("share", &self.share)
    }
}

/// Round 2: member `index` checks every deal, opens its shares and sums them. All `n` deals
/// must be given and valid; the result is the member's share and the committee's public key,
/// the same key for every member that finishes.
pub fn finish(
    committee: &Committee,
    key: &MemberKey,
    index: u16,
    deals: &[Deal],
) -> Result<MemberShare, CommitteeError> {
    committee.check_key(key, index)?;
    let members = committee.parsed()?;
    let id = committee.id();
    let ivk = key.delivery();
    let position = members
        .iter()
        .position(|m| m.index == index)
        .ok_or(CommitteeError::NotAMember { index })?;
    let mut share = JubjubScalar::zero();
    let mut all_commitments: Vec<Vec<JubjubAffine>> = Vec::with_capacity(members.len());
    for dealer in &members {
        let bad = |reason: String| CommitteeError::BadDeal {
            dealer: dealer.index,
            reason,
        };
        let mut theirs = deals.iter().filter(|d| d.dealer == dealer.index);
        let d = theirs.next().ok_or_else(|| bad("missing".into()))?;
        if theirs.next().is_some() {
            return Err(bad("two deals given".into()));
        }
        let commitments = check_deal(committee, &members, d).map_err(bad)?;
        let sealed = d
            .shares
            .get(position)
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| bad("share is not hex".into()))?;
        let plain = delivery::open(&ivk, &share_aad(&id, dealer.index, index), &sealed).ok_or(
            CommitteeError::BadShare {
                dealer: dealer.index,
            },
        )?;
        let f = JubjubScalar::deserialize_compressed(&plain[..]).map_err(|_| {
            CommitteeError::BadShare {
                dealer: dealer.index,
            }
        })?;
        if mul_generator(&f).into_group() != evaluate_commitments(&commitments, index) {
            return Err(CommitteeError::BadShare {
                dealer: dealer.index,
            });
        }
        share += f;
        all_commitments.push(commitments);
    }
    if let Some(d) = deals
        .iter()
        .find(|d| !members.iter().any(|m| m.index == d.dealer))
    {
        return Err(CommitteeError::BadDeal {
            dealer: d.dealer,
            reason: "not a member".into(),
        });
    }
    let rpk = all_commitments
        .iter()
        .fold(JubjubPoint::zero(), |acc, c| acc + c[0])
        .into_affine();
    let verification_keys = members
        .iter()
        .map(|m| {
            let v = all_commitments
                .iter()
                .fold(JubjubPoint::zero(), |acc, c| {
                    acc + evaluate_commitments(c, m.index)
                })
                .into_affine();
            (m.index, point_to_hex(&v))
        })
        .collect();
    Ok(MemberShare {
        format: SHARE_FORMAT.into(),
        index,
        share: scalar_hex(&share),
        key: CommitteeKey {
            format: KEY_FORMAT.into(),
            committee: hex::encode(id),
            threshold: committee.threshold,
            rpk: point_to_hex(&rpk),
            verification_keys,
        },
    })
}

/// One member's decryption share of one record: `S_i = x_i·R` and the proof that
/// `log_R S_i = log_G V_i`, bound to the record's transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecryptionShare {
    /// The member.
    pub index: u16,
    /// `S_i`.
    pub point: JubjubAffine,
    /// Chaum–Pedersen proof (context: the tx id).
    pub proof: DleqProof,
}

/// Member `share.index` makes its decryption share of the record of `tx_id` with ciphertext
/// point `r_point`.
pub fn decryption_share<R: RngCore + CryptoRng>(
    share: &JubjubScalar,
    index: u16,
    tx_id: &TxId,
    r_point: &JubjubAffine,
    rng: &mut R,
) -> DecryptionShare {
    let (point, proof) = dleq::prove(&RegulatorSecretKey(*share), r_point, tx_id, rng);
    DecryptionShare {
        index,
        point,
        proof,
    }
}

/// Checks the shares of one record against the members' verification keys and combines `t`
/// valid ones: `S = Σ λ_i·S_i`. Returns `S` and the members whose shares failed their proof
/// (excluded); fewer than `t` valid shares is [`CommitteeError::NotEnoughShares`].
pub fn combine(
    key: &CommitteeKey,
    tx_id: &TxId,
    r_point: &JubjubAffine,
    shares: &[DecryptionShare],
) -> Result<(JubjubAffine, Vec<u16>), CommitteeError> {
    let keys = key.keys()?;
    let mut valid: Vec<(u16, JubjubAffine)> = Vec::new();
    let mut bad = Vec::new();
    for s in shares {
        if valid.iter().any(|(i, _)| *i == s.index) || bad.contains(&s.index) {
            continue; // one share per member counts
        }
        let ok = keys
            .iter()
            .find(|(i, _)| *i == s.index)
            .is_some_and(|(_, v)| dleq::verify(v, r_point, &s.point, tx_id, &s.proof).is_ok());
        if ok {
            valid.push((s.index, s.point));
        } else {
            bad.push(s.index);
        }
    }
    let needed = usize::from(key.threshold);
    if valid.len() < needed {
        return Err(CommitteeError::NotEnoughShares {
            tx_id: *tx_id,
            valid: valid.len(),
            needed,
            bad,
        });
    }
    valid.truncate(needed);
    let s = combine_points(valid).map_err(|e| malformed("shares", e))?;
    Ok((s, bad))
}

/// `Σ λ_i·x_i` for the members `indices`: only for tests and for a committee's own key
/// ceremony checks — in operation nobody ever computes `rsk`.
pub fn interpolate_secret(shares: &[(u16, JubjubScalar)]) -> Result<JubjubScalar, CommitteeError> {
    let (idx, xs): (Vec<u16>, Vec<JubjubScalar>) = shares.iter().copied().unzip();
    let l = lagrange_at_zero(&idx).map_err(|e| malformed("shares", e))?;
    Ok(xs.iter().zip(&l).map(|(x, l)| *x * l).sum())
}

/// A member's decryption shares of many records, as a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareFile {
    /// `zkreg-decryption-shares/1`.
    pub format: String,
    /// The committee's id (hex).
    pub committee: String,
    /// The member.
    pub index: u16,
    /// `[tx id, S_i, e, z]` per record (hex).
    pub shares: Vec<[String; 4]>,
}

/// One member's decryption shares, by tx id: what a [`ShareFile`] parses to.
pub type MemberShares = Vec<(TxId, DecryptionShare)>;

/// Format tag of decryption-share files.
pub const SHARES_FORMAT: &str = "zkreg-decryption-shares/1";

impl ShareFile {
    /// A file of `shares` (each with its tx id) by member `index` of `key`'s committee.
    pub fn new(key: &CommitteeKey, index: u16, shares: &[(TxId, DecryptionShare)]) -> Self {
        ShareFile {
            format: SHARES_FORMAT.into(),
            committee: key.committee.clone(),
            index,
            shares: shares
                .iter()
                .map(|(id, s)| {
                    let (e, z) = s.proof.to_hex();
                    [hex::encode(id), point_to_hex(&s.point), e, z]
                })
                .collect(),
        }
    }

    /// Parses a file of `key`'s committee: `(tx id, share)` per record.
    pub fn parse(
        text: &str,
        key: &CommitteeKey,
    ) -> Result<Vec<(TxId, DecryptionShare)>, CommitteeError> {
        let f: ShareFile = serde_json::from_str(text).map_err(|e| malformed("share file", e))?;
        let foreign = |reason: &str| CommitteeError::ForeignShares {
            index: f.index,
            reason: reason.into(),
        };
        if f.format != SHARES_FORMAT {
            return Err(malformed("share file", format!("format {:?}", f.format)));
        }
        if f.committee != key.committee {
            return Err(foreign("made for another committee"));
        }
        if key.key_of(f.index).is_err() {
            return Err(foreign("not a member"));
        }
        f.shares
            .iter()
            .map(|[id, s, e, z]| {
                let id: TxId = hex::decode(id)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| malformed("share file", "tx id is not 32 hex bytes"))?;
                Ok((
                    id,
                    DecryptionShare {
                        index: f.index,
                        point: point_of("share point", s)?,
                        proof: DleqProof::from_hex(e, z)
                            .map_err(|x| malformed("share proof", x))?,
                    },
                ))
            })
            .collect()
    }
}

/// Every record of heights `from..=to` encrypted to this member's committee key gets the
/// member's decryption share (on every core): the file a member hands to whoever combines.
/// Records under other keys (before or after a rotation) are left out.
pub fn shares_for_range<R: RngCore + CryptoRng>(
    ledger: &dyn LedgerView,
    share: &MemberShare,
    from: u64,
    to: u64,
    rng: &mut R,
) -> Result<ShareFile, RangeError> {
    use rayon::prelude::*;
    let x = share.secret()?;
    let rpk = share.key.rpk()?;
    let schedule = ledger.key_schedule()?;
    let records: Vec<_> = ledger
        .audit_records(from, to)?
        .into_iter()
        .filter(|rec| schedule.rpk_at(rec.height) == Some(rpk))
        .collect();
    let seeds: Vec<[u8; 32]> = records
        .iter()
        .map(|_| {
            let mut b = [0u8; 32];
            rng.fill_bytes(&mut b);
            b
        })
        .collect();
    let shares: Vec<(TxId, DecryptionShare)> = records
        .par_iter()
        .zip(seeds)
        .filter_map(|(rec, seed)| {
            let (r_point, _) = crate::record::ciphertext(&rec.payload)?;
            // A share publishes `x_i·R`: only for a prime-order `R` (every ledger record's `R`
            // is proven `r·G`; this refuses a corrupt store's point rather than leak `x_i`
            // modulo the cofactor).
            if !r_point.is_in_correct_subgroup_assuming_on_curve() {
                return Some(Err(RangeError::Ledger(zkreg_ledger::LedgerError::Corrupt(
                    format!(
                        "the audit point of tx {} is not in the prime-order subgroup",
                        hex::encode(rec.tx_id)
                    ),
                ))));
            }
            let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::from_seed(seed);
            Some(Ok((
                rec.tx_id,
                decryption_share(&x, share.index, &rec.tx_id, &r_point, &mut rng),
            )))
        })
        .collect::<Result<_, RangeError>>()?;
    Ok(ShareFile::new(&share.key, share.index, &shares))
}

/// Why a range of records cannot be shared or opened by a committee.
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    /// A committee file or share is wrong.
    #[error(transparent)]
    Committee(#[from] CommitteeError),
    /// The ledger could not answer.
    #[error(transparent)]
    Ledger(#[from] zkreg_ledger::LedgerError),
    /// A record is encrypted to another key than the committee's.
    #[error("the record of tx {} (height {height}) is encrypted to another regulator key than this committee's", hex::encode(.tx_id))]
    WrongKey {
        /// The record.
        tx_id: TxId,
        /// Its height.
        height: u64,
    },
    /// No member gave a share of this record.
    #[error("no decryption share of tx {} was given", hex::encode(.tx_id))]
    Missing {
        /// The record.
        tx_id: TxId,
    },
}

/// The shared points of every record of `from..=to`, combined from the members' share files:
/// each share checked against its member's verification key, `t` valid ones interpolated.
/// Returns `S` per tx id and, per record, the members whose shares were rejected.
#[allow(clippy::type_complexity)]
pub fn combine_range(
    ledger: &dyn LedgerView,
    key: &CommitteeKey,
    files: &[Vec<(TxId, DecryptionShare)>],
    from: u64,
    to: u64,
) -> Result<
    (
        std::collections::HashMap<TxId, JubjubAffine>,
        Vec<(TxId, Vec<u16>)>,
    ),
    RangeError,
> {
    use rayon::prelude::*;
    use std::collections::HashMap;
    let rpk = key.rpk()?;
    let schedule = ledger.key_schedule()?;
    let records = ledger.audit_records(from, to)?;
    let mut by_tx: HashMap<TxId, Vec<DecryptionShare>> = HashMap::new();
    for f in files {
        for (id, s) in f {
            by_tx.entry(*id).or_default().push(*s);
        }
    }
    let opened: Vec<Option<(TxId, JubjubAffine, Vec<u16>)>> = records
        .par_iter()
        .map(|rec| {
            let Some((r_point, _)) = crate::record::ciphertext(&rec.payload) else {
                return Ok(None);
            };
            if schedule.rpk_at(rec.height) != Some(rpk) {
                return Err(RangeError::WrongKey {
                    tx_id: rec.tx_id,
                    height: rec.height,
                });
            }
            let shares = by_tx
                .get(&rec.tx_id)
                .ok_or(RangeError::Missing { tx_id: rec.tx_id })?;
            let (s, bad) = combine(key, &rec.tx_id, &r_point, shares)?;
            Ok(Some((rec.tx_id, s, bad)))
        })
        .collect::<Result<_, RangeError>>()?;
    let mut points = HashMap::new();
    let mut rejected = Vec::new();
    for (id, s, bad) in opened.into_iter().flatten() {
        points.insert(id, s);
        if !bad.is_empty() {
            rejected.push((id, bad));
        }
    }
    Ok((points, rejected))
}

/// A rotation's terms for the chain `ledger` holds: replace the key in force for the next
/// block by `new_rpk` from `from_height`, with the next sequence number.
pub fn rotation_terms(
    ledger: &dyn LedgerView,
    new_rpk: JubjubAffine,
    from_height: u64,
) -> Result<RotationTerms, RangeError> {
    let schedule = ledger.key_schedule()?;
    let next = ledger.height()?.saturating_add(1);
    let old_rpk = schedule
        .rpk_at(next)
        .ok_or_else(|| malformed("chain", "no regulator key in force"))?;
    let genesis = ledger.config().genesis_schedule().entries().len();
    Ok(RotationTerms {
        old_rpk,
        new_rpk,
        from_height,
        sequence: schedule.entries().len().saturating_sub(genesis) as u64,
    })
}

/// One signer's signature on a rotation, as a file: the terms and the signer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationSignatureFile {
    /// `zkreg-rotation-signature/1`.
    pub format: String,
    /// The chain (genesis hash, hex).
    pub chain: String,
    /// Key being replaced (hex).
    pub old_rpk: String,
    /// New key (hex).
    pub new_rpk: String,
    /// First height of the new key.
    pub from_height: u64,
    /// Rotations applied before this one.
    pub sequence: u64,
    /// The signer's index.
    pub index: u16,
    /// The signer's key `V_i` (hex).
    pub key: String,
    /// Schnorr `e` (hex).
    pub e: String,
    /// Schnorr `z` (hex).
    pub z: String,
}

/// Format tag of rotation signature files.
pub const ROTATION_SIGNATURE_FORMAT: &str = "zkreg-rotation-signature/1";

impl RotationSignatureFile {
    /// Signs `terms` on `chain` as member `index` with share `x` (a single key signs as member 1
    /// with `rsk`).
    pub fn sign<R: RngCore + CryptoRng>(
        chain: &[u8; 32],
        terms: &RotationTerms,
        index: u16,
        x: &JubjubScalar,
        rng: &mut R,
    ) -> Self {
        let s = zkreg_verifier::rotation::sign(chain, terms, index, x, rng);
        RotationSignatureFile {
            format: ROTATION_SIGNATURE_FORMAT.into(),
            chain: hex::encode(chain),
            old_rpk: point_to_hex(&terms.old_rpk),
            new_rpk: point_to_hex(&terms.new_rpk),
            from_height: terms.from_height,
            sequence: terms.sequence,
            index,
            key: point_to_hex(&s.key),
            e: scalar_hex(&s.signature.challenge),
            z: scalar_hex(&s.signature.response),
        }
    }

    fn parse(&self) -> Result<([u8; 32], RotationTerms, RotationSigner), CommitteeError> {
        if self.format != ROTATION_SIGNATURE_FORMAT {
            return Err(malformed(
                "rotation signature",
                format!("format {:?}", self.format),
            ));
        }
        let chain: [u8; 32] = hex::decode(&self.chain)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| malformed("rotation signature", "chain is not 32 hex bytes"))?;
        Ok((
            chain,
            RotationTerms {
                old_rpk: point_of("old_rpk", &self.old_rpk)?,
                new_rpk: point_of("new_rpk", &self.new_rpk)?,
                from_height: self.from_height,
                sequence: self.sequence,
            },
            RotationSigner {
                index: self.index,
                key: point_of("signer key", &self.key)?,
                signature: SchnorrSignature {
                    challenge: scalar_from_hex("signature", &self.e)?,
                    response: scalar_from_hex("signature", &self.z)?,
                },
            },
        ))
    }
}

/// Assembles the rotation transaction from its signers' files: all must sign the same terms on
/// the same chain, and the result must pass every stateless check
/// ([`zkreg_verifier::rotation::check`]), so a bad signature or too few signers is named here,
/// before anything is submitted.
pub fn assemble_rotation(files: &[RotationSignatureFile]) -> Result<Transaction, CommitteeError> {
    let mut parsed = files.iter().map(RotationSignatureFile::parse);
    let (chain, terms, first) = parsed
        .next()
        .ok_or_else(|| malformed("rotation", "no signatures given"))??;
    let mut signers = vec![first];
    for p in parsed {
        let (c, t, s) = p?;
        if c != chain || t != terms {
            return Err(malformed(
                "rotation",
                format!("member {} signed other terms or another chain", s.index),
            ));
        }
        signers.push(s);
    }
    zkreg_verifier::rotation::check(&chain, &terms, &signers)
        .map_err(|e| malformed("rotation", e))?;
    Ok(Transaction::Rotate(RotateTx { terms, signers }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use zkreg_circuits::audit::shared_point;

    /// A committee of `n` with threshold `t` after a full DKG: member keys and shares.
    pub(crate) fn ceremony(
        t: u16,
        n: u16,
        seed: u64,
    ) -> (Committee, Vec<MemberKey>, Vec<MemberShare>) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let keys: Vec<MemberKey> = (1..=n)
            .map(|i| {
                MemberKey::from_seed([(i as u8).wrapping_add((seed as u8).wrapping_mul(16)); 32])
            })
            .collect();
        let cards = keys
            .iter()
            .zip(1..)
            .map(|(k, i)| k.card(i, &format!("member {i}")))
            .collect();
        let committee = Committee::new(t, cards).unwrap();
        let deals: Vec<Deal> = keys
            .iter()
            .zip(1..)
            .map(|(k, i)| deal(&committee, k, i, &mut rng).unwrap())
            .collect();
        let shares = keys
            .iter()
            .zip(1..)
            .map(|(k, i)| finish(&committee, k, i, &deals).unwrap())
            .collect();
        (committee, keys, shares)
    }

    #[test]
    fn every_member_gets_the_same_key_and_t_shares_give_the_secret() {
        for (t, n) in [(2u16, 3u16), (3, 5), (1, 1)] {
            let (_, _, shares) = ceremony(t, n, u64::from(t * 10 + n));
            let key = &shares[0].key;
            assert!(shares.iter().all(|s| s.key == *key));
            let rpk = key.rpk().unwrap();
            let xs: Vec<(u16, JubjubScalar)> = shares
                .iter()
                .map(|s| (s.index, s.secret().unwrap()))
                .collect();
            // Any t shares interpolate to the key's secret; t − 1 do not.
            for start in 0..=(usize::from(n - t)) {
                let rsk = interpolate_secret(&xs[start..start + usize::from(t)]).unwrap();
                assert_eq!(mul_generator(&rsk), rpk);
                if t > 1 {
                    let fewer = interpolate_secret(&xs[start..start + usize::from(t) - 1]).unwrap();
                    assert_ne!(mul_generator(&fewer), rpk);
                }
            }
            // The key file round-trips through its checks.
            let text = serde_json::to_string(key).unwrap();
            assert_eq!(CommitteeKey::from_json(&text).unwrap(), *key);
            let text = serde_json::to_string(&shares[0]).unwrap();
            assert_eq!(MemberShare::from_json(&text).unwrap(), shares[0]);
        }
    }

    #[test]
    fn shares_combine_to_the_single_key_point_and_a_bad_share_is_named() {
        let (_, _, shares) = ceremony(3, 5, 1);
        let key = &shares[0].key;
        let mut rng = ChaCha20Rng::seed_from_u64(99);
        let r_point = mul_generator(&JubjubScalar::rand(&mut rng));
        let tx = [7u8; 32];
        let ds: Vec<DecryptionShare> = shares
            .iter()
            .map(|s| decryption_share(&s.secret().unwrap(), s.index, &tx, &r_point, &mut rng))
            .collect();
        let xs: Vec<(u16, JubjubScalar)> = shares
            .iter()
            .map(|s| (s.index, s.secret().unwrap()))
            .collect();
        let rsk = RegulatorSecretKey(interpolate_secret(&xs[..3]).unwrap());
        let expected = shared_point(&rsk, &r_point);
        assert_eq!(
            combine(key, &tx, &r_point, &ds[1..4]),
            Ok((expected, vec![]))
        );
        // t − 1 shares fail.
        assert_eq!(
            combine(key, &tx, &r_point, &ds[..2]),
            Err(CommitteeError::NotEnoughShares {
                tx_id: tx,
                valid: 2,
                needed: 3,
                bad: vec![]
            })
        );
        // A share with a wrong proof (member 2 sends another point) is excluded and named; with
        // t others left the record still opens.
        let mut forged = ds.clone();
        forged[1].point = (forged[1].point + generator_point()).into_affine();
        assert_eq!(
            combine(key, &tx, &r_point, &forged),
            Ok((expected, vec![2]))
        );
        assert_eq!(
            combine(key, &tx, &r_point, &forged[..3]),
            Err(CommitteeError::NotEnoughShares {
                tx_id: tx,
                valid: 2,
                needed: 3,
                bad: vec![2]
            })
        );
        // A share for another record does not pass for this one.
        let other = decryption_share(&xs[0].1, 1, &[8u8; 32], &r_point, &mut rng);
        let mut mixed = vec![other];
        mixed.extend_from_slice(&ds[1..3]);
        assert!(matches!(
            combine(key, &tx, &r_point, &mixed),
            Err(CommitteeError::NotEnoughShares { bad, .. }) if bad == vec![1]
        ));
        // Through a share file.
        let file = ShareFile::new(key, 1, &[(tx, ds[0])]);
        let text = serde_json::to_string(&file).unwrap();
        assert_eq!(ShareFile::parse(&text, key).unwrap(), vec![(tx, ds[0])]);
    }

    fn generator_point() -> JubjubAffine {
        zkreg_circuits::ecc::generator()
    }

    #[test]
    fn a_bad_deal_or_share_names_its_dealer() {
        let (committee, keys, _) = ceremony(2, 3, 5);
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let deals: Vec<Deal> = keys
            .iter()
            .zip(1..)
            .map(|(k, i)| deal(&committee, k, i, &mut rng).unwrap())
            .collect();
        // Missing deal.
        assert!(matches!(
            finish(&committee, &keys[0], 1, &deals[..2]),
            Err(CommitteeError::BadDeal { dealer: 3, .. })
        ));
        // A tampered commitment breaks the dealer's signature.
        let mut tampered = deals.clone();
        tampered[1].commitments[0] = point_to_hex(&generator_point());
        assert!(matches!(
            finish(&committee, &keys[0], 1, &tampered),
            Err(CommitteeError::BadDeal { dealer: 2, .. })
        ));
        // A dealer who seals a wrong share (consistent signature): the recipient names it.
        let mut cheat = deals.clone();
        let members = committee.parsed().unwrap();
        let wrong = JubjubScalar::from(5u64);
        let mut plain = Vec::new();
        wrong.serialize_compressed(&mut plain).unwrap();
        cheat[2].shares[0] = hex::encode(delivery::seal(
            &members[0].delivery_key,
            &share_aad(&committee.id(), 3, 1),
            &plain,
            &mut rng,
        ));
        let commitments: Vec<JubjubAffine> = cheat[2]
            .commitments
            .iter()
            .map(|c| point_from_hex(c).unwrap())
            .collect();
        let t = deal_transcript(
            &committee.id(),
            3,
            &members[2].signing_key,
            &commitments,
            &cheat[2].shares,
        );
        let sig = schnorr_sign(t, &keys[2].signing(), &mut rng);
        cheat[2].signature_e = scalar_hex(&sig.challenge);
        cheat[2].signature_z = scalar_hex(&sig.response);
        assert_eq!(
            finish(&committee, &keys[0], 1, &cheat),
            Err(CommitteeError::BadShare { dealer: 3 })
        );
        // Member 2 is unaffected by the share sent to member 1.
        assert!(finish(&committee, &keys[1], 2, &cheat).is_ok());
        // Someone else's key cannot deal as member 1.
        assert_eq!(
            deal(&committee, &keys[1], 1, &mut rng),
            Err(CommitteeError::NotAMember { index: 1 })
        );
    }

    #[test]
    fn committee_files_are_checked() {
        let keys: Vec<MemberKey> = (1..=3).map(|i| MemberKey::from_seed([i; 32])).collect();
        let cards: Vec<MemberCard> = keys.iter().zip(1..).map(|(k, i)| k.card(i, "m")).collect();
        assert_eq!(
            Committee::new(4, cards.clone()),
            Err(CommitteeError::Threshold { t: 4, n: 3 })
        );
        assert_eq!(
            Committee::new(0, cards.clone()),
            Err(CommitteeError::Threshold { t: 0, n: 3 })
        );
        let mut dup = cards.clone();
        dup[2].signing_key = dup[0].signing_key.clone();
        assert_eq!(
            Committee::new(2, dup),
            Err(CommitteeError::DuplicateMember { index: 3 })
        );
        let c = Committee::new(2, cards).unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(Committee::from_json(&text).unwrap(), c);
        assert!(matches!(
            Committee::from_json("{\"format\": 1}"),
            Err(CommitteeError::Malformed { .. })
        ));
    }

    /// Every file a committee reads from outside — key, share, share file, rotation signatures —
    /// refuses garbage and tampering with one typed error naming what is wrong.
    #[test]
    fn garbage_and_tampered_committee_files_are_refused_for_their_reason() {
        let (_, _, shares) = ceremony(2, 3, 3);
        let key = &shares[0].key;
        let malformed_what = |r: Result<CommitteeKey, CommitteeError>| match r {
            Err(CommitteeError::Malformed { what, .. }) => what,
            other => panic!("not malformed: {other:?}"),
        };
        assert_eq!(
            malformed_what(CommitteeKey::from_json("not json")),
            "committee key"
        );
        let mut other_format = key.clone();
        other_format.format = "zkreg-committee-key/0".into();
        assert_eq!(
            malformed_what(CommitteeKey::from_json(
                &serde_json::to_string(&other_format).unwrap()
            )),
            "committee key"
        );
        // Verification keys that do not interpolate to the RPK.
        let mut swapped = key.clone();
        swapped.verification_keys[0].1 = swapped.verification_keys[1].1.clone();
        assert_eq!(
            malformed_what(CommitteeKey::from_json(
                &serde_json::to_string(&swapped).unwrap()
            )),
            "verification keys"
        );
        // A share file whose share is not the member's key.
        let mut wrong = shares[0].clone();
        wrong.share = shares[1].share.clone();
        assert!(matches!(
            MemberShare::from_json(&serde_json::to_string(&wrong).unwrap()),
            Err(CommitteeError::Malformed {
                what: "member share",
                ..
            })
        ));
        // Decryption-share files: another committee, a non-member, bad hex.
        let file = ShareFile::new(key, 1, &[]);
        let mut foreign = file.clone();
        foreign.committee = "00".repeat(32);
        assert!(matches!(
            ShareFile::parse(&serde_json::to_string(&foreign).unwrap(), key),
            Err(CommitteeError::ForeignShares { index: 1, .. })
        ));
        let mut stranger = file.clone();
        stranger.index = 9;
        assert!(matches!(
            ShareFile::parse(&serde_json::to_string(&stranger).unwrap(), key),
            Err(CommitteeError::ForeignShares { index: 9, .. })
        ));
        let mut bad_hex = file;
        bad_hex.shares = vec![["zz".into(), "zz".into(), "zz".into(), "zz".into()]];
        assert!(matches!(
            ShareFile::parse(&serde_json::to_string(&bad_hex).unwrap(), key),
            Err(CommitteeError::Malformed {
                what: "share file",
                ..
            })
        ));
        // Rotation signatures: none, other terms, a tampered scalar.
        assert!(matches!(
            assemble_rotation(&[]),
            Err(CommitteeError::Malformed {
                what: "rotation",
                ..
            })
        ));
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let terms = RotationTerms {
            old_rpk: key.rpk().unwrap(),
            new_rpk: generator_point(),
            from_height: 9,
            sequence: 0,
        };
        let chain = [5u8; 32];
        let sign = |i: usize, t: &RotationTerms, rng: &mut ChaCha20Rng| {
            RotationSignatureFile::sign(
                &chain,
                t,
                shares[i].index,
                &shares[i].secret().unwrap(),
                rng,
            )
        };
        let a = sign(0, &terms, &mut rng);
        let b = sign(1, &terms, &mut rng);
        assert!(assemble_rotation(&[a.clone(), b.clone()]).is_ok());
        let later = RotationTerms {
            from_height: 10,
            ..terms
        };
        assert!(matches!(
            assemble_rotation(&[a.clone(), sign(1, &later, &mut rng)]),
            Err(CommitteeError::Malformed {
                what: "rotation",
                ..
            })
        ));
        let mut tampered = b;
        tampered.z = "ff".repeat(32);
        assert!(matches!(
            assemble_rotation(&[a, tampered]),
            Err(CommitteeError::Malformed {
                what: "signature",
                ..
            })
        ));
    }
}
