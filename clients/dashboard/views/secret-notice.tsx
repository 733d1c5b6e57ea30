// A webhook endpoint's signing secret, shown the one time the service gives it
// (created, or rotated), with how a receiver checks a delivery against it. The
// page forgets it when dismissed; the service never shows it again.
import { useEffect, useRef, useState } from 'preact/hooks';

export function SecretNotice({ url, secret, rotated, onDismiss }: { url: string; secret: string; rotated: boolean; onDismiss: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => heading.current?.focus(), [secret]);
  return (
    <section class="secret-notice" aria-labelledby="secret-heading">
      <h2 id="secret-heading" ref={heading} tabIndex={-1}>
        {rotated ? 'New signing secret' : 'Endpoint created'}: copy its secret now
      </h2>
      <p>
        Deliveries to <code>{url}</code> are signed with this secret{rotated ? ' from now on' : ''}. It is shown only this once: keep it where your receiver reads its configuration.
      </p>
      <label for="webhook-secret">Signing secret</label>
      <div class="inline">
        <input id="webhook-secret" type="text" readOnly value={secret} class="code" onFocus={(event) => (event.currentTarget as HTMLInputElement).select()} />
        <button
          type="button"
          onClick={() =>
            navigator.clipboard.writeText(secret).then(
              () => setCopied('Copied.'),
              () => setCopied('The browser refused to copy: select the secret and copy it.'),
            )
          }
        >
          Copy
        </button>
      </div>
      <p role="status">{copied}</p>
      <h3>Verifying a delivery</h3>
      <p>
        Each delivery is signed per Standard Webhooks: <code>webhook-signature</code> is <code>v1,</code> and the base64 HMAC-SHA256 of <code>webhook-id.webhook-timestamp.body</code> (the raw body), keyed with the base64-decoded part of the secret after <code>whsec_</code>. Refuse a timestamp more than five minutes off, and deduplicate on <code>webhook-id</code> (the same on every attempt). In Node:
      </p>
      <pre>
        <code>{`import { Webhook } from 'standardwebhooks';
const event = new Webhook(process.env.NANGO_WEBHOOK_SECRET).verify(rawBody, headers); // throws if forged or stale`}</code>
      </pre>
      <p>The README's webhooks part has the same check in Python and Go, standard library only.</p>
      <button type="button" onClick={onDismiss}>
        I have copied it
      </button>
    </section>
  );
}
