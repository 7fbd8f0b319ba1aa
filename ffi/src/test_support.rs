//! Test support for the binding tests (feature `test-support`, never in app builds): a QR code
//! rendered the way a camera hands it over, so Kotlin tests can feed `decode_frame` a real frame.
//! Encoding uses the `qrcode` crate, independent of the decoder under test.

use qrcode::{Color, QrCode};

use crate::scan::FrameError;

/// A luma plane with its geometry, as CameraX or AVFoundation deliver it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LumaFrame {
    /// Row-major luma, `row_stride` bytes per row.
    pub luma: Vec<u8>,
    /// Visible width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row (more than `width`: cameras pad rows).
    pub row_stride: u32,
}

/// Bytes of padding after each row, filled with noise the decoder must not read as pixels.
const ROW_PADDING: u32 = 24;
/// Light margin around the code, in modules (the QR standard asks for four).
const QUIET_MODULES: u32 = 4;

/// Renders `text` as a QR code, `module_px` pixels per module, grey on light grey like a printed
/// sticker under indoor light, in a frame with padded rows.
#[uniffi::export]
pub fn render_qr_frame(text: String, module_px: u32) -> Result<LumaFrame, FrameError> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| FrameError::InvalidFrame {
        reason: format!("cannot encode: {e}"),
    })?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let module_px = module_px.max(1);
    let side = (modules + 2 * QUIET_MODULES) * module_px;
    let stride = side + ROW_PADDING;
    let mut luma = vec![0x55; (stride * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (x / module_px, y / module_px);
            let dark = mx >= QUIET_MODULES
                && my >= QUIET_MODULES
                && mx < QUIET_MODULES + modules
                && my < QUIET_MODULES + modules
                && colors[((my - QUIET_MODULES) * modules + (mx - QUIET_MODULES)) as usize]
                    == Color::Dark;
            luma[(y * stride + x) as usize] = if dark { 40 } else { 210 };
        }
    }
    Ok(LumaFrame {
        luma,
        width: side,
        height: side,
        row_stride: stride,
    })
}

/// A building pack built from a GeoJSON FeatureCollection, as the server would serve it.
#[uniffi::export]
pub fn build_pack(geojson: String, region: String, data_version: String) -> Vec<u8> {
    let buildings = connect_core::geo::import_geojson(&geojson)
        .map(|(buildings, _)| buildings)
        .unwrap_or_default();
    let meta = connect_core::geo::PackMeta {
        region: connect_core::ids::RegionId(region),
        data_version,
    };
    connect_core::geo::BuildingIndex::new(meta, buildings)
        .map(|index| index.to_pack())
        .unwrap_or_default()
}
