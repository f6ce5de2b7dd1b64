// A ranked match as people read it: rank, name, score, the explanation in words, and on demand
// every score component, every constraint and the terms that weighed most.

import { t } from "./i18n.js";
import { h, number, scoreBar } from "./ui.js";

export function constraintList(constraints) {
  return h("ul", { class: "constraints" }, (constraints || []).map((check) =>
    h("li", { class: `constraint ${check.status}`, "data-status": check.status },
      h("strong", {}, t(`constraint_${check.name}`, {}, check.name)), ` — ${check.detail}`)));
}

export function componentTable(match) {
  const names = Object.keys(match.components || {});
  return h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, t("component")), h("th", { class: "num" }, t("value")),
      h("th", { class: "num" }, t("weight")), h("th", { class: "num" }, t("contribution")), h("th", {}, t("why")))),
    h("tbody", {}, names.map((name) => h("tr", {},
      h("td", {}, t(`component_${name}`, {}, name)),
      h("td", { class: "num" }, number(match.components[name], 2)),
      h("td", { class: "num" }, number(match.weights?.[name], 2)),
      h("td", { class: "num" }, number(match.contributions?.[name], 3)),
      h("td", { class: "muted" }, match.component_details?.[name] || "")))));
}

export function matchItem(match, { title, link } = {}) {
  const name = title || match.name || `${match.candidate_kind} ${match.candidate_id}`;
  return h("div", { class: "match", "data-testid": "match", "data-candidate": `${match.candidate_kind}-${match.candidate_id}` },
    h("div", { class: "head" },
      h("span", { class: "rank" }, match.rank ? `#${match.rank}` : ""),
      h("span", { class: "name" }, link ? h("a", { href: link }, name) : name),
      scoreBar(match.score), h("span", { class: "pill" }, number(match.score, 3))),
    h("p", { class: "explanation", "data-testid": "explanation" }, match.explanation),
    h("details", {}, h("summary", {}, t("details")),
      componentTable(match),
      h("h3", {}, t("constraints")), constraintList(match.constraints),
      match.top_terms?.length
        ? h("p", { class: "muted" }, `${t("topTerms")}: ${match.top_terms.map((term) => term.term).join(", ")}`)
        : null));
}
