//! Sprig's keys and certificates, checked by parsing them back with OpenSSL (`openssl` on
//! PATH; the tests say so and pass without it): subject, SANs, validity, CA flag, key usage,
//! key identifiers, the signature chain, key types and PEM headers as Sprig v3.3.0 writes them.

use gotemplate::value::Value;
use gotemplate::{Limits, Templates};
use std::path::{Path, PathBuf};
use std::process::Command;

fn render(text: &str) -> Result<String, String> {
    let mut t = Templates::new(gotemplate::helm::funcs());
    t.parse("t", text).map_err(|e| e.to_string())?;
    t.execute("t", &Value::Nil, &Limits::default())
        .map_err(|e| e.to_string())
}

fn openssl() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok();
    if !ok {
        eprintln!("openssl not installed: certificates not parsed back");
    }
    ok
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gotemplate-certs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str], cwd: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

fn text_of(cert: &str, d: &Path) -> String {
    std::fs::write(d.join("x.pem"), cert).unwrap();
    run(&["x509", "-in", "x.pem", "-noout", "-text"], d)
}

fn days(text: &str) -> i64 {
    let date = |label: &str| {
        let line = text.lines().find(|l| l.contains(label)).unwrap();
        let v = line.split_once(": ").unwrap().1.trim();
        chrono::NaiveDateTime::parse_from_str(v, "%b %e %H:%M:%S %Y GMT").unwrap()
    };
    (date("Not After") - date("Not Before")).num_days()
}

