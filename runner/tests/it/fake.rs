//! A tiny scripted HTTP server on 127.0.0.1, standing in for Dagster where a
//! real one will not misbehave on demand.
//!
//! Each request is answered by a handler that sees the GraphQL operation name,
//! its variables and how many times that operation was asked before. The
//! server records every request, so a test can assert what the runner sent
//! (for example: exactly one launch). Its threads end with the test process.
//! [`Fake::start_tls`] serves the same over https, with a certificate the
//! test made (`tls`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// How the fake answers one request.
pub enum Reply {
    /// A JSON body with this HTTP status.
    Json(u16, Value),
    /// Any body.
    Raw(u16, &'static str, Vec<u8>),
    /// Close the connection without answering.
    Close,
    /// Promise `declared` bytes, send `body`, close.
    Truncated(usize, Vec<u8>),
    /// Wait, then answer.
    Slow(Duration, Box<Reply>),
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The operation name (`Repositories`, `LaunchBackfill`, ...).
    pub op: String,
    /// Its variables.
    pub variables: Value,
    /// The raw request head, lower-cased.
    pub head: String,
}

type Handler = dyn Fn(&str, &Value, usize) -> Reply + Send + Sync;

/// A running fake.
pub struct Fake {
    /// Its base URL (for `DAGSTER_URL`).
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    /// Starts a fake answering with `handler(op, variables, nth)`.
    pub fn start(handler: impl Fn(&str, &Value, usize) -> Reply + Send + Sync + 'static) -> Fake {
        Fake::serve_with(handler, None)
    }

    /// Starts a fake that answers like [`Fake::start`] over https, with `tls`'s certificate.
    pub fn start_tls(
        handler: impl Fn(&str, &Value, usize) -> Reply + Send + Sync + 'static,
        tls: Arc<rustls::ServerConfig>,
    ) -> Fake {
        Fake::serve_with(handler, Some(tls))
    }

    fn serve_with(
        handler: impl Fn(&str, &Value, usize) -> Reply + Send + Sync + 'static,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("local addr"));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, log, counts) =
                    (Arc::clone(&handler), Arc::clone(&log), Arc::clone(&counts));
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    None => serve(stream, &*handler, &log, &counts),
                    Some(config) => {
                        let Ok(connection) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        let stream = rustls::StreamOwned::new(connection, stream);
                        serve(stream, &*handler, &log, &counts);
                    }
                });
            }
        });
        Fake { url, seen }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// How many times `op` was requested.
    pub fn count(&self, op: &str) -> usize {
        self.seen().iter().filter(|s| s.op == op).count()
    }
}

