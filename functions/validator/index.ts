/** egressValidator: registered by the validator issue. */
export {};
