package nango

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// echo is what the loopback API behind the API key connection answers: the request as it arrived.
type echo struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func proxied(t *testing.T, response *http.Response) []byte {
	t.Helper()
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestProxyGetSendsParamsAndHeadersWithTheConnectionsKey(t *testing.T) {
	host, key, f := live(t)
	header := http.Header{}
	header.Set("X-Custom", "kept")
	response, err := New(host, key).Proxy(context.Background(), ProxyRequest{
		Method: "get", Endpoint: "/search?sort=new", ProviderConfigKey: f.APIKey.ProviderConfigKey, ConnectionID: f.APIKey.ConnectionID,
		Params: url.Values{"q": {"a b&c"}, "labels": {"x", "y"}}, Header: header,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got echo
	if err := json.Unmarshal(proxied(t, response), &got); err != nil {
		t.Fatal(err)
	}
	if response.StatusCode != 200 || got.Method != "GET" || got.URL != "/v1/search?sort=new&labels=x&labels=y&q=a+b%26c" {
		t.Fatalf("got HTTP %d %+v", response.StatusCode, got)
	}
	if got.Headers["authorization"] != "Bearer "+f.APIKey.APIKey || got.Headers["x-custom"] != "kept" {
		t.Fatalf("headers at the API: %v", got.Headers)
	}
	if seen, _ := json.Marshal(got.Headers); strings.Contains(string(seen), key) {
		t.Fatal("the secret key reached the API")
	}
}

func TestProxyPostSendsAJSONBody(t *testing.T) {
	host, key, f := live(t)
	header := http.Header{"Content-Type": {"application/json"}}
	response, err := New(host, key).Proxy(context.Background(), ProxyRequest{
		Method: http.MethodPost, Endpoint: "/items", ProviderConfigKey: f.APIKey.ProviderConfigKey, ConnectionID: f.APIKey.ConnectionID,
		Header: header, Body: strings.NewReader(`{"name":"Ada"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got echo
	if err := json.Unmarshal(proxied(t, response), &got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "POST" || got.Body != `{"name":"Ada"}` || got.Headers["content-type"] != "application/json" {
		t.Fatalf("got %+v", got)
	}
}

func TestProxyReturnsTheProvidersNotFoundAsItsAnswer(t *testing.T) {
	host, key, f := live(t)
	response, err := New(host, key).Proxy(context.Background(), ProxyRequest{Endpoint: "/not-found", ProviderConfigKey: f.APIKey.ProviderConfigKey, ConnectionID: f.APIKey.ConnectionID})
	if err != nil {
		t.Fatalf("a provider's 404 is an answer, got the error %v", err)
	}
	if body := string(proxied(t, response)); response.StatusCode != 404 || body != `{"message":"Not Found"}` {
		t.Fatalf("got HTTP %d %s", response.StatusCode, body)
	}
}

func TestProxyReturnsAProvidersRedirectUnfollowed(t *testing.T) {
	host, key, f := live(t)
	response, err := New(host, key).Proxy(context.Background(), ProxyRequest{Endpoint: "/moved", ProviderConfigKey: f.APIKey.ProviderConfigKey, ConnectionID: f.APIKey.ConnectionID})
	if err != nil {
		t.Fatal(err)
	}
	proxied(t, response)
	if response.StatusCode != 302 || response.Header.Get("Location") != "/elsewhere" {
		t.Fatalf("got HTTP %d, Location %q", response.StatusCode, response.Header.Get("Location"))
	}
}

func TestProxyReturnsTheServersOwnRefusalAsAnError(t *testing.T) {
	host, key, f := live(t)
	response, err := New(host, key).Proxy(context.Background(), ProxyRequest{Endpoint: "/user", ProviderConfigKey: f.APIKey.ProviderConfigKey, ConnectionID: "nobody"})
	var nangoErr *Error
	if response != nil || !errors.As(err, &nangoErr) {
		t.Fatalf("got %v, %v: want an *Error", response, err)
	}
	if nangoErr.Code != "unknown_connection" || nangoErr.Status != 404 || !strings.Contains(nangoErr.Message, "nobody") {
		t.Fatalf("got %+v", nangoErr)
	}
}
