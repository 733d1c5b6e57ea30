package nango

// Standard Webhooks verification of the server's deliveries: HMAC-SHA256 over
// "id.timestamp.body", keyed with the base64 part of the whsec_ secret.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookTolerance is how far a delivery's webhook-timestamp may be from now, either way.
const WebhookTolerance = 5 * time.Minute

// VerifyWebhook returns nil when the delivery (its headers and its body exactly as received) is
// signed with secret (whsec_…) and recent; else an *Error with the code webhook_missing_headers,
// webhook_stale_timestamp, webhook_invalid_secret or webhook_invalid_signature.
func VerifyWebhook(secret string, header http.Header, body []byte) error {
	return verifyWebhookAt(secret, header, body, time.Now())
}

func verifyWebhookAt(secret string, header http.Header, body []byte, now time.Time) error {
	id, timestamp, signatures := header.Get("webhook-id"), header.Get("webhook-timestamp"), header.Get("webhook-signature")
	if id == "" || timestamp == "" || signatures == "" {
		return &Error{Code: "webhook_missing_headers", Message: "The delivery lacks webhook-id, webhook-timestamp or webhook-signature."}
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return &Error{Code: "webhook_stale_timestamp", Message: "The delivery's webhook-timestamp is not a number of seconds."}
	}
	if age := now.Sub(time.Unix(seconds, 0)); age > WebhookTolerance || age < -WebhookTolerance {
		return &Error{Code: "webhook_stale_timestamp", Message: "The delivery's webhook-timestamp is more than 5 minutes from now: refused as a possible replay."}
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return &Error{Code: "webhook_invalid_secret", Message: "The webhook secret is not whsec_ followed by base64."}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	expected := []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	// Several space-separated signatures may come (during a secret rotation); any v1 one that matches will do.
	for _, signature := range strings.Fields(signatures) {
		if strings.HasPrefix(signature, "v1,") && hmac.Equal([]byte(strings.TrimPrefix(signature, "v1,")), expected) {
			return nil
		}
	}
	return &Error{Code: "webhook_invalid_signature", Message: "The delivery's signature does not match its body and this secret."}
}
