//! `pcaptool dns --format parquet` read back by DuckDB (installed by `.ci/run` in
//! `.venv`): on every DNS capture of the corpus, every message is in exactly one row,
//! the matched rows are the pairs `--stats` answers, and each side of each row says what
//! the JSON output says of the same message.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// Every row of the files, by file, as DuckDB reads them.
fn rows_by_duckdb(files: &[PathBuf]) -> HashMap<String, Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/parquet_rows.py");
    let out = Command::new(python("duckdb"))
        .arg(script)
        .args(files)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DuckDB could not read the files: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows: HashMap<String, Vec<Value>> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        rows.entry(row["file"].as_str().unwrap().to_string())
            .or_default()
            .push(row);
    }
    rows
}

/// What one message says, as compared: frame, side, ID, first question (lower-cased
/// name, type, class), length; flags of its side; a response's rcode and counts.
type Said = (u64, bool, i64, String, i64, i64, i64, String);

fn from_json(m: &Value) -> Said {
    let frame = m["frame"].as_u64().unwrap();
    let size = m["size"].as_i64().unwrap();
    if m.get("id").is_none() {
        // Shorter than a header: only where and how long.
        return (
            frame,
            false,
            -1,
            "short".into(),
            -1,
            -1,
            size,
            String::new(),
        );
    }
    let response = m["flags"]["qr"].as_bool().unwrap();
    let q = m["questions"].as_array().and_then(|q| q.first());
    let name = q.map_or("-".to_string(), |q| {
        q["name"].as_str().unwrap().to_ascii_lowercase()
    });
    let qtype = q.map_or(-1, |q| {
        let t = q["type"].as_str().unwrap();
        i64::from(pcaptool::dns::wire::registry::parse_type(t).unwrap_or_else(|| panic!("{t}")))
    });
    let qclass = q.map_or(-1, |q| q["class"].as_i64().unwrap());
    let f = &m["flags"];
    let b = |k: &str| f[k].as_bool().unwrap();
    let detail = if response {
        let c = &m["counts"];
        let records = ["answers", "authority", "additional"]
            .iter()
            .flat_map(|s| m[*s].as_array().into_iter().flatten())
            .filter(|r| r["type"] != "OPT")
            .count();
        format!(
            "aa={} tc={} ra={} ad={} rcode={} an={} ns={} ar={} records={records}",
            b("aa"),
            b("tc"),
            b("ra"),
            b("ad"),
            m["rcode"],
            c["answers"],
            c["authority"],
            c["additional"]
        )
    } else {
        format!("rd={} cd={} opcode={}", b("rd"), b("cd"), f["opcode"])
    };
    let id = m["id"].as_i64().unwrap();
    (frame, response, id, name, qtype, qclass, size, detail)
}

/// The one or two messages of a row, as compared.
fn from_row(r: &Value) -> Vec<Said> {
    let int = |k: &str| r[k].as_i64();
    let flag = |k: &str| r[k].as_bool().map_or("null".to_string(), |b| b.to_string());
    let name = r["dns_qname"]
        .as_str()
        .map_or("-".to_string(), str::to_string);
    if r["dns_qdcount"].is_null() {
        let (frame, len) = match int("query_frame") {
            Some(f) => (f, int("dns_req_len").unwrap()),
            None => (int("response_frame").unwrap(), int("dns_res_len").unwrap()),
        };
        return vec![(
            frame as u64,
            false,
            -1,
            "short".into(),
            -1,
            -1,
            len,
            String::new(),
        )];
    }
    let question = (
        int("dns_id").unwrap(),
        name,
        int("dns_qtype").unwrap_or(-1),
        int("dns_qclass").unwrap_or(-1),
    );
    let mut said = Vec::new();
    if let Some(frame) = int("query_frame") {
        // Flags a row takes from the query when it has one.
        said.push((
            frame as u64,
            false,
            question.0,
            question.1.clone(),
            question.2,
            question.3,
            int("dns_req_len").unwrap(),
            format!(
                "rd={} cd={} opcode={}",
                flag("dns_rd"),
                flag("dns_cd"),
                r["dns_opcode"]
            ),
        ));
    }
    if let Some(frame) = int("response_frame") {
        said.push((
            frame as u64,
            true,
            question.0,
            question.1,
            question.2,
            question.3,
            int("dns_res_len").unwrap(),
            format!(
                "aa={} tc={} ra={} ad={} rcode={} an={} ns={} ar={} records={}",
                flag("dns_aa"),
                flag("dns_tc"),
                flag("dns_ra"),
                flag("dns_ad"),
                r["dns_rcode"],
                r["dns_ancount"],
                r["dns_nscount"],
                r["dns_arcount"],
                r["dns_rdata"].as_array().map_or(0, Vec::len)
            ),
        ));
    }
    said
}

