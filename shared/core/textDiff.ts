/**
 * A unified diff (`diff -u` form) of two texts that differ in one place: the common leading and trailing lines are
 * context, the rest is the change. Enough for the changes this product drafts (one inserted line or block, a new
 * file); pure, no I/O.
 */

function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `--- a/PATH` / `+++ b/PATH` and one hunk with up to `context` lines around the change; '' when equal. */
export function unifiedDiff(before: string, after: string, path: string, context = 3): string {
  const a = linesOf(before);
  const b = linesOf(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  if (head === a.length && head === b.length) return '';
  const from = Math.max(0, head - context);
  const aEnd = a.length - tail;
  const bEnd = b.length - tail;
  const ctxEnd = Math.min(tail, context);
  const removed = a.slice(head, aEnd).map((l) => `-${l}`);
  const added = b.slice(head, bEnd).map((l) => `+${l}`);
  const aCount = aEnd - from + ctxEnd;
  const bCount = bEnd - from + ctxEnd;
  const range = (start: number, count: number) => `${count === 0 ? start : start + 1},${count}`;
  return [
    a.length ? `--- a/${path}` : '--- /dev/null',
    `+++ b/${path}`,
    `@@ -${range(from, aCount)} +${range(from, bCount)} @@`,
    ...a.slice(from, head).map((l) => ` ${l}`),
    ...removed,
    ...added,
    ...a.slice(aEnd, aEnd + ctxEnd).map((l) => ` ${l}`),
    '',
  ].join('\n');
}
