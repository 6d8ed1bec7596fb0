/**
 * FHIR R4 narrative rules (Narrative.div, constraints txt-1 and txt-2): XHTML in one root
 * `<div xmlns="http://www.w3.org/1999/xhtml">`, only the basic HTML formatting elements, no active
 * content (scripts, forms, embedded objects, event attributes, script URLs), some text. A
 * narrative breaking them is refused rather than stored or silently dropped.
 */
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const ALLOWED_ELEMENTS = new Set(
  (
    'a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em ' +
    'h1 h2 h3 h4 h5 h6 hr i img li ol p pre q samp small span strong sub sup table tbody td ' +
    'tfoot th thead tr tt ul var'
  ).split(' '),
);
const ALLOWED_ATTRIBUTES = new Set(
  (
    'xmlns xml:lang lang dir id class style title href name src alt width height border ' +
    'colspan rowspan span align valign cellpadding cellspacing summary abbr scope headers ' +
    'start type value'
  ).split(' '),
);
const VOID_ELEMENTS = new Set(['br', 'hr', 'img', 'col']);
const SCRIPT_URL = /^\s*(javascript|vbscript|data\s*:\s*text\/html|livescript)\s*:?/i;
const MAX_DEPTH = 32;

function decodeEntities(v: string): string {
  return v
    .replace(/&#x([0-9a-f]{1,6});?/gi, (_m, h: string) => safeChar(parseInt(h, 16)))
    .replace(/&#(\d{1,7});?/g, (_m, d: string) => safeChar(Number(d)))
    .replace(/&(colon|tab|newline);/gi, (_m, n: string) =>
      n.toLowerCase() === 'colon' ? ':' : ' ',
    );
}
function safeChar(cp: number): string {
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
}

/** The first problem of a narrative div, or undefined when it is acceptable. */
export function narrativeProblem(div: string): string | undefined {
  const src = div.trim();
  if (!/^<div[\s>]/.test(src))
    return 'the narrative must be one XHTML <div> element (Narrative.div)';
  const tag =
    /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>/y;
  const attr = /\s+([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g;
  const stack: string[] = [];
  let text = '';
  let i = 0;
  let rootClosed = false;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const chunk = lt < 0 ? src.slice(i) : src.slice(i, lt);
    if (rootClosed && chunk.trim()) return 'content after the closing </div>';
    text += chunk;
    if (lt < 0) break;
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt + 4);
      if (end < 0) return 'unterminated comment';
      i = end + 3;
      continue;
    }
    if (rootClosed) return 'content after the closing </div>';
    tag.lastIndex = lt;
    const m = tag.exec(src);
    if (!m) return 'not well-formed XHTML (markup that is not an element; "<" must be escaped)';
    const [, closing, rawName, attrs = '', selfClosing] = m;
    const name = rawName!.toLowerCase();
    if (!ALLOWED_ELEMENTS.has(name))
      return `<${name}> is not allowed in a FHIR narrative (only basic XHTML formatting, no active content)`;
    if (closing) {
      if (stack.pop() !== name) return `</${name}> does not close the open element`;
      if (stack.length === 0) rootClosed = true;
    } else {
      attr.lastIndex = 0;
      for (let a = attr.exec(attrs); a; a = attr.exec(attrs)) {
        const an = a[1]!.toLowerCase();
        const value = decodeEntities(a[2] ?? a[3] ?? '');
        if (an.startsWith('on') || !ALLOWED_ATTRIBUTES.has(an))
          return `attribute ${an} on <${name}> is not allowed in a FHIR narrative`;
        if ((an === 'href' || an === 'src') && SCRIPT_URL.test(value.replace(/[\s\0]/g, '')))
          return `<${name} ${an}> must not be a script URL`;
        if (an === 'style' && /expression\s*\(|url\s*\(\s*['"]?\s*javascript/i.test(value))
          return `style on <${name}> must not contain active content`;
      }
      if (stack.length === 0 && !new RegExp(`\\sxmlns\\s*=\\s*["']${XHTML_NS}["']`).test(attrs))
        return `the narrative <div> must declare xmlns="${XHTML_NS}"`;
      if (!selfClosing && !VOID_ELEMENTS.has(name)) stack.push(name);
      else if (stack.length === 0) rootClosed = true;
      if (stack.length > MAX_DEPTH) return `the narrative nests deeper than ${MAX_DEPTH} elements`;
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) return `<${stack[stack.length - 1]!}> is not closed`;
  if (!text.trim() && !/<img\s/i.test(src)) return 'the narrative must contain some text (txt-2)';
  return undefined;
}
