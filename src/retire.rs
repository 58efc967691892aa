//! `retire`: a finished request's spec moves from `specs/` to `specs/done/`
//! (the same sub-path), so `render` leaves its Job out and `check` still
//! validates it.
//!
//! The file is kept byte for byte except its schema modeline
//! (`# yaml-language-server: $schema=../schema/spec.schema.json`): a relative
//! schema path is rewritten so it points at the same file from the new folder,
//! read the way yaml-language-server reads it (the first modeline among the
//! comments before the document, `$schema=` or `$schema:`, a path relative to
//! the spec's folder unless it starts with `/`, `file:` or `http`, a `#`
//! fragment kept).
//!
//! A move never loses or half-writes a spec: the new file is written in full
//! beside its destination, then linked into place (which fails if the
//! destination exists, so nothing is overwritten), and only then is the old
//! one removed. A crash before the link leaves the old file and at most a
//! temporary `.NAME.dagster-scripts-retire.tmp` (not a spec by its name;
//! the next retire removes it); a crash between the link and the removal
//! leaves both copies, and retiring the old one again sees its finished copy
//! in `done/` and completes the move.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::discover::{RETIRED, bad_name, is_retired, is_spec_file};
use crate::read::{Limits, load, read_capped};

/// The suffix of the temporary file a move writes beside its destination.
const TEMP_SUFFIX: &str = ".dagster-scripts-retire.tmp";

/// A spec ready to move.
#[derive(Debug)]
pub struct Move {
    /// Where it is, as the user named it.
    pub from: PathBuf,
    /// Where it goes: `<specs>/done/<its path under specs>`.
    pub to: PathBuf,
    /// What the new file holds.
    pub bytes: Vec<u8>,
    /// The modeline's schema path, before and after, when it was rewritten.
    pub schema: Option<(String, String)>,
    /// The destination holds these bytes already (a move that was cut short
    /// after the link): only the old file is left to remove.
    pub finishing: bool,
}

/// Why a path is not moved.
#[derive(Debug)]
pub enum Refusal {
    /// The path cannot be retired (outside the specs folder, retired
    /// already, a symlink, not a spec file, unreadable, the destination
    /// taken): what and what to do.
    Refused {
        /// The path, as given.
        path: PathBuf,
        /// What is wrong, one sentence.
        message: String,
        /// What to do about it; empty when there is nothing useful to say.
        hint: &'static str,
    },
    /// The file is not a valid spec: its problems.
    Invalid(Vec<Diagnostic>),
}

/// Works out the move of the spec at `path` out of `specs` into
/// `specs/done/`, reading it with `limits`; nothing is written.
pub fn prepare(specs: &Path, path: &Path, limits: &Limits) -> Result<Move, Refusal> {
    let refuse = |message: String, hint: &'static str| Refusal::Refused {
        path: path.to_owned(),
        message,
        hint,
    };
    let cwd = std::env::current_dir()
        .map_err(|e| refuse(format!("cannot read the working directory: {e}"), ""))?;
    let specs_abs = absolute(&cwd, specs);
    let relative = match absolute(&cwd, path).strip_prefix(&specs_abs) {
        Ok(r) if r.as_os_str().is_empty() => {
            return Err(refuse(
                "this is the specs folder; name the spec files to retire".into(),
                "e.g. `dagster-scripts retire specs/backfill-34543.yaml`",
            ));
        }
        Ok(r) => r.to_owned(),
        Err(_) => {
            return Err(refuse(
                format!(
                    "not in the specs folder ({}): only a spec there can be retired",
                    specs.display()
                ),
                "name a spec under the specs folder, or point `--specs` at the folder that holds it",
            ));
        }
    };
    if is_retired(&relative) {
        return Err(refuse(
            format!("retired already (it is under {RETIRED}/)"),
            "nothing to do; `render` already leaves it out",
        ));
    }
    if let Some(d) = bad_name(path, &relative) {
        return Err(refuse(d.message, "rename it first, then retire it"));
    }
    let meta = fs::symlink_metadata(path).map_err(|e| {
        refuse(
            format!("cannot read it: {}", io_words(&e)),
            "name an existing spec file",
        )
    })?;
    if meta.is_symlink() {
        return Err(refuse(
            "a symbolic link, not a spec file: moving the link would not move the spec".into(),
            "retire the file the link points at, or remove the link",
        ));
    }
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file"
        };
        return Err(refuse(
            format!("{what}, not a spec file"),
            "name each spec file to retire",
        ));
    }
    if !is_spec_file(path) {
        return Err(refuse(
            "not a spec file (a spec's name ends in .yaml or .yml)".into(),
            "name a spec file under the specs folder",
        ));
    }
    // A folder link on the way would move a file that lives elsewhere.
    let specs_real = fs::canonicalize(specs).map_err(|e| {
        refuse(
            format!("cannot resolve the specs folder: {}", io_words(&e)),
            "",
        )
    })?;
    let real = fs::canonicalize(path)
        .map_err(|e| refuse(format!("cannot resolve it: {}", io_words(&e)), ""))?;
    if real != specs_real.join(&relative) {
        return Err(refuse(
            format!(
                "reached through a symbolic link (it is really {})",
                real.display()
            ),
            "retire specs that live in the specs folder itself, not through a linked folder",
        ));
    }
    let bytes = read_capped(path).map_err(|d| {
        refuse(
            d.message,
            "a spec is a readable regular file of at most 1 MiB",
        )
    })?;
    load(path, &bytes, limits, None).map_err(Refusal::Invalid)?;

    let to = specs.join(RETIRED).join(&relative);
    let from_dir = specs_abs.join(&relative);
    let from_dir = from_dir.parent().unwrap_or(&specs_abs);
    let to_abs = specs_abs.join(RETIRED).join(&relative);
    let to_dir = to_abs.parent().unwrap_or(&specs_abs);
    let (bytes, schema) = match rewrite_modeline(&bytes, from_dir, to_dir) {
        Some((new, old_ref, new_ref)) => (new, Some((old_ref, new_ref))),
        None => (bytes, None),
    };
    let finishing = match fs::symlink_metadata(&to) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Ok(m) if m.is_file() && fs::read(&to).is_ok_and(|b| b == bytes) => true,
        Ok(_) => {
            return Err(refuse(
                format!("{} exists already", to.display()),
                "a spec with this name was retired before; rename this one, or remove the old one from done/",
            ));
        }
        Err(e) => {
            return Err(refuse(
                format!("cannot look at {}: {}", to.display(), io_words(&e)),
                "",
            ));
        }
    };
    Ok(Move {
        from: path.to_owned(),
        to,
        bytes,
        schema,
        finishing,
    })
}

