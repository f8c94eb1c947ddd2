//! Logos as MDES serves them (wire contract §2: PNG 192×192, square, white background)
//! and as SVG. The PNG is encoded by hand — uncompressed deflate blocks with
//! CRC-32 and Adler-32 — which is enough for a flat square and saves a crate.

pub const SIZE: u32 = 192;

/// `#rrggbb` → bytes.
pub fn parse_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    Some([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// A 192×192 RGB PNG: white background, a centred square of `color` with a
/// white bar (so logos are told apart by more than hue).
pub fn logo_png(color: [u8; 3]) -> Vec<u8> {
    let n = SIZE as usize;
    let mut raw = Vec::with_capacity(n * (1 + 3 * n));
    for y in 0..n {
        raw.push(0); // filter: none
        for x in 0..n {
            let inside = (16..n - 16).contains(&x) && (16..n - 16).contains(&y);
            let bar = (84..108).contains(&y) && (48..n - 48).contains(&x);
            raw.extend_from_slice(if inside && !bar { &color } else { &[255, 255, 255] });
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&SIZE.to_be_bytes());
    ihdr.extend_from_slice(&SIZE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, truecolour, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The generated SVG logo (safe markup).
pub fn logo_svg(color: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="192" height="192" viewBox="0 0 192 192"><rect width="192" height="192" fill="#ffffff"/><rect x="16" y="16" width="160" height="160" fill="{color}"/><rect x="48" y="84" width="96" height="24" fill="#ffffff"/></svg>"##
    )
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(65_535).peekable();
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// The CRC-32 table, built at compile time (the bitwise loop is slow in an
/// unoptimised build, and logos are served at every catalogue refresh).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// [`logo_png`], encoded once per colour per process: an asset id's content
/// never changes, and every test app and catalogue refresh asks for them.
pub fn logo_png_cached(color: [u8; 3]) -> std::sync::Arc<Vec<u8>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type PngByColour = HashMap<[u8; 3], Arc<Vec<u8>>>;
    static CACHE: OnceLock<Mutex<PngByColour>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(png) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&color) {
        return png.clone();
    }
    let png = Arc::new(logo_png(color));
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(color, png.clone());
    png
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that cannot overflow before the modulo (zlib's NMAX).
    for block in data.chunks(5552) {
        for &d in block {
            a += u32::from(d);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn png_has_signature_and_size() {
        let png = logo_png([1, 2, 3]);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 192);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 192);
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82])); // IEND CRC
    }
}
