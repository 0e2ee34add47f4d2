// Live countdowns (structure timers, fleet operations). Each element
// [data-countdown] holds an ISO 8601 time; its text becomes the time left
// ("2d 03:04:05") or, once past, the time since ("-00:12:30"), refreshed
// every second. [data-eve-clock] shows the EVE time (UTC) now. Without
// script the server's text (the time itself) stays.
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  const format = (ms) => {
    const sign = ms < 0 ? "-" : "";
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400);
    s -= d * 86400;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    return sign + (d > 0 ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  };
  const tick = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-countdown]")) {
      const at = Date.parse(el.dataset.countdown);
      if (Number.isNaN(at)) {
        continue;
      }
      el.textContent = format(at - now);
      el.classList.toggle("text-danger", at > now && at - now < 3600 * 1000);
    }
    const clock = new Date(now).toISOString();
    for (const el of document.querySelectorAll("[data-eve-clock]")) {
      el.textContent = clock.slice(0, 10) + " " + clock.slice(11, 19);
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    tick();
    setInterval(tick, 1000);
  });
})();
