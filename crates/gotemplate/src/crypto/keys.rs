//! Private keys as Sprig v3.3.0 generates, writes and reads them: RSA (PKCS#1 `RSA PRIVATE
//! KEY`), ECDSA (SEC 1 `EC PRIVATE KEY`), Ed25519 (PKCS#8 `PRIVATE KEY`) and DSA (`DSA PRIVATE
//! KEY`, Sprig's own SEQUENCE of version, P, Q, G, Y, X), with Go's PEM framing.

use super::der::{self, Element};
use super::encoding::{b64_decode, b64_encode};
use aws_lc_rs::encoding::{AsBigEndian, AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING,
    EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
};

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_EC: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];

/// The curves Go's crypto/x509 reads, with their OIDs and signature algorithms.
pub struct Curve {
    oid: &'static [u64],
    signing: &'static EcdsaSigningAlgorithm,
    signature_oid: &'static [u64],
    bytes: usize,
}

const CURVES: [Curve; 3] = [
    Curve {
        oid: &[1, 2, 840, 10045, 3, 1, 7],
        signing: &ECDSA_P256_SHA256_ASN1_SIGNING,
        signature_oid: &[1, 2, 840, 10045, 4, 3, 2],
        bytes: 32,
    },
    Curve {
        oid: &[1, 3, 132, 0, 34],
        signing: &ECDSA_P384_SHA384_ASN1_SIGNING,
        signature_oid: &[1, 2, 840, 10045, 4, 3, 3],
        bytes: 48,
    },
    Curve {
        oid: &[1, 3, 132, 0, 35],
        signing: &ECDSA_P521_SHA512_ASN1_SIGNING,
        signature_oid: &[1, 2, 840, 10045, 4, 3, 4],
        bytes: 66,
    },
];

pub enum PrivateKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, &'static Curve),
    Ed25519(Ed25519KeyPair),
    /// Sprig's DSA encoding; Go cannot sign certificates with it.
    Dsa(Vec<u8>),
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("failed to generate private key: {e}")
}

/// A new RSA key of `bits` (2048 for certificates, 4096 for `genPrivateKey`).
pub fn generate_rsa(size: KeySize) -> Result<PrivateKey, String> {
    RsaKeyPair::generate(size)
        .map(PrivateKey::Rsa)
        .map_err(|e| format!("error generating rsa key: {e}"))
}

/// Sprig's `genPrivateKey`: the PEM text, or Sprig's message as the result.
pub fn generate_pem(typ: &str) -> String {
    let key = match typ {
        "" | "rsa" => generate_rsa(KeySize::Rsa4096).map_err(failed),
        "ecdsa" => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
            .map(|k| PrivateKey::Ec(k, &CURVES[0]))
            .map_err(failed),
        "ed25519" => Ed25519KeyPair::generate()
            .map(PrivateKey::Ed25519)
            .map_err(failed),
        "dsa" => generate_dsa().map(PrivateKey::Dsa),
        _ => return format!("Unknown type {typ}"),
    };
    match key.and_then(|k| k.pem()) {
        Ok(pem) => pem,
        Err(e) => e,
    }
}

/// DSA with L = 2048, N = 256 (Go's `dsa.L2048N256`), through AWS-LC's C interface (aws-lc-rs
/// offers no DSA); `i2d_DSAPrivateKey` writes exactly Sprig's SEQUENCE.
fn generate_dsa() -> Result<Vec<u8>, String> {
    use aws_lc_sys::{
        DSA_free, DSA_generate_key, DSA_generate_parameters_ex, DSA_new, OPENSSL_free,
        i2d_DSAPrivateKey,
    };
    use std::ptr::{null, null_mut};
    // SAFETY: every pointer comes from AWS-LC and is checked before use; the DSA object and
    // the encoded buffer are freed on every path; the buffer is copied out before it is freed.
    unsafe {
        let dsa = DSA_new();
        if dsa.is_null() {
            return Err("failed to generate dsa params: out of memory".into());
        }
        if DSA_generate_parameters_ex(dsa, 2048, null(), 0, null_mut(), null_mut(), null_mut()) != 1
        {
            DSA_free(dsa);
            return Err("failed to generate dsa params: generation failed".into());
        }
        if DSA_generate_key(dsa) != 1 {
            DSA_free(dsa);
            return Err(failed("dsa key generation failed"));
        }
        let mut out: *mut u8 = null_mut();
        let len = i2d_DSAPrivateKey(dsa, &mut out);
        DSA_free(dsa);
        let Ok(len) = usize::try_from(len) else {
            return Err(failed("dsa key encoding failed"));
        };
        if out.is_null() {
            return Err(failed("dsa key encoding failed"));
        }
        let bytes = std::slice::from_raw_parts(out, len).to_vec();
        OPENSSL_free(out.cast());
        Ok(bytes)
    }
}

