/**
 * The modules a command loads on first use only, typed once: the cloud SDKs and the adapters over them are heavy, and
 * a command (or a function's cold start) that does not need one must not pay for it. Everything light is imported
 * normally; nothing else in shared/ writes `require(…) as typeof import(…)`.
 */
export const lazy = {
  compute: () => require('../adapters/compute') as typeof import('../adapters/compute'),
  regionalCompute: () => require('../adapters/regionalCompute') as typeof import('../adapters/regionalCompute'),
  firewallState: () => require('../adapters/firewallState') as typeof import('../adapters/firewallState'),
  subnets: () => require('../adapters/subnets') as typeof import('../adapters/subnets'),
  tags: () => require('../adapters/tags') as typeof import('../adapters/tags'),
  storage: () => require('../adapters/storage') as typeof import('../adapters/storage'),
  storageSdk: () => require('@google-cloud/storage') as typeof import('@google-cloud/storage'),
  pubsub: () => require('../adapters/pubsub') as typeof import('../adapters/pubsub'),
  logging: () => require('../adapters/logging') as typeof import('../adapters/logging'),
  networkState: () => require('../adapters/networkState') as typeof import('../adapters/networkState'),
  networkLive: () => require('../adapters/networkLive') as typeof import('../adapters/networkLive'),
  quotas: () => require('../adapters/quotas') as typeof import('../adapters/quotas'),
  doctorReads: () => require('../adapters/doctorReads') as typeof import('../adapters/doctorReads'),
};
