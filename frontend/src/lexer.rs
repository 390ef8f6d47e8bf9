//! The lexer: source text to tokens, borrowing from the text.
//!
//! Two halves. A plain byte loop (byte classes in `CLASS`) skips blanks
//! and comments, finds the one-byte tokens `( ) [ ] '`, and recognises the
//! commonest atoms itself (`plain_atom`: an ASCII symbol, a short decimal
//! integer, `true`, `false`, `nil`); every other atom (strings, floats,
//! hex, non-ASCII names, errors) is classified by a `logos` state machine.
//! The split is for speed: each trip through the logos machine costs an
//! indirect jump, which profiles showed to be the main cost of lexing. The
//! parser runs the byte loop inline over these pieces and calls logos
//! through `Lexer::logos_atom`; the `Lexer` iterator is the same loop,
//! for tests and tools.
//!
//! Tokens carry `&'src str` slices and spans are byte offsets; nothing here
//! allocates except a string literal that contains escapes, and `line:col`
//! is only computed when a diagnostic is rendered.

use crate::source::Span;
use logos::Logos;
use std::borrow::Cow;
use LexErrorKind as K;

/// One token. Atoms arrive already decoded (numbers parsed, string escapes
/// resolved, symbols borrowed), so the parser only wraps them in a
/// [`crate::Sexp`].
#[derive(Clone, Debug, PartialEq)]
pub enum Token<'src> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Quote,
    Atom(Atom<'src>),
}

/// A decoded atom.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom<'src> {
    Int(i64),
    Float(f64),
    /// String contents with escapes already resolved; borrowed from the
    /// source unless there were escapes.
    Str(Cow<'src, str>),
    Bool(bool),
    Nil,
    Sym(&'src str),
}

/// Byte classes for the hand-written part of the lexer.
pub(crate) const BLANK: u8 = 1;
pub(crate) const DELIM: u8 = 2;
/// An ASCII byte that may appear in an atom (see `RawAtom`'s `atom`
/// subpattern): printable, and none of `, ( ) [ ] " ; '`.
pub(crate) const ATOM: u8 = 4;

/// Space, tab, CR, LF and comma are blank; `( ) [ ] '` are one-byte
/// tokens; the other printable ASCII bytes except `;` and `"` can be part
/// of an atom. Everything else (`;`, `"`, control characters, non-ASCII)
/// has class 0 and needs a closer look.
pub(crate) static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0x21;
    while b < 0x7f {
        class[b] = ATOM;
        b += 1;
    }
    class[b' ' as usize] = BLANK;
    class[b'\t' as usize] = BLANK;
    class[b'\r' as usize] = BLANK;
    class[b'\n' as usize] = BLANK;
    class[b',' as usize] = BLANK;
    class[b'(' as usize] = DELIM;
    class[b')' as usize] = DELIM;
    class[b'[' as usize] = DELIM;
    class[b']' as usize] = DELIM;
    class[b'\'' as usize] = DELIM;
    class[b';' as usize] = 0;
    class[b'"' as usize] = 0;
    class
};

/// Where the comment starting at `pos` (a `;`) ends: at its newline, or
/// the end of the text.
#[inline]
pub(crate) fn comment_end(bytes: &[u8], pos: usize) -> usize {
    bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |n| pos + n)
}

/// An atom the byte loop recognised by itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Plain {
    Sym,
    Int(i64),
    Bool(bool),
    Nil,
}

/// The plain atom starting at `pos` and where it ends, if the atom there
/// is one. Such an atom is a run of ASCII atom bytes ending at the end of
/// the text or at an ASCII byte (a non-ASCII byte may continue the atom or
/// be an error, which logos decides), and one of the easy kinds. This must
/// agree with `RawAtom` (a test compares the two on every short atom): a
/// run that starts like a number (`-?[0-9]`) is a decimal only if it is
/// all digits, and anything else numeric (hex, floats, malformed numbers)
/// is left to logos, as is `#`; `true`, `false` and `nil` are keywords;
/// any other run is a symbol.
#[inline(always)]
pub(crate) fn plain_atom(bytes: &[u8], pos: usize) -> Option<(Plain, usize)> {
    let mut end = pos;
    while end < bytes.len() && CLASS[bytes[end] as usize] & ATOM != 0 {
        end += 1;
    }
    if end == pos || bytes.get(end).is_some_and(|b| !b.is_ascii()) {
        return None;
    }
    let run = &bytes[pos..end];
    let digits = run.strip_prefix(b"-").unwrap_or(run);
    if digits.first().is_some_and(u8::is_ascii_digit) {
        // At most 18 digits cannot overflow an i64; longer ones (which
        // may still fit, e.g. with leading zeros) go the careful way.
        if digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = digits.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64);
        return Some((Plain::Int(if digits.len() < run.len() { -n } else { n }), end));
    }
    let plain = match run {
        b"true" => Plain::Bool(true),
        b"false" => Plain::Bool(false),
        b"nil" => Plain::Nil,
        [b'#', ..] => return None,
        _ => Plain::Sym,
    };
    Some((plain, end))
}

