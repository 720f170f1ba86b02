//! The simulated person's calendar: when the computer is on (workdays, evenings, some
//! weekends, no nights, vacations off) and how each on-period splits into not-afk/afk.

use chrono::{Datelike, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::timeline::{allocate, exponential, normal, partition, Span};
use super::vocab::Browser;

const HOUR_US: f64 = 3_600_000_000.0;
const DAY_US: i64 = 86_400_000_000;
/// The person lives at UTC+1: local hours are shifted by this much to get UTC.
const LOCAL_OFFSET_US: i64 = 3_600_000_000;

/// A stretch of time with the computer on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Period {
    pub(crate) span: Span,
    /// The browser used during this period.
    pub(crate) browser: Browser,
}

/// A piece of an on-period in which the user is present (not-afk) or away (afk).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub(crate) span: Span,
    pub(crate) afk: bool,
    /// False when the AFK budget left this period without AFK events (tiny datasets).
    pub(crate) recorded: bool,
    /// Index of the period this segment belongs to.
    pub(crate) period: usize,
}

/// The on-periods of `days` days ending at (excluding) `end_day`, in time order.
pub(crate) fn plan_periods(rng: &mut ChaCha8Rng, end_day: NaiveDate, days: u32) -> Vec<Period> {
    let first_day = end_day - chrono::Days::new(u64::from(days));
    let vacations = plan_vacations(rng, days);
    let mut periods = Vec::new();
    for day_idx in 0..days {
        let date = first_day + chrono::Days::new(u64::from(day_idx));
        let local_midnight = date_micros(date) - LOCAL_OFFSET_US;
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let on_vacation = vacations
            .iter()
            .any(|(from, to)| (*from..*to).contains(&day_idx));
        let is_last = day_idx + 1 == days;
        if !weekend && !on_vacation && (is_last || !rng.random_bool(0.04)) {
            push_workday(rng, local_midnight, &mut periods);
        } else if rng.random_bool(if weekend { 0.35 } else { 0.15 })
            || (is_last && periods.is_empty())
        {
            let start = 10.0 + 10.0 * rng.random::<f64>();
            let length = 0.5 + 3.0 * rng.random::<f64>();
            push_period(
                rng,
                local_midnight,
                (start, length),
                Browser::Firefox,
                0.75,
                &mut periods,
            );
        }
    }
    periods
}

/// Splits every period into alternating not-afk/afk segments so that exactly
/// `afk_events` segments are recorded in total (longer periods get more of them).
pub(crate) fn split_afk(
    rng: &mut ChaCha8Rng,
    periods: &[Period],
    afk_events: usize,
) -> Vec<Segment> {
    let lengths: Vec<f64> = periods
        .iter()
        .map(|p| (p.span.1 - p.span.0) as f64)
        .collect();
    let counts = allocate(afk_events, &lengths);
    let mut segments = Vec::with_capacity(afk_events + periods.len());
    for (period_idx, (period, count)) in periods.iter().zip(counts).enumerate() {
        if count == 0 {
            segments.push(Segment {
                span: period.span,
                afk: false,
                recorded: false,
                period: period_idx,
            });
            continue;
        }
        // Present stretches are on average three times as long as absences.
        let weights: Vec<f64> = (0..count)
            .map(|idx| {
                let mean = if idx % 2 == 0 { 3.0 } else { 1.0 };
                0.05 + exponential(rng, mean)
            })
            .collect();
        for (idx, span) in partition(period.span, &weights).into_iter().enumerate() {
            segments.push(Segment {
                span,
                afk: idx % 2 == 1,
                recorded: true,
                period: period_idx,
            });
        }
    }
    segments
}

/// Two vacation blocks (one or two weeks each) for datasets longer than two months.
fn plan_vacations(rng: &mut ChaCha8Rng, days: u32) -> Vec<(u32, u32)> {
    if days < 60 {
        return Vec::new();
    }
    (0..2)
        .map(|_| {
            let length = rng.random_range(5..14);
            let start = rng.random_range(0..days - length);
            (start, start + length)
        })
        .collect()
}

