//! A check's tolerance: how many failures it may have before readiness
//! turns `503`, and how many passes it needs to count again.

use std::time::Duration;

use tokio::time::Instant;

use super::HealthStatus as Status;

/// When a required check's failures turn readiness to `503`, and how many
/// passes in a row bring it back: given with its check by
/// [`Health::check_with`](super::Health::check_with).
///
/// The default, [`Tolerance::NONE`], tolerates nothing and needs one pass,
/// because both orchestrators already debounce: Kubernetes marks a pod
/// unready only after `failureThreshold` (default 3) failed probes
/// `periodSeconds` (default 10 s) apart, and kamal-proxy acts on the probe
/// only until a new container first answers `2xx` (its
/// `Target::HealthCheckCompleted` ignores later failures), where a failure
/// should show at once.
///
/// A check that has **never passed** fails at once, whatever its tolerance:
/// a new instance whose database was never reachable is not ready.
///
/// ```
/// use std::time::Duration;
/// use axum_kamal::{Health, Tolerance};
///
/// let health = Health::new().check_with(
///     "db",
///     // Ready through up to 2 failures in a row, for less than 10 s;
///     // once failing, ready again after 3 passes in a row.
///     Tolerance::fail_after(3, Duration::from_secs(10)).recover_after(3),
///     || async { Ok::<(), String>(()) },
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tolerance {
    failures: u32,
    streak: Duration,
    passes: u32,
}

impl Tolerance {
    /// The first failure counts, the first pass recovers.
    pub const NONE: Tolerance = Tolerance {
        failures: 1,
        streak: Duration::ZERO,
        passes: 1,
    };

    /// Once the check has passed, its failures turn readiness to `503` only
    /// from the `failures`-th in a row, or once its failing streak (from its
    /// first failed run to the latest) has lasted `streak`, whichever comes
    /// first. Until then a tolerated failure answers `200` and shows as
    /// `warn` in the details; one pass ends the streak.
    ///
    /// Unlike Go's `alexliesenfeld/health` (`WithMaxContiguousFails` *and*
    /// `WithMaxTimeInError` must both be crossed), either limit is enough.
    ///
    /// # Panics
    ///
    /// If `failures` is 0.
    ///
    /// ```
    /// let tolerance = axum_kamal::Tolerance::fail_after(3, std::time::Duration::from_secs(10));
    /// ```
    pub fn fail_after(failures: u32, streak: Duration) -> Self {
        assert!(
            failures > 0,
            "axum-kamal: fail_after needs at least 1 failure"
        );
        Self {
            failures,
            streak,
            ..Self::NONE
        }
    }

    /// Once the check has failed (beyond its tolerance), it counts as
    /// passing again only after `passes` passes in a row, like Kubernetes'
    /// `successThreshold`; the runs in between fail with
    /// `recovering: n of m passes`. A flapping dependency then stays out of
    /// rotation instead of turning readiness on and off with every run.
    ///
    /// # Panics
    ///
    /// If `passes` is 0.
    ///
    /// ```
    /// let tolerance = axum_kamal::Tolerance::NONE.recover_after(2);
    /// ```
    pub fn recover_after(mut self, passes: u32) -> Self {
        assert!(
            passes > 0,
            "axum-kamal: recover_after needs at least 1 pass"
        );
        self.passes = passes;
        self
    }
}

impl Default for Tolerance {
    /// [`Tolerance::NONE`].
    fn default() -> Self {
        Self::NONE
    }
}

/// A check's history, for its tolerance and its change events.
#[derive(Default)]
pub(super) struct Streak {
    passed_once: bool,
    failures: u32,
    failing_since: Option<Instant>,
    /// Passes in a row since the check last failed beyond its tolerance, while
    /// it recovers (`None`: not recovering).
    recovering: Option<u32>,
    /// The status last reported, for change events.
    pub(super) status: Option<Status>,
}

/// A run's verdict under the check's tolerance.
pub(super) struct Verdict {
    pub(super) status: Status,
    /// Why a passing run still fails: it recovers.
    pub(super) recovering: Option<String>,
}

impl Streak {
    /// Counts one run and returns its status under `tolerance`.
    pub(super) fn update(
        &mut self,
        tolerance: Tolerance,
        optional: bool,
        failed: bool,
        now: Instant,
    ) -> Verdict {
        if !failed {
            self.failures = 0;
            self.failing_since = None;
            self.passed_once = true;
            let passes = self.recovering.map_or(u32::MAX, |n| n.saturating_add(1));
            if passes >= tolerance.passes {
                self.recovering = None;
                return Verdict::from(Status::Pass);
            }
            self.recovering = Some(passes);
            return Verdict {
                status: if optional { Status::Warn } else { Status::Fail },
                recovering: Some(format!(
                    "recovering: {passes} of {} passes",
                    tolerance.passes
                )),
            };
        }
        self.failures = self.failures.saturating_add(1);
        let since = *self.failing_since.get_or_insert(now);
        let tolerated = self.passed_once
            && self.recovering.is_none()
            && self.failures < tolerance.failures
            && now.saturating_duration_since(since) < tolerance.streak;
        if !tolerated {
            // From here, passes count towards the recovery.
            self.recovering = Some(0);
        }
        Verdict::from(if optional || tolerated {
            Status::Warn
        } else {
            Status::Fail
        })
    }
}

impl From<Status> for Verdict {
    fn from(status: Status) -> Self {
        Self {
            status,
            recovering: None,
        }
    }
}
