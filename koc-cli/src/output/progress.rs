//! Progress bars on standard error, for long runs on a terminal only.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether to draw progress: standard error is a terminal and the output is
/// not JSON.
pub fn wanted(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// A bar counting bytes of a file read, or `None` when progress is not
/// wanted.
pub fn bytes(total: u64, enabled: bool, what: &str) -> Option<ProgressBar> {
    bar(
        total,
        enabled,
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        what,
    )
}

/// A bar counting operations, or `None` when progress is not wanted.
pub fn operations(total: u64, enabled: bool, what: &str) -> Option<ProgressBar> {
    bar(
        total,
        enabled,
        "{msg} [{bar:40}] {pos}/{len} operations ({eta} left)",
        what,
    )
}

fn bar(total: u64, enabled: bool, template: &str, what: &str) -> Option<ProgressBar> {
    if !enabled {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    Some(bar)
}
