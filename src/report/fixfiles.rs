//! `--write-fix DIR`: every snippet a report prints, as a file that can be
//! used as is (a `.reg` file regedit and `reg import` accept: first line
//! `Windows Registry Editor Version 5.00`, CRLF line ends; `main.cf`
//! lines; shell commands). Pure: names and bytes; `main` writes them.

use crate::diagnose::findings::{Finding, Fix};
use crate::diagnose::remediation::ServerSoftware;
use crate::report::outcome::RunReport;

/// The first line of a `.reg` file regedit 5 writes and reads.
pub const REG_HEADER: &str = "Windows Registry Editor Version 5.00";

/// A file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixFile {
    /// The file name (no directory).
    pub name: String,
    /// What it fixes, one line.
    pub what: String,
    /// The bytes to write.
    pub bytes: Vec<u8>,
}

/// The file name of a finding's snippet, if it has one: `tls12.reg` for
/// the Exchange TLS 1.2 fix, `main.cf.snippet` for Postfix, else the
/// finding id with the snippet's kind.
pub fn snippet_name(f: &Finding) -> Option<String> {
    let fix: &Fix = f.fix.as_ref()?;
    let sn = fix.remediation.snippet?;
    let name = match (fix.software, sn.language) {
        (_, "reg") if sn.text.contains("TLS 1.2\\Client]") => "tls12.reg".to_owned(),
        (_, "reg") => format!("{}.reg", f.id),
        (ServerSoftware::Postfix, "conf") => "main.cf.snippet".to_owned(),
        (ServerSoftware::Exim, "conf") => "exim.conf.snippet".to_owned(),
        (_, "m4") => "sendmail.mc.snippet".to_owned(),
        (_, "powershell") => format!("{}.ps1", f.id),
        (_, "sh") => format!("{}.sh", f.id),
        (_, other) => format!("{}.{other}.snippet", f.id),
    };
    Some(name)
}

/// The bytes of a snippet as a file: CRLF for Windows files (regedit,
/// PowerShell), LF otherwise, always ending in a line end.
fn file_bytes(language: &str, text: &str) -> Vec<u8> {
    let windows = matches!(language, "reg" | "powershell");
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line);
        out.push_str(if windows { "\r\n" } else { "\n" });
    }
    out.into_bytes()
}

/// Every snippet of a run, one file each (the same text under the same
/// name once; a different text under a taken name gets the finding id
/// in front).
pub fn for_run(r: &RunReport) -> Vec<FixFile> {
    let mut files: Vec<FixFile> = Vec::new();
    for f in r.targets.iter().flat_map(|t| &t.findings) {
        let (Some(fix), Some(mut name)) = (f.fix.as_ref(), snippet_name(f)) else {
            continue;
        };
        let Some(sn) = fix.remediation.snippet else {
            continue;
        };
        let bytes = file_bytes(sn.language, sn.text);
        if files.iter().any(|x| x.name == name && x.bytes == bytes) {
            continue;
        }
        if files.iter().any(|x| x.name == name) {
            name = format!("{}.{name}", f.id);
        }
        files.push(FixFile {
            name,
            what: fix.remediation.title.to_owned(),
            bytes,
        });
    }
    files
}

