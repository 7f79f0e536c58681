//! What every soak case shares: its scale, the binaries under test, its line of the table.

use std::path::PathBuf;

/// How big and how long.
#[derive(Clone, Copy)]
pub(crate) struct Scale {
    quick: bool,
}

impl Scale {
    /// The condensed scale with `quick`, the full one otherwise.
    pub(crate) fn new(quick: bool) -> Self {
        Self { quick }
    }

    /// True with `--quick`.
    pub(crate) fn quick(self) -> bool {
        self.quick
    }

    /// `full` in a full run, `quick` with `--quick`.
    pub(crate) fn pick<T>(self, full: T, quick: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }
}

/// One line of the table.
pub(crate) struct Row {
    pub(crate) attack: String,
    /// What was done, in numbers.
    pub(crate) load: String,
    /// Memory of the process under attack, MiB: before, peak, after.
    pub(crate) memory: (f64, f64, f64),
    pub(crate) cpu_seconds: f64,
    /// Open sockets of the server (or a fact about the checker run).
    pub(crate) sockets: String,
    /// What the normal client saw meanwhile (or "—").
    pub(crate) normal_client: String,
    pub(crate) panics: usize,
    /// `Ok(note)` or `Err(why it failed)`.
    pub(crate) verdict: Result<String, String>,
}

/// The binaries under test.
pub(crate) struct Binaries {
    pub(crate) demo: PathBuf,
    pub(crate) checker: PathBuf,
    /// Where servers' stderr goes (for panics).
    pub(crate) logs: PathBuf,
}
