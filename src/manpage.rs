//! `tlscheck man`: the man page of tlscheck or of one subcommand, in roff.
//! clap_mangen renders the sections; the after-help text (examples, exit
//! codes, how to use a subcommand) becomes sections named after its own
//! headings rather than clap_mangen's "EXTRA".

use clap::CommandFactory;

/// Why no page could be made.
#[derive(Debug, thiserror::Error)]
pub enum ManError {
    /// The subcommand does not exist.
    #[error("no subcommand {0:?}: give one of {1}")]
    NoSuchSubcommand(String, String),
    /// Rendering failed (writing into memory; not expected).
    #[error("rendering the man page: {0}")]
    Render(#[from] std::io::Error),
}

/// The page of tlscheck (`None`) or of one subcommand, as roff.
pub fn render(subcommand: Option<&str>) -> Result<Vec<u8>, ManError> {
    let mut root = crate::cli::Cli::command();
    root.build();
    let cmd = match subcommand {
        None => root.clone(),
        Some(name) => root
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| ManError::NoSuchSubcommand(name.to_owned(), names(&root)))?,
    };
    let title = match subcommand {
        None => "tlscheck".to_owned(),
        Some(name) => format!("tlscheck-{name}"),
    };
    let man = clap_mangen::Man::new(cmd.clone()).title(title);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
        out.extend_from_slice(
            b".PP\nEach subcommand has its own page: \\fBtlscheck man\\fR \\fISUBCOMMAND\\fR \
              (\\fBtlscheck man listen\\fR prints tlscheck\\-listen(1)).\n",
        );
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        out.extend_from_slice(after_help_sections(&after.to_string()).as_bytes());
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// The subcommand names, for an error message.
fn names(root: &clap::Command) -> String {
    root.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// After-help text as roff: a line at column 0 ending in `:` starts a
/// section of that name; the lines under it are kept as written.
fn after_help_sections(text: &str) -> String {
    let mut out = String::new();
    let mut open = false;
    for line in text.lines() {
        let heading = !line.starts_with(' ') && line.ends_with(':') && line.len() < 40;
        if heading {
            if open {
                out.push_str(".fi\n");
            }
            let name = line.trim_end_matches(':').to_uppercase();
            let name = if name == "EXIT CODES" {
                "EXIT STATUS".to_owned()
            } else {
                name
            };
            out.push_str(&format!(".SH \"{}\"\n.nf\n", escape(&name)));
            open = true;
        } else {
            if !open {
                out.push_str(".SH NOTES\n.nf\n");
                open = true;
            }
            out.push_str(&escape_line(line));
            out.push('\n');
        }
    }
    if open {
        out.push_str(".fi\n");
    }
    out
}

/// Escapes roff's escape character.
fn escape(s: &str) -> String {
    s.replace('\\', "\\e").replace('-', "\\-")
}

/// Escapes a text line: a leading `.` or `'` would be read as a request.
fn escape_line(line: &str) -> String {
    let e = escape(line);
    if e.starts_with('.') || e.starts_with('\'') {
        format!("\\&{e}")
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_page_and_no_extra_section() {
        let root = String::from_utf8(render(None).unwrap()).unwrap();
        assert!(!root.contains("EXTRA"), "{root}");
        assert!(root.contains(".SH \"EXAMPLES\""), "{root}");
        assert!(root.contains(".SH \"EXIT STATUS\""), "{root}");
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        for sub in cmd.get_subcommands() {
            let page = String::from_utf8(render(Some(sub.get_name())).unwrap()).unwrap();
            assert!(!page.contains("EXTRA"), "{}: {page}", sub.get_name());
            assert!(
                page.contains(&format!("tlscheck\\-{}", sub.get_name())),
                "{}",
                sub.get_name()
            );
        }
    }

    #[test]
    fn an_unknown_subcommand_is_an_error() {
        assert!(matches!(
            render(Some("lisen")),
            Err(ManError::NoSuchSubcommand(..))
        ));
    }
}
