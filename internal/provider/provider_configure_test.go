package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A key the client refuses is reported at api_key, and an address it refuses at endpoint (see
// TestAccProvider_configErrors): Configure tells them apart by the client's error, not its words.
func TestAccProvider_keyNotUsable(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{{
			Config: `
provider "virtco" {
  endpoint = "http://127.0.0.1:1"
  api_key  = "vco_a\tb"
}

data "virtco_diag_accounts" "all" {}
`,
			PlanOnly: true,
			// the attribute's line, then the detail
			ExpectError: re(`api_key = "vco_a\tb" The API key from api_key is not usable: the API key contains white space ` +
				`or control characters (a trailing newline from a key file?). Check api_key / api_key_file (or VIRTCO_API_KEY / VIRTCO_API_KEY_FILE).`),
		}},
	})
}
