//! `dagster-scripts retire`: a finished request's spec moves into
//! `specs/done/` byte for byte but its schema modeline, which still finds the
//! schema from there; `check` still validates it, `render` drops its Job; and
//! every path that must not move is refused and left alone.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{outcome, repo, repo_with, run};

const RUN: &str = "specs/run-34560.yaml";

/// A repository with the committed schema, the example run spec, one spec in
/// a sub-folder (CRLF line ends, a modeline with a fragment, no final line
/// break) and one whose modeline is a URL, rendered into out/.
fn repository() -> tempfile::TempDir {
    let example = fs::read(repo().join(RUN)).expect("example");
    let nested = b"\xef\xbb\xbf# yaml-language-server: $schema=../../schema/spec.schema.json#/$defs/nothing\r\n\
# Kept as written:  trailing spaces   \r\nkind: run\r\njob_name: cleanup_job\r\n\
tags:\r\n  name: \"34561\"\r\n  reason: tidy\r\n  requester: jane.doe@example.com"
        .to_vec();
    let url = fs::read_to_string(repo().join(RUN))
        .expect("example")
        .replace(
            "$schema=../schema/spec.schema.json",
            "$schema=https://example.com/spec.schema.json",
        )
        .replace("34560", "34562");
    let dir = repo_with(&[
        ("run-34560.yaml", &example),
        ("team/run-34561.yaml", &nested),
        ("run-34562.yaml", url.as_bytes()),
    ]);
    fs::create_dir(dir.path().join("schema")).expect("schema dir");
    fs::copy(
        repo().join("schema/spec.schema.json"),
        dir.path().join("schema/spec.schema.json"),
    )
    .expect("schema");
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    dir
}

/// The schema path a spec's modeline names, resolved the way
/// yaml-language-server does: from the spec's folder, a fragment left out.
fn modeline_target(spec: &Path) -> PathBuf {
    let text = fs::read_to_string(spec).expect("spec");
    let line = text.lines().next().expect("a first line");
    let value = line
        .split("$schema=")
        .nth(1)
        .expect("a modeline")
        .split(char::is_whitespace)
        .next()
        .expect("a value");
    let path = value.split('#').next().expect("a path");
    spec.parent().expect("a folder").join(path)
}

