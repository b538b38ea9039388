//! The HTTP JSON API (axum): thin handlers over [`NodeState`] and the ledger's queries, types
//! in [`crate::api_types`], an OpenAPI document at `/v1/openapi.json`.
//!
//! Bad input never panics the node: malformed JSON, unknown fields, bad hex, oversized bodies
//! and unknown routes all get a 4xx whose body is an [`ApiError`] with a one-line reason.

use crate::{api_types::*, state::NodeState, state::SubmitError};
use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use utoipa::OpenApi;
use zkreg_ledger::{verifier::fieldhex::fr_from_hex, verifier::fieldhex::fr_hex, Ledger};
use zkreg_prover::keys::point_to_hex;
use zkreg_verifier::{Transaction, TxId};

/// Largest request body (a transaction is at most 4 KiB, 8 KiB as hex).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Most blocks one compact-stream answer carries.
pub const MAX_COMPACT_BLOCKS: u64 = 256;
/// Most heights one audit answer spans.
pub const MAX_AUDIT_SPAN: u64 = 10_000;
/// Longest a follow-mode request waits for a new block.
pub const MAX_WAIT_MS: u64 = 30_000;

/// An API error with its status.
pub struct Failure(StatusCode, ApiError);

impl Failure {
    fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Failure(
            status,
            ApiError {
                error: error.into(),
                rule: None,
            },
        )
    }
    fn bad(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error)
    }
    fn internal(error: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

type Answer<T> = Result<Json<T>, Failure>;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The name of a rule (its variant), for clients that match on it.
fn rule_name(rule: &zkreg_ledger::Rule) -> String {
    let debug = format!("{rule:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

fn parse_id(text: &str) -> Result<TxId, Failure> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Failure::bad(format!("{text:?} is not a 32-byte hex id")))
}

fn parse_fr(text: &str, what: &str) -> Result<ark_bls12_381::Fr, Failure> {
    fr_from_hex(text)
        .ok_or_else(|| Failure::bad(format!("{what} {text:?} is not a canonical field element")))
}

#[utoipa::path(get, path = "/v1/status", responses((status = 200, body = StatusResponse)))]
async fn status(State(s): State<Arc<NodeState>>) -> Json<StatusResponse> {
    Json(status_of(&s))
}

/// The status as the API reports it.
pub fn status_of(s: &NodeState) -> StatusResponse {
    let (mempool_txs, mempool_bytes) = s.with_mempool(|m| (m.len(), m.bytes()));
    s.with_ledger(|l| {
        let st = l.status();
        StatusResponse {
            chain_id: l.config().genesis.chain_id.clone(),
            chain_hash: hex::encode(l.config().hash),
            height: st.height,
            time: st.time,
            state_root: hex::encode(st.state_root),
            finalized_height: s.finalized_tip().max(st.height),
            notes: st.notes,
            grant_leaves: st.grant_leaves,
            txs: st.counts.txs,
            mempool_txs,
            mempool_bytes,
            halted: s.halted(),
        }
    })
}

#[utoipa::path(get, path = "/v1/genesis", responses((status = 200, description = "the genesis JSON")))]
async fn genesis(State(s): State<Arc<NodeState>>) -> Json<zkreg_ledger::Genesis> {
    Json(s.with_ledger(|l| l.config().genesis.clone()))
}

#[utoipa::path(post, path = "/v1/txs", request_body = SubmitRequest,
    responses((status = 200, body = SubmitResponse), (status = 400, body = ApiError),
              (status = 413, body = ApiError), (status = 429, body = ApiError)))]
