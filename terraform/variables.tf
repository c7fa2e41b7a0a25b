# Inputs of the deployment. Every name that the code also knows (topic names, manifest prefix) defaults to the value
# in shared/runtime/config.ts OPTIONS; test/unit/deploy/terraform.test.ts fails when they drift apart.

# --- Where things live -------------------------------------------------------------------------------------------

variable "project_id" {
  description = "Project that runs the pipeline: manifest bucket, Pub/Sub topics, both functions, the drift job, Cloud Build. May equal host_project_id."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID (6-30 chars, lowercase letters, digits, hyphens), e.g. \"acme-egress-prod\"."
  }
}

variable "host_project_id" {
  description = "Shared VPC host project that owns the network and the global network firewall policy the applier writes to."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.host_project_id))
    error_message = "host_project_id must be a Google Cloud project ID, e.g. \"acme-net-host\"."
  }
}

variable "network" {
  description = "Name of the Shared VPC network in host_project_id that the firewall policy is associated with."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.network))
    error_message = "network must be a VPC network name (RFC 1035, at most 63 chars), not a self link, e.g. \"shared-vpc\"."
  }
}

variable "region" {
  description = "Region of the bucket, the functions, their Eventarc triggers and the drift job. Storage triggers require the bucket and trigger in the same location."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as \"europe-west1\" (multi-regions like \"EU\" cannot host gen2 functions)."
  }
}

variable "labels" {
  description = "Labels put on every labelable resource."
  type        = map(string)
  default     = { app = "infrastream-egress" }
}

# --- Manifests ---------------------------------------------------------------------------------------------------

variable "manifest_bucket_name" {
  description = "Globally unique name of the bucket that holds the Project manifests (written by `egress sync` on merge)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.manifest_bucket_name)) && !can(regex("^goog", var.manifest_bucket_name))
    error_message = "manifest_bucket_name must be 3-63 chars of lowercase letters, digits, '-', '_' or '.', and must not start with \"goog\"."
  }
}

variable "manifest_prefix" {
  description = "Object-name prefix of the manifests in the bucket (EGRESS_MANIFEST_PREFIX). Same default as the code."
  type        = string
  default     = "manifests/"

  validation {
    condition     = var.manifest_prefix == "" || (endswith(var.manifest_prefix, "/") && !startswith(var.manifest_prefix, "/"))
    error_message = "manifest_prefix must be empty or a folder-like prefix ending in '/' without a leading '/', e.g. \"manifests/\"."
  }
}

variable "manifest_noncurrent_versions" {
  description = "How many noncurrent (overwritten or deleted) versions of each manifest the bucket keeps for audit and rollback."
  type        = number
  default     = 20

  validation {
    condition     = var.manifest_noncurrent_versions >= 1 && var.manifest_noncurrent_versions <= 1000
    error_message = "manifest_noncurrent_versions must be between 1 and 1000."
  }
}

variable "platform_policy_file" {
  description = "Path (inside the deployed package) of the platform policy override file (EGRESS_POLICY_FILE); empty means the documented defaults."
  type        = string
  default     = ""

  validation {
    condition     = var.platform_policy_file == "" || !startswith(var.platform_policy_file, "/")
    error_message = "platform_policy_file must be relative to the package root (e.g. \"policy/platform.yaml\"), or empty."
  }
}

# --- Pub/Sub -----------------------------------------------------------------------------------------------------

variable "changes_topic" {
  description = "Egress-change topic (EGRESS_CHANGES_TOPIC). Keep the code's default unless two deployments share a project."
  type        = string
  default     = "egress-changes"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-_.~+%]{2,254}$", var.changes_topic)) && !startswith(var.changes_topic, "goog")
    error_message = "changes_topic must be a Pub/Sub topic ID: 3-255 chars, starting with a letter, not starting with \"goog\"."
  }
}

variable "status_topic" {
  description = "Status topic (EGRESS_STATUS_TOPIC): rejected / applied / apply-failed outcomes for operators."
  type        = string
  default     = "egress-status"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-_.~+%]{2,254}$", var.status_topic)) && !startswith(var.status_topic, "goog")
    error_message = "status_topic must be a Pub/Sub topic ID: 3-255 chars, starting with a letter, not starting with \"goog\"."
  }
}

