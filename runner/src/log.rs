//! The runner's only output: events on stderr, one a line, and the dry-run
//! plan on stdout.
//!
//! `kubectl logs` readers get `time LEVEL message`; log pipelines get one JSON
//! object a line with the same message plus typed fields (`--log-format
//! json`). The rest of the library describes what happened as an [`Event`]
//! and never writes to a stream itself.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use dagster_scripts::resolve::{Note, Notes};
use serde_json::{Map, Value};

/// How events are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `2024-01-31T10:00:00Z INFO message`.
    Human,
    /// One JSON object a line.
    Json,
}

/// Severity of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Normal progress.
    Info,
    /// Something odd that the run survives (a retry, a duplicate).
    Warn,
    /// Why the run ends badly.
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One thing that happened: a stable event name, a sentence, typed fields.
#[derive(Clone, Debug)]
pub struct Event {
    level: Level,
    name: &'static str,
    message: String,
    fields: Map<String, Value>,
}

impl Event {
    /// An event called `name` (stable, for pipelines) saying `message` (for people).
    pub fn new(level: Level, name: &'static str, message: impl Into<String>) -> Event {
        Event {
            level,
            name,
            message: message.into(),
            fields: Map::new(),
        }
    }

    /// An info event.
    pub fn info(name: &'static str, message: impl Into<String>) -> Event {
        Event::new(Level::Info, name, message)
    }

    /// A warning.
    pub fn warn(name: &'static str, message: impl Into<String>) -> Event {
        Event::new(Level::Warn, name, message)
    }

    /// Adds a field, shown in JSON output only.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Event {
        self.fields.insert(key.to_owned(), value.into());
        self
    }
}

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Writes events to stderr (and the plan to stdout) in one format.
#[derive(Clone)]
pub struct Logger {
    format: Format,
    events: Sink,
    output: Sink,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Logger {
    /// Events to stderr, results to stdout.
    pub fn stderr(format: Format) -> Logger {
        Logger::to(
            format,
            Box::new(std::io::stderr()),
            Box::new(std::io::stdout()),
        )
    }

    /// Events and results to the given writers (tests capture them).
    pub fn to(
        format: Format,
        events: Box<dyn Write + Send>,
        output: Box<dyn Write + Send>,
    ) -> Logger {
        Logger {
            format,
            events: Arc::new(Mutex::new(events)),
            output: Arc::new(Mutex::new(output)),
        }
    }

    /// The format in use.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes one event as one line. A failing stderr is ignored: there is
    /// nowhere left to report it, and the exit code still tells the outcome.
    pub fn emit(&self, event: Event) {
        let line = match self.format {
            Format::Human => format!(
                "{} {:<5} {}",
                timestamp(),
                event.level.as_str().to_uppercase(),
                one_line(&event.message)
            ),
            Format::Json => {
                let mut object = Map::new();
                object.insert("time".into(), timestamp().into());
                object.insert("level".into(), event.level.as_str().into());
                object.insert("event".into(), event.name.into());
                object.insert("message".into(), event.message.into());
                for (k, v) in event.fields {
                    object.entry(k).or_insert(v);
                }
                Value::Object(object).to_string()
            }
        };
        if let Ok(mut w) = self.events.lock() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
    }

    /// Writes a result document (the dry-run plan) to stdout.
    pub fn output(&self, text: &str) {
        if let Ok(mut w) = self.output.lock() {
            let _ = w.write_all(text.as_bytes());
            let _ = w.flush();
        }
    }
}

/// Keeps an event on one line whatever a server put in its message.
fn one_line(s: &str) -> String {
    s.trim_end().replace('\n', " | ").replace('\r', "")
}

/// Now, in RFC 3339 UTC to the second.
fn timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(secs)
}

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(secs: u64) -> String {
    dagster_scripts::utc::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// What resolving tells is an event in the log, its ids as fields.
impl Notes for Logger {
    fn note(&self, note: Note) {
        let level = if note.warning {
            Level::Warn
        } else {
            Level::Info
        };
        let mut event = Event::new(level, note.name, note.message);
        for (key, ids) in note.ids {
            event = event.with(key, ids);
        }
        self.emit(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_706_745_600 + 3_723), "2024-02-01T01:02:03Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn one_event_one_line_in_both_formats() {
        for format in [Format::Human, Format::Json] {
            let buf = Buffer::default();
            let log = Logger::to(format, Box::new(buf.clone()), Box::new(std::io::sink()));
            log.emit(Event::info("launched", "two\nlines").with("backfill_id", "abc"));
            let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
            assert_eq!(text.lines().count(), 1, "{text}");
            if format == Format::Json {
                let v: Value = serde_json::from_str(text.trim()).unwrap();
                assert_eq!(
                    (
                        v["event"].as_str(),
                        v["backfill_id"].as_str(),
                        v["level"].as_str()
                    ),
                    (Some("launched"), Some("abc"), Some("info"))
                );
            } else {
                assert!(text.contains("INFO  two | lines"), "{text}");
            }
        }
    }
}
