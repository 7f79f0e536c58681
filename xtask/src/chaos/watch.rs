//! A client that watches a stream while a fault happens, and what it saw, on one clock
//! with the fault.

use std::time::{Duration, Instant};

use crate::requests::Request;

/// One event, when it arrived.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) at: Instant,
    pub(crate) kind: String,
    pub(crate) id: String,
    pub(crate) data: String,
}

impl Seen {
    /// The `reason` of a reset event (`None` for any other event).
    pub(crate) fn reset_reason(&self) -> Option<&str> {
        if self.kind != "reset" {
            return None;
        }
        let start = self.data.find("\"reason\":\"")? + 10;
        let end = start + self.data[start..].find('"')?;
        Some(&self.data[start..end])
    }
}

/// A stream being read in the background, on a thread of its own (with its own runtime),
/// so that its clock is not held up by what the task does meanwhile.
pub(crate) struct Watch {
    started: Instant,
    reader: std::thread::JoinHandle<Result<sse_conformance::Transcript, String>>,
}

impl Watch {
    /// Reads `url` (resuming after `id`) until `events` arrived or `cap` passed.
    pub(crate) fn start(url: String, id: Option<&str>, events: usize, cap: Duration) -> Self {
        let id = id.map(str::to_owned);
        let started = Instant::now();
        let reader = std::thread::spawn(move || {
            let mut request = Request::get(url).resume(id.as_deref());
            request.max_events = Some(events);
            request.duration = cap;
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(request.send())
        });
        Self { started, reader }
    }

    /// Everything it saw.
    pub(crate) async fn finish(self) -> Result<Vec<Seen>, String> {
        let reader = self.reader;
        let transcript = tokio::task::spawn_blocking(move || reader.join())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|_| "the reader panicked".to_owned())??;
        if transcript.status != 200 {
            return Err(format!("answered {}", transcript.status));
        }
        Ok(transcript
            .analyze()
            .events()
            .map(|(at_ms, event)| Seen {
                at: self.started + Duration::from_secs_f64(at_ms / 1000.0),
                kind: event.event_type.to_string(),
                id: event.last_event_id.clone(),
                data: event.data.clone(),
            })
            .collect())
    }
}

/// What a list of events says in a table cell: `reset lost (id …-3), then after1…after3`.
pub(crate) fn describe(events: &[Seen]) -> String {
    if events.is_empty() {
        return "nothing".into();
    }
    let mut parts = Vec::new();
    let mut data = Vec::new();
    for event in events {
        match event.reset_reason() {
            Some(reason) => {
                if !data.is_empty() {
                    parts.push(span(&data));
                    data.clear();
                }
                parts.push(format!("reset `{reason}` (id `{}`)", short_id(&event.id)));
            }
            None => data.push(event.data.clone()),
        }
    }
    if !data.is_empty() {
        parts.push(span(&data));
    }
    parts.join(", then ")
}

fn span(data: &[String]) -> String {
    match data {
        [one] => one.clone(),
        [first, .., last] => format!("{first}…{last} ({})", data.len()),
        [] => String::new(),
    }
}

/// `k3x9a0…-41` for an id with a 12-character epoch: enough to tell epochs apart.
pub(crate) fn short_id(id: &str) -> String {
    match id.rsplit_once('-') {
        Some((epoch, seq)) if epoch.len() > 4 => format!("{}…-{seq}", &epoch[..4]),
        _ => id.to_owned(),
    }
}
