/**
 * Given-name variants: each group lists a canonical form first, then nicknames and spelling
 * variants that identify the same given name when tracing (upper-case, letters only).
 * Kept deliberately conservative: a group only joins names people really use interchangeably.
 */
const GROUPS: readonly (readonly string[])[] = [
  ['ROBERT', 'BOB', 'BOBBY', 'ROB', 'ROBBIE', 'BERT'],
  ['WILLIAM', 'BILL', 'BILLY', 'WILL', 'WILLIE', 'LIAM'],
  ['RICHARD', 'RICK', 'RICKY', 'DICK', 'RICH', 'RICHIE'],
  ['JAMES', 'JIM', 'JIMMY', 'JAMIE'],
  ['JOHN', 'JACK', 'JOHNNY', 'JON'],
  ['MICHAEL', 'MIKE', 'MICK', 'MICKY', 'MIKEY'],
  ['THOMAS', 'TOM', 'TOMMY'],
  ['CHRISTOPHER', 'CHRIS', 'KIT'],
  ['DANIEL', 'DAN', 'DANNY'],
  ['MATTHEW', 'MATT', 'MATTY'],
  ['ANTHONY', 'TONY', 'ANT'],
  ['JOSEPH', 'JOE', 'JOEY'],
  ['DAVID', 'DAVE', 'DAVY'],
  ['EDWARD', 'ED', 'EDDIE', 'TED', 'TEDDY', 'NED'],
  ['CHARLES', 'CHARLIE', 'CHAS', 'CHUCK'],
  ['HENRY', 'HARRY', 'HAL'],
  ['ALEXANDER', 'ALEX', 'SANDY', 'XANDER'],
  ['BENJAMIN', 'BEN', 'BENNY', 'BENJI'],
  ['SAMUEL', 'SAM', 'SAMMY'],
  ['NICHOLAS', 'NICK', 'NICKY', 'NICO'],
  ['ANDREW', 'ANDY', 'DREW'],
  ['PETER', 'PETE'],
  ['STEPHEN', 'STEVEN', 'STEVE', 'STEVIE'],
  ['TIMOTHY', 'TIM', 'TIMMY'],
  ['PATRICK', 'PAT', 'PADDY'],
  ['GEOFFREY', 'JEFFREY', 'GEOFF', 'JEFF'],
  ['NATHAN', 'NATHANIEL', 'NATE', 'NAT'],
  ['JONATHAN', 'JONNY', 'JONTY'],
  ['FREDERICK', 'FRED', 'FREDDIE', 'FREDDY'],
  ['GEORGE', 'GEORDIE'],
  ['ELIZABETH', 'LIZ', 'LIZZIE', 'BETH', 'BETTY', 'ELIZA', 'LIBBY', 'BESS', 'ELSIE'],
  ['MARGARET', 'MAGGIE', 'MEG', 'PEGGY', 'MADGE', 'MARGE', 'GRETA'],
  [
    'KATHERINE',
    'CATHERINE',
    'KATHRYN',
    'KATE',
    'KATIE',
    'KATY',
    'CATH',
    'CATHY',
    'KATHY',
    'KAT',
    'KITTY',
  ],
  ['REBECCA', 'BECKY', 'BECCA', 'BEX'],
  ['VICTORIA', 'VICKY', 'VICKI', 'TORI'],
  ['JENNIFER', 'JENNY', 'JEN', 'JENNI'],
  ['SUSAN', 'SUE', 'SUZY', 'SUSIE'],
  ['PATRICIA', 'TRICIA', 'TRISH', 'PATTY', 'PATSY'],
  ['DEBORAH', 'DEBBIE', 'DEBS', 'DEBRA'],
  ['SAMANTHA', 'SAMMIE'],
  ['CHRISTINE', 'CHRISTINA', 'CHRISSIE', 'TINA'],
  ['ALEXANDRA', 'ALEXA', 'LEXI', 'ALEX', 'SANDRA'],
  ['ABIGAIL', 'ABBY', 'ABBIE', 'ABI'],
  ['JESSICA', 'JESS', 'JESSIE'],
  ['ELEANOR', 'ELLIE', 'NELL', 'NELLIE', 'ELLA'],
  ['AMELIA', 'MILLIE', 'AMY'],
  ['OLIVIA', 'LIVVY', 'LIV'],
  ['CHARLOTTE', 'LOTTIE', 'CHARLIE'],
  ['HANNAH', 'HANNA'],
  ['SARAH', 'SARA', 'SALLY'],
  ['ANNE', 'ANN', 'ANNIE', 'ANNA'],
  ['MARY', 'MOLLY', 'POLLY', 'MAY'],
  ['HELEN', 'HELENA', 'NELL'],
  ['JOANNE', 'JOANNA', 'JO', 'JODIE'],
  ['LOUISE', 'LOUISA', 'LOU', 'LULU'],
  ['DOROTHY', 'DOT', 'DOTTIE', 'DOLLY'],
  ['SOPHIE', 'SOPHIA', 'SOPH'],
];

const CANONICAL: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const group of GROUPS) {
    const canonical = group[0]!;
    for (const name of group) {
      // a name in two groups (ALEX, CHARLIE, NELL) keeps its first group: conservative, not greedy
      if (!map.has(name)) map.set(name, canonical);
    }
  }
  return map;
})();

/** The canonical form of a normalised given name ("BOB" → "ROBERT"); the name itself if unknown. */
export function canonicalGivenName(normalisedGiven: string): string {
  return CANONICAL.get(normalisedGiven) ?? normalisedGiven;
}
