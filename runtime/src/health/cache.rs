//! The run cache: one run at a time shared by the probes that wait for it,
//! its report reused for `cache_ttl`, or refreshed in the background and
//! counted as failing once too old.

use std::pin::pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Either, Shared, select};
use tokio::time::Instant;

use super::events::log_check_change;
use super::run::{CheckResult, run_checks};
use super::state::HealthState;
use super::tolerance::Streak;
use super::{Check, HealthStatus as Status, StatusChange};

pub(super) type SharedRun = Shared<BoxFuture<'static, Arc<Report>>>;

/// A background result older than this many refresh periods (plus the check
/// timeout, the longest a run takes) counts as failing: the refresh stopped.
const STALE_PERIODS: u32 = 3;

#[derive(Default)]
pub(super) struct Slot {
    next_id: u64,
    /// The latest finished run.
    last: Option<Arc<Report>>,
    /// The run in progress, shared by the probes that wait for it.
    running: Option<(u64, SharedRun)>,
    /// Per check, in the order of `Health::checks`.
    streaks: Vec<Streak>,
    /// Whether the background refresh task is running.
    refreshing: bool,
}

#[derive(Debug)]
pub(super) struct Report {
    id: u64,
    pub(super) finished: Instant,
    /// Wall-clock time of `finished`, for the details.
    pub(super) time: SystemTime,
    pub(super) checks: Vec<Outcome>,
}

#[derive(Debug)]
pub(super) struct Outcome {
    pub(super) name: Arc<str>,
    pub(super) optional: bool,
    pub(super) duration: Duration,
    pub(super) error: Option<String>,
    /// No result came in time (see [`CheckResult::timed_out`]).
    pub(super) timed_out: bool,
    /// `Pass`, `Warn` (optional, or a tolerated failure) or `Fail`.
    pub(super) status: Status,
}

impl Report {
    pub(super) fn status(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max_by_key(|status| match status {
                Status::Pass => 0,
                Status::Warn => 1,
                _ => 2,
            })
            .unwrap_or(Status::Pass)
    }
}

/// What a probe gets from the cache.
pub(super) enum Cached {
    /// A report to answer from at once; `stale` if it is too old to trust.
    Ready { report: Arc<Report>, stale: bool },
    /// The run to wait for.
    Run(SharedRun),
}

impl HealthState {
    /// The report a probe answers from, or the run it waits for; starts the
    /// background refresh on the first probe.
    pub(super) fn cached(self: &Arc<Self>) -> Cached {
        let mut slot = self.lock();
        if let Some(period) = self.health.refresh {
            if !std::mem::replace(&mut slot.refreshing, true) {
                let task = RefreshTask {
                    state: Arc::downgrade(self),
                    running: None,
                };
                tokio::spawn(refresh(task, period));
            }
        }
        if let Some(report) = &slot.last {
            let age = Instant::now().saturating_duration_since(report.finished);
            match self.health.refresh {
                Some(period) => {
                    let max_age = period
                        .saturating_mul(STALE_PERIODS)
                        .saturating_add(self.health.timeout);
                    return Cached::Ready {
                        report: Arc::clone(report),
                        stale: age > max_age,
                    };
                }
                None if age < self.health.cache_ttl => {
                    return Cached::Ready {
                        report: Arc::clone(report),
                        stale: false,
                    };
                }
                None => {}
            }
        }
        Cached::Run(self.current_run(&mut slot).1)
    }

    /// The run in progress, or a new one, with its id.
    fn current_run(self: &Arc<Self>, slot: &mut Slot) -> (u64, SharedRun) {
        if let Some((id, run)) = &slot.running {
            return (*id, run.clone());
        }
        let id = slot.next_id;
        slot.next_id += 1;
        // The run holds no strong reference: it is stored in the slot.
        let state = Arc::downgrade(self);
        let checks = Arc::clone(&self.health.checks);
        let timeout = self.health.timeout;
        let run = async move {
            let results = run_checks(&checks, timeout).await;
            match state.upgrade() {
                Some(state) => state.record(id, results),
                // Nobody is left to answer: the report only ends the run.
                None => Arc::new(Report {
                    id,
                    finished: Instant::now(),
                    time: SystemTime::now(),
                    checks: Vec::new(),
                }),
            }
        }
        .boxed()
        .shared();
        slot.running = Some((id, run.clone()));
        (id, run)
    }

