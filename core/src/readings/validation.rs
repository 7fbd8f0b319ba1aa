//! The rules a meter reading must pass, shared by the phone and the server.
//!
//! Pure functions, no I/O and no clock of their own: the caller hands in the meter, the meter's
//! earlier accepted readings, the submission window and "now" (server time on the server; device
//! time on the phone, where the verdict is only a preview). One implementation, so the phone can
//! never accept locally what the server will refuse, and the other way round.
//!
//! Hard rules give a [`Rejection`] with a stable [`RuleCode`] and a message for the resident.
//! Soft rules keep the reading and mark it: `late` (outside the provider's window) and
//! `verification_overdue` (the meter is past its mandatory verification).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::readings::{Meter, MeterValue, Reading, TariffValue};

/// A consumption rate above this multiple of the meter's own average needs confirmation.
pub const JUMP_FACTOR: u128 = 3;
/// The meter's history must span at least this many days before jumps are judged.
pub const JUMP_MIN_HISTORY_DAYS: i64 = 28;
/// A jump smaller than this (in thousandths of a unit) is never worth asking about.
pub const JUMP_MIN_DELTA: u64 = MeterValue::SCALE;
/// Residents are reminded of a verification this many days ahead.
pub const VERIFICATION_REMINDER_DAYS: u64 = 30;

const SECONDS_PER_DAY: i64 = 86_400;

/// Stable codes of the hard rules (the wire spelling is [`RuleCode::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleCode {
    /// The reading names another meter than the one it is checked against.
    WrongMeter,
    /// A tariff zone of the meter has no value.
    MissingTariff,
    /// A value names a tariff zone the meter does not have.
    UnknownTariff,
    /// Two values name the same tariff zone.
    DuplicateTariff,
    /// A value has more digits before the point than the meter's dial.
    TooManyDigits,
    /// A value has more digits after the point than the meter's dial.
    TooManyDecimals,
    /// A value is below the meter's previous reading (and the meter was not replaced).
    BelowPrevious,
    /// Consumption far above the meter's own history, not confirmed by the resident.
    UnconfirmedJump,
}

impl RuleCode {
    /// The stable spelling used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::WrongMeter => "wrong_meter",
            RuleCode::MissingTariff => "missing_tariff",
            RuleCode::UnknownTariff => "unknown_tariff",
            RuleCode::DuplicateTariff => "duplicate_tariff",
            RuleCode::TooManyDigits => "too_many_digits",
            RuleCode::TooManyDecimals => "too_many_decimals",
            RuleCode::BelowPrevious => "below_previous",
            RuleCode::UnconfirmedJump => "unconfirmed_jump",
        }
    }
}

/// Why a reading was refused: a stable code and a message the resident can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Stable rule code.
    pub code: RuleCode,
    /// Message for the resident.
    pub message: String,
}

/// The days of the month a provider takes readings on time (inclusive). `start_day > end_day`
/// means the window spans the turn of the month (e.g. the 25th to the 5th).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionWindow {
    /// First day of the month readings are on time (1–31).
    pub start_day: u8,
    /// Last day of the month readings are on time (1–31).
    pub end_day: u8,
}

impl SubmissionWindow {
    /// Whether a reading received on `day` is on time.
    pub fn contains(self, day: NaiveDate) -> bool {
        let d = day.day();
        let (start, end) = (u32::from(self.start_day), u32::from(self.end_day));
        if start <= end {
            // An end day past the month's length (31 in April) simply covers the month's end.
            (start..=end).contains(&d)
        } else {
            d >= start || d <= end
        }
    }
}

/// Everything the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct ValidationInput<'a> {
    /// The meter read.
    pub meter: &'a Meter,
    /// Earlier accepted readings of this meter, in any order. Readings of other meters (such as
    /// the meter this one replaced) are ignored: a replacement starts a new series.
    pub history: &'a [Reading],
    /// The new reading.
    pub reading: &'a Reading,
    /// The provider's submission window, when known.
    pub window: Option<SubmissionWindow>,
    /// Server time on the server, device time on the phone.
    pub now: DateTime<Utc>,
}

