//! Poseidon over the BLS12-381 scalar field `Fr`, with one domain tag per hash use.
//!
//! # Parameters
//!
//! * S-box `x^5` (5 is the smallest `α` with `gcd(α, r − 1) = 1` for this field; `x^3` is not a
//!   permutation here and is never used).
//! * `R_F = 8` full rounds for every width.
//! * `R_P` partial rounds per width `t`, from [`partial_rounds`]: width 3 uses 57 as DESIGN.md fixes.
//!   For the other widths we ran the Poseidon paper's round-number script (`calc_round_numbers.py`,
//!   both the original and the 2023/537-updated inequalities, ported in
//!   `params/poseidon_rounds.py`) for a 255-bit field, `α = 5`, `M = 128`, with its security margin
//!   (`R_F + 2`, `R_P · 1.075`): it gives 56–57 for `t = 2..13`. The widely used published table for
//!   ~255-bit fields is higher for some widths (60 for `t = 5`, 63 for `t = 7`, ...). We take the
//!   maximum of the two and never fewer than 57, so no width is weaker than the fixed width 3.
//! * Round constants and MDS matrix from the Grain LFSR:
//!   [`ark_crypto_primitives::sponge::poseidon::find_poseidon_ark_and_mds`] with the field's 255
//!   bits, the width's rate, `R_F`, `R_P` and no skipped matrices.
//!
//! # Hashing with a domain tag
//!
//! `H(tag, x_1..x_n)` is one permutation of width `t = n + 1`: the capacity lane starts at the
//! domain tag, the rate lanes absorb `x_1..x_n`, and the output is the first rate lane after the
//! permutation. DESIGN.md asks for the tag to be "absorbed first"; placing it in the capacity lane
//! is the standard equivalent (as in Neptune/Filecoin): every use is separated, the width fixes the
//! arity, and it costs no extra rate lane, which saves a wider permutation in every hash.
//!
//! The keystream of the audit encryption uses the same construction as a sponge that absorbs two
//! elements and squeezes `n`: one permutation of width `n + 1`.

#[cfg(feature = "r1cs")]
pub mod constraints;

use ark_bls12_381::Fr;
use ark_crypto_primitives::sponge::poseidon::{find_poseidon_ark_and_mds, PoseidonConfig};
use ark_ff::{Field, PrimeField, Zero};
use std::sync::OnceLock;

/// Number of full rounds (all widths).
pub const FULL_ROUNDS: usize = 8;
/// The S-box exponent.
pub const ALPHA: u64 = 5;
/// Smallest supported width (1 input + capacity).
pub const MIN_WIDTH: usize = 2;
/// Largest supported width.
pub const MAX_WIDTH: usize = 13;

/// Partial rounds for width `t` (see the module docs for where the numbers come from).
pub const fn partial_rounds(width: usize) -> usize {
    match width {
        2..=4 => 57,
        5 | 6 | 10 | 12 => 60,
        7 | 9 => 63,
        8 => 64,
        11 => 66,
        13 => 65,
        _ => panic!("unsupported Poseidon width"),
    }
}

/// One domain tag per hash use. The tag is the little-endian field element of its ASCII label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Domain {
    /// Owner id `owner = H(OWNER, sk)`.
    Owner,
    /// Nullifier key `nk = H(NK, sk)`.
    NullifierKey,
    /// Note commitment `cm = H(NOTE_CM, asset, value, owner, rho, rcm)`.
    NoteCommitment,
    /// Nullifier `nf = H(NF, nk, cm, pos)`.
    Nullifier,
    /// Inner node of the note commitment tree.
    NoteTreeNode,
    /// Inner node of the grant tree.
    GrantTreeNode,
    /// Keystream of the regulator audit encryption.
    AuditKeystream,
    /// Grant commitment `gcm = H(GRANT, g)`.
    Grant,
    /// Access tag `tag = H(ACCESS, gsecret, binding)`.
    AccessTag,
}

