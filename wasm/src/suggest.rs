//! "Did you mean …?": the known option nearest to a name a user mistyped.
//!
//! An unknown option is refused (a typo must not leave a setting at its
//! default unnoticed); the refusal is more useful when it names the option
//! that was meant: `retry.maxRetry` → `maxRetries`, `BaseDelayMs` →
//! `baseDelayMs`, a section's option written at the top level
//! (`createClient({ maxRetries })`) → `retry.maxRetries`.

use alloc::vec::Vec;

/// The edit distance between `a` and `b` (Levenshtein's: insertions,
/// deletions and substitutions each count one), letters compared without
/// case. One row of the table at a time.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        // The cell up-left of the one being filled, and the one left of it.
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX - 1);
            let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
            let best = (up + 1).min(left + 1).min(diagonal + cost);
            diagonal = up;
            left = best;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = best;
            }
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Whether `known` is near enough to `typed` to be what was meant: edits
/// up to a third of the longer name's letters (rounded up: `brust` is two
/// edits from `burst`), never as many as `typed` has letters.
pub(crate) fn near(typed: &str, known: &str) -> bool {
    let d = distance(typed, known);
    let room = typed.len().max(known.len()).div_ceil(3);
    d <= room && d < typed.len()
}

/// The nearest of `known` to `typed` that is [`near`] it (the first of
/// equals), if any.
pub(crate) fn nearest<'k>(
    typed: &str,
    known: impl IntoIterator<Item = &'k str>,
) -> Option<&'k str> {
    known
        .into_iter()
        .filter(|k| near(typed, k))
        .min_by_key(|k| distance(typed, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_each_edit_once() {
        assert_eq!(distance("maxRetries", "maxRetries"), 0);
        assert_eq!(
            distance("maxretries", "maxRetries"),
            0,
            "case is not a difference"
        );
        assert_eq!(distance("maxRetry", "maxRetries"), 3, "y→i, +e, +s");
        assert_eq!(distance("maxRetrie", "maxRetries"), 1, "one insertion");
        assert_eq!(distance("maxRetriess", "maxRetries"), 1, "one deletion");
        assert_eq!(distance("maxRetrixs", "maxRetries"), 1, "one substitution");
        assert_eq!(
            distance("maxRetires", "maxRetries"),
            2,
            "a swap of neighbours is two edits"
        );
        assert_eq!(distance("", "burst"), 5);
        assert_eq!(distance("burst", ""), 5);
        assert_eq!(distance("ab", "ba"), 2);
        assert_eq!(distance("abc", "xyz"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn near_allows_a_third_of_the_longer_name() {
        assert!(near("maxRetry", "maxRetries"), "3 edits of 10 letters");
        assert!(!near("maxRe", "maxRetries"), "5 edits of 10 letters");
        assert!(near("baseDelay", "baseDelayMs"));
        assert!(near("BaseDelayMs", "baseDelayMs"));
        assert!(near("brust", "burst"), "a swap: 2 edits of 5 letters");
        assert!(near("bur", "burst"), "2 edits of 5 letters");
        assert!(!near("bu", "burst"), "3 edits of 5 letters");
        assert!(!near("foo", "seed"));
        assert!(!near("x", "y"), "every letter differs");
        assert!(!near("timeout", "maxRetries"));
    }

    #[test]
    fn nearest_picks_the_closest_near_name() {
        let known = ["maxRetries", "maxDelayMs", "maxRetryAfterMs", "baseDelayMs"];
        assert_eq!(nearest("maxRetry", known), Some("maxRetries"));
        assert_eq!(nearest("maxRetryAfter", known), Some("maxRetryAfterMs"));
        assert_eq!(nearest("maxdelayms", known), Some("maxDelayMs"));
        assert_eq!(nearest("timeout", known), None);
        assert_eq!(nearest("anything", []), None);
    }
}
