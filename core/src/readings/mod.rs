//! Meters and meter readings.
//!
//! A reading is created on the device with a UUIDv7 id, queued offline and synced exactly once.
//! Values are fixed-point ([`MeterValue`]) so that the phone and the server compare digits, not
//! floating-point approximations.

use std::{fmt, str::FromStr};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ids::{AccountId, ApartmentId, MeterId, ReadingId},
    property::UtilityKind,
};

pub mod validation;

/// Errors from parsing meter values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not a non-negative decimal number with at most three fractional digits.
    #[error("not a meter value: {0:?} (digits, optionally a point and up to three decimals)")]
    Malformed(String),
}

/// A non-negative meter value in thousandths of the meter's unit (m³, kWh, Gcal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeterValue(pub u64);

impl MeterValue {
    /// Thousandths per unit.
    pub const SCALE: u64 = 1000;

    /// Whole units (digits before the point).
    pub fn whole(self) -> u64 {
        self.0 / Self::SCALE
    }
}

impl fmt::Display for MeterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / Self::SCALE, self.0 % Self::SCALE)
    }
}

impl FromStr for MeterValue {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ValueError::Malformed(s.chars().take(32).collect());
        let s = s.trim();
        let (int, frac) = match s.split_once(['.', ',']) {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty()
            || int.len() > 15
            || frac.len() > 3
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: u64 = int.parse().map_err(|_| bad())?;
        let mut thousandths: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            thousandths += u64::from(b - b'0') * 10u64.pow(2 - i as u32);
        }
        whole
            .checked_mul(Self::SCALE)
            .and_then(|w| w.checked_add(thousandths))
            .map(MeterValue)
            .ok_or_else(bad)
    }
}

impl Serialize for MeterValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MeterValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for MeterValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .examples([serde_json::json!("01234.567")])
            .description(Some("Decimal meter value, at most three fractional digits"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for MeterValue {}

/// The tariff zone of one value (multi-tariff electricity meters give up to four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Tariff {
    /// Single-tariff meters, and the only value of water/heat/gas meters.
    Single,
    /// Day zone (T1).
    Day,
    /// Night zone (T2).
    Night,
    /// Peak zone.
    Peak,
    /// Half-peak zone.
    HalfPeak,
}

/// A meter as the field knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Meter {
    /// Stable id.
    pub id: MeterId,
    /// The apartment it measures.
    pub apartment_id: ApartmentId,
    /// The account its readings are billed to.
    pub account_id: AccountId,
    /// What it measures.
    pub kind: UtilityKind,
    /// Serial number printed on the meter.
    pub serial: String,
    /// Digits before the point on the dial.
    pub integer_digits: u8,
    /// Digits after the point on the dial (0–3).
    pub fraction_digits: u8,
    /// The tariff zones it reports, in dial order (`[Single]` for most meters).
    pub tariffs: Vec<Tariff>,
    /// Installed on.
    pub installed_on: NaiveDate,
    /// Next mandatory verification (поверка); readings after it are kept but flagged.
    pub next_verification_on: Option<NaiveDate>,
    /// The meter this one replaced: its first value may be lower than the old meter's last.
    pub replaces: Option<MeterId>,
}

/// One value of a reading, for one tariff zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct TariffValue {
    /// Zone.
    pub tariff: Tariff,
    /// Value on the dial.
    pub value: MeterValue,
}

/// A reading as the resident submits it: the content that is deduplicated on `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Reading {
    /// Client-generated UUIDv7, the idempotency key forever.
    pub id: ReadingId,
    /// The meter read.
    pub meter_id: MeterId,
    /// One value per tariff zone of the meter.
    pub values: Vec<TariffValue>,
    /// When the resident read the dial (device clock; kept as data, never trusted for deadlines).
    pub taken_at: DateTime<Utc>,
    /// The resident confirmed an unusually large consumption jump.
    #[serde(default)]
    pub confirmed_jump: bool,
}
