// The "type a name" widget of fields of EVE ids (internal/eve/names): under
// each element marked data-eve-names="<kind>" (a textarea or an input of
// ids), a search box lists the characters, corporations, alliances or
// factions whose names start with what is typed (GET /api/eve/names), with
// portrait or logo and ticker; picking one adds its id to the field. The
// field stays the plain list of ids the server reads, so the page works
// without this script. The texts come from the field's data attributes,
// translated by the page. An ARIA 1.2 combobox: arrows move, Enter picks,
// Escape closes; a tap picks on a phone.
(function () {
  "use strict";
  var counter = 0;

  function attach(field) {
    if (field.matches(":disabled") || field.readOnly) {
      return;
    }
    var kind = field.getAttribute("data-eve-names");
    var n = ++counter;
    var wrap = document.createElement("div");
    wrap.className = "eve-names mt-2";
    var label = document.createElement("label");
    label.className = "form-label small mb-1";
    label.htmlFor = field.id + "-find";
    label.textContent = field.getAttribute("data-eve-names-label") || "";
    var input = document.createElement("input");
    input.type = "text";
    input.id = field.id + "-find";
    input.className = "form-control form-control-sm";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = field.getAttribute("data-eve-names-placeholder") || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    var list = document.createElement("ul");
    list.id = "eve-names-list-" + n;
    list.className = "list-group eve-names-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label.textContent);
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);
    var status = document.createElement("div");
    status.className = "form-text eve-names-status";
    status.setAttribute("aria-live", "polite");
    wrap.append(label, input, list, status);
    field.after(wrap);

    var matches = [];
    var active = -1;
    var timer = 0;
    var pending = null;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      matches = [];
      active = -1;
    }

    function show(found) {
      list.replaceChildren();
      matches = found;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found.length === 0) {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
        status.textContent = input.value.trim() === "" ? "" : field.getAttribute("data-eve-names-none") || "";
        return;
      }
      status.textContent = "";
      found.forEach(function (m, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.className = "list-group-item list-group-item-action d-flex align-items-center gap-2 eve-names-option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-id", String(m.id));
        if (m.image) {
          var img = document.createElement("img");
          img.src = m.image;
          img.alt = "";
          img.width = 32;
          img.height = 32;
          img.className = "rounded flex-shrink-0";
          li.append(img);
        }
        var name = document.createElement("span");
        name.className = "text-break";
        name.textContent = m.name;
        li.append(name);
        if (m.ticker) {
          var ticker = document.createElement("span");
          ticker.className = "text-body-secondary small";
          ticker.textContent = "[" + m.ticker + "]";
          li.append(ticker);
        }
        var id = document.createElement("code");
        id.className = "ms-auto small";
        id.textContent = String(m.id);
        li.append(id);
        // mousedown, not click: the input keeps its focus.
        li.addEventListener("mousedown", function (e) {
          e.preventDefault();
          pick(i);
        });
        list.append(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(i) {
      var items = list.children;
      if (active >= 0 && items[active]) {
        items[active].classList.remove("active");
        items[active].setAttribute("aria-selected", "false");
      }
      active = i;
      if (i >= 0 && items[i]) {
        items[i].classList.add("active");
        items[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      }
    }

    function pick(i) {
      var m = matches[i];
      if (!m) {
        return;
      }
      var id = String(m.id);
      var have = field.value.split(/[\s,;]+/).filter(Boolean);
      if (have.indexOf(id) < 0) {
        // One line: names may hold spaces, so ids are set apart by commas.
        var sep = field.tagName === "TEXTAREA" ? "\n" : ", ";
        var text = field.value.replace(/\s+$/, "");
        field.value = (text === "" ? "" : text + sep) + id + (field.tagName === "TEXTAREA" ? "\n" : "");
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
      status.textContent = (field.getAttribute("data-eve-names-added") || "{name}").replace("{name}", m.name);
      input.value = "";
      close();
      input.focus();
    }

    function search() {
      var q = input.value.trim();
      if (pending) {
        pending.abort();
      }
      if (q === "") {
        close();
        status.textContent = "";
        return;
      }
      pending = new AbortController();
      fetch("/api/eve/names?kind=" + encodeURIComponent(kind) + "&q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      })
        .then(function (res) {
          return res.ok ? res.json() : { matches: [] };
        })
        .then(function (body) {
          if (input.value.trim() === q) {
            show(body.matches || []);
          }
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && matches.length) {
        e.preventDefault();
        highlight((active + 1) % matches.length);
      } else if (e.key === "ArrowUp" && matches.length) {
        e.preventDefault();
        highlight(active <= 0 ? matches.length - 1 : active - 1);
      } else if (e.key === "Enter") {
        // Enter never submits the form from the search box.
        e.preventDefault();
        if (matches.length) {
          pick(active >= 0 ? active : 0);
        }
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
  }

  function init() {
    document.querySelectorAll("[data-eve-names]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
