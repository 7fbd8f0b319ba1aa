//! Report photos prepared on the device (feature `client`): decoded (JPEG or PNG), turned
//! upright by their EXIF orientation, downscaled so the longer edge is at most [`MAX_EDGE`], and
//! re-encoded as JPEG no larger than the server accepts ([`MAX_PHOTO_BYTES`]). Re-encoding also
//! drops the EXIF block, so a photo never carries the phone's GPS position or serial to the
//! managing company.

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageReader, Limits, codecs::jpeg::JpegEncoder,
    imageops::FilterType, metadata::Orientation,
};

use crate::api::reports::MAX_PHOTO_BYTES;

/// The longer edge of a prepared photo, in pixels, at most.
pub const MAX_EDGE: u32 = 1600;
/// JPEG qualities tried in turn until the photo fits [`MAX_PHOTO_BYTES`].
const QUALITIES: [u8; 4] = [85, 75, 62, 50];
/// Below this edge a photo that still does not fit is refused rather than made useless.
const MIN_EDGE: u32 = 320;
/// The largest source image accepted (a 16k × 16k camera frame is already beyond any phone).
const MAX_SOURCE_EDGE: u32 = 16_384;

/// Why a photo could not be prepared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Not an image this app reads, truncated, or too large to decode.
    #[error("not a readable JPEG or PNG image: {0}")]
    Unreadable(String),
    /// Even small and at low quality it stays above the server's limit.
    #[error("the photo cannot be made small enough")]
    TooDetailed,
}

/// Prepares one photo for a report (see the module docs). Never panics on hostile input: the
/// decoders run behind `catch_unwind`.
pub fn prepare_photo(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    std::panic::catch_unwind(|| prepare(bytes, MAX_PHOTO_BYTES))
        .unwrap_or_else(|_| Err(PhotoError::Unreadable("the image decoder failed".into())))
}

fn unreadable(e: image::ImageError) -> PhotoError {
    PhotoError::Unreadable(e.to_string())
}

fn prepare(bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_EDGE);
    limits.max_image_height = Some(MAX_SOURCE_EDGE);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    let mut edge = MAX_EDGE;
    loop {
        let fitted = if image.width().max(image.height()) > edge {
            image.resize(edge, edge, FilterType::Triangle)
        } else {
            image.clone()
        };
        let rgb = fitted.to_rgb8();
        for quality in QUALITIES {
            let mut jpeg = Vec::new();
            JpegEncoder::new_with_quality(&mut jpeg, quality)
                .encode_image(&rgb)
                .map_err(unreadable)?;
            if jpeg.len() <= max_bytes {
                return Ok(jpeg);
            }
        }
        edge = fitted.width().max(fitted.height()) * 3 / 4;
        if edge < MIN_EDGE {
            return Err(PhotoError::TooDetailed);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use image::{ImageFormat, Rgb, RgbImage};

    use super::*;

    fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn decode(jpeg: &[u8]) -> DynamicImage {
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).unwrap()
    }

    /// A smooth picture, like most photos: left half red, right half blue.
    fn halves(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let shade = (y * 255 / height) as u8;
            if x < width / 2 {
                Rgb([220, shade, 40])
            } else {
                Rgb([30, shade, 220])
            }
        })
    }

    /// Inserts an EXIF APP1 segment with the given orientation right after the JPEG's SOI.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big endian, first IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]); // value padding
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_large_photo_is_downscaled_to_the_max_edge_keeping_its_aspect() {
        let png = encode(&halves(2400, 1800), ImageFormat::Png);
        let jpeg = prepare_photo(&png).unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(jpeg.len() <= MAX_PHOTO_BYTES);
        let out = decode(&jpeg);
        assert_eq!((out.width(), out.height()), (1600, 1200));
        // Still the same picture: red on the left, blue on the right.
        let rgb = out.to_rgb8();
        assert!(rgb.get_pixel(100, 600)[0] > 180 && rgb.get_pixel(100, 600)[2] < 90);
        assert!(rgb.get_pixel(1500, 600)[2] > 180 && rgb.get_pixel(1500, 600)[0] < 90);
    }

    #[test]
    fn a_small_photo_keeps_its_size() {
        let jpeg = prepare_photo(&encode(&halves(640, 480), ImageFormat::Jpeg)).unwrap();
        let out = decode(&jpeg);
        assert_eq!((out.width(), out.height()), (640, 480));
    }

    #[test]
    fn a_sideways_photo_is_turned_upright_and_loses_its_exif() {
        // Stored landscape, EXIF says "rotate 90° clockwise to view" (orientation 6).
        let stored = encode(&halves(800, 600), ImageFormat::Jpeg);
        let tagged = with_exif_orientation(&stored, 6);
        let jpeg = prepare_photo(&tagged).unwrap();
        let out = decode(&jpeg);
        assert_eq!((out.width(), out.height()), (600, 800));
        // Rotated clockwise: the red left half is now on top.
        let rgb = out.to_rgb8();
        assert!(
            rgb.get_pixel(300, 100)[0] > 180,
            "{:?}",
            rgb.get_pixel(300, 100)
        );
        assert!(
            rgb.get_pixel(300, 700)[2] > 180,
            "{:?}",
            rgb.get_pixel(300, 700)
        );
        assert!(!jpeg.windows(6).any(|w| w == b"Exif\0\0"));
    }

    #[test]
    fn a_detailed_photo_is_made_smaller_until_it_fits_the_limit() {
        // Noise compresses worst of all; a small limit keeps the test fast.
        let limit = 40_000;
        let mut state = 0x2545_f491_u32;
        let noise = RgbImage::from_fn(640, 480, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let [a, b, c, _] = state.to_le_bytes();
            Rgb([a, b, c])
        });
        let png = encode(&noise, ImageFormat::Png);
        let jpeg = prepare(&png, limit).unwrap();
        assert!(jpeg.len() <= limit, "{} bytes", jpeg.len());
        let out = decode(&jpeg);
        assert!(out.width() < 640 && out.width() >= MIN_EDGE, "made smaller");
        assert_eq!(out.width() * 3, out.height() * 4, "aspect kept");
        // Beyond what any size and quality can reach, it is refused.
        assert_eq!(prepare(&png, 2_000), Err(PhotoError::TooDetailed));
    }

    #[test]
    fn garbage_and_truncated_images_are_refused_without_panicking() {
        assert!(matches!(
            prepare_photo(b"hello, not a photo"),
            Err(PhotoError::Unreadable(_))
        ));
        assert!(prepare_photo(&[]).is_err());
        // A cut-off JPEG is either refused or decoded as far as it goes; never a panic.
        let jpeg = encode(&halves(200, 100), ImageFormat::Jpeg);
        for cut in [3, jpeg.len() / 3, jpeg.len() - 10] {
            if let Ok(out) = prepare_photo(&jpeg[..cut]) {
                assert_eq!(decode(&out).width(), 200);
            }
        }
    }
}
