//! The aw-webui files (docs/API.md §3.18), read from the `--webpath` directory (default
//! `<data dir>/static`). Only the upstream routes, plus `/service-worker.js` (part
//! of the aw-webui build, which unregisters stale service workers); no SPA
//! fallback, since aw-webui uses hash routing. Content types by extension (Rocket's
//! table). Unsafe path segments (`.hidden`, `*x`, `a:`) give 422 and `..` cannot
//! leave the folder, as upstream; a symlink resolving outside the folder is not
//! followed (`static_dir`). A file missing there is taken from the copy compiled in
//! with `AW_WEBUI_DIR` (`webui_embedded`), if any. Without either, `/` explains how
//! to install a UI.

use std::path::{Path, PathBuf};

use rocket::fs::NamedFile;
use rocket::http::ContentType;
use rocket::response::content::RawHtml;
use rocket::response::{self, Responder};
use rocket::{Either, Request, Route, State};

use crate::endpoints::{static_dir, webui_embedded};
use crate::error::ApiError;

/// Where the web UI files are, if anywhere.
pub(crate) struct WebUi {
    root: Option<PathBuf>,
}

impl WebUi {
    pub(crate) fn new(root: Option<PathBuf>) -> WebUi {
        WebUi { root }
    }

    /// Opens `relative` (already sanitised by Rocket): below the UI root first, then
    /// in the copy compiled into the binary, if any.
    async fn open(&self, relative: &Path) -> Result<WebFile, ApiError> {
        if let Some(root) = &self.root {
            if let Some(path) = static_dir::file_inside(root, relative).await {
                if let Ok(file) = NamedFile::open(&path).await {
                    return Ok(WebFile::Disk(file));
                }
            }
        }
        let key: Option<Vec<&str>> = relative
            .components()
            .map(|part| part.as_os_str().to_str())
            .collect();
        match key.and_then(|key| webui_embedded::get(&key.join("/"))) {
            Some(bytes) => Ok(WebFile::Embedded(content_type(relative), bytes)),
            None => Err(ApiError::NoSuchFile {
                path: relative.display().to_string(),
            }),
        }
    }
}

/// A web UI file: from the `--webpath` folder or compiled in. Both answer with the
/// content type of the extension and no other headers of their own.
pub(crate) enum WebFile {
    Disk(NamedFile),
    Embedded(ContentType, &'static [u8]),
}

impl<'r> Responder<'r, 'static> for WebFile {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        match self {
            WebFile::Disk(file) => file.respond_to(request),
            WebFile::Embedded(content_type, bytes) => (content_type, bytes).respond_to(request),
        }
    }
}

/// The content type for `path`'s extension, as Rocket's file responder picks it.
fn content_type(path: &Path) -> ContentType {
    path.extension()
        .and_then(|ext| ext.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary)
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
async fn index(webui: &State<WebUi>) -> Either<WebFile, RawHtml<String>> {
    match webui.open(Path::new("index.html")).await {
        Ok(file) => Either::Left(file),
        Err(_) => Either::Right(RawHtml(no_webui_page(webui.root.as_deref()))),
    }
}

#[rocket::get("/favicon.ico")]
async fn favicon(webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(Path::new("favicon.ico")).await
}

#[rocket::get("/dark.css")]
async fn dark_css(webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(Path::new("dark.css")).await
}

#[rocket::get("/logo.png")]
async fn logo(webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(Path::new("logo.png")).await
}

#[rocket::get("/manifest.json")]
async fn manifest(webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(Path::new("manifest.json")).await
}

#[rocket::get("/service-worker.js")]
async fn service_worker(webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(Path::new("service-worker.js")).await
}

#[rocket::get("/css/<path..>")]
async fn css(path: PathBuf, webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(&Path::new("css").join(path)).await
}

#[rocket::get("/fonts/<path..>")]
async fn fonts(path: PathBuf, webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(&Path::new("fonts").join(path)).await
}

#[rocket::get("/js/<path..>")]
async fn js(path: PathBuf, webui: &State<WebUi>) -> Result<WebFile, ApiError> {
    webui.open(&Path::new("js").join(path)).await
}

#[rocket::get("/static/<path..>")]
async fn static_files(path: PathBuf, webui: &State<WebUi>) -> Result<WebFile, ApiError> {
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