/// The lexer. Iterating yields tokens with their spans, and ends after the
/// first error. The parser runs its own loop over the same pieces and uses
/// a `Lexer` only for the atoms that need logos. Spans are `u32`, so the text
/// must be under 4 GiB; `parse_program` checks that.
pub struct Lexer<'src> {
    text: &'src str,
    /// Where the next token search starts.
    pos: usize,
    /// Only ever asked for one atom at a time, at `pos`.
    atoms: AtomLexer<'src>,
}

impl<'src> Lexer<'src> {
    pub fn new(text: &'src str) -> Lexer<'src> {
        Lexer { text, pos: 0, atoms: RawAtom::lexer(text) }
    }

    /// Lexes the atom (of any kind) starting at `start`, which must not be
    /// blank, a delimiter or a comment; returns it and its span.
    pub(crate) fn atom_at(&mut self, start: usize) -> Result<(Atom<'src>, Span), LexError> {
        let bytes = self.text.as_bytes();
        if let Some((plain, end)) = plain_atom(bytes, start) {
            self.pos = end;
            let atom = match plain {
                Plain::Sym => Atom::Sym(&self.text[start..end]),
                Plain::Int(n) => Atom::Int(n),
                Plain::Bool(b) => Atom::Bool(b),
                Plain::Nil => Atom::Nil,
            };
            return Ok((atom, Span::new(start as u32, end as u32)));
        }
        self.logos_atom(start)
    }

    /// Lexes the atom at `start` with logos, which says what it is and
    /// where it ends; its value is built here. For the atoms `plain_atom`
    /// leaves: strings, non-ASCII names, hex, floats and errors.
    #[inline(never)]
    pub(crate) fn logos_atom(&mut self, start: usize) -> Result<(Atom<'src>, Span), LexError> {
        // Move logos to `start`: `bump` extends its current token, and the
        // next match starts where that token ends.
        self.pos = start;
        let skipped = start - self.atoms.span().end;
        self.atoms.bump(skipped);
        let raw = match self.atoms.next() {
            Some(Ok(raw)) => raw,
            Some(Err(err)) => return Err(self.fail(err)),
            // Unreachable while `start` is before the end, but an error is
            // a better answer than a panic if that ever changes.
            None => return Err(self.fail(LexError::new(K::UnexpectedChar, start, start + 1))),
        };
        let end = self.atoms.span().end;
        self.pos = end;
        let text = &self.text[start..end];
        let atom = match raw {
            RawAtom::Sym => Atom::Sym(text),
            RawAtom::Decimal => match text.parse::<i64>() {
                Ok(n) => Atom::Int(n),
                Err(_) => return Err(self.fail(LexError::new(K::IntOutOfRange, start, end))),
            },
            // Hex literals name an i64, not a bit pattern:
            // 0xffffffffffffffff is out of range rather than -1, as the
            // decimal rule would have it.
            RawAtom::Hex => match i64::from_str_radix(&text[2..], 16) {
                Ok(n) => Atom::Int(n),
                Err(_) => return Err(self.fail(LexError::new(K::IntOutOfRange, start, end))),
            },
            // std's parser rounds correctly, and a literal too large for an
            // f64 reads as infinity, as in Scheme and Clojure. The patterns
            // only admit syntax std accepts.
            RawAtom::Float => match text.parse::<f64>() {
                Ok(f) => Atom::Float(f),
                Err(_) => return Err(self.fail(LexError::new(K::InvalidNumber, start, end))),
            },
            RawAtom::Str => match self.atoms.extras.take() {
                Some(decoded) => Atom::Str(Cow::Owned(decoded)),
                None => Atom::Str(Cow::Borrowed(&text[1..text.len() - 1])),
            },
            RawAtom::True => Atom::Bool(true),
            RawAtom::False => Atom::Bool(false),
            RawAtom::Nil => Atom::Nil,
            RawAtom::BadNumber => return Err(self.fail(LexError::new(K::InvalidNumber, start, end))),
            RawAtom::BadHash => return Err(self.fail(LexError::new(K::UnknownHash, start, end))),
        };
        Ok((atom, Span::new(start as u32, end as u32)))
    }

    /// Ends the iteration: after an error there is nothing sensible to
    /// resume from.
    #[cold]
    fn fail(&mut self, err: LexError) -> LexError {
        self.pos = self.text.len();
        err
    }
}

impl<'src> Iterator for Lexer<'src> {
    type Item = Result<(Token<'src>, Span), LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        loop {
            let pos = self.pos;
            let &b = bytes.get(pos)?;
            let class = CLASS[b as usize];
            if class & BLANK != 0 {
                self.pos += 1;
            } else if class & DELIM != 0 {
                self.pos += 1;
                let token = match b {
                    b'(' => Token::LParen,
                    b')' => Token::RParen,
                    b'[' => Token::LBracket,
                    b']' => Token::RBracket,
                    _ => Token::Quote,
                };
                return Some(Ok((token, Span::new(pos as u32, pos as u32 + 1))));
            } else if b == b';' {
                self.pos = comment_end(bytes, pos);
            } else {
                return Some(self.atom_at(pos).map(|(atom, span)| (Token::Atom(atom), span)));
            }
        }
    }
}

