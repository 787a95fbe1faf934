// Short notices (a badge, a level-up) in a polite live region; each goes away by itself
// after a while, or at once when clicked or dismissed with Escape.

export function toaster(region, { lifetimeMs = 7000 } = {}) {
  function dismiss(toast) {
    toast.remove();
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") region.querySelectorAll(".toast").forEach(dismiss);
  });
  return function show(text, kind = "info") {
    const toast = document.createElement("div");
    toast.className = `toast toast-${kind}`;
    toast.textContent = text;
    toast.addEventListener("click", () => dismiss(toast));
    region.append(toast);
    setTimeout(() => dismiss(toast), lifetimeMs);
  };
}
