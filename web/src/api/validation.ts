// Pydantic's validation messages in words a person would use: the server's 422 details carry
// pydantic's text ("Value error, …", "Input should be a valid integer, unable to parse string as
// an integer"); forms show these instead.

const RULES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^(?:Value error|Assertion failed), (.*)$/s, (m) => sentence(m[1])],
  [/^Field required$/, () => "This field is required."],
  [/^Input should be a valid integer/, () => "Enter a whole number."],
  [/^Input should be a valid (?:number|decimal)/, () => "Enter a number."],
  [/^Input should be a finite number/, () => "Enter a number."],
  [/^Input should be greater than or equal to (.+)$/, (m) => `Enter ${m[1]} or more.`],
  [/^Input should be greater than (.+)$/, (m) => `Enter more than ${m[1]}.`],
  [/^Input should be less than or equal to (.+)$/, (m) => `Enter ${m[1]} or less.`],
  [/^Input should be less than (.+)$/, (m) => `Enter less than ${m[1]}.`],
  [
    /^String should have at least (\d+) characters?$/,
    (m) => (m[1] === "1" ? "This field is required." : `Enter at least ${m[1]} characters.`),
  ],
  [/^String should have at most (\d+) characters?$/, (m) => `Use at most ${m[1]} characters.`],
  [/^List should have at least (\d+) items?/, (m) => `Choose at least ${m[1]}.`],
  [/^List should have at most (\d+) items?/, (m) => `Choose at most ${m[1]}.`],
  [/^Input should be (('[^']*'(, | or )?)+)$/, (m) => `Choose ${m[1].replaceAll("'", "")}.`],
  [/^Input should be a valid boolean/, () => "Choose yes or no."],
  [/^Input should be a valid URL, (.*)$/, (m) => `Enter a full URL (${m[1]}).`],
  [/^Input should be a valid (?:datetime|date)/, () => "Enter a valid date and time."],
  [/^Input should be a valid time/, () => "Enter a valid time (HH:MM)."],
  [/^value is not a valid email address: (.*)$/s, (m) => `Not a valid e-mail address: ${m[1]}`],
  [/^String should match pattern/, () => "This is not in the expected format."],
  [/^Extra inputs are not permitted$/, () => "This field is not accepted here."],
  [
    /^Input should be a valid (?:string|list|dictionary|array)/,
    () => "This value has the wrong type.",
  ],
];

function sentence(text: string): string {
  const trimmed = text.trim();
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

/** One validation message (a 422 detail's `msg`) as a person would write it. */
export function humanMessage(msg: string): string {
  for (const [pattern, render] of RULES) {
    const match = msg.match(pattern);
    if (match) return render(match);
  }
  return sentence(msg);
}

/** A field path ("quiet_hours.start", "user_ids.0") as a label ("Quiet hours start"). */
export function fieldLabel(loc: string): string {
  const words = loc
    .split(".")
    .filter((part) => !/^\d+$/.test(part))
    .join(" ")
    .replaceAll("_", " ")
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
