// Character verification, keyboard first. No library.
//
// Arrow keys and Tab move between cells; a digit typed sets the cell's correction and moves
// on ("-" or Space: the cell is empty); Backspace or Delete takes the correction back; Enter
// confirms the screen, every cell left alone as read. Effort is counted as on the review
// screen: keystrokes, and active seconds (a key or the mouse moved in the last IDLE_SECONDS).
(function () {
  "use strict";
  const IDLE_SECONDS = 10;

  function toHalf(text) {
    return text.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      .replace(/[ー−－　 ]/g, "-");
  }

  function init() {
    const form = document.getElementById("cells-form");
    if (!form) return;
    const inputs = Array.from(form.querySelectorAll(".cell-input"));
    let keys = 0;
    let active = 0;
    let lastActivity = Date.now();
    const touch = () => { lastActivity = Date.now(); };
    document.addEventListener("keydown", () => { keys += 1; touch(); }, true);
    document.addEventListener("mousemove", touch, { passive: true });
    setInterval(() => {
      if (Date.now() - lastActivity < IDLE_SECONDS * 1000 && !document.hidden) active += 1;
    }, 1000);

    function set(input, typed) {
      const value = typed === input.dataset.read ? "" : typed;
      input.value = value;
      input.closest(".cell-item").classList.toggle("changed", value !== "");
    }

    // Cells per row of the grid as laid out now (it reflows with the window).
    function columns() {
      const top = inputs[0].closest(".cell-item").offsetTop;
      const n = inputs.findIndex((i) => i.closest(".cell-item").offsetTop !== top);
      return n === -1 ? inputs.length : n;
    }

    function go(from, step) {
      const target = inputs[inputs.indexOf(from) + step];
      if (target) { target.focus(); target.select(); }
    }

    inputs.forEach((input) => {
      input.addEventListener("keydown", (event) => {
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        const key = toHalf(event.key === " " ? "-" : event.key);
        if (/^[0-9-]$/.test(key)) {
          event.preventDefault();
          set(input, key);
          go(input, 1);
        } else if (event.key === "Backspace" || event.key === "Delete") {
          event.preventDefault();
          set(input, "");
        } else if (event.key === "ArrowRight") {
          event.preventDefault(); go(input, 1);
        } else if (event.key === "ArrowLeft") {
          event.preventDefault(); go(input, -1);
        } else if (event.key === "ArrowDown") {
          event.preventDefault(); go(input, columns());
        } else if (event.key === "ArrowUp") {
          event.preventDefault(); go(input, -columns());
        }
      });
      // What an input method composed (full-width digits): keep the last character typed.
      input.addEventListener("input", () => {
        const last = toHalf(input.value).slice(-1);
        set(input, /^[0-9-]$/.test(last) ? last : "");
      });
      input.addEventListener("focus", () => input.closest(".cell-item").classList.add("current"));
      input.addEventListener("blur", () => input.closest(".cell-item").classList.remove("current"));
    });

    form.addEventListener("submit", () => {
      document.getElementById("effort-seconds").value = String(active);
      document.getElementById("effort-keys").value = String(keys);
    });

    document.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });

    if (inputs.length) inputs[0].focus();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
