//! A run: every scenario of the catalogue (or those asked for) against one client, one
//! after the other on one scripted server.

use std::io;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use super::driver::Driver;
use super::scenario::{Level, Observation, Scenario, Verdict};
use super::server::ScriptedServer;

/// One scenario's result, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario id.
    pub id: &'static str,
    /// What it checks.
    pub title: &'static str,
    /// The spec section behind it.
    pub spec: &'static str,
    /// How binding it is.
    pub level: Level,
    /// Its group (a column of the matrix).
    #[serde(skip)]
    pub group: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was seen.
    pub detail: String,
}

/// A client's results: `{"client": …, "results": [{"id", "title", "spec", "level",
/// "verdict", "detail"}…]}` in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ClientRun {
    /// The client's name.
    pub client: String,
    /// One result per scenario run, in catalogue order.
    pub results: Vec<ScenarioResult>,
}

impl ClientRun {
    /// 0 when no scenario failed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(
            self.results
                .iter()
                .any(|result| result.verdict == Verdict::Fail),
        )
    }

    /// The result of one scenario.
    pub fn get(&self, id: &str) -> Option<&ScenarioResult> {
        self.results.iter().find(|result| result.id == id)
    }
}

/// Runs `scenarios` against the client `driver` drives; `progress` hears each id as it
/// starts.
///
/// # Errors
/// When the scripted server cannot bind a loopback port.
pub async fn run_client(
    name: &str,
    driver: &dyn Driver,
    scenarios: &[&Scenario],
    progress: &mut dyn FnMut(&str),
) -> io::Result<ClientRun> {
    let mut server = ScriptedServer::start().await?;
    let mut results = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        progress(scenario.id);
        let url = server.begin(scenario.id, (scenario.answers)());
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let start = Instant::now();
        let collector = tokio::spawn(async move {
            let mut lines = Vec::new();
            while let Some(line) = receiver.recv().await {
                lines.push((start.elapsed(), line));
            }
            lines
        });
        // The window's end drops the client (an `--exec` command is killed).
        let window = scenario.window + driver.startup();
        let _ = timeout(window, driver.follow(url, sender)).await;
        let lines = collector.await.unwrap_or_default();
        let mut observation = Observation {
            requests: server.finish(),
            ..Observation::default()
        };
        for (at, line) in lines {
            match line {
                Ok(report) => observation.reports.push((at, report)),
                Err(garbage) => observation.garbage.push(garbage),
            }
        }
        let judged = (scenario.judge)(&observation);
        results.push(ScenarioResult {
            id: scenario.id,
            title: scenario.title,
            spec: scenario.spec,
            level: scenario.level,
            group: scenario.group,
            verdict: match (judged.verdict, scenario.level) {
                // Info never fails: it says what the client does.
                (Verdict::Fail, Level::Info) => Verdict::Warn,
                (verdict, _) => verdict,
            },
            detail: judged.detail,
        });
    }
    Ok(ClientRun {
        client: name.to_owned(),
        results,
    })
}
