//! Which certificate authorities the client trusts over https: the web
//! roots built into the binary (Mozilla's, from webpki), and, when
//! `SSL_CERT_FILE` names a PEM file, the certificates in it as well (a
//! Dagster behind a private CA; the rendered Job mounts the bundle that
//! `[dagster] ca_bundle` names and sets the variable).
//!
//! The file is read once, when the client is set up, and every certificate
//! in it must be one rustls can use: a file that cannot be read, that is
//! not PEM, or that holds no certificate is an error naming the file and
//! the variable, never a silent fall back to the web roots alone. Other PEM
//! sections (a private key) are skipped. `SSL_CERT_DIR` is not read.

use std::ffi::OsString;
use std::fmt::Write;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts};

/// The variable naming a PEM file of certificate authorities to trust
/// besides the web roots (OpenSSL's name, which most clients honour).
pub const CERT_FILE_VAR: &str = "SSL_CERT_FILE";

/// OpenSSL's variable for a folder of hashed certificates, which this client does not read.
pub const CERT_DIR_VAR: &str = "SSL_CERT_DIR";

/// The most bytes a CA bundle may hold (a system bundle is about 200 KiB).
const MAX_BUNDLE: u64 = 16 * 1024 * 1024;

/// The certificate authorities a [`Transport`](super::Transport) trusts.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    extra: Option<Extra>,
}

/// The certificates of `SSL_CERT_FILE`, and every root to trust with them.
#[derive(Clone, Debug)]
struct Extra {
    file: PathBuf,
    count: usize,
    roots: Arc<Vec<Certificate<'static>>>,
}

impl Trust {
    /// The web roots built into the binary, and nothing else.
    pub fn web_roots() -> Trust {
        Trust::default()
    }

    /// The web roots, and the certificates of the file `cert_file` (the
    /// value of [`CERT_FILE_VAR`]) names when it is set and not empty.
    pub fn from_env(cert_file: Option<OsString>) -> Result<Trust, String> {
        match cert_file.filter(|v| !v.is_empty()) {
            None => Ok(Trust::web_roots()),
            Some(path) => Trust::with_file(Path::new(&path)),
        }
    }

    /// The web roots and the certificates of the PEM file at `path`.
    pub fn with_file(path: &Path) -> Result<Trust, String> {
        let fail = |why: String| {
            format!(
                "{CERT_FILE_VAR}={}: {why}; point {CERT_FILE_VAR} at a PEM file of CA certificates (`-----BEGIN CERTIFICATE-----`), or unset it to trust only the built-in web roots",
                path.display()
            )
        };
        let pem = read_bundle(path).map_err(fail)?;
        let mut own = Vec::new();
        for (i, item) in ureq::tls::parse_pem(&pem).enumerate() {
            match item {
                Ok(PemItem::Certificate(cert)) => own.push(cert),
                Ok(_) => {}
                Err(e) => {
                    return Err(fail(format!(
                        "it is not a PEM file (section {}: {e})",
                        i + 1
                    )));
                }
            }
        }
        if own.is_empty() {
            return Err(fail("it holds no certificate".to_owned()));
        }
        for (i, cert) in own.iter().enumerate() {
            let der = rustls::pki_types::CertificateDer::from(cert.der());
            if let Err(e) = rustls::RootCertStore::empty().add(der) {
                let why = match e {
                    rustls::Error::InvalidCertificate(c) => format!("{c:?}"),
                    other => other.to_string(),
                };
                return Err(fail(format!(
                    "certificate {} of {} is not one rustls can use as a CA ({why})",
                    i + 1,
                    own.len()
                )));
            }
        }
        let count = own.len();
        let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()))
            .collect();
        roots.extend(own);
        Ok(Trust {
            extra: Some(Extra {
                file: path.to_owned(),
                count,
                roots: Arc::new(roots),
            }),
        })
    }

    /// The file whose certificates are trusted besides the web roots, if any.
    pub fn file(&self) -> Option<&Path> {
        self.extra.as_ref().map(|e| e.file.as_path())
    }

    /// What is trusted, in words: `the built-in web roots and the 2
    /// certificates of /etc/ca.pem (SSL_CERT_FILE)`.
    pub fn describe(&self) -> String {
        let mut out = "the built-in web roots".to_owned();
        if let Some(e) = &self.extra {
            let s = if e.count == 1 { "" } else { "s" };
            let _ = write!(
                out,
                " and the {} certificate{s} of {} ({CERT_FILE_VAR})",
                e.count,
                e.file.display()
            );
        }
        out
    }

    /// A warning when `cert_dir` (the value of [`CERT_DIR_VAR`]) is set: it is not read.
    pub fn cert_dir_warning(cert_dir: Option<OsString>) -> Option<String> {
        let dir = cert_dir.filter(|v| !v.is_empty())?;
        Some(format!(
            "{CERT_DIR_VAR}={} is not read: put the CA certificates in one PEM file and name it in {CERT_FILE_VAR}",
            Path::new(&dir).display()
        ))
    }

    /// The roots in ureq's terms: its built-in web roots when nothing else is trusted.
    pub(crate) fn root_certs(&self) -> RootCerts {
        match &self.extra {
            None => RootCerts::WebPki,
            Some(e) => RootCerts::Specific(Arc::clone(&e.roots)),
        }
    }
}

