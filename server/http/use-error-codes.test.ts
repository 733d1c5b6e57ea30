import { describe, expect, it } from '@jest/globals';
import { startInProcessServer } from '../../test/support/in-process.js';
import { withoutEchoedValue } from './use-error-codes.js';

describe('a variable that fails coercion', () => {
  it('is named with its path and the reason, never with its value', () => {
    const reason = 'Field value.clientId of required type String! was not provided.';
    expect(withoutEchoedValue(`Variable "$input" got invalid value { clientSecret: "s3cret; at \\"x\\"", scopes: ["a; b"] }; ${reason}`)).toBe(`Variable "$input" got an invalid value; ${reason}`);
    const typed = 'String cannot represent a non string value: 42';
    expect(withoutEchoedValue(`Variable "$input" got invalid value 42 at "input.clientId"; ${typed}`)).toBe(`Variable "$input" got an invalid value at "input.clientId"; ${typed}`);
  });

  it('does not bring a client secret back in the error of a createProviderConfig missing a field', async () => {
    const server = await startInProcessServer();
    try {
      const body = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
        input: { provider: 'github', clientSecret: 'super-secret-value-42', scopes: [] },
      });
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message).toContain('value.key');
      expect(JSON.stringify(body)).not.toContain('super-secret-value-42');
      // A field the template's mode needs is checked by the service: named, the secret not repeated either.
      const missing = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
        input: { key: 'k', provider: 'github', clientSecret: 'super-secret-value-42', scopes: [] },
      });
      expect(missing.errors?.[0]?.extensions?.code).toBe('invalid_input');
      expect(missing.errors?.[0]?.message).toBe('clientId: must not be empty');
      expect(JSON.stringify(missing)).not.toContain('super-secret-value-42');
    } finally {
      await server.stop();
    }
  });
});
