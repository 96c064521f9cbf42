provider "google" {
  credentials = file("${path.module}/sa.json")
  project     = "search-pipeline-143076"
  region      = "europe-west4"
}
resource "google_service_account_key" "ci" {
  service_account_id = google_service_account.ci.name
}
output "ci_key" {
  value     = google_service_account_key.ci.private_key
  sensitive = true
}
resource "google_cloud_run_v2_service" "geo" {
  name     = "geo"
  location = "europe-west4"
  template {
    containers {
      image = "europe-docker.pkg.dev/nw/geo:1.4"
      env {
        name  = "MAPS_KEY"
        value = "AIzaSyAxqXe2qLRa-j448L1MuFVQ-gyDmEk3EeN"
      }
    }
  }
}
