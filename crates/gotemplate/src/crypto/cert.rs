//! Sprig v3.3.0's certificates (`genCA`, `genSelfSignedCert`, `genSignedCert` and their
//! `WithKey` forms, `buildCustomCert`) built as Go's `x509.CreateCertificate` builds them:
//! random 128-bit serial, subject CN only, NotBefore now and NotAfter `daysValid` days later,
//! KeyUsage, ExtKeyUsage (server and client auth), BasicConstraints, a SubjectKeyId for CAs
//! (Go 1.25's truncated SHA-256), the parent's key id as AuthorityKeyId, DNS and IP SANs.

use super::der::{self, Element};
use super::keys::{self, PrivateKey};
use crate::value::{Object, Value};
use aws_lc_rs::digest;
use aws_lc_rs::rsa::KeySize;
use std::any::Any;
use std::rc::Rc;

/// Sprig's `certificate` struct: templates read `.Cert` and `.Key`.
pub struct Certificate {
    pub cert: String,
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(self.cert.as_str().into()),
            "Key" => Some(self.key.as_str().into()),
            _ => None,
        }
    }
    fn to_value(&self) -> Value {
        let mut m = std::collections::BTreeMap::new();
        m.insert("Cert".to_string(), Value::from(self.cert.as_str()));
        m.insert("Key".to_string(), Value::from(self.key.as_str()));
        Value::Map(Rc::new(std::cell::RefCell::new(m)))
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

fn object(c: Certificate) -> Value {
    Value::Object(Rc::new(c))
}

/// The `ca` argument: only Sprig's own certificate struct, as Go's type check demands.
fn certificate_arg(v: &Value) -> Result<&Certificate, String> {
    if let Value::Object(o) = v
        && let Some(c) = o.as_any().and_then(|a| a.downcast_ref::<Certificate>())
    {
        return Ok(c);
    }
    let got = match v {
        Value::Nil => "interface {}".to_string(),
        other => other.type_name(),
    };
    Err(format!(
        "wrong type for value; expected sprig.certificate; got {got}"
    ))
}

/// What a certificate's template carries besides its key.
struct Template {
    cn: String,
    ips: Vec<Vec<u8>>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

/// Sprig's `getNetIPs` and `getAlternateDNSStrs`.
fn template(cn: &str, ips: &Value, dns: &Value, days: i64) -> Result<Template, String> {
    let list = |v: &Value| -> Vec<Value> {
        match v {
            Value::List(l) => l.as_ref().clone(),
            _ => Vec::new(),
        }
    };
    let mut ip_bytes = Vec::new();
    for ip in list(ips) {
        let Value::String(s) = &ip else {
            return Err(format!(
                "error parsing ip: {} is not a string",
                crate::fmt::sprint_value(&ip)
            ));
        };
        ip_bytes.push(parse_ip(s).ok_or_else(|| format!("error parsing ip: {s}"))?);
    }
    let mut names = Vec::new();
    for name in list(dns) {
        let Value::String(s) = &name else {
            return Err(format!(
                "error processing alternate dns name: {} is not a string",
                crate::fmt::sprint_value(&name)
            ));
        };
        names.push(s.to_string());
    }
    Ok(Template {
        cn: cn.to_string(),
        ips: ip_bytes,
        dns: names,
        days,
        is_ca: false,
    })
}

/// `net.ParseIP`, then the bytes Go writes in a SAN (4 for IPv4 and IPv4-mapped addresses).
fn parse_ip(s: &str) -> Option<Vec<u8>> {
    match s.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => Some(v4.octets().to_vec()),
        std::net::IpAddr::V6(v6) => Some(match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets().to_vec(),
        }),
    }
}

/// Go's asn1 choice for an untagged string: PrintableString when every character is in its
/// set (`*` and `&` excluded), else UTF8String.
fn directory_string(s: &str) -> Vec<u8> {
    let printable = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    let tag = if printable {
        der::PRINTABLE_STRING
    } else {
        der::UTF8_STRING
    };
    der::tlv(tag, s.as_bytes())
}

/// `pkix.Name{CommonName: cn}` as an RDNSequence (empty when cn is).
fn subject(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return der::tlv(der::SEQUENCE, &[]);
    }
    let atv = der::seq(
        der::SEQUENCE,
        &[&der::oid(&[2, 5, 4, 3]), &directory_string(cn)],
    );
    der::tlv(der::SEQUENCE, &der::tlv(der::SET, &atv))
}

