//! Keys, addresses and key files.
//!
//! Every key of a wallet (or data owner, or institution: same kind) derives from a 32-byte seed:
//! `sk = BLAKE2b-512("zkreg/v1/sk" ‖ seed) mod r`, `ivk` = the first 32 bytes of `BLAKE2b-512("zkreg/v1/ivk" ‖ seed)`, an X25519 secret
//! (`crate::delivery`, why X25519).

use crate::delivery::{DeliveryPublicKey, IncomingViewingKey};
use ark_bls12_381::Fr;
use ark_ff::PrimeField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use bech32::{Bech32m, Hrp};
use blake2::{Blake2b512, Digest};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zkreg_circuits::{
    audit::RegulatorSecretKey,
    ecc::{checked_public_key, JubjubAffine, JubjubScalar},
    keys::{nullifier_key_of, owner_of},
};

/// Human-readable part of addresses.
pub const ADDRESS_HRP: &str = "zkreg";

/// Errors about keys and addresses.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The text is not a bech32m string with the `zkreg` prefix.
    #[error("not a zkreg address: {0}")]
    BadAddress(String),
    /// The address's delivery key is not a valid Jubjub point.
    #[error("address delivery key is invalid: {0}")]
    BadPoint(String),
    /// The key file is malformed.
    #[error("invalid key file: {0}")]
    BadKeyFile(String),
}

/// `BLAKE2b-512(label ‖ seed)`: every key derived from a seed.
pub fn derive(label: &[u8], seed: &[u8; 32]) -> [u8; 64] {
    let mut h = Blake2b512::new();
    h.update(label);
    h.update(seed);
    h.finalize().into()
}

/// A wallet's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletKeys {
    seed: [u8; 32],
    /// Spending key.
    pub sk: Fr,
    /// Incoming viewing (delivery) key.
    pub ivk: IncomingViewingKey,
}

impl WalletKeys {
    /// Keys from a seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        WalletKeys {
            seed,
            sk: Fr::from_le_bytes_mod_order(&derive(b"zkreg/v1/sk", &seed)),
            ivk: {
                let wide = derive(b"zkreg/v1/ivk", &seed);
                let mut k = [0u8; 32];
                k.copy_from_slice(&wide[..32]);
                IncomingViewingKey::from_bytes(k)
            },
        }
    }

    /// Fresh random keys.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self::from_seed(seed)
    }

    /// The seed (what a key file stores).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// Public owner id.
    pub fn owner(&self) -> Fr {
        owner_of(self.sk)
    }

    /// Nullifier key.
    pub fn nullifier_key(&self) -> Fr {
        nullifier_key_of(self.sk)
    }

    /// Keys of account `index` of this wallet: account 0 is these keys; account `i > 0` has the
    /// seed `BLAKE2b-512("zkreg/v1/account" ‖ seed ‖ i_le32)[..32]`, so one key file holds every
    /// account and no account's keys reveal another's.
    pub fn account(&self, index: u32) -> WalletKeys {
        if index == 0 {
            return self.clone();
        }
        let mut h = Blake2b512::new();
        h.update(b"zkreg/v1/account");
        h.update(self.seed);
        h.update(index.to_le_bytes());
        let wide: [u8; 64] = h.finalize().into();
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&wide[..32]);
        WalletKeys::from_seed(seed)
    }

    /// The wallet's address.
    pub fn address(&self) -> Address {
        Address {
            owner: self.owner(),
            pk_d: self.ivk.public(),
        }
    }
}

/// An address: who owns notes sent to it, and where to deliver them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    /// Owner id.
    pub owner: Fr,
    /// Delivery public key (X25519 of `ivk`).
    pub pk_d: DeliveryPublicKey,
}

impl Address {
    /// 64 bytes: owner (32, LE) ‖ `pk_d` (32).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        let _ = self.owner.serialize_compressed(&mut out);
        out.extend_from_slice(&self.pk_d.0);
        out
    }

    /// Parses [`Self::to_bytes`], checking the owner is canonical and `pk_d` not of small order
    /// (every 32 bytes are an X25519 key; a small-order one would make deliveries readable by all).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 64 {
            return Err(KeyError::BadAddress(format!(
                "{} bytes, expected 64",
                bytes.len()
            )));
        }
        let owner = Fr::deserialize_compressed(&bytes[..32])
            .map_err(|_| KeyError::BadAddress("owner is not a canonical field element".into()))?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[32..]);
        let pk_d = DeliveryPublicKey(key);
        if !pk_d.is_contributory() {
            return Err(KeyError::BadPoint(
                "the delivery key is of small order".into(),
            ));
        }
        Ok(Address { owner, pk_d })
    }

    /// bech32m text, `zkreg1…`.
    pub fn encode(&self) -> String {
        let hrp = Hrp::parse_unchecked(ADDRESS_HRP);
        bech32::encode::<Bech32m>(hrp, &self.to_bytes()).unwrap_or_default()
    }

    /// Parses [`Self::encode`]; the checksum catches typos.
    pub fn decode(text: &str) -> Result<Self, KeyError> {
        let checked = bech32::primitives::decode::CheckedHrpstring::new::<Bech32m>(text.trim())
            .map_err(|e| KeyError::BadAddress(e.to_string()))?;
        if checked.hrp().as_str() != ADDRESS_HRP {
            return Err(KeyError::BadAddress(format!(
                "prefix {:?}, expected {ADDRESS_HRP:?}",
                checked.hrp().as_str()
            )));
        }
        let data: Vec<u8> = checked.byte_iter().collect();
        Self::from_bytes(&data)
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

/// What a key file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// A wallet (also a data owner or an institution: same key kind).
    Wallet,
    /// The regulator's audit key.
    Regulator,
    /// An asset issuer's Ed25519 signing key.
    Issuer,
    /// A regulator committee member's long-term key (signs its DKG deal, receives shares).
    Member,
}

