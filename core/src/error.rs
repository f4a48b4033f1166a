//! Typed errors for configuration, and the validation helpers that raise them.
//!
//! Bad configuration is a value, not an assertion: every constructor that
//! takes options checks them and answers `Err(ConfigError)` naming the option,
//! so a host (the npm package) can turn it into a `RangeError` that says which
//! option was wrong.

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number that must be finite was NaN or infinite.
    #[error("`{option}` must be a finite number")]
    NotFinite {
        /// The option's name.
        option: &'static str,
    },
    /// A number lies outside the range the option accepts.
    #[error("`{option}` must be between {min} and {max}, got {got}")]
    OutOfRange {
        /// The option's name.
        option: &'static str,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
        /// The value given.
        got: f64,
    },
    /// Two options contradict each other.
    #[error("`{option}` must not exceed `{other}`")]
    Inconsistent {
        /// The option that is too large.
        option: &'static str,
        /// The option it must not exceed.
        other: &'static str,
    },
    /// An HTTP method name that is not one the core knows.
    #[error("unknown HTTP method")]
    UnknownMethod,
}

impl ConfigError {
    /// The option at fault, if the error names one (hosts use it to build
    /// their own message, e.g. a JavaScript `RangeError`).
    #[must_use]
    pub const fn option(&self) -> Option<&'static str> {
        match self {
            ConfigError::NotFinite { option }
            | ConfigError::OutOfRange { option, .. }
            | ConfigError::Inconsistent { option, .. } => Some(option),
            ConfigError::UnknownMethod => None,
        }
    }
}

/// Checks that `value` is finite and within `min..=max`.
pub(crate) fn check_f64(
    option: &'static str,
    value: f64,
    min: f64,
    max: f64,
) -> Result<f64, ConfigError> {
    if !value.is_finite() {
        return Err(ConfigError::NotFinite { option });
    }
    if value < min || value > max {
        return Err(ConfigError::OutOfRange {
            option,
            min,
            max,
            got: value,
        });
    }
    Ok(value)
}

/// Checks that an integer lies within `min..=max`.
pub(crate) fn check_u64(
    option: &'static str,
    value: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    if value < min || value > max {
        return Err(ConfigError::OutOfRange {
            option,
            min: min as f64,
            max: max as f64,
            got: value as f64,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn errors_name_the_option() {
        let e = check_f64("retry.multiplier", f64::NAN, 1.0, 10.0).unwrap_err();
        assert_eq!(e.to_string(), "`retry.multiplier` must be a finite number");
        let e = check_u64("breaker.failureThreshold", 0, 1, 1000).unwrap_err();
        assert!(e.to_string().contains("breaker.failureThreshold"));
        assert_eq!(check_f64("x", 2.0, 1.0, 3.0), Ok(2.0));
        assert_eq!(e.option(), Some("breaker.failureThreshold"));
        assert_eq!(ConfigError::UnknownMethod.option(), None);
    }
}

/// A name that is not one of an option's choices (`"jitter": "fast"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be {choices}")]
pub struct UnknownName {
    /// The choices, as a user writes them: `one of "none", "full", ...`.
    pub choices: &'static str,
}