/// UTCTime for 1950..2049, GeneralizedTime otherwise, whole seconds in UTC.
fn time(unix_nanos: i128) -> Result<Vec<u8>, String> {
    let secs = unix_nanos.div_euclid(1_000_000_000);
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .ok_or("asn1: cannot represent time as GeneralizedTime")?;
    use chrono::Datelike;
    if (1950..2050).contains(&t.year()) {
        Ok(der::tlv(
            der::UTC_TIME,
            t.format("%y%m%d%H%M%SZ").to_string().as_bytes(),
        ))
    } else if (0..=9999).contains(&t.year()) {
        Ok(der::tlv(
            der::GENERALIZED_TIME,
            t.format("%Y%m%d%H%M%SZ").to_string().as_bytes(),
        ))
    } else {
        Err("asn1: cannot represent time as GeneralizedTime".into())
    }
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let oid = der::oid(id);
    let value = der::tlv(der::OCTET_STRING, value);
    if critical {
        der::seq(
            der::SEQUENCE,
            &[&oid, &der::tlv(der::BOOLEAN, &[0xFF]), &value],
        )
    } else {
        der::seq(der::SEQUENCE, &[&oid, &value])
    }
}

/// The parent of a signed certificate: its raw subject, key identifier and public key.
struct Parent<'a> {
    subject: &'a [u8],
    key_id: Option<&'a [u8]>,
    spki: &'a [u8],
}

/// Reads what `x509.CreateCertificate` takes from a parsed parent certificate.
fn parse_certificate(der_bytes: &[u8]) -> Result<Parent<'_>, String> {
    let cert = der::expect(der_bytes, der::SEQUENCE)?;
    let parts = der::children(cert.content)?;
    let tbs = parts
        .first()
        .filter(|e| e.tag == der::SEQUENCE && parts.len() == 3)
        .ok_or("x509: malformed certificate")?;
    let fields: Vec<Element> = der::children(tbs.content)?;
    let skip = usize::from(fields.first().is_some_and(|e| e.tag == 0xA0));
    let field = |i: usize| {
        fields
            .get(skip + i)
            .ok_or("x509: malformed tbs certificate")
    };
    let subject = field(4)?;
    let spki = field(5)?;
    if subject.tag != der::SEQUENCE || spki.tag != der::SEQUENCE {
        return Err("x509: malformed tbs certificate".into());
    }
    let mut key_id = None;
    for f in &fields[skip + 6..] {
        if f.tag != 0xA3 {
            continue;
        }
        let exts = der::expect(f.content, der::SEQUENCE)?;
        for ext in der::children(exts.content)? {
            let parts = der::children(ext.content)?;
            let (Some(id), Some(value)) = (parts.first(), parts.last()) else {
                return Err("x509: malformed extension".into());
            };
            if id.full == der::oid(&[2, 5, 29, 14]).as_slice() {
                let inner = der::expect(value.content, der::OCTET_STRING)
                    .map_err(|_| "x509: invalid subject key identifier")?;
                key_id = Some(inner.content);
            }
        }
    }
    Ok(Parent {
        subject: subject.full,
        key_id: key_id.filter(|k| !k.is_empty()),
        spki: spki.full,
    })
}

