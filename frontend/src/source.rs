//! Source files and byte-offset spans, and the mapping from offsets to
//! `line:col` that every diagnostic (syntax or runtime) goes through.

use std::sync::Arc;

/// A half-open byte range `[start, end)` into one [`SourceFile`].
///
/// Spans are two `u32`s so that bytecode can carry one per instruction
/// cheaply; a source file larger than 4 GiB is rejected before parsing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// One unit of source text: a file, a REPL line or an `eval` string.
#[derive(Debug)]
pub struct SourceFile {
    /// The name used in locations (`fib.cl:3:14`), as the user gave it.
    pub name: String,
    pub text: String,
    /// Where each line after the first starts (the first starts at 0), so
    /// that a one-line source, the usual `eval` string, needs no vector.
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        let text = text.into();
        let line_starts = text.match_indices('\n').map(|(i, _)| i as u32 + 1).collect();
        Arc::new(SourceFile { name: name.into(), text, line_starts })
    }

    /// 1-based line and column of a byte offset. Columns count Unicode
    /// scalar values, so a caret lines up under non-ASCII text.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.text.len() as u32);
        // The 0-based line is the number of later lines starting at or
        // before `offset`.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_start(line);
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() as u32 + 1;
        (line as u32 + 1, col)
    }

    /// `name:line:col` of a byte offset.
    pub fn location(&self, offset: u32) -> String {
        let (l, c) = self.line_col(offset);
        format!("{}:{}:{}", self.name, l, c)
    }

    /// The text of a 1-based line, without its line terminator.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line as usize).saturating_sub(1);
        if i >= self.line_count() {
            return "";
        }
        let start = self.line_start(i);
        let end = self.line_starts.get(i).map(|&e| e as usize).unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len() + 1
    }

    /// The byte offset where 0-based line `i` starts.
    fn line_start(&self, i: usize) -> usize {
        match i {
            0 => 0,
            _ => self.line_starts[i - 1] as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_lines() {
        let f = SourceFile::new("t.cl", "ab\nλx y\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (1, 3));
        assert_eq!(f.line_col(3), (2, 1));
        // 'λ' is two bytes; the 'x' after it is column 2.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_text(2), "λx y");
        assert_eq!(f.location(5), "t.cl:2:2");
        // The line after the last newline exists (and is empty).
        assert_eq!(f.line_count(), 3);
        assert_eq!(f.line_col(9), (3, 1));
        assert_eq!((f.line_text(3), f.line_text(4), f.line_text(0)), ("", "", "ab"));
    }

    #[test]
    fn one_line_sources() {
        let f = SourceFile::new("e", "(+ 1 2)");
        assert_eq!((f.line_count(), f.line_col(0), f.line_col(7)), (1, (1, 1), (1, 8)));
        assert_eq!(f.line_text(1), "(+ 1 2)");
        assert_eq!(f.line_text(2), "");
        let f = SourceFile::new("e", "");
        assert_eq!((f.line_count(), f.line_col(0), f.line_text(1)), (1, (1, 1), ""));
        let f = SourceFile::new("e", "a\r\n");
        assert_eq!((f.line_count(), f.line_text(1), f.line_col(3)), (2, "a", (2, 1)));
    }
}
