/** AA contrast (≥ 4.5:1 with white) for small badge text and outline buttons. */
export const GREEN = '#1b5e20';
export const RED = '#b71c1c';
export const ORANGE = '#8a3b00';
export const DARK = '#1a237e';
