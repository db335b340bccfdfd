/**
 * Error classes of the client library. Every error carries a stable `code` (callers branch on it, never on
 * message text), a `retriable` flag and, where there is one, a `cause` (STYLE habit 4).
 */
import { processSecrets } from "../util/secret-registry.js";

/** Base class of every error the library raises. */
export class RccError extends Error {
  /** Stable machine-readable code, e.g. "RCC_NAK". */
  readonly code: string;
  /** Whether repeating the same operation later may succeed. */
  readonly retriable: boolean;

  /**
   * @param message may quote a peer (a Login refusal's text, a token endpoint's description): any secret of the
   *   process in it is masked here, before the message (and the stack trace built from it) exists.
   */
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(processSecrets.redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Stable code of {@link CertificateError}. */
export const CERTIFICATE_ERROR_CODE = "RCC_TLS_CERTIFICATE";

/**
 * TLS verification failures, as OpenSSL and Node name them in `error.code`: the server's certificate is
 * self-signed, signed by a CA not trusted here, expired or not yet valid, or made out to another host.
 */
export const CERTIFICATE_FAILURE_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The error in `error`'s cause chain (up to six deep) that carries a TLS verification code, and the code. */
function findCertificateFailure(error: unknown): { code: string; message: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof CertificateError) return { code: current.certificateCode, message: current.message };
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CERTIFICATE_FAILURE_CODES.has(code)) {
      const message = (current as { message?: unknown }).message;
      return { code, message: typeof message === "string" ? message : code };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The TLS verification code behind `error`: its own `code` or that of a cause (fetch wraps the socket's error
 * in `TypeError: fetch failed`). Undefined when the failure is not a certificate's.
 */
export function certificateFailureCode(error: unknown): string | undefined {
  return findCertificateFailure(error)?.code;
}

/**
 * The server's TLS certificate failed verification (`certificateCode` says how, e.g.
 * "DEPTH_ZERO_SELF_SIGNED_CERT"). Retrying with the same trust settings cannot help, so it is not retriable:
 * trust the CA that signed it (`tls.ca`) or fix the URL. `cause` is the failure as the TLS stack reported it.
 */
export class CertificateError extends RccError {
  /** The TLS verification code (one of {@link CERTIFICATE_FAILURE_CODES}). */
  readonly certificateCode: string;

  /**
   * @param origin the server refused, `protocol//host:port` (no path, user-info or query).
   * @param certificateCode the TLS verification code.
   * @param detail the TLS stack's own words, e.g. "self-signed certificate".
   * @param cause the failure as reported (its cause chain holds the TLS error).
   */
  constructor(origin: string, certificateCode: string, detail: string, cause?: unknown) {
    super(
      CERTIFICATE_ERROR_CODE,
      `the TLS certificate of ${origin} is not trusted (${certificateCode}: ${detail}); trust the CA that signed it (tls.ca) or check the URL`,
      { retriable: false, cause },
    );
    this.certificateCode = certificateCode;
  }
}

/** A {@link CertificateError} for a failure to reach `url` when a certificate is behind it; else undefined. */
export function certificateErrorFor(url: string, error: unknown): CertificateError | undefined {
  if (error instanceof CertificateError) return error;
  const failure = findCertificateFailure(error);
  if (failure === undefined) return undefined;
  let origin = url;
  try {
    const parsed = new URL(url);
    origin = `${parsed.protocol}//${parsed.host}`;
  } catch {
    // keep the text as given; callers pass URLs they validated
  }
  return new CertificateError(origin, failure.code, failure.message, error);
}
