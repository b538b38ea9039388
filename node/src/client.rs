//! A blocking client of a node's API (what `zkreg ... --node URL` uses), on the same
//! [`crate::api_types`] the node serves, and a [`LedgerView`] over it so the regulator's export
//! and the wallet run the same library code against a node as against a local ledger.

use crate::api_types::*;
use ark_bls12_381::Fr;
use serde::de::DeserializeOwned;
use std::time::Duration;
use zkreg_ledger::{
    query::{audit_record, AuditRecord, GrantOrigin, Origin, RawRow},
    ChainConfig, LedgerError, LedgerView,
};
use zkreg_verifier::{fieldhex::fr_hex, Transaction, TxId};

/// Why a request to a node failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached or the exchange broke off.
    #[error("cannot reach the node at {url}: {why}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        why: String,
    },
    /// The node answered with an error.
    #[error("the node refused: {}", .error.error)]
    Refused {
        /// HTTP status.
        status: u16,
        /// Its answer.
        error: ApiError,
    },
    /// The node's answer is not what the API promises.
    #[error("unexpected answer from the node: {0}")]
    Malformed(String),
}

/// A node's API.
pub struct NodeClient {
    base: String,
    agent: ureq::Agent,
    config: ChainConfig,
}

fn hex32(s: &str) -> Result<[u8; 32], ClientError> {
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ClientError::Malformed(format!("{s:?} is not 32 hex bytes")))
}

impl NodeClient {
    /// Connects to `url` (e.g. `http://127.0.0.1:7100`) and reads its genesis.
    pub fn connect(url: &str) -> Result<Self, ClientError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = url.trim_end_matches('/').to_string();
        let genesis_url = format!("{base}/v1/genesis");
        let genesis: zkreg_ledger::Genesis = answer(&genesis_url, agent.get(&genesis_url).call())?;
        let config = ChainConfig::new(genesis)
            .map_err(|e| ClientError::Malformed(format!("the node's genesis: {e}")))?;
        Ok(NodeClient {
            base,
            agent,
            config,
        })
    }

    /// The chain the node runs.
    pub fn chain(&self) -> &ChainConfig {
        &self.config
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let r = self.agent.get(&url).call();
        answer(&url, r)
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusResponse, ClientError> {
        self.get("/v1/status")
    }

    /// `POST /v1/txs`.
    pub fn submit(&self, tx: &[u8]) -> Result<SubmitResponse, ClientError> {
        let url = format!("{}/v1/txs", self.base);
        let r = self.agent.post(&url).send_json(SubmitRequest {
            tx: hex::encode(tx),
        });
        answer(&url, r)
    }

    /// `GET /v1/txs/{id}`.
    pub fn tx(&self, id: &TxId) -> Result<TxStatusResponse, ClientError> {
        self.get(&format!("/v1/txs/{}", hex::encode(id)))
    }

    /// `GET /v1/blocks/{height}`.
    pub fn block(&self, height: u64) -> Result<BlockResponse, ClientError> {
        self.get(&format!("/v1/blocks/{height}"))
    }

    /// `GET /v1/compact`.
    pub fn compact(
        &self,
        from: u64,
        limit: u64,
        wait_ms: u64,
    ) -> Result<CompactResponse, ClientError> {
        self.get(&format!(
            "/v1/compact?from={from}&limit={limit}&wait_ms={wait_ms}"
        ))
    }

    /// `GET /v1/anchors`.
    pub fn anchors(&self) -> Result<AnchorsResponse, ClientError> {
        self.get("/v1/anchors")
    }
}

