//! A Dagster behind a private CA: the fake Dagster served over https on
//! 127.0.0.1 with a certificate signed by a CA made here. With
//! `SSL_CERT_FILE` naming the CA's PEM file the runner trusts it (besides
//! the web roots); without it, the runner fails with a TLS error that names
//! the certificate's problem; a bad `SSL_CERT_FILE` is exit 2 before
//! anything is sent.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::fake::{Fake, SEED, healthy};
use crate::support::{Ran, command, spec_dir, spec_file, trial, wait};

pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "tls::the_runner_trusts_the_ca_that_ssl_cert_file_names",
            the_runner_trusts_the_ca_that_ssl_cert_file_names,
        ),
        trial(
            "tls::without_the_ca_the_runner_names_the_certificate_problem",
            without_the_ca_the_runner_names_the_certificate_problem,
        ),
        trial(
            "tls::a_certificate_for_another_host_is_refused_even_with_the_ca",
            a_certificate_for_another_host_is_refused_even_with_the_ca,
        ),
        trial(
            "tls::a_bad_ssl_cert_file_is_exit_2_before_anything_is_sent",
            a_bad_ssl_cert_file_is_exit_2_before_anything_is_sent,
        ),
    ]
}

/// A CA made for this test process, and servers' TLS settings it signed.
struct TestCa {
    /// The CA's certificate, PEM, in a file.
    pem_file: PathBuf,
    /// A server certificate for 127.0.0.1.
    loopback: Arc<rustls::ServerConfig>,
    /// A server certificate for `dagster.example` only.
    other_host: Arc<rustls::ServerConfig>,
}

fn ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "dagster-scripts test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key"))
            .expect("self-signed CA");
        let server = |names: &[&str]| {
            let key = KeyPair::generate().expect("server key");
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            let cert = CertificateParams::new(names)
                .expect("server params")
                .signed_by(&key, &ca)
                .expect("server certificate");
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(
                    vec![cert.der().clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
                )
                .expect("server TLS settings");
            Arc::new(config)
        };
        let dir = spec_dir();
        std::fs::create_dir_all(&dir).expect("temp dir");
        let pem_file = dir.join("test-ca.pem");
        std::fs::write(&pem_file, ca.pem()).expect("write the CA");
        TestCa {
            pem_file,
            loopback: server(&["127.0.0.1"]),
            other_host: server(&["dagster.example"]),
        }
    })
}

const FAST: &[&str] = &["--retry-for", "1s", "--request-timeout", "2s", "--dry-run"];

/// The seed's dry run against `fake`, with `SSL_CERT_FILE` set to `cert_file` when given.
fn dry_run(fake: &Fake, cert_file: Option<&std::path::Path>) -> Ran {
    let mut cmd = command(&spec_file("tls", SEED), &fake.url, FAST);
    if let Some(file) = cert_file {
        cmd.env("SSL_CERT_FILE", file);
    }
    wait(
        cmd.spawn().expect("spawn the runner"),
        Duration::from_secs(30),
    )
}

fn the_runner_trusts_the_ca_that_ssl_cert_file_names() {
    let ca = ca();
    let fake = Fake::start_tls(
        |op, vars, _| healthy(op, vars, false),
        Arc::clone(&ca.loopback),
    );
    assert!(fake.url.starts_with("https://127.0.0.1:"), "{}", fake.url);
    let ran = dry_run(&fake, Some(&ca.pem_file));
    ran.assert_code(0);
    assert!(
        ran.stdout.contains("\"partition_count\":4"),
        "{}",
        ran.stdout
    );
    let tls = ran.event("tls");
    assert!(
        tls.iter().any(|e| e["message"]
            .as_str()
            .unwrap_or("")
            .contains("the built-in web roots and the 1 certificate of")),
        "{}",
        ran.stderr
    );
    assert!(fake.count("FindBackfills") >= 1, "{:?}", fake.seen());
}

fn without_the_ca_the_runner_names_the_certificate_problem() {
    let ca = ca();
    let fake = Fake::start_tls(
        |op, vars, _| healthy(op, vars, false),
        Arc::clone(&ca.loopback),
    );
    let ran = dry_run(&fake, None);
    ran.assert_code(4);
    for needle in [
        "TLS: the server's certificate is not trusted",
        "signed by a certificate authority this client does not trust (UnknownIssuer)",
        "this client trusts the built-in web roots (",
        "set SSL_CERT_FILE",
    ] {
        assert!(ran.stderr.contains(needle), "{needle}: {}", ran.stderr);
    }
    assert!(
        fake.seen().is_empty(),
        "a request got through: {:?}",
        fake.seen()
    );
}

fn a_certificate_for_another_host_is_refused_even_with_the_ca() {
    let ca = ca();
    let fake = Fake::start_tls(
        |op, vars, _| healthy(op, vars, false),
        Arc::clone(&ca.other_host),
    );
    let ran = dry_run(&fake, Some(&ca.pem_file));
    ran.assert_code(4);
    for needle in [
        "it is not valid for the host name in the URL (NotValidForName",
        "this client trusts the built-in web roots and the 1 certificate of",
    ] {
        assert!(ran.stderr.contains(needle), "{needle}: {}", ran.stderr);
    }
    assert!(
        fake.seen().is_empty(),
        "a request got through: {:?}",
        fake.seen()
    );
}

fn a_bad_ssl_cert_file_is_exit_2_before_anything_is_sent() {
    let ca = ca();
    let fake = Fake::start_tls(
        |op, vars, _| healthy(op, vars, false),
        Arc::clone(&ca.loopback),
    );
    let dir = spec_dir().join(format!("bad-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let key_only = write(
        "key.pem",
        &KeyPair::generate().expect("key").serialize_pem(),
    );
    let cases = [
        (dir.join("missing.pem"), "cannot read it"),
        (dir.clone(), "it is not a regular file"),
        (write("empty.pem", ""), "it holds no certificate"),
        (
            write("text.pem", "not a certificate\n"),
            "it holds no certificate",
        ),
        (key_only, "it holds no certificate"),
        (
            write(
                "broken.pem",
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            ),
            "it is not a PEM file",
        ),
        (
            write(
                "junk.pem",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            ),
            "certificate 1 of 1 is not one rustls can use as a CA (BadEncoding)",
        ),
    ];
    for (file, reason) in cases {
        let ran = dry_run(&fake, Some(&file));
        ran.assert_code(2);
        let exit = ran.event("exit");
        let message = exit[0]["message"].as_str().unwrap_or("");
        let named = format!("SSL_CERT_FILE={}: {reason}", file.display());
        assert!(message.contains(&named), "{named}: {}", ran.stderr);
        assert!(
            message.contains("point SSL_CERT_FILE at a PEM file"),
            "{message}"
        );
    }
    assert!(
        fake.seen().is_empty(),
        "a request was sent: {:?}",
        fake.seen()
    );
}
