/**
 * The fake Cloud Logging's storage: entries in arrival order, optionally persisted to a JSON file so that separate
 * processes (`egress probe`, then `egress denials`) see the same logs through one server (docs/fake-logging.md).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** A stored LogEntry (REST JSON field names). */
export type StoredEntry = Record<string, unknown> & { logName: string; timestamp: string; insertId: string };

/** Entries of every project, in arrival order. */
export class LogStore {
  private entries: StoredEntry[] = [];
  private seq = 0;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; entries?: StoredEntry[] };
      if (data.version !== 1 || !Array.isArray(data.entries))
        throw new Error(`${file} is not a fake-Logging state file (expected {"version": 1, "entries": […]})`);
      this.entries = data.entries;
      this.seq = this.entries.length;
    }
  }

  /** Appends entries (already validated), filling insertId and receiveTimestamp as the service does. */
  append(entries: Record<string, unknown>[], now: Date = new Date()): void {
    for (const e of entries) {
      this.seq++;
      this.entries.push({
        ...e,
        insertId: typeof e.insertId === 'string' && e.insertId ? e.insertId : `fake-${this.seq}`,
        receiveTimestamp: now.toISOString(),
      } as unknown as StoredEntry);
    }
    this.save();
  }

  /** Every entry, in arrival order. */
  all(): readonly StoredEntry[] {
    return this.entries;
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries = [];
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, entries: this.entries })}\n`);
    renameSync(tmp, this.file);
  }
}
