// "Mine": a municipality's needs; a supplier's profile, offers and the needs it can deliver; a
// lender's tickets, instruments and thresholds and the needs it could finance, with bankability.

import { api, get, whoAmI } from "../api.js";
import { t } from "../i18n.js";
import { matchItem } from "../matches.js";
import {
  checkboxes, clearErrors, codePicker, errorNotice, field, h, input, loading, money, notice,
  numberOrText, replace, select, showErrors, textarea,
} from "../ui.js";
import { CONTRACT_FORMS } from "./need_form.js";

const INSTRUMENTS = [
  "senior_debt", "mezzanine", "equity", "green_bond", "grant", "guarantee", "loan", "crowdfunding", "leasing",
];

export async function render(view) {
  const caller = await whoAmI();
  if (!caller) {
    view.append(notice(t("signInFirst")), h("a", { href: "#/sign-in" }, t("signIn")));
    return;
  }
  const { data: organisation, etag } = await api("catalogue", `/v1/organisations/${caller.organisation_id}`);
  view.append(h("h1", { "data-testid": "organisation-name" }, organisation.name));
  if (organisation.kind === "municipality") {
    await municipality(view, organisation);
    return;
  }
  const ranked = h("section", { class: "card", "data-testid": "ranked-needs" }, h("h2", {},
    organisation.kind === "lender" ? t("needsToFinance") : t("needsToDeliver")), loading());
  view.append(profileCard(organisation, etag));
  if (organisation.kind === "supplier") view.append(await offersCard(organisation));
  view.append(ranked);
  await rankedNeeds(ranked, organisation);
}

async function municipality(view, organisation) {
  const page = await get("catalogue", "/v1/needs", { organisation_id: organisation.id, limit: 200 });
  view.append(h("section", { class: "card", "data-testid": "my-needs" },
    h("div", { class: "actions" }, h("a", { href: "#/needs/new", "data-testid": "new-need" }, t("newNeedTitle"))),
    page.items.length
      ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("need")), h("th", {}, t("status")), h("th", { class: "num" }, t("budget")))),
        h("tbody", {}, page.items.map((need) => h("tr", {},
          h("td", {}, h("a", { href: `#/needs/${need.id}` }, need.title)),
          h("td", {}, t(`status_${need.status}`)),
          h("td", { class: "num" }, money(need.budget))))))
      : h("p", { class: "muted" }, t("noNeedsYet"))));
}

async function rankedNeeds(section, organisation) {
  const heading = section.querySelector("h2");
  try {
    const page = await get("matching", `/v1/organisations/${organisation.id}/matches`, { limit: 20 });
    replace(section, heading,
      page.notes?.length ? notice(page.notes.join(" ")) : null,
      page.items.length
        ? page.items.map((match) => h("div", {},
          matchItem(match, { link: `#/needs/${match.candidate_id}` }),
          organisation.kind === "lender"
            ? h("p", { class: "muted", "data-testid": "need-bankability" },
              `${t("bankability")}: ${match.component_details?.bankability || "–"}`)
            : null))
        : h("p", { class: "muted" }, t("noMatches")));
  } catch (error) {
    replace(section, heading, errorNotice(error));
  }
}

function rangeFields(prefix, range) {
  return [
    field(`${t(prefix)} min`, input(`${prefix}.min.amount`, range?.min?.amount, { inputmode: "decimal" }), { name: `${prefix}.min.amount` }),
    field(`${t(prefix)} max`, input(`${prefix}.max.amount`, range?.max?.amount, { inputmode: "decimal" }), { name: `${prefix}.max.amount` }),
    field(t("currency"), input(`${prefix}.currency`, range?.min?.currency || "EUR", { maxlength: 3, size: 4 }), { name: prefix }),
  ];
}