fn answer<T: DeserializeOwned>(
    url: &str,
    r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, ClientError> {
    let mut r = r.map_err(|e| ClientError::Transport {
        url: url.to_string(),
        why: e.to_string(),
    })?;
    let status = r.status().as_u16();
    if status >= 400 {
        let error = r.body_mut().read_json::<ApiError>().unwrap_or(ApiError {
            error: format!("HTTP {status}"),
            rule: None,
        });
        return Err(ClientError::Refused { status, error });
    }
    r.body_mut()
        .with_config()
        .limit(256 << 20)
        .read_json::<T>()
        .map_err(|e| ClientError::Malformed(e.to_string()))
}

fn remote(e: ClientError) -> LedgerError {
    LedgerError::Remote(e.to_string())
}

impl LedgerView for NodeClient {
    fn key_schedule(&self) -> Result<zkreg_ledger::KeySchedule, LedgerError> {
        let a = self.anchors().map_err(remote)?;
        let entries = a
            .regulator_keys
            .iter()
            .map(|e| {
                let p = zkreg_prover::keys::point_from_hex(&e.rpk)
                    .map_err(|x| LedgerError::Remote(format!("regulator key {:?}: {x}", e.rpk)))?;
                Ok((e.from_height, p))
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        Ok(zkreg_ledger::KeySchedule::from_entries(entries))
    }

    fn config(&self) -> &ChainConfig {
        &self.config
    }

    fn height(&self) -> Result<u64, LedgerError> {
        Ok(self.status().map_err(remote)?.height)
    }

    fn audit_records(&self, from: u64, to: u64) -> Result<Vec<AuditRecord>, LedgerError> {
        self.audit_rows(from, to)?
            .iter()
            .map(|(k, v)| audit_record(k, v))
            .collect()
    }

    fn audit_rows(&self, from: u64, to: u64) -> Result<Vec<RawRow>, LedgerError> {
        let mut out = Vec::new();
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(crate::api::MAX_AUDIT_SPAN - 1));
            let r: AuditResponse = self
                .get(&format!("/v1/audit?from={start}&to={end}"))
                .map_err(|e| match e {
                    ClientError::Refused { status: 404, error } => {
                        LedgerError::NotFound(error.error)
                    }
                    e => remote(e),
                })?;
            for e in r.records {
                let bad = |what: &str| LedgerError::Remote(format!("audit {what} is not hex"));
                let k = hex::decode(&e.key).map_err(|_| bad("key"))?;
                let v = hex::decode(&e.row).map_err(|_| bad("row"))?;
                out.push((k, v));
            }
            if end == u64::MAX {
                break;
            }
            start = end + 1;
        }
        Ok(out)
    }

    fn tx_by_id(&self, id: &TxId) -> Result<Option<(u64, u32, Transaction)>, LedgerError> {
        let Some((h, i, bytes)) = self.tx_bytes(id)? else {
            return Ok(None);
        };
        let tx = Transaction::decode(&bytes)
            .map_err(|e| LedgerError::Remote(format!("the node's transaction: {e}")))?;
        Ok(Some((h, i, tx)))
    }

    fn tx_bytes(&self, id: &TxId) -> Result<Option<(u64, u32, Vec<u8>)>, LedgerError> {
        let r = self.tx(id).map_err(remote)?;
        match (r.status, r.height, r.index, r.tx) {
            (TxState::Committed, Some(h), Some(i), Some(tx)) => {
                let bytes = hex::decode(tx).map_err(|e| LedgerError::Remote(e.to_string()))?;
                Ok(Some((h, i, bytes)))
            }
            _ => Ok(None),
        }
    }

    fn commitment_origin(&self, cm: &Fr) -> Result<Option<Origin>, LedgerError> {
        match self.get::<OriginResponse>(&format!("/v1/commitments/{}", fr_hex(cm))) {
            Ok(o) => Ok(Some(Origin {
                pos: o.pos,
                height: o.height,
                index: o.index,
                tx_id: hex32(&o.tx_id).map_err(remote)?,
            })),
            Err(ClientError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(remote(e)),
        }
    }

    fn grant_by_gcm(&self, gcm: &Fr) -> Result<Option<GrantOrigin>, LedgerError> {
        match self.get::<GrantResponse>(&format!("/v1/grants/{}", fr_hex(gcm))) {
            Ok(g) => Ok(Some(GrantOrigin {
                pos: g.pos,
                height: g.height,
                tx_id: hex32(&g.tx_id).map_err(remote)?,
            })),
            Err(ClientError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(remote(e)),
        }
    }
}
