//! Semantic analysis: S-expressions to the resolved IR.
//!
//! Recognises special forms, checks their shape (every error points at the
//! offending form), resolves names (local, builtin, global, in that order),
//! and records per binding whether it is captured, assigned, or used before
//! its initialiser ran — the facts that decide cells vs registers and where
//! `CheckInit` is needed. The letrec* rule of `let` and of bodies with
//! `define`s is decided here by textual order: a reference that comes after a
//! binding's init in the same body can never observe it uninitialised.

use super::ir::*;
use crate::ast::{Sexp, SexpKind};
use crate::builtins::{self, BuiltinKind, B};
use crate::bytecode::Const;
use crate::diag::Diagnostic;
use crate::source::Span;
use std::collections::HashMap;

/// Global names to slot numbers. Owned by the runtime and passed to every
/// compilation, so later units (REPL lines) see earlier globals.
#[derive(Debug, Default)]
pub struct GlobalTable {
    map: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl GlobalTable {
    pub fn slot(&mut self, name: &str) -> u32 {
        if let Some(&g) = self.map.get(name) {
            return g;
        }
        let g = self.names.len() as u32;
        self.names.push(name.into());
        self.map.insert(name.into(), g);
        g
    }
    pub fn get(&self, name: &str) -> Option<u32> {
        self.map.get(name).copied()
    }
    pub fn name(&self, g: u32) -> &str {
        &self.names[g as usize]
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The effects the runtime knows by default; naming one outside operator
/// position is a compile error (effects are not values).
const KNOWN_EFFECTS: &[&str] = &["io:print", "time:now", "random:int", "random:float", "state:get", "state:set"];

type R<T> = Result<T, Diagnostic>;

#[cold]
fn err<T>(msg: impl Into<String>, span: Span) -> R<T> {
    Err(Diagnostic::new(msg, span))
}

struct FuncFrame {
    id: FuncId,
    free: Vec<BindingId>,
}

pub(crate) struct Analyzer<'a, 'g> {
    globals: &'a mut GlobalTable,
    pub bindings: Vec<Binding>,
    ready: Vec<bool>,
    /// Lexical scopes, innermost last: (name, binding).
    scopes: Vec<Vec<(&'g str, BindingId)>>,
    funcs: Vec<FuncFrame>,
    /// Bindings whose initialiser is being analysed, for the self-reference
    /// compile error.
    initializing: Vec<BindingId>,
    next_func: FuncId,
    /// Prelude units may define builtin names (that is how `map` exists).
    allow_builtin_defs: bool,
}

impl<'a, 'g> Analyzer<'a, 'g> {
    pub fn new(globals: &'a mut GlobalTable, allow_builtin_defs: bool) -> Self {
        Analyzer {
            globals,
            bindings: Vec::new(),
            ready: Vec::new(),
            scopes: Vec::new(),
            funcs: vec![FuncFrame { id: 0, free: Vec::new() }],
            initializing: Vec::new(),
            next_func: 1,
            allow_builtin_defs,
        }
    }

    fn cur_func(&self) -> FuncId {
        self.funcs.last().unwrap().id
    }

    fn declare(&mut self, name: &'g str, span: Span, ready: bool) -> R<BindingId> {
        let scope = self.scopes.last_mut().expect("declare outside a scope");
        if scope.iter().any(|(n, _)| *n == name) {
            return err(format!("duplicate binding {name}"), span);
        }
        let b = self.bindings.len() as BindingId;
        scope.push((name, b));
        let func = self.funcs.last().unwrap().id;
        self.bindings.push(Binding {
            name: name.into(),
            func,
            captured: false,
            assigned: false,
            captured_early: false,
            read_early: false,
        });
        self.ready.push(ready);
        Ok(b)
    }

    fn lookup_local(&self, name: &str) -> Option<BindingId> {
        for scope in self.scopes.iter().rev() {
            if let Some((_, b)) = scope.iter().rev().find(|(n, _)| *n == name) {
                return Some(*b);
            }
        }
        None
    }

    /// Records a use of `b` from the current function; returns whether the
    /// read must be checked for initialisation.
    fn use_binding(&mut self, b: BindingId, span: Span, is_read: bool) -> R<bool> {
        let cur = self.cur_func();
        let owner = self.bindings[b as usize].func;
        if owner != cur {
            self.bindings[b as usize].captured = true;
            if !self.ready[b as usize] {
                self.bindings[b as usize].captured_early = true;
            }
            let start = self.funcs.iter().position(|f| f.id == owner).unwrap() + 1;
            for f in &mut self.funcs[start..] {
                if !f.free.contains(&b) {
                    f.free.push(b);
                }
            }
            return Ok(false);
        }
        if is_read && !self.ready[b as usize] {
            if self.initializing.contains(&b) {
                let name = &self.bindings[b as usize].name;
                return err(
                    format!("{name} is used in its own initializer (bind a new name, or use a lambda for recursion)"),
                    span,
                );
            }
            self.bindings[b as usize].read_early = true;
            return Ok(true);
        }
        Ok(false)
    }

    // ---- top level -------------------------------------------------------

    pub fn toplevel(&mut self, forms: &'g [Sexp<'g>]) -> R<Vec<Expr>> {
        let mut out = Vec::with_capacity(forms.len());
        for f in forms {
            self.toplevel_form(f, &mut out)?;
        }
        Ok(out)
    }

    fn toplevel_form(&mut self, f: &'g Sexp<'g>, out: &mut Vec<Expr>) -> R<()> {
        if let Some(items) = f.as_list() {
            match items.first().and_then(|h| h.as_sym()) {
                Some("define") if self.lookup_local("define").is_none() => {
                    let (name, name_span, value) = self.define_parts(f, items)?;
                    self.check_definable(name, name_span)?;
                    let g = self.globals.slot(name);
                    let value = self.value_for(name, value, Some(SelfRef::Global(g)))?;
                    out.push(Expr { kind: ExprKind::DefGlobal(g, Box::new(value)), span: f.span });
                    return Ok(());
                }
                Some("begin") | Some("do") if self.lookup_local(items[0].as_sym().unwrap()).is_none() => {
                    let start = out.len();
                    for item in &items[1..] {
                        self.toplevel_form(item, out)?;
                    }
                    if out.len() == start {
                        out.push(Expr { kind: ExprKind::Const(Const::Nil), span: f.span });
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        out.push(self.expr(f)?);
        Ok(())
    }

    fn check_definable(&self, name: &str, span: Span) -> R<()> {
        if !self.allow_builtin_defs && builtins::lookup(name).is_some() {
            return err(format!("cannot redefine builtin {name}"), span);
        }
        Ok(())
    }

    /// Splits `(define name expr)` / `(define (name params...) body...)` into
    /// the name and a value form (a lambda is synthesised as needed).
    fn define_parts(&mut self, f: &'g Sexp<'g>, items: &'g [Sexp<'g>]) -> R<(&'g str, Span, DefValue<'g>)> {
        let Some(target) = items.get(1) else {
            return err("define needs a name: (define name expr) or (define (name params...) body...)", f.span);
        };
        match &target.kind {
            SexpKind::Sym(name) => match items.len() {
                3 => Ok((name, target.span, DefValue::Expr(&items[2]))),
                2 => err(format!("define of {name} needs a value: (define {name} expr)"), f.span),
                _ => err(format!("define of {name} takes one value expression"), items[3].span),
            },
            SexpKind::List(sig) => {
                let Some(name) = sig.first().and_then(|s| s.as_sym()) else {
                    return err("expected a function name after (define (", target.span);
                };
                if items.len() < 3 {
                    return err(format!("function {name} needs a body"), f.span);
                }
                Ok((name, sig[0].span, DefValue::Lambda { params: &sig[1..], params_span: target.span, body: &items[2..], span: f.span }))
            }
            _ => err("define needs a name: (define name expr) or (define (name params...) body...)", target.span),
        }
    }

    fn value_for(&mut self, name: &'g str, v: DefValue<'g>, self_ref: Option<SelfRef>) -> R<Expr> {
        match v {
            DefValue::Expr(e) => self.expr_named(e, Some(name), self_ref),
            DefValue::Lambda { params, params_span, body, span } => {
                self.lambda(Some(name), self_ref, params, params_span, body, span)
            }
        }
    }

    // ---- expressions -----------------------------------------------------

    fn expr(&mut self, e: &'g Sexp<'g>) -> R<Expr> {
        self.expr_named(e, None, None)
    }

    /// Analyses `e`; a lambda there is named `name` (for printing and
    /// traces) and may tail-call itself through `self_ref`.
    fn expr_named(&mut self, e: &'g Sexp<'g>, name: Option<&'g str>, self_ref: Option<SelfRef>) -> R<Expr> {
        let span = e.span;
        let kind = match &e.kind {
            SexpKind::Int(i) => ExprKind::Const(Const::Int(*i)),
            SexpKind::Float(x) => ExprKind::Const(Const::Float(*x)),
            SexpKind::Str(s) => ExprKind::Const(Const::Str(s.as_ref().into())),
            SexpKind::Bool(b) => ExprKind::Const(Const::Bool(*b)),
            SexpKind::Nil => ExprKind::Const(Const::Nil),
            SexpKind::Sym(s) => return self.variable(s, span),
            SexpKind::Quote(d) => quoted(d),
            SexpKind::Bracket(items) => {
                if items.is_empty() {
                    ExprKind::Empty
                } else {
                    ExprKind::List(items.iter().map(|i| self.expr(i)).collect::<R<_>>()?)
                }
            }
            SexpKind::List(items) => return self.form(e, items, name, self_ref),
        };
        Ok(Expr { kind, span })
    }

    fn variable(&mut self, name: &'g str, span: Span) -> R<Expr> {
        if let Some(b) = self.lookup_local(name) {
            let checked = self.use_binding(b, span, true)?;
            return Ok(Expr { kind: ExprKind::Local { b, checked }, span });
        }
        if let Some(id) = builtins::lookup(name) {
            return Ok(Expr { kind: ExprKind::Builtin(id), span });
        }
        if KNOWN_EFFECTS.contains(&name) {
            return err(
                format!("effects are not first-class values: {name} is only valid in operator position, as ({name} ...)"),
                span,
            );
        }
        let g = self.globals.slot(name);
        Ok(Expr { kind: ExprKind::Global { g }, span })
    }

    fn form(&mut self, e: &'g Sexp<'g>, items: &'g [Sexp<'g>], name: Option<&'g str>, self_ref: Option<SelfRef>) -> R<Expr> {
        let span = e.span;
        let Some(head) = items.first() else {
            return Ok(Expr { kind: ExprKind::Empty, span });
        };
        if let Some(op) = head.as_sym() {
            if self.lookup_local(op).is_none() {
                if let Some(r) = self.special_form(op, e, items, name, self_ref)? {
                    return Ok(r);
                }
                if op.contains(':') {
                    let args = items[1..].iter().map(|a| self.expr(a)).collect::<R<_>>()?;
                    return Ok(Expr { kind: ExprKind::Effect(op.into(), args), span });
                }
                if let Some(id) = builtins::lookup(op) {
                    let args: Vec<Expr> = items[1..].iter().map(|a| self.expr(a)).collect::<R<_>>()?;
                    if let Some(c) = fold_constant(id, &args) {
                        return Ok(Expr { kind: ExprKind::Const(c), span });
                    }
                    return Ok(Expr { kind: ExprKind::CallBuiltin(id, args), span });
                }
            }
        }
        let f = self.expr(head)?;
        let args = items[1..].iter().map(|a| self.expr(a)).collect::<R<_>>()?;
        Ok(Expr { kind: ExprKind::Call(Box::new(f), args), span })
    }

    fn special_form(
        &mut self,
        op: &str,
        e: &'g Sexp<'g>,
        items: &'g [Sexp<'g>],
        name: Option<&'g str>,
        self_ref: Option<SelfRef>,
    ) -> R<Option<Expr>> {
        let span = e.span;
        let args = &items[1..];
        let kind = match op {
            "quote" => {
                if args.len() != 1 {
                    return err("quote takes exactly one datum", span);
                }
                quoted(&args[0])
            }
            "if" => {
                if args.len() < 2 || args.len() > 3 {
                    return err(format!("if takes a condition and one or two branches, found {} forms", args.len()), span);
                }
                let c = self.expr(&args[0])?;
                let t = self.expr(&args[1])?;
                let f = args.get(2).map(|x| self.expr(x)).transpose()?;
                ExprKind::If(Box::new(c), Box::new(t), f.map(Box::new))
            }
            "cond" => return self.cond(args, span).map(Some),
            "begin" | "do" => {
                if args.is_empty() {
                    ExprKind::Const(Const::Nil)
                } else {
                    ExprKind::Begin(self.sequence(args)?)
                }
            }
            "and" => ExprKind::And(args.iter().map(|a| self.expr(a)).collect::<R<_>>()?),
            "or" => ExprKind::Or(args.iter().map(|a| self.expr(a)).collect::<R<_>>()?),
            "define" => {
                return err("define is only allowed at top level or directly in a body (of lambda, define or let)", span)
            }
            "set!" => {
                if args.len() != 2 {
                    return err("set! takes a name and a value: (set! name expr)", span);
                }
                let Some(target) = args[0].as_sym() else {
                    return err("set! needs a variable name", args[0].span);
                };
                if let Some(b) = self.lookup_local(target) {
                    self.use_binding(b, args[0].span, false)?;
                    self.bindings[b as usize].assigned = true;
                    let v = self.expr(&args[1])?;
                    ExprKind::SetLocal(b, Box::new(v))
                } else if builtins::lookup(target).is_some() {
                    return err(format!("cannot assign to builtin {target}"), args[0].span);
                } else {
                    let g = self.globals.slot(target);
                    let v = self.expr(&args[1])?;
                    ExprKind::SetGlobal(g, Box::new(v))
                }
            }
            "lambda" => {
                let Some(params) = args.first() else {
                    return err("lambda needs a parameter list and a body", span);
                };
                let SexpKind::List(ps) = &params.kind else {
                    return err("expected a parameter list (a b ...) after lambda", params.span);
                };
                if args.len() < 2 {
                    return err("lambda needs a body", span);
                }
                return self.lambda(name, self_ref, ps, params.span, &args[1..], span).map(Some);
            }
            "let" => return self.let_form(args, span).map(Some),
            "while" => {
                let Some(c) = args.first() else {
                    return err("while needs a condition", span);
                };
                let c = self.expr(c)?;
                let body = self.sequence(&args[1..])?;
                ExprKind::While(Box::new(c), body)
            }
            "dotimes" => return self.dotimes(args, span).map(Some),
            "match" => return self.match_form(args, span).map(Some),
            "effect" => {
                let Some(n) = args.first().and_then(|a| a.as_sym()) else {
                    return err("effect needs an effect name, e.g. (effect io:print x)", span);
                };
                let a = args[1..].iter().map(|a| self.expr(a)).collect::<R<_>>()?;
                ExprKind::Effect(n.into(), a)
            }
            _ => return Ok(None),
        };
        Ok(Some(Expr { kind, span }))
    }

    fn sequence(&mut self, forms: &'g [Sexp<'g>]) -> R<Vec<Expr>> {
        forms.iter().map(|f| self.expr(f)).collect()
    }

    fn cond(&mut self, clauses: &'g [Sexp<'g>], span: Span) -> R<Expr> {
        // Built from the last clause backwards into nested ifs.
        let mut acc: Option<Expr> = None;
        for (i, clause) in clauses.iter().enumerate().rev() {
            let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
                return err("cond clause must be (test body...)", clause.span);
            };
            let is_else = parts[0].as_sym() == Some("else") && self.lookup_local("else").is_none();
            if is_else {
                if i != clauses.len() - 1 {
                    return err("else must be the last cond clause", clause.span);
                }
                acc = Some(self.begin_of(&parts[1..], clause.span)?);
                continue;
            }
            let test = self.expr(&parts[0])?;
            let rest = acc.take().map(Box::new);
            let e = if parts.len() == 1 {
                let mut alts = vec![test];
                if let Some(r) = rest {
                    alts.push(*r);
                }
                Expr { kind: ExprKind::Or(alts), span: clause.span }
            } else {
                let body = self.begin_of(&parts[1..], clause.span)?;
                Expr { kind: ExprKind::If(Box::new(test), Box::new(body), rest), span: clause.span }
            };
            acc = Some(e);
        }
        Ok(acc.unwrap_or(Expr { kind: ExprKind::Const(Const::Nil), span }))
    }

    fn begin_of(&mut self, forms: &'g [Sexp<'g>], span: Span) -> R<Expr> {
        Ok(match forms.len() {
            0 => Expr { kind: ExprKind::Const(Const::Nil), span },
            1 => self.expr(&forms[0])?,
            _ => Expr { kind: ExprKind::Begin(self.sequence(forms)?), span },
        })
    }

