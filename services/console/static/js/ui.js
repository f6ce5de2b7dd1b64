// Small DOM helpers, formatting by locale, form errors next to their fields, and the pickers.

import { api, ApiError } from "./api.js";
import { t, locale } from "./i18n.js";

// h("a", {href: "#/"}, "text", child...): an element; attributes starting with "on" are
// listeners, `dataset`-style names pass through as attributes.
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "value") {
      element.value = value;
    } else if (name === "checked") {
      element.checked = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : value);
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export const money = (value, options = {}) => {
  if (!value || value.amount === undefined || value.amount === null) return "–";
  return new Intl.NumberFormat(locale(), {
    style: "currency", currency: value.currency, maximumFractionDigits: 0, ...options,
  }).format(value.amount);
};
export const compactMoney = (amount, currency = "EUR") =>
  new Intl.NumberFormat(locale(), {
    style: "currency", currency, notation: "compact", maximumFractionDigits: 1,
  }).format(amount);
export const number = (value, digits = 2) =>
  value === null || value === undefined
    ? "–"
    : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
export const percent = (value, digits = 1) =>
  value === null || value === undefined
    ? "–"
    : new Intl.NumberFormat(locale(), {
      style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(value);
export const date = (value) =>
  value ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(new Date(value)) : "–";

export function notice(text, kind = "") {
  return h("div", { class: `notice ${kind}`.trim(), role: kind === "error" ? "alert" : "status" }, text);
}

export function errorNotice(error) {
  if (error instanceof ApiError) {
    return notice(`${error.problem.title || t("error")}: ${error.message}`, "error");
  }
  return notice(`${t("error")}: ${error.message}`, "error");
}

export function loading() {
  return h("p", { class: "muted" }, t("loading"));
}

export function field(label, control, { name, wide = false, help } = {}) {
  return h("div", { class: `field${wide ? " wide" : ""}`, "data-field": name || control.name },
    h("label", {}, h("span", { class: "name" }, label), control),
    help ? h("small", { class: "muted" }, help) : null,
    h("div", { class: "field-error", "data-testid": `error-${name || control.name}` }));
}

export function clearErrors(form) {
  for (const element of form.querySelectorAll(".field.invalid")) element.classList.remove("invalid");
  for (const element of form.querySelectorAll(".field-error")) element.textContent = "";
  const general = form.querySelector(".form-errors");
  if (general) general.replaceChildren();
}

// The problem's `errors: [{field, reason}]` go next to the field whose name matches the path:
// `budget.amount` exactly, else its nearest named parent (`cpv_codes[2]` -> `cpv_codes`,
// `appraisal.inputs.points` -> `appraisal.inputs.points` or `appraisal`). What no field shows
// is listed at the top of the form. The form's values are left as they were typed.
export function showErrors(form, error) {
  clearErrors(form);
  const general = form.querySelector(".form-errors");
  const unplaced = [];
  for (const { field: path, reason } of error.fieldErrors) {
    const holder = fieldFor(form, path);
    if (holder) {
      holder.classList.add("invalid");
      const slot = holder.querySelector(".field-error");
      slot.textContent = slot.textContent ? `${slot.textContent}; ${reason}` : reason;
    } else {
      unplaced.push(`${path}: ${reason}`);
    }
  }
  if (general) {
    general.append(errorNotice(error));
    if (unplaced.length) general.append(h("ul", {}, unplaced.map((line) => h("li", {}, line))));
  }
  const first = form.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
  if (first) first.focus();
}

function fieldFor(form, path) {
  let candidate = path;
  while (candidate) {
    const stripped = candidate.replace(/\[\d+\]$/, "");
    const holder = form.querySelector(`.field[data-field="${CSS.escape(stripped)}"]`);
    if (holder) return holder;
    if (stripped !== candidate) { candidate = stripped; continue; }
    const cut = Math.max(candidate.lastIndexOf("."), candidate.lastIndexOf("["));
    candidate = cut > 0 ? candidate.slice(0, cut) : "";
  }
  return null;
}

export function copyButton(text) {
  const button = h("button", { type: "button", class: "secondary", "data-testid": "copy-key" }, t("copy"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // no clipboard API outside a secure context: select the text for Ctrl-C instead
      const range = document.createRange();
      range.selectNodeContents(button.previousElementSibling);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    button.textContent = t("copied");
  });
  return button;
}

// A key or signing secret the API shows once: say so, and make it easy to copy.
export function secretBox(text, testid, message = "saveItNow") {
  return h("div", { class: "notice warn" },
    h("strong", {}, t(message)),
    h("div", { class: "actions" }, h("code", { class: "secret", "data-testid": testid }, text), copyButton(text)));
}

// Type-ahead over catalogue's reference lists (`/v1/reference/cpv|nuts?q=`). `multiple`: a list
// of chips; otherwise one code in the text input, which may also be typed by hand.
export function codePicker({ list, name, multiple = false, value, placeholder }) {
  const input = h("input", {
    type: "text", autocomplete: "off", placeholder: placeholder || t("typeToSearch"),
    "data-testid": `picker-${name}`,
  });
  const options = h("div", { class: "options", hidden: true, role: "listbox" });
  const chips = multiple ? h("div", { class: "chips" }) : null;
  const picked = new Map();
  const wrapper = h("div", { class: "picker" }, chips, input, options);
  let timer = null;
  let asked = 0;

  function addChip(code, label) {
    if (picked.has(code)) return;
    picked.set(code, label);
    const chip = h("span", { class: "chip", "data-code": code, title: label || "" }, code,
      label ? h("span", { class: "muted" }, label.slice(0, 40)) : null,
      h("button", { type: "button", "aria-label": `${t("remove")} ${code}`, onclick: () => { picked.delete(code); chip.remove(); } }, "×"));
    chips.append(chip);
  }

  function choose(code, label) {
    if (multiple) { addChip(code, label); input.value = ""; } else { input.value = code; }
    options.hidden = true;
    input.focus();
  }

  async function search() {
    const q = input.value.trim();
    if (!q) { options.hidden = true; return; }
    const mine = ++asked;
    try {
      const { data } = await api("catalogue", `/v1/reference/${list}`, { query: { q, limit: 8 } });
      if (mine !== asked) return;
      replace(options, data.items.length
        ? data.items.map((item) => h("button", {
          type: "button", role: "option", "data-code": item.code,
          onclick: () => choose(item.code, item.label),
        }, `${item.code} — ${item.label}`))
        : h("div", { class: "muted", style: "padding:.4rem" }, t("noResults")));
      options.hidden = false;
    } catch (error) {
      replace(options, errorNotice(error));
      options.hidden = false;
    }
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") options.hidden = true;
    if (event.key === "Enter" && multiple) {
      event.preventDefault();
      const typed = input.value.trim();
      if (typed) { addChip(typed, ""); input.value = ""; options.hidden = true; }
    }
  });
  input.addEventListener("blur", () => setTimeout(() => { options.hidden = true; }, 200));

  if (multiple) for (const code of value || []) addChip(code, "");
  else if (value) input.value = value;

  wrapper.value = () => (multiple ? [...picked.keys()] : input.value.trim());
  wrapper.name = name;
  return wrapper;
}

export function checkboxes(name, choices, selected = [], labelOf = (v) => v) {
  const box = h("div", { class: "checks", "data-name": name },
    choices.map((choice) => h("label", {},
      h("input", { type: "checkbox", value: choice, checked: selected.includes(choice), "data-testid": `${name}-${choice}` }),
      labelOf(choice))));
  box.value = () => [...box.querySelectorAll("input:checked")].map((input) => input.value);
  box.name = name;
  return box;
}

export function select(name, choices, selected, labelOf = (v) => v, { blank = false } = {}) {
  return h("select", { name, "data-testid": `input-${name}` },
    blank ? h("option", { value: "" }, "—") : null,
    choices.map((choice) => h("option", { value: choice, selected: choice === selected ? "selected" : null }, labelOf(choice))));
}

export function input(name, value, attrs = {}) {
  return h("input", { name, value: value ?? "", "data-testid": `input-${name}`, ...attrs });
}

export function textarea(name, value, attrs = {}) {
  const element = h("textarea", { name, "data-testid": `input-${name}`, ...attrs });
  element.value = value ?? "";
  return element;
}

// A number from an input; "" is null (left out), anything else is sent as typed so that the
// API, not the page, says what is wrong with it.
export function numberOrText(value) {
  const trimmed = String(value ?? "").trim();
  if (!trimmed) return null;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

export function scoreBar(score) {
  return h("span", { class: "scorebar", title: number(score, 3) }, h("i", { style: `width:${Math.round(Math.max(0, Math.min(1, score)) * 100)}%` }));
}

// Show another page; the same page again is rendered afresh.
export function go(path) {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = path;
}
