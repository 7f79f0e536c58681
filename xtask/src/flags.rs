//! The flags several tasks share.

/// The flags of `soak` and `chaos`: `--quick` and `--debug`, in any order; `None` (after
/// saying why) for anything else.
pub(crate) fn quick_and_debug(task: &str, args: &[String]) -> Option<(bool, bool)> {
    let (mut quick, mut debug) = (false, false);
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--debug" => debug = true,
            other => {
                eprintln!("xtask {task}: unknown argument {other:?}");
                eprintln!("usage: cargo xtask {task} [--quick] [--debug]");
                return None;
            }
        }
    }
    Some((quick, debug))
}
