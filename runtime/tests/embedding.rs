//! The embedding API: host functions, pluggable effect handlers, errors as
//! `Err` values (never panics), output capture, and moving a runtime to
//! another thread.

use claudelang_runtime::{Error, Runtime, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `Write` that appends into a shared buffer, to capture program output.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn host_functions_are_first_class_and_checked() {
    let mut rt = Runtime::new();
    rt.register_fn("host-add", 2, Some(2), |_, args| match (args[0], args[1]) {
        (Value::Int(a), Value::Int(b)) => Ok(Value::Int(a + b)),
        _ => Err("host-add wants ints".to_string()),
    })
    .unwrap();
    let v = rt.eval("h.cl", "(list (host-add 2 3) (fold host-add 0 [1 2 3]) host-add)").unwrap();
    assert_eq!(rt.display(v), "(5 6 <builtin host-add>)");
    let err = rt.eval("h2.cl", "(host-add 1)").unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments: host-add expects 2, got 1"), "{err}");
    let err = rt.eval("h3.cl", "(host-add 1 \"x\")").unwrap_err();
    assert!(err.to_string().contains("host-add wants ints"), "{err}");
    assert!(rt.register_fn("map", 1, None, |_, _| Ok(Value::Nil)).is_err());
}

#[test]
fn effect_handlers_are_pluggable_and_forbiddable() {
    let mut rt = Runtime::new();
    let out = Capture::default();
    rt.set_output(Box::new(out.clone()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    rt.set_effect_handler("io:print", move |ctx, args| {
        let mut line = String::new();
        for a in args {
            line.push_str(&claudelang_runtime::printer::to_display(*a, ctx.names)?);
        }
        log.lock().unwrap().push(line);
        Ok(Value::Nil)
    });
    rt.set_effect_handler("time:now", |_, _| Ok(Value::Int(42)));
    rt.eval("e.cl", "(io:print \"a\" 1) (print (effect time:now))").unwrap();
    assert_eq!(*seen.lock().unwrap(), vec!["a1".to_string()]);
    assert_eq!(out.text(), "42\n");
    rt.forbid_effect("time:now");
    let err = rt.eval("e2.cl", "(effect time:now)").unwrap_err();
    assert!(err.to_string().contains("unknown effect time:now"), "{err}");
    assert!(err.to_string().contains("e2.cl:1:1"), "{err}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut rt = Runtime::new();
    for src in ["(", ")", "\"abc", "(let ((x (+ x 1))) x)", "1abc", "(define)", "(lambda)", "(match)"] {
        match rt.eval("bad.cl", src) {
            Err(Error::Compile { .. }) => {}
            other => panic!("{src}: expected a compile error, got {other:?}"),
        }
    }
    assert!(matches!(rt.compile_bytes("u.cl", vec![b'(', 0xff, b')']), Err(Error::Input(_))));
    let err = rt.eval("r.cl", "(head [])").unwrap_err();
    assert!(err.is_runtime());
    // The runtime stays usable after errors.
    let v = rt.eval("ok.cl", "(+ 1 2)").unwrap();
    assert!(matches!(v, Value::Int(3)));
}

#[test]
fn a_panicking_host_function_is_a_runtime_error() {
    let mut rt = Runtime::new();
    rt.register_fn("boom", 1, Some(1), |_, args| match args[0] {
        Value::Int(0) => panic!("zero is not allowed"),
        v => Ok(v),
    })
    .unwrap();
    let err = rt.eval("p.cl", "(define (f x) (boom x)) (f 1) (f 0)").unwrap_err();
    assert!(err.is_runtime());
    assert!(err.to_string().contains("host function boom panicked: zero is not allowed"), "{err}");
    assert!(err.to_string().contains("p.cl:1:15"), "{err}");
    // The runtime stays usable.
    let v = rt.eval("ok.cl", "(f 7)").unwrap();
    assert!(matches!(v, Value::Int(7)));
}

#[test]
fn frame_limit_is_configurable() {
    let mut rt = Runtime::with_config(claudelang_runtime::Config { max_frames: 500, ..Default::default() });
    rt.eval("d.cl", "(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))").unwrap();
    assert!(matches!(rt.eval("a.cl", "(deep 400)").unwrap(), Value::Int(400)));
    let err = rt.eval("b.cl", "(deep 600)").unwrap_err();
    assert!(err.to_string().contains("stack overflow"), "{err}");
    // Tail calls do not count against the limit.
    rt.eval("t.cl", "(define (loop n) (if (= n 0) 'done (loop (- n 1))))").unwrap();
    let v = rt.eval("t2.cl", "(loop 100000)").unwrap();
    assert_eq!(rt.display(v), "done");
}

#[test]
fn runtimes_move_between_threads_and_run_in_parallel() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let mut rt = Runtime::new();
            rt.set_output(Box::new(std::io::sink()));
            rt.eval("f.cl", "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))").unwrap();
            std::thread::spawn(move || {
                let v = rt.eval("run.cl", &format!("(fib {})", 15 + i)).unwrap();
                rt.display(v)
            })
        })
        .collect();
    let results: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, vec!["610", "987", "1597", "2584"]);
}
