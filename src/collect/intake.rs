//! Storing verified provider events with group commit: deliveries that
//! arrive together are written by one task in one transaction, and each is
//! answered only after that transaction commits. Under load a commit carries
//! many events instead of one; alone, an event waits for nobody.

use std::sync::Arc;

use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use uuid::Uuid;

use crate::clock::SharedClock;
use crate::store::provider_events::{self, NewProviderEvent};
use crate::store::{Db, StoreResult};

/// Events written in one transaction at most.
const GROUP: usize = 256;

/// A verified event to store, owned so that it can wait in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    pub tenant: Uuid,
    pub id: String,
    pub kind: String,
    pub object_id: Option<String>,
    pub body: String,
}

struct Waiting {
    event: VerifiedEvent,
    stored: oneshot::Sender<StoreResult<bool>>,
}

/// The queue in front of the writer task.
#[derive(Clone)]
pub struct Intake {
    queue: mpsc::Sender<Waiting>,
}

impl Intake {
    /// Starts the writer task; it ends when the last `Intake` is dropped.
    /// `wake` is notified when new events are stored.
    pub fn start(db: Db, clock: SharedClock, wake: Arc<Notify>) -> Intake {
        let (queue, waiting) = mpsc::channel(4 * GROUP);
        let waiting = Arc::new(Mutex::new(waiting));
        // SQLite has one writer; PostgreSQL commits several transactions in
        // one disk sync, so a second group is written while one commits.
        let writers = match db {
            Db::Sqlite(_) => 1,
            Db::Postgres(_) => 4,
        };
        for _ in 0..writers {
            tokio::spawn(write(db.clone(), clock.clone(), wake.clone(), waiting.clone()));
        }
        Intake { queue }
    }

    /// Stores the event once its transaction commits; `false` when its id was
    /// already stored (a redelivery changes nothing).
    pub async fn store(&self, event: VerifiedEvent) -> StoreResult<bool> {
        let (stored, answer) = oneshot::channel();
        let gone = || crate::store::StoreError::Corrupt("the event writer stopped".into());
        self.queue.send(Waiting { event, stored }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// One writer: takes what is waiting (the queue is held only while taking),
/// writes it in one transaction, answers each delivery.
async fn write(db: Db, clock: SharedClock, wake: Arc<Notify>, waiting: Arc<Mutex<mpsc::Receiver<Waiting>>>) {
    let mut group = Vec::with_capacity(GROUP);
    while waiting.lock().await.recv_many(&mut group, GROUP).await > 0 {
        let now = clock.now();
        let events: Vec<NewProviderEvent> = group.iter().map(|w| as_new(&w.event)).collect();
        let results: Vec<StoreResult<bool>> = match provider_events::store_all(&db, &events, now).await {
            Ok(new) => new.into_iter().map(Ok).collect(),
            // One at a time, so each delivery gets its own answer.
            Err(_) => {
                let mut one_by_one = Vec::with_capacity(events.len());
                for e in &events {
                    one_by_one.push(
                        provider_events::store_all(&db, std::slice::from_ref(e), now)
                            .await
                            .map(|n| n.first() == Some(&true)),
                    );
                }
                one_by_one
            }
        };
        drop(events);
        if results.iter().any(|r| matches!(r, Ok(true))) {
            wake.notify_one();
        }
        for (w, result) in group.drain(..).zip(results) {
            // The delivery may have given up waiting: nothing to answer.
            let _ = w.stored.send(result);
        }
    }
}

fn as_new(e: &VerifiedEvent) -> NewProviderEvent<'_> {
    NewProviderEvent { tenant: e.tenant, id: &e.id, kind: &e.kind, object_id: e.object_id.as_deref(), body: &e.body }
}
