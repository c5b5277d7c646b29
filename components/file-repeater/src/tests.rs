use std::{
    fs::{self, File},
    path::Path,
    time::{Duration, SystemTime},
};

use wharf_guest::{ResultCode, state};

use super::*;

fn touch(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn set_modified(path: &Path, time: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

fn settings(dir: &Path, extra: &[(&str, &str)]) -> FileRepeaterSettings {
    let mut pairs = vec![(
        "input-directory".to_owned(),
        dir.to_str().unwrap().to_owned(),
    )];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    FileRepeaterSettings::from_pairs(&pairs).unwrap()
}

fn names(items: &[CurrentItem]) -> Vec<String> {
    items
        .iter()
        .map(|item| value(item, "Name").to_owned())
        .collect()
}

fn value<'a>(item: &'a CurrentItem, name: &str) -> &'a str {
    &item.iter().find(|(k, _)| k == name).unwrap().1
}

fn listed(dir: &Path, pattern: &str, recursive: bool) -> Vec<String> {
    let listing = Listing::new(pattern, recursive).unwrap();
    list_files(dir, &listing, None)
        .unwrap()
        .iter()
        .map(|f| {
            f.path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn wildcards_behave_like_windows() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.xml", "B.XML", "c.csv", "README", "x[1].xml", "ab.xml"] {
        touch(&dir.path().join(name), b"");
    }
    let d = dir.path();
    assert_eq!(
        listed(d, "*", false),
        ["B.XML", "README", "a.xml", "ab.xml", "c.csv", "x[1].xml"]
    );
    assert_eq!(listed(d, "*.*", false), listed(d, "*", false));
    assert_eq!(
        listed(d, "*.xml", false),
        ["B.XML", "a.xml", "ab.xml", "x[1].xml"]
    );
    assert_eq!(listed(d, "?.xml", false), ["B.XML", "a.xml"]);
    assert_eq!(listed(d, "x[1].xml", false), ["x[1].xml"]);
    assert_eq!(listed(d, "a**.xml", false), ["a.xml", "ab.xml"]);
    assert_eq!(listed(d, "readme", false), ["README"]);
    assert!(Listing::new("sub/*.xml", false).is_err());
}

#[test]
fn recursion_is_optional_and_order_is_ordinal_by_full_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["b.txt", "a/z.txt", "a/b/c.txt", "a.txt", "A.txt"] {
        touch(&dir.path().join(name), b"");
    }
    assert_eq!(listed(dir.path(), "*", false), ["A.txt", "a.txt", "b.txt"]);
    assert_eq!(
        listed(dir.path(), "*", true),
        ["A.txt", "a.txt", "a/b/c.txt", "a/z.txt", "b.txt"]
    );
}

#[test]
fn temporary_files_and_folders_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    touch(&dir.path().join("a.xml"), b"");
    touch(&dir.path().join(".a.xml.wharf-partial"), b"");
    touch(&dir.path().join(".wharf-archive-1.zip.partial"), b"");
    touch(&dir.path().join("sub.xml/inner.xml"), b"");
    assert_eq!(listed(dir.path(), "*", false), ["a.xml"]);
}

#[test]
fn current_variables_are_the_file_info_properties() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.2024.xml");
    touch(&path, b"12345");
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_715_299_200);
    set_modified(&path, modified);
    let items = items(&settings(dir.path(), &[]), SystemTime::now()).unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let keys: Vec<_> = item.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, CURRENT_VARIABLES);
    let folder = dir.path().to_str().unwrap();
    assert_eq!(value(item, "Name"), "orders.2024.xml");
    assert_eq!(value(item, "NameWithoutExtension"), "orders.2024");
    assert_eq!(value(item, "Extension"), ".xml");
    assert_eq!(value(item, "FullName"), path.to_str().unwrap());
    assert_eq!(value(item, "Directory"), folder);
    assert_eq!(value(item, "DirectoryName"), folder);
    assert_eq!(value(item, "Length"), "5");
    assert_eq!(value(item, "LastWriteTime"), "2024-05-10T00:00:00Z");
    assert!(DateTime::parse_from_rfc3339(value(item, "CreationTime")).is_ok());
    assert!(DateTime::parse_from_rfc3339(value(item, "LastAccessTime")).is_ok());
}

#[test]
fn extensions_follow_dotnet() {
    assert_eq!(split_extension("a.xml"), ("a", ".xml"));
    assert_eq!(split_extension("a.tar.gz"), ("a.tar", ".gz"));
    assert_eq!(split_extension("README"), ("README", ""));
    assert_eq!(split_extension("a."), ("a", ""));
    assert_eq!(split_extension(".profile"), ("", ".profile"));
}

#[test]
fn missing_folder_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let error = items(&settings(&dir.path().join("nope"), &[]), SystemTime::now()).unwrap_err();
    assert_eq!(error.code, ResultCode::NotFound);
    assert!(
        error
            .message
            .starts_with("setting `input-directory`: folder `")
    );
}

#[test]
fn a_file_is_not_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.xml");
    touch(&file, b"");
    let error = items(&settings(&file, &[]), SystemTime::now()).unwrap_err();
    assert_eq!(error.code, ResultCode::Fail);
}

#[test]
fn bad_pattern_fails_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let error = items(
        &settings(dir.path(), &[("search-pattern", "a/b")]),
        SystemTime::now(),
    )
    .unwrap_err();
    assert_eq!(error.code, ResultCode::Fail);
    assert!(
        error.message.starts_with("setting `search-pattern`:"),
        "{}",
        error.message
    );
}

