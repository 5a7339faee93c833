//! One ESME connection: a reader task frames PDUs (a bad `command_length`
//! is answered with generic_nack and the connection closed; requests beyond
//! the window get `ESME_RMSGQFUL`), and the session task answers them in
//! order under the bind state machine (open → bound_tx / bound_rx /
//! bound_trx → unbound), sends deliver_sm from the account's outbox within
//! its window, applies throughput limits and control-plane faults, and
//! journals and counts every exchange.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::codes::{cmd, command_name, status, MessageState};
use super::pdu::{
    self, Bind, CancelSm, DataSm, Dest, Pdu, Put, QuerySm, ReplaceSm, Sm, SubmitMulti,
};
use super::smsc::{Limits, Outgoing, Smsc, Submission};
use crate::control::faults::{FaultKind, NeutralError, RequestFacts};
use crate::control::requests::RequestRecord;
use crate::control::Plane;
use crate::domain::Account;

/// The SMSC's own system_id in bind responses.
pub const SMSC_SYSTEM_ID: &str = "carrier-sim";

/// PDUs read but not yet handled before the reader stops reading (an ESME
/// that does not read its responses is slowed down, not buffered without end).
const INPUT_QUEUE: usize = 1024;

/// What the reader hands the session.
enum Input {
    Request(Pdu),
    /// A request refused before it was queued.
    Reject(Pdu, u32),
    /// The stream is broken: answer generic_nack and close.
    Broken(u32, u32),
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BindState {
    Open,
    Tx,
    Rx,
    Trx,
}

impl BindState {
    fn can_submit(self) -> bool {
        matches!(self, BindState::Tx | BindState::Trx)
    }
    fn can_receive(self) -> bool {
        matches!(self, BindState::Rx | BindState::Trx)
    }
}

/// What a handled PDU asks of the connection.
enum Flow {
    Continue,
    Close,
}

/// What a fault rule makes of a request.
enum FaultAction {
    Serve,
    Drop,
    Close,
    Status(u32),
}

struct Session {
    plane: Arc<Plane>,
    smsc: Arc<Smsc>,
    /// The worlds on demand a bind may name (`w3:cmccesme`).
    worlds: Option<Arc<super::WorldSmscs>>,
    id: u64,
    state: BindState,
    account: Option<Account>,
    limits: Limits,
    out: Vec<u8>,
    next_seq: u32,
    inflight: HashMap<u32, (Outgoing, Instant)>,
    backlog: VecDeque<Outgoing>,
    pending: Arc<AtomicUsize>,
    window: Arc<AtomicUsize>,
    deliver_tx: mpsc::UnboundedSender<Outgoing>,
}

/// Serves one connection until unbind, close, a fatal error or shutdown.
pub async fn serve(
    plane: Arc<Plane>,
    smsc: Arc<Smsc>,
    worlds: Option<Arc<super::WorldSmscs>>,
    sock: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) {
    let (rd, mut wr) = sock.into_split();
    let (tx, mut rx) = mpsc::channel(INPUT_QUEUE);
    let (deliver_tx, mut deliver_rx) = mpsc::unbounded_channel();
    let pending = Arc::new(AtomicUsize::new(0));
    let window = Arc::new(AtomicUsize::new(usize::MAX));
    let reader = tokio::spawn(read_loop(rd, tx, pending.clone(), window.clone()));
    let mut s = Session {
        id: smsc.session_id(),
        plane,
        smsc,
        worlds,
        state: BindState::Open,
        account: None,
        limits: Limits::default(),
        out: Vec::with_capacity(8192),
        next_seq: 1,
        inflight: HashMap::new(),
        backlog: VecDeque::new(),
        pending,
        window,
        deliver_tx,
    };
    loop {
        let flow = tokio::select! {
            i = rx.recv() => {
                let mut flow = s.input(i.unwrap_or(Input::Eof)).await;
                while matches!(flow, Flow::Continue) {
                    match rx.try_recv() {
                        Ok(i) => flow = s.input(i).await,
                        Err(_) => break,
                    }
                }
                flow
            }
            Some(sm) = deliver_rx.recv() => {
                s.offer(sm);
                while let Ok(sm) = deliver_rx.try_recv() {
                    s.offer(sm);
                }
                Flow::Continue
            }
            _ = async { let _ = shutdown.wait_for(|v| *v).await; } => {
                let seq = s.seq();
                s.push(&Pdu::new(cmd::UNBIND, 0, seq, Vec::new()));
                Flow::Close
            }
        };
        if !s.out.is_empty() {
            let ok = wr.write_all(&s.out).await.is_ok();
            s.out.clear();
            if !ok {
                break;
            }
        }
        if matches!(flow, Flow::Close) {
            break;
        }
    }
    let _ = wr.shutdown().await;
    reader.abort();
    deliver_rx.close();
    let mut unacked: Vec<Outgoing> = s.inflight.drain().map(|(_, (sm, _))| sm).collect();
    unacked.extend(s.backlog.drain(..));
    while let Ok(sm) = deliver_rx.try_recv() {
        unacked.push(sm);
    }
    if let Some(a) = &s.account {
        s.smsc.unbind(&a.id);
        if s.state.can_receive() {
            s.smsc.remove_receiver(&a.id, s.id, unacked);
        } else {
            for sm in unacked {
                s.smsc.route(&a.id, sm);
            }
        }
    }
}

/// Frames PDUs off the socket and hands them to the session.
async fn read_loop(
    mut rd: OwnedReadHalf,
    tx: mpsc::Sender<Input>,
    pending: Arc<AtomicUsize>,
    window: Arc<AtomicUsize>,
) {
    let mut buf = BytesMut::with_capacity(16 * 1024);
    loop {
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = tx.send(Input::Eof).await;
                return;
            }
            Ok(_) => {}
        }
        loop {
            match pdu::frame(&mut buf) {
                Ok(Some(p)) => {
                    let submits = matches!(
                        p.command_id,
                        cmd::SUBMIT_SM | cmd::SUBMIT_MULTI | cmd::DATA_SM
                    );
                    let input = if submits
                        && pending.load(Ordering::Acquire) >= window.load(Ordering::Acquire)
                    {
                        Input::Reject(p, status::ESME_RMSGQFUL)
                    } else {
                        if !p.is_response() {
                            pending.fetch_add(1, Ordering::AcqRel);
                        }
                        Input::Request(p)
                    };
                    if tx.send(input).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx
                        .send(Input::Broken(
                            e.sequence.unwrap_or(0),
                            status::ESME_RINVCMDLEN,
                        ))
                        .await;
                    return;
                }
            }
        }
    }
}

