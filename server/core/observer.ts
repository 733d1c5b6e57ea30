// What the domain reports as it works (for metrics), without knowing who listens.

export type RefreshOutcome = 'success' | 'failure' | 'cooldown';
export type FlowEvent = 'started' | 'completed' | 'failed';

export interface CoreObserver {
  refreshed(outcome: RefreshOutcome, provider: string): void;
  flow(event: FlowEvent, provider: string): void;
}

export const silentObserver: CoreObserver = {
  refreshed: () => undefined,
  flow: () => undefined,
};
