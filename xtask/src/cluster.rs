//! `cargo xtask cluster [--nats] [--debug] [--exit]`: a private `redis-server` (free
//! port, no persistence), or with `--nats` a private `nats-server -js` (its store in the
//! run directory), two demo instances sharing it, and a real nginx balancing them (round
//! robin, no stickiness, Debian's `proxy_buffering`). It prints the URLs, runs
//! `sse-conformance check` through the balancer (resume probes through the balancer too,
//! so they land on either instance), checks the demo's `/publish` + `/subscribe` contract
//! over HTTP/1.1 and h2c, kills one instance and shows that clients resume on the other,
//! restarts it, and keeps running for a browser until Ctrl-C (`--exit` or CI=true: stop
//! after the report, exit 0 only if every step passed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use http::Method;
use sse_conformance::Transcript;

use crate::demo::start_demo;
use crate::flags::ClusterFlags;
use crate::process::Server;
use crate::requests::{body_text, events, publish, seq, Request};
use crate::services::{ensure_prerequisites, free_port, run_nginx, start_nats, start_redis};

/// The shared engine a cluster's instances use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineKind {
    Redis,
    Nats,
}

impl EngineKind {
    /// The demo's flag for it.
    fn flag(self) -> &'static str {
        match self {
            Self::Redis => "--redis",
            Self::Nats => "--nats",
        }
    }

    /// Starts a private server of this engine, its files in `dir`: the process and its URL.
    pub(crate) fn start(self, dir: &Path) -> Result<(Server, String), String> {
        match self {
            Self::Redis => start_redis(dir, &[])
                .map(|(server, port)| (server, format!("redis://127.0.0.1:{port}/"))),
            Self::Nats => start_nats(dir, None)
                .map(|(server, port)| (server, format!("nats://127.0.0.1:{port}"))),
        }
    }
}

/// Two demo instances on one shared engine (Redis or NATS) behind nginx.
pub(crate) struct Cluster {
    binary: PathBuf,
    engine: EngineKind,
    engine_url: String,
    /// Each instance's address and, while it runs, its process.
    instances: [(String, Option<Server>); 2],
    /// The balancer: HTTP/1.1 and h2c.
    pub(crate) base: String,
    pub(crate) h2c_base: String,
    _nginx: Server,
    _engine: Server,
}