/// The logos half of the lexer: one atom, starting at a non-blank,
/// non-delimiter byte.
///
/// Every run of non-delimiter characters is matched as a whole by one of
/// the patterns, and priorities pick the most specific: a number literal
/// beats "a run starting with a digit" (an invalid number), which beats a
/// plain symbol. That is how `1abc` becomes one bad token instead of `1`
/// followed by `abc`, without backtracking.
#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error(LexError, LexError::unexpected_char))]
// The decoded text of a string literal that had escapes; `None` means the
// string can borrow from the source.
#[logos(extras = Option<String>)]
// What may not appear in a symbol: whitespace (including Unicode
// whitespace, which would otherwise silently glue two names together),
// control characters, and the delimiters.
#[logos(subpattern atom = r#"[^\s\p{Cc},()\[\]";']"#)]
enum RawAtom {
    #[regex(r"-?[0-9]+", priority = 10)]
    Decimal,
    #[regex(r"0x[0-9a-fA-F]+", priority = 10)]
    Hex,
    #[regex(r"-?[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?", priority = 10)]
    #[regex(r"-?[0-9]+[eE][+-]?[0-9]+", priority = 10)]
    Float,
    /// Anything else that starts like a number is a malformed number
    /// (LANGUAGE.md §8), so `1+` or `-0x1F` cannot be read as a symbol.
    #[regex(r"-?[0-9](?&atom)*", priority = 3)]
    BadNumber,
    /// `#` is reserved for future reader syntax; only `#t`/`#f` exist.
    #[regex(r"#(?&atom)*", priority = 2)]
    BadHash,
    #[token("\"", scan_string)]
    Str,
    #[token("true")]
    #[token("#t")]
    True,
    #[token("false")]
    #[token("#f")]
    False,
    #[token("nil")]
    Nil,
    #[regex(r"(?&atom)+", priority = 1)]
    Sym,
}

type AtomLexer<'src> = logos::Lexer<'src, RawAtom>;

/// A lexical error. `span` is where the caret goes, which for escapes is
/// the escape itself rather than the whole string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LexErrorKind {
    /// A character that cannot start a token: a control character or
    /// non-ASCII whitespace outside a string or comment.
    #[default]
    UnexpectedChar,
    /// A token starting with a digit (or `-` and a digit) that is not a
    /// number literal, e.g. `1abc`, `1.`, `-0x1F`.
    InvalidNumber,
    /// An integer literal outside `i64`.
    IntOutOfRange,
    /// A `#` token other than `#t` / `#f`.
    UnknownHash,
    /// End of input inside a string; the span is the opening quote.
    UnterminatedString,
    /// `\` followed by a character that is not an escape.
    UnknownEscape,
    /// `\u` not followed by `{`.
    UnicodeEscapeBrace,
    /// `\u{` not followed by 1 to 6 hex digits and `}`.
    UnicodeEscapeDigits,
    /// `\u{...}` naming a surrogate or a value above 10FFFF.
    UnicodeEscapeValue,
}

impl LexError {
    #[cold]
    fn new(kind: LexErrorKind, start: usize, end: usize) -> LexError {
        LexError { kind, span: Span::new(start as u32, end as u32) }
    }

