//! The PROXY protocol v2 parser on arbitrary bytes: it must never panic, and whatever it
//! accepts must be a header whose length field covers exactly the bytes given.

#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost_gate::proxy_proto::{header_len, parse};

fuzz_target!(|data: &[u8]| {
    // Most inputs start with the signature, so the fuzzer gets past it.
    let mut bytes = outpost_gate::proxy_proto::SIGNATURE.to_vec();
    bytes.extend_from_slice(data);
    for input in [data, bytes.as_slice()] {
        if let Ok(header) = parse(input) {
            let fixed: &[u8; 16] = input[..16].try_into().unwrap();
            assert_eq!(header_len(fixed), Ok(input.len()));
            if let Some(vpce) = header.vpce {
                assert!(vpce.as_str().starts_with("vpce-"));
            }
        }
    }
});
