//! Many captures as one: parts cut by editcap and spread over nested directories must
//! give what the whole capture gives (dns in every format, split byte for byte); inputs
//! that overlap in time must give what mergecap's merge gives; --jobs never changes a
//! byte; damage in one input leaves the others processed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn require_editcap() {
    require_tool("editcap");
    require_tool("mergecap");
}

/// Cuts `capture` into pcap parts of `every` packets with editcap and hides them in
/// nested directories; with `rename`, under names whose order says nothing about time
/// (only right when no two parts start at the same timestamp: then the file name is
/// what orders them, as for a rotated set). Returns the top directory.
fn cut_and_scatter(capture: &Path, every: usize, dir: &Path, rename: bool) -> PathBuf {
    require_editcap();
    let parts = dir.join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    let status = Command::new("editcap")
        .args(["-F", "pcap", "-c", &every.to_string()])
        .arg(capture)
        .arg(parts.join("part.pcap"))
        .status()
        .expect("cannot run editcap");
    assert!(status.success(), "editcap failed on {}", capture.display());
    let top = dir.join("scattered");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(
        names.len() > 2,
        "{}: only {} parts",
        capture.display(),
        names.len()
    );
    for (i, part) in names.iter().enumerate() {
        // Later parts get names that sort earlier, in three directory depths.
        let sub = match i % 3 {
            0 => top.join("a/b"),
            1 => top.join("c"),
            _ => top.clone(),
        };
        std::fs::create_dir_all(&sub).unwrap();
        let name = if rename {
            format!("{:04}-x.cap", 9999 - i * 7 % 9999)
        } else {
            part.file_name().unwrap().to_string_lossy().into_owned()
        };
        std::fs::rename(part, sub.join(name)).unwrap();
    }
    std::fs::remove_dir(&parts).unwrap();
    top
}

fn stdout_ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "pcaptool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// `dns` in every output and `split` in both keys give the same bytes for `whole` and
/// for `parts` (one or more paths read as one).
fn assert_same_as_whole(whole: &Path, parts: &[&Path], scratch: &Path, what: &str) {
    let whole_s = whole.to_str().unwrap();
    let parts_s: Vec<&str> = parts.iter().map(|p| p.to_str().unwrap()).collect();
    let mut compared = 0;
    for extra in [
        &["--format", "text"][..],
        &["--format", "json"],
        &["--format", "csv"],
        &["--format", "dig"],
        &["--stats"],
        &["--stats", "--format", "json"],
    ] {
        let mut a = vec!["dns", whole_s];
        a.extend_from_slice(extra);
        let mut b = vec!["dns"];
        b.extend_from_slice(&parts_s);
        b.extend_from_slice(extra);
        let (x, y) = (stdout_ok(&a), stdout_ok(&b));
        assert!(!x.is_empty(), "{what}: dns {extra:?} printed nothing");
        assert!(
            x == y,
            "{what}: dns {extra:?} differs between the whole and its parts"
        );
        compared += 1;
    }
    for by in ["pair", "conversation"] {
        let (one, many) = (
            scratch.join(format!("whole-{by}")),
            scratch.join(format!("parts-{by}")),
        );
        stdout_ok(&[
            "split",
            whole_s,
            "-o",
            one.to_str().unwrap(),
            "--by",
            by,
            "-q",
        ]);
        let mut b = vec!["split"];
        b.extend_from_slice(&parts_s);
        b.extend_from_slice(&["-o", many.to_str().unwrap(), "--by", by, "-q"]);
        stdout_ok(&b);
        let (x, y) = (tree(&one), tree(&many));
        assert!(x.len() > 1, "{what}: split by {by} wrote {} files", x.len());
        assert!(
            x == y,
            "{what}: split by {by} differs between the whole and its parts"
        );
        compared += 1;
    }
    assert_eq!(compared, 8);
}

