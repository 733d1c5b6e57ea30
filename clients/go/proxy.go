package nango

// Calls to a provider's API through the server's /proxy route: the server
// places the connection's fresh credentials; the provider's answer, whatever
// its status, comes back as the *http.Response.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// proxyErrorHeader marks the server's own refusals (unknown connection, provider unreachable, ...);
// a provider's answer never carries it.
const proxyErrorHeader = "X-Nango-Proxy-Error"

// ProxyRequest is one call to a provider's API for one connection.
type ProxyRequest struct {
	// Method is GET, HEAD, POST, PUT, PATCH or DELETE (any case); empty means GET.
	Method string
	// Endpoint is the provider's path under its base URL, e.g. /user/repos (it may carry a query of its own).
	Endpoint          string
	ProviderConfigKey string
	ConnectionID      string
	// Params are added to the query.
	Params url.Values
	// Header goes to the provider, except cookies, hop-by-hop headers and Authorization (the server drops them).
	Header http.Header
	// Body is sent as it is read; set Content-Type in Header.
	Body io.Reader
	// Retries (0 to 10) lets the server wait out a 429 or 503 (Retry-After or backoff) or retry a network failure.
	Retries *int
	// BaseURLOverride is another base URL for this call; its host must be among the config's proxy allowed hosts.
	BaseURLOverride string
}

var proxyMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// Proxy sends req through the server, which places the connection's fresh credentials (and refreshes them
// once if the API refuses them). It returns the provider's answer whatever its status (a 404 is
// Response.StatusCode 404): the caller reads and closes its Body. The server's own refusals
// (unknown_connection, provider_unreachable, provider_timeout, ...) are an *Error, their body consumed.
// Redirects are returned, not followed. c.HTTPClient's Timeout covers reading the body too.
func (c *Client) Proxy(ctx context.Context, req ProxyRequest) (*http.Response, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	if !proxyMethods[method] {
		return nil, &Error{Code: "invalid_input", Message: fmt.Sprintf("The proxy takes GET, HEAD, POST, PUT, PATCH and DELETE, not %s.", req.Method)}
	}
	endpoint := req.Endpoint
	if !strings.HasPrefix(endpoint, "/") {
		endpoint = "/" + endpoint
	}
	target := c.host + "/proxy" + endpoint
	if query := req.Params.Encode(); query != "" {
		separator := "?"
		if strings.Contains(endpoint, "?") {
			separator = "&"
		}
		target += separator + query
	}
	request, err := http.NewRequestWithContext(ctx, method, target, req.Body)
	if err != nil {
		return nil, &Error{Code: "invalid_input", Message: err.Error()}
	}
	if req.Header != nil {
		request.Header = req.Header.Clone()
	}
	// Set after the caller's: these name the connection (the caller's own Authorization never reaches the provider).
	if c.secretKey != "" {
		request.Header.Set("Authorization", "Bearer "+c.secretKey)
	}
	request.Header.Set("Provider-Config-Key", req.ProviderConfigKey)
	request.Header.Set("Connection-Id", req.ConnectionID)
	if req.Retries != nil {
		request.Header.Set("Retries", strconv.Itoa(*req.Retries))
	}
	if req.BaseURLOverride != "" {
		request.Header.Set("Base-Url-Override", req.BaseURLOverride)
	}

	// A provider's redirect is its answer: followed here, a relative Location would land on the server itself.
	client := *c.HTTPClient
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	response, err := client.Do(request)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Code: "server_unreachable", Message: fmt.Sprintf("Could not reach the Nango server at %s (%v). Is it running?", c.host, err)}
	}
	code := response.Header.Get(proxyErrorHeader)
	if code == "" {
		return response, nil
	}
	defer response.Body.Close()
	var refusal struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	// The refusal is a small JSON object; a limit keeps a broken server from making it large.
	body, _ := io.ReadAll(io.LimitReader(response.Body, 64<<10))
	message := fmt.Sprintf("The proxy refused the call (HTTP %d).", response.StatusCode)
	if json.Unmarshal(body, &refusal) == nil && refusal.Error.Message != "" {
		message = refusal.Error.Message
	}
	return nil, &Error{Code: code, Status: response.StatusCode, Message: message}
}
