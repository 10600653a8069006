/**
 * README.md as test data: the command lines of its code blocks and the rows of its error
 * table, so that the README cannot drift from what the commands do.
 */

/** A `deno task …` line of a code block, split into words, without its trailing comment. */
export interface Command {
  line: string;
  task: string;
  args: string[];
}

/**
 * Every `deno task …` line of README.md's `sh` blocks and indented (4-space) blocks, in
 * order. Quoting is not supported, so that a line the README shows is a line a shell runs
 * the same way: a quote in one fails the parse.
 */
export function readmeCommands(markdown: string): Command[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const raw of markdown.split("\n")) {
    const opening = raw.match(/^```(\w*)/);
    if (opening) {
      fence = fence === undefined ? opening[1] : undefined;
      continue;
    }
    const indented = fence === undefined && /^ {4}\S/.test(raw);
    if ((fence === "sh" || indented) && /^\s*deno task /.test(raw)) lines.push(raw.trim());
  }
  return lines.map((line) => {
    const code = line.replace(/\s+#.*$/, "");
    if (/["'`\\$]/.test(code)) throw new Error(`README command needs a shell to parse: ${line}`);
    const [, , task, ...args] = code.split(/\s+/);
    return { line: code, task, args };
  });
}

/** A row of the "Errors you can meet" table: its situation, the messages shown, the exit code. */
export interface ErrorRow {
  situation: string;
  messages: string[];
  exit: number;
}

/** The rows of the table under the "Errors you can meet" heading. */
export function errorTable(markdown: string): ErrorRow[] {
  const section = markdown.split(/^### Errors you can meet$/m)[1]?.split(/^#/m)[0];
  if (!section) throw new Error('README.md has no "### Errors you can meet" section');
  return section.split("\n").filter((l) => /^\|/.test(l)).slice(2).map((row) => {
    const [situation, message, exit] = row.split("|").slice(1, -1).map((c) => c.trim());
    return {
      situation,
      messages: [...message.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
      exit: Number(exit),
    };
  });
}

/** The file names the README's "`--out DIR` gets:" table lists. */
export function outFiles(markdown: string): string[] {
  const section = markdown.split(/^`--out DIR` gets:$/m)[1];
  if (!section) throw new Error('README.md has no "`--out DIR` gets:" table');
  const rows = section.trimStart().split("\n\n")[0].split("\n").slice(2);
  return rows.map((r) => r.match(/^\|\s*`([^`]+)`/)![1]);
}

/**
 * A README message as a pattern: `…` stands for anything, a file name may sit in any folder
 * (the tests' files live in temporary ones), and an 8-digit step number stands for any.
 */
export function messagePattern(message: string): RegExp {
  const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(
    escaped.replace(/…/g, ".*")
      .replace(/\d{8}/g, "\\d{8}")
      .replace(
        /(?<![\w/\\-])(out|[\w-]+\\\.(?:csv|gz|safetensors))(?=[:/;,\s]|$)/g,
        "(?:\\S*/)?$1",
      ),
  );
}
