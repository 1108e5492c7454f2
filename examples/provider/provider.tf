terraform {
  required_providers {
    virtco = {
      source = "virtasant/virtco"
    }
  }
}

# Operations: the ops key from the old apikey.txt. Every setting may come from the environment
# instead (VIRTCO_ENDPOINT, VIRTCO_API_KEY or VIRTCO_API_KEY_FILE, VIRTCO_TIMEOUT,
# VIRTCO_MAX_RETRIES), so `provider "virtco" {}` is enough where those are set.
provider "virtco" {
  endpoint     = "http://127.0.0.1:8080"
  api_key_file = "~/.virtco/apikey.txt"
  timeout      = "30s"
  max_retries  = 5
}
