"use strict";
// The trainer's page: a grid of live sessions, one session in 3D with its advice, cues
// and attempt history. Data come over one WebSocket (reopened by itself when the server
// goes away); trainer actions are POSTed. Everything from sessions is shown as text
// (textContent), never parsed as HTML.

const TEXT = {
  fr: {
    title: "Séances en direct", language: "Langue", logout: "Se déconnecter",
    empty: "Aucune séance en cours. Lancez « vrtrainer train … --publish URL » sur un poste.",
    back: "← Toutes les séances", trainee_hands: "Mains du stagiaire", ghost: "Fantôme de l'expert",
    reset_view: "Vue initiale", view_hint: "Glisser pour tourner, molette pour zoomer, flèches au clavier.",
    live_score: "Score", phase: "Phase", coverage: "Suivi des mains", advice: "Conseil",
    on_panel: "Sur le panneau", coach: "Guider le stagiaire", message: "Message", send: "Envoyer",
    retry: "Recommencer la tentative", end_step: "Terminer l'étape", history: "Tentatives",
    step: "Étape", attempt: "Tentative", score: "Score", verdict: "Résultat", feedback: "Retour",
    report: "Rapport", open_report: "ouvrir", passed: "réussi", not_passed: "à reprendre",
    rejected: "geste non reconnu", no_score: "sans score", connected: "connecté",
    connecting: "connexion…", reconnecting: "serveur injoignable, nouvel essai…",
    session_lost: "déconnectée", ended: "terminée", delivered: "reçu en {s} s", waiting: "en attente",
    sent: "Envoyé.", refused: "Refusé : {e}", step_of: "Étape {n}/{m}", attempts: "{n} tentative(s)",
    last: "dernier {s}", none: "–",
    phases: {intro: "Préparation", watch: "Observe l'expert", attempt: "Essai", feedback: "Résultat", done: "Terminé"},
    kinds: {cue: "repère", message: "message", retry: "recommencer", end_step: "terminer l'étape"},
  },
  en: {
    title: "Live sessions", language: "Language", logout: "Sign out",
    empty: "No session running. Start \u201cvrtrainer train \u2026 --publish URL\u201d on a workstation.",
    back: "← All sessions", trainee_hands: "Trainee's hands", ghost: "Expert's ghost",
    reset_view: "Reset view", view_hint: "Drag to turn, wheel to zoom, arrow keys too.",
    live_score: "Score", phase: "Phase", coverage: "Hand tracking", advice: "Advice",
    on_panel: "On the panel", coach: "Coach the trainee", message: "Message", send: "Send",
    retry: "Retry the attempt", end_step: "End the step", history: "Attempts",
    step: "Step", attempt: "Attempt", score: "Score", verdict: "Result", feedback: "Feedback",
    report: "Report", open_report: "open", passed: "passed", not_passed: "try again",
    rejected: "gesture not recognised", no_score: "no score", connected: "connected",
    connecting: "connecting…", reconnecting: "server unreachable, trying again…",
    session_lost: "disconnected", ended: "ended", delivered: "received in {s} s", waiting: "waiting",
    sent: "Sent.", refused: "Refused: {e}", step_of: "Step {n}/{m}", attempts: "{n} attempt(s)",
    last: "last {s}", none: "–",
    phases: {intro: "Getting ready", watch: "Watching the expert", attempt: "Trying", feedback: "Result", done: "Finished"},
    kinds: {cue: "cue", message: "message", retry: "retry", end_step: "end step"},
  },
};

const page = {
  lang: localStorage.getItem("vrtrainer-lang") || ((navigator.language || "fr").startsWith("fr") ? "fr" : "en"),
  socket: null, watched: null, detail: null, cues: {}, grid: [], retries: 0, view: null,
  frames: 0,
};
window.vrtrainerPage = page;

function t(key, values) {
  let s = TEXT[page.lang][key] ?? key;
  for (const [k, v] of Object.entries(values || {})) s = s.replace(`{${k}}`, v);
  return s;
}
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function fmtScore(s) { return s === null || s === undefined ? t("none") : Math.round(s).toString(); }
function fmtPct(c) { return c === null || c === undefined ? t("none") : `${Math.round(100 * c)} %`; }
function verdict(r) {
  if (r.score === null || r.score === undefined) return t("no_score");
  return r.rejected ? t("rejected") : r.passed ? t("passed") : t("not_passed");
}

