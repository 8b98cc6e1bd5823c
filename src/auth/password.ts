/**
 * Password hashing with node's scrypt (memory-hard): N=2^15, r=8, p=1 (32 MiB per hash), a
 * random 16-byte salt per password, compared in constant time. The parameters travel with the
 * hash so they can be raised later without invalidating stored passwords. Every hash runs
 * through a server-wide gate (a few at a time, a bounded queue; beyond it ERR_BUSY), so a flood
 * of log-ins or password changes cannot queue unbounded 32 MiB jobs ahead of everyone else.
 *
 * The password rules follow NIST SP 800-63B: at least 12 characters (Unicode code points after
 * NFKC), no control characters, anything else allowed, and not a common, breached or otherwise
 * easily guessed password (zxcvbn-ts with its common-passwords dictionary; see passwordProblem).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import { RetryLaterError } from '../core/errors.js';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
/** Must exceed 128 * N * r; node's default (32 MiB) is exactly at the limit for N=2^15. */
const MAXMEM = 256 * 1024 * 1024;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;
/**
 * The lowest zxcvbn score accepted: 3 of 0-4, i.e. at least ~10^8 estimated guesses. Scores 0-2
 * are the listed common/breached passwords, repeats ("aaaa…", "abcabc…"), sequences
 * ("1234…"), keyboard walks and short word + digits combinations.
 */
export const PASSWORD_MIN_SCORE = 3;
/** zxcvbn looks at this many leading characters (its cost grows with the length). */
const STRENGTH_CHECK_CHARS = 64;
/** Words specific to this service, refused like common passwords (with the user's own name). */
const SERVICE_WORDS = ['inspector-connector', 'inspector', 'connector'];

// ---------------------------------------------------------------- hashing gate

export interface HashGate {
  /** Runs `task` when a slot is free; throws ERR_BUSY (retry later) when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

export const HASH_GATE_DEFAULTS = { concurrency: 2, maxQueue: 16 } as const;

export function createHashGate(opts: { concurrency?: number; maxQueue?: number } = {}): HashGate {
  const concurrency = Math.max(1, opts.concurrency ?? HASH_GATE_DEFAULTS.concurrency);
  const maxQueue = Math.max(0, opts.maxQueue ?? HASH_GATE_DEFAULTS.maxQueue);
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(task) {
      if (active < concurrency) active++;
      else {
        if (waiting.length >= maxQueue) {
          throw new RetryLaterError(
            'ERR_BUSY',
            'the server is busy checking other passwords: try again in a moment',
            1000,
          );
        }
        // The finishing task hands its slot over (active stays counted).
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}

/** The process-wide gate (log-in, password change, user creation, the first-start admin). */
export const defaultHashGate: HashGate = createHashGate();

function derive(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
  gate: HashGate,
): Promise<Buffer> {
  const opts: ScryptOptions = { N: n, r, p, maxmem: MAXMEM };
  return gate.run(
    () =>
      new Promise((resolve, reject) =>
        scrypt(password.normalize('NFKC'), salt, KEY_LEN, opts, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      ),
  );
}

export async function hashPassword(password: string, gate: HashGate = defaultHashGate): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, gate);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(
  password: string,
  stored: string,
  gate: HashGate = defaultHashGate,
): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await derive(password, salt, n, r, p, gate);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A strong random password (24 URL-safe characters, 144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

// ---------------------------------------------------------------- rules

let zxcvbn: ZxcvbnFactory | undefined;
/** Built on first use (~50-200 ms: it ranks the dictionaries), then reused. */
const strengthChecker = () =>
  (zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    maxLength: STRENGTH_CHECK_CHARS,
  }));

/** Why zxcvbn finds the password guessable, from its most telling match. */
function guessableReason(r: ZxcvbnResult): string {
  const matches = r.sequence.filter((m) => m.pattern !== 'bruteforce');
  const m = matches.sort((a, b) => b.token.length - a.token.length)[0];
  switch (m?.pattern) {
    case 'repeat':
      return 'it repeats one character or a short pattern (like "aaaa" or "abcabc")';
    case 'sequence':
      return 'it is a simple sequence (like "abcd" or "1234")';
    case 'spatial':
      return 'it is a keyboard pattern (like "qwerty" or "zaq12wsx")';
    case 'date':
    case 'regex':
      return 'it is mostly a date or a year';
    case 'dictionary':
      if (m.dictionaryName === 'userInputs') return 'it is mostly the user name or the name of this service';
      if (String(m.dictionaryName).startsWith('passwords'))
        return 'it is a commonly used or breached password';
      return 'it is made of a few common words';
    default:
      return 'it is too predictable';
  }
}

export interface PasswordRuleContext {
  /** The request field, named in the messages (default "password"). */
  field?: string;
  /** Words the password must not be built from: the user name. */
  userInputs?: readonly string[];
}

/**
 * Why a password is unacceptable (a message naming the field), or undefined. Cheap checks
 * first; the strength estimate (1-100 ms of CPU) only for a password that passes them.
 */
export function passwordProblem(password: string, ctx: PasswordRuleContext = {}): string | undefined {
  const field = ctx.field ?? 'password';
  if (password.length > PASSWORD_MAX) return `${field} must be at most ${PASSWORD_MAX} characters`;
  const control = /\p{Cc}/u.exec(password);
  if (control) {
    const cp = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `${field} must not contain control characters (found U+${cp}); any other character is allowed`;
  }
  if (/\p{Cs}/u.test(password)) return `${field} must be valid Unicode text (it has an unpaired surrogate)`;
  const normalized = password.normalize('NFKC');
  if ([...normalized].length < PASSWORD_MIN) return `${field} must be at least ${PASSWORD_MIN} characters`;
  const inputs = [...SERVICE_WORDS, ...(ctx.userInputs ?? []).filter((w) => w.length > 0)];
  const r = strengthChecker().check(normalized, inputs);
  if (r.score < PASSWORD_MIN_SCORE) {
    return `${field} is too easy to guess: ${guessableReason(r)}; choose a longer or less common one`;
  }
  return undefined;
}
