//! `Retry-After` (RFC 9110 §10.2.3): how long the server asks us to wait.

use super::field::{parse_decimal, HeaderError};
use super::http_date::parse_http_date;
use crate::time::UnixMillis;

/// Reads a `Retry-After` value as a delay in milliseconds from now.
///
/// Both forms are accepted: delta-seconds (`120`) and an HTTP-date, which is
/// compared with the wall clock `now_wall`. A date in the past means "now"
/// (0). Huge values saturate rather than overflow: a hostile `Retry-After` of
/// a year or of `u64::MAX` seconds is reported as such, and it is the retry
/// policy's job to refuse waiting that long.
///
/// # Errors
/// [`HeaderError::NotAnInteger`]/[`HeaderError::NotADate`] for a value in
/// neither form, [`HeaderError::NeedsWallClock`] for a date without
/// `now_wall`.
pub fn parse_retry_after(value: &str, now_wall: Option<UnixMillis>) -> Result<u64, HeaderError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(HeaderError::Empty);
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return parse_decimal(trimmed).map(|s| s.saturating_mul(1000));
    }
    if trimmed.starts_with('-') || trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(HeaderError::NotAnInteger);
    }
    let at = parse_http_date(trimmed)?;
    let now = now_wall.ok_or(HeaderError::NeedsWallClock)?;
    Ok(at.0.saturating_sub(now.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_defect_12_retry_after_http_date_is_read_not_crashed_on() {
        // The seed did `int(response.headers.get('Retry-After', 60))`, which
        // raises on this perfectly valid value.
        let now = UnixMillis(784_111_777_000 - 30_000);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", Some(now)),
            Ok(30_000)
        );
        assert_eq!(parse_retry_after("120", None), Ok(120_000));
    }

    #[test]
    fn dates_in_the_past_mean_now() {
        let now = UnixMillis(1_900_000_000_000);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", Some(now)),
            Ok(0)
        );
    }

    #[test]
    fn hostile_values_saturate_or_fail_typed() {
        assert_eq!(
            parse_retry_after("99999999999999999999999", None),
            Ok(u64::MAX)
        );
        assert_eq!(parse_retry_after("31536000", None), Ok(31_536_000_000));
        assert_eq!(
            parse_retry_after("-5", None),
            Err(HeaderError::NotAnInteger)
        );
        assert_eq!(
            parse_retry_after("1.5", None),
            Err(HeaderError::NotAnInteger)
        );
        assert_eq!(parse_retry_after("  ", None), Err(HeaderError::Empty));
        assert_eq!(parse_retry_after("soon", None), Err(HeaderError::NotADate));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", None),
            Err(HeaderError::NeedsWallClock)
        );
    }
}
