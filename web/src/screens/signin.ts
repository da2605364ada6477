import { field, h } from "../dom.js";
import { errorBox, heading, type Screen } from "../screen.js";
import { signIn, type Session } from "../session.js";

/** Sign in with an API token (`enforcer tokens create`, or data/admin.token after the first start). */
export function signInScreen(onSignedIn: (s: Session) => Promise<void>, initialError?: unknown): Screen {
  const token = h("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const remember = h("input", { type: "checkbox", name: "remember" });
  const errors = h("div", { class: "errors" }, initialError ? errorBox(initialError) : null);
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "signin" },
    field(
      "API token",
      token,
      "Starts with enf_. The first admin token is in the data directory, file admin.token.",
    ),
    h(
      "div",
      { class: "check" },
      remember,
      h("label", { for: "remember" }, "Keep me signed in on this browser"),
    ),
    submit,
    errors,
  );
  remember.id = "remember";
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    errors.replaceChildren();
    submit.disabled = true;
    signIn(token.value.trim(), remember.checked)
      .then(onSignedIn)
      .catch((err) => {
        errors.replaceChildren(errorBox(err));
        token.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  return {
    title: "Sign in",
    node: h("section", { class: "narrow" }, heading("Sign in to Enforcer"), form),
  };
}
