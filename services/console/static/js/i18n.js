// Italian and English: one small dictionary per language, the choice kept in localStorage,
// numbers and money formatted by the locale (Intl.NumberFormat, see ui.js).

const LANGUAGE = "cityfit.language";
const LOCALES = { en: "en-GB", it: "it-IT" };

const CATEGORIES = {
  en: {
    public_lighting: "Public lighting", traffic_lights: "Traffic lights", building_efficiency: "Building efficiency",
    urban_freight_logistics: "Urban freight logistics", car_pooling: "Car pooling", smart_grid: "Smart grid",
    digital_mobility: "Digital mobility", urban_safety: "Urban safety", operation_centre: "Operation centre", other: "Other",
  },
  it: {
    public_lighting: "Illuminazione pubblica", traffic_lights: "Semafori", building_efficiency: "Efficienza degli edifici",
    urban_freight_logistics: "Logistica urbana delle merci", car_pooling: "Car pooling", smart_grid: "Smart grid",
    digital_mobility: "Mobilità digitale", urban_safety: "Sicurezza urbana", operation_centre: "Centrale operativa", other: "Altro",
  },
};
const FORMS = {
  en: {
    procurement: "Procurement", ppp: "PPP", pfi: "PFI", project_finance: "Project finance",
    epc: "Energy performance contract", concession: "Concession", sib: "Social impact bond",
    shared_revenue: "Shared revenue", micro_finance: "Micro-finance", grant: "Grant",
  },
  it: {
    procurement: "Appalto", ppp: "PPP", pfi: "PFI", project_finance: "Finanza di progetto",
    epc: "Contratto di rendimento energetico (EPC)", concession: "Concessione", sib: "Social impact bond",
    shared_revenue: "Ricavi condivisi", micro_finance: "Microfinanza", grant: "Contributo a fondo perduto",
  },
};
const INSTRUMENTS = {
  en: {
    senior_debt: "Senior debt", mezzanine: "Mezzanine", equity: "Equity", green_bond: "Green bond", grant: "Grant",
    guarantee: "Guarantee", loan: "Loan", crowdfunding: "Crowdfunding", leasing: "Leasing",
  },
  it: {
    senior_debt: "Debito senior", mezzanine: "Mezzanino", equity: "Capitale", green_bond: "Green bond", grant: "Contributo",
    guarantee: "Garanzia", loan: "Prestito", crowdfunding: "Crowdfunding", leasing: "Leasing",
  },
};
const COMPONENTS = {
  en: { text: "Text", cpv: "CPV codes", budget: "Budget fit", fuzzy: "Keywords", references: "Past references", bankability: "Bankability", grant: "Grant fit", category: "Category", region: "Region", timing: "Timing" },
  it: { text: "Testo", cpv: "Codici CPV", budget: "Budget", fuzzy: "Parole chiave", references: "Referenze", bankability: "Bancabilità", grant: "Contributo", category: "Categoria", region: "Regione", timing: "Tempi" },
};
const CONSTRAINTS = {
  en: {
    need_open: "Need open", active: "Active", contract_forms: "Contract forms", region: "Region", budget: "Budget",
    cpv_family: "CPV family", topic: "Topic", lender_min_dscr: "Minimum DSCR", lender_target_irr: "Target IRR",
    call_open: "Call open", category: "Category",
  },
  it: {
    need_open: "Fabbisogno aperto", active: "Attivo", contract_forms: "Forme contrattuali", region: "Territorio", budget: "Budget",
    cpv_family: "Famiglia CPV", topic: "Tema", lender_min_dscr: "DSCR minimo", lender_target_irr: "IRR obiettivo",
    call_open: "Bando aperto", category: "Categoria",
  },
};

function prefixed(prefix, table) {
  return Object.fromEntries(Object.entries(table).map(([key, value]) => [`${prefix}_${key}`, value]));
}

