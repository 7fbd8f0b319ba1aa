//! `connect scan`: decode every QR code in an image file (or, with the `camera` feature, live
//! camera frames), print it, and for building stickers say whether they are genuine against the
//! trusted keys, and why not. The partner till (`connect partner redeem`) scans through the same
//! functions.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use connect_core::qr::{
    DecodedCode, StickerError, StickerTrust, TrustList, decode_frame, verify_sticker,
};

/// Arguments of `connect scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Image file to decode (PNG or JPEG).
    #[arg(long, conflicts_with = "camera", required_unless_present = "camera")]
    image: Option<PathBuf>,
    /// Camera index to read frames from (needs the `camera` feature).
    #[arg(long)]
    camera: Option<u32>,
    /// Trusted sticker key, `KEYID:BASE64PUBKEY` (repeatable).
    #[arg(long = "trust", value_name = "KEYID:BASE64PUBKEY")]
    trust: Vec<String>,
    /// File of trusted keys, one `KEYID:BASE64PUBKEY` per line (`#` comments allowed).
    #[arg(long)]
    trust_file: Option<PathBuf>,
    /// Host genuine sticker URLs point to.
    #[arg(long, env = "CONNECT_STICKER_HOST")]
    host: Option<String>,
}

/// Runs the subcommand.
pub fn run(args: &ScanArgs) -> anyhow::Result<()> {
    let trust = load_trust(args)?;
    if let Some(path) = &args.image {
        let codes = decode_image(path)?;
        if codes.is_empty() {
            println!("no QR code found");
        }
        for code in &codes {
            print_code(code, trust.as_ref());
        }
        return Ok(());
    }
    match args.camera {
        Some(index) => camera::run(index, trust.as_ref()),
        None => bail!("pass --image FILE or --camera N"),
    }
}

/// Every QR code in an image file (PNG or JPEG).
pub(crate) fn decode_image(path: &std::path::Path) -> anyhow::Result<Vec<DecodedCode>> {
    let img = image::open(path)
        .with_context(|| format!("cannot read image {}", path.display()))?
        .to_luma8();
    let (w, h) = img.dimensions();
    Ok(decode_frame(img.as_raw(), w, h, w)?)
}

/// Reads camera frames until a code `wanted` accepts appears (the partner till).
pub(crate) fn first_camera_code(
    index: u32,
    wanted: &dyn Fn(&DecodedCode) -> bool,
) -> anyhow::Result<DecodedCode> {
    camera::first_code(index, wanted)
}

fn load_trust(args: &ScanArgs) -> anyhow::Result<Option<StickerTrust>> {
    let mut keys = TrustList::new();
    for entry in &args.trust {
        keys.add_entry(entry)?;
    }
    if let Some(path) = &args.trust_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read trust file {}", path.display()))?;
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            keys.add_entry(line)?;
        }
    }
    match (&args.host, keys.is_empty()) {
        (Some(host), false) => Ok(Some(StickerTrust {
            host: host.clone(),
            keys,
        })),
        (None, false) => bail!("--trust needs --host (the host genuine stickers point to)"),
        _ => Ok(None),
    }
}

fn print_code(code: &DecodedCode, trust: Option<&StickerTrust>) {
    let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = code.corners;
    println!(
        "QR {:?} ({:?}) at ({x0:.0},{y0:.0}) ({x1:.0},{y1:.0}) ({x2:.0},{y2:.0}) ({x3:.0},{y3:.0})",
        code.text, code.charset
    );
    let Some(trust) = trust else {
        return;
    };
    match verify_sticker(&code.text, trust) {
        Ok(claims) => println!(
            "  genuine sticker: building {} issued {} (key {})",
            claims.building_id, claims.issued_on, claims.key_id
        ),
        Err(StickerError::NotStickerUrl) => println!("  not a building sticker"),
        // Another site or plain http: not opened, but not claimed to be a forgery of ours either.
        Err(e @ (StickerError::OtherHost(_) | StickerError::InsecureUrl)) => {
            println!("  refused: {e}")
        }
        Err(e) => println!("  FORGED sticker: {e}"),
    }
}

#[cfg(feature = "camera")]
mod camera {
    //! Live frames from a local camera via nokhwa, decoded until Ctrl-C.
    use std::collections::HashSet;

    use connect_core::qr::{StickerTrust, decode_frame};
    use nokhwa::Camera;
    use nokhwa::pixel_format::LumaFormat;
    use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};

    pub fn run(index: u32, trust: Option<&StickerTrust>) -> anyhow::Result<()> {
        let format =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = Camera::new(CameraIndex::Index(index), format)?;
        camera.open_stream()?;
        eprintln!("scanning camera {index}; Ctrl-C to stop");
        let mut seen = HashSet::new();
        loop {
            let frame = camera.frame()?;
            let img = frame.decode_image::<LumaFormat>()?;
            let (w, h) = (img.width(), img.height());
            for code in decode_frame(img.as_raw(), w, h, w)? {
                if seen.insert(code.bytes.clone()) {
                    super::print_code(&code, trust);
                }
            }
        }
    }

    pub fn first_code(
        index: u32,
        wanted: &dyn Fn(&connect_core::qr::DecodedCode) -> bool,
    ) -> anyhow::Result<connect_core::qr::DecodedCode> {
        let format =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = Camera::new(CameraIndex::Index(index), format)?;
        camera.open_stream()?;
        eprintln!("show the voucher to camera {index}; Ctrl-C to stop");
        loop {
            let frame = camera.frame()?;
            let img = frame.decode_image::<LumaFormat>()?;
            let (w, h) = (img.width(), img.height());
            if let Some(code) = decode_frame(img.as_raw(), w, h, w)?
                .into_iter()
                .find(|c| wanted(c))
            {
                return Ok(code);
            }
        }
    }
}

#[cfg(not(feature = "camera"))]
mod camera {
    //! Without the `camera` feature there is no capture backend.
    use connect_core::qr::StickerTrust;

    pub fn run(_index: u32, _trust: Option<&StickerTrust>) -> anyhow::Result<()> {
        anyhow::bail!("this build has no camera support; rebuild with `--features camera`")
    }

    pub fn first_code(
        _index: u32,
        _wanted: &dyn Fn(&connect_core::qr::DecodedCode) -> bool,
    ) -> anyhow::Result<connect_core::qr::DecodedCode> {
        anyhow::bail!("this build has no camera support; rebuild with `--features camera`")
    }
}
