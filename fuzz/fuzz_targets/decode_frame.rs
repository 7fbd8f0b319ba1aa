//! Fuzz target: `decode_frame` never panics on any buffer and geometry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let width = u32::from(u16::from_le_bytes([data[0], data[1]]) % 512);
    let height = u32::from(u16::from_le_bytes([data[2], data[3]]) % 512);
    let pad = u32::from(data[4] % 8);
    let _ = connect_core::qr::decode_frame(&data[5..], width, height, width + pad);
});
