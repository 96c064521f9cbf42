//! Text report (scaffold: being written).
use super::{Options, Report};
use std::io::{self, Write};
pub fn write(_r: &Report<'_>, _o: &Options, _out: &mut dyn Write) -> io::Result<()> { Ok(()) }