fn push_workday(rng: &mut ChaCha8Rng, local_midnight: i64, periods: &mut Vec<Period>) {
    let start = (8.5 + 0.6 * normal(rng)).clamp(6.5, 11.0);
    let end = (17.5 + 0.8 * normal(rng)).clamp(start + 4.0, 21.0);
    push_period(
        rng,
        local_midnight,
        (start, end - start),
        Browser::Chrome,
        0.85,
        periods,
    );
    if rng.random_bool(0.35) {
        let evening = 20.0 + 1.5 * rng.random::<f64>();
        let length = 0.5 + 2.0 * rng.random::<f64>();
        push_period(
            rng,
            local_midnight,
            (evening, length),
            Browser::Firefox,
            0.7,
            periods,
        );
    }
}

/// Adds a period starting `hours.0` local hours after midnight, `hours.1` hours long
/// (cut before midnight), using `usual` browser with probability `loyalty`.
fn push_period(
    rng: &mut ChaCha8Rng,
    local_midnight: i64,
    hours: (f64, f64),
    usual: Browser,
    loyalty: f64,
    periods: &mut Vec<Period>,
) {
    let (start_hour, length_hours) = hours;
    let end_hour = (start_hour + length_hours).min(23.95);
    let jitter = rng.random_range(0..1_000_000);
    let start = local_midnight + (start_hour * HOUR_US) as i64 + jitter;
    let end = local_midnight + (end_hour * HOUR_US) as i64;
    let other = match usual {
        Browser::Chrome => Browser::Firefox,
        Browser::Firefox => Browser::Chrome,
    };
    let browser = if rng.random_bool(loyalty) {
        usual
    } else {
        other
    };
    if end > start {
        periods.push(Period {
            span: (start, end),
            browser,
        });
    }
}

fn date_micros(date: NaiveDate) -> i64 {
    let days_since_epoch = i64::from(date.num_days_from_ce() - 719_163);
    days_since_epoch * DAY_US
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn periods_are_ordered_daytime_and_mostly_on_weekdays() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let end = NaiveDate::from_ymd_opt(2026, 6, 12).unwrap();
        let periods = plan_periods(&mut rng, end, 380);
        assert!(periods.windows(2).all(|w| w[0].span.1 <= w[1].span.0));
        let weekday_share = periods
            .iter()
            .filter(|p| {
                let date =
                    chrono::DateTime::from_timestamp_micros(p.span.0 + LOCAL_OFFSET_US).unwrap();
                !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            })
            .count() as f64
            / periods.len() as f64;
        assert!(weekday_share > 0.8, "{weekday_share}");
        for period in &periods {
            let local_hour =
                ((period.span.0 + LOCAL_OFFSET_US).rem_euclid(DAY_US)) as f64 / HOUR_US;
            assert!((6.0..24.0).contains(&local_hour), "{local_hour}");
        }
    }

    #[test]
    fn afk_segments_alternate_and_have_the_budgeted_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let end = NaiveDate::from_ymd_opt(2026, 6, 12).unwrap();
        let periods = plan_periods(&mut rng, end, 30);
        let segments = split_afk(&mut rng, &periods, 500);
        assert_eq!(segments.iter().filter(|s| s.recorded).count(), 500);
        for pair in segments.windows(2) {
            if pair[0].period == pair[1].period {
                assert_eq!(pair[0].span.1, pair[1].span.0);
                assert_ne!(pair[0].afk, pair[1].afk);
            }
        }
        assert!(segments.iter().all(|s| s.span.0 <= s.span.1));
    }

    #[test]
    fn a_one_day_dataset_still_has_a_period() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        // 2026-06-07 is a Sunday, so the only day is a Saturday.
        let end = NaiveDate::from_ymd_opt(2026, 6, 7).unwrap();
        assert!(!plan_periods(&mut rng, end, 1).is_empty());
    }
}
