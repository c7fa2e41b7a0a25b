/** The fake Cloud Logging (REST): server, store and the filter subset it understands. */
export { FilterError, parseFilter } from './filter';
export { type FakeLoggingServer, startFakeLogging } from './server';
export { LogStore, type StoredEntry } from './store';