/// What a row takes from its messages beyond each one's header: the endpoints in the
/// query's direction (the response's without a query) and the transport; EDNS from the
/// query, else the response; the records (but OPT) of the response, else the query: their
/// section, type, owner, TTL, and the data of addresses and names (A, AAAA, CNAME, NS, PTR).
fn rows_carry_both_sides(rows: &[Value], messages: &[Value]) -> Result<(), String> {
    let find = |frame: &Value, id: &Value, response: bool| {
        messages
            .iter()
            .find(|m| m["frame"] == *frame && m["id"] == *id && m["flags"]["qr"] == response)
    };
    let edns = |m: &Value| -> Option<Value> {
        let opt = m["additional"]
            .as_array()?
            .iter()
            .find(|r| r["type"] == "OPT")?;
        let d = &opt["data"];
        if !d["error"].is_null() {
            // Options the JSON cannot read: the row keeps what it could read of them.
            return Some(Value::from("unreadable"));
        }
        let codes: Vec<Value> = d["options"].as_array().map_or(Vec::new(), |o| {
            o.iter().map(|o| o["code"].clone()).collect()
        });
        Some(serde_json::json!([
            d["udp_payload_size"],
            d["version"],
            d["dnssec_ok"],
            codes
        ]))
    };
    let records = |m: &Value| -> Vec<Value> {
        let mut out = Vec::new();
        for (number, section) in ["answers", "authority", "additional"].iter().enumerate() {
            for r in m[*section].as_array().into_iter().flatten() {
                let t = r["type"].as_str().unwrap_or_default();
                if t == "OPT" {
                    continue;
                }
                let code = pcaptool::dns::wire::registry::parse_type(t).map(i64::from);
                let data = match t {
                    "A" | "AAAA" => r["data"]["address"].clone(),
                    "CNAME" | "NS" | "PTR" => r["data"]["name"].clone(),
                    _ => Value::Null,
                };
                out.push(serde_json::json!([
                    number + 1,
                    code,
                    r["name"],
                    r["ttl"],
                    data
                ]));
            }
        }
        out
    };
    for row in rows {
        if row["dns_qdcount"].is_null() {
            continue; // shorter than a header: nothing but where and how long
        }
        let query = row["query_frame"]
            .as_u64()
            .map(|f| find(&f.into(), &row["dns_id"], false));
        let response = row["response_frame"]
            .as_u64()
            .map(|f| find(&f.into(), &row["dns_id"], true));
        let (query, response) = (query.flatten(), response.flatten());
        let first = query.or(response).ok_or("a row without its messages")?;
        let endpoints = serde_json::json!([
            row["ip_src"],
            row["prot_src_port"],
            row["ip_dst"],
            row["prot_dst_port"],
            row["prot"]
        ]);
        let prot = if first["transport"] == "tcp" { 6 } else { 17 };
        let expected = serde_json::json!([
            first["src"],
            first["sport"],
            first["dst"],
            first["dport"],
            prot
        ]);
        if endpoints != expected {
            return Err(format!(
                "frame {}: endpoints {endpoints} vs {expected}",
                first["frame"]
            ));
        }
        if let (Some(q), Some(r)) = (query, response) {
            if (&q["src"], &q["sport"]) != (&r["dst"], &r["dport"]) {
                return Err(format!(
                    "frame {}: response not to the query's client",
                    r["frame"]
                ));
            }
        }
        let row_edns = (!row["edns_udp"].is_null()).then(|| {
            serde_json::json!([
                row["edns_udp"],
                row["edns_version"],
                row["edns_do"],
                row["edns_options"]
            ])
        });
        let json_edns = query.and_then(edns).or_else(|| response.and_then(edns));
        let unreadable = json_edns.as_ref().is_some_and(|e| e == "unreadable");
        if row_edns != json_edns && !(unreadable && row_edns.is_some()) {
            return Err(format!(
                "frame {}: EDNS {row_edns:?} vs {json_edns:?}",
                first["frame"]
            ));
        }
        let said = response.or(query).expect("one side");
        let mut row_records: Vec<Value> = Vec::new();
        for r in row["dns_rdata"].as_array().into_iter().flatten() {
            let t = r["type"].as_i64();
            let name =
                pcaptool::dns::wire::registry::type_name(t.unwrap_or(-1) as u16).unwrap_or("");
            let data = match name {
                "A" | "AAAA" => r["data"].clone(),
                "CNAME" | "NS" | "PTR" => {
                    Value::from(r["data"].as_str().unwrap_or_default().trim_end_matches('.'))
                }
                _ => Value::Null,
            };
            let owner = r["name"].as_str().unwrap_or_default();
            row_records.push(serde_json::json!([r["section"], t, owner, r["ttl"], data]));
        }
        let json_records = records(said);
        // Data the JSON has no address or name for (empty data, as in updates) is not
        // compared.
        for (row_record, json_record) in row_records.iter_mut().zip(&json_records) {
            if json_record[4].is_null() {
                row_record[4] = Value::Null;
            }
        }
        if row_records != json_records {
            return Err(format!(
                "frame {}: records {row_records:?} vs {json_records:?}",
                said["frame"]
            ));
        }
    }
    Ok(())
}