impl Session {
    fn seq(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = if s >= 0x7FFF_FFFF { 1 } else { s + 1 };
        s
    }

    fn push(&mut self, p: &Pdu) {
        p.encode_into(&mut self.out);
    }

    async fn input(&mut self, i: Input) -> Flow {
        match i {
            Input::Eof => Flow::Close,
            Input::Broken(seq, st) => {
                self.push(&Pdu::new(cmd::GENERIC_NACK, st, seq, Vec::new()));
                self.journal("generic_nack", Vec::new(), st, Instant::now());
                Flow::Close
            }
            Input::Reject(p, st) => {
                self.push(&Pdu::new(
                    p.command_id | cmd::RESP,
                    st,
                    p.sequence,
                    Vec::new(),
                ));
                self.journal(command_name(p.command_id), Vec::new(), st, Instant::now());
                Flow::Continue
            }
            Input::Request(p) if p.is_response() => self.response(p),
            Input::Request(p) => {
                let flow = self.request(p).await;
                self.pending.fetch_sub(1, Ordering::AcqRel);
                flow
            }
        }
    }

    /// A response from the ESME (to deliver_sm, enquire_link, unbind).
    fn response(&mut self, p: Pdu) -> Flow {
        match p.command_id {
            x if x == cmd::DELIVER_SM | cmd::RESP => {
                if let Some((_, at)) = self.inflight.remove(&p.sequence) {
                    self.journal("deliver_sm", Vec::new(), p.status, at);
                }
                self.pump();
                Flow::Continue
            }
            x if x == cmd::UNBIND | cmd::RESP => Flow::Close,
            cmd::GENERIC_NACK => Flow::Continue,
            x if x == cmd::ENQUIRE_LINK | cmd::RESP => Flow::Continue,
            _ => {
                self.push(&Pdu::new(
                    cmd::GENERIC_NACK,
                    status::ESME_RINVCMDID,
                    p.sequence,
                    Vec::new(),
                ));
                Flow::Continue
            }
        }
    }

