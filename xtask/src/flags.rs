//! The command line, parsed in one place with clap: `cargo xtask <task> [flags]`. Each
//! task receives its flags typed; an unknown task or flag exits with status 2 and clap's
//! sentence saying what was expected.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The project's tasks, in the cargo-xtask pattern.
#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) task: Task,
}

/// One task; see `main.rs` for what each does.
#[derive(Debug, Subcommand)]
pub(crate) enum Task {
    /// The demo server, every check of the checker against it, then the server kept up
    /// for a browser until Ctrl-C.
    Demo(DemoFlags),
    /// Everything CI runs, in order; the first failure stops it.
    Ci,
    /// The benchmarks against the peers (BENCHMARKS.md).
    Bench {
        /// Only this part.
        part: Option<BenchPart>,
    },
    /// Real browsers, Node and Python clients, the vendors' SDKs and nginx, against the
    /// demo.
    Interop,
    /// Redis (or NATS JetStream), two demo instances and an nginx balancer.
    Cluster(ClusterFlags),
    /// libFuzzer on each fuzz target, bounded in time.
    Fuzz(FuzzFlags),
    /// Hostile clients against the demo and hostile servers against the checker.
    Soak(QuickDebug),
    /// Real Redis faults under running demo instances.
    Chaos(QuickDebug),
    /// What `cargo publish` and crates.io need, for both crates.
    Release,
    /// The checker against real SSE frameworks, and the scoreboard.
    Frameworks(FrameworksFlags),
    /// The client harness against real SSE clients, and the matrix.
    Clients,
}

/// Whether this runs in CI (`CI=true` or `CI=1`): tasks that would keep a server up
/// for a browser stop instead.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1")
}

/// `cargo xtask demo`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoFlags {
    /// Build and run debug binaries.
    #[arg(long)]
    pub(crate) debug: bool,
    /// Stop after the report, with the checker's exit code (always so in CI).
    #[arg(long = "exit")]
    exit_flag: bool,
    /// Where the demo listens.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) addr: String,
}

impl DemoFlags {
    /// What `cargo xtask ci` runs: debug binaries, stop after the report.
    pub(crate) fn for_ci() -> Self {
        Self {
            debug: true,
            exit_flag: true,
            addr: "127.0.0.1:0".into(),
        }
    }

    /// Stop after the report: `--exit`, or in CI.
    pub(crate) fn exit_after(&self) -> bool {
        self.exit_flag || in_ci()
    }
}

/// The parts of `cargo xtask bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchPart {
    /// The criterion benchmarks (parse, encode).
    Criterion,
    /// Events per second to one client over loopback.
    Wire,
    /// Idle connections: memory and CPU per heartbeat.
    Idle,
    /// One hub to many subscribers.
    Fanout,
    /// Two instances through Redis and NATS.
    Cluster,
}

/// `cargo xtask cluster`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClusterFlags {
    /// Share the instances' hubs through NATS JetStream instead of Redis.
    #[arg(long)]
    pub(crate) nats: bool,
    /// Build and run debug binaries.
    #[arg(long)]
    pub(crate) debug: bool,
    /// Stop once the steps ran (always so in CI).
    #[arg(long = "exit")]
    exit_flag: bool,
}

impl ClusterFlags {
    /// What `cargo xtask ci` runs: debug binaries, stop after the steps.
    pub(crate) fn for_ci(nats: bool) -> Self {
        Self {
            nats,
            debug: true,
            exit_flag: true,
        }
    }

    /// Stop once the steps ran: `--exit`, or in CI.
    pub(crate) fn exit_after(&self) -> bool {
        self.exit_flag || in_ci()
    }
}

/// The fuzz targets, as `sse_fuzz::TARGETS` names them (the xtask does not link them).
pub(crate) const FUZZ_TARGETS: [&str; 5] = [
    "parser_chunks",
    "encode_roundtrip",
    "echo_json",
    "transcript_load",
    "hub_resume",
];

/// `cargo xtask fuzz`.
#[derive(Debug, Clone, Args)]
pub(crate) struct FuzzFlags {
    /// The targets to run (all when none is named).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(FUZZ_TARGETS))]
    pub(crate) targets: Vec<String>,
    /// Seconds per target.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) seconds: u64,
}

/// The flags of `soak` and `chaos`.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct QuickDebug {
    /// The condensed run CI makes: every case, smaller and shorter.
    #[arg(long)]
    pub(crate) quick: bool,
    /// Build and run debug binaries.
    #[arg(long)]
    pub(crate) debug: bool,
}

/// `cargo xtask frameworks`.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct FrameworksFlags {
    /// Accept changed verdicts as the new snapshots.
    #[arg(long)]
    pub(crate) bless: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[&str]) -> Result<Task, clap::Error> {
        let args = std::iter::once("xtask").chain(line.iter().copied());
        Cli::try_parse_from(args).map(|cli| cli.task)
    }

    #[test]
    fn every_task_takes_its_flags_and_refuses_others() {
        let Ok(Task::Fuzz(fuzz)) = parse(&["fuzz", "parser_chunks", "--seconds", "5"]) else {
            panic!("fuzz parses");
        };
        assert_eq!(
            (fuzz.targets, fuzz.seconds),
            (vec!["parser_chunks".into()], 5)
        );
        assert!(matches!(
            parse(&["bench", "fanout"]),
            Ok(Task::Bench {
                part: Some(BenchPart::Fanout)
            })
        ));
        assert!(
            matches!(parse(&["cluster", "--nats", "--debug"]), Ok(Task::Cluster(c)) if c.nats && c.debug)
        );
        assert!(matches!(parse(&["soak", "--quick"]), Ok(Task::Soak(q)) if q.quick && !q.debug));
        for bad in [
            &["fuzz", "no_such_target"][..],
            &["fuzz", "--seconds", "0"],
            &["bench", "everything"],
            &["release", "--now"],
            &["chaos", "--fast"],
            &["nothing"],
        ] {
            let error = parse(bad).expect_err("refused");
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }
}
