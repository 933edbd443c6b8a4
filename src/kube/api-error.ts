// Typed errors for API server responses, so callers branch on `instanceof ConflictError`
// instead of comparing status codes and reason strings.

/** metav1.Status, the body of every API error response and of watch ERROR events. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

export function isKubeStatus(value: unknown): value is KubeStatus {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

export interface FailedRequest {
  method: string;
  path: string;
}

export class KubeApiError extends Error {
  readonly statusCode: number;
  /** metav1.StatusReason, e.g. 'Conflict', 'NotFound', 'Invalid'; '' when the body had none. */
  readonly reason: string;
  readonly status: KubeStatus | undefined;
  readonly request: FailedRequest;

  constructor(request: FailedRequest, statusCode: number, status: KubeStatus | undefined, hint?: string) {
    const detail = status?.message ?? `HTTP ${statusCode}`;
    super(`${request.method} ${request.path}: ${detail}${hint ? ` (${hint})` : ''}`);
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.reason = status?.reason ?? '';
    this.status = status;
    this.request = request;
  }
}

/** 409 Conflict: the resourceVersion we sent is stale. Re-read (from the cache) and retry. */
export class ConflictError extends KubeApiError {}
/**
 * A guarded JSON patch whose `test` op failed (see ConditionalWrites): the object is no longer
 * in the state the patch was guarded by. That is the same answer as a 409 on a stale
 * resourceVersion, so it is a ConflictError: callers drop the pass and plan again.
 */
export class TestFailedError extends ConflictError {}
/** 409 AlreadyExists on create. */
export class AlreadyExistsError extends KubeApiError {}
/** 404 NotFound. */
export class NotFoundError extends KubeApiError {}
/** 410 Gone / Expired: a resourceVersion or continue token is too old; list again from scratch. */
export class GoneError extends KubeApiError {}

/** Classifies an error response; `body` is the parsed JSON body, if any. */
export function kubeApiErrorFor(request: FailedRequest, statusCode: number, body: unknown): KubeApiError {
  const status = isKubeStatus(body) ? body : undefined;
  const reason = status?.reason;
  if (statusCode === 409 && reason === 'AlreadyExists') {
    return new AlreadyExistsError(request, statusCode, status);
  }
  if (statusCode === 409) {
    return new ConflictError(
      request,
      statusCode,
      status,
      'the object changed since it was read; re-read it and retry',
    );
  }
  if (statusCode === 404) {
    return new NotFoundError(request, statusCode, status);
  }
  if (statusCode === 410) {
    return new GoneError(request, statusCode, status);
  }
  return new KubeApiError(request, statusCode, status);
}

/** kube-apiserver's message for a JSON patch it could not apply (NewGenericServerResponse, 422). */
const PATCH_NOT_APPLIED_MESSAGE = 'the server rejected our request due to an error in our request';

/**
 * True for the API server's answer to a JSON patch it could not apply: a `test` op that failed,
 * or an op on a path that is not there. kube-apiserver (1.34-1.37 at least) answers 422 Invalid
 * with a generic message and drops the JSON patch library's own words ("testing value
 * /metadata/generation failed"), which are matched too in case a server keeps them. A patched
 * object that fails validation is also 422 Invalid, but says what is invalid, with causes.
 */
export function isPatchNotApplied(error: unknown): boolean {
  if (!(error instanceof KubeApiError) || error.statusCode !== 422) return false;
  const causes = error.status?.details?.causes ?? [];
  const texts = [error.status?.message, ...causes.map((c) => c.message)];
  if (texts.some((text) => text !== undefined && /testing value .* failed/.test(text))) return true;
  return (
    error.reason === 'Invalid' && error.status?.message === PATCH_NOT_APPLIED_MESSAGE && causes.length === 0
  );
}

/** True for 410 Gone and for the "too old resource version" Expired status in watch streams. */
export function isGone(error: unknown): boolean {
  if (error instanceof GoneError) {
    return true;
  }
  if (isKubeStatus(error)) {
    return error.code === 410 || error.reason === 'Expired' || error.reason === 'Gone';
  }
  // The library's Watch rejects non-200 responses with a plain Error carrying statusCode.
  return (
    typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 410
  );
}
