//! What an HTTP reply means as a GraphQL answer: the typed `data`, a
//! refusal, or a problem that is worth retrying (or not).
//!
//! Dagster's HTTP status is only a hint (a `PythonError` comes back as HTTP
//! 500 with a normal GraphQL body), so every body that parses as JSON is read
//! as an answer; the status decides only for bodies that do not.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{Error, Kind};
use super::http::Reply;

/// How one exchange went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Worth trying again; `maybe_sent` tells whether it may have been applied.
    Transient { message: String, maybe_sent: bool },
    /// A definite answer that is not a usable one; not retried.
    Fatal(Error),
}

/// A GraphQL answer whose `data` fits `T` (other keys, such as `errors`, ignored).
#[derive(serde::Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) data: Option<T>,
}

/// Reads a reply as a GraphQL answer; returns its `data`.
pub(crate) fn interpret(reply: &Reply) -> Result<Value, Problem> {
    let status = reply.status;
    let retryable_status = matches!(status, 408 | 429 | 502 | 503 | 504);
    let parsed: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let Some(Value::Object(mut answer)) = parsed else {
        let what = if reply.body.is_empty() {
            "an empty body".to_owned()
        } else {
            format!("a body that is not JSON ({})", snippet(reply))
        };
        let message = format!("HTTP {status} with {what}");
        // A 5xx, or a 2xx whose body was cut short, may well work next time;
        // a 3xx or 4xx HTML page means the URL is wrong.
        return if status >= 500 || retryable_status || (200..300).contains(&status) {
            Err(Problem::Transient {
                message,
                maybe_sent: true,
            })
        } else {
            Err(Problem::Fatal(Error::new(Kind::NotGraphql, message)))
        };
    };
    match answer.remove("data") {
        Some(data @ Value::Object(_)) => Ok(data),
        _ => {
            let errors: Vec<String> = answer
                .get("errors")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|e| {
                            e.get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("(no message)")
                                .to_owned()
                        })
                        .collect()
                })
                .unwrap_or_default();
            if errors.is_empty() {
                let message = format!(
                    "HTTP {status} with JSON that is not a GraphQL answer ({})",
                    snippet(reply)
                );
                if status >= 500 || retryable_status {
                    Err(Problem::Transient {
                        message,
                        maybe_sent: true,
                    })
                } else {
                    Err(Problem::Fatal(Error::unexpected(message)))
                }
            } else if retryable_status {
                Err(Problem::Transient {
                    message: format!("HTTP {status}: {}", errors.join("; ")),
                    maybe_sent: true,
                })
            } else {
                Err(Problem::Fatal(Error::refused(format!(
                    "Dagster refused the query (HTTP {status}): {}",
                    errors.join("; ")
                ))))
            }
        }
    }
}

/// Decodes `data` into `T`; what does not fit is an unexpected answer.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, data: Value) -> Result<T, String> {
    serde_json::from_value(data).map_err(|e| format!("{what}: unexpected answer from Dagster: {e}"))
}

/// The start of a body, on one line, for a message.
fn snippet(reply: &Reply) -> String {
    let text = String::from_utf8_lossy(&reply.body[..reply.body.len().min(160)]).into_owned();
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let ct = if reply.content_type.is_empty() {
        String::new()
    } else {
        format!("{}: ", reply.content_type)
    };
    format!("{ct}{}", text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/html".into(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn status_is_a_hint_and_the_body_decides() {
        let python_error =
            r#"{"data":{"launchPartitionBackfill":{"__typename":"PythonError","message":"boom"}}}"#;
        assert!(interpret(&reply(500, python_error)).is_ok());
        assert!(matches!(
            interpret(&reply(503, "<html>busy</html>")),
            Err(Problem::Transient { .. })
        ));
        assert!(matches!(
            interpret(&reply(500, "")),
            Err(Problem::Transient { .. })
        ));
        assert!(matches!(
            interpret(&reply(200, "{\"data\":{\"x\":")),
            Err(Problem::Transient { .. })
        ));
        match interpret(&reply(404, "<html>not found</html>")) {
            Err(Problem::Fatal(e)) => assert_eq!(e.kind(), Kind::NotGraphql),
            other => panic!("{other:?}"),
        }
        match interpret(&reply(
            400,
            r#"{"data":null,"errors":[{"message":"Syntax Error"}]}"#,
        )) {
            Err(Problem::Fatal(e)) => {
                assert!(e.detail().contains("Syntax Error") && e.kind() == Kind::Refused)
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            interpret(&reply(502, r#"{"message":"bad gateway"}"#)),
            Err(Problem::Transient { .. })
        ));
        assert!(matches!(
            interpret(&reply(200, "[1,2]")),
            Err(Problem::Transient { .. })
        ));
    }
}
