//! `--format markdown`: the summary as GitHub-flavoured Markdown (a job
//! summary, an issue body).

use std::io::{self, Write};

use super::summary::{sections, Section, Summary};
use super::OrgReport;

pub fn write(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let s = Summary::of(report);
    writeln!(out, "# {}\n\n{}\n", cell(&s.title), cell(&s.totals))?;
    for Section {
        title,
        headers,
        rows,
        empty,
    } in sections(&s)
    {
        writeln!(out, "## {title}\n")?;
        if rows.is_empty() {
            writeln!(out, "{empty}\n")?;
            continue;
        }
        writeln!(out, "| {} |", headers.join(" | "))?;
        writeln!(out, "|{}", " --- |".repeat(headers.len()))?;
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A table cell: no line breaks, pipes and Markdown markup escaped.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}