    fn lambda(
        &mut self,
        name: Option<&'g str>,
        self_ref: Option<SelfRef>,
        params: &'g [Sexp<'g>],
        params_span: Span,
        body: &'g [Sexp<'g>],
        span: Span,
    ) -> R<Expr> {
        let id = self.next_func;
        self.next_func += 1;
        self.funcs.push(FuncFrame { id, free: Vec::new() });
        self.scopes.push(Vec::new());
        // Bindings being initialised outside belong to another function now:
        // a reference from in here is a capture, not a direct read.
        let saved_init = std::mem::take(&mut self.initializing);
        let result = (|| {
            let mut ps = Vec::new();
            let mut rest = None;
            let mut i = 0;
            while i < params.len() {
                let p = &params[i];
                let Some(pn) = p.as_sym() else {
                    return err("parameters must be names", p.span);
                };
                if pn == "." {
                    let Some(r) = params.get(i + 1).and_then(|r| r.as_sym()) else {
                        return err("expected a rest parameter name after '.'", p.span);
                    };
                    if params.len() != i + 2 {
                        return err("the rest parameter must be the last one", params[i + 1].span);
                    }
                    rest = Some(self.declare(r, params[i + 1].span, true)?);
                    break;
                }
                ps.push(self.declare(pn, p.span, true)?);
                i += 1;
            }
            if ps.len() > 250 {
                return err("too many parameters (at most 250)", params_span);
            }
            let body = self.body(body, span)?;
            Ok((ps, rest, body))
        })();
        self.initializing = saved_init;
        self.scopes.pop();
        let frame = self.funcs.pop().unwrap();
        let (params, rest, body) = result?;
        let lam = Lambda {
            id,
            name: name.map(Into::into),
            self_binding: self_ref,
            params,
            rest,
            body,
            free: frame.free,
            span,
        };
        Ok(Expr { kind: ExprKind::Lambda(Box::new(lam)), span })
    }

    /// A body: forms where `define` may appear, visible in the whole body.
    fn body(&mut self, forms: &'g [Sexp<'g>], span: Span) -> R<Vec<Expr>> {
        let is_define = |f: &Sexp| {
            f.as_list().and_then(|l| l.first()).and_then(|h| h.as_sym()) == Some("define")
        };
        if !forms.iter().any(|f| is_define(f)) || self.lookup_local("define").is_some() {
            return self.sequence(forms);
        }
        self.scopes.push(Vec::new());
        let result = (|| {
            let mut bindings = Vec::new();
            for f in forms.iter().filter(|f| is_define(f)) {
                let items = f.as_list().unwrap();
                let (name, name_span, _) = self.define_parts(f, items)?;
                bindings.push(self.declare(name, name_span, false)?);
            }
            let mut items = Vec::new();
            let mut next = bindings.iter();
            for f in forms {
                if is_define(f) {
                    let b = *next.next().unwrap();
                    let (name, _, value) = self.define_parts(f, f.as_list().unwrap())?;
                    self.initializing.push(b);
                    let v = self.value_for(name, value, Some(SelfRef::Local(b)));
                    self.initializing.pop();
                    self.ready[b as usize] = true;
                    items.push(ScopeItem::Init(b, v?));
                } else {
                    items.push(ScopeItem::Expr(self.expr(f)?));
                }
            }
            Ok(Scope { bindings, items })
        })();
        self.scopes.pop();
        Ok(vec![Expr { kind: ExprKind::Scope(Box::new(result?)), span }])
    }

    fn let_form(&mut self, args: &'g [Sexp<'g>], span: Span) -> R<Expr> {
        let Some(binds) = args.first() else {
            return err("let needs a binding list: (let ((name expr) ...) body...)", span);
        };
        let Some(pairs) = binds.as_list() else {
            return err("expected a binding list ((name expr) ...) after let", binds.span);
        };
        if args.len() < 2 {
            return err("let needs a body", span);
        }
        self.scopes.push(Vec::new());
        let result = (|| {
            let mut parsed = Vec::new();
            for p in pairs {
                let Some([n, v]) = p.as_list().and_then(|l| <&[Sexp; 2]>::try_from(l).ok()) else {
                    return err("let binding must be (name expr)", p.span);
                };
                let Some(name) = n.as_sym() else {
                    return err("let binding name must be a symbol", n.span);
                };
                let b = self.declare(name, n.span, false)?;
                parsed.push((b, name, v));
            }
            let mut items = Vec::new();
            let bindings = parsed.iter().map(|(b, ..)| *b).collect();
            for (b, name, v) in parsed {
                self.initializing.push(b);
                let e = self.expr_named(v, Some(name), Some(SelfRef::Local(b)));
                self.initializing.pop();
                self.ready[b as usize] = true;
                items.push(ScopeItem::Init(b, e?));
            }
            for e in self.body(&args[1..], span)? {
                items.push(ScopeItem::Expr(e));
            }
            Ok(Scope { bindings, items })
        })();
        self.scopes.pop();
        Ok(Expr { kind: ExprKind::Scope(Box::new(result?)), span })
    }

    fn dotimes(&mut self, args: &'g [Sexp<'g>], span: Span) -> R<Expr> {
        let spec = args.first().and_then(|s| s.as_list()).filter(|l| l.len() == 2);
        let Some(spec) = spec else {
            return err("dotimes needs (dotimes (var count) body...)", span);
        };
        let Some(var) = spec[0].as_sym() else {
            return err("dotimes variable must be a name", spec[0].span);
        };
        let count = self.expr(&spec[1])?;
        self.scopes.push(Vec::new());
        let result = (|| {
            let b = self.declare(var, spec[0].span, true)?;
            let body = self.sequence(&args[1..])?;
            Ok(ExprKind::Dotimes { var: b, count: Box::new(count), body })
        })();
        self.scopes.pop();
        Ok(Expr { kind: result?, span })
    }

    fn match_form(&mut self, args: &'g [Sexp<'g>], span: Span) -> R<Expr> {
        let Some(scrutinee) = args.first() else {
            return err("match needs a value and arms: (match e (pattern body...) ...)", span);
        };
        let s = self.expr(scrutinee)?;
        let mut arms = Vec::new();
        for arm in &args[1..] {
            let Some(parts) = arm.as_list().filter(|p| p.len() >= 2) else {
                return err("match arm must be (pattern body...)", arm.span);
            };
            self.scopes.push(Vec::new());
            let result = (|| {
                let p = self.pattern(&parts[0])?;
                let body = self.sequence(&parts[1..])?;
                Ok((p, body))
            })();
            self.scopes.pop();
            arms.push(result?);
        }
        Ok(Expr { kind: ExprKind::Match(Box::new(s), arms), span })
    }

    fn pattern(&mut self, p: &'g Sexp<'g>) -> R<Pattern> {
        Ok(match &p.kind {
            SexpKind::Int(i) => Pattern::Literal(Const::Int(*i), p.span),
            SexpKind::Float(x) => Pattern::Literal(Const::Float(*x), p.span),
            SexpKind::Str(s) => Pattern::Literal(Const::Str(s.as_ref().into()), p.span),
            SexpKind::Bool(b) => Pattern::Literal(Const::Bool(*b), p.span),
            SexpKind::Nil => Pattern::Literal(Const::Nil, p.span),
            SexpKind::Quote(d) => match quoted(d) {
                ExprKind::Const(c) => Pattern::Literal(c, p.span),
                _ => Pattern::List(Vec::new(), None),
            },
            SexpKind::Sym("_") => Pattern::Wild,
            SexpKind::Sym(s) if s.starts_with("...") => {
                return err("a ...rest pattern is only allowed last in [..]", p.span)
            }
            SexpKind::Sym(s) => Pattern::Bind(self.declare(s, p.span, true)?),
            SexpKind::Bracket(items) => {
                let mut ps = Vec::new();
                let mut rest = None;
                for (i, item) in items.iter().enumerate() {
                    if let Some(r) = item.as_sym().and_then(|s| s.strip_prefix("...")) {
                        if i != items.len() - 1 {
                            return err("a ...rest pattern must come last", item.span);
                        }
                        rest = Some(if r.is_empty() || r == "_" {
                            None
                        } else {
                            Some(self.declare(r, item.span, true)?)
                        });
                        break;
                    }
                    ps.push(self.pattern(item)?);
                }
                match rest {
                    // `...` or `..._` alone: accept any remainder.
                    Some(None) => Pattern::List(ps, Some(u32::MAX)),
                    Some(Some(b)) => Pattern::List(ps, Some(b)),
                    None => Pattern::List(ps, None),
                }
            }
            SexpKind::List(items) => match items.first().and_then(|h| h.as_sym()) {
                Some("cons") if items.len() == 3 => {
                    Pattern::Cons(Box::new(self.pattern(&items[1])?), Box::new(self.pattern(&items[2])?))
                }
                Some("quote") if items.len() == 2 => match quoted(&items[1]) {
                    ExprKind::Const(c) => Pattern::Literal(c, p.span),
                    _ => Pattern::List(Vec::new(), None),
                },
                _ if items.is_empty() => Pattern::List(Vec::new(), None),
                _ => return err("invalid pattern: expected a literal, _, a name, [..] or (cons h t)", p.span),
            },
        })
    }
}

