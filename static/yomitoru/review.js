// The review screen, keyboard first. No library: every key and check is here.
//
// Enter accepts the field's value (as read, or as typed) and goes to the next field; Tab
// moves as usual; Ctrl+Enter saves and opens the next document; Esc gives the document
// back. Values are checked as the clerk types (check digits, dates in their era and in the
// field's window up to data-latest, phone lengths, required) and again on the server. Effort is counted here and sent with each save: keystrokes, and active
// seconds (a second counts when a key or the mouse moved in the last IDLE_SECONDS).
(function () {
  "use strict";
  const IDLE_SECONDS = 10;
  const HEARTBEAT_SECONDS = 60;

  // Era boundaries as in yomitoru/lib/wareki.py: [first day, last day] (ISO), none for 令和.
  const ERAS = {
    M: ["1868-01-25", "1912-07-29"],
    T: ["1912-07-30", "1926-12-24"],
    S: ["1926-12-25", "1989-01-07"],
    H: ["1989-01-08", "2019-04-30"],
    R: ["2019-05-01", "9999-12-31"],
  };
  // Before 明治6年1月1日 Japan kept the lunisolar calendar (as the server refuses them).
  const GREGORIAN_ADOPTION = "1873-01-01";
  // Japanese numbering (yomitoru/lib/phone_number.py): the total length by the prefix.
  const ELEVEN_DIGIT_PREFIXES = ["020", "050", "070", "080", "090"]; // 0800 is within 080

  function phoneLength(digits) {
    if (digits.length < 3 || digits[0] !== "0" || digits[1] === "0") return 0;
    if (digits[2] === "0") return ELEVEN_DIGIT_PREFIXES.includes(digits.slice(0, 3)) ? 11 : 0;
    return 10;
  }

  function iso(y, m, d) {
    return String(y).padStart(4, "0") + "-" + String(m).padStart(2, "0") + "-" + String(d).padStart(2, "0");
  }

  // "" when the (existing) date lies in the field's window, else the message to show.
  function windowMessage(day, latest, messages) {
    if (day < GREGORIAN_ADOPTION) return messages.date;
    if (latest && day > latest) return messages.dateAhead;
    return "";
  }

  function myNumberOk(digits) {
    if (!/^\d{12}$/.test(digits) || /^0+$/.test(digits)) return false;
    let sum = 0;
    for (let n = 1; n <= 11; n++) {
      const p = Number(digits[11 - n]);
      const q = n <= 6 ? n + 1 : n - 5;
      sum += p * q;
    }
    const rest = sum % 11;
    const check = rest <= 1 ? 0 : 11 - rest;
    return check === Number(digits[11]);
  }

  function corporateOk(digits) {
    if (!/^\d{13}$/.test(digits)) return false;
    let sum = 0;
    for (let n = 1; n <= 12; n++) {
      const p = Number(digits[13 - n]);
      sum += p * (n % 2 === 1 ? 1 : 2);
    }
    return 9 - (sum % 9) === Number(digits[0]);
  }

  function dateExists(y, m, d) {
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }

  function toHalf(text) {
    return text.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  }

  // Returns "" when the value is acceptable, else a message (Japanese, set on the page).
  function check(kind, required, raw, latest) {
    const value = toHalf(raw.trim());
    const messages = document.getElementById("review-messages").dataset;
    if (!value) return required ? messages.required : "";
    const digits = value.replace(/[\s\-‐−ー,()〒¥円]/g, "");
    switch (kind) {
      case "mynumber":
        return myNumberOk(digits) ? "" : messages.mynumber;
      case "corporate_number":
        return corporateOk(digits) ? "" : messages.corporate;
      case "postal_code":
        return /^\d{7}$/.test(digits) ? "" : messages.postal;
      case "phone":
        if (!/^0\d{9,10}$/.test(digits)) return messages.phone;
        return phoneLength(digits) === digits.length ? "" : messages.phoneLength;
      case "amount":
        return /^(0|[1-9]\d*)$/.test(digits) ? "" : messages.amount;
      case "digits":
        return /^\d+$/.test(digits) ? "" : messages.digits;
      case "date": {
        const m = value.match(/^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/);
        if (!m || !dateExists(+m[1], +m[2], +m[3])) return messages.date;
        return windowMessage(iso(+m[1], +m[2], +m[3]), latest, messages);
      }
      case "wareki_date": {
        const m = value.match(/^([MTSHR])(\d{2})\.(\d{2})\.(\d{2})$/);
        if (!m || +m[2] < 1) return messages.date;
        const [first, last] = ERAS[m[1]];
        const year = Number(first.slice(0, 4)) + Number(m[2]) - 1;
        if (!dateExists(year, +m[3], +m[4])) return messages.date;
        const day = iso(year, +m[3], +m[4]);
        if (day < first || day > last) return messages.date;
        return windowMessage(day, latest, messages);
      }
      default:
        return "";
    }
  }

  function init() {
    const form = document.getElementById("review-form");
    if (!form) return;
    const rows = Array.from(form.querySelectorAll(".review-field"));
    const inputs = rows.map((row) => row.querySelector(".review-input")).filter(Boolean);
    let keys = 0;
    let active = 0;
    let sentKeys = 0;
    let sentActive = 0;
    let lastActivity = Date.now();

    const touch = () => { lastActivity = Date.now(); };
    document.addEventListener("keydown", () => { keys += 1; touch(); }, true);
    document.addEventListener("mousemove", touch, { passive: true });
    setInterval(() => {
      if (Date.now() - lastActivity < IDLE_SECONDS * 1000 && !document.hidden) active += 1;
    }, 1000);

    function rowOf(input) { return input.closest(".review-field"); }

    function validate(input) {
      const row = rowOf(input);
      const message = check(
        row.dataset.kind, row.dataset.required === "1", input.value, row.dataset.latest || ""
      );
      const out = row.querySelector(".review-check");
      row.classList.toggle("invalid", Boolean(message));
      input.setAttribute("aria-invalid", message ? "true" : "false");
      if (out) {
        out.textContent = message || (input.value ? "✓" : "");
        out.className = "review-check " + (message ? "error" : "ok");
      }
      return !message;
    }

    function decide(input) {
      const row = rowOf(input);
      const flag = row.querySelector("input.decided");
      if (flag) flag.value = "1";
      row.classList.add("decided");
    }

    function highlight(row) {
      rows.forEach((r) => r.classList.remove("current"));
      row.classList.add("current");
      document.querySelectorAll(".review-page").forEach((figure) => {
        const box = figure.querySelector(".field-box");
        if (figure.dataset.page !== row.dataset.page) { box.hidden = true; return; }
        const [left, top, width, height] = row.dataset.box.split(",");
        Object.assign(box.style, { left: left + "%", top: top + "%", width: width + "%", height: height + "%" });
        box.hidden = false;
      });
    }

    function next(from) {
      const asked = inputs.filter((i) => !i.classList.contains("other-input"));
      const start = asked.indexOf(from);
      const after = asked.slice(start + 1).concat(asked.slice(0, Math.max(start, 0)));
      const target = after.find((i) => rowOf(i).querySelector("input.decided").value !== "1");
      (target || document.getElementById("review-submit")).focus();
    }

    inputs.forEach((input) => {
      input.addEventListener("focus", () => highlight(rowOf(input)));
      input.addEventListener("input", () => {
        validate(input);
        // An edited field counts as decided (the collapsed ones only when changed).
        if (input.value !== input.dataset.original) decide(input);
      });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
          event.preventDefault();
          if (!validate(input)) return;
          decide(input);
          next(input);
        }
      });
    });

    // The areas of an address's postal code: a click (or Enter or Space on the button) fills
    // the address with the picked area and goes back to the input to check the rest.
    document.querySelectorAll(".postal-area").forEach((button) => {
      button.addEventListener("click", () => {
        const input = rowOf(button).querySelector(".review-input");
        input.value = button.dataset.fill;
        input.dispatchEvent(new Event("input"));
        input.focus();
      });
    });

    function stamp() {
      document.getElementById("effort-seconds").value = String(active - sentActive);
      document.getElementById("effort-keys").value = String(keys - sentKeys);
    }

    form.addEventListener("submit", (event) => {
      // The button pressed says what to do (no inline handler: the CSP allows none);
      // Ctrl+Enter submits without a button and has set "submit" itself.
      if (event.submitter) {
        form.elements.action.value = event.submitter.id === "review-save" ? "save" : "submit";
      }
      if (form.elements.action.value === "submit") {
        const open = inputs.filter((i) => !i.classList.contains("other-input"))
          .filter((i) => rowOf(i).querySelector("input.decided").value !== "1");
        if (open.length) {
          event.preventDefault();
          open[0].focus();
          rowOf(open[0]).querySelector(".review-check").textContent =
            document.getElementById("review-messages").dataset.undecided;
          form.elements.action.value = "submit";
          return;
        }
        const bad = inputs.filter((i) => rowOf(i).querySelector("input.decided").value === "1" && !validate(i));
        if (bad.length) { event.preventDefault(); bad[0].focus(); return; }
      }
      stamp();
    });

    document.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.elements.action.value = "submit";
        form.requestSubmit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        document.getElementById("release-form").requestSubmit();
      }
    });

    // Keep the claim while the clerk works; report the effort counted so far.
    const screen = document.querySelector(".review-screen");
    setInterval(() => {
      if (Date.now() - lastActivity > HEARTBEAT_SECONDS * 1000) return;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
      body.append("effort_seconds", String(active - sentActive));
      body.append("effort_keys", String(keys - sentKeys));
      const counted = [active, keys];
      fetch(screen.dataset.heartbeat, { method: "POST", body, credentials: "same-origin" })
        .then((response) => response.json().then((data) => [response.ok, data]))
        .then(([ok, data]) => {
          if (ok) { [sentActive, sentKeys] = counted; }
          const state = document.getElementById("claim-state");
          if (state && data.message) state.textContent = data.message;
        })
        .catch(() => {});
    }, HEARTBEAT_SECONDS * 1000);

    const first = inputs.find((i) => !i.classList.contains("other-input"));
    if (first) first.focus(); else document.getElementById("review-submit").focus();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
