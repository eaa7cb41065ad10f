#![allow(clippy::cast_possible_truncation)] // test data from small counters

//! Known-answer and consistency tests for the checksum algorithms.

use super::{ChecksumAlgorithm, Checksummer, checksum_base64};

fn raw(alg: ChecksumAlgorithm, data: &[u8]) -> Vec<u8> {
    let mut c = Checksummer::new(alg);
    c.update(data);
    c.finish()
}

// The "check" values of the CRC catalogue (input "123456789").
#[test]
fn crc_catalogue_check_values() {
    assert_eq!(raw(ChecksumAlgorithm::Crc32, b"123456789"), 0xCBF4_3926u32.to_be_bytes());
    assert_eq!(raw(ChecksumAlgorithm::Crc32c, b"123456789"), 0xE306_9283u32.to_be_bytes());
    assert_eq!(raw(ChecksumAlgorithm::Crc64Nvme, b"123456789"), 0xAE8B_1486_0A79_9888u64.to_be_bytes());
}

#[test]
fn empty_input() {
    // Every CRC here starts from all ones and ends with a final xor of all ones, so the empty input gives zero.
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc32, b""), "AAAAAA==");
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc32c, b""), "AAAAAA==");
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc64Nvme, b""), "AAAAAAAAAAA=");
    // SHA-1("") = da39a3ee5e6b4b0d3255bfef95601890afd80709
    assert_eq!(hex::encode(raw(ChecksumAlgorithm::Sha1, b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    // SHA-256("") = e3b0c442...b855
    assert_eq!(
        hex::encode(raw(ChecksumAlgorithm::Sha256, b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(checksum_base64(ChecksumAlgorithm::Sha256, b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

#[test]
fn known_values() {
    // CRC32("hello world") = 0x0D4A1185
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc32, b"hello world"), "DUoRhQ==");
    // CRC32C("hello world") = 0xC99465AA
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc32c, b"hello world"), "yZRlqg==");
    // CRC32("abc") = 0x352441C2
    assert_eq!(checksum_base64(ChecksumAlgorithm::Crc32, b"abc"), "NSRBwg==");
    // SHA-1("abc") (FIPS 180 example) = a9993e36...9cd0d89d
    assert_eq!(hex::encode(raw(ChecksumAlgorithm::Sha1, b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    // SHA-256("abc") (FIPS 180 example)
    assert_eq!(
        hex::encode(raw(ChecksumAlgorithm::Sha256, b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn incremental_equals_one_shot() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
    for alg in ChecksumAlgorithm::ALL {
        let whole = checksum_base64(alg, &data);
        let mut c = Checksummer::new(alg);
        for piece in data.chunks(37) {
            c.update(piece);
        }
        assert_eq!(c.finish_base64(), whole, "{alg:?}");
    }
}

#[test]
fn names_round_trip() {
    for alg in ChecksumAlgorithm::ALL {
        assert_eq!(ChecksumAlgorithm::from_header_name(alg.header_name()), Some(alg));
        assert_eq!(ChecksumAlgorithm::from_header_name(&alg.header_name().to_ascii_uppercase()), Some(alg));
        assert_eq!(ChecksumAlgorithm::from_name(alg.name()), Some(alg));
        assert_eq!(ChecksumAlgorithm::from_name(&alg.name().to_ascii_lowercase()), Some(alg));
    }
    assert_eq!(ChecksumAlgorithm::from_header_name("X-Amz-Checksum-CRC64NVME"), Some(ChecksumAlgorithm::Crc64Nvme));
    assert_eq!(ChecksumAlgorithm::from_header_name("x-amz-checksum-md5"), None);
    assert_eq!(ChecksumAlgorithm::from_header_name("x-amz-checksum-"), None);
    assert_eq!(ChecksumAlgorithm::from_header_name(""), None);
}

#[test]
fn decode_value_checks_length_and_alphabet() {
    let crc = ChecksumAlgorithm::Crc32;
    assert_eq!(crc.decode_value("DUoRhQ=="), Some(vec![0x0D, 0x4A, 0x11, 0x85]));
    assert_eq!(crc.decode_value(" DUoRhQ== "), Some(vec![0x0D, 0x4A, 0x11, 0x85]));
    assert_eq!(crc.decode_value("DUoRhQ"), None); // padding required
    assert_eq!(crc.decode_value("AAAAAAAAAAA="), None); // 8 bytes
    assert_eq!(crc.decode_value("!!!!!!=="), None);
    assert_eq!(crc.decode_value(""), None);
    assert!(ChecksumAlgorithm::Sha256.decode_value("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").is_some());
}
