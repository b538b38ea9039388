//! Fixtures and proptest generators for tests (feature `test-utils`).

use crate::{
    audit::RegulatorSecretKey,
    ecc::JubjubScalar,
    keys::SpendingKey,
    merkle::{MerkleTree, TreeKind},
    note::Note,
    payment::{dummy_input, PaymentPublic, PaymentTerms, PaymentWitness, SpentNote},
};
use ark_bls12_381::Fr;
use ark_ff::Zero;
use ark_std::UniformRand;
use rand::{CryptoRng, RngCore};

/// What a generated payment looks like. `Default` is a fee-less private transfer 30 + 12 → 25 + 17.
#[derive(Clone, Debug)]
pub struct PaymentSpec {
    /// Input values; a zero value becomes a dummy input outside the tree.
    pub value_in: [u64; 2],
    /// Output values.
    pub value_out: [u64; 2],
    /// Deposit, withdrawal, fee.
    pub public: [u64; 3],
    /// `asset_pub`: `None` means "the notes' asset when a public amount is non-zero, else 0".
    pub asset_pub: Option<Fr>,
    /// Owner of input 0 if it should not be the spender's (breaks rule 1).
    pub foreign_input_owner: Option<Fr>,
    /// Asset of output 1 if it should differ (breaks rule 5).
    pub foreign_output_asset: Option<Fr>,
}

impl Default for PaymentSpec {
    fn default() -> Self {
        PaymentSpec {
            value_in: [30, 12],
            value_out: [25, 17],
            public: [0, 0, 0],
            asset_pub: None,
            foreign_input_owner: None,
            foreign_output_asset: None,
        }
    }
}

/// A generated payment with everything around it.
#[derive(Clone, Debug)]
pub struct PaymentCase {
    /// The statement (computed from the witness, not checked).
    pub public: PaymentPublic,
    /// The witness.
    pub witness: PaymentWitness,
    /// The terms the statement was computed under.
    pub terms: PaymentTerms,
    /// The regulator.
    pub rsk: RegulatorSecretKey,
    /// The note tree holding the inputs among other leaves.
    pub tree: MerkleTree,
}

impl PaymentCase {
    /// Recomputes the statement after the witness or terms changed.
    pub fn restate(&mut self) {
        self.public = self.witness.statement(&self.terms);
    }
}

/// Builds a payment following `spec`.
pub fn payment_case<R: RngCore + CryptoRng>(spec: &PaymentSpec, rng: &mut R) -> PaymentCase {
    let sk = SpendingKey::random(rng);
    let asset = Fr::from(7u64);
    let rsk = RegulatorSecretKey(JubjubScalar::rand(rng));
    let mut tree = MerkleTree::new(TreeKind::NOTES);
    for _ in 0..5 {
        tree.append(Fr::rand(rng)).ok();
    }
    // Append the real inputs first (with a random leaf after each), then take their paths.
    let mut placed = Vec::new();
    for (i, v) in spec.value_in.iter().enumerate() {
        if *v == 0 {
            placed.push(None);
            continue;
        }
        let owner = match (i, spec.foreign_input_owner) {
            (0, Some(o)) => o,
            _ => sk.owner(),
        };
        let note = Note::new(asset, *v, owner, rng);
        let pos = tree.append(note.commitment()).unwrap_or_default();
        tree.append(Fr::rand(rng)).ok();
        placed.push(Some((note, pos)));
    }
    let mut inputs = Vec::new();
    for p in placed {
        inputs.push(
            match p.and_then(|(note, pos)| tree.path(pos).ok().map(|path| (note, path))) {
                Some((note, path)) => SpentNote { note, path },
                None => dummy_input(sk.0, asset, rng.next_u64(), Fr::rand(rng), Fr::rand(rng)),
            },
        );
    }
    let recipient = SpendingKey::random(rng).owner();
    let outputs = [
        Note::new(asset, spec.value_out[0], recipient, rng),
        Note::new(
            spec.foreign_output_asset.unwrap_or(asset),
            spec.value_out[1],
            sk.owner(),
            rng,
        ),
    ];
    let [v_in_pub, v_out_pub, fee] = spec.public;
    let asset_pub = spec.asset_pub.unwrap_or(if v_in_pub + v_out_pub + fee > 0 {
        asset
    } else {
        Fr::zero()
    });
    let terms = PaymentTerms {
        anchor: tree.root(),
        v_in_pub,
        v_out_pub,
        fee,
        asset_pub,
        rpk: rsk.public_key(),
        binding: Fr::rand(rng),
    };
    let mut it = inputs.into_iter();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        unreachable!("two inputs were pushed")
    };
    let witness = PaymentWitness {
        sk: sk.0,
        inputs: [a, b],
        outputs,
        audit_r: JubjubScalar::rand(rng),
    };
    let public = witness.statement(&terms);
    PaymentCase {
        public,
        witness,
        terms,
        rsk,
        tree,
    }
}

