// A need: what it is, its appraisal with charts, who can deliver and finance it and why,
// why a named candidate is missing, joint-procurement bundles, and a subscription to new matches.

import { api, get, whoAmI } from "../api.js";
import { cashFlowChart, dscrChart, monteCarloChart } from "../charts.js";
import { t } from "../i18n.js";
import { constraintList, matchItem } from "../matches.js";
import {
  checkboxes, clearErrors, date, errorNotice, field, h, input, loading, money, notice, number,
  numberOrText, percent, replace, secretBox, select, showErrors,
} from "../ui.js";

const DEFAULT_COVENANT = 1.2;

export async function render(view, { id }) {
  const caller = await whoAmI();
  const { data: need } = await api("catalogue", `/v1/needs/${id}`);
  const city = await get("catalogue", `/v1/organisations/${need.organisation_id}`).catch(() => null);
  const owner = caller && (caller.organisation_id === need.organisation_id || caller.role === "admin");
  view.append(
    header(need, city, owner),
    section("appraisal", t("appraisalTitle"), (body) => renderAppraisal(body, need, caller)),
    section("partners", t("partnersTitle"), (body) => renderPartners(body, need)),
    h("div", { class: "grid" },
      section("why-not", t("whyNotTitle"), (body) => renderWhyNot(body, need)),
      section("bundles", t("bundlesTitle"), (body) => renderBundles(body, need))),
    section("subscribe", t("subscribeTitle"), (body) => renderSubscribe(body, need, caller)));
}

function section(testid, title, renderer) {
  const body = h("div", {}, loading());
  const card = h("section", { class: "card", "data-testid": testid }, h("h2", {}, title), body);
  Promise.resolve()
    .then(() => renderer(body))
    .catch((error) => replace(body, errorNotice(error)));
  return card;
}

function header(need, city, owner) {
  return h("section", { class: "card", "data-testid": "need-header" },
    h("h1", { "data-testid": "need-title" }, need.title),
    h("p", {},
      h("span", { class: "pill" }, city ? city.name : `#${need.organisation_id}`), " ",
      h("span", { class: "pill" }, t(`cat_${need.category}`)), " ",
      h("span", { class: "pill" }, need.nuts_code), " ",
      h("span", { class: "pill" }, money(need.budget)), " ",
      h("span", { class: "pill" }, `${t("neededBy")} ${date(need.needed_by)}`), " ",
      h("span", { class: "pill" }, t(`status_${need.status}`))),
    need.description ? h("p", {}, need.description) : null,
    h("p", { class: "muted" }, `${t("contractForms")}: ${need.contract_forms.map((f) => t(`form_${f}`)).join(", ") || "–"}`),
    need.cpv_codes.length ? h("p", { class: "muted" }, `CPV: ${need.cpv_codes.join(", ")}`) : null,
    owner ? h("div", { class: "actions" }, h("a", { href: `#/needs/${need.id}/edit`, "data-testid": "edit-need" }, t("editNeed"))) : null);
}

// --- appraisal -------------------------------------------------------------------------------

function appraisalBody(appraisal) {
  const body = { template: appraisal.template, inputs: appraisal.inputs || {} };
  if (appraisal.financing) body.financing = appraisal.financing;
  if (appraisal.discount_rate !== null && appraisal.discount_rate !== undefined) body.discount_rate = appraisal.discount_rate;
  return body;
}

