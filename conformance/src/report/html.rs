//! The HTML report (`--format html`): one self-contained page, no script and no fetch,
//! with a timeline of what was observed above the table of checks.
//!
//! The timeline has one lane per response: the main stream first, then each probe's
//! answer. A lane shows the bytes received over time (a line rising to the lane's total),
//! each dispatched event (a dot), each comment or heartbeat (a grey tick), the `retry:`
//! hint, and what the timing checks judged: the bursts `buffering` found (orange) and
//! the silences longer than `--heartbeat-max` (red).

use std::fmt::Write;

use super::markup::{counts, escape};
use super::observed::{Observed, DRAWN_MARKS};
use super::verdicts::Report;
use crate::transcript::End;

const WIDTH: f64 = 1000.0;
const LABEL_WIDTH: f64 = 230.0;
const PLOT_LEFT: f64 = LABEL_WIDTH + 10.0;
const PLOT_WIDTH: f64 = WIDTH - PLOT_LEFT - 40.0;
const MAIN_LANE: f64 = 130.0;
const PROBE_LANE: f64 = 56.0;
const AXIS: f64 = 34.0;

/// Renders the report as one HTML page.
///
/// ```
/// use sse_conformance::checks::{judge_all, CheckOptions, Probes};
/// use sse_conformance::report::{html, Observed, Report};
/// use sse_conformance::Transcript;
///
/// let transcript: Transcript = serde_json::from_str(r#"{
///     "request": {"method": "GET", "url": "http://127.0.0.1:8080/events"},
///     "version": "HTTP/1.1", "status": 200,
///     "headers": [["content-type", "text/event-stream"]], "headers_at_ms": 1.0,
///     "chunks": [{"at_ms": 2.0, "text": ": hi\nretry: 1000\ndata: a\n\n"}],
///     "end": {"kind": "timeout"}, "observed_ms": 500.0
/// }"#)?;
/// let (options, probes) = (CheckOptions::default(), Probes::offline());
/// let results = judge_all(&transcript, &options, &probes, &[]);
/// let analysis = transcript.analyze();
/// let report = Report::new("http://127.0.0.1:8080/events".into(), results)
///     .with_observed(Observed::all(&transcript, &analysis, &probes, &options));
/// let page = html(&report);
/// assert!(page.contains(r#"<circle class="event""#));
/// assert!(page.contains(">retry: 1000</text>"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let summary = &report.summary;
    let verdict = if summary.ok { "OK" } else { "FAILED" };
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>sse-conformance: {url}</title><style>{STYLE}</style></head>\n<body>\n\
         <header><h1>sse-conformance</h1><p class=\"url\">{url}</p>\
         <p id=\"summary\" class=\"{class}\"><b>{verdict}</b>: {counts}</p></header>\n",
        counts = counts(summary),
        url = escape(&report.url),
        class = if summary.ok { "ok" } else { "failed" },
    );
    out.push_str("<section><h2>What was observed</h2>\n");
    if report.observed.is_empty() {
        out.push_str("<p class=\"none\">No observation is attached to this report.</p>\n");
    } else {
        timeline(&mut out, &report.observed);
        out.push_str(LEGEND);
    }
    out.push_str("</section>\n<section><h2>Checks</h2>\n");
    table(&mut out, report);
    out.push_str("</section>\n</body></html>\n");
    out
}

fn table(out: &mut String, report: &Report) {
    out.push_str(
        "<table id=\"checks\"><thead><tr><th>verdict</th><th>check</th><th>what was seen</th><th>spec</th></tr></thead><tbody>\n",
    );
    for check in &report.checks {
        let status = check.status.as_str();
        let _ = write!(
            out,
            "<tr class=\"check {status}\" data-id=\"{id}\" data-status=\"{status}\"><td class=\"status\">{label}{allowed}</td>\
             <td class=\"id\">{id}</td><td>{message}",
            id = escape(check.id),
            label = status.to_ascii_uppercase(),
            allowed = if check.allowed { " (allowed)" } else { "" },
            message = escape(&check.message),
        );
        if !check.evidence.is_empty() {
            out.push_str("<ul class=\"evidence\">");
            for line in &check.evidence {
                let _ = write!(out, "<li>{}</li>", escape(line));
            }
            out.push_str("</ul>");
        }
        let _ = writeln!(
            out,
            "</td><td class=\"spec\">{}</td></tr>",
            escape(check.spec)
        );
    }
    out.push_str("</tbody></table>\n");
}

