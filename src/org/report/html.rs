//! `--format html`: the summary as one self-contained page (inline CSS, no
//! script, no fonts, images or anything else fetched from the network), so
//! it can be archived and opened anywhere.

use std::io::{self, Write};

use super::summary::{sections, Section, Summary};
use super::OrgReport;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#1b1f24}\
table{border-collapse:collapse;margin-bottom:1.5em}\
th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;font-size:.9em}\
th{background:#f6f8fa}td.live{color:#fff;background:#cf222e;font-weight:bold}\
code{font-family:ui-monospace,monospace}p.empty{color:#57606a}";

pub fn write(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let s = Summary::of(report);
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\"><head><meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<title>{}</title><style>{STYLE}</style></head><body>",
        esc(&s.title)
    )?;
    writeln!(out, "<h1>{}</h1>\n<p>{}</p>", esc(&s.title), esc(&s.totals))?;
    for Section {
        title,
        headers,
        rows,
        empty,
    } in sections(&s)
    {
        writeln!(out, "<h2>{}</h2>", esc(title))?;
        if rows.is_empty() {
            writeln!(out, "<p class=\"empty\">{}</p>", esc(empty))?;
            continue;
        }
        write!(out, "<table><thead><tr>")?;
        for h in &headers {
            write!(out, "<th>{}</th>", esc(h))?;
        }
        writeln!(out, "</tr></thead><tbody>")?;
        for row in rows {
            write!(out, "<tr>")?;
            for (i, c) in row.iter().enumerate() {
                let class = if headers[i] == "status" && c == "live" {
                    " class=\"live\""
                } else {
                    ""
                };
                write!(out, "<td{class}>{}</td>", esc(c))?;
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody></table>")?;
    }
    writeln!(out, "</body></html>")
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
