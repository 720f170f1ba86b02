//! The worker's sweeps (see `sweep`, `retention`): queued, stepped between requests,
//! answered when finished — after the commit holding their last writes, like any
//! durable write — and the daily retention schedule.
//!
//! What must stay true: a step runs in its own savepoint, so a failing step undoes
//! only itself; a batch rolled back under a sweep makes it start over (its counts
//! would otherwise describe writes that are gone); writes are never swept into a file
//! whose writes are refused; privacy sweeps take one step per request served,
//! retention only steps when the queue is empty, and never while the file's integrity
//! check runs or after it failed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::Sender;

use super::Worker;
use crate::error::{DatastoreError, Result};
use crate::protocol::{Command, Reply};
use crate::retention::{RetentionPolicy, RetentionReport, RetentionRule, RetentionSweep};
use crate::state::State;
use crate::sweep::PrivacySweep;

/// How long a retention run waits before looking again at an integrity check that
/// is still running.
const CHECK_WAIT: Duration = Duration::from_millis(200);

/// A queued sweep and who waits for its answer (none for a scheduled run).
pub(super) struct Job {
    sweep: Sweep,
    reply: Option<Sender<Reply>>,
}

enum Sweep {
    Privacy(PrivacySweep),
    Retention(RetentionSweep),
}

impl Sweep {
    fn dry_run(&self) -> bool {
        match self {
            Sweep::Privacy(sweep) => sweep.dry_run(),
            Sweep::Retention(sweep) => sweep.dry_run(),
        }
    }

    fn restart(&mut self) {
        match self {
            Sweep::Privacy(sweep) => sweep.restart(),
            Sweep::Retention(sweep) => sweep.restart(),
        }
    }

    fn step(&mut self, state: &mut State) -> Result<Option<Reply>> {
        Ok(match self {
            Sweep::Privacy(sweep) => sweep
                .step(state)?
                .map(|report| Reply::Privacy(Box::new(report))),
            Sweep::Retention(sweep) => sweep
                .step(state)?
                .map(|report| Reply::Retention(Box::new(report))),
        })
    }
}

/// The retention policy and when it runs next.
pub(super) struct RetentionSchedule {
    policy: RetentionPolicy,
    next: Instant,
}

impl Job {
    fn answer(self, reply: Reply) {
        if let Some(sender) = self.reply {
            let _ = sender.send(reply);
        }
    }
}

impl Worker {
    /// Queues the sweep a command asks for, or takes the retention policy.
    pub(super) fn start_sweep(&mut self, command: Command, reply: Sender<Reply>) {
        match command {
            Command::ApplyPrivacy(dry_run) => self.queue_privacy(dry_run, reply),
            Command::RunRetention(rules, now, dry_run) => {
                self.queue_retention(&rules, now, dry_run, Some(reply));
            }
            Command::SetRetention(policy) => {
                self.set_retention(*policy);
                let _ = reply.send(Reply::Done);
            }
            // `kind_of` sends nothing else here.
            _ => {
                let _ = reply.send(Reply::Done);
            }
        }
    }

    /// Queues a privacy sweep with the rules in force now.
    pub(super) fn queue_privacy(&mut self, dry_run: bool, reply: Sender<Reply>) {
        if !dry_run {
            if let Some(err) = self.write_refusal() {
                let _ = reply.send(Reply::Failed(err));
                return;
            }
        }
        let sweep = Sweep::Privacy(PrivacySweep::new(self.state.filters.clone(), dry_run));
        self.jobs.push_back(Job {
            sweep,
            reply: Some(reply),
        });
    }

    /// Queues a retention run of `rules` as of `now`; `reply` none for a scheduled run.
    pub(super) fn queue_retention(
        &mut self,
        rules: &[RetentionRule],
        now: DateTime<Utc>,
        dry_run: bool,
        reply: Option<Sender<Reply>>,
    ) {
        let sweep = RetentionSweep::new(&self.state, rules, now, dry_run);
        self.jobs.push_back(Job {
            sweep: Sweep::Retention(sweep),
            reply,
        });
    }

    /// Takes the retention policy; the first run follows after its delay.
    pub(super) fn set_retention(&mut self, policy: RetentionPolicy) {
        self.retention = (!policy.rules.is_empty()).then(|| RetentionSchedule {
            next: Instant::now() + policy.first_run_after,
            policy,
        });
    }

