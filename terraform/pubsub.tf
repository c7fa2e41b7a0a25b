# Topics and the subscriptions this deployment owns. The functions' own delivery subscriptions are created by
# Eventarc (see functions.tf); the ones here are for people and for `egress replay --dead-letter`.

resource "google_pubsub_topic" "changes" {
  project = var.project_id
  name    = var.changes_topic
  labels  = var.labels

  # Topic retention lets any subscription seek back to a timestamp (replay after an incident) even for messages it
  # already acknowledged.
  message_retention_duration = var.changes_retention

  depends_on = [google_project_service.pipeline]
}

resource "google_pubsub_topic" "status" {
  project = var.project_id
  name    = var.status_topic
  labels  = var.labels

  depends_on = [google_project_service.pipeline]
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = var.dead_letter_topic
  labels  = var.labels

  depends_on = [google_project_service.pipeline]
}

resource "google_pubsub_topic" "storage_dead_letter" {
  project = var.project_id
  name    = var.storage_dead_letter_topic
  labels  = var.labels

  depends_on = [google_project_service.pipeline]
}

# Operators (chat notifications, dashboards) pull outcomes from here.
resource "google_pubsub_subscription" "status_operators" {
  project = var.project_id
  name    = "${var.status_topic}-operators"
  topic   = google_pubsub_topic.status.id
  labels  = var.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = "" # never expires, even when nobody reads it for a while
  }
}

# Pull subscriptions on the dead-letter topics: without a subscription, dead-lettered messages are dropped.
resource "google_pubsub_subscription" "dead_letter" {
  project = var.project_id
  name    = var.dead_letter_topic
  topic   = google_pubsub_topic.dead_letter.id
  labels  = var.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = true

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "storage_dead_letter" {
  project = var.project_id
  name    = var.storage_dead_letter_topic
  topic   = google_pubsub_topic.storage_dead_letter.id
  labels  = var.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = true

  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent republishes undeliverable messages: it must be able to publish to the dead-letter topics
# (and to acknowledge on the source subscriptions, granted where those are wired up in functions.tf).
resource "google_pubsub_topic_iam_member" "dead_letter_agent" {
  for_each = {
    changes = google_pubsub_topic.dead_letter.id
    storage = google_pubsub_topic.storage_dead_letter.id
  }

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.pubsub_service_agent}"
}
