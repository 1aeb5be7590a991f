//! Expected values come from Go (encoding/base64, encoding/base32, hash/adler32, crypto/aes
//! as Sprig v3.3.0 uses them), printed by a probe program.

use super::encoding::{b32_decode, b32_encode, b64_decode, b64_encode};
use super::*;

fn shown(r: Result<Vec<u8>, String>) -> String {
    match r {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("ERR {e}"),
    }
}

#[test]
fn base64_decodes_as_go() {
    for (input, go) in [
        ("", ""),
        ("aGk=", "hi"),
        ("aGk", "ERR illegal base64 data at input byte 0"),
        ("aGk==", "ERR illegal base64 data at input byte 4"),
        ("a", "ERR illegal base64 data at input byte 0"),
        ("abc", "ERR illegal base64 data at input byte 0"),
        ("a===", "ERR illegal base64 data at input byte 1"),
        ("aGVsbG8gd29ybGQ=", "hello world"),
        ("aGVs\nbG8=", "hello"),
        ("aG!k", "ERR illegal base64 data at input byte 2"),
        ("aGk=x", "ERR illegal base64 data at input byte 4"),
        ("aGk=\n", "hi"),
        ("aA==", "h"),
        ("aA=", "ERR illegal base64 data at input byte 3"),
        ("aA=x", "ERR illegal base64 data at input byte 2"),
        ("====", "ERR illegal base64 data at input byte 0"),
        ("YWJj\r\nZGVm", "abcdef"),
    ] {
        assert_eq!(shown(b64_decode(input)), go, "{input:?}");
    }
    assert_eq!(b64_encode(b"hello world"), "aGVsbG8gd29ybGQ=");
    assert_eq!(b64_encode(b"hi"), "aGk=");
}

#[test]
fn base32_decodes_as_go() {
    for (input, go) in [
        ("", ""),
        ("NBUQ====", "hi"),
        ("NBUQ===", "ERR illegal base32 data at input byte 7"),
        ("NBUQ", "ERR illegal base32 data at input byte 0"),
        ("MZXW6YTBOI======", "foobar"),
        ("MZXW6===", "foo"),
        ("MZ======", "f"),
        ("M=======", "ERR illegal base32 data at input byte 1"),
        ("MZXW6YQ=", "foob"),
        ("1ABC====", "ERR illegal base32 data at input byte 0"),
        ("NBUQ====x", "hi"),
        ("NBSWY3DP", "hello"),
        ("NB\nUQ====", "hi"),
    ] {
        assert_eq!(shown(b32_decode(input)), go, "{input:?}");
    }
    assert_eq!(b32_encode(b"f"), "MY======");
    assert_eq!(b32_encode(b"foobar"), "MZXW6YTBOI======");
}

#[test]
fn digests_as_go() {
    assert_eq!(adler32(b"hello world"), "436929629");
    assert_eq!(
        digest_hex(&digest::SHA256, b"hi"),
        "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"
    );
    assert_eq!(
        digest_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY, b"hi"),
        "c22b5f9178342609428d6f51b2c5af4c0bde6a42"
    );
}

#[test]
fn aes_reads_what_go_wrote() {
    assert_eq!(
        decrypt_aes("secret", "MDEyMzQ1Njc4OWFiY2RlZvygry3qW9vvUIfiIpcC9Mk=").unwrap(),
        "hello world"
    );
    assert_eq!(
        decrypt_aes(
            "a-very-long-password-longer-than-32-bytes!",
            "ZmVkY2JhOTg3NjU0MzIxMMs8bXdtkdJOaQk0wSy+CrhkzlUmzvuwtQRPu6pH1itR"
        )
        .unwrap(),
        "sixteen bytes!!!"
    );
    let sealed = encrypt_aes("pw", "round trip").unwrap();
    assert_eq!(decrypt_aes("pw", &sealed).unwrap(), "round trip");
    assert_eq!(encrypt_aes("pw", "").unwrap(), "");
    assert_eq!(
        decrypt_aes("pw", "aGk=").unwrap_err(),
        "runtime error: slice bounds out of range [:16] with capacity 2"
    );
}

#[test]
fn random_strings_use_their_alphabets() {
    let s = random_string(64, ALNUM).unwrap();
    assert_eq!(s.len(), 64);
    assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert!(
        random_string(32, DIGITS)
            .unwrap()
            .bytes()
            .all(|c| c.is_ascii_digit())
    );
    assert_eq!(random_string(-1, LETTERS).unwrap(), "");
    let u = uuid_v4().unwrap();
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "4");
    assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    assert_ne!(uuid_v4().unwrap(), u);
}

/// Expected strings printed by Sprig v3.3.0 (Go, golang.org/x/crypto) through a probe.
#[test]
fn derive_password_as_sprig() {
    use super::password::derive_password;
    for ((counter, kind, password, user, site), go) in [
        (
            (1, "long", "password", "user", "example.com"),
            "ZedaFaxcZaso9*",
        ),
        ((2, "maximum", "pässwörd", "ü", ""), "ekKP*RxM&Fj6JS1n(o9$"),
        ((0, "pin", "", "", ""), "2847"),
        ((7, "basic", "x", "alice", "site.org"), "nZL05JCf"),
        ((1, "medium", "p", "u", "s"), "Rud1@Nel"),
        ((1, "short", "p", "u", "s"), "Rud1"),
        (
            (1, "nope", "p", "u", "s"),
            "cannot find password template nope",
        ),
    ] {
        assert_eq!(derive_password(counter, kind, password, user, site), go);
    }
}

#[test]
fn bcrypt_as_sprig() {
    use super::password::{bcrypt, htpasswd};
    // A hash Go made for "p" verifies with ours, and ours has Go's shape.
    let go = "$2a$10$CuX7wlRta/ebgtXok7uIEOZpTtwrFYAve7SZNtdyqLCoNAddieHR.";
    assert!(::bcrypt::verify("p", go).unwrap());
    let line = htpasswd("u", "p");
    let hash = line.strip_prefix("u:").unwrap();
    assert!(hash.starts_with("$2a$10$") && hash.len() == 60, "{hash}");
    assert!(::bcrypt::verify("p", hash).unwrap());
    assert_eq!(htpasswd("a:b", "x"), "invalid username: a:b");
    assert_eq!(
        bcrypt(&"a".repeat(73)),
        "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
    );
}
