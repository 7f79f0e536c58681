//! Publish throughput into a shared engine: `cluster_publish ENGINE_URL EVENTS CONCURRENCY
//! [REPLICAS]` (Redis or NATS). One hub; CONCURRENCY tasks publish EVENTS events of 64 bytes in all, each
//! awaiting its answer (the writer appends whatever is waiting in one script call). With
//! REPLICAS, every append waits for that many replicas to hold it (`WAIT`). Prints
//! `result EVENTS_PER_S`.

#[path = "shared/engines.rs"]
mod engines;

use std::time::Instant;

use sse_layer::Event;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: cluster_publish ENGINE_URL EVENTS CONCURRENCY [REPLICAS]";
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or(usage)?;
    let events: usize = args.next().ok_or(usage)?.parse()?;
    let concurrency: usize = args.next().ok_or(usage)?.parse()?;
    let replicas: usize = args.next().map_or(Ok(0), |replicas| replicas.parse())?;
    let name = format!("publish-bench-{}", std::process::id());
    let hub = engines::hub(&url, &name, replicas)?;
    // One publish first: connects, and loads the script.
    hub.publish("bench", Event::new().data("warm-up")).await?;
    let payload = "x".repeat(64);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let (hub, payload) = (hub.clone(), payload.clone());
            let share = events / concurrency + usize::from(task < events % concurrency);
            tokio::spawn(async move {
                for _ in 0..share {
                    hub.publish("bench", Event::new().data(payload.clone()))
                        .await
                        .expect("the engine is up");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    println!(
        "result {:.0}",
        events as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}
