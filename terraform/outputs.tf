output "manifest_bucket" {
  description = "Bucket the merge step syncs manifests to (`egress sync manifests/ gs://BUCKET/PREFIX --delete`)."
  value       = google_storage_bucket.manifests.name
}

output "manifest_uri" {
  description = "gs:// URI of the manifest prefix."
  value       = "gs://${google_storage_bucket.manifests.name}/${var.manifest_prefix}"
}

output "topics" {
  description = "Pub/Sub topic IDs."
  value = {
    changes             = google_pubsub_topic.changes.id
    status              = google_pubsub_topic.status.id
    dead_letter         = google_pubsub_topic.dead_letter.id
    storage_dead_letter = google_pubsub_topic.storage_dead_letter.id
  }
}

output "subscriptions" {
  description = "Pull subscriptions for operators: status events, and dead letters (`egress replay --dead-letter SUBSCRIPTION`)."
  value = {
    status              = google_pubsub_subscription.status_operators.name
    dead_letter         = google_pubsub_subscription.dead_letter.name
    storage_dead_letter = google_pubsub_subscription.storage_dead_letter.name
  }
}

output "functions" {
  description = "The deployed functions."
  value = {
    validator = google_cloudfunctions2_function.validator.name
    applier   = google_cloudfunctions2_function.applier.name
  }
}

output "firewall_policy" {
  description = "The global network firewall policy (EGRESS_FIREWALL_POLICY) in the host project."
  value = {
    project = var.host_project_id
    name    = google_compute_network_firewall_policy.egress.name
    id      = google_compute_network_firewall_policy.egress.id
  }
}

output "service_accounts" {
  description = "Workload identities."
  value = {
    validator = google_service_account.validator.email
    applier   = google_service_account.applier.email
    trigger   = google_service_account.trigger.email
    drift     = google_service_account.drift.email
    scheduler = google_service_account.scheduler.email
    ci_pr     = one(google_service_account.ci_pr[*].email)
    ci_main   = one(google_service_account.ci_main[*].email)
  }
}

output "runtime_env" {
  description = "The EGRESS_* environment of the functions; export it to run the CLI against this deployment."
  value       = local.runtime_env
}

output "drift_job" {
  description = "Cloud Run job running `egress drift --repair --report-status` on drift_schedule."
  value       = google_cloud_run_v2_job.drift.name
}