impl Cluster {
    /// Starts the engine, both instances and nginx, with their files in `run_dir`.
    pub(crate) fn start(binary: &Path, run_dir: &Path, engine: EngineKind) -> Result<Self, String> {
        let _ = std::fs::remove_dir_all(run_dir);
        std::fs::create_dir_all(run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;
        let (engine_server, engine_url) = engine.start(run_dir)?;
        let mut cluster_instances = [
            (format!("127.0.0.1:{}", free_port()), None),
            (format!("127.0.0.1:{}", free_port()), None),
        ];
        for (addr, server) in &mut cluster_instances {
            *server = Some(start_instance(binary, addr, engine, &engine_url)?);
        }
        let (port, h2c_port) = (free_port(), free_port());
        let nginx = start_balancer(
            run_dir,
            port,
            h2c_port,
            &cluster_instances[0].0,
            &cluster_instances[1].0,
        )?;
        Ok(Self {
            binary: binary.to_owned(),
            engine,
            engine_url,
            instances: cluster_instances,
            base: format!("http://127.0.0.1:{port}"),
            h2c_base: format!("http://127.0.0.1:{h2c_port}"),
            _nginx: nginx,
            _engine: engine_server,
        })
    }

    /// Instance `index`'s own URL.
    pub(crate) fn instance(&self, index: usize) -> String {
        format!("http://{}", self.instances[index].0)
    }

    /// SIGKILLs instance `index`: no goodbye, its connections just break.
    pub(crate) fn kill(&mut self, index: usize) {
        // Dropping the handle kills the process (SIGKILL) and reaps it.
        self.instances[index].1 = None;
    }

    /// Starts instance `index` again on its address.
    pub(crate) fn restart(&mut self, index: usize) -> Result<(), String> {
        let server = start_instance(
            &self.binary,
            &self.instances[index].0,
            self.engine,
            &self.engine_url,
        )?;
        self.instances[index].1 = Some(server);
        Ok(())
    }
}

fn start_instance(
    binary: &Path,
    addr: &str,
    engine: EngineKind,
    engine_url: &str,
) -> Result<Server, String> {
    // Bound a moment ago by another process (or the killed one): retry briefly.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some((server, _)) = start_demo(binary, addr, "*", &[engine.flag(), engine_url]) {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err(format!("the demo instance on {addr} did not start"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn start_balancer(
    run_dir: &Path,
    port: u16,
    h2c_port: u16,
    a: &str,
    b: &str,
) -> Result<Server, String> {
    let template = include_str!("../cluster/nginx.conf.template");
    let config = template
        .replace("{{RUN_DIR}}", &run_dir.display().to_string())
        .replace("{{PORT}}", &port.to_string())
        .replace("{{H2C_PORT}}", &h2c_port.to_string())
        .replace("{{INSTANCE_A}}", a)
        .replace("{{INSTANCE_B}}", b);
    run_nginx(run_dir, &config, port)
}

/// One step of the report.
struct Step {
    name: String,
    ok: bool,
    saw: String,
}

impl Step {
    /// A step named `name` that passed with what it saw, or failed with why.
    fn judged(name: String, outcome: Result<String, String>) -> Self {
        let ok = outcome.is_ok();
        let saw = outcome.unwrap_or_else(|why| why);
        Self { name, ok, saw }
    }
}

pub(crate) fn cluster(flags: &ClusterFlags) -> i32 {
    let (debug, exit_after) = (flags.debug, flags.exit_after());
    let engine = if flags.nats {
        EngineKind::Nats
    } else {
        EngineKind::Redis
    };
    let root = std::env::current_dir().expect("a working directory");
    if !ensure_prerequisites(&root) {
        return 2;
    }
    let Some(built) = crate::build::build_demo_and_checker(debug) else {
        return 2;
    };
    let binary = built.join("demo");
    let checker = built.join("sse-conformance");
    let mut cluster =
        match Cluster::start(&binary, &crate::build::target_dir().join("cluster"), engine) {
            Ok(cluster) => cluster,
            Err(error) => {
                eprintln!("xtask cluster: {error}");
                return 2;
            }
        };
    println!("cluster:");
    println!(
        "  balancer (nginx)  {}   h2c: {}",
        cluster.base, cluster.h2c_base
    );
    println!("  instance A        {}", cluster.instance(0));
    println!("  instance B        {}", cluster.instance(1));
    println!("  engine            {}", cluster.engine_url);
    println!(
        "  open {}/ in a browser; POST {}/publish; GET {}/subscribe?topic=T",
        cluster.base, cluster.base, cluster.base
    );

    let mut steps = Vec::new();
    for (base, h2) in [
        (cluster.base.clone(), false),
        (cluster.h2c_base.clone(), true),
    ] {
        steps.push(checker_through_balancer(&checker, &base, h2));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    for h2 in [false, true] {
        steps.push(runtime.block_on(publish_and_subscribe(&cluster, h2)));
    }
    steps.push(runtime.block_on(failover(&mut cluster)));

    println!("\n| step | result | saw |\n|---|---|---|");
    for step in &steps {
        let result = if step.ok { "pass" } else { "FAIL" };
        println!(
            "| {} | {result} | {} |",
            step.name,
            step.saw.replace('|', "\\|")
        );
    }
    let code = i32::from(!steps.iter().all(|step| step.ok));
    if exit_after {
        return code;
    }
    println!(
        "\ncluster still running at {} — press Ctrl-C to stop",
        cluster.base
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// `sse-conformance check` through the balancer, the resume probes through it too.
fn checker_through_balancer(checker: &Path, base: &str, h2: bool) -> Step {
    let url = format!("{base}/events?interval_ms=200");
    let mut args = vec!["check", &url, "--resume-via", &url, "--duration", "5s"];
    if h2 {
        args.push("--http2-prior-knowledge");
    }
    eprintln!("\n$ sse-conformance {}", args.join(" "));
    let code = Command::new(checker)
        .args(&args)
        .status()
        .map_or(2, |status| status.code().unwrap_or(2));
    Step {
        name: format!(
            "sse-conformance check through the balancer, resume via the balancer ({})",
            if h2 { "h2c" } else { "HTTP/1.1" }
        ),
        ok: code == 0,
        saw: format!("exit {code}"),
    }
}

async fn fetch(
    base: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
    last_event_id: Option<&str>,
    h2: bool,
    max_events: Option<usize>,
) -> Result<Transcript, String> {
    let mut request = Request::get(format!("{base}{path}")).resume(last_event_id);
    request.method = method;
    request.body = body;
    request.h2 = h2;
    request.max_events = max_events;
    request.send().await
}

/// The contract through the balancer: 202 + id, 400 + JSON, and what was published (on
/// whichever instance nginx picked) read back and resumed (on whichever it picks next).
async fn publish_and_subscribe(cluster: &Cluster, h2: bool) -> Step {
    let name = format!(
        "/publish and /subscribe through the balancer ({})",
        if h2 { "h2c" } else { "HTTP/1.1" }
    );
    let base = if h2 { &cluster.h2c_base } else { &cluster.base };
    let topic = if h2 { "contract-h2" } else { "contract-h1" };
    let outcome: Result<String, String> = async {
        let mut ids = Vec::new();
        for n in 1..=4 {
            ids.push(publish(base, topic, &format!("m{n}"), h2).await?);
        }
        let bad = fetch(
            base,
            Method::POST,
            "/publish",
            Some(r#"{"topic":""}"#),
            None,
            h2,
            None,
        )
        .await?;
        if bad.status != 400 || !body_text(&bad).contains("\"error\"") {
            return Err(format!(
                "invalid input answered {} {}",
                bad.status,
                body_text(&bad)
            ));
        }
        let path = format!("/subscribe?topic={topic}");
        let mut seen = Vec::new();
        // Resume from each id in turn: every request may land on another instance.
        for (index, id) in ids.iter().enumerate().take(3) {
            let answer = fetch(
                base,
                Method::GET,
                &path,
                None,
                Some(id),
                h2,
                Some(3 - index),
            )
            .await?;
            let got = events(&answer);
            let want: Vec<(String, String)> = ((index + 1)..4)
                .map(|n| (ids[n].clone(), format!("m{}", n + 1)))
                .collect();
            if got != want {
                return Err(format!(
                    "resumed after {id}: got {got:?}, expected {want:?}"
                ));
            }
            seen.push(got.len());
        }
        Ok(format!(
            "4 published (ids {}…{}), 400 on bad input, resumed 3× through nginx: {seen:?} events",
            ids[0], ids[3]
        ))
    }
    .await;
    Step::judged(name, outcome)
}

/// A client on the ticker and on a topic; one instance is SIGKILLed; the client comes
/// back through the balancer (to the survivor) with its Last-Event-ID and misses nothing.
async fn failover(cluster: &mut Cluster) -> Step {
    let name = "SIGKILL one instance: clients resume on the other".to_owned();
    let base = cluster.base.clone();
    let outcome: Result<String, String> = async {
        let ticks = fetch(&base, Method::GET, "/events?interval_ms=200", None, None, false, Some(3)).await?;
        let before = events(&ticks);
        let last_tick = before.last().ok_or("no tick before the kill")?.0.clone();
        let first = publish(&base, "failover", "before", false).await?;
        cluster.kill(0);
        // Published while A is dead: nginx sends every request to B.
        let mut during = Vec::new();
        for n in 1..=3 {
            during.push(publish(&base, "failover", &format!("during{n}"), false).await?);
        }
        let resumed = fetch(&base, Method::GET, "/subscribe?topic=failover", None, Some(&first), false, Some(3)).await?;
        let got: Vec<String> = events(&resumed).into_iter().map(|(id, _)| id).collect();
        if got != during {
            return Err(format!("after the kill, resumed {got:?}, expected {during:?}"));
        }
        let ticks_after = fetch(&base, Method::GET, "/events?interval_ms=200", None, Some(&last_tick), false, Some(3)).await?;
        let after = events(&ticks_after);
        let next = after.first().ok_or("no tick after the kill")?;
        if seq(&next.0) != seq(&last_tick).map(|n| n + 1) {
            return Err(format!("the ticker resumed at {} after {last_tick}", next.0));
        }
        cluster.restart(0)?;
        Ok(format!(
            "ticks {}…{last_tick}, then after the kill {}…; 3 events published while A was dead resumed from {first}; A restarted",
            before[0].0,
            after.first().map_or("", |(id, _)| id.as_str())
        ))
    }
    .await;
    Step::judged(name, outcome)
}
