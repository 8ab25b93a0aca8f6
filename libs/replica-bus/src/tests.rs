use std::time::Duration;

use super::*;

fn redis_url() -> String {
    std::env::var("BAILIFF_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn next(rx: &mut broadcast::Receiver<BusMessage>) -> BusMessage {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("message within 5 s")
        .expect("channel open")
}

#[tokio::test]
async fn in_process_delivers_to_every_subscriber_of_the_topic() {
    let bus = ReplicaBus::in_process();
    let mut a = bus.subscribe("tokens");
    let mut b = bus.subscribe("tokens");
    let mut other = bus.subscribe("sync");
    bus.publish("tokens", "@u:hs").await.expect("publish");
    assert_eq!(next(&mut a).await, BusMessage::Published("@u:hs".into()));
    assert_eq!(next(&mut b).await, BusMessage::Published("@u:hs".into()));
    assert!(other.try_recv().is_err());
}

#[tokio::test]
async fn redis_reaches_other_replicas_and_only_within_the_prefix() {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let tasks = TaskTracker::new();
    let stop = CancellationToken::new();
    let one = ReplicaBus::redis(&redis_url(), &prefix, &tasks, stop.clone())
        .await
        .expect("bus one");
    let two = ReplicaBus::redis(&redis_url(), &prefix, &tasks, stop.clone())
        .await
        .expect("bus two");
    let stranger = ReplicaBus::redis(&redis_url(), "another-prefix", &tasks, stop.clone())
        .await
        .expect("bus three");
    let mut on_two = two.subscribe("tokens");
    let mut on_stranger = stranger.subscribe("tokens");
    // The subscription task may still be starting: publish until it arrives.
    let received = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            one.publish("tokens", "@u:hs").await.expect("publish");
            if let Ok(Ok(message)) =
                tokio::time::timeout(Duration::from_millis(100), on_two.recv()).await
            {
                return message;
            }
        }
    })
    .await
    .expect("delivered");
    assert_eq!(received, BusMessage::Published("@u:hs".into()));
    assert!(on_stranger.try_recv().is_err());
    assert_eq!(tasks.len(), 3, "one subscription task per Redis bus");
    stop.cancel();
    tasks.close();
    tokio::time::timeout(Duration::from_secs(5), tasks.wait())
        .await
        .expect("the subscriptions end when stopped");
}
