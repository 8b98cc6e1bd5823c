/**
 * A test-only connector type: findings read from NDJSON files in a directory (one JSON object
 * per line, `*.ndjson`, in file-name order). It exists to prove the connector contract
 * (src/connectors/types.ts): it plugs in with its folder and one registry line
 * (`testRegistry`, test/support/connectors/index.ts), and the generic tests (runner,
 * scheduler, API, UI wizard) run against it as well as Amazon Inspector.
 *
 * - Checkpoint: `{ file, line }`, the next line to read; a run resumes there (a file that grew
 *   is read on from that line; later files follow).
 * - State key: the finding's `id`; its `status`, `severity` and `updatedAt` (epoch ms or ISO).
 * - Auth: `none`, or `token`: the directory's `.token` file must hold the same token (a secret
 *   field, to exercise sealing, masking and the wizard's auth method choice).
 * - Test: the directory is readable (and the token matches).
 * - Parts (the contract's `parts`, as AWS Inspector's regions): `parts: "a,b"` reads each part
 *   from its subdirectory (`directory/a`, `directory/b`) with its own checkpoint, up to
 *   `partConcurrency` (default 2) at once; a missing subdirectory fails that part alone
 *   (ERR_NOT_FOUND). `legacyPart` names the part a checkpoint saved without parts belongs to.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CodedError, isCodedError } from '../../../../src/core/errors.js';
import { tenantRecordId, type InterflowRecord } from '../../../../src/core/record.js';
import {
  connectorBaseFields,
  secretFieldPaths,
  secretValues,
  switchFieldPaths,
} from '../../../../src/connectors/schema.js';
import { failedTest } from '../../../../src/connectors/test-result.js';
import type { ConnectorType } from '../../../../src/connectors/types.js';

const SEVERITY: Record<string, number> = { CRITICAL: 90, HIGH: 70, MEDIUM: 50, LOW: 30, INFORMATIONAL: 10 };

const ndjsonConfigSchema = z
  .object({
    name: connectorBaseFields.name,
    tenant: connectorBaseFields.tenant,
    directory: z
      .string({ error: 'directory is required' })
      .min(1, 'directory is required')
      .refine((d) => path.isAbsolute(d), { message: 'directory must be an absolute path' })
      .meta({ title: 'Directory' }),
    auth: z
      .discriminatedUnion(
        'method',
        [
          z
            .object({ method: z.literal('none') })
            .strict()
            .meta({ title: 'No authentication' }),
          z
            .object({
              method: z.literal('token'),
              token: z
                .string({ error: 'Token is required' })
                .min(1, 'Token is required')
                .meta({ secret: true, title: 'Token' }),
            })
            .strict()
            .meta({ title: 'Token file' }),
        ],
        { error: 'auth.method must be one of: none, token' },
      )
      .default({ method: 'none' }),
    intervalMinutes: connectorBaseFields.intervalMinutes,
    parts: z
      .string()
      .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'parts must be comma-separated names of a-z, 0-9 and -')
      .optional()
      .meta({ title: 'Parts (subdirectories)' }),
    partConcurrency: z.number().int().min(1).max(8).optional().meta({ title: 'Parts at once' }),
    legacyPart: z.string().optional().meta({ title: 'Part of a checkpoint saved without parts' }),
  })
  .strict();

type NdjsonConfig = z.infer<typeof ndjsonConfigSchema>;

interface Checkpoint {
  file: string;
  line: number;
}

function parseCheckpoint(raw: unknown): Checkpoint | undefined {
  const c = raw as Partial<Checkpoint> | null | undefined;
  return c && typeof c.file === 'string' && typeof c.line === 'number'
    ? { file: c.file, line: c.line }
    : undefined;
}

/** The directory readable (a part's subdirectory, with parts) and the token right, or a coded error. */
function checkAccess(cfg: NdjsonConfig, part = ''): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(path.join(cfg.directory, part));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CodedError(
      code === 'EACCES' ? 'ERR_PERMISSION' : 'ERR_NOT_FOUND',
      `cannot read the directory ${path.join(cfg.directory, part)}: ${code ?? 'error'}`,
    );
  }
  if (cfg.auth.method === 'token') {
    let expected: string;
    try {
      expected = fs.readFileSync(path.join(cfg.directory, '.token'), 'utf8').trim();
    } catch {
      throw new CodedError('ERR_AUTH_INVALID', 'the directory holds no .token file');
    }
    if (expected !== cfg.auth.token) throw new CodedError('ERR_AUTH_INVALID', 'the token does not match');
  }
  return files.filter((f) => f.endsWith('.ndjson')).sort();
}

const time = (v: unknown): number | undefined =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && !Number.isNaN(Date.parse(v))
      ? Date.parse(v)
      : undefined;

const SECRET_FIELDS = secretFieldPaths(ndjsonConfigSchema);