    /// A deliver_sm for this receiver: sent now if the window allows.
    /// Beyond the window the session keeps at most `queue_cap` waiting (a
    /// receiver that never acknowledges cannot grow it without bound); the
    /// oldest is dropped then, as the account's queue does.
    fn offer(&mut self, sm: Outgoing) {
        self.backlog.push_back(sm);
        let cap = self.limits.queue_cap.max(1);
        while self.backlog.len() > cap {
            self.backlog.pop_front();
            tracing::warn!(
                "SMPP session {}: receiver backlog over {cap}, oldest deliver_sm dropped",
                self.id
            );
        }
        self.pump();
    }

    fn pump(&mut self) {
        while self.inflight.len() < self.limits.window {
            let Some(sm) = self.backlog.pop_front() else {
                break;
            };
            let seq = self.seq();
            self.push(&Pdu::new(cmd::DELIVER_SM, 0, seq, sm.encode()));
            self.inflight.insert(seq, (sm, Instant::now()));
        }
    }

    /// Answers one request.
    async fn request(&mut self, p: Pdu) -> Flow {
        let started = Instant::now();
        let name = command_name(p.command_id);
        let known =
            name != "unknown" && !matches!(p.command_id, cmd::OUTBIND | cmd::ALERT_NOTIFICATION);
        if !known {
            self.push(&Pdu::new(
                cmd::GENERIC_NACK,
                status::ESME_RINVCMDID,
                p.sequence,
                Vec::new(),
            ));
            self.journal("generic_nack", Vec::new(), status::ESME_RINVCMDID, started);
            return Flow::Continue;
        }
        match self.fault(name).await {
            FaultAction::Serve => {}
            FaultAction::Drop => return Flow::Continue,
            FaultAction::Close => return Flow::Close,
            FaultAction::Status(st) => {
                self.push(&Pdu::new(
                    p.command_id | cmd::RESP,
                    st,
                    p.sequence,
                    Vec::new(),
                ));
                self.journal(name, Vec::new(), st, started);
                return Flow::Continue;
            }
        }
        let (answer, params, flow) = match self.handle(&p) {
            Ok((body, params, flow)) => ((status::ESME_ROK, body), params, flow),
            Err(Refusal::Nack(st)) => {
                self.push(&Pdu::new(cmd::GENERIC_NACK, st, p.sequence, Vec::new()));
                self.journal("generic_nack", Vec::new(), st, started);
                return Flow::Continue;
            }
            Err(Refusal::Status(st, params)) => ((st, Vec::new()), params, Flow::Continue),
        };
        self.push(&Pdu::new(
            p.command_id | cmd::RESP,
            answer.0,
            p.sequence,
            answer.1,
        ));
        self.journal(name, params, answer.0, started);
        flow
    }

    /// Consults the control plane's fault rules for this command.
    async fn fault(&self, name: &str) -> FaultAction {
        let path = format!("/smpp/{name}");
        let accounts: Vec<String> = self.account.iter().map(|a| a.id.to_string()).collect();
        let d = self.plane.faults.decide(&RequestFacts {
            carrier: self.account.as_ref().map(|a| a.carrier),
            path: &path,
            http_method: "SMPP",
            params: &[],
            accounts: &accounts,
            cards: &[],
        });
        if !d.delay.is_zero() {
            tokio::time::sleep(d.delay).await;
        }
        match d.action {
            None => FaultAction::Serve,
            Some(FaultKind::Latency { .. }) => FaultAction::Serve,
            Some(FaultKind::Reset) | Some(FaultKind::Truncate) => FaultAction::Close,
            Some(FaultKind::Timeout { ms }) => {
                tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
                FaultAction::Drop
            }
            Some(FaultKind::Http { .. }) => FaultAction::Drop,
            Some(FaultKind::CarrierError { error }) => FaultAction::Status(match error {
                NeutralError::TooFrequent => status::ESME_RTHROTTLED,
                NeutralError::Auth
                | NeutralError::Busy
                | NeutralError::Timeout
                | NeutralError::Internal => status::ESME_RSYSERR,
                NeutralError::NotFound | NeutralError::NotYours => status::ESME_RINVDSTADR,
                NeutralError::BadRequest => status::ESME_RSUBMITFAIL,
            }),
        }
    }

