"use strict";
// Sign in with a trainer account; the server answers with an HTTP-only cookie.
const MESSAGES = {
  wrong: "Nom ou mot de passe incorrect. / Wrong name or password.",
  locked: "Trop d'essais : attendez quelques minutes. / Too many tries: wait a few minutes.",
  other: "Connexion impossible. / Cannot sign in.",
};
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  let reply;
  try {
    reply = await fetch("/login", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({
        name: document.getElementById("name").value,
        password: document.getElementById("password").value,
      }),
    });
  } catch (e) {
    error.textContent = MESSAGES.other;
    return;
  }
  if (reply.ok) {
    location.href = "/";
  } else {
    error.textContent = reply.status === 401 ? MESSAGES.wrong
      : reply.status === 429 ? MESSAGES.locked : MESSAGES.other;
  }
});