variable "dead_letter_topic" {
  description = "Dead-letter topic for egress-change events the applier could not process (re-driven by `egress replay --dead-letter`)."
  type        = string
  default     = "egress-dead-letter"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-_.~+%]{2,254}$", var.dead_letter_topic)) && !startswith(var.dead_letter_topic, "goog")
    error_message = "dead_letter_topic must be a Pub/Sub topic ID: 3-255 chars, starting with a letter, not starting with \"goog\"."
  }
}

variable "storage_dead_letter_topic" {
  description = "Dead-letter topic for storage events the validator could not process. Separate from dead_letter_topic because these are not egress-change events; recover them with `egress replay`."
  type        = string
  default     = "egress-storage-dead-letter"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-_.~+%]{2,254}$", var.storage_dead_letter_topic)) && !startswith(var.storage_dead_letter_topic, "goog")
    error_message = "storage_dead_letter_topic must be a Pub/Sub topic ID: 3-255 chars, starting with a letter, not starting with \"goog\"."
  }
}

variable "changes_retention" {
  description = "Message retention of the egress-change topic, so subscriptions can seek back in time after an incident."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.changes_retention)) && try(tonumber(trimsuffix(var.changes_retention, "s")) >= 600 && tonumber(trimsuffix(var.changes_retention, "s")) <= 2678400, false)
    error_message = "changes_retention must be a duration in seconds between \"600s\" and \"2678400s\" (31 days), e.g. \"604800s\"."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one event before Pub/Sub moves it to the dead-letter topic."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (the Pub/Sub dead-letter policy limits)."
  }
}

variable "configure_dead_letter_with_gcloud" {
  description = "Attach the dead-letter policy to the Eventarc-managed trigger subscriptions with gcloud (local-exec). The provider cannot: see docs/deploy.md. Needs gcloud where Terraform runs."
  type        = bool
  default     = true
}

# --- Functions ---------------------------------------------------------------------------------------------------

variable "function_source_bucket" {
  description = "Bucket Terraform uploads the function archives to (zips of build/functions/<name>/ from `npm run package`; see docs/deploy.md)."
  type        = string
}

variable "validator_max_instances" {
  description = "Upper bound of validator instances (cheap, no Compute calls)."
  type        = number
  default     = 10

  validation {
    condition     = var.validator_max_instances >= 1 && var.validator_max_instances <= 100
    error_message = "validator_max_instances must be between 1 and 100."
  }
}

variable "applier_max_instances" {
  description = "Upper bound of applier instances: small, because every instance shares the host project's Compute write quota."
  type        = number
  default     = 3

  validation {
    condition     = var.applier_max_instances >= 1 && var.applier_max_instances <= 20
    error_message = "applier_max_instances must be between 1 and 20; more only burns Compute write quota."
  }
}

variable "build_service_account" {
  description = "Optional service account (full resource name) the function builds run as; null keeps the platform default."
  type        = string
  default     = null
}

variable "compute_write_quota" {
  description = "Compute write quota of the host project in mutations per minute (EGRESS_WRITE_QUOTA); replays and drift repairs pace to it."
  type        = number
  default     = 1500

  validation {
    condition     = var.compute_write_quota >= 1 && floor(var.compute_write_quota) == var.compute_write_quota
    error_message = "compute_write_quota must be a positive whole number of mutations per minute, e.g. 1500."
  }
}

# --- Firewall baseline -------------------------------------------------------------------------------------------

variable "firewall_policy_name" {
  description = "Name of the global network firewall policy (EGRESS_FIREWALL_POLICY) created in host_project_id."
  type        = string
  default     = "egress-zero-trust"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.firewall_policy_name))
    error_message = "firewall_policy_name must be an RFC 1035 name of at most 63 chars, e.g. \"egress-zero-trust\"."
  }
}

variable "product_priority_min" {
  description = "First priority of the band the applier owns (platform policy firewall.priorityMin). Only used to check the baseline sits below the band."
  type        = number
  default     = 1000
}

variable "product_priority_max" {
  description = "Last priority of the band the applier owns (platform policy firewall.priorityMax). The baseline rules must use larger numbers."
  type        = number
  default     = 2000000000
}

