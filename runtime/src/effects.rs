//! Effects (LANGUAGE.md section 6): how a program touches the world. Each
//! effect name maps to a handler the embedder can replace or remove; these
//! are the defaults.

use crate::builtins::{call_native, NativeCtx};
use crate::error::{exn, Exn};
use crate::heap::Heap;
use crate::names::Names;
use crate::printer;
use crate::runtime::Runtime;
use crate::value::Value;
use claudelang_frontend::builtins::B;
use std::collections::HashMap;

/// What an effect handler may touch.
pub struct EffectCtx<'a> {
    pub heap: &'a mut Heap,
    pub names: &'a mut Names,
    pub out: &'a mut dyn std::io::Write,
    /// The per-runtime key/value store behind `state:get`/`state:set`
    /// (keys are the printed form of the key value).
    pub state: &'a mut HashMap<String, Value>,
    pub rng: &'a mut u64,
}

impl EffectCtx<'_> {
    pub fn native(&mut self) -> NativeCtx<'_> {
        NativeCtx { heap: self.heap, names: self.names, out: self.out }
    }
}

/// xorshift64*: small, fast, good enough for `random:int`.
fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn arity(name: &str, args: &[Value], n: usize) -> Result<(), Exn> {
    if args.len() != n {
        return Err(exn(format!("wrong number of arguments: effect {name} expects {n}, got {}", args.len())));
    }
    Ok(())
}

fn state_key(ctx: &EffectCtx, key: Value) -> Result<String, Exn> {
    printer::to_display(key, ctx.names)
}

pub(crate) fn install_defaults(rt: &mut Runtime) {
    rt.set_effect_handler("io:print", |ctx, args| call_native(B::Print as u16, &mut ctx.native(), args));
    rt.set_effect_handler("time:now", |_, args| {
        arity("time:now", args, 0)?;
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Ok(Value::Int(ms))
    });
    rt.set_effect_handler("random:int", |ctx, args| {
        arity("random:int", args, 2)?;
        let (Value::Int(lo), Value::Int(hi)) = (args[0], args[1]) else {
            return Err(exn("wrong type in (effect random:int lo hi): expected two ints"));
        };
        if lo > hi {
            return Err(exn(format!("random:int: empty range {lo} ..= {hi}")));
        }
        let span = (hi as i128 - lo as i128 + 1) as u128;
        let r = (next_random(ctx.rng) as u128) % span;
        Ok(Value::Int((lo as i128 + r as i128) as i64))
    });
    rt.set_effect_handler("random:float", |ctx, args| {
        arity("random:float", args, 0)?;
        // 53 random bits scaled into [0, 1).
        Ok(Value::Float((next_random(ctx.rng) >> 11) as f64 / (1u64 << 53) as f64))
    });
    rt.set_effect_handler("state:get", |ctx, args| {
        arity("state:get", args, 1)?;
        let key = state_key(ctx, args[0])?;
        Ok(ctx.state.get(&key).copied().unwrap_or(Value::Nil))
    });
    rt.set_effect_handler("state:set", |ctx, args| {
        arity("state:set", args, 2)?;
        let key = state_key(ctx, args[0])?;
        ctx.state.insert(key, args[1]);
        Ok(Value::Nil)
    });
}
