//! Time stamp precisions and resolutions, and libpcap's conversion between
//! them.

/// The precision a caller wants time stamps in (libpcap's
/// `PCAP_TSTAMP_PRECISION_MICRO` / `_NANO`). It is also the precision a
/// [`Writer`](super::Writer) writes: microsecond or nanosecond pcap magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Fractions of a second are microseconds.
    Micro,
    /// Fractions of a second are nanoseconds.
    Nano,
}

impl Precision {
    /// Fractional units per second.
    pub fn units_per_second(self) -> u64 {
        match self {
            Precision::Micro => 1_000_000,
            Precision::Nano => 1_000_000_000,
        }
    }

    /// libpcap's `PCAP_TSTAMP_PRECISION_*` value.
    pub fn as_pcap_value(self) -> u32 {
        match self {
            Precision::Micro => 0,
            Precision::Nano => 1,
        }
    }

    /// From libpcap's `PCAP_TSTAMP_PRECISION_*` value.
    pub fn from_pcap_value(v: u32) -> Option<Precision> {
        match v {
            0 => Some(Precision::Micro),
            1 => Some(Precision::Nano),
            _ => None,
        }
    }
}

/// The resolution time stamps have in the file: `10^-exponent` or
/// `2^-exponent` seconds (pcapng's `if_tsresol`; pcap files are always
/// decimal 6 or 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Units of 10^-n seconds, n <= 19.
    Decimal(u8),
    /// Units of 2^-n seconds, n <= 63.
    Binary(u8),
}

impl Resolution {
    /// The resolution of a pcap file written at `p`.
    pub fn of(p: Precision) -> Resolution {
        match p {
            Precision::Micro => Resolution::Decimal(6),
            Precision::Nano => Resolution::Decimal(9),
        }
    }

    /// Units per second. Exponents are validated when parsed (<= 19 decimal,
    /// <= 63 binary), so this cannot overflow for values the reader makes.
    pub fn units_per_second(self) -> u64 {
        match self {
            Resolution::Decimal(n) => 10u64.saturating_pow(u32::from(n)),
            Resolution::Binary(n) => 1u64.checked_shl(u32::from(n)).unwrap_or(u64::MAX),
        }
    }

    /// The [`Precision`] this resolution is exactly, if any.
    pub fn as_precision(self) -> Option<Precision> {
        match self {
            Resolution::Decimal(6) => Some(Precision::Micro),
            Resolution::Decimal(9) => Some(Precision::Nano),
            _ => None,
        }
    }
}

/// Converts a fraction of a second counted in `from` units to `to` units the
/// way libpcap's pcapng reader does: pass-through when equal; for decimal
/// resolutions multiply or divide by the ratio (truncating); for binary ones
/// `frac * to / from` in wrapping 64-bit arithmetic, overflow included.
pub(crate) fn scale_fraction(frac: u64, from: Resolution, to: Precision) -> u64 {
    let from_units = from.units_per_second();
    let to_units = to.units_per_second();
    if from_units == to_units {
        return frac;
    }
    match from {
        Resolution::Binary(_) => frac.wrapping_mul(to_units) / from_units,
        Resolution::Decimal(_) if from_units > to_units => frac / (from_units / to_units),
        Resolution::Decimal(_) => frac.wrapping_mul(to_units / from_units),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_scaling_truncates() {
        assert_eq!(scale_fraction(123_456_789, Resolution::Decimal(9), Precision::Micro), 123_456);
        assert_eq!(scale_fraction(123_456, Resolution::Decimal(6), Precision::Nano), 123_456_000);
        assert_eq!(scale_fraction(5, Resolution::Decimal(0), Precision::Nano), 5_000_000_000);
        assert_eq!(scale_fraction(999, Resolution::Decimal(12), Precision::Nano), 0);
    }

    #[test]
    fn binary_scaling_multiplies_then_divides() {
        // 2^-20 units: half a second is 2^19.
        assert_eq!(scale_fraction(1 << 19, Resolution::Binary(20), Precision::Micro), 500_000);
        assert_eq!(scale_fraction(1, Resolution::Binary(1), Precision::Nano), 500_000_000);
    }

    #[test]
    fn units() {
        assert_eq!(Resolution::Decimal(19).units_per_second(), 10_000_000_000_000_000_000);
        assert_eq!(Resolution::Binary(63).units_per_second(), 1 << 63);
        assert_eq!(Resolution::of(Precision::Nano).as_precision(), Some(Precision::Nano));
        assert_eq!(Resolution::Binary(10).as_precision(), None);
    }
}
