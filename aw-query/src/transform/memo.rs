//! [`DataMemo`]: one result per distinct data allocation within one transform call,
//! and [`MeasureMemo`], the same for data that stays borrowed meanwhile (the budget
//! measuring a value, `flood` fingerprinting its events' data).
//!
//! Events read from the datastore share their data when it is equal, so a transform
//! that decides or builds something from an event's data alone can do it once per
//! `Arc` instead of once per event (the budget measures data this way too).
//!
//! What must stay true: a memo is keyed by the `Arc`'s address, and the allocation must
//! outlive the memo so its address cannot be reused by other data meanwhile.
//! [`DataMemo`] keeps a clone of the `Arc` in each entry; [`MeasureMemo`] borrows every
//! data it saw for its own lifetime, which the borrow checker enforces. Two `Arc`s with
//! equal data are simply two entries: the memo never decides meaning. Data with a
//! single owner is computed directly, since no other event can share it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use aw_models::JsonMap;

/// Results of `V` per distinct data allocation.
pub(crate) struct DataMemo<V> {
    entries: HashMap<*const JsonMap, (Arc<JsonMap>, V), BuildHasherDefault<AddressHasher>>,
}

impl<V> DataMemo<V> {
    pub(crate) fn new() -> DataMemo<V> {
        DataMemo {
            entries: HashMap::default(),
        }
    }

    /// The result for `data`, computed directly when `data` has no other owner (no
    /// other event can share it, so remembering it gains nothing), else memoised.
    pub(crate) fn get(&mut self, data: &Arc<JsonMap>, compute: impl FnOnce(&JsonMap) -> V) -> V
    where
        V: Clone,
    {
        if has_one_owner(data) {
            return compute(data);
        }
        self.get_or_insert_with(data, compute).clone()
    }

    /// The result for `data`, computed by `compute` the first time this allocation is seen.
    pub(crate) fn get_or_insert_with(
        &mut self,
        data: &Arc<JsonMap>,
        compute: impl FnOnce(&JsonMap) -> V,
    ) -> &V {
        let (_, value) = self
            .entries
            .entry(Arc::as_ptr(data))
            .or_insert_with(|| (Arc::clone(data), compute(data)));
        value
    }
}

/// Results of `V` per distinct data allocation, for data borrowed for `'a`.
pub(crate) struct MeasureMemo<'a, V> {
    entries: HashMap<*const JsonMap, V, BuildHasherDefault<AddressHasher>>,
    borrowed: PhantomData<&'a JsonMap>,
}

impl<'a, V: Copy> MeasureMemo<'a, V> {
    pub(crate) fn new() -> MeasureMemo<'a, V> {
        MeasureMemo {
            entries: HashMap::default(),
            borrowed: PhantomData,
        }
    }

    /// The result for `data`, computed by `compute` the first time this allocation is
    /// seen (every time if it has no other owner).
    pub(crate) fn get_or_insert_with(
        &mut self,
        data: &'a Arc<JsonMap>,
        compute: impl FnOnce(&JsonMap) -> V,
    ) -> V {
        if has_one_owner(data) {
            return compute(data);
        }
        *self
            .entries
            .entry(Arc::as_ptr(data))
            .or_insert_with(|| compute(data))
    }
}

/// Whether `data` has a single owner. Only that owner can clone it, so the answer
/// cannot turn false under our feet; a stale "shared" only costs a memo entry.
fn has_one_owner(data: &Arc<JsonMap>) -> bool {
    Arc::strong_count(data) == 1 && Arc::weak_count(data) == 0
}

/// A hasher for addresses: they are already unique, so one multiply mixes them, and
/// the rotation moves the well-mixed high bits to where the table takes its index
/// (the low bits of an aligned address are always zero).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_usize(&mut self, address: usize) {
        self.0 = (address as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_computation_per_allocation() {
        let shared = Arc::new(JsonMap::new());
        let equal_copy = Arc::new(JsonMap::new());
        let mut memo = DataMemo::new();
        let mut calls = 0;
        for data in [&shared, &shared, &equal_copy, &shared] {
            memo.get_or_insert_with(data, |_| {
                calls += 1;
                calls
            });
        }
        assert_eq!(calls, 2);
        assert_eq!(*memo.get_or_insert_with(&shared, |_| 0), 1);
        assert_eq!(*memo.get_or_insert_with(&equal_copy, |_| 0), 2);
    }
}
