# The Shared VPC network and its DNS evidence: the preconditions the product's answers depend on
# (docs/deploy.md, "Preconditions"; `egress doctor` checks each of them).
#
# Enforcement order (https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order). Every network has a
# networkFirewallPolicyEnforcementOrder:
#   AFTER_CLASSIC_FIREWALL (Google's default): hierarchical policies, VPC firewall rules, the global network policy,
#     the regional network policies, the implied rules. The VPC firewall rules decide BEFORE the baseline: any VPC
#     egress allow (e.g. tcp:443 to 0.0.0.0/0) lets traffic out before the deny-all sees it, and a goto_next of the
#     baseline (internal destinations) goes on to the regional policies and then the implied egress allow, since the
#     VPC rules were already evaluated.
#   BEFORE_CLASSIC_FIREWALL: hierarchical policies, the global network policy, the regional network policies, the VPC
#     firewall rules, the implied rules. The baseline decides first; its goto_next (internal destinations) hands the
#     traffic on to the VPC firewall rules, and what they do not match falls to the implied egress allow.
# Hierarchical policies decide before both. The product assumes BEFORE_CLASSIC_FIREWALL. Terraform sets it only when
# it manages the network (manage_network = true: import the existing network first, docs/deploy.md); otherwise it is
# a precondition set with `gcloud compute networks update NET --network-firewall-policy-enforcement-order=...`.

resource "google_compute_network" "shared_vpc" {
  count = var.manage_network ? 1 : 0

  project                                   = var.host_project_id
  name                                      = var.network
  auto_create_subnetworks                   = false
  network_firewall_policy_enforcement_order = var.network_firewall_policy_enforcement_order

  lifecycle {
    # The network holds every workload of the Shared VPC: terraform never deletes or re-creates it. To stop managing
    # it, `terraform state rm 'google_compute_network.shared_vpc[0]'` before setting manage_network = false.
    prevent_destroy = true
    # Only the enforcement order is terraform's; everything else stays as the platform team built it (an
    # auto_create_subnetworks difference would force a replacement).
    ignore_changes = [
      auto_create_subnetworks,
      routing_mode,
      mtu,
      description,
      delete_default_routes_on_create,
      enable_ula_internal_ipv6,
      internal_ipv6_range,
      bgp_always_compare_med,
      bgp_best_path_selection_mode,
      bgp_inter_region_cost,
      network_profile,
    ]
  }

  depends_on = [google_project_service.host]
}

data "google_compute_network" "shared_vpc" {
  count = var.manage_network ? 0 : 1

  project = var.host_project_id
  name    = var.network
}

locals {
  # projects/HOST/global/networks/NET, whether terraform manages the network or only reads it.
  network_id = var.manage_network ? google_compute_network.shared_vpc[0].id : data.google_compute_network.shared_vpc[0].id
}

# DNS evidence. Cloud DNS logs the queries of a network only when a DNS server policy with logging is bound to it
# (enableLogging "Defaults to no logging if not set", https://cloud.google.com/dns/docs/reference/v1/policies; logging:
# https://cloud.google.com/dns/docs/monitoring, the records of a Shared VPC belong to the host project). Without them
# `egress denials` cannot name the hostname a workload asked for. The policy has NO alternative name servers: with an
# outbound server policy that names one, Cloud NGFW FQDN objects stop working
# (https://cloud.google.com/firewall/docs/fqdn-objects-overview). A network references at most one DNS server policy
# (https://cloud.google.com/dns/docs/policies): when the network already has one, set create_dns_server_policy = false
# and make sure that one logs and names no alternative name server.
resource "google_dns_policy" "shared_vpc" {
  count = var.create_dns_server_policy ? 1 : 0

  project                   = var.host_project_id
  name                      = var.dns_server_policy_name
  description               = "Cloud DNS query logging for the Shared VPC, the evidence infrastream-egress reads (no alternative name servers: they would disable FQDN objects)."
  enable_logging            = true
  enable_inbound_forwarding = false

  networks {
    network_url = local.network_id
  }

  depends_on = [google_project_service.host]
}
