//! The canonical, versioned binary encoding of [`Transaction`]s, and the hashes taken over it.
//!
//! ```text
//! tx        = version:u8 kind:u8 body [signature] [proof]      (≤ MAX_TX_BYTES)
//! body      = the kind's fields in struct order (see the `*Tx` types in `tx.rs`)
//! signature = payments only: 0x00 | 0x01 issuer:[u8; 32] signature:[u8; 64]
//! proof     = A (G1, 48 B) B (G2, 96 B) C (G1, 48 B), arkworks compressed; every kind but a
//!             rotation
//! rotation  = old:Jubjub new:Jubjub from_height:u64 sequence:u64 count:u8 (1..=16)
//!             count × (index:u16 V:Jubjub e:scalar z:scalar)   (all in the body: the id covers
//!             the signatures, which sign the terms, not the id)
//!
//! Fr        = 32 B little-endian, < r                u64   = 8 B little-endian
//! Jubjub    = 32 B arkworks compressed (y, sign of x) bytes = u16 LE length ‖ bytes
//! ```
//!
//! Decoding is strict, so that exactly one byte string stands for each transaction and the id
//! and binding cannot be varied without changing the transaction: field elements must be reduced,
//! Jubjub points must be in the prime-order subgroup and not the identity, proof points on their
//! curve, in the subgroup and not the identity, byte strings within their bound, and nothing may
//! follow the proof. Re-encoding a decoded transaction gives back the input, byte for byte.
//!
//! Hashes (BLAKE2b, domain-separated by a prefix):
//!
//! * id `= BLAKE2b-256("zkreg/v1/txid" ‖ body_bytes)`, where `body_bytes` is version, kind and
//!   body, without signature and proof: issuers sign it, and the signature cannot cover itself;
//! * binding `= BLAKE2b-512("zkreg/v1/binding" ‖ chain ‖ body_bytes) mod r`, where `chain` is the
//!   genesis hash ([`ChainId`]), except that for an access the tag is left out of the preimage:
//!   the tag is `H(ACCESS, gsecret, binding)` and so cannot be an input of the binding. It needs
//!   no binding anyway: it is a public input of the proof;
//! * the issuer's signed message `= "zkreg/v1/issuer" ‖ chain ‖ id` ([`issuer_message`]).
//!
//! The id is chain-free (it names bytes); everything that authorises — proof and signature —
//! names the chain.
//!
//! # What the verifier needs of each point
//!
//! [`Transaction::decode`] checks every point fully, whatever it costs; it is the decoder for
//! everyone (wallets, the regulator, tools). The validator's block path
//! ([`crate::VerifyingKeys::decode_and_verify`]) reaches **exactly the same verdicts and errors**
//! with less work, point by point:
//!
//! * **Proof points `A, C` (G1) and `B` (G2):** fully checked, always (on the curve, in the
//!   subgroup, not the identity): Groth16's soundness and the batch check's `2^-128` bound are
//!   stated for subgroup points, and nothing else vouches for them. Only the library changes:
//!   `blst`'s checked decompression when it accepts, arkworks' (which names the failure) when it
//!   does not.
//! * **`rpk` (regulator key, payment, grant, access):** the ledger accepts only the key the
//!   genesis pins for the height (`Rule::WrongRegulatorKey`, the one place that rule lives), and
//!   the genesis keys were fully checked once when the keys were configured
//!   ([`crate::VerifyingKeys::with_pinned_points`]). So when the 32 bytes equal a pinned key's
//!   canonical encoding, decoding returns that key without decompression or subgroup check: the
//!   same point the full check would have returned. Any other bytes take the full check (and, if
//!   valid, are refused by the ledger's rule). Nothing is skipped: the result is identical.
//! * **`audit.r` (`R = r·G` of the audit ciphertext):** the statement proves `R = r·G`
//!   in-circuit (`circuits/src/audit/constraints.rs`, `enforce_encryption`: the public `R` is
//!   constrained equal to a fixed-base multiple of the generator, with complete twisted Edwards
//!   addition), so a transaction whose proof verifies has its `R` in the prime-order subgroup.
//!   What its public-input use needs before that is only a well-defined pair of coordinates:
//!   decompression (which finds `x` on the curve, or fails) and the non-identity rule. The
//!   subgroup check (≈ 75 µs, a 252-bit scalar multiplication) is therefore redundant for every
//!   transaction whose proof verifies. For a transaction whose proof does *not* verify (or that
//!   fails a stateless check), the block path runs the full [`Transaction::decode`] again and
//!   reports its error if it has one, so a non-subgroup `R` is still refused as
//!   `InvalidPoint { field: "audit.r", reason: NotInSubgroup }`, at the same place in the
//!   order of checks. Nothing that leaves the verifier (into the ledger, to the regulator) has an
//!   `R` that was not either subgroup-checked or proven.

