//! How core's foreign-crate types and id newtypes cross the uniffi boundary (feature `ffi`).
//!
//! Kotlin and Swift see every id, UUID and timestamp as a plain value: ids and UUIDs as strings,
//! instants as milliseconds since the Unix epoch (UTC), dates as ISO `YYYY-MM-DD` strings, signing key
//! ids as their 4 hex digits.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    ids::{
        AccountId, ApartmentId, BuildingId, CompanyId, MeterId, OutageId, PartnerId, ProviderId,
        ReadingId, RegionId, ReportId, UserId, VoucherId,
    },
    qr::KeyId,
    readings::MeterValue,
};

uniffi::custom_type!(Uuid, String, {
    remote,
    try_lift: |s| Ok(Uuid::parse_str(&s)?),
    lower: |u| u.to_string(),
});

/// uniffi's macro takes a single path segment, so the instant type gets an alias.
type Timestamp = DateTime<Utc>;

uniffi::custom_type!(Timestamp, i64, {
    remote,
    try_lift: |ms| Ok(DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| out_of_range(ms))?),
    lower: |t| t.timestamp_millis(),
});

uniffi::custom_type!(NaiveDate, String, {
    remote,
    try_lift: |s| Ok(NaiveDate::parse_from_str(&s, "%Y-%m-%d")?),
    lower: |d| d.format("%Y-%m-%d").to_string(),
});

uniffi::custom_type!(MeterValue, String, {
    try_lift: |s| Ok(s.parse::<MeterValue>()?),
    lower: |v| v.to_string(),
});

uniffi::custom_type!(KeyId, String, {
    try_lift: |s| Ok(s.parse::<KeyId>()?),
    lower: |k| k.to_string(),
});

uniffi::custom_type!(BuildingId, String, { try_lift: |s| Ok(BuildingId(s)), lower: |id| id.0 });
uniffi::custom_type!(CompanyId, String, { try_lift: |s| Ok(CompanyId(s)), lower: |id| id.0 });
uniffi::custom_type!(ProviderId, String, { try_lift: |s| Ok(ProviderId(s)), lower: |id| id.0 });
uniffi::custom_type!(PartnerId, String, { try_lift: |s| Ok(PartnerId(s)), lower: |id| id.0 });
uniffi::custom_type!(RegionId, String, { try_lift: |s| Ok(RegionId(s)), lower: |id| id.0 });
uniffi::custom_type!(ApartmentId, Uuid, { try_lift: |u| Ok(ApartmentId(u)), lower: |id| id.0 });
uniffi::custom_type!(AccountId, Uuid, { try_lift: |u| Ok(AccountId(u)), lower: |id| id.0 });
uniffi::custom_type!(MeterId, Uuid, { try_lift: |u| Ok(MeterId(u)), lower: |id| id.0 });
uniffi::custom_type!(ReadingId, Uuid, { try_lift: |u| Ok(ReadingId(u)), lower: |id| id.0 });
uniffi::custom_type!(ReportId, Uuid, { try_lift: |u| Ok(ReportId(u)), lower: |id| id.0 });
uniffi::custom_type!(OutageId, Uuid, { try_lift: |u| Ok(OutageId(u)), lower: |id| id.0 });
uniffi::custom_type!(VoucherId, Uuid, { try_lift: |u| Ok(VoucherId(u)), lower: |id| id.0 });
uniffi::custom_type!(UserId, Uuid, { try_lift: |u| Ok(UserId(u)), lower: |id| id.0 });

fn out_of_range(ms: i64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("timestamp out of range: {ms} ms"),
    )
}