#[test]
fn moves_byte_for_byte_fixes_the_modeline_still_checks_and_leaves_render() {
    let dir = repository();
    let d = dir.path();
    let before: Vec<(&str, Vec<u8>)> = [RUN, "specs/team/run-34561.yaml", "specs/run-34562.yaml"]
        .into_iter()
        .map(|p| (p, fs::read(d.join(p)).expect("spec")))
        .collect();
    assert!(d.join("out/run-34560.yaml").exists());

    let (code, out, err) = outcome(&run(
        d,
        &[
            "retire",
            RUN,
            "./specs/team/run-34561.yaml",
            "specs/run-34562.yaml",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "specs/run-34560.yaml -> specs/done/run-34560.yaml\n\
         ./specs/team/run-34561.yaml -> specs/done/team/run-34561.yaml\n\
         specs/run-34562.yaml -> specs/done/run-34562.yaml\n"
    );
    assert!(
        err.contains("retired 3 specs into specs/done/")
            && err.contains("run `dagster-scripts render`"),
        "{err}"
    );
    for (path, _) in &before {
        assert!(!d.join(path).exists(), "{path} is still there");
    }

    // Byte for byte, but the schema path, which gains one `../`.
    let moved = |p: &str| fs::read(d.join(p)).expect("moved spec");
    let fix = |bytes: &[u8], old: &str, new: &str| {
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        assert_eq!(text.matches(old).count(), 1);
        text.replacen(old, new, 1).into_bytes()
    };
    assert_eq!(
        moved("specs/done/run-34560.yaml"),
        fix(&before[0].1, "$schema=../schema/", "$schema=../../schema/")
    );
    assert_eq!(
        moved("specs/done/team/run-34561.yaml"),
        fix(
            &before[1].1,
            "$schema=../../schema/",
            "$schema=../../../schema/"
        )
    );
    assert_eq!(
        moved("specs/done/run-34562.yaml"),
        before[2].1,
        "a URL is left as it is"
    );
    let schema = fs::canonicalize(d.join("schema/spec.schema.json")).expect("schema");
    for p in [
        "specs/done/run-34560.yaml",
        "specs/done/team/run-34561.yaml",
    ] {
        let target = modeline_target(&d.join(p));
        assert_eq!(
            fs::canonicalize(&target).ok().as_ref(),
            Some(&schema),
            "{p}: the modeline points at {}",
            target.display()
        );
    }

    // `check` still validates the retired specs; `render` drops their Jobs.
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("checked 3 specs: all valid"), "{err}");
    let (code, _, err) = outcome(&run(d, &["check", "specs/done/team/run-34561.yaml"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcome(&run(d, &["render", "--check"]));
    assert_eq!(code, 1, "out/ is stale until render runs: {err}");
    let (code, _, err) = outcome(&run(d, &["render"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("removed out/run-34560.yaml"), "{err}");
    for job in ["run-34560", "run-34561", "run-34562"] {
        assert!(!d.join(format!("out/{job}.yaml")).exists(), "{job}");
    }
}

/// Runs `retire` on `path` in `d` and checks it is refused with `code`, its
/// message holding `says`, and that nothing moved.
fn refused(d: &Path, path: &str, code: i32, says: &str) {
    let listing = |d: &Path| {
        walk(d)
            .into_iter()
            // A FIFO is listed, not read (reading it would block).
            .map(|p| {
                let regular = fs::symlink_metadata(&p).is_ok_and(|m| m.is_file());
                (regular.then(|| fs::read(&p).ok()).flatten(), p)
            })
            .collect::<Vec<_>>()
    };
    let before = listing(d);
    let (got, out, err) = outcome(&run(d, &["retire", path]));
    assert_eq!(got, code, "retire {path}:\n{err}");
    assert!(
        err.contains(says) && err.contains("it was not moved"),
        "retire {path}:\n{err}"
    );
    assert_eq!(out, "", "nothing is reported moved");
    assert_eq!(listing(d), before, "retire {path} changed files");
}

/// Every file and link under `d`, sorted.
fn walk(d: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![d.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("folder") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn refuses_what_must_not_move_and_moves_nothing_of_it() {
    let dir = repository();
    let d = dir.path();
    fs::write(d.join("run-elsewhere.yaml"), fs::read(d.join(RUN)).unwrap()).unwrap();
    fs::create_dir_all(d.join("specs/done")).unwrap();
    fs::write(
        d.join("specs/done/run-1.yaml"),
        fs::read(d.join(RUN)).unwrap(),
    )
    .unwrap();
    fs::write(d.join("specs/notes.txt"), "not a spec\n").unwrap();
    fs::write(d.join("specs/bad-1.yaml"), "job_nme: x\n").unwrap();
    fs::write(d.join("specs/huge.yaml"), vec![b'#'; 2 * 1024 * 1024]).unwrap();
    std::os::unix::fs::symlink("run-34560.yaml", d.join("specs/link.yaml")).unwrap();
    fs::create_dir(d.join("elsewhere")).unwrap();
    fs::write(
        d.join("elsewhere/run-9.yaml"),
        fs::read(d.join(RUN)).unwrap(),
    )
    .unwrap();
    std::os::unix::fs::symlink("../elsewhere", d.join("specs/linked")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.join("specs/pipe.yaml"))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());

    refused(d, "run-elsewhere.yaml", 2, "not in the specs folder");
    refused(
        d,
        "specs/../run-elsewhere.yaml",
        2,
        "not in the specs folder",
    );
    refused(d, "specs/done/run-1.yaml", 2, "retired already");
    refused(d, "specs", 2, "this is the specs folder");
    refused(d, "specs/team", 2, "a folder, not a spec file");
    refused(d, "specs/notes.txt", 2, "not a spec file");
    refused(d, "specs/missing.yaml", 2, "no such file");
    refused(d, "specs/link.yaml", 2, "a symbolic link");
    refused(d, "specs/linked/run-9.yaml", 2, "through a symbolic link");
    refused(d, "specs/pipe.yaml", 2, "not a regular file");
    refused(d, "specs/huge.yaml", 2, "at most 1 MiB");
    refused(d, "specs/bad-1.yaml", 1, "is not a valid spec");

    // The destination is taken by another file.
    fs::write(d.join("specs/done/run-34560.yaml"), "kind: run\n").unwrap();
    refused(d, RUN, 2, "specs/done/run-34560.yaml exists already");
    fs::remove_file(d.join("specs/done/run-34560.yaml")).unwrap();

    // Unreadable (permissions do not stop root, who runs CI containers).
    fs::write(d.join("specs/locked.yaml"), fs::read(d.join(RUN)).unwrap()).unwrap();
    let locked = d.join("specs/locked.yaml");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&locked).is_err() {
        refused(d, "specs/locked.yaml", 2, "permission denied");
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();

    // One refused path does not stop the others; the exit says something was refused.
    let (code, out, err) = outcome(&run(d, &["retire", "specs/notes.txt", RUN]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "specs/run-34560.yaml -> specs/done/run-34560.yaml\n");
    assert!(d.join("specs/done/run-34560.yaml").exists());
}

#[test]
fn a_move_cut_short_after_the_link_is_completed() {
    let dir = repository();
    let d = dir.path();
    // What a crash between writing the new file and removing the old leaves:
    // both, the new one complete, and a stale temporary file.
    let text = fs::read_to_string(d.join(RUN)).unwrap();
    let retired = text.replace("$schema=../schema/", "$schema=../../schema/");
    fs::create_dir_all(d.join("specs/done")).unwrap();
    fs::write(d.join("specs/done/run-34560.yaml"), &retired).unwrap();
    fs::write(
        d.join("specs/done/.run-34562.yaml.dagster-scripts-retire.tmp"),
        "half",
    )
    .unwrap();

    let (code, out, err) = outcome(&run(d, &["retire", RUN, "specs/run-34562.yaml"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("held it already"), "{err}");
    assert_eq!(
        out,
        "specs/run-34560.yaml -> specs/done/run-34560.yaml\n\
         specs/run-34562.yaml -> specs/done/run-34562.yaml\n"
    );
    assert!(!d.join(RUN).exists());
    assert_eq!(
        fs::read_to_string(d.join("specs/done/run-34560.yaml")).unwrap(),
        retired
    );
    let left: Vec<PathBuf> = walk(&d.join("specs/done"));
    assert_eq!(
        left,
        [
            d.join("specs/done/run-34560.yaml"),
            d.join("specs/done/run-34562.yaml")
        ],
        "the stale temporary file is gone"
    );
}