async fn submit(
    State(s): State<Arc<NodeState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<SubmitRequest>, JsonRejection>,
) -> Answer<SubmitResponse> {
    let Json(req) = body.map_err(|r| Failure::new(r.status(), one_line(&r.body_text())))?;
    let bytes = hex::decode(req.tx.trim())
        .map_err(|e| Failure::bad(format!("the transaction is not hex: {e}")))?;
    let client = format!("http:{}", peer.ip());
    let answer = s
        .submit_queued(bytes, client, now_secs())
        .await
        .unwrap_or_else(|_| Err(SubmitError::Storage("the admission thread stopped".into())));
    match answer {
        Ok((id, new)) => Ok(Json(SubmitResponse {
            id: hex::encode(id),
            new,
        })),
        Err(SubmitError::Rejected(rule)) => Err(Failure(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: format!("rejected: {rule}"),
                rule: Some(rule_name(&rule)),
            },
        )),
        Err(e @ SubmitError::TooLarge(_)) => {
            Err(Failure::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()))
        }
        Err(e @ SubmitError::Mempool(_)) => {
            Err(Failure::new(StatusCode::TOO_MANY_REQUESTS, e.to_string()))
        }
        Err(e) => Err(Failure::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[utoipa::path(get, path = "/v1/txs/{id}", params(("id" = String, Path, description = "tx id (hex)")),
    responses((status = 200, body = TxStatusResponse), (status = 400, body = ApiError)))]
async fn tx_status(
    State(s): State<Arc<NodeState>>,
    Path(id): Path<String>,
) -> Answer<TxStatusResponse> {
    let id = parse_id(&id)?;
    let mut out = TxStatusResponse {
        id: hex::encode(id),
        status: TxState::Unknown,
        height: None,
        index: None,
        kind: None,
        tx: None,
        reason: None,
    };
    if let Some((h, i, tx)) = s
        .with_ledger(|l| l.tx_by_id(&id))
        .map_err(Failure::internal)?
    {
        out.status = TxState::Committed;
        out.height = Some(h);
        out.index = Some(i);
        out.kind = Some(tx.kind().name().to_string());
        out.tx = Some(hex::encode(tx.encode()));
        return Ok(Json(out));
    }
    s.with_mempool(|m| {
        if m.contains(&id) {
            out.status = TxState::Pending;
        } else if let Some(r) = m.refusal(&id) {
            out.status = TxState::Refused;
            out.reason = Some(r.to_string());
        }
    });
    Ok(Json(out))
}

#[utoipa::path(get, path = "/v1/blocks/{height}", params(("height" = u64, Path, description = "block height")),
    responses((status = 200, body = BlockResponse), (status = 404, body = ApiError)))]
async fn block(
    State(s): State<Arc<NodeState>>,
    height: Result<Path<u64>, axum::extract::rejection::PathRejection>,
) -> Answer<BlockResponse> {
    let Path(height) = height.map_err(|r| Failure::bad(one_line(&r.body_text())))?;
    s.with_ledger(|l| {
        let b = l
            .block_at(height)
            .map_err(Failure::internal)?
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::NOT_FOUND,
                    format!("no block at height {height}"),
                )
            })?;
        let txs = l
            .txs_in_range(height, height)
            .map_err(Failure::internal)?
            .into_iter()
            .map(|(_, _, tx)| BlockTx {
                id: hex::encode(tx.id()),
                kind: tx.kind().name().to_string(),
                tx: hex::encode(tx.encode()),
            })
            .collect();
        Ok(Json(BlockResponse {
            height,
            time: b.time,
            state_root: hex::encode(b.state_root),
            txs,
        }))
    })
}

/// Query of `GET /v1/compact`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CompactQuery {
    /// First height (default 1).
    pub from: Option<u64>,
    /// Most blocks (default and maximum 256).
    pub limit: Option<u64>,
    /// Follow mode: if no block at `from` is committed yet, wait up to this long for one.
    pub wait_ms: Option<u64>,
}