use crate::backend::{self, Backend};
use crate::rotation::MAX_ROTATION_SIGNERS;
use crate::tx::{
    AccessTx, ChainId, GrantTx, Groth16Proof, IssuerSignature, PaymentTx, RevokeTx, RotateTx,
    RotationSigner, RotationTerms, SchnorrSignature, Transaction, TxId, TxKind, MAX_DELIVERY_BYTES,
    MAX_DESTINATION_BYTES, MAX_MEMO_BYTES, MAX_REQUEST_BYTES, MAX_TX_BYTES, TX_VERSION,
};
use ark_bls12_381::{Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use blake2::{digest::consts::U32, Blake2b, Blake2b512, Digest};
use zkreg_circuits::{
    audit::AuditCiphertext,
    ecc::{checked_public_key, JubjubAffine, JubjubScalar, PointError},
};

/// Bytes of an encoded field element.
pub const FR_BYTES: usize = 32;
/// Bytes of an encoded Jubjub point.
pub const JUBJUB_BYTES: usize = 32;
/// Bytes of a compressed G1 point.
pub const G1_BYTES: usize = 48;
/// Bytes of a compressed G2 point.
pub const G2_BYTES: usize = 96;
/// Bytes of an encoded proof.
pub const PROOF_BYTES: usize = 2 * G1_BYTES + G2_BYTES;
/// Prefix of the transaction id preimage.
pub const TXID_PREFIX: &[u8] = b"zkreg/v1/txid";
/// Prefix of the binding preimage.
pub const BINDING_PREFIX: &[u8] = b"zkreg/v1/binding";
/// Prefix of the message an issuer signs.
pub const ISSUER_PREFIX: &[u8] = b"zkreg/v1/issuer";

/// What an issuer signs to authorise the deposit or withdrawal `id` on `chain`:
/// `"zkreg/v1/issuer" ‖ chain ‖ id`.
pub fn issuer_message(chain: &ChainId, id: &TxId) -> Vec<u8> {
    let mut m = Vec::with_capacity(ISSUER_PREFIX.len() + 64);
    m.extend_from_slice(ISSUER_PREFIX);
    m.extend_from_slice(chain);
    m.extend_from_slice(id);
    m
}

/// Why bytes are not a transaction. `offset` is where the offending field starts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is longer than [`MAX_TX_BYTES`] (checked before anything is parsed).
    #[error("transaction is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The input ends inside `field`.
    #[error("truncated: {field} at byte {offset} needs {needed} bytes, {available} left")]
    Truncated {
        /// Field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// The first byte is not [`TX_VERSION`].
    #[error("unknown encoding version {found}")]
    UnknownVersion {
        /// The version byte read.
        found: u8,
    },
    /// The second byte names no [`TxKind`].
    #[error("unknown transaction kind {found}")]
    UnknownKind {
        /// The kind byte read.
        found: u8,
    },
    /// A field element is not reduced (its value is ≥ the modulus of `Fr`).
    #[error("{field} at byte {offset} is not a canonical field element")]
    NonCanonicalField {
        /// Field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A Jubjub point is not on the curve (no point has this encoding), outside the prime-order
    /// subgroup, or the identity.
    #[error("{field} at byte {offset} is not a valid Jubjub point: {reason}")]
    InvalidPoint {
        /// Field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Which check failed.
        #[source]
        reason: PointError,
    },
    /// A byte string's length prefix exceeds the field's bound.
    #[error("{field} at byte {offset} is {len} bytes, more than the {max} allowed")]
    TooLong {
        /// Field being read.
        field: &'static str,
        /// Where its length prefix starts.
        offset: usize,
        /// Length announced.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The issuer-signature presence byte is neither 0 nor 1.
    #[error("signature presence byte at {offset} is {found}, not 0 or 1")]
    InvalidPresence {
        /// Where it is.
        offset: usize,
        /// The byte read.
        found: u8,
    },
    /// A proof point is not a canonical compressed encoding of a point on its curve and in its
    /// prime-order subgroup.
    #[error("{field} at byte {offset} is not a valid compressed subgroup point")]
    InvalidProofPoint {
        /// Field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A proof point is the identity (never produced by an honest prover).
    #[error("{field} at byte {offset} is the identity")]
    ProofIdentity {
        /// Field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A rotation's signer count is 0 or above [`MAX_ROTATION_SIGNERS`].
    #[error("signer count at byte {offset} is {found}, not 1..={max}")]
    SignerCount {
        /// Where it is.
        offset: usize,
        /// The count read.
        found: u8,
        /// The bound.
        max: usize,
    },
    /// Bytes follow the proof.
    #[error("{count} trailing bytes at {offset}")]
    TrailingBytes {
        /// Where the proof ended.
        offset: usize,
        /// How many bytes follow it.
        count: usize,
    },
    /// The input decodes but does not re-encode to itself; the field checks above should make
    /// this unreachable, the final comparison makes canonicity a checked property, not an argument.
    #[error("encoding is not canonical")]
    NonCanonical,
}

impl TryFrom<u8> for TxKind {
    type Error = DecodeError;

    fn try_from(found: u8) -> Result<Self, DecodeError> {
        match found {
            1 => Ok(TxKind::Payment),
            2 => Ok(TxKind::Grant),
            3 => Ok(TxKind::Access),
            4 => Ok(TxKind::Revoke),
            5 => Ok(TxKind::Rotate),
            _ => Err(DecodeError::UnknownKind { found }),
        }
    }
}

/// Which preimage a body is written for (only an access differs, see the module doc).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Preimage {
    /// Id and encoding: every body field.
    Full,
    /// Binding: an access without its tag.
    Binding,
}

impl Transaction {
    /// The kind byte of this transaction.
    pub fn kind(&self) -> TxKind {
        match self {
            Transaction::Payment(_) => TxKind::Payment,
            Transaction::Grant(_) => TxKind::Grant,
            Transaction::Access(_) => TxKind::Access,
            Transaction::Revoke(_) => TxKind::Revoke,
            Transaction::Rotate(_) => TxKind::Rotate,
        }
    }

    /// The proof (`None` for a rotation, the one kind without a statement).
    pub fn proof(&self) -> Option<&Groth16Proof> {
        match self {
            Transaction::Payment(tx) => Some(&tx.proof),
            Transaction::Grant(tx) => Some(&tx.proof),
            Transaction::Access(tx) => Some(&tx.proof),
            Transaction::Revoke(tx) => Some(&tx.proof),
            Transaction::Rotate(_) => None,
        }
    }

    /// The canonical encoding. A transaction whose byte strings exceed their bounds encodes to
    /// bytes that [`Transaction::decode`] refuses.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.write_body(&mut w, Preimage::Full);
        if let Transaction::Payment(tx) = self {
            w.signature(tx.issuer_signature.as_ref());
        }
        if let Some(proof) = self.proof() {
            w.proof(proof);
        }
        w.0
    }

    /// Version, kind and body: everything but the issuer signature and the proof.
    pub fn body_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.write_body(&mut w, Preimage::Full);
        w.0
    }

    /// `BLAKE2b-256("zkreg/v1/txid" ‖ body_bytes)`: what issuers sign and the ledger indexes.
    pub fn id(&self) -> TxId {
        Blake2b::<U32>::new()
            .chain_update(TXID_PREFIX)
            .chain_update(self.body_bytes())
            .finalize()
            .into()
    }

    /// `BLAKE2b-512("zkreg/v1/binding" ‖ chain ‖ body) mod r` (for an access, the body without
    /// the tag): the public input that ties the proof to every non-proof field and to the chain.
    /// 512 bits make the reduction mod r statistically uniform.
    pub fn binding(&self, chain: &ChainId) -> Fr {
        let mut w = Writer::default();
        self.write_body(&mut w, Preimage::Binding);
        let digest = Blake2b512::new()
            .chain_update(BINDING_PREFIX)
            .chain_update(chain)
            .chain_update(&w.0)
            .finalize();
        Fr::from_le_bytes_mod_order(&digest)
    }

    /// The statement's public inputs on `chain`, in the circuit's `layout` order (none for a
    /// rotation).
    pub fn public_inputs(&self, chain: &ChainId) -> Vec<Fr> {
        let binding = self.binding(chain);
        match self {
            Transaction::Payment(tx) => tx.public(binding).to_field_elements(),
            Transaction::Grant(tx) => tx.public(binding).to_field_elements(),
            Transaction::Access(tx) => tx.public(binding).to_field_elements(),
            Transaction::Revoke(tx) => tx.public(binding).to_field_elements(),
            Transaction::Rotate(_) => Vec::new(),
        }
    }

    fn write_body(&self, w: &mut Writer, preimage: Preimage) {
        w.u8(TX_VERSION);
        w.u8(self.kind() as u8);
        match self {
            Transaction::Payment(tx) => {
                w.fr(&tx.anchor);
                tx.nullifiers.iter().for_each(|x| w.fr(x));
                tx.output_commitments.iter().for_each(|x| w.fr(x));
                w.u64(tx.v_in_pub);
                w.u64(tx.v_out_pub);
                w.u64(tx.fee);
                w.fr(&tx.asset_pub);
                w.point(&tx.rpk);
                w.audit(&tx.audit);
                tx.deliveries.iter().for_each(|d| w.bytes(d));
                w.bytes(&tx.destination);
                w.bytes(&tx.memo);
            }
            Transaction::Grant(tx) => {
                w.fr(&tx.gcm);
                w.point(&tx.rpk);
                w.audit(&tx.audit);
                w.bytes(&tx.delivery);
                w.bytes(&tx.memo);
            }
            Transaction::Access(tx) => {
                w.fr(&tx.grant_root);
                w.u64(tx.now);
                if preimage == Preimage::Full {
                    w.fr(&tx.tag);
                }
                w.point(&tx.rpk);
                w.audit(&tx.audit);
                w.bytes(&tx.request);
            }
            Transaction::Revoke(tx) => {
                w.u64(tx.pos);
                w.fr(&tx.gcm);
                w.bytes(&tx.memo);
            }
            Transaction::Rotate(tx) => {
                let t = &tx.terms;
                w.point(&t.old_rpk);
                w.point(&t.new_rpk);
                w.u64(t.from_height);
                w.u64(t.sequence);
                // An over-long list gets a count above the bound, so it never decodes.
                w.u8(u8::try_from(tx.signers.len()).unwrap_or(u8::MAX));
                for s in &tx.signers {
                    w.0.extend_from_slice(&s.index.to_le_bytes());
                    w.point(&s.key);
                    w.point(&s.signature.challenge);
                    w.point(&s.signature.response);
                }
            }
        }
    }

    /// Decodes a transaction, refusing anything but the canonical encoding of a well-formed one
    /// (see the module doc). Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Transaction, DecodeError> {
        Self::decode_with(bytes, &PointPolicy::FULL)
    }

    /// [`Transaction::decode`] with a point policy (see "What the verifier needs of each point").
    pub(crate) fn decode_with(
        bytes: &[u8],
        policy: &PointPolicy,
    ) -> Result<Transaction, DecodeError> {
        Self::decode_reader(Reader {
            bytes,
            pos: 0,
            policy,
            skip_points: false,
        })
    }

    /// The public scalar and byte fields of a transaction, without decoding a single point
    /// (no decompression, no curve, subgroup or proof-point check): for reading amounts and
    /// requests off transactions a ledger already verified (an auditor's export links every
    /// payment to them). Bounds, lengths and field elements are checked as in
    /// [`Transaction::decode`]; the points are never returned.
    pub fn public_fields(bytes: &[u8]) -> Result<PublicFields, DecodeError> {
        let tx = Self::decode_reader(Reader {
            bytes,
            pos: 0,
            policy: &PointPolicy::FULL,
            skip_points: true,
        })?;
        Ok(match tx {
            Transaction::Payment(p) => PublicFields::Payment {
                v_in_pub: p.v_in_pub,
                v_out_pub: p.v_out_pub,
                fee: p.fee,
                destination: p.destination,
            },
            Transaction::Access(a) => PublicFields::Access {
                now: a.now,
                request: a.request,
            },
            other => PublicFields::Other(other.kind()),
        })
    }

    fn decode_reader(mut r: Reader<'_>) -> Result<Transaction, DecodeError> {
        let bytes = r.bytes;
        if bytes.len() > MAX_TX_BYTES {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: MAX_TX_BYTES,
            });
        }
        let version = r.u8("version")?;
        if version != TX_VERSION {
            return Err(DecodeError::UnknownVersion { found: version });
        }
        // Struct and array expressions evaluate their operands in source order, so each literal
        // below reads its fields in the order `write_body` writes them.
        let tx = match TxKind::try_from(r.u8("kind")?)? {
            TxKind::Payment => Transaction::Payment(PaymentTx {
                anchor: r.fr("anchor")?,
                nullifiers: [r.fr("nullifiers[0]")?, r.fr("nullifiers[1]")?],
                output_commitments: [
                    r.fr("output_commitments[0]")?,
                    r.fr("output_commitments[1]")?,
                ],
                v_in_pub: r.u64("v_in_pub")?,
                v_out_pub: r.u64("v_out_pub")?,
                fee: r.u64("fee")?,
                asset_pub: r.fr("asset_pub")?,
                rpk: r.point("rpk")?,
                audit: r.audit()?,
                deliveries: [
                    r.bytes("deliveries[0]", MAX_DELIVERY_BYTES)?,
                    r.bytes("deliveries[1]", MAX_DELIVERY_BYTES)?,
                ],
                destination: r.bytes("destination", MAX_DESTINATION_BYTES)?,
                memo: r.bytes("memo", MAX_MEMO_BYTES)?,
                issuer_signature: r.signature()?,
                proof: r.proof()?,
            }),
            TxKind::Grant => Transaction::Grant(GrantTx {
                gcm: r.fr("gcm")?,
                rpk: r.point("rpk")?,
                audit: r.audit()?,
                delivery: r.bytes("delivery", MAX_DELIVERY_BYTES)?,
                memo: r.bytes("memo", MAX_MEMO_BYTES)?,
                proof: r.proof()?,
            }),
            TxKind::Access => Transaction::Access(AccessTx {
                grant_root: r.fr("grant_root")?,
                now: r.u64("now")?,
                tag: r.fr("tag")?,
                rpk: r.point("rpk")?,
                audit: r.audit()?,
                request: r.bytes("request", MAX_REQUEST_BYTES)?,
                proof: r.proof()?,
            }),
            TxKind::Revoke => Transaction::Revoke(RevokeTx {
                pos: r.u64("pos")?,
                gcm: r.fr("gcm")?,
                memo: r.bytes("memo", MAX_MEMO_BYTES)?,
                proof: r.proof()?,
            }),
            TxKind::Rotate => Transaction::Rotate(RotateTx {
                terms: RotationTerms {
                    old_rpk: r.point("old_rpk")?,
                    new_rpk: r.point("new_rpk")?,
                    from_height: r.u64("from_height")?,
                    sequence: r.u64("sequence")?,
                },
                signers: r.signers()?,
            }),
        };
        let count = bytes.len().saturating_sub(r.pos);
        if count != 0 {
            return Err(DecodeError::TrailingBytes {
                offset: r.pos,
                count,
            });
        }
        // Skipped points read as the identity, so only a full decode can compare encodings.
        if !r.skip_points && tx.encode() != bytes {
            return Err(DecodeError::NonCanonical);
        }
        Ok(tx)
    }
}

