//! A small DER writer and reader: what certificates and keys need, encoded as Go's
//! encoding/asn1 encodes them (minimal lengths and integers).

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const BOOLEAN: u8 = 0x01;
pub const UTF8_STRING: u8 = 0x0C;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

/// One TLV: `tag`, then the definite length, then `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed value of the concatenated `parts`.
pub fn seq(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|b| **b == 0).count();
    let m = &magnitude[skip..];
    let mut content = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(m);
    tlv(INTEGER, &content)
}

/// An OBJECT IDENTIFIER from its arcs.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7F) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7F) as u8);
            v >>= 7;
        }
        content.extend(tmp.iter().rev());
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    tlv(OID, &content)
}

/// A BIT STRING of whole bytes.
pub fn bits(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    tlv(BIT_STRING, &content)
}

/// One element read from DER: its tag, its content and the whole encoding.
#[derive(Clone, Copy)]
pub struct Element<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub full: &'a [u8],
}

/// Reads one element from the front of `input`; returns it and the rest.
pub fn read(input: &[u8]) -> Result<(Element<'_>, &[u8]), String> {
    const TRUNCATED: &str = "asn1: syntax error: data truncated";
    let (&tag, rest) = input.split_first().ok_or(TRUNCATED)?;
    if tag & 0x1F == 0x1F {
        return Err("asn1: structure error: tag number too large".into());
    }
    let (&first, mut rest) = rest.split_first().ok_or(TRUNCATED)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("asn1: syntax error: invalid length".into());
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(TRUNCATED.into());
    }
    let header = input.len() - rest.len();
    let element = Element {
        tag,
        content: &rest[..len],
        full: &input[..header + len],
    };
    Ok((element, &rest[len..]))
}

/// The elements inside a constructed element's content.
pub fn children(content: &[u8]) -> Result<Vec<Element<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (e, r) = read(rest)?;
        out.push(e);
        rest = r;
    }
    Ok(out)
}

/// Reads exactly one element of `tag` filling `input`.
pub fn expect(input: &[u8], tag: u8) -> Result<Element<'_>, String> {
    let (e, rest) = read(input)?;
    if e.tag != tag {
        return Err("asn1: structure error: tags don't match".into());
    }
    if !rest.is_empty() {
        return Err("x509: trailing data".into());
    }
    Ok(e)
}