/// Compact blocks `from..=to` from the ledger.
pub fn compact_blocks(
    l: &Ledger,
    from: u64,
    to: u64,
) -> Result<Vec<CompactBlock>, zkreg_ledger::LedgerError> {
    let mut blocks: Vec<CompactBlock> = Vec::new();
    for h in from..=to {
        let Some(b) = l.block_at(h)? else { break };
        blocks.push(CompactBlock {
            height: h,
            time: b.time,
            outputs: vec![],
            nullifiers: vec![],
            grants: vec![],
            revocations: vec![],
        });
    }
    if blocks.is_empty() {
        return Ok(blocks);
    }
    for (h, _, tx) in l.txs_in_range(from, from + blocks.len() as u64 - 1)? {
        let Some(cb) = blocks.get_mut((h - from) as usize) else {
            continue;
        };
        match &tx {
            Transaction::Payment(p) => {
                cb.nullifiers.extend(p.nullifiers.iter().map(fr_hex));
                for (cm, delivery) in p.output_commitments.iter().zip(p.deliveries.iter()) {
                    let pos = l.commitment_origin(cm)?.map(|o| o.pos).ok_or_else(|| {
                        zkreg_ledger::LedgerError::Corrupt("an output has no position".into())
                    })?;
                    cb.outputs.push(CompactOutput {
                        pos,
                        cm: fr_hex(cm),
                        delivery: hex::encode(delivery),
                    });
                }
            }
            Transaction::Grant(g) => {
                let pos = l.grant_by_gcm(&g.gcm)?.map(|o| o.pos).ok_or_else(|| {
                    zkreg_ledger::LedgerError::Corrupt("a grant has no position".into())
                })?;
                cb.grants.push(GrantUpdate {
                    pos,
                    gcm: fr_hex(&g.gcm),
                });
            }
            Transaction::Revoke(r) => cb.revocations.push(GrantUpdate {
                pos: r.pos,
                gcm: fr_hex(&r.gcm),
            }),
            Transaction::Access(_) | Transaction::Rotate(_) => {}
        }
    }
    Ok(blocks)
}

#[utoipa::path(get, path = "/v1/compact", params(CompactQuery),
    responses((status = 200, body = CompactResponse), (status = 400, body = ApiError)))]
async fn compact(
    State(s): State<Arc<NodeState>>,
    q: Result<Query<CompactQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer<CompactResponse> {
    let Query(q) = q.map_err(|r| Failure::bad(one_line(&r.body_text())))?;
    let from = q.from.unwrap_or(1).max(1);
    let limit = q
        .limit
        .unwrap_or(MAX_COMPACT_BLOCKS)
        .clamp(1, MAX_COMPACT_BLOCKS);
    let wait = Duration::from_millis(q.wait_ms.unwrap_or(0).min(MAX_WAIT_MS));
    let deadline = tokio::time::Instant::now() + wait;
    while s.with_ledger(|l| l.status().height) < from && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.with_ledger(|l| {
        let st = l.status();
        let to = st.height.min(from.saturating_add(limit - 1));
        let blocks = if from > st.height {
            Vec::new()
        } else {
            compact_blocks(l, from, to).map_err(Failure::internal)?
        };
        Ok(Json(CompactResponse {
            tip: st.height,
            notes: st.notes,
            grant_leaves: st.grant_leaves,
            blocks,
        }))
    })
}

/// Query of `GET /v1/audit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// First height.
    pub from: u64,
    /// Last height (at most 10,000 heights per request).
    pub to: u64,
}

#[utoipa::path(get, path = "/v1/audit", params(AuditQuery),
    responses((status = 200, body = AuditResponse), (status = 400, body = ApiError)))]
async fn audit(
    State(s): State<Arc<NodeState>>,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer<AuditResponse> {
    let Query(q) = q.map_err(|r| Failure::bad(one_line(&r.body_text())))?;
    if q.to < q.from || q.to - q.from >= MAX_AUDIT_SPAN {
        return Err(Failure::bad(format!(
            "from..=to must be a range of 1 to {MAX_AUDIT_SPAN} heights"
        )));
    }
    s.with_ledger(|l| {
        let height = l.status().height;
        if q.to > height {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("height {} is beyond the ledger's {height}", q.to),
            ));
        }
        let records = l
            .audit_rows(q.from, q.to)
            .map_err(Failure::internal)?
            .into_iter()
            .map(|(k, v)| AuditEntry {
                key: hex::encode(k),
                row: hex::encode(v),
            })
            .collect();
        Ok(Json(AuditResponse { records }))
    })
}

#[utoipa::path(get, path = "/v1/commitments/{cm}", params(("cm" = String, Path, description = "note commitment (hex)")),
    responses((status = 200, body = OriginResponse), (status = 404, body = ApiError)))]
