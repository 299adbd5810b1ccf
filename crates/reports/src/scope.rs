//! A report as one person may see it: narrowed to the records their role lets them read (a
//! rep's own, a manager's team's) and, for a viewer, with e-mails and phones masked. The API
//! and scheduled deliveries both go through here, so a report reaches nobody wider than their
//! role allows.

use crate::{Params, Report, ReportError};
use embudo_access::Caller;
use embudo_access::scope::{Over, narrow};
use embudo_metrics::custom::ReportSpec;
use embudo_store::Store;
use serde_json::Value;

/// Which of a metric's records `caller` may see: all, their own, their team's, or none.
pub fn metric_over(caller: &Caller, metric: &embudo_metrics::catalog::Metric) -> Over {
    let group = serde_json::to_value(metric.group)
        .ok()
        .and_then(|g| g.as_str().map(str::to_owned))
        .unwrap_or_default();
    let dimensions: Vec<&str> = metric.dimensions().iter().map(|d| d.name()).collect();
    caller.metric(&group, &dimensions)
}

/// Narrow `params` to the records `caller` may see: a rep's own, a manager's team's.
/// Asking for someone else's is refused rather than quietly replaced.
pub fn restrict(
    store: &Store,
    caller: &Caller,
    report: &str,
    params: &mut Params,
) -> Result<(), ReportError> {
    match caller.report(report) {
        Over::All => Ok(()),
        Over::Denied => Err(ReportError::Forbidden(format!(
            "a {} cannot open the {report} report",
            caller.role.as_str()
        ))),
        Over::Owner(name) => {
            narrow(store, "owner", &mut params.owner, name)?;
            if params.team.is_some() {
                return Err(ReportError::Forbidden(
                    "a rep's reports cover their own records".into(),
                ));
            }
            Ok(())
        }
        Over::Team(name) => Ok(narrow(store, "team", &mut params.team, name)?),
    }
}

/// Narrow a custom report's `spec` to the records `caller` may see: every metric must be one
/// they may query, and the filter that keeps them to their records is added (another value
/// is refused).
pub fn restrict_spec(
    store: &Store,
    caller: &Caller,
    spec: &mut ReportSpec,
) -> Result<(), ReportError> {
    let mut scopes = Vec::new();
    for name in &spec.metrics {
        let metric = embudo_metrics::catalog::find(name)
            .ok_or_else(|| ReportError::Invalid(format!("no metric '{name}'")))?;
        scopes.push(metric_over(caller, metric));
    }
    for scope in scopes {
        let (dimension, own) = match scope {
            Over::All => continue,
            Over::Denied => {
                return Err(ReportError::Forbidden(format!(
                    "a {} cannot query every metric of this report",
                    caller.role.as_str()
                )));
            }
            Over::Owner(own) => ("owner", own),
            Over::Team(own) => ("team", own),
        };
        let mut asked = spec.filters.remove(dimension);
        narrow(store, dimension, &mut asked, own)?;
        spec.filters
            .extend(asked.map(|value| (dimension.to_owned(), value)));
    }
    Ok(())
}

/// E-mails and phones in every section, masked for a viewer.
pub fn mask(report: &mut Report) {
    for section in &mut report.sections {
        let masked: Vec<usize> = section
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key.contains("email") || c.key.contains("phone"))
            .map(|(i, _)| i)
            .collect();
        for row in &mut section.rows {
            for &i in &masked {
                if let Some(Value::String(text)) = row.get_mut(i) {
                    *text = mask_text(text);
                }
            }
        }
    }
}

/// The first character and the domain of an e-mail, the last two digits of a phone.
fn mask_text(text: &str) -> String {
    match text.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => {
            let tail: String = text
                .chars()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("***{tail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_keep_only_a_hint() {
        assert_eq!(mask_text("ana.garcia@example.com"), "a***@example.com");
        assert_eq!(mask_text("+34 600 123 456"), "***56");
    }
}
