//! Cutting time into events: exact budget allocation (largest remainder), contiguous
//! partitions, and heavy-tailed event lengths. All times are microseconds since the epoch.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One microsecond-resolution interval `[start, end)`.
pub(crate) type Span = (i64, i64);

/// Longest gap left between two consecutive window events (the watcher polls every second).
const MAX_GAP_US: f64 = 900_000.0;
/// At most this share of a stretch of time is spent in gaps.
const MAX_GAP_SHARE: f64 = 0.03;

/// Splits `total` into integer parts proportional to `weights`, summing exactly to `total`
/// (largest-remainder method). Non-positive weights get nothing, unless every weight is
/// non-positive, in which case the total is spread evenly.
pub(crate) fn allocate(total: usize, weights: &[f64]) -> Vec<usize> {
    if weights.is_empty() {
        return Vec::new();
    }
    let positive: Vec<f64> = weights.iter().map(|w| w.max(0.0)).collect();
    let sum: f64 = positive.iter().sum();
    let shares: Vec<f64> = if sum > 0.0 {
        positive.iter().map(|w| w / sum * total as f64).collect()
    } else {
        vec![total as f64 / weights.len() as f64; weights.len()]
    };
    let mut parts: Vec<usize> = shares.iter().map(|share| share.floor() as usize).collect();
    let assigned: usize = parts.iter().sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| {
        let rest_a = shares.get(*a).map_or(0.0, |s| s - s.floor());
        let rest_b = shares.get(*b).map_or(0.0, |s| s - s.floor());
        rest_b.total_cmp(&rest_a).then(a.cmp(b))
    });
    for idx in order
        .into_iter()
        .cycle()
        .take(total.saturating_sub(assigned))
    {
        if let Some(part) = parts.get_mut(idx) {
            *part += 1;
        }
    }
    parts
}

/// Cuts `span` into contiguous pieces whose lengths are proportional to `weights`.
pub(crate) fn partition(span: Span, weights: &[f64]) -> Vec<Span> {
    let (start, end) = span;
    let sum: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    let length = (end - start) as f64;
    let mut pieces = Vec::with_capacity(weights.len());
    let mut cursor = start;
    let mut acc = 0.0;
    for (idx, weight) in weights.iter().enumerate() {
        acc += weight.max(0.0);
        let piece_end = if idx + 1 == weights.len() || sum <= 0.0 {
            end
        } else {
            start + (length * acc / sum) as i64
        };
        let piece_end = piece_end.clamp(cursor, end);
        pieces.push((cursor, piece_end));
        cursor = piece_end;
    }
    pieces
}

/// `count` events filling `span` in order, with log-normal lengths (many short focus
/// changes, a few long stretches) and sub-second gaps as left by a polling watcher.
pub(crate) fn events_in(rng: &mut ChaCha8Rng, span: Span, count: usize) -> Vec<Span> {
    if count == 0 {
        return Vec::new();
    }
    let length = (span.1 - span.0) as f64;
    let mut gaps: Vec<f64> = (0..count - 1)
        .map(|_| rng.random::<f64>() * MAX_GAP_US)
        .collect();
    let gap_sum: f64 = gaps.iter().sum();
    let gap_limit = length * MAX_GAP_SHARE;
    if gap_sum > gap_limit && gap_sum > 0.0 {
        gaps.iter_mut().for_each(|gap| *gap *= gap_limit / gap_sum);
    }
    let busy = length - gaps.iter().sum::<f64>();
    let weights: Vec<f64> = (0..count).map(|_| (1.3 * normal(rng)).exp()).collect();
    let weight_sum: f64 = weights.iter().sum();
    let mut events = Vec::with_capacity(count);
    let mut cursor = span.0 as f64;
    for (idx, weight) in weights.iter().enumerate() {
        let event_start = cursor;
        let event_end = event_start + busy * weight / weight_sum;
        events.push((event_start as i64, (event_end as i64).min(span.1)));
        cursor = event_end + gaps.get(idx).copied().unwrap_or(0.0);
    }
    events
}

/// A standard normal sample (Box–Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An exponential sample with the given mean.
pub(crate) fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn allocate_is_exact_and_proportional() {
        assert_eq!(allocate(10, &[1.0, 1.0, 2.0]), vec![3, 2, 5]);
        assert_eq!(allocate(7, &[0.0, 0.0]), vec![4, 3]);
        assert_eq!(allocate(5, &[0.0, 3.0]), vec![0, 5]);
        assert!(allocate(3, &[]).is_empty());
        let parts = allocate(545_000, &[0.567, 0.037, 0.264, 0.132]);
        assert_eq!(parts.iter().sum::<usize>(), 545_000);
        assert_eq!(parts, vec![309_015, 20_165, 143_880, 71_940]);
    }

    #[test]
    fn partition_is_contiguous() {
        let pieces = partition((100, 1100), &[1.0, 3.0, 1.0]);
        assert_eq!(pieces, vec![(100, 300), (300, 900), (900, 1100)]);
    }

    #[test]
    fn events_fill_the_span_in_order_without_overlap() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let span = (1_000_000_000, 1_000_000_000 + 3_600_000_000);
        let events = events_in(&mut rng, span, 200);
        assert_eq!(events.len(), 200);
        assert!(events.windows(2).all(|w| w[0].1 <= w[1].0));
        assert!(events
            .iter()
            .all(|(s, e)| s <= e && *s >= span.0 && *e <= span.1));
        let covered: i64 = events.iter().map(|(s, e)| e - s).sum();
        assert!(covered as f64 > 0.96 * 3_600_000_000.0, "{covered}");
    }
}
