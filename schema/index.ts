// The executable schema: every type file registers itself on the builder.
import { builder } from './builder.js';
import './scalars.js';
import './provider.js';
import './provider-config.js';
import './connection.js';
import './credentials.js';
import './connect-session.js';
import './event.js';
import './webhook.js';
import './service.js';
import './connection-counts.js';
import './refresh-activity.js';

export const schema = builder.toSchema();
