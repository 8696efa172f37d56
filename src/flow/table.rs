//! The table that numbers outputs by first appearance: a key's number is its place in
//! the table + 1.
//!
//! Memory is what a million flows make matter: 48 bytes per key in one vector and a
//! 4-byte index in a hash table (about 58 bytes per output at full load), where an
//! `IndexMap` would keep a 64-bit hash beside every key and 64-bit indices.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::OutputKey;

#[derive(Debug, Default)]
pub struct OutputTable {
    keys: Vec<OutputKey>,
    /// Places in `keys`, found by the keys' hashes (recomputed when the table grows).
    places: HashTable<u32>,
    /// A fast seeded hash: SipHash costs more than the rest of the per-packet work.
    hasher: foldhash::fast::RandomState,
}

impl OutputTable {
    /// The place of `key`, and whether it was added just now.
    pub fn insert(&mut self, key: OutputKey) -> (usize, bool) {
        let hash = self.hasher.hash_one(key);
        let keys = &self.keys;
        let entry = self.places.entry(
            hash,
            |&place| keys[place as usize] == key,
            |&place| self.hasher.hash_one(keys[place as usize]),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(found) => (*found.get() as usize, false),
            hashbrown::hash_table::Entry::Vacant(vacant) => {
                let place = self.keys.len();
                vacant.insert(place as u32);
                self.keys.push(key);
                (place, true)
            }
        }
    }

    /// The place of `key`, if it is in the table.
    pub fn place_of(&self, key: &OutputKey) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        self.places
            .find(hash, |&place| self.keys[place as usize] == *key)
            .map(|&place| place as usize)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys in order of first appearance.
    pub fn keys(&self) -> &[OutputKey] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keys_by_first_appearance() {
        let mut table = OutputTable::default();
        for round in 0..2 {
            for port in 0..10_000u16 {
                let (place, new) = table.insert(OutputKey::ServerPort(port));
                assert_eq!((place, new), (usize::from(port), round == 0));
            }
        }
        assert_eq!(table.len(), 10_000);
        assert_eq!(table.place_of(&OutputKey::ServerPort(77)), Some(77));
        assert_eq!(table.place_of(&OutputKey::NoPort), None);
        assert_eq!(table.keys()[9_999], OutputKey::ServerPort(9_999));
    }
}
