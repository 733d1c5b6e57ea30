// Refresh answers the database could not take yet. A provider that rotates
// refresh tokens has already forgotten the old one when it answers, so its
// answer must not be dropped: it is kept in memory and appended, sealed for its
// connection's row, to a file under the data directory, and written to the
// database when it answers again, after a restart too. Each line is one answer
// or the note that an answer was written; the file is emptied once all are.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { SEALED, type SecretBox } from './secret-box.js';

/** An answer waiting for the database: the credentials serialized, for the version its refresh claimed. */
export interface SpooledAnswer {
  rowId: string;
  providerConfigKey: string;
  connectionId: string;
  claimedVersion: string;
  credentials: string;
  expiresAt: Date | null;
  refreshDueAt: Date | null;
}

/** Writes an answer; 'superseded' when the credentials changed meanwhile (it must not be written then). */
export type WriteAnswer = (answer: SpooledAnswer) => Promise<'written' | 'superseded'>;

interface Line {
  id: string;
  /** Present on an answer; absent on the note that answer `id` was written. */
  answer?: Omit<SpooledAnswer, 'credentials' | 'expiresAt' | 'refreshDueAt'> & { sealed: string; expiresAt: string | null; refreshDueAt: string | null };
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

export class RefreshSpool {
  private readonly pending = new Map<string, SpooledAnswer>();
  private loop: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly file: string,
    private readonly box: SecretBox,
    private readonly write: WriteAnswer,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  static inDirectory(dataDir: string, box: SecretBox, write: WriteAnswer, onError?: (error: unknown) => void): RefreshSpool {
    return new RefreshSpool(path.join(dataDir, 'refresh-spool.jsonl'), box, write, onError);
  }

  /** Answers not yet written. */
  get size(): number {
    return this.pending.size;
  }

  /** The newest answer kept for a connection, if one waits: readers in this process serve it. */
  pendingFor(rowId: string): SpooledAnswer | undefined {
    let found: SpooledAnswer | undefined;
    for (const answer of this.pending.values()) if (answer.rowId === rowId) found = answer;
    return found;
  }

  /** Keeps an answer (on disk before this returns) and writes it as soon as the database takes it. */
  async add(answer: SpooledAnswer): Promise<void> {
    const id = randomUUID();
    const sealed = this.box.seal(answer.credentials, SEALED.credentials, answer.providerConfigKey, answer.connectionId);
    const line: Line = {
      id,
      answer: {
        rowId: answer.rowId,
        providerConfigKey: answer.providerConfigKey,
        connectionId: answer.connectionId,
        claimedVersion: answer.claimedVersion,
        sealed,
        expiresAt: answer.expiresAt?.toISOString() ?? null,
        refreshDueAt: answer.refreshDueAt?.toISOString() ?? null,
      },
    };
    this.pending.set(id, answer);
    await this.append(line, true);
    this.kick();
  }

  /** At start-up: the answers a previous run could not write, written now (in the background). */
  async replay(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return 0;
      throw error;
    }
    const answers = new Map<string, SpooledAnswer>();
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a line cut off by a crash mid-write: its answer was never acknowledged
      }
      if (!line.answer) {
        answers.delete(line.id);
        continue;
      }
      const { sealed, expiresAt, refreshDueAt, ...rest } = line.answer;
      answers.set(line.id, {
        ...rest,
        credentials: this.box.open(sealed, SEALED.credentials, rest.providerConfigKey, rest.connectionId),
        expiresAt: expiresAt === null ? null : new Date(expiresAt),
        refreshDueAt: refreshDueAt === null ? null : new Date(refreshDueAt),
      });
    }
    for (const [id, answer] of answers) this.pending.set(id, answer);
    if (answers.size === 0) await rm(this.file, { force: true });
    else this.kick();
    return answers.size;
  }

  /** Stops retrying; what is left stays on disk for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.loop) {
      this.wake?.();
      return;
    }
    this.loop = this.drain().finally(() => {
      this.loop = null;
      if (this.pending.size > 0 && !this.stopped) this.kick();
    });
  }

  private async drain(): Promise<void> {
    let delay = RETRY_FIRST_MS;
    while (this.pending.size > 0 && !this.stopped) {
      const [id, answer] = this.pending.entries().next().value as [string, SpooledAnswer];
      try {
        await this.write(answer);
        this.pending.delete(id);
        await this.append({ id }, false);
        delay = RETRY_FIRST_MS;
      } catch (error) {
        this.onError(error);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    if (this.pending.size === 0) await rm(this.file, { force: true });
  }

  private async append(line: Line, durable: boolean): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    if (!durable) {
      await appendFile(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
      return;
    }
    // The answer is the only copy of a rotated token: on disk, synced, before the refresh reports back.
    const handle = await open(this.file, 'a', 0o600);
    try {
      await handle.appendFile(`${JSON.stringify(line)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}
