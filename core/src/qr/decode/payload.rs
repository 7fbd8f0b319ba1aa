//! Decoding of a sampled module grid: format information, the codeword stream, Reed-Solomon
//! correction per block, and the data segments — with what rqrr's decoder drops: ECI designators
//! (so byte segments decode in the character set the code declares) and GB2312 Hanzi mode. The
//! layout follows ISO/IEC 18004 (reading order, masks and block tables as in Nayuki's reference
//! implementation); the block table was generated from the `qrcode` crate's copy of Table 9 and
//! checked against the raw module count of every version.

use super::charset::{Charset, decode_text};

/// A decoded payload.
pub(crate) struct Payload {
    /// Segment bytes as carried (numeric and alphanumeric as ASCII, Kanji as Shift_JIS, Hanzi as
    /// GB2312, byte segments raw), concatenated.
    pub(crate) bytes: Vec<u8>,
    pub(crate) text: String,
    pub(crate) charset: Charset,
}

/// (error-correction codewords per block, number of blocks) by version, for levels L, M, Q, H.
const BLOCKS: [[(u8, u8); 4]; 40] = [
    [(7, 1), (10, 1), (13, 1), (17, 1)],
    [(10, 1), (16, 1), (22, 1), (28, 1)],
    [(15, 1), (26, 1), (18, 2), (22, 2)],
    [(20, 1), (18, 2), (26, 2), (16, 4)],
    [(26, 1), (24, 2), (18, 4), (22, 4)],
    [(18, 2), (16, 4), (24, 4), (28, 4)],
    [(20, 2), (18, 4), (18, 6), (26, 5)],
    [(24, 2), (22, 4), (22, 6), (26, 6)],
    [(30, 2), (22, 5), (20, 8), (24, 8)],
    [(18, 4), (26, 5), (24, 8), (28, 8)],
    [(20, 4), (30, 5), (28, 8), (24, 11)],
    [(24, 4), (22, 8), (26, 10), (28, 11)],
    [(26, 4), (22, 9), (24, 12), (22, 16)],
    [(30, 4), (24, 9), (20, 16), (24, 16)],
    [(22, 6), (24, 10), (30, 12), (24, 18)],
    [(24, 6), (28, 10), (24, 17), (30, 16)],
    [(28, 6), (28, 11), (28, 16), (28, 19)],
    [(30, 6), (26, 13), (28, 18), (28, 21)],
    [(28, 7), (26, 14), (26, 21), (26, 25)],
    [(28, 8), (26, 16), (30, 20), (28, 25)],
    [(28, 8), (26, 17), (28, 23), (30, 25)],
    [(28, 9), (28, 17), (30, 23), (24, 34)],
    [(30, 9), (28, 18), (30, 25), (30, 30)],
    [(30, 10), (28, 20), (30, 27), (30, 32)],
    [(26, 12), (28, 21), (30, 29), (30, 35)],
    [(28, 12), (28, 23), (28, 34), (30, 37)],
    [(30, 12), (28, 25), (30, 34), (30, 40)],
    [(30, 13), (28, 26), (30, 35), (30, 42)],
    [(30, 14), (28, 28), (30, 38), (30, 45)],
    [(30, 15), (28, 29), (30, 40), (30, 48)],
    [(30, 16), (28, 31), (30, 43), (30, 51)],
    [(30, 17), (28, 33), (30, 45), (30, 54)],
    [(30, 18), (28, 35), (30, 48), (30, 57)],
    [(30, 19), (28, 37), (30, 51), (30, 60)],
    [(30, 19), (28, 38), (30, 53), (30, 63)],
    [(30, 20), (28, 40), (30, 56), (30, 66)],
    [(30, 21), (28, 43), (30, 59), (30, 70)],
    [(30, 22), (28, 45), (30, 62), (30, 74)],
    [(30, 24), (28, 47), (30, 65), (30, 77)],
    [(30, 25), (28, 49), (30, 68), (30, 81)],
];

