// The one way the service calls a provider: every URL (typed, interpolated or
// named by a discovery document) passes the URL policy before a byte is sent,
// and a host name's addresses are checked when the socket connects, so a name
// that resolves (or rebinds) to a private address is refused too.
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, fetch as undiciFetch } from 'undici';
import { endpointUrlProblem, isPublicAddress, ProviderUrlRefused, type ProviderUrlPolicy } from './url-policy.js';

export type ProviderFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

type Lookup = (hostname: string, options: LookupOptions & { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface GuardOptions {
  /** The resolver; dns.lookup (what the system resolves) unless a test gives its own. */
  lookup?: Lookup;
}

const systemLookup: Lookup = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** A fetch for provider calls under `policy`. Redirects are never followed: a 3xx reaches the caller as it is. */
export function guardedFetch(policy: ProviderUrlPolicy, options: GuardOptions = {}): ProviderFetch {
  const dispatcher = policy.privateAddresses === 'refused' ? publicOnlyAgent(options.lookup) : undefined;
  return async (url, init) => {
    const href = typeof url === 'string' ? url : url.href;
    const problem = endpointUrlProblem(href, policy);
    if (problem) throw new ProviderUrlRefused(`The provider URL ${clipUrl(href)} is refused: it ${problem}.`);
    const response = await undiciFetch(href, { ...(init as object), redirect: 'manual', ...(dispatcher ? { dispatcher } : {}) });
    return response as unknown as Response;
  };
}

// One pool of provider connections for the process (keep-alive across calls);
// a test's own resolver gets an agent of its own.
let sharedAgent: Agent | undefined;

function publicOnlyAgent(lookup: Lookup | undefined): Agent {
  if (lookup) return new Agent({ connect: { lookup: publicOnlyLookup(lookup) } });
  sharedAgent ??= new Agent({ connect: { lookup: publicOnlyLookup(systemLookup) } });
  return sharedAgent;
}

function publicOnlyLookup(lookup: Lookup) {
  return (hostname: string, options: LookupOptions, callback: (...args: any[]) => void): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const refused = addresses.find((entry) => !isPublicAddress(entry.address));
      if (refused || addresses.length === 0) {
        return callback(new ProviderUrlRefused(`The provider host ${hostname} resolves to a non-public address.`));
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function clipUrl(href: string): string {
  return href.length > 200 ? `${href.slice(0, 200)}…` : href;
}
