//! Calendar dates for date-range partitions.
//!
//! A spec only ever needs proleptic Gregorian dates written `YYYY-MM-DD`, to
//! validate them and to walk a range day by day, so this small type does just
//! that instead of pulling in a date-time library.

use std::fmt;
use std::str::FromStr;

/// A real calendar date (`2024-02-29` exists, `2024-02-30` does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a string is not a [`Date`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    Format,
    /// Well formed, but no such day (`2024-02-30`, `2023-13-01`).
    NoSuchDay,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateError::Format => "a date must be written YYYY-MM-DD",
            DateError::NoSuchDay => "no such day in the calendar",
        })
    }
}

impl Date {
    /// The date, if `year-month-day` exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// The day after this one (saturating at 9999-12-31).
    pub fn succ(self) -> Date {
        let Date { year, month, day } = self;
        if day < days_in_month(year, month) {
            Date {
                day: day + 1,
                ..self
            }
        } else if month < 12 {
            Date {
                month: month + 1,
                day: 1,
                ..self
            }
        } else if year < 9999 {
            Date {
                year: year + 1,
                month: 1,
                day: 1,
            }
        } else {
            self
        }
    }

    /// Days since 0000-03-01, so that ranges can be measured without walking them.
    pub fn ordinal(self) -> i64 {
        // Howard Hinnant's days_from_civil, shifted so the year starts in March.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<u16> {
            b[r].iter().try_fold(0u16, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
            })
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Format);
        }
        let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
            return Err(DateError::Format);
        };
        // m and d have two digits, so they fit in a u8.
        Date::new(y, m as u8, d as u8).ok_or(DateError::NoSuchDay)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|e| serde::de::Error::custom(format!("`{s}`: {e}")))
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "title": "Date",
            "description": "A calendar date, YYYY-MM-DD (quoted or not).",
            "examples": ["2024-01-31"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_days_only() {
        assert_eq!(
            "2024-02-29".parse::<Date>().unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!("2023-02-29".parse::<Date>(), Err(DateError::NoSuchDay));
        assert_eq!("2024-02-30".parse::<Date>(), Err(DateError::NoSuchDay));
        assert_eq!("2024-13-01".parse::<Date>(), Err(DateError::NoSuchDay));
        assert!(
            "0000-02-29".parse::<Date>().is_ok(),
            "RFC 3339 allows year 0, a leap year"
        );
        assert_eq!("1900-02-29".parse::<Date>(), Err(DateError::NoSuchDay));
        assert!("2000-02-29".parse::<Date>().is_ok());
        for bad in [
            "24-01-31",
            "2024-1-31",
            "2024/01/31",
            "2024-01-31T00:00:00",
            "",
            "２０２４-01-31",
        ] {
            assert_eq!(bad.parse::<Date>(), Err(DateError::Format), "{bad}");
        }
    }

    #[test]
    fn succ_and_ordinal_agree_across_years() {
        let mut d: Date = "1999-12-25".parse().unwrap();
        let start = d.ordinal();
        for i in 1..=800 {
            d = d.succ();
            assert_eq!(d.ordinal() - start, i);
        }
        assert_eq!(d.to_string(), "2002-03-04");
    }
}
