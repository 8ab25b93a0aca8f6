use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::LingeringClose;

const RESPONSE_BYTES: usize = 4 << 20;

/// A connected pair: (client, accepted server side).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let client = client.unwrap_or_else(|e| panic!("connect: {e}"));
    let (server, _) = accepted.unwrap_or_else(|e| panic!("accept: {e}"));
    (client, server)
}

/// The client sends bytes the server never reads (a stream opened after the server
/// decided to close), then reads the answer late. A plain close would reset the
/// connection and cut the answer short; a lingering one delivers all of it.
#[tokio::test]
async fn an_answer_survives_input_the_server_never_read() {
    let (mut client, server) = pair().await;
    client
        .write_all(b"a request sent too late")
        .await
        .unwrap_or_else(|e| panic!("client write: {e}"));

    let serving = tokio::spawn(async move {
        let mut server = LingeringClose::new(server);
        let answer = vec![7u8; RESPONSE_BYTES];
        server.write_all(&answer).await?;
        server.shutdown().await?;
        drop(server);
        std::io::Result::Ok(())
    });

    // Give the server time to finish writing what fits and to close.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut received = Vec::new();
    let read = client.read_to_end(&mut received).await;
    assert!(read.is_ok(), "the client read failed: {read:?}");
    assert_eq!(received.len(), RESPONSE_BYTES);
    assert!(received.iter().all(|&b| b == 7));
    drop(client);
    serving
        .await
        .unwrap_or_else(|e| panic!("server task: {e}"))
        .unwrap_or_else(|e| panic!("server: {e}"));
}

/// Shutdown finishes as soon as the peer closes its side, long before the linger ends.
#[tokio::test]
async fn shutdown_ends_when_the_peer_closes() {
    let (mut client, server) = pair().await;
    let mut server = LingeringClose::with_linger(server, Duration::from_secs(3600));
    let closing = tokio::spawn(async move { server.shutdown().await });
    let mut rest = Vec::new();
    client
        .read_to_end(&mut rest)
        .await
        .unwrap_or_else(|e| panic!("client read: {e}"));
    assert!(rest.is_empty());
    drop(client);
    let done = tokio::time::timeout(Duration::from_secs(10), closing).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "shutdown did not end after the peer closed: {done:?}"
    );
}

/// A peer that never closes holds the connection only for the linger period.
#[tokio::test]
async fn a_peer_that_never_closes_is_waited_for_only_the_linger() {
    let (client, server) = pair().await;
    let mut server = LingeringClose::with_linger(server, Duration::from_millis(100));
    let done = tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await;
    assert!(
        matches!(done, Ok(Ok(()))),
        "shutdown did not end after the linger: {done:?}"
    );
    drop(client);
}
