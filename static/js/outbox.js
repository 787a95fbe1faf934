// Finished sessions waiting to reach the server, kept in localStorage until it answers.
//
// A completion is added here BEFORE the running timer is cleared, so a reload, a crash,
// a network failure or a 503 never loses it. It is sent until the server gives a final
// answer: 2xx (done) or a refusal (400/404/409: showing the reason is all that is left).
// Anything else (offline, 5xx, 429, a lost session cookie) is retried with exponential
// backoff. Sending one twice is harmless: the server answers a repeated completion with
// the same result and awards nothing more.

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const FINAL_REFUSALS = new Set([400, 404, 409]);

export class Outbox {
  constructor(storageKey, { send, onDone, onChange = () => {} }) {
    this.key = storageKey;
    this.send = send;
    this.onDone = onDone;
    this.onChange = onChange;
    this.failures = 0;
    this.timer = null;
    this.busy = false;
    this.nextTryAt = null;
    window.addEventListener("online", () => this.flush());
    window.addEventListener("storage", (event) => {
      if (event.key === this.key) this.onChange();
    });
  }

  items() {
    try {
      const items = JSON.parse(localStorage.getItem(this.key) || "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  has(sessionId) {
    return this.items().some((item) => item.id === sessionId);
  }

  add(item) {
    const items = this.items().filter((other) => other.id !== item.id);
    items.push(item);
    localStorage.setItem(this.key, JSON.stringify(items));
    this.onChange();
  }

  remove(sessionId) {
    const items = this.items().filter((item) => item.id !== sessionId);
    localStorage.setItem(this.key, JSON.stringify(items));
    this.onChange();
  }

  /** Sends every waiting item, oldest first; on a failure, tries again later. */
  async flush() {
    if (this.busy) {
      this.again = true; // an item added mid-flush goes out right after this round
      return;
    }
    this.busy = true;
    this.again = false;
    clearTimeout(this.timer);
    this.timer = null;
    this.nextTryAt = null;
    let retryAfterMs = 0;
    try {
      for (const item of this.items()) {
        let answer;
        try {
          answer = await this.send(item);
        } catch {
          answer = null; // no answer at all: offline or the server is unreachable
        }
        if (answer && (answer.ok || FINAL_REFUSALS.has(answer.status))) {
          this.remove(item.id);
          this.failures = 0;
          this.onDone(item, answer);
          continue;
        }
        this.failures += 1;
        retryAfterMs = (answer?.retryAfter || 0) * 1000;
        break;
      }
    } finally {
      this.busy = false;
    }
    if (this.failures && this.items().length) this.#schedule(retryAfterMs);
    else if (this.again) setTimeout(() => this.flush(), 0);
    this.onChange();
  }

  #schedule(retryAfterMs) {
    const backoff = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.failures - 1));
    // Jitter spreads the retries of many clients after an outage.
    const delay = Math.max(retryAfterMs, backoff * (0.75 + Math.random() / 2));
    this.nextTryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.flush(), delay);
  }
}
