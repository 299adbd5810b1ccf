//! Exact money amounts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Sub};

/// An amount of money in cents (hundredths of the record's currency unit).
///
/// Stored as `DECIMAL(18,2)`; kept as an integer here so sums are exact and the
/// generator's output is byte-for-byte reproducible.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Money(pub i64);

impl Money {
    /// The amount `units` whole currency units.
    pub const fn from_units(units: i64) -> Self {
        Money(units * 100)
    }

    /// The nearest whole cent to `amount` currency units.
    pub fn from_f64(amount: f64) -> Self {
        Money((amount * 100.0).round() as i64)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The amount in currency units, for display and statistics.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

/// Quantity times unit price.
impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, quantity: i64) -> Money {
        Money(self.0 * quantity)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_two_decimals_and_sign() {
        assert_eq!(Money(123_456).to_string(), "1234.56");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money::from_units(7).to_string(), "7.00");
    }

    #[test]
    fn rounds_to_the_nearest_cent() {
        assert_eq!(Money::from_f64(10.005_1), Money(1001));
        assert_eq!(Money::from_f64(-0.004), Money(0));
    }
}
