//! Consent requests: what an institution asks a data owner for, as a JSON file it hands over.
//!
//! A request's id is a hash of every other field, so a request altered on its way (a longer
//! duration, another purpose) no longer matches its id and is refused.

use crate::{error::ConsentError, store, FileError, Party, RequestError};
use blake2::{digest::consts::U32, Blake2b, Digest};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zkreg_prover::keys::Address;

/// Format tag of request files.
pub const REQUEST_FORMAT: &str = "zkreg-consent-request/1";
/// Seconds per day on the ledger's time scale.
pub const DAY: u64 = 86_400;
/// The longest duration a request may ask for, in days (a hundred years).
pub const MAX_DAYS: u64 = 36_525;
/// Bound of the institution's name, the dataset and the purpose, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// Bound of the reason given to the owner, in bytes.
pub const MAX_REASON_BYTES: usize = 2048;
/// Bound of a request file, in bytes.
pub const MAX_REQUEST_FILE_BYTES: u64 = 16 * 1024;

/// A consent request, as the institution hands it to the data owner (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// [`REQUEST_FORMAT`].
    pub format: String,
    /// Request id: hash of every other field.
    pub id: String,
    /// The institution's name (as it calls itself).
    pub institution_name: String,
    /// The institution's address (the grant is made out and delivered to it).
    pub institution: String,
    /// The data owner's address.
    pub owner: String,
    /// Dataset name.
    pub dataset: String,
    /// Purpose name.
    pub purpose: String,
    /// Why, in words, for the owner.
    pub reason: String,
    /// Requested duration in days.
    pub days: u64,
    /// Ledger height when requested.
    pub requested_height: u64,
    /// Ledger time when requested.
    pub requested_at: u64,
    /// Random, so that equal requests get distinct ids.
    pub nonce: String,
}

/// What an institution asks for.
#[derive(Clone, Copy, Debug)]
pub struct RequestTerms<'a> {
    /// Dataset name.
    pub dataset: &'a str,
    /// Purpose name.
    pub purpose: &'a str,
    /// Why, in words, for the owner.
    pub reason: &'a str,
    /// Duration in days.
    pub days: u64,
}

impl ConsentRequest {
    /// A new request by `institution` to the owner at address `owner`, made at ledger `height`
    /// and `time`; validated.
    pub fn new<R: RngCore + CryptoRng>(
        institution: Party,
        owner: &str,
        terms: &RequestTerms,
        (height, time): (u64, u64),
        rng: &mut R,
    ) -> Result<Self, RequestError> {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let mut r = ConsentRequest {
            format: REQUEST_FORMAT.into(),
            id: String::new(),
            institution_name: institution.name.into(),
            institution: institution.keys.address().encode(),
            owner: owner.trim().into(),
            dataset: terms.dataset.into(),
            purpose: terms.purpose.into(),
            reason: terms.reason.into(),
            days: terms.days,
            requested_height: height,
            requested_at: time,
            nonce: hex::encode(nonce),
        };
        r.id = r.compute_id();
        r.validate()?;
        Ok(r)
    }

    /// The id the contents call for.
    pub fn compute_id(&self) -> String {
        let body = serde_json::json!([
            self.format,
            self.institution_name,
            self.institution,
            self.owner,
            self.dataset,
            self.purpose,
            self.reason,
            self.days,
            self.requested_height,
            self.requested_at,
            self.nonce
        ]);
        let mut h = Blake2b::<U32>::new();
        h.update(b"zkreg/v1/consent-request");
        h.update(body.to_string().as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// Checks format, id, addresses and bounds; returns the institution's and the owner's
    /// addresses.
    pub fn validate(&self) -> Result<(Address, Address), RequestError> {
        if self.format != REQUEST_FORMAT {
            return Err(RequestError::Format(self.format.clone()));
        }
        if self.id != self.compute_id() {
            return Err(RequestError::Altered);
        }
        let inst = Address::decode(&self.institution).map_err(RequestError::InstitutionAddress)?;
        let owner = Address::decode(&self.owner).map_err(RequestError::OwnerAddress)?;
        if !(1..=MAX_DAYS).contains(&self.days) {
            return Err(RequestError::Days {
                days: self.days,
                max: MAX_DAYS,
            });
        }
        if self.dataset.is_empty() || self.purpose.is_empty() {
            return Err(RequestError::Unnamed);
        }
        for (field, text, max) in [
            ("institution name", &self.institution_name, MAX_NAME_BYTES),
            ("dataset", &self.dataset, MAX_NAME_BYTES),
            ("purpose", &self.purpose, MAX_NAME_BYTES),
            ("reason", &self.reason, MAX_REASON_BYTES),
        ] {
            if text.len() > max {
                return Err(RequestError::TooLong {
                    field,
                    len: text.len(),
                    max,
                });
            }
        }
        Ok((inst, owner))
    }

    /// The requested duration in seconds (at most [`MAX_DAYS`] days once validated).
    pub fn duration(&self) -> u64 {
        self.days.saturating_mul(DAY)
    }

    /// Reads and validates a request file (at most [`MAX_REQUEST_FILE_BYTES`]).
    pub fn read(path: &Path) -> Result<Self, ConsentError> {
        let text = store::read_bounded(path, MAX_REQUEST_FILE_BYTES, "consent request")?;
        let r: ConsentRequest = serde_json::from_str(&text).map_err(|e| FileError::Corrupt {
            path: path.to_path_buf(),
            what: "not a consent request",
            reason: e.to_string(),
        })?;
        r.validate().map_err(|error| ConsentError::RequestFile {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(r)
    }

    /// Fails unless the request is addressed to `owner`.
    pub(crate) fn check_addressed_to(&self, owner: Party) -> Result<(), ConsentError> {
        let address = owner.keys.address().encode();
        if self.owner != address {
            return Err(ConsentError::NotAddressedToYou {
                request: self.id.clone(),
                addressed_to: self.owner.clone(),
                name: owner.name.into(),
                address,
            });
        }
        Ok(())
    }
}