#[test]
fn parts_in_nested_directories_give_what_the_whole_gives() {
    let corpus = corpus_dir();
    // UDP DNS; DNS over TCP (messages cut across files); IPv4 fragments across files
    // (raw IP and Ethernet). The fragment captures hold runs of packets with one
    // timestamp longer than a part: there the parts keep editcap's names.
    for (file, every, rename) in [
        ("skype-irc.cap", 100, true),
        ("dnso1tcp.pcap", 3, true),
        ("dnscap-frags.pcap", 2, false),
        ("ndpi-dns_fragmented.pcap", 2, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let whole = corpus.join(file);
        let top = cut_and_scatter(&whole, every, dir.path(), rename);
        assert_same_as_whole(&whole, &[&top], dir.path(), file);
    }
}

#[test]
fn generated_dns_over_tcp_cut_every_three_packets_is_whole_again() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("tcp.pcap");
    stdout_ok(&[
        "gen",
        "dns",
        "a.example",
        "b.example",
        "c.example",
        "--count",
        "60",
        "--tcp",
        "--responses",
        "--answer",
        "192.0.2.7",
        "--seed",
        "3",
        "--start",
        "1700000000",
        "-o",
        whole.to_str().unwrap(),
    ]);
    let top = cut_and_scatter(&whole, 3, dir.path(), true);
    assert_same_as_whole(&whole, &[&top], dir.path(), "gen dns --tcp");
}

#[test]
fn overlapping_inputs_are_merged_as_mergecap_merges_them() {
    require_editcap();
    let dir = tempfile::tempdir().unwrap();
    // Same start and rate: every timestamp of one file is also in the other (ties).
    let mut files = Vec::new();
    for (name, seed, src) in [
        ("b.pcap", "1", "192.0.2.1"),
        ("a.pcap", "2", "198.51.100.1"),
    ] {
        let path = dir.path().join(name);
        stdout_ok(&[
            "gen",
            "dns",
            "x.example",
            "y.example",
            "--count",
            "40",
            "--responses",
            "--tcp",
            "--src",
            src,
            "--seed",
            seed,
            "--start",
            "1700000000",
            "--rate",
            "100",
            "-o",
            path.to_str().unwrap(),
        ]);
        files.push(path);
    }
    // Equal timestamps: the input that ranks first (by first timestamp, then name) comes
    // first, whatever the order on the command line. mergecap gives a tie to the input
    // named last (merge.c's is_earlier holds for equal times), so it is given the inputs
    // in reverse rank order.
    let merged = dir.path().join("merged.pcap");
    let status = Command::new("mergecap")
        .args(["-F", "pcap", "-w"])
        .arg(&merged)
        .arg(dir.path().join("b.pcap"))
        .arg(dir.path().join("a.pcap"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_same_as_whole(
        &merged,
        &[&files[0], &files[1]],
        dir.path(),
        "overlapping inputs",
    );
}

#[test]
fn jobs_never_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let top = cut_and_scatter(&corpus_dir().join("skype-irc.cap"), 50, dir.path(), true);
    let one = corpus_dir().join("DnsPackets.pcap");
    for input in [top.as_path(), one.as_path()] {
        let input = input.to_str().unwrap();
        for format in ["text", "json", "csv", "dig"] {
            let base = stdout_ok(&["dns", input, "--format", format, "--jobs", "1"]);
            for jobs in ["2", "3", "8"] {
                let other = stdout_ok(&["dns", input, "--format", format, "--jobs", jobs]);
                assert!(
                    base == other,
                    "{input}: --format {format} --jobs {jobs} differs from --jobs 1"
                );
            }
        }
        let base = stdout_ok(&["info", input, "--jobs", "1"]);
        assert_eq!(
            base,
            stdout_ok(&["info", input, "--jobs", "4"]),
            "{input}: info"
        );
    }
}

#[test]
fn info_over_a_directory_counts_what_capinfos_counts() {
    require_tool("capinfos");
    let dir = tempfile::tempdir().unwrap();
    let top = cut_and_scatter(&corpus_dir().join("skype-irc.cap"), 300, dir.path(), true);
    let text = String::from_utf8(stdout_ok(&["info", top.to_str().unwrap()])).unwrap();
    let mut files = 0;
    for block in text.split("file: ").skip(1) {
        let path = block.lines().next().unwrap();
        let ours = info_packets(block.as_bytes()).unwrap();
        let out = Command::new("capinfos")
            .args(["-M", "-c", "-T"])
            .arg(path)
            .output()
            .unwrap();
        let theirs: u64 = String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.split('\t').nth(1))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("capinfos said nothing useful about {path}"));
        assert_eq!(ours, theirs, "{path}");
        files += 1;
    }
    assert_eq!(files, 8, "one summary per part");
}

