//! The web UI compiled into the binary when it was built with `AW_WEBUI_DIR` (see
//! `aw-server/build.rs`): a table of relative path → bytes, sorted by path. Empty
//! otherwise. The routes of `webui.rs` use it when `--webpath` has no such file.

/// Relative path (with `/`) → file contents, sorted by path.
static ASSETS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/webui_assets.rs"));

/// The embedded file at `relative`, if any.
pub(crate) fn get(relative: &str) -> Option<&'static [u8]> {
    let index = ASSETS
        .binary_search_by(|(path, _)| (*path).cmp(relative))
        .ok()?;
    ASSETS.get(index).map(|(_, bytes)| *bytes)
}

/// How many files are embedded (0 for a build without `AW_WEBUI_DIR`).
pub fn embedded_file_count() -> usize {
    ASSETS.len()
}
