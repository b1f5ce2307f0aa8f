//! Response bodies as a few large buffers: bytes kept with the objects (an encoded list
//! segment, a kept Table row chunk) are shared into the body as they are, and everything small
//! (list heads, separators, items serialized on the spot) is copied into buffers of about
//! [`FRAME`] bytes. A 10k-item list is then a few dozen frames written with vectored writes,
//! instead of one 6 MiB copy or ten thousand tiny frames.

use bytes::Bytes;

/// The size a copied frame grows to before a new one starts.
pub(crate) const FRAME: usize = 64 * 1024;
/// Shared bytes shorter than this are copied instead (a frame per tiny item would cost a write
/// each).
const SHARE_MIN: usize = 8 * 1024;

/// Collects a body's frames.
#[derive(Debug, Default)]
pub struct Frames {
    frames: Vec<Bytes>,
    buf: Vec<u8>,
    len: usize,
}

impl Frames {
    /// An empty body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a copy of `bytes`.
    pub fn copy(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.len += bytes.len();
        if self.buf.len() >= FRAME {
            self.flush();
        }
    }

    /// Appends `bytes`, shared (no copy) unless they are small.
    pub fn share(&mut self, bytes: &Bytes) {
        if bytes.len() < SHARE_MIN {
            return self.copy(bytes);
        }
        self.flush();
        self.len += bytes.len();
        self.frames.push(bytes.clone());
    }

    /// The copy buffer, for serializing straight into it; call [`Frames::wrote`] after.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Accounts for what was written into [`Frames::buffer`] since its length was `before`.
    pub fn wrote(&mut self, before: usize) {
        self.len += self.buf.len() - before;
        if self.buf.len() >= FRAME {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            // The next buffer grows as it is written: a frame holding only the separator between
            // two shared segments must not hold a whole frame's capacity (a 100-repository list
            // held 6 MiB of empty frames that way).
            self.frames.push(Bytes::from(std::mem::take(&mut self.buf)));
        }
    }

    /// The total length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The frames, in order.
    pub fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.frames
    }

    /// The whole body in one buffer.
    pub fn concat(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        for frame in self.finish() {
            out.extend_from_slice(&frame);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_pieces_are_copied_together_and_large_ones_shared() {
        let big = Bytes::from(vec![b'x'; SHARE_MIN]);
        let mut frames = Frames::new();
        frames.copy(b"[");
        frames.share(&Bytes::from_static(b"small"));
        frames.share(&big);
        frames.copy(b"]");
        assert_eq!(frames.len(), 2 + 5 + SHARE_MIN);
        let out = frames.finish();
        assert_eq!(out.len(), 3, "head, the shared buffer, tail");
        assert_eq!(&out[0][..], b"[small");
        assert_eq!(out[1].as_ptr(), big.as_ptr(), "shared, not copied");
        assert_eq!(&out[2][..], b"]");
    }

    #[test]
    fn a_copied_frame_ends_near_the_frame_size() {
        let mut frames = Frames::new();
        for _ in 0..(3 * FRAME / 100) {
            frames.copy(&[b'a'; 100]);
        }
        let len = frames.len();
        let out = frames.finish();
        assert!(out.len() >= 3 && out.iter().all(|f| f.len() <= FRAME + 100), "{:?}", out.len());
        assert_eq!(out.iter().map(Bytes::len).sum::<usize>(), len);
    }

    #[test]
    fn a_small_frame_between_shared_ones_holds_no_more_than_it_needs() {
        let big = Bytes::from(vec![b'x'; SHARE_MIN]);
        let mut frames = Frames::new();
        frames.share(&big);
        frames.copy(b",");
        frames.share(&big);
        let separator = std::mem::take(&mut frames.frames[1]);
        assert_eq!(&separator[..], b",");
        let vec = Vec::from(separator);
        assert!(vec.capacity() < 1024, "capacity {}", vec.capacity());
    }

    #[test]
    fn serialized_output_is_counted() {
        let mut frames = Frames::new();
        let before = frames.buffer().len();
        serde_json::to_writer(frames.buffer(), &serde_json::json!({"a": 1})).unwrap();
        frames.wrote(before);
        assert_eq!(frames.len(), 7);
        assert_eq!(frames.concat(), br#"{"a":1}"#);
    }
}
