//! JSON and JSONL reports (scaffold: being written).
use super::{Options, Report};
use std::io::{self, Write};
pub fn write_json(_r: &Report<'_>, _o: &Options, _out: &mut dyn Write) -> io::Result<()> { Ok(()) }
pub fn write_jsonl(_r: &Report<'_>, _o: &Options, _out: &mut dyn Write) -> io::Result<()> { Ok(()) }
