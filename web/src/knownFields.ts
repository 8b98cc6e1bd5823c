/**
 * The known fields for completion: the field paths of the newest 1,000 records of the
 * caller's tenants, all time (`GET /search/fields`, the server's sample bound), and the
 * index's columns (every record has them). Asked once per page that uses it; a failure leaves the list short
 * (completion is a help, free text always works).
 */
import { useEffect, useState } from 'react';
import { get, type FieldStats } from './api.js';

/** Records whose fields make the list (the server's bound for /search/fields). */
export const KNOWN_FIELDS_SAMPLE = 1000;
/** Fields of every record (the index's columns). */
const ALWAYS = ['_id', 'timestamp', 'write_time', 'severity'];

export interface KnownFields {
  fields: string[];
  /** The server answered (until then only the index's columns are listed). */
  loaded: boolean;
}

export function useKnownFields(): KnownFields {
  const [known, setKnown] = useState<KnownFields>({ fields: ALWAYS, loaded: false });
  useEffect(() => {
    let live = true;
    const qs = new URLSearchParams({
      index: 'syslog',
      q: '',
      timeField: 'write_time',
      sort: 'write_time:desc',
      sample: String(KNOWN_FIELDS_SAMPLE),
      top: '1',
    });
    get<FieldStats>(`/search/fields?${qs.toString()}`).then(
      (s) =>
        live &&
        setKnown({ fields: [...new Set([...ALWAYS, ...s.fields.map((f) => f.path)])].sort(), loaded: true }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return known;
}
