/** An error the emulated service answers with; the protocol layer renders it as AWS does. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra members of the error body (restJson1), e.g. ValidationException's reason/fields. */
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterSeconds?: number,
    /** Errors raised by AWS's front end (authentication) carry a namespace in x-amzn-errortype. */
    readonly namespace?: string,
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
