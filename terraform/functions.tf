# The two gen2 functions on Node.js 24 (`nodejs24`; docs/deploy.md cites Google's runtime table). Each deploys its
# own directory built by `npm run package` (build/functions/<name>/: the esbuild bundle with source map, package.json,
# package-lock.json and the one dependency it cannot bundle, the Functions Framework); Terraform zips it and uploads
# it under a content-addressed name, so a new bundle redeploys that function only.
#
# Triggers:
# - validator: storage object finalized, deleted and archived on the manifest bucket. The bucket is versioned, so
#   overwriting or deleting the live object makes it noncurrent, which GCS reports as `archived` (not `deleted`);
#   `deleted` arrives when a noncurrent version is removed. The validator treats both as "maybe revoke" and revokes
#   only if no live generation exists. A gen2 function carries a single event_trigger, so the other two event types
#   are standalone Eventarc triggers pointing at the function's Cloud Run service.
# - applier: messages published to the egress-change topic.
# Retries are on (RETRY_POLICY_RETRY): the functions throw only for transient failures; bad input is acknowledged.

locals {
  # The bundle is built already: the platform build installs the package's dependencies (running none of their
  # install scripts) and runs one script of ours, `gcp-build`, which records the bundle's V8 code cache on the
  # runtime's own Node (scripts/package/codeCache.ts; it never fails the build).
  function_build_env = {
    GOOGLE_NODE_RUN_SCRIPTS   = "gcp-build"
    NPM_CONFIG_IGNORE_SCRIPTS = "true"
  }

  packaged_functions = toset(["validator", "applier"])

  validator_extra_events = [
    "google.cloud.storage.object.v1.deleted",
    "google.cloud.storage.object.v1.archived",
  ]
}

data "archive_file" "function" {
  for_each    = local.packaged_functions
  type        = "zip"
  source_dir  = "${path.module}/../build/functions/${each.key}"
  output_path = "${path.module}/.build/egress-${each.key}.zip"
}

resource "google_storage_bucket_object" "function_source" {
  for_each = data.archive_file.function
  bucket   = var.function_source_bucket
  name     = "egress-${each.key}-${each.value.output_md5}.zip"
  source   = each.value.output_path
}

resource "google_cloudfunctions2_function" "validator" {
  project     = var.project_id
  location    = var.region
  name        = "egress-validator"
  description = "Validates uploaded Project manifests and publishes egress-change events."
  labels      = var.labels

  build_config {
    runtime               = "nodejs24"
    entry_point           = "egressValidator"
    environment_variables = local.function_build_env
    service_account       = var.build_service_account

    source {
      storage_source {
        bucket = google_storage_bucket_object.function_source["validator"].bucket
        object = google_storage_bucket_object.function_source["validator"].name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.validator.email
    environment_variables            = local.runtime_env
    available_memory                 = "512Mi"
    timeout_seconds                  = 60
    max_instance_count               = var.validator_max_instances
    max_instance_request_concurrency = 1
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.trigger.email

    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.manifests.name
    }
  }

  depends_on = [
    google_project_service.pipeline,
    google_project_iam_member.gcs_agent_publishes,
    google_project_iam_member.trigger_receives_events,
  ]
}

resource "google_eventarc_trigger" "validator_extra" {
  for_each = toset(local.validator_extra_events)

  project         = var.project_id
  location        = var.region
  name            = "egress-validator-${element(split(".", each.value), 5)}"
  service_account = google_service_account.trigger.email
  labels          = var.labels

  matching_criteria {
    attribute = "type"
    value     = each.value
  }

  matching_criteria {
    attribute = "bucket"
    value     = google_storage_bucket.manifests.name
  }

  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.validator.name
      region  = var.region
    }
  }

  depends_on = [
    google_project_iam_member.gcs_agent_publishes,
    google_project_iam_member.trigger_receives_events,
    google_cloud_run_v2_service_iam_member.trigger_invokes,
  ]
}

