//! The matrix page, `CLIENTS.md`: one row per client, one column per scenario group,
//! then every scenario a client failed or warned on, with what the harness saw.

use serde_json::Value;

use super::roster::Client;

/// A result's group, from the catalogue (the JSON report keeps to its documented shape).
fn group_of(result: &Value) -> &'static str {
    result["id"]
        .as_str()
        .and_then(sse_conformance::harness::find)
        .map_or("", |scenario| scenario.group)
}

/// The scenario groups, in the catalogue's order.
fn groups(runs: &[(&Client, Value)]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for (_, run) in runs {
        for result in run["results"].as_array().into_iter().flatten() {
            let group = group_of(result).to_owned();
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    groups
}

/// `passed/judged` for one group, with the worst verdict's mark.
fn cell(run: &Value, group: &str) -> String {
    let results: Vec<&Value> = run["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|result| group_of(result) == group)
        .collect();
    let count = |verdict: &str| results.iter().filter(|r| r["verdict"] == verdict).count();
    let judged = results.len() - count("skip");
    let text = format!("{}/{judged}", count("pass"));
    if count("fail") > 0 {
        format!("**{text}**")
    } else {
        text
    }
}

/// The page.
pub(super) fn render(runs: &[(&Client, Value)], scenarios: &str) -> String {
    let groups = groups(runs);
    let mut page = String::from(
        "# SSE clients under the harness\n\n\
         <!-- Written by `cargo xtask clients`: edit the wrappers in xtask/clients/, not this page. -->\n\n\
         What each client does with the WHATWG rules for an `EventSource`, as `sse-conformance \
         client` judges it: scripted scenarios on loopback, the requests the client makes, and \
         what it reports it dispatched. Each client is real and pinned, used the way its docs show \
         through a small wrapper in `xtask/clients/` that prints the `--exec` contract; Chromium \
         runs its own `EventSource` through `--browser`. A cell is the scenarios passed out of \
         those judged in the group, bold when one failed. Info-level scenarios (what the spec \
         says against what is common, such as retrying a 5xx) never fail; they show as passes or \
         warnings.\n\n| client | what |",
    );
    for group in &groups {
        page.push_str(&format!(" {group} |"));
    }
    page.push_str("\n|---|---|");
    page.push_str(&"---|".repeat(groups.len()));
    page.push('\n');
    for (client, run) in runs {
        page.push_str(&format!("| {} | {} |", client.name, client.what));
        for group in &groups {
            page.push_str(&format!(" {} |", cell(run, group)));
        }
        page.push('\n');
    }
    page.push_str("\n## What each client did differently\n");
    for (client, run) in runs {
        let notable: Vec<&Value> = run["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|result| result["verdict"] == "fail" || result["verdict"] == "warn")
            .collect();
        page.push_str(&format!("\n### {}\n\n", client.name));
        if notable.is_empty() {
            page.push_str("Every scenario passed.\n");
        }
        for result in notable {
            page.push_str(&format!(
                "- {} `{}` ({}): {}\n",
                result["verdict"].as_str().unwrap_or(""),
                result["id"].as_str().unwrap_or(""),
                result["level"].as_str().unwrap_or(""),
                result["detail"].as_str().unwrap_or("").replace('\n', " ")
            ));
        }
    }
    page.push_str("\n## The scenarios\n\n```text\n");
    page.push_str(scenarios);
    page.push_str("```\n");
    page
}
