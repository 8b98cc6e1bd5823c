/** Renders the error registry as the Markdown table in docs/errors.md (kept in step by a test). */
import { ERRORS } from './errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS).map(
    ([code, e]) =>
      `| \`${code}\` | ${e.httpStatus} ${e.httpName} | ${e.retryable ? 'yes' : 'no'} | ${e.explanation} | ${e.recommendation} |`,
  );
  return [
    '# Error codes',
    '',
    'Every failure inspector-connector reports (CLI, API, connector status, the Test dialog) carries one',
    "of these codes. The HTTP status follows the specification's Test table (400/401/403/404/429);",
    'credentials that AWS rejects with 403 but that are unknown, wrong or expired are reported as 401,',
    'as the table classifies by meaning. Generated from `src/core/errors.ts`',
    '(`npx tsx src/core/errors-doc.ts > docs/errors.md`).',
    '',
    '| code | HTTP | retryable | explanation | recommendation |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(renderErrorsDoc());