fn timeline(out: &mut String, observed: &[Observed]) {
    let end_ms = observed
        .iter()
        .map(|seen| seen.observed_ms)
        .fold(1.0_f64, f64::max);
    let x = |ms: f64| PLOT_LEFT + (ms.clamp(0.0, end_ms) / end_ms) * PLOT_WIDTH;
    let height = MAIN_LANE + PROBE_LANE * (observed.len() - 1) as f64 + AXIS;
    let _ = writeln!(
        out,
        "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"timeline of the observation\">"
    );
    let mut top = 0.0;
    for (index, seen) in observed.iter().enumerate() {
        let lane = if index == 0 { MAIN_LANE } else { PROBE_LANE };
        lane_svg(out, seen, index, top, lane, &x);
        top += lane;
    }
    axis(out, top, end_ms, &x);
    out.push_str("</svg>\n");
}

fn lane_svg(
    out: &mut String,
    seen: &Observed,
    index: usize,
    top: f64,
    height: f64,
    x: &impl Fn(f64) -> f64,
) {
    let name = if index == 0 { "main" } else { "probe" };
    let bottom = top + height - 8.0;
    let middle = top + height / 2.0;
    let _ = writeln!(
        out,
        "<g class=\"lane {name}\" data-lane=\"{index}\" data-label=\"{label}\">\
         <rect class=\"lane-bg\" x=\"{PLOT_LEFT}\" y=\"{top}\" width=\"{PLOT_WIDTH}\" height=\"{height}\"/>\
         <text class=\"lane-label\" x=\"6\" y=\"{ly}\">{short}</text>\
         <text class=\"lane-status\" x=\"6\" y=\"{sy}\">{status} · {end}</text>",
        label = escape(&seen.label),
        short = escape(&shorten(&seen.label, 34)),
        ly = top + 18.0,
        sy = top + 34.0,
        status = seen.status,
        end = match &seen.end {
            End::Eof => "ended",
            End::Timeout => "open",
            End::Enough => "stopped reading",
            End::Error { .. } => "broke",
        },
    );
    for silence in &seen.marks.silences {
        let (from, to) = (x(silence.from_ms), x(silence.to_ms));
        let _ = write!(
            out,
            "<rect class=\"silence\" x=\"{from:.1}\" y=\"{top}\" width=\"{w:.1}\" height=\"{height}\"><title>silent for {s:.1} s</title></rect>\
             <text class=\"silence-label\" x=\"{tx:.1}\" y=\"{ty}\">silent {s:.1} s</text>",
            w = (to - from).max(1.0),
            s = (silence.to_ms - silence.from_ms) / 1000.0,
            tx = from + 6.0,
            ty = bottom - 2.0,
        );
    }
    for burst in &seen.marks.bursts {
        let at = x(burst.at_ms);
        let _ = write!(
            out,
            "<rect class=\"burst\" data-events=\"{n}\" x=\"{bx:.1}\" y=\"{top}\" width=\"8\" height=\"{height}\"><title>burst: {n} events at once after {s:.1} s of silence</title></rect>\
             <text class=\"burst-label\" x=\"{tx:.1}\" y=\"{ty}\">burst: {n} events</text>",
            n = burst.events,
            bx = at - 4.0,
            s = burst.silence_ms / 1000.0,
            tx = at + 6.0,
            ty = top + 14.0,
        );
    }
    bytes_line(out, seen, top + 6.0, bottom, x);
    for (number, event) in seen.events.iter().enumerate() {
        let _ = write!(
            out,
            "<circle class=\"event\" cx=\"{at:.1}\" cy=\"{middle}\" r=\"3.5\"><title>event {n} at {t:.0} ms: {kind}, id {id:?}, data {data:?}</title></circle>",
            at = x(event.at_ms),
            n = number + 1,
            t = event.at_ms,
            kind = escape(&event.event_type),
            id = escape(&event.id),
            data = escape(&event.data),
        );
    }
    if seen.event_count > DRAWN_MARKS {
        let _ = write!(
            out,
            "<text class=\"more\" x=\"{PLOT_LEFT}\" y=\"{y}\">first {DRAWN_MARKS} of {} events drawn</text>",
            seen.event_count,
            y = bottom - 2.0,
        );
    }
    for &at_ms in &seen.comments {
        let at = x(at_ms);
        let _ = write!(
            out,
            "<line class=\"comment\" x1=\"{at:.1}\" x2=\"{at:.1}\" y1=\"{y1}\" y2=\"{bottom}\"><title>comment at {at_ms:.0} ms</title></line>",
            y1 = bottom - 10.0,
        );
    }
    if let Some((at_ms, ms)) = seen.retry {
        // Above the events: in the main lane under a burst's label, in a probe's narrow
        // lane at its top.
        let y = if index == 0 { top + 30.0 } else { top + 13.0 };
        let _ = write!(
            out,
            "<text class=\"retry\" x=\"{tx:.1}\" y=\"{y}\">retry: {ms}</text>",
            tx = x(at_ms) + 5.0,
        );
    }
    out.push_str("</g>\n");
}

