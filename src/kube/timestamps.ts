// Kubernetes serializes metav1.Time as RFC 3339 with whole seconds and metav1.MicroTime with
// exactly six fractional digits; Go's parser rejects MicroTime with any other digit count.

/** metav1.Time, e.g. 2025-01-02T03:04:05Z (Event first/lastTimestamp). */
export function formatTime(epochMs: number): string {
  // toISOString always ends in `.sssZ`; slicing is cheaper than a regex (called per reconcile).
  return `${new Date(epochMs).toISOString().slice(0, -5)}Z`;
}

/** metav1.MicroTime, e.g. 2025-01-02T03:04:05.123000Z (Lease acquireTime/renewTime). */
export function formatMicroTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, -1)}000Z`;
}
