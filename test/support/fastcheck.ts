/**
 * Jest setup for property tests: a fixed seed by default, so CI is reproducible and a failure is a regression, not a
 * lucky draw. `FC_SEED=random npm test` explores new inputs; `FC_SEED=<n>` replays a reported failure.
 */
import fc from 'fast-check';

const env = process.env.FC_SEED;
const seed = env === 'random' ? Date.now() ^ (Math.random() * 0x100000000) : Number(env ?? 20261126);
fc.configureGlobal({ seed });
