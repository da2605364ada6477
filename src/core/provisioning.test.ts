// One property per file format: for any string, the rendered file is either refused with
// ENF_ERR_PROVISIONING_UNSAFE_VALUE or read back by its real reader with the template's structure and the
// value intact. Bounded runs: some readers are child processes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { isEnforcerError } from "../domain/errors.js";
import type { FileFormat } from "../domain/file-formats.js";
import { renderProvisioning } from "./provisioning.js";
import { preseedLines, pyShlexAll, pyYamlAll, runSh } from "./testing/readers.js";

const SPECIALS = [
  ..."\n\r\t\v\f\0'\"`$()\\:#{}[],-?&*!|>%@;<~ ",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u007f",
  "\ud800",
  "\ufeff",
  "a",
  "0",
  "é",
  "😀",
];
/** Strings built from characters that mean something to some reader, plus any code point. */
const value = fc.string({
  unit: fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
  maxLength: 14,
});

function render(format: FileFormat, template: string, v: string): string | undefined {
  try {
    return renderProvisioning("f", template, { v, facts: { list: [v, 1] } }, format);
  } catch (err) {
    assert.ok(isEnforcerError(err, "ENF_ERR_PROVISIONING_UNSAFE_VALUE"), String(err));
    assert.equal(err.details.variable, "v");
    return undefined;
  }
}

test("json: any value stays inside its string or is one JSON value; the file parses to the same members", () => {
  const t =
    '{"a": "{{ v }}", "b": [1, {{ v | json }}, {{ facts.list | json }}], "{{ v }}x": {{ facts.list.size }}}';
  fc.assert(
    fc.property(value, (v) => {
      const out = render("json", t, v);
      assert.ok(out !== undefined, "JSON can hold any string");
      assert.deepEqual(JSON.parse(out), { a: v, b: [1, v, [v, 1]], [`${v}x`]: 2 });
    }),
    { numRuns: 400 },
  );
});

const YAML_TEMPLATE = [
  "#cloud-config",
  "plain: w {{ v }} end",
  "{{ v }}k: whole",
  "list:",
  '  - "dq {{ v }}"',
  "  - 'sq {{ v }}'",
  "  - |",
  "    block {{ v }}",
  "    next",
  "  - {flow: f{{ v }}}",
  "  - q {{ v | yaml }}",
  "  - {{ v | yaml }}",
  "",
].join("\n");
const yamlExpected = (v: string) => ({
  plain: `w ${v} end`,
  [`${v}k`]: "whole",
  list: [`dq ${v}`, `sq ${v}`, `block ${v}\nnext\n`, { flow: `f${v}` }, `q ${JSON.stringify(v)}`, v],
});

test("yaml: any value keeps the document's keys, items and nesting, and reads back as itself", () => {
  fc.assert(
    fc.property(value, (v) => {
      const out = render("yaml", YAML_TEMPLATE, v);
      assert.ok(out !== undefined, "YAML can hold any string");
      const docs = parseAllDocuments(out, { schema: "failsafe" });
      assert.ok(Array.isArray(docs) && docs.length === 1 && docs[0]!.errors.length === 0, out);
      const got = docs[0]!.toJS() as Record<string, unknown>;
      const want = yamlExpected(v);
      assert.deepEqual(got, {
        ...want,
        list: want.list.map((x, i) => (i === 4 ? got.list && (got.list as unknown[])[4] : x)),
      });
    }),
    { numRuns: 300 },
  );
});

test("yaml: PyYAML, which cloud-init uses, reads the same document (YAML 1.1 line breaks included)", () => {
  // One Python process for all samples: a child per value would take seconds.
  const values = fc.sample(value, 300);
  const got = pyYamlAll(values.map((v) => render("yaml", YAML_TEMPLATE, v)!))!;
  values.forEach((v, i) => {
    const want = yamlExpected(v);
    const doc = got[i] as { list: unknown[] };
    const list = doc.list.map((x, k) => (k === 4 ? want.list[4] : x));
    assert.deepEqual({ ...doc, list }, want, JSON.stringify(v));
    assert.equal(typeof doc.list[4], "string");
  });
});

