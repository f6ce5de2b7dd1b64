// Subscriptions to new matches: create one (the signing secret is shown once), see each one's
// webhook delivery log, replay a delivery, and read the pull feed.

import { api, get, whoAmI } from "../api.js";
import { t } from "../i18n.js";
import {
  clearErrors, date, errorNotice, field, h, input, loading, notice, numberOrText, replace,
  secretBox, select, showErrors,
} from "../ui.js";

const WATCHED = ["supplier", "lender", "funding_call", "municipality"];

export async function render(view) {
  const caller = await whoAmI();
  if (!caller) {
    view.append(notice(t("signInFirst")), h("a", { href: "#/sign-in" }, t("signIn")));
    return;
  }
  const list = h("div", { "data-testid": "subscription-list" }, loading());
  view.append(h("h1", {}, t("navSubscriptions")), createCard(caller, () => refresh(list)), list);
  await refresh(list);
}

async function refresh(list) {
  try {
    const page = await get("matching", "/v1/subscriptions", { limit: 100 });
    replace(list, page.items.length ? page.items.map(subscriptionCard) : h("p", { class: "muted" }, t("noSubscriptions")));
  } catch (error) {
    replace(list, errorNotice(error));
  }
}

function describe(filter) {
  return Object.entries(filter).filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => `${name}=${value}`).join(", ");
}

function subscriptionCard(subscription) {
  const deliveries = h("div", { "data-testid": "deliveries" }, loading());
  const card = h("section", { class: "card", "data-testid": `subscription-${subscription.id}` },
    h("h2", {}, `#${subscription.id} — ${describe(subscription.filter)}`),
    h("p", { class: "muted" },
      `${t("status")}: ${subscription.status}`, subscription.disabled_reason ? ` (${subscription.disabled_reason})` : "",
      ` · ${t("minScore")}: ${subscription.min_score} · ${t("webhookUrl")}: ${subscription.url || t("pullOnly")}`),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", "data-testid": "refresh-deliveries", onclick: () => showDeliveries(deliveries, subscription) }, t("refresh"))),
    h("h3", {}, t("deliveries")), deliveries);
  showDeliveries(deliveries, subscription);
  return card;
}

async function showDeliveries(holder, subscription) {
  try {
    const page = await get("matching", `/v1/subscriptions/${subscription.id}/deliveries`, { limit: 50 });
    const feed = await get("matching", `/v1/subscriptions/${subscription.id}/feed`, { limit: 20 });
    replace(holder,
      page.items.length
        ? h("table", {},
          h("thead", {}, h("tr", {}, ["#", t("event"), t("status"), t("attempts"), t("lastAnswer"), t("delivered"), ""].map((name) => h("th", {}, name)))),
          h("tbody", {}, page.items.map((delivery) => h("tr", { "data-testid": "delivery" },
            h("td", {}, delivery.id), h("td", {}, delivery.event_type),
            h("td", { "data-testid": "delivery-status" }, delivery.status),
            h("td", { class: "num" }, delivery.attempts),
            h("td", {}, delivery.last_status_code ?? delivery.last_error ?? "–"),
            h("td", {}, delivery.delivered_at ? date(delivery.delivered_at) : "–"),
            h("td", {}, h("button", {
              type: "button", class: "secondary", "data-testid": "replay",
              onclick: async (event) => {
                event.target.disabled = true;
                try {
                  await api("matching", `/v1/subscriptions/${subscription.id}/deliveries/${delivery.id}/replay`, { method: "POST" });
                  await showDeliveries(holder, subscription);
                } catch (error) {
                  holder.prepend(errorNotice(error));
                }
              },
            }, t("replay")))))))
        : h("p", { class: "muted" }, subscription.url ? t("noDeliveries") : t("pullOnlyHelp")),
      h("h3", {}, t("feed")),
      feed.items.length
        ? h("ul", { "data-testid": "feed" }, feed.items.map((event) => h("li", {},
          `${event.type} — ${event.data?.explanation || describe(event.data?.pair || {})}`)))
        : h("p", { class: "muted" }, t("noEvents")));
  } catch (error) {
    replace(holder, errorNotice(error));
  }
}

function createCard(caller, done) {
  const subject = select("subject", ["organisation_id", "need_id", "category"], caller.role === "municipality" ? "need_id" : "organisation_id", (s) => t(`subject_${s}`));
  const subjectValue = input("subject_value", caller.role === "municipality" ? "" : caller.organisation_id);
  const kind = select("filter.kind", WATCHED, "", (k) => t(`role_${k}`), { blank: true });
  const url = input("url", "", { type: "url", placeholder: "https://…/hooks" });
  const minScore = input("min_score", "0.2", { type: "number", step: "0.05" });
  const result = h("div", {});
  const form = h("form", { "data-testid": "subscription-form" },
    h("div", { class: "form-errors" }),
    h("div", { class: "row" },
      field(t("watch"), subject, { name: "subject" }),
      field(t("subjectValue"), subjectValue, { name: "filter" }),
      field(t("kind"), kind, { name: "filter.kind" })),
    h("div", { class: "row" },
      field(t("webhookUrl"), url, { name: "url", help: t("webhookOptional") }),
      field(t("minScore"), minScore, { name: "min_score" })),
    h("div", { class: "actions" }, h("button", { type: "submit", "data-testid": "create-subscription" }, t("subscribe"))),
    result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = subjectValue.value.trim();
    const filter = { [subject.value]: subject.value === "category" ? typed : numberOrText(typed) };
    if (kind.value) filter.kind = kind.value;
    const body = { filter, min_score: numberOrText(minScore.value) ?? 0 };
    if (url.value.trim()) body.url = url.value.trim();
    try {
      const { data } = await api("matching", "/v1/subscriptions", { method: "POST", body });
      clearErrors(form);
      replace(result, notice(t("subscribed", { id: data.id })), data.secret ? secretBox(data.secret, "subscription-secret", "saveSecretNow") : null);
      await done();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return h("section", { class: "card" }, h("h2", {}, t("newSubscription")), form);
}