function translate() {
  document.documentElement.lang = page.lang;
  $("language").value = page.lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  document.title = `vrtrainer — ${t("title")}`;
  renderGrid();
  renderCues();
  if (page.detail) renderDetail(page.detail);
  setStatus(page.statusKey || "connecting");
}

function setStatus(key) {
  page.statusKey = key;
  $("status").dataset.state = key;
  $("status").textContent = t(key);
}

// -- the connection ------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws");
  page.socket = socket;
  socket.onopen = () => {
    page.retries = 0;
    setStatus("connected");
    if (page.watched) socket.send(JSON.stringify({watch: page.watched}));
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "grid") { page.grid = data.sessions; renderGrid(); }
    else if (data.type === "live" && data.session === page.watched) {
      page.detail = data; page.frames += 1; renderDetail(data);
    }
  };
  socket.onclose = (event) => {
    if (event.code === 4401) { location.href = "/login"; return; }
    setStatus("reconnecting");
    page.retries += 1;
    setTimeout(connect, Math.min(5000, 500 * page.retries));
  };
}

async function loadCues() {
  try {
    const reply = await fetch("/api/sessions");
    if (reply.status === 401) { location.href = "/login"; return; }
    const data = await reply.json();
    page.cues = data.cues;
    $("trainer").textContent = data.trainer;
    renderCues();
  } catch (e) { setTimeout(loadCues, 2000); }
}

// -- the grid ------------------------------------------------------------------------------

function renderGrid() {
  const grid = $("grid");
  grid.replaceChildren();
  $("empty").hidden = page.grid.length > 0;
  for (const s of page.grid) {
    const card = el("li", "card");
    card.tabIndex = 0;
    card.dataset.session = s.session;
    card.dataset.state = s.ended ? "ended" : s.connected ? "live" : "lost";
    card.append(el("h2", null, s.trainee));
    card.append(el("p", "where", `${s.scenario} · ${t("step_of", {n: (s.step ?? 0) + 1, m: s.steps})} ${s.title || ""}`));
    const score = el("p", "big", fmtScore(s.score));
    score.setAttribute("data-role", "score");
    card.append(score);
    card.append(el("p", "phase", (TEXT[page.lang].phases[s.phase] || s.phase) +
      (s.ended ? ` · ${t("ended")}` : s.connected ? "" : ` · ${t("session_lost")}`)));
    card.append(el("p", "small", `${t("coverage")} ${fmtPct(s.coverage)} · ${t("attempts", {n: s.attempts})}` +
      (s.last_score !== null && s.last_score !== undefined ? ` · ${t("last", {s: fmtScore(s.last_score)})}` : "")));
    if (s.advice) card.append(el("p", "advice", s.advice));
    const open = () => watch(s.session);
    card.addEventListener("click", open);
    card.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    grid.append(card);
  }
}

// -- one session ---------------------------------------------------------------------------

function watch(session) {
  page.watched = session;
  page.detail = null;
  $("grid-view").hidden = true;
  $("session-view").hidden = false;
  if (page.socket && page.socket.readyState === WebSocket.OPEN) page.socket.send(JSON.stringify({watch: session}));
  $("hands").focus();
}

function unwatch() {
  page.watched = null;
  page.detail = null;
  $("grid-view").hidden = false;
  $("session-view").hidden = true;
  if (page.socket && page.socket.readyState === WebSocket.OPEN) page.socket.send(JSON.stringify({watch: null}));
}