export function ndjson(): ConnectorType<NdjsonConfig> {
  return {
    id: 'ndjson',
    label: 'NDJSON files',
    category: 'Test Source',
    configSchema: ndjsonConfigSchema,
    secretFields: SECRET_FIELDS,
    switchFields: switchFieldPaths(ndjsonConfigSchema),
    metadata: {},
    summary: (cfg) => ({ directory: cfg.directory }),
    async test(cfg) {
      try {
        const files = checkAccess(cfg);
        return {
          ok: true,
          httpStatus: 200,
          code: 'OK',
          summary: `Success ! ${cfg.directory} is readable (${files.length} NDJSON files).`,
          explanation: 'The connector can read its directory.',
          recommendation: 'None.',
          detail: `Directory: ${cfg.directory}\nFiles: ${files.join(', ') || '(none yet)'}`,
          warnings: files.length ? [] : ['The directory holds no .ndjson file yet.'],
        };
      } catch (e) {
        const err = isCodedError(e) ? e : new CodedError('ERR_INTERNAL', String(e));
        return failedTest(err, secretValues(cfg, SECRET_FIELDS));
      }
    },
    parts: (cfg) =>
      cfg.parts
        ? { parts: cfg.parts.split(','), concurrency: cfg.partConcurrency ?? 2 }
        : { parts: [''], concurrency: 1 },
    legacyPart: (cfg) => cfg.legacyPart,
    async collect(run) {
      const dir = path.join(run.config.directory, run.part);
      const files = checkAccess(run.config, run.part);
      const pageSize = run.tuning?.maxResults ?? 100;
      let cp = parseCheckpoint(run.checkpoint);
      let pages = 0;
      let items = 0;
      const started = run.clock.now();
      for (const file of files) {
        if (cp && file < cp.file) continue;
        const lines = fs
          .readFileSync(path.join(dir, file), 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '');
        let line = cp && cp.file === file ? cp.line : 0;
        while (line < lines.length) {
          if (run.signal?.aborted) return { stopped: true };
          const chunk = lines.slice(line, line + pageSize);
          line += chunk.length;
          // A line that is not JSON stays a string: the mapping refuses it (ERR_BAD_RESPONSE).
          const parsed = chunk.map((l) => {
            try {
              return JSON.parse(l) as unknown;
            } catch {
              return l;
            }
          });
          cp = { file, line };
          await run.onPage({ items: parsed, checkpoint: cp });
          pages++;
          items += parsed.length;
          const elapsedMs = run.clock.now() - started;
          run.onProgress?.({
            pages,
            findings: items,
            elapsedMs,
            rate: items / Math.max(1, elapsedMs / 1000),
            query: file,
          });
        }
        if (!cp || cp.file !== file) {
          // An empty file: move the checkpoint past it all the same.
          cp = { file, line: 0 };
          await run.onPage({ items: [], checkpoint: cp });
        }
      }
      return { stopped: false };
    },
    map(item, ctx): InterflowRecord {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new CodedError('ERR_BAD_RESPONSE', `an NDJSON line must be a JSON object, got ${typeof item}`);
      }
      const f = item as Record<string, unknown>;
      if (typeof f.id !== 'string' || f.id === '') {
        throw new CodedError('ERR_BAD_RESPONSE', 'an NDJSON finding needs a string id');
      }
      const updatedAt = time(f.updatedAt) ?? ctx.writeTime;
      const severity = typeof f.severity === 'string' ? f.severity.toUpperCase() : 'INFORMATIONAL';
      const versionKey = createHash('sha256').update(`${f.id}|${updatedAt}`).digest('hex').slice(0, 32);
      return {
        _id: tenantRecordId(ctx.tenantId, versionKey),
        timestamp: updatedAt,
        write_time: ctx.writeTime,
        tenantid: ctx.tenantId,
        tenant_name: ctx.tenantName,
        msg_class: 'ndjson_finding',
        msg_origin: {
          source: 'ndjson',
          vendor: 'test',
          category: 'Test Source',
          processor: { type: 'log_collector', name: ctx.connectorName, id: ctx.connectorId },
        },
        event_name: typeof f.title === 'string' ? f.title : f.id,
        event_status: typeof f.status === 'string' ? f.status : 'UNKNOWN',
        severity: SEVERITY[severity] ?? 10,
        ndjson: f,
      };
    },
    state(record) {
      const f = record.ndjson as Record<string, unknown> | undefined;
      if (!f || typeof f.id !== 'string') return undefined;
      return {
        key: f.id,
        status: typeof f.status === 'string' ? f.status : null,
        severity: typeof f.severity === 'string' ? f.severity : null,
        updatedAt: record.timestamp,
      };
    },
  };
}

/** Writes findings as one NDJSON file (tests): `{ id, title, status, severity, updatedAt }`. */
export function writeFindings(dir: string, file: string, findings: readonly Record<string, unknown>[]): void {
  fs.writeFileSync(path.join(dir, file), findings.map((f) => JSON.stringify(f)).join('\n') + '\n');
}

/** `n` findings `prefix-0..n-1` (updatedAt spread over the hour before `now`). */
export function ndjsonFindings(n: number, now: number, prefix = 'f'): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    title: `Finding ${prefix}-${i}`,
    status: 'ACTIVE',
    severity: i % 2 ? 'HIGH' : 'LOW',
    updatedAt: new Date(now - 3_600_000 + i * 1000).toISOString(),
  }));
}
