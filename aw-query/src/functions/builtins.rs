//! The 22 built-ins: the declaration table and the bodies (docs/QUERY.md §6).

use std::str::FromStr;

use aw_models::{SharedEvent, TimeInterval};
use chrono::TimeDelta;

use crate::budget;
use crate::error::{QueryError, Result};
use crate::functions::{Arg, ArgType as T, Args, Builtin, CallCtx, EventsIn, Params};
use crate::regex_cache;
use crate::transform;
use crate::value::DataType;

/// `flood`'s fixed pulsetime.
const FLOOD_PULSETIME_SECS: i64 = 5;

const fn exact(name: &'static str, types: &'static [T], body: Body) -> Builtin {
    Builtin {
        name,
        params: Params::Exact(types),
        body,
        may_grow: true,
    }
}

const fn variadic(name: &'static str, ty: T, body: Body) -> Builtin {
    Builtin {
        name,
        params: Params::Variadic(ty),
        body,
        may_grow: true,
    }
}

/// A built-in whose result is never larger than its largest argument: it keeps,
/// reorders, shortens or merges the argument's events (merged data is a subset of
/// one input's keys), or answers a number or a boolean.
const fn bounded(builtin: Builtin) -> Builtin {
    Builtin {
        may_grow: false,
        ..builtin
    }
}

type Body = fn(Args<'_>, &mut CallCtx<'_>) -> Result<DataType>;

/// Every built-in, in upstream's order.
pub static BUILTINS: [Builtin; 22] = [
    variadic("print", T::Any, print),
    exact("query_bucket", &[T::String], query_bucket),
    exact("query_bucket_names", &[], query_bucket_names),
    bounded(exact("sort_by_duration", &[T::Events], sort_by_duration)),
    bounded(exact("sort_by_timestamp", &[T::Events], sort_by_timestamp)),
    bounded(exact("sum_durations", &[T::EventsRead], sum_durations)),
    bounded(exact(
        "limit_events",
        &[T::EventsRead, T::Count],
        limit_events,
    )),
    bounded(exact("contains", &[T::Any, T::Any], contains)),
    bounded(exact("flood", &[T::Events], flood)),
    Builtin {
        name: "find_bucket",
        params: Params::Optional {
            required: &[T::String],
            optional: &[T::String],
        },
        body: find_bucket,
        may_grow: true,
    },
    bounded(exact(
        "merge_events_by_keys",
        &[T::EventsRead, T::Strings],
        merge_events_by_keys,
    )),
    bounded(exact(
        "chunk_events_by_key",
        &[T::Events, T::String],
        chunk_events_by_key,
    )),
    bounded(exact(
        "filter_keyvals",
        &[T::EventsRead, T::String, T::JsonValues],
        filter_keyvals,
    )),
    bounded(exact(
        "filter_keyvals_regex",
        &[T::EventsRead, T::String, T::String],
        filter_keyvals_regex,
    )),
    exact(
        "filter_period_intersect",
        &[T::Events, T::Events],
        filter_period_intersect,
    ),
    exact("split_url_events", &[T::Events], split_url_events),
    variadic("concat", T::Events, concat),
    exact("categorize", &[T::Events, T::CategoryRules], categorize),
    exact("tag", &[T::Events, T::TagRules], tag),
    bounded(exact(
        "exclude_keyvals",
        &[T::EventsRead, T::String, T::JsonValues],
        exclude_keyvals,
    )),
    exact("period_union", &[T::Events, T::Events], period_union),
    exact(
        "union_no_overlap",
        &[T::Events, T::Events],
        union_no_overlap,
    ),
];

/// The size of a list's own value slot in [`DataType::approx_bytes`].
const LIST_SLOT: usize = std::mem::size_of::<DataType>();

/// A bound of a result made of all its arguments' contents (`concat`, and
/// `period_union`, whose events at most number those of both arguments, emptied).
fn sum_of_args(ctx: &CallCtx<'_>) -> usize {
    ctx.arg_bounds
        .iter()
        .fold(LIST_SLOT, |sum, bound| sum.saturating_add(*bound))
}