/// The result of checking one reading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// The first hard rule that failed; `None` means the reading is kept.
    pub rejection: Option<Rejection>,
    /// The only failure is an unconfirmed jump: ask the resident and resubmit with
    /// `confirmed_jump` (the rejection is then [`RuleCode::UnconfirmedJump`]).
    pub needs_confirmation: bool,
    /// Outside the provider's submission window: kept and sent, marked late.
    pub late: bool,
    /// The meter is past its verification date: kept, flagged.
    pub verification_overdue: bool,
    /// The meter's verification date is within [`VERIFICATION_REMINDER_DAYS`]: remind the resident.
    pub verification_due_soon: bool,
}

impl Verdict {
    /// Whether the reading is kept (possibly late or flagged).
    pub fn is_accepted(&self) -> bool {
        self.rejection.is_none()
    }
}

/// Applies every rule to a reading.
pub fn validate(input: ValidationInput<'_>) -> Verdict {
    let today = input.now.date_naive();
    let mut verdict = Verdict {
        late: input.window.is_some_and(|w| !w.contains(today)),
        ..Verdict::default()
    };
    if let Some(due) = input.meter.next_verification_on {
        verdict.verification_overdue = today > due;
        verdict.verification_due_soon = !verdict.verification_overdue
            && today
                .checked_add_days(Days::new(VERIFICATION_REMINDER_DAYS))
                .is_some_and(|soon| soon > due);
    }
    let hard = check_shape(input.meter, input.reading)
        .and_then(|()| check_not_below_previous(input.meter, input.history, input.reading));
    match hard {
        Err(rejection) => verdict.rejection = Some(rejection),
        Ok(()) => {
            if !input.reading.confirmed_jump
                && let Some(rejection) = check_jump(input.meter, input.history, input.reading)
            {
                verdict.needs_confirmation = true;
                verdict.rejection = Some(rejection);
            }
        }
    }
    verdict
}

fn reject(code: RuleCode, message: String) -> Result<(), Rejection> {
    Err(Rejection { code, message })
}

/// Tariffs and digits: what can be judged from the meter and the reading alone.
fn check_shape(meter: &Meter, reading: &Reading) -> Result<(), Rejection> {
    if reading.meter_id != meter.id {
        return reject(
            RuleCode::WrongMeter,
            "This reading belongs to another meter.".into(),
        );
    }
    let mut seen = BTreeSet::new();
    for v in &reading.values {
        if !meter.tariffs.contains(&v.tariff) {
            return reject(
                RuleCode::UnknownTariff,
                format!("This meter has no {} zone.", tariff_name(v.tariff)),
            );
        }
        if !seen.insert(v.tariff) {
            return reject(
                RuleCode::DuplicateTariff,
                format!(
                    "The {} zone is given twice; enter one value per zone.",
                    tariff_name(v.tariff)
                ),
            );
        }
    }
    if let Some(missing) = meter.tariffs.iter().find(|t| !seen.contains(*t)) {
        return reject(
            RuleCode::MissingTariff,
            format!("Enter the {} zone value too.", tariff_name(*missing)),
        );
    }
    let max_whole = 10u64.checked_pow(u32::from(meter.integer_digits));
    let fraction_digits = meter.fraction_digits.min(3);
    let step = 10u64.pow(3 - u32::from(fraction_digits));
    for v in &reading.values {
        if max_whole.is_some_and(|max| v.value.whole() >= max) {
            return reject(
                RuleCode::TooManyDigits,
                format!(
                    "{} has more digits before the point than the meter's {}.",
                    v.value, meter.integer_digits
                ),
            );
        }
        if v.value.0 % step != 0 {
            return reject(
                RuleCode::TooManyDecimals,
                format!(
                    "The meter shows {} digit(s) after the point; {} has more.",
                    fraction_digits, v.value
                ),
            );
        }
    }
    Ok(())
}