variable "baseline_priority" {
  description = "Priority of the first baseline rule; the baseline uses baseline_priority .. baseline_priority+11 and the deny-all rules are the last two."
  type        = number
  default     = 2147483000

  validation {
    # 2147483547 is the largest priority a user rule may have; the predefined goto_next rules sit above it.
    condition     = var.baseline_priority >= 0 && var.baseline_priority + 11 <= 2147483547
    error_message = "baseline_priority must leave room for 12 rules at or below 2147483547 (the lowest user priority); use e.g. 2147483000."
  }
}

variable "enable_ipv6" {
  description = "Also create the IPv6 baseline rules (deny ::/0, Private Google Access allow) and the AAAA record."
  type        = bool
  default     = true
}

variable "internal_ranges_v4" {
  description = "Destinations inside the VPC (and on-premises) that the baseline passes on (goto_next) instead of denying: manifests cannot list them, so they must not fall into the deny-all. Under BEFORE_CLASSIC_FIREWALL the VPC firewall rules decide them next; under AFTER_CLASSIC_FIREWALL those rules were already evaluated and the implied egress allow lets them out (network.tf)."
  type        = list(string)
  default     = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]

  validation {
    condition     = length(var.internal_ranges_v4) > 0 && alltrue([for r in var.internal_ranges_v4 : can(cidrhost(r, 0)) && !strcontains(r, ":")])
    error_message = "internal_ranges_v4 must be a non-empty list of IPv4 CIDR ranges such as \"10.0.0.0/8\"."
  }
}

variable "internal_ranges_v6" {
  description = "IPv6 destinations inside the VPC passed on (goto_next) like internal_ranges_v4: to the VPC firewall rules under BEFORE_CLASSIC_FIREWALL, to the implied egress allow under AFTER_CLASSIC_FIREWALL."
  type        = list(string)
  default     = ["fc00::/7"]

  validation {
    condition     = length(var.internal_ranges_v6) > 0 && alltrue([for r in var.internal_ranges_v6 : can(cidrhost(r, 0)) && strcontains(r, ":")])
    error_message = "internal_ranges_v6 must be a non-empty list of IPv6 CIDR ranges such as \"fc00::/7\"."
  }
}

variable "create_pga_routes" {
  description = "Create routes for the private.googleapis.com ranges via the default internet gateway (needed when the network has no 0.0.0.0/0 route)."
  type        = bool
  default     = true
}

# --- Network preconditions (network.tf; docs/deploy.md "Preconditions") ------------------------------------------

variable "manage_network" {
  description = "Whether terraform manages the Shared VPC network itself, to set its firewall policy enforcement order. Import the existing network first (docs/deploy.md); terraform then changes only the enforcement order and never deletes the network. false: the network is only read, and the enforcement order is a precondition."
  type        = bool
  default     = false
}

variable "network_firewall_policy_enforcement_order" {
  description = "With manage_network: the network's networkFirewallPolicyEnforcementOrder. BEFORE_CLASSIC_FIREWALL (what the product assumes): the network firewall policies, with the baseline, decide before the VPC firewall rules. AFTER_CLASSIC_FIREWALL (Google's default): every VPC firewall rule decides first, so a VPC egress allow bypasses the baseline."
  type        = string
  default     = "BEFORE_CLASSIC_FIREWALL"

  validation {
    condition     = contains(["BEFORE_CLASSIC_FIREWALL", "AFTER_CLASSIC_FIREWALL"], var.network_firewall_policy_enforcement_order)
    error_message = "network_firewall_policy_enforcement_order must be \"BEFORE_CLASSIC_FIREWALL\" or \"AFTER_CLASSIC_FIREWALL\"."
  }
}

variable "create_dns_server_policy" {
  description = "Create a Cloud DNS server policy on the Shared VPC with query logging and no alternative name servers (the DNS evidence `egress denials` reads). A network has at most one server policy: set false when it already has one, and make that one log without alternative name servers."
  type        = bool
  default     = true
}

variable "dns_server_policy_name" {
  description = "Name of the DNS server policy create_dns_server_policy creates."
  type        = string
  default     = "egress-dns-logging"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.dns_server_policy_name))
    error_message = "dns_server_policy_name must be an RFC 1035 name (lowercase letters, digits, hyphens; at most 63 chars), e.g. \"egress-dns-logging\"."
  }
}

