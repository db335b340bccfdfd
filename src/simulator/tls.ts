/**
 * TLS material for the simulator: a given certificate and key, or a self-signed pair generated at start-up for
 * `localhost` and `127.0.0.1`, so clients can be tested with certificate checks on.
 */
import { generate } from "selfsigned";

/** PEM certificate and private key. */
export interface TlsMaterial {
  /** PEM certificate; clients pass it as their `ca` to trust the simulator. */
  cert: string;
  /** PEM private key. */
  key: string;
}

/** Generates a self-signed EC P-256 certificate valid for 7 days for localhost, 127.0.0.1 and ::1. */
export async function generateSelfSigned(): Promise<TlsMaterial> {
  const notAfterDate = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