async function renderAppraisal(body, need, caller) {
  const given = need.appraisal;
  if (!given) {
    replace(body, h("p", { class: "muted" }, t("noAppraisal")));
    return;
  }
  let appraisal;
  if (given.appraisal_id) {
    appraisal = await get("evaluation", `/v1/appraisals/${given.appraisal_id}`);
  } else if (caller) {
    // the same need version gives the same key: looking again replays the stored appraisal
    const key = `console-need-${need.id}-${need.updated_at}`;
    ({ data: appraisal } = await api("evaluation", "/v1/appraisals", { method: "POST", body: appraisalBody(given), key }));
  } else {
    const summary = (await api("evaluation", "/v1/calculations/bankability", { method: "POST", body: appraisalBody(given) })).data;
    replace(body, bankabilityBlock(summary), notice(t("signInForCharts")));
    return;
  }
  const results = appraisal.results;
  const currency = need.budget?.currency || "EUR";
  const covenant = h("input", { type: "number", step: "0.05", min: "0", value: DEFAULT_COVENANT, name: "dscr_covenant", "data-testid": "input-dscr_covenant" });
  const dscrHolder = h("div", {}, dscrChart(results.dscr_by_year || [], DEFAULT_COVENANT));
  covenant.addEventListener("change", () => replace(dscrHolder, dscrChart(results.dscr_by_year || [], Number(covenant.value) || DEFAULT_COVENANT)));
  const mc = h("div", { "data-testid": "monte-carlo" });
  replace(body,
    h("p", { class: "muted" }, t("appraisalFrom", { template: appraisal.template || "–", id: appraisal.id })),
    h("div", { class: "figures", "data-testid": "appraisal-figures" },
      fig("FNPV", money({ amount: results.fnpv, currency })),
      fig("FIRR", percent(results.firr)),
      fig(t("payback"), results.payback_years === null ? "–" : `${number(results.payback_years, 1)} ${t("years")}`),
      fig(t("discountedPayback"), results.discounted_payback_years === null ? "–" : `${number(results.discounted_payback_years, 1)} ${t("years")}`),
      fig(t("minDscr"), results.min_dscr === null ? "–" : `${number(results.min_dscr)}×`),
      fig("LLCR", results.llcr === null ? "–" : `${number(results.llcr)}×`),
      fig(t("equityIrr"), percent(results.equity_irr)),
      fig("ENPV", money({ amount: results.enpv, currency })),
      fig("B/C", number(results.bcr)),
      fig(t("grade"), appraisal.bankability?.grade || "–")),
    h("div", { class: "grid" },
      h("div", {}, cashFlowChart(results.cash_flows || [], currency)),
      h("div", {}, dscrHolder, h("label", { class: "muted" }, `${t("covenant")} `, covenant))),
    mc,
    h("h3", {}, t("recommendedForms")),
    h("ol", { "data-testid": "recommended-forms" }, (results.recommended_forms || []).map((item) =>
      h("li", {}, h("strong", {}, t(`form_${item.form}`, {}, item.form)), ` (${item.score}) `,
        h("ul", {}, item.reasons.map((reason) => h("li", { class: "muted" }, reason)))))),
    bankabilityBlock(appraisal.bankability));
  await renderMonteCarlo(mc, appraisal, caller, covenant, currency);
}

