//! 4-ary Merkle trees over Poseidon: the note commitment tree (depth 16, 2^32 leaves) and the
//! grant tree (depth 12, 2^24 leaves, leaves can be emptied).
//!
//! # Why 4-ary
//!
//! Measured in `merkle::constraints::tests::arity_costs` (membership proof of one leaf at 2^32
//! capacity): binary depth 32 with width-3 Poseidon costs 32 · (240 + 3) = 7,776 constraints;
//! 4-ary depth 16 with width-5 Poseidon costs 16 · (297 + 6) = 4,848 — 38% fewer, and the payment
//! circuit proves two memberships. Natively the 4-ary tree also needs half the hashes per append.
//!
//! # Layout
//!
//! Level 0 holds the leaves; a node at level `l + 1` is `H(node_domain, c_0, c_1, c_2, c_3)` over
//! its four children at level `l`. Empty positions hold [`EMPTY_LEAF`] (`0`); the empty subtree of
//! every level is precomputed, so a tree with `n` leaves stores only `≈ 4n/3` nodes. A position's
//! path is, per level, its index among its siblings (`0..4`, two bits) and the three siblings in
//! order.

/// Incremental frontier and witnesses (what a wallet keeps of the note tree).
pub mod frontier;

#[cfg(feature = "r1cs")]
pub mod constraints;

use crate::poseidon::{hash, Domain};
use ark_bls12_381::Fr;
use ark_ff::Zero;
use std::collections::BTreeMap;

/// Children per node.
pub const ARITY: usize = 4;
/// Depth of the note commitment tree: `4^16 = 2^32` leaves.
pub const NOTE_TREE_DEPTH: usize = 16;
/// Depth of the grant tree: `4^12 = 2^24` leaves.
pub const GRANT_TREE_DEPTH: usize = 12;
/// Value of an empty (or emptied) leaf. Commitments are Poseidon outputs, never 0 in practice.
pub const EMPTY_LEAF: Fr = <Fr as ark_ff::AdditiveGroup>::ZERO;

/// Which tree: fixes the node domain tag and the depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeKind {
    /// Domain tag of inner nodes.
    pub node_domain: Domain,
    /// Number of levels above the leaves.
    pub depth: usize,
}

impl TreeKind {
    /// The note commitment tree.
    pub const NOTES: TreeKind = TreeKind {
        node_domain: Domain::NoteTreeNode,
        depth: NOTE_TREE_DEPTH,
    };
    /// The grant tree.
    pub const GRANTS: TreeKind = TreeKind {
        node_domain: Domain::GrantTreeNode,
        depth: GRANT_TREE_DEPTH,
    };

    /// Leaf capacity `4^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << (2 * self.depth)
    }

    /// Hash of four children.
    pub fn node(&self, children: &[Fr; ARITY]) -> Fr {
        hash(self.node_domain, children)
    }

    /// Roots of the empty subtrees of heights `0..=depth`.
    pub fn empty_roots(&self) -> Vec<Fr> {
        let mut out = Vec::with_capacity(self.depth + 1);
        out.push(EMPTY_LEAF);
        for l in 0..self.depth {
            let e = out[l];
            out.push(self.node(&[e; ARITY]));
        }
        out
    }
}

/// Errors of tree operations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    /// The tree holds `4^depth` leaves already.
    #[error("the tree is full")]
    Full,
    /// The position has never been filled.
    #[error("position {0} is beyond the last leaf")]
    UnknownPosition(u64),
    /// An update was prepared against a different state of the tree.
    #[error("the update was prepared at {prepared_at} leaves but the tree has {len}")]
    Stale {
        /// Leaves when the update was prepared.
        prepared_at: u64,
        /// Leaves now.
        len: u64,
    },
}

/// Nodes an update writes, from [`MerkleTree::prepare`]: per level, changed index → new node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeUpdate {
    base_len: u64,
    len: u64,
    nodes: Vec<BTreeMap<usize, Fr>>,
    root: Fr,
}

impl TreeUpdate {
    /// The root after the update.
    pub fn root(&self) -> Fr {
        self.root
    }

