//! The faults, one function each: set up a bed, watch a stream through the fault, publish
//! after it, and judge what a connected client and a reconnecting client saw.
//!
//! The promise judged: every event exactly once and in order, or a `reset` with a reason
//! followed by every event published after it; a reset exactly when events a client had
//! were lost; never one id for two events.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::bed::{Instance, RedisNode, SentinelNode};
use super::row::Row;
use super::watch::{describe, short_id, Seen, Watch};
use crate::requests::{post_publish, publish, seq};

const TOPIC: &str = "chaos";
/// The longest a watcher reads: long enough for a Sentinel failover.
const CAP: Duration = Duration::from_secs(25);
/// Events published before the fault, and after it.
const BEFORE: usize = 5;
const AFTER: usize = 3;

/// What every fault needs.
pub(crate) struct Ctx {
    pub(crate) binary: PathBuf,
    pub(crate) dir: PathBuf,
}

/// Faults whose bed is Redis and two instances, judged on `/subscribe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopicFault {
    Flush,
    /// `FLUSHALL`, then nobody publishes or resumes for 2 s: the follower must notice by
    /// itself.
    QuietFlush,
    RestartEmpty,
    RestartFromSnapshot,
    RestartWithData,
    Failover,
    LaggingFailover,
}

impl TopicFault {
    pub(crate) const ALL: [Self; 7] = [
        Self::Flush,
        Self::QuietFlush,
        Self::RestartEmpty,
        Self::RestartFromSnapshot,
        Self::LaggingFailover,
        Self::RestartWithData,
        Self::Failover,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Flush => "`FLUSHALL` under open streams",
            Self::QuietFlush => "`FLUSHALL`, then nothing published or resumed for 2 s",
            Self::RestartEmpty => "Redis SIGKILLed, back empty (no persistence)",
            Self::RestartFromSnapshot => {
                "Redis SIGKILLed, back from a snapshot taken before the last 2 events"
            }
            Self::LaggingFailover => {
                "primary SIGKILLed; Sentinel promotes a replica that missed the last 2 events"
            }
            Self::RestartWithData => "Redis shut down and back with all its data",
            Self::Failover => "primary SIGKILLed; Sentinel promotes a replica that had everything",
        }
    }

    /// How many of the events before the fault survive it.
    fn survivors(self) -> usize {
        match self {
            Self::Flush | Self::QuietFlush | Self::RestartEmpty => 0,
            Self::RestartFromSnapshot | Self::LaggingFailover => BEFORE - 2,
            Self::RestartWithData | Self::Failover => BEFORE,
        }
    }

    fn sentinel(self) -> bool {
        matches!(self, Self::Failover | Self::LaggingFailover)
    }
}

/// The engine of a bed: one Redis, or a primary, a replica and a Sentinel.
struct Engine {
    primary: RedisNode,
    replica: Option<RedisNode>,
    sentinel: Option<SentinelNode>,
}

