//! QR decoding benchmark on real photos: prints one tab-separated line per dataset folder in exactly
//! the format and scoring of `shared/tools/qr-peers/peers.py`
//! (`decoder set folder images targets correct wrong median_ms`), so both merge into one table.
//!
//! `cargo run --release -p connect-tests --bin qr-bench -- DIR --set NAME [--decoder connect|rqrr]`
//!
//! Text folders: an image is correct when any decoded text, trimmed, equals the trimmed expected
//! text, and wrong when something decoded but nothing matched. Corner folders (BoofCV labels): a
//! label is read when a decode's corner centre lies inside it, each label and decode matched once;
//! unmatched decodes are wrong. Images are loaded as 8-bit grey ignoring EXIF; only the decode call
//! is timed, fastest of `--repeat` (default 3).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;

const IMAGE_EXTS: [&str; 6] = ["png", "jpg", "jpeg", "gif", "webp", "bmp"];
const BOOF_HEADER: &str = "# list of hand selected 2D points";

#[derive(Parser)]
#[command(about = "Decode every image of a QR dataset and score it like peers.py")]
struct Args {
    /// Dataset root: one sub-folder per category.
    root: PathBuf,
    /// Label for the set column (default: the root's name).
    #[arg(long)]
    set: Option<String>,
    /// `connect` (decode_frame) or `rqrr` (plain rqrr 0.11 on greyscale, the baseline).
    #[arg(long, default_value = "connect")]
    decoder: String,
    /// Decode each image N times and keep the fastest time.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Append per-image TSV rows to this file.
    #[arg(long)]
    details: Option<PathBuf>,
}

type Quad = [(f64, f64); 4];

enum Truth {
    Text(String),
    Corners(Vec<Quad>),
}

fn load_truth(path: &Path) -> anyhow::Result<Truth> {
    let raw = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    if !text.starts_with(BOOF_HEADER) {
        return Ok(Truth::Text(text.trim().to_owned()));
    }
    let lines: Vec<&str> = text.lines().collect();
    let rows: Vec<Vec<&str>> = if lines.iter().any(|l| l.trim() == "SETS") {
        lines
            .iter()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && l.trim() != "SETS")
            .map(|l| l.split_whitespace().collect())
            .collect()
    } else {
        vec![
            lines
                .iter()
                .filter(|l| !l.starts_with('#'))
                .flat_map(|l| l.split_whitespace())
                .collect(),
        ]
    };
    let mut quads = Vec::new();
    for r in rows {
        let v: Vec<f64> = r.iter().map(|x| x.parse()).collect::<Result<_, _>>()?;
        if v.len() != 8 {
            bail!(
                "{}: expected 8 numbers per code, got {}",
                path.display(),
                v.len()
            );
        }
        quads.push([(v[0], v[1]), (v[2], v[3]), (v[4], v[5]), (v[6], v[7])]);
    }
    Ok(Truth::Corners(quads))
}

fn inside((x, y): (f64, f64), poly: &Quad) -> bool {
    let mut res = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > y) != (yj > y) {
            let xc = (xj - xi) * (y - yi) / (yj - yi) + xi;
            if x < xc {
                res = !res;
            }
        }
        j = i;
    }
    res
}

/// (targets, correct, wrong) exactly as peers.py scores.
fn score(truth: &Truth, results: &[(String, Quad)]) -> (usize, usize, usize) {
    match truth {
        Truth::Text(gt) => {
            if results.is_empty() {
                return (1, 0, 0);
            }
            let ok = results.iter().any(|(t, _)| t.trim() == gt);
            (1, usize::from(ok), usize::from(!ok))
        }
        Truth::Corners(gt) => {
            let mut used = vec![false; gt.len()];
            let (mut correct, mut wrong) = (0, 0);
            for (_, pts) in results {
                let c = (
                    pts.iter().map(|p| p.0).sum::<f64>() / 4.0,
                    pts.iter().map(|p| p.1).sum::<f64>() / 4.0,
                );
                let hit = gt
                    .iter()
                    .enumerate()
                    .find(|(k, q)| !used[*k] && inside(c, q));
                if let Some((k, _)) = hit {
                    used[k] = true;
                    correct += 1;
                } else {
                    wrong += 1;
                }
            }
            (gt.len(), correct, wrong)
        }
    }
}

fn decode_connect(img: &image::GrayImage) -> Vec<(String, Quad)> {
    let (w, h) = img.dimensions();
    match connect_core::qr::decode_frame(img.as_raw(), w, h, w) {
        Ok(codes) => codes
            .into_iter()
            .map(|c| (c.text, c.corners.map(|(x, y)| (f64::from(x), f64::from(y)))))
            .collect(),
        Err(e) => {
            eprintln!("decode_frame refused a frame: {e}");
            Vec::new()
        }
    }
}

