/**
 * The subset of the Logging query language the fake understands (docs/fake-logging.md):
 *   comparisons  FIELD = VALUE, FIELD != VALUE, FIELD >= / > / <= / < VALUE  (VALUE quoted "…" or a bare word)
 *   fields       logName, timestamp, severity, insertId, resource.type, resource.labels.K, labels.K, jsonPayload.a.b…
 *   boolean      AND, OR, NOT, parentheses. Mixing AND and OR on one level without parentheses is refused: the fake
 *                does not claim to know the real precedence (docs: assumed), and the product always parenthesizes.
 * Anything else (the `:` has-operator, regular expressions `=~`, functions, implicit AND by juxtaposition, unknown
 * fields) is refused with FilterError, which the server answers as 400 INVALID_ARGUMENT. Never silently ignored.
 */

/** A filter the fake cannot evaluate (the server's INVALID_ARGUMENT). */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

/** A parsed filter: a predicate over a log entry. */
export type Predicate = (entry: Record<string, unknown>) => boolean;

type Tok = { t: 'op' | 'word' | 'str' | 'lp' | 'rp' | 'and' | 'or' | 'not'; v: string; at: number };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ t: c === '(' ? 'lp' : 'rp', v: c, at: i++ });
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        v += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterError(`unterminated string at offset ${i}`);
      out.push({ t: 'str', v, at: i });
      i = j + 1;
      continue;
    }
    const op = /^(>=|<=|!=|=~|!~|=|>|<|:)/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[1]!, at: i });
      i += op[1]!.length;
      continue;
    }
    const w = /^[^\s()"=<>!:]+/.exec(src.slice(i));
    if (!w) throw new FilterError(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
    const v = w[0];
    out.push({ t: v === 'AND' ? 'and' : v === 'OR' ? 'or' : v === 'NOT' ? 'not' : 'word', v, at: i });
    i += v.length;
  }
  return out;
}

const FIELD =
  /^(logName|timestamp|severity|insertId|resource\.type|resource\.labels\.[\w.-]+|labels\.[\w.-]+|jsonPayload(\.[\w-]+)+)$/;

function valueAt(entry: Record<string, unknown>, path: string): unknown {
  let cur: unknown = entry;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function compare(field: string, op: string, want: string): Predicate {
  if (field === 'timestamp') {
    const w = Date.parse(want);
    if (Number.isNaN(w)) throw new FilterError(`timestamp ${JSON.stringify(want)} is not an RFC 3339 time`);
    return (e) => {
      const got = Date.parse(String(e.timestamp ?? ''));
      if (Number.isNaN(got)) return false;
      switch (op) {
        case '=':
          return got === w;
        case '!=':
          return got !== w;
        case '>=':
          return got >= w;
        case '>':
          return got > w;
        case '<=':
          return got <= w;
        default:
          return got < w;
      }
    };
  }
  if (op !== '=' && op !== '!=')
    throw new FilterError(`operator ${op} is supported on timestamp only (got ${field} ${op} ${JSON.stringify(want)})`);
  return (e) => {
    const v = valueAt(e, field);
    const eq = v !== undefined && v !== null && typeof v !== 'object' && String(v) === want;
    return op === '=' ? eq : !eq;
  };
}

/** Parses `filter`; an empty filter matches everything. Throws FilterError for what the fake does not support. */
export function parseFilter(filter: string): Predicate {
  const toks = tokenize(filter);
  let pos = 0;
  const peek = () => toks[pos];
  const fail = (msg: string): never => {
    throw new FilterError(`${msg} in filter ${JSON.stringify(filter)}`);
  };

  const primary = (): Predicate => {
    const t = peek();
    if (!t) return fail('unexpected end');
    if (t.t === 'not') {
      pos++;
      const p = primary();
      return (e) => !p(e);
    }
    if (t.t === 'lp') {
      pos++;
      const p = expr();
      if (peek()?.t !== 'rp') fail(`missing ) for ( at offset ${t.at}`);
      pos++;
      return p;
    }
    if (t.t !== 'word') return fail(`expected a field at offset ${t.at}, got ${JSON.stringify(t.v)}`);
    pos++;
    if (!FIELD.test(t.v)) fail(`field ${t.v} is not supported by the fake`);
    const op = peek();
    if (op?.t !== 'op') return fail(`expected a comparison after ${t.v} (bare words are not supported by the fake)`);
    if (![`=`, `!=`, `>=`, `>`, `<=`, `<`].includes(op.v)) fail(`operator ${op.v} is not supported by the fake`);
    pos++;
    const val = peek();
    if (!val || (val.t !== 'str' && val.t !== 'word')) return fail(`expected a value after ${t.v} ${op.v}`);
    pos++;
    return compare(t.v, op.v, val.v);
  };

  const expr = (): Predicate => {
    const parts = [primary()];
    let joiner: 'and' | 'or' | undefined;
    for (let t = peek(); t && t.t !== 'rp'; t = peek()) {
      if (t.t !== 'and' && t.t !== 'or')
        fail(`expected AND or OR at offset ${t.at} (implicit AND is not supported by the fake)`);
      if (joiner && joiner !== t.t) fail(`AND and OR mixed without parentheses at offset ${t.at}`);
      joiner = t.t as 'and' | 'or';
      pos++;
      parts.push(primary());
    }
    if (parts.length === 1) return parts[0]!;
    return joiner === 'or' ? (e) => parts.some((p) => p(e)) : (e) => parts.every((p) => p(e));
  };

  if (toks.length === 0) return () => true;
  const p = expr();
  if (pos < toks.length) fail(`unexpected ${JSON.stringify(toks[pos]!.v)} at offset ${toks[pos]!.at}`);
  return p;
}
