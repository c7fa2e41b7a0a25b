/** Capacity of a firewall policy: the one attribute count, the applier's headroom check, the usage report. */
export * from './count';
export * from './headroom';
export * from './report';