#[test]
fn only_modified_files_uses_the_cursor_and_moves_it_to_the_start_time() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.xml");
    let new = dir.path().join("new.xml");
    touch(&old, b"");
    touch(&new, b"");
    let s = settings(dir.path(), &[("only-modified-files", "true")]);

    // No cursor yet: everything, and the cursor becomes the run's start.
    let first_start = SystemTime::now() + Duration::from_secs(10);
    assert_eq!(
        names(&items(&s, first_start).unwrap()),
        ["new.xml", "old.xml"]
    );
    assert_eq!(state::get(CURSOR_KEY), Some(format_cursor(first_start)));

    // Nothing changed since: nothing, and the cursor still moves.
    let second_start = first_start + Duration::from_secs(10);
    assert!(items(&s, second_start).unwrap().is_empty());
    assert_eq!(state::get(CURSOR_KEY), Some(format_cursor(second_start)));

    // A file changed after the cursor is yielded even though it is not the newest file.
    set_modified(&new, second_start + Duration::from_secs(3600));
    set_modified(&old, second_start + Duration::from_secs(1));
    assert_eq!(
        names(&items(&s, second_start + Duration::from_secs(5)).unwrap()),
        ["new.xml", "old.xml"]
    );
}

#[test]
fn without_only_modified_the_cursor_is_neither_used_nor_moved() {
    let dir = tempfile::tempdir().unwrap();
    touch(&dir.path().join("a.xml"), b"");
    state::set(CURSOR_KEY, "2999-01-01T00:00:00Z");
    let found = items(&settings(dir.path(), &[]), SystemTime::now()).unwrap();
    assert_eq!(names(&found), ["a.xml"]);
    assert_eq!(
        state::get(CURSOR_KEY).as_deref(),
        Some("2999-01-01T00:00:00Z")
    );
}

#[test]
fn an_unreadable_cursor_lists_every_file() {
    let dir = tempfile::tempdir().unwrap();
    touch(&dir.path().join("a.xml"), b"");
    state::set(CURSOR_KEY, "yesterday");
    let s = settings(dir.path(), &[("only-modified-files", "true")]);
    let start = SystemTime::now();
    assert_eq!(names(&items(&s, start).unwrap()), ["a.xml"]);
    assert_eq!(state::get(CURSOR_KEY), Some(format_cursor(start)));
}

#[test]
fn describe_lists_settings_and_current_variables() {
    let info = wharf_guest::testing::describe_repeater::<FileRepeater>();
    assert_eq!(info.name, "file-repeater");
    let names: Vec<_> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "input-directory",
            "search-pattern",
            "recursive",
            "only-modified-files"
        ]
    );
    assert_eq!(info.current_variables, CURRENT_VARIABLES);
}

fn listed_within(root: &Path, dir: &Path, recursive: bool) -> Vec<String> {
    let listing = Listing::new("*", recursive).unwrap().within(root);
    list_files(dir, &listing, None)
        .unwrap()
        .iter()
        .map(|f| {
            f.path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn links_inside_the_working_directory_are_followed_once_and_others_skipped() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    touch(&outside.path().join("secret.xml"), b"secret");
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    touch(&root.join("in/a.xml"), b"a");
    touch(&root.join("in/sub/b.xml"), b"b");
    touch(&root.join("shared/c.xml"), b"c");
    // Inside: a file, a folder beside the listed one, and a folder listed anyway.
    symlink("../shared/c.xml", root.join("in/c-link.xml")).unwrap();
    symlink("../shared", root.join("in/shared-link")).unwrap();
    symlink("sub", root.join("in/sub-again")).unwrap();
    // A link to its own ancestor, and a chain of links that ends inside.
    symlink("..", root.join("in/sub/up")).unwrap();
    symlink("c-link.xml", root.join("in/chain.xml")).unwrap();
    // Outside: by `..`, by an absolute path, and dangling.
    symlink("../../../../../../../../etc", root.join("in/etc")).unwrap();
    symlink(
        outside.path().join("secret.xml"),
        root.join("in/secret.xml"),
    )
    .unwrap();
    symlink("nowhere.xml", root.join("in/dangling.xml")).unwrap();
    // A loop of links.
    symlink("loop-b", root.join("in/loop-a")).unwrap();
    symlink("loop-a", root.join("in/loop-b")).unwrap();

    assert_eq!(
        listed_within(root, &root.join("in"), true),
        ["in/a.xml", "in/shared-link/c.xml", "in/sub/b.xml"],
        "each real file once: `sub-again` and `up` add nothing; c.xml once, not by both links"
    );
    assert_eq!(
        listed_within(root, &root.join("in"), false),
        ["in/a.xml", "in/c-link.xml"]
    );
    // Listed through a link, a file shows the link's path and the target's details.
    let items = list_files(
        &root.join("in"),
        &Listing::new("c-link.xml", false).unwrap().within(root),
        None,
    )
    .unwrap();
    assert_eq!(items[0].length, 1);
}

#[test]
fn a_linked_folder_outside_the_listed_one_is_walked() {
    use std::os::unix::fs::symlink;
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    touch(&root.join("in/a.xml"), b"a");
    touch(&root.join("elsewhere/deep/d.xml"), b"d");
    symlink("../elsewhere", root.join("in/more")).unwrap();
    assert_eq!(
        listed_within(root, &root.join("in"), true),
        ["in/a.xml", "in/more/deep/d.xml"]
    );
}
