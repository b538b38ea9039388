//! Membership gadget for [`crate::merkle`] trees.
//!
//! Per level: two index bits `(b0, b1)` (2 constraints), the four children as witnesses, one
//! selection equation that forces the running node to sit at index `b0 + 2·b1`
//! (`node = c0 + b0(c1−c0) + b1(c2−c0) + b0b1(c3−c2−c1+c0)`, 4 constraints), and the node hash.

use super::{MerklePath, TreeKind, ARITY};
use crate::{gadgets::alloc_bits, poseidon::constraints::hash_var};
use ark_bls12_381::Fr;
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, fields::fp::FpVar, fields::FieldVar, GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// A witnessed authentication path: position bits now, children when the leaf is known.
pub struct MerklePathVar {
    kind: TreeKind,
    path: Option<MerklePath>,
    /// Per level (leaf first) the two index bits `(b0, b1)`.
    pub index_bits: Vec<[Boolean<Fr>; 2]>,
    cs: ConstraintSystemRef<Fr>,
}

impl MerklePathVar {
    /// Allocates the position bits of `path` (2 per level).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        kind: TreeKind,
        path: Option<&MerklePath>,
    ) -> Result<Self, SynthesisError> {
        let bits: Option<Vec<bool>> =
            path.map(|p| (0..2 * kind.depth).map(|i| (p.pos >> i) & 1 == 1).collect());
        let flat = alloc_bits(cs.clone(), 2 * kind.depth, bits.as_deref())?;
        let index_bits = flat
            .chunks(2)
            .map(|c| [c[0].clone(), c[1].clone()])
            .collect();
        Ok(MerklePathVar {
            kind,
            path: path.cloned(),
            index_bits,
            cs,
        })
    }

    /// The leaf position as a field element (a free linear combination of the bits).
    pub fn position(&self) -> Result<FpVar<Fr>, SynthesisError> {
        let flat: Vec<Boolean<Fr>> = self.index_bits.iter().flatten().cloned().collect();
        Boolean::le_bits_to_fp(&flat)
    }

    /// The root that `leaf` leads to along this path.
    pub fn root(&self, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut node = leaf.clone();
        for level in 0..self.kind.depth {
            let value = node.value().ok();
            let children_native = match (&self.path, value) {
                (Some(p), Some(v)) => Some(p.children_at(level, v)),
                _ => None,
            };
            let children: Vec<FpVar<Fr>> = (0..ARITY)
                .map(|i| {
                    FpVar::new_witness(self.cs.clone(), || {
                        children_native
                            .map(|c| c[i])
                            .ok_or(SynthesisError::AssignmentMissing)
                    })
                })
                .collect::<Result<_, _>>()?;
            enforce_node_at_index(&node, &children, &self.index_bits[level])?;
            node = hash_var(self.kind.node_domain, &children)?;
        }
        Ok(node)
    }
}

/// Enforces `node == children[b0 + 2·b1]` with 4 constraints.
fn enforce_node_at_index(
    node: &FpVar<Fr>,
    c: &[FpVar<Fr>],
    bits: &[Boolean<Fr>; 2],
) -> Result<(), SynthesisError> {
    let b0 = FpVar::from(bits[0].clone());
    let b1 = FpVar::from(bits[1].clone());
    let b01 = FpVar::from(&bits[0] & &bits[1]);
    let p1 = &b0 * &(&c[1] - &c[0]);
    let p2 = &b1 * &(&c[2] - &c[0]);
    let mixed = &c[3] - &c[2] - &c[1] + &c[0];
    b01.mul_equals(&mixed, &(node - &c[0] - p1 - p2))
}

/// Hash of two children of a binary tree, for the arity measurement only.
#[cfg(test)]
fn binary_level(
    node: &FpVar<Fr>,
    sibling: &FpVar<Fr>,
    bit: &Boolean<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    use ark_r1cs_std::select::CondSelectGadget;
    let left = FpVar::conditionally_select(bit, sibling, node)?;
    let right = FpVar::conditionally_select(bit, node, sibling)?;
    hash_var(crate::poseidon::Domain::NoteTreeNode, &[left, right])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleTree;
    use ark_r1cs_std::eq::EqGadget;
    use ark_relations::gr1cs::ConstraintSystem;
    use proptest::prelude::*;

    fn tree_with(n: u64) -> MerkleTree {
        let mut t = MerkleTree::new(TreeKind::NOTES);
        for i in 0..n {
            t.append(Fr::from(1000 + i)).unwrap();
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        #[test]
        fn gadget_root_matches_native(n in 1u64..70, pick in any::<u64>()) {
            let t = tree_with(n);
            let pos = pick % n;
            let path = t.path(pos).unwrap();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1000 + pos))).unwrap();
            let pv = MerklePathVar::new_witness(cs.clone(), TreeKind::NOTES, Some(&path)).unwrap();
            let root = pv.root(&leaf).unwrap();
            prop_assert_eq!(root.value().unwrap(), t.root());
            prop_assert_eq!(pv.position().unwrap().value().unwrap(), Fr::from(pos));
            prop_assert!(cs.is_satisfied().unwrap());
        }
    }

    /// A forged path (a sibling changed) does not reach the root.
    #[test]
    fn forged_sibling_changes_root() {
        let t = tree_with(9);
        let mut path = t.path(5).unwrap();
        path.siblings[3][1] += Fr::from(1u64);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1005u64))).unwrap();
        let pv = MerklePathVar::new_witness(cs.clone(), TreeKind::NOTES, Some(&path)).unwrap();
        let root = pv.root(&leaf).unwrap();
        assert_ne!(root.value().unwrap(), t.root());
    }

    /// A prover that claims the node sits at another index (children not matching) is caught.
    #[test]
    fn node_must_sit_at_its_index() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let node = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
        let c: Vec<_> = [1u64, 5, 3, 4]
            .iter()
            .map(|v| FpVar::new_witness(cs.clone(), || Ok(Fr::from(*v))).unwrap())
            .collect();
        let b = [
            Boolean::new_witness(cs.clone(), || Ok(false)).unwrap(),
            Boolean::new_witness(cs.clone(), || Ok(true)).unwrap(),
        ];
        enforce_node_at_index(&node, &c, &b).unwrap(); // claims index 2 (value 3)
        assert!(!cs.is_satisfied().unwrap());
    }

    /// Measures binary depth 32 against 4-ary depth 16 (the reason for the 4-ary tree).
    #[test]
    fn arity_costs() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let mut node = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        for _ in 0..32 {
            let sib = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
            let bit = Boolean::new_witness(cs.clone(), || Ok(true)).unwrap();
            node = binary_level(&node, &sib, &bit).unwrap();
        }
        let binary = cs.num_constraints();

        let t = tree_with(3);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1001u64))).unwrap();
        let pv = MerklePathVar::new_witness(cs.clone(), TreeKind::NOTES, Some(&t.path(1).unwrap()))
            .unwrap();
        pv.root(&leaf)
            .unwrap()
            .enforce_equal(&FpVar::Constant(t.root()))
            .unwrap();
        let quaternary = cs.num_constraints();
        assert!(cs.is_satisfied().unwrap());
        // `quaternary` includes the final root equality (1 constraint).
        assert_eq!((binary, quaternary - 1), (7_776, 4_848));
    }
}
