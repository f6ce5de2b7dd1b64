// Sign in with an API key, or register an organisation and keep the key shown once.

import { api, session, whoAmI } from "../api.js";
import { t } from "../i18n.js";
import {
  clearErrors, codePicker, field, go, h, input, notice, replace, secretBox, select, showErrors, textarea,
} from "../ui.js";

export async function render(view) {
  view.append(h("h1", {}, t("signInTitle")), h("div", { class: "grid" }, signInCard(), registerCard()));
}

function signInCard() {
  const key = input("api_key", "", { type: "password", autocomplete: "off", placeholder: "cfk_…" });
  const form = h("form", { "data-testid": "sign-in-form" },
    h("div", { class: "form-errors" }),
    field(t("apiKey"), key, { name: "api_key" }),
    h("p", { class: "muted" }, t("keyStorage")),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "sign-in" }, t("signIn"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    session.key = key.value.trim();
    const caller = await whoAmI().catch(() => null);
    if (!caller) {
      session.key = null;
      const holder = form.querySelector('[data-field="api_key"]');
      holder.classList.add("invalid");
      holder.querySelector(".field-error").textContent = t("keyRefused");
      return;
    }
    go("/mine");
  });
  return h("section", { class: "card" }, h("h2", {}, t("signIn")), form);
}

const KINDS = ["municipality", "supplier", "lender"];

function registerCard() {
  const kind = select("organisation.kind", KINDS, "municipality", (k) => t(`role_${k}`));
  const nuts = codePicker({ list: "nuts", name: "organisation.nuts_codes", multiple: true });
  const cpv = codePicker({ list: "cpv", name: "organisation.cpv_codes", multiple: true });
  const form = h("form", { "data-testid": "register-form" },
    h("div", { class: "form-errors" }),
    h("div", { class: "row" },
      field(t("kind"), kind, { name: "organisation.kind" }),
      field(t("name"), input("organisation.name", ""), { name: "organisation.name" }),
      field(t("country"), input("organisation.country", "IT", { maxlength: 2, size: 3 }), { name: "organisation.country" })),
    field(t("contactEmail"), input("contact_email", "", { type: "email" }), { name: "contact_email" }),
    field(t("description"), textarea("organisation.description", ""), { name: "organisation.description", wide: true }),
    field(t("regionsCovered"), nuts, { name: "organisation.nuts_codes", wide: true }),
    field(t("cpvCodes"), cpv, { name: "organisation.cpv_codes", wide: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "register" }, t("register"))));
  const result = h("div", {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`[name="${name}"]`).value.trim();
    const organisation = {
      kind: kind.value, name: value("organisation.name"), country: value("organisation.country"),
      nuts_codes: nuts.value(), cpv_codes: cpv.value(),
    };
    const description = value("organisation.description");
    if (description) organisation.description = description;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { data } = await api("catalogue", "/v1/registrations", {
        method: "POST", body: { organisation, contact_email: value("contact_email") },
      });
      clearErrors(form);
      session.key = data.api_key;
      replace(result,
        notice(t("registered", { name: data.organisation.name, id: data.organisation.id })),
        secretBox(data.api_key, "new-api-key"),
        h("div", { class: "actions" }, h("button", { type: "button", "data-testid": "continue", onclick: () => go("/mine") }, t("continue"))));
      form.hidden = true;
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { class: "card" }, h("h2", {}, t("registerTitle")), h("p", { class: "muted" }, t("registerHelp")), form, result);
}