/// Decodes a module grid: our decoder first (ECI, Hanzi), then rqrr's (its own format and
/// Reed-Solomon code) for anything ours refuses, with the charset inferred from the bytes.
pub(crate) fn decode_bitgrid(g: &dyn rqrr::BitGrid) -> Option<Payload> {
    if let Some(p) = decode_grid(g.size(), &|r, c| g.bit(r, c)) {
        return Some(p);
    }
    struct Borrowed<'a>(&'a dyn rqrr::BitGrid);
    impl rqrr::BitGrid for Borrowed<'_> {
        fn size(&self) -> usize {
            self.0.size()
        }
        fn bit(&self, y: usize, x: usize) -> bool {
            self.0.bit(y, x)
        }
    }
    let mut bytes = Vec::new();
    rqrr::Grid::new(Borrowed(g)).decode_to(&mut bytes).ok()?;
    let (text, charset) = decode_text(&bytes);
    Some(Payload {
        bytes,
        text,
        charset,
    })
}

/// Decodes a grid read as `dark(row, col)`; tries the mirror image (rows and columns swapped)
/// when the grid does not decode as read.
pub(crate) fn decode_grid(size: usize, dark: &dyn Fn(usize, usize) -> bool) -> Option<Payload> {
    decode_oriented(size, dark).or_else(|| decode_oriented(size, &|r, c| dark(c, r)))
}

fn decode_oriented(size: usize, dark: &dyn Fn(usize, usize) -> bool) -> Option<Payload> {
    if !(21..=177).contains(&size) || size % 4 != 1 {
        return None;
    }
    let version = (size - 17) / 4;
    let (level, mask) = read_format(size, dark)?;
    let raw = read_codewords(size, version, mask, dark);
    let data = correct_blocks(&raw, version, level)?;
    parse_segments(&data, version)
}

// ---------------------------------------------------------------------------------------------
// Format information

/// Error-correction level index (L, M, Q, H = 0..3) and mask, from whichever copy of the format
/// bits is nearest a valid BCH codeword (at most 3 bits off).
fn read_format(size: usize, dark: &dyn Fn(usize, usize) -> bool) -> Option<(usize, u8)> {
    // (col, row) of bit i, both copies.
    let mut a = 0u32;
    let mut b = 0u32;
    for i in 0..15 {
        let (c1, r1) = match i {
            0..=5 => (8, i),
            6 => (8, 7),
            7 => (8, 8),
            8 => (7, 8),
            _ => (14 - i, 8),
        };
        let (c2, r2) = if i < 8 {
            (size - 1 - i, 8)
        } else {
            (8, size - 15 + i)
        };
        a |= u32::from(dark(r1, c1)) << i;
        b |= u32::from(dark(r2, c2)) << i;
    }
    let mut best: Option<(u32, u32)> = None;
    for data in 0..32u32 {
        let code = format_code(data);
        let d = (code ^ a).count_ones().min((code ^ b).count_ones());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, data));
        }
    }
    let (d, data) = best?;
    if d > 3 {
        return None;
    }
    // Level bits: M = 0, L = 1, H = 2, Q = 3.
    let level = [1, 0, 3, 2][(data >> 3) as usize];
    Some((level, (data & 7) as u8))
}

/// The 15-bit masked BCH codeword for 5 data bits.
fn format_code(data: u32) -> u32 {
    let mut rem = data;
    for _ in 0..10 {
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    }
    ((data << 10) | rem) ^ 0x5412
}

// ---------------------------------------------------------------------------------------------
// Codewords

fn alignment_positions(version: usize) -> Vec<usize> {
    if version == 1 {
        return Vec::new();
    }
    let n = version / 7 + 2;
    let size = version * 4 + 17;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + n * 2 + 1) / (n * 2 - 2) * 2
    };
    let mut out = vec![6; n];
    let mut pos = size - 7;
    for slot in out.iter_mut().skip(1).rev() {
        *slot = pos;
        pos = pos.saturating_sub(step);
    }
    out
}

