// The service's event types, as Event's description in the schema lists them:
// the filters and an endpoint's choices offer these; a type the service adds
// later still shows in the feed and the deliveries.
export const EVENT_TYPES = [
  'connection.created',
  'connection.reauthorized',
  'connection.deleted',
  'connection.refresh_failed',
  'connection.refresh_recovered',
  'connection.needs_reauth',
  'provider_config.created',
  'provider_config.updated',
  'provider_config.deleted',
] as const;