test("shell: a value is one word where a word goes, a plain word in quotes or a here-document, or refused", () => {
  const t = "printf '%s|' {{ v | shell }}\nprintf '%s|' \"{{ v }}\"\ncat <<EOF\n{{ v }}\nEOF\n";
  fc.assert(
    fc.property(value, (v) => {
      const out = render("shell", t, v);
      if (out !== undefined) assert.equal(runSh(out), `${v}|${v}|${v}\n`);
      if (/^[A-Za-z0-9_@%+=:,./-]*$/.test(v)) assert.ok(out !== undefined, "plain words are accepted");
    }),
    { numRuns: 120 },
  );
});

test("shell: | shell output is refused where it would not be one word", () => {
  for (const t of [
    'echo "{{ v | shell }}"',
    'echo "$(echo "{{ v | shell }}")"',
    "echo '{{ v | shell }}'",
    "echo `echo {{ v | shell }}`",
    "cat <<EOF\n{{ v | shell }}\nEOF",
    "echo ${x:-{{ v | shell }}}",
    "echo \\{{ v | shell }}",
    "echo ${{ v | shell }}",
    "x=$(case a in a) echo {{ v | shell }};; esac)",
  ]) {
    assert.equal(render("shell", t, "$(echo PWNED)"), undefined, t);
  }
  assert.equal(render("shell", 'echo "$(echo {{ v | shell }})"', "a b"), "echo \"$(echo 'a b')\"");
  assert.equal(
    render("shell", "cat <<EOF\nx\nEOF\necho {{ v | shell }}", "a b"),
    "cat <<EOF\nx\nEOF\necho 'a b'",
  );
});

test("preseed: a value stays on its debconf line, or is refused", () => {
  const t = "d-i a/b string {{ v }}\nd-i c/d string x\n";
  fc.assert(
    fc.property(value, (v) => {
      const out = render("preseed", t, v);
      if (out === undefined) return;
      assert.deepEqual(preseedLines(out), [
        ["d-i", "a/b", "string", v],
        ["d-i", "c/d", "string", "x"],
      ]);
    }),
    { numRuns: 400 },
  );
});

test("kickstart: shlex reads the command line back with the value as one argument; %post runs it as data", () => {
  const t = "network --hostname={{ v }}\n%post\nprintf '%s|' {{ v | shell }}\n%end\n";
  const placed = fc
    .sample(value, 300)
    .map((v) => [v, render("kickstart", t, v)] as const)
    .filter((p): p is readonly [string, string] => p[1] !== undefined);
  const split = pyShlexAll(placed.map(([, out]) => out.split("\n")[0]!))!;
  placed.forEach(([v, out], i) => {
    const lines = out.split("\n");
    assert.equal(lines.length, 5, out);
    assert.deepEqual(split[i], ["network", `--hostname=${v}`], JSON.stringify(v));
    if (i < 40) assert.equal(runSh(lines[2]!), `${v}|`);
  });
  assert.ok(placed.length > 30, "most values are placed, not refused");
});
test("text and ipxe: a value never adds a line", () => {
  fc.assert(
    fc.property(value, (v) => {
      const text = render("text", "a={{ v }}\nb=1\n", v);
      if (text !== undefined)
        assert.deepEqual(text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/), [`a=${v}`, "b=1", ""]);
      const ipxe = render("ipxe", "#!ipxe\nset a {{ v }}\n", v);
      if (ipxe !== undefined) assert.match(v, /^[\x21-\x7e]+$/);
    }),
    { numRuns: 400 },
  );
});

test("a value cannot forge the marker of another, and | raw is left alone (trusted template text)", () => {
  const forged = "\ue000000000000000:0\ue001";
  assert.equal(render("text", "{{ v }}|{{ 'x' }}", forged), `${forged}|x`);
  assert.equal(renderProvisioning("f", "{{ v | raw }}", { v: "a\nb" }, "text"), "a\nb");
});

