/**
 * A cold instance's first event, without I/O: what `npm run package` runs once in each bundle to record the V8 code
 * cache it ships (scripts/package/codeCache.ts; docs/deploy.md, "Cold start"). Each function's warm-up builds its
 * real composition (the client libraries' modules and constructors, the platform policy) and runs its real use case
 * on in-memory ports, so the code a first event compiles is compiled then. Nothing is read or written outside the
 * process; a failure throws (the package step fails instead of shipping a cache of the wrong code).
 */

/** A manifest of the guide's shape: hostnames, a wildcard with its ranges, an address range. */
export const WARM_UP_MANIFEST = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: warm-up
  environment: production
spec:
  region: us-central1
  allowedEgress:
    - "api.stripe.com" # payments
    - "hooks.slack.com" # notifications
    - "*.googleapis.com" # Google APIs
    - "151.101.0.0/16" # a CDN range
`;

export const WARM_UP_BUCKET = 'warm-up-bucket';
export const WARM_UP_OBJECT = 'manifests/warm-up.yaml';

/** The environment of the compositions: names only; no endpoint is ever called. */
export const WARM_UP_ENV: NodeJS.ProcessEnv = {
  EGRESS_PUBSUB_PROJECT: 'warm-up',
  EGRESS_HOST_PROJECT: 'warm-up-host',
  EGRESS_FIREWALL_POLICY: 'warm-up-policy',
  EGRESS_MANIFEST_PREFIX: 'manifests/',
  // The applier's Compute clients are built for an address nothing listens on; the warm-up never calls them.
  EGRESS_COMPUTE_ENDPOINT: 'http://127.0.0.1:9',
};
