//! Colour in Windows consoles: ANSI escape codes are only interpreted once
//! virtual terminal processing is on for the console (Windows 10 1511 and
//! later; Server 2016 and later). Older consoles (Server 2012 R2's conhost)
//! refuse the mode and would print the escapes raw.
// See: https://learn.microsoft.com/windows/console/console-virtual-terminal-sequences

/// Turns on virtual terminal processing for stdout and stderr; false when
/// the console refuses it (or there is no console: redirected output).
pub fn enable_ansi() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(false)
}
