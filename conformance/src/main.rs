//! `sse-conformance`: check any SSE endpoint against the WHATWG rules and the known
//! anti-patterns. Exit codes: 0 nothing failed, 1 a check failed, 2 could not run.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::{Parser, Subcommand, ValueEnum};
use http::{HeaderName, HeaderValue, Method};
use sse_conformance::checks::{self, CheckOptions, CATALOGUE};
use sse_conformance::client::{self, observe, Limits, Target};
use sse_conformance::harness;
use sse_conformance::parser::{Item, Parser as SseParser};
use sse_conformance::report::{self, Report};
use sse_conformance::run::{self, RunOptions, Step};
use sse_conformance::Transcript;

#[derive(Parser)]
#[command(
    name = "sse-conformance",
    version,
    about = "Checks Server-Sent Events endpoints against the WHATWG spec and known anti-patterns"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Observe URL and run every check (exit 0: no failure, 1: a check failed, 2: could not run).
    Check {
        url: String,
        #[command(flatten)]
        request: RequestArgs,
        #[command(flatten)]
        judge: JudgeArgs,
        /// How long to observe the stream (e.g. 10s, 500ms, 1m).
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        duration: Duration,
        /// An endpoint implementing the echo contract, to property-test the encoder.
        #[arg(long)]
        echo: Option<String>,
        /// Random echo scripts to try (after the fixed known-bug cases).
        #[arg(long, default_value_t = 48)]
        echo_cases: u32,
        /// Make the resume probes reconnect to this URL instead (another instance of a
        /// cluster, or its load balancer): does a client resume wherever it lands?
        #[arg(long, value_name = "URL")]
        resume_via: Option<String>,
        /// An expired or wrong credential, 'Name: value': the auth-rejection probe also
        /// sends it in place of the --auth-header ones.
        #[arg(long, value_name = "HEADER")]
        bad_auth: Option<String>,
    },
    /// Parse an event stream (FILE, or - for stdin) and print one JSON object per event or retry.
    Parse {
        #[arg(default_value = "-")]
        file: String,
        /// Feed the parser N bytes at a time (the result must not change).
        #[arg(long)]
        chunk: Option<usize>,
    },
    /// Observe URL and save what came back, with timing, as a fixture.
    Record {
        url: String,
        /// The fixture file to write.
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[command(flatten)]
        request: RequestArgs,
        /// How long to observe the stream.
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        duration: Duration,
    },
    /// Run the offline checks on a recorded fixture.
    Replay {
        file: PathBuf,
        #[command(flatten)]
        judge: JudgeArgs,
    },
    /// Serve recorded fixtures with their timing (a file at every path, or a folder's at /<name>).
    Serve {
        path: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8081")]
        addr: std::net::SocketAddr,
    },
    /// List the checks: id, severity, spec section.
    Checks,
    /// Judge an SSE client: serve scripted scenarios on loopback and run COMMAND for each
    /// (exit 0: no failure, 1: a scenario failed, 2: could not run).
    Client {
        /// The client, run through `sh -c` with {url} replaced by the scenario's URL; it
        /// prints one JSON object per line: {"kind":"event","type":T,"data":D,"id":I},
        /// and optionally {"kind":"open"}, {"kind":"error","message":M}, {"kind":"closed"}.
        #[arg(long, conflicts_with_all = ["browser", "service"], required_unless_present_any = ["browser", "service"])]
        exec: Option<String>,
        /// Judge the client behind a test service in the protocol of LaunchDarkly's SSE
        /// contract tests (POST URL creates a client; events come back as callbacks).
        #[arg(long, conflicts_with = "browser")]
        service: Option<String>,
        /// Judge headless Chromium's native EventSource instead.
        #[arg(long)]
        browser: bool,
        /// The Chromium binary for --browser.
        #[arg(long, default_value = "/usr/bin/chromium")]
        chromium: PathBuf,
        /// The client's name in the report.
        #[arg(long)]
        name: Option<String>,
        /// Run only this scenario (repeatable).
        #[arg(long = "only", value_name = "ID")]
        only: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ClientFormat::Human)]
        format: ClientFormat,
        /// Write the report to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        report_file: Option<PathBuf>,
    },
    /// List the client scenarios: id, level, spec section.
    Scenarios,
    /// Follow URL with the reference client (the WHATWG rules, on this crate's parser)
    /// and print what it dispatches in the `client --exec` contract, one JSON per line.
    Follow { url: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientFormat {
    Human,
    Json,
    Junit,
}

#[derive(clap::Args)]
struct RequestArgs {
    /// A request header, 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// A credential header, 'Name: value' (repeatable): sent like --header, and left out
    /// by the auth-rejection probe, which expects a 401 or 403 then.
    #[arg(long = "auth-header", value_name = "HEADER")]
    auth_headers: Vec<String>,
    /// The request method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// A request body (e.g. JSON for a POST stream).
    #[arg(long)]
    body: Option<String>,
    /// Speak HTTP/2 over cleartext from the start (h2c).
    #[arg(long)]
    http2_prior_knowledge: bool,
    /// Also trust the CA certificates in this PEM file for https:// (an internal CA).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
}

#[derive(clap::Args)]
struct JudgeArgs {
    /// The origin of the page that would read the stream (enables the CORS checks).
    #[arg(long)]
    origin: Option<String>,
    /// The longest silence allowed before proxies cut the stream (judged with 5% slack
    /// for timer jitter; 45 s is under the shortest common proxy idle timeout, 60 s).
    #[arg(long, default_value = "45s", value_parser = parse_duration)]
    heartbeat_max: Duration,
    /// Streams that end by themselves sooner than this cost clients a reconnect too
    /// often (judged when --duration is at least this long).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    min_lifetime: Duration,
    /// Output format (html: one self-contained page with a timeline of the stream).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    report_file: Option<PathBuf>,
    /// A check id whose failure does not fail the run (repeatable).
    #[arg(long = "allow")]
    allow: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
    Html,
}

/// Why the command could not run: printed as one sentence, exit code 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(error: E) -> Self {
        Fatal(error.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run_command(cli.command)) {
        Ok(code) => ExitCode::from(code),
        Err(Fatal(message)) => {
            eprintln!("sse-conformance: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run_command(command: Command) -> Result<u8, Fatal> {
    match command {
        Command::Check {
            url,
            request,
            judge,
            duration,
            echo,
            echo_cases,
            resume_via,
            bad_auth,
        } => {
            let target = request.target(&url)?;
            let checks = CheckOptions {
                echo: echo.map(|url| client::parse_url(&url)).transpose()?,
                echo_cases,
                resume_via: resume_via.map(|url| client::parse_url(&url)).transpose()?,
                auth_headers: request.auth_headers()?,
                bad_auth: bad_auth
                    .map(|header| parse_header("--bad-auth", &header))
                    .transpose()?,
                ..judge.check_options()?
            };
            let options = RunOptions {
                target,
                duration,
                checks,
                allow: judge.allow.clone(),
            };
            let report = run::run_endpoint(
                &options,
                &mut progress_printer(&url, duration, judge.format),
            )
            .await?;
            judge.print(&report)
        }
        Command::Parse { file, chunk } => parse(&file, chunk),
        Command::Record {
            url,
            output,
            request,
            duration,
        } => {
            let target = request.target(&url)?;
            let limits = Limits {
                duration,
                ..Limits::default()
            };
            eprintln!("recording {url} for {:.1} s", duration.as_secs_f64());
            let transcript = observe(&target, &limits, &mut |_| {}).await?;
            transcript.save(&output)?;
            let events = transcript.analyze().events;
            eprintln!(
                "saved status {}, {} chunks, {events} events to {}",
                transcript.status,
                transcript.chunks.len(),
                output.display()
            );
            Ok(0)
        }
        Command::Replay { file, judge } => {
            let transcript = Transcript::load(&file)?;
            let options = judge.check_options()?;
            let name = format!("{} (replay of {})", transcript.request.url, file.display());
            let report = run::replay(&transcript, name, &options, &judge.allow);
            judge.print(&report)
        }
        Command::Serve { path, addr } => {
            let fixtures = sse_conformance::serve::load(&path)?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Fatal(format!("cannot listen on {addr}: {e}")))?;
            println!("listening on http://{}", listener.local_addr()?);
            for name in fixtures.keys() {
                println!(
                    "  {}",
                    if name.is_empty() {
                        "(every path)"
                    } else {
                        name
                    }
                );
            }
            tokio::select! {
                () = sse_conformance::serve::serve(listener, fixtures) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            Ok(0)
        }
        Command::Client {
            exec,
            service,
            // Neither --exec nor --service: --browser (clap requires one of the three).
            browser: _,
            chromium,
            name,
            only,
            format,
            report_file,
        } => {
            let scenarios = match only.as_slice() {
                [] => harness::CATALOGUE.iter().collect::<Vec<_>>(),
                ids => ids
                    .iter()
                    .map(|id| {
                        harness::find(id).ok_or_else(|| {
                            Fatal(format!(
                                "no scenario {id:?} (`sse-conformance scenarios` lists them)"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            };
            let (name, driver): (String, Box<dyn harness::Driver>) = match (exec, service) {
                (Some(command), _) => (
                    name.unwrap_or_else(|| command.clone()),
                    Box::new(harness::Exec { command }),
                ),
                (None, Some(url)) => {
                    client::parse_url(&url)?;
                    (
                        name.unwrap_or_else(|| url.clone()),
                        Box::new(harness::Service { url }),
                    )
                }
                (None, None) => {
                    if !chromium.exists() {
                        return Err(Fatal(format!(
                            "no Chromium at {} (--chromium PATH)",
                            chromium.display()
                        )));
                    }
                    (
                        name.unwrap_or_else(|| "Chromium EventSource".into()),
                        Box::new(harness::Browser { chromium }),
                    )
                }
            };
            let run = harness::run_client(&name, driver.as_ref(), &scenarios, &mut |id| {
                eprintln!("scenario {id}");
            })
            .await
            .map_err(|e| Fatal(format!("cannot serve the scenarios: {e}")))?;
            let text = match format {
                ClientFormat::Human => harness::report::human(&run),
                ClientFormat::Json => harness::report::json(&run),
                ClientFormat::Junit => harness::report::junit(&run),
            };
            match report_file {
                Some(path) => std::fs::write(&path, text)
                    .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?,
                None => print!("{text}"),
            }
            Ok(run.exit_code() as u8)
        }
        Command::Scenarios => {
            for scenario in harness::CATALOGUE {
                let level = format!("{:?}", scenario.level).to_lowercase();
                println!(
                    "{:30} {level:6} {}\n{:38} {}",
                    scenario.id, scenario.title, "", scenario.spec
                );
            }
            Ok(0)
        }
        Command::Follow { url } => {
            use std::io::Write;
            let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
            let follow =
                harness::Driver::follow(&harness::reference::Reference::default(), url, sender);
            let printer = async {
                let mut stdout = std::io::stdout();
                while let Some(Ok(report)) = receiver.recv().await {
                    let line = serde_json::to_string(&report).expect("a report serialises");
                    if writeln!(stdout, "{line}")
                        .and_then(|()| stdout.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            };
            tokio::join!(follow, printer);
            Ok(0)
        }
        Command::Checks => {
            for check in CATALOGUE {
                let severity = format!("{:?}", check.severity).to_lowercase();
                println!(
                    "{:22} {severity:8} {}\n{:31} {}",
                    check.id, check.title, "", check.spec
                );
            }
            Ok(0)
        }
    }
}

impl RequestArgs {
    fn target(&self, url: &str) -> Result<Target, Fatal> {
        let mut target = Target::get(url)?;
        target.method = Method::from_bytes(self.method.as_bytes())
            .map_err(|_| Fatal(format!("--method {:?} is not an HTTP method", self.method)))?;
        for header in &self.headers {
            target.headers.push(parse_header("--header", header)?);
        }
        target.headers.extend(self.auth_headers()?);
        target.body = self.body.clone().map(Bytes::from);
        target.http2_prior_knowledge = self.http2_prior_knowledge;
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| Fatal(format!("cannot read --ca-cert {}: {e}", path.display())))?;
            target.ca_pem = Some(std::sync::Arc::new(pem));
        }
        Ok(target)
    }

    fn auth_headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>, Fatal> {
        self.auth_headers
            .iter()
            .map(|header| parse_header("--auth-header", header))
            .collect()
    }
}

/// `Name: value`, for the flag `flag`.
fn parse_header(flag: &str, header: &str) -> Result<(HeaderName, HeaderValue), Fatal> {
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| Fatal(format!("{flag} {header:?} is not 'Name: value'")))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Fatal(format!("{flag} {header:?}: bad header name")))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| Fatal(format!("{flag} {header:?}: bad header value")))?;
    Ok((name, value))
}

impl JudgeArgs {
    fn check_options(&self) -> Result<CheckOptions, Fatal> {
        for id in &self.allow {
            if checks::find(id).is_none() {
                let known: Vec<&str> = CATALOGUE.iter().map(|check| check.id).collect();
                return Err(Fatal(format!(
                    "--allow {id:?} is not a check id; known: {}",
                    known.join(", ")
                )));
            }
        }
        Ok(CheckOptions {
            heartbeat_max: self.heartbeat_max,
            origin: self.origin.clone(),
            min_lifetime: self.min_lifetime,
            ..CheckOptions::default()
        })
    }

    /// Writes the report in the chosen format, to `-o FILE` or stdout; the exit code.
    fn print(&self, report: &Report) -> Result<u8, Fatal> {
        // Styled for a terminal; anstream drops the styles when stdout is not one, or
        // NO_COLOR is set. A file gets none.
        let colour = self.report_file.is_none();
        let text = match self.format {
            Format::Human => report::human(report, colour),
            Format::Json => report::json(report) + "\n",
            Format::Junit => report::junit(report),
            Format::Html => report::html(report),
        };
        match &self.report_file {
            Some(path) => std::fs::write(path, text).map_err(|e| {
                Fatal(format!(
                    "cannot write the report to {}: {e}",
                    path.display()
                ))
            })?,
            None => {
                let _ = anstream::stdout().write_all(text.as_bytes());
            }
        }
        Ok(report.exit_code() as u8)
    }
}

/// Progress on stderr, so stdout stays clean for JSON and JUnit.
fn progress_printer(url: &str, duration: Duration, format: Format) -> impl FnMut(Step) {
    let tty = std::io::stderr().is_terminal() && matches!(format, Format::Human);
    eprintln!("observing {url} for {:.1} s", duration.as_secs_f64());
    let mut last_shown = Duration::ZERO;
    move |step| match step {
        Step::Observing(progress)
            if tty && progress.elapsed >= last_shown + Duration::from_millis(200) =>
        {
            last_shown = progress.elapsed;
            eprint!(
                "\r  {:5.1} s  {} events  {} bytes   ",
                progress.elapsed.as_secs_f64(),
                progress.events,
                progress.bytes
            );
        }
        Step::Observing(_) => {}
        Step::Probe(name) => {
            if tty {
                eprintln!();
            }
            eprintln!("probing {name}");
        }
    }
}

fn parse(file: &str, chunk: Option<usize>) -> Result<u8, Fatal> {
    let bytes = if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Fatal(format!("cannot read stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(file).map_err(|e| Fatal(format!("cannot read {file}: {e}")))?
    };
    if chunk == Some(0) {
        return Err(Fatal("--chunk must be at least 1".into()));
    }
    let mut parser = SseParser::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut emit = |item: Item| {
        if let Some(line) = item.to_json() {
            let _ = writeln!(out, "{line}");
        }
    };
    for piece in bytes.chunks(chunk.unwrap_or(bytes.len().max(1))) {
        parser
            .feed(piece, &mut emit)
            .map_err(|e| Fatal(format!("the stream is not parseable: {e}")))?;
    }
    parser.finish();
    out.flush()?;
    Ok(0)
}

/// `10s`, `500ms`, `2m`, or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (try 10s, 500ms or 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use ms, s or m)"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