    /// Called by logos when no pattern matches. The span logos reports may
    /// stop inside a multi-byte character, so it is widened to the whole
    /// character here, which keeps slicing in `message` safe.
    #[cold]
    fn unexpected_char(lex: &mut AtomLexer<'_>) -> LexError {
        let start = lex.span().start;
        let len =
            lex.source().get(start..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
        LexError::new(K::UnexpectedChar, start, start + len)
    }

    /// True when more input could still make the text valid (an open
    /// string), as opposed to text that is wrong whatever follows.
    pub fn is_incomplete(&self) -> bool {
        self.kind == K::UnterminatedString
    }

    /// The message for a diagnostic. `text` is the source the error came
    /// from; the offending text is quoted from it.
    #[cold]
    pub fn message(&self, text: &str) -> String {
        let found = text.get(self.span.start as usize..self.span.end as usize).unwrap_or("");
        match self.kind {
            K::UnexpectedChar => {
                let c = found.chars().next().unwrap_or('\0');
                if c.is_whitespace() {
                    format!(
                        "unexpected character U+{:04X} (only space, tab, CR, LF and ',' \
                         separate tokens)",
                        c as u32
                    )
                } else {
                    format!("unexpected control character U+{:04X}", c as u32)
                }
            }
            K::InvalidNumber => format!("invalid number literal `{found}`"),
            K::IntOutOfRange => {
                format!("integer literal out of range, expected {} to {}", i64::MIN, i64::MAX)
            }
            K::UnknownHash => {
                format!("unknown # syntax `{found}`, expected #t or #f")
            }
            K::UnterminatedString => "unterminated string, expected a closing '\"'".to_string(),
            K::UnknownEscape => {
                let c = found.chars().nth(1).unwrap_or('\0');
                let shown = if c.is_whitespace() || c.is_control() {
                    format!("\\ followed by U+{:04X}", c as u32)
                } else {
                    found.to_string()
                };
                format!(
                    "unknown escape {shown}, expected one of \\n \\t \\r \\\\ \\\" \\0 \\u{{HEX}}"
                )
            }
            K::UnicodeEscapeBrace => "invalid unicode escape, expected '{' after \\u".to_string(),
            K::UnicodeEscapeDigits => {
                "invalid unicode escape, expected 1 to 6 hex digits and '}' after \\u{".to_string()
            }
            K::UnicodeEscapeValue => {
                format!(
                    "invalid unicode escape {found}, expected a Unicode scalar value \
                     (0 to 10FFFF, not D800 to DFFF)"
                )
            }
        }
    }
}

/// Finds the end of a string literal, given its opening quote. A string
/// with escapes is decoded into `extras` on the way; one without is left
/// for the caller to borrow.
fn scan_string(lex: &mut AtomLexer<'_>) -> Result<(), LexError> {
    let open = lex.span().start;
    let rest = lex.remainder();
    let bytes = rest.as_bytes();
    match bytes.iter().position(|&b| b == b'"' || b == b'\\') {
        Some(end) if bytes[end] == b'"' => {
            lex.bump(end + 1);
            Ok(())
        }
        Some(first_escape) => {
            let (text, len) = decode_escapes(rest, first_escape, open + 1)?;
            lex.bump(len);
            lex.extras = Some(text);
            Ok(())
        }
        None => Err(LexError::new(K::UnterminatedString, open, open + 1)),
    }
}

/// Decodes `rest` (the text after the opening quote, at absolute offset
/// `base`) up to its closing quote, given that the first escape is at
/// `first_escape`. Returns the contents and the length consumed, quote
/// included.
fn decode_escapes(
    rest: &str,
    first_escape: usize,
    base: usize,
) -> Result<(String, usize), LexError> {
    let bytes = rest.as_bytes();
    let unterminated = || LexError::new(K::UnterminatedString, base - 1, base);
    let mut out = String::with_capacity(first_escape + 16);
    out.push_str(&rest[..first_escape]);
    let mut i = first_escape;
    loop {
        // Copy the run up to the next quote or backslash in one go; both
        // are ASCII, so the slice boundaries are character boundaries.
        let run =
            bytes[i..].iter().position(|&b| b == b'"' || b == b'\\').ok_or_else(unterminated)?;
        out.push_str(&rest[i..i + run]);
        i += run;
        if bytes[i] == b'"' {
            return Ok((out, i + 1));
        }
        let esc = i;
        let Some(&code) = bytes.get(i + 1) else { return Err(unterminated()) };
        let simple = match code {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'\\' => Some('\\'),
            b'"' => Some('"'),
            b'0' => Some('\0'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        if code != b'u' {
            let len = rest[i + 1..].chars().next().map_or(1, char::len_utf8);
            return Err(LexError::new(K::UnknownEscape, base + esc, base + i + 1 + len));
        }
        i += 2;
        match bytes.get(i) {
            None => return Err(unterminated()),
            Some(b'{') => i += 1,
            Some(_) => return Err(LexError::new(K::UnicodeEscapeBrace, base + esc, base + i)),
        }
        let digits_start = i;
        let mut value: u32 = 0;
        loop {
            let Some(&b) = bytes.get(i) else { return Err(unterminated()) };
            if b == b'}' && i > digits_start && i - digits_start <= 6 {
                break;
            }
            let digit = (b as char).to_digit(16);
            match digit {
                Some(d) if i - digits_start < 6 => {
                    value = value * 16 + d;
                    i += 1;
                }
                _ => {
                    // Point at the escape up to and including the
                    // character that broke it.
                    let len = rest[i..].chars().next().map_or(1, char::len_utf8);
                    return Err(LexError::new(K::UnicodeEscapeDigits, base + esc, base + i + len));
                }
            }
        }
        i += 1;
        match char::from_u32(value) {
            Some(c) => out.push(c),
            None => return Err(LexError::new(K::UnicodeEscapeValue, base + esc, base + i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LexErrorKind as K;
    use Token as T;

    fn sym(s: &str) -> Token<'_> {
        T::Atom(Atom::Sym(s))
    }
    fn int(n: i64) -> Token<'static> {
        T::Atom(Atom::Int(n))
    }
    fn float(f: f64) -> Token<'static> {
        T::Atom(Atom::Float(f))
    }
    fn string(s: &str) -> Token<'_> {
        T::Atom(Atom::Str(Cow::Borrowed(s)))
    }
    fn boolean(b: bool) -> Token<'static> {
        T::Atom(Atom::Bool(b))
    }
    fn nil() -> Token<'static> {
        T::Atom(Atom::Nil)
    }

    fn lex(text: &str) -> Vec<Token<'_>> {
        Lexer::new(text)
            .map(|r| r.map(|(t, _)| t).unwrap_or_else(|e| panic!("{text:?}: {e:?}")))
            .collect()
    }