fn raw_codewords(version: usize) -> usize {
    let mut r = (16 * version + 128) * version + 64;
    if version >= 2 {
        let n = version / 7 + 2;
        r -= (25 * n - 10) * n - 55;
        if version >= 7 {
            r -= 36;
        }
    }
    r / 8
}

/// Which modules carry no data (finders, separators, format, timing, alignment, version).
fn function_map(size: usize, version: usize) -> Vec<bool> {
    let mut f = vec![false; size * size];
    let mut set = |r: usize, c: usize| f[r * size + c] = true;
    for i in 0..size {
        set(6, i);
        set(i, 6);
    }
    for r in 0..9 {
        for c in 0..9 {
            set(r, c);
        }
        for c in size - 8..size {
            set(r, c);
        }
    }
    for r in size - 8..size {
        for c in 0..9 {
            set(r, c);
        }
    }
    let al = alignment_positions(version);
    let last = al.len().saturating_sub(1);
    for (i, &ar) in al.iter().enumerate() {
        for (j, &ac) in al.iter().enumerate() {
            // The three corners taken by finder patterns.
            let corner =
                (i == 0 || i == last) && (j == 0 || j == last) && !(i == last && j == last);
            if corner {
                continue;
            }
            for r in ar - 2..=ar + 2 {
                for c in ac - 2..=ac + 2 {
                    set(r, c);
                }
            }
        }
    }
    if version >= 7 {
        for r in 0..6 {
            for c in size - 11..size - 8 {
                set(r, c);
                set(c, r);
            }
        }
    }
    f
}

fn masked(mask: u8, r: usize, c: usize) -> bool {
    match mask {
        0 => (r + c).is_multiple_of(2),
        1 => r.is_multiple_of(2),
        2 => c.is_multiple_of(3),
        3 => (r + c).is_multiple_of(3),
        4 => (r / 2 + c / 3).is_multiple_of(2),
        5 => (r * c) % 2 + (r * c) % 3 == 0,
        6 => ((r * c) % 2 + (r * c) % 3).is_multiple_of(2),
        _ => ((r + c) % 2 + (r * c) % 3).is_multiple_of(2),
    }
}

/// The codewords in reading order (two-column zigzag from the bottom right), unmasked.
fn read_codewords(
    size: usize,
    version: usize,
    mask: u8,
    dark: &dyn Fn(usize, usize) -> bool,
) -> Vec<u8> {
    let func = function_map(size, version);
    let n = raw_codewords(version);
    let mut out = vec![0u8; n];
    let mut bit = 0usize;
    let mut right = size - 1;
    loop {
        if right == 6 {
            right = 5;
        }
        let upward = (right + 1) & 2 == 0;
        for vert in 0..size {
            let r = if upward { size - 1 - vert } else { vert };
            for j in 0..2 {
                let c = right - j;
                if func[r * size + c] || bit >= n * 8 {
                    continue;
                }
                if dark(r, c) != masked(mask, r, c) {
                    out[bit / 8] |= 0x80 >> (bit % 8);
                }
                bit += 1;
            }
        }
        if right < 2 {
            break;
        }
        right -= 2;
    }
    out
}

/// De-interleaves the blocks, corrects each, and returns the data codewords.
fn correct_blocks(raw: &[u8], version: usize, level: usize) -> Option<Vec<u8>> {
    let (ecc, nb) = BLOCKS[version - 1][level];
    let (ecc, nb) = (usize::from(ecc), usize::from(nb));
    let total = raw.len();
    let short_len = total / nb;
    let num_short = nb - total % nb;
    let data_len = |b: usize| short_len - ecc + usize::from(b >= num_short);
    let mut blocks: Vec<Vec<u8>> = (0..nb)
        .map(|b| Vec::with_capacity(data_len(b) + ecc))
        .collect();
    let mut it = raw.iter().copied();
    for i in 0..=short_len - ecc {
        for (b, block) in blocks.iter_mut().enumerate() {
            if i < data_len(b) {
                block.push(it.next()?);
            }
        }
    }
    for _ in 0..ecc {
        for block in blocks.iter_mut() {
            block.push(it.next()?);
        }
    }
    let mut data = Vec::with_capacity(total);
    for (b, mut block) in blocks.into_iter().enumerate() {
        rs::correct(&mut block, ecc)?;
        data.extend_from_slice(&block[..data_len(b)]);
    }
    Some(data)
}

