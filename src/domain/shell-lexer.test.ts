import assert from "node:assert/strict";
import { test } from "node:test";
import { fileFormat } from "./file-formats.js";
import { shellContexts, type ShellContext } from "./shell-lexer.js";
import type { Slot } from "./value-rules.js";

/** The context of each `@` in `text`, each `@` standing for one printed value. */
function contexts(text: string, mode: "shell" | "shlex" = "shell"): ShellContext[] {
  const slots: Slot[] = [];
  let marked = "";
  for (const part of text.split("@").entries()) {
    if (part[0] > 0) {
      const m = `\ue000abc:${part[0] - 1}\ue001`;
      slots.push({
        index: part[0] - 1,
        start: marked.length,
        end: marked.length + m.length,
        text: "",
        kind: "shell",
      });
      marked += m;
    }
    marked += part[1];
  }
  return shellContexts(marked, slots, mode);
}

test("shell: where a value lands decides whether a quoted word fits there", () => {
  const cases: [string, ShellContext[]][] = [
    ["echo @ x@y", ["word", "word"]],
    ["echo '@' \"@\" `@` $'@'", ["quoted", "quoted", "quoted", "quoted"]],
    ['echo "$(printf @)" "$(echo "@")"', ["word", "quoted"]],
    ["echo ${x:-@} ${x:-$(echo @)}", ["quoted", "word"]],
    ["# @\necho a#@ @ # @", ["comment", "word", "word", "comment"]],
    ["cat <<EOF >f\n@\nEOF\necho @", ["heredoc", "word"]],
    ["cat <<-'E' ; echo @\n\t@\n\tE\n@", ["word", "heredoc", "word"]],
    ["cat <<< @", ["word"]],
    ["echo \\@ $@ x", ["unknown", "unknown"]],
    ["x=$(case a in a) echo @;; esac); echo @", ["unknown", "unknown"]],
    ["echo 'it''s' \"a\\\"b\" @", ["word"]],
    ['echo "unclosed @', ["quoted"]],
  ];
  for (const [text, want] of cases) assert.deepEqual(contexts(text), want, text);
});

test("shlex (kickstart lines): quotes, backslash and comments only, one line at a time", () => {
  const cases: [string, ShellContext[]][] = [
    ["network --device=@ --gecos=\"@\" --x='@'", ["word", "quoted", "quoted"]],
    ["rootpw $@ $(@) `@`", ["word", "word", "word"]],
    ["user --gecos='open @\nnetwork @", ["quoted", "word"]],
    ["# @\nx @ # @", ["comment", "word", "comment"]],
  ];
  for (const [text, want] of cases) assert.deepEqual(contexts(text, "shlex"), want, text);
});

test("each family's files have a known format; custom and ipxe files say theirs in the first line", () => {
  assert.equal(fileFormat("debian", "preseed.cfg", ""), "preseed");
  assert.equal(fileFormat("rhel", "ks.cfg", ""), "kickstart");
  assert.equal(fileFormat("ubuntu", "meta-data", ""), "yaml");
  assert.equal(fileFormat("flatcar", "config.ign", ""), "json");
  assert.equal(fileFormat("fedora-coreos", "config.ign", ""), "json");
  assert.equal(fileFormat("alpine", "provision.sh", ""), "shell");
  assert.equal(fileFormat("custom", "provision", "#!/bin/sh\necho"), "shell");
  assert.equal(fileFormat("custom", "provision", "#!/usr/bin/env bash\n"), "shell");
  assert.equal(fileFormat("custom", "provision", "#!/usr/bin/python3\n"), "text");
  assert.equal(fileFormat("ipxe", "provision", "#!ipxe\nchain x"), "ipxe");
  assert.equal(fileFormat("custom", "provision", "#cloud-config\na: 1"), "yaml");
  assert.equal(fileFormat("custom", "provision", '  {"ignition": {}}'), "json");
  assert.equal(fileFormat("custom", "provision", "host={{ hostname }}"), "text");
});
