// The methods that change nothing on the server (RFC 9110 "safe" methods):
// what a page on another origin may send without being refused.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method);
}
