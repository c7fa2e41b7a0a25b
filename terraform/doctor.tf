# The doctor schedule (docs/deploy.md, "The drift schedule"; docs/doctor.md): a second Cloud Run job runs
#   egress doctor --live --report-status
# on the drift schedule and publishes each failed precondition as a `precondition-failed` status event on
# egress-status. It runs as the APPLIER's service account: `testIamPermissions` answers for the caller, so only then
# does the permissions check test the identity that writes the firewall. It writes nothing to the firewall.
#
# What doctor reads beyond the applier's writer role, granted to the applier's account (all read-only):
# - the network, its effective firewalls and its VPC firewall rules (networks.get, networks.getEffectiveFirewalls,
#   firewalls.list: the permissions compute.networks.get, compute.networks.getEffectiveFirewalls, compute.firewalls.list
#   are the standard names of these methods; ASSUMED, not confirmed from a stored Google page);
# - the Cloud DNS server policies (roles/dns.reader, https://cloud.google.com/dns/docs/access-control);
# - the project's quotas through the Cloud Quotas API (roles/cloudquotas.viewer; quotaInfos.list needs
#   cloudquotas.quotas.get, https://cloud.google.com/docs/quotas/reference/rest/v1/projects.locations.services.quotaInfos/list);
# - the manifests' names (objectViewer on the bucket, granted in iam.tf: the applier reads the bucket too).

resource "google_project_iam_custom_role" "network_reader" {
  project     = var.host_project_id
  role_id     = "egressNetworkReader"
  title       = "egress network reader"
  description = "Read the Shared VPC network, its effective firewalls and VPC firewall rules (egress doctor)."
  permissions = [
    "compute.firewalls.list",
    "compute.networks.get",
    "compute.networks.getEffectiveFirewalls",
  ]

  depends_on = [google_project_service.host]
}

resource "google_project_iam_member" "doctor_reads_network" {
  project = var.host_project_id
  role    = google_project_iam_custom_role.network_reader.id
  member  = google_service_account.applier.member
}

resource "google_project_iam_member" "doctor_reads_dns_policies" {
  project = var.host_project_id
  role    = "roles/dns.reader"
  member  = google_service_account.applier.member
}

resource "google_project_iam_member" "doctor_reads_quotas" {
  project = var.host_project_id
  role    = "roles/cloudquotas.viewer"
  member  = google_service_account.applier.member
}

resource "google_cloud_run_v2_job" "doctor" {
  project  = var.project_id
  location = var.region
  name     = "egress-doctor"
  labels   = var.labels

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.applier.email
      timeout         = "600s"
      max_retries     = 0

      containers {
        image   = var.drift_image
        command = ["node"]
        args    = ["bin/egress.js", "doctor", "--live", "--report-status"]

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

resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_doctor" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.doctor.name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

resource "google_cloud_scheduler_job" "doctor" {
  project          = var.project_id
  region           = var.region
  name             = "egress-doctor"
  description      = "Runs egress doctor (Cloud Run job egress-doctor): failed preconditions become status events."
  schedule         = var.drift_schedule
  time_zone        = var.drift_time_zone
  attempt_deadline = "60s"

  retry_config {
    retry_count = 1
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.doctor.id}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_runs_doctor]
}