/// How [`Transaction::decode_with`] treats points; see the module doc, "What the verifier needs
/// of each point".
#[derive(Clone, Debug)]
pub(crate) struct PointPolicy {
    /// Library for the checked decompression of proof points (errors are always arkworks').
    pub(crate) backend: Backend,
    /// Jubjub points checked once, by their canonical encodings: bytes equal to one of these
    /// decode to it without repeating the checks.
    pub(crate) pinned: Vec<([u8; JUBJUB_BYTES], JubjubAffine)>,
    /// Audit `R`: decompression and non-identity only; its subgroup membership is left to the
    /// proof. Only for decoders whose result is used solely if its proof verifies.
    pub(crate) audit_r_proven: bool,
}

impl PointPolicy {
    /// Every check of every point ([`Transaction::decode`]).
    pub(crate) const FULL: PointPolicy = PointPolicy {
        backend: Backend::Blst,
        pinned: Vec::new(),
        audit_r_proven: false,
    };

    /// Every check, but pinned points by their bytes: the same results as [`Self::FULL`].
    pub(crate) fn full_with_pins(&self) -> PointPolicy {
        PointPolicy {
            audit_r_proven: false,
            ..self.clone()
        }
    }
}

/// The canonical encoding of a Jubjub point.
pub(crate) fn jubjub_bytes(p: &JubjubAffine) -> [u8; JUBJUB_BYTES] {
    let mut w = Writer::default();
    w.point(p);
    let mut out = [0u8; JUBJUB_BYTES];
    out.iter_mut().zip(&w.0).for_each(|(o, b)| *o = *b);
    out
}

