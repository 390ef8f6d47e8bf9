//! The parser: tokens to a [`Program`] (the top-level forms and every
//! node under them), plus [`decode_source`], the one place raw file bytes
//! become a [`SourceFile`].
//!
//! The parser is iterative: open brackets and pending quotes live on an
//! explicit stack, and finished data wait on a value stack until their list
//! closes, when they move to the end of the program's node vector, which
//! keeps every list's items contiguous. So nesting depth never touches the
//! Rust stack here. It is still capped at [`MAX_NESTING`], because the
//! compiler's walk and the printing of a quoted datum recurse on it.

use crate::ast::{Items, Program, Sexp, SexpKind};
use crate::diag::Diagnostic;
use crate::lexer::{comment_end, plain_atom, Atom, LexError, Lexer, Plain, ATOM, BLANK, CLASS, DELIM};
use crate::source::{SourceFile, Span};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// How deeply `(`, `[` and `'` may nest. A datum at depth 1000 is fine; the
/// bracket or quote that would open level 1001 is an error
/// (`nesting deeper than 1000 levels`). Real programs stay far below this,
/// and it keeps recursive passes over the tree within a thread's stack.
pub const MAX_NESTING: usize = 1000;

/// A syntax error.
///
/// `incomplete` is true when the text ended while something was still open:
/// a `(` or `[`, a string, or a `'` still waiting for its datum. Appending
/// more text could fix those, so a REPL should read another line and parse
/// the whole input again; any other error is final whatever follows.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub diag: Diagnostic,
    pub incomplete: bool,
}

impl fmt::Display for SyntaxError {
    /// The bare message; render `diag` against the file for a location.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for SyntaxError {}

/// The two kinds of bracket.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delim {
    Paren,
    Bracket,
}

impl Delim {
    fn open(self) -> char {
        match self {
            Delim::Paren => '(',
            Delim::Bracket => '[',
        }
    }
    fn close(self) -> char {
        match self {
            Delim::Paren => ')',
            Delim::Bracket => ']',
        }
    }
}

/// Something still open. `span` is its opening token.
enum Frame {
    /// A list whose finished items sit on the value stack from `base` up.
    List { delim: Delim, span: Span, base: usize },
    /// A `'` waiting for its datum.
    Quote { span: Span },
}

