//! Statement 1 — payment (2 inputs, 2 outputs), native twin.
//!
//! Public: `anchor, nf[2], cm_out[2], v_in_pub, v_out_pub, fee, asset_pub, RPK, audit ct, binding`
//! in the order of [`layout`]. Private: `sk`, the input notes with their paths, the output notes
//! and the audit randomness `r`.
//!
//! | rule | what the proof shows |
//! |---|---|
//! | 1 | both inputs belong to `sk`: `note_in.owner = H(OWNER, sk)` |
//! | 2 | `cm_in = H(NOTE_CM, note_in)`; if `value_in ≠ 0` its path leads to `anchor` |
//! | 3 | `nf_i = H(NF, nk, cm_in_i, pos_i)` with `nk = H(NK, sk)` |
//! | 4 | `cm_out_j = H(NOTE_CM, note_out_j)` |
//! | 5 | one asset `a` for all notes; `(a − asset_pub)·(v_in_pub + v_out_pub + fee) = 0` |
//! | 6 | note values and the public amounts `v_in_pub, v_out_pub, fee` in `[0, 2^64)`, in-circuit |
//! | 7 | `Σ value_in + v_in_pub = Σ value_out + v_out_pub + fee` |
//! | 8 | audit ciphertext `R = r·G`, `S = r·RPK`, `c = m + k` over [`AuditedPayment`] |
//! | 9 | `binding` (hash of every non-proof tx field) is a public input the proof commits to |
//!
//! The audit plaintext packs the four values two per field element, `v0 + 2^64·v1`: 8 elements
//! instead of DESIGN.md's 11, the same information, a narrower keystream and 3 fewer public inputs.

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::{
    audit::{decrypt, encrypt, AuditCiphertext, RegulatorSecretKey},
    ecc::{JubjubAffine, JubjubScalar},
    keys::{nullifier_key_of, owner_of},
    merkle::{MerklePath, TreeKind},
    note::{nullifier, Note},
};
use ark_bls12_381::Fr;
use ark_ff::{BigInteger, PrimeField, Zero};

/// Field elements in the payment audit plaintext.
pub const AUDIT_FIELDS: usize = 8;
/// The payment audit ciphertext.
pub type PaymentCiphertext = AuditCiphertext<AUDIT_FIELDS>;

/// Index of each public input: the one definition the prover, verifier and ledger share.
pub mod layout {
    /// Note tree root the inputs are proven against.
    pub const ANCHOR: usize = 0;
    /// Two nullifiers.
    pub const NULLIFIERS: usize = 1;
    /// Two output note commitments.
    pub const OUTPUT_COMMITMENTS: usize = 3;
    /// Public deposit amount.
    pub const V_IN_PUB: usize = 5;
    /// Public withdrawal amount.
    pub const V_OUT_PUB: usize = 6;
    /// Fee.
    pub const FEE: usize = 7;
    /// Asset of the public amounts (0 on fee-less private transfers).
    pub const ASSET_PUB: usize = 8;
    /// Regulator public key `(x, y)`.
    pub const RPK: usize = 9;
    /// Audit ciphertext point `R` `(x, y)`.
    pub const AUDIT_R: usize = 11;
    /// Audit ciphertext elements.
    pub const AUDIT_C: usize = 13;
    /// Binding of the non-proof transaction fields.
    pub const BINDING: usize = AUDIT_C + super::AUDIT_FIELDS;
    /// Number of public inputs.
    pub const LEN: usize = BINDING + 1;
}

/// The public statement of a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentPublic {
    /// Note tree root.
    pub anchor: Fr,
    /// Nullifiers of the two inputs.
    pub nullifiers: [Fr; 2],
    /// Commitments of the two outputs.
    pub output_commitments: [Fr; 2],
    /// Public amount entering the shielded pool (deposit). Range-checked in-circuit too (rule 6).
    pub v_in_pub: u64,
    /// Public amount leaving the pool (withdrawal).
    pub v_out_pub: u64,
    /// Fee paid to the ledger.
    pub fee: u64,
    /// Asset of the public amounts; 0 on fee-less private transfers.
    pub asset_pub: Fr,
    /// Regulator public key the audit ciphertext is encrypted to.
    pub rpk: JubjubAffine,
    /// Audit ciphertext.
    pub audit: PaymentCiphertext,
    /// Binding of the transaction's non-proof fields.
    pub binding: Fr,
}