    /// Queues the scheduled retention run when it is due.
    pub(super) fn schedule_retention(&mut self) {
        let Some(schedule) = &mut self.retention else {
            return;
        };
        if Instant::now() < schedule.next {
            return;
        }
        schedule.next = Instant::now() + schedule.policy.interval;
        let (rules, dry_run) = (schedule.policy.rules.clone(), schedule.policy.dry_run);
        self.queue_retention(&rules, Utc::now(), dry_run, None);
    }

    /// When the worker must wake up for its sweeps and the retention schedule.
    pub(super) fn jobs_deadline(&self) -> Option<Instant> {
        let scheduled = self.retention.as_ref().map(|schedule| schedule.next);
        let job = self.jobs.front().map(|job| match job.sweep {
            Sweep::Retention(_) if self.integrity_in_doubt() => Instant::now() + CHECK_WAIT,
            _ => Instant::now(),
        });
        scheduled.into_iter().chain(job).min()
    }

    /// Runs one step of the oldest queued sweep, if there is one; a retention run
    /// only when nothing waits (`idle`) and the file is known to be sound.
    pub(super) fn step_jobs(&mut self, idle: bool) {
        let Some(mut job) = self.jobs.pop_front() else {
            return;
        };
        if let Sweep::Retention(_) = job.sweep {
            if let Some(err) = self.write_refusal() {
                log::warn!("retention not run: {err}");
                job.answer(Reply::Failed(err));
                return;
            }
            if !idle || self.integrity_in_doubt() {
                self.jobs.push_front(job);
                return;
            }
        }
        if !job.sweep.dry_run() {
            if let Some(err) = self.write_refusal() {
                job.answer(Reply::Failed(err));
                return;
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| self.step(&mut job.sweep)));
        match outcome {
            Ok(Ok(None)) => self.jobs.push_front(job),
            Ok(Ok(Some(answer))) => {
                if let Reply::Retention(report) = &answer {
                    log_retention(report);
                }
                match job.reply {
                    Some(reply) if !job.sweep.dry_run() => {
                        self.held_since.get_or_insert_with(Instant::now);
                        self.held.push((reply, answer));
                    }
                    _ => job.answer(answer),
                }
            }
            Ok(Err(err)) => {
                self.note_damage(&err);
                log::warn!("a sweep over the stored events failed: {err}");
                job.answer(Reply::Failed(err));
            }
            Err(_) => {
                log::error!("a sweep step panicked; it is abandoned and the batch rolled back");
                job.answer(Reply::Failed(DatastoreError::StorageUnavailable {
                    detail: "internal error while sweeping".to_string(),
                }));
                self.fail_batch("internal error while sweeping".to_string());
            }
        }
    }

    /// One step; the answer once the sweep is done.
    fn step(&mut self, sweep: &mut Sweep) -> Result<Option<Reply>> {
        if sweep.dry_run() {
            return sweep.step(&mut self.state);
        }
        let (answer, pending) = self.in_savepoint(|state| {
            let before = state.conn.total_changes();
            let answer = sweep.step(state)?;
            Ok((answer, state.conn.total_changes().saturating_sub(before)))
        })?;
        self.pending += usize::try_from(pending).unwrap_or(usize::MAX);
        Ok(answer)
    }

    /// After a rolled-back batch: sweeps that wrote into it start over.
    pub(super) fn restart_jobs(&mut self) {
        for job in &mut self.jobs {
            if !job.sweep.dry_run() {
                job.sweep.restart();
            }
        }
    }

    /// At shutdown: nobody waits forever for a sweep that will not finish.
    pub(super) fn abandon_jobs(&mut self) {
        for job in self.jobs.drain(..).collect::<Vec<_>>() {
            job.answer(Reply::Failed(DatastoreError::StorageUnavailable {
                detail: "the server is stopping; the sweep was not finished".to_string(),
            }));
        }
    }

    /// While the start-up check runs, or once the file is known to be damaged or
    /// gone, retention deletes nothing.
    fn integrity_in_doubt(&self) -> bool {
        self.maintenance
            .as_ref()
            .is_some_and(crate::maintenance::Maintenance::integrity_in_doubt)
    }
}

fn log_retention(report: &RetentionReport) {
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for (bucket_id, counts) in &report.buckets {
        log::info!("retention {verb} {} events of {bucket_id}", counts.removed);
    }
}
