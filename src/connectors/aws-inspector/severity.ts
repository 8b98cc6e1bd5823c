/**
 * Inspector severity label -> Interflow `severity` (0-100).
 *
 * The five AWS labels use the numbers AWS Security Hub itself assigns to them (the ASFF
 * `Severity.Normalized` lower bounds: the same Inspector findings in
 * test/fixtures/aws-inspector2/asff_*.json carry MEDIUM 40, HIGH 70, CRITICAL 90), so a
 * range query means the same thing here as in Security Hub.
 *
 * UNTRIAGED (the vendor has not scored the CVE yet) sits at 30: above LOW, so a filter that
 * drops low-severity noise does not also hide brand-new unscored CVEs; below MEDIUM, so
 * "severity >= 40" keeps meaning "MEDIUM or worse by AWS's own label". Any other or missing
 * label (AWS adds enum values) is treated the same way: not triaged yet, 30.
 * docs/records.md carries this table; keep the two in step.
 */
export const SEVERITY_SCORES: ReadonlyMap<string, number> = new Map([
  ['INFORMATIONAL', 0],
  ['LOW', 1],
  ['UNTRIAGED', 30],
  ['MEDIUM', 40],
  ['HIGH', 70],
  ['CRITICAL', 90],
]);

/** Severity for a label AWS may add later, or a finding without one. */
export const UNKNOWN_SEVERITY_SCORE = 30;

/** Maps any value (open enum, wrong type, missing) to 0-100; never throws. */
export function severityScore(label: unknown): number {
  if (typeof label !== 'string') return UNKNOWN_SEVERITY_SCORE;
  // A Map, not an object literal: labels like "constructor" must not hit the prototype.
  const score = SEVERITY_SCORES.get(label) ?? SEVERITY_SCORES.get(label.toUpperCase());
  return score ?? UNKNOWN_SEVERITY_SCORE;
}