/// Reed-Solomon over GF(256) with the QR polynomial 0x11d and generator roots α^0..α^(n-1):
/// syndromes, Berlekamp-Massey, Chien search, Forney.
mod rs {
    struct Gf {
        exp: [u8; 512],
        log: [u8; 256],
    }

    static GF: std::sync::LazyLock<Gf> = std::sync::LazyLock::new(|| {
        let mut exp = [0u8; 512];
        let mut log = [0u8; 256];
        let mut x: u16 = 1;
        for (i, e) in exp.iter_mut().take(255).enumerate() {
            *e = x as u8;
            log[x as usize] = i as u8;
            x <<= 1;
            if x & 0x100 != 0 {
                x ^= 0x11d;
            }
        }
        for i in 255..512 {
            exp[i] = exp[i - 255];
        }
        Gf { exp, log }
    });

    fn mul(a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            return 0;
        }
        let g = &*GF;
        g.exp[usize::from(g.log[usize::from(a)]) + usize::from(g.log[usize::from(b)])]
    }

    fn div(a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            return 0;
        }
        let g = &*GF;
        g.exp[usize::from(g.log[usize::from(a)]) + 255 - usize::from(g.log[usize::from(b)])]
    }

    fn pow_alpha(e: usize) -> u8 {
        GF.exp[e % 255]
    }

    /// Polynomial (lowest degree first) at x.
    fn eval(p: &[u8], x: u8) -> u8 {
        p.iter().rev().fold(0u8, |acc, &c| mul(acc, x) ^ c)
    }

    /// Corrects `block` (data then `nsym` check codewords, highest degree first) in place;
    /// `None` when there are more errors than the code can correct.
    pub(super) fn correct(block: &mut [u8], nsym: usize) -> Option<()> {
        let n = block.len();
        if n > 255 || nsym == 0 || nsym >= n {
            return None;
        }
        let synd: Vec<u8> = (0..nsym)
            .map(|j| {
                let x = pow_alpha(j);
                block.iter().fold(0u8, |acc, &c| mul(acc, x) ^ c)
            })
            .collect();
        if synd.iter().all(|&s| s == 0) {
            return Some(());
        }
        // Berlekamp-Massey: error locator Λ (lowest degree first).
        let mut lam = vec![1u8];
        let mut prev = vec![1u8];
        let (mut l, mut m, mut b) = (0usize, 1usize, 1u8);
        for k in 0..nsym {
            let mut d = synd[k];
            for i in 1..=l.min(lam.len() - 1) {
                d ^= mul(lam[i], synd[k - i]);
            }
            if d == 0 {
                m += 1;
                continue;
            }
            let coef = div(d, b);
            let mut next = lam.clone();
            if next.len() < prev.len() + m {
                next.resize(prev.len() + m, 0);
            }
            for (i, &p) in prev.iter().enumerate() {
                next[i + m] ^= mul(coef, p);
            }
            if 2 * l <= k {
                l = k + 1 - l;
                prev = lam;
                b = d;
                m = 1;
            } else {
                m += 1;
            }
            lam = next;
        }
        while lam.len() > 1 && lam[lam.len() - 1] == 0 {
            lam.pop();
        }
        if l == 0 || 2 * l > nsym || lam.len() - 1 != l {
            return None;
        }
        // Chien search: position i (from the start) has locator X = α^(n-1-i).
        let positions: Vec<usize> = (0..n)
            .filter(|&i| eval(&lam, pow_alpha(255 - (n - 1 - i) % 255)) == 0)
            .collect();
        if positions.len() != l {
            return None;
        }
        // Ω = S·Λ mod x^nsym; Forney with first root α^0: e = X·Ω(X⁻¹)/Λ'(X⁻¹).
        let mut omega = vec![0u8; nsym];
        for (i, &s) in synd.iter().enumerate() {
            for (j, &c) in lam.iter().enumerate() {
                if i + j < nsym {
                    omega[i + j] ^= mul(s, c);
                }
            }
        }
        let deriv: Vec<u8> = lam
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, &c)| if i % 2 == 1 { c } else { 0 })
            .collect();
        for &i in &positions {
            let x = pow_alpha(n - 1 - i);
            let x_inv = pow_alpha(255 - (n - 1 - i) % 255);
            let den = eval(&deriv, x_inv);
            if den == 0 {
                return None;
            }
            block[i] ^= mul(x, div(eval(&omega, x_inv), den));
        }
        // Verify: a miscorrection leaves non-zero syndromes.
        let clean = (0..nsym).all(|j| {
            let x = pow_alpha(j);
            block.iter().fold(0u8, |acc, &c| mul(acc, x) ^ c) == 0
        });
        clean.then_some(())
    }
}

