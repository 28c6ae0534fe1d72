//! Spots requests framed with both `Content-Length` and `Transfer-Encoding`
//! — the request-smuggling shape — which hyper accepts (chunked wins and the
//! connection closes, as RFC 9112 §6.3 allows) without telling the handler:
//! it drops the `Content-Length` header. signet refuses them with 400
//! instead, so the connection wraps its socket in [`Sniffed`], which reads
//! each request head as it passes by.
//!
//! Only body-less requests are followed: after the first request with a
//! body the rest of the connection is hyper's alone (an ambiguous request
//! there still closes the connection, it just is not a 400).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Past this many buffered bytes without a complete head, stop: hyper
/// refuses such heads itself.
const MAX_HEAD: usize = 64 * 1024;
/// No ambiguous request seen.
const NONE: usize = 0;

/// Which request of a connection (1-based) had ambiguous framing, if any.
#[derive(Clone, Default)]
pub(crate) struct Verdict(Arc<AtomicUsize>);

impl Verdict {
    /// Whether request number `n` (1-based) of the connection is ambiguous.
    pub(crate) fn is_ambiguous(&self, n: usize) -> bool {
        n != NONE && self.0.load(Ordering::SeqCst) == n
    }
}

/// A socket whose incoming request heads are checked for ambiguous framing.
pub(crate) struct Sniffed<S> {
    inner: S,
    head: Vec<u8>,
    heads_seen: usize,
    following: bool,
    verdict: Verdict,
}

impl<S> Sniffed<S> {
    pub(crate) fn new(inner: S) -> (Sniffed<S>, Verdict) {
        let verdict = Verdict::default();
        let sniffed = Sniffed {
            inner,
            head: Vec::new(),
            heads_seen: 0,
            following: true,
            verdict: verdict.clone(),
        };
        (sniffed, verdict)
    }

    fn feed(&mut self, bytes: &[u8]) {
        if !self.following {
            return;
        }
        if self.head.is_empty() {
            // The usual case: whole heads arrive in one read, nothing is copied.
            let used = self.scan(bytes);
            if self.following {
                self.head.extend_from_slice(&bytes[used..]);
            }
        } else {
            let mut head = std::mem::take(&mut self.head);
            head.extend_from_slice(bytes);
            let used = self.scan(&head);
            if self.following {
                head.drain(..used);
                self.head = head;
            }
        }
    }

    /// Checks the complete heads at the start of `buf`; returns the bytes
    /// they take (the rest is the start of a head still arriving).
    fn scan(&mut self, buf: &[u8]) -> usize {
        let mut used = 0;
        loop {
            let rest = &buf[used..];
            let mut fields = [httparse::EMPTY_HEADER; 128];
            let mut req = httparse::Request::new(&mut fields);
            let len = match req.parse(rest) {
                Ok(httparse::Status::Complete(len)) => len,
                Ok(httparse::Status::Partial) if rest.len() > MAX_HEAD => {
                    self.stop();
                    return used;
                }
                Ok(httparse::Status::Partial) => return used,
                // Malformed: hyper answers it (400/431) and closes.
                Err(_) => {
                    self.stop();
                    return used;
                }
            };
            self.heads_seen += 1;
            let named = |name: &'static str| {
                req.headers
                    .iter()
                    .filter(move |h| h.name.eq_ignore_ascii_case(name))
            };
            let chunked = named("transfer-encoding").next().is_some();
            let mut lengths = named("content-length").map(|h| h.value).peekable();
            if chunked && lengths.peek().is_some() {
                self.verdict.0.store(self.heads_seen, Ordering::SeqCst);
                self.stop();
                return used;
            }
            if chunked || lengths.any(|v| v.trim_ascii() != b"0") {
                // A body follows: the rest of the stream is not heads.
                self.stop();
                return used;
            }
            used += len;
        }
    }

    fn stop(&mut self) {
        self.following = false;
        self.head = Vec::new();
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniffed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), true) = (&polled, this.following) {
            this.feed(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniffed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict_of(chunks: &[&[u8]]) -> (Verdict, usize) {
        let (mut s, v) = Sniffed::new(());
        for c in chunks {
            s.feed(c);
        }
        (v, s.heads_seen)
    }

    #[test]
    fn ambiguous_heads_are_numbered_across_split_reads() {
        let get = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        let bad = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
        let (v, seen) = verdict_of(&[get, &get[..10], &get[10..], &bad[..30], &bad[30..]]);
        assert_eq!(seen, 3);
        assert!(v.is_ambiguous(3) && !v.is_ambiguous(1) && !v.is_ambiguous(2));

        let te_first =
            b"GET /a HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 0\r\n\r\n";
        assert!(verdict_of(&[te_first]).0.is_ambiguous(1));
    }

    #[test]
    fn pipelined_heads_in_one_read_and_oversized_heads() {
        let get = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        let bad = b"GET /a HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n";
        let mut burst = [get.as_slice(), get, get].concat();
        burst.extend_from_slice(&bad[..20]);
        let (v, seen) = verdict_of(&[&burst, &bad[20..]]);
        assert_eq!(seen, 4);
        assert!(v.is_ambiguous(4));

        let huge = format!("GET /a HTTP/1.1\r\nX: {}", "y".repeat(MAX_HEAD));
        let (v, seen) = verdict_of(&[huge.as_bytes(), b"\r\n\r\n", bad]);
        assert_eq!(seen, 0, "an oversized head ends the sniffing");
        assert!(!v.is_ambiguous(1));
    }

    #[test]
    fn bodies_and_garbage_end_the_sniffing() {
        let upload = b"POST /a HTTP/1.1\r\nContent-Length: 60\r\n\r\n";
        let lookalike =
            b"GET /a HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let (v, seen) = verdict_of(&[upload, lookalike]);
        assert_eq!(seen, 1, "body bytes are never read as heads");
        assert!(!v.is_ambiguous(2));
        let (v, _) = verdict_of(&[b"\x00\x01garbage\r\n\r\n", lookalike]);
        assert!(!v.is_ambiguous(1));
        assert!(!Verdict::default().is_ambiguous(0));
    }
}
