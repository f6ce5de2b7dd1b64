// Post a need, or edit one: CPV and NUTS pickers fed by the reference search, an appraisal from
// a template. The API's field errors land next to their fields; what was typed stays.

import { api, get, whoAmI } from "../api.js";
import { t } from "../i18n.js";
import {
  checkboxes, clearErrors, codePicker, field, go, h, input, notice, numberOrText, replace, select,
  showErrors, textarea,
} from "../ui.js";

const CATEGORIES = [
  "public_lighting", "traffic_lights", "building_efficiency", "urban_freight_logistics", "car_pooling",
  "smart_grid", "digital_mobility", "urban_safety", "operation_centre", "other",
];
export const CONTRACT_FORMS = [
  "procurement", "ppp", "pfi", "project_finance", "epc", "concession", "sib", "shared_revenue",
  "micro_finance", "grant",
];
const FINANCING = [["gearing", "0.7"], ["rate", "0.05"], ["tenor_years", "10"]];

export async function render(view, { id }) {
  const caller = await whoAmI();
  if (!caller) {
    view.append(notice(t("signInFirst")), h("a", { href: "#/sign-in" }, t("signIn")));
    return;
  }
  let need = null;
  let etag = null;
  if (id) ({ data: need, etag } = await api("catalogue", `/v1/needs/${id}`));
  const templates = (await get("evaluation", "/v1/templates")).items;
  view.append(h("h1", {}, id ? t("editNeedTitle", { id }) : t("newNeedTitle")), needForm(need, etag, templates));
}

function needForm(need, etag, templates) {
  const given = need?.appraisal || null;
  const cpv = codePicker({ list: "cpv", name: "cpv_codes", multiple: true, value: need?.cpv_codes });
  const nuts = codePicker({ list: "nuts", name: "nuts_code", value: need?.nuts_code, placeholder: "ITC11" });
  const forms = checkboxes("contract_forms", CONTRACT_FORMS, need?.contract_forms || [], (f) => t(`form_${f}`));
  const template = select("appraisal.template", templates.map((item) => item.name), given?.template || "",
    (name) => templates.find((item) => item.name === name).title, { blank: true });
  const inputs = h("div", { class: "row", "data-testid": "template-inputs" });
  function showInputs() {
    const chosen = templates.find((item) => item.name === template.value);
    replace(inputs, chosen ? [
      ...chosen.inputs.map((spec) => field(`${spec.name} (${spec.unit})`,
        input(`appraisal.inputs.${spec.name}`, given?.template === chosen.name ? given.inputs?.[spec.name] : "", { placeholder: String(spec.default ?? "") }),
        { name: `appraisal.inputs.${spec.name}`, help: spec.description })),
      ...FINANCING.map(([name, example]) => field(t(`financing_${name}`), input(`appraisal.financing.${name}`,
        given?.template === chosen.name ? given.financing?.[name] : "", { placeholder: example }), { name: `appraisal.financing.${name}` })),
    ] : []);
  }
  template.addEventListener("change", showInputs);
  showInputs();
  const form = h("form", { "data-testid": "need-form" },
    h("div", { class: "form-errors" }),
    field(t("title"), input("title", need?.title, { required: true }), { name: "title", wide: true }),
    field(t("description"), textarea("description", need?.description), { name: "description", wide: true }),
    h("div", { class: "row" },
      field(t("category"), select("category", CATEGORIES, need?.category || "public_lighting", (c) => t(`cat_${c}`)), { name: "category" }),
      field(t("region"), nuts, { name: "nuts_code" }),
      field(t("neededBy"), input("needed_by", need?.needed_by, { type: "date" }), { name: "needed_by" })),
    field(t("cpvCodes"), cpv, { name: "cpv_codes", wide: true }),
    h("div", { class: "row" },
      field(t("budgetAmount"), input("budget.amount", need?.budget?.amount, { inputmode: "decimal" }), { name: "budget.amount" }),
      field(t("currency"), input("budget.currency", need?.budget?.currency || "EUR", { maxlength: 3, size: 4 }), { name: "budget.currency" }),
      need ? field(t("status"), select("status", ["open", "closed"], need.status, (s) => t(`status_${s}`)), { name: "status" }) : null),
    field(t("contractForms"), forms, { name: "contract_forms", wide: true }),
    h("h3", {}, t("appraisalTitle")),
    given?.appraisal_id
      ? h("p", { class: "muted" }, t("linkedAppraisal", { id: given.appraisal_id }))
      : h("div", {}, field(t("template"), template, { name: "appraisal.template" }), inputs, field("", h("span"), { name: "appraisal", wide: true })),
    h("div", { class: "actions" },
      h("button", { type: "submit", "data-testid": "save-need" }, need ? t("save") : t("postNeed")),
      need ? h("a", { href: `#/needs/${need.id}` }, t("cancel")) : null));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`[name="${name}"]`)?.value.trim() ?? "";
    const body = {
      title: value("title"), description: value("description") || null, category: value("category"),
      cpv_codes: cpv.value(), nuts_code: nuts.value(), contract_forms: forms.value(),
      needed_by: value("needed_by") || null,
    };
    const amount = numberOrText(value("budget.amount"));
    if (amount !== null) body.budget = { amount, currency: value("budget.currency") };
    if (need) body.status = value("status");
    if (!given?.appraisal_id) {
      if (template.value) {
        const chosen = templates.find((item) => item.name === template.value);
        const inputsGiven = {};
        for (const spec of chosen.inputs) {
          const typed = numberOrText(value(`appraisal.inputs.${spec.name}`));
          if (typed !== null) inputsGiven[spec.name] = typed;
        }
        const financing = {};
        for (const [name] of FINANCING) {
          const typed = numberOrText(value(`appraisal.financing.${name}`));
          if (typed !== null) financing[name] = typed;
        }
        body.appraisal = { template: template.value, inputs: inputsGiven };
        if (Object.keys(financing).length) body.appraisal.financing = financing;
      } else if (need) {
        body.appraisal = null;
      }
    }
    if (!need) for (const name of ["description", "needed_by"]) if (body[name] === null) delete body[name];
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { data } = need
        ? await api("catalogue", `/v1/needs/${need.id}`, { method: "PATCH", body, etag })
        : await api("catalogue", "/v1/needs", { method: "POST", body });
      clearErrors(form);
      go(`/needs/${data.id}`);
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
