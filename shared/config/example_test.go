package config_test

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
)

func ExampleParse() {
	_, err := config.Parse("deploy/countersign.yaml", []byte(`admin:
  tokens: ["dev-token"]
tenants:
  - id: acme
    providers:
      - kind: standardwebhooks
        secrets: ["not-a-whsec-secret"]
        hmac_keys: ["k"]
      - kind: docusign
        hmac_keys: ["k"]
        bogus: 1
`))
	fmt.Println(err)
	// Output:
	// deploy/countersign.yaml: tenants[0].providers[1].bogus: unknown field (line 11)
}

func ExampleFile_Validate() {
	_, err := config.Parse("deploy/countersign.yaml", []byte(`admin:
  tokens: ["dev-token"]
tenants:
  - id: acme
    providers:
      - kind: standardwebhooks
        secrets: ["not-a-whsec-secret"]
        hmac_keys: ["k"]
  - id: acme
`))
	fmt.Println(err)
	// Output:
	// deploy/countersign.yaml: tenants[0].providers[0].secrets[0]: malformed secret (want whsec_ followed by base64) (line 7)
	// deploy/countersign.yaml: tenants[0].providers[0].hmac_keys: hmac_keys does not apply to kind standardwebhooks (line 8)
	// deploy/countersign.yaml: tenants[1].id: duplicate tenant id "acme" (also tenants[0]) (line 9)
}