#[test]
fn duckdb_reads_one_row_per_transaction_that_says_what_the_json_says() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut expected = HashMap::new();
    for capture in dns_captures() {
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        let parquet = tmp.path().join(format!("{name}.parquet"));
        let capture_arg = capture.to_str().unwrap();
        let out = run(&[
            "dns",
            capture_arg,
            "-q",
            "--format",
            "parquet",
            "-o",
            parquet.to_str().unwrap(),
        ]);
        assert!(
            parquet.exists(),
            "{name}: no Parquet file: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = run(&["dns", capture_arg, "-q", "--format", "json"]);
        let messages: Vec<Value> = String::from_utf8(json.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let stats = run(&["dns", capture_arg, "-q", "--stats", "--format", "json"]);
        let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
        expected.insert(
            parquet.to_string_lossy().into_owned(),
            (name, messages, stats["answered"].as_u64().unwrap()),
        );
        files.push(parquet);
    }
    assert!(files.len() > 100, "only {} DNS captures found", files.len());
    let rows = rows_by_duckdb(&files);
    let (mut total_messages, mut total_rows, mut total_matched) = (0, 0, 0);
    for (path, (name, messages, answered)) in &expected {
        let rows = rows.get(path).map_or(&[][..], Vec::as_slice);
        let in_rows = rows
            .iter()
            .map(|r| {
                usize::from(!r["dns_req_len"].is_null()) + usize::from(!r["dns_res_len"].is_null())
            })
            .sum::<usize>();
        assert_eq!(in_rows, messages.len(), "{name}: messages in rows vs JSON");
        let matched = rows.iter().filter(|r| r["matched"] == true).count() as u64;
        assert_eq!(
            matched, *answered,
            "{name}: matched rows vs --stats answered"
        );
        if let Err(e) = rows_carry_both_sides(rows, messages) {
            panic!("{name}: {e}");
        }
        let mut from_rows: Vec<Said> = rows.iter().flat_map(from_row).collect();
        let mut from_messages: Vec<Said> = messages.iter().map(from_json).collect();
        from_rows.sort();
        from_messages.sort();
        if from_rows != from_messages {
            let first = from_rows
                .iter()
                .zip(&from_messages)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("row says {a:?}\nJSON says {b:?}"));
            panic!("{name}: rows and JSON differ: {first:?}");
        }
        total_messages += messages.len();
        total_rows += rows.len();
        total_matched += matched;
    }
    println!(
        "{} captures: {total_messages} messages in {total_rows} rows ({total_matched} matched), all as the JSON says",
        files.len()
    );
}

