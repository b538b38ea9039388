//! The append-only note tree as a wallet keeps it: the frontier (the right edge of the tree) and
//! a witness per note of interest, both updated incrementally, in `O(depth)` memory per note.
//!
//! A wallet must not ask anyone for a Merkle path (the request would say which note it spends),
//! and it must not keep the whole tree (`4n/3` nodes for `n` outputs of history). Like Zcash's
//! incremental witnesses, it keeps:
//!
//! - **the frontier**: per level `l`, the completed nodes of the rightmost group of four
//!   (`c_l mod 4` of them, where `c_l = ⌊len / 4^l⌋` nodes of level `l` are complete);
//! - **a witness per tracked leaf**: per level, its three siblings. Left siblings are complete
//!   when the leaf arrives (they are exactly the frontier's group at that moment); a right sibling
//!   is recorded when it completes; until then it is the frontier's partial node at that level
//!   (if the tree reaches into it) or the empty subtree.
//!
//! # Cost
//!
//! Appending a leaf hashes `1/3` node on average (each completed group of four is hashed once);
//! the root and the partial nodes cost `depth` hashes and are computed only when a path or root
//! is asked for. [`MerkleTree`](super::MerkleTree) stays the ledger's tree (it can overwrite
//! leaves and prepare updates); both give the same roots and paths (tested below).

use super::{MerklePath, TreeError, TreeKind, ARITY};
use ark_bls12_381::Fr;

/// The right edge of an append-only tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    kind: TreeKind,
    empty: Vec<Fr>,
    len: u64,
    /// `groups[l]`: the completed nodes of level `l` in the rightmost group (0 to 3 of them);
    /// `groups[depth]` holds the root once the tree is full.
    groups: Vec<Vec<Fr>>,
}

/// A tracked leaf's authentication path, kept current as the tree grows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// Leaf position.
    pub pos: u64,
    /// The leaf.
    pub leaf: Fr,
    /// Per level (leaf first), the three siblings in position order; `None` for a right sibling
    /// that is not complete yet.
    pub siblings: Vec<[Option<Fr>; ARITY - 1]>,
}

impl Witness {
    /// Records the completed node `index` of `level` if it is one of this leaf's right siblings.
    pub fn observe(&mut self, level: usize, index: u64, node: Fr) {
        let own = self.pos >> (2 * level);
        if index > own && index >> 2 == own >> 2 {
            // Right siblings follow the leaf's own slot: slot = (index mod 4) − 1.
            if let Some(s) = self.siblings.get_mut(level) {
                s[(index & 3) as usize - 1] = Some(node);
            }
        }
    }
}

impl Frontier {
    /// An empty tree of `kind`.
    pub fn new(kind: TreeKind) -> Self {
        Frontier {
            kind,
            empty: kind.empty_roots(),
            len: 0,
            groups: vec![Vec::with_capacity(ARITY - 1); kind.depth + 1],
        }
    }

    /// A frontier from its parts ([`Self::parts`]); `None` if they do not fit together.
    pub fn from_parts(kind: TreeKind, len: u64, groups: Vec<Vec<Fr>>) -> Option<Self> {
        let ok = len <= kind.capacity()
            && groups.len() == kind.depth + 1
            && groups
                .iter()
                .enumerate()
                .all(|(l, g)| g.len() as u64 == (len >> (2 * l)) & 3);
        ok.then(|| Frontier {
            kind,
            empty: kind.empty_roots(),
            len,
            groups,
        })
    }

    /// Its parts: leaf count and per level the completed nodes of the rightmost group.
    pub fn parts(&self) -> (u64, &[Vec<Fr>]) {
        (self.len, &self.groups)
    }

    /// Leaves appended.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no leaf was appended.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A witness for the leaf about to be appended at position [`Self::len`]: its left siblings
    /// are the frontier's groups now.
    pub fn witness_next(&self, leaf: Fr) -> Witness {
        Witness {
            pos: self.len,
            leaf,
            siblings: self
                .groups
                .iter()
                .take(self.kind.depth)
                .map(|g| {
                    let mut s = [None; ARITY - 1];
                    for (slot, node) in s.iter_mut().zip(g) {
                        *slot = Some(*node);
                    }
                    s
                })
                .collect(),
        }
    }

    /// Appends a leaf; every node it completes (the leaf itself included, as level 0) is passed
    /// to `completed(level, index, node)`, which is how witnesses learn their right siblings.
    pub fn append(
        &mut self,
        leaf: Fr,
        completed: &mut dyn FnMut(usize, u64, Fr),
    ) -> Result<u64, TreeError> {
        if self.len >= self.kind.capacity() {
            return Err(TreeError::Full);
        }
        let pos = self.len;
        let mut node = leaf;
        for l in 0..=self.kind.depth {
            completed(l, pos >> (2 * l), node);
            let g = &mut self.groups[l];
            if g.len() < ARITY - 1 || l == self.kind.depth {
                // (At the top, the one node is the root of the now full tree.)
                g.push(node);
                break;
            }
            let children = [g[0], g[1], g[2], node];
            g.clear();
            node = self.kind.node(&children);
        }
        self.len += 1;
        Ok(pos)
    }

