/**
 * The control API under /__emulator/ (never under AWS paths, no signature): summary, mutations,
 * added findings, deletions (outright, terminated resources, disabled accounts: README
 * "Deleted findings"), faults, account activation, STS credential lifetime, the clock (and its offset
 * from the host's), the indexing lag, the paging mode (uneven or clean), the daily rate of immaterial
 * rescans, the organisation (members, accounts that stop reporting, opt-in regions, per-region
 * throttling: README "Organisation, members and coverage") and a log of the requests served.
 * Errors are `{"error": "..."}` with
 * 400/404/405, naming the field.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  MAX_CLOCK_OFFSET_SECONDS,
  MAX_INDEX_LAG_SECONDS,
  checkSeconds,
  type EmulatorState,
} from './state.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024 * 1024) throw new Error('body: larger than 64 MB');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('body: not valid JSON');
  }
}

const ROUTES: Record<string, string[]> = {
  summary: ['GET'],
  mutate: ['POST'],
  findings: ['POST'],
  'findings/delete': ['POST'],
  'resources/terminate': ['POST'],
  'accounts/{id}/disable': ['POST'],
  'accounts/{id}/reporting': ['POST'],
  members: ['GET', 'POST'],
  'regions/opt-in': ['GET', 'POST'],
  throttling: ['GET', 'POST'],
  faults: ['GET', 'POST', 'DELETE'],
  accounts: ['POST'],
  sts: ['GET', 'POST'],
  clock: ['GET', 'POST'],
  paging: ['GET', 'POST'],
  rescans: ['GET', 'POST'],
  indexing: ['GET', 'POST'],
  requests: ['GET', 'DELETE'],
};

export async function handleControl(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname.replace(/^\/__emulator\/?/, '').replace(/\/$/, '');
  // The routes with a parameter: accounts/{12 digits}/disable and /reporting.
  const m = /^accounts\/([^/]+)\/(disable|reporting)$/.exec(path);
  const account = m?.[1];
  const name = m ? `accounts/{id}/${m[2]}` : path;
  const method = req.method ?? 'GET';
  const allowed = ROUTES[name];
  if (!allowed)
    return send(res, 404, {
      error: `unknown control endpoint /__emulator/${name}; known: ${Object.keys(ROUTES).join(', ')}`,
    });
  if (!allowed.includes(method))
    return send(res, 405, {
      error: `${method} not allowed on /__emulator/${name}; allowed: ${allowed.join(', ')}`,
    });
  try {
    const body = method === 'POST' ? await readJson(req) : undefined;
    switch (`${method} ${name}`) {
      case 'GET summary':
        return send(res, 200, state.summary());
      case 'POST mutate':
        return send(res, 200, state.mutate(body));
      case 'POST findings':
        return send(res, 200, state.addFindings(body));
      case 'POST findings/delete':
        return send(res, 200, state.deleteFindings(body));
      case 'POST resources/terminate':
        return send(res, 200, state.terminateResources(body));
      case 'POST accounts/{id}/disable':
        return send(res, 200, state.disableAccount(account!, body));
      case 'POST accounts/{id}/reporting':
        return send(res, 200, state.org.setReporting(account!, body, state.now()));
      case 'GET members':
        return send(res, 200, { members: state.org.memberDump() });
      case 'POST members':
        return send(res, 200, state.org.setMembers(body, state.now()));
      case 'GET regions/opt-in':
        return send(res, 200, state.org.optInState());
      case 'POST regions/opt-in':
        return send(res, 200, state.org.setOptIn(body));
      case 'GET throttling':
        return send(res, 200, state.org.throttling());
      case 'POST throttling':
        return send(res, 200, state.org.setThrottling(body));
      case 'GET faults':
        return send(res, 200, { faults: state.faults.current, injected: state.faults.injected });
      case 'POST faults':
        return send(res, 200, { faults: state.faults.set(body) });
      case 'DELETE faults':
        state.faults.reset();
        return send(res, 200, { faults: state.faults.current });
      case 'POST accounts':
        return send(res, 200, state.setAccountStatus(body));
      case 'GET sts':
        return send(res, 200, { credentialSeconds: state.credentialSeconds ?? null });
      case 'POST sts': {
        const b = body as { credentialSeconds?: unknown };
        const v = b?.credentialSeconds;
        if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 43200)) {
          throw new Error(
            "credentialSeconds: an integer 1-43200, or null to use each request's DurationSeconds",
          );
        }
        state.credentialSeconds = v ?? undefined;
        return send(res, 200, { credentialSeconds: v });
      }
      case 'GET clock':
        return send(res, 200, { now: state.now(), offsetMs: state.clockOffsetMs() });
      case 'POST clock': {
        const b = (body ?? {}) as { advanceMs?: unknown; setMs?: unknown; offsetSeconds?: unknown };
        for (const k of ['advanceMs', 'setMs'] as const) {
          if (b[k] !== undefined && (typeof b[k] !== 'number' || !Number.isFinite(b[k])))
            throw new Error(`${k}: a number of milliseconds`);
        }
        if (b.offsetSeconds !== undefined)
          checkSeconds('offsetSeconds', b.offsetSeconds, -MAX_CLOCK_OFFSET_SECONDS, MAX_CLOCK_OFFSET_SECONDS);
        const extra = Object.keys(b).filter((k) => !['advanceMs', 'setMs', 'offsetSeconds'].includes(k));
        if (extra.length)
          throw new Error(`${extra[0]}: unknown field; allowed: advanceMs, setMs, offsetSeconds`);
        const now = state.moveClock(b as { advanceMs?: number; setMs?: number; offsetSeconds?: number });
        return send(res, 200, { now, offsetMs: state.clockOffsetMs() });
      }
      case 'GET indexing':
        return send(res, 200, { lagSeconds: state.indexLagMs / 1000, pending: state.pendingWrites() });
      case 'POST indexing': {
        const b = (body ?? {}) as { lagSeconds?: unknown };
        const extra = Object.keys(b).filter((k) => k !== 'lagSeconds');
        if (extra.length) throw new Error(`${extra[0]}: unknown field; allowed: lagSeconds`);
        state.indexLagMs = checkSeconds('lagSeconds', b.lagSeconds, 0, MAX_INDEX_LAG_SECONDS) * 1000;
        // A shorter lag makes waiting writes visible at once.
        state.indexDue();
        return send(res, 200, { lagSeconds: state.indexLagMs / 1000, pending: state.pendingWrites() });
      }
      case 'GET paging':
        return send(res, 200, { paging: state.cleanPages ? 'clean' : 'uneven' });
      case 'POST paging': {
        const b = (body ?? {}) as { paging?: unknown };
        const extra = Object.keys(b).filter((k) => k !== 'paging');
        if (extra.length) throw new Error(`${extra[0]}: unknown field; allowed: paging`);
        if (b.paging !== 'clean' && b.paging !== 'uneven')
          throw new Error(`paging: 'uneven' (AWS's short, empty and trailing pages) or 'clean'`);
        state.cleanPages = b.paging === 'clean';
        return send(res, 200, { paging: b.paging });
      }
      case 'GET rescans':
        return send(res, 200, state.rescan());
      case 'POST rescans': {
        const b = (body ?? {}) as { rate?: unknown };
        const extra = Object.keys(b).filter((k) => k !== 'rate');
        if (extra.length) throw new Error(`${extra[0]}: unknown field; allowed: rate`);
        if (typeof b.rate !== 'number' || !Number.isFinite(b.rate) || b.rate < 0 || b.rate > 1)
          throw new Error('rate: a fraction from 0 to 1 (of ACTIVE findings rescanned per emulator day)');
        return send(res, 200, state.rescan(b.rate));
      }
      case 'GET requests':
        return send(res, 200, { requests: state.requests() });
      case 'DELETE requests':
        state.clearRequests();
        return send(res, 200, { requests: [] });
    }
  } catch (e) {
    return send(res, 400, { error: (e as Error).message });
  }
}
