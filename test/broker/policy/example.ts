/** docs/policies.md's example policy, and claims that satisfy it. */
export const EXAMPLE_POLICY = {
  name: 'prod-db-volumes',
  keys: ['key-1'],
  devices: { groups: ['prod-db'] },
  rules: {
    allOf: [
      { claim: 'identity.region', in: ['eu-west-1', 'eu-central-1'] },
      { claim: 'integrity.firewall', equals: true },
      { claim: 'identity.bootTime', maxAgeSeconds: 900 },
      {
        anyOf: [
          { claim: 'integrity.antivirus', equals: 'clean' },
          { claim: 'attested.gce.google.compute_engine.instance_id', exists: true },
        ],
      },
      { not: { claim: 'request.ip', cidr: '10.66.0.0/16' } },
    ],
  },
  approval: { mode: 'manual', approvers: 2, ttlSeconds: 3600 },
};

export const NOW = new Date('2026-11-30T12:00:00Z');

export function goodClaims(): Record<string, unknown> {
  return {
    device: { id: 'dev-1', groups: ['prod-db'], name: 'db-1', enrolledAt: '2026-01-01T00:00:00Z' },
    identity: { region: 'eu-west-1', bootTime: '2026-11-30T11:50:00Z', instanceId: 'i-1' },
    integrity: { firewall: true, antivirus: 'clean' },
    attested: {},
    request: { ip: '192.0.2.7', time: NOW.toISOString() },
    resource: 'luks2:6f1c0b7e-0000-4000-8000-000000000001',
  };
}