/// Appends encoded fields.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn fr(&mut self, x: &Fr) {
        self.0.extend_from_slice(&x.into_bigint().to_bytes_le());
    }

    /// Jubjub points and proof points: arkworks compressed.
    fn point<P: CanonicalSerialize>(&mut self, p: &P) {
        p.serialize_compressed(&mut self.0)
            .unwrap_or_else(|_| unreachable!("writing to a Vec cannot fail"));
    }

    fn audit<const N: usize>(&mut self, ct: &AuditCiphertext<N>) {
        self.point(&ct.r_point);
        ct.c.iter().for_each(|x| self.fr(x));
    }

    /// Length-prefixed bytes. An over-long string gets the prefix `u16::MAX`, above every bound,
    /// so its encoding can never be mistaken for a decodable one.
    fn bytes(&mut self, b: &[u8]) {
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(b);
    }

    fn signature(&mut self, sig: Option<&IssuerSignature>) {
        match sig {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.0.extend_from_slice(&s.issuer);
                self.0.extend_from_slice(&s.signature);
            }
        }
    }

    fn proof(&mut self, proof: &Groth16Proof) {
        self.point(&proof.a);
        self.point(&proof.b);
        self.point(&proof.c);
    }
}

/// What [`Transaction::public_fields`] reads: a transaction's public amounts and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicFields {
    /// A payment's public amounts and withdrawal destination.
    Payment {
        /// Public deposit.
        v_in_pub: u64,
        /// Public withdrawal.
        v_out_pub: u64,
        /// Fee.
        fee: u64,
        /// Withdrawal destination.
        destination: Vec<u8>,
    },
    /// An access's claimed time and request.
    Access {
        /// Claimed access time.
        now: u64,
        /// The data service's request.
        request: Vec<u8>,
    },
    /// Another kind (no fields an audit record reads).
    Other(TxKind),
}

