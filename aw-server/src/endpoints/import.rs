//! `POST /api/0/import` (docs/API.md §3.14): an export document as a JSON body, or as the
//! `buckets` / `buckets.*` part of a `multipart/form-data` upload (the web UI sends
//! `buckets.json`). The body may be up to the `import` limit; it is parsed off
//! the async workers. The datastore imports all buckets in one transaction, so an
//! import lands whole or not at all (upstream kept the buckets before a failure).

use aw_datastore::native::Datastore;
use aw_models::ImportPlan;
use rocket::data::{ByteUnit, Data, Limits, ToByteUnit};
use rocket::http::ContentType;
use rocket::{Route, State};

use crate::endpoints::streamed_body::{parse_body, Body};
use crate::endpoints::{run_blocking, IMPORT_IN_MEMORY_NAME, IMPORT_LIMIT_NAME};
use crate::error::ApiError;

/// The configured import limit (Rocket's `Limits` carry it, see `build_server`).
fn import_limit(limits: &Limits) -> ByteUnit {
    limits.get(IMPORT_LIMIT_NAME).unwrap_or(Limits::DATA_FORM)
}

fn too_large(limit: ByteUnit) -> ApiError {
    ApiError::BodyTooLarge {
        limit: limit.as_u64(),
    }
}

/// Imports a parsed document, on a blocking thread.
async fn import_plan(plan: ImportPlan, datastore: &State<Datastore>) -> Result<(), ApiError> {
    let datastore = datastore.inner().clone();
    run_blocking(move || Ok(datastore.import_plan(plan)?)).await
}

/// A large JSON body is parsed while it arrives (`streamed_body`): then only the compact
/// plan of the document is in memory, not the document.
#[rocket::post("/import", format = "json", data = "<data>", rank = 1)]
async fn import_json(
    limits: &Limits,
    data: Data<'_>,
    datastore: &State<Datastore>,
) -> Result<(), ApiError> {
    let in_memory = limits
        .get(IMPORT_IN_MEMORY_NAME)
        .unwrap_or(Limits::DATA_FORM);
    let store = datastore.inner().clone();
    let unstored = parse_body(data, import_limit(limits), in_memory, move |body| {
        Ok(match body {
            Body::Whole(bytes) => {
                import_in_memory(&store, &bytes)?;
                None
            }
            Body::Stream(reader) => Some(ImportPlan::from_reader(
                std::io::BufReader::with_capacity(64 * 1024, reader),
            )?),
        })
    })
    .await?;
    match unstored {
        Some(plan) => import_plan(plan, datastore).await,
        None => Ok(()),
    }
}

/// Imports a document held in memory, storing each bucket while the next is read
/// (one transaction: all or nothing). A document that does not read bucket by bucket
/// (bucket keys out of order or repeated, an error) is undone and read whole, for the
/// same answer.
fn import_in_memory(datastore: &Datastore, bytes: &[u8]) -> Result<(), ApiError> {
    let stream = datastore.import_stream()?;
    // Once the worker refused a bucket, the rest is only read.
    let mut taking = true;
    let read = ImportPlan::read_buckets(bytes, |plan| taking = taking && stream.send(plan));
    if read.is_some() {
        return Ok(stream.finish()?);
    }
    drop(stream);
    let plan = ImportPlan::from_slice(bytes)?;
    Ok(datastore.import_plan(plan)?)
}

#[rocket::post("/import", format = "multipart/form-data", data = "<data>", rank = 2)]
async fn import_multipart(
    content_type: &ContentType,
    limits: &Limits,
    data: Data<'_>,
    datastore: &State<Datastore>,
) -> Result<(), ApiError> {
    let boundary = multer::parse_boundary(content_type.to_string()).map_err(|err| {
        ApiError::MalformedBody {
            detail: err.to_string(),
        }
    })?;
    let limit = import_limit(limits);
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(limit.as_u64()));
    // One byte over the limit is read so that multer, not a silent cut, reports it.
    let stream = data.open(limit + 1.bytes());
    let mut multipart =
        multer::Multipart::with_reader_with_constraints(stream, boundary, constraints);
    let mut other_fields = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return Err(multipart_error(err, limit)),
        };
        let is_buckets = field
            .name()
            .is_some_and(|name| name == "buckets" || name.starts_with("buckets."));
        if is_buckets {
            let bytes = field
                .bytes()
                .await
                .map_err(|err| multipart_error(err, limit))?;
            let plan = run_blocking(move || {
                // Upstream answers 422 for any unusable multipart part (docs/API.md §3.14).
                ImportPlan::from_slice(&bytes).map_err(|err| ApiError::InvalidBody {
                    detail: err.to_string(),
                })
            })
            .await?;
            return import_plan(plan, datastore).await;
        }
        other_fields.push(format!("'{}'", field.name().unwrap_or("")));
    }
    let found = if other_fields.is_empty() {
        String::from("no fields at all")
    } else {
        format!("only {}", other_fields.join(", "))
    };
    Err(ApiError::InvalidBody {
        detail: format!(
            "the multipart body needs a file field named 'buckets' (or 'buckets.json'), found {found}"
        ),
    })
}

fn multipart_error(err: multer::Error, limit: ByteUnit) -> ApiError {
    match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large(limit)
        }
        other => ApiError::InvalidBody {
            detail: other.to_string(),
        },
    }
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![import_json, import_multipart]
}
