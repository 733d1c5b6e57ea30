package nango

// Where the live server is: NANGO_TEST_HOST, NANGO_TEST_SECRET_KEY and
// NANGO_TEST_FIXTURES (JSON), as test/go-sdk.test.ts sets them.

import (
	"encoding/json"
	"os"
	"testing"
)

type fixtures struct {
	APIKey struct {
		ProviderConfigKey string `json:"providerConfigKey"`
		ConnectionID      string `json:"connectionId"`
		APIKey            string `json:"apiKey"`
	} `json:"apiKey"`
	OAuth2 struct {
		ProviderConfigKey string `json:"providerConfigKey"`
		ConnectionID      string `json:"connectionId"`
		AccessToken       string `json:"accessToken"`
	} `json:"oauth2"`
	Webhook struct {
		Secret  string            `json:"secret"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	} `json:"webhook"`
}

// live skips the test only when no server is given, so `go test` outside the harness still runs the rest.
func live(t *testing.T) (host, secretKey string, f fixtures) {
	t.Helper()
	host = os.Getenv("NANGO_TEST_HOST")
	if host == "" {
		t.Skip("NANGO_TEST_HOST is not set: this test needs a live server (npm test runs it through test/go-sdk.test.ts)")
	}
	if err := json.Unmarshal([]byte(os.Getenv("NANGO_TEST_FIXTURES")), &f); err != nil {
		t.Fatalf("NANGO_TEST_FIXTURES: %v", err)
	}
	return host, os.Getenv("NANGO_TEST_SECRET_KEY"), f
}
