//! actix-web 4 with actix-web-lab 0.29's `sse`, as its docs show: `Sse::from_stream` of
//! `sse::Event`s, `.with_keep_alive(Duration::from_secs(5))` as in its example. The docs
//! show no resume: ids count from 1.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::{get, post, web, App, Either, HttpResponse, HttpServer, Responder};
use actix_web_lab::sse;
use futures_util::stream::{self, StreamExt};
use sse_frameworks::{invalid, port, EchoRequest, TICK};
use tokio_stream::wrappers::IntervalStream;

#[get("/events")]
async fn events() -> impl Responder {
    let ticks = IntervalStream::new(tokio::time::interval(TICK))
        .enumerate()
        .map(|(n, _)| {
            let id = n + 1;
            Ok::<_, Infallible>(sse::Event::Data(
                sse::Data::new(format!("tick {id}")).id(id.to_string()),
            ))
        });
    sse::Sse::from_stream(ticks).with_keep_alive(Duration::from_secs(5))
}

#[get("/idle")]
async fn idle() -> impl Responder {
    let ready =
        stream::once(async { Ok::<_, Infallible>(sse::Event::Data(sse::Data::new("ready"))) })
            .chain(stream::pending());
    sse::Sse::from_stream(ready).with_keep_alive(Duration::from_secs(5))
}

#[post("/echo")]
async fn echo(request: web::Json<EchoRequest>) -> Either<HttpResponse, impl Responder> {
    let script = request.into_inner().events;
    if invalid(&script) {
        return Either::Left(HttpResponse::BadRequest().body("invalid event"));
    }
    // `Data` needs data, and a retry is a setting of the whole response, written first:
    // an id without data, or a retry anywhere but on the first event, cannot be
    // expressed (501). A type alone changes nothing a client sees.
    let bare_id = script.iter().any(|e| e.id.is_some() && e.data.is_none());
    let late_retry = script.iter().skip(1).any(|e| e.retry.is_some());
    if bare_id || late_retry {
        return Either::Left(HttpResponse::NotImplemented().body("cannot express this script"));
    }
    let retry = script.first().and_then(|e| e.retry);
    let mut out = Vec::new();
    for e in script {
        if let Some(comment) = e.comment {
            out.push(sse::Event::Comment(comment.into()));
        }
        if let Some(data) = e.data {
            let mut data = sse::Data::new(data);
            if let Some(id) = e.id {
                data = data.id(id);
            }
            if let Some(kind) = e.event {
                data = data.event(kind);
            }
            out.push(sse::Event::Data(data));
        }
    }
    let mut response = sse::Sse::from_stream(stream::iter(out).map(Ok::<_, Infallible>));
    if let Some(retry) = retry {
        response = response.with_retry_duration(Duration::from_millis(retry));
    }
    Either::Right(response)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| App::new().service(events).service(idle).service(echo))
        .bind(("127.0.0.1", port()))?
        .run()
        .await
}
