/** An error the emulated service answers with; the protocol layer renders it as AWS does. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra members of the error body (restJson1), e.g. ValidationException's reason/fields. */
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function validation(
  message: string,
  reason: 'CANNOT_PARSE' | 'FIELD_VALIDATION_FAILED' | 'OTHER' = 'FIELD_VALIDATION_FAILED',
  field?: string,
): AwsError {
  return new AwsError('ValidationException', 400, message, {
    reason,
    ...(field ? { fields: [{ name: field, message }] } : {}),
  });
}
