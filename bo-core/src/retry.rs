//! Retries of trials failed for missed heartbeats (see `StudyBuilder::retry_failed_trials`).

use crate::error::Result;
use crate::heartbeat::HeartbeatConfig;
use crate::storage::{FIXED_PARAMS_ATTR, FixedParams, RETRIED_FROM_ATTR, RETRY_ATTR, Storage};
use crate::trial_record::StudyId;

/// Fails the study's trials whose heartbeats stopped and re-enqueues them if `config` says so.
pub(crate) fn fail_stale_trials(storage: &dyn Storage, study: StudyId, config: &HeartbeatConfig) -> Result<()> {
    for t in storage.fail_stale_trials(study, config.grace)? {
        let reason = t.fail_reason.as_deref().unwrap_or_default();
        tracing::warn!(trial = t.number, %reason, "failed a trial whose worker stopped sending heartbeats");
        let retry = t.system_attrs.get(RETRY_ATTR).and_then(serde_json::Value::as_u64).unwrap_or(0);
        if config.max_retries == 0 {
            continue;
        }
        if retry >= u64::from(config.max_retries) {
            tracing::warn!(trial = t.number, retries = retry, "not retried again: retry_failed_trials limit reached");
            continue;
        }
        let original = t.system_attrs.get(RETRIED_FROM_ATTR).and_then(serde_json::Value::as_u64).unwrap_or(t.number);
        // The enqueued values the trial had (if any), and every value it had suggested.
        let mut fixed: FixedParams = match t.system_attrs.get(FIXED_PARAMS_ATTR) {
            Some(serde_json::Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => FixedParams::new(),
        };
        fixed.extend(t.params.iter().map(|(k, v)| (k.clone(), v.to_json())));
        let attrs = [
            (RETRIED_FROM_ATTR.to_string(), serde_json::Value::from(original)),
            (RETRY_ATTR.to_string(), serde_json::Value::from(retry + 1)),
        ]
        .into_iter()
        .collect();
        let again = storage.enqueue_trial_with_attrs(study, &fixed, &attrs)?;
        tracing::info!(trial = t.number, retry = retry + 1, new_trial = again.number, "re-enqueued a failed trial");
    }
    Ok(())
}
