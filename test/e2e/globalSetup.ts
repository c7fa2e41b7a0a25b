/** Starts the Pub/Sub emulator for the e2e project (placeholder until the pipeline issue lands). */
export default async function globalSetup(): Promise<void> {}
