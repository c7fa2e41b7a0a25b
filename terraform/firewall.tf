# The zero-trust egress baseline of the Shared VPC, in the same global network firewall policy the applier writes.
#
# Priorities (lower number wins):
#   product_priority_min .. product_priority_max   allow rules written by the applier (one band, owned by marker)
#   baseline_priority + 0/1                        Private Google Access allow (IPv4/IPv6), the *.googleapis.com expansion
#   baseline_priority + 2/3                        internal destinations: goto_next (see "Enforcement order" below)
#   baseline_priority + 10/11                      deny all egress (IPv4/IPv6), logged; under placement = "regional"
#                                                  goto_next here and the deny-all in each regional policy (regional.tf)
#   2147483644 .. 2147483647                       predefined goto_next rules of every policy (cannot be changed)
#
# Rules are separate resources on purpose. google_compute_network_firewall_policy_with_rules is authoritative for
# the whole rule list and would delete every rule the applier wrote on the next apply: never use it here.
# IPv4 and IPv6 ranges are kept in separate rules, as the applier does.
#
# Enforcement order (network.tf; https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order): this
# baseline is the last word on egress only under the network's BEFORE_CLASSIC_FIREWALL order, where the network
# policies decide before the VPC firewall rules and goto_next hands internal destinations on to those rules. Under
# AFTER_CLASSIC_FIREWALL (Google's default) the VPC firewall rules decide first: a VPC egress allow lets traffic out
# before the deny-all sees it, and goto_next goes on to the regional policies and the implied egress allow (the VPC
# rules were already evaluated). Hierarchical firewall policies decide before either order.

locals {
  # private.googleapis.com (https://cloud.google.com/vpc/docs/configure-private-google-access, "Domain options":
  # "private.googleapis.com: 199.36.153.8/30 and 2600:2d00:0002:2000::/56"). The AAAA record stays the first address.
  pga_v4_range     = "199.36.153.8/30"
  pga_v4_addresses = ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]
  pga_v6_range     = "2600:2d00:2:2000::/56"
  pga_v6_address   = "2600:2d00:2:2000::"

  baseline_rules_v4 = {
    pga-v4 = {
      priority  = var.baseline_priority
      action    = "allow"
      ranges    = [local.pga_v4_range]
      protocol  = "tcp"
      ports     = ["443"]
      logging   = false
      rule_name = "egress-baseline-google-apis-v4"
      note      = "Private Google Access (private.googleapis.com), the *.googleapis.com expansion."
    }
    internal-v4 = {
      priority  = var.baseline_priority + 2
      action    = "goto_next"
      ranges    = var.internal_ranges_v4
      protocol  = "all"
      ports     = []
      logging   = false
      rule_name = "egress-baseline-internal-v4"
      note      = "Internal destinations are not this product's: passed on (goto_next) to the VPC firewall rules under BEFORE_CLASSIC_FIREWALL."
    }
    deny-v4 = {
      priority  = var.baseline_priority + 10
      action    = "deny"
      ranges    = ["0.0.0.0/0"]
      protocol  = "all"
      ports     = []
      logging   = true
      rule_name = "egress-baseline-deny-all-v4"
      note      = "Zero-trust default: egress not allowed by a higher-priority rule is denied and logged."
    }
  }

  baseline_rules_v6 = {
    pga-v6 = {
      priority  = var.baseline_priority + 1
      action    = "allow"
      ranges    = [local.pga_v6_range]
      protocol  = "tcp"
      ports     = ["443"]
      logging   = false
      rule_name = "egress-baseline-google-apis-v6"
      note      = "Private Google Access over IPv6 (private.googleapis.com)."
    }
    internal-v6 = {
      priority  = var.baseline_priority + 3
      action    = "goto_next"
      ranges    = var.internal_ranges_v6
      protocol  = "all"
      ports     = []
      logging   = false
      rule_name = "egress-baseline-internal-v6"
      note      = "Internal IPv6 destinations are not this product's: passed on (goto_next) to the VPC firewall rules under BEFORE_CLASSIC_FIREWALL."
    }
    deny-v6 = {
      priority  = var.baseline_priority + 11
      action    = "deny"
      ranges    = ["::/0"]
      protocol  = "all"
      ports     = []
      logging   = true
      rule_name = "egress-baseline-deny-all-v6"
      note      = "Zero-trust default for IPv6 egress, logged."
    }
  }

  baseline_rules = merge(local.baseline_rules_v4, var.enable_ipv6 ? local.baseline_rules_v6 : {})

  # Regional placement (regional.tf): regional policies are evaluated AFTER the global one, so a deny-all here would
  # shadow every allow in them. The global policy hands the rest of egress on (goto_next) instead of denying it; each
  # regional policy ends in the deny-all baseline.
  handoff_rules_v4 = {
    deny-v4 = {
      priority  = var.baseline_priority + 10
      action    = "goto_next"
      ranges    = ["0.0.0.0/0"]
      protocol  = "all"
      ports     = []
      logging   = false
      rule_name = "egress-baseline-to-regional-v4"
      note      = "Regional placement: egress not decided above goes on to the region's regional policy, which denies what it does not allow."
    }
  }
  handoff_rules_v6 = {
    deny-v6 = {
      priority  = var.baseline_priority + 11
      action    = "goto_next"
      ranges    = ["::/0"]
      protocol  = "all"
      ports     = []
      logging   = false
      rule_name = "egress-baseline-to-regional-v6"
      note      = "Regional placement: IPv6 egress not decided above goes on to the region's regional policy."
    }
  }
  handoff_rules = merge(local.handoff_rules_v4, var.enable_ipv6 ? local.handoff_rules_v6 : {})

  # The global policy's baseline: the deny-all under global placement, the hand-off under regional placement.
  global_baseline_rules = var.placement == "regional" ? merge(local.baseline_rules, local.handoff_rules) : local.baseline_rules
}

