//! Diagnostics rendered rustc-style: a headline, `--> file:line:col`, the
//! source line and a caret. Syntax errors, compile errors and runtime errors
//! all render through here so they look the same.

use crate::source::{SourceFile, Span};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
    /// Secondary places worth pointing at, e.g. where a bracket opened.
    pub labels: Vec<(Span, String)>,
}

impl Diagnostic {
    #[cold]
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { message: message.into(), span, labels: Vec::new() }
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push((span, text.into()));
        self
    }

    /// `file:line:col: message`, the one-line form used in tests and logs.
    pub fn short(&self, file: &SourceFile) -> String {
        format!("{}: {}", file.location(self.span.start), self.message)
    }

    /// The full rustc-style rendering, ending in a newline.
    pub fn render(&self, file: &SourceFile) -> String {
        let mut out = format!("error: {}\n", self.message);
        render_snippet(&mut out, file, self.span, None);
        for (span, text) in &self.labels {
            render_snippet(&mut out, file, *span, Some(text));
        }
        out
    }
}

/// Writes ` --> file:line:col`, the source line and a caret line. The caret
/// covers the span on its first line only; multi-line forms get one caret
/// run to the end of that line.
pub fn render_snippet(out: &mut String, file: &SourceFile, span: Span, label: Option<&str>) {
    let (line, col) = file.line_col(span.start);
    let text = file.line_text(line);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {}:{}:{}", file.name, line, col);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {}", text.replace('\t', " "));
    let line_chars = text.chars().count() as u32;
    let (end_line, end_col) = file.line_col(span.end.max(span.start));
    let width = if end_line == line && end_col > col {
        end_col - col
    } else {
        (line_chars + 1).saturating_sub(col).max(1)
    };
    let _ = write!(out, "{pad} | {}{}", " ".repeat(col as usize - 1), "^".repeat(width as usize));
    match label {
        Some(l) => {
            let _ = writeln!(out, " {l}");
        }
        None => out.push('\n'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let f = SourceFile::new("x.cl", "(print 1)\n(foo bar)\n");
        let d = Diagnostic::new("undefined variable foo", Span::new(11, 14));
        assert_eq!(
            d.render(&f),
            "error: undefined variable foo\n --> x.cl:2:2\n  |\n2 | (foo bar)\n  |  ^^^\n"
        );
        assert_eq!(d.short(&f), "x.cl:2:2: undefined variable foo");
    }
}
