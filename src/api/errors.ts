/**
 * One error shape for every API failure: `{error: {code, message, fields?}}` with the code's HTTP
 * status. 5xx answers never carry the internal message or a stack (those go to the log).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  CodedError,
  ERRORS,
  FieldsError,
  RetryLaterError,
  type ErrorCode,
  type FieldError,
} from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface ErrorPayload {
  error: { code: ErrorCode; message: string; fields?: FieldError[] };
}

function send(reply: FastifyReply, code: ErrorCode, message: string, fields?: FieldError[], status?: number) {
  const body: ErrorPayload = { error: { code, message, ...(fields?.length ? { fields } : {}) } };
  return reply.status(status ?? ERRORS[code].httpStatus).send(body);
}

/** A 400's message: what was invalid (a connector configuration, else the request's part), each field named. */
export function invalidMessage(code: ErrorCode, where: string, fields: readonly FieldError[]): string {
  return (
    (code === 'ERR_CONFIG_INVALID' ? 'invalid connector configuration: ' : `invalid ${where}: `) +
    fields.map((f) => `${f.field}: ${f.message}`).join('; ')
  );
}

export function errorHandler(logger: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const fields = err.validation.flatMap((v): FieldError[] => {
        const path = v.instancePath.split('/').filter(Boolean).join('.');
        const keys = (v.params as { keys?: unknown }).keys;
        if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
          return keys.map((k) => ({
            field: path ? `${path}.${String(k)}` : String(k),
            message: `unknown field ${String(k)}: not allowed here`,
          }));
        }
        return [{ field: path || where, message: v.message ?? 'invalid' }];
      });
      const code = req.routeOptions.config?.validationCode ?? 'ERR_VALIDATION';
      return send(reply, code, invalidMessage(code, where, fields), fields);
    }
    if (err instanceof FieldsError) {
      // ERR_CONFIG_INVALID / ERR_VALIDATION (400), ERR_SECRET_UNREADABLE: each field named.
      return send(reply, err.code, err.message, err.fields);
    }
    if (err instanceof RetryLaterError) {
      // Rate limits and a busy server: a fixed, safe message and when to come back.
      reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
      return send(reply, err.code, err.message);
    }
    if (err instanceof CodedError) {
      const status = err.httpStatus;
      if (status >= 500 && err.info.publicMessage === true) {
        // Not a failure (e.g. a search's time budget): its message says what to do, holds no secrets.
        logger.warn({ code: err.code, url: req.routeOptions.url }, err.message);
        return send(reply, err.code, err.message);
      }
      if (status >= 500) {
        logger.error({ err, code: err.code, url: req.routeOptions.url }, 'request failed');
        return send(reply, err.code, `${ERRORS[err.code].explanation} (see the server log)`);
      }
      return send(reply, err.code, err.message);
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 413) return send(reply, 'ERR_PAYLOAD_TOO_LARGE', 'request body too large');
    if (status === 429)
      return send(reply, 'ERR_RATE_LIMITED', err.message || 'too many requests; wait a minute');
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, wrong content type): safe, fixed messages.
      return send(reply, 'ERR_VALIDATION', err.message, undefined, status);
    }
    logger.error({ err, url: req.routeOptions.url }, 'unexpected error');
    return send(
      reply,
      'ERR_INTERNAL',
      'internal error (see the server log); it has been logged without secrets',
    );
  };
}
