//! A small set of [`Category`] values: which outcomes count as what.

use crate::classify::Category;

/// A set of categories, stored as a bit mask (copyable, snapshot-friendly).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct CategorySet(u16);

impl CategorySet {
    /// No category.
    pub const EMPTY: CategorySet = CategorySet(0);

    /// The outcomes that say the *service* is unwell: server errors, network
    /// failures and timeouts. The breaker's default failure set.
    pub const SERVICE_FAILURES: CategorySet = CategorySet::EMPTY
        .with(Category::Server)
        .with(Category::Network)
        .with(Category::Timeout);

    /// This set plus `c`.
    #[must_use]
    pub const fn with(self, c: Category) -> CategorySet {
        CategorySet(self.0 | (1 << c.index()))
    }

    /// This set without `c`.
    #[must_use]
    pub const fn without(self, c: Category) -> CategorySet {
        CategorySet(self.0 & !(1 << c.index()))
    }

    /// Whether `c` is in the set.
    #[must_use]
    pub const fn contains(self, c: Category) -> bool {
        self.0 & (1 << c.index()) != 0
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        iter.into_iter().fold(CategorySet::EMPTY, CategorySet::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership() {
        let s = CategorySet::SERVICE_FAILURES;
        assert!(s.contains(Category::Server) && s.contains(Category::Timeout));
        assert!(!s.contains(Category::NotFound) && !s.contains(Category::RateLimit));
        let s = s.with(Category::RateLimit).without(Category::Server);
        assert!(s.contains(Category::RateLimit) && !s.contains(Category::Server));
        let all: CategorySet = Category::ALL.into_iter().collect();
        assert!(Category::ALL.iter().all(|c| all.contains(*c)));
    }
}
