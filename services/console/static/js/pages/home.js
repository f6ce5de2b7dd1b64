// The programme dashboard (anyone may open it) and the open needs, the demo's way in.

import { get } from "../api.js";
import { groupedBars } from "../charts.js";
import { t } from "../i18n.js";
import { date, errorNotice, h, loading, money, replace } from "../ui.js";

export async function render(view) {
  const dashboard = h("section", { class: "card", "data-testid": "dashboard" }, loading());
  const needs = h("section", { class: "card", "data-testid": "open-needs" }, loading());
  view.append(h("h1", {}, t("dashboardTitle")), dashboard, needs);
  await Promise.all([
    fill(dashboard, renderDashboard),
    fill(needs, renderNeeds),
  ]);
}

async function fill(section, renderer) {
  try {
    replace(section, ...(await renderer()));
  } catch (error) {
    replace(section, errorNotice(error));
  }
}

function figure(label, value, testid) {
  return h("div", { class: "figure" }, h("div", { class: "label" }, label),
    h("div", { class: "value", "data-testid": testid }, value));
}

async function renderDashboard() {
  const summary = await get("matching", "/v1/programme/summary");
  const without = summary.budget_without_lender.length
    ? summary.budget_without_lender.map((amount) => money(amount)).join(" + ")
    : money({ amount: 0, currency: "EUR" });
  const parts = [
    h("h2", {}, t("programme")),
    h("div", { class: "figures" },
      figure(t("openNeeds"), summary.open_needs, "figure-open-needs"),
      figure(t("withSupplier"), summary.with_supplier_match, "figure-with-supplier"),
      figure(t("withLender"), summary.with_lender_match, "figure-with-lender"),
      figure(t("budgetWithoutLender"), without, "figure-budget-without-lender")),
  ];
  if (summary.by_category.length) {
    parts.push(groupedBars(summary.by_category, [
      [t("needsLabel"), "needs", "#8a99a8"],
      [t("withSupplier"), "with_supplier_match", "#0b6e99"],
      [t("withLender"), "with_lender_match", "#2e7d32"],
    ], { title: t("byCategory"), testid: "chart-categories", labelOf: (row) => t(`cat_${row.category}`) }));
  }
  parts.push(h("div", { class: "grid" },
    h("div", {}, h("h3", {}, t("byRegion")), h("table", { "data-testid": "regions" },
      h("thead", {}, h("tr", {}, h("th", {}, t("region")), h("th", { class: "num" }, t("needsLabel")),
        h("th", { class: "num" }, t("withSupplier")), h("th", { class: "num" }, t("withLender")))),
      h("tbody", {}, summary.by_region.map((row) => h("tr", {},
        h("td", {}, `${row.nuts} ${row.label || ""}`), h("td", { class: "num" }, row.needs),
        h("td", { class: "num" }, row.with_supplier_match), h("td", { class: "num" }, row.with_lender_match)))))),
    h("div", {}, h("h3", {}, t("callsClosingSoon", { days: summary.closing_within_days })),
      summary.calls_closing_soon.length
        ? h("table", { "data-testid": "calls-closing" },
          h("thead", {}, h("tr", {}, h("th", {}, t("call")), h("th", {}, t("closes")), h("th", { class: "num" }, t("grant")))),
          h("tbody", {}, summary.calls_closing_soon.map((call) => h("tr", {},
            h("td", {}, call.title, h("div", { class: "muted" }, call.programme || "")),
            h("td", {}, date(call.closes_at), h("div", { class: "muted" }, t("daysLeft", { days: call.days_left }))),
            h("td", { class: "num" }, call.grant ? `${money(call.grant.min)} – ${money(call.grant.max)}` : "–")))))
        : h("p", { class: "muted" }, t("noCallsClosing")))));
  return parts;
}

async function renderNeeds() {
  const page = await get("catalogue", "/v1/needs", { status: "open", limit: 50 });
  return [
    h("h2", {}, t("openNeedsList")),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, t("need")), h("th", {}, t("category")), h("th", {}, t("region")),
        h("th", { class: "num" }, t("budget")), h("th", {}, t("appraisal")))),
      h("tbody", {}, page.items.map((need) => h("tr", {},
        h("td", {}, h("a", { href: `#/needs/${need.id}`, "data-testid": `need-link-${need.id}` }, need.title)),
        h("td", {}, t(`cat_${need.category}`)),
        h("td", {}, need.nuts_code),
        h("td", { class: "num" }, money(need.budget)),
        h("td", {}, need.appraisal ? h("span", { class: "pill" }, t("hasAppraisal")) : ""))))),
  ];
}
