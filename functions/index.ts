/**
 * Deployment entry: registers both CloudEvent functions with the Functions Framework. Terraform deploys this package
 * twice with entry points `egressValidator` and `egressApplier`; each module composes its clients lazily.
 */
import './validator';
import './applier';