resource "google_compute_network_firewall_policy" "egress" {
  project     = var.host_project_id
  name        = var.firewall_policy_name
  description = "Zero-trust egress for the Shared VPC. Allow rules in priorities ${var.product_priority_min}-${var.product_priority_max} are managed by infrastream-egress from Project manifests; do not edit them by hand."

  depends_on = [google_project_service.host]
}

resource "google_compute_network_firewall_policy_association" "shared_vpc" {
  project           = var.host_project_id
  name              = "${var.firewall_policy_name}-${var.network}"
  firewall_policy   = google_compute_network_firewall_policy.egress.id
  attachment_target = local.network_id
}

resource "google_compute_network_firewall_policy_rule" "baseline" {
  for_each = local.global_baseline_rules

  project         = var.host_project_id
  firewall_policy = google_compute_network_firewall_policy.egress.name
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

  lifecycle {
    precondition {
      condition     = var.product_priority_min < var.product_priority_max && var.product_priority_max < var.baseline_priority
      error_message = "The baseline must sit below the applier's band: need product_priority_min < product_priority_max < baseline_priority (got ${var.product_priority_min}, ${var.product_priority_max}, ${var.baseline_priority})."
    }
  }
}

# --- Private Google Access DNS -------------------------------------------------------------------------------------
# Resolve every *.googleapis.com name to private.googleapis.com, so that the only Google API addresses workloads use
# are the ones the baseline allows (and the ones the `*.googleapis.com` manifest wildcard expands to).

resource "google_dns_managed_zone" "googleapis" {
  project     = var.host_project_id
  name        = "egress-googleapis"
  dns_name    = "googleapis.com."
  description = "Private Google Access: *.googleapis.com -> private.googleapis.com (infrastream-egress baseline)."
  visibility  = "private"
  labels      = var.labels

  private_visibility_config {
    networks {
      network_url = local.network_id
    }
  }

  depends_on = [google_project_service.host]
}

resource "google_dns_record_set" "googleapis_wildcard" {
  project      = var.host_project_id
  managed_zone = google_dns_managed_zone.googleapis.name
  name         = "*.googleapis.com."
  type         = "CNAME"
  ttl          = 300
  rrdatas      = ["private.googleapis.com."]
}

resource "google_dns_record_set" "private_googleapis_a" {
  project      = var.host_project_id
  managed_zone = google_dns_managed_zone.googleapis.name
  name         = "private.googleapis.com."
  type         = "A"
  ttl          = 300
  rrdatas      = local.pga_v4_addresses
}

resource "google_dns_record_set" "private_googleapis_aaaa" {
  count = var.enable_ipv6 ? 1 : 0

  project      = var.host_project_id
  managed_zone = google_dns_managed_zone.googleapis.name
  name         = "private.googleapis.com."
  type         = "AAAA"
  ttl          = 300
  rrdatas      = [local.pga_v6_address]
}

# Without a default route to the internet gateway the private.googleapis.com ranges need their own routes.
resource "google_compute_route" "private_googleapis" {
  for_each = var.create_pga_routes ? merge(
    { v4 = local.pga_v4_range },
    var.enable_ipv6 ? { v6 = local.pga_v6_range } : {}
  ) : {}

  project          = var.host_project_id
  name             = "egress-private-googleapis-${each.key}"
  network          = local.network_id
  dest_range       = each.value
  next_hop_gateway = "default-internet-gateway"
  priority         = 1000
  description      = "Private Google Access route for private.googleapis.com (infrastream-egress baseline)."
}
