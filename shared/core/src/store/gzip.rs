//! Gzip for raw records, with one deflate state per thread.
//!
//! Setting up a deflate state (zeroing its window and hash tables) costs more than
//! compressing a 2 KB record with it, so the state is kept and reset between records, and
//! the gzip header and trailer (RFC 1952) are written around the raw deflate stream here.
//! Any gzip reader, `flate2::read::GzDecoder` included, reads the result.

use std::cell::RefCell;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// ID1 ID2, CM = deflate, no flags, no MTIME, XFL = 4 (fastest), OS = 255 (unknown).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];
const TRAILER_BYTES: usize = 8;

thread_local! {
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// `text` gzipped, if that takes at most `max_bytes`; `None` when it would not fit.
pub(super) fn gzip_within(text: &[u8], max_bytes: usize) -> Option<Vec<u8>> {
    // Room for the worst case, 9 bits per byte with fixed codes, and then some: zlib-rs
    // 0.6 panics rather than stopping when a fast deflate runs out of output space. The room
    // is spare capacity, so it is never zeroed.
    let room = text.len() + text.len() / 4 + 64;
    let mut out = Vec::with_capacity(HEADER.len() + room + TRAILER_BYTES);
    out.extend_from_slice(&HEADER);
    let finished = DEFLATE.with(|deflate| {
        let mut deflate = deflate.borrow_mut();
        deflate.reset();
        let status = deflate.compress_vec(text, &mut out, FlushCompress::Finish);
        matches!(status, Ok(Status::StreamEnd))
    });
    if !finished || out.len() + TRAILER_BYTES > max_bytes {
        return None;
    }
    let mut crc = Crc::new();
    crc.update(text);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the length modulo 2^32 by definition.
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(gz: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn reads_back_with_a_standard_decoder_record_after_record() {
        let records: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    r#"{{"Id":"{i}","Padding":"{}"}}"#,
                    "ab".repeat(100 + i * 37)
                )
            })
            .collect();
        for record in &records {
            let gz = gzip_within(record.as_bytes(), record.len()).expect("compressible");
            assert!(gz.len() < record.len() / 4);
            assert_eq!(&gunzip(&gz), record);
        }
    }

    #[test]
    fn what_does_not_fit_is_refused_and_the_state_recovers() {
        // Pseudo-random printable text barely compresses.
        let mut x: u32 = 1;
        let noise: String = (0..4000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                char::from(b'!' + ((x >> 16) % 90) as u8)
            })
            .collect();
        assert_eq!(gzip_within(noise.as_bytes(), noise.len() * 3 / 4), None);
        let after = "z".repeat(3000);
        assert_eq!(gunzip(&gzip_within(after.as_bytes(), 3000).unwrap()), after);
        assert_eq!(gzip_within(b"", 10), None);
    }
}
