//! `status` (and `plan --resolve`, the same client) over https to a Dagster
//! behind a private CA: a server on 127.0.0.1 whose certificate a CA made
//! here signed is trusted with `SSL_CERT_FILE` naming the CA, refused with
//! the certificate's problem named without it; a bad `SSL_CERT_FILE` is
//! exit 2 before anything is sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::{SEED, outcome, repo_with};

/// An https server on 127.0.0.1 that answers every request with a GraphQL
/// error, counting the requests that got through the handshake.
struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
}

/// A CA's PEM and a server whose certificate for 127.0.0.1 it signed.
fn server() -> (String, Server) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "dagster-scripts test CA");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, counted) = (Arc::clone(&config), Arc::clone(&counted));
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut reader = BufReader::new(rustls::StreamOwned::new(connection, tcp));
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {
                            if let Some(v) =
                                line.to_ascii_lowercase().strip_prefix("content-length:")
                            {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let answer =
                    br#"{"data":null,"errors":[{"message":"the test server knows no query"}]}"#;
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = stream.write_all(answer);
                let _ = stream.flush();
            });
        }
    });
    (ca.pem(), Server { url, requests })
}

fn status(dir: &Path, url: &str, cert_file: Option<&Path>) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dagster-scripts"));
    cmd.args(["status", "--dagster", url, "--timeout", "3s"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DAGSTER_URL")
        .env_remove("DAGSTER_API_TOKEN")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(file) = cert_file {
        cmd.env("SSL_CERT_FILE", file);
    }
    cmd.output().expect("dagster-scripts runs")
}

fn repo() -> tempfile::TempDir {
    repo_with(&[(
        "backfill-96010.yaml",
        SEED.replace("34543", "96010").as_bytes(),
    )])
}

#[test]
fn status_trusts_the_ca_that_ssl_cert_file_names_and_names_the_problem_without_it() {
    let (ca_pem, server) = server();
    let dir = repo();
    let ca_file = dir.path().join("corp-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();

    let (_, _, err) = outcome(&status(dir.path(), &server.url, None));
    assert!(
        err.contains("TLS: the server's certificate is not trusted: it is signed by a certificate authority this client does not trust (UnknownIssuer)"),
        "{err}"
    );
    assert!(err.contains("set SSL_CERT_FILE"), "{err}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 0, "{err}");

    // With the CA, the handshake succeeds and the question reaches the server
    // (which answers it with an error of its own).
    let (code, _, err) = outcome(&status(dir.path(), &server.url, Some(&ca_file)));
    assert!(!err.contains("not trusted"), "{err}");
    assert!(err.contains("the test server knows no query"), "{err}");
    assert_eq!(code, 2, "{err}");
    assert!(server.requests.load(Ordering::SeqCst) >= 1, "{err}");
}

#[test]
fn a_bad_ssl_cert_file_is_exit_2_before_anything_is_sent() {
    let (_, server) = server();
    let dir = repo();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    for (file, reason) in [
        (empty, "it holds no certificate"),
        (dir.path().join("missing.pem"), "cannot read it"),
    ] {
        let (code, _, err) = outcome(&status(dir.path(), &server.url, Some(&file)));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!(
                "error: SSL_CERT_FILE={}: {reason}",
                file.display()
            )),
            "{err}"
        );
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
}