function renderDetail(d) {
  const f = d.frame || {};
  $("s-trainee").textContent = d.trainee + (d.ended ? ` (${t("ended")})` : d.connected ? "" : ` (${t("session_lost")})`);
  $("s-where").textContent = `${d.scenario} · ${t("step_of", {n: (f.step ?? 0) + 1, m: d.steps.length})} ${f.title || ""}` +
    (f.attempt ? ` · ${t("attempt")} ${f.attempt}` : "");
  $("s-score").textContent = fmtScore(f.score);
  $("s-phase").textContent = TEXT[page.lang].phases[f.phase] || f.phase || t("none");
  $("s-coverage").textContent = fmtPct(f.coverage);
  $("s-advice").textContent = f.advice || f.instruction || t("none");
  $("s-cue").textContent = f.cue || t("none");
  const gauges = $("s-gauges");
  gauges.replaceChildren();
  for (const g of f.gauges || []) {
    const ok = g.value !== null && g.value >= g.low && g.value <= g.high;
    const item = el("li", ok ? "ok" : "off", `${g.label}: ${g.value === null ? t("none") : g.value.toFixed(1)} ${g.unit}` +
      ` [${g.low}–${g.high}]`);
    gauges.append(item);
  }
  const sent = $("sent");
  sent.replaceChildren();
  for (const c of (d.sent || []).slice().reverse()) {
    const label = c.kind === "cue" ? (page.cues[c.key] || {})[d.language] || c.key : c.kind === "message" ? c.text : TEXT[page.lang].kinds[c.kind];
    sent.append(el("li", c.delivered_s === null ? "waiting" : "delivered",
      `${TEXT[page.lang].kinds[c.kind]}: ${label} — ${c.delivered_s === null ? t("waiting") : t("delivered", {s: c.delivered_s.toFixed(1)})}`));
  }
  const body = $("history").querySelector("tbody");
  body.replaceChildren();
  for (const r of (d.results || []).slice().reverse()) {
    const row = el("tr");
    row.append(el("td", null, String(r.step + 1)), el("td", null, String(r.attempt)),
      el("td", null, fmtScore(r.score)), el("td", null, verdict(r)),
      el("td", null, (r.messages || [])[0] || ""));
    const cell = el("td");
    if (r.attempt_id !== null && r.attempt_id !== undefined) {
      const link = el("a", null, t("open_report"));
      link.href = `/reports/attempt/${encodeURIComponent(r.attempt_id)}?lang=${page.lang}`;
      link.target = "_blank";
      link.rel = "noopener";
      cell.append(link);
    }
    row.append(cell);
    body.append(row);
  }
  if (page.view) page.view.setFrame(f);
}

function renderCues() {
  const box = $("cues");
  box.replaceChildren();
  for (const [key, texts] of Object.entries(page.cues)) {
    const button = el("button", "cue", texts[page.lang]);
    button.type = "button";
    button.dataset.cue = key;
    button.addEventListener("click", () => act({kind: "cue", key}));
    box.append(button);
  }
}

async function act(body) {
  if (!page.watched) return;
  const status = $("action-status");
  status.textContent = "";
  try {
    const reply = await fetch(`/api/sessions/${encodeURIComponent(page.watched)}/actions`, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    if (reply.status === 401) { location.href = "/login"; return; }
    const data = await reply.json();
    status.textContent = reply.ok ? t("sent") : t("refused", {e: data.error});
  } catch (e) {
    status.textContent = t("refused", {e: String(e)});
  }
}

function frameLoop() {
  if (page.view && page.watched) page.view.draw();
  requestAnimationFrame(frameLoop);
}

document.addEventListener("DOMContentLoaded", () => {
  page.view = new HandView($("hands"));
  $("language").addEventListener("change", (e) => {
    page.lang = e.target.value; localStorage.setItem("vrtrainer-lang", page.lang); translate();
  });
  $("back").addEventListener("click", unwatch);
  $("reset-view").addEventListener("click", () => page.view.reset());
  $("retry").addEventListener("click", () => act({kind: "retry"}));
  $("end-step").addEventListener("click", () => act({kind: "end_step"}));
  $("message-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("message").value.trim();
    if (text) { act({kind: "message", text}); $("message").value = ""; }
  });
  $("logout").addEventListener("click", async () => {
    await fetch("/logout", {method: "POST"}); location.href = "/login";
  });
  translate();
  loadCues();
  connect();
  requestAnimationFrame(frameLoop);
});