const WORDS = {
  en: {
    navDashboard: "Dashboard", navMyNeeds: "My needs", navMyOrganisation: "My organisation", navSubscriptions: "Subscriptions",
    signIn: "Sign in", signOut: "sign out", signInTitle: "Sign in or register", apiKey: "API key",
    keyStorage: "The key is kept in this browser tab's sessionStorage only: it is sent with each request as the Authorization header and forgotten when the tab closes.",
    keyRefused: "This key was not accepted.", registerTitle: "Register an organisation",
    registerHelp: "Municipalities post needs; suppliers and lenders are matched with them. Registration answers with your API key, shown once.",
    kind: "Kind", name: "Name", country: "Country (ISO code)", contactEmail: "Contact e-mail", description: "Description",
    regionsCovered: "Regions covered (NUTS)", cpvCodes: "CPV codes", register: "Register",
    registered: "{name} is registered (organisation #{id}) and you are signed in.",
    saveItNow: "Save this API key now: it is shown this once and cannot be shown again.",
    saveSecretNow: "Save this signing secret now: it is shown this once; webhooks are signed with it.",
    copy: "Copy", copied: "Copied", continue: "Continue", remove: "remove",
    role_municipality: "Municipality", role_supplier: "Supplier", role_lender: "Lender", role_partner: "Partner",
    role_admin: "Administrator", role_funding_call: "Funding call",
    kindPlural_supplier: "Suppliers", kindPlural_lender: "Lenders", kindPlural_funding_call: "Funding calls", kindPlural_municipality: "Peer cities",
    dashboardTitle: "Smart City programme", programme: "Programme at a glance", openNeeds: "Open needs",
    withSupplier: "With a supplier match", withLender: "With a lender match", budgetWithoutLender: "Budget still without a lender",
    byCategory: "Needs by category", byRegion: "Needs by region", needsLabel: "Needs", region: "Region",
    callsClosingSoon: "Funding calls closing within {days} days", call: "Call", closes: "Closes", grant: "Grant",
    daysLeft: "{days} days left", noCallsClosing: "No funding call closes soon.",
    openNeedsList: "Open needs", need: "Need", category: "Category", budget: "Budget", appraisal: "Appraisal", hasAppraisal: "appraised",
    neededBy: "needed by", contractForms: "Contract forms", editNeed: "Edit this need",
    status: "Status", status_open: "open", status_closed: "closed",
    appraisalTitle: "Appraisal", noAppraisal: "This need has no appraisal yet: its municipality can add one from a template.",
    signInForCharts: "Sign in (any organisation's key, or register) to run the full appraisal with its charts: an appraisal is computed and stored by the evaluation service for the caller.",
    appraisalFrom: "Template {template}, stored as appraisal #{id}.",
    payback: "Payback", discountedPayback: "Discounted payback", years: "years", minDscr: "Minimum DSCR",
    equityIrr: "Equity IRR", grade: "Bankability grade", bankability: "Bankability", year: "Year",
    chartCashFlows: "Yearly cash flows", chartCashFlowsHelp: "Net cash flow per year as bars, the cumulative position as a line.",
    chartDscr: "DSCR by year against the covenant", chartDscrHelp: "Debt service cover ratio per year; the dashed line is the covenant ({covenant}×).",
    chartMonteCarlo: "Monte Carlo distribution of FNPV", chartMonteCarloHelp: "Share of draws by FNPV; the part below zero is shaded; P(FNPV<0) = {p}.",
    netCashFlow: "net cash flow", cumulative: "cumulative", covenant: "Covenant",
    monteCarlo: "Risk: Monte Carlo", monteCarloNotRun: "No Monte Carlo run yet: the appraisal's owner can run one.",
    variedInputs: "Inputs varied (normal distribution)", sdPct: "Standard deviation (%)", draws: "Draws",
    runMonteCarlo: "Run the simulation", monteCarloSummary: "{draws} draws: P(FNPV<0) = {p}; P(minimum DSCR below the covenant) = {dscr}.",
    recommendedForms: "Recommended contract and financing forms",
    partnersTitle: "Ranked partners", noMatches: "No match yet.", details: "Why: every component and constraint",
    component: "Component", value: "Value", weight: "Weight", contribution: "Contribution", why: "Reason",
    constraints: "Constraints", topTerms: "Terms that weighed most",
    whyNotTitle: "Why is a candidate missing?", candidate: "Candidate", candidateSearch: "type a name or #id",
    askWhy: "Ask why", pickCandidate: "Pick a candidate from the list, or type its #id.",
    eligibleRank: "Eligible: rank {rank}", notEligible: "Not eligible",
    bundlesTitle: "Joint-procurement bundles", bundleTotal: "Together", unlocksLenders: "Lenders it unlocks",
    noBundles: "No bundle proposed.",
    subscribeTitle: "Subscribe to new matches", signInToSubscribe: "Sign in to subscribe to this need's new matches.",
    subscribeHelp: "Hear of new, changed and removed matches of this need: through a signed webhook, or by reading the feed.",
    webhookUrl: "Webhook URL", webhookOptional: "optional: without it, read the feed", minScore: "Minimum score",
    subscribe: "Subscribe", subscribed: "Subscription #{id} created.",
    signInFirst: "Sign in first.", newNeedTitle: "Post a new need", editNeedTitle: "Edit need #{id}",
    title: "Title", budgetAmount: "Budget", currency: "Currency", template: "Appraisal template",
    linkedAppraisal: "Linked to the stored appraisal #{id}.",
    financing_gearing: "Debt share (gearing, 0–1)", financing_rate: "Interest rate (decimal)", financing_tenor_years: "Debt tenor (years)",
    save: "Save", delete: "Delete", postNeed: "Post the need", cancel: "Cancel", saved: "Saved.",
    needsToDeliver: "Open needs you can deliver", needsToFinance: "Needs you could finance",
    noNeedsYet: "No need posted yet.", profile: "Profile", capabilities: "Capabilities", onePerLine: "one per line",
    project_size: "Project size", ticket: "Ticket", instruments: "Instruments", targetIrr: "Target IRR",
    decimalRate: "a decimal: 0.08 is 8%", maxTenor: "Longest tenor (years)",
    offers: "Offers", newOffer: "New offer", addOffer: "Add the offer",
    offer_product: "Product", offer_service: "Service", offer_reference: "Past reference",
    newSubscription: "New subscription", watch: "Watch", subjectValue: "Which one",
    subject_organisation_id: "an organisation's matches", subject_need_id: "a need", subject_category: "a category",
    noSubscriptions: "No subscription yet.", deliveries: "Webhook deliveries", event: "Event", attempts: "Attempts",
    lastAnswer: "Last answer", delivered: "Delivered", replay: "Replay", refresh: "Refresh",
    noDeliveries: "No delivery yet.", pullOnly: "none (pull feed)", pullOnlyHelp: "No webhook: read the feed below.",
    feed: "Match feed", noEvents: "No event yet.",
    loading: "Loading…", error: "Error", notFound: "Page not found", noResults: "Nothing found",
    typeToSearch: "type a code or words",
    footer: "CityFIT Match console: it speaks only the public API of the catalogue, evaluation and matching services.",
  },
  it: {
    navDashboard: "Cruscotto", navMyNeeds: "I miei fabbisogni", navMyOrganisation: "La mia organizzazione", navSubscriptions: "Sottoscrizioni",
    signIn: "Accedi", signOut: "esci", signInTitle: "Accedi o registrati", apiKey: "Chiave API",
    keyStorage: "La chiave resta solo nel sessionStorage di questa scheda del browser: è inviata con ogni richiesta nell'intestazione Authorization e dimenticata alla chiusura della scheda.",
    keyRefused: "Questa chiave non è stata accettata.", registerTitle: "Registra un'organizzazione",
    registerHelp: "I comuni pubblicano fabbisogni; fornitori e finanziatori vi sono abbinati. La registrazione risponde con la chiave API, mostrata una sola volta.",
    kind: "Tipo", name: "Nome", country: "Paese (codice ISO)", contactEmail: "E-mail di contatto", description: "Descrizione",
    regionsCovered: "Territori coperti (NUTS)", cpvCodes: "Codici CPV", register: "Registra",
    registered: "{name} è registrata (organizzazione n. {id}) e hai effettuato l'accesso.",
    saveItNow: "Salva subito questa chiave API: è mostrata solo ora e non potrà essere mostrata di nuovo.",
    saveSecretNow: "Salva subito questo segreto di firma: è mostrato solo ora; i webhook sono firmati con esso.",
    copy: "Copia", copied: "Copiata", continue: "Continua", remove: "rimuovi",
    role_municipality: "Comune", role_supplier: "Fornitore", role_lender: "Finanziatore", role_partner: "Partner",
    role_admin: "Amministratore", role_funding_call: "Bando",
    kindPlural_supplier: "Fornitori", kindPlural_lender: "Finanziatori", kindPlural_funding_call: "Bandi", kindPlural_municipality: "Città simili",
    dashboardTitle: "Programma Smart City", programme: "Il programma in sintesi", openNeeds: "Fabbisogni aperti",
    withSupplier: "Con un fornitore abbinato", withLender: "Con un finanziatore abbinato", budgetWithoutLender: "Budget ancora senza finanziatore",
    byCategory: "Fabbisogni per categoria", byRegion: "Fabbisogni per territorio", needsLabel: "Fabbisogni", region: "Territorio",
    callsClosingSoon: "Bandi in scadenza entro {days} giorni", call: "Bando", closes: "Scade", grant: "Contributo",
    daysLeft: "mancano {days} giorni", noCallsClosing: "Nessun bando in scadenza a breve.",
    openNeedsList: "Fabbisogni aperti", need: "Fabbisogno", category: "Categoria", budget: "Budget", appraisal: "Valutazione", hasAppraisal: "valutato",
    neededBy: "entro il", contractForms: "Forme contrattuali", editNeed: "Modifica questo fabbisogno",
    status: "Stato", status_open: "aperto", status_closed: "chiuso",
    appraisalTitle: "Valutazione", noAppraisal: "Questo fabbisogno non ha ancora una valutazione: il comune può aggiungerla da un modello.",
    signInForCharts: "Accedi (con la chiave di qualsiasi organizzazione, o registrati) per la valutazione completa con i grafici: il servizio di valutazione la calcola e la conserva per chi la chiede.",
    appraisalFrom: "Modello {template}, conservata come valutazione n. {id}.",
    payback: "Tempo di ritorno", discountedPayback: "Tempo di ritorno attualizzato", years: "anni", minDscr: "DSCR minimo",
    equityIrr: "IRR dell'equity", grade: "Classe di bancabilità", bankability: "Bancabilità", year: "Anno",
    chartCashFlows: "Flussi di cassa annuali", chartCashFlowsHelp: "Flusso di cassa netto di ogni anno a barre, la posizione cumulata come linea.",
    chartDscr: "DSCR per anno rispetto al covenant", chartDscrHelp: "Indice di copertura del servizio del debito per anno; la linea tratteggiata è il covenant ({covenant}×).",
    chartMonteCarlo: "Distribuzione Monte Carlo del VANF", chartMonteCarloHelp: "Quota di estrazioni per VANF; la parte sotto zero è ombreggiata; P(VANF<0) = {p}.",
    netCashFlow: "flusso netto", cumulative: "cumulato", covenant: "Covenant",
    monteCarlo: "Rischio: Monte Carlo", monteCarloNotRun: "Nessuna simulazione Monte Carlo: può eseguirla chi ha la valutazione.",
    variedInputs: "Dati fatti variare (distribuzione normale)", sdPct: "Deviazione standard (%)", draws: "Estrazioni",
    runMonteCarlo: "Esegui la simulazione", monteCarloSummary: "{draws} estrazioni: P(VANF<0) = {p}; P(DSCR minimo sotto il covenant) = {dscr}.",
    recommendedForms: "Forme contrattuali e di finanziamento consigliate",
    partnersTitle: "Partner in classifica", noMatches: "Ancora nessun abbinamento.", details: "Perché: ogni componente e vincolo",
    component: "Componente", value: "Valore", weight: "Peso", contribution: "Contributo", why: "Motivo",
    constraints: "Vincoli", topTerms: "Termini più rilevanti",
    whyNotTitle: "Perché manca un candidato?", candidate: "Candidato", candidateSearch: "scrivi un nome o n. id",
    askWhy: "Chiedi perché", pickCandidate: "Scegli un candidato dall'elenco, o scrivi il suo #id.",
    eligibleRank: "Ammissibile: posizione {rank}", notEligible: "Non ammissibile",
    bundlesTitle: "Aggregazioni per acquisti congiunti", bundleTotal: "Insieme", unlocksLenders: "Finanziatori raggiungibili",
    noBundles: "Nessuna aggregazione proposta.",
    subscribeTitle: "Ricevi i nuovi abbinamenti", signInToSubscribe: "Accedi per ricevere i nuovi abbinamenti di questo fabbisogno.",
    subscribeHelp: "Ricevi gli abbinamenti nuovi, cambiati e rimossi di questo fabbisogno: con un webhook firmato o leggendo il feed.",
    webhookUrl: "URL del webhook", webhookOptional: "facoltativo: senza, si legge il feed", minScore: "Punteggio minimo",
    subscribe: "Sottoscrivi", subscribed: "Sottoscrizione n. {id} creata.",
    signInFirst: "Prima accedi.", newNeedTitle: "Pubblica un nuovo fabbisogno", editNeedTitle: "Modifica il fabbisogno n. {id}",
    title: "Titolo", budgetAmount: "Budget", currency: "Valuta", template: "Modello di valutazione",
    linkedAppraisal: "Collegato alla valutazione conservata n. {id}.",
    financing_gearing: "Quota di debito (0–1)", financing_rate: "Tasso d'interesse (decimale)", financing_tenor_years: "Durata del debito (anni)",
    save: "Salva", delete: "Elimina", postNeed: "Pubblica il fabbisogno", cancel: "Annulla", saved: "Salvato.",
    needsToDeliver: "Fabbisogni aperti che puoi realizzare", needsToFinance: "Fabbisogni che potresti finanziare",
    noNeedsYet: "Nessun fabbisogno pubblicato.", profile: "Profilo", capabilities: "Competenze", onePerLine: "una per riga",
    project_size: "Dimensione dei progetti", ticket: "Ticket", instruments: "Strumenti", targetIrr: "IRR obiettivo",
    decimalRate: "un decimale: 0,08 è l'8%", maxTenor: "Durata massima (anni)",
    offers: "Offerte", newOffer: "Nuova offerta", addOffer: "Aggiungi l'offerta",
    offer_product: "Prodotto", offer_service: "Servizio", offer_reference: "Referenza",
    newSubscription: "Nuova sottoscrizione", watch: "Segui", subjectValue: "Quale",
    subject_organisation_id: "gli abbinamenti di un'organizzazione", subject_need_id: "un fabbisogno", subject_category: "una categoria",
    noSubscriptions: "Nessuna sottoscrizione.", deliveries: "Consegne dei webhook", event: "Evento", attempts: "Tentativi",
    lastAnswer: "Ultima risposta", delivered: "Consegnato", replay: "Rinvia", refresh: "Aggiorna",
    noDeliveries: "Nessuna consegna.", pullOnly: "nessuno (feed)", pullOnlyHelp: "Nessun webhook: leggi il feed qui sotto.",
    feed: "Feed degli abbinamenti", noEvents: "Nessun evento.",
    loading: "Caricamento…", error: "Errore", notFound: "Pagina non trovata", noResults: "Nessun risultato",
    typeToSearch: "scrivi un codice o delle parole",
    footer: "Console di CityFIT Match: usa solo l'API pubblica dei servizi catalogo, valutazione e abbinamento.",
  },
};

const DICTIONARIES = Object.fromEntries(Object.keys(WORDS).map((lang) => [lang, {
  ...WORDS[lang],
  ...prefixed("cat", CATEGORIES[lang]),
  ...prefixed("form", FORMS[lang]),
  ...prefixed("instrument", INSTRUMENTS[lang]),
  ...prefixed("component", COMPONENTS[lang]),
  ...prefixed("constraint", CONSTRAINTS[lang]),
}]));

export function language() {
  const chosen = localStorage.getItem(LANGUAGE);
  if (chosen && DICTIONARIES[chosen]) return chosen;
  return navigator.language?.startsWith("it") ? "it" : "en";
}

export function setLanguage(lang) {
  if (DICTIONARIES[lang]) localStorage.setItem(LANGUAGE, lang);
}

export const locale = () => LOCALES[language()];

// t("daysLeft", {days: 3}); a key missing from the dictionary shows `fallback`, else the key.
export function t(key, values = {}, fallback) {
  const text = DICTIONARIES[language()][key] ?? DICTIONARIES.en[key] ?? fallback ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? `{${name}}`));
}