    /// Records the exchange in the request journal and the metrics.
    fn journal(&self, name: &str, params: Vec<(String, String)>, st: u32, started: Instant) {
        let plane = &self.plane;
        let took = started.elapsed();
        let carrier = self.account.as_ref().map(|a| a.carrier);
        let path = format!("/smpp/{name}");
        plane
            .metrics
            .observe_request(carrier, &path, st as u16, took);
        plane.requests.push(RequestRecord {
            seq: 0,
            time: crate::clock::rfc3339(jiff::Timestamp::now()),
            sim_time: crate::clock::rfc3339(self.smsc.world.now()),
            carrier,
            method: "SMPP".into(),
            path,
            params,
            status: st as u16,
            body: format!(
                "command_status=0x{st:08X} {}",
                super::codes::status_name(st)
            ),
            latency_ms: took.as_secs_f64() * 1000.0,
            account: self.account.as_ref().map(|a| a.id.to_string()),
            cards: Vec::new(),
            faults: Vec::new(),
            ..Default::default()
        });
    }

    /// Dispatches a request by command id.
    fn handle(&mut self, p: &Pdu) -> Handled {
        match p.command_id {
            cmd::BIND_TRANSMITTER => self.bind(p, BindState::Tx),
            cmd::BIND_RECEIVER => self.bind(p, BindState::Rx),
            cmd::BIND_TRANSCEIVER => self.bind(p, BindState::Trx),
            cmd::ENQUIRE_LINK => Ok((Vec::new(), Vec::new(), Flow::Continue)),
            cmd::UNBIND => {
                self.bound()?;
                Ok((Vec::new(), Vec::new(), Flow::Close))
            }
            cmd::SUBMIT_SM => self.submit_sm(p),
            cmd::SUBMIT_MULTI => self.submit_multi(p),
            cmd::DATA_SM => self.data_sm(p),
            cmd::QUERY_SM => self.query_sm(p),
            cmd::CANCEL_SM => self.cancel_sm(p),
            cmd::REPLACE_SM => self.replace_sm(p),
            cmd::DELIVER_SM => Err(Refusal::Status(status::ESME_RINVBNDSTS, Vec::new())),
            _ => Err(Refusal::Nack(status::ESME_RINVCMDID)),
        }
    }

    fn bound(&self) -> Result<&Account, Refusal> {
        match (&self.account, self.state) {
            (Some(a), s) if s != BindState::Open => Ok(a),
            _ => Err(Refusal::Status(status::ESME_RINVBNDSTS, Vec::new())),
        }
    }

    /// The account when bound to submit; checks the throughput too.
    fn submitter(&self) -> Result<(Account, Limits), Refusal> {
        let a = self.bound()?;
        if !self.state.can_submit() {
            return Err(Refusal::Status(status::ESME_RINVBNDSTS, Vec::new()));
        }
        let limiter = &self.plane.ratelimits;
        if !limiter.admit_rate("smpp-throughput", &a.id, self.limits.throughput) {
            return Err(Refusal::Status(status::ESME_RTHROTTLED, Vec::new()));
        }
        Ok((a.clone(), self.limits.clone()))
    }

    fn bind(&mut self, p: &Pdu, to: BindState) -> Handled {
        let b = Bind::parse(&p.body).map_err(body_refusal)?;
        let params = vec![
            ("system_id".to_string(), b.system_id.clone()),
            ("system_type".to_string(), b.system_type.clone()),
        ];
        let fail = |st| Err(Refusal::Status(st, params.clone()));
        if self.state != BindState::Open {
            return fail(status::ESME_RALYBND);
        }
        // `w3:cmccesme` binds to world w3's SMSC as `cmccesme` (docs/smpp.md);
        // an unknown world is an unknown system_id.
        let (world_id, system_id) = crate::devices::split_world(&b.system_id);
        if let Some(w) = world_id {
            let Some((smsc, plane)) = self.worlds.as_ref().and_then(|ws| ws.of(w)) else {
                return fail(status::ESME_RINVSYSID);
            };
            self.smsc = smsc;
            self.plane = plane;
            self.id = self.smsc.session_id();
        }
        let Some(account) = self.smsc.account_by_system_id(system_id) else {
            return fail(status::ESME_RINVSYSID);
        };
        let creds = account.credentials.smpp.as_ref().expect("found by smpp");
        if creds.password != b.password {
            return fail(status::ESME_RINVPASWD);
        }
        let limits = Limits::of(&self.smsc.world, &account.id);
        if !self.smsc.try_bind(&account.id, limits.max_binds) {
            return fail(status::ESME_RBINDFAIL);
        }
        self.window.store(limits.window, Ordering::Release);
        self.limits = limits;
        self.state = to;
        if to.can_receive() {
            self.smsc
                .add_receiver(&account.id, self.id, self.deliver_tx.clone());
        }
        self.account = Some(account);
        Ok((pdu::bind_resp_body(SMSC_SYSTEM_ID), params, Flow::Continue))
    }