impl Engine {
    async fn start(dir: &Path, sentinel: bool) -> Result<Self, String> {
        let primary = RedisNode::start(dir, &[]).await?;
        if !sentinel {
            return Ok(Self {
                primary,
                replica: None,
                sentinel: None,
            });
        }
        let replica = RedisNode::start(
            dir,
            &["--replicaof", "127.0.0.1", &primary.port.to_string()],
        )
        .await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !replica.link_is_up() {
            if Instant::now() > deadline {
                return Err("the replica never synchronised".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sentinel = SentinelNode::start(dir, &primary).await?;
        Ok(Self {
            primary,
            replica: Some(replica),
            sentinel: Some(sentinel),
        })
    }

    /// Waits until the replica holds every write so far (`WAIT 1`).
    fn replicated(&self) -> Result<(), String> {
        match self.primary.cli(&["WAIT", "1", "2000"]).as_deref() {
            Some("1") => Ok(()),
            other => Err(format!(
                "the replica did not acknowledge: WAIT said {other:?}"
            )),
        }
    }

    fn url(&self) -> String {
        self.sentinel
            .as_ref()
            .map_or_else(|| self.primary.url(), SentinelNode::url)
    }
}

/// Publishes `data` through `base` until it is accepted (or `patience` passes); the id
/// and how many times it was refused first.
async fn publish_until_accepted(
    base: &str,
    data: &str,
    patience: Duration,
) -> Result<(String, usize), String> {
    let deadline = Instant::now() + patience;
    let mut refused = 0;
    loop {
        match post_publish(base, TOPIC, data, None, false).await {
            Ok(answer) if answer.id.is_some() => {
                return Ok((answer.id.expect("checked"), refused));
            }
            Ok(_) | Err(_) if Instant::now() < deadline => {
                refused += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(answer) => {
                return Err(format!(
                    "publish refused: {} {}",
                    answer.status, answer.body
                ))
            }
            Err(error) => return Err(error),
        }
    }
}

pub(crate) async fn topic_fault(ctx: &Ctx, fault: TopicFault) -> Row {
    let mut row = Row::new(fault.name());
    let verdict = topic_fault_in(ctx, fault, &mut row).await;
    row.verdict = verdict;
    row
}

async fn topic_fault_in(ctx: &Ctx, fault: TopicFault, row: &mut Row) -> Result<String, String> {
    let mut engine = Engine::start(&ctx.dir, fault.sentinel()).await?;
    let url = engine.url();
    let a = Instance::start(&ctx.binary, Some(&url))?;
    let b = Instance::start(&ctx.binary, Some(&url))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lost = fault.survivors() < BEFORE;
    let subscribe = |instance: &Instance| format!("{}/subscribe?topic={TOPIC}", instance.base);
    let connected = Watch::start(subscribe(&b), None, BEFORE + usize::from(lost) + AFTER, CAP);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut before = Vec::new();
    for n in 1..=BEFORE {
        if n == fault.survivors() + 1 {
            match fault {
                TopicFault::RestartFromSnapshot => {
                    expect_ok(engine.primary.cli(&["SAVE"]), "SAVE")?;
                }
                TopicFault::LaggingFailover => {
                    // Everything so far on the replica, then its link cut for good: the
                    // primary refuses its resync.
                    let replica = engine.replica.as_ref().expect("a replica");
                    engine.replicated()?;
                    expect_ok(
                        engine
                            .primary
                            .cli(&["ACL", "SETUSER", "default", "-psync", "-sync"]),
                        "ACL SETUSER",
                    )?;
                    engine.primary.cli(&["CLIENT", "KILL", "TYPE", "replica"]);
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while replica.link_is_up() && Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                _ => {}
            }
        }
        before.push(publish(&a.base, TOPIC, &format!("before{n}"), false).await?);
    }
    if fault == TopicFault::Failover {
        engine.replicated()?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let fault_at = Instant::now();
    let back = match fault {
        TopicFault::Flush | TopicFault::QuietFlush => {
            expect_ok(engine.primary.cli(&["FLUSHALL"]), "FLUSHALL")?;
            Instant::now()
        }
        TopicFault::RestartEmpty | TopicFault::RestartFromSnapshot => {
            engine.primary.kill();
            tokio::time::sleep(Duration::from_millis(500)).await;
            engine.primary.restart().await?
        }
        TopicFault::RestartWithData => {
            engine.primary.cli(&["SHUTDOWN", "SAVE"]);
            engine.primary.kill();
            tokio::time::sleep(Duration::from_millis(500)).await;
            engine.primary.restart().await?
        }
        TopicFault::Failover | TopicFault::LaggingFailover => {
            engine.primary.kill();
            let replica = engine.replica.as_ref().expect("a replica").port;
            engine
                .sentinel
                .as_ref()
                .expect("a sentinel")
                .promoted(replica)
                .await?
        }
    };
    if fault == TopicFault::QuietFlush {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // A client that reconnects with the last id it had, as soon as the engine answers,
    // before anything new is published.
    let reconnecting = Watch::start(
        subscribe(&a),
        before.last().map(String::as_str),
        usize::from(lost) + AFTER,
        CAP,
    );
    let mut after = Vec::new();
    for n in 1..=AFTER {
        let (id, refused) =
            publish_until_accepted(&b.base, &format!("after{n}"), Duration::from_secs(20)).await?;
        row.refused += refused;
        after.push(id);
    }
    let connected = connected.finish().await?;
    let reconnecting = reconnecting.finish().await?;

    for id in &after {
        if before.contains(id) {
            return Err(format!("{id} was given to two events"));
        }
    }
    let at_fault = connected.partition_point(|event| event.at < fault_at);
    let connected_after = &connected[at_fault..];
    row.connected = describe(connected_after);
    row.reconnecting = describe(&reconnecting);
    row.recovered = connected_after
        .first()
        .map(|event| event.at.saturating_duration_since(back));
    let wanted: Vec<String> = (1..=AFTER).map(|n| format!("after{n}")).collect();
    judge(connected_after, lost.then_some("lost"), &wanted, &after)
        .map_err(|why| format!("connected client: {why}"))?;
    judge(&reconnecting, lost.then_some("lost"), &wanted, &after)
        .map_err(|why| format!("reconnecting client: {why}"))?;
    if lost {
        let cursor = &connected_after[0].id;
        if seq(cursor) != Some(fault.survivors() as u64) {
            return Err(format!("the reset's id {cursor} is not the last survivor"));
        }
    }
    Ok(if lost {
        format!(
            "{} lost events reported; no id given twice",
            BEFORE - fault.survivors()
        )
    } else {
        "nothing lost, nothing reset".into()
    })
}

/// A reset with `reason` first (or none at all), then exactly `wanted` with `ids`.
fn judge(
    events: &[Seen],
    reason: Option<&str>,
    wanted: &[String],
    ids: &[String],
) -> Result<(), String> {
    let mut rest = events;
    match (reason, rest.first().and_then(Seen::reset_reason)) {
        (Some(want), Some(got)) if want == got => rest = &rest[1..],
        (Some(want), got) => {
            return Err(format!(
                "expected a `{want}` reset first, got {got:?}: {}",
                describe(events)
            ))
        }
        (None, Some(got)) => return Err(format!("an unexpected `{got}` reset")),
        (None, None) => {}
    }
    let data: Vec<&String> = rest.iter().map(|event| &event.data).collect();
    let got_ids: Vec<&String> = rest.iter().map(|event| &event.id).collect();
    if data != wanted.iter().collect::<Vec<_>>() || got_ids != ids.iter().collect::<Vec<_>>() {
        return Err(format!("expected {wanted:?}, got {}", describe(events)));
    }
    Ok(())
}

fn expect_ok(answer: Option<String>, what: &str) -> Result<(), String> {
    answer.map(|_| ()).ok_or_else(|| format!("{what} failed"))
}

/// The faults judged otherwise than by the topic's events around them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OtherFault {
    OutageNewInstance,
    TimedOutPublish,
    /// Watched for this many seconds.
    EvictedOnceKeys(u64),
    MemoryRestart,
}

impl OtherFault {
    fn name(self) -> &'static str {
        match self {
            Self::OutageNewInstance => {
                "Redis down; an instance starts meanwhile; a client takes its id to an older one"
            }
            Self::TimedOutPublish => {
                "a publish times out (`DEBUG SLEEP 5`) and is retried with its `Idempotency-Key`"
            }
            Self::EvictedOnceKeys(_) => {
                "the ticker's once-keys evicted every 200 ms, two instances ticking"
            }
            Self::MemoryRestart => "one instance in memory (no Redis), SIGKILLed and restarted",
        }
    }
}

pub(crate) async fn other_fault(ctx: &Ctx, fault: OtherFault) -> Row {
    let mut row = Row::new(fault.name());
    let verdict = match fault {
        OtherFault::OutageNewInstance => outage_new_instance(ctx, &mut row).await,
        OtherFault::TimedOutPublish => timed_out_publish(ctx, &mut row).await,
        OtherFault::EvictedOnceKeys(seconds) => evicted_once_keys(ctx, seconds, &mut row).await,
        OtherFault::MemoryRestart => memory_restart(ctx, &mut row).await,
    };
    row.verdict = verdict;
    row
}

/// Redis down, an instance started meanwhile, Redis back empty: an id that instance
/// gives, taken to an older instance, resumes there.
async fn outage_new_instance(ctx: &Ctx, row: &mut Row) -> Result<String, String> {
    let mut redis = RedisNode::start(&ctx.dir, &[]).await?;
    let url = redis.url();
    let a = Instance::start(&ctx.binary, Some(&url))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected = Watch::start(
        format!("{}/subscribe?topic={TOPIC}", a.base),
        None,
        2 + 1 + AFTER,
        CAP,
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 1..=2 {
        publish(&a.base, TOPIC, &format!("before{n}"), false).await?;
    }
    redis.kill();
    let c = Instance::start(&ctx.binary, Some(&url))?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let back = redis.restart().await?;
    let (first, refused) =
        publish_until_accepted(&c.base, "after1", Duration::from_secs(10)).await?;
    row.refused = refused;
    let moved = Watch::start(
        format!("{}/subscribe?topic={TOPIC}", a.base),
        Some(&first),
        AFTER - 1,
        CAP,
    );
    let mut ids = vec![first.clone()];
    for n in 2..=AFTER {
        ids.push(publish(&c.base, TOPIC, &format!("after{n}"), false).await?);
    }
    let connected = connected.finish().await?;
    let moved = moved.finish().await?;
    let after_fault = &connected[2.min(connected.len())..];
    row.connected = describe(after_fault);
    row.reconnecting = format!("with `{}`: {}", short_id(&first), describe(&moved));
    row.recovered = after_fault
        .first()
        .map(|event| event.at.saturating_duration_since(back));
    let wanted: Vec<String> = (1..=AFTER).map(|n| format!("after{n}")).collect();
    judge(after_fault, Some("lost"), &wanted, &ids)
        .map_err(|why| format!("connected client: {why}"))?;
    judge(&moved, None, &wanted[1..], &ids[1..])
        .map_err(|why| format!("reconnecting client: {why}"))?;
    Ok("the log judged the id, not the older instance's window".into())
}

/// A publish that times out (Redis stalls) and is retried with its `Idempotency-Key`.
async fn timed_out_publish(ctx: &Ctx, row: &mut Row) -> Result<String, String> {
    let redis = RedisNode::start(&ctx.dir, &[]).await?;
    let a = Instance::start(&ctx.binary, Some(&redis.url()))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = publish(&a.base, TOPIC, "before", false).await?;
    let connected = Watch::start(
        format!("{}/subscribe?topic={TOPIC}", a.base),
        Some(&first),
        2,
        CAP,
    );
    let port = redis.port;
    let sleeper = std::thread::spawn(move || {
        std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "DEBUG", "SLEEP", "5"])
            .output()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let timed_out = post_publish(&a.base, TOPIC, "keyed", Some("order-1"), false).await?;
    if timed_out.status != 503 {
        return Err(format!(
            "expected 503 while Redis sleeps, got {}",
            timed_out.status
        ));
    }
    row.refused = 1;
    let _ = sleeper.join();
    let back = Instant::now();
    let retried = post_publish(&a.base, TOPIC, "keyed", Some("order-1"), false).await?;
    row.recovered = Some(back.elapsed());
    if retried.status != 202 || !retried.replayed {
        return Err(format!(
            "the retry answered {} (replayed: {})",
            retried.status, retried.replayed
        ));
    }
    let next = publish(&a.base, TOPIC, "next", false).await?;
    let seen = connected.finish().await?;
    row.connected = describe(&seen);
    row.reconnecting = format!(
        "the retry: 202, `Idempotent-Replayed: true`, id `{}`",
        short_id(retried.id.as_deref().unwrap_or(""))
    );
    let wanted = ["keyed".to_owned(), "next".to_owned()];
    judge(
        &seen,
        None,
        &wanted,
        &[retried.id.clone().unwrap_or_default(), next],
    )
    .map_err(|why| format!("connected client: {why}"))?;
    Ok("the event went in once; the retry got its id".into())
}

/// The cluster-wide ticker while its once-keys are removed again and again (what an
/// `allkeys-*` eviction policy does to them): no tick twice.
async fn evicted_once_keys(ctx: &Ctx, seconds: u64, row: &mut Row) -> Result<String, String> {
    let redis = RedisNode::start(&ctx.dir, &[]).await?;
    let a = Instance::start(&ctx.binary, Some(&redis.url()))?;
    let b = Instance::start(&ctx.binary, Some(&redis.url()))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ticks = |instance: &Instance| format!("{}/events?interval_ms=100", instance.base);
    let duration = Duration::from_secs(seconds);
    let on_a = Watch::start(ticks(&a), None, usize::MAX, duration);
    let on_b = Watch::start(ticks(&b), None, usize::MAX, duration);
    let deadline = Instant::now() + duration;
    let mut evictions = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if redis.cli(&["DEL", "{sse-demo-ticks-100}:once"]).as_deref() == Some("1") {
            evictions += 1;
        }
    }
    let (on_a, on_b) = (on_a.finish().await?, on_b.finish().await?);
    let numbers = |events: &[Seen]| -> Vec<u64> {
        events
            .iter()
            .filter_map(|event| {
                event
                    .data
                    .trim_start_matches("{\"n\":")
                    .trim_end_matches('}')
                    .parse()
                    .ok()
            })
            .collect()
    };
    let (na, nb) = (numbers(&on_a), numbers(&on_b));
    let increasing = |n: &[u64]| n.windows(2).all(|pair| pair[1] > pair[0]);
    let consecutive_ids = |events: &[Seen]| {
        events
            .windows(2)
            .all(|pair| seq(&pair[1].id) == seq(&pair[0].id).map(|n| n + 1))
    };
    row.connected = format!(
        "{} ticks on one instance, {} on the other, {evictions} evictions",
        na.len(),
        nb.len()
    );
    row.reconnecting = "—".into();
    if na.len() < 10
        || !increasing(&na)
        || !increasing(&nb)
        || !consecutive_ids(&on_a)
        || !consecutive_ids(&on_b)
    {
        return Err(format!("a tick twice or out of order: {na:?} / {nb:?}"));
    }
    Ok("no tick twice: the once-set is rebuilt from the stream".into())
}

/// One instance in memory, SIGKILLed and restarted: a client's old id is reset, not
/// resumed into the new run's events.
async fn memory_restart(ctx: &Ctx, row: &mut Row) -> Result<String, String> {
    let instance = Instance::start(&ctx.binary, None)?;
    let url = |instance: &Instance| format!("{}/events?interval_ms=100", instance.base);
    let first = Watch::start(url(&instance), None, 3, CAP).finish().await?;
    let last = first.last().ok_or("no tick before the restart")?.id.clone();
    let instance = instance.restart(&ctx.binary, None)?;
    let back = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = Watch::start(url(&instance), Some(&last), 3, CAP)
        .finish()
        .await?;
    row.connected = format!(
        "3 ticks up to `{}`, then the connection broke",
        short_id(&last)
    );
    row.reconnecting = describe(&again);
    row.recovered = again
        .first()
        .map(|event| event.at.saturating_duration_since(back));
    match again.first().and_then(Seen::reset_reason) {
        Some("unknown") => {}
        other => return Err(format!("expected an `unknown` reset first, got {other:?}")),
    }
    Ok("the old id is not resumed into the new run's events".into())
}
