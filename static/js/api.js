// JSON calls to the FocusQuest API with the session cookie and Django's CSRF token.

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/**
 * POST `body` as JSON. Resolves to {status, ok, data, retryAfter} for any HTTP answer;
 * rejects only when no answer came (offline, connection refused).
 */
export async function postJSON(path, body = {}) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken(),
    },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    // A proxy's error page is not JSON; the status still tells what happened.
  }
  const retryAfter = Number(response.headers.get("Retry-After")) || 0;
  return { status: response.status, ok: response.ok, data, retryAfter };
}

/** The first readable message in a DRF error body. */
export function errorText(data, fallback) {
  if (!data) return fallback;
  if (typeof data.detail === "string") return data.detail;
  for (const value of Object.values(data)) {
    if (Array.isArray(value) && value.length) return String(value[0]);
  }
  return fallback;
}
