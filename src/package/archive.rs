//! Writing a chart archive byte for byte the same for the same files: entries
//! sorted under `NAME/`, one fixed mtime, modes 0644 (files) and 0755
//! (directories), uid/gid 0 with empty owner names, and a gzip header with no
//! timestamp or file name.

use std::collections::BTreeSet;
use std::io::{self, Write};

use flate2::{Compression, GzBuilder};
use tar::{EntryType, Header};

use crate::chart::ChartFile;

pub const FILE_MODE: u32 = 0o644;
pub const DIR_MODE: u32 = 0o755;

/// The `.tgz` bytes of chart `name` holding `files` (paths relative to the
/// chart root), every entry stamped with `mtime` (seconds since the epoch).
pub fn write_archive(name: &str, files: &[ChartFile], mtime: u64) -> io::Result<Vec<u8>> {
    let mut sorted: Vec<&ChartFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    // Every directory on the way to a file, so each appears before its contents.
    let mut dirs = BTreeSet::new();
    for file in &sorted {
        let mut end = 0;
        while let Some(i) = file.path[end..].find('/') {
            end += i + 1;
            dirs.insert(&file.path[..end]);
        }
    }
    let mut entries: Vec<(String, Option<&[u8]>)> = Vec::with_capacity(dirs.len() + files.len());
    entries.push((format!("{name}/"), None));
    entries.extend(dirs.iter().map(|d| (format!("{name}/{d}"), None)));
    entries.extend(
        sorted
            .iter()
            .map(|f| (format!("{name}/{}", f.path), Some(&f.data[..]))),
    );
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let gzip = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, data) in &entries {
        let mut header = Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        match data {
            Some(data) => {
                header.set_entry_type(EntryType::Regular);
                header.set_mode(FILE_MODE);
                header.set_size(data.len() as u64);
                tar.append_data(&mut header, path, *data)?;
            }
            None => {
                header.set_entry_type(EntryType::Directory);
                header.set_mode(DIR_MODE);
                header.set_size(0);
                tar.append_data(&mut header, path, io::empty())?;
            }
        }
    }
    let mut gzip = tar.into_inner()?;
    gzip.flush()?;
    gzip.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &str) -> ChartFile {
        ChartFile {
            path: path.into(),
            data: data.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn same_files_in_any_order_give_the_same_bytes() {
        let a = vec![
            file("templates/b.yaml", "b"),
            file("Chart.yaml", "c"),
            file("templates/a.yaml", "a"),
        ];
        let mut b = a.clone();
        b.reverse();
        let one = write_archive("demo", &a, 0).unwrap();
        assert_eq!(one, write_archive("demo", &b, 0).unwrap());
        assert_ne!(one, write_archive("demo", &a, 1).unwrap());
        // gzip header: no mtime (bytes 4..8), no name flag (byte 3), OS unknown.
        assert_eq!(&one[3..10], &[0, 0, 0, 0, 0, 0, 255]);
    }

    #[test]
    fn entries_are_sorted_with_directories_first() {
        let files = vec![
            file("templates/deep/x.yaml", "x"),
            file("Chart.yaml", "c"),
            file("templates/a.yaml", "a"),
        ];
        let bytes = write_archive("demo", &files, 7).unwrap();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let h = entry.header();
            seen.push((
                entry.path().unwrap().display().to_string(),
                h.mode().unwrap(),
                h.mtime().unwrap(),
            ));
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
        }
        let paths: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "demo/",
                "demo/Chart.yaml",
                "demo/templates/",
                "demo/templates/a.yaml",
                "demo/templates/deep/",
                "demo/templates/deep/x.yaml"
            ]
        );
        assert!(seen.iter().all(|s| s.2 == 7));
        assert_eq!(seen[0].1, 0o755);
        assert_eq!(seen[1].1, 0o644);
    }

    #[test]
    fn long_paths_are_kept() {
        let long = format!("files/{}/data.txt", "d".repeat(120));
        let bytes = write_archive("demo", &[file(&long, "x")], 0).unwrap();
        let files = crate::chart::read_archive(bytes.as_slice(), "t.tgz").unwrap();
        assert_eq!(files[0].path, long);
    }
}