    /// `partial[l]`: the rightmost incomplete node of level `l` (`None` where that node is empty
    /// or level `l` has no incomplete node); `partial[depth]` is the root unless the tree is
    /// empty. `depth` hashes.
    fn partials(&self) -> Vec<Option<Fr>> {
        let mut out = Vec::with_capacity(self.kind.depth + 1);
        out.push(None);
        let mut cur: Option<Fr> = None;
        for l in 0..self.kind.depth {
            let g = &self.groups[l];
            if g.is_empty() && cur.is_none() {
                out.push(None);
                continue;
            }
            let mut children = [self.empty[l]; ARITY];
            children[..g.len()].copy_from_slice(g);
            if let Some(c) = cur {
                children[g.len()] = c;
            }
            cur = Some(self.kind.node(&children));
            out.push(cur);
        }
        out
    }

    /// The root.
    pub fn root(&self) -> Fr {
        if let Some(top) = self.groups[self.kind.depth].first() {
            return *top;
        }
        self.partials()[self.kind.depth].unwrap_or(self.empty[self.kind.depth])
    }

    /// The authentication paths of `witnesses` against the current root (one `depth`-hash pass
    /// shared by all of them).
    pub fn paths(&self, witnesses: &[&Witness]) -> Result<Vec<MerklePath>, TreeError> {
        let partial = self.partials();
        witnesses
            .iter()
            .map(|w| {
                if w.pos >= self.len || w.siblings.len() != self.kind.depth {
                    return Err(TreeError::UnknownPosition(w.pos));
                }
                let siblings = (0..self.kind.depth)
                    .map(|l| {
                        let own = w.pos >> (2 * l);
                        let complete = self.len >> (2 * l);
                        let mut s = [Fr::from(0u64); ARITY - 1];
                        for (k, slot) in s.iter_mut().enumerate() {
                            let j = (own & 3) as usize;
                            let index = (own & !3) + if k < j { k as u64 } else { k as u64 + 1 };
                            *slot = match w.siblings[l][k] {
                                Some(v) => v,
                                None if index == complete => partial[l].unwrap_or(self.empty[l]),
                                None => self.empty[l],
                            };
                        }
                        s
                    })
                    .collect();
                Ok(MerklePath {
                    pos: w.pos,
                    siblings,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleTree;

    /// The frontier and its witnesses give exactly the full tree's roots and paths, at every
    /// size across group and level boundaries, for leaves tracked at every position.
    #[test]
    fn frontier_and_witnesses_match_the_full_tree() {
        let kind = TreeKind {
            depth: 4,
            ..TreeKind::NOTES
        };
        let mut full = MerkleTree::new(kind);
        let mut f = Frontier::new(kind);
        let mut ws: Vec<Witness> = Vec::new();
        assert_eq!(f.root(), full.root());
        for i in 0..kind.capacity() {
            let leaf = Fr::from(i * 7 + 1);
            // Track every third leaf (and the boundaries).
            if i % 3 == 0 || i == 15 || i == 16 {
                ws.push(f.witness_next(leaf));
            }
            f.append(leaf, &mut |l, idx, node| {
                for w in ws.iter_mut() {
                    w.observe(l, idx, node);
                }
            })
            .unwrap();
            full.append(leaf).unwrap();
            if i + 1 < kind.capacity() {
                assert_eq!(f.root(), full.root(), "root at {} leaves", i + 1);
            }
            let refs: Vec<&Witness> = ws.iter().collect();
            let paths = f.paths(&refs).unwrap();
            for (w, p) in ws.iter().zip(&paths) {
                assert_eq!(
                    *p,
                    full.path(w.pos).unwrap(),
                    "path of {} at {}",
                    w.pos,
                    i + 1
                );
            }
        }
        assert_eq!(
            f.append(Fr::from(1u64), &mut |_, _, _| {}),
            Err(TreeError::Full)
        );
    }

    /// A frontier survives its parts (how a wallet store keeps it); parts that do not fit are
    /// refused.
    #[test]
    fn frontier_parts_round_trip() {
        let mut f = Frontier::new(TreeKind::NOTES);
        for i in 0..23u64 {
            f.append(Fr::from(i), &mut |_, _, _| {}).unwrap();
        }
        let (len, groups) = f.parts();
        let back = Frontier::from_parts(TreeKind::NOTES, len, groups.to_vec()).unwrap();
        assert_eq!(back, f);
        assert!(Frontier::from_parts(TreeKind::NOTES, len + 1, groups.to_vec()).is_none());
    }
}