/// `pem.EncodeToMemory`: 64-column base64 between the BEGIN and END lines.
pub fn pem_encode(typ: &str, der: &[u8]) -> String {
    let b64 = b64_encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * typ.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(typ);
    out.push_str("-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(typ);
    out.push_str("-----\n");
    out
}

/// `pem.Decode`'s first block: its type and bytes (headers are skipped).
pub fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = text;
    loop {
        let start = rest.find("-----BEGIN ")?;
        rest = &rest[start + "-----BEGIN ".len()..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let line = rest[..line_end].trim_end_matches([' ', '\t', '\r']);
        let Some(typ) = line.strip_suffix("-----") else {
            continue;
        };
        let body_start = (line_end + 1).min(rest.len());
        let end_marker = format!("-----END {typ}-----");
        let Some(end) = rest[body_start..].find(&end_marker) else {
            continue;
        };
        let body = &rest[body_start..body_start + end];
        let mut lines: Vec<&str> = body.lines().collect();
        if lines.iter().any(|l| l.contains(':')) {
            let blank = lines.iter().position(|l| l.trim().is_empty());
            lines = blank.map(|i| lines[i + 1..].to_vec()).unwrap_or_default();
        }
        let b64: String = lines
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Ok(bytes) = b64_decode(&b64) {
            return Some((typ.to_string(), bytes));
        }
        rest = &rest[body_start + end..];
    }
}

/// The parts of a PKCS#8 PrivateKeyInfo: the algorithm's OID element and the key bytes.
fn pkcs8_parts(der: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let info = der::expect(der, der::SEQUENCE)?;
    let parts = der::children(info.content)?;
    let [version, alg, key, ..] = parts.as_slice() else {
        return Err("asn1: syntax error: sequence truncated".into());
    };
    if version.tag != der::INTEGER || alg.tag != der::SEQUENCE || key.tag != der::OCTET_STRING {
        return Err("asn1: structure error: tags don't match".into());
    }
    let alg = der::children(alg.content)?;
    let oid = alg
        .first()
        .ok_or("asn1: syntax error: sequence truncated")?;
    Ok((oid.full, key.content))
}

fn ec_from(der: &[u8]) -> Result<PrivateKey, String> {
    for curve in &CURVES {
        if let Ok(k) = EcdsaKeyPair::from_private_key_der(curve.signing, der) {
            return Ok(PrivateKey::Ec(k, curve));
        }
    }
    Err("x509: failed to parse EC private key".into())
}

/// Sprig's `parsePrivateKeyPEM`, with its messages.
pub fn parse_pem(text: &str) -> Result<PrivateKey, String> {
    let (typ, bytes) = pem_decode(text).ok_or("no PEM data in input")?;
    if typ == "PRIVATE KEY" {
        return parse_pkcs8(&bytes).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(kind) = typ.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {typ}"));
    };
    match kind {
        "RSA" => RsaKeyPair::from_der(&bytes)
            .map(PrivateKey::Rsa)
            .map_err(|e| format!("parsing RSA private key from PEM: x509: {e}")),
        "EC" => ec_from(&bytes).map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => {
            let seq = der::expect(&bytes, der::SEQUENCE)
                .map_err(|e| format!("parsing DSA private key from PEM: {e}"))?;
            let ints = der::children(seq.content)
                .map_err(|e| format!("parsing DSA private key from PEM: {e}"))?;
            if ints.len() < 6 || ints.iter().any(|i| i.tag != der::INTEGER) {
                return Err(
                    "parsing DSA private key from PEM: asn1: structure error: tags don't match"
                        .into(),
                );
            }
            Ok(PrivateKey::Dsa(bytes))
        }
        _ => Err(format!("invalid private key type {typ}")),
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<PrivateKey, String> {
    let (oid, inner) = pkcs8_parts(der)?;
    if oid == der::oid(OID_RSA).as_slice() {
        RsaKeyPair::from_der(inner)
            .map(PrivateKey::Rsa)
            .map_err(|e| format!("x509: failed to parse RSA private key embedded in PKCS#8: {e}"))
    } else if oid == der::oid(OID_EC).as_slice() {
        ec_from(der)
    } else if oid == der::oid(OID_ED25519).as_slice() {
        let seed = der::expect(inner, der::OCTET_STRING)
            .map_err(|e| format!("x509: invalid Ed25519 private key: {e}"))?;
        if seed.content.len() != 32 {
            return Err(format!(
                "x509: invalid Ed25519 private key length: {}",
                seed.content.len()
            ));
        }
        Ed25519KeyPair::from_seed_unchecked(seed.content)
            .map(PrivateKey::Ed25519)
            .map_err(|e| format!("x509: invalid Ed25519 private key: {e}"))
    } else {
        Err("x509: PKCS#8 wrapping contained private key with unknown algorithm".into())
    }
}

impl PrivateKey {
    /// Sprig's `pemBlockForKey`: the PEM type and DER Go writes for the key.
    fn block(&self) -> Result<(&'static str, Vec<u8>), String> {
        let err = |e: aws_lc_rs::error::Unspecified| format!("error pem-encoding key: {e}");
        match self {
            PrivateKey::Rsa(k) => {
                let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(k).map_err(err)?;
                let (_, pkcs1) = pkcs8_parts(pkcs8.as_ref())?;
                Ok(("RSA PRIVATE KEY", pkcs1.to_vec()))
            }
            PrivateKey::Ec(k, curve) => {
                let scalar = k.private_key().as_be_bytes().map_err(err)?;
                let scalar = scalar.as_ref();
                let mut padded = vec![0u8; curve.bytes.saturating_sub(scalar.len())];
                padded.extend_from_slice(scalar);
                let sec1 = der::seq(
                    der::SEQUENCE,
                    &[
                        &der::uint(&[1]),
                        &der::tlv(der::OCTET_STRING, &padded),
                        &der::tlv(0xA0, &der::oid(curve.oid)),
                        &der::tlv(0xA1, &der::bits(k.public_key().as_ref())),
                    ],
                );
                Ok(("EC PRIVATE KEY", sec1))
            }
            PrivateKey::Ed25519(k) => {
                let seed = k.seed().map_err(err)?;
                let seed = seed.as_be_bytes().map_err(err)?;
                let pkcs8 = der::seq(
                    der::SEQUENCE,
                    &[
                        &der::uint(&[0]),
                        &der::seq(der::SEQUENCE, &[&der::oid(OID_ED25519)]),
                        &der::tlv(
                            der::OCTET_STRING,
                            &der::tlv(der::OCTET_STRING, seed.as_ref()),
                        ),
                    ],
                );
                Ok(("PRIVATE KEY", pkcs8))
            }
            PrivateKey::Dsa(bytes) => Ok(("DSA PRIVATE KEY", bytes.clone())),
        }
    }

    /// The key as Sprig writes it (`pem.EncodeToMemory(pemBlockForKey(priv))`).
    pub fn pem(&self) -> Result<String, String> {
        let (typ, der) = self.block()?;
        Ok(pem_encode(typ, &der))
    }

    /// The SubjectPublicKeyInfo of the key's public half.
    pub fn spki(&self) -> Result<Vec<u8>, String> {
        let err = |e: aws_lc_rs::error::Unspecified| format!("x509: {e}");
        Ok(match self {
            PrivateKey::Rsa(k) => AsDer::<PublicKeyX509Der>::as_der(k.public_key())
                .map_err(err)?
                .as_ref()
                .to_vec(),
            PrivateKey::Ec(k, _) => AsDer::<PublicKeyX509Der>::as_der(k.public_key())
                .map_err(err)?
                .as_ref()
                .to_vec(),
            PrivateKey::Ed25519(k) => AsDer::<PublicKeyX509Der>::as_der(k.public_key())
                .map_err(err)?
                .as_ref()
                .to_vec(),
            PrivateKey::Dsa(_) => {
                return Err("x509: unsupported public key type: *dsa.PublicKey".into());
            }
        })
    }

    /// The signature AlgorithmIdentifier Go picks for the key.
    pub fn signature_algorithm(&self) -> Result<Vec<u8>, String> {
        Ok(match self {
            PrivateKey::Rsa(_) => der::seq(
                der::SEQUENCE,
                &[
                    &der::oid(&[1, 2, 840, 113549, 1, 1, 11]),
                    &der::tlv(der::NULL, &[]),
                ],
            ),
            PrivateKey::Ec(_, curve) => der::seq(der::SEQUENCE, &[&der::oid(curve.signature_oid)]),
            PrivateKey::Ed25519(_) => der::seq(der::SEQUENCE, &[&der::oid(OID_ED25519)]),
            PrivateKey::Dsa(_) => {
                return Err(
                    "x509: certificate private key does not implement crypto.Signer".into(),
                );
            }
        })
    }

    /// The signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let err = |e: aws_lc_rs::error::Unspecified| format!("x509: signing failed: {e}");
        match self {
            PrivateKey::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(err)?;
                Ok(sig)
            }
            PrivateKey::Ec(k, _) => Ok(k.sign(&rng, message).map_err(err)?.as_ref().to_vec()),
            PrivateKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            PrivateKey::Dsa(_) => {
                Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        }
    }
}

/// The bytes of the subjectPublicKey BIT STRING in an SPKI (for key identifiers).
pub fn spki_key_bits(spki: &[u8]) -> Result<&[u8], String> {
    let seq = der::expect(spki, der::SEQUENCE)?;
    let parts: Vec<Element> = der::children(seq.content)?;
    let key = parts
        .get(1)
        .filter(|e| e.tag == der::BIT_STRING)
        .ok_or("x509: malformed subject public key")?;
    Ok(key.content.get(1..).unwrap_or_default())
}