// ---------------------------------------------------------------------------------------------
// Segments

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn left(&self) -> usize {
        self.data.len() * 8 - self.pos
    }

    fn take(&mut self, n: usize) -> Option<u32> {
        if n > self.left() {
            return None;
        }
        let mut v = 0u32;
        for _ in 0..n {
            let bit = (self.data[self.pos / 8] >> (7 - self.pos % 8)) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Some(v)
    }
}

enum Seg {
    /// Numeric or alphanumeric characters.
    Ascii(Vec<u8>),
    /// Byte mode, under the ECI in force (if any).
    Bytes(Option<u32>, Vec<u8>),
    ShiftJis(Vec<u8>),
    Gb2312(Vec<u8>),
}

const ALNUM: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

fn count_bits(version: usize, widths: [usize; 3]) -> usize {
    match version {
        1..=9 => widths[0],
        10..=26 => widths[1],
        _ => widths[2],
    }
}

fn parse_segments(data: &[u8], version: usize) -> Option<Payload> {
    let mut rd = BitReader { data, pos: 0 };
    let mut segs: Vec<Seg> = Vec::new();
    let mut eci: Option<u32> = None;
    while rd.left() >= 4 {
        match rd.take(4)? {
            0 => break,
            1 => {
                let mut n = rd.take(count_bits(version, [10, 12, 14]))? as usize;
                let mut out = Vec::with_capacity(n);
                while n > 0 {
                    let (bits, digits) = match n {
                        1 => (4, 1),
                        2 => (7, 2),
                        _ => (10, 3),
                    };
                    let v = rd.take(bits)?;
                    if v >= 10u32.pow(digits as u32) {
                        return None;
                    }
                    let s = format!("{v:0width$}", width = digits);
                    out.extend_from_slice(s.as_bytes());
                    n -= digits;
                }
                segs.push(Seg::Ascii(out));
            }
            2 => {
                let mut n = rd.take(count_bits(version, [9, 11, 13]))? as usize;
                let mut out = Vec::with_capacity(n);
                while n >= 2 {
                    let v = rd.take(11)? as usize;
                    if v >= 45 * 45 {
                        return None;
                    }
                    out.push(ALNUM[v / 45]);
                    out.push(ALNUM[v % 45]);
                    n -= 2;
                }
                if n == 1 {
                    let v = rd.take(6)? as usize;
                    out.push(*ALNUM.get(v)?);
                }
                segs.push(Seg::Ascii(out));
            }
            4 => {
                let n = rd.take(count_bits(version, [8, 16, 16]))? as usize;
                let out = (0..n)
                    .map(|_| rd.take(8).map(|b| b as u8))
                    .collect::<Option<Vec<u8>>>()?;
                segs.push(Seg::Bytes(eci, out));
            }
            8 => {
                let n = rd.take(count_bits(version, [8, 10, 12]))? as usize;
                let mut out = Vec::with_capacity(n * 2);
                for _ in 0..n {
                    let d = rd.take(13)?;
                    let v = ((d / 0xc0) << 8) | (d % 0xc0);
                    let sj = if v + 0x8140 <= 0x9ffc {
                        v + 0x8140
                    } else {
                        v + 0xc140
                    };
                    out.push((sj >> 8) as u8);
                    out.push(sj as u8);
                }
                segs.push(Seg::ShiftJis(out));
            }
            13 => {
                // GB/T 18284 Hanzi mode: a 4-bit subset (1 = GB2312), then 13-bit characters.
                let subset = rd.take(4)?;
                if subset != 1 {
                    return None;
                }
                let n = rd.take(count_bits(version, [8, 10, 12]))? as usize;
                let mut out = Vec::with_capacity(n * 2);
                for _ in 0..n {
                    let d = rd.take(13)?;
                    let v = ((d / 0x60) << 8) | (d % 0x60);
                    let gb = if v < 0x0a00 { v + 0xa1a1 } else { v + 0xa6a1 };
                    out.push((gb >> 8) as u8);
                    out.push(gb as u8);
                }
                segs.push(Seg::Gb2312(out));
            }
            7 => {
                let first = rd.take(8)?;
                let value = if first & 0x80 == 0 {
                    first
                } else if first & 0xc0 == 0x80 {
                    ((first & 0x3f) << 8) | rd.take(8)?
                } else if first & 0xe0 == 0xc0 {
                    ((first & 0x1f) << 16) | rd.take(16)?
                } else {
                    return None;
                };
                eci = Some(value);
            }
            3 => {
                // Structured append: sequence and parity; the parts are decoded one by one.
                rd.take(16)?;
            }
            5 => {} // FNC1 in first position (GS1): the data follows as usual.
            9 => {
                rd.take(8)?; // FNC1 in second position: application indicator.
            }
            _ => return None,
        }
    }
    Some(assemble(segs))
}

