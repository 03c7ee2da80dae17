// What the recorder masks and leaves out, as rrweb's record() options: the same for a recording and
// for a page snapshot taken for heatmaps (docs/replay.md, "What it records").

// Editable text is typed text, masked like an input's; contenteditable="false" inside an editable
// element stays masked through its editable ancestor (rrweb looks up the ancestors).
export const MASK_TEXT = '[data-footfall-mask],[contenteditable]:not([contenteditable="false"])';

/** An input's value as recorded: asterisks as long as it, nothing at all for a hidden input (often a
 * CSRF token, never typed by the visitor). rrweb calls it for every input (`input: true` below), in
 * the full snapshot, in attribute changes and in input events. */
export const maskInput = (text, element) => (element && element.type == 'hidden' ? '' : '*'.repeat(text.length));

export const PRIVACY = {
  // With maskAllInputs: true rrweb ignores maskInputOptions, and its list of types leaves out hidden:
  // `input` masks an input of any type instead.
  maskAllInputs: false,
  maskInputOptions: { input: true, textarea: true, select: true, password: true },
  maskInputFn: maskInput,
  maskTextSelector: MASK_TEXT,
  blockSelector: '[data-footfall-block]',
  slimDOMOptions: { script: true, comment: true, headFavicon: true, headWhitespace: true, headMetaSocial: true,
    headMetaRobots: true, headMetaHttpEquiv: true, headMetaVerification: true, headMetaAuthorship: true },
  recordCanvas: false,
  collectFonts: false,
  inlineImages: false,
};