/// A consent story: an owner's grant to an institution, sitting in a grant tree.
#[derive(Clone, Debug)]
pub struct ConsentCase {
    /// The data owner's key.
    pub owner_sk: SpendingKey,
    /// The institution's key.
    pub inst_sk: SpendingKey,
    /// The grant.
    pub grant: crate::grant::Grant,
    /// Grant tree holding the grant among others.
    pub tree: MerkleTree,
    /// Position of the grant.
    pub pos: u64,
    /// The regulator.
    pub rsk: RegulatorSecretKey,
    /// Time of the access (before expiry).
    pub now: u64,
}

/// Builds a consent case: expiry 2,000,000, access at 1,500,000.
pub fn consent_case<R: RngCore + CryptoRng>(rng: &mut R) -> ConsentCase {
    use crate::grant::Grant;
    let owner_sk = SpendingKey::random(rng);
    let inst_sk = SpendingKey::random(rng);
    let grant = Grant {
        owner_id: owner_sk.owner(),
        inst_id: inst_sk.owner(),
        dataset: Fr::from(11u64),
        purpose: Fr::from(22u64),
        expiry: 2_000_000,
        gsecret: Fr::rand(rng),
    };
    let mut tree = MerkleTree::new(TreeKind::GRANTS);
    for _ in 0..3 {
        tree.append(Fr::rand(rng)).ok();
    }
    let pos = tree.append(grant.commitment()).unwrap_or_default();
    tree.append(Fr::rand(rng)).ok();
    ConsentCase {
        owner_sk,
        inst_sk,
        grant,
        tree,
        pos,
        rsk: RegulatorSecretKey(JubjubScalar::rand(rng)),
        now: 1_500_000,
    }
}

impl ConsentCase {
    /// The grant witness.
    pub fn grant_witness<R: RngCore + CryptoRng>(&self, rng: &mut R) -> crate::grant::GrantWitness {
        crate::grant::GrantWitness {
            sk_owner: self.owner_sk.0,
            grant: self.grant,
            audit_r: JubjubScalar::rand(rng),
        }
    }

    /// The access witness (path from the current tree).
    pub fn access_witness<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
    ) -> crate::access::AccessWitness {
        crate::access::AccessWitness {
            sk_inst: self.inst_sk.0,
            grant: self.grant,
            path: self
                .tree
                .path(self.pos)
                .unwrap_or_else(|_| unreachable!("grant was appended")),
            audit_r: JubjubScalar::rand(rng),
        }
    }

    /// The revoke witness and statement.
    pub fn revoke(
        &self,
        binding: Fr,
    ) -> (crate::revoke::RevokePublic, crate::revoke::RevokeWitness) {
        (
            crate::revoke::RevokePublic {
                pos: self.pos,
                gcm: self.grant.commitment(),
                binding,
            },
            crate::revoke::RevokeWitness {
                sk_owner: self.owner_sk.0,
                grant: self.grant,
            },
        )
    }
}