/// A key file: JSON `{"kind": .., "seed": hex}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    /// Key kind.
    pub kind: KeyKind,
    /// 32-byte seed, hex.
    pub seed: String,
}

impl KeyFile {
    /// A fresh key file.
    pub fn generate<R: RngCore + CryptoRng>(kind: KeyKind, rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        KeyFile {
            kind,
            seed: hex::encode(seed),
        }
    }

    /// Parses a key file's JSON text, checking its kind.
    pub fn parse(text: &str, expected: KeyKind) -> Result<Self, KeyError> {
        let f: KeyFile =
            serde_json::from_str(text).map_err(|e| KeyError::BadKeyFile(e.to_string()))?;
        if f.kind != expected {
            return Err(KeyError::BadKeyFile(format!(
                "this is a {:?} key, expected a {:?} key",
                f.kind, expected
            )));
        }
        f.seed_bytes()?;
        Ok(f)
    }

    /// The 32-byte seed.
    pub fn seed_bytes(&self) -> Result<[u8; 32], KeyError> {
        let v = hex::decode(&self.seed).map_err(|e| KeyError::BadKeyFile(format!("seed: {e}")))?;
        v.try_into()
            .map_err(|_| KeyError::BadKeyFile("seed must be 32 bytes".into()))
    }

    /// Wallet keys of a wallet key file.
    pub fn wallet(&self) -> Result<WalletKeys, KeyError> {
        Ok(WalletKeys::from_seed(self.seed_bytes()?))
    }

    /// The regulator key of a regulator key file: `rsk = BLAKE2b-512("zkreg/v1/rsk" ‖ seed) mod r_J`.
    pub fn regulator(&self) -> Result<RegulatorSecretKey, KeyError> {
        Ok(regulator_from_seed(&self.seed_bytes()?))
    }

    /// The issuer signing key of an issuer key file (the seed is the Ed25519 secret key).
    pub fn issuer(&self) -> Result<ed25519_dalek::SigningKey, KeyError> {
        Ok(ed25519_dalek::SigningKey::from_bytes(&self.seed_bytes()?))
    }
}

/// Regulator key from a seed.
pub fn regulator_from_seed(seed: &[u8; 32]) -> RegulatorSecretKey {
    RegulatorSecretKey(JubjubScalar::from_le_bytes_mod_order(&derive(
        b"zkreg/v1/rsk",
        seed,
    )))
}

/// Compressed encoding of a Jubjub point (hex), for configuration files.
pub fn point_to_hex(p: &JubjubAffine) -> String {
    let mut out = Vec::new();
    let _ = p.serialize_compressed(&mut out);
    hex::encode(out)
}

/// Parses [`point_to_hex`], checking curve, subgroup and non-identity.
pub fn point_from_hex(text: &str) -> Result<JubjubAffine, KeyError> {
    let bytes = hex::decode(text.trim()).map_err(|e| KeyError::BadPoint(e.to_string()))?;
    let p = JubjubAffine::deserialize_compressed(&bytes[..])
        .map_err(|e| KeyError::BadPoint(e.to_string()))?;
    checked_public_key(p.x, p.y).map_err(|e| KeyError::BadPoint(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn address_round_trips_and_checksum_catches_typos() {
        let k = WalletKeys::random(&mut rand_chacha::ChaCha20Rng::seed_from_u64(1));
        let a = k.address();
        let text = a.encode();
        assert!(text.starts_with("zkreg1"));
        assert_eq!(Address::decode(&text), Ok(a));
        let mut typo: Vec<char> = text.chars().collect();
        let i = typo.len() - 5;
        typo[i] = if typo[i] == 'q' { 'p' } else { 'q' };
        assert!(Address::decode(&typo.into_iter().collect::<String>()).is_err());
        assert!(Address::decode("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").is_err());
    }

    #[test]
    fn key_files_round_trip_and_check_kind() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let f = KeyFile::generate(KeyKind::Wallet, &mut rng);
        let text = serde_json::to_string(&f).unwrap();
        assert_eq!(
            KeyFile::parse(&text, KeyKind::Wallet)
                .unwrap()
                .wallet()
                .unwrap(),
            f.wallet().unwrap()
        );
        assert!(KeyFile::parse(&text, KeyKind::Regulator).is_err());
        assert!(KeyFile::parse("{\"kind\":\"wallet\",\"seed\":\"00\"}", KeyKind::Wallet).is_err());
        assert!(KeyFile::parse("not json", KeyKind::Wallet).is_err());
    }
}