variable "secure_tag_key_ids" {
  description = "Secure tag keys (tagKeys/123...) the applier may use as rule targets when the platform policy maps projects to secure tags; empty for the service-account mapping."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.secure_tag_key_ids : can(regex("^tagKeys/[0-9]+$", k))])
    error_message = "secure_tag_key_ids entries must look like \"tagKeys/281484271805522\"."
  }
}

# --- Drift schedule ----------------------------------------------------------------------------------------------

variable "drift_image" {
  description = "Container image built from this repository (Node 24) that the drift Cloud Run job runs; pin it by digest or an exact tag."
  type        = string

  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.drift_image)) || (can(regex(":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.drift_image)) && !endswith(var.drift_image, ":latest"))
    error_message = "drift_image must be pinned: \"REGION-docker.pkg.dev/PROJECT/REPO/egress@sha256:<digest>\" or an exact tag such as \":3f2a9c1\" (not \":latest\")."
  }
}

variable "drift_schedule" {
  description = "Cron schedule (Cloud Scheduler syntax) of `egress drift --repair --report-status`. It writes nothing when nothing drifted."
  type        = string
  default     = "*/15 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.drift_schedule))) == 5
    error_message = "drift_schedule must be a five-field cron expression, e.g. \"*/15 * * * *\"."
  }
}

variable "drift_time_zone" {
  description = "Time zone of drift_schedule."
  type        = string
  default     = "Etc/UTC"
}

# --- CI (Cloud Build) --------------------------------------------------------------------------------------------

variable "enable_ci_triggers" {
  description = "Create the Cloud Build triggers (pull request and push to the main branch) for this repository."
  type        = bool
  default     = true
}

variable "ci_repo_owner" {
  description = "GitHub owner (user or organization) of this repository (code and manifests/), connected to Cloud Build."
  type        = string
  default     = ""
}

variable "ci_repo_name" {
  description = "GitHub name of this repository (code and manifests/)."
  type        = string
  default     = ""
}

variable "ci_branch" {
  description = "Main branch: pull requests against it run the PR flow, pushes to it run the sync flow."
  type        = string
  default     = "main"

  validation {
    condition     = length(var.ci_branch) > 0 && !can(regex("[\\^$*]", var.ci_branch))
    error_message = "ci_branch must be a plain branch name such as \"main\" (it is anchored into a regex by the trigger)."
  }
}

variable "ci_artifacts_bucket_name" {
  description = "Bucket for plan.md artifacts of CI builds; empty means \"<manifest_bucket_name>-ci\"."
  type        = string
  default     = ""
}

variable "pr_comment_secret_id" {
  description = "Secret Manager secret ID (in project_id) holding a GitHub token that may comment on pull requests; empty disables posting the plan as a PR comment."
  type        = string
  default     = ""
}

variable "organization_id" {
  description = "Target mode secureTags only (with secure_tag_key_ids): the numeric organization id of the tag keys, for the tag value reader role."
  type        = string
  default     = ""
}

# --- Placement (docs/policy.md "Placement"; platform policy firewall.placement / regions / regionalPolicyName) ------

variable "placement" {
  description = "Where the applier puts a project's rules: \"global\" (the one global network firewall policy) or \"regional\" (the regional network firewall policy of the manifest's spec.region). Must equal the platform policy's firewall.placement."
  type        = string
  default     = "global"

  validation {
    condition     = contains(["global", "regional"], var.placement)
    error_message = "placement must be \"global\" or \"regional\"."
  }
}

variable "regions" {
  description = "Regional placement: the regions that get a regional network firewall policy, associated with the Shared VPC (the platform policy's firewall.regions, same list)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.regions : can(regex("^[a-z]+(-[a-z]+)+[0-9]+$", r))]) && length(distinct(var.regions)) == length(var.regions)
    error_message = "regions must be distinct GCP region names, e.g. [\"us-central1\", \"europe-west1\"]."
  }
}

variable "regional_policy_name" {
  description = "Regional placement: the regional policy name, {policy} = firewall_policy_name, {region} = the region (the platform policy's firewall.regionalPolicyName)."
  type        = string
  default     = "{policy}-{region}"

  validation {
    condition     = strcontains(var.regional_policy_name, "{region}")
    error_message = "regional_policy_name must contain {region}, e.g. \"{policy}-{region}\"."
  }
}
