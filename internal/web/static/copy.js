// Copy buttons. A button[data-copy] copies the text of the element whose id
// it names; it stays hidden where the browser cannot copy (no script, no
// clipboard), and the text is then selected with a click instead
// (user-select-all). Its data-copied is the label it shows once copied, and
// the element [data-copy-status] naming the same id tells screen readers.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) {
    return;
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const target = document.getElementById(button.dataset.copy);
    if (!target) {
      continue;
    }
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = button.dataset.copied;
        if (status) {
          status.textContent = button.dataset.copied;
        }
      } catch {
        // Refused (no permission): select the text for the member to copy.
        const range = document.createRange();
        range.selectNodeContents(target);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    });
  }
});
