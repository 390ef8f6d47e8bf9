//! Fast comparison and lookup of identifiers.
//!
//! The compiler resolves every symbol against the local scopes, the special
//! forms and the builtins, so comparing names is its innermost loop. A
//! [`NameKey`] packs a name's length and first eight bytes into integers:
//! two names of at most eight bytes (nearly all of them) are equal exactly
//! when their keys are, and longer ones need a byte comparison only when
//! their keys match. [`NameTable`] is a fixed set of names as a hash table
//! of keys, built at compile time.

/// A name's length and first eight bytes (little-endian, zero-padded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameKey {
    head: u64,
    len: u32,
}

impl NameKey {
    /// The key of `name`; usable in constants.
    pub(crate) const fn of(name: &str) -> NameKey {
        let bytes = name.as_bytes();
        let mut head = 0u64;
        let mut i = 0;
        while i < bytes.len() && i < 8 {
            head |= (bytes[i] as u64) << (8 * i);
            i += 1;
        }
        NameKey { head, len: bytes.len() as u32 }
    }

    /// The key of the name `text[start..end]`. Reads eight bytes at once
    /// when the text has them, which is why it takes the whole text.
    #[inline]
    pub(crate) fn in_text(text: &str, start: usize, end: usize) -> NameKey {
        let len = end - start;
        match text.as_bytes().get(start..start + 8) {
            Some(word) => {
                let word = u64::from_le_bytes(word.try_into().unwrap());
                let head = if len >= 8 { word } else { word & ((1u64 << (8 * len)) - 1) };
                NameKey { head, len: len as u32 }
            }
            None => NameKey::of(&text[start..end]),
        }
    }

    /// Equal keys mean equal names, without looking at the bytes.
    #[inline]
    pub(crate) fn is_exact(self) -> bool {
        self.len <= 8
    }

    /// A well-mixed hash of the key (Fibonacci hashing of the head).
    const fn hash(self) -> usize {
        ((self.head ^ self.len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
    }
}

/// A fixed set of names as an open-addressing hash table with `N` slots,
/// mapping each name to its index in the list it was built from. Built at
/// compile time; `N` must be a power of two at least twice the number of
/// names, so probes stay short and always reach an empty slot.
pub(crate) struct NameTable<const N: usize> {
    keys: [NameKey; N],
    /// Index plus one; 0 marks an empty slot.
    index: [u16; N],
}

impl<const N: usize> NameTable<N> {
    pub(crate) const fn build(names: &[&str]) -> NameTable<N> {
        assert!(N.is_power_of_two() && names.len() * 2 <= N && names.len() < u16::MAX as usize);
        let mut table = NameTable { keys: [NameKey { head: 0, len: 0 }; N], index: [0; N] };
        let mut k = 0;
        while k < names.len() {
            let key = NameKey::of(names[k]);
            let mut i = key.hash() & (N - 1);
            while table.index[i] != 0 {
                i = (i + 1) & (N - 1);
            }
            table.keys[i] = key;
            table.index[i] = (k + 1) as u16;
            k += 1;
        }
        table
    }

    /// The index of the name with key `key`, given the names the table was
    /// built from and the name itself (asked for only for long names).
    #[inline]
    pub(crate) fn find<'a>(&self, names: &[&str], key: NameKey, name: impl Fn() -> &'a str) -> Option<usize> {
        let mut i = key.hash() & (N - 1);
        loop {
            let k = self.index[i];
            if k == 0 {
                return None;
            }
            if self.keys[i] == key && (key.is_exact() || names[k as usize - 1] == name()) {
                return Some(k as usize - 1);
            }
            i = (i + 1) & (N - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_like_names() {
        let text = "x xs abcdefgh abcdefghi abcdefghj λ é  y";
        let names: Vec<(usize, usize)> = {
            let mut v = Vec::new();
            let mut start = 0;
            for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
                if c == ' ' {
                    v.push((start, i));
                    start = i + 1;
                }
            }
            v
        };
        for &(a, b) in &names {
            let ka = NameKey::in_text(text, a, b);
            assert_eq!(ka, NameKey::of(&text[a..b]), "{:?}", &text[a..b]);
            for &(c, d) in &names {
                let kc = NameKey::in_text(text, c, d);
                let same = text[a..b] == text[c..d];
                if ka.is_exact() {
                    assert_eq!(ka == kc, same, "{:?} {:?}", &text[a..b], &text[c..d]);
                } else if same {
                    assert_eq!(ka, kc);
                }
            }
        }
    }

    #[test]
    fn tables_find_their_names() {
        const NAMES: &[&str] = &["a", "if", "string-concat", "string-concatx", "vector-set!", ""];
        static TABLE: NameTable<16> = NameTable::build(NAMES);
        for (i, name) in NAMES.iter().enumerate() {
            assert_eq!(TABLE.find(NAMES, NameKey::of(name), || name), Some(i));
        }
        for name in ["b", "string-concaty", "string-conca", "vector-set", "iff"] {
            assert_eq!(TABLE.find(NAMES, NameKey::of(name), || name), None, "{name}");
        }
    }
}