/// The fast path of `decode_frame` alone (block binarisation + finder scan, no rqrr fallback).
fn decode_connect_fast(img: &image::GrayImage) -> Vec<(String, Quad)> {
    let (w, h) = img.dimensions();
    connect_core::qr::decode_frame_fast_path(img.as_raw(), w, h, w)
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.text, c.corners.map(|(x, y)| (f64::from(x), f64::from(y)))))
        .collect()
}

/// Plain rqrr 0.11 as a user would call it (its own threshold), guarded so a panic is no decode.
fn decode_rqrr(img: &image::GrayImage) -> Vec<(String, Quad)> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.as_raw()[y * w + x]);
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|g| {
                let (_, text) = g.decode().ok()?;
                Some((text, g.bounds.map(|p| (f64::from(p.x), f64::from(p.y)))))
            })
            .collect()
    }));
    r.unwrap_or_else(|_| {
        RQRR_PANICKED.with(|p| p.set(true));
        Vec::new()
    })
}

static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    static RQRR_PANICKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let decode: fn(&image::GrayImage) -> Vec<(String, Quad)> = match args.decoder.as_str() {
        "connect" => decode_connect,
        "connect-fast" => decode_connect_fast,
        "rqrr" => decode_rqrr,
        other => bail!("unknown decoder {other:?} (connect, connect-fast or rqrr)"),
    };
    // rqrr prints a panic message for each guarded panic; keep the table readable.
    // Count them instead, to name the frames on which rqrr panics (regression tests in core).
    std::panic::set_hook(Box::new(|_| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }));
    let set = args.set.clone().unwrap_or_else(|| {
        args.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut details = match &args.details {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("open {}", p.display()))?,
        ),
        None => None,
    };
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&args.root)
        .with_context(|| format!("read {}", args.root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let fname = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut items: Vec<(String, PathBuf)> = std::fs::read_dir(&folder)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let lower = name.to_lowercase();
                let ext = lower.rsplit_once('.')?.1.to_owned();
                if !IMAGE_EXTS.contains(&ext.as_str()) {
                    return None;
                }
                let stem = name.rsplit_once('.')?.0.to_owned();
                let txt = folder.join(format!("{stem}.txt"));
                txt.exists().then_some((name, txt))
            })
            .collect();
        items.sort();
        let (mut targets, mut correct, mut wrong) = (0, 0, 0);
        let mut times = Vec::new();
        for (name, txt) in &items {
            let truth = load_truth(txt)?;
            let img = match image::open(folder.join(name)) {
                Ok(i) => i.to_luma8(),
                Err(e) => {
                    eprintln!("cannot read {fname}/{name}: {e}");
                    continue;
                }
            };
            let mut best = f64::INFINITY;
            let mut res = Vec::new();
            for rep in 0..args.repeat.max(1) {
                let t0 = Instant::now();
                let r = decode(&img);
                best = best.min(t0.elapsed().as_secs_f64() * 1000.0);
                if rep == 0 {
                    res = r;
                }
            }
            let panics = PANICS.swap(0, std::sync::atomic::Ordering::Relaxed);
            if panics > 0 && args.decoder == "connect" {
                eprintln!(
                    "rqrr panicked {panics} times (guarded) inside decode_frame on {fname}/{name}"
                );
            }
            if RQRR_PANICKED.with(|p| p.replace(false)) {
                eprintln!("plain rqrr panicked on {fname}/{name}");
            }
            let (tg, ok, bad) = score(&truth, &res);
            targets += tg;
            correct += ok;
            wrong += bad;
            times.push(best);
            if let Some(f) = details.as_mut() {
                use std::io::Write as _;
                let texts: Vec<String> = res
                    .iter()
                    .map(|(t, _)| {
                        t.replace('\t', " ")
                            .replace('\r', "\\r")
                            .replace('\n', "\\n")
                            .chars()
                            .take(60)
                            .collect()
                    })
                    .collect();
                writeln!(
                    f,
                    "{}\t{set}\t{fname}\t{name}\t{tg}\t{ok}\t{bad}\t{best:.2}\t{}",
                    args.decoder,
                    texts.join(" | ")
                )?;
            }
        }
        println!(
            "{}\t{set}\t{fname}\t{}\t{targets}\t{correct}\t{wrong}\t{:.2}",
            args.decoder,
            items.len(),
            median(&mut times)
        );
    }
    if args.decoder.starts_with("connect") {
        let n = connect_core::qr::fast_path_panics();
        eprintln!("fast-path panics (caught, then the rqrr path): {n}");
        if n > 0 {
            bail!("the fast path panicked {n} times: a bug to fix");
        }
    }
    Ok(())
}