#[test]
fn a_damaged_capture_still_gives_a_whole_table_of_what_came_before() {
    let tmp = tempfile::tempdir().unwrap();
    // The first 3,000 bytes of a capture of DNS over TCP, then garbage where a block
    // header should be.
    let mut bytes = std::fs::read(corpus_dir().join("dns_over_tcp.pcapng")).unwrap();
    bytes.truncate(3000);
    bytes.extend_from_slice(b"garbage garbage garbage!");
    let input = tmp.path().join("cut.pcapng");
    std::fs::write(&input, &bytes).unwrap();
    let table = tmp.path().join("cut.parquet");
    let args = [
        "dns",
        input.to_str().unwrap(),
        "--format",
        "parquet",
        "-o",
        table.to_str().unwrap(),
    ];
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("offset"), "the damage is located: {stderr}");
    let rows = rows_by_duckdb(std::slice::from_ref(&table));
    let json = run(&["dns", input.to_str().unwrap(), "--format", "json"]);
    let messages = String::from_utf8_lossy(&json.stdout).lines().count();
    let in_rows: usize = rows[table.to_str().unwrap()]
        .iter()
        .map(|r| {
            usize::from(!r["dns_req_len"].is_null()) + usize::from(!r["dns_res_len"].is_null())
        })
        .sum();
    assert!(messages > 0);
    assert_eq!(in_rows, messages);
    // An existing table is not replaced without --force; -o is needed.
    let again = run(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced: Vec<&str> = args.iter().copied().chain(["--force"]).collect();
    assert_eq!(
        run(&forced).status.code(),
        Some(2),
        "replaced, and the damage said again"
    );
    let no_output = run(&["dns", input.to_str().unwrap(), "--format", "parquet"]);
    assert_eq!(no_output.status.code(), Some(2));
    // Nothing half-written is left beside it.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// tshark's view of each DNS frame: query types of its messages' questions, IP TTLs
/// (IPv4 and IPv6, outer and inner), and its TCP connection's initial RTT in seconds
/// (SYN to the ACK of the SYN-ACK, which tshark shows on most frames of the stream).
struct Seen {
    qtypes: Vec<i64>,
    ttls: Vec<i64>,
    initial_rtt: Option<f64>,
}

fn tshark_frames(capture: &Path) -> HashMap<u64, Seen> {
    // Not common::tshark: with checksum validation on, tshark leaves segments with bad
    // checksums out of TCP reassembly, and some corpus captures have them.
    require_tool("tshark");
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(capture)
        .args([
            "-Y",
            "dns || mdns || llmnr",
            "-T",
            "fields",
            "-E",
            "occurrence=a",
        ])
        .args(["-e", "frame.number", "-e", "dns.qry.type", "-e", "ip.ttl"])
        .args([
            "-e",
            "ipv6.hlim",
            "-e",
            "tcp.analysis.initial_rtt",
            "-e",
            "tcp.stream",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let list = |s: &str| -> Vec<i64> { s.split(',').filter_map(|v| v.parse().ok()).collect() };
    let mut stream_rtt: HashMap<String, f64> = HashMap::new();
    let mut frames: HashMap<u64, (Seen, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let frame = f.first()?.parse().ok()?;
            let mut ttls = list(f.get(2)?);
            ttls.extend(list(f.get(3)?));
            let stream = f.get(5).unwrap_or(&"").to_string();
            let initial_rtt = f.get(4).and_then(|v| v.parse().ok());
            if let Some(rtt) = initial_rtt.filter(|_| !stream.is_empty()) {
                stream_rtt.insert(stream.clone(), rtt);
            }
            let seen = Seen {
                qtypes: list(f.get(1)?),
                ttls,
                initial_rtt,
            };
            Some((frame, (seen, stream)))
        })
        .collect();
    frames
        .drain()
        .map(|(frame, (mut seen, stream))| {
            seen.initial_rtt = seen.initial_rtt.or(stream_rtt.get(&stream).copied());
            (frame, seen)
        })
        .collect()
}

#[test]
fn query_types_ttls_and_handshake_times_agree_with_tshark() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for capture in dns_captures() {
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        let parquet = tmp.path().join(format!("{name}.parquet"));
        run(&[
            "dns",
            capture.to_str().unwrap(),
            "-q",
            "--format",
            "parquet",
            "-o",
            parquet.to_str().unwrap(),
        ]);
        files.push((capture, parquet));
    }
    let paths: Vec<PathBuf> = files.iter().map(|(_, p)| p.clone()).collect();
    let rows = rows_by_duckdb(&paths);
    let (mut sides, mut same_type, mut ttls, mut rtts, mut undecodable) = (0, 0, 0, 0, 0);
    let mut differences = Vec::new();
    for (capture, parquet) in &files {
        let name = capture.file_name().unwrap().to_string_lossy();
        let seen = tshark_frames(capture);
        for row in rows.get(parquet.to_str().unwrap()).into_iter().flatten() {
            assert_eq!(row["pcap_file"], name.as_ref(), "pcap_file");
            let qtype = row["dns_qtype"].as_i64();
            for side in ["query_frame", "response_frame"] {
                let Some(frame) = row[side].as_u64() else {
                    continue;
                };
                let Some(tshark) = seen.get(&frame) else {
                    continue; // DNS tshark does not see (listed in the Info test).
                };
                sides += 1;
                match qtype {
                    Some(t) if tshark.qtypes.contains(&t) => same_type += 1,
                    None if tshark.qtypes.is_empty() => same_type += 1,
                    // A message whose question's name cannot be read (hostile: name too
                    // long, bad label) has no question in the row (nor in the JSON);
                    // tshark shows the type it reads after the broken name.
                    None if row["dns_qdcount"].as_i64() != Some(0) => undecodable += 1,
                    _ => differences.push(format!(
                        "{name} frame {frame}: qtype {qtype:?}, tshark {:?}",
                        &tshark.qtypes[..tshark.qtypes.len().min(5)]
                    )),
                }
                // The row's TTL and handshake time are its first side's.
                let first = if row["query_frame"].is_null() {
                    "response_frame"
                } else {
                    "query_frame"
                };
                if side != first {
                    continue;
                }
                let ttl = row["ip_ttl"].as_i64();
                if ttl.is_some_and(|t| tshark.ttls.contains(&t)) {
                    ttls += 1;
                } else if ttl.is_some() || !tshark.ttls.is_empty() {
                    differences.push(format!(
                        "{name} frame {frame}: ip_ttl {ttl:?}, tshark {:?}",
                        tshark.ttls
                    ));
                }
                let rtt = row["tcp_rtt"].as_i64();
                let irtt = tshark.initial_rtt.map(|s| (s * 1e6).round() as i64 / 1000);
                if rtt != irtt {
                    differences.push(format!(
                        "{name} frame {frame}: tcp_rtt {rtt:?} ms, tshark's iRTT {:?} s",
                        tshark.initial_rtt
                    ));
                } else if rtt.is_some() {
                    rtts += 1;
                }
            }
        }
    }
    println!(
        "{sides} row sides in frames tshark decodes: {same_type} same query type, {undecodable} undecodable; {ttls} TTLs and {rtts} handshake times equal"
    );
    assert!(
        sides > 3000 && rtts > 10,
        "too few to compare: {sides}, {rtts}"
    );
    assert!(
        undecodable * 1000 < sides,
        "{undecodable} undecodable messages"
    );
    assert!(
        differences.is_empty(),
        "{} differences, the first:\n{}",
        differences.len(),
        differences[..differences.len().min(20)].join("\n")
    );
}

#[test]
fn a_dataset_only_ever_gains_part_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dataset = tmp.path().join("dns");
    let capture = corpus_dir().join("dns+icmp.pcapng.gz");
    let other = corpus_dir().join("dns-badcookie.pcap");
    let add = |inputs: &[&Path]| {
        let mut args = vec!["dns".to_string()];
        args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
        args.extend(["--format", "parquet", "--partition-by", "date,server"].map(String::from));
        args.extend(["--server", "ns/1", "-o", dataset.to_str().unwrap()].map(String::from));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let files = || -> Vec<(PathBuf, Vec<u8>)> {
        let mut found = Vec::new();
        let mut dirs = vec![dataset.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    found.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        found.sort();
        found
    };
    add(&[&capture, &other]);
    let first = files();
    // Two days, one server level each ('/' escaped as Hive does), no temporary left.
    let names: Vec<String> = first
        .iter()
        .map(|(p, _)| p.strip_prefix(&dataset).unwrap().display().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        assert!(name.contains("/server=ns%2F1/part-"), "{name}");
        assert!(name.ends_with(".parquet"), "{name}");
    }
    assert!(names[0].starts_with("date=2013-05-30/") && names[1].starts_with("date=2019-02-13/"));
    add(&[&capture]);
    let second = files();
    assert_eq!(second.len(), 3, "a new part file, beside the others");
    for (path, bytes) in &first {
        let now = second.iter().find(|(p, _)| p == path).expect("still there");
        assert_eq!(&now.1, bytes, "{} unchanged", path.display());
    }
    // DuckDB reads the partitions from the paths: dates are the rows' days.
    let script = "import duckdb, sys\n\
        con = duckdb.connect(); con.execute(\"SET TimeZone='UTC'\")\n\
        print(con.sql(\"SELECT count(*), count(DISTINCT server), \
        count(*) FILTER (strftime(time, '%Y-%m-%d') = CAST(date AS VARCHAR)), any_value(server) \
        FROM read_parquet(?, hive_partitioning = true)\", params=[sys.argv[1] + '/**/*.parquet']).fetchall())";
    let out = Command::new(python("duckdb"))
        .args(["-c", script])
        .arg(&dataset)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 6 + 2 rows, then the first capture's 6 again.
    assert_eq!(said.trim(), "[(14, 1, 14, 'ns/1')]");
}