/// Reads fields off the input, tracking the offset for error messages. Every read is bounds
/// checked; nothing here can panic.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    policy: &'a PointPolicy,
    /// Points are skipped (bounds only, read as the identity): [`Transaction::public_fields`].
    skip_points: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let truncated = DecodeError::Truncated {
            field,
            offset: self.pos,
            needed: n,
            available: self.bytes.len().saturating_sub(self.pos),
        };
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let out = self.bytes.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let offset = self.pos;
        let slice = self.take(N, field)?;
        slice.try_into().map_err(|_| DecodeError::Truncated {
            field,
            offset,
            needed: N,
            available: slice.len(),
        })
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    fn fr(&mut self, field: &'static str) -> Result<Fr, DecodeError> {
        let offset = self.pos;
        let bytes: [u8; FR_BYTES] = self.array(field)?;
        let mut limbs = [0u64; 4];
        for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *limb = u64::from_le_bytes(b);
        }
        // `from_bigint` refuses values ≥ r instead of reducing them.
        Fr::from_bigint(BigInt(limbs)).ok_or(DecodeError::NonCanonicalField { field, offset })
    }

    /// A Jubjub point with [`checked_public_key`]'s checks: on the curve, in the prime-order
    /// subgroup, not the identity. Decompression runs with `Validate::No` only because
    /// `checked_public_key` then performs the curve and subgroup checks `Validate::Yes` would,
    /// once, and says which one failed.
    fn point(&mut self, field: &'static str) -> Result<JubjubAffine, DecodeError> {
        self.jubjub(field, false)
    }

    /// [`Self::point`]; `proven`: the statement proves the point is in the subgroup, so only
    /// decompression and the non-identity rule run here (module doc).
    fn jubjub(&mut self, field: &'static str, proven: bool) -> Result<JubjubAffine, DecodeError> {
        let offset = self.pos;
        let bytes = self.take(JUBJUB_BYTES, field)?;
        if self.skip_points {
            return Ok(JubjubAffine::zero());
        }
        if let Some((_, p)) = self.policy.pinned.iter().find(|(b, _)| b == bytes) {
            return Ok(*p);
        }
        let invalid = |reason| DecodeError::InvalidPoint {
            field,
            offset,
            reason,
        };
        // Decompression fails when y ≥ p or no x solves the curve equation for y.
        let p = JubjubAffine::deserialize_with_mode(bytes, Compress::Yes, Validate::No)
            .map_err(|_| invalid(PointError::NotOnCurve))?;
        if proven {
            if p.is_zero() {
                return Err(invalid(PointError::Identity));
            }
            return Ok(p);
        }
        checked_public_key(p.x, p.y).map_err(invalid)
    }

    fn audit<const N: usize>(&mut self) -> Result<AuditCiphertext<N>, DecodeError> {
        let r_point = self.jubjub("audit.r", self.policy.audit_r_proven)?;
        let mut c = [Fr::zero(); N];
        for x in c.iter_mut() {
            *x = self.fr("audit.c")?;
        }
        Ok(AuditCiphertext { r_point, c })
    }

    fn bytes(&mut self, field: &'static str, max: usize) -> Result<Vec<u8>, DecodeError> {
        let offset = self.pos;
        let len = usize::from(u16::from_le_bytes(self.array(field)?));
        if len > max {
            return Err(DecodeError::TooLong {
                field,
                offset,
                len,
                max,
            });
        }
        Ok(self.take(len, field)?.to_vec())
    }

    /// A Jubjub scalar: 32 bytes little-endian, below the group order.
    fn scalar(&mut self, field: &'static str) -> Result<JubjubScalar, DecodeError> {
        let offset = self.pos;
        let bytes = self.take(32, field)?;
        JubjubScalar::deserialize_compressed(bytes)
            .map_err(|_| DecodeError::NonCanonicalField { field, offset })
    }

    /// A rotation's signers: a count in `1..=MAX_ROTATION_SIGNERS`, then each signer. Member
    /// keys get every point check: no proof vouches for them.
    fn signers(&mut self) -> Result<Vec<RotationSigner>, DecodeError> {
        let offset = self.pos;
        let found = self.u8("signers.count")?;
        if found == 0 || usize::from(found) > MAX_ROTATION_SIGNERS {
            return Err(DecodeError::SignerCount {
                offset,
                found,
                max: MAX_ROTATION_SIGNERS,
            });
        }
        (0..found)
            .map(|_| {
                Ok(RotationSigner {
                    index: u16::from_le_bytes(self.array("signers.index")?),
                    key: self.jubjub("signers.key", false)?,
                    signature: SchnorrSignature {
                        challenge: self.scalar("signers.e")?,
                        response: self.scalar("signers.z")?,
                    },
                })
            })
            .collect()
    }

    fn signature(&mut self) -> Result<Option<IssuerSignature>, DecodeError> {
        let offset = self.pos;
        match self.u8("issuer_signature")? {
            0 => Ok(None),
            1 => Ok(Some(IssuerSignature {
                issuer: self.array("issuer_signature.issuer")?,
                signature: self.array("issuer_signature.signature")?,
            })),
            found => Err(DecodeError::InvalidPresence { offset, found }),
        }
    }

    /// A G1 or G2 point: arkworks' checked decompression (flags, x < q, on curve, subgroup),
    /// then the identity is refused.
    /// `fast`: the backend's checked decompression, trusted when it accepts; on refusal arkworks
    /// decides and names the error, so errors never depend on the backend.
    fn group<P: AffineRepr + CanonicalDeserialize>(
        &mut self,
        field: &'static str,
        len: usize,
        fast: fn(&[u8]) -> Option<P>,
    ) -> Result<P, DecodeError> {
        let offset = self.pos;
        let bytes = self.take(len, field)?;
        if self.skip_points {
            return Ok(P::zero());
        }
        if self.policy.backend == Backend::Blst {
            if let Some(p) = fast(bytes) {
                return Ok(p);
            }
        }
        let p = P::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes)
            .map_err(|_| DecodeError::InvalidProofPoint { field, offset })?;
        if p.is_zero() {
            return Err(DecodeError::ProofIdentity { field, offset });
        }
        Ok(p)
    }

    fn proof(&mut self) -> Result<Groth16Proof, DecodeError> {
        Ok(Groth16Proof {
            a: self.group::<G1Affine>("proof.a", G1_BYTES, backend::g1_checked)?,
            b: self.group::<G2Affine>("proof.b", G2_BYTES, backend::g2_checked)?,
            c: self.group::<G1Affine>("proof.c", G1_BYTES, backend::g1_checked)?,
        })
    }
}