resource "google_cloudfunctions2_function" "applier" {
  project     = var.project_id
  location    = var.region
  name        = "egress-applier"
  description = "Reconciles the owned egress rules of the Shared VPC firewall policy from egress-change events."
  labels      = var.labels

  build_config {
    runtime               = "nodejs24"
    entry_point           = "egressApplier"
    environment_variables = local.function_build_env
    service_account       = var.build_service_account

    source {
      storage_source {
        bucket = google_storage_bucket_object.function_source["applier"].bucket
        object = google_storage_bucket_object.function_source["applier"].name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.applier.email
    environment_variables = local.runtime_env
    available_memory      = "512Mi"
    # A full plan waits on Compute global operations: give it the event-function maximum.
    timeout_seconds                  = 540
    max_instance_count               = var.applier_max_instances
    max_instance_request_concurrency = 1
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.changes.id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.trigger.email
  }

  depends_on = [
    google_project_service.pipeline,
    google_project_iam_member.applier_writes_firewall,
  ]
}

# --- Dead letters on the Eventarc-managed subscriptions -------------------------------------------------------------
# Eventarc creates (and owns) the Pub/Sub subscription behind every trigger; neither google_cloudfunctions2_function
# nor google_eventarc_trigger exposes its dead-letter policy (hashicorp/terraform-provider-google#25069), and
# importing a subscription Eventarc owns would make two controllers fight. So after each trigger exists, gcloud
# looks up its transport subscription and sets the dead-letter topic, the delivery-attempt bound and the retry
# backoff, and lets the Pub/Sub service agent acknowledge on it (its publisher role on the dead-letter topics is in
# pubsub.tf). Re-runs whenever a trigger is re-created, since Eventarc then makes a new subscription.

locals {
  dead_letter_wiring = {
    validator-finalized = {
      trigger = google_cloudfunctions2_function.validator.event_trigger[0].trigger
      topic   = google_pubsub_topic.storage_dead_letter.id
    }
    validator-deleted = {
      trigger = google_eventarc_trigger.validator_extra["google.cloud.storage.object.v1.deleted"].id
      topic   = google_pubsub_topic.storage_dead_letter.id
    }
    validator-archived = {
      trigger = google_eventarc_trigger.validator_extra["google.cloud.storage.object.v1.archived"].id
      topic   = google_pubsub_topic.storage_dead_letter.id
    }
    applier = {
      trigger = google_cloudfunctions2_function.applier.event_trigger[0].trigger
      topic   = google_pubsub_topic.dead_letter.id
    }
  }
}

resource "terraform_data" "dead_letter" {
  for_each = var.configure_dead_letter_with_gcloud ? local.dead_letter_wiring : {}

  triggers_replace = [each.value.trigger, each.value.topic, var.max_delivery_attempts]

  provisioner "local-exec" {
    interpreter = ["/usr/bin/env", "bash", "-c"]
    environment = {
      PROJECT      = var.project_id
      LOCATION     = var.region
      TRIGGER      = element(reverse(split("/", each.value.trigger)), 0)
      DEAD_LETTER  = each.value.topic
      MAX_ATTEMPTS = tostring(var.max_delivery_attempts)
      AGENT        = local.pubsub_service_agent
    }
    command = <<-EOT
      set -euo pipefail
      sub="$(gcloud eventarc triggers describe "$TRIGGER" --project "$PROJECT" --location "$LOCATION" \
        --format='value(transport.pubsub.subscription)')"
      if [ -z "$sub" ]; then
        echo "egress: Eventarc trigger $TRIGGER has no transport subscription yet; re-run terraform apply" >&2
        exit 1
      fi
      gcloud pubsub subscriptions add-iam-policy-binding "$sub" --project "$PROJECT" \
        --member "serviceAccount:$AGENT" --role roles/pubsub.subscriber --quiet >/dev/null
      gcloud pubsub subscriptions update "$sub" --project "$PROJECT" \
        --dead-letter-topic "$DEAD_LETTER" --max-delivery-attempts "$MAX_ATTEMPTS" \
        --min-retry-delay 10s --max-retry-delay 600s --quiet
      echo "egress: $sub -> dead letters to $DEAD_LETTER after $MAX_ATTEMPTS attempts"
    EOT
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_agent]
}
