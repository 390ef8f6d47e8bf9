//! `/tmp/perf-<pid>.map`: the Linux perf convention for naming JIT code.
//! `perf record`/`perf report` and the `pprof` crate (feature `perfmaps`)
//! read it to name addresses that belong to no loaded object. One line per
//! compiled function: `START SIZE NAME`, hex, appended as code is
//! installed (the file is append-only by convention: readers take the
//! last entry covering an address).

use std::fs::{File, OpenOptions};
use std::io::Write;

pub struct PerfMap {
    file: File,
}

impl PerfMap {
    pub fn path() -> String {
        format!("/tmp/perf-{}.map", std::process::id())
    }

    /// Opens (creating, appending) this process's map.
    pub fn open() -> std::io::Result<PerfMap> {
        let file = OpenOptions::new().create(true).append(true).open(Self::path())?;
        Ok(PerfMap { file })
    }

    /// Records one function; errors are ignored (a profiling aid must not
    /// fail the compile).
    pub fn add(&mut self, address: usize, size: u32, name: &str) {
        // Newlines would split the entry; names come from source code.
        let name: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let _ = writeln!(self.file, "{address:x} {size:x} {name}");
        let _ = self.file.flush();
    }
}