/// One `.reg` text that does what all of `regs` do: one header, each key
/// once (sorted by path, so the same fixes give the same file whatever the
/// order of the findings: a file export and the live registry list them
/// differently) with the values of every file under it
/// (a later file's value of the same name wins), deletions (`[-KEY]`)
/// kept, comments kept once. `\n` line ends.
pub fn merge_reg(regs: &[&str]) -> String {
    // (key line, comment lines before it, value lines)
    let mut sections: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for reg in regs {
        let mut current: Option<usize> = None;
        let mut comments: Vec<String> = Vec::new();
        for line in reg.lines() {
            let line = line.trim_end();
            if line.is_empty() || line == REG_HEADER || line == "REGEDIT4" {
                continue;
            }
            if line.starts_with(';') {
                comments.push(line.to_owned());
                continue;
            }
            if line.starts_with('[') {
                let idx = match sections
                    .iter()
                    .position(|(k, _, _)| k.eq_ignore_ascii_case(line))
                {
                    Some(i) => i,
                    None => {
                        sections.push((line.to_owned(), Vec::new(), Vec::new()));
                        sections.len() - 1
                    }
                };
                if let Some((_, c, _)) = sections.get_mut(idx) {
                    for x in comments.drain(..) {
                        if !c.contains(&x) {
                            c.push(x);
                        }
                    }
                }
                current = Some(idx);
                continue;
            }
            if let Some((_, _, values)) = current.and_then(|i| sections.get_mut(i)) {
                let name = line.split_once('=').map_or(line, |(n, _)| n);
                match values
                    .iter()
                    .position(|v| v.split_once('=').map_or(v.as_str(), |(n, _)| n) == name)
                {
                    Some(i) => {
                        if let Some(v) = values.get_mut(i) {
                            *v = line.to_owned();
                        }
                    }
                    None => values.push(line.to_owned()),
                }
            }
        }
    }
    // Keys do not depend on each other's order in a .reg; deletions of a
    // path come before its settings.
    sections.sort_by_cached_key(|(k, _, _)| {
        let path = k.trim_start_matches('[').trim_start_matches('-');
        (path.to_ascii_lowercase(), !k.starts_with("[-"))
    });
    let mut out = format!("{REG_HEADER}\n");
    for (key, comments, values) in &sections {
        out.push('\n');
        for c in comments {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str(key);
        out.push('\n');
        for v in values {
            out.push_str(v);
            out.push('\n');
        }
    }
    out
}

/// The one `.reg` file that fixes every finding of a SCHANNEL audit, or
/// `None` when no finding has a fix.
pub fn for_schannel(audit: &crate::diagnose::schannel::Audit) -> Option<FixFile> {
    let regs: Vec<&str> = audit
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref().map(|x| x.reg.as_str()))
        .collect();
    if regs.is_empty() {
        return None;
    }
    let ids: Vec<&str> = audit
        .findings
        .iter()
        .filter(|f| f.fix.is_some())
        .map(|f| f.id.as_str())
        .collect();
    Some(FixFile {
        name: "schannel-fix.reg".to_owned(),
        what: format!("fixes {}", ids.join(", ")),
        bytes: file_bytes("reg", &merge_reg(&regs)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_reg_has_one_header_each_key_once_and_later_values_win() {
        let a = "Windows Registry Editor Version 5.00\n\n[-HKEY_LOCAL_MACHINE\\X\\TLS 1,2]\n\n[HKEY_LOCAL_MACHINE\\X\\TLS 1.2\\Client]\n\"Enabled\"=dword:00000000\n";
        let b = "Windows Registry Editor Version 5.00\n\n; why\n[HKEY_LOCAL_MACHINE\\X\\TLS 1.2\\Client]\n\"Enabled\"=dword:00000001\n\"DisabledByDefault\"=dword:00000000\n\n[HKEY_LOCAL_MACHINE\\X\\TLS 1.0\\Client]\n\"Enabled\"=dword:00000000\n";
        let m = merge_reg(&[a, b]);
        assert_eq!(m.matches(REG_HEADER).count(), 1);
        assert!(m.starts_with(REG_HEADER));
        assert_eq!(
            m.matches("[HKEY_LOCAL_MACHINE\\X\\TLS 1.2\\Client]")
                .count(),
            1
        );
        assert!(m.contains("\"Enabled\"=dword:00000001"));
        assert!(!m.contains("\"Enabled\"=dword:00000000\n\"Disabled"));
        assert!(m.contains("[-HKEY_LOCAL_MACHINE\\X\\TLS 1,2]"));
        assert!(m.contains("; why\n[HKEY_LOCAL_MACHINE\\X\\TLS 1.2\\Client]"));
    }

    #[test]
    fn windows_files_get_crlf() {
        assert_eq!(file_bytes("reg", "a\nb"), b"a\r\nb\r\n");
        assert_eq!(file_bytes("conf", "a\nb"), b"a\nb\n");
    }
}