/// The rest-binding sentinel for `[a ...]` (remainder not bound).
pub const REST_IGNORED: BindingId = u32::MAX;

enum DefValue<'g> {
    Expr(&'g Sexp<'g>),
    Lambda { params: &'g [Sexp<'g>], params_span: Span, body: &'g [Sexp<'g>], span: Span },
}

fn quoted(d: &Sexp) -> ExprKind {
    match datum(d) {
        Const::List(items) if items.is_empty() => ExprKind::Empty,
        c => ExprKind::Const(c),
    }
}

/// A quoted datum as a constant; inside a quote, `[..]` is a list too.
fn datum(d: &Sexp) -> Const {
    match &d.kind {
        SexpKind::Int(i) => Const::Int(*i),
        SexpKind::Float(x) => Const::Float(*x),
        SexpKind::Str(s) => Const::Str(s.as_ref().into()),
        SexpKind::Bool(b) => Const::Bool(*b),
        SexpKind::Nil => Const::Nil,
        SexpKind::Sym(s) => Const::Sym((*s).into()),
        SexpKind::List(items) | SexpKind::Bracket(items) => Const::List(items.iter().map(datum).collect()),
        SexpKind::Quote(inner) => Const::List(vec![Const::Sym("quote".into()), datum(inner)]),
    }
}