/// Bytes received over time, scaled to the lane: a step at each point.
fn bytes_line(out: &mut String, seen: &Observed, top: f64, bottom: f64, x: &impl Fn(f64) -> f64) {
    let Some(&(_, total)) = seen.bytes.last() else {
        return;
    };
    let total = total.max(1) as f64;
    let height = |sum: u64| bottom - (sum as f64 / total) * (bottom - top);
    let mut points = format!("{:.1},{bottom:.1}", x(seen.headers_at_ms));
    let mut before = 0;
    for &(at_ms, sum) in &seen.bytes {
        let at = x(at_ms);
        let _ = write!(
            points,
            " {at:.1},{:.1} {at:.1},{:.1}",
            height(before),
            height(sum)
        );
        before = sum;
    }
    let _ = write!(points, " {:.1},{top:.1}", x(seen.observed_ms));
    let _ = write!(
        out,
        "<polyline class=\"bytes\" points=\"{points}\"><title>{before} bytes received</title></polyline>"
    );
}

fn axis(out: &mut String, top: f64, end_ms: f64, x: &impl Fn(f64) -> f64) {
    let step = [
        1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 3e4, 6e4,
        12e4, 3e5, 6e5,
    ]
    .into_iter()
    .find(|step| end_ms / step <= 10.0)
    .unwrap_or(6e5);
    let _ = write!(
        out,
        "<g class=\"axis\"><line x1=\"{PLOT_LEFT}\" x2=\"{right}\" y1=\"{top}\" y2=\"{top}\"/>",
        right = PLOT_LEFT + PLOT_WIDTH
    );
    let mut tick = 0.0;
    while tick <= end_ms {
        let at = x(tick);
        let label = if step >= 1000.0 {
            format!("{:.0} s", tick / 1000.0)
        } else {
            format!("{tick:.0} ms")
        };
        let _ = write!(
            out,
            "<line x1=\"{at:.1}\" x2=\"{at:.1}\" y1=\"{top}\" y2=\"{y2}\"/><text x=\"{at:.1}\" y=\"{ty}\">{label}</text>",
            y2 = top + 5.0,
            ty = top + 18.0,
        );
        tick += step;
    }
    out.push_str("</g>\n");
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

const LEGEND: &str = "<p class=\"legend\"><span class=\"k bytes\"></span>bytes received \
<span class=\"k event\"></span>event <span class=\"k comment\"></span>comment or heartbeat \
<span class=\"k burst\"></span>burst (buffering) <span class=\"k silence\"></span>silence over --heartbeat-max</p>\n";

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}\
h1{font-size:20px;margin:0}h2{font-size:16px;margin:28px 0 8px}.url{font-family:ui-monospace,monospace;margin:2px 0;word-break:break-all}\
#summary{font-size:15px}#summary.ok b{color:#137333}#summary.failed b{color:#c5221f}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e3e6eb}\
td.id{font-family:ui-monospace,monospace;white-space:nowrap}td.spec{color:#5f6672;font-size:12px;max-width:320px}\
td.status{font-weight:700;white-space:nowrap}tr.pass td.status{color:#137333}tr.warn td.status{color:#b06000}\
tr.fail td.status{color:#c5221f}tr.fail{background:#fdf1f0}tr.skip td.status{color:#80868b}\
ul.evidence{margin:4px 0 0;padding-left:18px;color:#5f6672;font-size:12px;font-family:ui-monospace,monospace}\
svg{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif}\
.lane-bg{fill:#f7f8fa;stroke:#e3e6eb}.lane-label{font-weight:600;fill:#1d2330}.lane-status{fill:#5f6672}\
.bytes{fill:none;stroke:#4c6ef5;stroke-width:1.5}.event{fill:#1d2330}.comment{stroke:#9aa0a6;stroke-width:1.5}\
.retry{fill:#137333;font-weight:600}.burst{fill:#f59f00;fill-opacity:.75}.burst-label{fill:#b06000;font-weight:700}\
.more{fill:#5f6672}.silence{fill:#e03131;fill-opacity:.16}.silence-label{fill:#c5221f;font-weight:600}.axis line{stroke:#9aa0a6}.axis text{fill:#5f6672;text-anchor:middle}\
.legend{color:#5f6672;font-size:12px}.k{display:inline-block;width:14px;height:10px;margin:0 4px 0 12px;vertical-align:middle}\
.k.bytes{border-top:2px solid #4c6ef5;height:0}.k.event{background:#1d2330;border-radius:50%;width:8px;height:8px}\
.k.comment{border-left:2px solid #9aa0a6;width:0}.k.burst{background:#f59f00}.k.silence{background:#e0313129}";
