# Cloud Build triggers for the manifests repository; both run cloudbuild.yaml and differ by _FLOW:
#   pr   - pull requests against ci_branch: npm ci, npm test, egress validate, egress plan --live (plan.md artifact,
#          optionally posted as a PR comment). Runs as egress-ci-pr, which cannot write the bucket: PR code is
#          untrusted until merged, and external contributors need a maintainer's /gcbrun comment.
#   main - pushes to ci_branch: egress validate, egress plan --live (audit artifact), egress sync --delete.

locals {
  ci_substitutions = {
    _BUCKET            = google_storage_bucket.manifests.name
    _PREFIX            = var.manifest_prefix
    _PUBSUB_PROJECT    = var.project_id
    _HOST_PROJECT      = var.host_project_id
    _FIREWALL_POLICY   = google_compute_network_firewall_policy.egress.name
    _POLICY_FILE       = var.platform_policy_file
    _ARTIFACTS_BUCKET  = local.ci_artifacts_bucket
    _PR_COMMENT_SECRET = var.pr_comment_secret_id
  }
}

resource "google_cloudbuild_trigger" "pull_request" {
  count = var.enable_ci_triggers ? 1 : 0

  project         = var.project_id
  location        = "global"
  name            = "egress-manifests-pr"
  description     = "Test, validate and plan egress manifests of a pull request."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.ci_pr[0].id

  github {
    owner = var.ci_repo_owner
    name  = var.ci_repo_name

    pull_request {
      branch          = "^${var.ci_branch}$"
      comment_control = "COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY"
    }
  }

  substitutions = merge(local.ci_substitutions, { _FLOW = "pr" })

  lifecycle {
    precondition {
      condition     = var.ci_repo_owner != "" && var.ci_repo_name != ""
      error_message = "Set ci_repo_owner and ci_repo_name (the GitHub repository connected to Cloud Build), or enable_ci_triggers = false."
    }
  }

  depends_on = [google_project_service.pipeline]
}

resource "google_cloudbuild_trigger" "main" {
  count = var.enable_ci_triggers ? 1 : 0

  project         = var.project_id
  location        = "global"
  name            = "egress-manifests-main"
  description     = "Validate and sync merged egress manifests to the bucket."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.ci_main[0].id

  github {
    owner = var.ci_repo_owner
    name  = var.ci_repo_name

    push {
      branch = "^${var.ci_branch}$"
    }
  }

  substitutions = merge(local.ci_substitutions, { _FLOW = "main" })

  lifecycle {
    precondition {
      condition     = var.ci_repo_owner != "" && var.ci_repo_name != ""
      error_message = "Set ci_repo_owner and ci_repo_name (the GitHub repository connected to Cloud Build), or enable_ci_triggers = false."
    }
  }

  depends_on = [google_project_service.pipeline]
}