function fig(label, value) {
  return h("div", { class: "figure" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

function bankabilityBlock(summary) {
  if (!summary) return null;
  return h("div", { "data-testid": "bankability" },
    h("h3", {}, `${t("bankability")}: ${summary.grade || "–"}`),
    h("ul", {}, (summary.reasons || []).map((reason) => h("li", { class: "muted" }, reason))));
}

async function renderMonteCarlo(holder, appraisal, caller, covenant, currency) {
  const stored = appraisal.results.monte_carlo;
  const mine = caller && caller.organisation_id === appraisal.organisation_id;
  const chart = h("div", {}, stored ? monteCarloChart(stored, currency) : null);
  replace(holder, h("h3", {}, t("monteCarlo")), chart);
  if (!mine) {
    if (!stored) holder.append(h("p", { class: "muted" }, t("monteCarloNotRun")));
    return;
  }
  const template = appraisal.template ? await get("evaluation", `/v1/templates/${appraisal.template}`) : null;
  // integer inputs are counts and periods (structural); the prices and costs are what varies
  const variables = template ? template.inputs.filter((spec) => !spec.integer).map((spec) => spec.name) : [];
  const picks = checkboxes("distributions", variables, variables);
  const sd = h("input", { type: "number", name: "sd_pct", value: 15, step: "1", "data-testid": "input-sd_pct" });
  const draws = h("input", { type: "number", name: "n_draws", value: 5000, step: "100", "data-testid": "input-n_draws" });
  const form = h("form", { "data-testid": "monte-carlo-form" },
    h("div", { class: "form-errors" }),
    field(t("variedInputs"), picks, { name: "distributions", wide: true }),
    h("div", { class: "row" },
      field(t("sdPct"), sd, { name: "sd_pct" }),
      field(t("draws"), draws, { name: "n_draws" })),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "run-monte-carlo" }, t("runMonteCarlo"))));
  holder.append(form);
  async function run(key) {
    const spread = numberOrText(sd.value);
    const distributions = Object.fromEntries(picks.value().map((name) => [name, { distribution: "normal", sd_pct: spread }]));
    const body = {
      distributions, n_draws: numberOrText(draws.value),
      dscr_covenant: numberOrText(covenant.value), random_state: 42,
    };
    try {
      const { data } = await api("evaluation", `/v1/appraisals/${appraisal.id}/monte-carlo`, { method: "POST", body, key });
      clearErrors(form);
      replace(chart, monteCarloChart(data, currency),
        h("p", { class: "muted" }, t("monteCarloSummary", {
          draws: number(data.n_draws, 0), p: percent(data.p_npv_negative),
          dscr: data.p_min_dscr_below_covenant === null ? "–" : percent(data.p_min_dscr_below_covenant),
        })));
    } catch (error) {
      showErrors(form, error);
    }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  if (!stored && variables.length) {
    await run(`console-mc-${appraisal.id}-${appraisal.updated_at}`);
  }
}

// --- ranked partners -------------------------------------------------------------------------

const KINDS = ["supplier", "lender", "funding_call", "municipality"];

async function renderPartners(body, need) {
  const list = h("div", { "data-testid": "partner-list" });
  const tabs = h("div", { class: "tabs", role: "tablist" });
  async function show(kind) {
    for (const button of tabs.children) button.classList.toggle("current", button.dataset.kind === kind);
    replace(list, loading());
    try {
      const page = await get("matching", `/v1/needs/${need.id}/matches`, { kind, limit: 10 });
      replace(list,
        page.notes?.length ? notice(page.notes.join(" ")) : null,
        page.items.length ? page.items.map((match) => matchItem(match, {
          link: kind === "municipality" && match.via?.length ? `#/needs/${match.via[0].need_id ?? match.via[0].id}` : null,
        })) : h("p", { class: "muted" }, t("noMatches")));
      list.dataset.kind = kind;
    } catch (error) {
      replace(list, errorNotice(error));
    }
  }
  for (const kind of KINDS) {
    tabs.append(h("button", { type: "button", role: "tab", "data-kind": kind, "data-testid": `tab-${kind}`, onclick: () => show(kind) }, t(`kindPlural_${kind}`)));
  }
  replace(body, tabs, list);
  await show("supplier");
}

// --- why not ---------------------------------------------------------------------------------

async function renderWhyNot(body, need) {
  const kind = select("candidate_kind", KINDS, "supplier", (k) => t(`role_${k}`));
  const name = input("candidate", "", { placeholder: t("candidateSearch"), autocomplete: "off" });
  const options = h("div", { class: "options", hidden: true });
  const answer = h("div", { "data-testid": "why-not-answer" });
  let chosen = null;
  let timer = null;
  async function search() {
    const q = name.value.trim();
    chosen = null;
    if (!q) { options.hidden = true; return; }
    const path = kind.value === "funding_call" ? "/v1/funding-calls" : "/v1/organisations";
    const query = kind.value === "funding_call" ? { q, limit: 8 } : { q, kind: kind.value, limit: 8 };
    const page = await get("catalogue", path, query);
    replace(options, page.items.length
      ? page.items.map((item) => h("button", {
        type: "button", "data-candidate-id": item.id,
        onclick: () => { chosen = item.id; name.value = item.name || item.title; options.hidden = true; },
      }, `${item.name || item.title} (#${item.id})`))
      : h("div", { class: "muted", style: "padding:.4rem" }, t("noResults")));
    options.hidden = false;
  }
  name.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search().catch(() => {}), 200); });
  const form = h("form", { "data-testid": "why-not-form" },
    h("div", { class: "form-errors" }),
    h("div", { class: "row" },
      field(t("kind"), kind, { name: "candidate_kind" }),
      field(t("candidate"), h("div", { class: "picker" }, name, options), { name: "candidate" })),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "ask-why" }, t("askWhy"))),
    answer);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typedId = /^#?\d+$/.test(name.value.trim()) ? Number(name.value.trim().replace("#", "")) : null;
    const candidate = chosen ?? typedId;
    clearErrors(form);
    if (!candidate) {
      const holder = form.querySelector('[data-field="candidate"]');
      holder.classList.add("invalid");
      holder.querySelector(".field-error").textContent = t("pickCandidate");
      return;
    }
    try {
      const why = await get("matching", `/v1/needs/${need.id}/matches/${kind.value}/${candidate}`);
      replace(answer,
        h("p", {}, h("strong", { "data-testid": "why-not-verdict" }, why.eligible
          ? t("eligibleRank", { rank: why.rank ?? "–" }) : t("notEligible"))),
        h("p", { "data-testid": "why-not-explanation" }, why.explanation),
        why.notes?.length ? notice(why.notes.join(" ")) : null,
        constraintList(why.constraints));
    } catch (error) {
      showErrors(form, error);
    }
  });
  replace(body, form);
}

