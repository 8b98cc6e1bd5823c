// The group commit (page-sink.ts) against a fake backend whose commits the test holds, fails
// and counts: grouping, the last page's checkpoint, one commit in flight, the delay timer,
// failures and the stored records' texts. The same sink over a real store: the conformance
// suite (test/conformance/) and src/pipeline/runner.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InterflowRecord } from '../core/record.js';
import { groupCommitSink, type SinkBackend } from './page-sink.js';
import type { CommitPageResult, CommittedGroup, PageSinkOptions, SinkPage } from './types.js';

interface FakePage {
  ids: string[];
  checkpoint: unknown;
}

/** A backend whose commits wait for `release()` (when `hold`) or fail (when `fail` is set). */
function fakeBackend() {
  const posted: { pages: FakePage[]; transfer: boolean }[] = [];
  let active = 0;
  let maxActive = 0;
  const waiting: (() => void)[] = [];
  const b = {
    posted,
    hold: false,
    fail: undefined as Error | undefined,
    get maxActive() {
      return maxActive;
    },
    release() {
      for (const w of waiting.splice(0)) w();
    },
    backend: {
      prepare: (p: SinkPage) => ({ ids: p.records.map((r) => r._id), checkpoint: p.checkpoint }),
      records: (p: FakePage) => p.ids.length,
      async commit(pages: readonly FakePage[], o: { transfer: boolean }): Promise<CommitPageResult> {
        posted.push({ pages: [...pages], transfer: o.transfer });
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          if (b.hold) await new Promise<void>((r) => waiting.push(r));
          if (b.fail) throw b.fail;
          const ids = pages.flatMap((p) => p.ids);
          return { stored: ids.length, duplicates: 0, unchanged: 0, storedIds: ids };
        } finally {
          active--;
        }
      },
      docs: (p: FakePage, ids: ReadonlySet<string>) =>
        p.ids.filter((id) => ids.has(id)).map((id) => `{"_id":"${id}"}`),
    } satisfies SinkBackend<FakePage>,
  };
  return b;
}

let n = 0;
const page = (records: number, checkpoint: unknown, received = records): SinkPage => ({
  records: Array.from({ length: records }, () => ({ _id: `r${n++}` }) as InterflowRecord),
  states: [],
  checkpoint,
  counts: { received, discarded: received - records, discardedByFilter: { f: received - records } },
});
const tick = () => new Promise((r) => setImmediate(r));

