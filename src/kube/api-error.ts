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
