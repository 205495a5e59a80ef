//! Staff photos: uploaded by an administrator, kept by the product and
//! served with the type their bytes show (never hot-linked, never the type
//! the uploader claimed). Only JPEG, PNG and WebP: formats a browser shows
//! as an image and nothing else (no SVG, which can carry script).

/// Largest photo accepted.
pub const MAX_PHOTO_BYTES: usize = 512 * 1024;
/// Smallest file that can be a real photo.
pub const MIN_PHOTO_BYTES: usize = 64;

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Too large.
    #[error("the photo is {0} bytes; at most {MAX_PHOTO_BYTES} bytes are accepted")]
    TooLarge(usize),
    /// Too small to be a photo.
    #[error("the photo is {0} bytes; that is not an image")]
    TooSmall(usize),
    /// Not one of the accepted formats.
    #[error("the file is not a JPEG, PNG or WebP image (its first bytes say otherwise)")]
    UnknownFormat,
    /// Declared as one type, is another.
    #[error("declared as {declared} but the bytes are {actual}")]
    Mismatch {
        /// The Content-Type given.
        declared: String,
        /// What the bytes are.
        actual: &'static str,
    },
}

/// The content type of `bytes`, sniffed from their signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Checks an upload: size, format, and that the declared type (when one
/// was given) matches the bytes. Answers the type to serve it with.
pub fn check(bytes: &[u8], declared: Option<&str>) -> Result<&'static str, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge(bytes.len()));
    }
    if bytes.len() < MIN_PHOTO_BYTES {
        return Err(PhotoError::TooSmall(bytes.len()));
    }
    let actual = sniff(bytes).ok_or(PhotoError::UnknownFormat)?;
    if let Some(declared) = declared {
        let base = declared
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let same = base == actual || (base == "image/jpg" && actual == "image/jpeg");
        if !same {
            return Err(PhotoError::Mismatch {
                declared: base,
                actual,
            });
        }
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.resize(200, 0);
        v
    }

    #[test]
    fn photos_are_sniffed_and_bounded() {
        assert_eq!(check(&png(), Some("image/png")), Ok("image/png"));
        assert_eq!(check(&png(), None), Ok("image/png"));
        assert!(matches!(
            check(&png(), Some("image/jpeg")),
            Err(PhotoError::Mismatch { .. })
        ));
        let svg =
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".repeat(2);
        assert_eq!(
            check(&svg, Some("image/png")),
            Err(PhotoError::UnknownFormat)
        );
        assert_eq!(check(b"\xFF\xD8\xFF", None), Err(PhotoError::TooSmall(3)));
        let mut big = png();
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert_eq!(
            check(&big, None),
            Err(PhotoError::TooLarge(MAX_PHOTO_BYTES + 1))
        );
        let mut webp = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
        webp.resize(100, 1);
        assert_eq!(check(&webp, Some("image/webp")), Ok("image/webp"));
    }
}