    /// Applies each check's tolerance to the results of run `id`, stores the
    /// report and reports the changes. Called once per run: by the run, or
    /// for a run cancelled mid-way.
    fn record(&self, id: u64, results: Vec<CheckResult>) -> Arc<Report> {
        let checks: &[Check] = &self.health.checks;
        let now = Instant::now();
        let mut changes = Vec::new();
        let (report, ended) = {
            let mut slot = self.lock();
            slot.streaks.resize_with(checks.len(), Streak::default);
            let outcomes = checks
                .iter()
                .zip(results)
                .zip(&mut slot.streaks)
                .map(|((check, result), streak)| {
                    let passed = result.error.is_none();
                    let verdict = streak.update(check.tolerance, check.optional, !passed, now);
                    let error = result.error.or(verdict.recovering);
                    if streak.status != Some(verdict.status) {
                        changes.push((
                            StatusChange {
                                check: Some(check.name.to_string()),
                                from: streak.status.replace(verdict.status),
                                to: verdict.status,
                                error: error.clone(),
                            },
                            result.duration,
                            check.optional,
                        ));
                    }
                    #[cfg(feature = "metrics")]
                    super::metrics::check_ran(&check.name, passed, result.duration);
                    Outcome {
                        name: Arc::clone(&check.name),
                        optional: check.optional,
                        duration: result.duration,
                        error,
                        timed_out: result.timed_out,
                        status: verdict.status,
                    }
                })
                .collect();
            let report = Arc::new(Report {
                id,
                finished: now,
                time: SystemTime::now(),
                checks: outcomes,
            });
            if slot.last.as_ref().is_none_or(|last| last.id < id) {
                slot.last = Some(Arc::clone(&report));
            }
            let ended = match &slot.running {
                Some((running, _)) if *running == id => slot.running.take(),
                _ => None,
            };
            (report, ended)
        };
        // A cancelled run is dropped here, outside the lock.
        drop(ended);
        for (change, duration, optional) in changes {
            log_check_change(&change, duration, optional);
            self.changed(&change);
        }
        // The readiness changes with the checks, probed or not.
        if self.gate().is_none() {
            self.observe(report.status());
        }
        report
    }

    /// Records run `id`, if still in progress, as failed by every check:
    /// its task was dropped before it finished.
    fn cancelled(&self, id: u64) {
        let in_progress = self
            .lock()
            .running
            .as_ref()
            .is_some_and(|(running, _)| *running == id);
        if in_progress {
            let results = self
                .health
                .checks
                .iter()
                .map(|_| CheckResult::cancelled())
                .collect();
            self.record(id, results);
        }
    }
}

/// Runs the checks every `period` until the drain starts or the state is
/// dropped. Holds the state only while starting a run. `task` is an
/// argument, not a local: it is dropped with the task even if the task never
/// ran.
async fn refresh(mut task: RefreshTask, period: Duration) {
    loop {
        let (id, run, shutdown) = {
            let Some(state) = task.state.upgrade() else {
                return;
            };
            if state.gate() == Some(Status::Draining) {
                return;
            }
            let (id, run) = state.current_run(&mut state.lock());
            (id, run, state.health.shutdown.clone())
        };
        task.running = Some(id);
        run.await;
        task.running = None;
        let sleep = pin!(tokio::time::sleep(period));
        if let Either::Right(_) = select(sleep, pin!(shutdown.triggered())).await {
            return;
        }
    }
}

/// The refresh task's end, however it comes: when its runtime shuts down,
/// the run it awaited counts as failing, and the next probe starts a new
/// refresh task (on the runtime that serves it).
struct RefreshTask {
    state: Weak<HealthState>,
    running: Option<u64>,
}

impl Drop for RefreshTask {
    fn drop(&mut self) {
        let Some(state) = self.state.upgrade() else {
            return;
        };
        state.lock().refreshing = false;
        if let Some(id) = self.running {
            state.cancelled(id);
        }
    }
}
