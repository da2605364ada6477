/**
 * Fills a template that ends up in an iPXE script (URLs, command lines, raw scripts): a variable without a
 * value is an error, and so is a value that could add a token, line or command. The domain only names the
 * job; the core fills with liquid (core/boot-template.ts), the one template dialect.
 */
export type FillTemplate = (
  template: string,
  vars: Readonly<Record<string, string>>,
  where: string,
) => string;

/**
 * Splits a command line on whitespace, dropping empty parts. Not a template dialect: it runs on the filled
 * text, whose values were each checked to be one token, so only the template's own spaces split it.
 */
export function splitArgs(cmdline: string): string[] {
  return cmdline.split(/\s+/).filter((a) => a.length > 0);
}
