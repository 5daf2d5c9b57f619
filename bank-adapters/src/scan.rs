//! Finding every occurrence of a byte in a short text, eight bytes at a time.
//!
//! The MT940 reader looks for `/`, `\n` and `R` in texts of about a hundred
//! bytes, where the hits are close together: a vector search (`memchr`) pays
//! its set-up cost once per hit there, a plain byte loop a branch per byte.
//! Testing a whole `u64` word at once and walking the hits of its bit mask
//! costs a few instructions per word and per hit, without any `unsafe`.

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The byte searched for, in every lane of a word.
#[derive(Clone, Copy)]
struct Needle {
    splat: u64,
    /// The bit in which the two bytes searched for differ, in every lane
    /// (0 when searching for one byte).
    fold: u64,
}

impl Needle {
    fn one(byte: u8) -> Self {
        Needle { splat: u64::from(byte) * ONES, fold: 0 }
    }

    /// Either of two bytes that differ in a single bit.
    fn either(a: u8, b: u8) -> Self {
        debug_assert_eq!((a ^ b).count_ones(), 1);
        // Setting that bit maps both bytes to `a | b`, and no other byte to it.
        Needle { splat: u64::from(a | b) * ONES, fold: u64::from(a ^ b) * ONES }
    }

    /// Where the needle first occurs in `hay`: whole words without bound
    /// checks, and no iterator state to keep.
    #[inline]
    fn first(self, hay: &[u8]) -> Option<usize> {
        let at = |base: usize, mask: u64| (mask != 0).then(|| base + (mask.trailing_zeros() / 8) as usize);
        let (words, tail) = hay.as_chunks::<8>();
        let mut base = 0;
        for w in words {
            if let Some(p) = at(base, self.hits(u64::from_le_bytes(*w))) {
                return Some(p);
            }
            base += 8;
        }
        if tail.is_empty() { None } else { at(base, self.tail_hits(hay, base, tail.len())) }
    }

    /// The high bit of each lane of `word` that is a hit.
    #[inline]
    fn hits(self, word: u64) -> u64 {
        let x = (word | self.fold) ^ self.splat;
        // Exact zero-byte test (no false hits from borrows between lanes):
        // the high bit of a lane ends up set exactly when the lane is zero.
        !(((x & LOW7) + LOW7) | x) & HIGH
    }

    /// The hits in the eight bytes of `hay` from `at` (fewer at its end).
    #[inline]
    fn word_hits(self, hay: &[u8], at: usize) -> u64 {
        match hay.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            Some(w) => self.hits(u64::from_le_bytes(w)),
            None => self.last_word_hits(hay, at),
        }
    }

    /// The hits in the last `tail` bytes of `hay` (one to seven, from `at`),
    /// inline when `hay` has a whole word to load.
    #[inline]
    fn tail_hits(self, hay: &[u8], at: usize, tail: usize) -> u64 {
        debug_assert!((1..8).contains(&tail) && at + tail == hay.len());
        match hay.last_chunk::<8>() {
            // The last eight bytes end with the tail: their hits shifted down to start at `at`.
            Some(last) => self.hits(u64::from_le_bytes(*last)) >> (8 * (8 - tail)),
            None => self.last_word_hits(hay, at),
        }
    }

    /// [`Self::word_hits`] for the last, partial word; out of line to keep
    /// the loop over whole words small enough to inline.
    #[inline(never)]
    fn last_word_hits(self, hay: &[u8], at: usize) -> u64 {
        let len = hay.len();
        let rest = len.saturating_sub(at).min(7);
        let word = match hay.get(len.wrapping_sub(8)..).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            // The last eight bytes, shifted down to start at `at`: one load, no copy.
            Some(last) => u64::from_le_bytes(last) >> (8 * (8 - rest)),
            // A text shorter than a word.
            None => hay.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b)),
        };
        // Lanes past the end are no hits.
        self.hits(word) & ((1u64 << (8 * rest)) - 1)
    }
}

/// The positions of one byte in a text, in order.
pub(crate) struct BytePositions<'a> {
    hay: &'a [u8],
    needle: Needle,
    /// Offset in `hay` of the word that `mask` describes.
    base: usize,
    /// The high bit of each byte of that word that is a hit and not yet returned.
    mask: u64,
}

impl<'a> BytePositions<'a> {
    #[inline]
    pub fn new(hay: &'a [u8], needle: u8) -> Self {
        Self::start(hay, Needle::one(needle))
    }

    /// Positions of an ASCII letter in either case.
    #[inline]
    pub fn ignore_ascii_case(hay: &'a [u8], letter: u8) -> Self {
        debug_assert!(letter.is_ascii_alphabetic());
        Self::either(hay, letter.to_ascii_uppercase(), letter.to_ascii_lowercase())
    }

