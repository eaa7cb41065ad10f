//! Headers are built byte by byte here, from the specification, not with the parser's
//! crate, so the two can disagree.

use super::*;

/// A v2 header: command (0x20 LOCAL, 0x21 PROXY), family/protocol byte, address block, TLVs.
fn header(cmd: u8, fam: u8, addrs: &[u8], tlvs: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut body = addrs.to_vec();
    for (kind, value) in tlvs {
        body.push(*kind);
        body.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
        body.extend_from_slice(value);
    }
    let mut h = SIGNATURE.to_vec();
    h.extend_from_slice(&[cmd, fam]);
    h.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    h.extend_from_slice(&body);
    h
}

fn v4(src: [u8; 4], sport: u16) -> Vec<u8> {
    let mut a = src.to_vec();
    a.extend_from_slice(&[10, 0, 0, 1]);
    a.extend_from_slice(&sport.to_be_bytes());
    a.extend_from_slice(&443u16.to_be_bytes());
    a
}

fn aws_vpce(id: &str) -> (u8, Vec<u8>) {
    let mut v = vec![0x01];
    v.extend_from_slice(id.as_bytes());
    (0xEA, v)
}

/// Fills in a CRC32C TLV (the last TLV, zeroed) as a sender does.
fn with_crc(mut h: Vec<u8>) -> Vec<u8> {
    let crc = crc32c(&h);
    let n = h.len();
    h[n - 4..].copy_from_slice(&crc.to_be_bytes());
    h
}

#[test]
fn crc32c_known_answer() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
}

#[test]
fn ipv4_with_the_aws_vpc_endpoint_tlv() {
    let h = header(0x21, 0x11, &v4([10, 0, 3, 4], 51000), &[aws_vpce("vpce-08d2bf15fac5001c9"), (0x04, vec![0; 3])]);
    let p = parse(&h).unwrap();
    assert_eq!(p.source, Some("10.0.3.4:51000".parse().unwrap()));
    assert_eq!(p.vpce.unwrap().as_str(), "vpce-08d2bf15fac5001c9");
}

#[test]
fn ipv6_without_tlvs() {
    let mut a = vec![0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];
    a.extend_from_slice(&[0; 16]);
    a.extend_from_slice(&4000u16.to_be_bytes());
    a.extend_from_slice(&443u16.to_be_bytes());
    let p = parse(&header(0x21, 0x21, &a, &[])).unwrap();
    assert_eq!(p.source, Some("[2001:db8::7]:4000".parse().unwrap()));
    assert_eq!(p.vpce, None);
}

#[test]
fn local_keeps_the_real_endpoints() {
    let p = parse(&header(0x20, 0x00, &[], &[])).unwrap();
    assert_eq!(p, ProxyHeader { source: None, vpce: None });
}

#[test]
fn crc32c_is_checked() {
    let h = with_crc(header(0x21, 0x11, &v4([192, 0, 2, 1], 1), &[(0x03, vec![0; 4])]));
    assert!(parse(&h).is_ok());
    let mut bad = h.clone();
    bad[16] ^= 1; // the source address
    assert_eq!(parse(&bad), Err(ProxyError::BadChecksum));
}

#[test]
fn malformed_headers_are_refused() {
    let good = header(0x21, 0x11, &v4([192, 0, 2, 1], 1), &[]);
    assert_eq!(parse(&good[..20]), Err(ProxyError::Malformed("length field does not match the header".into())));
    assert_eq!(parse(&good[..10]), Err(ProxyError::Truncated));
    let mut v1 = good.clone();
    v1[12] = 0x11;
    assert!(matches!(parse(&v1), Err(ProxyError::Malformed(_))));
    // An address block shorter than the family needs.
    assert!(matches!(parse(&header(0x21, 0x11, &[1, 2, 3], &[])), Err(ProxyError::Malformed(_))));
    // A TLV that runs past the end.
    let mut cut = header(0x21, 0x11, &v4([192, 0, 2, 1], 1), &[(0x04, vec![0; 4])]);
    let n = cut.len();
    cut[n - 5] = 9; // its length says 9
    assert!(matches!(parse(&cut), Err(ProxyError::Malformed(_))));
    // An AWS TLV whose endpoint id is not one.
    let junk = header(0x21, 0x11, &v4([192, 0, 2, 1], 1), &[aws_vpce("not-a-vpce")]);
    assert!(matches!(parse(&junk), Err(ProxyError::Malformed(_))));
    // UDP.
    assert!(matches!(parse(&header(0x21, 0x12, &v4([192, 0, 2, 1], 1), &[])), Err(ProxyError::Malformed(_))));
    // Too long to accept.
    let mut long = SIGNATURE.to_vec();
    long.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
    assert_eq!(header_len(long[..16].try_into().unwrap()), Err(ProxyError::TooLong(16 + 0xffff)));
}

async fn read(bytes: Vec<u8>, required: bool) -> Result<(Accepted, Vec<u8>), ProxyError> {
    let mut stream = std::io::Cursor::new(bytes);
    let accepted = read_headers(&mut stream, required).await?;
    let mut rest = Rewind::new(accepted.rest.clone(), stream);
    let mut http = Vec::new();
    rest.read_to_end(&mut http).await.unwrap();
    Ok((accepted, http))
}

#[tokio::test]
async fn two_headers_in_a_row_the_first_counts() {
    let mut bytes = header(0x21, 0x11, &v4([10, 0, 3, 4], 1), &[aws_vpce("vpce-0aaa")]);
    bytes.extend(header(0x21, 0x11, &v4([6, 6, 6, 6], 2), &[aws_vpce("vpce-0bbb")]));
    bytes.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
    let (a, http) = read(bytes, true).await.unwrap();
    let h = a.header.unwrap();
    assert_eq!(h.source, Some("10.0.3.4:1".parse().unwrap()));
    assert_eq!(h.vpce.unwrap().as_str(), "vpce-0aaa");
    assert_eq!(a.dropped, 1);
    assert_eq!(http, b"GET / HTTP/1.1\r\n\r\n");
}

#[tokio::test]
async fn without_a_header() {
    let (a, http) = read(b"GET / HTTP/1.1\r\n\r\n".to_vec(), false).await.unwrap();
    assert!(a.header.is_none());
    assert_eq!(http, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(read(b"GET / HTTP/1.1\r\n\r\n".to_vec(), true).await.err(), Some(ProxyError::Missing));
    // Bytes that stop looking like a signature are handed on at once, however few.
    let (_, http) = read(b"GE".to_vec(), false).await.unwrap();
    assert_eq!(http, b"GE");
    // A signature's start and then the end of the connection is a truncated header.
    assert_eq!(read(b"\r\n".to_vec(), false).await.err(), Some(ProxyError::Truncated));
}

#[tokio::test]
async fn truncated_and_garbage() {
    let good = header(0x21, 0x11, &v4([10, 0, 3, 4], 1), &[]);
    assert_eq!(read(good[..8].to_vec(), true).await.err(), Some(ProxyError::Truncated));
    assert_eq!(read(good[..20].to_vec(), true).await.err(), Some(ProxyError::Truncated));
    let mut garbage = SIGNATURE.to_vec();
    garbage.extend_from_slice(&[0x21, 0x11, 0, 1, 0xff]);
    assert!(matches!(read(garbage, true).await.err(), Some(ProxyError::Malformed(_))));
    // A LOCAL header and nothing else: a TCP health check.
    let (a, http) = read(header(0x20, 0x00, &[], &[]), true).await.unwrap();
    assert_eq!(a.header, Some(ProxyHeader { source: None, vpce: None }));
    assert!(http.is_empty());
}