    fn submit_sm(&mut self, p: &Pdu) -> Handled {
        let sm = Sm::parse(&p.body).map_err(body_refusal)?;
        let params = sm_params(&sm);
        let (account, limits) = self.submitter().map_err(|r| r.with(params.clone()))?;
        let id = self
            .smsc
            .submit(&Submission {
                account: &account,
                limits: &limits,
                source: &sm.source,
                dest: &sm.dest,
                esm_class: sm.esm_class,
                data_coding: sm.data_coding,
                registered_delivery: sm.registered_delivery,
                schedule_delivery_time: &sm.schedule_delivery_time,
                validity_period: &sm.validity_period,
                short_message: &sm.short_message,
                tlvs: &sm.tlvs,
            })
            .map_err(|st| Refusal::Status(st, params.clone()))?;
        Ok((
            pdu::message_id_body(&id.to_string()),
            params,
            Flow::Continue,
        ))
    }

    fn submit_multi(&mut self, p: &Pdu) -> Handled {
        let m = match SubmitMulti::parse(&p.body).map_err(body_refusal)? {
            Ok(m) => m,
            Err(_) => return Err(Refusal::Status(status::ESME_RINVDESTFLAG, Vec::new())),
        };
        let params = sm_params(&m.sm);
        let (account, limits) = self.submitter().map_err(|r| r.with(params.clone()))?;
        if m.dests.is_empty() {
            return Err(Refusal::Status(status::ESME_RINVNUMDESTS, params));
        }
        let mut first = None;
        let mut failed = Vec::new();
        for d in &m.dests {
            let addr = match d {
                Dest::List(name) => {
                    failed.push((pdu::Address::new(name), status::ESME_RINVDLNAME));
                    continue;
                }
                Dest::Sme(a) => a,
            };
            let r = self.smsc.submit(&Submission {
                account: &account,
                limits: &limits,
                source: &m.sm.source,
                dest: addr,
                esm_class: m.sm.esm_class,
                data_coding: m.sm.data_coding,
                registered_delivery: m.sm.registered_delivery,
                schedule_delivery_time: &m.sm.schedule_delivery_time,
                validity_period: &m.sm.validity_period,
                short_message: &m.sm.short_message,
                tlvs: &m.sm.tlvs,
            });
            match r {
                Ok(id) => {
                    first.get_or_insert(id);
                }
                Err(st) => failed.push((addr.clone(), st)),
            }
        }
        let mut body = Vec::new();
        body.cstr(&first.map(|i| i.to_string()).unwrap_or_default());
        body.push(failed.len() as u8);
        for (a, st) in &failed {
            body.address(a);
            body.extend_from_slice(&st.to_be_bytes());
        }
        Ok((body, params, Flow::Continue))
    }

    fn data_sm(&mut self, p: &Pdu) -> Handled {
        let d = DataSm::parse(&p.body).map_err(body_refusal)?;
        let params = vec![
            ("source_addr".to_string(), d.source.addr.clone()),
            ("destination_addr".to_string(), d.dest.addr.clone()),
        ];
        let (account, limits) = self.submitter().map_err(|r| r.with(params.clone()))?;
        let id = self
            .smsc
            .submit(&Submission {
                account: &account,
                limits: &limits,
                source: &d.source,
                dest: &d.dest,
                esm_class: d.esm_class,
                data_coding: d.data_coding,
                registered_delivery: d.registered_delivery,
                schedule_delivery_time: "",
                validity_period: "",
                short_message: &[],
                tlvs: &d.tlvs,
            })
            .map_err(|st| Refusal::Status(st, params.clone()))?;
        Ok((
            pdu::message_id_body(&id.to_string()),
            params,
            Flow::Continue,
        ))
    }

    /// The id as this SMSC issues them, owned by the bound account.
    fn own_message(&self, id: &str) -> Result<(u64, super::smsc::Record), u32> {
        let account = self
            .account
            .as_ref()
            .map(|a| a.id.clone())
            .unwrap_or_default();
        id.parse::<u64>()
            .ok()
            .and_then(|n| self.smsc.record(n).map(|r| (n, r)))
            .filter(|(_, r)| r.account == account)
            .ok_or(status::ESME_RINVMSGID)
    }