/// Folds `(+ 1 2)`-style calls on literal numbers. Anything that could fail
/// (overflow, division) is left for the runtime, so errors keep their place.
fn fold_constant(id: u16, args: &[Expr]) -> Option<Const> {
    if builtins::BUILTINS[id as usize].1 != BuiltinKind::Native {
        return None;
    }
    let op = match id {
        x if x == B::Add as u16 => 0,
        x if x == B::Sub as u16 => 1,
        x if x == B::Mul as u16 => 2,
        _ => return None,
    };
    let nums: Vec<&Const> = args
        .iter()
        .map(|a| match &a.kind {
            ExprKind::Const(c @ (Const::Int(_) | Const::Float(_))) => Some(c),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if nums.is_empty() {
        return None;
    }
    if nums.len() == 1 {
        return match (op, nums[0]) {
            (1, Const::Int(i)) => i.checked_neg().map(Const::Int),
            (1, Const::Float(x)) => Some(Const::Float(-x)),
            _ => None,
        };
    }
    let mut acc = nums[0].clone();
    for n in &nums[1..] {
        acc = match (&acc, n) {
            (Const::Int(a), Const::Int(b)) => Const::Int(match op {
                0 => a.checked_add(*b)?,
                1 => a.checked_sub(*b)?,
                _ => a.checked_mul(*b)?,
            }),
            _ => {
                let a = as_f64(&acc);
                let b = as_f64(n);
                Const::Float(match op {
                    0 => a + b,
                    1 => a - b,
                    _ => a * b,
                })
            }
        };
    }
    Some(acc)
}

fn as_f64(c: &Const) -> f64 {
    match c {
        Const::Int(i) => *i as f64,
        Const::Float(x) => *x,
        _ => unreachable!("fold_constant only sees numbers"),
    }
}
