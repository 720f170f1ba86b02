//! [`NoMethodOverride`]: undoes Rocket's `_method` form override (docs/API.md §1.1 step 0,
//! §9). Rocket turns a url-encoded `POST` whose body starts with `_method=delete`
//! into a `DELETE` before any fairing runs; nothing in the ecosystem uses that, and
//! it lets a plain cross-site HTML form delete data, so the method is put back.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Method;
use rocket::{Data, Request};

/// The fairing; attach it first.
pub(crate) struct NoMethodOverride;

#[rocket::async_trait]
impl Fairing for NoMethodOverride {
    fn info(&self) -> Info {
        Info {
            name: "No _method override",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, data: &mut Data<'_>) {
        let is_form = request.content_type().is_some_and(|ct| ct.is_form());
        if !is_form || request.method() == Method::Post {
            return;
        }
        // Rocket only overrides POSTs, and only when the body starts with `_method=`.
        let peeked = data.peek("_method=delete".len()).await;
        if peeked.starts_with(b"_method=") {
            request.set_method(Method::Post);
        }
    }
}
