//! The client harness: `sse-conformance client` judges an SSE *client*. It serves
//! scripted scenarios on loopback (the answers, over one or more connections), watches
//! the requests the client makes and what it reports it dispatched, and gives a verdict
//! per scenario with the spec section behind it.
//!
//! Any client in any language plugs in through `--exec 'COMMAND {url}'` ([`Exec`]): the
//! command follows the URL and prints one JSON object per line, `{"kind":"event",
//! "type":T,"data":D,"id":I}` for each dispatched event (`id`: the last event ID, `""` if
//! none), and optionally `{"kind":"open"}`, `{"kind":"error","message":M}` and
//! `{"kind":"closed"}`. The harness ends the command when the scenario is over.
//!
//! One file per job: what a scenario is in `scenario.rs`, the catalogue in
//! `scenarios/`, the scripted server in `server.rs`, the drivers in `driver.rs`, the
//! reference client in `reference.rs`, `--browser` in `browser.rs`, `--service` (the
//! protocol of LaunchDarkly's contract tests) in `service.rs`, a run in `run.rs`, the
//! reports in `report.rs`.
//!
//! ```no_run
//! use sse_conformance::harness::{run_client, Exec, CATALOGUE};
//!
//! # async fn example() -> std::io::Result<()> {
//! let client = Exec { command: "node my-client.mjs {url}".into() };
//! let scenarios: Vec<_> = CATALOGUE.iter().collect();
//! let run = run_client("my client", &client, &scenarios, &mut |_| {}).await?;
//! println!("{}", sse_conformance::harness::report::human(&run));
//! # Ok(()) }
//! ```

mod browser;
mod driver;
pub mod reference;
pub mod report;
mod run;
mod scenario;
mod scenarios;
mod server;
mod service;

pub use browser::Browser;
pub use driver::{parse_line, Driver, Exec, Line};
pub use run::{run_client, ClientRun, ScenarioResult};
pub use scenario::{
    Answer, ClientReport, End, Judged, Level, Observation, Scenario, SeenRequest, Verdict,
};
pub use scenarios::{find, CATALOGUE};
pub use service::Service;
