//! Progress on stderr: drawn only when stderr is a terminal and the user did not ask for
//! quiet; colour only when `NO_COLOR` is unset.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// A spinner counting rows, e.g. for a bulk load whose total is only approximate.
pub fn rows_spinner(message: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, target(quiet));
    let spinner = if no_color() {
        "{spinner}"
    } else {
        "{spinner:.cyan}"
    };
    let style = ProgressStyle::with_template(&format!(
        "{spinner} {{msg}} {{human_pos}} rows ({{per_sec}}) {{elapsed}}"
    ))
    .expect("valid template");
    bar.set_style(style);
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar over a known number of rows, with the rate, e.g. for an import.
pub fn rows_bar(message: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), target(quiet));
    let fill = if no_color() {
        "{bar:30}"
    } else {
        "{bar:30.cyan}"
    };
    let style = ProgressStyle::with_template(&format!(
        "{{msg}} {fill} {{human_pos}}/{{human_len}} rows ({{per_sec}}) {{elapsed}}"
    ))
    .expect("valid template");
    bar.set_style(style);
    bar.set_message(message.to_owned());
    bar
}

/// Standard error (indicatif draws nothing when it is not a terminal), or nowhere.
fn target(quiet: bool) -> ProgressDrawTarget {
    if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