    /// Leaves after the update.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the update appends nothing (it may still overwrite leaves).
    pub fn is_empty(&self) -> bool {
        self.len == self.base_len
    }
}

/// An authentication path: per level (leaf first) the index among siblings and the three siblings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// Leaf position.
    pub pos: u64,
    /// Per level, the three other children in increasing position order.
    pub siblings: Vec<[Fr; ARITY - 1]>,
}

impl MerklePath {
    /// Index of the path's node among its siblings at `level`.
    pub fn index_at(&self, level: usize) -> usize {
        ((self.pos >> (2 * level)) & 3) as usize
    }

    /// The four children at `level` given the path's node there.
    pub fn children_at(&self, level: usize, node: Fr) -> [Fr; ARITY] {
        let j = self.index_at(level);
        let s = &self.siblings[level];
        let mut out = [Fr::zero(); ARITY];
        let mut k = 0;
        for (i, slot) in out.iter_mut().enumerate() {
            if i == j {
                *slot = node;
            } else {
                *slot = s[k];
                k += 1;
            }
        }
        out
    }

    /// The root that `leaf` at this path's position leads to.
    pub fn root(&self, kind: TreeKind, leaf: Fr) -> Fr {
        (0..self.siblings.len()).fold(leaf, |node, l| kind.node(&self.children_at(l, node)))
    }
}

/// An append-only tree whose leaves can be overwritten (the grant tree empties revoked leaves).
#[derive(Clone, Debug)]
pub struct MerkleTree {
    kind: TreeKind,
    empty: Vec<Fr>,
    /// `levels[l]` holds the filled prefix of level `l`.
    levels: Vec<Vec<Fr>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new(kind: TreeKind) -> Self {
        MerkleTree {
            kind,
            empty: kind.empty_roots(),
            levels: vec![Vec::new(); kind.depth + 1],
        }
    }

    /// The tree kind.
    pub fn kind(&self) -> TreeKind {
        self.kind
    }

