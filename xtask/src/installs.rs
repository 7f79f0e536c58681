//! Installing pinned third-party packages for the tasks that run them (the frameworks'
//! scoreboard, the clients' matrix): npm packages from a lock file, and PyPI packages in
//! a virtual environment of their own.

use std::path::{Path, PathBuf};

use crate::process::run;

/// `npm ci` in `dir` unless `node_modules/<marker>` is already there.
pub(crate) fn npm_ci(dir: &Path, marker: &str) -> Result<(), String> {
    if dir.join("node_modules").join(marker).exists() {
        return Ok(());
    }
    let prefix = dir.to_str().ok_or("a path that is not UTF-8")?;
    if run(
        "npm",
        &[
            "ci",
            "--prefix",
            prefix,
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ],
    ) {
        Ok(())
    } else {
        Err(format!("npm ci failed in {}", dir.display()))
    }
}

/// A virtual environment at `venv` with `requirements` installed (again whenever the
/// file changes); its `python`.
pub(crate) fn python_venv(venv: &Path, requirements: &Path) -> Result<PathBuf, String> {
    let python = venv.join("bin/python");
    let wanted = std::fs::read_to_string(requirements).map_err(|error| error.to_string())?;
    let installed = std::fs::read_to_string(venv.join("requirements.txt")).unwrap_or_default();
    if installed == wanted {
        return Ok(python);
    }
    let utf8 = |path: &Path| {
        path.to_str()
            .map(str::to_owned)
            .ok_or("a path that is not UTF-8")
    };
    let (venv_path, requirements_path, python_path) =
        (utf8(venv)?, utf8(requirements)?, utf8(&python)?);
    if !run("python3", &["-m", "venv", &venv_path])
        || !run(
            &python_path,
            &["-m", "pip", "install", "-q", "-r", &requirements_path],
        )
    {
        return Err(format!("could not install {}", requirements.display()));
    }
    std::fs::write(venv.join("requirements.txt"), wanted).map_err(|error| error.to_string())?;
    Ok(python)
}
