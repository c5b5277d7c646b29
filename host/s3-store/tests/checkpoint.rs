//! The checkpoint under conditional writes: a write based on a stale read never lands.

use crate::support::{CUSTOMER, bucket, store};
use chrono::Utc;
use wharf_engine::checkpoint::{Checkpoint, Position, Suspension, Waiting};
use wharf_engine::storage::Storage;

fn suspended(run_id: &str, token: &str) -> Checkpoint {
    Checkpoint {
        run_id: run_id.into(),
        path: "0.1".into(),
        resume: None,
        pid: 1,
        host: "sandbox".into(),
        suspended: Some(Suspension {
            token: token.into(),
            since: Utc::now(),
            waiting: Waiting::Deadline {
                task_path: "0.1".into(),
            },
            lineage: run_id.into(),
            run_started: Utc::now(),
            position: Position::default(),
            sent: false,
            sent_at: None,
        }),
        run: None,
    }
}

/// Two invocations read a suspended run's checkpoint; one resumes it (consumes the suspension)
/// while the other is marking its message sent: the mark fails and the suspension stays gone.
#[test]
fn a_stale_mark_cannot_restore_a_consumed_suspension() {
    let b = bucket("checkpoint-stale");
    let key = format!("{CUSTOMER}/wf/checkpoint.json");
    let (sender, resumer) = (store(&b.name, "wf"), store(&b.name, "wf"));
    store(&b.name, "wf")
        .save_checkpoint(&suspended("run-1", "t-1"))
        .unwrap();

    let mut marked = sender.load_checkpoint().unwrap().unwrap();
    let consumed = resumer.load_checkpoint().unwrap().unwrap();
    assert_eq!(marked, consumed);
    // The resumer carries the run on: a plain checkpoint, then the run ends.
    let mut running = consumed.clone();
    running.suspended = None;
    resumer.save_checkpoint(&running).unwrap();
    marked.suspended.as_mut().unwrap().sent = true;
    let err = sender.save_checkpoint(&marked).unwrap_err().to_string();
    assert!(err.contains("changed since this run last read it"), "{err}");
    assert!(
        sender.clear_checkpoint().is_err(),
        "nor deletes the newer one"
    );
    assert_eq!(resumer.load_checkpoint().unwrap(), Some(running));

    resumer.clear_checkpoint().unwrap();
    assert!(
        sender.save_checkpoint(&marked).is_err(),
        "over a deleted one"
    );
    assert_eq!(b.get(&key), None, "nothing brought the suspension back");

    // A new run's checkpoint is not clobbered by one that believed there was none either.
    let first = store(&b.name, "wf");
    let second = store(&b.name, "wf");
    assert_eq!(first.load_checkpoint().unwrap(), None);
    assert_eq!(second.load_checkpoint().unwrap(), None);
    first.save_checkpoint(&suspended("run-2", "t-2")).unwrap();
    assert!(second.save_checkpoint(&suspended("run-3", "t-3")).is_err());
    // Writing again over its own version, and re-reading, work as ever.
    first.save_checkpoint(&suspended("run-2", "t-2b")).unwrap();
    second.load_checkpoint().unwrap();
    second.clear_checkpoint().unwrap();
    assert_eq!(first.load_checkpoint().unwrap(), None);
}
