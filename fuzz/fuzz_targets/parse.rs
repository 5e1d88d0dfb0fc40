//! Arbitrary bytes as a query in both languages: never panics; whatever
//! parses prints back and re-parses to an equal tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Err(e) = kql::oracle::check_parse(src) {
            panic!("{e}");
        }
    }
});
