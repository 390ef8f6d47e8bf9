//! Names the printer needs that values only refer to by number: interned
//! symbols and host functions.

use std::collections::HashMap;

#[derive(Default)]
pub struct Names {
    sym_ids: HashMap<Box<str>, u32>,
    syms: Vec<Box<str>>,
    /// Host functions registered by the embedder, by `Value::Builtin` id
    /// minus the number of static builtins.
    pub host_fns: Vec<Box<str>>,
}

impl Names {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.sym_ids.get(s) {
            return id;
        }
        let id = self.syms.len() as u32;
        self.syms.push(s.into());
        self.sym_ids.insert(s.into(), id);
        id
    }

    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.sym_ids.get(s).copied()
    }

    pub fn symbol(&self, id: u32) -> &str {
        &self.syms[id as usize]
    }

    /// The printed name of a builtin or host function id.
    pub fn builtin(&self, id: u16) -> &str {
        let n = claudelang_frontend::builtins::BUILTINS.len();
        match (id as usize).checked_sub(n) {
            None => claudelang_frontend::builtins::name(id),
            Some(h) => &self.host_fns[h],
        }
    }
}
