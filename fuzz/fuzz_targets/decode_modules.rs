//! Fuzz target: the payload decoder (format, Reed-Solomon, segments with ECI and Hanzi) on any
//! module grid never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let size = 21 + 4 * usize::from(first % 40);
    let mut dark = Vec::with_capacity(size * size);
    for i in 0..size * size {
        let byte = rest.get(i / 8).copied().unwrap_or(0);
        dark.push((byte >> (i % 8)) & 1 == 1);
    }
    let _ = connect_core::qr::decode_module_grid(size, &dark);
});
