//! Arbitrary bytes through every language × target × mode: never panics,
//! every error span lies inside the input, every success is well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Err(e) = kql::oracle::check_translate(src) {
            panic!("{e}");
        }
    }
});
