// Package nango is the Go SDK of the self-hosted Nango GraphQL token service:
// New(host, secretKey).GetToken(ctx, providerConfigKey, connectionID) for a
// fresh token, every query and mutation as a typed method (generated.go), and
// VerifyWebhook for the server's signed deliveries.
package nango

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to one Nango server. Its HTTPClient may be replaced (timeouts, proxies).
type Client struct {
	host       string
	secretKey  string
	HTTPClient *http.Client
}

// New returns a client of the server at host (e.g. http://localhost:3003); secretKey is sent as
// `Authorization: Bearer <secretKey>` when not empty.
func New(host, secretKey string) *Client {
	return &Client{host: strings.TrimRight(host, "/"), secretKey: secretKey, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
}

// Error is every failure of the SDK. Code is the server's stable error code (extensions.code, e.g.
// unknown_connection, invalid_secret_key, refresh_failed), or one of the SDK's own: server_unreachable,
// bad_response, and the webhook_* codes of VerifyWebhook. Status is the HTTP status, 0 when none came.
type Error struct {
	Code    string
	Message string
	Status  int
	// Details are the error's other extensions (e.g. the provider's error code of a refresh_failed).
	Details map[string]interface{}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Token is what GetToken returns. Kind says which fields are set: Value is the access token
// (OAUTH2, OAUTH2_CC, APP), the API key (API_KEY) or the OAuth 1.0a token (OAUTH1, with Secret);
// BASIC sets Username and Password.
type Token struct {
	Kind     AuthMode
	Value    string
	Secret   string
	Username string
	Password string
}

// GetToken returns the connection's fresh token (refreshed first when it is near expiry). Ask right
// before each API call. For every field of the credentials, use GetCredentials.
func (c *Client) GetToken(ctx context.Context, providerConfigKey, connectionID string) (Token, error) {
	credentials, err := c.GetCredentials(ctx, providerConfigKey, connectionID, false)
	if err != nil {
		return Token{}, err
	}
	switch {
	case credentials.OAuth2Credentials != nil:
		return Token{Kind: AuthModeOauth2, Value: credentials.OAuth2Credentials.AccessToken}, nil
	case credentials.ClientCredentialsToken != nil:
		return Token{Kind: AuthModeOauth2Cc, Value: credentials.ClientCredentialsToken.Token}, nil
	case credentials.AppCredentials != nil:
		return Token{Kind: AuthModeApp, Value: credentials.AppCredentials.AccessToken}, nil
	case credentials.APIKeyCredentials != nil:
		return Token{Kind: AuthModeAPIKey, Value: credentials.APIKeyCredentials.APIKey}, nil
	case credentials.OAuth1Credentials != nil:
		return Token{Kind: AuthModeOauth1, Value: credentials.OAuth1Credentials.OauthToken, Secret: credentials.OAuth1Credentials.OauthTokenSecret}, nil
	case credentials.BasicCredentials != nil:
		return Token{Kind: AuthModeBasic, Username: credentials.BasicCredentials.Username, Password: credentials.BasicCredentials.Password}, nil
	}
	return Token{}, &Error{Code: "bad_response", Message: fmt.Sprintf("The server at %s sent credentials of an unknown kind (%s).", c.host, credentials.Typename)}
}

// GetCredentials returns the connection's fresh credentials: exactly one member of Credentials is set.
// forceRefresh refreshes them even when they are not near expiry.
func (c *Client) GetCredentials(ctx context.Context, providerConfigKey, connectionID string, forceRefresh bool) (*Credentials, error) {
	connection, err := c.ConnectionCredentials(ctx, providerConfigKey, connectionID, &ConnectionCredentialsOptions{ForceRefresh: &forceRefresh})
	if err != nil {
		return nil, err
	}
	return &connection.Credentials, nil
}

// GetConnection returns one connection (its health, config and metadata; not its credentials).
func (c *Client) GetConnection(ctx context.Context, providerConfigKey, connectionID string) (*ConnectionFields, error) {
	return c.Connection(ctx, providerConfigKey, connectionID)
}

// ListConnections returns a page of connections, newest first; pass PageInfo.EndCursor as After for the next.
func (c *Client) ListConnections(ctx context.Context, options *ConnectionsOptions) (*ConnectionPage, error) {
	return c.Connections(ctx, options)
}

type graphqlError struct {
	Message    string                 `json:"message"`
	Extensions map[string]interface{} `json:"extensions"`
}

// execute POSTs one operation to {host}/graphql and decodes its data into out; every failure
// becomes an *Error, except the context's own (so errors.Is(err, context.Canceled) holds).
func (c *Client) execute(ctx context.Context, document string, variables map[string]interface{}, out interface{}) error {
	payload, err := json.Marshal(map[string]interface{}{"query": document, "variables": variables})
	if err != nil {
		return &Error{Code: "invalid_input", Message: err.Error()}
	}
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, c.host+"/graphql", bytes.NewReader(payload))
	if err != nil {
		return &Error{Code: "invalid_input", Message: err.Error()}
	}
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("Accept", "application/graphql-response+json, application/json")
	if c.secretKey != "" {
		request.Header.Set("Authorization", "Bearer "+c.secretKey)
	}
	response, err := c.HTTPClient.Do(request)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Code: "server_unreachable", Message: fmt.Sprintf("Could not reach the Nango server at %s (%v). Is it running?", c.host, err)}
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		return &Error{Code: "server_unreachable", Message: fmt.Sprintf("The answer of the server at %s was cut off (%v).", c.host, err), Status: response.StatusCode}
	}
	var result struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphqlError  `json:"errors"`
	}
	if err := json.Unmarshal(body, &result); err != nil {
		return &Error{Code: "bad_response", Message: fmt.Sprintf("The server at %s answered HTTP %d without a GraphQL result.", c.host, response.StatusCode), Status: response.StatusCode}
	}
	if len(result.Errors) > 0 {
		first := result.Errors[0]
		code, _ := first.Extensions["code"].(string)
		if code == "" {
			code = "graphql_error"
		}
		details := map[string]interface{}{}
		for name, value := range first.Extensions {
			if name != "code" && name != "http" {
				details[name] = value
			}
		}
		return &Error{Code: code, Message: first.Message, Status: response.StatusCode, Details: details}
	}
	if len(result.Data) == 0 || string(result.Data) == "null" {
		return &Error{Code: "bad_response", Message: fmt.Sprintf("The server at %s answered HTTP %d without data.", c.host, response.StatusCode), Status: response.StatusCode}
	}
	if err := json.Unmarshal(result.Data, out); err != nil {
		return &Error{Code: "bad_response", Message: fmt.Sprintf("The data from the server at %s did not fit the SDK's types (%v): regenerate it against this server's schema.", c.host, err), Status: response.StatusCode}
	}
	return nil
}