/// The text of the segments: byte segments under an ECI decode in its character set; without any
/// ECI or Hanzi, the whole payload goes through the UTF-8 → Shift_JIS → Latin-1 heuristic.
fn assemble(segs: Vec<Seg>) -> Payload {
    let mut bytes = Vec::new();
    let declared = segs
        .iter()
        .any(|s| matches!(s, Seg::Gb2312(_)) || matches!(s, Seg::Bytes(Some(_), _)));
    for s in &segs {
        match s {
            Seg::Ascii(b) | Seg::Bytes(_, b) | Seg::ShiftJis(b) | Seg::Gb2312(b) => {
                bytes.extend_from_slice(b);
            }
        }
    }
    if !declared {
        let (text, charset) = decode_text(&bytes);
        return Payload {
            bytes,
            text,
            charset,
        };
    }
    let mut text = String::new();
    let mut charset: Option<Charset> = None;
    for s in segs {
        match s {
            Seg::Ascii(b) => text.extend(b.iter().map(|&c| char::from(c))),
            Seg::Bytes(None, b) => text.push_str(&decode_text(&b).0),
            Seg::Bytes(Some(e), b) => {
                let (t, cs) = decode_eci(e, &b);
                text.push_str(&t);
                charset.get_or_insert(cs);
            }
            Seg::ShiftJis(b) => {
                text.push_str(&encoding_rs::SHIFT_JIS.decode_without_bom_handling(&b).0);
            }
            Seg::Gb2312(b) => {
                text.push_str(&encoding_rs::GBK.decode_without_bom_handling(&b).0);
                charset.get_or_insert(Charset::Gbk);
            }
        }
    }
    Payload {
        bytes,
        text,
        charset: charset.unwrap_or(Charset::Utf8),
    }
}