fn now_nanos() -> i128 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// `x509.CreateCertificate(rand, template, parent, pub(key), signer)` (self-signed when
/// `parent` is `None`), PEM-encoded with the key as Sprig returns them.
fn create(
    t: &Template,
    key: &PrivateKey,
    parent: Option<(&Parent, &PrivateKey)>,
) -> Result<Certificate, String> {
    let created = (|| -> Result<String, String> {
        let signer = parent.map_or(key, |(_, k)| k);
        let algorithm = signer.signature_algorithm()?;
        let spki = key.spki()?;
        let subject = subject(&t.cn);
        let issuer = parent.map_or(subject.as_slice(), |(p, _)| p.subject);
        if let Some((p, k)) = parent
            && k.spki()? != p.spki
        {
            return Err("x509: provided PrivateKey doesn't match parent's PublicKey".into());
        }
        let mut serial = [0u8; 16];
        getrandom::fill(&mut serial).map_err(|e| e.to_string())?;
        let now = now_nanos();
        let span = 86_400_000_000_000i64.wrapping_mul(t.days);
        let validity = der::seq(
            der::SEQUENCE,
            &[&time(now)?, &time(now + i128::from(span))?],
        );

        let mut exts: Vec<Vec<u8>> = Vec::new();
        // KeyUsage: digitalSignature | keyEncipherment (| keyCertSign for CAs).
        let usage: &[u8] = if t.is_ca {
            &[0x02, 0xA4]
        } else {
            &[0x05, 0xA0]
        };
        exts.push(extension(
            &[2, 5, 29, 15],
            true,
            &der::tlv(der::BIT_STRING, usage),
        ));
        let eku = der::seq(
            der::SEQUENCE,
            &[
                &der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 1]),
                &der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
            ],
        );
        exts.push(extension(&[2, 5, 29, 37], false, &eku));
        let basic = if t.is_ca {
            der::tlv(der::SEQUENCE, &der::tlv(der::BOOLEAN, &[0xFF]))
        } else {
            der::tlv(der::SEQUENCE, &[])
        };
        exts.push(extension(&[2, 5, 29, 19], true, &basic));
        if t.is_ca {
            let hash = digest::digest(&digest::SHA256, keys::spki_key_bits(&spki)?);
            let key_id = der::tlv(der::OCTET_STRING, &hash.as_ref()[..20]);
            exts.push(extension(&[2, 5, 29, 14], false, &key_id));
        }
        if let Some((p, _)) = parent
            && issuer != subject.as_slice()
            && let Some(id) = p.key_id
        {
            let akid = der::tlv(der::SEQUENCE, &der::tlv(0x80, id));
            exts.push(extension(&[2, 5, 29, 35], false, &akid));
        }
        if !t.dns.is_empty() || !t.ips.is_empty() {
            let mut names = Vec::new();
            for name in &t.dns {
                if !name.is_ascii() {
                    return Err(format!("x509: {name:?} cannot be encoded as an IA5String"));
                }
                names.extend(der::tlv(0x82, name.as_bytes()));
            }
            for ip in &t.ips {
                names.extend(der::tlv(0x87, ip));
            }
            let san = der::tlv(der::SEQUENCE, &names);
            exts.push(extension(&[2, 5, 29, 17], t.cn.is_empty(), &san));
        }
        let exts = der::tlv(0xA3, &der::tlv(der::SEQUENCE, &exts.concat()));

        let tbs = der::seq(
            der::SEQUENCE,
            &[
                &der::tlv(0xA0, &der::uint(&[2])),
                &der::uint(&serial),
                &algorithm,
                issuer,
                &validity,
                &subject,
                &spki,
                &exts,
            ],
        );
        let signature = signer.sign(&tbs)?;
        let cert = der::seq(der::SEQUENCE, &[&tbs, &algorithm, &der::bits(&signature)]);
        Ok(keys::pem_encode("CERTIFICATE", &cert))
    })()
    .map_err(|e| format!("error creating certificate: {e}"))?;
    Ok(Certificate {
        cert: created,
        key: key.pem()?,
    })
}

fn new_rsa() -> Result<PrivateKey, String> {
    keys::generate_rsa(KeySize::Rsa2048)
}

fn with_pem_key(pem: &str) -> Result<PrivateKey, String> {
    keys::parse_pem(pem).map_err(|e| format!("parsing private key: {e}"))
}

/// `genCA` / `genCAWithKey`.
pub fn ca(cn: &str, days: i64, key: Option<&str>) -> Result<Value, String> {
    let key = match key {
        Some(pem) => with_pem_key(pem)?,
        None => new_rsa()?,
    };
    let mut t = template(cn, &Value::Nil, &Value::Nil, days)?;
    t.is_ca = true;
    create(&t, &key, None).map(object)
}

/// `genSelfSignedCert` / `genSelfSignedCertWithKey`.
pub fn self_signed(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    key: Option<&str>,
) -> Result<Value, String> {
    let key = match key {
        Some(pem) => with_pem_key(pem)?,
        None => new_rsa()?,
    };
    let t = template(cn, ips, dns, days)?;
    create(&t, &key, None).map(object)
}

/// `genSignedCert` / `genSignedCertWithKey`.
pub fn signed(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    ca: &Value,
    key: Option<&str>,
) -> Result<Value, String> {
    let ca = certificate_arg(ca)?;
    let key = match key {
        Some(pem) => with_pem_key(pem)?,
        None => new_rsa()?,
    };
    let (_, ca_der) = keys::pem_decode(&ca.cert).ok_or("unable to decode certificate")?;
    let parent = parse_certificate(&ca_der)
        .map_err(|e| format!("error parsing certificate: decodedSignerCert.Bytes: {e}"))?;
    let signer = keys::parse_pem(&ca.key).map_err(|e| format!("error parsing private key: {e}"))?;
    let t = template(cn, ips, dns, days)?;
    create(&t, &key, Some((&parent, &signer))).map(object)
}

/// `buildCustomCert`: checks both halves and returns them as a certificate.
pub fn custom(b64cert: &str, b64key: &str) -> Result<Value, String> {
    let cert =
        super::encoding::b64_decode(b64cert).map_err(|_| "unable to decode base64 certificate")?;
    let key =
        super::encoding::b64_decode(b64key).map_err(|_| "unable to decode base64 private key")?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der_bytes) = keys::pem_decode(&cert).ok_or("unable to decode certificate")?;
    parse_certificate(&der_bytes)
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: {e}"))?;
    keys::parse_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(object(Certificate { cert, key }))
}