/// This meter's own history (replacement starts a new series), oldest first.
fn own_history<'a>(meter: &Meter, history: &'a [Reading], reading: &Reading) -> Vec<&'a Reading> {
    let mut own: Vec<&Reading> = history
        .iter()
        .filter(|r| r.meter_id == meter.id && r.id != reading.id)
        .collect();
    own.sort_by_key(|r| (r.taken_at, r.id));
    own
}

fn value_of(values: &[TariffValue], tariff: crate::readings::Tariff) -> Option<MeterValue> {
    values.iter().find(|v| v.tariff == tariff).map(|v| v.value)
}

fn check_not_below_previous(
    meter: &Meter,
    history: &[Reading],
    reading: &Reading,
) -> Result<(), Rejection> {
    let own = own_history(meter, history, reading);
    // The previous reading is the latest one taken at or before this one; a backdated reading is
    // compared with what came before it, not with later ones.
    let Some(previous) = own.iter().rev().find(|r| r.taken_at <= reading.taken_at) else {
        return Ok(());
    };
    for v in &reading.values {
        if let Some(before) = value_of(&previous.values, v.tariff)
            && v.value < before
        {
            return reject(
                RuleCode::BelowPrevious,
                format!(
                    "{} is below the previous reading {} of this meter. Check the digits; if the \
                     meter was replaced, ask your company to register the new meter.",
                    v.value, before
                ),
            );
        }
    }
    Ok(())
}

/// Compares the rate since the previous reading with the meter's average rate, in integers so
/// that the phone and the server agree to the digit.
fn check_jump(meter: &Meter, history: &[Reading], reading: &Reading) -> Option<Rejection> {
    let own = own_history(meter, history, reading);
    let before: Vec<&&Reading> = own
        .iter()
        .filter(|r| r.taken_at <= reading.taken_at)
        .collect();
    let (first, last) = (before.first()?, before.last()?);
    let history_secs = (last.taken_at - first.taken_at).num_seconds();
    if history_secs < JUMP_MIN_HISTORY_DAYS * SECONDS_PER_DAY {
        return None;
    }
    // Readings taken the same day would make any delta look like a huge rate.
    let new_secs = (reading.taken_at - last.taken_at)
        .num_seconds()
        .max(SECONDS_PER_DAY);
    for v in &reading.values {
        let (Some(old_first), Some(old_last)) = (
            value_of(&first.values, v.tariff),
            value_of(&last.values, v.tariff),
        ) else {
            continue;
        };
        let history_delta = u128::from(old_last.0.saturating_sub(old_first.0));
        let new_delta = v.value.0.saturating_sub(old_last.0);
        if new_delta < JUMP_MIN_DELTA {
            continue;
        }
        // new_delta / new_secs > FACTOR * history_delta / history_secs, cross-multiplied.
        let lhs = u128::from(new_delta) * history_secs as u128;
        let rhs = JUMP_FACTOR * history_delta * new_secs as u128;
        if lhs > rhs {
            return Some(Rejection {
                code: RuleCode::UnconfirmedJump,
                message: format!(
                    "{} means much more consumption than usual for this meter (over {}× its \
                     average). Check the digits and confirm if the value is right.",
                    v.value, JUMP_FACTOR
                ),
            });
        }
    }
    None
}

