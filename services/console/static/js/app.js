// The console's shell: hash routes, the navigation, the language switch and who is signed in.
// Pages are modules under pages/; each exports `render(view, params)`.

import { session, whoAmI } from "./api.js";
import { language, setLanguage, t } from "./i18n.js";
import { errorNotice, go, h, replace } from "./ui.js";
import * as home from "./pages/home.js";
import * as signIn from "./pages/signin.js";
import * as need from "./pages/need.js";
import * as needForm from "./pages/need_form.js";
import * as mine from "./pages/mine.js";
import * as subscriptions from "./pages/subscriptions.js";

const ROUTES = [
  [/^\/?$/, home.render],
  [/^\/sign-in$/, signIn.render],
  [/^\/needs\/new$/, needForm.render],
  [/^\/needs\/(\d+)\/edit$/, needForm.render],
  [/^\/needs\/(\d+)$/, need.render],
  [/^\/mine$/, mine.render],
  [/^\/subscriptions$/, subscriptions.render],
];

async function navigation() {
  const caller = await whoAmI().catch(() => null);
  const links = [h("a", { href: "#/", "data-testid": "nav-dashboard" }, t("navDashboard"))];
  if (caller) {
    const mineLabel = caller.role === "municipality" ? t("navMyNeeds") : t("navMyOrganisation");
    links.push(
      h("a", { href: "#/mine", "data-testid": "nav-mine" }, mineLabel),
      h("a", { href: "#/subscriptions", "data-testid": "nav-subscriptions" }, t("navSubscriptions")));
  }
  replace(document.getElementById("nav"), links);
  const who = document.getElementById("who");
  if (caller) {
    replace(who, `${t(`role_${caller.role}`)} #${caller.organisation_id} · `,
      h("a", {
        href: "#/", "data-testid": "sign-out",
        onclick: (event) => { event.preventDefault(); session.key = null; go("/"); },
      }, t("signOut")));
  } else {
    replace(who, h("a", { href: "#/sign-in", "data-testid": "nav-sign-in" }, t("signIn")));
  }
  replace(document.getElementById("footer"), t("footer"));
}

async function route() {
  const path = location.hash.replace(/^#/, "") || "/";
  const view = document.getElementById("view");
  document.documentElement.lang = language();
  await navigation();
  for (const [pattern, render] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      replace(view);
      try {
        await render(view, { id: match[1] ? Number(match[1]) : null, path });
      } catch (error) {
        view.append(errorNotice(error));
      }
      return;
    }
  }
  replace(view, h("h1", {}, t("notFound")), h("a", { href: "#/" }, t("navDashboard")));
}

const picker = document.getElementById("language");
picker.value = language();
picker.addEventListener("change", () => { setLanguage(picker.value); route(); });
window.addEventListener("hashchange", route);
route();