/// A bound of a result that is the first argument's events plus `added` bytes.
fn first_arg_plus(ctx: &CallCtx<'_>, added: usize) -> Option<usize> {
    ctx.arg_bounds
        .first()
        .map(|bound| bound.saturating_add(added))
}

fn events(list: Vec<SharedEvent>) -> DataType {
    DataType::List(list.into_iter().map(DataType::Event).collect())
}

fn print(args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    for arg in args.rest() {
        if let Arg::Any(value) = arg {
            log::info!("{value:?}");
        }
    }
    Ok(DataType::None)
}

fn query_bucket(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let bucket_id = args.string()?;
    let interval = match ctx.env.get("TIMEINTERVAL").map(|binding| &*binding.value) {
        Some(DataType::String(text)) => TimeInterval::from_str(text).map_err(|_| {
            QueryError::TimeIntervalError(format!("Failed to parse TIMEINTERVAL: {text}"))
        })?,
        Some(_) => {
            return Err(QueryError::TimeIntervalError(
                "TIMEINTERVAL is not of type string!".to_string(),
            ))
        }
        None => {
            return Err(QueryError::TimeIntervalError(
                "TIMEINTERVAL not defined!".to_string(),
            ))
        }
    };
    ctx.budget.check_time()?;
    let list = ctx
        .datastore
        .get_events(&bucket_id, *interval.start(), *interval.end())?;
    // The list measures what its events were counted as, plus its own slot.
    let bytes = ctx.budget.add_events(&list)?;
    ctx.bound = Some(LIST_SLOT.saturating_add(bytes));
    Ok(events(list))
}

/// Bucket ids in sorted order (upstream's order is hash-map order, i.e. unspecified).
fn query_bucket_names(_: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let mut ids: Vec<String> = ctx
        .datastore
        .get_buckets()?
        .into_iter()
        .map(|bucket| bucket.id)
        .collect();
    ids.sort();
    Ok(DataType::List(
        ids.into_iter().map(DataType::String).collect(),
    ))
}

/// An exact id match wins; otherwise, among the buckets whose id starts with `filter`
/// (and whose hostname equals `hostname`, if given), the **smallest id** is returned.
/// Upstream picks a random one of several candidates; this choice is deterministic.
fn find_bucket(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let filter = args.string()?;
    let hostname = args.optional_string()?;
    let buckets = ctx.datastore.get_buckets()?;
    let found = buckets
        .into_iter()
        .filter(|bucket| bucket.id.starts_with(&filter))
        .filter(|bucket| match &hostname {
            Some(host) => bucket.hostname == *host,
            None => true,
        })
        .map(|bucket| bucket.id)
        .min_by(|a, b| (*a != filter).cmp(&(*b != filter)).then_with(|| a.cmp(b)));
    match (found, hostname) {
        (Some(id), _) => Ok(DataType::String(id)),
        (None, None) => Err(QueryError::BucketQueryError(format!(
            "Failed to find bucket matching filter '{filter}'"
        ))),
        (None, Some(host)) => Err(QueryError::BucketQueryError(format!(
            "Failed to find bucket matching filter '{filter}' and hostname '{host}'"
        ))),
    }
}

fn contains(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let container = args.any()?;
    let item = args.any()?;
    match (&container, item) {
        (DataType::List(items), item) => {
            Ok(DataType::Bool(items.iter().any(|x| x.nested_eq(&item))))
        }
        (DataType::Dict(map), DataType::String(key)) => Ok(DataType::Bool(map.contains_key(&key))),
        (DataType::Dict(_), _) => Err(QueryError::InvalidFunctionParameters(format!(
            "function contains got second argument {container:?}, expected type String"
        ))),
        _ => Err(QueryError::InvalidFunctionParameters(format!(
            "function contains got first argument {container:?}, expected type List or Dict"
        ))),
    }
}

fn concat(args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    ctx.bound = Some(sum_of_args(ctx));
    let lists = args.rest().filter_map(|arg| match arg {
        Arg::Events(list) => Some(list),
        _ => None,
    });
    Ok(events(transform::concat(lists)))
}