fn tariff_name(t: crate::readings::Tariff) -> &'static str {
    use crate::readings::Tariff;
    match t {
        Tariff::Single => "single",
        Tariff::Day => "day",
        Tariff::Night => "night",
        Tariff::Peak => "peak",
        Tariff::HalfPeak => "half-peak",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::{
        ids::{AccountId, ApartmentId, MeterId, ReadingId},
        property::UtilityKind,
        readings::Tariff,
    };

    fn meter(tariffs: Vec<Tariff>) -> Meter {
        Meter {
            id: MeterId(Uuid::from_u128(1)),
            apartment_id: ApartmentId(Uuid::from_u128(2)),
            account_id: AccountId(Uuid::from_u128(3)),
            kind: UtilityKind::ColdWater,
            serial: "X-1".into(),
            integer_digits: 5,
            fraction_digits: 3,
            tariffs,
            installed_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            next_verification_on: None,
            replaces: None,
        }
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap()
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn reading(
        n: u128,
        meter: &Meter,
        values: &[(Tariff, &str)],
        taken_at: DateTime<Utc>,
    ) -> Reading {
        Reading {
            id: ReadingId(Uuid::from_u128(100 + n)),
            meter_id: meter.id,
            values: values
                .iter()
                .map(|(t, v)| TariffValue {
                    tariff: *t,
                    value: v.parse().unwrap(),
                })
                .collect(),
            taken_at,
            confirmed_jump: false,
        }
    }

    fn check(meter: &Meter, history: &[Reading], new: &Reading) -> Verdict {
        validate(ValidationInput {
            meter,
            history,
            reading: new,
            window: None,
            now: new.taken_at,
        })
    }

    fn code(v: &Verdict) -> Option<RuleCode> {
        v.rejection.as_ref().map(|r| r.code)
    }

    #[test]
    fn a_plain_reading_on_a_fresh_meter_is_accepted_without_marks() {
        let m = meter(vec![Tariff::Single]);
        let v = check(
            &m,
            &[],
            &reading(1, &m, &[(Tariff::Single, "12.345")], day(20)),
        );
        assert_eq!(v, Verdict::default());
        assert!(v.is_accepted());
    }

    #[test]
    fn a_reading_below_the_previous_one_is_rejected_with_both_values_in_the_message() {
        let m = meter(vec![Tariff::Single]);
        let old = reading(1, &m, &[(Tariff::Single, "100")], at(2026, 2, 20));
        let v = check(
            &m,
            &[old],
            &reading(2, &m, &[(Tariff::Single, "99.999")], day(20)),
        );
        assert_eq!(code(&v), Some(RuleCode::BelowPrevious));
        let msg = &v.rejection.unwrap().message;
        assert!(msg.contains("99.999") && msg.contains("100.000"), "{msg}");
    }

    #[test]
    fn an_equal_reading_is_not_below_the_previous_one() {
        let m = meter(vec![Tariff::Single]);
        let old = reading(1, &m, &[(Tariff::Single, "100")], at(2026, 2, 20));
        let v = check(
            &m,
            &[old],
            &reading(2, &m, &[(Tariff::Single, "100")], day(20)),
        );
        assert!(v.is_accepted());
    }

    #[test]
    fn a_replacement_meter_starts_a_new_series_below_the_old_meters_last_value() {
        let old_meter = meter(vec![Tariff::Single]);
        let mut new_meter = meter(vec![Tariff::Single]);
        new_meter.id = MeterId(Uuid::from_u128(9));
        new_meter.replaces = Some(old_meter.id);
        let old = reading(1, &old_meter, &[(Tariff::Single, "54321")], at(2026, 2, 20));
        let v = check(
            &new_meter,
            &[old],
            &reading(2, &new_meter, &[(Tariff::Single, "0.5")], day(20)),
        );
        assert!(v.is_accepted(), "{v:?}");
    }

    #[test]
    fn a_backdated_reading_is_compared_with_the_reading_before_it() {
        let m = meter(vec![Tariff::Single]);
        let jan = reading(1, &m, &[(Tariff::Single, "100")], at(2026, 1, 20));
        let mar = reading(2, &m, &[(Tariff::Single, "120")], at(2026, 3, 20));
        let feb = reading(3, &m, &[(Tariff::Single, "110")], at(2026, 2, 20));
        assert!(check(&m, &[jan.clone(), mar.clone()], &feb).is_accepted());
        let feb_low = reading(4, &m, &[(Tariff::Single, "90")], at(2026, 2, 20));
        assert_eq!(
            code(&check(&m, &[jan, mar], &feb_low)),
            Some(RuleCode::BelowPrevious)
        );
    }

    #[test]
    fn a_value_with_more_integer_digits_than_the_dial_is_rejected() {
        let m = meter(vec![Tariff::Single]);
        assert!(
            check(
                &m,
                &[],
                &reading(1, &m, &[(Tariff::Single, "99999.999")], day(20))
            )
            .is_accepted()
        );
        let v = check(
            &m,
            &[],
            &reading(2, &m, &[(Tariff::Single, "100000")], day(20)),
        );
        assert_eq!(code(&v), Some(RuleCode::TooManyDigits));
    }

    #[test]
    fn a_value_with_more_fraction_digits_than_the_dial_is_rejected() {
        let mut m = meter(vec![Tariff::Single]);
        m.fraction_digits = 1;
        assert!(
            check(
                &m,
                &[],
                &reading(1, &m, &[(Tariff::Single, "12.300")], day(20))
            )
            .is_accepted()
        );
        let v = check(
            &m,
            &[],
            &reading(2, &m, &[(Tariff::Single, "12.34")], day(20)),
        );
        assert_eq!(code(&v), Some(RuleCode::TooManyDecimals));
        m.fraction_digits = 0;
        let v = check(
            &m,
            &[],
            &reading(3, &m, &[(Tariff::Single, "12.3")], day(20)),
        );
        assert_eq!(code(&v), Some(RuleCode::TooManyDecimals));
    }

    #[test]
    fn a_multi_tariff_meter_needs_exactly_one_value_per_zone() {
        let m = meter(vec![Tariff::Day, Tariff::Night]);
        let ok = reading(1, &m, &[(Tariff::Night, "5"), (Tariff::Day, "7")], day(20));
        assert!(check(&m, &[], &ok).is_accepted());
        let missing = reading(2, &m, &[(Tariff::Day, "7")], day(20));
        assert_eq!(
            code(&check(&m, &[], &missing)),
            Some(RuleCode::MissingTariff)
        );
        let unknown = reading(3, &m, &[(Tariff::Day, "7"), (Tariff::Peak, "1")], day(20));
        assert_eq!(
            code(&check(&m, &[], &unknown)),
            Some(RuleCode::UnknownTariff)
        );
        let twice = reading(4, &m, &[(Tariff::Day, "7"), (Tariff::Day, "8")], day(20));
        assert_eq!(
            code(&check(&m, &[], &twice)),
            Some(RuleCode::DuplicateTariff)
        );
    }

    #[test]
    fn each_tariff_zone_is_compared_with_its_own_previous_value() {
        let m = meter(vec![Tariff::Day, Tariff::Night]);
        let old = reading(
            1,
            &m,
            &[(Tariff::Day, "100"), (Tariff::Night, "50")],
            at(2026, 2, 20),
        );
        let night_down = reading(
            2,
            &m,
            &[(Tariff::Day, "101"), (Tariff::Night, "49")],
            day(20),
        );
        assert_eq!(
            code(&check(&m, &[old], &night_down)),
            Some(RuleCode::BelowPrevious)
        );
    }

    #[test]
    fn a_reading_for_another_meter_is_rejected() {
        let m = meter(vec![Tariff::Single]);
        let mut r = reading(1, &m, &[(Tariff::Single, "1")], day(20));
        r.meter_id = MeterId(Uuid::from_u128(77));
        assert_eq!(code(&check(&m, &[], &r)), Some(RuleCode::WrongMeter));
    }

    fn steady_history(m: &Meter) -> Vec<Reading> {
        // 10 units a month for three months.
        vec![
            reading(1, m, &[(Tariff::Single, "100")], at(2025, 12, 1)),
            reading(2, m, &[(Tariff::Single, "110")], at(2026, 1, 1)),
            reading(3, m, &[(Tariff::Single, "120")], at(2026, 2, 1)),
        ]
    }

    #[test]
    fn a_jump_over_three_times_the_average_needs_confirmation_and_passes_once_confirmed() {
        let m = meter(vec![Tariff::Single]);
        let history = steady_history(&m);
        let mut jump = reading(9, &m, &[(Tariff::Single, "160")], at(2026, 3, 1));
        let v = check(&m, &history, &jump);
        assert!(v.needs_confirmation);
        assert_eq!(code(&v), Some(RuleCode::UnconfirmedJump));
        jump.confirmed_jump = true;
        assert_eq!(check(&m, &history, &jump), Verdict::default());
    }

    #[test]
    fn consumption_up_to_three_times_the_average_needs_no_confirmation() {
        let m = meter(vec![Tariff::Single]);
        let v = check(
            &m,
            &steady_history(&m),
            &reading(9, &m, &[(Tariff::Single, "145")], at(2026, 3, 1)),
        );
        assert!(v.is_accepted() && !v.needs_confirmation, "{v:?}");
    }

    #[test]
    fn jumps_are_not_judged_on_a_history_shorter_than_the_minimum() {
        let m = meter(vec![Tariff::Single]);
        let history = vec![
            reading(1, &m, &[(Tariff::Single, "100")], at(2026, 2, 1)),
            reading(2, &m, &[(Tariff::Single, "101")], at(2026, 2, 10)),
        ];
        let v = check(
            &m,
            &history,
            &reading(9, &m, &[(Tariff::Single, "500")], at(2026, 3, 1)),
        );
        assert!(v.is_accepted(), "{v:?}");
    }

    #[test]
    fn a_second_reading_on_the_same_day_is_not_read_as_a_huge_rate() {
        let m = meter(vec![Tariff::Single]);
        let mut history = steady_history(&m);
        history.push(reading(4, &m, &[(Tariff::Single, "130")], at(2026, 3, 1)));
        let later_same_day = at(2026, 3, 1) + chrono::Duration::hours(2);
        let v = check(
            &m,
            &history,
            &reading(9, &m, &[(Tariff::Single, "130.5")], later_same_day),
        );
        assert!(v.is_accepted(), "{v:?}");
    }

    #[test]
    fn a_reading_outside_the_window_is_kept_and_marked_late() {
        let m = meter(vec![Tariff::Single]);
        let r = reading(1, &m, &[(Tariff::Single, "1")], day(10));
        let window = Some(SubmissionWindow {
            start_day: 15,
            end_day: 25,
        });
        let verdict_at = |now| {
            validate(ValidationInput {
                meter: &m,
                history: &[],
                reading: &r,
                window,
                now,
            })
        };
        let early = verdict_at(day(14));
        assert!(early.is_accepted() && early.late);
        assert!(!verdict_at(day(15)).late);
        assert!(!verdict_at(day(25)).late);
        assert!(verdict_at(day(26)).late);
    }

    #[test]
    fn a_window_across_the_turn_of_the_month_wraps() {
        let w = SubmissionWindow {
            start_day: 25,
            end_day: 5,
        };
        assert!(w.contains(NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()));
        assert!(w.contains(NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()));
        assert!(!w.contains(NaiveDate::from_ymd_opt(2026, 4, 10).unwrap()));
        let to_month_end = SubmissionWindow {
            start_day: 20,
            end_day: 31,
        };
        assert!(to_month_end.contains(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap()));
    }

    #[test]
    fn a_reading_on_a_meter_past_verification_is_kept_and_flagged() {
        let mut m = meter(vec![Tariff::Single]);
        m.next_verification_on = NaiveDate::from_ymd_opt(2026, 3, 1);
        let v = check(&m, &[], &reading(1, &m, &[(Tariff::Single, "1")], day(20)));
        assert!(v.is_accepted() && v.verification_overdue && !v.verification_due_soon);
        m.next_verification_on = NaiveDate::from_ymd_opt(2026, 4, 5);
        let v = check(&m, &[], &reading(2, &m, &[(Tariff::Single, "1")], day(20)));
        assert!(!v.verification_overdue && v.verification_due_soon);
    }

    #[test]
    fn rule_codes_serialize_as_their_stable_spelling() {
        for code in [
            RuleCode::WrongMeter,
            RuleCode::MissingTariff,
            RuleCode::UnknownTariff,
            RuleCode::DuplicateTariff,
            RuleCode::TooManyDigits,
            RuleCode::TooManyDecimals,
            RuleCode::BelowPrevious,
            RuleCode::UnconfirmedJump,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }
}
