# One identity per workload, each with only what its code calls. No primitive roles (owner/editor/viewer) anywhere;
# test/unit/deploy/terraform.test.ts enforces that.

resource "google_service_account" "validator" {
  project      = var.project_id
  account_id   = "egress-validator"
  display_name = "egress validator function"
  description  = "Reads manifests from the bucket, publishes egress-change and status events."
}

resource "google_service_account" "applier" {
  project      = var.project_id
  account_id   = "egress-applier"
  display_name = "egress applier function"
  description  = "The only writer of the egress firewall policy rules; publishes status events."
}

resource "google_service_account" "trigger" {
  project      = var.project_id
  account_id   = "egress-trigger"
  display_name = "egress Eventarc triggers"
  description  = "Identity Eventarc uses to invoke the two functions."
}

resource "google_service_account" "drift" {
  project      = var.project_id
  account_id   = "egress-drift"
  display_name = "egress drift job"
  description  = "Scheduled `egress drift --repair --report-status`: reads manifests and the policy, publishes replay and status events."
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "egress-scheduler"
  display_name = "egress drift scheduler"
  description  = "Cloud Scheduler identity that starts the drift job."
}

resource "google_service_account" "ci_pr" {
  count = var.enable_ci_triggers ? 1 : 0

  project      = var.project_id
  account_id   = "egress-ci-pr"
  display_name = "egress CI (pull requests)"
  description  = "Runs tests, validate and plan --live for pull requests. Cannot write the bucket: PR code is untrusted."
}

resource "google_service_account" "ci_main" {
  count = var.enable_ci_triggers ? 1 : 0

  project      = var.project_id
  account_id   = "egress-ci-main"
  display_name = "egress CI (main branch)"
  description  = "Validates and syncs merged manifests to the bucket."
}

# --- Custom roles on the host project ------------------------------------------------------------------------------
# The applier calls NetworkFirewallPoliciesClient get/getRule (compute.firewallPolicies.get), addRule/patchRule/
# removeRule (compute.firewallPolicies.update) and waits on the returned global operations (GlobalOperationsClient.wait/
# get: compute.globalOperations.get). Global network firewall policies use the compute.firewallPolicies.* permissions:
# there is no compute.networkFirewallPolicies.* permission (https://docs.cloud.google.com/firewall/docs/configure-batch-updates;
# docs/deploy.md). Nothing else: it cannot create, delete or re-associate policies, nor touch VPC firewall rules.
# Target mode subnets (docs/policy.md): the applier and the drift check list the host project's subnetworks
# (SubnetworksClient.aggregatedList: compute.subnetworks.list,
# https://cloud.google.com/compute/docs/reference/rest/v1/subnetworks/aggregatedList). Read only.

resource "google_project_iam_custom_role" "firewall_writer" {
  project     = var.host_project_id
  role_id     = "egressFirewallRuleWriter"
  title       = "egress firewall rule writer"
  description = "Read a network firewall policy and add/patch/remove its rules; wait on the global operations."
  permissions = [
    "compute.globalOperations.get",
    "compute.firewallPolicies.get",
    "compute.firewallPolicies.update",
    "compute.subnetworks.list",
  ]

  depends_on = [google_project_service.host]
}

resource "google_project_iam_custom_role" "firewall_reader" {
  project     = var.host_project_id
  role_id     = "egressFirewallRuleReader"
  title       = "egress firewall rule reader"
  description = "Read a network firewall policy and its rules (drift check, plan --live)."
  permissions = [
    "compute.firewallPolicies.get",
    "compute.subnetworks.list",
  ]

  depends_on = [google_project_service.host]
}

# Target mode secureTags (docs/policy.md): the applier resolves `{org}/{key}/{project}` to tagValues/N with
# tagValues.getNamespaced, which needs resourcemanager.tagValues.get on the values ("To view tag definitions ...
# resourcemanager.tagValues.get", https://cloud.google.com/vpc/docs/create-manage-tags-vpc-resources). Granted on the
# tag keys only (their values inherit), through an organization custom role holding that one permission. (Whether
# roles/resourcemanager.tagUser below already includes it is not confirmed: granted explicitly.)
resource "google_organization_iam_custom_role" "tag_value_reader" {
  count       = length(var.secure_tag_key_ids) == 0 ? 0 : 1
  org_id      = var.organization_id
  role_id     = "egressTagValueReader"
  title       = "egress tag value reader"
  description = "Resolve namespaced tag values to tagValues/N (target mode secureTags)."
  permissions = ["resourcemanager.tagValues.get"]
}

resource "google_tags_tag_key_iam_member" "applier_reads_tag_values" {
  for_each = toset(var.secure_tag_key_ids)

  tag_key = each.value
  role    = google_organization_iam_custom_role.tag_value_reader[0].id
  member  = google_service_account.applier.member
}

