//! A small HTTP/1.1 server on 127.0.0.1 standing in for GitHub's or GitLab's
//! REST API: each request (method, path, query, headers, body) goes to a
//! handler that answers with a status and JSON; every call is recorded as
//! `METHOD /path` for the tests to compare. It answers `Expect:
//! 100-continue` as curl expects, one request per connection.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// One request as the handler sees it.
pub struct Request {
    pub method: String,
    pub path: String,
    /// The query string's pairs, percent-decoded.
    pub query: BTreeMap<String, String>,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    /// The body as JSON (GitHub's requests).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body's form fields, percent-decoded (GitLab's `--data-urlencode`).
    pub fn form(&self) -> BTreeMap<String, String> {
        pairs(&String::from_utf8_lossy(&self.body))
    }

    /// The page of `items` this request asks for with `?page=` (from 1; the
    /// first when it names none), 100 a page as the kits ask (`per_page=100`).
    pub fn page<T>(&self, items: impl Iterator<Item = T>) -> impl Iterator<Item = T> {
        let page: usize = self
            .query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        items.skip((page - 1) * 100).take(100)
    }
}

/// A running fake: its base URL and every call made to it.
pub struct Fake {
    pub base: String,
    pub calls: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    /// The calls so far.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("calls").clone()
    }
}

/// Serves `handler` on a free port of 127.0.0.1 until the test process ends.
pub fn serve<H>(handler: H) -> Fake
where
    H: Fn(&Request) -> (u16, Value) + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorded = calls.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let Some(request) = read_request(&mut stream) else {
                continue;
            };
            recorded
                .lock()
                .expect("calls")
                .push(format!("{} {}", request.method, request.path));
            let (status, reply) = handler(&request);
            let reply = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                if status < 400 { "OK" } else { "Error" },
                reply.len()
            );
        }
    });
    Fake { base, calls }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    if headers
        .get("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(Request {
        method,
        path: decode(path),
        query: pairs(query),
        headers,
        body,
    })
}

/// `a=1&b=x%20y` as pairs, percent- and `+`-decoded.
fn pairs(text: &str) -> BTreeMap<String, String> {
    text.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
