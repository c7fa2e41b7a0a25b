/** egressApplier: registered by the applier issue. */
export {};
