// Keepstar's own script: nothing a page needs to work, only what makes it
// easier to read. Loaded by the layout on every page (script-src 'self').

// labelCells gives each cell of a table its column's header as data-label,
// which the phone layout (keepstar.css, "Tables on phones") shows above the
// cell when the table becomes a stack of cards.
function labelCells(root) {
  root.querySelectorAll("main table.table").forEach((table) => {
    const heads = [];
    table.querySelectorAll("thead tr:last-child > th").forEach((th) => {
      for (let i = 0; i < th.colSpan; i++) heads.push(th.innerText.trim());
    });
    table.querySelectorAll("tbody > tr").forEach((tr) => {
      let col = 0;
      for (const cell of tr.children) {
        const label = heads[col];
        if (label && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", label);
        // A cell with nothing to show (only the template's line breaks) is
        // left out of the card rather than shown as a lone label.
        const blank = cell.innerText.trim() === "" && !cell.querySelector("img, svg, input, select, textarea, button, a");
        cell.classList.toggle("cell-blank", blank);
        col += cell.colSpan || 1;
      }
    });
  });
}

// focusScrolling lets the keyboard reach a table wider than its box: a box
// that scrolls sideways takes the focus (tabindex 0), so the arrow keys
// scroll it; one that fits stays out of the tab order.
function focusScrolling(root) {
  root.querySelectorAll(".table-responsive").forEach((box) => {
    if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  });
}

function tidy() {
  labelCells(document);
  focusScrolling(document);
}

document.addEventListener("DOMContentLoaded", tidy);
// Fragments htmx swaps in may hold tables too.
document.addEventListener("htmx:afterSettle", tidy);
