//! Compiled regexes, cached per thread by pattern text (docs/QUERY.md §10).
//!
//! aw-webui sends the same 15–50 category rules with every query and every period, so
//! each distinct pattern is compiled once and shared. The cache is per thread (the
//! crate keeps no locks) and bounded: when full, the least recently used entry goes.
//! The same holds for the few rule sets `rules::RuleMatcher` matches in one scan.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use fancy_regex::Regex;
use regex::RegexSet;

/// How many compiled patterns each thread keeps (upstream's process-wide LRU holds 512).
pub const CAPACITY: usize = 512;

struct Cache {
    entries: HashMap<String, (Rc<Regex>, u64)>,
    tick: u64,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache { entries: HashMap::new(), tick: 0 });
}

/// The compiled form of `pattern` (fancy-regex default options), from the cache when
/// it was compiled before on this thread. Failures are not cached.
pub fn compile(pattern: &str) -> Result<Rc<Regex>, fancy_regex::Error> {
    CACHE.with(|cell| {
        let mut cache = cell.borrow_mut();
        cache.tick += 1;
        let tick = cache.tick;
        if let Some((regex, used)) = cache.entries.get_mut(pattern) {
            *used = tick;
            return Ok(Rc::clone(regex));
        }
        let regex = Rc::new(Regex::new(pattern)?);
        if cache.entries.len() >= CAPACITY {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                cache.entries.remove(&oldest);
            }
        }
        cache
            .entries
            .insert(pattern.to_string(), (Rc::clone(&regex), tick));
        Ok(regex)
    })
}

/// How many compiled rule sets each thread keeps.
const SET_CAPACITY: usize = 16;

thread_local! {
    static SETS: RefCell<Vec<(Vec<String>, Rc<RegexSet>)>> = const { RefCell::new(Vec::new()) };
}

/// The [`RegexSet`] of `patterns` (plain ones, see `rules::RuleMatcher`), from this
/// thread's few last sets when built before; `None` if they do not compile as a set
/// (the rules are then matched one by one).
pub fn compile_set(patterns: &[&str]) -> Option<Rc<RegexSet>> {
    SETS.with(|cell| {
        let mut sets = cell.borrow_mut();
        if let Some(pos) = sets.iter().position(|(known, _)| known.iter().eq(patterns)) {
            let entry = sets.remove(pos);
            let set = Rc::clone(&entry.1);
            sets.push(entry);
            return Some(set);
        }
        let set = Rc::new(RegexSet::new(patterns).ok()?);
        if sets.len() >= SET_CAPACITY {
            sets.remove(0);
        }
        let owned = patterns.iter().map(|pattern| pattern.to_string()).collect();
        sets.push((owned, Rc::clone(&set)));
        Some(set)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_share_and_capacity_is_bounded() {
        let first = compile("a+b").unwrap();
        let second = compile("a+b").unwrap();
        assert!(Rc::ptr_eq(&first, &second));
        for idx in 0..CAPACITY + 10 {
            compile(&format!("x{idx}")).unwrap();
        }
        CACHE.with(|cell| assert_eq!(cell.borrow().entries.len(), CAPACITY));
        assert!(compile("(").is_err());
    }
}
