# The manifest bucket. Versioned so that an overwrite or delete leaves the previous generation readable (the
# validator downloads exactly the event's generation; operators can roll back), uniform access so IAM is the only
# access path, public access prevention enforced because manifests describe the network perimeter.

resource "google_storage_bucket" "manifests" {
  project  = var.project_id
  name     = var.manifest_bucket_name
  location = upper(var.region)
  labels   = var.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  # Bound the history: keep the newest N noncurrent versions of each manifest.
  lifecycle_rule {
    condition {
      with_state         = "ARCHIVED"
      num_newer_versions = var.manifest_noncurrent_versions
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.pipeline]
}

# CI artifacts (plan.md of each build). Short-lived: a plan is only meaningful next to its pull request.
resource "google_storage_bucket" "ci_artifacts" {
  count = var.enable_ci_triggers ? 1 : 0

  project  = var.project_id
  name     = local.ci_artifacts_bucket
  location = upper(var.region)
  labels   = var.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.pipeline]
}