/// Parses all of `file.text` into its top-level forms, in order.
///
/// Spans are byte offsets into `file.text`: a list's span runs from its
/// opening bracket through its closer, a quote's from the `'` through its
/// datum. Atoms borrow from the text. The first error stops the parse.
pub fn parse_program(file: &SourceFile) -> Result<Program<'_>, SyntaxError> {
    let text = file.text.as_str();
    if text.len() > u32::MAX as usize {
        return Err(too_large());
    }
    let bytes = text.as_bytes();
    let mut values: Vec<Sexp> = Vec::with_capacity(16);
    // Finished lists' items. Allocated when the first list closes, sized
    // from the text (programs run two to three bytes per node) so that a
    // small one does not grow, and capped so that a text that is mostly
    // comments does not reserve room for nodes it does not have.
    let mut nodes: Vec<Sexp> = Vec::new();
    let mut strings: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    // Logos, for the atoms the byte loop leaves to it; made on first use.
    let mut lexer: Option<Lexer> = None;
    let mut pos = 0;
    while let Some(&b) = bytes.get(pos) {
        let class = CLASS[b as usize];
        if class & BLANK != 0 {
            pos += 1;
            continue;
        }
        // Each branch pushes its node itself rather than handing it to one
        // shared push: a node merged from several branches is assembled on
        // the stack field by field and copied into the vector with wider
        // loads, which stall on store forwarding (measured: 12% of a small
        // parse).
        if class & DELIM != 0 {
            let span = Span::new(pos as u32, pos as u32 + 1);
            pos += 1;
            let found = match b {
                b')' => Delim::Paren,
                b']' => Delim::Bracket,
                _ => {
                    if frames.len() >= MAX_NESTING {
                        return Err(too_deep(span));
                    }
                    let base = values.len();
                    frames.push(match b {
                        b'(' => Frame::List { delim: Delim::Paren, span, base },
                        b'[' => Frame::List { delim: Delim::Bracket, span, base },
                        _ => Frame::Quote { span },
                    });
                    continue;
                }
            };
            let (open, base) = match frames.pop() {
                Some(Frame::List { delim, span: open, base }) if delim == found => (open, base),
                Some(frame) => return Err(mismatched(file, &frame, found, span)),
                None => return Err(stray_closer(found, span)),
            };
            if nodes.capacity() == 0 {
                nodes.reserve((text.len() / 2).min(1024));
            }
            let items = move_items(&mut values, base, &mut nodes);
            let kind = match found {
                Delim::Paren => SexpKind::List(items),
                Delim::Bracket => SexpKind::Bracket(items),
            };
            push(&mut values, &mut frames, &mut nodes, Sexp::new(kind, open.to(span)));
        } else if b == b';' {
            pos = comment_end(bytes, pos);
        } else {
            let plain = if class & ATOM != 0 { plain_atom(bytes, pos) } else { None };
            match plain {
                Some((plain, end)) => {
                    let span = Span::new(pos as u32, end as u32);
                    pos = end;
                    let kind = match plain {
                        Plain::Sym => SexpKind::Sym,
                        Plain::Int(n) => SexpKind::Int(n),
                        Plain::Bool(b) => SexpKind::Bool(b),
                        Plain::Nil => SexpKind::Nil,
                    };
                    push(&mut values, &mut frames, &mut nodes, Sexp::new(kind, span));
                }
                None => {
                    let lexer = lexer.get_or_insert_with(|| Lexer::new(text));
                    let datum = logos_atom(file, lexer, pos, &mut strings)?;
                    pos = datum.span.end as usize;
                    push(&mut values, &mut frames, &mut nodes, datum);
                }
            }
        }
    }
    if let Some(frame) = frames.last() {
        return Err(unclosed(file, frame));
    }
    // What remains on the value stack are the top-level forms. With no
    // lists there is nothing else, and the stack itself is the result.
    let top = if nodes.is_empty() {
        nodes = values;
        Items { start: 0, len: nodes.len() as u32 }
    } else {
        move_items(&mut values, 0, &mut nodes)
    };
    Ok(Program { text, nodes, strings, top })
}

/// An atom the byte loop left to logos, as a node.
#[inline(never)]
fn logos_atom<'src>(
    file: &SourceFile,
    lexer: &mut Lexer<'src>,
    pos: usize,
    strings: &mut Vec<String>,
) -> Result<Sexp, SyntaxError> {
    let (atom, span) = lexer.logos_atom(pos).map_err(|e| lex_error(file, e))?;
    let kind = match atom {
        Atom::Int(n) => SexpKind::Int(n),
        Atom::Float(f) => SexpKind::Float(f),
        Atom::Str(Cow::Borrowed(_)) => SexpKind::Str(None),
        Atom::Str(Cow::Owned(s)) => {
            strings.push(s);
            SexpKind::Str(Some(strings.len() as u32 - 1))
        }
        Atom::Bool(b) => SexpKind::Bool(b),
        Atom::Nil => SexpKind::Nil,
        Atom::Sym(_) => SexpKind::Sym,
    };
    Ok(Sexp::new(kind, span))
}

/// Moves the values from `base` up to the end of `nodes`, where they stay.
/// Node counts fit in `u32`: every node takes at least one byte of text.
fn move_items(values: &mut Vec<Sexp>, base: usize, nodes: &mut Vec<Sexp>) -> Items {
    let items = Items { start: nodes.len() as u32, len: (values.len() - base) as u32 };
    nodes.extend_from_slice(&values[base..]);
    values.truncate(base);
    items
}

/// Adds a finished datum to the innermost open list (or the top level).
#[inline(always)]
fn push(values: &mut Vec<Sexp>, frames: &mut Vec<Frame>, nodes: &mut Vec<Sexp>, datum: Sexp) {
    // Both rare cases (a pending quote, a full vector) are split off, so
    // the common case stores the datum straight from registers into the
    // vector. Otherwise the compiler parks the datum on the stack around
    // the possible call to grow the vector, and copying it back stalls
    // the CPU's store forwarding, which profiles put at a third of the
    // parse time.
    if let Some(Frame::Quote { .. }) = frames.last() {
        values.push(close_quotes(datum, frames, nodes));
    } else if values.len() == values.capacity() {
        grow_and_push(values, datum);
    } else {
        values.push(datum);
    }
}