// --- bundles ---------------------------------------------------------------------------------

async function renderBundles(body, need) {
  const answer = await get("matching", `/v1/needs/${need.id}/bundles`);
  replace(body,
    h("p", { class: "muted" }, (answer.reasons || []).join(" ")),
    answer.bundles?.length
      ? answer.bundles.map((bundle) => h("div", { class: "match", "data-testid": "bundle" },
        h("p", {}, h("strong", {}, `${t("bundleTotal")}: ${money(bundle.total)}`)),
        h("ul", {}, bundle.members.map((member) => h("li", {},
          h("a", { href: `#/needs/${member.need_id}` }, member.title), ` — ${member.nuts_code}, ${money(member.budget)}`,
          h("div", { class: "muted" }, (member.reasons || []).join("; "))))),
        h("p", {}, `${t("unlocksLenders")}: `, bundle.lenders.map((lender) => lender.name).join(", ") || "–")))
      : h("p", { class: "muted" }, t("noBundles")));
}

// --- subscribe -------------------------------------------------------------------------------

async function renderSubscribe(body, need, caller) {
  if (!caller) {
    replace(body, h("p", { class: "muted" }, t("signInToSubscribe")));
    return;
  }
  const kind = select("filter.kind", KINDS, "", (k) => t(`role_${k}`), { blank: true });
  const url = input("url", "", { type: "url", placeholder: "https://…/hooks" });
  const minScore = input("min_score", "0.2", { type: "number", step: "0.05", min: "0", max: "1" });
  const result = h("div", {});
  const form = h("form", { "data-testid": "subscribe-form" },
    h("div", { class: "form-errors" }),
    h("p", { class: "muted" }, t("subscribeHelp")),
    h("div", { class: "row" },
      field(t("kind"), kind, { name: "filter.kind" }),
      field(t("webhookUrl"), url, { name: "url", help: t("webhookOptional") }),
      field(t("minScore"), minScore, { name: "min_score" })),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "subscribe" }, t("subscribe"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = { filter: { need_id: need.id }, min_score: numberOrText(minScore.value) ?? 0 };
    if (kind.value) payload.filter.kind = kind.value;
    if (url.value.trim()) payload.url = url.value.trim();
    try {
      const { data } = await api("matching", "/v1/subscriptions", { method: "POST", body: payload });
      clearErrors(form);
      replace(result, notice(t("subscribed", { id: data.id })),
        data.secret ? secretBox(data.secret, "subscription-secret", "saveSecretNow") : null,
        h("a", { href: "#/subscriptions" }, t("navSubscriptions")));
    } catch (error) {
      showErrors(form, error);
    }
  });
  replace(body, form, result);
}
