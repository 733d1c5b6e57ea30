// What the domain reports as it works (for metrics and the log), without knowing who listens.

export type RefreshOutcome = 'success' | 'failure' | 'cooldown';
export type FlowEvent = 'started' | 'completed' | 'failed';
/** What a webhook delivery attempt came to: delivered (2xx), to be retried, or given up (retries over, 410, endpoint disabled). */
export type WebhookOutcome = 'delivered' | 'retrying' | 'failed';

/** A refresh the provider (or the way to it) refused: never a token, only what a person needs to find it. */
export interface RefreshFailure {
  providerConfigKey: string;
  connectionId: string;
  provider: string;
  /** The provider's error code (invalid_grant, ...) or ours (provider_timeout, no_refresh_token, ...). */
  code: string;
}

export interface CoreObserver {
  refreshed(outcome: RefreshOutcome, provider: string): void;
  refreshFailed(failure: RefreshFailure): void;
  flow(event: FlowEvent, provider: string): void;
  webhookAttempted(outcome: WebhookOutcome): void;
  /** A proxied request answered: the provider's status, or why there was none (timeout, unreachable, refused, aborted). */
  proxied(provider: string, status: string, retries: number): void;
}

export const silentObserver: CoreObserver = {
  refreshed: () => undefined,
  refreshFailed: () => undefined,
  flow: () => undefined,
  webhookAttempted: () => undefined,
  proxied: () => undefined,
};
