// Reads the records a request of Mixpanel's browser library carries: the data parameter of its query or form body,
// JSON or base64 of JSON, one record or a list of them.
export function recordsIn(request) {
  const url = new URL(request.url());
  let data = url.searchParams.get('data');
  if (data === null && request.postData()) {
    data = new URLSearchParams(request.postData()).get('data');
  }

  if (data === null) {
    return [];
  }

  const text = /^\s*[[{]/.test(data) ? data : Buffer.from(data, 'base64').toString('utf8');
  const parsed = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : [parsed];
}
