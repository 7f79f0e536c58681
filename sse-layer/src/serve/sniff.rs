//! Which HTTP a plain-text connection speaks, decided by peeking at its first bytes.
//!
//! hyper-util's `auto` builder reads those bytes and hands them back to hyper in front of
//! the socket, so hyper's first read returns only them, and its read buffer (8 KiB) then
//! doubles to 16 KiB to read the rest of the head: a buffer every idle stream keeps. A
//! peek leaves the bytes in the socket, and hyper reads the whole head at once.

use std::time::Duration;

use tokio::net::TcpStream;

/// How a client that speaks HTTP/2 without TLS ("prior knowledge") starts.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The protocol of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    Http1,
    Http2,
}

/// Waits (within `timeout`) until the first bytes tell: the HTTP/2 preface, or anything
/// else. `None` when the client closes, fails or stays silent first.
pub(super) async fn sniff(socket: &TcpStream, timeout: Duration) -> Option<Protocol> {
    tokio::time::timeout(timeout, async {
        let mut seen = [0u8; 24];
        let mut pause = Duration::from_millis(1);
        loop {
            let n = socket.peek(&mut seen).await.ok()?;
            if n == 0 {
                return None;
            }
            if seen[..n] != H2_PREFACE[..n] {
                return Some(Protocol::Http1);
            }
            if n == H2_PREFACE.len() {
                return Some(Protocol::Http2);
            }
            // A part of the preface: peeking again would return at once with the same
            // bytes, so wait a little (real clients send the preface in one segment).
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    })
    .await
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::*;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    #[tokio::test]
    async fn tells_http1_from_the_preface_split_in_two() {
        let (mut client, server) = pair().await;
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        assert_eq!(
            sniff(&server, Duration::from_secs(5)).await,
            Some(Protocol::Http1)
        );

        let (mut client, server) = pair().await;
        client.write_all(&H2_PREFACE[..5]).await.unwrap();
        let sniffing = tokio::spawn(async move { sniff(&server, Duration::from_secs(5)).await });
        tokio::time::sleep(Duration::from_millis(30)).await;
        client.write_all(&H2_PREFACE[5..]).await.unwrap();
        assert_eq!(sniffing.await.unwrap(), Some(Protocol::Http2));
    }

    #[tokio::test]
    async fn a_silent_or_closing_client_is_no_protocol() {
        let (client, server) = pair().await;
        assert_eq!(sniff(&server, Duration::from_millis(50)).await, None);
        drop(client);
        assert_eq!(sniff(&server, Duration::from_secs(5)).await, None);
    }

    #[tokio::test]
    async fn the_peeked_bytes_stay_in_the_socket() {
        let (mut client, server) = pair().await;
        client.write_all(b"GET /").await.unwrap();
        sniff(&server, Duration::from_secs(5)).await;
        let mut buf = [0u8; 5];
        let n = server.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"GET /");
    }
}