test("shell: in random scripts built from quoting fragments, a | shell value that is placed never runs", () => {
  // Run, the payload prints P2W, Q4Q, R6R or S8S; as data it prints itself.
  const payload = "x'\"$(echo P$((1+1))W)`echo Q$((2+2))Q`;echo R$((3+3))R\n echo S$((4+4))S #";
  const fragments = [
    ...["echo ", '"', "'", "$(", ")", "`", "${x:-", "}", " <<EOF\n", "\nEOF\n", " <<'E'\n", "\nE\n", "# "],
    ...["\n", "\\", "$", "case a in a) ", ";; esac", " ", ";", "x=", "(", "$'", "<<<", " | cat", "&&"],
    ...["\t<<-EOF\n\t", '"$(', ')"', "{{ v | shell }}", "{{ v | shell }}"],
  ];
  let placed = 0;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...fragments), { minLength: 2, maxLength: 12 }), (parts) => {
      const out = render("shell", `${parts.join("")} {{ v | shell }}`, payload);
      if (out === undefined) return;
      placed++;
      const r = spawnSync("sh", ["-c", out], {
        encoding: "utf8",
        timeout: 5_000,
        stdio: ["ignore", "pipe", "pipe"],
      });
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /P2W|Q4Q|R6R|S8S/, out);
    }),
    { numRuns: 400 },
  );
  assert.ok(placed > 20, `only ${placed} scripts placed the value`);
});

test("preseed *_command and kickstart %post: a | shell value never adds a line the installer reads", () => {
  // debconf ends a value at a newline, and pykickstart ends %post at a line "%end", whatever the shell
  // quoting: a quoted line break let a reported fact add a preseed question or a kickstart section.
  const pySplitLines = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;
  const breaks = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"];
  const cases: [FileFormat, string][] = [
    ["preseed", "d-i preseed/late_command string echo {{ v | shell }} > /target/etc/product\n"],
    ["kickstart", "text\n%post\necho {{ v | shell }} > /etc/product\n%end\n"],
  ];
  for (const [format, t] of cases) {
    for (const b of breaks) {
      const v = `a${b}%end${b}d-i passwd/root-password password x${b}`;
      const out = render(format, t, v);
      if (out === undefined) continue;
      assert.equal(out.split(pySplitLines).length, t.split("\n").length, JSON.stringify(out));
    }
  }
  assert.equal(render("shell", "#!/bin/sh\necho {{ v | shell }}\n", "a\nb"), "#!/bin/sh\necho 'a\nb'\n");
});

test("yaml and json: a | shell value inside quotes of the shell command a string holds is refused", () => {
  // YAML and JSON escaping alone let `sh -c 'echo {{ v | shell }}'` run "a;id" as two commands.
  const v = "a;id $(id)";
  assert.equal(render("yaml", "#cloud-config\nruncmd:\n  - sh -c 'echo {{ v | shell }}'\n", v), undefined);
  assert.equal(render("yaml", 'runcmd:\n  - |\n    sh -c "echo {{ v | shell }}"\n', v), undefined);
  assert.equal(render("json", '{"u":"ExecStart=/bin/sh -c \\"echo {{ v | shell }}\\""}', v), undefined);
  // Where the string's shell reads it as one word, it stays as it was.
  const ok = render("yaml", "#cloud-config\nruncmd:\n  - echo {{ v | shell }} > /tmp/x\n", v)!;
  assert.deepEqual(parseAllDocuments(ok)[0]!.toJS().runcmd, [`echo 'a;id $(id)' > /tmp/x`]);
  const json = render("json", '{"u":"ExecStart=/bin/echo {{ v | shell }}"}', v)!;
  assert.deepEqual(JSON.parse(json), { u: "ExecStart=/bin/echo 'a;id $(id)'" });
});

test('shell: `$$`, `$?` and other one-character parameters open no `$( )`: a value after `"$$(` is inside double quotes', () => {
  // Found by the random-script property (seed -87012386): `"$$(echo 'v'` ran `$(…)` inside the value.
  for (const t of ['"$$(echo {{ v | shell }}"', '"$?(echo {{ v | shell }}"', '"$1(echo {{ v | shell }}"'])
    assert.equal(render("shell", t, "$(echo PWNED)"), undefined, t);
  assert.equal(render("shell", "echo $$ {{ v | shell }}", "$(x)"), "echo $$ '$(x)'");
});