fn serve(
    stream: impl Read + Write,
    handler: &Handler,
    log: &Mutex<Vec<Seen>>,
    counts: &Mutex<HashMap<String, usize>>,
) {
    // One request per connection (`Connection: close`): nothing is read after its body.
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => head.push_str(&line.to_ascii_lowercase()),
        }
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let op = operation(request["query"].as_str().unwrap_or(""));
    let variables = request["variables"].clone();
    let nth = {
        let mut counts = counts.lock().expect("counts");
        let n = counts.entry(op.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    log.lock().expect("log").push(Seen {
        op: op.clone(),
        variables: variables.clone(),
        head,
    });
    let reply = handler(&op, &variables, nth);
    answer(reader.into_inner(), reply);
}

fn answer(mut stream: impl Write, reply: Reply) {
    let (status, content_type, body) = match reply {
        Reply::Json(status, v) => (status, "application/json", v.to_string().into_bytes()),
        Reply::Raw(status, ct, body) => (status, ct, body),
        Reply::Close => return,
        Reply::Truncated(declared, body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
            );
            let _ = stream.write_all(&body);
            return;
        }
        Reply::Slow(delay, reply) => {
            std::thread::sleep(delay);
            return answer(stream, *reply);
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// The operation name of a GraphQL document.
fn operation(document: &str) -> String {
    for line in document.lines() {
        let line = line.trim();
        for prefix in ["query ", "mutation "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or("")
                    .to_owned();
            }
        }
    }
    String::new()
}

/// The answers of a healthy Dagster holding `ingestion_job` (daily x stations,
/// three days of January 2024) with one backfill `fakebfid` that succeeds,
/// for every operation the runner sends. Tests override what they need.
pub fn healthy(op: &str, variables: &Value, launched: bool) -> Reply {
    let data = |v: Value| Reply::Json(200, json!({ "data": v }));
    match op {
        "Repositories" => data(
            json!({ "repositoriesOrError": { "__typename": "RepositoryConnection", "nodes": [
                { "name": "__repository__", "location": { "name": "luchtmeetnet_ingestion" },
                  "jobs": [{ "name": "__ASSET_JOB" }, { "name": "ingestion_job" }] }
            ]}}),
        ),
        "JobPartitions" => {
            let mut keys = Vec::new();
            for day in ["2024-01-30", "2024-01-31", "2024-02-01"] {
                for station in ["NL01497", "NL01912", "NL01913"] {
                    keys.push(format!("{day}|{station}"));
                }
            }
            let mut pipeline = json!({ "__typename": "Pipeline", "name": "ingestion_job", "partitionKeysOrError": { "partitionKeys": keys } });
            if variables["withTags"] == true {
                let key = variables["partitionName"].as_str().unwrap_or("");
                let (day, station) = key.split_once('|').unwrap_or(("", ""));
                pipeline["partition"] = json!({ "tagsOrError": { "__typename": "PartitionTags", "results": [
                    { "key": "dagster/partition", "value": key },
                    { "key": "dagster/partition/daily", "value": day },
                    { "key": "dagster/partition/stations", "value": station },
                    { "key": "dagster/partition_set", "value": "ingestion_job_partition_set" },
                ]}});
            }
            data(json!({ "pipelineOrError": pipeline }))
        }
        "FindBackfills" => {
            let results = if launched {
                json!([{ "__typename": "PartitionBackfill", "id": "fakebfid", "creationTime": 1.0,
                         "tags": variables["tags"], "status": "REQUESTED" }])
            } else {
                json!([])
            };
            data(
                json!({ "runsFeedOrError": { "__typename": "RunsFeedConnection", "results": results } }),
            )
        }
        "FindRuns" => data(json!({ "runsOrError": { "__typename": "Runs", "results": [] } })),
        // No other backfill or run in flight: nothing overlaps.
        "ActiveBackfills" => data(
            json!({ "partitionBackfillsOrError": { "__typename": "PartitionBackfills", "results": [] } }),
        ),
        "InFlightRuns" => data(json!({ "runsOrError": { "__typename": "Runs", "results": [] } })),
        "LaunchBackfill" => data(
            json!({ "launchPartitionBackfill": { "__typename": "LaunchBackfillSuccess", "backfillId": "fakebfid" } }),
        ),
        "BackfillProgress" => data(json!({ "partitionBackfillOrError": {
            "__typename": "PartitionBackfill", "id": "fakebfid", "status": "COMPLETED_SUCCESS", "isAssetBackfill": false,
            "numPartitions": 4, "partitionStatusCounts": [{ "runStatus": "SUCCESS", "count": 4 }],
            "assetBackfillData": null, "error": null }})),
        "BackfillDetail" => data(json!({ "partitionBackfillOrError": {
            "__typename": "PartitionBackfill", "id": "fakebfid", "status": "COMPLETED_SUCCESS", "isAssetBackfill": false,
            "jobName": "ingestion_job", "partitionSetName": "ingestion_job_partition_set",
            "partitionSet": { "repositoryOrigin": { "repositoryLocationName": "luchtmeetnet_ingestion", "repositoryName": "__repository__" } },
            "assetSelection": null, "partitionStatuses": { "results": [] } }})),
        _ => Reply::Json(
            400,
            json!({ "data": null, "errors": [{ "message": format!("the fake does not know {op}") }] }),
        ),
    }
}

/// The seed's example request.
pub const SEED: &str = "\
job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"34543\"
  partitions:
  - name: daily
    start_date: '2024-01-31'
    end_date: '2024-02-01'
  - name: stations
    values: [NL01497, NL01912]
";