/// Makes the move: the new file written in full and linked into place (never
/// over an existing file), then the old one removed. `specs` is the specs
/// folder: the destination's folder must really lie in it.
pub fn apply(m: &Move, specs: &Path) -> io::Result<()> {
    if !m.finishing {
        let dir = m.to.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let expected = fs::canonicalize(specs)?.join(dir.strip_prefix(specs).unwrap_or(dir));
        if fs::canonicalize(dir)? != expected {
            return Err(io::Error::other(format!(
                "{} leads elsewhere through a symbolic link; retire writes only inside the specs folder",
                dir.display()
            )));
        }
        let temp = temp_path(&m.to);
        // A leftover of a move that was cut short: ours by its name.
        match fs::remove_file(&temp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let linked = write_new(&temp, &m.bytes).and_then(|()| link_new(&temp, &m.to));
        let _ = fs::remove_file(&temp);
        linked?;
        sync_dir(dir);
    }
    fs::remove_file(&m.from)?;
    if let Some(dir) = m.from.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path` and flushes it to disk, so the link
/// that publishes it never points at a file whose data is not there yet.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Publishes `temp` as `to` unless `to` exists: a hard link fails instead of
/// replacing (a rename would replace). Where the file system has no hard
/// links, a rename after looking (a race only with another writer in done/).
fn link_new(temp: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(temp, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if fs::symlink_metadata(to).is_err() => fs::rename(temp, to),
        Err(e) => Err(e),
    }
}

/// Flushes a folder's entries (a new or removed name); best effort, as a
/// folder cannot be opened for syncing everywhere.
fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// An I/O error in words.
fn io_words(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// `path` made absolute against `cwd`, lexically normalized.
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    normalize(&cwd.join(path))
}

/// An absolute `path` with `.` dropped and each `..` taking away the
/// component before it (none above the root), as Node's `path.resolve` does.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The spec's bytes with the modeline's relative schema path rewritten for a
/// move from the folder `from_dir` to `to_dir` (both absolute), with the old
/// and new path; `None` when there is nothing to rewrite.
pub fn rewrite_modeline(
    bytes: &[u8],
    from_dir: &Path,
    to_dir: &Path,
) -> Option<(Vec<u8>, String, String)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (start, end) = modeline_schema(text)?;
    let old = &text[start..end];
    if old.starts_with('/') || old.starts_with("file:") || old.starts_with("http") {
        return None;
    }
    let (path, fragment) = match old.find('#') {
        Some(i) if i > 0 => (&old[..i], &old[i..]),
        _ => (old, ""),
    };
    let target = normalize(&from_dir.join(path));
    let new = format!("{}{fragment}", relative_path(to_dir, &target));
    if new == old {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + new.len());
    out.extend_from_slice(&bytes[..start]);
    out.extend_from_slice(new.as_bytes());
    out.extend_from_slice(&bytes[end..]);
    Some((out, old.to_owned(), new))
}

/// The byte range of the schema path in the first modeline among the comment
/// lines before the document's content (a byte-order mark and blank lines
/// skipped), as yaml-language-server finds it.
fn modeline_schema(text: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let body = line.trim_start_matches('\u{feff}');
        let lead = line.len() - body.len();
        let content = body.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        // The document has started: no modeline below this.
        let comment = trimmed.strip_prefix('#')?;
        if !is_modeline(comment) {
            continue;
        }
        let comment_at = at + lead + (content.len() - trimmed.len()) + 1;
        let (value_at, value) = schema_value(comment)?;
        return Some((comment_at + value_at, comment_at + value_at + value.len()));
    }
    None
}

/// Whether a comment (after its `#`) is a modeline: whitespace, then
/// `yaml-language-server` and `:` (spaces allowed before it), or `$schema:`.
fn is_modeline(comment: &str) -> bool {
    let rest = comment.trim_start();
    if rest.len() == comment.len() {
        return false;
    }
    rest.strip_prefix("yaml-language-server")
        .is_some_and(|r| r.trim_start().starts_with(':'))
        || rest.starts_with("$schema:")
}

/// The offset and text of the first `$schema=VALUE` or `$schema: VALUE` in
/// a modeline comment (VALUE runs to the next whitespace).
fn schema_value(comment: &str) -> Option<(usize, &str)> {
    let mut from = 0;
    while let Some(i) = comment[from..].find("$schema") {
        let after = from + i + "$schema".len();
        let rest = &comment[after..];
        let value_at = if rest.starts_with('=') {
            Some(after + 1)
        } else {
            rest.strip_prefix(':').map(|r| {
                let skipped = r.len() - r.trim_start_matches([' ', '\t']).len();
                after + 1 + skipped
            })
        };
        if let Some(at) = value_at {
            let value = comment[at..]
                .split(char::is_whitespace)
                .next()
                .unwrap_or("");
            if !value.is_empty() {
                return Some((at, value));
            }
        }
        from = after;
    }
    None
}

/// The path from the folder `from` to `to` (both absolute, normalized), with `/`.
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str, from: &str, to: &str) -> Option<(String, String, String)> {
        rewrite_modeline(text.as_bytes(), Path::new(from), Path::new(to))
            .map(|(b, o, n)| (String::from_utf8(b).unwrap(), o, n))
    }

    #[test]
    fn a_relative_schema_path_still_points_at_the_same_file() {
        let spec = "# yaml-language-server: $schema=../schema/spec.schema.json\nkind: run\n";
        let (text, old, new) = rewrite(spec, "/r/specs", "/r/specs/done").unwrap();
        assert_eq!(
            text,
            "# yaml-language-server: $schema=../../schema/spec.schema.json\nkind: run\n"
        );
        assert_eq!(
            (old.as_str(), new.as_str()),
            (
                "../schema/spec.schema.json",
                "../../schema/spec.schema.json"
            )
        );
        // Same folder, a sub-folder, a fragment, the `$schema:` form, CRLF, a BOM.
        let cases = [
            (
                "# yaml-language-server: $schema=s.json\n",
                "/r/specs/a",
                "/r/specs/done/a",
                "# yaml-language-server: $schema=../../a/s.json\n",
            ),
            (
                "\u{feff}#   yaml-language-server :  $schema=../../schema/x.json#/defs/a\r\nk: v\r\n",
                "/r/specs/team",
                "/r/specs/done/team",
                "\u{feff}#   yaml-language-server :  $schema=../../../schema/x.json#/defs/a\r\nk: v\r\n",
            ),
            (
                "\n# a comment\n# $schema: ../schema/spec.schema.json other\n",
                "/r/specs",
                "/r/specs/done",
                "\n# a comment\n# $schema: ../../schema/spec.schema.json other\n",
            ),
        ];
        for (before, from, to, after) in cases {
            assert_eq!(
                rewrite(before, from, to).map(|r| r.0).as_deref(),
                Some(after),
                "{before:?}"
            );
        }
    }

    #[test]
    fn urls_absolute_paths_and_non_modelines_are_left_alone() {
        for text in [
            "# yaml-language-server: $schema=https://example.com/s.json\n",
            "# yaml-language-server: $schema=http://example.com/s.json\n",
            "# yaml-language-server: $schema=file:///r/schema/s.json\n",
            "# yaml-language-server: $schema=/r/schema/s.json\n",
            // Not a modeline: no space after `#`, or after the document starts.
            "#yaml-language-server: $schema=../s.json\n",
            "kind: run\n# yaml-language-server: $schema=../s.json\n",
            "# yaml-language-server: no schema here\n",
            "kind: run\n",
        ] {
            assert!(
                rewrite(text, "/r/specs", "/r/specs/done").is_none(),
                "{text:?}"
            );
        }
        // Only the first modeline counts.
        let (text, ..) = rewrite(
            "# yaml-language-server: $schema=a.json\n# yaml-language-server: $schema=b.json\n",
            "/r/specs",
            "/r/specs/done",
        )
        .unwrap();
        assert_eq!(
            text,
            "# yaml-language-server: $schema=../a.json\n# yaml-language-server: $schema=b.json\n"
        );
    }

    #[test]
    fn relative_paths_between_folders() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b));
        assert_eq!(
            rel("/r/specs/done", "/r/schema/s.json"),
            "../../schema/s.json"
        );
        assert_eq!(rel("/r/specs/done", "/r/specs/done/s.json"), "s.json");
        assert_eq!(rel("/r", "/r"), ".");
        assert_eq!(normalize(Path::new("/r/../../a/./b")), Path::new("/a/b"));
    }
}
