//! A small Language Server Protocol client over stdio, enough to drive
//! `yaml-language-server` the way an editor does: initialize, answer the
//! server's `workspace/configuration` requests, open documents, ask for
//! completions, and collect the diagnostics it publishes. Every wait is
//! bounded, and dropping the client shuts the server down (or kills it).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::tools;

/// One request or wait; the server answers in milliseconds once started.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    next_id: u64,
    settings: Value,
    /// The latest diagnostics published for each document URI.
    pub diagnostics: BTreeMap<String, Vec<Value>>,
    /// How many times the server asked for `workspace/configuration`.
    pub configuration_requests: usize,
}

impl Client {
    /// Starts `cmd` (a server speaking LSP on stdio) and initializes it for
    /// the workspace `root`, answering configuration requests with `settings`.
    pub fn start(mut cmd: Command, root: &Path, settings: Value) -> Client {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the language server");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, inbox) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            inbox,
            next_id: 0,
            settings,
            diagnostics: BTreeMap::new(),
            configuration_requests: 0,
        };
        let root_uri = uri(root);
        let init = client.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "dagster-scripts"}],
                "capabilities": {
                    "workspace": {"configuration": true, "didChangeConfiguration": {"dynamicRegistration": true}},
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": true}},
                        "publishDiagnostics": {"relatedInformation": true},
                    },
                },
            }),
        );
        assert!(
            init["capabilities"]["completionProvider"].is_object(),
            "the server offers no completion: {init}"
        );
        client.notify("initialized", json!({}));
        let settings = client.settings.clone();
        client.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": settings }),
        );
        client
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("write to the server");
        self.stdin.flush().expect("flush to the server");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result (panics on an error or time-out).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let reply = self
            .pump_until(WAIT, |m| m["id"] == id && m.get("method").is_none())
            .unwrap_or_else(|| panic!("no answer to {method} within {WAIT:?}"));
        assert!(reply["error"].is_null(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    /// Handles incoming messages until one matches `done` or `limit` passes.
    pub fn pump_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.inbox.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => panic!("the language server exited"),
            };
            if let (Some(method), false) = (message["method"].as_str(), message["id"].is_null()) {
                // A request from the server: answer it.
                let result = if method == "workspace/configuration" {
                    self.configuration_requests += 1;
                    let items = message["params"]["items"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    Value::Array(
                        items
                            .iter()
                            .map(|item| match item["section"].as_str() {
                                Some(section) => self.settings[section].clone(),
                                None => self.settings.clone(),
                            })
                            .collect(),
                    )
                } else {
                    Value::Null
                };
                let id = message["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
                continue;
            }
            if message["method"] == "textDocument/publishDiagnostics" {
                let uri = message["params"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let list = message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                self.diagnostics.insert(uri, list);
            }
            if done(&message) {
                return Some(message);
            }
        }
    }

    /// Opens `path` with `text` (the file is written too, for modelines that
    /// point at files relative to it); returns its URI.
    pub fn open(&mut self, path: &Path, text: &str) -> String {
        std::fs::write(path, text).expect("write the document");
        let uri = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
        uri
    }

    /// The labels of the completion items offered at `line`:`character`.
    pub fn completion_labels(&mut self, uri: &str, line: u32, character: u32) -> Vec<String> {
        let result = self.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        let items = if result.is_array() {
            result
        } else {
            result["items"].clone()
        };
        let mut labels: Vec<String> = items
            .as_array()
            .expect("completion items")
            .iter()
            .filter_map(|i| i["label"].as_str().map(str::to_owned))
            .collect();
        labels.sort();
        labels
    }

    /// Waits for the server to publish diagnostics for `uri` that satisfy `ok`.
    pub fn diagnostics_for(&mut self, uri: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        if let Some(list) = self.diagnostics.get(uri)
            && ok(list)
        {
            return list.clone();
        }
        let found = self.pump_until(WAIT, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && ok(m["params"]["diagnostics"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default())
        });
        match found {
            Some(m) => m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            None => panic!(
                "no matching diagnostics for {uri} within {WAIT:?}; last: {:?}",
                self.diagnostics.get(uri)
            ),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Polite first (shutdown, exit), then kill: never leave a server behind.
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "shutdown", "params": null}));
        let _ = self.pump_until(Duration::from_secs(5), |m| m["id"] == id);
        self.notify("exit", json!(null));
        if tools::wait_bounded(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
        }
    }
}

/// A `file://` URI for an absolute path (the temp paths here need no escaping).
pub fn uri(path: &Path) -> String {
    let path = path.to_str().expect("UTF-8 path");
    assert!(
        path.starts_with('/') && !path.contains([' ', '%', '#', '?']),
        "{path}"
    );
    format!("file://{path}")
}

/// Reads one `Content-Length`-framed JSON message; `None` at end of stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}
