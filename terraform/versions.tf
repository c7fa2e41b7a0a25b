# Provider pins. The google provider ~> 6 is the one whose schemas this configuration was written against
# (google_cloudfunctions2_function, google_network_firewall_policy_rule with match blocks, Cloud Run v2 jobs).
# terraform_data (used to wire dead-letter policies onto Eventarc-managed subscriptions) needs Terraform >= 1.4.
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    # archive_file zips the packaged function directories (build/functions/<name>/).
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