#[cold]
#[inline(never)]
fn grow_and_push(values: &mut Vec<Sexp>, datum: Sexp) {
    values.push(datum);
}

/// A finished datum completes every quote directly waiting for it (`''x`
/// is two quotes around `x`); each datum moves to `nodes`, and its quote
/// points at it. Kept out of line: quotes are rare, and the hot loop stays
/// small.
#[inline(never)]
fn close_quotes(mut datum: Sexp, frames: &mut Vec<Frame>, nodes: &mut Vec<Sexp>) -> Sexp {
    while let Some(&Frame::Quote { span }) = frames.last() {
        let span = span.to(datum.span);
        nodes.push(datum);
        datum = Sexp::new(SexpKind::Quote(nodes.len() as u32 - 1), span);
        frames.pop();
    }
    datum
}

#[cold]
fn lex_error(file: &SourceFile, err: LexError) -> SyntaxError {
    SyntaxError {
        diag: Diagnostic::new(err.message(&file.text), err.span),
        incomplete: err.is_incomplete(),
    }
}

#[cold]
fn too_large() -> SyntaxError {
    let msg = format!("source file too large, expected at most {} bytes", u32::MAX);
    SyntaxError { diag: Diagnostic::new(msg, Span::default()), incomplete: false }
}

#[cold]
fn too_deep(span: Span) -> SyntaxError {
    let msg = format!("nesting deeper than {MAX_NESTING} levels");
    SyntaxError { diag: Diagnostic::new(msg, span), incomplete: false }
}

#[cold]
fn stray_closer(found: Delim, span: Span) -> SyntaxError {
    let msg = format!("unexpected '{}'", found.close());
    SyntaxError { diag: Diagnostic::new(msg, span), incomplete: false }
}

/// A closer that does not match the innermost open thing.
#[cold]
fn mismatched(file: &SourceFile, frame: &Frame, found: Delim, span: Span) -> SyntaxError {
    let diag = match *frame {
        Frame::Quote { span: quote } => {
            Diagnostic::new(format!("expected a datum after ', found '{}'", found.close()), span)
                .with_label(quote, "quote here")
        }
        Frame::List { delim, span: open, .. } => {
            let (line, col) = file.line_col(open.start);
            let msg = format!(
                "expected '{}' to close '{}' opened at {line}:{col}, found '{}'",
                delim.close(),
                delim.open(),
                found.close()
            );
            Diagnostic::new(msg, span).with_label(open, "opened here")
        }
    };
    SyntaxError { diag, incomplete: false }
}

/// The innermost open thing at end of input. The caret goes just after the
/// last non-blank character rather than past trailing newlines, so it
/// lands on a line the reader can see.
#[cold]
fn unclosed(file: &SourceFile, frame: &Frame) -> SyntaxError {
    let end = file.text.trim_end_matches([' ', '\t', '\r', '\n', ',']).len() as u32;
    let at = Span::new(end, end);
    let diag = match *frame {
        Frame::Quote { span: quote } => {
            Diagnostic::new("expected a datum after '", at).with_label(quote, "quote here")
        }
        Frame::List { delim, span: open, .. } => {
            let (line, col) = file.line_col(open.start);
            let msg = format!(
                "expected '{}' to close '{}' opened at {line}:{col}",
                delim.close(),
                delim.open()
            );
            Diagnostic::new(msg, at).with_label(open, "opened here")
        }
    };
    SyntaxError { diag, incomplete: true }
}