    fn query_sm(&mut self, p: &Pdu) -> Handled {
        let q = QuerySm::parse(&p.body).map_err(body_refusal)?;
        let params = vec![("message_id".to_string(), q.message_id.clone())];
        self.submitter().map_err(|r| r.with(params.clone()))?;
        let (_, r) = self
            .own_message(&q.message_id)
            .map_err(|st| Refusal::Status(st, params.clone()))?;
        let mut body = Vec::new();
        body.cstr(&q.message_id);
        body.cstr(&r.done.map(smpp_time).unwrap_or_default());
        body.push(r.state as u8);
        body.push(r.err.min(255) as u8);
        Ok((body, params, Flow::Continue))
    }

    fn cancel_sm(&mut self, p: &Pdu) -> Handled {
        let c = CancelSm::parse(&p.body).map_err(body_refusal)?;
        let params = vec![
            ("message_id".to_string(), c.message_id.clone()),
            ("destination_addr".to_string(), c.dest.addr.clone()),
        ];
        let (account, _) = self.submitter().map_err(|r| r.with(params.clone()))?;
        let fail = |st| Refusal::Status(st, params.clone());
        if c.message_id.is_empty() {
            if self
                .smsc
                .cancel_all(&account.id, &c.source.addr, &c.dest.addr)
                == 0
            {
                return Err(fail(status::ESME_RCANCELFAIL));
            }
        } else {
            let (id, r) = self.own_message(&c.message_id).map_err(fail)?;
            if r.state.is_final() || !self.smsc.cancel(&account.id, id) {
                return Err(fail(status::ESME_RCANCELFAIL));
            }
        }
        Ok((Vec::new(), params, Flow::Continue))
    }

    fn replace_sm(&mut self, p: &Pdu) -> Handled {
        let r = ReplaceSm::parse(&p.body).map_err(body_refusal)?;
        let params = vec![("message_id".to_string(), r.message_id.clone())];
        let (account, _) = self.submitter().map_err(|x| x.with(params.clone()))?;
        let fail = |st| Refusal::Status(st, params.clone());
        let (id, rec) = self.own_message(&r.message_id).map_err(fail)?;
        let now = self.smsc.world.now();
        let schedule = super::messages::parse_time(&r.schedule_delivery_time, now)
            .map_err(|_| fail(status::ESME_RINVSCHED))?;
        let validity = super::messages::parse_time(&r.validity_period, now)
            .map_err(|_| fail(status::ESME_RINVEXPIRY))?;
        if rec.state != MessageState::Enroute
            || !self
                .smsc
                .replace(&account.id, id, &r.short_message, schedule, validity)
        {
            return Err(fail(status::ESME_RREPLACEFAIL));
        }
        Ok((Vec::new(), params, Flow::Continue))
    }
}

/// Why a request is not served: its response with an error status, or a
/// generic_nack.
enum Refusal {
    Status(u32, Vec<(String, String)>),
    Nack(u32),
}

impl Refusal {
    fn with(self, params: Vec<(String, String)>) -> Refusal {
        match self {
            Refusal::Status(st, _) => Refusal::Status(st, params),
            n => n,
        }
    }
}

type Handled = Result<(Vec<u8>, Vec<(String, String)>, Flow), Refusal>;

/// A body that does not parse: broken TLVs get the command's response with
/// `ESME_RINVOPTPARSTREAM`, anything else a generic_nack `ESME_RINVCMDLEN`.
fn body_refusal(e: pdu::BodyError) -> Refusal {
    match e {
        pdu::BodyError::BadTlv => Refusal::Status(status::ESME_RINVOPTPARSTREAM, Vec::new()),
        pdu::BodyError::Malformed => Refusal::Nack(status::ESME_RINVCMDLEN),
    }
}

fn sm_params(sm: &Sm) -> Vec<(String, String)> {
    vec![
        ("source_addr".to_string(), sm.source.addr.clone()),
        ("destination_addr".to_string(), sm.dest.addr.clone()),
        ("data_coding".to_string(), sm.data_coding.to_string()),
    ]
}

/// An absolute SMPP time in Beijing time (`YYMMDDhhmmss032+`: tenths 0, +32 quarter hours).
fn smpp_time(ts: jiff::Timestamp) -> String {
    format!("{}032+", crate::clock::fmt_local(ts, "%y%m%d%H%M%S"))
}
