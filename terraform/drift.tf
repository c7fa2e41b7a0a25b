# The drift schedule (decided by the lead): Cloud Scheduler starts a Cloud Run job that runs
#   egress drift --repair --report-status
# from an image built from this repository. The job compares the live owned rules with the bucket's manifests,
# publishes replay events (reason `replay`) on egress-changes for drifted projects only (the applier then repairs
# them, exactly like any other event) and reports the outcome on egress-status. It never writes the firewall itself
# and stays silent when nothing drifted.

resource "google_cloud_run_v2_job" "drift" {
  project  = var.project_id
  location = var.region
  name     = "egress-drift"
  labels   = var.labels

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.drift.email
      timeout         = "900s"
      # A failed run is simply retried by the next schedule; retrying at once only doubles the reads.
      max_retries = 0

      containers {
        image   = var.drift_image
        command = ["node"]
        args    = ["bin/egress.js", "drift", "--repair", "--report-status"]

        dynamic "env" {
          for_each = local.drift_env
          content {
            name  = env.key
            value = env.value
          }
        }

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }
      }
    }
  }

  depends_on = [google_project_service.pipeline]
}

resource "google_cloud_scheduler_job" "drift" {
  project          = var.project_id
  region           = var.region
  name             = "egress-drift"
  description      = "Runs the egress drift check (Cloud Run job egress-drift)."
  schedule         = var.drift_schedule
  time_zone        = var.drift_time_zone
  attempt_deadline = "60s"

  retry_config {
    retry_count = 1
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.drift.id}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_runs_drift]
}