    fn lex_spans(text: &str) -> Vec<(Token<'_>, (u32, u32))> {
        Lexer::new(text).map(|r| r.map(|(t, s)| (t, (s.start, s.end))).unwrap()).collect()
    }

    /// The first error in `text`, with the offending text and message.
    fn err(text: &str) -> (K, &str, String) {
        let e = Lexer::new(text)
            .find_map(Result::err)
            .unwrap_or_else(|| panic!("{text:?} lexed cleanly"));
        (e.kind, &text[e.span.start as usize..e.span.end as usize], e.message(text))
    }

    fn one(text: &str) -> Token<'_> {
        let toks = lex(text);
        assert_eq!(toks.len(), 1, "{text:?} gave {toks:?}");
        toks.into_iter().next().unwrap()
    }

    /// Whatever `plain_atom` answers, logos must answer the same: every
    /// string of up to four characters from an alphabet that covers each
    /// pattern's interesting bytes, plus keywords and long digit runs, each
    /// followed by every kind of terminator.
    #[test]
    fn plain_atoms_agree_with_logos() {
        const ALPHABET: [&str; 16] =
            ["0", "7", "-", "+", ".", "e", "x", "F", "#", "t", "f", "n", "i", "l", "?", "λ"];
        let mut atoms: Vec<String> = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = atoms
                .iter()
                .filter(|a| a.chars().count() == atoms.last().unwrap().chars().count())
                .flat_map(|a| ALPHABET.iter().map(move |c| format!("{a}{c}")))
                .collect();
            atoms.extend(longer);
        }
        atoms.extend(
            ["true", "false", "nil", "truex", "nil?", "#t", "#f", "falsey", "-0", "--1", "0x1F"]
                .map(String::from),
        );
        for digits in 15..22 {
            atoms.push("9".repeat(digits));
            atoms.push(format!("-{}", "9".repeat(digits)));
            atoms.push(format!("{}1", "0".repeat(digits)));
        }
        let mut answered = 0;
        for atom in atoms.iter().filter(|a| !a.is_empty()) {
            for end in ["", " ", ")", "(", "\"", ";", "'", ",", "\u{1}", "\u{a0}", "é"] {
                let text = format!("{atom}{end}");
                let Some((plain, stop)) = plain_atom(text.as_bytes(), 0) else { continue };
                answered += 1;
                let (atom, span) = Lexer::new(&text)
                    .logos_atom(0)
                    .unwrap_or_else(|e| panic!("{text:?}: plain {plain:?}, logos {e:?}"));
                let expected = match plain {
                    Plain::Sym => Atom::Sym(&text[..stop]),
                    Plain::Int(n) => Atom::Int(n),
                    Plain::Bool(b) => Atom::Bool(b),
                    Plain::Nil => Atom::Nil,
                };
                assert_eq!((atom, span), (expected, Span::new(0, stop as u32)), "{text:?}");
            }
        }
        assert!(answered > 100_000, "{answered}");
    }

    #[test]
    fn punctuation_and_spans() {
        assert_eq!(
            lex_spans("( ) [ ] '"),
            vec![
                (T::LParen, (0, 1)),
                (T::RParen, (2, 3)),
                (T::LBracket, (4, 5)),
                (T::RBracket, (6, 7)),
                (T::Quote, (8, 9)),
            ]
        );
        assert_eq!(
            lex_spans("(foo 12)"),
            vec![(T::LParen, (0, 1)), (sym("foo"), (1, 4)), (int(12), (5, 7)), (T::RParen, (7, 8))]
        );
    }

    #[test]
    fn empty_and_blank_input() {
        assert!(lex("").is_empty());
        assert!(lex(" \t\r\n,,, ").is_empty());
        assert!(lex("; just a comment").is_empty());
        assert!(lex("; one\n; two\n").is_empty());
    }

    #[test]
    fn commas_are_whitespace() {
        assert_eq!(lex("[1, 2,3]"), vec![T::LBracket, int(1), int(2), int(3), T::RBracket]);
        assert_eq!(lex("a,b"), vec![sym("a"), sym("b")]);
    }

    #[test]
    fn comments_run_to_end_of_line() {
        assert_eq!(lex("a ; b c\nd"), vec![sym("a"), sym("d")]);
        // A comment at EOF without a trailing newline.
        assert_eq!(lex("1 ; end"), vec![int(1)]);
        // A `;` ends a symbol, and `"` inside a comment does not open a string.
        assert_eq!(lex("x;\"\ny"), vec![sym("x"), sym("y")]);
    }

    #[test]
    fn crlf_line_endings() {
        assert_eq!(lex_spans("a\r\n; c\r\nb\r\n"), vec![(sym("a"), (0, 1)), (sym("b"), (8, 9))]);
    }

    #[test]
    fn integers_at_the_limits() {
        assert_eq!(one("0"), int(0));
        assert_eq!(one("-0"), int(0));
        assert_eq!(one("007"), int(7));
        assert_eq!(one("9223372036854775807"), int(i64::MAX));
        assert_eq!(one("-9223372036854775808"), int(i64::MIN));
        for text in ["9223372036854775808", "-9223372036854775809", "99999999999999999999999"] {
            let (kind, found, msg) = err(text);
            assert_eq!((kind, found), (K::IntOutOfRange, text));
            assert!(msg.starts_with("integer literal out of range"), "{msg}");
        }
    }

    #[test]
    fn hex_integers() {
        assert_eq!(one("0x0"), int(0));
        assert_eq!(one("0x1F"), int(31));
        assert_eq!(one("0xff"), int(255));
        assert_eq!(one("0x7fffffffffffffff"), int(i64::MAX));
        assert_eq!(one("0x00000000000000000000001"), int(1));
        assert_eq!(err("0x8000000000000000").0, K::IntOutOfRange);
        assert_eq!(err("0xffffffffffffffff").0, K::IntOutOfRange);
    }

    #[test]
    fn floats() {
        assert_eq!(one("1.5"), float(1.5));
        assert_eq!(one("-0.25"), float(-0.25));
        assert_eq!(one("1e3"), float(1000.0));
        assert_eq!(one("1E3"), float(1000.0));
        assert_eq!(one("2.5e-3"), float(0.0025));
        assert_eq!(one("2.5E+3"), float(2500.0));
        assert_eq!(one("-1e-2"), float(-0.01));
        // Correct rounding: 0.1 is the f64 nearest to one tenth, and the
        // classic hard case rounds to the right neighbour.
        assert_eq!(one("0.1"), float(0.1));
        assert_eq!(one("2.2250738585072011e-308"), float(2.225_073_858_507_201e-308));
        assert_eq!(one("1e400"), float(f64::INFINITY));
        assert_eq!(one("1e-400"), float(0.0));
        match one("-0.0") {
            T::Atom(Atom::Float(f)) => assert!(f == 0.0 && f.is_sign_negative()),
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn malformed_numbers() {
        for text in [
            "1abc", "-0x1F", "1.", "1.5.2", "12e", "1e+", "0x", "0xG", "0X1F", "1+", "1-2", "9x",
            "-1.", "1.e5", "1_000", "1λ",
        ] {
            let (kind, found, msg) = err(text);
            assert_eq!((kind, found), (K::InvalidNumber, text), "{text}");
            assert_eq!(msg, format!("invalid number literal `{text}`"));
        }
        // The bad token ends at a delimiter like any other atom.
        assert_eq!(err("(f 1abc)").1, "1abc");
    }

    #[test]
    fn numbers_end_at_delimiters() {
        assert_eq!(lex("1(2)3"), vec![int(1), T::LParen, int(2), T::RParen, int(3)]);
        assert_eq!(lex("1'2"), vec![int(1), T::Quote, int(2)]);
        assert_eq!(lex("1;c\n2"), vec![int(1), int(2)]);
        assert_eq!(lex("1\"s\""), vec![int(1), string("s")]);
    }

    #[test]
    fn symbols() {
        for s in [
            "x", "empty?", "set!", "io:print", "+", "-", "->", "-x", "--1", "...rest", ".", "a.b",
            "+1", ".5", "a#b", "x1", "nil?", "true2", "falsey", "λ", "名前", "é→ü", "-λ", "a-1",
        ] {
            assert_eq!(one(s), sym(s), "{s}");
        }
    }

    #[test]
    fn symbols_end_at_delimiters() {
        assert_eq!(lex("a'b"), vec![sym("a"), T::Quote, sym("b")]);
        assert_eq!(lex("a\"b\""), vec![sym("a"), string("b")]);
        assert_eq!(lex("a[b]c"), vec![sym("a"), T::LBracket, sym("b"), T::RBracket, sym("c")]);
        assert_eq!(lex("a\tb"), vec![sym("a"), sym("b")]);
    }

    #[test]
    fn booleans_and_nil() {
        assert_eq!(
            lex("true false #t #f nil"),
            vec![boolean(true), boolean(false), boolean(true), boolean(false), nil()]
        );
        assert_eq!(lex("(#t)"), vec![T::LParen, boolean(true), T::RParen]);
        for text in ["#", "#true", "#tx", "#x1F", "#(", "#\\a"] {
            let (kind, _, msg) = err(text);
            assert_eq!(kind, K::UnknownHash, "{text}");
            assert!(msg.starts_with("unknown # syntax `#"), "{msg}");
        }
        assert_eq!(err("#foo bar").2, "unknown # syntax `#foo`, expected #t or #f");
    }

    #[test]
    fn strings_without_escapes_borrow() {
        let text = "\"hello\" \"\" \"λ 😀\"";
        let toks = lex(text);
        assert_eq!(toks.len(), 3);
        for t in &toks {
            assert!(matches!(t, T::Atom(Atom::Str(Cow::Borrowed(_)))), "{t:?}");
        }
        assert_eq!(toks[0], string("hello"));
        assert_eq!(toks[1], string(""));
        assert_eq!(toks[2], string("λ 😀"));
        assert_eq!(lex_spans("x \"ab\" y")[1].1, (2, 6));
    }

    #[test]
    fn strings_may_span_lines_and_hold_delimiters() {
        assert_eq!(one("\"a\nb\r\nc\""), string("a\nb\r\nc"));
        assert_eq!(one("\"(;)[,]'\""), string("(;)[,]'"));
    }

    #[test]
    fn string_escapes() {
        let t = one(r#""a\nb\tc\rd\\e\"f\0g""#);
        assert_eq!(t, string("a\nb\tc\rd\\e\"f\0g"));
        assert!(matches!(t, T::Atom(Atom::Str(Cow::Owned(_)))));
        assert_eq!(one(r#""\u{1F600}""#), string("😀"));
        assert_eq!(one(r#""\u{41}\u{0}\u{10FFFF}\u{00e9}""#), string("A\0\u{10FFFF}é"));
        assert_eq!(one(r#""x\u{000041}y""#), string("xAy"));
        // Text after the last escape is kept, and the span covers it all.
        assert_eq!(lex_spans(r#""\\tail" 1"#), vec![(string("\\tail"), (0, 8)), (int(1), (9, 10))]);
    }

    #[test]
    fn bad_escapes() {
        let (kind, found, msg) = err(r#"(f "ab\qc")"#);
        assert_eq!((kind, found), (K::UnknownEscape, "\\q"));
        assert!(msg.starts_with("unknown escape \\q, expected one of"), "{msg}");
        assert_eq!(err("\"\\λ\"").1, "\\λ");
        assert_eq!(
            err("\"\\\nx\"").2.split(',').next().unwrap(),
            "unknown escape \\ followed by U+000A"
        );
        assert_eq!(err(r#""\x41""#).0, K::UnknownEscape);

        let (kind, found, _) = err(r#""\u0041""#);
        assert_eq!((kind, found), (K::UnicodeEscapeBrace, "\\u"));
        for (text, found) in [
            (r#""\u{}""#, r"\u{}"),
            (r#""\u{1234567}""#, r"\u{1234567"),
            (r#""\u{12g4}""#, r"\u{12g"),
            (r#""\u{12 }""#, r"\u{12 "),
            (r#""\u{12""#, "\\u{12\""),
            (r#""\u{-1}""#, r"\u{-"),
        ] {
            assert_eq!(err(text).0, K::UnicodeEscapeDigits, "{text}");
            assert_eq!(err(text).1, found, "{text}");
        }
        for (text, found) in [
            (r#""\u{D800}""#, r"\u{D800}"),
            (r#""\u{dfff}""#, r"\u{dfff}"),
            (r#""\u{110000}""#, r"\u{110000}"),
            (r#""\u{FFFFFF}""#, r"\u{FFFFFF}"),
        ] {
            let (kind, f, msg) = err(text);
            assert_eq!((kind, f), (K::UnicodeEscapeValue, found), "{text}");
            assert!(
                msg.starts_with(&format!(
                    "invalid unicode escape {found}, expected a Unicode scalar value"
                )),
                "{msg}"
            );
        }
        // Just below and above the surrogate block are fine.
        assert_eq!(one(r#""\u{D7FF}\u{E000}""#), string("\u{D7FF}\u{E000}"));
    }

    #[test]
    fn unterminated_strings_point_at_the_opening_quote() {
        for text in [
            "\"abc",
            "x \"abc",
            "\"a\\\"",
            "\"a\\",
            "\"\\u",
            "\"\\u{",
            "\"\\u{12",
            "\"a\\nb",
            "\"line\nline",
        ] {
            let e = Lexer::new(text).find_map(Result::err).unwrap();
            assert_eq!(e.kind, K::UnterminatedString, "{text:?}");
            let quote = text.find('"').unwrap() as u32;
            assert_eq!(e.span, Span::new(quote, quote + 1), "{text:?}");
            assert!(e.is_incomplete());
            assert_eq!(e.message(text), "unterminated string, expected a closing '\"'");
        }
        // An error earlier in the string wins: no amount of input fixes it.
        let e = Lexer::new("\"\\q").find_map(Result::err).unwrap();
        assert_eq!(e.kind, K::UnknownEscape);
        assert!(!e.is_incomplete());
    }

    #[test]
    fn unexpected_characters() {
        let (kind, found, msg) = err("a \u{c} b");
        assert_eq!((kind, found), (K::UnexpectedChar, "\u{c}"));
        assert_eq!(
            msg,
            "unexpected character U+000C (only space, tab, CR, LF and ',' separate tokens)"
        );
        // Non-ASCII whitespace is not a separator and not part of a name.
        let (kind, found, msg) = err("a\u{a0}b");
        assert_eq!((kind, found), (K::UnexpectedChar, "\u{a0}"));
        assert!(msg.starts_with("unexpected character U+00A0"), "{msg}");
        assert_eq!(err("\u{2028}").1, "\u{2028}");
        let (kind, found, msg) = err("(a \0)");
        assert_eq!((kind, found), (K::UnexpectedChar, "\0"));
        assert_eq!(msg, "unexpected control character U+0000");
        assert_eq!(err("x\u{7f}").2, "unexpected control character U+007F");
        // Control characters are fine inside strings and comments.
        assert_eq!(lex("\"\u{1}\" ; \u{1}\u{a0}"), vec![string("\u{1}")]);
    }

    #[test]
    fn iteration_stops_after_the_first_error() {
        let mut lexer = Lexer::new("a 1x b");
        assert_eq!(lexer.next(), Some(Ok((sym("a"), Span::new(0, 1)))));
        assert_eq!(lexer.next().unwrap().unwrap_err().kind, K::InvalidNumber);
        assert_eq!(lexer.next(), None);
        assert_eq!(lexer.next(), None);
    }

    #[test]
    fn decoded_strings_do_not_leak_into_the_next_one() {
        // The owned text of an escaped string is handed over once; the
        // plain string after it must borrow its own text.
        let toks = lex(r#""a\n" "b" "c\t" 1"#);
        assert_eq!(toks, vec![string("a\n"), string("b"), string("c\t"), int(1)]);
        assert!(matches!(toks[1], T::Atom(Atom::Str(Cow::Borrowed("b")))));
    }

    #[test]
    fn atoms_after_multibyte_text_have_byte_spans() {
        assert_eq!(
            lex_spans("(é ü)\"λ\"x"),
            vec![
                (T::LParen, (0, 1)),
                (sym("é"), (1, 3)),
                (sym("ü"), (4, 6)),
                (T::RParen, (6, 7)),
                (string("λ"), (7, 11)),
                (sym("x"), (11, 12)),
            ]
        );
    }

    #[test]
    fn comments_and_blanks_between_every_kind_of_token() {
        let text = "(;c\n1;c\n,\"s\";c\r\n'x;c\n[;\n];c";
        assert_eq!(
            lex(text),
            vec![T::LParen, int(1), string("s"), T::Quote, sym("x"), T::LBracket, T::RBracket]
        );
    }
}
