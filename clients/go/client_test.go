package nango

import (
	"context"
	"errors"
	"net"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestGetTokenReturnsTheAPIKeyTheServerHolds(t *testing.T) {
	host, key, f := live(t)
	token, err := New(host, key).GetToken(context.Background(), f.APIKey.ProviderConfigKey, f.APIKey.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	if token.Kind != AuthModeAPIKey || token.Value != f.APIKey.APIKey {
		t.Fatalf("got %+v, want the API key %q", token, f.APIKey.APIKey)
	}
}

func TestGetTokenReturnsTheOAuth2AccessToken(t *testing.T) {
	host, key, f := live(t)
	token, err := New(host, key).GetToken(context.Background(), f.OAuth2.ProviderConfigKey, f.OAuth2.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	if token.Kind != AuthModeOauth2 || token.Value != f.OAuth2.AccessToken {
		t.Fatalf("got %+v, want the access token %q", token, f.OAuth2.AccessToken)
	}
}

func TestGetCredentialsDecodesTheUnionMemberNamedByTypename(t *testing.T) {
	host, key, f := live(t)
	credentials, err := New(host, key).GetCredentials(context.Background(), f.OAuth2.ProviderConfigKey, f.OAuth2.ConnectionID, false)
	if err != nil {
		t.Fatal(err)
	}
	oauth2 := credentials.OAuth2Credentials
	if credentials.Typename != "OAuth2Credentials" || oauth2 == nil || credentials.APIKeyCredentials != nil {
		t.Fatalf("got %+v, want only the OAuth2Credentials member", credentials)
	}
	if oauth2.AccessToken != f.OAuth2.AccessToken || len(oauth2.Scopes) != 1 || oauth2.Scopes[0] != "read" {
		t.Fatalf("got %+v", oauth2)
	}
	if oauth2.ExpiresAt == nil || oauth2.ExpiresAt.Before(time.Now()) {
		t.Fatalf("expiresAt %v: want a time in the future", oauth2.ExpiresAt)
	}
}

func TestGetConnectionAndListConnectionsReturnTypedConnections(t *testing.T) {
	host, key, f := live(t)
	client := New(host, key)
	connection, err := client.GetConnection(context.Background(), f.APIKey.ProviderConfigKey, f.APIKey.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	if connection.ConnectionID != f.APIKey.ConnectionID || connection.Provider != "custom-api-key" || connection.Health.Status != ConnectionHealthStatusHealthy {
		t.Fatalf("got %+v", connection)
	}
	healthy := ConnectionHealthStatusHealthy
	page, err := client.ListConnections(context.Background(), &ConnectionsOptions{Health: &healthy})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, node := range page.Nodes {
		ids = append(ids, node.ConnectionID)
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "with-key,with-oauth2" || page.PageInfo.HasNextPage {
		t.Fatalf("got %v (next page: %v)", ids, page.PageInfo.HasNextPage)
	}
	first := 1
	one, err := client.ListConnections(context.Background(), &ConnectionsOptions{First: &first})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Nodes) != 1 || !one.PageInfo.HasNextPage || one.PageInfo.EndCursor == nil {
		t.Fatalf("got %+v", one)
	}
}

func TestCreateConnectSessionGivesATokenAndAConnectURL(t *testing.T) {
	host, key, f := live(t)
	email := "u@example.com"
	session, err := New(host, key).CreateConnectSession(context.Background(), CreateConnectSessionInput{
		ProviderConfigKey: f.OAuth2.ProviderConfigKey,
		ConnectionID:      "new-user",
		EndUser:           &EndUserInput{ID: "u-1", Email: &email},
	})
	if err != nil {
		t.Fatal(err)
	}
	if session.Token == "" || !strings.Contains(session.ConnectURL, "/oauth/connect") || !session.ExpiresAt.After(time.Now()) {
		t.Fatalf("got %+v", session)
	}
}

func TestAnUnknownConnectionIsAnErrorWithItsCodeAndStatus(t *testing.T) {
	host, key, f := live(t)
	_, err := New(host, key).GetToken(context.Background(), f.APIKey.ProviderConfigKey, "nobody")
	var nangoError *Error
	if !errors.As(err, &nangoError) || nangoError.Code != "unknown_connection" || nangoError.Status != 404 {
		t.Fatalf("got %#v, want *Error unknown_connection 404", err)
	}
}

func TestAWrongSecretKeyIsInvalidSecretKey(t *testing.T) {
	host, _, f := live(t)
	_, err := New(host, "sk-not-this-servers-key-000").GetToken(context.Background(), f.APIKey.ProviderConfigKey, f.APIKey.ConnectionID)
	var nangoError *Error
	if !errors.As(err, &nangoError) || nangoError.Code != "invalid_secret_key" || nangoError.Status != 401 {
		t.Fatalf("got %#v, want *Error invalid_secret_key 401", err)
	}
}

func TestAServerThatDoesNotAnswerIsServerUnreachable(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	_, err = New("http://"+address, "").GetToken(context.Background(), "any", "any")
	var nangoError *Error
	if !errors.As(err, &nangoError) || nangoError.Code != "server_unreachable" || nangoError.Status != 0 {
		t.Fatalf("got %#v, want *Error server_unreachable", err)
	}
}