/// Bytes in the character set of ECI designator `eci` (AIM ECI assignments).
fn decode_eci(eci: u32, b: &[u8]) -> (String, Charset) {
    let label: &[u8] = match eci {
        3 | 1 => return (b.iter().map(|&c| char::from(c)).collect(), Charset::Latin1),
        26 => return (String::from_utf8_lossy(b).into_owned(), Charset::Utf8),
        20 => b"shift_jis",
        4 => b"iso-8859-2",
        5 => b"iso-8859-3",
        6 => b"iso-8859-4",
        7 => b"iso-8859-5",
        8 => b"iso-8859-6",
        9 => b"iso-8859-7",
        10 => b"iso-8859-8",
        11 => b"windows-1254",
        12 => b"iso-8859-10",
        13 => b"windows-874",
        15 => b"iso-8859-13",
        16 => b"iso-8859-14",
        17 => b"iso-8859-15",
        18 => b"iso-8859-16",
        21 => b"windows-1250",
        22 => b"windows-1251",
        23 => b"windows-1252",
        24 => b"windows-1256",
        25 => b"utf-16be",
        27 => b"us-ascii",
        28 => b"big5",
        29 => b"gb18030",
        30 => b"euc-kr",
        _ => {
            // Unknown or unsupported designator: fall back to the heuristic.
            return decode_text(b);
        }
    };
    match encoding_rs::Encoding::for_label(label) {
        Some(enc) => {
            let (text, _) = enc.decode_without_bom_handling(b);
            let charset = match eci {
                20 => Charset::ShiftJis,
                29 => Charset::Gbk,
                _ => Charset::Eci { designator: eci },
            };
            (text.into_owned(), charset)
        }
        None => decode_text(b),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use qrcode::{EcLevel, QrCode, Version, bits::Bits};

    fn grid(code: &QrCode) -> (usize, Vec<bool>) {
        let w = code.width();
        let cells = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        (w, cells)
    }

    fn decode_cells(w: usize, cells: &[bool]) -> Option<Payload> {
        decode_grid(w, &|r, c| cells[r * w + c])
    }

    #[test]
    fn alignment_positions_match_the_standard() {
        assert_eq!(alignment_positions(2), vec![6, 18]);
        assert_eq!(alignment_positions(7), vec![6, 22, 38]);
        assert_eq!(alignment_positions(32), vec![6, 34, 60, 86, 112, 138]);
        assert_eq!(alignment_positions(40), vec![6, 30, 58, 86, 114, 142, 170]);
    }

    #[test]
    fn every_version_and_level_round_trips_with_errors_corrected() {
        let levels = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H];
        for v in [1i16, 2, 5, 7, 10, 15, 22, 27, 33, 40] {
            for &level in &levels {
                let text = if v <= 2 {
                    format!("v{v} {level:?}")
                } else {
                    format!("v{v} {level:?} https://connect.example/p/abcDEF0123456789")
                };
                let code =
                    QrCode::with_version(text.as_bytes(), Version::Normal(v), level).unwrap();
                let (w, mut cells) = grid(&code);
                let p = decode_cells(w, &cells).unwrap();
                assert_eq!(p.text, text);
                // Flip a few data modules far from the function patterns: still corrected.
                for k in 0..3 {
                    let (r, c) = (w / 2 + k, w / 2 - 3 + 2 * k);
                    cells[r * w + c] = !cells[r * w + c];
                }
                let p = decode_cells(w, &cells).unwrap();
                assert_eq!(p.text, text, "v{v} {level:?} with flipped modules");
            }
        }
    }

    #[test]
    fn mirrored_grid_decodes() {
        let code = QrCode::new(b"mirror me").unwrap();
        let (w, cells) = grid(&code);
        let p = decode_grid(w, &|r, c| cells[c * w + r]).unwrap();
        assert_eq!(p.text, "mirror me");
    }

    #[test]
    fn eci_designator_selects_the_byte_charset() {
        // "Привет" in windows-1251 under ECI 22: not valid UTF-8, and not what the heuristic would
        // guess; the designator decides.
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Привет");
        let mut bits = Bits::new(Version::Normal(3));
        bits.push_eci_designator(22).unwrap();
        bits.push_byte_data(&cp1251).unwrap();
        bits.push_terminator(EcLevel::M).unwrap();
        let code = QrCode::with_bits(bits, EcLevel::M).unwrap();
        let (w, cells) = grid(&code);
        let p = decode_cells(w, &cells).unwrap();
        assert_eq!(p.text, "Привет");
        assert_eq!(p.charset, Charset::Eci { designator: 22 });
        assert_eq!(p.bytes, cp1251.into_owned());
    }

    #[test]
    fn eci_utf8_and_mixed_segments() {
        let mut bits = Bits::new(Version::Normal(4));
        bits.push_numeric_data(b"2026").unwrap();
        bits.push_alphanumeric_data(b" FLAT-12 ").unwrap();
        bits.push_eci_designator(26).unwrap();
        bits.push_byte_data("Grüße".as_bytes()).unwrap();
        bits.push_terminator(EcLevel::Q).unwrap();
        let code = QrCode::with_bits(bits, EcLevel::Q).unwrap();
        let (w, cells) = grid(&code);
        let p = decode_cells(w, &cells).unwrap();
        assert_eq!(p.text, "2026 FLAT-12 Grüße");
        assert_eq!(p.charset, Charset::Utf8);
    }

    #[test]
    fn hanzi_mode_decodes_gb2312() {
        // Mode 1101, subset 0001, count 1 (8 bits), "阿" = GB2312 0xB0A2:
        // 0xB0A2 - 0xA6A1 = 0x0A01 → 0x0A * 0x60 + 0x01 = 961.
        let mut data = Vec::new();
        let mut acc: Vec<bool> = Vec::new();
        let mut push = |v: u32, n: usize| {
            for i in (0..n).rev() {
                acc.push((v >> i) & 1 == 1);
            }
        };
        push(13, 4);
        push(1, 4);
        push(1, 8);
        push(961, 13);
        push(0, 4);
        while !acc.len().is_multiple_of(8) {
            acc.push(false);
        }
        for chunk in acc.chunks(8) {
            data.push(chunk.iter().fold(0u8, |a, &b| (a << 1) | u8::from(b)));
        }
        let p = parse_segments(&data, 1).unwrap();
        assert_eq!(p.text, "阿");
        assert_eq!(p.charset, Charset::Gbk);
    }

    #[test]
    fn random_and_damaged_grids_never_panic() {
        // Stands in for a libFuzzer run over the payload decoder: random grids of every size, and
        // real codes with growing damage, must decode or refuse, never panic.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for size in (21..=177).step_by(4) {
            for _ in 0..3 {
                let cells: Vec<bool> = (0..size * size).map(|_| next() & 1 == 1).collect();
                let _ = decode_cells(size, &cells);
            }
        }
        for v in [1i16, 6, 14, 40] {
            let code = QrCode::with_version(b"damage me", Version::Normal(v), EcLevel::L).unwrap();
            let (w, mut cells) = grid(&code);
            for round in 0..40 {
                for _ in 0..(round * w / 4).max(1) {
                    let k = (next() as usize) % cells.len();
                    cells[k] = !cells[k];
                }
                if let Some(p) = decode_cells(w, &cells) {
                    // Whatever decodes must be the real payload, never a miscorrection.
                    assert_eq!(p.text, "damage me", "v{v} round {round}");
                }
            }
        }
    }

    #[test]
    fn too_many_errors_are_refused_not_miscorrected() {
        let code = QrCode::with_version(b"refuse", Version::Normal(2), EcLevel::L).unwrap();
        let (w, mut cells) = grid(&code);
        // Destroy a large area of data modules.
        for r in 9..w - 9 {
            for c in 9..w - 1 {
                cells[r * w + c] = (r * 7 + c * 3) % 5 < 2;
            }
        }
        assert!(decode_cells(w, &cells).is_none());
    }
}
