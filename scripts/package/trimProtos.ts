/**
 * Trims a protobufjs JSON descriptor (e.g. @google-cloud/compute's 11.7 MB `protos.json`, 2,000+ types) to the
 * services a bundle uses and the messages and enums they reach. The generated clients build a protobufjs Root from
 * the whole file on construction; with only the reachable types that costs a fraction of the time.
 */
import * as protobuf from 'protobufjs';

/** A node of protobufjs' JSON descriptor: a namespace (`nested`), a type (`fields`), an enum or a service. */
interface JsonNode {
  nested?: Record<string, JsonNode>;
  [k: string]: unknown;
}

/** Full names (without the leading dot) of `services` and of every type and enum their methods reach. */
export function reachableNames(root: protobuf.Root, services: string[]): Set<string> {
  const keep = new Set<string>();
  const visit = (t: protobuf.ReflectionObject | null): void => {
    if (!t) return;
    const name = t.fullName.slice(1);
    if (keep.has(name)) return;
    keep.add(name);
    if (t instanceof protobuf.Type) {
      for (const f of t.fieldsArray) visit(f.resolve().resolvedType);
      for (const n of t.nestedArray) visit(n);
    }
  };
  for (const s of services) {
    const svc = root.lookupService(s);
    keep.add(svc.fullName.slice(1));
    for (const m of svc.methodsArray) {
      m.resolve();
      visit(m.resolvedRequestType);
      visit(m.resolvedResponseType);
    }
  }
  return keep;
}

/** `json` with only the namespaces leading to `keep` and the kept nodes themselves (whole, options included). */
export function trimDescriptor(json: JsonNode, keep: Set<string>, prefix = ''): JsonNode {
  const out: JsonNode = {};
  for (const [k, v] of Object.entries(json)) if (k !== 'nested') out[k] = v;
  if (!json.nested) return out;
  const nested: Record<string, JsonNode> = {};
  for (const [name, child] of Object.entries(json.nested)) {
    const full = prefix ? `${prefix}.${name}` : name;
    if (keep.has(full)) nested[name] = child;
    else if ([...keep].some((n) => n.startsWith(`${full}.`))) nested[name] = trimDescriptor(child, keep, full);
  }
  out.nested = nested;
  return out;
}

/** The trimmed descriptor of `services` and the number of types and enums kept. */
export function trimProtos(json: JsonNode, services: string[]): { json: JsonNode; kept: number } {
  const keep = reachableNames(protobuf.Root.fromJSON(json as protobuf.INamespace), services);
  return { json: trimDescriptor(json, keep), kept: keep.size - services.length };
}
