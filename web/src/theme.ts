import { h } from "./dom.js";

const KEY = "enforcer.theme";

function systemDark(): boolean {
  return matchMedia("(prefers-color-scheme: dark)").matches;
}

function isDark(): boolean {
  const chosen = localStorage.getItem(KEY);
  return chosen ? chosen === "dark" : systemDark();
}

/** Applies the chosen theme, or the system's when none was chosen. */
export function initTheme(): void {
  document.documentElement.dataset.theme = isDark() ? "dark" : "light";
}

/** A toggle for the dark theme (for the machine room at night); the choice is kept in this browser. */
export function themeButton(): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary theme" }, "Dark theme");
  const show = () => button.setAttribute("aria-pressed", String(isDark()));
  button.addEventListener("click", () => {
    localStorage.setItem(KEY, isDark() ? "light" : "dark");
    initTheme();
    show();
  });
  show();
  return button;
}
