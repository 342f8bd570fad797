// The console's only way to the API: every request carries the key as "Authorization: Bearer", including the
// event stream (read with fetch, since EventSource cannot send headers) and artifacts (fetched into blob: URLs).
// The key lives in sessionStorage (this tab only, gone when it closes); it is never put in a URL.

const KEY_STORAGE = 'vlm3d.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** An error answer of the API: its RFC 9457 problem (or a stand-in when the body is not one). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || ('HTTP ' + status));
    this.status = status;
    this.problem = problem;
    this.code = problem.code || ('HTTP_' + status);
  }
}

/** Thrown before any request when there is no key, so screens can say so instead of showing nothing. */
export class MissingKeyError extends Error {
  constructor() {
    super('Enter an API key at the top of the page (the console sends it as "Authorization: Bearer <key>").');
    this.code = 'NO_KEY';
  }
}

function authHeaders(extra) {
  const key = apiKey();
  if (!key) throw new MissingKeyError();
  return Object.assign({Authorization: 'Bearer ' + key}, extra || {});
}

async function problemOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object') return body;
  } catch (e) { /* not JSON: fall through */ }
  return {status: response.status, title: response.statusText, detail: text.slice(0, 300) || response.statusText};
}

/** fetch with the key; resolves to the Response when it is 2xx or 304, throws ApiError otherwise. */
export async function request(path, {method = 'GET', body, headers, signal} = {}) {
  const init = {method, headers: authHeaders(headers), signal, cache: 'no-store'};
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, init);
  if (!response.ok && response.status !== 304) throw new ApiError(response.status, await problemOf(response));
  return response;
}

export async function json(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

/** An artifact (or any authenticated resource) as a blob: URL; the caller revokes it when done. */
export async function blobUrl(path, signal) {
  const response = await request(path, {signal});
  return URL.createObjectURL(await response.blob());
}

/**
 * Reads a text/event-stream with the key in the header. Calls onEvent(name, data) per event, resolves when the
 * server ends the stream, rejects on an HTTP error (ApiError) or a dropped connection. Comment lines (keep-alives)
 * are skipped. Abort with the signal.
 */
export async function readEvents(path, onEvent, signal) {
  const response = await request(path, {headers: {Accept: 'text/event-stream'}, signal});
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = 'message';
  let data = [];
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length) onEvent(name, data.join('\n'));
        name = 'message';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = val;
        else if (field === 'data') data.push(val);
      }
    }
  }
}

/** A message for people: what went wrong and, for auth problems, what to do. */
export function describe(error) {
  if (error instanceof MissingKeyError) return error.message;
  if (error instanceof ApiError) {
    if (error.code === 'INVALID_API_KEY') {
      return 'The API key was refused: ' + error.message + '. Enter a valid key at the top of the page.';
    }
    if (error.code === 'UNAUTHENTICATED') return 'No API key was sent: ' + error.message;
    if (error.code === 'ADMIN_REQUIRED') return 'This needs an admin key: ' + error.message;
    return error.message + ' (' + error.code + ')';
  }
  if (error && error.name === 'AbortError') return '';
  return 'The service could not be reached: ' + (error && error.message ? error.message : error);
}