# The applier reads the manifest bucket's object metadata (objects.get): the first apply of a project with no rule
# anywhere happens only for the object's live generation (docs/applier.md, "Revocation"); doctor, which runs as the
# applier's account, lists the manifests' names with the same role.
resource "google_storage_bucket_iam_member" "applier_reads_manifests" {
  bucket = google_storage_bucket.manifests.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.applier.member
}

# --- Validator -----------------------------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "validator_reads_manifests" {
  bucket = google_storage_bucket.manifests.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.validator.member
}

resource "google_pubsub_topic_iam_member" "validator_publishes" {
  for_each = {
    changes = google_pubsub_topic.changes.id
    status  = google_pubsub_topic.status.id
  }

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = google_service_account.validator.member
}

# --- Applier -------------------------------------------------------------------------------------------------------

resource "google_project_iam_member" "applier_writes_firewall" {
  project = var.host_project_id
  role    = google_project_iam_custom_role.firewall_writer.id
  member  = google_service_account.applier.member
}

resource "google_pubsub_topic_iam_member" "applier_publishes_status" {
  project = var.project_id
  topic   = google_pubsub_topic.status.id
  role    = "roles/pubsub.publisher"
  member  = google_service_account.applier.member
}

# Only when the platform policy targets rules at secure tags: using a tag value in a rule needs tagUser on its key.
resource "google_tags_tag_key_iam_member" "applier_uses_tags" {
  for_each = toset(var.secure_tag_key_ids)

  tag_key = each.value
  role    = "roles/resourcemanager.tagUser"
  member  = google_service_account.applier.member
}

# --- Eventarc ------------------------------------------------------------------------------------------------------

# Storage triggers: the GCS service agent publishes the object notifications into Eventarc's transport topic.
resource "google_project_iam_member" "gcs_agent_publishes" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_project_iam_member" "trigger_receives_events" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.trigger.member
}

# Invoking a gen2 function is invoking its Cloud Run service (same name as the function).
resource "google_cloud_run_v2_service_iam_member" "trigger_invokes" {
  for_each = {
    validator = google_cloudfunctions2_function.validator.name
    applier   = google_cloudfunctions2_function.applier.name
  }

  project  = var.project_id
  location = var.region
  name     = each.value
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

# --- Drift job -----------------------------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "drift_reads_manifests" {
  bucket = google_storage_bucket.manifests.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.drift.member
}

resource "google_project_iam_member" "drift_reads_firewall" {
  project = var.host_project_id
  role    = google_project_iam_custom_role.firewall_reader.id
  member  = google_service_account.drift.member
}

# --repair replays events for drifted projects (egress-changes); --report-status reports to egress-status.
resource "google_pubsub_topic_iam_member" "drift_publishes" {
  for_each = {
    changes = google_pubsub_topic.changes.id
    status  = google_pubsub_topic.status.id
  }

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = google_service_account.drift.member
}

resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_drift" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.drift.name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

# --- CI ------------------------------------------------------------------------------------------------------------

resource "google_project_iam_member" "ci_logs" {
  for_each = var.enable_ci_triggers ? {
    pr   = google_service_account.ci_pr[0].member
    main = google_service_account.ci_main[0].member
  } : {}

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = each.value
}

resource "google_project_iam_member" "ci_reads_firewall" {
  for_each = var.enable_ci_triggers ? {
    pr   = google_service_account.ci_pr[0].member
    main = google_service_account.ci_main[0].member
  } : {}

  project = var.host_project_id
  role    = google_project_iam_custom_role.firewall_reader.id
  member  = each.value
}

resource "google_storage_bucket_iam_member" "ci_writes_artifacts" {
  for_each = var.enable_ci_triggers ? {
    pr   = google_service_account.ci_pr[0].member
    main = google_service_account.ci_main[0].member
  } : {}

  bucket = google_storage_bucket.ci_artifacts[0].name
  role   = "roles/storage.objectCreator"
  member = each.value
}

# Only merged code syncs: objectUser (create/overwrite/delete/list objects) for the main-branch identity alone.
resource "google_storage_bucket_iam_member" "ci_main_syncs_manifests" {
  count = var.enable_ci_triggers ? 1 : 0

  bucket = google_storage_bucket.manifests.name
  role   = "roles/storage.objectUser"
  member = google_service_account.ci_main[0].member
}

resource "google_secret_manager_secret_iam_member" "ci_pr_reads_comment_token" {
  count = var.enable_ci_triggers && var.pr_comment_secret_id != "" ? 1 : 0

  project   = var.project_id
  secret_id = var.pr_comment_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.ci_pr[0].member
}
