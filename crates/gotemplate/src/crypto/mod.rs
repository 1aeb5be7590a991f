//! Sprig's cryptographic and encoding functions with real cryptography (aws-lc-rs):
//! hashes, base64/base32 with Go's error messages, random strings from the system's
//! cryptographic generator, UUIDs, and Sprig's AES format (base64 of IV + AES-256-CBC).

mod cert;
mod der;
mod encoding;
mod keys;
mod password;

use crate::func::{FuncMap, Type};
use crate::value::Value;
use aws_lc_rs::digest;

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xF)] as char);
    }
    out
}

/// Hex of a digest of `input` (`sha1sum`, `sha256sum`, `sha512sum`).
pub fn digest_hex(algorithm: &'static digest::Algorithm, input: &[u8]) -> String {
    hex(digest::digest(algorithm, input).as_ref())
}

/// `adler32.Checksum` in decimal (`adler32sum`).
pub fn adler32(input: &[u8]) -> String {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in input.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    ((b << 16) | a).to_string()
}

/// Bytes from the system's cryptographic generator.
fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|_| "crypto/rand: read failed".to_string())?;
    Ok(buf)
}

/// A uniform random number below `n` (n > 0), by rejection.
fn random_below(n: u64) -> Result<u64, String> {
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let bytes = random_bytes(8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&bytes);
        let x = u64::from_le_bytes(raw);
        if x < zone {
            return Ok(x % n);
        }
    }
}

/// `count` characters drawn uniformly from `alphabet` (goutils' CryptoRandom); a negative
/// count gives "" as Sprig does (it drops goutils' error).
pub fn random_string(count: i64, alphabet: &[u8]) -> Result<String, String> {
    let Ok(count) = usize::try_from(count) else {
        return Ok(String::new());
    };
    if count > crate::MAX_STRING {
        return Err(format!(
            "random string longer than {} bytes",
            crate::MAX_STRING
        ));
    }
    (0..count)
        .map(|_| random_below(alphabet.len() as u64).map(|i| alphabet[i as usize] as char))
        .collect()
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";

fn ascii() -> Vec<u8> {
    (32u8..127).collect()
}

/// A random (version 4) UUID, as `uuid.New().String()`.
pub fn uuid_v4() -> Result<String, String> {
    let mut b = random_bytes(16)?;
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    key
}

/// Sprig's `encryptAES`: base64 of a random IV followed by AES-256-CBC of the text padded
/// PKCS#7-style, the key being the password's bytes cut or zero-padded to 32.
pub fn encrypt_aes(password: &str, plaintext: &str) -> Result<String, String> {
    use aws_lc_rs::cipher::{AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    let pad = 16 - plaintext.len() % 16;
    let mut content = plaintext.as_bytes().to_vec();
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let iv = random_bytes(16)?;
    let mut iv_block = [0u8; 16];
    iv_block.copy_from_slice(&iv);
    let key = UnboundCipherKey::new(&AES_256, &aes_key(password)).map_err(|e| e.to_string())?;
    let key = EncryptingKey::cbc(key).map_err(|e| e.to_string())?;
    key.less_safe_encrypt(&mut content, EncryptionContext::Iv128(iv_block.into()))
        .map_err(|e| e.to_string())?;
    let mut out = iv;
    out.extend(content);
    Ok(encoding::b64_encode(&out))
}

/// Sprig's `decryptAES`, with the messages of Go's panics on malformed input.
pub fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, String> {
    use aws_lc_rs::cipher::{AES_256, DecryptingKey, DecryptionContext, UnboundCipherKey};
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = encoding::b64_decode(crypt64)?;
    if crypt.len() < 16 {
        return Err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        ));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    if body.is_empty() {
        return Err("runtime error: index out of range [-1]".into());
    }
    let mut iv_block = [0u8; 16];
    iv_block.copy_from_slice(iv);
    let mut body = body.to_vec();
    let key = UnboundCipherKey::new(&AES_256, &aes_key(password)).map_err(|e| e.to_string())?;
    let key = DecryptingKey::cbc(key).map_err(|e| e.to_string())?;
    let plain = key
        .decrypt(&mut body, DecryptionContext::Iv128(iv_block.into()))
        .map_err(|e| e.to_string())?;
    let len = plain.len();
    let pad = usize::from(plain[len - 1]);
    if pad > len {
        return Err(format!(
            "runtime error: slice bounds out of range [:{}]",
            len as i64 - pad as i64
        ));
    }
    Ok(String::from_utf8_lossy(&plain[..len - pad]).into_owned())
}

fn int_arg(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

fn str_arg(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The functions, with their Go signatures.
pub fn funcs() -> FuncMap {
    const S: &[Type] = &[Type::String];
    const SS: &[Type] = &[Type::String, Type::String];
    const I: &[Type] = &[Type::Int];
    let mut f = FuncMap::new();
    // Hashes and encodings read a string's bytes, a binary file's included.
    const B: &[Type] = &[Type::Bytes];
    let bytes = |a: &[Value]| a[0].bytes().unwrap_or_default().to_vec();
    f.add("sha1sum", B, None, move |a| {
        Ok(digest_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY, &bytes(a)).into())
    });
    f.add("sha256sum", B, None, move |a| {
        Ok(digest_hex(&digest::SHA256, &bytes(a)).into())
    });
    f.add("sha512sum", B, None, move |a| {
        Ok(digest_hex(&digest::SHA512, &bytes(a)).into())
    });
    f.add(
        "adler32sum",
        B,
        None,
        move |a| Ok(adler32(&bytes(a)).into()),
    );
    f.add("b64enc", B, None, move |a| {
        Ok(encoding::b64_encode(&bytes(a)).into())
    });
    // Sprig returns the decoder's error message as the result.
    f.add("b64dec", S, None, |a| {
        Ok(match encoding::b64_decode(str_arg(&a[0])) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned().into(),
            Err(e) => e.into(),
        })
    });
    f.add("b32enc", B, None, move |a| {
        Ok(encoding::b32_encode(&bytes(a)).into())
    });
    f.add("b32dec", S, None, |a| {
        Ok(match encoding::b32_decode(str_arg(&a[0])) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned().into(),
            Err(e) => e.into(),
        })
    });
    f.add("randAlphaNum", I, None, |a| {
        random_string(int_arg(&a[0]), ALNUM).map(Value::from)
    });
    f.add("randAlpha", I, None, |a| {
        random_string(int_arg(&a[0]), LETTERS).map(Value::from)
    });
    f.add("randNumeric", I, None, |a| {
        random_string(int_arg(&a[0]), DIGITS).map(Value::from)
    });
    f.add("randAscii", I, None, |a| {
        random_string(int_arg(&a[0]), &ascii()).map(Value::from)
    });
    f.add("randBytes", I, None, |a| {
        let n = int_arg(&a[0]);
        let n = usize::try_from(n)
            .map_err(|_| "runtime error: makeslice: len out of range".to_string())?;
        if n > crate::MAX_STRING / 2 {
            return Err(format!(
                "randBytes: more than {} bytes",
                crate::MAX_STRING / 2
            ));
        }
        Ok(encoding::b64_encode(&random_bytes(n)?).into())
    });
    f.add("randInt", &[Type::Int, Type::Int], None, |a| {
        let (min, max) = (int_arg(&a[0]), int_arg(&a[1]));
        let span = max
            .checked_sub(min)
            .filter(|s| *s > 0)
            .ok_or("invalid argument to Intn")?;
        Ok(Value::Int(min + random_below(span as u64)? as i64))
    });
    f.add("shuffle", S, None, |a| {
        let mut chars: Vec<char> = str_arg(&a[0]).chars().collect();
        for i in (1..chars.len()).rev() {
            let j = random_below(i as u64 + 1)? as usize;
            chars.swap(i, j);
        }
        Ok(chars.into_iter().collect::<String>().into())
    });
    certificate_funcs(&mut f);
    f.add("uuidv4", &[], None, |_| uuid_v4().map(Value::from));
    f.add("encryptAES", SS, None, |a| {
        encrypt_aes(str_arg(&a[0]), str_arg(&a[1])).map(Value::from)
    });
    f.add("decryptAES", SS, None, |a| {
        decrypt_aes(str_arg(&a[0]), str_arg(&a[1])).map(Value::from)
    });
    f
}

