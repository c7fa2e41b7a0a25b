# Regional placement (var.placement = "regional"; platform policy firewall.placement, docs/policy.md "Placement"):
# one regional network firewall policy per listed region, associated with the Shared VPC, holding the zero-trust
# baseline (Private Google Access allow, internal goto_next, deny-all) below the applier's band. The applier writes a
# project's rules into the policy of its manifest's spec.region (RegionNetworkFirewallPoliciesClient).
#
# "In a specific region, only one regional network firewall policy can be associated with a network"
# (https://cloud.google.com/vpc/docs/regional-firewall-policies). Regional policies are evaluated after the global
# one (under either enforcement order, network.tf), so the global policy hands egress on with goto_next under this
# placement (firewall.tf, local.handoff_rules).
# Regional policies do not support apply_security_profile_group (docs/cloud-ngfw-research.md §8); the baseline uses
# allow, goto_next and deny only. A region with workloads but no policy here falls to the implied egress allow:
# `egress drift` and `egress capacity` report it.

locals {
  regional         = var.placement == "regional"
  regional_regions = local.regional ? var.regions : []

  # region => policy name (the platform policy's firewall.regionalPolicyName, same template).
  regional_policy_names = {
    for r in local.regional_regions :
    r => replace(replace(var.regional_policy_name, "{policy}", var.firewall_policy_name), "{region}", r)
  }

  # "region/rule-key" => the baseline rule, in every regional policy.
  regional_baseline_rules = {
    for pair in setproduct(keys(local.regional_policy_names), keys(local.baseline_rules)) :
    "${pair[0]}/${pair[1]}" => merge(local.baseline_rules[pair[1]], { region = pair[0] })
  }
}

resource "google_compute_region_network_firewall_policy" "egress" {
  for_each = local.regional_policy_names

  project     = var.host_project_id
  region      = each.key
  name        = each.value
  description = "Zero-trust egress for the Shared VPC in ${each.key}. Allow rules in priorities ${var.product_priority_min}-${var.product_priority_max} are managed by infrastream-egress from Project manifests (spec.region ${each.key}); do not edit them by hand."

  depends_on = [google_project_service.host]

  lifecycle {
    precondition {
      condition     = length(var.regions) > 0
      error_message = "placement = \"regional\" needs regions (the platform policy's firewall.regions)."
    }
  }
}

resource "google_compute_region_network_firewall_policy_association" "shared_vpc" {
  for_each = local.regional_policy_names

  project           = var.host_project_id
  region            = each.key
  name              = "${each.value}-${var.network}"
  firewall_policy   = google_compute_region_network_firewall_policy.egress[each.key].id
  attachment_target = local.network_id
}

resource "google_compute_region_network_firewall_policy_rule" "baseline" {
  for_each = local.regional_baseline_rules

  project         = var.host_project_id
  region          = each.value.region
  firewall_policy = google_compute_region_network_firewall_policy.egress[each.value.region].name
  priority        = each.value.priority
  direction       = "EGRESS"
  action          = each.value.action
  enable_logging  = each.value.logging
  rule_name       = each.value.rule_name
  description     = "infrastream-egress baseline (terraform): ${each.value.note}"

  match {
    dest_ip_ranges = each.value.ranges

    layer4_configs {
      ip_protocol = each.value.protocol
      ports       = each.value.ports
    }
  }
}

# The applier writes the regional policies' rules (RegionNetworkFirewallPoliciesClient get/getRule/addRule/patchRule/
# removeRule: compute.regionFirewallPolicies.get/update) and waits on region operations (RegionOperationsClient.wait:
# compute.regionOperations.get); the drift check and CI read them. Only under regional placement.
resource "google_project_iam_custom_role" "regional_firewall_writer" {
  count = local.regional ? 1 : 0

  project     = var.host_project_id
  role_id     = "egressRegionalFirewallRuleWriter"
  title       = "egress regional firewall rule writer"
  description = "Read the regional network firewall policies and add/patch/remove their rules; wait on the region operations."
  permissions = [
    "compute.regionFirewallPolicies.get",
    "compute.regionFirewallPolicies.update",
    "compute.regionOperations.get",
  ]

  depends_on = [google_project_service.host]
}

resource "google_project_iam_custom_role" "regional_firewall_reader" {
  count = local.regional ? 1 : 0

  project     = var.host_project_id
  role_id     = "egressRegionalFirewallRuleReader"
  title       = "egress regional firewall rule reader"
  description = "Read the regional network firewall policies and their rules (drift check, plan --live, capacity --live)."
  permissions = ["compute.regionFirewallPolicies.get"]

  depends_on = [google_project_service.host]
}

resource "google_project_iam_member" "applier_writes_regional_firewall" {
  count = local.regional ? 1 : 0

  project = var.host_project_id
  role    = google_project_iam_custom_role.regional_firewall_writer[0].id
  member  = google_service_account.applier.member
}

resource "google_project_iam_member" "reads_regional_firewall" {
  for_each = local.regional ? merge(
    { drift = google_service_account.drift.member },
    var.enable_ci_triggers ? {
      ci-pr   = google_service_account.ci_pr[0].member
      ci-main = google_service_account.ci_main[0].member
    } : {}
  ) : {}

  project = var.host_project_id
  role    = google_project_iam_custom_role.regional_firewall_reader[0].id
  member  = each.value
}
