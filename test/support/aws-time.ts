/**
 * AWS's time as every emulator-based integration and reliability test meets it by default
 * (emulator README "Indexing lag", "Clock offset"): a version is listed 20 s after it was
 * written, and AWS's clock runs 2 minutes behind the host's, the direction that loses versions
 * when a window ends at the host's time. Tests whose subject needs otherwise say so.
 */
export const AWS_TIME = { indexLagSeconds: 20, clockOffsetSeconds: -120 } as const;

/**
 * How far to move the emulator's clock so that everything written so far is listed and inside
 * the next window: the lag, plus the second the `Date` header (the window end) drops.
 */
export const SETTLE_MS = (AWS_TIME.indexLagSeconds + 1) * 1000;
