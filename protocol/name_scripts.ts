/**
 * Which writing systems a name's letters come from. A name that mixes
 * scripts — Cyrillic "а" among Latin "lice" — is what a look-alike of another
 * name is made of, so names must keep to one script, as Unicode TR39's
 * "highly restrictive" level defines it: one script (by Script_Extensions;
 * characters common to all scripts, such as digits, "_", "-", "." and
 * combining marks, go with any), or Latin with the scripts written together
 * in Chinese, Japanese or Korean.
 */

// Most used first: the search for a letter's script usually ends early.
const SCRIPTS = [
  "Latin",
  "Cyrillic",
  "Greek",
  "Han",
  "Hiragana",
  "Katakana",
  "Hangul",
  "Arabic",
  "Hebrew",
  "Devanagari",
  "Bengali",
  "Thai",
  "Armenian",
  "Georgian",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Gujarati",
  "Gurmukhi",
  "Oriya",
  "Sinhala",
  "Ethiopic",
  "Khmer",
  "Lao",
  "Myanmar",
  "Tibetan",
  "Mongolian",
  "Bopomofo",
  "Thaana",
  "Syriac",
  "Cherokee",
  "Canadian_Aboriginal",
  "Yi",
  "Tifinagh",
  "Nko",
  "Javanese",
  "Balinese",
  "Sundanese",
  "Adlam",
  "Ahom",
  "Anatolian_Hieroglyphs",
  "Avestan",
  "Bamum",
  "Bassa_Vah",
  "Batak",
  "Bhaiksuki",
  "Brahmi",
  "Braille",
  "Buginese",
  "Buhid",
  "Carian",
  "Caucasian_Albanian",
  "Chakma",
  "Cham",
  "Chorasmian",
  "Coptic",
  "Cuneiform",
  "Cypriot",
  "Cypro_Minoan",
  "Deseret",
  "Dives_Akuru",
  "Dogra",
  "Duployan",
  "Egyptian_Hieroglyphs",
  "Elbasan",
  "Elymaic",
  "Glagolitic",
  "Gothic",
  "Grantha",
  "Gunjala_Gondi",
  "Hanifi_Rohingya",
  "Hanunoo",
  "Hatran",
  "Imperial_Aramaic",
  "Inscriptional_Pahlavi",
  "Inscriptional_Parthian",
  "Kaithi",
  "Kawi",
  "Kayah_Li",
  "Kharoshthi",
  "Khitan_Small_Script",
  "Khojki",
  "Khudawadi",
  "Lepcha",
  "Limbu",
  "Linear_A",
  "Linear_B",
  "Lisu",
  "Lycian",
  "Lydian",
  "Mahajani",
  "Makasar",
  "Mandaic",
  "Manichaean",
  "Marchen",
  "Masaram_Gondi",
  "Medefaidrin",
  "Meetei_Mayek",
  "Mende_Kikakui",
  "Meroitic_Cursive",
  "Meroitic_Hieroglyphs",
  "Miao",
  "Modi",
  "Mro",
  "Multani",
  "Nabataean",
  "Nag_Mundari",
  "Nandinagari",
  "New_Tai_Lue",
  "Newa",
  "Nushu",
  "Nyiakeng_Puachue_Hmong",
  "Ogham",
  "Ol_Chiki",
  "Old_Hungarian",
  "Old_Italic",
  "Old_North_Arabian",
  "Old_Permic",
  "Old_Persian",
  "Old_Sogdian",
  "Old_South_Arabian",
  "Old_Turkic",
  "Old_Uyghur",
  "Osage",
  "Osmanya",
  "Pahawh_Hmong",
  "Palmyrene",
  "Pau_Cin_Hau",
  "Phags_Pa",
  "Phoenician",
  "Psalter_Pahlavi",
  "Rejang",
  "Runic",
  "Samaritan",
  "Saurashtra",
  "Sharada",
  "Shavian",
  "Siddham",
  "SignWriting",
  "Sogdian",
  "Sora_Sompeng",
  "Soyombo",
  "Syloti_Nagri",
  "Tagalog",
  "Tagbanwa",
  "Tai_Le",
  "Tai_Tham",
  "Tai_Viet",
  "Takri",
  "Tangsa",
  "Tangut",
  "Tirhuta",
  "Toto",
  "Ugaritic",
  "Vai",
  "Vithkuqi",
  "Wancho",
  "Warang_Citi",
  "Yezidi",
  "Zanabazar_Square",
  "Garay",
  "Gurung_Khema",
  "Kirat_Rai",
  "Ol_Onal",
  "Sunuwar",
  "Todhri",
  "Tulu_Tigalari",
];

/** Scripts that may share a name with Latin (TR39: Japanese, Chinese, Korean writing). */
const LATIN_WITH = [
  ["Latin", "Han", "Hiragana", "Katakana"],
  ["Latin", "Han", "Bopomofo"],
  ["Latin", "Han", "Hangul"],
];

const ANY_SCRIPT = String.raw`\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}`;
const ANY_SCRIPT_CHARACTER = new RegExp(`^[${ANY_SCRIPT}]$`, "u");
const ASCII = /^[\p{ASCII}]*$/u;

const wholeNameIn = new Map<string, RegExp>();
const characterIn = new Map<string, RegExp>();

/** Matches a name made only of characters of `scripts` (and of all scripts). */
function wholeNameRegex(scripts: string[]): RegExp {
  const key = scripts.join("+");
  let regex = wholeNameIn.get(key);
  if (!regex) {
    const classes = scripts.map((s) => String.raw`\p{Script_Extensions=${s}}`).join("");
    regex = new RegExp(`^[${classes}${ANY_SCRIPT}]*$`, "u");
    wholeNameIn.set(key, regex);
  }
  return regex;
}

function inScript(character: string, script: string): boolean {
  let regex = characterIn.get(script);
  if (!regex) {
    regex = new RegExp(String.raw`^\p{Script_Extensions=${script}}$`, "u");
    characterIn.set(script, regex);
  }
  return regex.test(character);
}

/** The scripts (from the list) that a character belongs to. */
function scriptsOf(character: string): string[] {
  return SCRIPTS.filter((script) => inScript(character, script));
}

/**
 * The scripts a name mixes, in the order its letters show them, or `null`
 * when it keeps to one script (or to Latin with Chinese, Japanese or Korean).
 */
export function mixedScripts(name: string): string[] | null {
  if (ASCII.test(name)) return null;
  const characters = [...name].filter((c) => !ANY_SCRIPT_CHARACTER.test(c));
  if (characters.length === 0) return null;
  for (const script of scriptsOf(characters[0])) {
    if (wholeNameRegex([script]).test(name)) return null;
  }
  if (LATIN_WITH.some((scripts) => wholeNameRegex(scripts).test(name))) return null;
  const seen: string[] = [];
  for (const character of characters) {
    const script = scriptsOf(character)[0] ?? "an unlisted script";
    if (!seen.includes(script)) seen.push(script);
  }
  return seen.length > 1 ? seen : [...seen, "another script"];
}
