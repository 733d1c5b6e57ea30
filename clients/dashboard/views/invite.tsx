// "Invite a user": a connect session for one connection (and, optionally, the
// end user it is for), whose link opens the Connect UI: copied to send, or
// opened here in a popup. The session's token is in the link and nowhere else.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { asApiError, formatDate } from './common.js';
import { CopyValue, Field, fieldError, OutcomeMessage, Select } from './forms.js';

export function InviteUser({ configs }: { configs: string[] }) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState({ providerConfigKey: '', connectionId: '', endUserId: '', endUserEmail: '', endUserName: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [link, setLink] = useState<{ connectUrl: string; expiresAt: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof values) => (value: string) => setValues((current) => ({ ...current, [name]: value }));
  const providerConfigKey = values.providerConfigKey || configs[0] || '';

  return (
    <details class="invite" open={open} onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
      <summary>Invite a user to connect</summary>
      <form
        noValidate
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          setLink(null);
          const endUser = values.endUserId.trim()
            ? { id: values.endUserId.trim(), ...(values.endUserEmail.trim() ? { email: values.endUserEmail.trim() } : {}), ...(values.endUserName.trim() ? { displayName: values.endUserName.trim() } : {}) }
            : undefined;
          try {
            if (!providerConfigKey) throw new ApiError('invalid_input', 'Add a provider config first.', 'providerConfigKey');
            if (!values.endUserId.trim() && (values.endUserEmail.trim() || values.endUserName.trim())) throw new ApiError('invalid_input', 'Give the end user an id (your id for them) to name them.', 'endUser.id');
            const { createConnectSession } = await api.CreateConnectSession({ input: { providerConfigKey, connectionId: values.connectionId.trim(), ...(endUser ? { endUser } : {}) } });
            setLink(createConnectSession);
          } catch (failure) {
            setError(asApiError(failure));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Select id="invite-config" label="Provider config" value={providerConfigKey} onChange={set('providerConfigKey')} options={configs.map((key) => ({ value: key, label: key }))} />
        <Field id="invite-connection-id" label="Connection id" required value={values.connectionId} onInput={set('connectionId')} error={fieldError(error, 'connectionId')} hint="The connection the flow creates (or re-authorizes when it exists)." />
        <Field id="invite-end-user-id" label="End user id (optional)" value={values.endUserId} onInput={set('endUserId')} error={fieldError(error, 'endUser.id')} hint="Your product's id for the person; the connection can then be found by it." />
        <Field id="invite-end-user-email" label="End user email (optional)" type="email" value={values.endUserEmail} onInput={set('endUserEmail')} error={fieldError(error, 'endUser.email')} />
        <Field id="invite-end-user-name" label="End user name (optional)" value={values.endUserName} onInput={set('endUserName')} error={fieldError(error, 'endUser.displayName')} />
        {error && !['connectionId', 'endUser.id', 'endUser.email', 'endUser.displayName'].includes(error.field ?? '') && <OutcomeMessage outcome={{ kind: 'failed', error }} />}
        <button type="submit" disabled={busy}>
          Create the connect link
        </button>
      </form>
      {link && (
        <div class="invite-link">
          <CopyValue id="invite-connect-url" label="Connect link" value={link.connectUrl} />
          <p class="hint">Works once, until {formatDate(link.expiresAt)}. Whoever opens it can connect this account: send it only to the person it is for.</p>
          <button type="button" class="quiet" onClick={() => window.open(link.connectUrl, 'nango-connect', 'popup,width=520,height=720')}>
            Open the connect page here
          </button>
        </div>
      )}
    </details>
  );
}
