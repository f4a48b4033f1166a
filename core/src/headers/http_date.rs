//! HTTP-date (RFC 9110 §5.6.7) in its three forms.
//!
//! Senders must use IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); recipients
//! must also accept the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
//! and asctime (`Sun Nov  6 08:49:37 1994`) forms. The seed crashed on every
//! one of them by calling `int()` on the value (seed defect 12).

use super::field::{parse_decimal, HeaderError};
use crate::time::UnixMillis;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses an HTTP-date into wall-clock milliseconds since the Unix epoch.
///
/// Dates before 1970 clamp to the epoch (they only ever mean "already
/// passed"). The day-of-week name is not checked against the date, as most
/// parsers do not.
///
/// # Errors
/// [`HeaderError::NotADate`] when the value is in none of the three forms or
/// names an impossible date or time.
pub fn parse_http_date(value: &str) -> Result<UnixMillis, HeaderError> {
    let mut parts = value.split_ascii_whitespace();
    let first = parts.next().ok_or(HeaderError::Empty)?;
    let rest: ([Option<&str>; 5], usize) = collect5(parts);
    let comma = first.ends_with(',');
    let fields = match rest {
        // IMF-fixdate: "Sun," "06" "Nov" "1994" "08:49:37" "GMT"
        ([Some(d), Some(m), Some(y), Some(t), Some(z)], 5) if comma => {
            gmt(z)?;
            DateFields::new(d, m, y, t)?
        }
        // RFC 850: "Sunday," "06-Nov-94" "08:49:37" "GMT"
        ([Some(dmy), Some(t), Some(z), None, None], 3) if comma => {
            gmt(z)?;
            let mut pieces = dmy.split('-');
            match (pieces.next(), pieces.next(), pieces.next(), pieces.next()) {
                (Some(d), Some(m), Some(y), None) => {
                    let mut f = DateFields::new(d, m, y, t)?;
                    if y.len() == 2 {
                        // RFC 9110: a two-digit year more than 50 years in the
                        // future means the past century; we read 70-99 as 19xx.
                        f.year += if f.year < 70 { 2000 } else { 1900 };
                    }
                    f
                }
                _ => return Err(HeaderError::NotADate),
            }
        }
        // asctime: "Sun" "Nov" "6" "08:49:37" "1994"
        ([Some(m), Some(d), Some(t), Some(y), None], 4) if !comma => DateFields::new(d, m, y, t)?,
        _ => return Err(HeaderError::NotADate),
    };
    fields.to_unix_millis()
}

fn collect5<'a>(mut it: impl Iterator<Item = &'a str>) -> ([Option<&'a str>; 5], usize) {
    let mut out = [None; 5];
    let mut n = 0;
    for slot in &mut out {
        *slot = it.next();
        if slot.is_some() {
            n += 1;
        }
    }
    if it.next().is_some() {
        // Too many parts: no form has more than six.
        return ([None; 5], usize::MAX);
    }
    (out, n)
}

fn gmt(zone: &str) -> Result<(), HeaderError> {
    if zone == "GMT" || zone == "UTC" {
        Ok(())
    } else {
        Err(HeaderError::NotADate)
    }
}

struct DateFields {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
}

impl DateFields {
    fn new(day: &str, month: &str, year: &str, time: &str) -> Result<Self, HeaderError> {
        let num = |s: &str| parse_decimal(s).map_err(|_| HeaderError::NotADate);
        let month = MONTHS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(month))
            .ok_or(HeaderError::NotADate)?;
        let mut hms = time.split(':');
        let (h, m, s) = match (hms.next(), hms.next(), hms.next(), hms.next()) {
            (Some(h), Some(m), Some(s), None) => (num(h)?, num(m)?, num(s)?),
            _ => return Err(HeaderError::NotADate),
        };
        let fields = DateFields {
            year: num(year)?,
            month: month as u64 + 1,
            day: num(day)?,
            hour: h,
            minute: m,
            second: s,
        };
        // 60 allows a leap second.
        if fields.day == 0 || fields.day > 31 || h > 23 || m > 59 || s > 60 {
            return Err(HeaderError::NotADate);
        }
        Ok(fields)
    }

    fn to_unix_millis(&self) -> Result<UnixMillis, HeaderError> {
        if self.year > 9999 {
            return Err(HeaderError::NotADate);
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days
            .saturating_mul(86_400)
            .saturating_add((self.hour * 3600 + self.minute * 60 + self.second) as i64);
        Ok(UnixMillis(
            u64::try_from(secs).unwrap_or(0).saturating_mul(1000),
        ))
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (negative
/// before it). Counts whole 400-year eras from year 0 (shifted so that
/// the year starts in March and the leap day falls last).
fn days_from_civil(year: u64, month: u64, day: u64) -> i64 {
    let y = year as i64 - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month as i64 + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: UnixMillis = UnixMillis(784_111_777_000);

    #[test]
    fn reads_all_three_rfc_9110_forms() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Ok(EXPECTED)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Ok(EXPECTED)
        );
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Ok(EXPECTED));
    }

    #[test]
    fn knows_leap_years_and_the_epoch() {
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Ok(UnixMillis(0))
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Ok(UnixMillis(1_709_208_000_000))
        );
        assert_eq!(
            parse_http_date("Wednesday, 01-Jan-25 00:00:00 GMT"),
            Ok(UnixMillis(1_735_689_600_000))
        );
    }

    #[test]
    fn malformed_dates_are_errors_not_panics() {
        for bad in [
            "",
            "tomorrow",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 99999999999999999999999 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra words here",
            "Sunday, 06-Nov 08:49:37 GMT",
            "Sun Nov 6 08:49:37",
        ] {
            assert!(parse_http_date(bad).is_err(), "{bad:?}");
        }
    }
}
