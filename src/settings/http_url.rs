//! The Dagster webserver's base URL as the settings hold it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::url::BaseUrl;

/// The Dagster webserver's base URL, checked by the library's one URL
/// parser ([`crate::url`]), so the compiler refuses what the runner refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(String, #[serde(skip)] BaseUrl);

impl HttpUrl {
    /// Wraps `s` if it is a usable base URL; the error says why not.
    pub fn new(s: impl Into<String>) -> Result<HttpUrl, String> {
        let s = s.into();
        let url = BaseUrl::parse(&s)?;
        Ok(HttpUrl(s, url))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The TCP port the URL points at (explicit, or 80/443 by scheme).
    pub fn port(&self) -> u16 {
        self.1.port()
    }

    /// The parsed URL.
    pub fn parsed(&self) -> &BaseUrl {
        &self.1
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HttpUrl, D::Error> {
        HttpUrl::new(String::deserialize(d)?)
            .map_err(|e| serde::de::Error::custom(format!("{e}; {}", crate::url::HINT)))
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for HttpUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<HttpUrl, String> {
        HttpUrl::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ports() {
        for (url, port) in [
            ("http://d", 80),
            ("https://d/x", 443),
            ("http://d:3000/p", 3000),
            ("https://d:8443", 8443),
            ("http://[::1]:3333", 3333),
            ("http://[::1]", 80),
        ] {
            assert_eq!(HttpUrl::new(url).unwrap().port(), port, "{url}");
        }
        // What the runner refuses, the settings refuse, with the reason.
        for (bad, why) in [
            ("https://u@d:8443", "user or password"),
            ("http://user:secret@d", "user or password"),
            ("http://d/x?y", "query"),
            ("http://d#x", "fragment"),
            ("http://d:", "port"),
            ("http://d:99999", "port"),
            ("http://d:https", "port"),
        ] {
            let e = HttpUrl::new(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
