//! The `application/health+json` details, in the layout of
//! draft-inadarei-api-health-check.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::HealthStatus as Status;
use super::cache::Report;

/// The details (section 3: `status`, `output`; section 4: `checks`, keyed
/// `{componentName}:{measurementName}`, each an array of component details).
/// `draining` and `starting` are `fail` with that word as the `output`, as is
/// a `stale` background result (`output` says how old); `optional` is an
/// additional key (section 4.10).
pub(super) fn details_json(status: Status, report: Option<&Report>, output: Option<&str>) -> Bytes {
    let mut by_key = serde_json::Map::new();
    if let Some(report) = report {
        add_checks(&mut by_key, report);
    }
    let mut json = serde_json::json!({
        "status": if status.is_ready() { status.as_str() } else { "fail" },
        "checks": by_key,
    });
    if let Some(output) = output {
        json["output"] = output.into();
    }
    Bytes::from(serde_json::to_vec(&json).expect("serializing a JSON value cannot fail"))
}

/// `report`'s checks as the draft's `checks` object (section 4).
fn add_checks(by_key: &mut serde_json::Map<String, serde_json::Value>, report: &Report) {
    let time = rfc3339(report.time);
    for c in &report.checks {
        let mut detail = serde_json::json!({
            "componentId": &*c.name,
            "componentType": "component",
            "observedValue": u64::try_from(c.duration.as_millis()).unwrap_or(u64::MAX),
            "observedUnit": "ms",
            "status": c.status.as_str(),
            "time": time,
            "optional": c.optional,
        });
        // Section 4.8: no `output` for a passing check.
        if let Some(error) = &c.error {
            detail["output"] = error.as_str().into();
        }
        let key = format!("{}:responseTime", c.name);
        match by_key
            .entry(key)
            .or_insert_with(|| serde_json::Value::Array(Vec::new()))
        {
            serde_json::Value::Array(details) => details.push(detail),
            _ => unreachable!("every key holds an array"),
        }
    }
}

/// `time` as an RFC 3339 UTC date-time with seconds (`2026-12-01T00:57:37Z`).
fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's
    // `civil_from_days`, for dates after the epoch).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rfc3339_dates() {
        let at = |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400`: the leap day of 2000.
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        // `date -u -d @1796086657`
        assert_eq!(at(1_796_086_657), "2026-12-01T00:57:37Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