/// Turns a file's bytes into a [`SourceFile`] named `name`.
///
/// Errors are one line, ready to print: invalid UTF-8 gives
/// `NAME:LINE:COL: invalid UTF-8 (byte 0xNN)` at the first bad byte, and a
/// file too large for `u32` byte offsets is refused. A leading UTF-8 byte
/// order mark is dropped, since some editors add one and it would
/// otherwise read as part of the first symbol.
pub fn decode_source(name: &str, mut bytes: Vec<u8>) -> Result<Arc<SourceFile>, String> {
    if bytes.len() > u32::MAX as usize {
        return Err(format!(
            "{name}: file too large ({} bytes, the limit is {} bytes)",
            bytes.len(),
            u32::MAX
        ));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let line = bytes[..line_start].iter().filter(|&&b| b == b'\n').count() + 1;
            // The prefix is valid UTF-8, so counting the bytes that start a
            // character counts characters, as `SourceFile::line_col` does.
            let col = bytes[line_start..at].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
            Err(format!("{name}:{line}:{col}: invalid UTF-8 (byte 0x{:02x})", bytes[at]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SexpKind as K;

    type P = &'static Program<'static>;

    /// Tests leak the file and the tree so both can be returned without a
    /// borrow.
    fn parse(text: &str) -> (&'static SourceFile, Result<P, SyntaxError>) {
        let file: &'static SourceFile = Box::leak(Box::new(SourceFile::new("t.cl", text)));
        (file, parse_program(file).map(|p| &*Box::leak(Box::new(p))))
    }

    fn ok(text: &str) -> P {
        parse(text).1.unwrap_or_else(|e| panic!("{text:?}: {}", e.diag.message))
    }

    fn fail(text: &str) -> SyntaxError {
        match parse(text).1 {
            Ok(v) => panic!("{text:?} parsed as {v:?}"),
            Err(e) => e,
        }
    }

    /// A compact rendering of a tree, to compare shapes in one line.
    fn show(p: &Program, s: &Sexp) -> String {
        let list = |open: &str, items: Items, close: &str| {
            let items: Vec<_> = p.items(items).iter().map(|i| show(p, i)).collect();
            format!("{open}{}{close}", items.join(" "))
        };
        match s.kind {
            K::Int(n) => n.to_string(),
            K::Float(f) => format!("{f:?}"),
            K::Str(_) => format!("{:?}", p.str(s).unwrap()),
            K::Bool(b) => b.to_string(),
            K::Nil => "nil".into(),
            K::Sym => p.sym(s).unwrap().to_string(),
            K::List(items) => list("(", items, ")"),
            K::Bracket(items) => list("[", items, "]"),
            K::Quote(_) => format!("'{}", show(p, p.quoted(s).unwrap())),
        }
    }

    fn shows(text: &str) -> String {
        let p = ok(text);
        p.forms().iter().map(|f| show(p, f)).collect::<Vec<_>>().join(" ")
    }

    fn span(s: &Sexp) -> (u32, u32) {
        (s.span.start, s.span.end)
    }

    #[test]
    fn empty_input_has_no_forms() {
        assert!(ok("").forms().is_empty());
        assert!(ok("  \n\t,").forms().is_empty());
        assert!(ok("; only a comment").forms().is_empty());
    }

    #[test]
    fn atoms() {
        let p = ok("42 -7 1.5 \"s\" true #f nil x 0x10");
        let kinds: Vec<_> = p.forms().iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                K::Int(42),
                K::Int(-7),
                K::Float(1.5),
                K::Str(None),
                K::Bool(true),
                K::Bool(false),
                K::Nil,
                K::Sym,
                K::Int(16),
            ]
        );
        assert_eq!(p.str(&p.forms()[3]), Some("s"));
        assert_eq!(p.sym(&p.forms()[7]), Some("x"));
    }

    #[test]
    fn atoms_borrow_from_the_source() {
        let file = SourceFile::new("t.cl", "(f \"plain\" sym)");
        let p = parse_program(&file).unwrap();
        let items = p.list(&p.forms()[0]).unwrap();
        let range = file.text.as_bytes().as_ptr_range();
        assert_eq!(items[1].kind, K::Str(None));
        assert!(range.contains(&p.str(&items[1]).unwrap().as_ptr()));
        assert!(range.contains(&p.sym(&items[2]).unwrap().as_ptr()));
        assert!(p.strings.is_empty());
        // Only a string with escapes keeps text of its own.
        let file = SourceFile::new("t.cl", r#"["a\tb" "c"]"#);
        let p = parse_program(&file).unwrap();
        let K::Bracket(items) = p.forms()[0].kind else { panic!() };
        let items = p.items(items);
        assert_eq!(items[0].kind, K::Str(Some(0)));
        assert_eq!(p.str(&items[0]), Some("a\tb"));
        assert_eq!(p.str(&items[1]), Some("c"));
    }

    #[test]
    fn lists_and_brackets_nest() {
        assert_eq!(shows("(a (b [c d] ()) [])"), "(a (b [c d] ()) [])");
        assert_eq!(shows("[1, 2, [3]]"), "[1 2 [3]]");
        assert_eq!(shows("(a)(b)"), "(a) (b)");
        assert_eq!(
            shows("(let ((x 10) (y 20)) (if (> x y) (* x 2) (+ y (* x 3))))"),
            "(let ((x 10) (y 20)) (if (> x y) (* x 2) (+ y (* x 3))))"
        );
    }

    #[test]
    fn quotes() {
        assert_eq!(shows("'x"), "'x");
        assert_eq!(shows("'(1 2)"), "'(1 2)");
        assert_eq!(shows("'[a b]"), "'[a b]");
        assert_eq!(shows("''x"), "''x");
        assert_eq!(shows("(f 'a '(b 'c) ' d)"), "(f 'a '(b 'c) 'd)");
        assert_eq!(shows("'\n; comment\nx"), "'x");
        assert_eq!(shows("'()"), "'()");
    }

    #[test]
    fn spans_of_nodes() {
        let p = ok("(foo [1 2] 'x)  '(a)\n\"s\"");
        let forms = p.forms();
        assert_eq!(span(&forms[0]), (0, 14));
        let items = p.list(&forms[0]).unwrap();
        assert_eq!(span(&items[0]), (1, 4));
        assert_eq!(span(&items[1]), (5, 10));
        let K::Bracket(inner) = items[1].kind else { panic!() };
        assert_eq!(span(&p.items(inner)[1]), (8, 9));
        assert_eq!(span(&items[2]), (11, 13));
        assert_eq!(span(p.quoted(&items[2]).unwrap()), (12, 13));
        assert_eq!(span(&forms[1]), (16, 20));
        assert_eq!(span(&forms[2]), (21, 24));
        // Nested quotes each cover their own `'` through the datum.
        let p = ok("' 'x");
        let forms = p.forms();
        assert_eq!(span(&forms[0]), (0, 4));
        assert_eq!(span(p.quoted(&forms[0]).unwrap()), (2, 4));
    }

    #[test]
    fn multiline_program_with_crlf_and_comments() {
        let text = "(define (f x) ; doc\r\n  (* x 2))\r\n\r\n(f 21) ; end";
        let (file, p) = parse(text);
        let p = p.unwrap();
        let forms = p.forms();
        assert_eq!(forms.len(), 2);
        assert_eq!(show(p, &forms[0]), "(define (f x) (* x 2))");
        assert_eq!(file.line_col(forms[1].span.start), (4, 1));
        assert_eq!(
            &text[forms[0].span.start as usize..forms[0].span.end as usize],
            "(define (f x) ; doc\r\n  (* x 2))"
        );
    }

    #[test]
    fn unicode_symbols_and_strings() {
        assert_eq!(shows("(λ (名前) \"😀\" \"\\u{1F600}\")"), "(λ (名前) \"😀\" \"😀\")");
        let p = ok("(é \"ü\")");
        let items = p.list(&p.forms()[0]).unwrap();
        assert_eq!(span(&items[0]), (1, 3));
        assert_eq!(span(&items[1]), (4, 8));
    }

    #[test]
    fn unclosed_at_eof() {
        let text = "(define (f x)\n  [1 2\n";
        let (file, e) = parse(text);
        let e = e.unwrap_err();
        assert!(e.incomplete);
        assert_eq!(e.diag.message, "expected ']' to close '[' opened at 2:3");
        // The caret sits just after the last character, not past the newline.
        assert_eq!(e.diag.span, Span::new(20, 20));
        assert_eq!(file.line_col(20), (2, 7));
        assert_eq!(e.diag.labels, vec![(Span::new(16, 17), "opened here".to_string())]);
        let e = fail("(a");
        assert_eq!(e.diag.message, "expected ')' to close '(' opened at 1:1");
        assert_eq!(e.diag.span, Span::new(2, 2));
        assert!(e.incomplete);
        assert!(fail("(").incomplete);
        assert!(fail("[[[").incomplete);
        assert!(fail("(a ; comment").incomplete);
    }

    #[test]
    fn mismatched_closer() {
        let e = fail("(a]");
        assert_eq!(e.diag.message, "expected ')' to close '(' opened at 1:1, found ']'");
        assert_eq!(e.diag.span, Span::new(2, 3));
        assert_eq!(e.diag.labels, vec![(Span::new(0, 1), "opened here".to_string())]);
        assert!(!e.incomplete);
        let e = fail("(x\n  [y)");
        assert_eq!(e.diag.message, "expected ']' to close '[' opened at 2:3, found ')'");
        assert_eq!(e.diag.span, Span::new(7, 8));
    }

    #[test]
    fn stray_closers() {
        for (text, msg, at) in [
            (")", "unexpected ')'", 0),
            ("(a) ]", "unexpected ']'", 4),
            ("x)", "unexpected ')'", 1),
        ] {
            let e = fail(text);
            assert_eq!(e.diag.message, msg, "{text}");
            assert_eq!(e.diag.span, Span::new(at, at + 1));
            assert!(!e.incomplete);
        }
    }

    #[test]
    fn quote_without_datum() {
        let e = fail("'");
        assert_eq!(e.diag.message, "expected a datum after '");
        assert_eq!(e.diag.span, Span::new(1, 1));
        assert_eq!(e.diag.labels, vec![(Span::new(0, 1), "quote here".to_string())]);
        assert!(e.incomplete);
        let e = fail("(a ')");
        assert_eq!(e.diag.message, "expected a datum after ', found ')'");
        assert_eq!(e.diag.span, Span::new(4, 5));
        assert_eq!(e.diag.labels, vec![(Span::new(3, 4), "quote here".to_string())]);
        assert!(!e.incomplete);
        assert_eq!(fail("['']").diag.message, "expected a datum after ', found ']'");
        assert!(fail("(a '").incomplete);
        assert!(fail("x ' ; trailing comment\n").incomplete);
    }

    #[test]
    fn lexical_errors_become_syntax_errors() {
        let cases = [
            ("(f 1abc)", "invalid number literal `1abc`", (3, 7), false),
            ("-0x1F", "invalid number literal `-0x1F`", (0, 5), false),
            ("(+ 9223372036854775808)", "integer literal out of range", (3, 22), false),
            ("\"abc", "unterminated string", (0, 1), true),
            ("(print \"a\\qb\")", "unknown escape \\q", (9, 11), false),
            ("#foo", "unknown # syntax `#foo`", (0, 4), false),
            ("\"\\u{D800}\"", "invalid unicode escape \\u{D800}", (1, 9), false),
        ];
        for (text, msg, (s, e), incomplete) in cases {
            let err = fail(text);
            assert!(err.diag.message.starts_with(msg), "{text}: {}", err.diag.message);
            assert_eq!(err.diag.span, Span::new(s, e), "{text}");
            assert_eq!(err.incomplete, incomplete, "{text}");
        }
        // A lexical error inside an open list is still the error reported,
        // and it is final, not incomplete.
        assert!(!fail("(a 1x").incomplete);
    }

    #[test]
    fn integer_limits_in_context() {
        assert_eq!(
            shows("[-9223372036854775808 9223372036854775807 0x7fffffffffffffff]"),
            "[-9223372036854775808 9223372036854775807 9223372036854775807]"
        );
        assert!(fail("0x8000000000000000")
            .diag
            .message
            .starts_with("integer literal out of range"));
    }

    #[test]
    fn nesting_limit() {
        let deepest = format!("{}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        let forms = ok(&deepest).forms();
        assert_eq!(span(&forms[0]), (0, deepest.len() as u32));

        let quotes = format!("{}x", "'".repeat(MAX_NESTING));
        assert_eq!(ok(&quotes).forms().len(), 1);
        let mixed = format!("{}x{}", "['".repeat(MAX_NESTING / 2), "]".repeat(MAX_NESTING / 2));
        assert_eq!(ok(&mixed).forms().len(), 1);

        for text in [
            format!("{}x{}", "(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1)),
            format!("{}x", "'".repeat(MAX_NESTING + 1)),
            "[".repeat(100_000),
            "(".repeat(100_000),
            "'".repeat(100_000),
        ] {
            let e = fail(&text);
            assert_eq!(e.diag.message, "nesting deeper than 1000 levels");
            assert_eq!(e.diag.span, Span::new(MAX_NESTING as u32, MAX_NESTING as u32 + 1));
            assert!(!e.incomplete);
        }
    }

    #[test]
    fn storage_is_proportional_to_the_tree() {
        // The outer list closes at the bottom of the value stack after the
        // stack grew to 10,000 entries; every node is stored once.
        let text = format!("(a [{}])", "1 ".repeat(10_000));
        let p = ok(&text);
        let K::List(items) = p.forms()[0].kind else { panic!() };
        assert_eq!(items.len, 2);
        assert_eq!(p.nodes.len(), 10_003);
        assert!(p.nodes.capacity() <= 2 * p.nodes.len(), "{}", p.nodes.capacity());
        // Comments reserve nothing.
        let text = format!("(a)\n;{}", "x".repeat(1_000_000));
        assert!(ok(&text).nodes.capacity() <= 1024);
    }

    #[test]
    fn many_siblings_are_fine() {
        let text = format!("({})", "1 ".repeat(100_000));
        let p = ok(&text);
        assert_eq!(p.list(&p.forms()[0]).unwrap().len(), 100_000);
        let text = "(a) ".repeat(10_000);
        assert_eq!(ok(&text).forms().len(), 10_000);
    }

    #[test]
    fn syntax_error_displays_its_message() {
        assert_eq!(fail(")").to_string(), "unexpected ')'");
    }

    #[test]
    fn decode_source_accepts_utf8() {
        let f = decode_source("a.cl", "(print \"λ\")\n".as_bytes().to_vec()).unwrap();
        assert_eq!(f.name, "a.cl");
        assert_eq!(f.text, "(print \"λ\")\n");
        let f = decode_source("bom.cl", b"\xEF\xBB\xBF(x)".to_vec()).unwrap();
        assert_eq!(f.text, "(x)");
        assert_eq!(decode_source("e.cl", Vec::new()).unwrap().text, "");
    }

    #[test]
    fn decode_source_reports_invalid_utf8() {
        let cases: [(&[u8], &str); 6] = [
            (b"\xff", "x.cl:1:1: invalid UTF-8 (byte 0xff)"),
            (b"(a)\n(b \xc3(", "x.cl:2:4: invalid UTF-8 (byte 0xc3)"),
            // Columns count characters: `λ` is one column but two bytes.
            ("λλ".as_bytes(), ""),
            (b"\xce\xbbx \x80", "x.cl:1:4: invalid UTF-8 (byte 0x80)"),
            (b"a\r\nb\r\n\xed\xa0\x80", "x.cl:3:1: invalid UTF-8 (byte 0xed)"),
            (b"abc\xe2\x82", "x.cl:1:4: invalid UTF-8 (byte 0xe2)"),
        ];
        for (bytes, want) in cases {
            let got = decode_source("x.cl", bytes.to_vec());
            if want.is_empty() {
                assert!(got.is_ok());
            } else {
                assert_eq!(got.unwrap_err(), want, "{bytes:?}");
            }
        }
        // The BOM is stripped before decoding, and columns follow suit.
        assert_eq!(
            decode_source("x.cl", b"\xEF\xBB\xBFab\xfe".to_vec()).unwrap_err(),
            "x.cl:1:3: invalid UTF-8 (byte 0xfe)"
        );
    }

    /// A small deterministic generator, so the round-trip test needs no
    /// dependency and fails the same way every time.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// Writes a random datum as source text with random blanks, and
    /// returns what `show` should print for it.
    fn gen(rng: &mut Rng, depth: usize, out: &mut String) -> String {
        const BLANKS: [&str; 7] = [" ", "\n", ",", "\t", " ; note\n", "\r\n", " ,; λ\"\n"];
        let kind = if depth == 0 { rng.below(7) } else { rng.below(10) };
        match kind {
            0 => {
                let n = match rng.below(4) {
                    0 => i64::MIN,
                    1 => i64::MAX,
                    _ => rng.next() as i64 >> rng.below(64),
                };
                out.push_str(&n.to_string());
                n.to_string()
            }
            1 => {
                let n = (rng.next() >> 1) as i64 >> rng.below(63);
                out.push_str(&format!("{n:#x}"));
                n.to_string()
            }
            2 => {
                let f = f64::from_bits(rng.next());
                let f = if f.is_finite() { f } else { 0.5 };
                // `{:?}` prints the shortest text that reads back exactly,
                // with a `.` or an exponent, which the float syntax accepts.
                out.push_str(&format!("{f:?}"));
                format!("{f:?}")
            }
            3 => {
                let mut text = String::new();
                out.push('"');
                for _ in 0..rng.below(6) {
                    let (src, c) = match rng.below(8) {
                        0 => ("\\n".to_string(), '\n'),
                        1 => ("\\\"".to_string(), '"'),
                        2 => ("\\\\".to_string(), '\\'),
                        3 => ("\\u{1F600}".to_string(), '😀'),
                        4 => ("é".to_string(), 'é'),
                        5 => ("\n".to_string(), '\n'),
                        6 => ("(;".to_string(), '('),
                        _ => ("a".to_string(), 'a'),
                    };
                    out.push_str(&src);
                    text.push(c);
                    if src == "(;" {
                        text.push(';');
                    }
                }
                out.push('"');
                format!("{text:?}")
            }
            4 => {
                let t = rng.pick(&["true", "false", "#t", "#f"]);
                out.push_str(t);
                (t == "true" || t == "#t").to_string()
            }
            5 => {
                out.push_str("nil");
                "nil".to_string()
            }
            6 => {
                let s = rng.pick(&[
                    "x", "-", "->", "...rest", "set!", "λ", "io:print", "+", "a.b", "nil?", "-x",
                ]);
                out.push_str(s);
                s.to_string()
            }
            7 => {
                out.push('\'');
                out.push_str(rng.pick(&BLANKS[..2]));
                format!("'{}", gen(rng, depth - 1, out))
            }
            _ => {
                let (open, close) = if kind == 8 { ("(", ")") } else { ("[", "]") };
                out.push_str(open);
                let mut items = Vec::new();
                for _ in 0..rng.below(5) {
                    out.push_str(rng.pick(&BLANKS));
                    items.push(gen(rng, depth - 1, out));
                    out.push_str(rng.pick(&BLANKS));
                }
                out.push_str(close);
                format!("{open}{}{close}", items.join(" "))
            }
        }
    }

    /// Every span must cover exactly the text of its node: reparsing that
    /// text gives the same node.
    fn check_spans(text: &str, p: &Program, node: &Sexp) {
        let piece = &text[node.span.start as usize..node.span.end as usize];
        let again = ok(piece);
        assert_eq!(again.forms().len(), 1, "span of {} covers {piece:?}", show(p, node));
        assert_eq!(show(again, &again.forms()[0]), show(p, node), "span text {piece:?}");
        match node.kind {
            K::List(items) | K::Bracket(items) => {
                p.items(items).iter().for_each(|i| check_spans(text, p, i))
            }
            K::Quote(_) => check_spans(text, p, p.quoted(node).unwrap()),
            _ => {}
        }
    }

    #[test]
    fn random_programs_round_trip() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..400 {
            let mut text = String::new();
            let mut expected = Vec::new();
            for _ in 0..1 + rng.below(3) {
                expected.push(gen(&mut rng, 5, &mut text));
                text.push_str(["\n", " ", "; end\n", ","][rng.below(4)]);
            }
            let p = ok(&text);
            let shown: Vec<String> = p.forms().iter().map(|f| show(p, f)).collect();
            assert_eq!(shown, expected, "source: {text:?}");
            for form in p.forms() {
                check_spans(&text, p, form);
            }
        }
    }
}
