/**
 * Fastify's per-request log lines, quieter: the UI polls (connectors, status, search) every few
 * seconds, and at `info` those polls were half of the server console (403 of 865 lines in 15
 * minutes, issue 15). Routine reads (GET/HEAD/OPTIONS answered below 400, without error) log at
 * `debug` (`LOG_LEVEL=debug` shows them); everything else stays visible at `info` in one
 * "request completed" line that names the method, URL and status: writes (POST, PATCH, PUT,
 * DELETE), 4xx answers, and errors and 5xx answers at `error`. "incoming request" is `debug`
 * for all: the completed line says the same and more.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const status = reply.statusCode;
    const line = {
      req: { method: request.method, url: request.url },
      res: { statusCode: status },
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (status >= 500) reply.log.error(line, 'request completed');
    else if (status >= 400 || !READS.has(request.method)) reply.log.info(line, 'request completed');
    else reply.log.debug(line, 'request completed');
  }
}