/// The bytes of the bundle at `path`: a regular file (a FIFO would block
/// the read) of at most [`MAX_BUNDLE`] bytes.
fn read_bundle(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("it is not a regular file".to_owned());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut pem = Vec::new();
    file.take(MAX_BUNDLE + 1)
        .read_to_end(&mut pem)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if pem.len() as u64 > MAX_BUNDLE {
        return Err(format!("it is larger than {} MiB", MAX_BUNDLE >> 20));
    }
    Ok(pem)
}

/// What is wrong with the server's certificate, in words, when `e` is a
/// certificate error.
pub(crate) fn certificate_problem(e: &ureq::Error) -> Option<String> {
    let rustls_error = match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    }?;
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = rustls_error else {
        return None;
    };
    let words = match c {
        C::UnknownIssuer => "it is signed by a certificate authority this client does not trust",
        C::BadSignature => "its signature does not verify",
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet",
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not valid for the host name in the URL"
        }
        C::Revoked => "it has been revoked",
        C::BadEncoding => "it is not a well-formed certificate",
        _ => "it was refused",
    };
    Some(format!("{words} ({c:?})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_or_empty_variable_trusts_the_web_roots_only() {
        for value in [None, Some(OsString::new())] {
            let trust = Trust::from_env(value).unwrap();
            assert!(trust.file().is_none());
            assert!(matches!(trust.root_certs(), RootCerts::WebPki));
            assert_eq!(trust.describe(), "the built-in web roots");
        }
        assert_eq!(Trust::cert_dir_warning(Some(OsString::new())), None);
        let w = Trust::cert_dir_warning(Some("/etc/ssl/certs".into())).unwrap();
        assert!(w.contains("SSL_CERT_DIR=/etc/ssl/certs is not read"), "{w}");
    }

    #[test]
    fn a_bundle_adds_its_certificates_to_the_web_roots() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        // Two of the web roots, as a private bundle would hold its own CAs.
        let mut pem = String::new();
        for der in &webpki_root_certs::TLS_SERVER_ROOT_CERTS[..2] {
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            pem.push_str(&base64(der.as_ref()));
            pem.push_str("\n-----END CERTIFICATE-----\n");
        }
        std::fs::write(&path, pem).unwrap();
        let trust = Trust::with_file(&path).unwrap();
        assert_eq!(
            trust.describe(),
            format!(
                "the built-in web roots and the 2 certificates of {} (SSL_CERT_FILE)",
                path.display()
            )
        );
        let RootCerts::Specific(roots) = trust.root_certs() else {
            panic!("the web roots alone");
        };
        assert_eq!(
            roots.len(),
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + 2
        );
    }

    /// Standard base64 with padding, one line (PEM readers take long lines).
    fn base64(bytes: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