impl Domain {
    /// The ASCII label whose bytes form the tag.
    pub const fn label(self) -> &'static str {
        match self {
            Domain::Owner => "zkreg/v1/owner",
            Domain::NullifierKey => "zkreg/v1/nk",
            Domain::NoteCommitment => "zkreg/v1/note_cm",
            Domain::Nullifier => "zkreg/v1/nf",
            Domain::NoteTreeNode => "zkreg/v1/note_tree_node",
            Domain::GrantTreeNode => "zkreg/v1/grant_tree_node",
            Domain::AuditKeystream => "zkreg/v1/audit_keystream",
            Domain::Grant => "zkreg/v1/grant",
            Domain::AccessTag => "zkreg/v1/access",
        }
    }

    /// The tag as a field element (labels are < 31 bytes, so this is injective).
    pub fn tag(self) -> Fr {
        Fr::from_le_bytes_mod_order(self.label().as_bytes())
    }
}

/// The Poseidon configuration of width `width` (cached; built once per process).
pub fn config(width: usize) -> &'static PoseidonConfig<Fr> {
    static CONFIGS: [OnceLock<PoseidonConfig<Fr>>; MAX_WIDTH + 1] =
        [const { OnceLock::new() }; MAX_WIDTH + 1];
    assert!(
        (MIN_WIDTH..=MAX_WIDTH).contains(&width),
        "Poseidon width {width} is not supported"
    );
    CONFIGS[width].get_or_init(|| {
        let rate = width - 1;
        let partial = partial_rounds(width);
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            Fr::MODULUS_BIT_SIZE as u64,
            rate,
            FULL_ROUNDS as u64,
            partial as u64,
            0,
        );
        PoseidonConfig::new(FULL_ROUNDS, partial, ALPHA, mds, ark, rate, 1)
    })
}

/// A width's constants rearranged for the native permutation ([`permute`]).
///
/// Full rounds run as the specification writes them. The partial rounds, where only lane 0 goes
/// through the S-box, use the standard equivalent form (Poseidon paper, appendix B):
///
/// * **constants:** a partial round's constants outside lane 0 pass through the S-box
///   unchanged, so `M·(0, c₁..)` is carried into the next round's constants; each partial round
///   keeps one constant (lane 0) and the carry after the last lands in the first full round
///   after them;
/// * **matrices:** with `M = [[m₀₀, v],[w, M̂]]`, the state after partial round `r` is
///   `diag(1, M̂^(r+1))·z` where `z` evolves by the sparse matrices
///   `[[m₀₀, v·M̂^r],[M̂^−(r+1)·w, I]]` (block-diagonal factors commute with an S-box on lane 0
///   only), and `diag(1, M̂^R_P)` is applied once after the last partial round.
///
/// A partial round then costs `2t − 1` multiplications instead of `t²`; the result is the same
/// permutation, tested against arkworks' `PoseidonSponge` for every width.
struct Fast {
    width: usize,
    /// Round constants of the full rounds (the first of the second half with the carry).
    full_ark: Vec<Vec<Fr>>,
    /// The lane-0 constant of each partial round.
    partial_ark: Vec<Fr>,
    /// Per partial round: row 0 of its sparse matrix (`m₀₀`, then `v·M̂^r`).
    sparse_row: Vec<Vec<Fr>>,
    /// Per partial round: column 0 below the diagonal (`M̂^−(r+1)·w`).
    sparse_col: Vec<Vec<Fr>>,
    /// `M̂^R_P`, applied to lanes `1..` after the partial rounds.
    tail: Vec<Vec<Fr>>,
    mds: Vec<Vec<Fr>>,
}