impl PaymentPublic {
    /// The public inputs in [`layout`] order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let mut v = Vec::with_capacity(layout::LEN);
        v.push(self.anchor);
        v.extend_from_slice(&self.nullifiers);
        v.extend_from_slice(&self.output_commitments);
        v.push(Fr::from(self.v_in_pub));
        v.push(Fr::from(self.v_out_pub));
        v.push(Fr::from(self.fee));
        v.push(self.asset_pub);
        v.extend_from_slice(&[self.rpk.x, self.rpk.y]);
        v.extend_from_slice(&[self.audit.r_point.x, self.audit.r_point.y]);
        v.extend_from_slice(&self.audit.c);
        v.push(self.binding);
        debug_assert_eq!(v.len(), layout::LEN);
        v
    }
}

/// An input note with its authentication path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpentNote {
    /// The note.
    pub note: Note,
    /// Its path in the note tree (carries the position).
    pub path: MerklePath,
}

/// The private witness of a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentWitness {
    /// Spending key of both inputs.
    pub sk: Fr,
    /// The two inputs (a zero-value dummy when spending one note).
    pub inputs: [SpentNote; 2],
    /// The two outputs.
    pub outputs: [Note; 2],
    /// Audit encryption randomness.
    pub audit_r: JubjubScalar,
}

/// What the regulator reads from a payment: enough to rebuild the transaction graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditedPayment {
    /// Asset moved.
    pub asset: Fr,
    /// Owner id of the payer.
    pub owner_in: Fr,
    /// Input values.
    pub value_in: [u64; 2],
    /// Commitments of the spent notes (link to the transactions that created them).
    pub cm_in: [Fr; 2],
    /// Owner ids of the recipients.
    pub owner_out: [Fr; 2],
    /// Output values.
    pub value_out: [u64; 2],
}

/// `v0 + 2^64·v1`.
pub fn pack_values(v: [u64; 2]) -> Fr {
    Fr::from(v[0]) + Fr::from(v[1]) * Fr::from(1u128 << 64)
}

/// Inverse of [`pack_values`]; `None` if the element is not a packing of two `u64`.
pub fn unpack_values(x: Fr) -> Option<[u64; 2]> {
    let bytes = x.into_bigint().to_bytes_le();
    if bytes[16..].iter().any(|b| *b != 0) {
        return None;
    }
    let lo = u64::from_le_bytes(bytes[0..8].try_into().ok()?);
    let hi = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    Some([lo, hi])
}

impl AuditedPayment {
    /// The plaintext `m` of rule 8.
    pub fn to_plaintext(&self) -> [Fr; AUDIT_FIELDS] {
        [
            self.asset,
            self.owner_in,
            pack_values(self.value_in),
            self.cm_in[0],
            self.cm_in[1],
            self.owner_out[0],
            self.owner_out[1],
            pack_values(self.value_out),
        ]
    }

    /// Parses a decrypted plaintext; `None` if the value slots are not packed `u64`s (a wrong key).
    pub fn from_plaintext(m: &[Fr; AUDIT_FIELDS]) -> Option<Self> {
        Some(AuditedPayment {
            asset: m[0],
            owner_in: m[1],
            value_in: unpack_values(m[2])?,
            cm_in: [m[3], m[4]],
            owner_out: [m[5], m[6]],
            value_out: unpack_values(m[7])?,
        })
    }

    /// Decrypts a payment's audit ciphertext.
    pub fn decrypt(rsk: &RegulatorSecretKey, ct: &PaymentCiphertext) -> Option<Self> {
        Self::from_plaintext(&decrypt(rsk, ct))
    }
}

/// Public parameters of a payment that the witness does not determine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentTerms {
    /// Note tree root.
    pub anchor: Fr,
    /// Deposit amount.
    pub v_in_pub: u64,
    /// Withdrawal amount.
    pub v_out_pub: u64,
    /// Fee.
    pub fee: u64,
    /// Asset of the public amounts.
    pub asset_pub: Fr,
    /// Regulator key.
    pub rpk: JubjubAffine,
    /// Binding of the non-proof fields.
    pub binding: Fr,
}

/// A rule of the payment statement that a witness breaks (native check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRule {
    /// Rule 1: an input note is not owned by `sk`.
    #[error("rule 1: input {0} is not owned by the spending key")]
    Ownership(usize),
    /// Rule 2: a non-zero input's path does not lead to the anchor.
    #[error("rule 2: input {0} is not in the tree at the anchor")]
    Membership(usize),
    /// Rule 3: a nullifier is not `H(NF, nk, cm, pos)`.
    #[error("rule 3: nullifier {0} is wrong")]
    Nullifier(usize),
    /// Rule 4: an output commitment does not open to the output note.
    #[error("rule 4: output commitment {0} is wrong")]
    OutputCommitment(usize),
    /// Rule 5: the notes carry different assets.
    #[error("rule 5: notes carry different assets")]
    MixedAssets,
    /// Rule 5: public amounts are non-zero and `asset_pub` is not the notes' asset.
    #[error("rule 5: asset_pub does not match the asset of the public amounts")]
    AssetPub,
    /// Rule 7: inputs and outputs do not balance.
    #[error("rule 7: values do not balance")]
    Balance,
    /// Rule 8: the audit ciphertext is not the encryption of the payment to RPK.
    #[error("rule 8: audit ciphertext is wrong")]
    AuditCiphertext,
}

