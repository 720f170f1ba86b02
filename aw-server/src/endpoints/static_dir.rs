//! Files served from a configured directory (`--webpath`, `custom_static`): only a
//! regular file whose fully resolved path (symlinks followed) stays inside the
//! directory's own resolved path is served. A symlink that points out of the
//! directory (a link to `~/.local/share/activitywatch` exposed the database) is
//! answered as if the file did not exist. Links that stay inside keep working.
//!
//! [`StaticDir`] is the handler mounted at `/pages/<name>` (docs/API.md §3.19): the
//! behaviour of Rocket's `FileServer` with `Index` (a directory serves its
//! `index.html`, dot-files hidden, no listing), plus that containment rule.

use std::path::{Path, PathBuf};

use rocket::fs::NamedFile;
use rocket::http::uri::fmt::Path as UriPath;
use rocket::http::uri::Segments;
use rocket::http::{Method, Status};
use rocket::outcome::IntoOutcome;
use rocket::response::Responder;
use rocket::route::{Handler, Outcome};
use rocket::{Data, Request, Route};

/// `root/relative` if it resolves to something inside `root`, else `None`.
/// `relative` must already be free of `..` (Rocket's segment parsing guarantees it).
pub(crate) async fn resolve_inside(root: &Path, relative: &Path) -> Option<PathBuf> {
    let root = rocket::tokio::fs::canonicalize(root).await.ok()?;
    let resolved = rocket::tokio::fs::canonicalize(root.join(relative))
        .await
        .ok()?;
    resolved.starts_with(&root).then_some(resolved)
}

/// `root/relative` if it is a regular file inside `root` (see [`resolve_inside`]).
pub(crate) async fn file_inside(root: &Path, relative: &Path) -> Option<PathBuf> {
    let resolved = resolve_inside(root, relative).await?;
    let meta = rocket::tokio::fs::metadata(&resolved).await.ok()?;
    meta.is_file().then_some(resolved)
}

/// A `custom_static` directory served under `/pages/<name>`.
#[derive(Clone)]
pub(crate) struct StaticDir {
    root: PathBuf,
}

impl StaticDir {
    /// The routes serving `root`, ranked after the ordinary GET routes (rank 10).
    pub(crate) fn routes(root: PathBuf) -> Vec<Route> {
        let mut route = Route::ranked(10, Method::Get, "/<path..>", StaticDir { root });
        route.name = Some("custom static directory".into());
        vec![route]
    }

    /// The file a request for `relative` is answered with, if any.
    async fn lookup(&self, relative: &Path) -> Option<PathBuf> {
        let resolved = resolve_inside(&self.root, relative).await?;
        let meta = rocket::tokio::fs::metadata(&resolved).await.ok()?;
        if meta.is_dir() {
            file_inside(&self.root, &relative.join("index.html")).await
        } else {
            meta.is_file().then_some(resolved)
        }
    }
}

#[rocket::async_trait]
impl Handler for StaticDir {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let relative = req
            .segments::<Segments<'_, UriPath>>(0..)
            .ok()
            .and_then(|segments| segments.to_path_buf(false).ok());
        let Some(relative) = relative else {
            return Outcome::forward(data, Status::NotFound);
        };
        match self.lookup(&relative).await {
            Some(path) => match NamedFile::open(path).await {
                Ok(file) => file.respond_to(req).or_forward((data, Status::NotFound)),
                Err(_) => Outcome::forward(data, Status::NotFound),
            },
            None => Outcome::forward(data, Status::NotFound),
        }
    }
}
