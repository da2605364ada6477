import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { fillBootTemplate } from "./boot-template.js";

const vars = { hostname: "web1", serial: "a b", mac: "52:54:00:00:00:01" };

test("boot templates fill {{ name }} as before, with or without spaces inside the braces", () => {
  assert.equal(
    fillBootTemplate("host={{hostname}} m={{ mac }}", vars, "cmdline"),
    "host=web1 m=52:54:00:00:00:01",
  );
  assert.equal(fillBootTemplate("", vars, "cmdline"), "");
});

test("a variable without a value is ENF_ERR_TEMPLATE_VARIABLE_MISSING naming it and the field", () => {
  assert.throws(
    () => fillBootTemplate("x={{ nope }}", vars, "cmdline"),
    (e) =>
      isEnforcerError(e, "ENF_ERR_TEMPLATE_VARIABLE_MISSING") &&
      e.message === "cmdline uses {{nope}}, which has no value" &&
      e.details.variable === "nope",
  );
});

test("a value that is not one iPXE token is refused, naming its variable; | raw does not skip the check", () => {
  for (const t of ["x={{serial}}", "x={{ serial | raw }}", "{% assign s = serial %}{{ s }}"]) {
    assert.throws(
      () => fillBootTemplate(t, vars, "ipxe"),
      (e) =>
        isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE") &&
        /^\{\{serial\}\} in ipxe cannot go/.test(e.message),
      t,
    );
  }
});

test("a template liquid cannot parse is ENF_ERR_TEMPLATE_INVALID naming the field", () => {
  assert.throws(
    () => fillBootTemplate("{% if %}", vars, "kernel"),
    (e) => isEnforcerError(e, "ENF_ERR_TEMPLATE_INVALID") && e.message.startsWith("kernel: "),
  );
});