function profileCard(organisation, etag) {
  const lender = organisation.kind === "lender";
  const nuts = codePicker({ list: "nuts", name: "nuts_codes", multiple: true, value: organisation.nuts_codes });
  const cpv = codePicker({ list: "cpv", name: "cpv_codes", multiple: true, value: organisation.cpv_codes });
  const forms = checkboxes("contract_forms", CONTRACT_FORMS, organisation.contract_forms || [], (f) => t(`form_${f}`));
  const instruments = checkboxes("instruments", INSTRUMENTS, organisation.instruments || [], (i) => t(`instrument_${i}`));
  const rangeName = lender ? "ticket" : "project_size";
  const saved = h("div", {});
  const form = h("form", { "data-testid": "profile-form" },
    h("div", { class: "form-errors" }),
    field(t("description"), textarea("description", organisation.description), { name: "description", wide: true }),
    field(t("capabilities"), textarea("capabilities", (organisation.capabilities || []).join("\n")), { name: "capabilities", wide: true, help: t("onePerLine") }),
    field(t("regionsCovered"), nuts, { name: "nuts_codes", wide: true }),
    field(t("cpvCodes"), cpv, { name: "cpv_codes", wide: true }),
    field(t("contractForms"), forms, { name: "contract_forms", wide: true }),
    h("div", { class: "row" }, rangeFields(rangeName, organisation[rangeName])),
    lender ? [
      field(t("instruments"), instruments, { name: "instruments", wide: true }),
      h("div", { class: "row" },
        field(t("minDscr"), input("min_dscr", organisation.min_dscr, { inputmode: "decimal" }), { name: "min_dscr" }),
        field(t("targetIrr"), input("target_irr", organisation.target_irr, { inputmode: "decimal" }), { name: "target_irr", help: t("decimalRate") }),
        field(t("maxTenor"), input("max_tenor_years", organisation.max_tenor_years, { inputmode: "numeric" }), { name: "max_tenor_years" })),
    ] : null,
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "save-profile" }, t("save"))),
    saved);
  let version = etag;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`[name="${name}"]`)?.value.trim() ?? "";
    const body = {
      description: value("description") || null,
      capabilities: value("capabilities").split("\n").map((line) => line.trim()).filter(Boolean),
      nuts_codes: nuts.value(), cpv_codes: cpv.value(), contract_forms: forms.value(),
    };
    const low = numberOrText(value(`${rangeName}.min.amount`));
    const high = numberOrText(value(`${rangeName}.max.amount`));
    const currency = value(`${rangeName}.currency`);
    body[rangeName] = low === null && high === null ? null : {
      min: { amount: low, currency }, max: { amount: high, currency },
    };
    if (lender) {
      body.instruments = instruments.value();
      body.min_dscr = numberOrText(value("min_dscr"));
      body.target_irr = numberOrText(value("target_irr"));
      body.max_tenor_years = numberOrText(value("max_tenor_years"));
    }
    try {
      const answer = await api("catalogue", `/v1/organisations/${organisation.id}`, { method: "PATCH", body, etag: version });
      version = answer.etag;
      clearErrors(form);
      replace(saved, notice(t("saved")));
    } catch (error) {
      replace(saved);
      showErrors(form, error);
    }
  });
  return h("section", { class: "card" }, h("h2", {}, t("profile")), form);
}

async function offersCard(organisation) {
  const list = h("div", { "data-testid": "offers" });
  const card = h("section", { class: "card" }, h("h2", {}, t("offers")), list);
  async function refresh() {
    const page = await get("catalogue", "/v1/offers", { organisation_id: organisation.id, limit: 200 });
    // each offer's own ETag, so a save cannot overwrite a change made meanwhile elsewhere
    const offers = await Promise.all(page.items.map((offer) => api("catalogue", `/v1/offers/${offer.id}`)));
    replace(list, offers.map(({ data, etag }) => offerForm(data, etag, refresh)), h("h3", {}, t("newOffer")), offerForm(null, null, refresh));
  }
  await refresh();
  return card;
}

function offerForm(offer, etag, refresh) {
  let version = etag;
  const cpv = codePicker({ list: "cpv", name: "cpv_codes", multiple: true, value: offer?.cpv_codes });
  const status = h("div", {});
  const form = h("form", { class: "match", "data-testid": offer ? `offer-${offer.id}` : "new-offer" },
    h("div", { class: "form-errors" }),
    h("div", { class: "row" },
      field(t("kind"), select("kind", ["product", "service", "reference"], offer?.kind || "product", (k) => t(`offer_${k}`)), { name: "kind" }),
      field(t("title"), input("title", offer?.title), { name: "title" })),
    field(t("description"), textarea("description", offer?.description), { name: "description", wide: true }),
    field(t("cpvCodes"), cpv, { name: "cpv_codes", wide: true }),
    h("div", { class: "actions" },
      h("button", { type: "submit", "data-testid": "save-offer" }, offer ? t("save") : t("addOffer")),
      offer ? h("button", {
        type: "button", class: "secondary", "data-testid": "delete-offer",
        onclick: async () => {
          try {
            await api("catalogue", `/v1/offers/${offer.id}`, { method: "DELETE", etag: version });
            await refresh();
          } catch (error) {
            showErrors(form, error);
          }
        },
      }, t("delete")) : null),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`[name="${name}"]`).value.trim();
    const body = { kind: value("kind"), title: value("title"), cpv_codes: cpv.value() };
    const description = value("description");
    if (description || offer) body.description = description || null;
    try {
      if (offer) {
        version = (await api("catalogue", `/v1/offers/${offer.id}`, { method: "PATCH", body, etag: version })).etag;
        clearErrors(form);
        replace(status, notice(t("saved")));
      } else {
        await api("catalogue", "/v1/offers", { method: "POST", body });
        await refresh();
      }
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}