#[test]
fn damage_in_one_input_leaves_the_others_processed() {
    let dir = tempfile::tempdir().unwrap();
    let top = cut_and_scatter(&corpus_dir().join("skype-irc.cap"), 500, dir.path(), true);
    let whole_lines = stdout_ok(&["dns", corpus_dir().join("skype-irc.cap").to_str().unwrap()])
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    // A corrupt record header in one part, a cut in another.
    let mut parts: Vec<PathBuf> = tree(&top).into_iter().map(|(p, _)| top.join(p)).collect();
    parts.sort();
    let corrupt = &parts[0];
    let mut bytes = std::fs::read(corrupt).unwrap();
    // Keep the file header and the first record, then a record claiming 2 GiB.
    let caplen = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    bytes.truncate(24 + 16 + caplen);
    bytes.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f,
    ]);
    bytes.extend_from_slice(&[0; 64]);
    std::fs::write(corrupt, &bytes).unwrap();
    let cut = &parts[1];
    let len = std::fs::metadata(cut).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(cut)
        .unwrap()
        .set_len(len - 7)
        .unwrap();
    let out = run(&["dns", top.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad input among many: exit 2; stderr: {stderr}"
    );
    assert!(
        stderr.contains(corrupt.to_str().unwrap()),
        "names the corrupt file: {stderr}"
    );
    assert!(
        stderr.contains(&format!("{}: capture cut short", cut.display())),
        "warns of the cut: {stderr}"
    );
    let lines = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert!(
        lines > whole_lines * 3 / 5 && lines < whole_lines,
        "the other parts are decoded: {lines} of {whole_lines} lines"
    );
    // A missing input: nothing is done at all (no output directory), exit 1.
    let out_dir = dir.path().join("never");
    let out = run(&[
        "split",
        top.to_str().unwrap(),
        "/nonexistent/input.pcap",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out_dir.exists(),
        "no output before the inputs are all there"
    );
    // A directory holding a file that is not a capture: skipped and said.
    std::fs::write(top.join("notes.txt"), "not a capture\n").unwrap();
    let out = run(&["dns", top.to_str().unwrap(), "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 files in the directories given are not captures and were skipped"),
        "{stderr}"
    );
    // Named explicitly, it is an error.
    let out = run(&["dns", top.join("notes.txt").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn inputs_of_different_formats_and_link_types_split_into_pcapng() {
    // pcap over Ethernet, pcap over raw IPv4, and a pcapng: one set, one split.
    let inputs = [
        "skype-irc.cap",
        "dnscap-frags.pcap",
        "wireshark_samples-test.pcapng",
    ];
    let paths: Vec<PathBuf> = inputs.iter().map(|f| corpus_dir().join(f)).collect();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let mut args = vec!["split"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend(["-o", out_dir.to_str().unwrap(), "-q"]);
    stdout_ok(&args);
    let expected: u64 = paths
        .iter()
        .map(|p| info_packets(&stdout_ok(&["info", p.to_str().unwrap()])).unwrap())
        .sum();
    // capinfos (Wireshark's reader) reads every output whole.
    let mut outputs = Vec::new();
    for (name, _) in tree(&out_dir) {
        if name.extension().is_some_and(|e| e == "pcapng") {
            outputs.push(out_dir.join(&name));
        } else {
            assert_eq!(
                name.to_str(),
                Some("flows.csv"),
                "only pcapng outputs and the manifest"
            );
        }
    }
    require_tool("capinfos");
    let table = Command::new("capinfos")
        .args(["-c", "-M", "-T", "-r"])
        .args(&outputs)
        .output()
        .unwrap();
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let total: u64 = String::from_utf8_lossy(&table.stdout)
        .lines()
        .map(|l| {
            l.split('\t')
                .nth(1)
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap()
        })
        .sum();
    assert_eq!(total, expected, "every packet of every input in one output");
    // dns reads the same mix, and the TCP/fragment state of each input carries on.
    let dns = stdout_ok(&[
        "dns",
        paths[0].to_str().unwrap(),
        paths[1].to_str().unwrap(),
    ]);
    let alone: usize = paths[..2]
        .iter()
        .map(|p| {
            stdout_ok(&["dns", p.to_str().unwrap()])
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        })
        .sum();
    assert_eq!(
        dns.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
        alone
    );
}