async fn commitment(
    State(s): State<Arc<NodeState>>,
    Path(cm): Path<String>,
) -> Answer<OriginResponse> {
    let cm = parse_fr(&cm, "note commitment")?;
    let o = s
        .with_ledger(|l| l.commitment_origin(&cm))
        .map_err(Failure::internal)?
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "no output with this commitment"))?;
    Ok(Json(OriginResponse {
        pos: o.pos,
        height: o.height,
        index: o.index,
        tx_id: hex::encode(o.tx_id),
    }))
}

#[utoipa::path(get, path = "/v1/grants/{gcm}", params(("gcm" = String, Path, description = "grant commitment (hex)")),
    responses((status = 200, body = GrantResponse), (status = 404, body = ApiError)))]
async fn grant(State(s): State<Arc<NodeState>>, Path(gcm): Path<String>) -> Answer<GrantResponse> {
    let gcm = parse_fr(&gcm, "grant commitment")?;
    s.with_ledger(|l| {
        let g = l
            .grant_by_gcm(&gcm)
            .map_err(Failure::internal)?
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "no grant with this commitment"))?;
        let revoked = l.revocation_of(&gcm).map_err(Failure::internal)?;
        Ok(Json(GrantResponse {
            pos: g.pos,
            height: g.height,
            tx_id: hex::encode(g.tx_id),
            revoked_at: revoked.map(|(h, _)| h),
            revoked_by: revoked.map(|(_, id)| hex::encode(id)),
        }))
    })
}

#[utoipa::path(get, path = "/v1/accesses/{tag}", params(("tag" = String, Path, description = "access tag (hex)")),
    responses((status = 200, body = AccessResponse), (status = 404, body = ApiError)))]
async fn access(
    State(s): State<Arc<NodeState>>,
    Path(tag): Path<String>,
) -> Answer<AccessResponse> {
    let tag = parse_fr(&tag, "access tag")?;
    let a = s
        .with_ledger(|l| l.access_by_tag(&tag))
        .map_err(Failure::internal)?
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "no access with this tag"))?;
    Ok(Json(AccessResponse {
        height: a.height,
        index: a.index,
        tx_id: hex::encode(a.tx_id),
        binding: fr_hex(&a.binding),
        now: a.now,
    }))
}

#[utoipa::path(get, path = "/v1/anchors", responses((status = 200, body = AnchorsResponse)))]
async fn anchors(State(s): State<Arc<NodeState>>) -> Json<AnchorsResponse> {
    Json(s.with_ledger(|l| {
        AnchorsResponse {
            height: l.status().height,
            note_roots: l.accepted_anchors().iter().map(fr_hex).collect(),
            next_rpk: l.next_rpk().map(|p| point_to_hex(&p)),
            regulator_keys: l
                .key_schedule()
                .entries()
                .iter()
                .map(|(h, p)| RegulatorKeyView {
                    from_height: *h,
                    rpk: point_to_hex(p),
                })
                .collect(),
        }
    }))
}

/// The OpenAPI document, generated from the handlers and [`crate::api_types`].
#[derive(OpenApi)]
#[openapi(
    info(title = "zkreg node API", version = "1"),
    paths(
        status, genesis, submit, tx_status, block, compact, audit, commitment, grant, access,
        anchors
    ),
    components(schemas(
        ApiError,
        StatusResponse,
        SubmitRequest,
        SubmitResponse,
        TxState,
        TxStatusResponse,
        BlockTx,
        BlockResponse,
        CompactOutput,
        GrantUpdate,
        CompactBlock,
        CompactResponse,
        AuditEntry,
        AuditResponse,
        GrantResponse,
        AccessResponse,
        AnchorsResponse,
        RegulatorKeyView,
        OriginResponse
    ))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found(uri: axum::http::Uri) -> Failure {
    Failure::new(StatusCode::NOT_FOUND, format!("no route {}", uri.path()))
}

async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// The API's router.
pub fn router(state: Arc<NodeState>) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/txs", post(submit))
        .route("/v1/txs/{id}", get(tx_status))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/compact", get(compact))
        .route("/v1/audit", get(audit))
        .route("/v1/commitments/{cm}", get(commitment))
        .route("/v1/grants/{gcm}", get(grant))
        .route("/v1/accesses/{tag}", get(access))
        .route("/v1/anchors", get(anchors))
        .route("/v1/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<NodeState>,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