#[test]
fn ca_and_signed_certificate() {
    let out = render(
        r#"{{- $ca := genCA "my-ca" 365 -}}
{{- $c := genSignedCert "svc.ns" (list "10.0.0.1" "::1" "::ffff:1.2.3.4") (list "svc" "*.svc.ns") 30 $ca -}}
{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}|{{ typeOf $ca }}"#,
    )
    .unwrap();
    let parts: Vec<&str> = out.split('|').collect();
    let [ca, ca_key, cert, key, typ] = parts.as_slice() else {
        panic!("{out}")
    };
    assert_eq!(*typ, "sprig.certificate");
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(ca.ends_with("-----END CERTIFICATE-----\n"));
    assert!(ca_key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(ca.lines().all(|l| l.len() <= 64));
    if !openssl() {
        return;
    }
    let d = dir("chain");
    let t = text_of(ca, &d);
    assert!(t.contains("Subject: CN = my-ca"), "{t}");
    assert!(t.contains("Issuer: CN = my-ca"), "{t}");
    assert!(t.contains("Public-Key: (2048 bit)"), "{t}");
    assert!(t.contains("sha256WithRSAEncryption"), "{t}");
    assert!(t.contains("CA:TRUE"), "{t}");
    assert!(
        t.contains("Digital Signature, Key Encipherment, Certificate Sign"),
        "{t}"
    );
    assert!(t.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
    assert!(t.contains("Subject Key Identifier"), "{t}");
    assert!(!t.contains("Authority Key Identifier"), "{t}");
    assert_eq!(days(&t), 365);
    let ca_skid = t
        .lines()
        .skip_while(|l| !l.contains("Subject Key Identifier"))
        .nth(1)
        .unwrap()
        .trim()
        .to_string();

    let t = text_of(cert, &d);
    assert!(t.contains("Subject: CN = svc.ns"), "{t}");
    assert!(t.contains("Issuer: CN = my-ca"), "{t}");
    assert!(t.contains("CA:FALSE"), "{t}");
    assert!(t.contains("Digital Signature, Key Encipherment\n"), "{t}");
    assert!(
        t.contains("DNS:svc, DNS:*.svc.ns, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:1.2.3.4"),
        "{t}"
    );
    assert!(!t.contains("Subject Key Identifier"), "{t}");
    assert!(t.contains(&ca_skid), "authority key id {ca_skid}: {t}");
    assert_eq!(days(&t), 30);

    std::fs::write(d.join("ca.pem"), ca).unwrap();
    std::fs::write(d.join("cert.pem"), cert).unwrap();
    std::fs::write(d.join("key.pem"), key).unwrap();
    let v = run(&["verify", "-CAfile", "ca.pem", "cert.pem"], &d);
    assert!(v.contains("cert.pem: OK"), "{v}");
    run(&["rsa", "-in", "key.pem", "-check", "-noout"], &d);
    // The key is the certificate's.
    let m1 = run(&["x509", "-in", "cert.pem", "-noout", "-modulus"], &d);
    let m2 = run(&["rsa", "-in", "key.pem", "-noout", "-modulus"], &d);
    assert_eq!(m1, m2);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn keys_as_sprig_writes_them() {
    let out = render(
        r#"{{ genPrivateKey "ecdsa" }}|{{ genPrivateKey "ed25519" }}|{{ genPrivateKey "nope" }}"#,
    )
    .unwrap();
    let parts: Vec<&str> = out.split('|').collect();
    assert!(parts[0].starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    assert!(parts[1].starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(parts[2], "Unknown type nope");
    if !openssl() {
        return;
    }
    let d = dir("keys");
    std::fs::write(d.join("ec.pem"), parts[0]).unwrap();
    let t = run(&["ec", "-in", "ec.pem", "-noout", "-text"], &d);
    assert!(t.contains("ASN1 OID: prime256v1"), "{t}");
    std::fs::write(d.join("ed.pem"), parts[1]).unwrap();
    let t = run(&["pkey", "-in", "ed.pem", "-noout", "-text"], &d);
    assert!(t.contains("ED25519 Private-Key"), "{t}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn dsa_and_rsa_private_keys() {
    let out = render(r#"{{ genPrivateKey "dsa" }}|{{ genPrivateKey "rsa" }}"#).unwrap();
    let (dsa, rsa) = out.split_once('|').unwrap();
    assert!(dsa.starts_with("-----BEGIN DSA PRIVATE KEY-----\n"));
    assert!(rsa.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    if !openssl() {
        return;
    }
    let d = dir("dsa");
    std::fs::write(d.join("dsa.pem"), dsa).unwrap();
    let t = run(&["dsa", "-in", "dsa.pem", "-noout", "-text"], &d);
    assert!(t.contains("Private-Key: (2048 bit)"), "{t}");
    std::fs::write(d.join("rsa.pem"), rsa).unwrap();
    let t = run(&["rsa", "-in", "rsa.pem", "-noout", "-text", "-check"], &d);
    assert!(t.contains("Private-Key: (4096 bit, 2 primes)"), "{t}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn certificates_with_given_keys() {
    // Keys come back as Sprig re-encodes them: an EC key as "EC PRIVATE KEY".
    let out = render(
        r#"{{- $k := genPrivateKey "ecdsa" -}}
{{- $ca := genCAWithKey "ca" 10 $k -}}
{{- $e := genPrivateKey "ed25519" -}}
{{- $c := genSignedCertWithKey "" (list) (list "a.example") 5 $ca $e -}}
{{- $s := genSelfSignedCertWithKey "self" (list "127.0.0.1") nil 1 $k -}}
{{- $b := buildCustomCert ($s.Cert | b64enc) ($s.Key | b64enc) -}}
{{ eq $k $ca.Key }}|{{ eq $e $c.Key }}|{{ eq $b.Cert $s.Cert }}|{{ $ca.Cert }}|{{ $c.Cert }}|{{ $s.Cert }}"#,
    )
    .unwrap();
    let parts: Vec<&str> = out.split('|').collect();
    assert_eq!(parts[..3], ["true", "true", "true"]);
    if !openssl() {
        return;
    }
    let d = dir("withkey");
    let t = text_of(parts[3], &d);
    assert!(t.contains("ecdsa-with-SHA256"), "{t}");
    let t = text_of(parts[4], &d);
    assert!(
        t.contains("Subject: \n") || t.contains("Subject: ") && !t.contains("CN ="),
        "{t}"
    );
    assert!(
        t.contains("X509v3 Subject Alternative Name: critical"),
        "{t}"
    );
    assert!(t.contains("ED25519"), "{t}");
    let t = text_of(parts[5], &d);
    assert!(t.contains("IP Address:127.0.0.1"), "{t}");
    assert!(t.contains("CA:FALSE"), "{t}");
    std::fs::write(d.join("ca.pem"), parts[3]).unwrap();
    std::fs::write(d.join("c.pem"), parts[4]).unwrap();
    let v = run(&["verify", "-CAfile", "ca.pem", "c.pem"], &d);
    assert!(v.contains("c.pem: OK"), "{v}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn certificate_errors_as_sprig() {
    for (text, want) in [
        (
            r#"{{ genSignedCert "x" nil nil 1 (dict "Cert" "" "Key" "") }}"#,
            "error calling genSignedCert: wrong type for value; expected sprig.certificate; got map[string]interface {}",
        ),
        (
            r#"{{ genSelfSignedCert "x" (list "1.2.3") nil 1 }}"#,
            "error calling genSelfSignedCert: error parsing ip: 1.2.3",
        ),
        (
            r#"{{ genSelfSignedCert "x" (list 1) nil 1 }}"#,
            "error calling genSelfSignedCert: error parsing ip: 1 is not a string",
        ),
        (
            r#"{{ genCAWithKey "x" 1 "junk" }}"#,
            "error calling genCAWithKey: parsing private key: no PEM data in input",
        ),
        (
            r#"{{ buildCustomCert "!" "" }}"#,
            "error calling buildCustomCert: unable to decode base64 certificate",
        ),
        (
            r#"{{ genCAWithKey "x" 1 (genPrivateKey "dsa") }}"#,
            "error calling genCAWithKey: error creating certificate: x509: certificate private key does not implement crypto.Signer",
        ),
    ] {
        let err = render(text).unwrap_err();
        assert!(err.ends_with(want), "{text}: {err}");
    }
}