function sink(b: ReturnType<typeof fakeBackend>, o: Partial<PageSinkOptions> = {}) {
  const committed: CommittedGroup[] = [];
  const s = groupCommitSink(b.backend, {
    connectorId: 'c',
    commitDelayMs: 0,
    onCommitted: (c) => void committed.push(c),
    ...o,
  });
  return { s, committed };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('groupCommitSink', () => {
  it("commits a group once commitRecords are buffered, with the last page's checkpoint; finish commits the rest", async () => {
    const b = fakeBackend();
    const { s, committed } = sink(b, { commitRecords: 300 });
    for (let i = 1; i <= 7; i++) await s.write(page(100, { token: i }));
    await s.finish();
    expect(b.posted.map((p) => [p.pages.length, p.pages.at(-1)!.checkpoint])).toEqual([
      [3, { token: 3 }],
      [3, { token: 6 }],
      [1, { token: 7 }],
    ]);
    expect(committed.map((c) => [c.pages, c.stored])).toEqual([
      [3, 300],
      [3, 300],
      [1, 100],
    ]);
  });

  it("adds up the pages' counts for each commit", async () => {
    const b = fakeBackend();
    const { s, committed } = sink(b, { commitRecords: 1000 });
    await s.write(page(80, 1, 100));
    await s.write(page(90, 2, 100));
    await s.finish();
    expect(committed).toHaveLength(1);
    expect(committed[0]).toMatchObject({
      pages: 2,
      received: 200,
      discarded: 30,
      discardedByFilter: { f: 30 },
      stored: 170,
    });
  });

  it('keeps one commit in flight: a full group waits for the previous commit before it is posted', async () => {
    const b = fakeBackend();
    b.hold = true;
    const { s } = sink(b, { commitRecords: 100 });
    await s.write(page(100, 1)); // posted at once
    let second = false;
    const w = s.write(page(100, 2)).then(() => (second = true));
    await tick();
    expect(b.posted).toHaveLength(1);
    expect(second).toBe(false); // the collector waits: backpressure
    b.release();
    await w;
    expect(b.posted).toHaveLength(2);
    b.release();
    await s.finish();
    expect(b.maxActive).toBe(1);
  });

  it('commits a page buffered alone after commitDelayMs', async () => {
    vi.useFakeTimers();
    const b = fakeBackend();
    const { s, committed } = sink(b, { commitRecords: 1000, commitDelayMs: 50 });
    await s.write(page(10, 1));
    expect(b.posted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(49);
    expect(b.posted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(b.posted).toHaveLength(1);
    expect(committed).toHaveLength(1);
    await s.finish();
    expect(b.posted).toHaveLength(1);
  });

  it('a failed timer commit fails the next write and finish; nothing is posted after it', async () => {
    vi.useFakeTimers();
    const b = fakeBackend();
    b.fail = new Error('disk full');
    const { s, committed } = sink(b, { commitRecords: 1000, commitDelayMs: 20 });
    await s.write(page(10, 1));
    await vi.advanceTimersByTimeAsync(20);
    expect(b.posted).toHaveLength(1);
    await expect(s.write(page(10, 2))).rejects.toThrow('disk full');
    await expect(s.finish()).rejects.toThrow('disk full');
    expect(b.posted).toHaveLength(1);
    expect(committed).toHaveLength(0);
  });

  it('a failed commit is thrown by finish after the pages before it were committed', async () => {
    const b = fakeBackend();
    const { s, committed } = sink(b, { commitRecords: 100 });
    await s.write(page(100, 1));
    await tick();
    b.fail = new Error('disk full');
    await s.write(page(50, 2));
    await expect(s.finish()).rejects.toThrow('disk full');
    expect(committed.map((c) => c.pages)).toEqual([1]);
  });

  it('awaits onCommitted before the next commit (a slow consumer slows the run)', async () => {
    const b = fakeBackend();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = groupCommitSink(b.backend, {
      connectorId: 'c',
      commitRecords: 10,
      commitDelayMs: 0,
      onCommitted: () => gate,
    });
    await s.write(page(10, 1));
    const w = s.write(page(10, 2));
    await tick();
    expect(b.posted).toHaveLength(1);
    release();
    await w;
    await s.finish();
    expect(b.posted).toHaveLength(2);
  });

  it("with docs: the stored records' texts after each commit, and the buffers are not transferred", async () => {
    const b = fakeBackend();
    const { s, committed } = sink(b, { commitRecords: 2, docs: true });
    await s.write(page(2, 1));
    await s.finish();
    expect(committed[0]!.docs).toHaveLength(2);
    expect(b.posted[0]!.transfer).toBe(false);
    // Without docs the texts are not wanted afterwards: the buffers move to the committer.
    const pb = fakeBackend();
    const plain = sink(pb, { commitRecords: 2 });
    await plain.s.write(page(2, 1));
    await plain.s.finish();
    expect(plain.committed[0]!.docs).toBeUndefined();
    expect(pb.posted[0]!.transfer).toBe(true);
  });

  it('cancel stops the delay timer: nothing buffered is committed', async () => {
    vi.useFakeTimers();
    const b = fakeBackend();
    const { s } = sink(b, { commitRecords: 1000, commitDelayMs: 20 });
    await s.write(page(5, 1));
    s.cancel();
    await vi.advanceTimersByTimeAsync(100);
    expect(b.posted).toHaveLength(0);
  });
});
