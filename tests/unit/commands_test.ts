import assert from "node:assert/strict";
import { CommandError, DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from "../../peer/mod.ts";
import { parseJsonCommand } from "../../json/mod.ts";
import { parseTerminalLine } from "../../terminal/mod.ts";

function commandError(message: string | RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof CommandError, `expected a CommandError, got ${error}`);
    assert.equal(error.name, "CommandError");
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

// ---- --json commands ------------------------------------------------------------------------

Deno.test("JSON commands parse into the command each one names", () => {
  assert.deepEqual(parseJsonCommand('{"cmd":"send","to":"bob","text":"hi @bob: ✓"}'), {
    cmd: "send",
    to: "bob",
    text: "hi @bob: ✓",
  });
  assert.deepEqual(parseJsonCommand('{"cmd":"broadcast","text":"hello all"}'), {
    cmd: "broadcast",
    text: "hello all",
  });
  assert.deepEqual(parseJsonCommand('{"cmd":"peers"}'), { cmd: "peers" });
  assert.deepEqual(parseJsonCommand('{"cmd":"history","with":"bob","limit":5}'), {
    cmd: "history",
    with: "bob",
    limit: 5,
  });
  assert.deepEqual(
    parseJsonCommand('{"cmd":"read","id":"0190a4b2-7c3d-7abc-8def-0123456789ab"}'),
    { cmd: "read", id: "0190a4b2-7c3d-7abc-8def-0123456789ab" },
  );
  assert.deepEqual(parseJsonCommand('{"cmd":"quit"}'), { cmd: "quit" });
});

Deno.test("JSON commands drop fields they do not use", () => {
  assert.deepEqual(parseJsonCommand('{"cmd":"peers","verbose":true}'), { cmd: "peers" });
  assert.deepEqual(
    parseJsonCommand('{"cmd":"send","to":"bob","text":"x","priority":9}'),
    { cmd: "send", to: "bob", text: "x" },
  );
});

Deno.test("a JSON history command without a limit asks for the default", () => {
  assert.deepEqual(parseJsonCommand('{"cmd":"history","with":"bob"}'), {
    cmd: "history",
    with: "bob",
    limit: DEFAULT_HISTORY_LIMIT,
  });
  assert.equal(DEFAULT_HISTORY_LIMIT, 20);
  assert.deepEqual(
    parseJsonCommand(`{"cmd":"history","with":"bob","limit":${MAX_HISTORY_LIMIT}}`),
    { cmd: "history", with: "bob", limit: MAX_HISTORY_LIMIT },
  );
});

/** The list of commands every "which command?" error offers, whatever else it adds. */
const LISTS_COMMANDS = '"send", "broadcast", "peers", "history", "read"(?:, "[a-z_]+")* or "quit"';

Deno.test("JSON commands that cannot be read say exactly what is wrong", async (t) => {
  const cases: [string, string | RegExp][] = [
    ["not json", /^Command is not valid JSON: /],
    ["", /^Command is not valid JSON: /],
    ["[]", 'Command must be a JSON object like {"cmd":"peers"}'],
    ["null", 'Command must be a JSON object like {"cmd":"peers"}'],
    ['"peers"', 'Command must be a JSON object like {"cmd":"peers"}'],
    ['{"to":"bob"}', new RegExp(`^Command needs "cmd": one of ${LISTS_COMMANDS}$`)],
    ['{"cmd":"dance"}', new RegExp(`^Unknown command "dance"; use ${LISTS_COMMANDS}$`)],
    ['{"cmd":7}', new RegExp(`^Unknown command 7; use ${LISTS_COMMANDS}$`)],
    ['{"cmd":"send","text":"hi"}', 'Command "send" needs "to" as a non-empty string'],
    ['{"cmd":"send","to":"bob"}', 'Command "send" needs "text" as a non-empty string'],
    ['{"cmd":"send","to":"bob","text":""}', 'Command "send" needs "text" as a non-empty string'],
    ['{"cmd":"send","to":7,"text":"x"}', 'Command "send" needs "to" as a non-empty string'],
    ['{"cmd":"broadcast"}', 'Command "broadcast" needs "text" as a non-empty string'],
    ['{"cmd":"history"}', 'Command "history" needs "with" as a non-empty string'],
    ['{"cmd":"read"}', 'Command "read" needs "id" as a non-empty string'],
    ['{"cmd":"history","with":"bob","limit":0}', '"limit" must be a whole number from 1 to 10000'],
    [
      '{"cmd":"history","with":"bob","limit":10001}',
      '"limit" must be a whole number from 1 to 10000',
    ],
    [
      '{"cmd":"history","with":"bob","limit":2.5}',
      '"limit" must be a whole number from 1 to 10000',
    ],
    [
      '{"cmd":"history","with":"bob","limit":"5"}',
      '"limit" must be a whole number from 1 to 10000',
    ],
    [
      '{"cmd":"history","with":"bob","limit":null}',
      '"limit" must be a whole number from 1 to 10000',
    ],
  ];
  for (const [line, expected] of cases) {
    await t.step(`refuses ${line || "an empty line"}`, () => {
      assert.throws(() => parseJsonCommand(line), commandError(expected));
    });
  }
});

// ---- terminal lines --------------------------------------------------------------------------

Deno.test("terminal slash commands parse into commands", () => {
  assert.deepEqual(parseTerminalLine("/peers", undefined), {
    kind: "command",
    command: { cmd: "peers" },
  });
  assert.deepEqual(parseTerminalLine("/who", undefined), {
    kind: "command",
    command: { cmd: "peers" },
  });
  assert.deepEqual(parseTerminalLine("/msg bob hello there", undefined), {
    kind: "command",
    command: { cmd: "send", to: "bob", text: "hello there" },
  });
  assert.deepEqual(parseTerminalLine("/m bob hi", undefined), {
    kind: "command",
    command: { cmd: "send", to: "bob", text: "hi" },
  });
  assert.deepEqual(parseTerminalLine("/all hello everyone", undefined), {
    kind: "command",
    command: { cmd: "broadcast", text: "hello everyone" },
  });
  assert.deepEqual(parseTerminalLine("/history bob 5", undefined), {
    kind: "command",
    command: { cmd: "history", with: "bob", limit: 5 },
  });
  assert.deepEqual(parseTerminalLine("/history bob", undefined), {
    kind: "command",
    command: { cmd: "history", with: "bob", limit: DEFAULT_HISTORY_LIMIT },
  });
  assert.deepEqual(parseTerminalLine("/help", undefined), { kind: "help" });
  assert.deepEqual(parseTerminalLine("/?", undefined), { kind: "help" });
  assert.deepEqual(parseTerminalLine("/quit", undefined), {
    kind: "command",
    command: { cmd: "quit" },
  });
  assert.deepEqual(parseTerminalLine("/exit", undefined), {
    kind: "command",
    command: { cmd: "quit" },
  });
});

Deno.test("terminal commands ignore the case of the command word and surrounding spaces", () => {
  assert.deepEqual(parseTerminalLine("  /MSG   bob   hi  there  ", undefined), {
    kind: "command",
    command: { cmd: "send", to: "bob", text: "hi  there" },
  });
  assert.deepEqual(parseTerminalLine("/Peers", undefined), {
    kind: "command",
    command: { cmd: "peers" },
  });
});

Deno.test("@NAME TEXT sends TEXT to NAME, keeping what looks like separators", () => {
  assert.deepEqual(parseTerminalLine("@bob see you at 10:30; ok?", undefined), {
    kind: "command",
    command: { cmd: "send", to: "bob", text: "see you at 10:30; ok?" },
  });
  assert.deepEqual(parseTerminalLine("@Даша привет", "bob"), {
    kind: "command",
    command: { cmd: "send", to: "Даша", text: "привет" },
  });
});

Deno.test("/chat picks a partner and /chat alone drops it", () => {
  assert.deepEqual(parseTerminalLine("/chat bob", undefined), { kind: "chat", with: "bob" });
  assert.deepEqual(parseTerminalLine("/chat  bob  ", "alice"), { kind: "chat", with: "bob" });
  assert.deepEqual(parseTerminalLine("/chat", "bob"), { kind: "chat", with: undefined });
});

Deno.test("a plain line goes to the /chat partner as typed", () => {
  assert.deepEqual(parseTerminalLine("hello bob, how are you?", "bob"), {
    kind: "command",
    command: { cmd: "send", to: "bob", text: "hello bob, how are you?" },
  });
});

Deno.test("a plain line without a /chat partner is not sent and says how to send it", () => {
  assert.throws(
    () => parseTerminalLine("hello?", undefined),
    commandError(
      "Not sent: pick who gets it with /msg NAME TEXT, @NAME TEXT, /chat NAME or /all TEXT",
    ),
  );
});

Deno.test("an empty or blank terminal line does nothing", () => {
  assert.deepEqual(parseTerminalLine("", undefined), { kind: "nothing" });
  assert.deepEqual(parseTerminalLine("   \t ", "bob"), { kind: "nothing" });
});

Deno.test("terminal lines that cannot be understood give a one-line reason", async (t) => {
  const cases: [string, string][] = [
    ["/dance", "Unknown command /dance; type /help for the list"],
    ["/", "Unknown command /; type /help for the list"],
    ["@bob", "Usage: @NAME TEXT"],
    ["@bob   ", "Usage: @NAME TEXT"],
    ["@", "Usage: @NAME TEXT"],
    ["/msg", "Usage: /msg NAME TEXT"],
    ["/msg bob", "Usage: /msg NAME TEXT"],
    ["/all", "Usage: /all TEXT"],
    ["/all    ", "Usage: /all TEXT"],
    ["/history", "Usage: /history NAME [N] or /history #ROOM [N]"],
    ["/history bob 0", "N must be a whole number from 1 to 10000"],
    ["/history bob 10001", "N must be a whole number from 1 to 10000"],
    ["/history bob 2.5", "N must be a whole number from 1 to 10000"],
    ["/history bob lots", "N must be a whole number from 1 to 10000"],
  ];
  for (const [line, expected] of cases) {
    await t.step(`refuses ${JSON.stringify(line)}`, () => {
      assert.throws(() => parseTerminalLine(line, "carol"), commandError(expected));
      assert.doesNotMatch(expected, /\n/);
    });
  }
});

Deno.test("trust names the key it accepts, at the terminal and in --json", () => {
  assert.deepEqual(parseTerminalLine("/trust bob wbh2abcd", undefined), {
    kind: "command",
    command: { cmd: "trust", name: "bob", id: "wbh2abcd" },
  });
  assert.throws(() => parseTerminalLine("/trust bob", undefined), /Usage: \/trust NAME ID/);
  assert.deepEqual(parseJsonCommand('{"cmd":"trust","name":"bob","id":"wbh2abcd"}'), {
    cmd: "trust",
    name: "bob",
    id: "wbh2abcd",
  });
  assert.throws(() => parseJsonCommand('{"cmd":"trust","name":"bob"}'), /needs "id"/);
});

Deno.test("room commands parse the same at the terminal and in --json", () => {
  const same: [string, string, unknown][] = [
    [
      "/room create team bob carol",
      '{"cmd":"room_create","name":"team","members":["bob","carol"]}',
      {
        cmd: "room_create",
        name: "team",
        members: ["bob", "carol"],
      },
    ],
    ["/room create solo", '{"cmd":"room_create","name":"solo"}', {
      cmd: "room_create",
      name: "solo",
      members: [],
    }],
    ["/room invite team dave", '{"cmd":"room_invite","room":"team","members":["dave"]}', {
      cmd: "room_invite",
      room: "team",
      members: ["dave"],
    }],
    ["/room leave team", '{"cmd":"room_leave","room":"team"}', { cmd: "room_leave", room: "team" }],
    [
      "#team lunch at 12: who's in?",
      '{"cmd":"room_send","room":"team","text":"lunch at 12: who\'s in?"}',
      {
        cmd: "room_send",
        room: "team",
        text: "lunch at 12: who's in?",
      },
    ],
    ["/rooms", '{"cmd":"rooms"}', { cmd: "rooms" }],
    ["/history #team 5", '{"cmd":"history","with":"#team","limit":5}', {
      cmd: "room_history",
      room: "#team",
      limit: 5,
    }],
  ];
  for (const [typed, json, command] of same) {
    assert.deepEqual(parseTerminalLine(typed, undefined), { kind: "command", command });
    assert.deepEqual(parseJsonCommand(json), command);
  }
  assert.deepEqual(parseJsonCommand('{"cmd":"history","room":"team"}'), {
    cmd: "room_history",
    room: "team",
    limit: DEFAULT_HISTORY_LIMIT,
  });
  assert.throws(
    () => parseTerminalLine("/room invite team", undefined),
    commandError("Usage: /room invite ROOM NAME…"),
  );
  assert.throws(() => parseTerminalLine("#team", undefined), commandError("Usage: #ROOM TEXT"));
  assert.throws(
    () => parseJsonCommand('{"cmd":"room_invite","room":"team","members":[]}'),
    commandError('Command "room_invite" needs "members" as an array of peer names (at least 1)'),
  );
  assert.throws(
    () => parseJsonCommand('{"cmd":"room_create","name":"team","members":"bob"}'),
    commandError('Command "room_create" needs "members" as an array of peer names'),
  );
});
