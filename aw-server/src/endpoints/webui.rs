//! The aw-webui files (docs/API.md §3.18), read from the `--webpath` directory (default
//! `<data dir>/static`). Only the upstream routes, plus `/service-worker.js` (part
//! of the aw-webui build, which unregisters stale service workers); no SPA
//! fallback, since aw-webui uses hash routing. Content types by extension (Rocket's
//! table). Unsafe path segments (`.hidden`, `*x`, `a:`) give 422 and `..` cannot
//! leave the folder, as upstream; a symlink resolving outside the folder is not
//! followed (`static_dir`). Without a UI, `/` explains how to install one.

use std::path::{Path, PathBuf};

use rocket::fs::NamedFile;
use rocket::response::content::RawHtml;
use rocket::{Either, Route, State};

use crate::endpoints::static_dir;
use crate::error::ApiError;

/// Where the web UI files are, if anywhere.
pub(crate) struct WebUi {
    root: Option<PathBuf>,
}

impl WebUi {
    pub(crate) fn new(root: Option<PathBuf>) -> WebUi {
        WebUi { root }
    }

    /// Opens `relative` (already sanitised by Rocket) below the UI root.
    async fn open(&self, relative: &Path) -> Result<NamedFile, ApiError> {
        let not_found = || ApiError::NoSuchFile {
            path: relative.display().to_string(),
        };
        let root = self.root.as_ref().ok_or_else(not_found)?;
        let path = static_dir::file_inside(root, relative)
            .await
            .ok_or_else(not_found)?;
        NamedFile::open(&path).await.map_err(|_| not_found())
    }
}

/// The landing page when no web UI is installed, naming the folder to fill.
fn no_webui_page(root: Option<&Path>) -> String {
    let folder = root.map_or_else(
        || String::from("the static folder of the server's data directory"),
        |root| format!("<code>{}</code>", escape_html(&root.display().to_string())),
    );
    format!(
        "<!DOCTYPE html>
<html><head><meta charset=\"utf-8\"><title>aw-server</title></head>
<body>
<h1>aw-server is running</h1>
<p>The REST API is available under <code>/api/0/</code>, but no web UI is installed.</p>
<p>To get the ActivityWatch web UI, build <a href=\"https://github.com/ActivityWatch/aw-webui\">aw-webui</a>
(<code>npm install &amp;&amp; npm run build</code>) and start the server with
<code>aw-server --webpath /path/to/aw-webui/dist</code>, or copy the contents of
<code>dist/</code> into {folder}.</p>
</body></html>
"
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[rocket::get("/")]
async fn index(webui: &State<WebUi>) -> Either<NamedFile, RawHtml<String>> {
    match webui.open(Path::new("index.html")).await {
        Ok(file) => Either::Left(file),
        Err(_) => Either::Right(RawHtml(no_webui_page(webui.root.as_deref()))),
    }
}

#[rocket::get("/favicon.ico")]
async fn favicon(webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(Path::new("favicon.ico")).await
}

#[rocket::get("/dark.css")]
async fn dark_css(webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(Path::new("dark.css")).await
}

#[rocket::get("/logo.png")]
async fn logo(webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(Path::new("logo.png")).await
}

#[rocket::get("/manifest.json")]
async fn manifest(webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(Path::new("manifest.json")).await
}

#[rocket::get("/service-worker.js")]
async fn service_worker(webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(Path::new("service-worker.js")).await
}

#[rocket::get("/css/<path..>")]
async fn css(path: PathBuf, webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(&Path::new("css").join(path)).await
}

#[rocket::get("/fonts/<path..>")]
async fn fonts(path: PathBuf, webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(&Path::new("fonts").join(path)).await
}

#[rocket::get("/js/<path..>")]
async fn js(path: PathBuf, webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(&Path::new("js").join(path)).await
}

#[rocket::get("/static/<path..>")]
async fn static_files(path: PathBuf, webui: &State<WebUi>) -> Result<NamedFile, ApiError> {
    webui.open(&Path::new("static").join(path)).await
}

pub(crate) fn routes() -> Vec<Route> {
    rocket::routes![
        index,
        favicon,
        dark_css,
        logo,
        manifest,
        service_worker,
        css,
        fonts,
        js,
        static_files
    ]
}