/// `a·b` for square matrices.
fn mat_mul(a: &[Vec<Fr>], b: &[Vec<Fr>]) -> Vec<Vec<Fr>> {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

/// `a·x` for a square matrix and a vector.
fn mat_vec(a: &[Vec<Fr>], x: &[Fr]) -> Vec<Fr> {
    a.iter()
        .map(|row| row.iter().zip(x).map(|(m, v)| *m * v).sum())
        .collect()
}

/// The inverse of a square matrix (Gauss–Jordan), `None` if it is singular.
fn mat_inv(a: &[Vec<Fr>]) -> Option<Vec<Vec<Fr>>> {
    let n = a.len();
    let mut m: Vec<Vec<Fr>> = a.to_vec();
    let mut inv: Vec<Vec<Fr>> = (0..n)
        .map(|i| (0..n).map(|j| Fr::from(u64::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !m[r][col].is_zero())?;
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let p = m[col][col].inverse()?;
        for j in 0..n {
            m[col][j] *= p;
            inv[col][j] *= p;
        }
        for r in 0..n {
            if r != col && !m[r][col].is_zero() {
                let f = m[r][col];
                for j in 0..n {
                    let (mc, ic) = (m[col][j], inv[col][j]);
                    m[r][j] -= f * mc;
                    inv[r][j] -= f * ic;
                }
            }
        }
    }
    Some(inv)
}

impl Fast {
    fn new(c: &PoseidonConfig<Fr>) -> Self {
        let t = c.mds.len();
        let half = c.full_rounds / 2;
        let mds = c.mds.clone();
        let m_hat: Vec<Vec<Fr>> = mds[1..].iter().map(|row| row[1..].to_vec()).collect();
        // An MDS matrix has every square submatrix invertible.
        let m_hat_inv = mat_inv(&m_hat)
            .unwrap_or_else(|| panic!("Poseidon MDS submatrix of width {t} is singular"));
        let w: Vec<Fr> = mds[1..].iter().map(|row| row[0]).collect();
        let mut full_ark: Vec<Vec<Fr>> = c.ark[..half].to_vec();
        full_ark.extend(c.ark[half + c.partial_rounds..].iter().cloned());
        let (mut partial_ark, mut sparse_row, mut sparse_col) =
            (Vec::new(), Vec::new(), Vec::new());
        let mut carry = vec![Fr::zero(); t];
        let mut v = mds[0][1..].to_vec(); // v·M̂^r
        let mut col = w; // M̂^−(r+1)·w, after the first step
        let mut power: Vec<Vec<Fr>> = (0..t - 1)
            .map(|i| (0..t - 1).map(|j| Fr::from(u64::from(i == j))).collect())
            .collect();
        for r in 0..c.partial_rounds {
            let k: Vec<Fr> = c.ark[half + r]
                .iter()
                .zip(&carry)
                .map(|(a, b)| *a + b)
                .collect();
            partial_ark.push(k[0]);
            let mut rest = k;
            rest[0] = Fr::zero();
            carry = mat_vec(&mds, &rest);
            col = mat_vec(&m_hat_inv, &col);
            let mut row = vec![mds[0][0]];
            row.extend_from_slice(&v);
            sparse_row.push(row);
            sparse_col.push(col.clone());
            v = (0..t - 1)
                .map(|j| (0..t - 1).map(|i| v[i] * m_hat[i][j]).sum())
                .collect();
            power = mat_mul(&m_hat, &power);
        }
        for (a, b) in full_ark[half].iter_mut().zip(&carry) {
            *a += b;
        }
        Fast {
            width: t,
            full_ark,
            partial_ark,
            sparse_row,
            sparse_col,
            tail: power,
            mds,
        }
    }

    fn full_round(&self, s: &mut [Fr], ark: &[Fr]) {
        let mut x = [Fr::zero(); MAX_WIDTH];
        for ((xi, si), a) in x.iter_mut().zip(s.iter()).zip(ark) {
            *xi = sbox(*si + a);
        }
        for (si, row) in s.iter_mut().zip(&self.mds) {
            *si = row.iter().zip(&x).map(|(m, v)| *m * v).sum();
        }
    }

    fn permute(&self, s: &mut [Fr]) {
        let t = self.width;
        let half = self.full_ark.len() / 2;
        for ark in &self.full_ark[..half] {
            self.full_round(s, ark);
        }
        for ((k, row), col) in self
            .partial_ark
            .iter()
            .zip(&self.sparse_row)
            .zip(&self.sparse_col)
        {
            let s0 = sbox(s[0] + k);
            let new0 = row[0] * s0
                + row[1..]
                    .iter()
                    .zip(&s[1..t])
                    .map(|(m, v)| *m * v)
                    .sum::<Fr>();
            for (si, c) in s[1..t].iter_mut().zip(col) {
                *si += *c * s0;
            }
            s[0] = new0;
        }
        let rest = mat_vec(&self.tail, &s[1..t]);
        s[1..t].copy_from_slice(&rest);
        for ark in &self.full_ark[half..] {
            self.full_round(s, ark);
        }
    }
}

/// `x^5`.
fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

fn fast(width: usize) -> &'static Fast {
    static FAST: [OnceLock<Fast>; MAX_WIDTH + 1] = [const { OnceLock::new() }; MAX_WIDTH + 1];
    FAST[width].get_or_init(|| Fast::new(config(width)))
}

/// The permutation of width `domain-tag lane + inputs.len()` on `(tag, inputs)`; returns the
/// state. What arkworks' `PoseidonSponge` computes when it absorbs `inputs` (at most one rate) and
/// squeezes.
fn permute(domain: Domain, inputs: &[Fr], width: usize) -> [Fr; MAX_WIDTH] {
    assert!(inputs.len() < width, "Poseidon input wider than its rate");
    let mut s = [Fr::zero(); MAX_WIDTH];
    s[0] = domain.tag();
    s[1..=inputs.len()].copy_from_slice(inputs);
    fast(width).permute(&mut s[..width]);
    s
}

/// `H(domain, inputs)`: one permutation of width `inputs.len() + 1`.
pub fn hash(domain: Domain, inputs: &[Fr]) -> Fr {
    permute(domain, inputs, inputs.len() + 1)[1]
}

/// A keystream of `n ≥ seed.len()` elements from `seed`: one permutation of width `n + 1`.
pub fn keystream(domain: Domain, seed: &[Fr], n: usize) -> Vec<Fr> {
    assert!(seed.len() <= n, "keystream shorter than its seed");
    permute(domain, seed, n + 1)[1..=n].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, Zero};

    fn hex(f: &Fr) -> String {
        f.into_bigint()
            .to_bytes_be()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Pinned vectors: a change of constants, rounds or tag encoding must be deliberate.
    #[test]
    fn pinned_vectors() {
        let c3 = config(3);
        assert_eq!(c3.partial_rounds, 57);
        assert_eq!(c3.full_rounds, 8);
        assert_eq!(c3.ark.len(), 65);
        let got = [
            hex(&c3.ark[0][0]),
            hex(&hash(Domain::Owner, &[Fr::zero()])),
            hex(&hash(
                Domain::Nullifier,
                &[Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)],
            )),
            hex(&hash(Domain::NoteTreeNode, &[Fr::zero(); 4])),
        ];
        assert_eq!(got, PINNED, "pinned Poseidon vector changed");
    }

    const PINNED: [&str; 4] = [
        "6c4ffa723eaf1a7bf74905cc7dae4ca9ff4a2c3bc81d42e09540d1f250910880",
        "6cfb7277145785382ac64e3998bf0c0f8c9efd2053cad7db25467167bd5fdaca",
        "305b7b1426b918cc2c9e9f8a8c6bf31a5adc754f43bf537632a6e1e057b34af4",
        "15f9b7e92a6ce9ba312f2d14650ede71e8c711420b5bfc3442207664367d5fb7",
    ];

    /// The arkworks sponge the native permutation replaces: absorb, then squeeze `n`.
    fn reference(domain: Domain, inputs: &[Fr], width: usize, n: usize) -> Vec<Fr> {
        use ark_crypto_primitives::sponge::{poseidon::PoseidonSponge, CryptographicSponge};
        let mut sponge = PoseidonSponge::new(config(width));
        sponge.state[0] = domain.tag();
        sponge.absorb(&inputs);
        sponge.squeeze_field_elements::<Fr>(n)
    }

    #[test]
    fn native_permutation_equals_the_arkworks_sponge_at_every_width() {
        use ark_std::UniformRand;
        let mut rng = ark_std::test_rng();
        for w in MIN_WIDTH..=MAX_WIDTH {
            for _ in 0..3 {
                let inputs: Vec<Fr> = (0..w - 1).map(|_| Fr::rand(&mut rng)).collect();
                assert_eq!(
                    hash(Domain::Grant, &inputs),
                    reference(Domain::Grant, &inputs, w, 1)[0],
                    "hash, width {w}"
                );
                let seed = &inputs[..2.min(w - 1)];
                assert_eq!(
                    keystream(Domain::AuditKeystream, seed, w - 1),
                    reference(Domain::AuditKeystream, seed, w, w - 1),
                    "keystream, width {w}"
                );
            }
        }
    }

    #[test]
    fn domains_separate() {
        let x = [Fr::from(7u64)];
        assert_ne!(hash(Domain::Owner, &x), hash(Domain::NullifierKey, &x));
    }

    #[test]
    fn every_width_builds() {
        for w in MIN_WIDTH..=MAX_WIDTH {
            let c = config(w);
            assert_eq!(c.mds.len(), w);
            assert_eq!(c.ark[0].len(), w);
        }
    }
}