/// Sprig's key and certificate functions.
fn certificate_funcs(f: &mut FuncMap) {
    use Type::{Any, Int, List, String as Str};
    f.add("genPrivateKey", &[Str], None, |a| {
        Ok(keys::generate_pem(str_arg(&a[0])).into())
    });
    f.add("genCA", &[Str, Int], None, |a| {
        cert::ca(str_arg(&a[0]), int_arg(&a[1]), None)
    });
    f.add("genCAWithKey", &[Str, Int, Str], None, |a| {
        cert::ca(str_arg(&a[0]), int_arg(&a[1]), Some(str_arg(&a[2])))
    });
    f.add("genSelfSignedCert", &[Str, List, List, Int], None, |a| {
        cert::self_signed(str_arg(&a[0]), &a[1], &a[2], int_arg(&a[3]), None)
    });
    f.add(
        "genSelfSignedCertWithKey",
        &[Str, List, List, Int, Str],
        None,
        |a| {
            let key = Some(str_arg(&a[4]));
            cert::self_signed(str_arg(&a[0]), &a[1], &a[2], int_arg(&a[3]), key)
        },
    );
    f.add("genSignedCert", &[Str, List, List, Int, Any], None, |a| {
        cert::signed(str_arg(&a[0]), &a[1], &a[2], int_arg(&a[3]), &a[4], None)
    });
    f.add(
        "genSignedCertWithKey",
        &[Str, List, List, Int, Any, Str],
        None,
        |a| {
            let key = Some(str_arg(&a[5]));
            cert::signed(str_arg(&a[0]), &a[1], &a[2], int_arg(&a[3]), &a[4], key)
        },
    );
    f.add("derivePassword", &[Int, Str, Str, Str, Str], None, |a| {
        // Go's parameter is a uint32.
        let counter = int_arg(&a[0]) as u32;
        let [kind, password, user, site] = [1, 2, 3, 4].map(|i| str_arg(&a[i]));
        Ok(password::derive_password(counter, kind, password, user, site).into())
    });
    f.add("bcrypt", &[Str], None, |a| {
        Ok(password::bcrypt(str_arg(&a[0])).into())
    });
    f.add("htpasswd", &[Str, Str], None, |a| {
        Ok(password::htpasswd(str_arg(&a[0]), str_arg(&a[1])).into())
    });
    f.add("buildCustomCert", &[Str, Str], None, |a| {
        cert::custom(str_arg(&a[0]), str_arg(&a[1]))
    });
}

#[cfg(test)]
mod tests;
