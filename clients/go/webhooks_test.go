package nango

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func signed(body []byte, at time.Time) http.Header {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(testSecret, "whsec_"))
	timestamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("evt_1." + timestamp + "."))
	mac.Write(body)
	header := http.Header{}
	header.Set("webhook-id", "evt_1")
	header.Set("webhook-timestamp", timestamp)
	header.Set("webhook-signature", "v1,bm90IGl0 v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return header
}

func code(err error) string {
	var nangoError *Error
	if errors.As(err, &nangoError) {
		return nangoError.Code
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestVerifyWebhookAcceptsAFreshSignatureAmongSeveral(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	if err := VerifyWebhook(testSecret, signed(body, time.Now()), body); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyWebhookRefusesATimestampOlderThanFiveMinutes(t *testing.T) {
	body := []byte(`{}`)
	if got := code(VerifyWebhook(testSecret, signed(body, time.Now().Add(-301*time.Second)), body)); got != "webhook_stale_timestamp" {
		t.Fatalf("got %s", got)
	}
}

func TestVerifyWebhookRefusesMissingHeaders(t *testing.T) {
	if got := code(VerifyWebhook(testSecret, http.Header{}, []byte(`{}`))); got != "webhook_missing_headers" {
		t.Fatalf("got %s", got)
	}
}

func realDelivery(t *testing.T) (string, http.Header, []byte) {
	_, _, f := live(t)
	header := http.Header{}
	for name, value := range f.Webhook.Headers {
		header.Set(name, value)
	}
	return f.Webhook.Secret, header, []byte(f.Webhook.Body)
}

func TestVerifyWebhookAcceptsTheDeliveryTheServerSigned(t *testing.T) {
	secret, header, body := realDelivery(t)
	if err := VerifyWebhook(secret, header, body); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyWebhookRefusesATamperedBody(t *testing.T) {
	secret, header, body := realDelivery(t)
	tampered := []byte(strings.Replace(string(body), "provider_config.created", "connection.deleted", 1))
	if got := code(VerifyWebhook(secret, header, tampered)); got != "webhook_invalid_signature" {
		t.Fatalf("got %s", got)
	}
}

func TestVerifyWebhookRefusesAnotherSecret(t *testing.T) {
	_, header, body := realDelivery(t)
	if got := code(VerifyWebhook(testSecret, header, body)); got != "webhook_invalid_signature" {
		t.Fatalf("got %s", got)
	}
}

func TestVerifyWebhookRefusesTheDeliveryReplayedAfterFiveMinutes(t *testing.T) {
	secret, header, body := realDelivery(t)
	seconds, _ := strconv.ParseInt(header.Get("webhook-timestamp"), 10, 64)
	if got := code(verifyWebhookAt(secret, header, body, time.Unix(seconds+301, 0))); got != "webhook_stale_timestamp" {
		t.Fatalf("got %s", got)
	}
}
