//! The `claudelang` command as a user drives it: exit statuses, where
//! output goes, eval, repl over a pipe, usage errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn claudelang(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_claudelang"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp_program(name: &str, src: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("claudelang-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, src).unwrap();
    p
}

#[test]
fn eval_prints_the_value() {
    let o = claudelang(&["eval", "(map (lambda (x) (* x 1.5)) [1 2])"], None);
    assert_eq!(text(&o.stdout), "(1.5 3.0)\n");
    assert_eq!(o.status.code(), Some(0));
    let o = claudelang(&["eval", "\"raw\""], None);
    assert_eq!(text(&o.stdout), "raw\n");
}

#[test]
fn exit_statuses() {
    let ok = temp_program("ok.cl", "(print 1)");
    let runtime = temp_program("rt.cl", "(print \"before\")\n(head [])");
    let syntax = temp_program("syn.cl", "(print \"never\")\n(print 1");
    let o = claudelang(&["run", ok.to_str().unwrap()], None);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), "1\n".to_string()));
    let o = claudelang(&["run", runtime.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    // Output printed before the error reaches a pipe, before the report.
    assert_eq!(text(&o.stdout), "before\n");
    assert!(text(&o.stderr).contains("rt.cl:2:1"), "{}", text(&o.stderr));
    let o = claudelang(&["run", syntax.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stdout), "", "a syntax error prints no program output");
    assert!(text(&o.stderr).contains("expected ')'"), "{}", text(&o.stderr));
}

#[test]
fn usage_errors_exit_64() {
    assert_eq!(claudelang(&["frobnicate"], None).status.code(), Some(64));
    assert_eq!(claudelang(&["run"], None).status.code(), Some(64));
    let o = claudelang(&["run", "/nonexistent/file.cl"], None);
    assert_eq!(o.status.code(), Some(64));
    assert!(text(&o.stderr).contains("cannot read /nonexistent/file.cl"));
    let o = claudelang(&["--version"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).starts_with("claudelang "));
    let o = claudelang(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("repl"));
}

#[test]
fn repl_reads_multiline_input_and_survives_errors() {
    let session = "(define (sq x)\n  (* x x))\n(sq 7)\n(head [])\n(+ 1\n 2)\n";
    let o = claudelang(&["repl"], Some(session));
    let out = text(&o.stdout);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("49\n"), "{out}");
    assert!(out.contains("3\n"), "the session must go on after an error: {out}");
    assert!(err.contains("head of empty list"), "{err}");
}

#[test]
fn disasm_shows_bytecode_with_source_lines() {
    let p = temp_program("d.cl", "(define (f x) (+ x 1))\n(print (f 1))\n");
    let o = claudelang(&["disasm", p.to_str().unwrap()], None);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.contains("function f"), "{out}");
    assert!(out.contains("AddI"), "{out}");
    assert!(out.contains("(define (f x) (+ x 1))"), "{out}");
}