impl PaymentWitness {
    /// The plaintext the regulator will read.
    pub fn audited(&self) -> AuditedPayment {
        AuditedPayment {
            asset: self.inputs[0].note.asset,
            owner_in: owner_of(self.sk),
            value_in: [self.inputs[0].note.value, self.inputs[1].note.value],
            cm_in: [
                self.inputs[0].note.commitment(),
                self.inputs[1].note.commitment(),
            ],
            owner_out: [self.outputs[0].owner, self.outputs[1].owner],
            value_out: [self.outputs[0].value, self.outputs[1].value],
        }
    }

    /// The statement this witness proves under `terms` (computed, not checked: see [`check`]).
    pub fn statement(&self, terms: &PaymentTerms) -> PaymentPublic {
        let nk = nullifier_key_of(self.sk);
        PaymentPublic {
            anchor: terms.anchor,
            nullifiers: std::array::from_fn(|i| {
                let s = &self.inputs[i];
                nullifier(nk, s.note.commitment(), s.path.pos)
            }),
            output_commitments: std::array::from_fn(|j| self.outputs[j].commitment()),
            v_in_pub: terms.v_in_pub,
            v_out_pub: terms.v_out_pub,
            fee: terms.fee,
            asset_pub: terms.asset_pub,
            rpk: terms.rpk,
            audit: encrypt(&terms.rpk, &self.audited().to_plaintext(), &self.audit_r),
            binding: terms.binding,
        }
    }
}

/// Checks every rule natively (the twin of the circuit; builders call it before proving).
pub fn check(public: &PaymentPublic, w: &PaymentWitness) -> Result<(), PaymentRule> {
    let owner = owner_of(w.sk);
    let nk = nullifier_key_of(w.sk);
    for (i, s) in w.inputs.iter().enumerate() {
        if s.note.owner != owner {
            return Err(PaymentRule::Ownership(i));
        }
        let cm = s.note.commitment();
        if s.note.value != 0 && s.path.root(TreeKind::NOTES, cm) != public.anchor {
            return Err(PaymentRule::Membership(i));
        }
        if nullifier(nk, cm, s.path.pos) != public.nullifiers[i] {
            return Err(PaymentRule::Nullifier(i));
        }
    }
    for (j, n) in w.outputs.iter().enumerate() {
        if n.commitment() != public.output_commitments[j] {
            return Err(PaymentRule::OutputCommitment(j));
        }
    }
    let a = w.inputs[0].note.asset;
    if w.inputs[1].note.asset != a || w.outputs.iter().any(|n| n.asset != a) {
        return Err(PaymentRule::MixedAssets);
    }
    let public_total = public.v_in_pub as u128 + public.v_out_pub as u128 + public.fee as u128;
    if public_total != 0 && a != public.asset_pub {
        return Err(PaymentRule::AssetPub);
    }
    let ins: u128 =
        w.inputs.iter().map(|s| s.note.value as u128).sum::<u128>() + public.v_in_pub as u128;
    let outs: u128 = w.outputs.iter().map(|n| n.value as u128).sum::<u128>()
        + public.v_out_pub as u128
        + public.fee as u128;
    if ins != outs {
        return Err(PaymentRule::Balance);
    }
    let expected = encrypt(&public.rpk, &w.audited().to_plaintext(), &w.audit_r);
    if expected != public.audit {
        return Err(PaymentRule::AuditCiphertext);
    }
    Ok(())
}

/// A zero-value dummy input owned by `sk`, for one-note spends. Its position is arbitrary (its
/// path is not checked), so callers pass a fresh random `pos` to keep its nullifier unique.
pub fn dummy_input(sk: Fr, asset: Fr, pos: u64, rho: Fr, rcm: Fr) -> SpentNote {
    SpentNote {
        note: Note {
            asset,
            value: 0,
            owner: owner_of(sk),
            rho,
            rcm,
        },
        path: MerklePath {
            pos: pos & (TreeKind::NOTES.capacity() - 1),
            siblings: vec![[Fr::zero(); 3]; TreeKind::NOTES.depth],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        for v in [[0, 0], [1, u64::MAX], [u64::MAX, u64::MAX], [12345, 0]] {
            assert_eq!(unpack_values(pack_values(v)), Some(v));
        }
        assert_eq!(unpack_values(-Fr::from(1u64)), None);
    }
}
