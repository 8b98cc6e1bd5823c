/** A self-signed certificate for 127.0.0.1/localhost, generated at start (nothing on disk). */
import { generate } from 'selfsigned';

export async function selfSignedCert(host: string): Promise<{ key: string; cert: string }> {
  const ip = /^[\d.]+$/.test(host) || host.includes(':');
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    ...(ip
      ? host !== '127.0.0.1'
        ? [{ type: 7 as const, ip: host }]
        : []
      : [{ type: 2 as const, value: host }]),
  ];
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'inspector-connector AWS emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 86_400_000),
    notAfterDate: new Date(now + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
