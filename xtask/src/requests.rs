//! The demo's HTTP contract as a client sees it, for the tasks that drive running
//! instances (`cluster`, `chaos`): a request observed with the checker's own client, the
//! body of an answer, `POST /publish`, and the events of a stream.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use sse_conformance::client::{observe, Limits, Target};
use sse_conformance::Transcript;

/// One request, observed for at most `duration` (or until `max_events` arrived).
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) body: Option<&'a str>,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) h2: bool,
    pub(crate) max_events: Option<usize>,
    pub(crate) duration: Duration,
}

impl<'a> Request<'a> {
    /// `GET url`, read for 6 s.
    pub(crate) fn get(url: String) -> Self {
        Self {
            method: Method::GET,
            url,
            body: None,
            headers: Vec::new(),
            h2: false,
            max_events: None,
            duration: Duration::from_secs(6),
        }
    }

    /// With `Last-Event-ID: id` when there is one.
    pub(crate) fn resume(mut self, id: Option<&str>) -> Self {
        if let Some(id) = id {
            self.headers.push(("last-event-id", id.to_owned()));
        }
        self
    }

    pub(crate) async fn send(&self) -> Result<Transcript, String> {
        let mut target = Target::get(&self.url).map_err(|e| e.to_string())?;
        target.method = self.method.clone();
        target.body = self.body.map(|body| Bytes::from(body.to_owned()));
        target.http2_prior_knowledge = self.h2;
        for (name, value) in &self.headers {
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            target = target.with_header(HeaderName::from_static(name), value);
        }
        let limits = Limits {
            duration: self.duration,
            max_events: self.max_events,
            ..Limits::default()
        };
        observe(&target, &limits, &mut |_| {})
            .await
            .map_err(|e| e.to_string())
    }
}

pub(crate) fn body_text(transcript: &Transcript) -> String {
    let bytes: Vec<u8> = transcript
        .chunks
        .iter()
        .flat_map(|chunk| chunk.bytes.iter().copied())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `"id"` of a `/publish` answer.
pub(crate) fn published_id(transcript: &Transcript) -> Option<String> {
    let body = body_text(transcript);
    let start = body.find("\"id\":\"")? + 6;
    let end = start + body[start..].find('"')?;
    Some(body[start..end].to_owned())
}

/// Each event's id and data, in order.
pub(crate) fn events(transcript: &Transcript) -> Vec<(String, String)> {
    transcript
        .analyze()
        .events()
        .map(|(_, event)| (event.last_event_id.clone(), event.data.clone()))
        .collect()
}

/// The sequence number of an `<epoch>-<seq>` id.
pub(crate) fn seq(id: &str) -> Option<u64> {
    id.rsplit_once('-')?.1.parse().ok()
}

/// What `POST /publish` answered.
pub(crate) struct Published {
    pub(crate) status: u16,
    /// The event's id (202 only).
    pub(crate) id: Option<String>,
    /// `Idempotent-Replayed: true`: the key was published before.
    pub(crate) replayed: bool,
    pub(crate) body: String,
}

/// `POST base/publish` of `data` to `topic`, with an `Idempotency-Key` when given.
pub(crate) async fn post_publish(
    base: &str,
    topic: &str,
    data: &str,
    key: Option<&str>,
    h2: bool,
) -> Result<Published, String> {
    let body = format!(r#"{{"topic":"{topic}","data":"{data}"}}"#);
    let mut request = Request::get(format!("{base}/publish"));
    request.method = Method::POST;
    request.body = Some(&body);
    request.h2 = h2;
    if let Some(key) = key {
        request.headers.push(("idempotency-key", key.to_owned()));
    }
    let answer = request.send().await?;
    Ok(Published {
        status: answer.status,
        id: (answer.status == 202)
            .then(|| published_id(&answer))
            .flatten(),
        replayed: answer.header("idempotent-replayed") == Some("true"),
        body: body_text(&answer),
    })
}

/// `POST /publish`, expecting `202`: the event's id.
pub(crate) async fn publish(
    base: &str,
    topic: &str,
    data: &str,
    h2: bool,
) -> Result<String, String> {
    let answer = post_publish(base, topic, data, None, h2).await?;
    match answer.id {
        Some(id) => Ok(id),
        None => Err(format!(
            "POST /publish answered {}: {}",
            answer.status, answer.body
        )),
    }
}