fn sum_durations(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let total = match args.events_in()? {
        EventsIn::Owned(list) => transform::sum_durations(&list),
        EventsIn::Borrowed(list) => transform::sum_durations(&list),
    };
    Ok(DataType::Number(total))
}

fn limit_events(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, count) = (args.events_in()?, args.count()?);
    Ok(events(match list {
        EventsIn::Owned(list) => transform::limit_events(list, count),
        EventsIn::Borrowed(list) => transform::limit_events(list, count),
    }))
}

fn sort_by_duration(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    Ok(events(transform::sort_by_duration(args.events()?)))
}

fn sort_by_timestamp(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    Ok(events(transform::sort_by_timestamp(args.events()?)))
}

fn flood(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let pulsetime = TimeDelta::seconds(FLOOD_PULSETIME_SECS);
    Ok(events(transform::flood(args.events()?, pulsetime)))
}

fn merge_events_by_keys(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, keys) = (args.events_in()?, args.strings()?);
    Ok(events(match list {
        EventsIn::Owned(list) => transform::merge_events_by_keys(list, &keys),
        EventsIn::Borrowed(list) => transform::merge_events_by_keys(list, &keys),
    }))
}

fn chunk_events_by_key(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let list = args.events()?;
    Ok(events(transform::chunk_events_by_key(
        list,
        &args.string()?,
    )))
}

fn filter_keyvals(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, key, values) = (args.events_in()?, args.string()?, args.json()?);
    Ok(events(match list {
        EventsIn::Owned(list) => transform::filter_keyvals(list, &key, &values),
        EventsIn::Borrowed(list) => transform::filter_keyvals(list, &key, &values),
    }))
}

fn exclude_keyvals(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, key, values) = (args.events_in()?, args.string()?, args.json()?);
    Ok(events(match list {
        EventsIn::Owned(list) => transform::exclude_keyvals(list, &key, &values),
        EventsIn::Borrowed(list) => transform::exclude_keyvals(list, &key, &values),
    }))
}

fn filter_keyvals_regex(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, key, pattern) = (args.events_in()?, args.string()?, args.string()?);
    let regex = regex_cache::compile(&pattern).map_err(|err| {
        QueryError::RegexCompileError(format!("Failed to compile regex string '{pattern}': {err}"))
    })?;
    Ok(events(match list {
        EventsIn::Owned(list) => transform::filter_keyvals_regex(list, &key, &regex),
        EventsIn::Borrowed(list) => transform::filter_keyvals_regex(list, &key, &regex),
    }))
}

/// Every piece is its event moved, or a copy counted here.
fn filter_period_intersect(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, filter) = (args.events()?, args.events()?);
    let mut copies = 0usize;
    let out = transform::filter_period_intersect::intersect_counting(list, filter, |piece| {
        copies = copies.saturating_add(budget::event_bytes_unshared(piece));
    });
    ctx.bound = first_arg_plus(ctx, copies);
    Ok(events(out))
}

fn period_union(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    ctx.bound = Some(sum_of_args(ctx));
    let (first, second) = (args.events()?, args.events()?);
    Ok(events(transform::period_union(first, second)))
}

fn union_no_overlap(mut args: Args<'_>, _: &mut CallCtx<'_>) -> Result<DataType> {
    let (first, second) = (args.events()?, args.events()?);
    Ok(events(transform::union_no_overlap(first, second)))
}

fn split_url_events(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let (out, added) = transform::split_url_events::split_counting(args.events()?);
    ctx.bound = first_arg_plus(ctx, added);
    Ok(events(out))
}

fn categorize(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, rules) = (args.events()?, args.categories()?);
    let (out, added) = transform::classify::categorize_counting(list, &rules);
    ctx.bound = first_arg_plus(ctx, added);
    Ok(events(out))
}

fn tag(mut args: Args<'_>, ctx: &mut CallCtx<'_>) -> Result<DataType> {
    let (list, rules) = (args.events()?, args.tags()?);
    let (out, added) = transform::classify::tag_counting(list, &rules);
    ctx.bound = first_arg_plus(ctx, added);
    Ok(events(out))
}
