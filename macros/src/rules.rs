//! The rule behind each finding of the ordering checks: an ID every message
//! ends with, and the anchor of its entry (cause, fix, when to allow) on the
//! `#[kamal_app]` rustdoc page (`runtime/docs/diagnostics.md`).

/// One class of verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A layer the table knows, or `blocking(..)` declares, blocks the probe before the healthcheck.
    KnownBlocker,
    /// A layer whose name says it guards runs before the healthcheck.
    NamedGuard,
    /// A layer the macro cannot judge runs before the healthcheck.
    UnknownLayer,
    /// A blocking layer is there under a condition (`option_layer`, `if`, `Either`).
    ConditionalBlocker,
    /// A limit the probe shares with every request kamal-proxy forwards.
    SharedLimit,
    /// A route, fallback or merged router added after the healthcheck takes the probe.
    ProbeTakenPast,
    /// A healthcheck the probe never passes (`route_layer`, a nested router).
    HealthcheckMissed,
    /// A route of the user's at the health path.
    RouteAtHealthPath,
    /// A router returned without the healthcheck the function places elsewhere.
    ReturnedWithout,
}

impl Rule {
    #[cfg(test)]
    pub const ALL: [Rule; 9] = [
        Rule::KnownBlocker,
        Rule::NamedGuard,
        Rule::UnknownLayer,
        Rule::ConditionalBlocker,
        Rule::SharedLimit,
        Rule::ProbeTakenPast,
        Rule::HealthcheckMissed,
        Rule::RouteAtHealthPath,
        Rule::ReturnedWithout,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::KnownBlocker => "KA001",
            Rule::NamedGuard => "KA002",
            Rule::UnknownLayer => "KA003",
            Rule::ConditionalBlocker => "KA004",
            Rule::SharedLimit => "KA005",
            Rule::ProbeTakenPast => "KA006",
            Rule::HealthcheckMissed => "KA007",
            Rule::RouteAtHealthPath => "KA008",
            Rule::ReturnedWithout => "KA009",
        }
    }

    /// The last line of every message of this rule.
    pub fn reference(self) -> String {
        format!(
            "note: {id}, see https://docs.rs/axum-kamal/latest/axum_kamal/attr.kamal_app.html#{anchor}",
            id = self.id(),
            anchor = self.id().to_lowercase()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    /// Every rule has its entry, under a heading that is its ID (rustdoc
    /// makes the anchor from it), and the page lists no other.
    #[test]
    fn each_rule_is_documented() {
        let page = include_str!("../../runtime/docs/diagnostics.md");
        let headings: Vec<&str> = page
            .lines()
            .filter_map(|line| line.strip_prefix("### "))
            .collect();
        let ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
        assert_eq!(headings, ids, "runtime/docs/diagnostics.md headings");
    }
}
