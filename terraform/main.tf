# Shared values. runtime_env is THE environment of both functions: exactly the options of shared/runtime/config.ts
# except EGRESS_COMPUTE_ENDPOINT, which only points the local pipeline at the fake Compute server, and
# EGRESS_MANIFEST_BUCKET, which only the drift job needs (the functions learn the bucket from each event).

data "google_project" "pipeline" {
  project_id = var.project_id
}

# The Shared VPC network (read, or managed when manage_network) and its DNS server policy: network.tf.

# The service agents that act on our behalf: GCS publishes storage notifications for the Eventarc triggers, Pub/Sub
# forwards undeliverable messages to the dead-letter topics.
data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

locals {
  pubsub_service_agent = "service-${data.google_project.pipeline.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  ci_artifacts_bucket = var.ci_artifacts_bucket_name != "" ? var.ci_artifacts_bucket_name : "${var.manifest_bucket_name}-ci"

  runtime_env = {
    EGRESS_PUBSUB_PROJECT  = var.project_id
    EGRESS_CHANGES_TOPIC   = google_pubsub_topic.changes.name
    EGRESS_STATUS_TOPIC    = google_pubsub_topic.status.name
    EGRESS_MANIFEST_PREFIX = var.manifest_prefix
    EGRESS_HOST_PROJECT    = var.host_project_id
    EGRESS_FIREWALL_POLICY = google_compute_network_firewall_policy.egress.name
    EGRESS_POLICY_FILE     = var.platform_policy_file
    EGRESS_WRITE_QUOTA     = var.compute_write_quota
  }

  # The drift job lists the bucket itself (the functions learn the bucket from each event), so it alone needs the name.
  drift_env = merge(local.runtime_env, {
    EGRESS_MANIFEST_BUCKET = google_storage_bucket.manifests.name
  })

  pipeline_services = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "eventarc.googleapis.com",
    "iam.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])

  host_services = toset([
    "compute.googleapis.com",
    "dns.googleapis.com",
  ])
}

resource "google_project_service" "pipeline" {
  for_each = local.pipeline_services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "google_project_service" "host" {
  for_each = local.host_services

  project            = var.host_project_id
  service            = each.value
  disable_on_destroy = false
}