    /// Positions of either of two bytes that differ in a single bit (the two
    /// cases of a letter, `+` and `/`).
    #[inline]
    pub fn either(hay: &'a [u8], a: u8, b: u8) -> Self {
        Self::start(hay, Needle::either(a, b))
    }

    #[inline]
    fn start(hay: &'a [u8], needle: Needle) -> Self {
        // Built in one go: setting `mask` on a built iterator makes the
        // compiler copy it through memory, which stalls.
        BytePositions { hay, needle, base: 0, mask: needle.word_hits(hay, 0) }
    }
}

impl Iterator for BytePositions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 8;
            if self.base >= self.hay.len() {
                return None;
            }
            self.mask = self.needle.word_hits(self.hay, self.base);
        }
        let pos = self.base + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(pos)
    }
}

/// Calls `f` with each position of `needle` in `hay`, in order: the walk of
/// [`BytePositions`] without an iterator's state to keep between hits, and
/// whole words taken without bound checks.
#[inline]
pub(crate) fn each_position(hay: &[u8], needle: u8, mut f: impl FnMut(usize)) {
    let needle = Needle::one(needle);
    let mut hits_at = |mut mask: u64, base: usize| {
        while mask != 0 {
            f(base + (mask.trailing_zeros() / 8) as usize);
            mask &= mask - 1;
        }
    };
    let (words, tail) = hay.as_chunks::<8>();
    // A counter rather than `enumerate`, and `base` recomputed for the tail
    // rather than carried out of the loop: both measured to cost fewer instructions.
    let mut base = 0;
    for w in words {
        hits_at(needle.hits(u64::from_le_bytes(*w)), base);
        base += 8;
    }
    if !tail.is_empty() {
        let base = 8 * words.len();
        hits_at(needle.tail_hits(hay, base, tail.len()), base);
    }
}

/// Where `needle` first occurs in `hay`.
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    Needle::one(needle).first(hay)
}

/// Where `a` or `b` (see [`BytePositions::either`]) first occurs in `hay`.
#[inline]
pub(crate) fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    Needle::either(a, b).first(hay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(hay: &[u8], needle: u8) -> Vec<usize> {
        hay.iter().enumerate().filter(|(_, b)| **b == needle).map(|(i, _)| i).collect()
    }

    #[test]
    fn matches_a_byte_loop() {
        let text: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        // The three walks over the same hits: as an iterator, by callback, the first only.
        for len in 0..text.len() {
            for needle in [0u8, 1, b'/', 0x80, 0xff, 0x7f] {
                let hay = &text[..len];
                let expected = naive(hay, needle);
                assert_eq!(BytePositions::new(hay, needle).collect::<Vec<_>>(), expected, "{len} {needle}");
                let mut found = Vec::new();
                each_position(hay, needle, |p| found.push(p));
                assert_eq!(found, expected, "{len} {needle}");
                assert_eq!(find_byte(hay, needle), expected.first().copied(), "{len} {needle}");
            }
        }
        let slashes = b"/EREF/E2E1//REMI/SCOR/RF18/";
        assert_eq!(BytePositions::new(slashes, b'/').collect::<Vec<_>>(), naive(slashes, b'/'));
        assert_eq!(find_byte(b"ab\ncd", b'\n'), Some(2));
        assert_eq!(find_byte(b"abcd", b'\n'), None);
    }

    #[test]
    fn either_of_two() {
        let hay = b"RF18+RF27/x+++//a+/";
        let expected: Vec<usize> =
            hay.iter().enumerate().filter(|(_, b)| matches!(b, b'+' | b'/')).map(|(i, _)| i).collect();
        assert_eq!(BytePositions::either(hay, b'+', b'/').collect::<Vec<_>>(), expected);
        for len in 0..hay.len() {
            let first = expected.iter().copied().find(|&p| p < len);
            assert_eq!(find_either(&hay[..len], b'+', b'/'), first, "{len}");
        }
    }

    #[test]
    fn either_case() {
        let text = b"rF 12 Rf r R \xd2\xf2 \x52\x72 zZ\x5a\x7a\xda\xfa";
        for len in 0..text.len() {
            let hay = &text[..len];
            for letter in [b'R', b'r', b'z', b'A'] {
                let expected: Vec<usize> =
                    hay.iter().enumerate().filter(|(_, b)| b.eq_ignore_ascii_case(&letter)).map(|(i, _)| i).collect();
                assert_eq!(BytePositions::ignore_ascii_case(hay, letter).collect::<Vec<_>>(), expected);
            }
        }
    }
}