    /// Number of appended leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether no leaf was appended.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.levels[self.kind.depth]
            .first()
            .copied()
            .unwrap_or(self.empty[self.kind.depth])
    }

    /// The leaf at `pos`.
    pub fn leaf(&self, pos: u64) -> Option<Fr> {
        self.levels[0].get(pos as usize).copied()
    }

    fn node_at(&self, level: usize, index: usize) -> Fr {
        self.levels[level]
            .get(index)
            .copied()
            .unwrap_or(self.empty[level])
    }

    fn refresh_from(&mut self, pos: u64) {
        let mut index = pos as usize;
        for l in 0..self.kind.depth {
            let parent = index / ARITY;
            let first = parent * ARITY;
            let children: [Fr; ARITY] = std::array::from_fn(|i| self.node_at(l, first + i));
            let h = self.kind.node(&children);
            let up = &mut self.levels[l + 1];
            if parent < up.len() {
                up[parent] = h;
            } else {
                up.push(h);
            }
            index = parent;
        }
    }

    /// Appends `leaf`, returning its position.
    pub fn append(&mut self, leaf: Fr) -> Result<u64, TreeError> {
        let pos = self.len();
        if pos >= self.kind.capacity() {
            return Err(TreeError::Full);
        }
        self.levels[0].push(leaf);
        self.refresh_from(pos);
        Ok(pos)
    }

    /// Appends many leaves, recomputing each touched inner node once: `≈ n/3 + depth` hashes
    /// instead of `n · depth` (what a ledger block needs).
    pub fn append_many(&mut self, leaves: &[Fr]) -> Result<u64, TreeError> {
        let first = self.len();
        let update = self.prepare(leaves, &[])?;
        self.apply(update)?;
        Ok(first)
    }

    /// Computes, without changing the tree, the nodes that appending `appends` and then
    /// overwriting the leaves in `sets` would write. Each touched inner node is hashed once.
    ///
    /// A validator checks a block against `&self` and keeps only this small update (≈ the
    /// block's leaves plus `depth` nodes per level) instead of copying the whole tree; `sets`
    /// may name positions appended by the same update.
    pub fn prepare(&self, appends: &[Fr], sets: &[(u64, Fr)]) -> Result<TreeUpdate, TreeError> {
        let base_len = self.len();
        let len = base_len + appends.len() as u64;
        if !self.fits(appends.len()) {
            return Err(TreeError::Full);
        }
        let mut level: BTreeMap<usize, Fr> = appends
            .iter()
            .enumerate()
            .map(|(i, leaf)| (base_len as usize + i, *leaf))
            .collect();
        for &(pos, leaf) in sets {
            if pos >= len {
                return Err(TreeError::UnknownPosition(pos));
            }
            level.insert(pos as usize, leaf);
        }
        let mut nodes = Vec::with_capacity(self.kind.depth + 1);
        for l in 0..self.kind.depth {
            let node = |i: usize| level.get(&i).copied().unwrap_or_else(|| self.node_at(l, i));
            let mut parents = BTreeMap::new();
            for &i in level.keys() {
                let parent = i / ARITY;
                if let std::collections::btree_map::Entry::Vacant(slot) = parents.entry(parent) {
                    let children = std::array::from_fn(|c| node(parent * ARITY + c));
                    slot.insert(self.kind.node(&children));
                }
            }
            nodes.push(std::mem::replace(&mut level, parents));
        }
        let root = level.get(&0).copied().unwrap_or_else(|| self.root());
        nodes.push(level);
        Ok(TreeUpdate {
            base_len,
            len,
            nodes,
            root,
        })
    }

    /// Whether `appends` more leaves fit (the capacity check of [`MerkleTree::prepare`]).
    pub fn fits(&self, appends: usize) -> bool {
        self.len()
            .checked_add(appends as u64)
            .is_some_and(|len| len <= self.kind.capacity())
    }

    /// Writes an update prepared against this tree in its current state.
    pub fn apply(&mut self, update: TreeUpdate) -> Result<(), TreeError> {
        if update.base_len != self.len() {
            return Err(TreeError::Stale {
                prepared_at: update.base_len,
                len: self.len(),
            });
        }
        for (level, changed) in self.levels.iter_mut().zip(update.nodes) {
            for (i, node) in changed {
                // Keys ascend and new nodes extend the filled prefix without gaps.
                match level.get_mut(i) {
                    Some(slot) => *slot = node,
                    None => level.push(node),
                }
            }
        }
        Ok(())
    }

    /// Overwrites the leaf at an existing position (revocation writes [`EMPTY_LEAF`]).
    pub fn set(&mut self, pos: u64, leaf: Fr) -> Result<(), TreeError> {
        let slot = self.levels[0]
            .get_mut(pos as usize)
            .ok_or(TreeError::UnknownPosition(pos))?;
        *slot = leaf;
        self.refresh_from(pos);
        Ok(())
    }

    /// The authentication path of `pos`.
    pub fn path(&self, pos: u64) -> Result<MerklePath, TreeError> {
        if pos >= self.len() {
            return Err(TreeError::UnknownPosition(pos));
        }
        let mut siblings = Vec::with_capacity(self.kind.depth);
        let mut index = pos as usize;
        for l in 0..self.kind.depth {
            let first = (index / ARITY) * ARITY;
            let mut s = [Fr::zero(); ARITY - 1];
            let mut k = 0;
            for i in 0..ARITY {
                if first + i != index {
                    s[k] = self.node_at(l, first + i);
                    k += 1;
                }
            }
            siblings.push(s);
            index /= ARITY;
        }
        Ok(MerklePath { pos, siblings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capacity rule (the ledger's `TreeFull`): on a one-level tree of four leaves, `fits`,
    /// `append` and `prepare` all refuse a fifth leaf and accept the fourth.
    #[test]
    fn a_full_tree_refuses_appends() {
        let mut t = MerkleTree::new(TreeKind {
            depth: 1,
            ..TreeKind::NOTES
        });
        assert!(t.fits(4) && !t.fits(5));
        t.append_many(&[Fr::from(1u64); 3]).unwrap();
        assert!(t.fits(1) && !t.fits(2));
        assert!(matches!(
            t.prepare(&[Fr::from(2u64); 2], &[]),
            Err(TreeError::Full)
        ));
        assert!(t.prepare(&[Fr::from(2u64)], &[]).is_ok());
        t.append(Fr::from(2u64)).unwrap();
        assert!(matches!(t.append(Fr::from(3u64)), Err(TreeError::Full)));
    }

    #[test]
    fn paths_lead_to_root() {
        let mut t = MerkleTree::new(TreeKind::NOTES);
        assert_eq!(t.root(), TreeKind::NOTES.empty_roots()[NOTE_TREE_DEPTH]);
        for i in 0..37u64 {
            t.append(Fr::from(i + 100)).unwrap();
        }
        for pos in [0u64, 3, 4, 16, 36] {
            let p = t.path(pos).unwrap();
            assert_eq!(p.root(TreeKind::NOTES, Fr::from(pos + 100)), t.root());
            assert_ne!(p.root(TreeKind::NOTES, Fr::from(pos + 101)), t.root());
        }
        assert_eq!(t.path(37), Err(TreeError::UnknownPosition(37)));
    }

    #[test]
    fn emptying_a_leaf_changes_the_root() {
        let mut t = MerkleTree::new(TreeKind::GRANTS);
        for i in 1..=5u64 {
            t.append(Fr::from(i)).unwrap();
        }
        let before = t.root();
        t.set(2, EMPTY_LEAF).unwrap();
        assert_ne!(t.root(), before);
        assert_eq!(
            t.path(2).unwrap().root(TreeKind::GRANTS, EMPTY_LEAF),
            t.root()
        );
        assert_eq!(t.set(9, EMPTY_LEAF), Err(TreeError::UnknownPosition(9)));
    }

    #[test]
    fn prepared_updates_equal_step_by_step_changes() {
        let mut step = MerkleTree::new(TreeKind::GRANTS);
        let mut batched = MerkleTree::new(TreeKind::GRANTS);
        for i in 0..21u64 {
            step.append(Fr::from(i + 1)).unwrap();
        }
        batched.append_many(&step.levels[0].clone()).unwrap();
        // A block: three appends, a revocation of an old leaf and of one it just appended.
        let appends = [Fr::from(90u64), Fr::from(91u64), Fr::from(92u64)];
        let sets = [(4u64, EMPTY_LEAF), (22u64, EMPTY_LEAF)];
        let before = batched.root();
        let update = batched.prepare(&appends, &sets).unwrap();
        assert_eq!(batched.root(), before, "prepare must not change the tree");
        for a in appends {
            step.append(a).unwrap();
        }
        for (pos, leaf) in sets {
            step.set(pos, leaf).unwrap();
        }
        assert_eq!(update.root(), step.root());
        assert_eq!(update.len(), 24);
        batched.apply(update.clone()).unwrap();
        assert_eq!(batched.root(), step.root());
        assert_eq!(batched.path(22).unwrap(), step.path(22).unwrap());
        assert_eq!(
            batched.apply(update),
            Err(TreeError::Stale {
                prepared_at: 21,
                len: 24
            })
        );
        assert_eq!(
            batched.prepare(&[], &[(24, EMPTY_LEAF)]),
            Err(TreeError::UnknownPosition(24))
        );
        let nothing = batched.prepare(&[], &[]).unwrap();
        assert!(nothing.is_empty());
        assert_eq!(nothing.root(), step.root());
    }

    #[test]
    fn append_many_equals_appends() {
        let mut a = MerkleTree::new(TreeKind::NOTES);
        let mut b = MerkleTree::new(TreeKind::NOTES);
        for chunk in [3usize, 1, 17, 0, 40] {
            let leaves: Vec<Fr> = (0..chunk)
                .map(|i| Fr::from((a.len() + i as u64) * 7 + 1))
                .collect();
            for l in &leaves {
                a.append(*l).unwrap();
            }
            b.append_many(&leaves).unwrap();
            assert_eq!(a.root(), b.root());
        }
        assert_eq!(a.path(30).unwrap(), b.path(30).unwrap());
    }

    #[test]
    fn capacities() {
        assert_eq!(TreeKind::NOTES.capacity(), 1 << 32);
        assert_eq!(TreeKind::GRANTS.capacity(), 1 << 24);
    }
}
